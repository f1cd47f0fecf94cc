/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mailbox: differences between the kernels the module builds on.
 *
 * Supported: 6.1 (Debian 12's kernel, the target) and 6.12 (Debian 12's
 * backports/security kernel; make check-6.12). Every difference is one
 * LINUX_VERSION_CODE test here, written so the code elsewhere uses the
 * newer kernel's spelling; when 6.1 support ends, delete the 6.1 branch.
 *
 * Included by internal.h, after <linux/file.h> and <linux/fs.h>.
 */
#ifndef MBX_COMPAT_H
#define MBX_COMPAT_H

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/version.h>

/*
 * struct fd: 6.12 packs the file pointer and its flags into one word and
 * reads it through fd_file() (v6.12-rc1, "struct fd: representation
 * change"); 6.1 has the .file member.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 0)
#define fd_file(f)	((f).file)
#endif

/*
 * no_llseek: removed in 6.12, where a NULL .llseek makes lseek() fail with
 * ESPIPE exactly as no_llseek() did ("[tree-wide] finally take no_llseek
 * out"). The fops keep ".llseek = no_llseek" so 6.1 behaves the same.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#define no_llseek	NULL
#endif

/*
 * --- io_uring (IORING_OP_URING_CMD) ------------------------------------
 * Reserved for the io_uring helper: the uring_cmd API differs between 6.1
 * (struct io_uring_cmd.cmd, io_uring_cmd_done(cmd, ret, res2)) and 6.12
 * (io_uring_sqe_cmd(), io_uring_cmd_done(cmd, ret, res2, issue_flags),
 * io_uring_cmd_complete_in_task()). Put those shims here.
 * --- end io_uring --------------------------------------------------------
 */

#endif /* MBX_COMPAT_H */
