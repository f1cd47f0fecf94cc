/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mach-compatible C API over /dev/mailbox: messages (XNU's
 * <mach/message.h>). The header and descriptor layouts are those of
 * struct mailbox_msg_header and the mailbox descriptors, which follow XNU's
 * 64-bit user layout. See Documentation/mach-api.rst for the differences.
 */
#ifndef MAILBOX_MACH_MESSAGE_H
#define MAILBOX_MACH_MESSAGE_H

#include <stddef.h>
#include <stdint.h>
#include <mailbox/mach/kern_return.h>
#include <mailbox/mach/port.h>

#ifdef __cplusplus
#define MAILBOX_MACH_ASSERT(e, m) static_assert(e, m)
#else
#define MAILBOX_MACH_ASSERT(e, m) _Static_assert(e, m)
#endif

typedef unsigned int mach_msg_bits_t;
typedef natural_t mach_msg_size_t;
typedef integer_t mach_msg_id_t;
typedef natural_t mach_msg_timeout_t;	/* milliseconds */
typedef unsigned int mach_msg_type_name_t;
typedef unsigned int mach_msg_copy_options_t;
typedef unsigned int mach_msg_descriptor_type_t;
typedef natural_t mach_msg_option_t;
typedef kern_return_t mach_msg_return_t;
typedef unsigned int mach_msg_trailer_type_t;
typedef unsigned int mach_msg_trailer_size_t;

#define MACH_MSG_TIMEOUT_NONE		((mach_msg_timeout_t)0)

/* Header bits. */
#define MACH_MSGH_BITS_ZERO		0x00000000U
#define MACH_MSGH_BITS_REMOTE_MASK	MAILBOX_MSGH_REMOTE_MASK
#define MACH_MSGH_BITS_LOCAL_MASK	MAILBOX_MSGH_LOCAL_MASK
#define MACH_MSGH_BITS_VOUCHER_MASK	0x001f0000U
#define MACH_MSGH_BITS_PORTS_MASK \
	(MACH_MSGH_BITS_REMOTE_MASK | MACH_MSGH_BITS_LOCAL_MASK | MACH_MSGH_BITS_VOUCHER_MASK)
#define MACH_MSGH_BITS_COMPLEX		MAILBOX_MSGH_COMPLEX
#define MACH_MSGH_BITS_USER		0x801f1f1fU
#define MACH_MSGH_BITS(remote, local)	((remote) | ((local) << 8))
#define MACH_MSGH_BITS_SET_PORTS(remote, local, voucher) \
	(((remote) & MACH_MSGH_BITS_REMOTE_MASK) | \
	 (((local) << 8) & MACH_MSGH_BITS_LOCAL_MASK) | \
	 (((voucher) << 16) & MACH_MSGH_BITS_VOUCHER_MASK))
#define MACH_MSGH_BITS_SET(remote, local, voucher, other) \
	(MACH_MSGH_BITS_SET_PORTS(remote, local, voucher) | ((other) & ~MACH_MSGH_BITS_PORTS_MASK))
#define MACH_MSGH_BITS_REMOTE(bits)	((bits) & MACH_MSGH_BITS_REMOTE_MASK)
#define MACH_MSGH_BITS_LOCAL(bits)	(((bits) & MACH_MSGH_BITS_LOCAL_MASK) >> 8)
#define MACH_MSGH_BITS_VOUCHER(bits)	(((bits) & MACH_MSGH_BITS_VOUCHER_MASK) >> 16)
#define MACH_MSGH_BITS_PORTS(bits)	((bits) & MACH_MSGH_BITS_PORTS_MASK)
#define MACH_MSGH_BITS_OTHER(bits)	((bits) & ~MACH_MSGH_BITS_PORTS_MASK)

