// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox: Mach-style, capability-based mailbox IPC.
 *
 * This file owns the misc device /dev/mailbox, its file operations and the
 * ioctl dispatcher. Each open creates an IPC space (struct mbx_space) that
 * lives exactly as long as the file: release() destroys every right in it.
 * The module cannot be unloaded while a file is open (fops owner).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>

#include "internal.h"

/* Smallest allowed max_msg_size: a header and 64 KiB of inline body. */
#define MBX_MIN_MAX_MSG_SIZE	(MBX_HEADER_SIZE + 65536)

unsigned int mbx_max_msg_size = 128 * 1024;
module_param_named(max_msg_size, mbx_max_msg_size, uint, 0444);
MODULE_PARM_DESC(max_msg_size,
		 "Largest message (header + inline body) in bytes, >= 65560 (default 131072)");

unsigned int mbx_qlimit_max = 16384;
module_param_named(qlimit_max, mbx_qlimit_max, uint, 0444);
MODULE_PARM_DESC(qlimit_max, "Largest queue limit a port may be given (default 16384)");

unsigned int mbx_max_names = 262144;
module_param_named(max_names, mbx_max_names, uint, 0444);
MODULE_PARM_DESC(max_names, "Most names one space may hold (default 262144)");

unsigned int mbx_max_services = 4096;
module_param_named(max_services, mbx_max_services, uint, 0444);
MODULE_PARM_DESC(max_services,
		 "Most registered services per IPC namespace (default 4096)");

unsigned int mbx_max_ool_size = 256U << 20;
module_param_named(max_ool_size, mbx_max_ool_size, uint, 0444);
MODULE_PARM_DESC(max_ool_size,
		 "Most out-of-line memory bytes one message may carry (default 268435456)");

static const struct file_operations mbx_fops;

static int mbx_open(struct inode *inode, struct file *file)
{
	struct mbx_space *space;

	int ret;

	space = mbx_space_create();
	if (!space)
		return -ENOMEM;
	ret = mbx_limits_open(space, file);
	if (ret) {
		mbx_space_destroy(space);
		return ret;
	}
	file->private_data = space;
	return nonseekable_open(inode, file);
}

static int mbx_release(struct inode *inode, struct file *file)
{
	mbx_space_destroy(file->private_data);
	mbx_prio_settle();
	return 0;
}

/**
 * mbx_space_from_fd() - the space behind a user-supplied fd
 * @fd: the fd
 * @f: filled; the caller must fdput() it once done with the space
 *
 * Return: the space, ERR_PTR(-EBADF) if @fd is not open, ERR_PTR(-EINVAL) if
 * it is not a /dev/mailbox file.
 */
struct mbx_space *mbx_space_from_fd(int fd, struct fd *f)
{
	*f = fdget(fd);
	if (!fd_file(*f))
		return ERR_PTR(-EBADF);
	if (fd_file(*f)->f_op != &mbx_fops) {
		fdput(*f);
		*f = (struct fd) { };
		return ERR_PTR(-EINVAL);
	}
	return fd_file(*f)->private_data;
}

static int mbx_ioctl_version(void __user *uarg)
{
	struct mailbox_version v;
	unsigned int i;

	if (copy_from_user(&v, uarg, sizeof(v)))
		return -EFAULT;
	if (v.flags)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(v.reserved); i++)
		if (v.reserved[i])
			return -EINVAL;

	v.abi_major = MAILBOX_ABI_MAJOR;
	v.abi_minor = MAILBOX_ABI_MINOR;
	v.max_msg_size = mbx_max_msg_size;
	v.features = MAILBOX_FEATURE_PORTS | MAILBOX_FEATURE_MSG |
		     MAILBOX_FEATURE_TRAILER | MAILBOX_FEATURE_FOREIGN_INSERT |
		     MAILBOX_FEATURE_DESCRIPTORS | MAILBOX_FEATURE_NOTIFICATIONS |
		     MAILBOX_FEATURE_RIGHT_FD | MAILBOX_FEATURE_REGISTRY |
		     MAILBOX_FEATURE_PORT_SETS | MAILBOX_FEATURE_READY_FD |
		     MAILBOX_FEATURE_IOV | MAILBOX_FEATURE_OOL |
		     MAILBOX_FEATURE_PRIORITIES | MAILBOX_FEATURE_SELECTIVE |
		     MAILBOX_FEATURE_PULSES | MAILBOX_FEATURE_URING_CMD |
		     MAILBOX_FEATURE_BATCH_SEND | MAILBOX_FEATURE_BATCH_WAKE |
		     MAILBOX_FEATURE_SPIN | MAILBOX_FEATURE_OOL_MOVE |
		     MAILBOX_FEATURE_PRIO_INHERIT;
	v.qlimit_default = MAILBOX_QLIMIT_DEFAULT;
	v.qlimit_max = mbx_qlimit_max;
	v.max_names = mbx_max_names;
	if (copy_to_user(uarg, &v, sizeof(v)))
		return -EFAULT;
	return 0;
}

