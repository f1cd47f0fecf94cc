/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mailbox: Mach-style, capability-based mailbox IPC for Linux.
 *
 * Each open of /dev/mailbox is an IPC space: a table of names (__u32)
 * denoting rights to ports. A port is a kernel message queue with exactly
 * one receive right and any number of send and send-once rights. Rights,
 * dispositions, header layout and status codes follow XNU's Mach so that a
 * Mach compatibility layer is a thin shim. See Documentation/mailbox.rst.
 *
 * Rules for every ioctl argument structure:
 *  - fields documented "must be zero" (flags with no bits defined,
 *    reserved) are checked; a non-zero value gives EINVAL;
 *  - user pointers travel as __u64;
 *  - structures only grow by adding new commands.
 */
#ifndef _UAPI_LINUX_MAILBOX_H
#define _UAPI_LINUX_MAILBOX_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define MAILBOX_IOC_MAGIC	0xBA

#define MAILBOX_ABI_MAJOR	1
#define MAILBOX_ABI_MINOR	0

/* Features reported by MAILBOX_IOC_VERSION. */
#define MAILBOX_FEATURE_PORTS		(1ULL << 0)	/* port and right ioctls */
#define MAILBOX_FEATURE_MSG		(1ULL << 1)	/* MAILBOX_IOC_MSG */
#define MAILBOX_FEATURE_TRAILER		(1ULL << 2)	/* MAILBOX_MSG_RCV_TRAILER */
#define MAILBOX_FEATURE_FOREIGN_INSERT	(1ULL << 3)	/* insert_right into another space */
#define MAILBOX_FEATURE_DESCRIPTORS	(1ULL << 4)	/* complex messages carrying rights */
#define MAILBOX_FEATURE_PORT_SETS	(1ULL << 5)	/* port sets */
#define MAILBOX_FEATURE_READY_FD	(1ULL << 6)	/* MAILBOX_IOC_PORT_READY_FD */
#define MAILBOX_FEATURE_RIGHT_FD	(1ULL << 7)	/* export/import rights as fds */
#define MAILBOX_FEATURE_REGISTRY	(1ULL << 8)	/* service registry */
#define MAILBOX_FEATURE_NOTIFICATIONS	(1ULL << 9)	/* notification requests */
#define MAILBOX_FEATURE_PRIORITIES	(1ULL << 10)	/* mailbox_msg.priority */
#define MAILBOX_FEATURE_SELECTIVE	(1ULL << 11)	/* RCV_FILTER, RCV_PEEK */
#define MAILBOX_FEATURE_PULSES		(1ULL << 12)	/* MAILBOX_IOC_PULSE */
#define MAILBOX_FEATURE_IOV		(1ULL << 13)	/* MAILBOX_MSG_SEND_IOV, _RCV_IOV */
#define MAILBOX_FEATURE_OOL		(1ULL << 14)	/* out-of-line memory descriptors */
#define MAILBOX_FEATURE_PRIO_INHERIT	(1ULL << 15)	/* MAILBOX_PORT_FLAG_PRIO_INHERIT */
#define MAILBOX_FEATURE_URING_CMD	(1ULL << 16)	/* IORING_OP_URING_CMD */
#define MAILBOX_FEATURE_BATCH_SEND	(1ULL << 17)	/* sends in MAILBOX_IOC_MSG_BATCH */
#define MAILBOX_FEATURE_BATCH_WAKE	(1ULL << 18)	/* MAILBOX_PORT_FLAG_BATCH_WAKE */
#define MAILBOX_FEATURE_SPIN		(1ULL << 19)	/* MAILBOX_ATTR_SPIN */
#define MAILBOX_FEATURE_OOL_MOVE	(1ULL << 20)	/* mmap() buffers, moved */

/* Special names. */
#define MAILBOX_PORT_NULL	0x00000000U
#define MAILBOX_PORT_DEAD	0xffffffffU

/*
 * A name is (index << 8) | generation. The generation changes every time an
 * index is reused, so a stale name does not silently denote a new right.
 * User space must treat names as opaque.
 */
#define MAILBOX_NAME_INDEX(name)	((name) >> 8)
#define MAILBOX_NAME_GEN(name)		((name) & 0xffU)

/* Right kinds (mach_port_right_t). */
#define MAILBOX_RIGHT_SEND		0
#define MAILBOX_RIGHT_RECEIVE		1
#define MAILBOX_RIGHT_SEND_ONCE		2
#define MAILBOX_RIGHT_PORT_SET		3
#define MAILBOX_RIGHT_DEAD_NAME		4

/* Type bits (mach_port_type_t): which rights a name denotes. */
#define MAILBOX_PORT_TYPE(right)	(1U << ((right) + 16))
#define MAILBOX_PORT_TYPE_SEND		MAILBOX_PORT_TYPE(MAILBOX_RIGHT_SEND)
#define MAILBOX_PORT_TYPE_RECEIVE	MAILBOX_PORT_TYPE(MAILBOX_RIGHT_RECEIVE)
#define MAILBOX_PORT_TYPE_SEND_ONCE	MAILBOX_PORT_TYPE(MAILBOX_RIGHT_SEND_ONCE)
#define MAILBOX_PORT_TYPE_PORT_SET	MAILBOX_PORT_TYPE(MAILBOX_RIGHT_PORT_SET)
#define MAILBOX_PORT_TYPE_DEAD_NAME	MAILBOX_PORT_TYPE(MAILBOX_RIGHT_DEAD_NAME)

