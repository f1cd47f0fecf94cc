// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox: port sets (MAILBOX_RIGHT_PORT_SET, MAILBOX_IOC_PORT_MOVE_MEMBER,
 * receive on a set).
 *
 * A set is created by PORT_ALLOCATE; its name's entry holds one reference.
 * A member port holds another (port->pset) and the set holds one on the port
 * (pset->members), both dropped when the port leaves: by MOVE_MEMBER, by the
 * port's death (mbx_port_destroy()), by its receive right leaving the space
 * (mbx_pset_remove_port()) or by the set's destruction (mbx_pset_destroy(),
 * called once when the set's name goes). Set receivers and ready fds hold
 * references of their own; a destroyed set stays, inactive and empty, until
 * they let go.
 *
 * The ready list holds the members with queued messages, in the order they
 * became non-empty. It is kept exact under port->lock + pset->lock: a port
 * is on it exactly when it is a member and its queue is not empty. A set
 * receive takes the first port of the list, dequeues one message and, if
 * the port still has messages, moves it to the tail, so the members are
 * served in turn and the cost does not depend on the number of members.
 *
 * Waits follow msg.c: set receivers wait exclusively on pset->wait, each
 * message queued on a member wakes one of them, and one that leaves without
 * a message, or takes one while more are ready, passes the wake-up on.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hrtimer.h>
#include <linux/pagemap.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "internal.h"

struct mbx_pset *mbx_pset_alloc(void)
{
	struct mbx_pset *pset;

	pset = kzalloc(sizeof(*pset), GFP_KERNEL_ACCOUNT);
	if (!pset)
		return NULL;
	refcount_set(&pset->ref, 1);
	spin_lock_init(&pset->lock);
	pset->active = true;
	INIT_LIST_HEAD(&pset->members);
	INIT_LIST_HEAD(&pset->ready);
	init_waitqueue_head(&pset->wait);
	mbx_stat_add(MBX_STAT_PSETS, 1);
	return pset;
}

void mbx_pset_put(struct mbx_pset *pset)
{
	if (!refcount_dec_and_test(&pset->ref))
		return;
	WARN_ON_ONCE(pset->nmembers || !list_empty(&pset->ready));
	kfree(pset);
	mbx_stat_add(MBX_STAT_PSETS, -1);
}

/* Wake one set receiver (and every poller); waiters queue under @lock. */
static void mbx_pset_wake_one_locked(struct mbx_pset *pset)
{
	lockdep_assert_held(&pset->lock);
	/* Race-free: waiters and pollers queue or look under pset->lock. */
	if (waitqueue_active(&pset->wait))
		wake_up_interruptible(&pset->wait);
}

/*
 * Take @port out of its set, if any. Return: the set it left; the caller
 * puts the set's reference and the set's reference on the port.
 */
static struct mbx_pset *mbx_pset_unlink_locked(struct mbx_port *port)
{
	struct mbx_pset *pset = port->pset;

	lockdep_assert_held(&port->lock);
	if (!pset)
		return NULL;
	spin_lock(&pset->lock);
	list_del_init(&port->member_link);
	pset->nmembers--;
	if (!list_empty(&port->ready_link)) {
		list_del_init(&port->ready_link);
		pset->nready--;
	}
	port->pset = NULL;
	spin_unlock(&pset->lock);
	return pset;
}

/*
 * Make @port, named @name, a member of @pset; the caller gives a reference
 * on each to the other. Return: 0, or -ENOENT if @pset was destroyed.
 */
static int mbx_pset_link_locked(struct mbx_port *port, struct mbx_pset *pset,
				u32 name)
{
	lockdep_assert_held(&port->lock);
	spin_lock(&pset->lock);
	if (!pset->active) {
		spin_unlock(&pset->lock);
		return -ENOENT;
	}
	port->pset = pset;
	port->member_name = name;
	list_add_tail(&port->member_link, &pset->members);
	pset->nmembers++;
	if (!list_empty(&port->msgs)) {
		/* It joins with messages: they are ready now. */
		list_add_tail(&port->ready_link, &pset->ready);
		pset->nready++;
		mbx_pset_wake_one_locked(pset);
	}
	spin_unlock(&pset->lock);
	return 0;
}

/**
 * mbx_pset_detach_locked() - a receive right in @port's set leaves its space
 * @port: the port, locked
 * @name: set to the member's name
 *
 * Return: the set @port left (NULL if none), still holding the references
 * the set and @port had on each other: give them back with
 * mbx_pset_reattach_locked() (undo) or drop them (commit).
 */