static long mbx_ioctl_cmd(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct mbx_space *space = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case MAILBOX_IOC_VERSION:
		return mbx_ioctl_version(uarg);
	case MAILBOX_IOC_PORT_ALLOCATE:
		return mbx_ioctl_allocate(space, uarg);
	case MAILBOX_IOC_PORT_DEALLOCATE:
		return mbx_ioctl_deallocate(space, uarg);
	case MAILBOX_IOC_PORT_DESTROY:
		return mbx_ioctl_destroy(space, uarg);
	case MAILBOX_IOC_PORT_MOD_REFS:
		return mbx_ioctl_mod_refs(space, uarg);
	case MAILBOX_IOC_PORT_INSERT_RIGHT:
		return mbx_ioctl_insert_right(space, uarg);
	case MAILBOX_IOC_PORT_TYPE:
		return mbx_ioctl_type(space, uarg);
	case MAILBOX_IOC_PORT_NAMES:
		return mbx_ioctl_names(space, uarg);
	case MAILBOX_IOC_PORT_GET_ATTR:
		return mbx_ioctl_get_attr(space, uarg);
	case MAILBOX_IOC_PORT_SET_ATTR:
		return mbx_ioctl_set_attr(space, uarg);
	case MAILBOX_IOC_PORT_REQUEST_NOTIFICATION:
		return mbx_ioctl_request_notification(space, uarg);
	case MAILBOX_IOC_PORT_MOVE_MEMBER:
		return mbx_ioctl_move_member(space, uarg);
	case MAILBOX_IOC_PORT_READY_FD:
		return mbx_ioctl_ready_fd(space, uarg);
	case MAILBOX_IOC_MSG:
		return mbx_ioctl_msg(space, uarg, file->f_flags & O_NONBLOCK);
	case MAILBOX_IOC_PULSE:
		return mbx_ioctl_pulse(space, uarg);
	case MAILBOX_IOC_MSG_BATCH:
		return mbx_ioctl_msg_batch(space, uarg,
					   file->f_flags & O_NONBLOCK);
	case MAILBOX_IOC_PORT_EXPORT:
		return mbx_ioctl_port_export(space, uarg);
	case MAILBOX_IOC_PORT_IMPORT:
		return mbx_ioctl_port_import(space, uarg);
	case MAILBOX_IOC_REGISTER:
		return mbx_ioctl_register(space, uarg);
	case MAILBOX_IOC_LOOKUP:
		return mbx_ioctl_lookup(space, uarg);
	case MAILBOX_IOC_UNREGISTER:
		return mbx_ioctl_unregister(space, uarg);
	default:
		return -ENOTTY;
	}
}

static long mbx_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	long ret = mbx_ioctl_cmd(file, cmd, arg);

	/* Priority boosts the call started or ended take effect now. */
	mbx_prio_settle();
	return ret;
}

static void mbx_show_fdinfo(struct seq_file *m, struct file *file)
{
	mbx_space_show(m, file->private_data);
}

static const struct file_operations mbx_fops = {
	.owner = THIS_MODULE,
	.open = mbx_open,
	.release = mbx_release,
	.unlocked_ioctl = mbx_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.uring_cmd = mbx_uring_cmd,
	.flush = mbx_uring_flush,
	.show_fdinfo = mbx_show_fdinfo,
	.mmap = mbx_ool_buffer_mmap,
	.get_unmapped_area = mbx_ool_buffer_area,
	.llseek = no_llseek,
};

static struct miscdevice mbx_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "mailbox",
	.fops = &mbx_fops,
	.mode = 0666,
};

static int __init mbx_init(void)
{
	int ret;

	if (mbx_max_msg_size < MBX_MIN_MAX_MSG_SIZE ||
	    mbx_max_msg_size > (64U << 20) || mbx_max_msg_size % 4) {
		pr_err("max_msg_size must be a multiple of 4 in [%u, %u]\n",
		       MBX_MIN_MAX_MSG_SIZE, 64U << 20);
		return -EINVAL;
	}
	if (mbx_qlimit_max < MAILBOX_QLIMIT_DEFAULT) {
		pr_err("qlimit_max must be at least %u\n",
		       MAILBOX_QLIMIT_DEFAULT);
		return -EINVAL;
	}
	if (mbx_max_names == 0 || mbx_max_names > MBX_INDEX_MAX) {
		pr_err("max_names must be in [1, %u]\n", MBX_INDEX_MAX);
		return -EINVAL;
	}

	ret = mbx_port_cache_init();
	if (ret)
		return ret;
	ret = mbx_entry_cache_init();
	if (ret)
		goto out_port_cache;
	mbx_stats_init();
	mbx_ool_init();
	ret = mbx_ool_shrinker_init();
	if (ret)
		goto out_stats;
	ret = misc_register(&mbx_misc);
	if (ret)
		goto out_shrinker;
	return 0;

out_shrinker:
	mbx_ool_shrinker_exit();
out_stats:
	mbx_ool_exit();
	mbx_stats_exit();
	mbx_entry_cache_exit();
out_port_cache:
	mbx_port_cache_exit();
	return ret;
}

static void __exit mbx_exit(void)
{
	misc_deregister(&mbx_misc);
	/* No file is open: every registered port is dead. */
	mbx_registry_exit();
	mbx_limits_exit();
	mbx_prio_exit();
	mbx_ool_shrinker_exit();
	mbx_ool_exit();
	mbx_stats_exit();
	mbx_entry_cache_exit();
	mbx_port_cache_exit();
}

module_init(mbx_init);
module_exit(mbx_exit);

MODULE_DESCRIPTION("Mach-style capability-based mailbox IPC");
MODULE_LICENSE("GPL");