/* Largest user-reference count of a send right or dead name. */
#define MAILBOX_UREFS_MAX		0xffffU

/* Default queue limit of a new port (as Mach's MACH_PORT_QLIMIT_DEFAULT). */
#define MAILBOX_QLIMIT_DEFAULT		5

/*
 * Message type names (mach_msg_type_name_t): dispositions used when
 * sending, and the right types reported when receiving.
 */
#define MAILBOX_MSG_TYPE_MOVE_RECEIVE	16	/* reserved for descriptors */
#define MAILBOX_MSG_TYPE_MOVE_SEND	17
#define MAILBOX_MSG_TYPE_MOVE_SEND_ONCE	18
#define MAILBOX_MSG_TYPE_COPY_SEND	19
#define MAILBOX_MSG_TYPE_MAKE_SEND	20
#define MAILBOX_MSG_TYPE_MAKE_SEND_ONCE	21
/* As reported on receive: */
#define MAILBOX_MSG_TYPE_PORT_RECEIVE	MAILBOX_MSG_TYPE_MOVE_RECEIVE
#define MAILBOX_MSG_TYPE_PORT_SEND	MAILBOX_MSG_TYPE_MOVE_SEND
#define MAILBOX_MSG_TYPE_PORT_SEND_ONCE	MAILBOX_MSG_TYPE_MOVE_SEND_ONCE

/*
 * struct mailbox_version - MAILBOX_IOC_VERSION
 * @flags:          in, must be zero
 * @abi_major:      out, MAILBOX_ABI_MAJOR of the running module
 * @abi_minor:      out, MAILBOX_ABI_MINOR of the running module
 * @max_msg_size:   out, largest header + inline body accepted by send
 * @features:       out, MAILBOX_FEATURE_* bits
 * @qlimit_default: out, queue limit of a new port
 * @qlimit_max:     out, largest queue limit that can be set
 * @max_names:      out, most names one space may hold
 * @reserved:       in, must be zero; out, zero
 */
struct mailbox_version {
	__u32 flags;
	__u32 abi_major;
	__u32 abi_minor;
	__u32 max_msg_size;
	__u64 features;
	__u32 qlimit_default;
	__u32 qlimit_max;
	__u32 max_names;
	__u32 reserved[7];
};

/*
 * struct mailbox_port_allocate - MAILBOX_IOC_PORT_ALLOCATE
 * @right:    in, MAILBOX_RIGHT_RECEIVE (a new port), MAILBOX_RIGHT_PORT_SET
 *            (a new, empty port set) or MAILBOX_RIGHT_DEAD_NAME
 * @flags:    in, must be zero
 * @name:     out, the new name
 * @reserved: in, must be zero
 */
struct mailbox_port_allocate {
	__u32 right;
	__u32 flags;
	__u32 name;
	__u32 reserved;
};

/*
 * struct mailbox_port_name_op - MAILBOX_IOC_PORT_DEALLOCATE, _PORT_DESTROY
 * @name:     in
 * @flags:    in, must be zero
 * @reserved: in, must be zero
 */
struct mailbox_port_name_op {
	__u32 name;
	__u32 flags;
	__u64 reserved;
};

/*
 * struct mailbox_port_mod_refs - MAILBOX_IOC_PORT_MOD_REFS
 * @name:  in
 * @right: in, MAILBOX_RIGHT_*
 * @delta: in, change of user references
 * @flags: in, must be zero
 */
struct mailbox_port_mod_refs {
	__u32 name;
	__u32 right;
	__s32 delta;
	__u32 flags;
};

/* Target of MAILBOX_IOC_PORT_INSERT_RIGHT: this space. */
#define MAILBOX_SPACE_SELF	(-1)

/*
 * struct mailbox_port_insert_right - MAILBOX_IOC_PORT_INSERT_RIGHT
 * @space_fd:    in, MAILBOX_SPACE_SELF or an fd of another /dev/mailbox open
 *               (holding that fd is holding its space, as a Mach task port)
 * @name:        in/out, the name in the target space; MAILBOX_PORT_NULL asks
 *               the kernel to choose one (for a send right: the name the
 *               target already has for the port, if any) and returns it
 * @poly:        in, the name of the right in the caller's space
 * @disposition: in, MAILBOX_MSG_TYPE_{MAKE,COPY,MOVE}_SEND or
 *               MAILBOX_MSG_TYPE_{MAKE,MOVE}_SEND_ONCE
 * @flags:       in, must be zero
 * @reserved:    in, must be zero
 */
struct mailbox_port_insert_right {
	__s32 space_fd;
	__u32 name;
	__u32 poly;
	__u32 disposition;
	__u32 flags;
	__u32 reserved;
};

/*
 * struct mailbox_port_type - MAILBOX_IOC_PORT_TYPE
 * @name:       in
 * @flags:      in, must be zero
 * @type:       out, MAILBOX_PORT_TYPE_* bits
 * @send_urefs: out, user references of the send right (0 if none)
 * @dead_urefs: out, user references of the dead name (0 if none)
 * @reserved:   in, must be zero
 */
