/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mach-compatible C API over /dev/mailbox: notifications (XNU's
 * <mach/notify.h>). Each struct ends with room for a trailer, as XNU's do;
 * the module writes one only with MACH_RCV_TRAILER_*.
 */
#ifndef MAILBOX_MACH_NOTIFY_H
#define MAILBOX_MACH_NOTIFY_H

#include <mailbox/mach/message.h>
#include <mailbox/mach/ndr.h>

#define MACH_NOTIFY_FIRST		0100
#define MACH_NOTIFY_PORT_DELETED	MAILBOX_NOTIFY_PORT_DELETED
#define MACH_NOTIFY_SEND_POSSIBLE	MAILBOX_NOTIFY_SEND_POSSIBLE
#define MACH_NOTIFY_PORT_DESTROYED	MAILBOX_NOTIFY_PORT_DESTROYED
#define MACH_NOTIFY_NO_SENDERS		MAILBOX_NOTIFY_NO_SENDERS
#define MACH_NOTIFY_SEND_ONCE		MAILBOX_NOTIFY_SEND_ONCE
#define MACH_NOTIFY_DEAD_NAME		MAILBOX_NOTIFY_DEAD_NAME
#define MACH_NOTIFY_LAST		0111

typedef struct {
	mach_msg_header_t not_header;
	NDR_record_t NDR;
	mach_port_name_t not_port;
	mach_msg_max_trailer_t trailer;
} mach_port_deleted_notification_t, mach_send_possible_notification_t,
	mach_dead_name_notification_t;

typedef struct {
	mach_msg_header_t not_header;
	NDR_record_t NDR;
	mach_msg_type_number_t not_count;
	mach_msg_max_trailer_t trailer;
} mach_no_senders_notification_t;

#pragma pack(push, 4)
typedef struct {
	mach_msg_header_t not_header;
	mach_msg_body_t not_body;
	mach_msg_port_descriptor_t not_port;
	mach_msg_max_trailer_t trailer;
} mach_port_destroyed_notification_t;
#pragma pack(pop)

typedef struct {
	mach_msg_header_t not_header;
	mach_msg_max_trailer_t trailer;
} mach_send_once_notification_t;

MAILBOX_MACH_ASSERT(offsetof(mach_dead_name_notification_t, not_port) ==
			    offsetof(struct mailbox_notify_name, name), "notification layout");
MAILBOX_MACH_ASSERT(offsetof(mach_port_destroyed_notification_t, not_port) ==
			    offsetof(struct mailbox_notify_port_destroyed, rcv_right),
		    "notification layout");

#endif /* MAILBOX_MACH_NOTIFY_H */