/* Message type names (dispositions and received right types). */
#define MACH_MSG_TYPE_PORT_NONE		0
#define MACH_MSG_TYPE_PORT_NAME		15
#define MACH_MSG_TYPE_MOVE_RECEIVE	MAILBOX_MSG_TYPE_MOVE_RECEIVE
#define MACH_MSG_TYPE_MOVE_SEND		MAILBOX_MSG_TYPE_MOVE_SEND
#define MACH_MSG_TYPE_MOVE_SEND_ONCE	MAILBOX_MSG_TYPE_MOVE_SEND_ONCE
#define MACH_MSG_TYPE_COPY_SEND		MAILBOX_MSG_TYPE_COPY_SEND
#define MACH_MSG_TYPE_MAKE_SEND		MAILBOX_MSG_TYPE_MAKE_SEND
#define MACH_MSG_TYPE_MAKE_SEND_ONCE	MAILBOX_MSG_TYPE_MAKE_SEND_ONCE
#define MACH_MSG_TYPE_COPY_RECEIVE	22	/* not supported */
#define MACH_MSG_TYPE_DISPOSE_RECEIVE	24	/* not supported */
#define MACH_MSG_TYPE_DISPOSE_SEND	25	/* not supported */
#define MACH_MSG_TYPE_DISPOSE_SEND_ONCE	26	/* not supported */
#define MACH_MSG_TYPE_PORT_RECEIVE	MACH_MSG_TYPE_MOVE_RECEIVE
#define MACH_MSG_TYPE_PORT_SEND		MACH_MSG_TYPE_MOVE_SEND
#define MACH_MSG_TYPE_PORT_SEND_ONCE	MACH_MSG_TYPE_MOVE_SEND_ONCE
#define MACH_MSG_TYPE_LAST		22
#define MACH_MSG_TYPE_PORT_ANY(x) \
	((x) >= MACH_MSG_TYPE_MOVE_RECEIVE && (x) <= MACH_MSG_TYPE_MAKE_SEND_ONCE)
#define MACH_MSG_TYPE_PORT_ANY_SEND(x) \
	((x) >= MACH_MSG_TYPE_MOVE_SEND && (x) <= MACH_MSG_TYPE_MAKE_SEND_ONCE)
#define MACH_MSG_TYPE_PORT_ANY_RIGHT(x) \
	((x) >= MACH_MSG_TYPE_MOVE_RECEIVE && (x) <= MACH_MSG_TYPE_MOVE_SEND_ONCE)

/* Descriptor types and copy options. */
#define MACH_MSG_PORT_DESCRIPTOR		MAILBOX_MSG_PORT_DESCRIPTOR
#define MACH_MSG_OOL_DESCRIPTOR			MAILBOX_MSG_OOL_DESCRIPTOR
#define MACH_MSG_OOL_PORTS_DESCRIPTOR		MAILBOX_MSG_OOL_PORTS_DESCRIPTOR
#define MACH_MSG_OOL_VOLATILE_DESCRIPTOR	3	/* not supported */
#define MACH_MSG_GUARDED_PORT_DESCRIPTOR	4	/* not supported */
#define MACH_MSG_PHYSICAL_COPY			MAILBOX_PHYSICAL_COPY
#define MACH_MSG_VIRTUAL_COPY			MAILBOX_VIRTUAL_COPY
#define MACH_MSG_ALLOCATE			2	/* not supported */
#define MACH_MSG_OOL_SIZE_MAX			MAILBOX_OOL_MAX	/* per descriptor */

typedef struct {
	mach_msg_bits_t msgh_bits;
	mach_msg_size_t msgh_size;
	mach_port_t msgh_remote_port;
	mach_port_t msgh_local_port;
	mach_port_name_t msgh_voucher_port;
	mach_msg_id_t msgh_id;
} mach_msg_header_t;

#define msgh_reserved msgh_voucher_port
#define MACH_MSG_NULL ((mach_msg_header_t *)0)

typedef struct {
	mach_msg_size_t msgh_descriptor_count;
} mach_msg_body_t;

#pragma pack(push, 4)
typedef struct {
	mach_port_t name;
	mach_msg_size_t pad1;
	uint16_t pad2;
	uint8_t disposition;	/* mach_msg_type_name_t */
	uint8_t type;		/* mach_msg_descriptor_type_t */
} mach_msg_port_descriptor_t;

typedef struct {
	void *address;		/* receive: inside the receive buffer */
	uint8_t deallocate;	/* must be 0 */
	uint8_t copy;		/* must be 0 (MACH_MSG_PHYSICAL_COPY) */
	uint8_t disposition;
	uint8_t type;
	mach_msg_size_t count;
} mach_msg_ool_ports_descriptor_t;

/*
 * Out-of-line memory (XNU's 64-bit user layout). Send: @size bytes at
 * @address are copied at send time; @deallocate unmaps the sender's whole
 * pages of the range once sent. Receive: @address is a new private
 * mapping, free it with vm_deallocate(); @copy is MACH_MSG_VIRTUAL_COPY.
 */
typedef struct {
	void *address;
	uint8_t deallocate;	/* boolean_t : 8 */
	uint8_t copy;		/* mach_msg_copy_options_t : 8 */
	uint8_t pad1;
	uint8_t type;		/* MACH_MSG_OOL_DESCRIPTOR */
	mach_msg_size_t size;
} mach_msg_ool_descriptor_t;

typedef mach_msg_ool_descriptor_t mach_msg_ool_descriptor64_t;

typedef struct {
	uint32_t pad1;
	mach_msg_size_t pad2;
	uint32_t pad3 : 24;
	uint32_t type : 8;
} mach_msg_type_descriptor_t;

