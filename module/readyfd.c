// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox: readiness fds (MAILBOX_IOC_PORT_READY_FD).
 *
 * A ready fd is an anon-inode file, "[mailbox-ready]", that holds one
 * reference on a port or a port set (the object, not the name: renaming,
 * moving or destroying the name does not change what it watches) and only
 * implements poll, for poll/select/epoll and io_uring. It is freed by the
 * file's release, which drops that reference.
 *
 * Pollers wait non-exclusively on the port's rcv_wait and ext->send_wait
 * (READY_FD gives the port its extension, internal.h) (or the
 * set's wait), where receivers and senders wait exclusively: add_wait_queue
 * puts them at the head, and every wake-up msg.c and pset.c do (one
 * exclusive waiter) wakes all the non-exclusive ones before it. The state is
 * read under the object's lock after poll_wait(), as wakers hold that lock
 * when they look for waiters.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "internal.h"

struct mbx_ready {
	struct mbx_port *port;		/* ref held, or NULL (set at init) */
	struct mbx_pset *pset;		/* ref held, or NULL (set at init) */
};

static __poll_t mbx_ready_poll(struct file *file, poll_table *wait)
{
	struct mbx_ready *rd = file->private_data;
	__poll_t mask = 0;

	if (rd->pset) {
		struct mbx_pset *pset = rd->pset;

		poll_wait(file, &pset->wait, wait);
		spin_lock(&pset->lock);
		if (!pset->active)
			mask |= EPOLLHUP;
		else if (!list_empty(&pset->ready))
			mask |= EPOLLIN | EPOLLRDNORM;
		spin_unlock(&pset->lock);
	} else {
		struct mbx_port *port = rd->port;

		poll_wait(file, &port->rcv_wait, wait);
		poll_wait(file, &port->ext->send_wait, wait);
		spin_lock(&port->lock);
		if (!port->active) {
			mask |= EPOLLHUP;
		} else {
			if (!list_empty(&port->msgs))	/* pulses too */
				mask |= EPOLLIN | EPOLLRDNORM;
			if (port->msgcount < port->qlimit)
				mask |= EPOLLOUT | EPOLLWRNORM;
		}
		spin_unlock(&port->lock);
	}
	return mask;
}

static int mbx_ready_release(struct inode *inode, struct file *file)
{
	struct mbx_ready *rd = file->private_data;

	if (rd->pset)
		mbx_pset_put(rd->pset);
	if (rd->port)
		mbx_port_put(rd->port);
	kfree(rd);
	mbx_stat_add(MBX_STAT_READY_FDS, -1);
	return 0;
}

static void mbx_ready_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct mbx_ready *rd = file->private_data;

	if (rd->pset) {
		seq_puts(m, "mailbox-ready:\tport-set");
		mbx_pset_show(m, rd->pset);
		seq_printf(m, " active:%u\n", READ_ONCE(rd->pset->active));
	} else {
		spin_lock(&rd->port->lock);
		seq_printf(m, "mailbox-ready:\tport msgcount:%u qlimit:%u active:%u in_set:%u\n",
			   rd->port->msgcount, rd->port->qlimit,
			   rd->port->active,
			   rd->port->ext && rd->port->ext->pset);
		spin_unlock(&rd->port->lock);
	}
}

static const struct file_operations mbx_ready_fops = {
	.owner = THIS_MODULE,
	.poll = mbx_ready_poll,
	.release = mbx_ready_release,
	.show_fdinfo = mbx_ready_show_fdinfo,
	.llseek = no_llseek,
};

int mbx_ioctl_ready_fd(struct mbx_space *space, void __user *uarg)
{
	struct mailbox_port_fd args;
	struct mbx_ready *rd;
	struct file *file;
	int fd, ret;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.disposition || args.flags || args.reserved)
		return -EINVAL;

	rd = kzalloc(sizeof(*rd), GFP_KERNEL_ACCOUNT);
	if (!rd)
		return -ENOMEM;
	mbx_stat_add(MBX_STAT_READY_FDS, 1);
	ret = mbx_receive_source(space, args.name, &rd->port, &rd->pset);
	if (ret)
		goto out_free;
	/* poll() waits on ext->send_wait too. */
	if (rd->port) {
		ret = mbx_port_ext_get(rd->port, GFP_KERNEL_ACCOUNT);
		if (ret)
			goto out_put;
	}

	fd = mbx_anon_fd("[mailbox-ready]", &mbx_ready_fops, rd, O_RDONLY,
			 &file);
	if (fd < 0) {
		ret = fd;
		goto out_put;
	}
	args.fd = fd;
	if (copy_to_user(uarg, &args, sizeof(args))) {
		put_unused_fd(fd);
		fput(file);		/* release() drops the references */
		return -EFAULT;
	}
	fd_install(fd, file);
	return 0;

out_put:
	if (rd->pset)
		mbx_pset_put(rd->pset);
	if (rd->port)
		mbx_port_put(rd->port);
out_free:
	kfree(rd);
	mbx_stat_add(MBX_STAT_READY_FDS, -1);
	return ret;
}
