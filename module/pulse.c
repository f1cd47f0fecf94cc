// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox: pulses (MAILBOX_IOC_PULSE), QNX's small fire-and-forget messages.
 *
 * A pulse is a kernel-built message (struct mailbox_pulse, header bits
 * MAILBOX_MSGH_PULSE) queued on the port a send right names. It carries no
 * right, leaves the send right in place, never blocks and ignores the queue
 * limit: each port has a lane of MAILBOX_PULSE_LANE queued pulses
 * (port->npulses, not counted in port->msgcount). When the lane is full a
 * new pulse is coalesced into the newest queued pulse of the same code and
 * priority (its value replaced, its count incremented), or else dropped and
 * counted in port->pulses_dropped; the next pulse delivered reports that
 * count (and resets it). Pulses take their place in the queue by priority
 * like any message, so port sets, ready fds, selective receive (on the id,
 * which is the code) and peek see them as messages.
 *
 * Locking: as msg.c; the lane and the drop count are under port->lock.
 * Coalescing scans the queued messages of the pulse's priority from the
 * tail: O(queue) in the worst case, only when the lane is full.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/limits.h>
#include <linux/uaccess.h>

#include "internal.h"
#include "trace.h"

/* struct mailbox_pulse after its header: the body of a pulse message. */
struct mbx_pulse_body {
	s32 code;
	u32 priority;
	u64 value;
	u32 count;
	u32 dropped;
};

static struct mbx_pulse_body *mbx_pulse_body(struct mbx_msg *msg)
{
	BUILD_BUG_ON(MBX_HEADER_SIZE + sizeof(struct mbx_pulse_body) !=
		     sizeof(struct mailbox_pulse));
	BUILD_BUG_ON(offsetof(struct mbx_msg, body) % sizeof(u64));
	return (struct mbx_pulse_body *)msg->body;
}

static u32 mbx_add_sat(u32 a, u32 b)
{
	return a > U32_MAX - b ? U32_MAX : a + b;
}

/* A pulse left @port's queue to be delivered: it reports the drops. */
void mbx_pulse_dequeued_locked(struct mbx_port *port, struct mbx_msg *msg)
{
	struct mbx_pulse_body *b = mbx_pulse_body(msg);

	lockdep_assert_held(&port->lock);
	port->npulses--;
	b->dropped = mbx_add_sat(b->dropped, port->pulses_dropped);
	port->pulses_dropped = 0;
}

/* A dequeued pulse will not be delivered after all: keep its report. */
void mbx_pulse_discarded_locked(struct mbx_port *port, struct mbx_msg *msg)
{
	struct mbx_pulse_body *b = mbx_pulse_body(msg);

	lockdep_assert_held(&port->lock);
	port->pulses_dropped = mbx_add_sat(port->pulses_dropped, b->dropped);
	b->dropped = 0;
}

/*
 * A dequeued pulse goes back to @port (its copy-out failed). Return: true
 * if the lane has room; false if it refilled meanwhile: then the pulse
 * counts as dropped, with what it was to report, and is destroyed.
 */
bool mbx_pulse_requeue_locked(struct mbx_port *port, struct mbx_msg *msg)
{
	struct mbx_pulse_body *b = mbx_pulse_body(msg);

	lockdep_assert_held(&port->lock);
	if (port->npulses < MAILBOX_PULSE_LANE)
		return true;
	port->pulses_dropped = mbx_add_sat(port->pulses_dropped,
					   mbx_add_sat(b->count, b->dropped));
	return false;
}

/* @snap, a peeked copy of a pulse of @port, shows what it would report. */
void mbx_pulse_peek_locked(struct mbx_port *port, struct mbx_msg *snap)
{
	struct mbx_pulse_body *b = mbx_pulse_body(snap);

	lockdep_assert_held(&port->lock);
	b->dropped = mbx_add_sat(b->dropped, port->pulses_dropped);
}

/* The newest queued pulse of @code at @priority, or NULL. */
static struct mbx_msg *mbx_pulse_find_locked(struct mbx_port *port, s32 code,
					     u8 priority)
{
	struct mbx_msg *pos;

	list_for_each_entry_reverse(pos, &port->msgs, link) {
		if (pos->priority > priority)
			break;
		if (pos->pulse && pos->priority == priority && pos->id == code)
			return pos;
	}
	return NULL;
}

/*
 * Queue @msg on @port, or coalesce or drop it when the lane is full.
 * Return: true if @msg was queued (the port owns it now).
 */
static bool mbx_pulse_queue_locked(struct mbx_port *port, struct mbx_msg *msg)
{
	struct mbx_pulse_body *b;
	struct mbx_msg *old;

	lockdep_assert_held(&port->lock);
	if (port->npulses < MAILBOX_PULSE_LANE) {
		if (trace_mailbox_receive_enabled())
			msg->sent_ns = ktime_get_ns();
		trace_mailbox_send(msg, port);
		mbx_enqueue_locked(port, msg, false);
		return true;
	}
	old = mbx_pulse_find_locked(port, msg->id, msg->priority);
	if (old) {
		b = mbx_pulse_body(old);
		b->value = mbx_pulse_body(msg)->value;
		b->count = mbx_add_sat(b->count, 1);
	} else {
		port->pulses_dropped = mbx_add_sat(port->pulses_dropped, 1);
	}
	return false;
}

int mbx_ioctl_pulse(struct mbx_space *space, void __user *uarg)
{
	struct mailbox_pulse_send args;
	struct mbx_pulse_body *b;
	struct mbx_entry *entry;
	struct mbx_port *port;
	struct mbx_msg *msg;
	bool queued = false;
	int ret = 0;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.flags || args.reserved || args.priority > MAILBOX_PRIO_MAX)
		return -EINVAL;

	/* Allocated first: no allocation under the locks. */
	msg = mbx_msg_alloc(sizeof(struct mailbox_pulse), GFP_KERNEL_ACCOUNT);
	if (!msg)
		return -ENOMEM;
	/* No right: received bits are MAILBOX_MSGH_PULSE alone. */
	msg->dest.type = 0;
	msg->bits = MAILBOX_MSGH_PULSE;
	msg->id = args.code;
	msg->priority = args.priority;
	msg->pulse = true;
	b = mbx_pulse_body(msg);
	b->code = args.code;
	b->priority = args.priority;
	b->value = args.value;
	b->count = 1;
	b->dropped = 0;

	mutex_lock(&space->lock);
	entry = mbx_lookup_locked(space, args.name);
	if (!entry) {
		ret = -ENOENT;
	} else if (!(entry->type & MAILBOX_PORT_TYPE_SEND)) {
		/* A dead name lost its send right when its port died. */
		ret = (entry->type & MAILBOX_PORT_TYPE_DEAD_NAME) ? -EPIPE :
								     -EPERM;
	} else {
		port = entry->port;
		spin_lock(&port->lock);
		if (port->active)
			queued = mbx_pulse_queue_locked(port, msg);
		else
			ret = -EPIPE;
		spin_unlock(&port->lock);
		if (ret)
			mbx_check_dead_locked(space, entry);
	}
	mutex_unlock(&space->lock);
	if (queued)
		mbx_stat_add(MBX_STAT_TOTAL_SENT, 1);
	else
		mbx_msg_free(msg);
	return ret;
}