typedef union {
	mach_msg_port_descriptor_t port;
	mach_msg_ool_descriptor_t out_of_line;
	mach_msg_ool_ports_descriptor_t ool_ports;
	mach_msg_type_descriptor_t type;
} mach_msg_descriptor_t;
#pragma pack(pop)

typedef struct {
	mach_msg_header_t header;
	mach_msg_body_t body;
} mach_msg_base_t;

/* Trailers: see Documentation/mach-api.rst ("Trailers"). */
#define MACH_MSG_TRAILER_FORMAT_0	MAILBOX_TRAILER_FORMAT_0

typedef struct {
	mach_msg_trailer_type_t msgh_trailer_type;
	mach_msg_trailer_size_t msgh_trailer_size;
} mach_msg_trailer_t;

typedef struct {
	mach_msg_trailer_type_t msgh_trailer_type;
	mach_msg_trailer_size_t msgh_trailer_size;
	mach_port_seqno_t msgh_seqno;
} mach_msg_seqno_trailer_t;

/*
 * The one trailer the module writes (struct mailbox_msg_trailer). Its first
 * 12 bytes are XNU's seqno trailer; after them come the sender's pid, euid
 * and egid, where XNU has a security token (uid, gid) and an audit token.
 */
typedef struct {
	mach_msg_trailer_type_t msgh_trailer_type;
	mach_msg_trailer_size_t msgh_trailer_size;
	mach_port_seqno_t msgh_seqno;
	int32_t msgh_sender_pid;
	uint32_t msgh_sender_uid;
	uint32_t msgh_sender_gid;
} mach_msg_mailbox_trailer_t;

typedef mach_msg_seqno_trailer_t mach_msg_format_0_trailer_t;
typedef mach_msg_mailbox_trailer_t mach_msg_max_trailer_t;
#define MAX_TRAILER_SIZE	((mach_msg_size_t)sizeof(mach_msg_max_trailer_t))
#define MACH_MSG_TRAILER_MINIMUM_SIZE	((mach_msg_size_t)sizeof(mach_msg_trailer_t))

/* mach_msg() options (XNU's bits). */
#define MACH_MSG_OPTION_NONE		0x00000000
#define MACH_SEND_MSG			0x00000001
#define MACH_RCV_MSG			0x00000002
#define MACH_RCV_LARGE			0x00000004
#define MACH_SEND_TIMEOUT		0x00000010
#define MACH_SEND_INTERRUPT		0x00000040
#define MACH_RCV_TIMEOUT		0x00000100
#define MACH_RCV_INTERRUPT		0x00000000	/* as XNU: always on */
#define MACH_RCV_NOTIFY			0x00000000
#define MACH_RCV_OVERWRITE		0x00000000
#define MACH_SEND_ALWAYS		0x00010000	/* not supported */

#define MACH_RCV_TRAILER_NULL		0
#define MACH_RCV_TRAILER_SEQNO		1
#define MACH_RCV_TRAILER_SENDER		2
#define MACH_RCV_TRAILER_AUDIT		3
#define MACH_RCV_TRAILER_CTX		4
#define MACH_RCV_TRAILER_TYPE(x)	(((x) & 0xf) << 28)
#define MACH_RCV_TRAILER_ELEMENTS(x)	(((x) & 0xf) << 24)
#define MACH_RCV_TRAILER_MASK		(0xf << 24)
#define GET_RCV_ELEMENTS(y)		(((y) >> 24) & 0xf)

/* mach_msg() return codes (values of XNU's mach_msg_return_t). */
#define MACH_MSG_SUCCESS		MAILBOX_MSG_SUCCESS
#define MACH_MSG_MASK			0x00003e00
#define MACH_MSG_IPC_SPACE		0x00002000
#define MACH_MSG_VM_SPACE		0x00001000
#define MACH_MSG_IPC_KERNEL		0x00000800
#define MACH_MSG_VM_KERNEL		0x00000400

