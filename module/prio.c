// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox: priority inheritance over send-once reply rights.
 *
 * A port with MAILBOX_PORT_FLAG_PRIO_INHERIT lends the priority of its
 * clients to its server threads, for the QNX/Mach RPC pattern: a client
 * sends a request carrying a send-once reply right and waits for the reply.
 * The sender's scheduling priority is captured when such a message is sent
 * (mbx_prio_capture()). When a thread receives it from a PI port and the
 * sender's priority is higher than the thread's own, the send-once right's
 * new entry gets a boost (struct mbx_boost) and the thread runs at the
 * highest priority among its own and its active boosts. A boost ends when
 * its send-once right leaves the thread's space in any way - used to send
 * the reply, moved away in a message, inserted elsewhere or exported,
 * deallocated or destroyed, turned into a dead name, or the space closed -
 * or when the reply port dies (the client is gone). A thread with several
 * boosts (nested or concurrent requests) runs at their maximum and returns
 * to its own priority when the last one ends. A thread that exits while
 * boosted simply stops; its records go when the rights do.
 *
 * Priorities compare as: SCHED_FIFO/RR by rt priority, above SCHED_NORMAL/
 * BATCH by nice, above SCHED_IDLE. SCHED_DEADLINE is outside the order: a
 * deadline sender lends nothing and a deadline thread is never boosted.
 * A boost applies the sender's policy and priority (SCHED_FIFO 50 makes the
 * server SCHED_FIFO 50; nice -5 makes it SCHED_NORMAL nice -5) with
 * SCHED_FLAG_RESET_ON_FORK, so children forked while boosted do not keep it.
 *
 * The thread's own priority ("base") is read when it gets its first boost.
 * If its policy or rt priority (nice, for a fair policy) is changed by
 * someone else while boosted - it then differs from what this file last set
 * - the change is taken as the thread's new base at the next boost change:
 * the thread runs at max(new base, active boosts) and returns to the new
 * base, not the old one, when the last boost ends (as an rt_mutex's owner
 * does after sched_setattr()).
 *
 * Objects and lifetime:
 *  - struct mbx_prio_task: one per boosted thread, in mbx_prio_tasks while
 *    it has boosts or a pending change. Holds a task_struct reference
 *    (get_task_struct()), so an exited thread's pointer never dangles; freed
 *    (put_task_struct()) by mbx_prio_settle() once its last boost ended and
 *    its base priority is back.
 *  - struct mbx_boost: owned by the send-once entry (entry->x->boost, under
 *    space->lock); freed when the entry goes or stops being a send-once
 *    right (__mbx_prio_entry_gone()). While active it is on its
 *    mbx_prio_task's list; mbx_prio_port_died() may end it earlier (it stays
 *    owned by the entry). @port is only compared, never dereferenced: an
 *    active boost's port is still referenced by its entry.
 *
 * Locking: mbx_prio_lock (spinlock) guards the records; it is a leaf, taken
 * under space->lock (and mbx_transit_lock) or alone, never with a port or
 * set lock. Priority changes are made by mbx_prio_settle() with no lock
 * held at all: the scheduler must not be called under a spinlock
 * (sched_setattr_nocheck() may sleep in cpuset_lock() for deadline tasks),
 * and lowering a thread's priority under any lock - space->lock, or a
 * mutex serialising the changes - could let a medium thread preempt it
 * while a high-priority one waits for that lock: the very inversion this
 * file is about. Boost changes therefore only mark their thread dirty
 * (mbx_prio_mark_locked(), recording which thread marked it), and every
 * entry point calls mbx_prio_settle() on its way out: the ioctl dispatcher,
 * the send phase of a send + receive (so a server that replies and waits
 * for the next request drops its boost before it sleeps) and release().
 * mbx_prio_settle() applies what the calling thread marked, so a thread
 * returns from the ioctl that received a request boosted and from the one
 * that replied unboosted, and never waits for another thread. One record is
 * applied by one thread at a time (@applying); a change marked meanwhile is
 * applied by that same thread before it lets go.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hashtable.h>
#include <linux/sched.h>
#include <linux/sched/prio.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <uapi/linux/sched/types.h>

#include "internal.h"

