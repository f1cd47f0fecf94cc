// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * consumer: the C half. Built against an installed libmailbox only
 * (pkg-config or CMake), never against the source tree.
 */
#include <mailbox/mach/mach.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mach_part.h"

typedef struct {
	mach_msg_header_t header;
	char text[32];
} consumer_msg_t;

int consumer_mach_roundtrip(void)
{
	consumer_msg_t msg, rcv;
	mach_port_t port;
	kern_return_t kr;

	if (mach_task_self() == MACH_PORT_NULL) {
		printf("mach: /dev/mailbox: %s\n", strerror(errno));
		return 77;
	}
	kr = mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &port);
	if (kr != KERN_SUCCESS) {
		printf("mach: mach_port_allocate: %s\n", mach_error_string(kr));
		return 1;
	}

	memset(&msg, 0, sizeof(msg));
	msg.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0);
	msg.header.msgh_size = sizeof(msg);
	msg.header.msgh_remote_port = port;
	msg.header.msgh_id = 42;
	snprintf(msg.text, sizeof(msg.text), "hello from C");
	kr = mach_msg(&msg.header, MACH_SEND_MSG, sizeof(msg), 0, MACH_PORT_NULL,
		      MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
	if (kr == MACH_MSG_SUCCESS)
		kr = mach_msg(&rcv.header, MACH_RCV_MSG, 0, sizeof(rcv), port,
			      MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
	mach_port_mod_refs(mach_task_self(), port, MACH_PORT_RIGHT_RECEIVE, -1);
	if (kr != MACH_MSG_SUCCESS) {
		printf("mach: mach_msg: %s\n", mach_error_string(kr));
		return 1;
	}
	printf("mach: received id %d: %s\n", rcv.header.msgh_id, rcv.text);
	return rcv.header.msgh_id == 42 && strcmp(rcv.text, "hello from C") == 0 ? 0 : 1;
}
