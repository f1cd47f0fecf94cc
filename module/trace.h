/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mailbox: tracepoints (Documentation/observability.rst).
 *
 * Objects are named by their module-unique ids (stats.c), never by kernel
 * address: port= is a port's (or port set's) id, msg= a message's serial,
 * space= a space's id. One message keeps its serial from send to receive,
 * so mailbox_send and mailbox_receive lines with the same msg= are the two
 * ends of one delivery.
 *
 * Out of tree: trace.c defines CREATE_TRACE_POINTS and is built with
 * -I$(src) (module/Kbuild), so define_trace.h finds this file as
 * "./trace.h".
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM mailbox

#if !defined(_MAILBOX_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _MAILBOX_TRACE_H

#include <linux/ktime.h>
#include <linux/tracepoint.h>

#include "internal.h"

#define mbx_show_right(t)						\
	__print_symbolic(t,						\
		{ MAILBOX_MSG_TYPE_MOVE_RECEIVE, "receive" },		\
		{ MAILBOX_MSG_TYPE_MOVE_SEND, "send" },			\
		{ MAILBOX_MSG_TYPE_MOVE_SEND_ONCE, "send-once" },	\
		{ MAILBOX_MSG_TYPE_COPY_SEND, "copy-send" },		\
		{ MAILBOX_MSG_TYPE_MAKE_SEND, "make-send" },		\
		{ MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, "make-send-once" })

#define mbx_show_notify(k)						\
	__print_symbolic(k,						\
		{ MAILBOX_NOTIFY_PORT_DELETED, "port-deleted" },	\
		{ MAILBOX_NOTIFY_SEND_POSSIBLE, "send-possible" },	\
		{ MAILBOX_NOTIFY_PORT_DESTROYED, "port-destroyed" },	\
		{ MAILBOX_NOTIFY_NO_SENDERS, "no-senders" },		\
		{ MAILBOX_NOTIFY_SEND_ONCE, "send-once" },		\
		{ MAILBOX_NOTIFY_DEAD_NAME, "dead-name" })

TRACE_EVENT(mailbox_send,
	    TP_PROTO(const struct mbx_msg *msg, const struct mbx_port *port),
	    TP_ARGS(msg, port),
	    TP_STRUCT__entry(__field(u64, msg)
			     __field(u64, port)
			     __field(s32, msgh_id)
			     __field(u32, size)
			     __field(u32, rights)
			     __field(u32, ool)
			     __field(u8, priority)
			     __field(bool, pulse)),
	    TP_fast_assign(__entry->msg = msg->serial;
			   __entry->port = port->id;
			   __entry->msgh_id = msg->id;
			   __entry->size = msg->size;
			   __entry->rights = msg->nr_rights;
			   __entry->ool = msg->nr_ool;
			   __entry->priority = msg->priority;
			   __entry->pulse = msg->pulse;),
	    TP_printk("msg=%llu port=%llu msgh_id=%d size=%u rights=%u ool=%u prio=%u pulse=%d",
		      __entry->msg, __entry->port, __entry->msgh_id, __entry->size,
		      __entry->rights, __entry->ool, __entry->priority,
		      __entry->pulse)
);

TRACE_EVENT(mailbox_receive,
	    TP_PROTO(const struct mbx_msg *msg, const struct mbx_port *port,
		     int ret),
	    TP_ARGS(msg, port, ret),
	    TP_STRUCT__entry(__field(u64, msg)
			     __field(u64, port)
			     __field(u64, latency_ns)
			     __field(s32, msgh_id)
			     __field(u32, size)
			     __field(u32, rights)
			     __field(u8, priority)
			     __field(int, ret)),
	    TP_fast_assign(__entry->msg = msg->serial;
			   __entry->port = port->id;
			   __entry->latency_ns = msg->sent_ns ?
			   ktime_get_ns() - msg->sent_ns : 0;
			   __entry->msgh_id = msg->id;
			   __entry->size = msg->size;
			   __entry->rights = msg->nr_rights;
			   __entry->priority = msg->priority;
			   __entry->ret = ret;),
	    TP_printk("msg=%llu port=%llu msgh_id=%d size=%u rights=%u prio=%u latency_ns=%llu ret=%d",
		      __entry->msg, __entry->port, __entry->msgh_id, __entry->size,
		      __entry->rights, __entry->priority, __entry->latency_ns,
		      __entry->ret)
);