struct mbx_prio_task {
	struct hlist_node hash;		/* in mbx_prio_tasks (mbx_prio_lock) */
	struct list_head dirty;		/* on mbx_prio_dirty, or empty
					 * (mbx_prio_lock)
					 */
	struct task_struct *task;	/* (set at creation) reference held */
	struct list_head boosts;	/* (mbx_prio_lock) active boosts */
	struct mbx_sched base;		/* (mbx_prio_lock) its own priority */
	bool reset_on_fork;		/* (set at creation) its own flag */
	struct task_struct *marker;	/* (mbx_prio_lock) the thread that
					 * marked it dirty last; compared only
					 */
	bool applying;			/* (mbx_prio_lock) a settle owns it */
	struct mbx_sched applied;	/* (owner while @applying) last set */
	bool boosted;			/* (owner while @applying) @applied is
					 * a boost
					 */
};

struct mbx_boost {
	struct list_head link;		/* in pt->boosts while active */
	struct mbx_prio_task *pt;	/* (mbx_prio_lock) NULL once ended */
	struct mbx_port *port;		/* (set at start) the reply port */
	struct mbx_sched prio;		/* (set at start) the sender's */
};

static DEFINE_SPINLOCK(mbx_prio_lock);
static DEFINE_HASHTABLE(mbx_prio_tasks, 6);	/* (mbx_prio_lock) */
static LIST_HEAD(mbx_prio_dirty);		/* (mbx_prio_lock) */
/* Dirty records: mbx_prio_settle() has nothing to do at 0. */
static atomic_t mbx_prio_ndirty = ATOMIC_INIT(0);
/* Active boosts: mbx_prio_port_died() has nothing to do at 0. */
static atomic_t mbx_prio_active = ATOMIC_INIT(0);

static bool mbx_sched_rt(u8 policy)
{
	return policy == SCHED_FIFO || policy == SCHED_RR;
}

/* Higher is more urgent; deadline is above everything. */
static int mbx_sched_rank(const struct mbx_sched *s)
{
	switch (s->policy) {
	case SCHED_FIFO:
	case SCHED_RR:
		return 200 + s->rt_priority;
	case SCHED_NORMAL:
	case SCHED_BATCH:
		return 100 + 19 - s->nice;
	case SCHED_IDLE:
		return 0;
	default:
		return INT_MAX;
	}
}

static bool mbx_sched_equal(const struct mbx_sched *a,
			    const struct mbx_sched *b)
{
	if (a->policy != b->policy)
		return false;
	if (mbx_sched_rt(a->policy))
		return a->rt_priority == b->rt_priority;
	return a->nice == b->nice;
}

static void mbx_sched_of(struct task_struct *p, struct mbx_sched *s)
{
	s->policy = READ_ONCE(p->policy);
	s->rt_priority = READ_ONCE(p->rt_priority);
	s->nice = task_nice(p);
	s->valid = true;
}

/**
 * mbx_prio_capture() - remember the sender's priority in @msg
 * @msg: a message being sent by current
 * @reply_disposition: the header's reply (local) disposition
 *
 * Only a message carrying a send-once reply right can lend its priority.
 */
void mbx_prio_capture(struct mbx_msg *msg, u32 reply_disposition)
{
	msg->prio.valid = false;
	if (reply_disposition != MAILBOX_MSG_TYPE_MAKE_SEND_ONCE &&
	    reply_disposition != MAILBOX_MSG_TYPE_MOVE_SEND_ONCE)
		return;
	mbx_sched_of(current, &msg->prio);
	if (mbx_sched_rank(&msg->prio) == INT_MAX)
		msg->prio.valid = false;	/* SCHED_DEADLINE lends nothing */
}

/**
 * mbx_prio_prepare() - allocate what a boost for @msg may need
 * @msg: a message being received by current, still carrying its rights
 * @pp: zeroed by the caller; filled when @msg may boost
 *
 * Called before space->lock is taken. If the allocation fails the message
 * is delivered without a boost.
 */
void mbx_prio_prepare(struct mbx_msg *msg, struct mbx_prio_prep *pp)
{
	if (!msg->prio.valid || !msg->reply.port ||
	    msg->reply.type != MAILBOX_MSG_TYPE_PORT_SEND_ONCE ||
	    !(READ_ONCE(msg->dest.port->flags) &
	      MAILBOX_PORT_FLAG_PRIO_INHERIT))
		return;
	pp->boost = kzalloc(sizeof(*pp->boost), GFP_KERNEL_ACCOUNT);
	pp->pt = kzalloc(sizeof(*pp->pt), GFP_KERNEL_ACCOUNT);
	/* The reply's entry is new: it has no extension yet. */
	pp->x = kzalloc(sizeof(*pp->x), GFP_KERNEL_ACCOUNT);
	if (pp->boost)
		pp->boost->prio = msg->prio;
}