struct mailbox_port_type {
	__u32 name;
	__u32 flags;
	__u32 type;
	__u32 send_urefs;
	__u32 dead_urefs;
	__u32 reserved;
};

/*
 * struct mailbox_port_names - MAILBOX_IOC_PORT_NAMES
 * @names:    in, user address of a __u32 array of @count entries (or 0)
 * @types:    in, user address of a __u32 array of @count entries (or 0)
 * @count:    in, capacity of the arrays; out, number of names in the space.
 *            When the capacity is too small nothing is written and the call
 *            fails with ENOSPC: retry with the returned count.
 * @flags:    in, must be zero
 * @reserved: in, must be zero
 */
struct mailbox_port_names {
	__u64 names;
	__u64 types;
	__u32 count;
	__u32 flags;
	__u64 reserved;
};

/* mailbox_port_attr.flags for MAILBOX_IOC_PORT_SET_ATTR: fields to change. */
#define MAILBOX_ATTR_QLIMIT	(1U << 0)
#define MAILBOX_ATTR_SEQNO	(1U << 1)
#define MAILBOX_ATTR_MSCOUNT	(1U << 2)
#define MAILBOX_ATTR_FLAGS	(1U << 3)
#define MAILBOX_ATTR_SPIN	(1U << 4)
#define MAILBOX_ATTR_ALL	(MAILBOX_ATTR_QLIMIT | MAILBOX_ATTR_SEQNO | \
				 MAILBOX_ATTR_MSCOUNT | MAILBOX_ATTR_FLAGS | \
				 MAILBOX_ATTR_SPIN)

/*
 * mailbox_port_attr.port_flags. PRIO_INHERIT: a thread that receives from
 * the port a message carrying a send-once reply right runs at the sender's
 * priority (captured at send), if higher than its own, until it uses that
 * right, the right leaves its space or dies (Documentation/
 * qnx-and-priority-inheritance.rst).
 * BATCH_WAKE: senders blocked on the full queue are woken all together once
 * receives have drained it to half its limit (qlimit / 2 messages or
 * fewer), as a pipe wakes its writers, instead of one per message received
 * (Mach's rule, the default). Fewer context switches under many senders;
 * a blocked sender waits longer (Documentation/mailbox.rst, "Queue limits").
 */
#define MAILBOX_PORT_FLAG_PRIO_INHERIT	(1U << 0)
#define MAILBOX_PORT_FLAG_BATCH_WAKE	(1U << 1)
#define MAILBOX_PORT_FLAGS_ALL		(MAILBOX_PORT_FLAG_PRIO_INHERIT | \
					 MAILBOX_PORT_FLAG_BATCH_WAKE)

/*
 * struct mailbox_port_attr - MAILBOX_IOC_PORT_GET_ATTR, _PORT_SET_ATTR
 * @name:        in, a receive right
 * @flags:       GET: must be zero; SET: MAILBOX_ATTR_* mask of fields to set
 * @qlimit:      out (GET) / in (SET), queue limit, 1..qlimit_max
 * @msgcount:    out, messages queued
 * @seqno:       out (GET) / in (SET), sequence number of the next receive
 * @mscount:     out (GET) / in (SET), make-send count
 * @sorights:    out, send-once rights outstanding
 * @has_senders: out, 1 if any send right exists (in a space or a message)
 * @pulses_queued:  out, pulses queued (0..MAILBOX_PULSE_LANE), not counted
 *                  in @msgcount
 * @pulses_dropped: out, pulses dropped (lane full, nothing to coalesce
 *                  with) not yet reported by a delivered pulse
 * @port_flags:  out (GET) / in (SET with MAILBOX_ATTR_FLAGS),
 *               MAILBOX_PORT_FLAG_* bits; unknown bits give EINVAL
 * @spin_us:     out (GET) / in (SET with MAILBOX_ATTR_SPIN), busy-poll
 *               budget in microseconds, 0..spin_max_us (module parameter,
 *               above it EINVAL): a receive on this port that finds nothing
 *               it can take polls for a new message for up to this long,
 *               while it is the only task runnable on its CPU, before it
 *               sleeps (as SO_BUSY_POLL does for a socket); 0 (the
 *               default) sleeps at once
 *
 * @name may also be a port set's name: then SET takes MAILBOX_ATTR_SPIN
 * alone (other bits: EPERM) and sets the budget of receives on the set, and
 * GET reports @spin_us with every other output zero.
 */
struct mailbox_port_attr {
	__u32 name;
	__u32 flags;
	__u32 qlimit;
	__u32 msgcount;
	__u32 seqno;
	__u32 mscount;
	__u32 sorights;
	__u32 has_senders;
	__u32 pulses_queued;
	__u32 pulses_dropped;
	__u32 port_flags;
	__u32 spin_us;
};

/*
 * struct mailbox_msg_header - the first bytes of every message
 * (layout of XNU's mach_msg_header_t)
 * @bits:         dispositions: MAILBOX_MSGH_BITS(remote, local)
 * @size:         ignored on send; on receive, the message size (header +
 *                body, without trailer)
 * @remote_port:  send: destination name; receive: reply right's name
 * @local_port:   send: reply name or MAILBOX_PORT_NULL; receive: the name
 *                of the receive right the message arrived on (for a
 *                receive on a port set: the member's name)
 * @voucher_port: must be zero
 * @id:           message id, free for the application
 */
