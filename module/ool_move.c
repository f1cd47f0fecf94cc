// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox: out-of-line buffers, moved instead of copied.
 *
 * mmap(MAP_SHARED) of /dev/mailbox at offset 0 gives the caller a new,
 * zero-filled region backed by an unlinked file of our tmpfs instance
 * (ool.c: huge pages from 2 MiB) instead of anonymous memory: an
 * "out-of-line buffer". The caller writes into it as into any memory.
 * Sent in an out-of-line descriptor with deallocate = 1 and
 * MAILBOX_VIRTUAL_COPY, a buffer is not copied: its file becomes the
 * message's and the receiver maps that very file, MAP_SHARED (the pages are
 * now only its), so it can move them on the same way. Nothing is copied at
 * any hop; a 16 MiB buffer costs a few page-table updates.
 *
 * What makes a range movable (anything else is copied as before, with the
 * same result for the receiver):
 *  - it is exactly one whole VMA: starts at the VMA's start, covers the
 *    same number of pages, file offset 0, MAP_SHARED, of a file on our
 *    mount (a buffer, or a moved region a receiver got);
 *  - the sender's VMA is the only reference on the file (no fork shares
 *    it, no split VMA, nothing opened it through /proc/PID/map_files);
 *  - once the VMA is gone, no page of the file is mapped or referenced
 *    by anyone but the page cache (mbx_ool_file_private(): no
 *    get_user_pages() reference from O_DIRECT, vmsplice(), io_uring
 *    fixed buffers or RDMA that could write into the receiver's pages or
 *    read them later).
 *
 * The order matters: the sender's mapping is removed while the message is
 * still being built, before any receiver can see it, so no thread of the
 * sender can write into pages a receiver maps (a receiver that checks the
 * bytes and then uses them sees the same bytes). The range is not simply
 * unmapped: a PROT_NONE anonymous mapping replaces the buffer in one
 * mmap() (MAP_FIXED), so no other mmap() of the sender can take the
 * address while the send is in progress. If the send then fails, the
 * buffer is mapped back at the same address with the same protection
 * (mbx_ool_give_back()) and the send loses nothing; if it succeeds, the
 * placeholder is unmapped with the other deallocated ranges. A sender
 * thread that remaps that range itself while its own send runs may lose
 * the buffer on a failed send (the placeholder is gone, nothing is mapped
 * over whatever it put there).
 *
 * Locking: mmap_lock (read) to look at the VMA; vm_mmap() takes it for
 * writing itself, so it is never held across vm_mmap(). No mailbox lock is
 * held here.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched/mm.h>

#include "internal.h"

/**
 * mbx_ool_buffer_mmap() - f_op->mmap of /dev/mailbox: a new buffer
 * @file: the /dev/mailbox file (any space; the buffer does not belong to it)
 * @vma: MAP_SHARED, offset 0, at most MAILBOX_OOL_MAX bytes
 *
 * The VMA's file becomes a new file of @vma's size, as /dev/zero does for a
 * shared mapping. Its pages are charged to the memory cgroup of whoever
 * faults them in.
 * Return: 0, -EINVAL (MAP_PRIVATE, an offset, too large) or -ENOMEM.
 */
int mbx_ool_buffer_mmap(struct file *file, struct vm_area_struct *vma)
{
	unsigned long len = vma->vm_end - vma->vm_start;
	struct file *shm;

	if (!(vma->vm_flags & VM_SHARED) || vma->vm_pgoff ||
	    len > PAGE_ALIGN(MAILBOX_OOL_MAX))
		return -EINVAL;
	shm = mbx_ool_new_file(len);
	if (IS_ERR(shm))
		return PTR_ERR(shm);
	vma_set_file(vma, shm);		/* takes its own reference */
	fput(shm);
	return call_mmap(shm, vma);
}

/*
 * f_op->get_unmapped_area of /dev/mailbox: a buffer of 2 MiB or more starts
 * on a 2 MiB boundary, so its huge pages are mapped one PMD each (shmem's
 * own mappings get this from shmem_get_unmapped_area()).
 */
unsigned long mbx_ool_buffer_area(struct file *file, unsigned long addr,
				  unsigned long len, unsigned long pgoff,
				  unsigned long flags)
{
	unsigned long area;

	if (len < PMD_SIZE || addr || (flags & MAP_FIXED) || len > TASK_SIZE)
		return mbx_get_unmapped_area(file, addr, len, pgoff, flags);
	area = mbx_get_unmapped_area(file, 0, len + PMD_SIZE, 0, flags);
	if (IS_ERR_VALUE(area))
		return mbx_get_unmapped_area(file, addr, len, pgoff, flags);
	return round_up(area, PMD_SIZE);
}

