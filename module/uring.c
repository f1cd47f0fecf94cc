// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox: io_uring commands (IORING_OP_URING_CMD, Documentation/io_uring.rst).
 *
 * MAILBOX_URING_CMD_MSG runs MAILBOX_IOC_MSG asynchronously. A command is
 * never left pending inside the module: it is either finished by the
 * ->uring_cmd call that issued it, or that call blocks. io_uring first
 * issues it from the submitting task with IO_URING_F_NONBLOCK; if it cannot
 * finish without waiting we return -EAGAIN and io_uring issues it again from
 * an io-wq worker (a thread of the submitter's process, sharing its memory
 * and files), where it runs as the blocking ioctl does. This is what 6.1
 * allows cleanly: it has no cancel hook for a command a driver holds
 * (-EIOCBQUEUED), so such a command would stall ring teardown and process
 * exit; a command blocked in io-wq is one io_uring itself cancels (it sets
 * TIF_NOTIFY_SIGNAL on the worker) on IORING_OP_ASYNC_CANCEL, ring release
 * and task exit. A waiting command interrupted that way fails with -EINTR
 * inside msg.c, which we turn into -ECANCELED.
 *
 * The one cancellation io_uring does not know is the close of the mailbox
 * fd (the request holds its own reference on the file, so release() cannot
 * run while a command waits): every blocked command is a struct
 * mbx_uring_waiter on mbx_uring_waiters, and ->flush() interrupts those of
 * the closing process (same files_struct) once that process has no fd left
 * for the file, as io-wq does to cancel (TIF_NOTIFY_SIGNAL, then a wake-up).
 * A command that reaches io-wq after that close sees no fd for its file in
 * its files table and fails with -ECANCELED without running.
 *
 * Lifetime: a waiter lives on the stack of the io-wq worker running the
 * command, linked on mbx_uring_waiters (under mbx_uring_lock) from before
 * the fd check until the command returns; the worker cannot exit meanwhile,
 * so @task stays valid while linked.
 *
 * Locking: mbx_uring_lock (spinlock) protects mbx_uring_waiters and every
 * waiter's @cancelled. It is a leaf: nothing is taken under it except the
 * scheduler's locks of wake_up_process().
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fdtable.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>

#include "internal.h"
#include "compat.h"

struct mbx_uring_waiter {
	struct list_head link;		/* in mbx_uring_waiters */
	struct task_struct *task;	/* (set at init) the io-wq worker */
	struct file *file;		/* (set at init) the mailbox file */
	struct files_struct *owner;	/* (set at init) the worker's files */
	bool cancelled;			/* (mbx_uring_lock) by flush */
};

static LIST_HEAD(mbx_uring_waiters);
static DEFINE_SPINLOCK(mbx_uring_lock);

static int mbx_uring_same_file(const void *p, struct file *file,
			       unsigned int fd)
{
	return p == file;
}

/* Does @files still hold an fd for @file? */
static bool mbx_uring_has_fd(struct files_struct *files, struct file *file)
{
	return files && iterate_fd(files, 0, mbx_uring_same_file, file);
}

/*
 * Can MAILBOX_IOC_MSG with @args finish without waiting when run with
 * nonblock set? A timeout of 0 never waits; a non-zero one waits whatever
 * nonblock says; a send without a timeout waits only for room (nonblock
 * makes it -EAGAIN, given back before anything is queued); a receive
 * without one likewise. A call cannot be retried after its send, so it
 * runs in io-wq unless neither half can wait.
 */
static bool mbx_uring_may_try(const struct mailbox_msg *args)
{
	bool snd = args->options & MAILBOX_MSG_SEND;
	bool rcv = args->options & MAILBOX_MSG_RCV;
	bool snd_timed = args->options & MAILBOX_MSG_SEND_TIMEOUT;
	bool rcv_timed = args->options & MAILBOX_MSG_RCV_TIMEOUT;

	if (snd && snd_timed && args->send_timeout)
		return false;
	if (rcv && rcv_timed && args->rcv_timeout)
		return false;
	if (snd && rcv)
		return snd_timed && rcv_timed;
	return true;
}

