// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox: each space's cache of out-of-line memory files.
 *
 * A message's out-of-line memory is a shmem file (ool.c). Making one costs a
 * new inode and dentry, and every page of it is allocated (zeroed first on a
 * kernel booted with init_on_alloc, Debian's default), charged and put on
 * the LRU; the receiver unmapping it frees all of that again. A sender that
 * keeps sending regions of the same size (frames, buffers, tensors) pays
 * this for every message although the previous file is idle by then.
 *
 * So a space keeps a reference on the files its last sends made (at most
 * MBX_OOL_CACHE, at most ool_cache_size bytes, oldest evicted first). A
 * cached file is idle when that reference is the only one left: no message
 * holds it, no mapping (every VMA, forked ones too, holds a file reference)
 * and no other open of its dentry. Nothing can take a new reference on an
 * idle file except us, so an idle file of the same page count is taken out
 * of the cache and written over by the next send (ool.c checks each page is
 * referenced by nothing but the page cache before writing it: a page a
 * receiver's get_user_pages() still holds makes the send fall back to a new
 * file).
 *
 * Costs: an idle space holds at most ool_cache_size bytes of page cache,
 * charged (as the files were) to the memory cgroup that first wrote them;
 * it is swappable like any shmem page, freed when the space is closed, and
 * given back under memory pressure by a shrinker that drops the idle files
 * of every space (global reclaim and drop_caches; it is not memcg-aware,
 * so a cgroup at its limit without swap does not reclaim them: lower
 * ool_cache_size there). ool_cache_size=0 turns the cache off.
 *
 * Locking: cache->lock (spinlock) protects the array; it nests under no
 * other mailbox lock and nothing is taken under it. Files are put after
 * the lock is dropped. The shrinker walks the spaces under mbx_spaces_lock
 * (trylock: it may run inside an allocation made with it held).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dcache.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/moduleparam.h>

#include "internal.h"

static unsigned int mbx_ool_cache_size = 64U << 20;
module_param_named(ool_cache_size, mbx_ool_cache_size, uint, 0444);
MODULE_PARM_DESC(ool_cache_size,
		 "Bytes of out-of-line memory files each space keeps for reuse (default 67108864, 0: none)");

/* Pages of all files in all caches, idle or not (the shrinker's count). */
static atomic_long_t mbx_ool_cached_pages = ATOMIC_LONG_INIT(0);
static struct shrinker *mbx_ool_shrinker;

void mbx_ool_cache_init(struct mbx_ool_cache *cache)
{
	spin_lock_init(&cache->lock);
	cache->nr = 0;
	cache->bytes = 0;
}

/* Bytes of whole pages in @file. */
static u64 mbx_ool_file_bytes(struct file *file)
{
	return PAGE_ALIGN(i_size_read(file_inode(file)));
}

/*
 * Nobody but the caller references @file (see the comment at the top): the
 * cache, or a send moving a buffer (ool_move.c).
 */
bool mbx_ool_file_idle(struct file *file)
{
	return file_count(file) == 1 && d_count(file->f_path.dentry) == 1 &&
	       !mapping_mapped(file->f_mapping);
}

/* Remove entry @i of @cache; cache->lock held. */
static struct file *mbx_ool_cache_remove(struct mbx_ool_cache *cache,
					 unsigned int i)
{
	struct file *file = cache->files[i];

	cache->bytes -= mbx_ool_file_bytes(file);
	atomic_long_sub(mbx_ool_file_bytes(file) >> PAGE_SHIFT,
			&mbx_ool_cached_pages);
	memmove(&cache->files[i], &cache->files[i + 1],
		(cache->nr - i - 1) * sizeof(cache->files[0]));
	cache->nr--;
	return file;
}

/**
 * mbx_ool_cache_take() - an idle cached file to write @size bytes into
 * @space: the sender's space
 * @size: the region's bytes
 *
 * Return: a file of the same number of pages whose only reference is now
 * the caller's, or NULL.
 */
struct file *mbx_ool_cache_take(struct mbx_space *space, u32 size)
{
	struct mbx_ool_cache *cache = &space->ool_cache;
	u64 bytes = PAGE_ALIGN((u64)size);
	struct file *file = NULL;
	unsigned int i;

	spin_lock(&cache->lock);
	for (i = 0; i < cache->nr; i++) {
		struct file *f = cache->files[i];

		if (mbx_ool_file_bytes(f) == bytes && mbx_ool_file_idle(f)) {
			file = mbx_ool_cache_remove(cache, i);
			mbx_stat_add(MBX_STAT_OOL_CACHE_FILES, -1);
			break;
		}
	}
	spin_unlock(&cache->lock);
	return file;
}

/**
 * mbx_ool_cache_keep() - keep a reference on a file just written for a send
 * @space: the sender's space
 * @file: the file; the caller keeps its own reference
 *
 * Evicts the oldest entries to make room; a file larger than the cache is
 * not kept.
 */
void mbx_ool_cache_keep(struct mbx_space *space, struct file *file)
{
	struct mbx_ool_cache *cache = &space->ool_cache;
	u64 bytes = mbx_ool_file_bytes(file);
	struct file *evicted[MBX_OOL_CACHE];
	unsigned int n = 0;

	if (bytes > mbx_ool_cache_size)
		return;
	get_file(file);
	spin_lock(&cache->lock);
	while (cache->nr == MBX_OOL_CACHE ||
	       cache->bytes + bytes > mbx_ool_cache_size)
		evicted[n++] = mbx_ool_cache_remove(cache, 0);
	cache->files[cache->nr++] = file;
	cache->bytes += bytes;
	atomic_long_add(bytes >> PAGE_SHIFT, &mbx_ool_cached_pages);
	spin_unlock(&cache->lock);
	mbx_stat_add(MBX_STAT_OOL_CACHE_FILES, 1 - (long)n);
	while (n)
		fput(evicted[--n]);
}

/* Drop every cached file (@space is being destroyed). */
void mbx_ool_cache_drop(struct mbx_space *space)
{
	struct mbx_ool_cache *cache = &space->ool_cache;

	mbx_stat_add(MBX_STAT_OOL_CACHE_FILES, -(long)cache->nr);
	while (cache->nr)
		fput(mbx_ool_cache_remove(cache, cache->nr - 1));
}

struct mbx_ool_scan {
	unsigned long want;		/* pages to free */
	unsigned long freed;		/* pages freed */
};

/* Drop @space's idle cached files while the scan wants pages. */
static void mbx_ool_cache_shrink(struct mbx_space *space, void *arg)
{
	struct mbx_ool_cache *cache = &space->ool_cache;
	struct file *idle[MBX_OOL_CACHE];
	struct mbx_ool_scan *scan = arg;
	unsigned int i = 0, n = 0;

	if (scan->freed >= scan->want)
		return;
	spin_lock(&cache->lock);
	while (i < cache->nr && scan->freed < scan->want) {
		if (!mbx_ool_file_idle(cache->files[i])) {
			i++;
			continue;
		}
		scan->freed += mbx_ool_file_bytes(cache->files[i]) >> PAGE_SHIFT;
		idle[n++] = mbx_ool_cache_remove(cache, i);
	}
	spin_unlock(&cache->lock);
	mbx_stat_add(MBX_STAT_OOL_CACHE_FILES, -(long)n);
	while (n)
		fput(idle[--n]);
}

static unsigned long mbx_ool_shrink_count(struct shrinker *s,
					  struct shrink_control *sc)
{
	long pages = atomic_long_read(&mbx_ool_cached_pages);

	return pages > 0 ? pages : SHRINK_EMPTY;
}

static unsigned long mbx_ool_shrink_scan(struct shrinker *s,
					 struct shrink_control *sc)
{
	struct mbx_ool_scan scan = { .want = sc->nr_to_scan };

	if (!mbx_spaces_walk_trylock(mbx_ool_cache_shrink, &scan))
		return SHRINK_STOP;
	return scan.freed;
}

int mbx_ool_shrinker_init(void)
{
	mbx_ool_shrinker = mbx_shrinker_create(mbx_ool_shrink_count,
					       mbx_ool_shrink_scan,
					       "mailbox-ool-cache");
	return mbx_ool_shrinker ? 0 : -ENOMEM;
}

void mbx_ool_shrinker_exit(void)
{
	mbx_shrinker_destroy(mbx_ool_shrinker);
	mbx_ool_shrinker = NULL;
}
