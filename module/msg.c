// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox: messages, send and receive (MAILBOX_IOC_MSG).
 *
 * A message is allocated and filled from user memory before any lock is
 * taken. Sending copies in the destination and reply rights under the
 * sender's space->lock, then queues the message under the destination
 * port's lock; if the queue is full (or the port died) the copyin is undone,
 * so a failed or waiting send holds no right. A queued message owns its
 * rights and a reference on its destination; it leaves the queue by
 * receive (rights copied out into the receiver's space) or by the port's
 * destruction (mbx_msg_destroy(): rights released).
 *
 * Waits are exclusive: a send wakes one receiver, a receive that frees a
 * slot wakes one sender. A waiter that gives up re-checks its condition
 * first, and one that leaves without using what it was woken for passes the
 * wake-up on, so no wake-up is lost.
 *
 * The queue is one list, highest priority first and FIFO within a
 * priority: a message is inserted from the tail, behind the last one of
 * its priority or higher (O(1) when all priorities are equal, else
 * O(messages of lower priority)). A selective receive (RCV_FILTER) takes
 * the first match in that order, scanning the queue (O(queue)); a peek
 * (RCV_PEEK) copies the message it would receive and leaves it queued.
 * Neither may use the message that woke it, so both wait non-exclusively:
 * every queued message wakes all of them (and one exclusive receiver, as
 * always), they never consume an exclusive wake-up and so have none to
 * pass on, and a non-matching message cannot ping-pong between them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/hrtimer.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/pagemap.h>
#include <linux/pid.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "internal.h"
#include "trace.h"

static void mbx_timeout_init(struct mbx_timeout *t, bool has_timeout,
			     u64 ns, bool nonblock)
{
	t->nowait = false;
	t->forever = false;
	if (!has_timeout) {
		t->nowait = nonblock;
		t->forever = !nonblock;
	} else if (ns == 0) {
		t->nowait = true;
	} else if (ns >= KTIME_MAX) {
		t->forever = true;
	} else {
		t->deadline = ktime_add_safe(ktime_get(), ns_to_ktime(ns));
	}
}

/*
 * Sleep on @wq until woken, the deadline passes or a signal arrives.
 * Return: 0 (woken: re-check), -ETIMEDOUT or -EINTR.
 */
static int mbx_wait_locked(struct mbx_port *port, wait_queue_head_t *wq,
			   struct mbx_timeout *t, bool shared)
	__must_hold(&port->lock)
{
	bool send = wq != &port->rcv_wait;
	DEFINE_WAIT(wait);
	int ret = 0;

	lockdep_assert_held(&port->lock);
	if (shared)
		prepare_to_wait(wq, &wait, TASK_INTERRUPTIBLE);
	else
		prepare_to_wait_exclusive(wq, &wait, TASK_INTERRUPTIBLE);
	spin_unlock(&port->lock);
	mbx_wait_begin(port->id, send);
	if (t->forever) {
		schedule();
	} else if (!schedule_hrtimeout_range(&t->deadline,
					     current->timer_slack_ns,
					     HRTIMER_MODE_ABS)) {
		ret = -ETIMEDOUT;
	}
	mbx_wait_end(port->id, send, ret);
	finish_wait(wq, &wait);
	spin_lock(&port->lock);
	if (!ret && signal_pending(current))
		ret = -EINTR;
	return ret;
}

struct mbx_msg *mbx_msg_alloc(u32 size, gfp_t gfp)
{
	size_t bytes = struct_size_t(struct mbx_msg, body,
				     size - MBX_HEADER_SIZE);
	struct mbx_msg *msg;

	/* Small ones from kmalloc: notifications use __GFP_NOFAIL. */
	if (bytes <= PAGE_SIZE)
		msg = kmalloc(bytes, gfp);
	else
		msg = kvmalloc(bytes, gfp);
	if (!msg)
		return NULL;
	msg->size = size;
	msg->serial = mbx_new_msg_serial();
	msg->sent_ns = 0;
	msg->dest.port = NULL;
	msg->reply.port = NULL;
	msg->nr_rights = 0;
	msg->ool_bytes = 0;
	msg->carries_receive = false;
	msg->priority = 0;
	msg->pulse = false;
	msg->rights = NULL;
	msg->prio.valid = false;
	msg->nr_ool = 0;
	msg->ool = NULL;
	msg->user = NULL;
	msg->pid = get_pid(task_tgid(current));
	msg->uid = current_euid();
	msg->gid = current_egid();
	mbx_stat_add(MBX_STAT_MESSAGES, 1);
	mbx_stat_add(MBX_STAT_MESSAGE_BYTES, size);
	return msg;
}

/* Free @msg, releasing whatever rights it still carries. */
void mbx_msg_free(struct mbx_msg *msg)
{
	u32 k;

	/* The NULL tests spare a plain message's path a call each. */
	if (msg->dest.port)
		mbx_right_release(&msg->dest);
	if (msg->reply.port)
		mbx_right_release(&msg->reply);
	for (k = 0; k < msg->nr_rights; k++)
		mbx_right_release(&msg->rights[k]);
	if (msg->rights)
		kvfree(msg->rights);
	if (msg->ool)
		mbx_ool_release(msg);
	if (msg->pid)
		put_pid(msg->pid);
	mbx_uncharge_msg(msg);
	mbx_stat_add(MBX_STAT_MESSAGES, -1);
	mbx_stat_add(MBX_STAT_MESSAGE_BYTES, -(long)msg->size);
	kvfree(msg);
}

/* A queued message that will never be received. */
void mbx_msg_destroy(struct mbx_msg *msg)
{
	mbx_stat_add(MBX_STAT_TOTAL_DESTROYED, 1);
	mbx_msg_free(msg);
}

/*
 * Destroy @msg from inside mbx_port_destroy(): the ports whose receive
 * rights it carries go on @ports (with the right's reference) instead of
 * being destroyed recursively.
 */
void mbx_msg_destroy_deferred(struct mbx_msg *msg,
			      struct mbx_port_fifo *ports)
{
	u32 k;

	for (k = 0; k < msg->nr_rights; k++) {
		struct mbx_right *r = &msg->rights[k];

		if (r->port && r->type == MAILBOX_MSG_TYPE_PORT_RECEIVE) {
			mbx_port_fifo_push(ports, r->port);
			r->port = NULL;
		}
	}
	mbx_msg_destroy(msg);
}

static bool mbx_port_full_locked(struct mbx_port *port, struct mbx_msg *msg)
{
	/* Mach: a send-once right can always send. */
	return msg->dest.type == MAILBOX_MSG_TYPE_PORT_SEND &&
	       port->msgcount >= port->qlimit;
}

/* Put @msg behind the last queued message of its priority or higher. */
static void mbx_queue_insert_locked(struct mbx_port *port, struct mbx_msg *msg)
{
	struct mbx_msg *pos;

	lockdep_assert_held(&port->lock);
	pos = list_first_entry_or_null(&port->msgs, struct mbx_msg, link);
	if (pos && pos->priority < msg->priority) {
		/* Above everything queued: O(1) too. */
		list_add(&msg->link, &port->msgs);
	} else {
		list_for_each_entry_reverse(pos, &port->msgs, link)
			if (pos->priority >= msg->priority)
				break;
		/* pos is the list head itself if none was. */
		list_add(&msg->link, &pos->link);
	}
	if (msg->pulse)
		port->npulses++;
	else
		port->msgcount++;
}

/*
 * Wake one exclusive waiter of @wq, a wait queue of @port. Waiters enqueue
 * themselves under port->lock (mbx_wait_locked()), which we hold, so
 * waitqueue_active() cannot miss one.
 */
static void mbx_wake_one_locked(struct mbx_port *port, wait_queue_head_t *wq,
				bool sync)
{
	lockdep_assert_held(&port->lock);
	/* Race-free: waiters are added under port->lock, see above. */
	if (!waitqueue_active(wq))
		return;
	if (sync)
		wake_up_interruptible_sync(wq);
	else
		wake_up_interruptible(wq);
}

/**
 * mbx_enqueue_locked() - queue @msg on @port and wake one receiver
 * @port: the active destination, locked
 * @msg: the message, its rights copied in
 * @sync: the waker is about to sleep (a send + receive): hint the scheduler
 */
void mbx_enqueue_locked(struct mbx_port *port, struct mbx_msg *msg, bool sync)
{
	lockdep_assert_held(&port->lock);
	mbx_queue_insert_locked(port, msg);
	mbx_wake_one_locked(port, &port->rcv_wait, sync);
	mbx_pset_port_ready_locked(port);
}

/*
 * Wake one blocked sender if there is room for it; with BATCH_WAKE, every
 * blocked sender once the queue is down to half its limit.
 */
static void mbx_wake_sender_locked(struct mbx_port *port)
{
	/* No extension, no sender ever waited (internal.h). */
	if (port->msgcount >= port->qlimit || !port->ext)
		return;
	if (!(port->flags & MAILBOX_PORT_FLAG_BATCH_WAKE)) {
		mbx_wake_one_locked(port, &port->ext->send_wait, false);
		return;
	}
	if (port->msgcount <= port->qlimit / 2 &&
	    /* Race-free as in mbx_wake_one_locked(). */
	    waitqueue_active(&port->ext->send_wait))
		wake_up_interruptible_all(&port->ext->send_wait);
}

/*
 * Copy in the rights of @msg from @space and queue it on its destination,
 * waiting for room as @t allows. On failure the message holds no right.
 */
static int mbx_send_locked_loop(struct mbx_space *space, struct mbx_msg *msg,
				const struct mailbox_msg_header *hdr,
				const struct mbx_src *src, struct mbx_txn *txn,
				struct mbx_timeout *t, bool sync, u32 *status)
{
	u32 remote = MAILBOX_MSGH_REMOTE(hdr->bits);
	u32 local = MAILBOX_MSGH_LOCAL(hdr->bits);
	struct mbx_port *waited = NULL;
	struct mbx_port *port;
	int ret, wret = 0;
	bool transit;

	for (;;) {
		txn->n = 0;
		msg->carries_receive = false;
		mutex_lock(&space->lock);
		ret = mbx_copyin_locked(space, hdr->remote_port, remote, txn,
					&msg->dest);
		if (ret) {
			*status = MAILBOX_SEND_INVALID_DEST;
			goto out_unlock;
		}
		if (hdr->local_port != MAILBOX_PORT_NULL) {
			ret = mbx_copyin_locked(space, hdr->local_port, local,
						txn, &msg->reply);
			if (ret) {
				*status = MAILBOX_SEND_INVALID_REPLY;
				goto out_undo;
			}
		}
		ret = mbx_desc_copyin_locked(space, msg, src, txn);
		if (ret) {
			*status = ret == -ENOMEM ? MAILBOX_SEND_NO_BUFFER :
						   MAILBOX_SEND_INVALID_RIGHT;
			goto out_undo;
		}

		port = msg->dest.port;
		if (msg->carries_receive) {
			mutex_lock(&mbx_transit_lock);
			if (mbx_desc_makes_cycle_locked(msg, port)) {
				mutex_unlock(&mbx_transit_lock);
				ret = -ELOOP;
				*status = MAILBOX_SEND_INVALID_RIGHT;
				goto out_undo;
			}
		}
		spin_lock(&port->lock);
		if (!port->active) {
			spin_unlock(&port->lock);
			if (msg->carries_receive)
				mutex_unlock(&mbx_transit_lock);
			ret = -EPIPE;
			*status = MAILBOX_SEND_INVALID_DEST;
			goto out_undo;
		}
		if (!mbx_port_full_locked(port, msg))
			break;

		/* Full: give every right back, then wait for room. */
		spin_unlock(&port->lock);
		if (msg->carries_receive)
			mutex_unlock(&mbx_transit_lock);
		port = mbx_port_get(port);
		mbx_txn_undo_locked(space, txn);
		mutex_unlock(&space->lock);
		if (waited)
			mbx_port_put(waited);
		waited = port;

		if (t->nowait) {
			mbx_stat_add(MBX_STAT_TOTAL_SEND_TIMEOUTS, 1);
			*status = MAILBOX_SEND_TIMED_OUT;
			ret = -EAGAIN;
			goto out_pass;
		}
		/* The first sender to wait gives the port ext->send_wait. */
		if (mbx_port_ext_get(port, GFP_KERNEL_ACCOUNT)) {
			*status = MAILBOX_SEND_NO_BUFFER;
			ret = -ENOMEM;
			goto out_pass;
		}
		spin_lock(&port->lock);
		for (;;) {
			if (!port->active || port->msgcount < port->qlimit) {
				wret = 0;
				break;
			}
			if (wret)
				break;
			wret = mbx_wait_locked(port, &port->ext->send_wait,
					       t, false);
		}
		spin_unlock(&port->lock);
		if (wret == -EINTR) {
			*status = MAILBOX_SEND_INTERRUPTED;
			ret = -EINTR;
			goto out_pass;
		}
		if (wret) {
			mbx_stat_add(MBX_STAT_TOTAL_SEND_TIMEOUTS, 1);
			*status = MAILBOX_SEND_TIMED_OUT;
			ret = wret;
			goto out_pass;
		}
	}

	/*
	 * Queue it; port->lock held. Once it is unlocked the message may be
	 * received or destroyed at any time: touch nothing of it after.
	 */
	transit = msg->carries_receive;
	if (transit)
		mbx_desc_set_transit_locked(msg, port);
	if (trace_mailbox_receive_enabled())
		msg->sent_ns = ktime_get_ns();
	trace_mailbox_send(msg, port);
	mbx_enqueue_locked(port, msg, sync);
	spin_unlock(&port->lock);
	if (transit)
		mutex_unlock(&mbx_transit_lock);
	mbx_txn_commit_locked(space, txn);
	mutex_unlock(&space->lock);
	if (waited)
		mbx_port_put(waited);
	mbx_stat_add(MBX_STAT_TOTAL_SENT, 1);
	return 0;

out_undo:
	mbx_txn_undo_locked(space, txn);
out_unlock:
	mutex_unlock(&space->lock);
out_pass:
	if (waited) {
		/* We may have been woken for room we are not using. */
		spin_lock(&waited->lock);
		mbx_wake_sender_locked(waited);
		spin_unlock(&waited->lock);
		mbx_port_put(waited);
	}
	return ret;
}

static int mbx_send(struct mbx_space *space, struct mailbox_msg *args,
		    bool nonblock)
{
	struct mailbox_msg_header hdr;
	struct mbx_range *unmap = NULL;
	struct mbx_src *src = NULL;
	u32 size, nr_unmap = 0;
	struct mbx_ubuf ub;
	u32 remote, local;
	bool has_reply;
	struct mbx_timeout t;
	struct mbx_txn txn;
	struct mbx_msg *msg;
	u64 ool_bytes = 0;
	int ret;
	u32 k;

	ret = mbx_ubuf_import(&ub, args->send_msg, args->send_size,
			      args->options & MAILBOX_MSG_SEND_IOV,
			      mbx_max_msg_size);
	if (ret) {
		args->status = ret == -EMSGSIZE ? MAILBOX_SEND_TOO_LARGE :
			       ret == -ENOMEM ? MAILBOX_SEND_NO_BUFFER :
			       MAILBOX_SEND_INVALID_DATA;
		return ret;
	}
	size = ub.len;
	if (size < MBX_HEADER_SIZE || size % 4) {
		args->status = MAILBOX_SEND_MSG_TOO_SMALL;
		ret = -EINVAL;
		goto out_ubuf;
	}
	if (size > mbx_max_msg_size) {
		args->status = MAILBOX_SEND_TOO_LARGE;
		ret = -EMSGSIZE;
		goto out_ubuf;
	}
	/* Gathered straight from the (scattered) user buffer. */
	if (mbx_ubuf_read(&ub, 0, &hdr, sizeof(hdr))) {
		args->status = MAILBOX_SEND_INVALID_DATA;
		ret = -EFAULT;
		goto out_ubuf;
	}

	remote = MAILBOX_MSGH_REMOTE(hdr.bits);
	local = MAILBOX_MSGH_LOCAL(hdr.bits);
	has_reply = hdr.local_port != MAILBOX_PORT_NULL;
	/* A reply name and a reply disposition go together. */
	if ((hdr.bits & ~(MAILBOX_MSGH_REMOTE_MASK | MAILBOX_MSGH_LOCAL_MASK |
			  MAILBOX_MSGH_COMPLEX)) ||
	    hdr.voucher_port || !mbx_send_disposition_valid(remote) ||
	    (local && !mbx_send_disposition_valid(local)) ||
	    has_reply != !!local) {
		args->status = MAILBOX_SEND_INVALID_HEADER;
		ret = -EINVAL;
		goto out_ubuf;
	}

	mbx_txn_init(&txn);
	msg = mbx_msg_alloc(size, GFP_KERNEL_ACCOUNT);
	if (!msg) {
		args->status = MAILBOX_SEND_NO_BUFFER;
		ret = -ENOMEM;
		goto out_ubuf;
	}
	/* Per-user limits: ENOBUFS before any right is taken. */
	ret = mbx_charge_msg(space, msg);
	if (ret) {
		args->status = MAILBOX_SEND_NO_BUFFER;
		goto out_free;
	}
	if (mbx_ubuf_read(&ub, MBX_HEADER_SIZE, msg->body,
			  size - MBX_HEADER_SIZE)) {
		args->status = MAILBOX_SEND_INVALID_DATA;
		ret = -EFAULT;
		goto out_free;
	}
	msg->bits = hdr.bits;
	msg->id = hdr.id;
	msg->priority = args->priority;
	mbx_prio_capture(msg, local);

	if (hdr.bits & MAILBOX_MSGH_COMPLEX) {
		ret = mbx_desc_parse(space, msg, &src, &args->status);
		if (ret)
			goto out_free;
		unmap = mbx_ool_dealloc_list(msg, &nr_unmap);
		if (IS_ERR(unmap)) {
			unmap = NULL;
			args->status = MAILBOX_SEND_NO_BUFFER;
			ret = -ENOMEM;
			goto out_free;
		}
		for (k = 0; k < msg->nr_ool; k++)
			ool_bytes += msg->ool[k].size;
		if (msg->nr_rights + 2 > MBX_TXN_SMALL) {
			txn.max = msg->nr_rights + 2;
			txn.rec = kvmalloc_array(txn.max, sizeof(*txn.rec),
						 GFP_KERNEL_ACCOUNT);
			if (!txn.rec) {
				args->status = MAILBOX_SEND_NO_BUFFER;
				ret = -ENOMEM;
				goto out_free;
			}
		}
	}

	mbx_timeout_init(&t, args->options & MAILBOX_MSG_SEND_TIMEOUT,
			 args->send_timeout, nonblock);
	ret = mbx_send_locked_loop(space, msg, &hdr, src, &txn, &t,
				   args->options & MAILBOX_MSG_RCV,
				   &args->status);
	if (!ret) {
		/* Sent (maybe received already): @msg is not ours any more. */
		mbx_ool_deallocate(unmap, nr_unmap);
		mbx_stat_add(MBX_STAT_TOTAL_OOL_BYTES, ool_bytes);
	}
out_free:
	if (txn.rec != txn.small)
		kvfree(txn.rec);
	kvfree(src);
	kfree(unmap);
	if (ret) {
		if (msg->ool)
			mbx_ool_give_back(msg);
		mbx_msg_free(msg);
	}
out_ubuf:
	mbx_ubuf_free(&ub);
	return ret;
}

/* Take @msg off @port's queue; then unlock with mbx_dequeue_done(). */
struct mbx_msg *mbx_dequeue_locked(struct mbx_port *port, struct mbx_msg *msg,
				   u32 *seqno, struct list_head *fire)
{
	lockdep_assert_held(&port->lock);
	list_del(&msg->link);
	*seqno = port->seqno++;
	if (msg->pulse) {
		/* The lane is not the queue: no room for a sender. */
		mbx_pulse_dequeued_locked(port, msg);
	} else {
		port->msgcount--;
		mbx_wake_sender_locked(port);
		if (unlikely(port->ext) &&
		    !list_empty(&port->ext->sprequests))
			mbx_notify_take_sp_locked(port, fire);
	}
	mbx_pset_port_dequeued_locked(port);
	return msg;
}

void mbx_dequeue_done(struct mbx_port *port, struct list_head *fire)
	__releases(&port->lock)
{
	spin_unlock(&port->lock);
	mbx_notify_deliver_list(fire);
}

/*
 * Put back a message whose copy to user memory failed: first among the
 * messages of its priority (where it was, unless a selective receive took
 * it from behind others of its priority). A pulse that finds its lane
 * refilled is dropped instead (pulse.c).
 */
static void mbx_requeue(struct mbx_port *port, struct mbx_msg *msg, u32 seqno)
{
	struct mbx_msg *pos;

	spin_lock(&port->lock);
	if (port->active && (!msg->pulse || mbx_pulse_requeue_locked(port, msg))) {
		list_for_each_entry(pos, &port->msgs, link)
			if (pos->priority <= msg->priority)
				break;
		list_add_tail(&msg->link, &pos->link);
		if (msg->pulse)
			port->npulses++;
		else
			port->msgcount++;
		if (port->seqno == seqno + 1)
			port->seqno = seqno;
		/* A receiver may have slept while we held it. */
		mbx_wake_one_locked(port, &port->rcv_wait, false);
		mbx_pset_port_ready_locked(port);
		msg = NULL;
	}
	spin_unlock(&port->lock);
	if (msg)
		mbx_msg_destroy(msg);
}

static void mbx_fill_trailer(struct mailbox_msg_trailer *tr,
			     struct mbx_msg *msg, u32 seqno)
{
	tr->type = MAILBOX_TRAILER_FORMAT_0;
	tr->size = MBX_TRAILER_SIZE;
	tr->seqno = seqno;
	tr->sender_pid = pid_vnr(msg->pid);
	tr->sender_uid = from_kuid_munged(current_user_ns(), msg->uid);
	tr->sender_gid = from_kgid_munged(current_user_ns(), msg->gid);
}

/**
 * mbx_rcv_give_up() - should a receiver that found nothing stop waiting?
 * @args: the MAILBOX_IOC_MSG arguments; status set when giving up
 * @ret: the result of the last wait (0, -ETIMEDOUT or -EINTR)
 * @t: the receive timeout
 *
 * Return: 0 to wait (again), or the errno to give up with.
 */
int mbx_rcv_give_up(struct mailbox_msg *args, int ret,
		    const struct mbx_timeout *t)
{
	if (ret) {
		args->status = ret == -EINTR ? MAILBOX_RCV_INTERRUPTED :
			       MAILBOX_RCV_TIMED_OUT;
		if (ret != -EINTR)
			mbx_stat_add(MBX_STAT_TOTAL_RECEIVE_TIMEOUTS, 1);
		return ret;
	}
	if (t->nowait) {
		mbx_stat_add(MBX_STAT_TOTAL_RECEIVE_TIMEOUTS, 1);
		args->status = MAILBOX_RCV_TIMED_OUT;
		return -EAGAIN;
	}
	return 0;
}

static bool mbx_filter_match(const struct mailbox_rcv_filter *f,
			     const struct mbx_msg *msg)
{
	if ((f->flags & MAILBOX_FILTER_ID) &&
	    ((u32)msg->id & f->id_mask) != (u32)f->id_value)
		return false;
	if ((f->flags & MAILBOX_FILTER_RANGE) &&
	    (msg->id < f->id_min || msg->id > f->id_max))
		return false;
	/* Kernel messages (pid NULL) give 0, never a valid sender_pid. */
	if ((f->flags & MAILBOX_FILTER_SENDER) &&
	    pid_vnr(msg->pid) != f->sender_pid)
		return false;
	return true;
}

/**
 * mbx_rcv_find_locked() - the message a receive on @port would take
 * @port: the port, locked
 * @r: the receive's filter, if any
 *
 * Return: the head, or with RCV_FILTER the first match in queue order
 * (O(queue)); NULL if none.
 */
struct mbx_msg *mbx_rcv_find_locked(struct mbx_port *port,
				    const struct mbx_rcv *r)
{
	struct mbx_msg *msg;

	lockdep_assert_held(&port->lock);
	if (!r->filtered)
		return list_first_entry_or_null(&port->msgs, struct mbx_msg,
						link);
	list_for_each_entry(msg, &port->msgs, link)
		if (mbx_filter_match(&r->filter, msg))
			return msg;
	return NULL;
}

static void mbx_snap_free(struct mbx_rcv *r)
{
	if (!r->snap)
		return;
	put_pid(r->snap->pid);
	kvfree(r->snap->rights);
	kvfree(r->snap);
	r->snap = NULL;
}

/* (Re)allocate the peek copy for @body bytes and @rights rights. */
static int mbx_snap_alloc(struct mbx_rcv *r, u32 body, u32 rights)
{
	struct mbx_msg *snap;

	mbx_snap_free(r);
	snap = kvmalloc(struct_size(snap, body, body), GFP_KERNEL_ACCOUNT);
	if (!snap)
		return -ENOMEM;
	snap->pid = NULL;
	snap->rights = NULL;
	snap->nr_ool = 0;
	snap->ool = NULL;	/* out-of-line memory is never mapped by a peek */
	if (rights) {
		snap->rights = kvmalloc_array(rights, sizeof(*snap->rights),
					      GFP_KERNEL_ACCOUNT);
		if (!snap->rights) {
			kvfree(snap);
			return -ENOMEM;
		}
	}
	r->snap = snap;
	r->snap_body = body;
	r->snap_rights = rights;
	return 0;
}

/*
 * Copy @msg into r->snap for a peek; port->lock held. The copy holds no
 * right (ports NULL), only their types. Return: false if r->snap is too
 * small (r->snap_body/rights then say what is needed).
 */
static bool mbx_snap_fill_locked(struct mbx_port *port, struct mbx_msg *msg,
				 struct mbx_rcv *r)
{
	struct mbx_msg *snap = r->snap;
	u32 body = msg->size - MBX_HEADER_SIZE, k;

	if (!snap || body > r->snap_body || msg->nr_rights > r->snap_rights) {
		r->snap_body = max(body, r->snap_body);
		r->snap_rights = max(msg->nr_rights, r->snap_rights);
		return false;
	}
	snap->size = msg->size;
	snap->bits = msg->bits;
	snap->id = msg->id;
	snap->dest.port = NULL;
	snap->dest.type = msg->dest.type;
	snap->reply.port = NULL;
	snap->reply.type = msg->reply.port ? msg->reply.type : 0;
	snap->nr_rights = msg->nr_rights;
	snap->ool_bytes = msg->ool_bytes;
	snap->carries_receive = false;
	snap->priority = msg->priority;
	snap->pulse = msg->pulse;
	for (k = 0; k < msg->nr_rights; k++) {
		snap->rights[k].port = NULL;
		snap->rights[k].type = msg->rights[k].type;
		snap->rights[k].pass = MAILBOX_PORT_NULL;
	}
	put_pid(snap->pid);
	snap->pid = get_pid(msg->pid);
	snap->uid = msg->uid;
	snap->gid = msg->gid;
	memcpy(snap->body, msg->body, body);
	if (msg->pulse)
		mbx_pulse_peek_locked(port, snap);
	return true;
}

/**
 * mbx_rcv_take_locked() - a receive chose @msg on @port: take it
 * @port: the port, locked; unlocked on return
 * @msg: the message, from mbx_rcv_find_locked()
 * @args: the MAILBOX_IOC_MSG arguments (rcv_size, options; status set)
 * @ub: the receive buffer
 * @trailer: bytes of trailer wanted
 * @r: filter, peek and fault-in state of the receive
 * @pset: the set received on (a served member goes behind the others), or
 *        NULL
 * @seqno: set to the message's sequence number (PEEK: the next one)
 *
 * A message too large for the buffer is dequeued and destroyed (kept with
 * RCV_LARGE or RCV_PEEK). Otherwise it is dequeued (PEEK: copied into
 * r->snap and left queued); for a complex message, a pulse or a filtered
 * receive the buffer is faulted in first, so the copy-out cannot fail.
 *
 * Return: the message (PEEK: r->snap); NULL when the lock was dropped to
 * fault in the buffer or grow r->snap (look again); or an ERR_PTR
 * (-EMSGSIZE, -EFAULT, -ENOMEM) with @args->status and @args->rcv_size set.
 */
struct mbx_msg *mbx_rcv_take_locked(struct mbx_port *port,
				    struct mbx_msg *msg,
				    struct mailbox_msg *args,
				    const struct mbx_ubuf *ub, u32 trailer,
				    struct mbx_rcv *r, struct mbx_pset *pset,
				    u32 *seqno)
	__releases(&port->lock)
{
	u32 needed = msg->size + trailer + msg->ool_bytes;
	LIST_HEAD(fire);

	lockdep_assert_held(&port->lock);
	if (needed > args->rcv_size) {
		args->rcv_size = needed;
		args->status = MAILBOX_RCV_TOO_LARGE;
		if (r->peek || (args->options & MAILBOX_MSG_RCV_LARGE)) {
			/* Stays queued; the caller passes the wake-up on. */
			spin_unlock(&port->lock);
			return ERR_PTR(-EMSGSIZE);
		}
		msg = mbx_dequeue_locked(port, msg, seqno, &fire);
		if (msg->pulse)
			mbx_pulse_discarded_locked(port, msg);
		if (pset)
			mbx_pset_rotate_locked(port, pset);
		mbx_dequeue_done(port, &fire);
		mbx_msg_destroy(msg);
		return ERR_PTR(-EMSGSIZE);
	}
	if (r->peek) {
		if (mbx_snap_fill_locked(port, msg, r)) {
			*seqno = port->seqno;
			spin_unlock(&port->lock);
			return r->snap;
		}
		spin_unlock(&port->lock);
		if (mbx_snap_alloc(r, r->snap_body, r->snap_rights)) {
			args->status = MAILBOX_RCV_BODY_ERROR;
			return ERR_PTR(-ENOMEM);
		}
		return NULL;
	}
	/*
	 * A plain message is copied after the unlock, where a page fault is
	 * fine, and put back by mbx_requeue() if the copy fails: take it with
	 * the lock held once. A complex one names its rights before the copy
	 * and a filtered receive may take it from behind others of its
	 * priority, where a requeue would not put it back: for those make
	 * the buffer present first, so the copy cannot fail.
	 */
	if (r->faulted < needed &&
	    (r->filtered || msg->pulse || (msg->bits & MAILBOX_MSGH_COMPLEX))) {
		spin_unlock(&port->lock);
		if (mbx_ubuf_fault_in(ub, needed)) {
			args->status = MAILBOX_RCV_INVALID_DATA;
			return ERR_PTR(-EFAULT);
		}
		r->faulted = needed;
		return NULL;
	}
	msg = mbx_dequeue_locked(port, msg, seqno, &fire);
	if (pset)
		mbx_pset_rotate_locked(port, pset);
	mbx_dequeue_done(port, &fire);
	return msg;
}

/*
 * Wait for a message that fits. Return: the dequeued message (PEEK: the
 * copy in r->snap), or an ERR_PTR with @args->status and @args->rcv_size
 * set.
 */
static struct mbx_msg *mbx_receive_wait(struct mbx_space *space,
					struct mbx_port *port,
					struct mailbox_msg *args,
					const struct mbx_ubuf *ub, u32 trailer,
					struct mbx_timeout *t, u32 *seqno,
					struct mbx_rcv *r)
{
	bool shared = r->filtered || r->peek;
	bool spun = false;
	struct mbx_msg *msg;
	int ret = 0;

	spin_lock(&port->lock);
	for (;;) {
		if (!port->active) {
			args->status = MAILBOX_RCV_PORT_DIED;
			ret = -EPIPE;
			break;
		}
		if (port->receiver != space) {
			/* The receive right was moved away. */
			args->status = MAILBOX_RCV_PORT_CHANGED;
			ret = -EIDRM;
			break;
		}
		msg = mbx_rcv_find_locked(port, r);
		if (msg) {
			msg = mbx_rcv_take_locked(port, msg, args, ub,
						  trailer, r, NULL, seqno);
			if (msg && !IS_ERR(msg))
				return msg;
			spin_lock(&port->lock);
			if (IS_ERR(msg)) {
				ret = PTR_ERR(msg);
				break;
			}
			continue;
		}
		ret = mbx_rcv_give_up(args, ret, t);
		if (ret)
			break;
		if (!spun) {
			struct mbx_port_ext *ext = mbx_port_ext(port);
			u32 us = ext ? READ_ONCE(ext->spin_us) : 0;

			/* Once per call: a selective receive may not match. */
			spun = true;
			if (us) {
				mbx_spin(&port->lock, port, NULL, space, us, t);
				continue;
			}
		}
		ret = mbx_wait_locked(port, &port->rcv_wait, t, shared);
	}
	/* Leaving without a message: pass on a wake-up we may have taken. */
	if (!shared && port->active && !list_empty(&port->msgs))
		mbx_wake_one_locked(port, &port->rcv_wait, false);
	spin_unlock(&port->lock);
	return ERR_PTR(ret);
}

/*
 * Write the peeked copy @snap out: as a receive would, except that it
 * holds no right, so every port name (reply, descriptors, port arrays) is
 * MAILBOX_PORT_NULL while bits and dispositions keep the rights' types.
 */
static int mbx_receive_peek(struct mailbox_msg *args, struct mbx_msg *snap,
			    const struct mbx_ubuf *ub, u32 trailer, u32 seqno,
			    u32 local)
{
	struct mailbox_msg_header hdr = { };
	struct mailbox_msg_trailer tr;
	u32 *names = NULL;
	int ret = 0;

	if (snap->nr_rights) {
		names = kvcalloc(snap->nr_rights, sizeof(*names),
				 GFP_KERNEL_ACCOUNT);
		if (!names) {
			args->status = MAILBOX_RCV_BODY_ERROR;
			return -ENOMEM;
		}
	}
	hdr.bits = MAILBOX_MSGH_BITS(snap->reply.type, snap->dest.type) |
		   (snap->bits & (MAILBOX_MSGH_COMPLEX | MAILBOX_MSGH_PULSE));
	hdr.size = snap->size;
	hdr.local_port = local;
	hdr.id = snap->id;
	if (trailer)
		mbx_fill_trailer(&tr, snap, seqno);
	if ((snap->bits & MAILBOX_MSGH_COMPLEX) &&
	    !mbx_desc_arrays_fit(snap, ub, snap->size + trailer)) {
		args->status = MAILBOX_RCV_INVALID_DATA;
		ret = -EINVAL;
	} else if (((snap->bits & MAILBOX_MSGH_COMPLEX) &&
		    mbx_desc_write(snap, names, ub, snap->size + trailer)) ||
		   mbx_ubuf_write(ub, MBX_HEADER_SIZE, snap->body,
				  snap->size - MBX_HEADER_SIZE) ||
		   (trailer && mbx_ubuf_write(ub, snap->size, &tr, trailer)) ||
		   mbx_ubuf_write(ub, 0, &hdr, sizeof(hdr))) {
		args->status = MAILBOX_RCV_INVALID_DATA;
		ret = -EFAULT;
	} else {
		args->rcv_size = snap->size + trailer + snap->ool_bytes;
		args->priority = snap->priority;
		args->status = MAILBOX_MSG_SUCCESS;
	}
	kvfree(names);
	return ret;
}

/*
 * Name the message's rights in @space: the reply right into @hdr, the
 * descriptors' rights into @names. Return: 0, or a naming error of the reply
 * right (<0) - the message must then be refused - with *body_err set to the
 * first descriptor naming error.
 */
static int mbx_receive_copyout(struct mbx_space *space, struct mbx_msg *msg,
			       struct mailbox_msg_header *hdr, u32 *names,
			       int *body_err)
{
	struct mbx_prio_prep pp = { };
	struct mbx_entry *spare = NULL;
	int ret = 0;

	/* Nothing to name (a reply, a one-way message): no space->lock. */
	if (!msg->reply.port && !msg->nr_rights)
		return 0;
	if (msg->reply.port)
		mbx_prio_prepare(msg, &pp);
	mutex_lock(&space->lock);
	if (msg->carries_receive)
		mutex_lock(&mbx_transit_lock);
	if (msg->reply.port) {
		spare = mbx_entry_get_locked(space);
		hdr->bits |= msg->reply.type;
		ret = mbx_copyout_locked(space, &msg->reply, MAILBOX_PORT_NULL,
					 &spare, &hdr->remote_port);
		if (ret == -EPIPE) {
			/* The reply port died in flight. */
			hdr->remote_port = MAILBOX_PORT_DEAD;
			ret = 0;
		} else if (!ret) {
			mbx_prio_boost_locked(space, hdr->remote_port, &pp);
		}
	}
	if (!ret && msg->nr_rights)
		*body_err = mbx_desc_copyout_locked(space, msg, names);
	if (msg->carries_receive)
		mutex_unlock(&mbx_transit_lock);
	if (spare)
		mbx_entry_put_locked(space, spare);
	mutex_unlock(&space->lock);
	mbx_prio_unprepare(&pp);
	return ret;
}

static int mbx_receive(struct mbx_space *space, struct mailbox_msg *args,
		       bool nonblock, struct mbx_rcv *r)
{
	u32 trailer = (args->options & MAILBOX_MSG_RCV_TRAILER) ?
		      MBX_TRAILER_SIZE : 0;
	struct mailbox_msg_header hdr = { };
	struct mailbox_msg_trailer tr;
	struct mbx_pset *pset = NULL;
	struct mbx_port *port = NULL;
	u32 local = args->rcv_name;
	struct mbx_timeout t;
	struct mbx_msg *msg;
	int ret, body_err = 0;
	u32 *names = NULL;
	struct mbx_ubuf ub;
	bool complex, rewrite;
	u32 seqno;

	/* A scattered buffer's capacity: as rcv_size without RCV_IOV. */
	ret = mbx_ubuf_import(&ub, args->rcv_msg, args->rcv_size,
			      args->options & MAILBOX_MSG_RCV_IOV, U32_MAX);
	if (ret) {
		args->status = ret == -ENOMEM ? MAILBOX_RCV_BODY_ERROR :
			       MAILBOX_RCV_INVALID_DATA;
		return ret == -EMSGSIZE ? -EINVAL : ret;
	}
	args->rcv_size = ub.len;
	ret = mbx_receive_source(space, args->rcv_name, &port, &pset);
	if (ret) {
		args->status = MAILBOX_RCV_INVALID_NAME;
		goto out_ubuf;
	}
	mbx_timeout_init(&t, args->options & MAILBOX_MSG_RCV_TIMEOUT,
			 args->rcv_timeout, nonblock);
	if (pset)
		msg = mbx_pset_receive_wait(pset, args, &ub, trailer, &t,
					    &seqno, &port, &local, r);
	else
		msg = mbx_receive_wait(space, port, args, &ub, trailer, &t,
				       &seqno, r);
	if (IS_ERR(msg)) {
		ret = PTR_ERR(msg);
		goto out_put;
	}
	if (r->peek) {
		ret = mbx_receive_peek(args, msg, &ub, trailer, seqno, local);
		goto out_put;
	}

	complex = msg->bits & MAILBOX_MSGH_COMPLEX;
	if (trailer)
		mbx_fill_trailer(&tr, msg, seqno);
	hdr.bits = MAILBOX_MSGH_BITS(0, msg->dest.type) |
		   (msg->bits & (MAILBOX_MSGH_COMPLEX | MAILBOX_MSGH_PULSE));
	hdr.size = msg->size;
	hdr.local_port = local;
	hdr.id = msg->id;
	if (!complex) {
		/*
		 * Nothing to rewrite but the reply name: copy everything
		 * first (the buffer was not faulted in, see
		 * mbx_rcv_take_locked()), so a fault loses nothing.
		 */
		if (mbx_ubuf_write(&ub, MBX_HEADER_SIZE, msg->body,
				   msg->size - MBX_HEADER_SIZE) ||
		    (trailer && mbx_ubuf_write(&ub, msg->size, &tr, trailer)) ||
		    mbx_ubuf_write(&ub, 0, &hdr, sizeof(hdr)))
			goto out_requeue_fault;
	} else {
		/* Everything that can fail before the rights are named. */
		if (!mbx_desc_arrays_fit(msg, &ub, msg->size + trailer)) {
			mbx_requeue(port, msg, seqno);
			args->status = MAILBOX_RCV_INVALID_DATA;
			ret = -EINVAL;
			goto out_put;
		}
		if (msg->nr_rights) {
			names = kvmalloc_array(msg->nr_rights, sizeof(*names),
					       GFP_KERNEL_ACCOUNT);
			if (!names) {
				ret = -ENOMEM;
				goto out_requeue_body;
			}
		}
		ret = mbx_ool_map(msg);
		if (ret)
			goto out_requeue_body;
	}

	args->rcv_size = msg->size + trailer + msg->ool_bytes;
	args->priority = msg->priority;
	/* The header is written again if the copyout names a reply right. */
	rewrite = complex || msg->reply.port;
	ret = mbx_receive_copyout(space, msg, &hdr, names, &body_err);
	if (ret) {
		args->status = MAILBOX_RCV_HEADER_ERROR;
		goto out_unmap;
	}
	/* Delivered: the destination right is used up. */
	mbx_right_consume(&msg->dest);
	if (complex) {
		/*
		 * The rights are named already: a fault now consumes the
		 * message (its rights stay in the space, see PORT_NAMES; its
		 * out-of-line memory, whose address the receiver cannot
		 * learn, is unmapped).
		 */
		if (mbx_desc_write(msg, names, &ub, msg->size + trailer) ||
		    mbx_ubuf_write(&ub, MBX_HEADER_SIZE, msg->body,
				   msg->size - MBX_HEADER_SIZE) ||
		    (trailer && mbx_ubuf_write(&ub, msg->size, &tr, trailer))) {
			args->status = MAILBOX_RCV_INVALID_DATA;
			ret = -EFAULT;
			goto out_unmap;
		}
	}
	if (rewrite && mbx_ubuf_write(&ub, 0, &hdr, sizeof(hdr))) {
		args->status = MAILBOX_RCV_INVALID_DATA;
		ret = -EFAULT;
		goto out_unmap;
	}
	ret = body_err;
	args->status = ret ? MAILBOX_RCV_BODY_ERROR : MAILBOX_MSG_SUCCESS;
out_free:
	/* Dequeued for good, delivered whole (ret 0) or not. */
	trace_mailbox_receive(msg, port, ret);
	mbx_stat_add(MBX_STAT_TOTAL_RECEIVED, 1);
	mbx_msg_free(msg);
	kvfree(names);
out_put:
	if (port)
		mbx_port_put(port);
	if (pset)
		mbx_pset_put(pset);
out_ubuf:
	mbx_ubuf_free(&ub);
	return ret;

out_unmap:
	mbx_ool_unmap(msg);
	goto out_free;
out_requeue_body:
	kvfree(names);
	names = NULL;
	mbx_requeue(port, msg, seqno);
	args->status = MAILBOX_RCV_BODY_ERROR;
	goto out_put;
out_requeue_fault:
	mbx_requeue(port, msg, seqno);
	args->status = MAILBOX_RCV_INVALID_DATA;
	ret = -EFAULT;
	goto out_put;
}

/*
 * Check the receive options of @args and read its filter into @r before
 * anything is sent. Return: 0 or an errno with @args->status set.
 */
static int mbx_rcv_options(struct mailbox_msg *args, struct mbx_rcv *r)
{
	struct mailbox_rcv_filter *f = &r->filter;

	memset(r, 0, sizeof(*r));
	r->peek = args->options & MAILBOX_MSG_RCV_PEEK;
	r->filtered = args->options & MAILBOX_MSG_RCV_FILTER;
	if (!r->filtered)
		return args->rcv_filter ? -EINVAL : 0;
	if (copy_from_user(f, u64_to_user_ptr(args->rcv_filter), sizeof(*f))) {
		args->status = MAILBOX_RCV_INVALID_DATA;
		return -EFAULT;
	}
	if ((f->flags & ~MAILBOX_FILTER_ALL) || f->reserved ||
	    ((f->flags & MAILBOX_FILTER_ID) &&
	     ((u32)f->id_value & ~f->id_mask)) ||
	    ((f->flags & MAILBOX_FILTER_RANGE) && f->id_min > f->id_max) ||
	    ((f->flags & MAILBOX_FILTER_SENDER) && f->sender_pid <= 0))
		return -EINVAL;
	return 0;
}

/**
 * mbx_msg_run() - MAILBOX_IOC_MSG on arguments already copied in
 * @space: the caller's space
 * @args: the arguments; status and the receive outputs are set
 * @nonblock: O_NONBLOCK
 *
 * Return: 0 or the ioctl's errno.
 */
int mbx_msg_run(struct mbx_space *space, struct mailbox_msg *args,
		bool nonblock)
{
	struct mbx_rcv r;
	int ret = 0;

	args->status = MAILBOX_MSG_SUCCESS;
	if ((args->options & ~MAILBOX_MSG_OPTIONS_ALL) ||
	    !(args->options & (MAILBOX_MSG_SEND | MAILBOX_MSG_RCV)) ||
	    ((args->options & (MAILBOX_MSG_RCV_FILTER | MAILBOX_MSG_RCV_PEEK)) &&
	     !(args->options & MAILBOX_MSG_RCV)) ||
	    ((args->options & MAILBOX_MSG_SEND) &&
	     args->priority > MAILBOX_PRIO_MAX) ||
	    args->reserved) {
		args->status = MAILBOX_SEND_INVALID_OPTIONS;
		return -EINVAL;
	}
	ret = mbx_rcv_options(args, &r);
	if (ret) {
		if (ret == -EINVAL)
			args->status = MAILBOX_SEND_INVALID_OPTIONS;
		goto out_free;
	}

	if (args->options & MAILBOX_MSG_SEND) {
		ret = mbx_send(space, args, nonblock);
		if (ret)
			goto out_free;
		/* A reply ends its boost before the receive waits. */
		mbx_prio_settle();
	}
	if (args->options & MAILBOX_MSG_RCV)
		ret = mbx_receive(space, args, nonblock, &r);
out_free:
	mbx_snap_free(&r);
	return ret;
}

int mbx_ioctl_msg(struct mbx_space *space, void __user *uarg, bool nonblock)
{
	struct mailbox_msg args;
	int ret;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	ret = mbx_msg_run(space, &args, nonblock);
	if (copy_to_user(uarg, &args, sizeof(args)))
		return -EFAULT;
	return ret;
}