/* Issued from the submitter with IO_URING_F_NONBLOCK. */
static int mbx_uring_msg_nowait(struct file *file, void __user *uarg)
{
	struct mbx_space *space = file->private_data;
	struct mailbox_msg args;
	int ret;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	/*
	 * Straight to io-wq if it could wait, even on an O_NONBLOCK file (a
	 * timeout wins over O_NONBLOCK, as for the ioctl). If user space
	 * changes the arguments meanwhile, the ioctl below may wait here:
	 * only the submitter is held up.
	 */
	if (!mbx_uring_may_try(&args))
		return -EAGAIN;
	ret = mbx_ioctl_msg(space, uarg, true);
	mbx_prio_settle();
	if (ret == -EAGAIN && !(file->f_flags & O_NONBLOCK)) {
		/*
		 * Nothing happened (a full queue or an empty one, the rights
		 * given back): wait in io-wq. The status the ioctl wrote is
		 * overwritten there.
		 */
		return -EAGAIN;
	}
	return ret;
}

/* Issued from an io-wq worker, may block. */
static int mbx_uring_msg_wait(struct file *file, void __user *uarg)
{
	struct mbx_uring_waiter w = {
		.task = current,
		.file = file,
		.owner = current->files,
	};
	int ret;

	spin_lock(&mbx_uring_lock);
	list_add(&w.link, &mbx_uring_waiters);
	spin_unlock(&mbx_uring_lock);
	mbx_stat_add(MBX_STAT_URING_WAITING, 1);

	/* A flush from now on finds us; one before left no fd behind. */
	if (!mbx_uring_has_fd(w.owner, file))
		ret = -ECANCELED;
	else
		ret = mbx_ioctl_msg(file->private_data, uarg,
				    file->f_flags & O_NONBLOCK);

	spin_lock(&mbx_uring_lock);
	list_del(&w.link);
	spin_unlock(&mbx_uring_lock);
	mbx_stat_add(MBX_STAT_URING_WAITING, -1);
	mbx_prio_settle();

	/*
	 * An io-wq worker sees no signal but io_uring's cancellation, its
	 * process's death and our flush (the harmless TIF_NOTIFY_SIGNAL left
	 * by a flush that came too late is cleared by io-wq's loop).
	 */
	if (ret == -EINTR || ret == -ERESTARTSYS)
		ret = -ECANCELED;
	return ret;
}

/**
 * mbx_uring_cmd() - file_operations.uring_cmd of /dev/mailbox
 * @ioucmd: the command: cmd_op and the payload in the SQE
 * @issue_flags: IO_URING_F_*
 *
 * Return: the command's result (0 or -errno), or -EAGAIN to be issued again
 * from io-wq.
 */
int mbx_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags)
{
	const struct mailbox_uring_msg *pl = mbx_uring_cmd_payload(ioucmd);
	struct file *file = ioucmd->file;
	struct mailbox_uring_msg c;

	if (ioucmd->cmd_op != MAILBOX_URING_CMD_MSG)
		return -ENOTTY;
	/* Completions are posted, never polled for. */
	if (issue_flags & IO_URING_F_IOPOLL)
		return -EOPNOTSUPP;
	c.msg = READ_ONCE(pl->msg);
	c.flags = READ_ONCE(pl->flags);
	c.reserved = READ_ONCE(pl->reserved);
	if (c.flags || c.reserved)
		return -EINVAL;

	if (issue_flags & IO_URING_F_NONBLOCK)
		return mbx_uring_msg_nowait(file, u64_to_user_ptr(c.msg));
	return mbx_uring_msg_wait(file, u64_to_user_ptr(c.msg));
}

/**
 * mbx_uring_flush() - file_operations.flush of /dev/mailbox
 * @file: the mailbox file one of whose fds is being closed
 * @id: the files table it is closed in
 *
 * Cancels the io_uring commands of @id's process blocked on @file once the
 * process has no fd left for it (Documentation/io_uring.rst).
 *
 * Return: 0.
 */
int mbx_uring_flush(struct file *file, fl_owner_t id)
{
	struct files_struct *files = id;
	struct mbx_uring_waiter *w;

	if (list_empty_careful(&mbx_uring_waiters))
		return 0;
	if (mbx_uring_has_fd(files, file))
		return 0;
	spin_lock(&mbx_uring_lock);
	list_for_each_entry(w, &mbx_uring_waiters, link) {
		if (w->file != file || w->owner != files || w->cancelled)
			continue;
		w->cancelled = true;
		set_tsk_thread_flag(w->task, TIF_NOTIFY_SIGNAL);
		wake_up_process(w->task);
	}
	spin_unlock(&mbx_uring_lock);
	return 0;
}