struct mailbox_msg_header {
	__u32 bits;
	__u32 size;
	__u32 remote_port;
	__u32 local_port;
	__u32 voucher_port;
	__s32 id;
};

#define MAILBOX_MSGH_REMOTE_MASK	0x0000001fU
#define MAILBOX_MSGH_LOCAL_MASK		0x00001f00U
#define MAILBOX_MSGH_COMPLEX		0x80000000U	/* body starts with descriptors */
#define MAILBOX_MSGH_PULSE		0x01000000U	/* received: a struct mailbox_pulse */
#define MAILBOX_MSGH_BITS(remote, local)	((remote) | ((local) << 8))
#define MAILBOX_MSGH_REMOTE(bits)	((bits) & MAILBOX_MSGH_REMOTE_MASK)
#define MAILBOX_MSGH_LOCAL(bits)	(((bits) & MAILBOX_MSGH_LOCAL_MASK) >> 8)

/*
 * Complex messages (MAILBOX_MSGH_COMPLEX): the body starts with struct
 * mailbox_msg_body, then descriptor_count descriptors, back to back, each
 * 12 (port) or 16 (port array) bytes, 4-byte aligned (XNU's user layout),
 * then plain data. At most MAILBOX_MSG_RIGHTS_MAX rights per message.
 */
#define __mailbox_packed	__attribute__((packed, aligned(4)))

struct mailbox_msg_body {
	__u32 descriptor_count;
};

#define MAILBOX_MSG_PORT_DESCRIPTOR		0
#define MAILBOX_MSG_OOL_DESCRIPTOR		1
#define MAILBOX_MSG_OOL_PORTS_DESCRIPTOR	2
#define MAILBOX_MSG_RIGHTS_MAX			1024

/*
 * struct mailbox_msg_port_descriptor - one right
 * @name:        send: the right's name in the sender's space;
 *               receive: its name in the receiver's space (MAILBOX_PORT_DEAD
 *               if the port died in flight)
 * @pad1:        must be zero
 * @pad2:        must be zero
 * @disposition: send: MAILBOX_MSG_TYPE_* including MOVE_RECEIVE;
 *               receive: MAILBOX_MSG_TYPE_PORT_{RECEIVE,SEND,SEND_ONCE}
 * @type:        MAILBOX_MSG_PORT_DESCRIPTOR
 */
struct mailbox_msg_port_descriptor {
	__u32 name;
	__u32 pad1;
	__u16 pad2;
	__u8 disposition;
	__u8 type;
} __mailbox_packed;

/*
 * struct mailbox_msg_ool_ports_descriptor - an array of rights
 * @address:     send: user address of @count names; receive: user address
 *               inside the receive buffer where the kernel wrote the
 *               receiver's names (after the message, before the trailer)
 * @deallocate:  must be zero
 * @copy:        must be zero
 * @disposition: one disposition for every right of the array
 * @type:        MAILBOX_MSG_OOL_PORTS_DESCRIPTOR
 * @count:       number of names
 */
struct mailbox_msg_ool_ports_descriptor {
	__u64 address;
	__u8 deallocate;
	__u8 copy;
	__u8 disposition;
	__u8 type;
	__u32 count;
} __mailbox_packed;

/*
 * mailbox_msg_ool_descriptor.copy (both copy the bytes once, see below).
 *
 * Out-of-line buffers (MAILBOX_FEATURE_OOL_MOVE): mmap(NULL, len,
 * PROT_READ | PROT_WRITE, MAP_SHARED, mailbox_fd, 0) gives a new zero-filled
 * buffer of len (1..MAILBOX_OOL_MAX) bytes (EINVAL for MAP_PRIVATE, an
 * offset or a larger len). Sent whole (@address its start, @size in as many
 * pages) with @deallocate 1 and MAILBOX_VIRTUAL_COPY, and the sender's
 * alone (no fork shares it, no pipe or pin holds its pages), it is moved:
 * unmapped from the sender during the send, mapped MAP_SHARED into the
 * receiver, never copied; a failed send maps it back. Anything else is
 * copied.
 */
#define MAILBOX_PHYSICAL_COPY		0
#define MAILBOX_VIRTUAL_COPY		1
#define MAILBOX_OOL_MAX			(64U << 20)	/* bytes per descriptor */

/*
 * struct mailbox_msg_ool_descriptor - out-of-line memory
 * (layout of XNU's mach_msg_ool_descriptor64_t)
 * @address:    send: user address of @size bytes, copied at send time
 *              (or moved, above);
 *              receive: address of a new private mapping (PROT_READ |
 *              PROT_WRITE, page-aligned, its length @size rounded up to a
 *              page; shared for a moved buffer) holding the bytes, freed
 *              with munmap(); 0 if @size is 0
 * @deallocate: send: 0, or 1 to unmap from the sender, once the message is
 *              queued, every whole page inside [@address, @address + @size);
 *              receive: 0
 * @copy:       send: MAILBOX_PHYSICAL_COPY or MAILBOX_VIRTUAL_COPY;
 *              receive: MAILBOX_VIRTUAL_COPY
 * @pad1:       must be zero
 * @type:       MAILBOX_MSG_OOL_DESCRIPTOR
 * @size:       bytes, at most MAILBOX_OOL_MAX (and the module's max_ool_size
 *              per message)
 */