void mbx_prio_unprepare(struct mbx_prio_prep *pp)
{
	kfree(pp->boost);
	kfree(pp->pt);
	kfree(pp->x);
}

static struct mbx_prio_task *mbx_prio_find_locked(struct task_struct *p)
{
	struct mbx_prio_task *pt;

	lockdep_assert_held(&mbx_prio_lock);
	hash_for_each_possible(mbx_prio_tasks, pt, hash, (unsigned long)p)
		if (pt->task == p)
			return pt;
	return NULL;
}

/* @pt's priority must be recomputed by mbx_prio_settle(). */
static void mbx_prio_mark_locked(struct mbx_prio_task *pt)
{
	lockdep_assert_held(&mbx_prio_lock);
	pt->marker = current;
	if (list_empty(&pt->dirty)) {
		list_add_tail(&pt->dirty, &mbx_prio_dirty);
		atomic_inc(&mbx_prio_ndirty);
	}
}

/**
 * mbx_prio_boost_locked() - boost current for the send-once right @name
 * @space: current's space, locked; @name was just copied out into it
 * @name: the reply right's name
 * @pp: from mbx_prio_prepare(); what it uses is set to NULL
 */
void mbx_prio_boost_locked(struct mbx_space *space, u32 name,
			   struct mbx_prio_prep *pp)
{
	struct mbx_boost *b = pp->boost;
	struct mbx_prio_task *pt;
	struct mbx_entry *entry;

	lockdep_assert_held(&space->lock);
	if (!b || !pp->pt)
		return;
	entry = mbx_lookup_locked(space, name);
	if (!entry || !(entry->type & MAILBOX_PORT_TYPE_SEND_ONCE))
		return;
	if (!entry->x) {
		if (!pp->x)
			return;
		entry->x = pp->x;
		pp->x = NULL;
	}
	if (WARN_ON_ONCE(entry->x->boost))
		return;

	spin_lock(&mbx_prio_lock);
	/* Pairs with mbx_prio_port_died(), called after active is cleared. */
	if (!READ_ONCE(entry->port->active))
		goto out_unlock;
	pt = mbx_prio_find_locked(current);
	if (!pt) {
		struct mbx_sched own;

		mbx_sched_of(current, &own);
		if (mbx_sched_rank(&b->prio) <= mbx_sched_rank(&own))
			goto out_unlock;
		pt = pp->pt;
		pp->pt = NULL;
		INIT_LIST_HEAD(&pt->dirty);
		INIT_LIST_HEAD(&pt->boosts);
		pt->task = get_task_struct(current);
		pt->base = own;
		pt->reset_on_fork = current->sched_reset_on_fork;
		hash_add(mbx_prio_tasks, &pt->hash, (unsigned long)current);
		mbx_stat_add(MBX_STAT_PRIO_THREADS, 1);
	} else if (mbx_sched_rank(&b->prio) <= mbx_sched_rank(&pt->base)) {
		goto out_unlock;
	}
	pp->boost = NULL;
	b->pt = pt;
	b->port = entry->port;
	list_add_tail(&b->link, &pt->boosts);
	atomic_inc(&mbx_prio_active);
	mbx_stat_add(MBX_STAT_PRIO_BOOSTS, 1);
	entry->x->boost = b;
	mbx_prio_mark_locked(pt);
out_unlock:
	spin_unlock(&mbx_prio_lock);
}

static void mbx_prio_end_locked(struct mbx_boost *b)
{
	lockdep_assert_held(&mbx_prio_lock);
	if (!b->pt)
		return;
	list_del(&b->link);
	atomic_dec(&mbx_prio_active);
	mbx_prio_mark_locked(b->pt);
	b->pt = NULL;
}

/* @entry (space->lock held) no longer holds its send-once right. */
void __mbx_prio_entry_gone(struct mbx_entry *entry)
{
	struct mbx_boost *b = entry->x->boost;

	entry->x->boost = NULL;
	spin_lock(&mbx_prio_lock);
	mbx_prio_end_locked(b);
	spin_unlock(&mbx_prio_lock);
	mbx_stat_add(MBX_STAT_PRIO_BOOSTS, -1);
	kfree(b);
}

