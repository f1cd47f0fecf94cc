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
 * also stops at the receive's deadline, when anything is queued, and when
 * the port dies, its receive right leaves the space or the set is
 * destroyed. A receive spins at most once per call; a selective receive or
 * peek that finds messages queued, none matching, does not spin at all
 * (it could not tell a new message from the old ones) and sleeps at once.
 * No lock is held while spinning: the loop reads the list head, the active
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
#include <linux/list.h>
#include <linux/moduleparam.h>
#include <linux/sched/clock.h>
#include <linux/sched/signal.h>
#include <linux/sched/stat.h>

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

/**
 * mbx_spin() - poll for a message before sleeping
 * @list: the port's message list or the set's ready list
 * @active: the port's or set's active flag
 * @owner: for a port, &port->receiver (a receive right moved away ends the
 *         poll); NULL for a set
 * @space: the receiving space, compared with *@owner
 * @us: the budget (the port's or set's spin_us)
 * @t: the receive's timeout (not a no-wait one)
 *
 * Called with no lock held, by a receive that found nothing it could take
 * and would now sleep. Return: true if the caller should look again before
 * it sleeps: something is queued (at once, for a selective receive or peek
 * that found no match: no poll then), or the port died, moved or the set
 * was destroyed while polling. False when the budget was used up or
 * another task, a reschedule or a signal stopped the poll.
 */
bool mbx_spin(const struct list_head *list, const bool *active,
	      struct mbx_space *const *owner, const struct mbx_space *space,
	      u32 us, const struct mbx_timeout *t)
{
	u64 budget, start;

	us = min(us, READ_ONCE(mbx_spin_max_us));
	/* Not even a clock read when the CPU is wanted (a peer pinned here). */
	if (!us || !list_empty_careful(list) || mbx_spin_stop())
		return false;
	budget = (u64)us * NSEC_PER_USEC;
	if (!t->forever) {
		s64 left = ktime_to_ns(ktime_sub(t->deadline, ktime_get()));

		if (left <= 0)
			return false;
		budget = min_t(u64, budget, left);
	}
	/*
	 * The loop reads local_clock() (the TSC), not ktime_get(): the
	 * clocksource may be a slow device (the HPET under QEMU), read on
	 * every pass. A move to another CPU may skew it: a poll ends at most
	 * early, or at once if the clock went backwards.
	 */
	mbx_stat_add(MBX_STAT_TOTAL_SPINS, 1);
	start = local_clock();
	for (;;) {
		if (!list_empty_careful(list) || !READ_ONCE(*active) ||
		    (owner && READ_ONCE(*owner) != space)) {
			mbx_stat_add(MBX_STAT_TOTAL_SPIN_HITS, 1);
			return true;
		}
		if (mbx_spin_stop() || local_clock() - start >= budget)
			return false;
		cpu_relax();
	}
}