#define MACH_SEND_IN_PROGRESS		0x10000001
#define MACH_SEND_INVALID_DATA		MAILBOX_SEND_INVALID_DATA
#define MACH_SEND_INVALID_DEST		MAILBOX_SEND_INVALID_DEST
#define MACH_SEND_TIMED_OUT		MAILBOX_SEND_TIMED_OUT
#define MACH_SEND_INVALID_VOUCHER	0x10000005
#define MACH_SEND_INTERRUPTED		MAILBOX_SEND_INTERRUPTED
#define MACH_SEND_MSG_TOO_SMALL		MAILBOX_SEND_MSG_TOO_SMALL
#define MACH_SEND_INVALID_REPLY		MAILBOX_SEND_INVALID_REPLY
#define MACH_SEND_INVALID_RIGHT		MAILBOX_SEND_INVALID_RIGHT
#define MACH_SEND_INVALID_NOTIFY	0x1000000b
#define MACH_SEND_INVALID_MEMORY	0x1000000c
#define MACH_SEND_NO_BUFFER		MAILBOX_SEND_NO_BUFFER
#define MACH_SEND_TOO_LARGE		MAILBOX_SEND_TOO_LARGE
#define MACH_SEND_INVALID_TYPE		MAILBOX_SEND_INVALID_TYPE
#define MACH_SEND_INVALID_HEADER	MAILBOX_SEND_INVALID_HEADER
#define MACH_SEND_INVALID_TRAILER	0x10000011
#define MACH_SEND_INVALID_CONTEXT	0x10000012
#define MACH_SEND_INVALID_OPTIONS	MAILBOX_SEND_INVALID_OPTIONS

#define MACH_RCV_IN_PROGRESS		0x10004001
#define MACH_RCV_INVALID_NAME		MAILBOX_RCV_INVALID_NAME
#define MACH_RCV_TIMED_OUT		MAILBOX_RCV_TIMED_OUT
#define MACH_RCV_TOO_LARGE		MAILBOX_RCV_TOO_LARGE
#define MACH_RCV_INTERRUPTED		MAILBOX_RCV_INTERRUPTED
#define MACH_RCV_PORT_CHANGED		MAILBOX_RCV_PORT_CHANGED
#define MACH_RCV_INVALID_NOTIFY		0x10004007
#define MACH_RCV_INVALID_DATA		MAILBOX_RCV_INVALID_DATA
#define MACH_RCV_PORT_DIED		MAILBOX_RCV_PORT_DIED
#define MACH_RCV_IN_SET			0x1000400a
#define MACH_RCV_HEADER_ERROR		MAILBOX_RCV_HEADER_ERROR
#define MACH_RCV_BODY_ERROR		MAILBOX_RCV_BODY_ERROR
#define MACH_RCV_INVALID_TYPE		0x1000400d
#define MACH_RCV_SCATTER_SMALL		0x1000400e
#define MACH_RCV_INVALID_TRAILER	0x1000400f

/* Layout checks against the uapi. */
MAILBOX_MACH_ASSERT(sizeof(mach_msg_header_t) == sizeof(struct mailbox_msg_header),
		    "header layout");
MAILBOX_MACH_ASSERT(offsetof(mach_msg_header_t, msgh_id) == offsetof(struct mailbox_msg_header, id),
		    "header layout");
MAILBOX_MACH_ASSERT(sizeof(mach_msg_port_descriptor_t) == sizeof(struct mailbox_msg_port_descriptor),
		    "port descriptor layout");
MAILBOX_MACH_ASSERT(sizeof(mach_msg_ool_ports_descriptor_t) ==
			    sizeof(struct mailbox_msg_ool_ports_descriptor),
		    "ool ports descriptor layout");
MAILBOX_MACH_ASSERT(sizeof(mach_msg_ool_descriptor_t) == sizeof(struct mailbox_msg_ool_descriptor),
		    "ool descriptor layout");
MAILBOX_MACH_ASSERT(offsetof(mach_msg_ool_descriptor_t, size) ==
			    offsetof(struct mailbox_msg_ool_descriptor, size),
		    "ool descriptor layout");
MAILBOX_MACH_ASSERT(sizeof(mach_msg_max_trailer_t) == sizeof(struct mailbox_msg_trailer),
		    "trailer layout");

#ifdef __cplusplus
extern "C" {
#endif

mach_msg_return_t mach_msg(mach_msg_header_t *msg, mach_msg_option_t option,
			   mach_msg_size_t send_size, mach_msg_size_t rcv_size,
			   mach_port_name_t rcv_name, mach_msg_timeout_t timeout,
			   mach_port_name_t notify);

/*
 * XNU's convenience forms: mach_msg_send() sends msg->msgh_size bytes and
 * mach_msg_receive() receives into msg->msgh_size bytes on
 * msg->msgh_local_port, both without timeout.
 */
mach_msg_return_t mach_msg_send(mach_msg_header_t *msg);
mach_msg_return_t mach_msg_receive(mach_msg_header_t *msg);
/*
 * Releases the rights a received message holds: the reply right
 * (msgh_remote_port), every port descriptor's right and every right of a
 * port-array descriptor (the arrays themselves live in the receive buffer);
 * out-of-line memory regions are unmapped. Rights to be made or copied by
 * a message not yet sent (MAKE_*, COPY_SEND) are left alone, as in XNU.
 */
void mach_msg_destroy(mach_msg_header_t *msg);

#ifdef __cplusplus
}
#endif

#endif /* MAILBOX_MACH_MESSAGE_H */