struct mbx_pset *mbx_pset_detach_locked(struct mbx_port *port, u32 *name)
{
	*name = port->member_name;
	return mbx_pset_unlink_locked(port);
}

/* Undo mbx_pset_detach_locked(): @port rejoins @pset as @name. */
void mbx_pset_reattach_locked(struct mbx_port *port, struct mbx_pset *pset,
			      u32 name)
{
	/* The set's name is in the same space, whose lock the caller holds:
	 * it cannot have been destroyed meanwhile.
	 */
	WARN_ON_ONCE(mbx_pset_link_locked(port, pset, name));
}

/**
 * mbx_pset_remove_port() - take a port out of its port set
 * @port: the port; the caller holds a reference
 *
 * Called when the port dies or its receive right leaves the space that
 * holds the set. Nothing happens if the port is in no set.
 */
void mbx_pset_remove_port(struct mbx_port *port)
{
	struct mbx_pset *pset;

	spin_lock(&port->lock);
	pset = mbx_pset_unlink_locked(port);
	spin_unlock(&port->lock);
	if (pset) {
		mbx_pset_put(pset);
		mbx_port_put(port);
	}
}

/**
 * mbx_pset_destroy() - the name of @pset is being destroyed
 * @pset: an active set; the caller's reference stays the caller's
 *
 * Every member leaves the set (keeping its receive right and messages) and
 * every set receiver wakes and fails with EPIPE.
 */
void mbx_pset_destroy(struct mbx_pset *pset)
{
	struct mbx_port *port;

	spin_lock(&pset->lock);
	WARN_ON_ONCE(!pset->active);
	pset->active = false;
	spin_unlock(&pset->lock);

	for (;;) {
		spin_lock(&pset->lock);
		port = list_first_entry_or_null(&pset->members, struct mbx_port,
						member_link);
		if (port)
			mbx_port_get(port);	/* the set's ref pins it */
		spin_unlock(&pset->lock);
		if (!port)
			break;
		/* port->lock comes first: retake the set's lock under it. */
		spin_lock(&port->lock);
		if (port->pset == pset) {
			mbx_pset_unlink_locked(port);
			spin_unlock(&port->lock);
			mbx_pset_put(pset);
			mbx_port_put(port);
		} else {
			spin_unlock(&port->lock);
		}
		mbx_port_put(port);
	}
	wake_up_all(&pset->wait);
}

/**
 * mbx_pset_port_ready_locked() - a message was queued on @port
 * @port: the port, locked
 *
 * If @port is in a set, it joins the ready list (unless on it) and one set
 * receiver is woken.
 */
void mbx_pset_port_ready_locked(struct mbx_port *port)
{
	struct mbx_pset *pset = port->pset;

	lockdep_assert_held(&port->lock);
	if (!pset)
		return;
	spin_lock(&pset->lock);
	if (list_empty(&port->ready_link)) {
		list_add_tail(&port->ready_link, &pset->ready);
		pset->nready++;
	}
	mbx_pset_wake_one_locked(pset);
	spin_unlock(&pset->lock);
}

/**
 * mbx_pset_port_dequeued_locked() - a message left @port's queue
 * @port: the port, locked
 *
 * A member whose queue is now empty leaves the ready list.
 */
void mbx_pset_port_dequeued_locked(struct mbx_port *port)
{
	struct mbx_pset *pset = port->pset;

	lockdep_assert_held(&port->lock);
	if (!pset || !list_empty(&port->msgs))
		return;
	spin_lock(&pset->lock);
	if (!list_empty(&port->ready_link)) {
		list_del_init(&port->ready_link);
		pset->nready--;
	}
	spin_unlock(&pset->lock);
}

/* Served @port (locked, still non-empty): it goes behind the others. */
static void mbx_pset_rotate_locked(struct mbx_port *port,
				   struct mbx_pset *pset)
{
	lockdep_assert_held(&port->lock);
	if (port->pset != pset || list_empty(&port->msgs))
		return;
	spin_lock(&pset->lock);
	if (!list_empty(&port->ready_link))
		list_move_tail(&port->ready_link, &pset->ready);
	spin_unlock(&pset->lock);
}

int mbx_pset_mod_refs_locked(struct mbx_space *space, struct mbx_entry *entry,
			     s32 delta)
{
	lockdep_assert_held(&space->lock);
	if (!(entry->type & MAILBOX_PORT_TYPE_PORT_SET))
		return -EPERM;
	if (delta == -1)
		return mbx_destroy_entry_rights_locked(space, entry);
	return delta ? -EINVAL : 0;
}