struct mailbox_msg_ool_descriptor {
	__u64 address;
	__u8 deallocate;
	__u8 copy;
	__u8 pad1;
	__u8 type;
	__u32 size;
} __mailbox_packed;

/* Trailer formats. */
#define MAILBOX_TRAILER_FORMAT_0	0

/*
 * struct mailbox_msg_trailer - written after a received message when
 * MAILBOX_MSG_RCV_TRAILER is set, at offset header.size
 * @type:       MAILBOX_TRAILER_FORMAT_0
 * @size:       bytes of trailer written
 * @seqno:      the port's sequence number for this message
 * @sender_pid: sender's thread-group id in the receiver's pid namespace,
 *              0 if not visible there
 * @sender_uid: sender's euid in the receiver's user namespace (overflowuid
 *              if unmapped), captured at send time
 * @sender_gid: sender's egid, likewise
 */
struct mailbox_msg_trailer {
	__u32 type;
	__u32 size;
	__u32 seqno;
	__s32 sender_pid;
	__u32 sender_uid;
	__u32 sender_gid;
};

/* mailbox_msg.options */
#define MAILBOX_MSG_SEND		(1U << 0) /* send the message at @send_msg */
#define MAILBOX_MSG_RCV			(1U << 1) /* then receive on @rcv_name */
#define MAILBOX_MSG_SEND_TIMEOUT	(1U << 2) /* bound the send wait by @send_timeout */
#define MAILBOX_MSG_RCV_TIMEOUT		(1U << 3) /* bound the receive wait by @rcv_timeout */
#define MAILBOX_MSG_RCV_LARGE		(1U << 4) /* too large: leave it queued */
#define MAILBOX_MSG_RCV_TRAILER		(1U << 5) /* append struct mailbox_msg_trailer */
#define MAILBOX_MSG_RCV_FILTER		(1U << 6) /* receive the first match of @rcv_filter */
#define MAILBOX_MSG_RCV_PEEK		(1U << 7) /* copy out without dequeuing */
#define MAILBOX_MSG_SEND_IOV		(1U << 8) /* @send_msg is a struct mailbox_iov array */
#define MAILBOX_MSG_RCV_IOV		(1U << 9) /* @rcv_msg is a struct mailbox_iov array */
#define MAILBOX_MSG_OPTIONS_ALL		0x3ffU

/* Message priorities: 0 (default, lowest) .. MAILBOX_PRIO_MAX. */
#define MAILBOX_PRIO_MAX		255

/* mailbox_rcv_filter.flags: conditions a message must meet (all of them). */
#define MAILBOX_FILTER_ID	(1U << 0)	/* (id & id_mask) == id_value */
#define MAILBOX_FILTER_RANGE	(1U << 1)	/* id_min <= id <= id_max */
#define MAILBOX_FILTER_SENDER	(1U << 2)	/* sender's tgid == sender_pid */
#define MAILBOX_FILTER_ALL	0x7U

/*
 * struct mailbox_rcv_filter - selective receive (MAILBOX_MSG_RCV_FILTER)
 * @flags:      MAILBOX_FILTER_* conditions; every one set must hold; 0
 *              matches every message
 * @id_mask:    FILTER_ID: bits of header.id compared
 * @id_value:   FILTER_ID: their wanted value ((id & id_mask) == id_value;
 *              id_value must have no bit outside id_mask)
 * @id_min:     FILTER_RANGE: smallest id (signed), <= @id_max
 * @id_max:     FILTER_RANGE: largest id
 * @sender_pid: FILTER_SENDER: the sender's thread-group id as seen in the
 *              receiver's pid namespace, > 0 (notifications have no
 *              sender and never match; a pulse's sender is its sender)
 * @reserved:   must be zero
 */
struct mailbox_rcv_filter {
	__u32 flags;
	__u32 id_mask;
	__s32 id_value;
	__s32 id_min;
	__s32 id_max;
	__s32 sender_pid;
	__u64 reserved;
};

/*
 * struct mailbox_iov - one segment of a scattered message (SEND_IOV, RCV_IOV)
 * @base: user address
 * @len:  bytes
 * The message (header first) is the concatenation of 1..MAILBOX_IOV_MAX
 * segments, as if they were one buffer.
 */
#define MAILBOX_IOV_MAX			64
struct mailbox_iov {
	__u64 base;
	__u64 len;
};

/*
 * Status codes in mailbox_msg.status (values of XNU's mach_msg_return_t).
 * The ioctl's errno gives the class, the status says exactly what failed
 * (and, for a send + receive, in which phase).
 */
