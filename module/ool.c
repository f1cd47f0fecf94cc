// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox: out-of-line data - scattered user buffers (MAILBOX_MSG_SEND_IOV,
 * MAILBOX_MSG_RCV_IOV) and out-of-line memory descriptors.
 *
 * A user buffer (struct mbx_ubuf) is a list of user segments read or
 * written at logical offsets, so a message is gathered straight from the
 * sender's segments into the kernel message and scattered straight from it
 * into the receiver's; nothing is staged in a contiguous copy. A plain
 * (non-IOV) buffer is the one-segment case. The segment array lives as long
 * as the ioctl.
 *
 * Out-of-line memory (struct mbx_ool, msg->ool[]): at send, each
 * descriptor's bytes are copied once into an unlinked shmem file (an idle
 * one of the sender's cache, ool_cache.c, or a new one), whose pages are
 * charged to the sender's memory cgroup (shmem charges the current task).
 * The message owns one reference on each file and drops it when it is
 * freed (received or destroyed). At receive the file is mapped
 * MAP_PRIVATE into the receiver: its pages are the page cache pages the
 * sender's bytes were copied into (no second copy), and the receiver's
 * writes copy on write. The mapping holds its own file reference; the file
 * goes away (or becomes idle in the sender's cache) when the receiver
 * unmaps it and every fork of the mapping is gone. Mapping happens with no
 * lock held (it takes mmap_lock), before the message's rights are copied
 * out, so a failed mapping can put the message back with nothing lost.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mount.h>
#include <linux/pagevec.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/pagemap.h>
#include <linux/sched/signal.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "internal.h"

/**
 * mbx_ubuf_import() - describe the user buffer of a send or receive
 * @ub: filled; release with mbx_ubuf_free()
 * @uptr: the user address: of the buffer, or with @iov of the segment array
 * @size: the buffer's bytes, or with @iov the number of segments
 * @iov: @uptr points to struct mailbox_iov[@size]
 * @limit: largest segment and total length accepted
 *
 * Return: 0; -EINVAL (segment count not 1..MAILBOX_IOV_MAX), -EFAULT (the
 * array is unreadable or a segment is not user memory), -EMSGSIZE (a
 * segment or the total is above @limit) or -ENOMEM.
 */
int mbx_ubuf_import(struct mbx_ubuf *ub, u64 uptr, u32 size, bool iov,
		    u64 limit)
{
	const struct mailbox_iov __user *uiov = u64_to_user_ptr(uptr);
	struct mailbox_iov seg;
	u64 total = 0;
	u32 i;

	ub->iov = &ub->one;
	ub->nr = 1;
	if (!iov) {
		ub->one.iov_base = u64_to_user_ptr(uptr);
		ub->one.iov_len = size;
		ub->len = size;
		return 0;
	}
	ub->nr = 0;
	ub->len = 0;
	if (!size || size > MAILBOX_IOV_MAX)
		return -EINVAL;
	ub->iov = kmalloc_array(size, sizeof(*ub->iov), GFP_KERNEL_ACCOUNT);
	if (!ub->iov)
		return -ENOMEM;
	for (i = 0; i < size; i++) {
		if (copy_from_user(&seg, uiov + i, sizeof(seg)))
			goto fault;
		if (seg.len > limit)
			goto too_large;
		if ((unsigned long)seg.base != seg.base ||
		    !access_ok(u64_to_user_ptr(seg.base), seg.len))
			goto fault;
		total += seg.len;	/* cannot wrap: each <= @limit < 2^32 */
		if (total > limit)
			goto too_large;
		ub->iov[i].iov_base = u64_to_user_ptr(seg.base);
		ub->iov[i].iov_len = seg.len;
	}
	ub->nr = size;
	ub->len = total;
	return 0;

fault:
	mbx_ubuf_free(ub);
	return -EFAULT;
too_large:
	mbx_ubuf_free(ub);
	return -EMSGSIZE;
}

void mbx_ubuf_free(struct mbx_ubuf *ub)
{
	if (ub->iov != &ub->one)
		kfree(ub->iov);
	ub->iov = &ub->one;
	ub->nr = 0;
}

/*
 * Visit the pieces of [@off, @off + @len) of @ub: @fn gets each piece's
 * user address, length and offset within the range. Return: 0, the first
 * error of @fn, or -EFAULT if the range passes the buffer's end.
 */
static int mbx_ubuf_walk(const struct mbx_ubuf *ub, size_t off, size_t len,
			 int (*fn)(void __user *uaddr, size_t n, size_t done,
				   void *data),
			 void *data)
{
	size_t done = 0;
	unsigned long i;
	int ret;

	for (i = 0; i < ub->nr && done < len; i++) {
		size_t seg = ub->iov[i].iov_len, n;

		if (off >= seg) {
			off -= seg;
			continue;
		}
		n = min(seg - off, len - done);
		ret = fn(ub->iov[i].iov_base + off, n, done, data);
		if (ret)
			return ret;
		done += n;
		off = 0;
	}
	return done < len ? -EFAULT : 0;
}

static int mbx_ubuf_read_fn(void __user *uaddr, size_t n, size_t done,
			    void *data)
{
	return copy_from_user(data + done, uaddr, n) ? -EFAULT : 0;
}

/* Copy @len bytes at offset @off of @ub into @dst. Return: 0 or -EFAULT. */
int mbx_ubuf_read(const struct mbx_ubuf *ub, size_t off, void *dst, size_t len)
{
	return mbx_ubuf_walk(ub, off, len, mbx_ubuf_read_fn, dst);
}

static int mbx_ubuf_write_fn(void __user *uaddr, size_t n, size_t done,
			     void *data)
{
	return copy_to_user(uaddr, data + done, n) ? -EFAULT : 0;
}

/* Copy @len bytes of @src to offset @off of @ub. Return: 0 or -EFAULT. */
int mbx_ubuf_write(const struct mbx_ubuf *ub, size_t off, const void *src,
		   size_t len)
{
	return mbx_ubuf_walk(ub, off, len, mbx_ubuf_write_fn, (void *)src);
}

static int mbx_ubuf_fault_fn(void __user *uaddr, size_t n, size_t done,
			     void *data)
{
	return fault_in_writeable(uaddr, n) ? -EFAULT : 0;
}

/* Make the first @len bytes of @ub present and writable. 0 or -EFAULT. */
int mbx_ubuf_fault_in(const struct mbx_ubuf *ub, size_t len)
{
	return mbx_ubuf_walk(ub, 0, len, mbx_ubuf_fault_fn, NULL);
}

/*
 * The user address of [@off, @off + @len) of @ub if it lies in one segment
 * (an empty range: in the segment holding @off, or the buffer's end), else
 * NULL.
 */
void __user *mbx_ubuf_addr(const struct mbx_ubuf *ub, size_t off, size_t len)
{
	unsigned long i;

	for (i = 0; i < ub->nr; i++) {
		size_t seg = ub->iov[i].iov_len;

		if (off < seg || (!len && off == seg && i == ub->nr - 1))
			return off + len <= seg ? ub->iov[i].iov_base + off :
						  NULL;
		off -= seg;
	}
	return NULL;
}

/*
 * Our own kernel-internal tmpfs instance, mounted "huge=within_size": a file
 * of 2 MiB or more gets transparent huge pages up to its size, so a large
 * out-of-line region is allocated, charged, indexed and mapped 2 MiB at a
 * time (the receiver's mapping is 2 MiB aligned and faults in with one PMD
 * per huge page) instead of 4 KiB at a time. Mounted without the option
 * when the kernel has no THP; NULL only if tmpfs cannot be mounted at all:
 * then the files live on the kernel's shm_mnt and no buffer is ever moved
 * (ool_move.c tells a buffer by its superblock). get_fs_type()'s reference
 * is on built-in code (tmpfs has no module) and is not dropped:
 * put_filesystem() is not exported.
 * Files keep the mount alive after mbx_ool_exit() drops our reference (a
 * receiver may still map one after the module is gone; all of it is
 * shmem's code, none ours).
 */
static struct vfsmount *mbx_ool_mnt;

void mbx_ool_init(void)
{
	struct file_system_type *type = get_fs_type("tmpfs");
	char opts[] = "huge=within_size";
	struct vfsmount *mnt;

	if (!type)
		return;
	mnt = vfs_kern_mount(type, SB_KERNMOUNT, type->name, opts);
	if (IS_ERR(mnt)) {
		pr_info("out-of-line memory without huge pages (%ld)\n",
			PTR_ERR(mnt));
		/* Still our own instance: buffers are told by it. */
		mnt = vfs_kern_mount(type, SB_KERNMOUNT, type->name, NULL);
	}
	if (!IS_ERR(mnt))
		mbx_ool_mnt = mnt;
}

void mbx_ool_exit(void)
{
	if (mbx_ool_mnt)
		kern_unmount(mbx_ool_mnt);
	mbx_ool_mnt = NULL;
}

/* Pages of @size bytes of out-of-line memory. */
static unsigned long mbx_ool_pages(u32 size)
{
	return DIV_ROUND_UP((unsigned long)size, PAGE_SIZE);
}

/* The superblock of our tmpfs instance, NULL if there is none. */
struct super_block *mbx_ool_sb(void)
{
	return mbx_ool_mnt ? mbx_ool_mnt->mnt_sb : NULL;
}

/* A new file for @size bytes of out-of-line memory. */
struct file *mbx_ool_new_file(u32 size)
{
	if (mbx_ool_mnt)
		return shmem_file_setup_with_mnt(mbx_ool_mnt, "mailbox-ool",
						 size, 0);
	return shmem_file_setup("mailbox-ool", size, 0);
}

/*
 * An idle file (no mapping, no other open: a cached one, or a moved
 * buffer, ool_move.c) may still have pages that someone holds: a reference
 * get_user_pages() took through a mapping (a vmsplice()d pipe, O_DIRECT in
 * flight, a pinned buffer) would let its holder see or change the next
 * message. So every folio must be held by nothing but the page cache (and
 * the reference taken here), plus, for a folio not on an LRU list yet, the
 * per-CPU batch that will put it there (folio_add_lru(): a page just
 * written or faulted in sits there, PG_lru clear, until the batch fills; a
 * held folio in the batch has two extra references and fails). This CPU's
 * batches are emptied first; another CPU's may still hold a folio that was
 * activated or deactivated there (PG_lru set, one more reference). Nobody
 * can take a new reference on them (the file is unreachable and its
 * mappings are gone), so a folio that passes stays private. Any other transient
 * reference (compaction, another LRU batch) fails the check and the send
 * copies into a new file: a miss, never a leak.
 */
bool mbx_ool_file_private(struct file *file)
{
	struct folio_batch fbatch;
	pgoff_t index = 0;
	bool ok = true;
	unsigned int i;

	folio_batch_init(&fbatch);
	/*
	 * Empty this CPU's LRU batches first (lru_add_drain() is not
	 * exported; the first release of a non-empty folio batch does it).
	 */
	if (filemap_get_folios(file->f_mapping, &index, ULONG_MAX, &fbatch))
		folio_batch_release(&fbatch);
	index = 0;
	while (ok && filemap_get_folios(file->f_mapping, &index, ULONG_MAX,
					&fbatch)) {
		for (i = 0; i < folio_batch_count(&fbatch); i++) {
			struct folio *folio = fbatch.folios[i];
			int refs = folio_nr_pages(folio) + 1 +
				   !folio_test_lru(folio);

			if (folio_mapped(folio) || folio_ref_count(folio) > refs)
				ok = false;
		}
		folio_batch_release(&fbatch);
		cond_resched();
	}
	return ok;
}

/*
 * Write @size bytes from @uaddr into @file from offset 0. @reused: the file
 * held an earlier message (same page count), its pages are checked first.
 * Return: 0, -EFAULT, -ENOMEM, -EINTR or -EBUSY (a page of the reused file
 * is still referenced elsewhere; nothing was written).
 */
static int mbx_ool_write(struct file *file, const void __user *uaddr,
			 u32 size, bool reused)
{
	struct inode *inode = file_inode(file);
	loff_t pos;
	int ret = 0;

	/*
	 * Written as write() writes a file, through write_begin/write_end: a
	 * new page-cache page is not zeroed first (shmem_read_mapping_page()
	 * would zero every page, then we would overwrite it), each page is
	 * charged to current's memcg, and the tail of a short last page is
	 * zeroed here (write_end does it only for a new page). Nothing else
	 * can reach the file, so a fault on the sender's bytes while the page
	 * is locked cannot need this page.
	 */
	inode_lock(inode);
	if (reused) {
		if (!mbx_ool_file_private(file)) {
			inode_unlock(inode);
			return -EBUSY;
		}
		i_size_write(inode, size);
	}
	for (pos = 0; pos < size; pos += PAGE_SIZE) {
		unsigned int len = min_t(loff_t, PAGE_SIZE, size - pos);
		void *fsdata = NULL;
		unsigned long left;
		struct page *page;
		void *kaddr;

		if (mbx_write_begin(file, pos, len, &page, &fsdata)) {
			ret = -ENOMEM;
			break;
		}
		kaddr = kmap_local_page(page);
		left = copy_from_user(kaddr, uaddr + pos, len);
		if (len < PAGE_SIZE)
			memset(kaddr + len, 0, PAGE_SIZE - len);
		kunmap_local(kaddr);
		flush_dcache_page(page);
		if (mbx_write_end(file, pos, len, len - left, page, fsdata) < 0) {
			ret = -ENOMEM;
			break;
		}
		if (left) {
			ret = -EFAULT;
			break;
		}
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
	}
	inode_unlock(inode);
	return ret;
}

/**
 * mbx_ool_copyin() - copy a sender's out-of-line memory into a file
 * @space: the sender's space: an idle file of its cache (ool_cache.c) is
 *         reused, the file written is kept in it
 * @o: the message's record, file set on success
 * @uaddr: the sender's bytes
 * @size: their number, 1..MAILBOX_OOL_MAX
 *
 * Return: 0, -EFAULT (unreadable), -ENOMEM, or -EINTR (fatal signal).
 */
int mbx_ool_copyin(struct mbx_space *space, struct mbx_ool *o,
		   const void __user *uaddr, u32 size)
{
	struct file *file = mbx_ool_cache_take(space, size);
	int ret;

	if (file) {
		ret = mbx_ool_write(file, uaddr, size, true);
		if (!ret)
			mbx_stat_add(MBX_STAT_TOTAL_OOL_CACHE_HITS, 1);
		if (ret != -EBUSY)
			goto done;
		fput(file);
	}
	file = mbx_ool_new_file(size);
	if (IS_ERR(file))
		return -ENOMEM;
	ret = mbx_ool_write(file, uaddr, size, false);
done:
	o->file = file;
	o->size = size;
	mbx_stat_add(MBX_STAT_OOL_BYTES, size);
	if (!ret)
		mbx_ool_cache_keep(space, file);
	return ret;
}

/* Release @msg's out-of-line memory (the files; mappings are the owner's). */
void mbx_ool_release(struct mbx_msg *msg)
{
	u32 i;

	for (i = 0; i < msg->nr_ool; i++) {
		struct mbx_ool *o = &msg->ool[i];

		if (o->file) {
			mbx_stat_add(MBX_STAT_OOL_BYTES, -(long)o->size);
			fput(o->file);
		}
	}
	kvfree(msg->ool);
	msg->ool = NULL;
	msg->nr_ool = 0;
}

/**
 * mbx_ool_map() - map @msg's out-of-line memory into the current process
 * @msg: a dequeued message
 *
 * Each descriptor gets a private, writable mapping of its file (o->uaddr).
 * On failure the mappings made are removed again.
 * Return: 0 or the error of vm_mmap() (-ENOMEM...).
 */
int mbx_ool_map(struct mbx_msg *msg)
{
	u32 i;

	for (i = 0; i < msg->nr_ool; i++) {
		struct mbx_ool *o = &msg->ool[i];
		unsigned long addr;

		if (!o->file)
			continue;
		/* A moved buffer is only the receiver's: shared. */
		addr = vm_mmap(o->file, 0, mbx_ool_pages(o->size) << PAGE_SHIFT,
			       PROT_READ | PROT_WRITE,
			       o->moved ? MAP_SHARED : MAP_PRIVATE, 0);
		if (IS_ERR_VALUE(addr)) {
			mbx_ool_unmap(msg);
			return (long)addr;
		}
		o->uaddr = addr;
	}
	return 0;
}

/* Remove the mappings mbx_ool_map() made (a receive that failed). */
void mbx_ool_unmap(struct mbx_msg *msg)
{
	u32 i;

	for (i = 0; i < msg->nr_ool; i++) {
		struct mbx_ool *o = &msg->ool[i];

		if (o->uaddr)
			vm_munmap(o->uaddr, mbx_ool_pages(o->size) << PAGE_SHIFT);
		o->uaddr = 0;
	}
}

/**
 * mbx_ool_dealloc_list() - the sender's ranges to unmap once @msg is sent
 * @msg: a parsed message
 * @nr: set to the number of ranges
 *
 * Only whole pages inside a descriptor's [address, address + size) are
 * unmapped: a partial page at either end stays mapped.
 * Return: a kmalloc()ed array, NULL if there is nothing to unmap, or
 * ERR_PTR(-ENOMEM).
 */
struct mbx_range *mbx_ool_dealloc_list(struct mbx_msg *msg, u32 *nr)
{
	struct mbx_range *r;
	u32 i, n = 0;

	*nr = 0;
	for (i = 0; i < msg->nr_ool; i++)
		n += msg->ool[i].dealloc_len != 0;
	if (!n)
		return NULL;
	r = kmalloc_array(n, sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < msg->nr_ool; i++) {
		if (!msg->ool[i].dealloc_len)
			continue;
		r[*nr].start = msg->ool[i].dealloc_start;
		r[(*nr)++].len = msg->ool[i].dealloc_len;
	}
	return r;
}

/* The whole pages of [@addr, @addr + @size), for the deallocate option. */
void mbx_ool_set_dealloc(struct mbx_ool *o, u64 addr, u32 size)
{
	u64 start = round_up(addr, PAGE_SIZE);
	u64 end = round_down(addr + size, PAGE_SIZE);

	o->dealloc_start = start;
	o->dealloc_len = end > start ? end - start : 0;
}

/* Unmap the ranges of a sent message's deallocate descriptors. */
void mbx_ool_deallocate(const struct mbx_range *r, u32 nr)
{
	u32 i;

	for (i = 0; i < nr; i++)
		vm_munmap(r[i].start, r[i].len);
}