/**
 * mbx_receive_source() - what MAILBOX_IOC_MSG receives from
 * @space: the caller's space
 * @name: the receive name
 * @port: set to the port, with a reference, for a receive right
 * @pset: set to the set, with a reference, for a port set
 *
 * Return: 0 (exactly one of @port and @pset set), -ENOENT (no such name)
 * or -EPERM (neither a receive right nor a port set).
 */
int mbx_receive_source(struct mbx_space *space, u32 name,
		       struct mbx_port **port, struct mbx_pset **pset)
{
	struct mbx_entry *entry;
	int ret = 0;

	*port = NULL;
	*pset = NULL;
	mutex_lock(&space->lock);
	entry = mbx_lookup_locked(space, name);
	if (!entry)
		ret = -ENOENT;
	else if (entry->type & MAILBOX_PORT_TYPE_RECEIVE)
		*port = mbx_port_get(entry->port);
	else if (entry->type & MAILBOX_PORT_TYPE_PORT_SET)
		*pset = mbx_pset_get(entry->pset);
	else
		ret = -EPERM;
	mutex_unlock(&space->lock);
	return ret;
}

/* As mbx_wait_locked() in msg.c, on a set. 0, -ETIMEDOUT or -EINTR. */
static int mbx_pset_wait_locked(struct mbx_pset *pset, struct mbx_timeout *t)
	__must_hold(&pset->lock)
{
	DEFINE_WAIT(wait);
	int ret = 0;

	lockdep_assert_held(&pset->lock);
	prepare_to_wait_exclusive(&pset->wait, &wait, TASK_INTERRUPTIBLE);
	spin_unlock(&pset->lock);
	if (t->forever) {
		schedule();
	} else if (!schedule_hrtimeout_range(&t->deadline,
					     current->timer_slack_ns,
					     HRTIMER_MODE_ABS)) {
		ret = -ETIMEDOUT;
	}
	finish_wait(&pset->wait, &wait);
	spin_lock(&pset->lock);
	if (!ret && signal_pending(current))
		ret = -EINTR;
	return ret;
}

/*
 * Try to take a message of @port, which was first on @pset's ready list.
 * Return: the message; NULL to look at the ready list again (the port left
 * the set or was emptied meanwhile, or the buffer was just faulted in); an
 * ERR_PTR with @args->status and @args->rcv_size set.
 */
static struct mbx_msg *mbx_pset_take(struct mbx_pset *pset,
				     struct mbx_port *port,
				     struct mailbox_msg *args,
				     const struct mbx_ubuf *ub, u32 trailer,
				     u32 *faulted, u32 *seqno)
{
	struct mbx_msg *msg;
	LIST_HEAD(fire);
	u32 needed;

	spin_lock(&port->lock);
	msg = list_first_entry_or_null(&port->msgs, struct mbx_msg, link);
	if (port->pset != pset || !msg) {
		spin_unlock(&port->lock);
		return NULL;
	}
	needed = msg->size + trailer + msg->ool_bytes;
	if (needed > args->rcv_size) {
		args->rcv_size = needed;
		args->status = MAILBOX_RCV_TOO_LARGE;
		if (args->options & MAILBOX_MSG_RCV_LARGE) {
			/* Stays queued; the caller passes the wake-up on. */
			spin_unlock(&port->lock);
			return ERR_PTR(-EMSGSIZE);
		}
		msg = mbx_dequeue_locked(port, seqno, &fire);
		mbx_pset_rotate_locked(port, pset);
		mbx_dequeue_done(port, &fire);
		mbx_msg_destroy(msg);
		return ERR_PTR(-EMSGSIZE);
	}
	if (*faulted < needed) {
		/* Make the buffer present, so the copy cannot fail. */
		spin_unlock(&port->lock);
		if (mbx_ubuf_fault_in(ub, needed)) {
			args->status = MAILBOX_RCV_INVALID_DATA;
			return ERR_PTR(-EFAULT);
		}
		*faulted = needed;
		return NULL;
	}
	msg = mbx_dequeue_locked(port, seqno, &fire);
	mbx_pset_rotate_locked(port, pset);
	mbx_dequeue_done(port, &fire);
	return msg;
}

