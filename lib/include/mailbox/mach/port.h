/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mach-compatible C API over /dev/mailbox: port names, rights, type bits,
 * attributes (XNU's <mach/port.h>). See Documentation/mach-api.rst.
 */
#ifndef MAILBOX_MACH_PORT_H
#define MAILBOX_MACH_PORT_H

#include <stdint.h>
#include <linux/mailbox.h>

typedef unsigned int natural_t;
typedef int integer_t;
typedef natural_t mach_port_name_t;
typedef mach_port_name_t *mach_port_name_array_t;
typedef mach_port_name_t mach_port_t;	/* user space: a name */
typedef mach_port_t *mach_port_array_t;
typedef mach_port_t ipc_space_t;	/* a space: see mach_task_self() */
typedef mach_port_t task_t;
typedef uint64_t mach_port_context_t;

typedef natural_t mach_port_right_t;
typedef natural_t mach_port_type_t;
typedef mach_port_type_t *mach_port_type_array_t;
typedef natural_t mach_port_urefs_t;
typedef int mach_port_delta_t;
typedef natural_t mach_port_seqno_t;
typedef natural_t mach_port_mscount_t;
typedef natural_t mach_port_msgcount_t;
typedef natural_t mach_port_rights_t;
typedef int mach_port_flavor_t;
typedef integer_t *mach_port_info_t;
typedef natural_t mach_msg_type_number_t;

#define MACH_PORT_NULL		((mach_port_t)MAILBOX_PORT_NULL)
#define MACH_PORT_DEAD		((mach_port_t)MAILBOX_PORT_DEAD)
#define MACH_PORT_VALID(name)	((name) != MACH_PORT_NULL && (name) != MACH_PORT_DEAD)

#define MACH_PORT_RIGHT_SEND		((mach_port_right_t)MAILBOX_RIGHT_SEND)
#define MACH_PORT_RIGHT_RECEIVE		((mach_port_right_t)MAILBOX_RIGHT_RECEIVE)
#define MACH_PORT_RIGHT_SEND_ONCE	((mach_port_right_t)MAILBOX_RIGHT_SEND_ONCE)
#define MACH_PORT_RIGHT_PORT_SET	((mach_port_right_t)MAILBOX_RIGHT_PORT_SET)
#define MACH_PORT_RIGHT_DEAD_NAME	((mach_port_right_t)MAILBOX_RIGHT_DEAD_NAME)
#define MACH_PORT_RIGHT_NUMBER		((mach_port_right_t)5)

#define MACH_PORT_TYPE(right)		((mach_port_type_t)MAILBOX_PORT_TYPE(right))
#define MACH_PORT_TYPE_NONE		((mach_port_type_t)0)
#define MACH_PORT_TYPE_SEND		MACH_PORT_TYPE(MACH_PORT_RIGHT_SEND)
#define MACH_PORT_TYPE_RECEIVE		MACH_PORT_TYPE(MACH_PORT_RIGHT_RECEIVE)
#define MACH_PORT_TYPE_SEND_ONCE	MACH_PORT_TYPE(MACH_PORT_RIGHT_SEND_ONCE)
#define MACH_PORT_TYPE_PORT_SET		MACH_PORT_TYPE(MACH_PORT_RIGHT_PORT_SET)
#define MACH_PORT_TYPE_DEAD_NAME	MACH_PORT_TYPE(MACH_PORT_RIGHT_DEAD_NAME)
#define MACH_PORT_TYPE_SEND_RECEIVE	(MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_RECEIVE)
#define MACH_PORT_TYPE_SEND_RIGHTS	(MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_SEND_ONCE)
#define MACH_PORT_TYPE_PORT_RIGHTS	(MACH_PORT_TYPE_SEND_RIGHTS | MACH_PORT_TYPE_RECEIVE)
#define MACH_PORT_TYPE_PORT_OR_DEAD	(MACH_PORT_TYPE_PORT_RIGHTS | MACH_PORT_TYPE_DEAD_NAME)
#define MACH_PORT_TYPE_ALL_RIGHTS	(MACH_PORT_TYPE_PORT_OR_DEAD | MACH_PORT_TYPE_PORT_SET)
/* Request bits: never reported by this implementation (see mach-api.rst). */
#define MACH_PORT_TYPE_DNREQUEST	0x80000000U
#define MACH_PORT_TYPE_SPREQUEST	0x40000000U

#define MACH_PORT_UREFS_MAX		((mach_port_urefs_t)MAILBOX_UREFS_MAX)

#define MACH_PORT_QLIMIT_ZERO		0
#define MACH_PORT_QLIMIT_BASIC		5
#define MACH_PORT_QLIMIT_SMALL		16
#define MACH_PORT_QLIMIT_LARGE		1024
#define MACH_PORT_QLIMIT_KERNEL		65534
#define MACH_PORT_QLIMIT_MIN		MACH_PORT_QLIMIT_ZERO
#define MACH_PORT_QLIMIT_DEFAULT	MAILBOX_QLIMIT_DEFAULT
#define MACH_PORT_QLIMIT_MAX		MACH_PORT_QLIMIT_LARGE

/* mach_port_get_attributes / set_attributes flavors. */
#define MACH_PORT_LIMITS_INFO		1
#define MACH_PORT_RECEIVE_STATUS	2
#define MACH_PORT_DNREQUESTS_SIZE	3

typedef struct mach_port_limits {
	mach_port_msgcount_t mpl_qlimit;
} mach_port_limits_t;

#define MACH_PORT_LIMITS_INFO_COUNT \
	((mach_msg_type_number_t)(sizeof(mach_port_limits_t) / sizeof(natural_t)))

typedef struct mach_port_status {
	mach_port_rights_t mps_pset;	/* always 0: not reported by the module */
	mach_port_seqno_t mps_seqno;
	mach_port_mscount_t mps_mscount;
	mach_port_msgcount_t mps_qlimit;
	mach_port_msgcount_t mps_msgcount;
	mach_port_rights_t mps_sorights;
	int32_t mps_srights;		/* boolean: send rights exist */
	int32_t mps_pdrequest;		/* always 0 */
	int32_t mps_nsrequest;		/* always 0 */
	natural_t mps_flags;		/* always 0 */
} mach_port_status_t;

#define MACH_PORT_RECEIVE_STATUS_COUNT \
	((mach_msg_type_number_t)(sizeof(mach_port_status_t) / sizeof(natural_t)))

/* mach_port_construct() */
#define MPO_CONTEXT_AS_GUARD		0x01
#define MPO_QLIMIT			0x02
#define MPO_TEMPOWNER			0x04
#define MPO_IMPORTANCE_RECEIVER		0x08
#define MPO_INSERT_SEND_RIGHT		0x10
#define MPO_STRICT			0x20
#define MPO_DENAP_RECEIVER		0x40
#define MPO_IMMOVABLE_RECEIVE		0x80

typedef struct mach_port_options {
	uint32_t flags;
	mach_port_limits_t mpl;
	uint64_t reserved[2];
} mach_port_options_t;
typedef mach_port_options_t *mach_port_options_ptr_t;

#endif /* MAILBOX_MACH_PORT_H */