#define MAILBOX_MSG_SUCCESS		0x00000000
#define MAILBOX_SEND_INVALID_DATA	0x10000002
#define MAILBOX_SEND_INVALID_DEST	0x10000003
#define MAILBOX_SEND_TIMED_OUT		0x10000004
#define MAILBOX_SEND_INTERRUPTED	0x10000007
#define MAILBOX_SEND_MSG_TOO_SMALL	0x10000008
#define MAILBOX_SEND_INVALID_REPLY	0x10000009
#define MAILBOX_SEND_INVALID_RIGHT	0x1000000a
#define MAILBOX_SEND_NO_BUFFER		0x1000000d
#define MAILBOX_SEND_TOO_LARGE		0x1000000e
#define MAILBOX_SEND_INVALID_TYPE	0x1000000f
#define MAILBOX_SEND_INVALID_HEADER	0x10000010
#define MAILBOX_SEND_INVALID_OPTIONS	0x10000013
#define MAILBOX_RCV_INVALID_NAME	0x10004002
#define MAILBOX_RCV_TIMED_OUT		0x10004003
#define MAILBOX_RCV_TOO_LARGE		0x10004004
#define MAILBOX_RCV_INTERRUPTED		0x10004005
#define MAILBOX_RCV_PORT_CHANGED	0x10004006
#define MAILBOX_RCV_INVALID_DATA	0x10004008
#define MAILBOX_RCV_PORT_DIED		0x10004009
#define MAILBOX_RCV_HEADER_ERROR	0x1000400b
#define MAILBOX_RCV_BODY_ERROR		0x1000400c

/* Timeout value meaning "wait forever" (same as not setting *_TIMEOUT). */
#define MAILBOX_TIMEOUT_INFINITE	(~0ULL)

/*
 * struct mailbox_msg - MAILBOX_IOC_MSG, modelled on mach_msg()
 * @send_msg:     in, user address of the message to send (SEND_IOV: of a
 *                struct mailbox_iov array)
 * @rcv_msg:      in, user address of the receive buffer (RCV_IOV: of a
 *                struct mailbox_iov array)
 * @send_timeout: in, ns (CLOCK_MONOTONIC, relative) with
 *                MAILBOX_MSG_SEND_TIMEOUT; 0 = do not wait; else ignored
 * @rcv_timeout:  in, ns with MAILBOX_MSG_RCV_TIMEOUT; 0 = do not wait
 * @options:      in, MAILBOX_MSG_* bits; at least one of SEND and RCV
 * @send_size:    in, bytes at @send_msg (header + body), a multiple of 4
 *                (SEND_IOV: the number of segments, 1..MAILBOX_IOV_MAX)
 * @rcv_size:     in, capacity of @rcv_msg (RCV_IOV: the number of
 *                segments); out, bytes written (message + trailer), or on
 *                MAILBOX_RCV_TOO_LARGE the bytes needed
 * @rcv_name:     in, name of the receive right or port set to receive on
 *                (a set gives the next message of the member whose first
 *                message has the highest priority, among equals the one
 *                that became non-empty first; a served member goes behind
 *                the others of its priority)
 * @status:       out, MAILBOX_MSG_SUCCESS or a MAILBOX_{SEND,RCV}_* code
 * @priority:     in (SEND), the message's priority, 0..MAILBOX_PRIO_MAX
 *                (highest first, FIFO within a priority); ignored
 *                without SEND; out (RCV), the received message's priority
 * @rcv_filter:   in, with MAILBOX_MSG_RCV_FILTER: user address of a struct
 *                mailbox_rcv_filter; must be zero otherwise
 * @reserved:     in, must be zero
 */
struct mailbox_msg {
	__u64 send_msg;
	__u64 rcv_msg;
	__u64 send_timeout;
	__u64 rcv_timeout;
	__u32 options;
	__u32 send_size;
	__u32 rcv_size;
	__u32 rcv_name;
	__u32 status;
	__u32 priority;
	__u64 rcv_filter;
	__u64 reserved;
};

/*
 * struct mailbox_msg_batch - MAILBOX_IOC_MSG_BATCH: several sends or
 * receives in one call
 * @msgs:  in, user address of struct mailbox_msg[@count], each a send
 *         (MAILBOX_MSG_SEND, no RCV) or a receive (MAILBOX_MSG_RCV, no
 *         SEND) with its own buffer, names and options, run in order; each
 *         is updated as MAILBOX_IOC_MSG updates its argument
 * @count: in, 1..MAILBOX_BATCH_MAX; out, the number of elements done
 * @flags: in, must be zero
 *
 * A send waits for room as its options say. The first element, if a
 * receive, waits as its options say; every later receive takes only a
 * message queued already (as with RCV_TIMEOUT 0). The batch stops at the
 * first element that fails, whose status says why (MAILBOX_RCV_TIMED_OUT:
 * nothing more was queued). Returns 0 if at least one element was done,
 * else the first element's error; EFAULT if an element cannot be written
 * back (@count then includes it if it was done). Sends in batches need
 * MAILBOX_FEATURE_BATCH_SEND.
 */
#define MAILBOX_BATCH_MAX		64
struct mailbox_msg_batch {
	__u64 msgs;
	__u32 count;
	__u32 flags;
};

/*
 * struct mailbox_port_move_member - MAILBOX_IOC_PORT_MOVE_MEMBER
 * @member:   in, a receive right (ENOENT if no such name, EPERM if the name
 *            holds no receive right)
 * @after:    in, a port set of the same space to put it in, leaving any set
 *            it was in (ENOENT / EPERM likewise); or MAILBOX_PORT_NULL to
 *            take it out of its set (ENXIO if in none: KERN_NOT_IN_SET).
 *            A port is in at most one set; its queued messages follow it.
 * @flags:    in, must be zero
 * @reserved: in, must be zero
 */
struct mailbox_port_move_member {
	__u32 member;
	__u32 after;
	__u32 flags;
	__u32 reserved;
};