TRACE_EVENT(mailbox_port_create,
	    TP_PROTO(const struct mbx_port *port, const struct mbx_space *space),
	    TP_ARGS(port, space),
	    TP_STRUCT__entry(__field(u64, port)
			     __field(u64, space)),
	    TP_fast_assign(__entry->port = port->id;
			   __entry->space = space->id;),
	    TP_printk("port=%llu space=%llu", __entry->port, __entry->space)
);

TRACE_EVENT(mailbox_port_destroy,
	    TP_PROTO(const struct mbx_port *port, u32 drained),
	    TP_ARGS(port, drained),
	    TP_STRUCT__entry(__field(u64, port)
			     __field(u32, drained)),
	    TP_fast_assign(__entry->port = port->id;
			   __entry->drained = drained;),
	    TP_printk("port=%llu drained=%u", __entry->port, __entry->drained)
);

/* A right taken out of a space (send, register, export...). */
TRACE_EVENT(mailbox_right_copyin,
	    TP_PROTO(const struct mbx_space *space, u32 name, u32 disposition,
		     const struct mbx_port *port),
	    TP_ARGS(space, name, disposition, port),
	    TP_STRUCT__entry(__field(u64, space)
			     __field(u64, port)
			     __field(u32, name)
			     __field(u32, disposition)),
	    TP_fast_assign(__entry->space = space->id;
			   __entry->port = port->id;
			   __entry->name = name;
			   __entry->disposition = disposition;),
	    TP_printk("space=%llu name=0x%08x port=%llu disposition=%s",
		      __entry->space, __entry->name, __entry->port,
		      mbx_show_right(__entry->disposition))
);

/* A right put into a space (receive, look-up, import...). */
TRACE_EVENT(mailbox_right_copyout,
	    TP_PROTO(const struct mbx_space *space, u32 name, u32 type, u64 port),
	    TP_ARGS(space, name, type, port),
	    TP_STRUCT__entry(__field(u64, space)
			     __field(u64, port)
			     __field(u32, name)
			     __field(u32, type)),
	    TP_fast_assign(__entry->space = space->id;
			   __entry->port = port;
			   __entry->name = name;
			   __entry->type = type;),
	    TP_printk("space=%llu name=0x%08x port=%llu right=%s",
		      __entry->space, __entry->name, __entry->port,
		      mbx_show_right(__entry->type))
);

TRACE_EVENT(mailbox_notify,
	    TP_PROTO(const struct mbx_msg *msg, const struct mbx_port *port),
	    TP_ARGS(msg, port),
	    TP_STRUCT__entry(__field(u64, msg)
			     __field(u64, port)
			     __field(s32, kind)),
	    TP_fast_assign(__entry->msg = msg->serial;
			   __entry->port = port->id;
			   __entry->kind = msg->id;),
	    TP_printk("msg=%llu port=%llu kind=%s", __entry->msg, __entry->port,
		      mbx_show_notify(__entry->kind))
);

DECLARE_EVENT_CLASS(mailbox_wait_class,
		    TP_PROTO(u64 id, bool send, int ret),
		    TP_ARGS(id, send, ret),
		    TP_STRUCT__entry(__field(u64, port)
				     __field(bool, send)
				     __field(int, ret)),
		    TP_fast_assign(__entry->port = id;
				   __entry->send = send;
				   __entry->ret = ret;),
		    TP_printk("port=%llu %s ret=%d", __entry->port,
			      __entry->send ? "send" : "receive", __entry->ret)
);

/* A sender (queue full) or receiver (queue empty) goes to sleep ... */
DEFINE_EVENT(mailbox_wait_class, mailbox_block,
	     TP_PROTO(u64 id, bool send, int ret),
	     TP_ARGS(id, send, ret));

/* ... and wakes: ret 0 (woken, re-checks) or -ETIMEDOUT. */
DEFINE_EVENT(mailbox_wait_class, mailbox_unblock,
	     TP_PROTO(u64 id, bool send, int ret),
	     TP_ARGS(id, send, ret));

#endif /* _MAILBOX_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