/* PROT_* of @vm_flags. */
static unsigned long mbx_vm_prot(unsigned long vm_flags)
{
	return (vm_flags & VM_READ ? PROT_READ : 0) |
	       (vm_flags & VM_WRITE ? PROT_WRITE : 0) |
	       (vm_flags & VM_EXEC ? PROT_EXEC : 0);
}

/* The file of a movable buffer at [@addr, @addr + @len), with a reference. */
static struct file *mbx_ool_buffer_get(struct mm_struct *mm, u64 addr,
				       unsigned long len, unsigned long *prot)
{
	struct super_block *sb = mbx_ool_sb();
	struct vm_area_struct *vma;
	struct file *file = NULL;

	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	if (vma && vma->vm_start == addr && vma->vm_end - addr == len &&
	    !vma->vm_pgoff && (vma->vm_flags & VM_SHARED) && vma->vm_file &&
	    file_inode(vma->vm_file)->i_sb == sb &&
	    file_count(vma->vm_file) == 1 &&
	    PAGE_ALIGN(i_size_read(file_inode(vma->vm_file))) == len) {
		file = get_file(vma->vm_file);
		*prot = mbx_vm_prot(vma->vm_flags);
	}
	mmap_read_unlock(mm);
	return file;
}

/*
 * Map @o's file back at the sender's address, over the placeholder (or the
 * hole a failed replacement left); if the sender remapped the range itself,
 * the buffer is lost and the kernel log says so.
 */
static void mbx_ool_remap(struct mbx_ool *o)
{
	unsigned long len = PAGE_ALIGN((unsigned long)o->size);
	unsigned long addr = o->dealloc_start;
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	bool ours;

	mmap_read_lock(mm);
	vma = find_vma_intersection(mm, addr, addr + len);
	ours = !vma || (vma->vm_start <= addr && vma->vm_end >= addr + len &&
			!vma->vm_file &&
			!(vma->vm_flags & (VM_READ | VM_WRITE | VM_EXEC)));
	mmap_read_unlock(mm);
	if (!ours || IS_ERR_VALUE(vm_mmap(o->file, addr, len, o->prot,
					  MAP_SHARED | MAP_FIXED, 0)))
		pr_warn_ratelimited("pid %d: out-of-line buffer at %#lx lost: its range was remapped during the send\n",
				    task_pid_nr(current), addr);
}

/**
 * mbx_ool_move() - take a sender's buffer into @o instead of copying it
 * @o: the message's record
 * @addr: the descriptor's address
 * @size: its size, 1..MAILBOX_OOL_MAX
 *
 * Only for a descriptor with deallocate = 1 and MAILBOX_VIRTUAL_COPY. On
 * success the buffer's range holds a PROT_NONE placeholder, recorded as
 * @o's range to deallocate; mbx_ool_give_back() undoes it.
 * Return: true if moved, false if the range must be copied (nothing
 * changed).
 */
bool mbx_ool_move(struct mbx_ool *o, u64 addr, u32 size)
{
	unsigned long len = PAGE_ALIGN((unsigned long)size), prot = 0, ret;
	struct mm_struct *mm = current->mm;
	struct file *file;

	if (!mm || !mbx_ool_sb() || offset_in_page(addr))
		return false;
	file = mbx_ool_buffer_get(mm, addr, len, &prot);
	if (!file)
		return false;
	o->file = file;
	o->size = size;
	o->prot = prot;
	o->dealloc_start = addr;
	o->dealloc_len = len;
	ret = vm_mmap(NULL, addr, len, PROT_NONE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
		      0);
	/*
	 * A fork between the look and the replacement shares the file; so
	 * does a reference on its pages taken through the mapping.
	 */
	if (IS_ERR_VALUE(ret) || !mbx_ool_file_idle(file) ||
	    !mbx_ool_file_private(file)) {
		mbx_ool_remap(o);
		fput(file);
		memset(o, 0, sizeof(*o));
		return false;
	}
	o->moved = true;
	mbx_stat_add(MBX_STAT_OOL_BYTES, size);
	mbx_stat_add(MBX_STAT_TOTAL_OOL_MOVES, 1);
	return true;
}

/**
 * mbx_ool_give_back() - a send failed: map its moved buffers back
 * @msg: the message, never queued; called in the sender's context
 *
 * Each moved buffer is mapped again where it was, with its protection; the
 * message's reference is dropped when it is freed.
 */
void mbx_ool_give_back(struct mbx_msg *msg)
{
	u32 i;

	for (i = 0; i < msg->nr_ool; i++) {
		struct mbx_ool *o = &msg->ool[i];

		if (!o->moved)
			continue;
		mbx_ool_remap(o);
		o->moved = false;
		mbx_stat_add(MBX_STAT_TOTAL_OOL_MOVES, -1);
	}
}