/*
 * struct mailbox_port_fd - MAILBOX_IOC_PORT_READY_FD, _PORT_EXPORT,
 * _PORT_IMPORT
 * @name:        READY_FD: in, a receive right or port set;
 *               EXPORT: in, the right's name; IMPORT: in, the name wanted or
 *               MAILBOX_PORT_NULL, out, the name the right got
 * @disposition: EXPORT: in, MAILBOX_MSG_TYPE_{MAKE,COPY,MOVE}_SEND or
 *               {MAKE,MOVE}_SEND_ONCE; otherwise must be zero
 * @fd:          READY_FD, EXPORT: out, a new O_CLOEXEC fd; IMPORT: in.
 *               A ready fd only polls: EPOLLIN when a message waits (a set:
 *               a member has one), EPOLLOUT when a port's queue has room,
 *               EPOLLHUP once the port died or the set was destroyed. It
 *               watches the object, not the name.
 * @flags:       in, must be zero
 * @reserved:    in, must be zero
 */
struct mailbox_port_fd {
	__u32 name;
	__u32 disposition;
	__s32 fd;
	__u32 flags;
	__u64 reserved;
};

/* Notification message ids (XNU's values) and request variants. */
#define MAILBOX_NOTIFY_PORT_DELETED	0101
#define MAILBOX_NOTIFY_SEND_POSSIBLE	0102
#define MAILBOX_NOTIFY_PORT_DESTROYED	0105
#define MAILBOX_NOTIFY_NO_SENDERS	0106
#define MAILBOX_NOTIFY_SEND_ONCE	0107
#define MAILBOX_NOTIFY_DEAD_NAME	0110

/*
 * struct mailbox_port_request_notification -
 * MAILBOX_IOC_PORT_REQUEST_NOTIFICATION
 * @name:        in, the name the request is about
 * @variant:     in, MAILBOX_NOTIFY_{DEAD_NAME,NO_SENDERS,PORT_DESTROYED,
 *               SEND_POSSIBLE}
 * @sync:        in, NO_SENDERS: fire only once mscount >= sync;
 *               DEAD_NAME, SEND_POSSIBLE: non-zero = fire at once if the
 *               condition already holds; PORT_DESTROYED: must be zero
 * @notify:      in, where the notification goes: a receive right (a
 *               send-once right is made) or a send-once right (moved), per
 *               @disposition; MAILBOX_PORT_NULL cancels the request
 * @disposition: in, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE or _MOVE_SEND_ONCE
 *               (zero when @notify is MAILBOX_PORT_NULL)
 * @previous:    out, name of the send-once right of the request this one
 *               replaced, or MAILBOX_PORT_NULL
 * @flags:       in, must be zero
 * @reserved:    in, must be zero
 */
struct mailbox_port_request_notification {
	__u32 name;
	__u32 variant;
	__u32 sync;
	__u32 notify;
	__u32 disposition;
	__u32 previous;
	__u32 flags;
	__u32 reserved;
};

/* Notification layouts (XNU's, with its 8-byte NDR record). */
struct mailbox_notify_name {		/* DEAD_NAME, PORT_DELETED, SEND_POSSIBLE */
	struct mailbox_msg_header header;
	__u8 ndr[8];
	__u32 name;
};

struct mailbox_notify_no_senders {	/* NO_SENDERS */
	struct mailbox_msg_header header;
	__u8 ndr[8];
	__u32 mscount;
};

struct mailbox_notify_port_destroyed {	/* PORT_DESTROYED: carries the receive right */
	struct mailbox_msg_header header;
	struct mailbox_msg_body body;
	struct mailbox_msg_port_descriptor rcv_right;
};
/* SEND_ONCE: a bare header. */

/* Pulses: small, non-blocking kernel-built messages (QNX's pulses). */
#define MAILBOX_PULSE_LANE	32	/* undelivered pulses a port keeps */

/*
 * struct mailbox_pulse_send - MAILBOX_IOC_PULSE
 * @name:     in, a send right (not consumed; a send-once right is EPERM)
 * @code:     in, delivered as header.id and @code
 * @value:    in, delivered as @value
 * @priority: in, 0..MAILBOX_PRIO_MAX
 * @flags:    in, must be zero
 * @reserved: in, must be zero
 */
struct mailbox_pulse_send {
	__u32 name;
	__s32 code;
	__u64 value;
	__u32 priority;
	__u32 flags;
	__u64 reserved;
};

/*
 * struct mailbox_pulse - a received pulse (header.bits == MAILBOX_MSGH_PULSE,
 * header.size == sizeof, header.id == @code, remote_port NULL, local_port
 * the receive right's name as for any message)
 * @code:     as sent
 * @priority: as sent
 * @value:    as sent (the newest, when pulses were coalesced)
 * @count:    pulses coalesced into this one, >= 1
 * @dropped:  pulses dropped on this port since the previous delivered pulse
 */
struct mailbox_pulse {
	struct mailbox_msg_header header;
	__s32 code;
	__u32 priority;
	__u64 value;
	__u32 count;
	__u32 dropped;
};

/* Service registry. */
#define MAILBOX_SERVICE_NAME_MAX	128	/* bytes, including the NUL */
#define MAILBOX_REGISTER_REPLACE	(1U << 0)

