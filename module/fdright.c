// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox: rights as file descriptors.
 *
 * MAILBOX_IOC_PORT_EXPORT takes one send or send-once right out of the
 * caller's space and wraps it in an anon-inode file, "[mailbox-right]"
 * (struct mbx_fdright in file->private_data). The file owns the right for
 * as long as it lives, so a port with an exported send right has senders
 * even if no space names it; fds travel over SCM_RIGHTS, survive exec
 * without O_CLOEXEC and are dup()ed like any file. release() releases the
 * right.
 *
 * MAILBOX_IOC_PORT_IMPORT puts the right into the caller's space: a send
 * right is copied (the file keeps its own and can be imported again), a
 * send-once right is moved out once; the file then holds nothing.
 *
 * Locking: fr->lock (mutex) serialises imports of one file and guards
 * fr->right.port against a send-once right moving out under show_fdinfo().
 * It is taken before space->lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "internal.h"

struct mbx_fdright {
	struct mutex lock;		/* serialises imports, fdinfo */
	struct mbx_right right;		/* (protected by @lock) */
};

static int mbx_fdright_release(struct inode *inode, struct file *file)
{
	struct mbx_fdright *fr = file->private_data;

	mbx_right_release(&fr->right);
	mutex_destroy(&fr->lock);
	kfree(fr);
	return 0;
}

/* fdinfo: the kind of right held, whether its port is alive, its id. */
static void mbx_fdright_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct mbx_fdright *fr = file->private_data;
	struct mbx_port *port;

	mutex_lock(&fr->lock);
	port = fr->right.port;
	if (!port)
		seq_puts(m, "mailbox-right:\tnone\n");
	else
		seq_printf(m, "mailbox-right:\t%s\nport-alive:\t%d\nport-id:\t%llu\n",
			   fr->right.type == MAILBOX_MSG_TYPE_PORT_SEND ?
			   "send" : "send-once", READ_ONCE(port->active),
			   port->id);
	mutex_unlock(&fr->lock);
}

static const struct file_operations mbx_fdright_fops = {
	.owner = THIS_MODULE,
	.release = mbx_fdright_release,
	.show_fdinfo = mbx_fdright_show_fdinfo,
	.llseek = no_llseek,
};

/**
 * mbx_anon_fd() - reserve an fd and make an anonymous-inode file for @priv
 * @name: the file's name, "[mailbox-...]"
 * @fops: its operations
 * @priv: its private_data
 * @flags: open flags for anon_inode_getfile()
 * @filep: set to the file on success
 *
 * The caller then either installs the fd (fd_install()) or gives both back
 * (put_unused_fd(), then fput(), which calls @fops->release on @priv).
 *
 * Return: the fd, or a negative errno with nothing to undo.
 */
int mbx_anon_fd(const char *name, const struct file_operations *fops,
		void *priv, int flags, struct file **filep)
{
	struct file *file;
	int fd;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	file = anon_inode_getfile(name, fops, priv, flags);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	*filep = file;
	return fd;
}

int mbx_ioctl_port_export(struct mbx_space *space, void __user *uarg)
{
	struct mailbox_port_fd args;
	struct mbx_txn txn;
	struct mbx_fdright *fr;
	struct file *file;
	int fd, ret;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.flags || args.reserved)
		return -EINVAL;
	if (!mbx_send_disposition_valid(args.disposition))
		return -EINVAL;

	fr = kzalloc(sizeof(*fr), GFP_KERNEL_ACCOUNT);
	if (!fr)
		return -ENOMEM;
	mutex_init(&fr->lock);

	fd = mbx_anon_fd("[mailbox-right]", &mbx_fdright_fops, fr, O_RDWR,
			 &file);
	if (fd < 0) {
		ret = fd;
		goto out_free;
	}
	/* From here on, fput() frees @fr and whatever right it holds. */

	mbx_txn_init(&txn);
	mutex_lock(&space->lock);
	ret = mbx_copyin_locked(space, args.name, args.disposition, &txn,
				&fr->right);
	if (ret)
		goto out_unlock;
	/*
	 * Tell user space the fd while the copyin can still be undone, so
	 * that a fault changes nothing (user memory under a mutex is fine).
	 */
	args.fd = fd;
	if (copy_to_user(uarg, &args, sizeof(args))) {
		mbx_txn_undo_locked(space, &txn);
		ret = -EFAULT;
		goto out_unlock;
	}
	mbx_txn_commit_locked(space, &txn);
	mutex_unlock(&space->lock);

	fd_install(fd, file);
	return 0;

out_unlock:
	mutex_unlock(&space->lock);
	fput(file);
	put_unused_fd(fd);
	return ret;

out_free:
	mutex_destroy(&fr->lock);
	kfree(fr);
	return ret;
}

/*
 * A copy of the send right @fr holds, in @copy: one more send right counted
 * in the port. -EPIPE if the port is dead.
 */
static int mbx_fdright_copy_send(struct mbx_fdright *fr,
				 struct mbx_right *copy)
{
	struct mbx_port *port = fr->right.port;

	spin_lock(&port->lock);
	if (!port->active) {
		spin_unlock(&port->lock);
		return -EPIPE;
	}
	port->srights++;
	spin_unlock(&port->lock);
	copy->port = mbx_port_get(port);
	copy->type = MAILBOX_MSG_TYPE_PORT_SEND;
	return 0;
}

int mbx_ioctl_port_import(struct mbx_space *space, void __user *uarg)
{
	struct mailbox_port_fd args;
	struct mbx_right copy = { };
	struct mbx_fdright *fr;
	struct mbx_entry *spare;
	struct fd f;
	u32 name;
	int ret;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.flags || args.reserved || args.disposition)
		return -EINVAL;

	f = fdget(args.fd);
	if (!fd_file(f))
		return -EBADF;
	if (fd_file(f)->f_op != &mbx_fdright_fops) {
		ret = -EINVAL;
		goto out_fdput;
	}
	fr = fd_file(f)->private_data;

	spare = mbx_entry_alloc();
	if (!spare) {
		ret = -ENOMEM;
		goto out_fdput;
	}

	mutex_lock(&fr->lock);
	if (!fr->right.port) {
		/* A send-once right that was imported already. */
		ret = -ENODATA;
		goto out_unlock_fr;
	}
	if (fr->right.type == MAILBOX_MSG_TYPE_PORT_SEND) {
		ret = mbx_fdright_copy_send(fr, &copy);
		if (ret)
			goto out_unlock_fr;
		mutex_lock(&space->lock);
		ret = mbx_copyout_locked(space, &copy, args.name, &spare,
					 &name);
		mutex_unlock(&space->lock);
		/* Failed: the copy goes, the file's right stays. */
		mbx_right_release(&copy);
	} else {
		/* Moved on success; untouched on failure. */
		mutex_lock(&space->lock);
		ret = mbx_copyout_locked(space, &fr->right, args.name, &spare,
					 &name);
		mutex_unlock(&space->lock);
	}
out_unlock_fr:
	mutex_unlock(&fr->lock);

	if (spare)
		mbx_entry_free(spare);
	if (!ret) {
		args.name = name;
		if (copy_to_user(uarg, &args, sizeof(args)))
			ret = -EFAULT;
	}
out_fdput:
	fdput(f);
	return ret;
}
