/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mailbox: differences between the kernels the module builds against
 * (6.1, Debian 12's, is the target; later ones are kept building). One
 * section per subsystem, so that helpers adding sections merge easily.
 */
#ifndef _MAILBOX_COMPAT_H
#define _MAILBOX_COMPAT_H

#include <linux/version.h>

/* io_uring */
/*
 * struct io_uring_cmd moved to <linux/io_uring/cmd.h> in 6.7; its command
 * area is reached through ->cmd up to 6.4 and io_uring_sqe_cmd(->sqe) from
 * 6.5. Both 6.1 and 6.12 punt a command whose ->uring_cmd returns -EAGAIN
 * from a non-blocking issue to an io-wq worker and issue it there again
 * without IO_URING_F_NONBLOCK (uring.c relies on this); neither needs
 * io_uring_cmd_done() for a command completed by its return value. The
 * cancelable commands of 6.7+ (io_uring_cmd_mark_cancelable) are not used:
 * uring.c never leaves a command pending outside a running handler.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
#include <linux/io_uring/cmd.h>
#else
#include <linux/io_uring.h>
#endif

static inline const void *mbx_uring_cmd_payload(const struct io_uring_cmd *c)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
	return io_uring_sqe_cmd(c->sqe);
#else
	return c->cmd;
#endif
}

#endif /* _MAILBOX_COMPAT_H */