/*
 * struct mailbox_service - MAILBOX_IOC_REGISTER, _LOOKUP, _UNREGISTER
 * @service:  in, NUL-terminated name, 1..MAILBOX_SERVICE_NAME_MAX - 1 bytes
 * @name:     REGISTER: in, a send right (copied) or receive right (a send
 *            right is made); LOOKUP: out, a send right in the caller's space;
 *            UNREGISTER: must be zero
 * @flags:    REGISTER: in, MAILBOX_REGISTER_REPLACE; otherwise must be zero
 * @reserved: in, must be zero
 */
struct mailbox_service {
	char service[MAILBOX_SERVICE_NAME_MAX];
	__u32 name;
	__u32 flags;
	__u64 reserved;
};

#define MAILBOX_IOC_VERSION		_IOWR(MAILBOX_IOC_MAGIC, 0x00, struct mailbox_version)
#define MAILBOX_IOC_PORT_ALLOCATE	_IOWR(MAILBOX_IOC_MAGIC, 0x10, struct mailbox_port_allocate)
#define MAILBOX_IOC_PORT_DEALLOCATE	_IOW(MAILBOX_IOC_MAGIC, 0x11, struct mailbox_port_name_op)
#define MAILBOX_IOC_PORT_DESTROY	_IOW(MAILBOX_IOC_MAGIC, 0x12, struct mailbox_port_name_op)
#define MAILBOX_IOC_PORT_MOD_REFS	_IOW(MAILBOX_IOC_MAGIC, 0x13, struct mailbox_port_mod_refs)
#define MAILBOX_IOC_PORT_INSERT_RIGHT	_IOWR(MAILBOX_IOC_MAGIC, 0x14, struct mailbox_port_insert_right)
#define MAILBOX_IOC_PORT_TYPE		_IOWR(MAILBOX_IOC_MAGIC, 0x15, struct mailbox_port_type)
#define MAILBOX_IOC_PORT_NAMES		_IOWR(MAILBOX_IOC_MAGIC, 0x16, struct mailbox_port_names)
#define MAILBOX_IOC_PORT_GET_ATTR	_IOWR(MAILBOX_IOC_MAGIC, 0x17, struct mailbox_port_attr)
#define MAILBOX_IOC_PORT_SET_ATTR	_IOW(MAILBOX_IOC_MAGIC, 0x18, struct mailbox_port_attr)
#define MAILBOX_IOC_PORT_MOVE_MEMBER	_IOW(MAILBOX_IOC_MAGIC, 0x19, struct mailbox_port_move_member)
#define MAILBOX_IOC_PORT_REQUEST_NOTIFICATION \
	_IOWR(MAILBOX_IOC_MAGIC, 0x1a, struct mailbox_port_request_notification)
#define MAILBOX_IOC_MSG			_IOWR(MAILBOX_IOC_MAGIC, 0x20, struct mailbox_msg)
#define MAILBOX_IOC_PULSE		_IOW(MAILBOX_IOC_MAGIC, 0x21, struct mailbox_pulse_send)
#define MAILBOX_IOC_MSG_BATCH		_IOWR(MAILBOX_IOC_MAGIC, 0x22, struct mailbox_msg_batch)
#define MAILBOX_IOC_PORT_READY_FD	_IOWR(MAILBOX_IOC_MAGIC, 0x30, struct mailbox_port_fd)
#define MAILBOX_IOC_PORT_EXPORT		_IOWR(MAILBOX_IOC_MAGIC, 0x31, struct mailbox_port_fd)
#define MAILBOX_IOC_PORT_IMPORT		_IOWR(MAILBOX_IOC_MAGIC, 0x32, struct mailbox_port_fd)
#define MAILBOX_IOC_REGISTER		_IOW(MAILBOX_IOC_MAGIC, 0x40, struct mailbox_service)
#define MAILBOX_IOC_LOOKUP		_IOWR(MAILBOX_IOC_MAGIC, 0x41, struct mailbox_service)
#define MAILBOX_IOC_UNREGISTER		_IOW(MAILBOX_IOC_MAGIC, 0x42, struct mailbox_service)

/*
 * io_uring commands (IORING_OP_URING_CMD on a /dev/mailbox fd,
 * Documentation/io_uring.rst). sqe->cmd_op is the command, sqe->cmd holds
 * its payload (the first 16 bytes of the SQE's command area; the rest of
 * an SQE128 is ignored).
 *
 * struct mailbox_uring_msg - MAILBOX_URING_CMD_MSG: MAILBOX_IOC_MSG, run
 * asynchronously: a send, a receive (port or port set) or both (a call)
 * @msg:      in, address of a struct mailbox_msg, read and written exactly
 *            as by MAILBOX_IOC_MSG. It and every buffer it names must stay
 *            valid until the completion.
 * @flags:    in, must be zero
 * @reserved: in, must be zero
 *
 * cqe->res is what the ioctl would return (0 or -errno), except that a
 * command interrupted by io_uring cancellation, the ring's or the
 * submitter's end, or the close of the submitter's last fd of the mailbox
 * file, completes with -ECANCELED (status MAILBOX_*_INTERRUPTED).
 */
struct mailbox_uring_msg {
	__u64 msg;
	__u32 flags;
	__u32 reserved;
};

#define MAILBOX_URING_CMD_MSG		_IOWR(MAILBOX_IOC_MAGIC, 0x50, struct mailbox_uring_msg)

#endif /* _UAPI_LINUX_MAILBOX_H */