/* @port died (called once, after it was marked inactive). */
void mbx_prio_port_died(struct mbx_port *port)
{
	struct mbx_prio_task *pt;
	struct mbx_boost *b, *tmp;
	unsigned int bkt;

	if (!atomic_read(&mbx_prio_active))
		return;
	spin_lock(&mbx_prio_lock);
	hash_for_each(mbx_prio_tasks, bkt, pt, hash)
		list_for_each_entry_safe(b, tmp, &pt->boosts, link)
			if (b->port == port)
				mbx_prio_end_locked(b);
	spin_unlock(&mbx_prio_lock);
}

/* Give @p the priority @s; a boost does not pass on to children. */
static void mbx_prio_apply(struct mbx_prio_task *pt, const struct mbx_sched *s,
			   bool boost)
{
	struct task_struct *p = pt->task;
	struct sched_attr attr = {
		.size = sizeof(attr),
		.sched_policy = s->policy,
		.sched_priority = mbx_sched_rt(s->policy) ? s->rt_priority : 0,
		.sched_nice = mbx_sched_rt(s->policy) ? task_nice(p) : s->nice,
		.sched_flags = boost ? SCHED_FLAG_RESET_ON_FORK : 0,
	};
	int ret;

	if (pt->reset_on_fork)
		attr.sched_flags = SCHED_FLAG_RESET_ON_FORK;
	ret = sched_setattr_nocheck(p, &attr);
	if (ret)
		pr_warn_ratelimited("priority inheritance: setattr failed (%d)\n",
				    ret);
}

/*
 * Recompute and apply @pt's priority, again while it is marked meanwhile.
 * Called and returns with mbx_prio_lock held, drops it around the change.
 * Return: @pt if it is to be freed (unhashed already), else NULL.
 */
static struct mbx_prio_task *mbx_prio_settle_one(struct mbx_prio_task *pt)
	__must_hold(&mbx_prio_lock)
{
	struct mbx_sched cur, want;
	struct mbx_boost *b;
	bool boosted;

	lockdep_assert_held(&mbx_prio_lock);
	pt->applying = true;
	do {
		list_del_init(&pt->dirty);
		atomic_dec(&mbx_prio_ndirty);
		mbx_sched_of(pt->task, &cur);
		/* Changed by someone else while boosted: the change wins. */
		if (pt->boosted && !mbx_sched_equal(&cur, &pt->applied))
			pt->base = cur;
		want = pt->base;
		boosted = false;
		list_for_each_entry(b, &pt->boosts, link) {
			if (mbx_sched_rank(&b->prio) > mbx_sched_rank(&want)) {
				want = b->prio;
				boosted = true;
			}
		}
		spin_unlock(&mbx_prio_lock);

		/* Never deadline parameters: want is one only if cur is. */
		if (!mbx_sched_equal(&cur, &want) &&
		    !(pt->task->flags & PF_EXITING))
			mbx_prio_apply(pt, &want, boosted);

		spin_lock(&mbx_prio_lock);
		pt->applied = want;
		pt->boosted = boosted;
	} while (!list_empty(&pt->dirty));
	pt->applying = false;

	if (!list_empty(&pt->boosts))
		return NULL;
	hash_del(&pt->hash);
	return pt;
}

/**
 * mbx_prio_settle() - apply the priority changes the caller's call made
 *
 * Called with no lock held, on the way out of every entry point. Applies
 * every record current marked; a record another thread is applying is
 * left to it (it applies the new change before letting go).
 */
void mbx_prio_settle(void)
{
	struct mbx_prio_task *pt, *found, *dead;

	if (!atomic_read(&mbx_prio_ndirty))
		return;
	spin_lock(&mbx_prio_lock);
	for (;;) {
		found = NULL;
		list_for_each_entry(pt, &mbx_prio_dirty, dirty) {
			if (pt->marker == current && !pt->applying) {
				found = pt;
				break;
			}
		}
		if (!found)
			break;
		dead = mbx_prio_settle_one(found);
		if (dead) {
			spin_unlock(&mbx_prio_lock);
			put_task_struct(dead->task);
			kfree(dead);
			mbx_stat_add(MBX_STAT_PRIO_THREADS, -1);
			spin_lock(&mbx_prio_lock);
		}
	}
	spin_unlock(&mbx_prio_lock);
}

/* Module unload: every file was released, so nothing may be left. */
void mbx_prio_exit(void)
{
	WARN_ON_ONCE(!hash_empty(mbx_prio_tasks) ||
		     atomic_read(&mbx_prio_ndirty));
}
