// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox: port sets (MAILBOX_RIGHT_PORT_SET, MAILBOX_IOC_PORT_MOVE_MEMBER,
 * receive on a set).
 *
 * A set is created by PORT_ALLOCATE; its name's entry holds one reference.
 * A member port holds another (port->ext->pset) and the set holds one on
 * the port (pset->members), both dropped when the port leaves: by
 * MOVE_MEMBER, by the port's death (mbx_port_destroy()), by its receive
 * right leaving the space (mbx_pset_remove_port()) or by the set's
 * destruction (mbx_pset_destroy(), called once when the set's name goes).
 * Set receivers and ready fds hold references of their own; a destroyed set
 * stays, inactive and empty, until they let go.
 *
 * The ready list holds the members with queued messages, in the order they
 * became non-empty. It is kept exact under port->lock + pset->lock: a port
 * is on it exactly when it is a member and its queue is not empty. A set
 * receive takes the first port of the list, dequeues one message and, if
 * the port still has messages, moves it to the tail (of its priority, see
 * below), so the members are served in turn and the cost does not depend
 * on the number of members.
 *
 * Waits follow msg.c: set receivers wait exclusively on pset->wait, each
 * message queued on a member wakes one of them, and one that leaves without
 * a message, or takes one while more are ready, passes the wake-up on.
 * Peeks (RCV_PEEK) wait non-exclusively and pass nothing on.
 *
 * Priorities: the ready list is ordered by the priority of each member's
 * first message (ext->ready_prio), highest first, and within a priority
 * in the order above; so a set receive takes the highest-priority message
 * of all members, and members whose first messages have equal priorities
 * are served in turn. Keeping the order costs O(1) when priorities are
 * equal, else O(ready members of lower priority). A selective receive
 * (RCV_FILTER) takes the first match of the first ready member that has
 * one (mbx_pset_scan()); it waits non-exclusively, like a peek.
 *
 * Membership lives in the port's extension (struct mbx_port_ext,
 * internal.h): the members and ready lists link extensions, whose @port
 * leads back to the port. MOVE_MEMBER gives a port its extension first.
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
	pset->id = mbx_new_object_id();
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

/* @port's set, or NULL; port->lock (or, for a member, pset->lock) held. */
static struct mbx_pset *mbx_port_pset(struct mbx_port *port)
{
	return port->ext ? port->ext->pset : NULL;
}

/* Priority of @port's first message; port->lock held, queue not empty. */
static u8 mbx_port_head_prio(struct mbx_port *port)
{
	return list_first_entry(&port->msgs, struct mbx_msg, link)->priority;
}

/*
 * Put @port, off the list, on @pset's ready list behind every member whose
 * first message has its first message's priority or higher: O(1) when the
 * priorities are equal (the tail) or it is the highest (the head). Both
 * locks held.
 */
static void mbx_pset_ready_insert_locked(struct mbx_pset *pset,
					 struct mbx_port *port)
{
	struct mbx_port_ext *ext = port->ext, *pos;

	lockdep_assert_held(&pset->lock);
	ext->ready_prio = mbx_port_head_prio(port);
	pos = list_first_entry_or_null(&pset->ready, struct mbx_port_ext,
				       ready_link);
	if (pos && pos->ready_prio < ext->ready_prio) {
		list_add(&ext->ready_link, &pset->ready);
		return;
	}
	list_for_each_entry_reverse(pos, &pset->ready, ready_link)
		if (pos->ready_prio >= ext->ready_prio)
			break;
	/* pos is the list head itself if none was. */
	list_add(&ext->ready_link, &pos->ready_link);
}

/*
 * Take @port out of its set, if any. Return: the set it left; the caller
 * puts the set's reference and the set's reference on the port.
 */
static struct mbx_pset *mbx_pset_unlink_locked(struct mbx_port *port)
{
	struct mbx_pset *pset = mbx_port_pset(port);
	struct mbx_port_ext *ext = port->ext;

	lockdep_assert_held(&port->lock);
	if (!pset)
		return NULL;
	spin_lock(&pset->lock);
	list_del_init(&ext->member_link);
	pset->nmembers--;
	if (!list_empty(&ext->ready_link)) {
		list_del_init(&ext->ready_link);
		pset->nready--;
	}
	ext->pset = NULL;
	spin_unlock(&pset->lock);
	return pset;
}

