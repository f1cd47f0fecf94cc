// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox: MAILBOX_IOC_MSG_BATCH, several sends or receives in one call.
 *
 * The caller passes an array of struct mailbox_msg, each a send or a
 * receive (not both) as MAILBOX_IOC_MSG would do it (mbx_msg_run() in
 * msg.c does every one, so priorities, filters, peek, port sets, rights,
 * limits and notifications behave exactly as for single calls). A send
 * waits for room as its own options say; a receive other than the first
 * element takes only what is queued already. The array is copied in and
 * checked whole before anything is sent or received, and each element is
 * written back after it ran. Nothing here is locked or kept beyond the
 * call.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/uaccess.h>

#include "internal.h"

/* What a batch element may ask for: a send or a receive, not both. */
static bool mbx_batch_elem_valid(const struct mailbox_msg *m)
{
	u32 dir = m->options & (MAILBOX_MSG_SEND | MAILBOX_MSG_RCV);

	return !(m->options & ~MAILBOX_MSG_OPTIONS_ALL) && !m->reserved &&
	       (dir == MAILBOX_MSG_SEND || dir == MAILBOX_MSG_RCV);
}

int mbx_ioctl_msg_batch(struct mbx_space *space, void __user *uarg,
			bool nonblock)
{
	struct mailbox_msg_batch __user *ub = uarg;
	struct mailbox_msg_batch b;
	struct mailbox_msg __user *um;
	struct mailbox_msg *msgs;
	bool fault = false;
	int ret = 0;
	u32 i;

	if (copy_from_user(&b, ub, sizeof(b)))
		return -EFAULT;
	if (b.flags || !b.count || b.count > MAILBOX_BATCH_MAX)
		return -EINVAL;
	um = u64_to_user_ptr(b.msgs);
	msgs = memdup_user(um, array_size(b.count, sizeof(*msgs)));
	if (IS_ERR(msgs))
		return PTR_ERR(msgs);
	for (i = 0; i < b.count; i++) {
		if (!mbx_batch_elem_valid(&msgs[i])) {
			ret = -EINVAL;
			goto out_free;
		}
	}

	for (i = 0; i < b.count; i++) {
		struct mailbox_msg *m = &msgs[i];
		u32 options = m->options;
		u64 timeout = m->rcv_timeout;

		/* A receive after the first: only what is queued already. */
		if (i && (options & MAILBOX_MSG_RCV)) {
			m->options |= MAILBOX_MSG_RCV_TIMEOUT;
			m->rcv_timeout = 0;
		}
		ret = mbx_msg_run(space, m, nonblock);
		m->options = options;
		m->rcv_timeout = timeout;
		if (copy_to_user(&um[i], m, sizeof(*m))) {
			/* Done, but its element cannot say so. */
			if (!ret)
				i++;
			fault = true;
			break;
		}
		if (ret)
			break;
	}
	/* i elements done; a later failure ends the batch quietly. */
	if (put_user(i, &ub->count) || fault)
		ret = -EFAULT;
	else if (i)
		ret = 0;
out_free:
	kfree(msgs);
	return ret;
}
