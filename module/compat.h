/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mailbox: differences between the kernels the module builds on.
 *
 * Supported: 6.1 (Debian 12's kernel, the target) and 6.12 (Debian 12's
 * linux-source-6.12; make check-6.12). Every difference is one test here,
 * written so the code elsewhere uses the newer kernel's spelling; when 6.1
 * support ends, delete the 6.1 branch. MBX_KERNEL_AT_LEAST() reads the
 * major and patch level <linux/version.h> has since 5.x.
 *
 * Included by internal.h, after <linux/file.h> and <linux/fs.h>.
 */
#ifndef MBX_COMPAT_H
#define MBX_COMPAT_H

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/pagemap.h>
#include <linux/version.h>

#define MBX_KERNEL_AT_LEAST(major, patchlevel)				\
	(LINUX_VERSION_MAJOR * 256 + LINUX_VERSION_PATCHLEVEL >=	\
	 (major) * 256 + (patchlevel))

/*
 * struct fd: 6.12 packs the file pointer and its flags into one word and
 * reads it through fd_file() (v6.12-rc1, "struct fd: representation
 * change"); 6.1 has the .file member.
 */
#if !MBX_KERNEL_AT_LEAST(6, 12)
#define fd_file(f)	((f).file)
#endif

/*
 * no_llseek: removed in 6.12, where a NULL .llseek makes lseek() fail with
 * ESPIPE exactly as no_llseek() did ("[tree-wide] finally take no_llseek
 * out"); every file of ours is nonseekable_open()ed or an anon inode file
 * without FMODE_LSEEK. The fops keep ".llseek = no_llseek" for 6.1.
 */
#if MBX_KERNEL_AT_LEAST(6, 12)
#define no_llseek	NULL
#endif

/*
 * The default get_unmapped_area of the current process: a method of its mm
 * up to 6.9, mm_get_unmapped_area() from 6.10 ("mm: switch
 * mm->get_unmapped_area() to a flag").
 */
#if MBX_KERNEL_AT_LEAST(6, 10)
#define mbx_get_unmapped_area(file, addr, len, pgoff, flags)		\
	mm_get_unmapped_area(current->mm, file, addr, len, pgoff, flags)
#else
#define mbx_get_unmapped_area(file, addr, len, pgoff, flags)		\
	current->mm->get_unmapped_area(file, addr, len, pgoff, flags)
#endif

/*
 * --- io_uring (IORING_OP_URING_CMD) ------------------------------------
 * struct io_uring_cmd moved to <linux/io_uring/cmd.h> in 6.7; its command
 * area is reached through ->cmd up to 6.4 and io_uring_sqe_cmd(->sqe) from
 * 6.5. Both 6.1 and 6.12 punt a command whose ->uring_cmd returns -EAGAIN
 * from a non-blocking issue to an io-wq worker and issue it there again
 * without IO_URING_F_NONBLOCK (uring.c relies on this); neither needs
 * io_uring_cmd_done() for a command completed by its return value. The
 * cancelable commands of 6.7+ (io_uring_cmd_mark_cancelable) are not used:
 * uring.c never leaves a command pending outside a running handler.
 */
#if MBX_KERNEL_AT_LEAST(6, 7)
#include <linux/io_uring/cmd.h>
#else
#include <linux/io_uring.h>
#endif

static inline const void *mbx_uring_cmd_payload(const struct io_uring_cmd *c)
{
#if MBX_KERNEL_AT_LEAST(6, 5)
	return io_uring_sqe_cmd(c->sqe);
#else
	return c->cmd;
#endif
}

/* --- end io_uring -------------------------------------------------------- */

/*
 * address_space_operations.write_begin/write_end pass a folio from 6.12
 * ("fs: Convert aops->write_begin to take a folio", v6.12-rc1) and a page
 * before. ool.c writes a new shmem file through them, one page at a time;
 * these give it the page either way.
 */
static inline int mbx_write_begin(struct file *file, loff_t pos,
				  unsigned int len, struct page **pagep,
				  void **fsdata)
{
	struct address_space *mapping = file->f_mapping;
#if MBX_KERNEL_AT_LEAST(6, 12)
	struct folio *folio;
	int ret;

	ret = mapping->a_ops->write_begin(file, mapping, pos, len, &folio,
					  fsdata);
	if (!ret)
		*pagep = folio_file_page(folio, pos >> PAGE_SHIFT);
	return ret;
#else
	return mapping->a_ops->write_begin(file, mapping, pos, len, pagep,
					   fsdata);
#endif
}

static inline int mbx_write_end(struct file *file, loff_t pos,
				unsigned int len, unsigned int copied,
				struct page *page, void *fsdata)
{
	struct address_space *mapping = file->f_mapping;

#if MBX_KERNEL_AT_LEAST(6, 12)
	return mapping->a_ops->write_end(file, mapping, pos, len, copied,
					 page_folio(page), fsdata);
#else
	return mapping->a_ops->write_end(file, mapping, pos, len, copied,
					 page, fsdata);
#endif
}

/*
 * Shrinkers: 6.7 replaced register_shrinker()/unregister_shrinker() on a
 * caller-owned struct by shrinker_alloc()/shrinker_register()/
 * shrinker_free() ("mm: shrinker: remove old APIs"). mbx_shrinker_create()
 * returns a registered shrinker or NULL.
 */
#include <linux/shrinker.h>
#include <linux/slab.h>

static inline struct shrinker *
mbx_shrinker_create(unsigned long (*count)(struct shrinker *,
					   struct shrink_control *),
		    unsigned long (*scan)(struct shrinker *,
					  struct shrink_control *),
		    const char *name)
{
#if MBX_KERNEL_AT_LEAST(6, 7)
	struct shrinker *s = shrinker_alloc(0, "%s", name);

	if (!s)
		return NULL;
	s->count_objects = count;
	s->scan_objects = scan;
	shrinker_register(s);
	return s;
#else
	struct shrinker *s = kzalloc(sizeof(*s), GFP_KERNEL);

	if (!s)
		return NULL;
	s->count_objects = count;
	s->scan_objects = scan;
	s->seeks = DEFAULT_SEEKS;
	if (register_shrinker(s, "%s", name)) {
		kfree(s);
		return NULL;
	}
	return s;
#endif
}

static inline void mbx_shrinker_destroy(struct shrinker *s)
{
	if (!s)
		return;
#if MBX_KERNEL_AT_LEAST(6, 7)
	shrinker_free(s);
#else
	unregister_shrinker(s);
	kfree(s);
#endif
}

#endif /* MBX_COMPAT_H */