/*
 * Make @port, named @name, a member of @pset; the caller gives a reference
 * on each to the other, and @port its extension. Return: 0, or -ENOENT if
 * @pset was destroyed.
 */
static int mbx_pset_link_locked(struct mbx_port *port, struct mbx_pset *pset,
				u32 name)
{
	struct mbx_port_ext *ext = port->ext;

	lockdep_assert_held(&port->lock);
	spin_lock(&pset->lock);
	if (!pset->active) {
		spin_unlock(&pset->lock);
		return -ENOENT;
	}
	ext->pset = pset;
	ext->member_name = name;
	list_add_tail(&ext->member_link, &pset->members);
	pset->nmembers++;
	if (!list_empty(&port->msgs)) {
		/* It joins with messages: they are ready now. */
		mbx_pset_ready_insert_locked(pset, port);
		pset->nready++;
		pset->gen++;
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
	*name = port->ext ? port->ext->member_name : 0;
	return mbx_pset_unlink_locked(port);
}

/* Undo mbx_pset_detach_locked(): @port rejoins @pset as @name. */
void mbx_pset_reattach_locked(struct mbx_port *port, struct mbx_pset *pset,
			      u32 name)
{
	/* The set's name is in the same space, whose lock the caller holds:
	 * it cannot have been destroyed meanwhile. @port, a member before,
	 * keeps its extension.
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
	struct mbx_port_ext *ext;
	struct mbx_port *port;

	spin_lock(&pset->lock);
	WARN_ON_ONCE(!pset->active);
	pset->active = false;
	spin_unlock(&pset->lock);

	for (;;) {
		spin_lock(&pset->lock);
		ext = list_first_entry_or_null(&pset->members,
					       struct mbx_port_ext, member_link);
		port = ext ? mbx_port_get(ext->port) : NULL;
		/* (the set's ref pins it) */
		spin_unlock(&pset->lock);
		if (!port)
			break;
		/* port->lock comes first: retake the set's lock under it. */
		spin_lock(&port->lock);
		if (mbx_port_pset(port) == pset) {
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
 * If @port is in a set, it joins the ready list (unless on it; if its
 * first message's priority rose, it moves up to its new place) and one set
 * receiver is woken.
 */
void mbx_pset_port_ready_locked(struct mbx_port *port)
{
	struct mbx_pset *pset = mbx_port_pset(port);

	lockdep_assert_held(&port->lock);
	if (!pset)
		return;
	spin_lock(&pset->lock);
	if (list_empty(&port->ext->ready_link)) {
		mbx_pset_ready_insert_locked(pset, port);
		pset->nready++;
	} else if (mbx_port_head_prio(port) > port->ext->ready_prio) {
		list_del(&port->ext->ready_link);
		mbx_pset_ready_insert_locked(pset, port);
	}
	pset->gen++;
	mbx_pset_wake_one_locked(pset);
	spin_unlock(&pset->lock);
}

/**
 * mbx_pset_port_dequeued_locked() - a message left @port's queue
 * @port: the port, locked
 *
 * A member whose queue is now empty leaves the ready list; one whose first
 * message now has a lower priority moves down to its new place.
 */
void mbx_pset_port_dequeued_locked(struct mbx_port *port)
{
	struct mbx_pset *pset = mbx_port_pset(port);
	bool empty;

	lockdep_assert_held(&port->lock);
	if (!pset)
		return;
	empty = list_empty(&port->msgs);
	if (!empty && mbx_port_head_prio(port) == port->ext->ready_prio)
		return;
	spin_lock(&pset->lock);
	if (!list_empty(&port->ext->ready_link)) {
		list_del_init(&port->ext->ready_link);
		if (empty)
			pset->nready--;
		else
			mbx_pset_ready_insert_locked(pset, port);
	}
	spin_unlock(&pset->lock);
}

/*
 * Served @port (locked, still non-empty): it goes behind the other members
 * whose first message has the same priority.
 */
void mbx_pset_rotate_locked(struct mbx_port *port, struct mbx_pset *pset)
{
	lockdep_assert_held(&port->lock);
	if (mbx_port_pset(port) != pset || list_empty(&port->msgs))
		return;
	spin_lock(&pset->lock);
	if (!list_empty(&port->ext->ready_link)) {
		list_del(&port->ext->ready_link);
		mbx_pset_ready_insert_locked(pset, port);
	}
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
		*pset = mbx_pset_get(mbx_entry_pset(entry));
	else
		ret = -EPERM;
	mutex_unlock(&space->lock);
	return ret;
}

/* As mbx_wait_locked() in msg.c, on a set. 0, -ETIMEDOUT or -EINTR. */
static int mbx_pset_wait_locked(struct mbx_pset *pset, struct mbx_timeout *t,
				bool shared)
	__must_hold(&pset->lock)
{
	DEFINE_WAIT(wait);
	int ret = 0;

	lockdep_assert_held(&pset->lock);
	if (shared)
		prepare_to_wait(&pset->wait, &wait, TASK_INTERRUPTIBLE);
	else
		prepare_to_wait_exclusive(&pset->wait, &wait,
					  TASK_INTERRUPTIBLE);
	spin_unlock(&pset->lock);
	mbx_wait_begin(pset->id, false);
	if (t->forever) {
		schedule();
	} else if (!schedule_hrtimeout_range(&t->deadline,
					     current->timer_slack_ns,
					     HRTIMER_MODE_ABS)) {
		ret = -ETIMEDOUT;
	}
	mbx_wait_end(pset->id, false, ret);
	finish_wait(&pset->wait, &wait);
	spin_lock(&pset->lock);
	if (!ret && signal_pending(current))
		ret = -EINTR;
	return ret;
}

/*
 * Try to take a message of @port, which was first on @pset's ready list.
 * Return: the message (a peek: its copy); NULL to look at the ready list
 * again (the port left the set or was emptied meanwhile, or the buffer was
 * just faulted in); an ERR_PTR with @args->status and @args->rcv_size set.
 */
static struct mbx_msg *mbx_pset_take(struct mbx_pset *pset,
				     struct mbx_port *port,
				     struct mailbox_msg *args,
				     const struct mbx_ubuf *ub, u32 trailer,
				     struct mbx_rcv *r, u32 *seqno)
{
	struct mbx_msg *msg;

	spin_lock(&port->lock);
	msg = mbx_rcv_find_locked(port, r);
	if (mbx_port_pset(port) != pset || !msg) {
		spin_unlock(&port->lock);
		return NULL;
	}
	return mbx_rcv_take_locked(port, msg, args, ub, trailer, r, pset,
				   seqno);
}

/*
 * RCV_FILTER on a set: the first match of the first ready member that has
 * one, members in ready-list order. The ready members are taken (with
 * references) under pset->lock, then each is scanned under its own lock
 * (port->lock comes first, so not both). pset->gen counts messages made
 * ready on members: if it did not move since the snapshot, nothing that
 * could match arrived, and the caller may sleep without holding the lock
 * in between. Cost: O(ready members + their messages) per scan.
 *
 * Called and returns with pset->lock held. Return: the message (a peek:
 * its copy) with *@port (a reference) and *@local set; NULL if nothing
 * matches; or an ERR_PTR with @args->status set.
 */
static struct mbx_msg *mbx_pset_scan(struct mbx_pset *pset,
				     struct mailbox_msg *args,
				     const struct mbx_ubuf *ub, u32 trailer,
				     struct mbx_rcv *r, u32 *seqno,
				     struct mbx_port **port, u32 *local)
	__must_hold(&pset->lock)
{
	struct mbx_port **v, *member;
	struct mbx_port_ext *ext;
	struct mbx_msg *msg = NULL;
	u32 gen, n, i, k;

again:
	gen = pset->gen;
	n = pset->nready;
	if (!n)
		return NULL;
	spin_unlock(&pset->lock);
	v = kvmalloc_array(n, sizeof(*v), GFP_KERNEL_ACCOUNT);
	spin_lock(&pset->lock);
	if (!v) {
		args->status = MAILBOX_RCV_BODY_ERROR;
		return ERR_PTR(-ENOMEM);
	}
	if (pset->gen != gen || pset->nready > n || !pset->active) {
		spin_unlock(&pset->lock);
		kvfree(v);
		spin_lock(&pset->lock);
		if (!pset->active)
			return NULL;	/* the caller sees it */
		goto again;
	}
	n = 0;
	list_for_each_entry(ext, &pset->ready, ready_link)
		v[n++] = mbx_port_get(ext->port);
	spin_unlock(&pset->lock);

	for (i = 0; i < n && !msg; i++) {
		member = v[i];
		spin_lock(&member->lock);
		msg = mbx_port_pset(member) == pset ?
		      mbx_rcv_find_locked(member, r) : NULL;
		if (!msg) {
			spin_unlock(&member->lock);
			continue;
		}
		*local = member->ext->member_name;
		msg = mbx_rcv_take_locked(member, msg, args, ub, trailer, r,
					  pset, seqno);
		if (!msg)
			msg = ERR_PTR(-EAGAIN);	/* lock was dropped: rescan */
		else if (!IS_ERR(msg))
			*port = mbx_port_get(member);
	}
	for (k = 0; k < n; k++)
		mbx_port_put(v[k]);
	kvfree(v);
	spin_lock(&pset->lock);
	if (msg == ERR_PTR(-EAGAIN) || (!msg && pset->gen != gen)) {
		msg = NULL;
		goto again;
	}
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
 * @r: filter, peek and fault-in state
 *
 * Return: the dequeued message of the member that became ready first, or
 * an ERR_PTR (-EPIPE when the set is destroyed, -EAGAIN, -ETIMEDOUT,
 * -EINTR, -EMSGSIZE, -EFAULT) with @args->status set and *@port NULL.
 */
struct mbx_msg *mbx_pset_receive_wait(struct mbx_pset *pset,
				      struct mailbox_msg *args,
				      const struct mbx_ubuf *ub, u32 trailer,
				      struct mbx_timeout *t, u32 *seqno,
				      struct mbx_port **port, u32 *local,
				      struct mbx_rcv *r)
{
	struct mbx_port_ext *ext;
	struct mbx_port *member;
	struct mbx_msg *msg = NULL;
	bool spun = false;
	int ret = 0;

	*port = NULL;
	spin_lock(&pset->lock);
	for (;;) {
		if (!pset->active) {
			args->status = MAILBOX_RCV_PORT_DIED;
			ret = -EPIPE;
			break;
		}
		if (r->filtered) {
			msg = mbx_pset_scan(pset, args, ub, trailer, r, seqno,
					    port, local);
			if (IS_ERR(msg)) {
				ret = PTR_ERR(msg);
				msg = NULL;
				break;
			}
			if (msg)
				break;
			if (!pset->active)
				continue;
			member = NULL;
		} else {
			ext = list_first_entry_or_null(&pset->ready,
						       struct mbx_port_ext,
						       ready_link);
			member = ext ? ext->port : NULL;
		}
		if (member) {
			mbx_port_get(member);
			*local = member->ext->member_name;
			spin_unlock(&pset->lock);
			msg = mbx_pset_take(pset, member, args, ub, trailer,
					    r, seqno);
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
		/* Once per call, as on a port (msg.c). */
		if (!spun) {
			u32 us = READ_ONCE(pset->spin_us);

			spun = true;
			if (us) {
				mbx_spin(&pset->lock, NULL, pset, NULL, us, t);
				continue;
			}
		}
		ret = mbx_pset_wait_locked(pset, t, r->peek || r->filtered);
	}
	/*
	 * Leaving without a message, or with one while others are ready:
	 * pass on a wake-up we may have taken (a peek or selective receive
	 * waits non-exclusively and takes none).
	 */
	if (!r->peek && !r->filtered && pset->active &&
	    !list_empty(&pset->ready))
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
		new = mbx_entry_pset(after);
	}

	port = member->port;
	/*
	 * Joining needs the port's extension. Today's MOVE_MEMBER cannot fail
	 * for want of memory, so this small allocation does not either.
	 */
	if (new)
		mbx_port_ext_get(port, GFP_KERNEL_ACCOUNT | __GFP_NOFAIL);
	spin_lock(&port->lock);
	if (mbx_port_pset(port) == new) {
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
