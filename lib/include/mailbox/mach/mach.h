/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mach-compatible C API over /dev/mailbox. Write
 *	#include <mailbox/mach/mach.h>
 * where XNU code has <mach/mach.h>, and link with libmailbox.a. The
 * differences from XNU are listed in Documentation/mach-api.rst.
 */
#ifndef MAILBOX_MACH_MACH_H
#define MAILBOX_MACH_MACH_H

#include <mailbox/mach/kern_return.h>
#include <mailbox/mach/port.h>
#include <mailbox/mach/message.h>
#include <mailbox/mach/ndr.h>
#include <mailbox/mach/notify.h>
#include <mailbox/mach/mach_port.h>
#include <mailbox/mach/mach_vm.h>
#include <mailbox/mach/mach_error.h>
#include <mailbox/mach/bootstrap.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The calling process's IPC space: an O_CLOEXEC fd of /dev/mailbox, opened
 * on first use (numbered 3 or higher so it is never MACH_PORT_NULL) and
 * shared by every thread. MACH_PORT_NULL if /dev/mailbox cannot be opened
 * (errno says why). After fork() the child shares the parent's space, as a
 * thread would; mailbox_task_reset_after_fork() gives it its own.
 */
mach_port_t mach_task_self(void);

/*
 * In a child after fork(): forget the inherited space (close the child's
 * copy of the fd; the parent's space and its rights are not affected) so
 * the next mach_task_self() opens a new, empty one. Names obtained before
 * are meaningless afterwards.
 */
void mailbox_task_reset_after_fork(void);

#ifdef __cplusplus
}
#endif

#endif /* MAILBOX_MACH_MACH_H */
