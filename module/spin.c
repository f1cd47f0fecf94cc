// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox: busy-polling receives (MAILBOX_ATTR_SPIN).
 *
 * A receive that finds its port (or port set) empty normally sleeps, and
 * the message that ends the sleep pays for a wake-up: with the peer on
 * another CPU that is an inter-processor interrupt, an idle CPU leaving
 * its idle state and a context switch, which for a short RPC cost several
 * times the work of the two ioctls. A port (or set) with a spin budget
 * makes such a receive poll the queue first, for up to spin_us
 * microseconds, as SO_BUSY_POLL does for a socket: a message queued
 * meanwhile is taken without sleeping or being woken.
 *
 * Spinning only pays when the sender runs on another CPU, so it stops at
 * once when anything else wants this CPU: another runnable task
 * (!single_task_running(), which also covers a sender pinned to the same
 * CPU that the send just woke), need_resched() or a pending signal. It
 * also stops at the receive's deadline, when a message is queued, and when
 * the port dies, its receive right leaves the space or the set is
 * destroyed. A receive spins at most once per call. It watches a count,
 * not the queue: the port's queued messages and pulses, or the set's gen
 * (bumped for every message made ready on a member), as the receive last
 * saw them under the lock. So a selective receive or peek that finds
 * messages queued, none matching, polls for a new one too; when the poll
 * ends it looks once more, and sleeps if that one does not match either.
 * No lock is held while spinning: the loop reads the count, the active
 * flag and the receiver locklessly (the caller holds a reference on the
 * port or set) and re-checks under its lock, so a stale read costs one more
 * pass or one sleep, never a lost message: a send queues under the lock and
 * then wakes the sleepers, which a receive that stopped spinning joins
 * under that lock before it looks again.
 *
 * The budget is a per-port (per-set) attribute, bounded by the module
 * parameter spin_max_us (writable; 0 disables spinning everywhere, and a
 * budget set earlier is cut to the current maximum when used).
 *
 * Counters: total_spins (receives that polled: not those that found the
 * CPU wanted before they began), total_spin_hits (of those,
 * the ones that found a message or saw the port or set go).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ktime.h>
#include <linux/lockdep.h>
#include <linux/moduleparam.h>
#include <linux/sched/clock.h>
#include <linux/sched/signal.h>
#include <linux/sched/stat.h>
#include <linux/spinlock.h>

#include "internal.h"

unsigned int mbx_spin_max_us = 1000;
module_param_named(spin_max_us, mbx_spin_max_us, uint, 0644);
MODULE_PARM_DESC(spin_max_us,
		 "Largest receive busy-poll budget a port may set, in us (0: never spin)");

/* Does something else want this CPU, or the caller's attention? */
static bool mbx_spin_stop(void)
{
	return need_resched() || !single_task_running() ||
	       signal_pending(current);
}

/* What a poll watches: messages queued on @port, or made ready on @pset. */
static u32 mbx_spin_count(const struct mbx_port *port,
			  const struct mbx_pset *pset)
{
	if (port)
		return READ_ONCE(port->msgcount) + READ_ONCE(port->npulses);
	return READ_ONCE(pset->gen);
}

/* Has the port died or left @space, or the set been destroyed? */
static bool mbx_spin_gone(const struct mbx_port *port,
			  const struct mbx_pset *pset,
			  const struct mbx_space *space)
{
	if (port)
		return !READ_ONCE(port->active) ||
		       READ_ONCE(port->receiver) != space;
	return !READ_ONCE(pset->active);
}

/**
 * mbx_spin() - poll for a message before sleeping
 * @lock: the port's or set's lock, held
 * @port: the port received on, or NULL for a set
 * @pset: the set received on (when @port is NULL)
 * @space: the receiving space
 * @us: the budget (the port's or set's spin_us)
 * @t: the receive's timeout (not a no-wait one)
 *
 * Called by a receive that found nothing it could take and would now
 * sleep, with a reference on @port or @pset. Notes mbx_spin_count() under
 * @lock, drops the lock while polling and takes it again before it
 * returns; the caller then looks again. A change of the count means a
 * message came (or, on a port, one was taken by another receiver, or came
 * as one went: then the poll runs on to its budget and the caller looks
 * again anyway). The poll ends with a hit when the count changes, the
 * port dies or moves or the set is destroyed; without one when the budget
 * is used up or another task, a reschedule or a signal stops it.
 */
void mbx_spin(spinlock_t *lock, const struct mbx_port *port,
	      const struct mbx_pset *pset, const struct mbx_space *space,
	      u32 us, const struct mbx_timeout *t)
	__must_hold(lock)
{
	u32 seen = mbx_spin_count(port, pset);
	u64 budget, start;

	lockdep_assert_held(lock);
	us = min(us, READ_ONCE(mbx_spin_max_us));
	/* Not even a clock read when the CPU is wanted (a peer pinned here). */
	if (!us || mbx_spin_stop())
		return;
	budget = (u64)us * NSEC_PER_USEC;
	if (!t->forever) {
		s64 left = ktime_to_ns(ktime_sub(t->deadline, ktime_get()));

		if (left <= 0)
			return;
		budget = min_t(u64, budget, left);
	}
	spin_unlock(lock);
	/*
	 * The loop reads local_clock() (the TSC), not ktime_get(): the
	 * clocksource may be a slow device (the HPET under QEMU), read on
	 * every pass. A move to another CPU may skew it: a poll ends at most
	 * early, or at once if the clock went backwards.
	 */
	mbx_stat_add(MBX_STAT_TOTAL_SPINS, 1);
	start = local_clock();
	for (;;) {
		if (mbx_spin_count(port, pset) != seen ||
		    mbx_spin_gone(port, pset, space)) {
			mbx_stat_add(MBX_STAT_TOTAL_SPIN_HITS, 1);
			break;
		}
		if (mbx_spin_stop() || local_clock() - start >= budget)
			break;
		cpu_relax();
	}
	spin_lock(lock);
}