/**
 * mbx_pset_receive_wait() - receive on a port set
 * @pset: the set, with the caller's reference
 * @args: the MAILBOX_IOC_MSG arguments (rcv_size, options; status set)
 * @ub: the receive buffer
 * @trailer: bytes of trailer wanted
 * @t: how long to wait
 * @seqno: set to the message's sequence number on its port
 * @port: set to the member the message came from, with a reference
 * @local: set to that member's name
 *
 * Return: the dequeued message of the member that became ready first, or
 * an ERR_PTR (-EPIPE when the set is destroyed, -EAGAIN, -ETIMEDOUT,
 * -EINTR, -EMSGSIZE, -EFAULT) with @args->status set and *@port NULL.
 */
struct mbx_msg *mbx_pset_receive_wait(struct mbx_pset *pset,
				      struct mailbox_msg *args,
				      const struct mbx_ubuf *ub, u32 trailer,
				      struct mbx_timeout *t, u32 *seqno,
				      struct mbx_port **port, u32 *local)
{
	struct mbx_port *member;
	struct mbx_msg *msg = NULL;
	u32 faulted = 0;
	int ret = 0;

	*port = NULL;
	spin_lock(&pset->lock);
	for (;;) {
		if (!pset->active) {
			args->status = MAILBOX_RCV_PORT_DIED;
			ret = -EPIPE;
			break;
		}
		member = list_first_entry_or_null(&pset->ready,
						  struct mbx_port, ready_link);
		if (member) {
			mbx_port_get(member);
			*local = member->member_name;
			spin_unlock(&pset->lock);
			msg = mbx_pset_take(pset, member, args, ub, trailer,
					    &faulted, seqno);
			if (msg && !IS_ERR(msg)) {
				*port = member;
				spin_lock(&pset->lock);
				break;
			}
			mbx_port_put(member);
			spin_lock(&pset->lock);
			if (IS_ERR(msg)) {
				ret = PTR_ERR(msg);
				msg = NULL;
				break;
			}
			continue;
		}
		ret = mbx_rcv_give_up(args, ret, t);
		if (ret)
			break;
		ret = mbx_pset_wait_locked(pset, t);
	}
	/*
	 * Leaving without a message, or with one while others are ready:
	 * pass on a wake-up we may have taken.
	 */
	if (pset->active && !list_empty(&pset->ready))
		mbx_pset_wake_one_locked(pset);
	spin_unlock(&pset->lock);
	return msg ? msg : ERR_PTR(ret);
}

/* fdinfo: the set's counters, no kernel addresses. */
void mbx_pset_show(struct seq_file *m, struct mbx_pset *pset)
{
	spin_lock(&pset->lock);
	seq_printf(m, " members:%u ready:%u", pset->nmembers, pset->nready);
	spin_unlock(&pset->lock);
}

int mbx_ioctl_move_member(struct mbx_space *space, void __user *uarg)
{
	struct mailbox_port_move_member args;
	struct mbx_entry *member, *after = NULL;
	struct mbx_pset *old = NULL, *new = NULL;
	struct mbx_port *port;
	int ret = 0;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.flags || args.reserved)
		return -EINVAL;

	mutex_lock(&space->lock);
	member = mbx_lookup_locked(space, args.member);
	if (!member) {
		ret = -ENOENT;
		goto out_unlock;
	}
	if (!(member->type & MAILBOX_PORT_TYPE_RECEIVE)) {
		ret = -EPERM;
		goto out_unlock;
	}
	if (args.after != MAILBOX_PORT_NULL) {
		after = mbx_lookup_locked(space, args.after);
		if (!after) {
			ret = -ENOENT;
			goto out_unlock;
		}
		if (!(after->type & MAILBOX_PORT_TYPE_PORT_SET)) {
			ret = -EPERM;
			goto out_unlock;
		}
		new = after->pset;
	}

	port = member->port;
	spin_lock(&port->lock);
	if (port->pset == new) {
		/* Already there (keeps its place), or in no set and NULL. */
		spin_unlock(&port->lock);
		ret = new ? 0 : -ENXIO;
		goto out_unlock;
	}
	old = mbx_pset_unlink_locked(port);
	if (new) {
		ret = mbx_pset_link_locked(port, mbx_pset_get(new),
					   member->name);
		if (ret)
			mbx_pset_put(new);
		else if (!old)
			mbx_port_get(port);	/* the new set's reference */
	}
	spin_unlock(&port->lock);
	mutex_unlock(&space->lock);
	if (old) {
		mbx_pset_put(old);
		/* The port's reference moved to the new set, if any. */
		if (!new || ret)
			mbx_port_put(port);
	}
	return ret;

out_unlock:
	mutex_unlock(&space->lock);
	return ret;
}
