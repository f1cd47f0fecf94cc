// SPDX-License-Identifier: GPL-2.0
/*
 * Seeded random-sequence fuzzer for every /dev/mailbox ioctl.
 *
 * MBX_FUZZ_SEED   seed (default: time-based; always printed)
 * MBX_FUZZ_CALLS  total ioctl calls over all workers (default 20000)
 * MBX_FUZZ_ENOMEM allow ENOMEM from every ioctl (set under failslab)
 * MBX_FUZZ_FAILSLAB  set /proc/thread-self/make-it-fail around each ioctl
 *                 only (failslab configured by the caller); implies ENOMEM
 *
 * NPROC forked processes run NTHREAD threads each. Worker w draws its calls
 * from its own xorshift generator seeded with (seed, w), so a seed replays
 * the same call sequence per thread (interleavings differ). Each worker owns
 * a space; every process also shares a space opened before the fork, and
 * workers hand each other rights through messages, insert_right into the
 * shared space, right fds and the registry. Workers sometimes close and
 * reopen their space and fork a short-lived child mid-way. Every wait is
 * bounded: spaces are opened O_NONBLOCK and timeouts are at most 2 ms.
 *
 * Messages carry port, port-array and out-of-line memory descriptors of
 * random sizes and pointers, and are sent and received whole or through
 * segment arrays (SEND_IOV, RCV_IOV) of random counts, lengths and
 * pointers. Out-of-line sources live in a per-thread region (anonymous
 * memory or an out-of-line buffer, which a send with deallocate moves) that
 * is mapped again after a send that may have deallocated it; received
 * out-of-line memory is unmapped by harvest().
 *
 * Checks: every errno is in the documented set of its ioctl (errno_ok()),
 * no worker crashes or hangs (a watchdog kills it), and after exit the
 * debugfs counters are zero (checked by scripts/vm-guest-init).
 * Output is TAP with a kselftest-style "# Totals:" line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/mailbox.h>
#include <liburing.h>

#define NPROC		2
#define NTHREAD		2
/* Exit status of a process whose own setup (open, mmap) failed. */
#define FUZZ_BAIL	125
#define NWORKERS	(NPROC * NTHREAD)
#define POOL		64
#define FDPOOL		16
#define BUF		8192
#define C_NR_MAX	32
#define OOL_PAGES	16		/* per-thread source of OOL memory */

static uint64_t seed;
static long calls_per_worker;
static int allow_enomem;
static int shared_fd = -1;
static void *unmapped_page, *ro_page;
static uint32_t max_msg_size = 8192;

struct worker {
	int id;
	uint64_t rng;
	int space;
	uint32_t names[POOL];	/* names in @space */
	uint32_t snames[POOL];	/* names in the shared space */
	int fds[FDPOOL];	/* ready fds and right fds */
	int sane;		/* this call: no deliberate garbage */
	long calls, bad;
	long per_cmd[C_NR_MAX], per_ok[C_NR_MAX];
};

static uint64_t rnd(struct worker *w)
{
	uint64_t x = w->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return w->rng = x;
}

static uint32_t below(struct worker *w, uint32_t n)
{
	return n ? rnd(w) % n : 0;
}

static int chance(struct worker *w, int percent)
{
	return below(w, 100) < (uint32_t)percent;
}

/* --- the documented errno set of each ioctl ----------------------------- */

#define B(e)	((unsigned __int128)1 << (e))
#define COMMON	(B(EFAULT) | B(EINVAL))

struct cmd {
	const char *name;
	unsigned long nr;
	unsigned __int128 errnos;
};

enum {
	C_VERSION, C_ALLOCATE, C_DEALLOCATE, C_DESTROY, C_MOD_REFS, C_INSERT,
	C_TYPE, C_NAMES, C_GET_ATTR, C_SET_ATTR, C_MOVE_MEMBER, C_NOTIFY,
	C_MSG, C_READY_FD, C_EXPORT, C_IMPORT, C_REGISTER, C_LOOKUP,
	C_UNREGISTER, C_PULSE, C_BATCH, C_URING, C_UNKNOWN, C_NR
};

static const struct cmd cmds[C_NR] = {
	[C_VERSION] = { "VERSION", MAILBOX_IOC_VERSION, COMMON },
	[C_ALLOCATE] = { "PORT_ALLOCATE", MAILBOX_IOC_PORT_ALLOCATE,
			 COMMON | B(ENOSPC) | B(EMFILE) | B(ENOMEM) },
	[C_DEALLOCATE] = { "PORT_DEALLOCATE", MAILBOX_IOC_PORT_DEALLOCATE,
			   COMMON | B(ENOENT) | B(EPERM) },
	[C_DESTROY] = { "PORT_DESTROY", MAILBOX_IOC_PORT_DESTROY,
			COMMON | B(ENOENT) },
	[C_MOD_REFS] = { "PORT_MOD_REFS", MAILBOX_IOC_PORT_MOD_REFS,
			 COMMON | B(ENOENT) | B(EPERM) | B(EOVERFLOW) },
	[C_INSERT] = { "PORT_INSERT_RIGHT", MAILBOX_IOC_PORT_INSERT_RIGHT,
		       COMMON | B(EBADF) | B(ENOENT) | B(EPERM) | B(EPIPE) |
		       B(EEXIST) | B(EALREADY) | B(EOVERFLOW) | B(ENOSPC) |
		       B(ENOMEM) },
	[C_TYPE] = { "PORT_TYPE", MAILBOX_IOC_PORT_TYPE, COMMON | B(ENOENT) },
	[C_NAMES] = { "PORT_NAMES", MAILBOX_IOC_PORT_NAMES, COMMON | B(ENOSPC) },
	[C_GET_ATTR] = { "PORT_GET_ATTR", MAILBOX_IOC_PORT_GET_ATTR,
			 COMMON | B(ENOENT) | B(EPERM) },
	[C_SET_ATTR] = { "PORT_SET_ATTR", MAILBOX_IOC_PORT_SET_ATTR,
			 COMMON | B(ENOENT) | B(EPERM) },
	[C_MOVE_MEMBER] = { "PORT_MOVE_MEMBER", MAILBOX_IOC_PORT_MOVE_MEMBER,
			    COMMON | B(ENOENT) | B(EPERM) | B(ENXIO) },
	[C_NOTIFY] = { "PORT_REQUEST_NOTIFICATION",
		       MAILBOX_IOC_PORT_REQUEST_NOTIFICATION,
		       COMMON | B(ENOENT) | B(EPERM) | B(EPIPE) |
		       B(EOVERFLOW) | B(ENOMEM) },
	[C_MSG] = { "MSG", MAILBOX_IOC_MSG,
		    COMMON | B(EMSGSIZE) | B(ENOENT) | B(EPERM) | B(EPIPE) |
		    B(EAGAIN) | B(ETIMEDOUT) | B(EINTR) | B(ENOMEM) |
		    B(ENOSPC) | B(EOVERFLOW) | B(EIDRM) | B(ELOOP) |
		    B(ENOBUFS) },
	[C_READY_FD] = { "PORT_READY_FD", MAILBOX_IOC_PORT_READY_FD,
			 COMMON | B(ENOENT) | B(EPERM) | B(EMFILE) |
			 B(ENFILE) | B(ENOMEM) },
	[C_EXPORT] = { "PORT_EXPORT", MAILBOX_IOC_PORT_EXPORT,
		       COMMON | B(ENOENT) | B(EPERM) | B(EPIPE) | B(EMFILE) |
		       B(ENFILE) | B(ENOMEM) },
	[C_IMPORT] = { "PORT_IMPORT", MAILBOX_IOC_PORT_IMPORT,
		       COMMON | B(EBADF) | B(ENODATA) | B(EPIPE) | B(EEXIST) |
		       B(EALREADY) | B(EOVERFLOW) | B(ENOSPC) | B(ENOMEM) },
	[C_REGISTER] = { "REGISTER", MAILBOX_IOC_REGISTER,
			 COMMON | B(ENOENT) | B(EPERM) | B(EPIPE) | B(EEXIST) |
			 B(ENOSPC) | B(ENOMEM) },
	[C_LOOKUP] = { "LOOKUP", MAILBOX_IOC_LOOKUP,
		       COMMON | B(ENOENT) | B(EOVERFLOW) | B(ENOSPC) |
		       B(ENOMEM) },
	[C_UNREGISTER] = { "UNREGISTER", MAILBOX_IOC_UNREGISTER,
			   COMMON | B(ENOENT) | B(EPERM) },
	[C_PULSE] = { "PULSE", MAILBOX_IOC_PULSE,
		      COMMON | B(ENOENT) | B(EPERM) | B(EPIPE) | B(ENOMEM) },
	[C_BATCH] = { "MSG_BATCH", MAILBOX_IOC_MSG_BATCH,
		      COMMON | B(EMSGSIZE) | B(ENOENT) | B(EPERM) | B(EPIPE) |
		      B(EAGAIN) | B(ETIMEDOUT) | B(EINTR) | B(ENOMEM) |
		      B(ENOSPC) | B(EOVERFLOW) | B(EIDRM) | B(ELOOP) |
		      B(ENOBUFS) },
	/* MAILBOX_IOC_MSG as an io_uring command: its errnos, -ECANCELED, -ENOTTY. */
	[C_URING] = { "URING_CMD_MSG", MAILBOX_URING_CMD_MSG,
		      COMMON | B(EMSGSIZE) | B(ENOENT) | B(EPERM) | B(EPIPE) |
		      B(EAGAIN) | B(ETIMEDOUT) | B(ENOMEM) | B(ENOSPC) |
		      B(EOVERFLOW) | B(EIDRM) | B(ELOOP) | B(ENOBUFS) |
		      B(ECANCELED) | B(ENOTTY) },
	[C_UNKNOWN] = { "unknown", 0, B(ENOTTY) },
};

static atomic_long total_bad;
static int failslab_targeted;
static __thread int make_it_fail = -1;

/* MBX_FUZZ_FAILSLAB: failslab's task filter on only inside our ioctls. */
static void fail_slab(int on)
{
	if (!failslab_targeted)
		return;
	if (make_it_fail < 0)
		make_it_fail = open("/proc/thread-self/make-it-fail", O_WRONLY | O_CLOEXEC);
	if (make_it_fail >= 0 && pwrite(make_it_fail, on ? "1" : "0", 1, 0) != 1) {
		printf("Bail out! make-it-fail: %s\n", strerror(errno));
		exit(FUZZ_BAIL);
	}
}

static long fuzz_ioctl(struct worker *w, int c, int fd, unsigned long nr,
		       void *arg)
{
	long r;
	int e;

	w->calls++;
	w->per_cmd[c]++;
	fail_slab(1);
	r = ioctl(fd, nr, arg);
	e = errno;
	fail_slab(0);
	errno = e;
	if (r >= 0) {
		w->per_ok[c]++;
		return r;
	}
	e = errno;
	if (e < 128 && (cmds[c].errnos & B(e)))
		return r;
	if (e == ENOMEM && allow_enomem)
		return r;
	w->bad++;
	atomic_fetch_add(&total_bad, 1);
	printf("# worker %d call %ld: %s (0x%lx) on fd %d: undocumented errno %d (%s)\n",
	       w->id, w->calls, cmds[c].name, nr, fd, e, strerror(e));
	fflush(stdout);
	errno = e;
	return r;
}

/* --- random values ------------------------------------------------------- */

static uint32_t pick_name(struct worker *w)
{
	uint32_t n;

	switch (w->sane ? 5 : below(w, 20)) {
	case 0: return MAILBOX_PORT_NULL;
	case 1: return MAILBOX_PORT_DEAD;
	case 2: return (uint32_t)rnd(w);
	case 3: return (below(w, 300) << 8) | below(w, 4);
	case 4: n = w->names[below(w, POOL)];
		return n ^ 1;	/* stale generation */
	default:
		n = w->names[below(w, POOL)];
		return n ? n : w->names[0];
	}
}

static void keep_name(struct worker *w, uint32_t n)
{
	if (n && n != MAILBOX_PORT_DEAD)
		w->names[below(w, POOL)] = n;
}

static uint32_t pick_disp(struct worker *w)
{
	if (w->sane || chance(w, 85))
		return 16 + below(w, 6);
	switch (below(w, 4)) {
	case 0: return 0;
	case 1: return 22 + below(w, 10);
	case 2: return below(w, 16);
	default: return (uint32_t)rnd(w);
	}
}

static uint32_t pick_flags(struct worker *w, uint32_t valid)
{
	if (w->sane || chance(w, 90))
		return valid ? (uint32_t)rnd(w) & valid : 0;
	return 1U << below(w, 32);
}

static uint32_t pick_reserved(struct worker *w)
{
	return w->sane || chance(w, 95) ? 0 : (uint32_t)rnd(w) | 1;
}

static uint64_t pick_timeout(struct worker *w)
{
	switch (below(w, 4)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return 1000 + below(w, 100000);
	default: return below(w, 2000000);
	}
}

/* A bad argument pointer, or @good. */
static void *pick_ptr(struct worker *w, void *good, int percent_bad)
{
	if (w->sane || !chance(w, percent_bad))
		return good;
	switch (below(w, 4)) {
	case 0: return NULL;
	case 1: return unmapped_page;
	case 2: return ro_page;
	default: return (void *)(uintptr_t)0xffffffffff600000ULL;
	}
}

static int pick_space_fd(struct worker *w)
{
	switch (below(w, 10)) {
	case 0: return w->fds[below(w, FDPOOL)];
	case 1: return (int)rnd(w);
	case 2: return 0;
	case 3: case 4: return w->space;
	case 5: case 6: case 7: return shared_fd;
	default: return MAILBOX_SPACE_SELF;
	}
}

static void keep_fd(struct worker *w, int fd)
{
	int i = below(w, FDPOOL);

	if (w->fds[i] >= 0)
		close(w->fds[i]);
	w->fds[i] = fd;
}

static int open_space(void)
{
	int fd, tries = 0;

	/* ENOMEM under failslab: try again a few times. */
	do {
		fd = open("/dev/mailbox", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	} while (fd < 0 && (errno == ENOMEM || errno == ENFILE) && ++tries < 1000);
	if (fd < 0) {
		printf("Bail out! open /dev/mailbox: %s\n", strerror(errno));
		exit(FUZZ_BAIL);
	}
	return fd;
}

/* --- one random call of each kind ------------------------------------- */

static void do_allocate(struct worker *w)
{
	struct mailbox_port_allocate a = {
		.right = chance(w, 90) ? (below(w, 3) == 0 ? MAILBOX_RIGHT_PORT_SET :
			 below(w, 5) ? MAILBOX_RIGHT_RECEIVE : MAILBOX_RIGHT_DEAD_NAME) :
			 (uint32_t)below(w, 8),
		.flags = pick_flags(w, 0),
		.reserved = pick_reserved(w),
	};

	if (fuzz_ioctl(w, C_ALLOCATE, w->space, cmds[C_ALLOCATE].nr,
		       pick_ptr(w, &a, 3)) == 0) {
		keep_name(w, a.name);
		if (a.right == MAILBOX_RIGHT_RECEIVE && chance(w, 70)) {
			struct mailbox_port_insert_right ir = {
				.space_fd = MAILBOX_SPACE_SELF, .name = a.name,
				.poly = a.name,
				.disposition = MAILBOX_MSG_TYPE_MAKE_SEND,
			};
			fuzz_ioctl(w, C_INSERT, w->space, cmds[C_INSERT].nr, &ir);
		}
	}
}

static void do_name_op(struct worker *w, int c)
{
	struct mailbox_port_name_op op = {
		.name = pick_name(w), .flags = pick_flags(w, 0),
		.reserved = pick_reserved(w),
	};

	fuzz_ioctl(w, c, w->space, cmds[c].nr, pick_ptr(w, &op, 3));
}

static void do_mod_refs(struct worker *w)
{
	static const int32_t deltas[] = { 0, 1, -1, 2, -2, 0xffff, -0xffff,
					  0x10000, INT32_MIN, INT32_MAX };
	struct mailbox_port_mod_refs m = {
		.name = pick_name(w),
		.right = chance(w, 90) ? below(w, 5) : (uint32_t)rnd(w),
		.delta = deltas[below(w, sizeof(deltas) / sizeof(deltas[0]))],
		.flags = pick_flags(w, 0),
	};

	fuzz_ioctl(w, C_MOD_REFS, w->space, cmds[C_MOD_REFS].nr,
		   pick_ptr(w, &m, 3));
}

static void do_insert(struct worker *w)
{
	int target = pick_space_fd(w);
	struct mailbox_port_insert_right ir = {
		.space_fd = target,
		.name = chance(w, 60) ? 0 : pick_name(w),
		.poly = pick_name(w),
		.disposition = pick_disp(w),
		.flags = pick_flags(w, 0),
		.reserved = pick_reserved(w),
	};

	if (target == MAILBOX_SPACE_SELF && ir.name == 0)
		ir.name = ir.poly;
	if (fuzz_ioctl(w, C_INSERT, w->space, cmds[C_INSERT].nr,
		       pick_ptr(w, &ir, 3)) == 0) {
		if (target == shared_fd)
			w->snames[below(w, POOL)] = ir.name;
		else if (target == MAILBOX_SPACE_SELF || target == w->space)
			keep_name(w, ir.name);
	}
}

static void do_type(struct worker *w)
{
	struct mailbox_port_type t = {
		.name = pick_name(w), .flags = pick_flags(w, 0),
		.reserved = pick_reserved(w),
	};

	fuzz_ioctl(w, C_TYPE, w->space, cmds[C_TYPE].nr, pick_ptr(w, &t, 3));
}

static void do_names(struct worker *w)
{
	static __thread uint32_t names[1024], types[1024];
	static const uint32_t counts[] = { 0, 1, 4, 64, 1024, 0x7fffffff,
					   0xffffffff };
	struct mailbox_port_names n = {
		.names = (uintptr_t)pick_ptr(w, names, 10),
		.types = (uintptr_t)pick_ptr(w, types, 10),
		.count = counts[below(w, sizeof(counts) / sizeof(counts[0]))],
		.flags = pick_flags(w, 0),
		.reserved = pick_reserved(w),
	};
	uint32_t i;

	if (n.count > 1024 && chance(w, 80))
		n.count = 1024;
	if (chance(w, 10))
		n.names = 0;
	if (fuzz_ioctl(w, C_NAMES, w->space, cmds[C_NAMES].nr,
		       pick_ptr(w, &n, 3)) == 0 && n.names == (uintptr_t)names)
		for (i = 0; i < n.count && i < 1024; i++)
			if (chance(w, 5))
				keep_name(w, names[i]);
}

static void do_attr(struct worker *w, int c)
{
	struct mailbox_port_attr a = {
		.name = pick_name(w),
		.flags = c == C_SET_ATTR ? pick_flags(w, MAILBOX_ATTR_ALL) :
					   pick_flags(w, 0),
		.qlimit = chance(w, 80) ? 1 + below(w, 16) : (uint32_t)rnd(w),
		.seqno = (uint32_t)rnd(w),
		.mscount = below(w, 4),
	};

	a.spin_us = chance(w, 80) ? below(w, 64) : (uint32_t)rnd(w);
	a.port_flags = pick_flags(w, MAILBOX_PORT_FLAGS_ALL);
	fuzz_ioctl(w, c, w->space, cmds[c].nr, pick_ptr(w, &a, 3));
}

static void do_move_member(struct worker *w)
{
	struct mailbox_port_move_member m = {
		.member = pick_name(w),
		.after = chance(w, 25) ? 0 : pick_name(w),
		.flags = pick_flags(w, 0),
		.reserved = pick_reserved(w),
	};

	fuzz_ioctl(w, C_MOVE_MEMBER, w->space, cmds[C_MOVE_MEMBER].nr,
		   pick_ptr(w, &m, 3));
}

static void do_notify(struct worker *w)
{
	static const uint32_t variants[] = {
		MAILBOX_NOTIFY_DEAD_NAME, MAILBOX_NOTIFY_NO_SENDERS,
		MAILBOX_NOTIFY_PORT_DESTROYED, MAILBOX_NOTIFY_SEND_POSSIBLE,
		MAILBOX_NOTIFY_PORT_DELETED, MAILBOX_NOTIFY_SEND_ONCE, 0, 0x1234,
	};
	struct mailbox_port_request_notification r = {
		.name = pick_name(w),
		.variant = variants[below(w, chance(w, 90) ? 4 : 8)],
		.sync = chance(w, 60) ? 0 : below(w, 3),
		.notify = chance(w, 10) ? 0 : pick_name(w),
		.disposition = chance(w, 80) ? (chance(w, 50) ?
			MAILBOX_MSG_TYPE_MAKE_SEND_ONCE :
			MAILBOX_MSG_TYPE_MOVE_SEND_ONCE) : pick_disp(w),
		.flags = pick_flags(w, 0),
		.reserved = pick_reserved(w),
	};

	if (r.notify == 0 && chance(w, 80))
		r.disposition = 0;
	if (fuzz_ioctl(w, C_NOTIFY, w->space, cmds[C_NOTIFY].nr,
		       pick_ptr(w, &r, 3)) == 0)
		keep_name(w, r.previous);
}

/*
 * Harvest the names a received message brought into the space (@names:
 * the worker's own space) and unmap the out-of-line memory it brought into
 * the process (any space).
 */
static void harvest(struct worker *w, const uint8_t *buf, uint32_t size,
		    int names)
{
	const struct mailbox_msg_header *h = (const void *)buf;
	uint32_t off, i, n, k;

	if (size < sizeof(*h) || h->size > size)
		return;
	if (names)
		keep_name(w, h->remote_port);
	if (!(h->bits & MAILBOX_MSGH_COMPLEX) || h->size < sizeof(*h) + 4)
		return;
	n = *(const uint32_t *)(buf + sizeof(*h));
	off = sizeof(*h) + 4;
	for (i = 0; i < n && off + 12 <= h->size; i++) {
		const struct mailbox_msg_port_descriptor *pd = (const void *)(buf + off);

		if (pd->type == MAILBOX_MSG_PORT_DESCRIPTOR) {
			if (names)
				keep_name(w, pd->name);
			off += 12;
		} else if (pd->type == MAILBOX_MSG_OOL_DESCRIPTOR &&
			   off + 16 <= h->size) {
			const struct mailbox_msg_ool_descriptor *md =
				(const void *)(buf + off);

			/* The receiver's mapping: ours to free. */
			if (md->address)
				munmap((void *)(uintptr_t)md->address,
				       ((size_t)md->size + 4095) & ~4095UL);
			off += 16;
		} else if (pd->type == MAILBOX_MSG_OOL_PORTS_DESCRIPTOR &&
			   off + 16 <= h->size) {
			const struct mailbox_msg_ool_ports_descriptor *od =
				(const void *)(buf + off);
			uintptr_t a = od->address;

			if (names && a >= (uintptr_t)buf && od->count < BUF / 4 &&
			    a + 4ULL * od->count <= (uintptr_t)buf + size)
				for (k = 0; k < od->count; k++)
					keep_name(w, ((const uint32_t *)a)[k]);
			off += 16;
		} else {
			return;
		}
	}
}

/*
 * The per-thread OOL source region, mapped (again) at a fixed place: half
 * the time an out-of-line buffer (mmap of the worker's space, which a send
 * with deallocate moves instead of copying), else anonymous memory.
 */
static uint8_t *ool_region(struct worker *w, int remap)
{
	static __thread uint8_t *region;
	size_t len = OOL_PAGES * 4096UL;
	int fixed = region ? MAP_FIXED : 0;
	void *p = MAP_FAILED;

	if (region && !remap)
		return region;
	if (chance(w, 50))
		p = mmap(region, len, PROT_READ | PROT_WRITE, MAP_SHARED | fixed,
			 w->space, 0);
	if (p == MAP_FAILED)
		p = mmap(region, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | fixed, -1, 0);
	if (p == MAP_FAILED) {
		perror("fuzz: mmap");
		exit(FUZZ_BAIL);
	}
	region = p;
	memset(region, 0x3c, len);
	return region;
}

static uint32_t pick_ool_size(struct worker *w)
{
	switch (w->sane ? below(w, 3) : below(w, 12)) {
	case 0: return 0;
	case 1: return 1 + below(w, 256);
	case 2: return below(w, OOL_PAGES * 4096 + 1);
	case 3: return MAILBOX_OOL_MAX;		/* source too small: EFAULT */
	case 4: return MAILBOX_OOL_MAX + 1 + below(w, 4096);
	case 5: return (uint32_t)rnd(w);
	default: return below(w, 4 * 4096);
	}
}

/*
 * Describe @buf[0, @len) as *@n segments in @iov (contiguous pieces, so the
 * whole is still @buf), or as garbage: a bad count, huge or overflowing
 * lengths, bad pointers.
 */
static void pick_iov(struct worker *w, struct mailbox_iov *iov, uint32_t *n,
		     uint8_t *buf, uint32_t len)
{
	uint32_t k, cnt = 1 + below(w, chance(w, 90) ? 6 : MAILBOX_IOV_MAX);
	uint32_t at = 0;

	for (k = 0; k < cnt; k++) {
		uint32_t piece = k + 1 == cnt ? len - at : below(w, len - at + 1);

		iov[k].base = (uintptr_t)(buf + at);
		iov[k].len = piece;
		at += piece;
	}
	*n = cnt;
	if (w->sane || chance(w, 85))
		return;
	k = below(w, cnt);
	switch (below(w, 7)) {
	case 0: *n = 0; break;
	case 1: *n = MAILBOX_IOV_MAX + 1 + below(w, 3); break;
	case 2: iov[k].len = ~0ULL - below(w, 8); break;
	case 3: iov[k].len = 1ULL << (32 + below(w, 31)); break;
	case 4: iov[k].base = (uintptr_t)pick_ptr(w, buf, 100); break;
	case 5: iov[k].base = ~0ULL - 3; break;
	default: *n = (uint32_t)rnd(w); break;
	}
}

/*
 * One call as an io_uring command (IORING_OP_URING_CMD) on a ring of the
 * calling thread, waited for at once; checked against cmds[c] as
 * fuzz_ioctl() checks an ioctl. The ring belongs to the process that made
 * it: a forked child (whose copy shares the parent's rings) and a kernel
 * without io_uring make the plain ioctl instead.
 */
static long fuzz_uring(struct worker *w, int fd, void *arg)
{
	static __thread struct io_uring ring;
	static __thread pid_t ring_pid;
	static __thread int ring_state;	/* 0 untried, 1 up, -1 unusable */
	struct mailbox_uring_msg *c;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int res, e;

	if (ring_state == 0) {
		ring_state = io_uring_queue_init(4, &ring, 0) == 0 ? 1 : -1;
		ring_pid = getpid();
	}
	if (ring_state < 0 || ring_pid != getpid())
		return fuzz_ioctl(w, C_MSG, fd, MAILBOX_IOC_MSG, arg);
	sqe = io_uring_get_sqe(&ring);
	if (!sqe)
		return fuzz_ioctl(w, C_MSG, fd, MAILBOX_IOC_MSG, arg);
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = fd;
	sqe->cmd_op = w->sane || chance(w, 95) ? MAILBOX_URING_CMD_MSG : (uint32_t)rnd(w);
	c = (struct mailbox_uring_msg *)sqe->cmd;
	c->msg = (uintptr_t)arg;
	c->flags = pick_flags(w, 0);
	c->reserved = pick_reserved(w);
	w->calls++;
	w->per_cmd[C_URING]++;
	fail_slab(1);
	res = io_uring_submit(&ring);
	if (res == 1) {
		do
			res = io_uring_wait_cqe(&ring, &cqe);
		while (res == -EINTR);
	}
	fail_slab(0);
	if (res < 0) {
		/* The ring itself failed (ENOMEM under failslab): not ours. */
		if (allow_enomem && res == -ENOMEM)
			return -1;
		w->bad++;
		atomic_fetch_add(&total_bad, 1);
		printf("# worker %d call %ld: io_uring submit/wait failed: %s\n",
		       w->id, w->calls, strerror(-res));
		errno = -res;
		return -1;
	}
	res = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	if (res >= 0) {
		w->per_ok[C_URING]++;
		return res;
	}
	e = -res;
	errno = e;
	if (e < 128 && (cmds[C_URING].errnos & B(e)))
		return -1;
	if (e == ENOMEM && allow_enomem)
		return -1;
	w->bad++;
	atomic_fetch_add(&total_bad, 1);
	printf("# worker %d call %ld: %s on fd %d: undocumented errno %d (%s)\n",
	       w->id, w->calls, cmds[C_URING].name, fd, e, strerror(e));
	fflush(stdout);
	errno = e;
	return -1;
}

static void do_msg(struct worker *w)
{
	static __thread uint8_t sbuf[BUF] __attribute__((aligned(8)));
	static __thread uint8_t rbuf[BUF] __attribute__((aligned(8)));
	static __thread uint32_t arrays[4][8];
	static __thread struct mailbox_iov siov[MAILBOX_IOV_MAX + 4];
	static __thread struct mailbox_iov riov[MAILBOX_IOV_MAX + 4];
	struct mailbox_msg_header *h = (void *)sbuf;
	struct mailbox_rcv_filter filter;
	struct mailbox_msg m = { 0 };
	uint32_t size = sizeof(*h), i, n, cnt;
	int space = chance(w, 85) ? w->space : shared_fd;
	int dealloc = 0, err;

	memset(sbuf, 0, 256);
	h->remote_port = space == shared_fd ? w->snames[below(w, POOL)] : pick_name(w);
	h->local_port = chance(w, 50) ? 0 : pick_name(w);
	h->bits = MAILBOX_MSGH_BITS(chance(w, 90) ? 17 + below(w, 5) : pick_disp(w),
				    h->local_port ? pick_disp(w) : 0);
	if (w->sane)
		h->bits = MAILBOX_MSGH_BITS(19 + below(w, 3), h->local_port ? 20 + below(w, 2) : 0);
	if (!w->sane && chance(w, 3))
		h->bits ^= 1U << below(w, 32);
	if (!w->sane && chance(w, 3))
		h->voucher_port = 1;
	h->id = (int32_t)rnd(w);
	if (chance(w, 40)) {
		h->bits |= MAILBOX_MSGH_COMPLEX;
		n = w->sane || chance(w, 95) ? below(w, 5) :
			(chance(w, 50) ? 1025 : (uint32_t)rnd(w));
		*(uint32_t *)(sbuf + size) = n;
		size += 4;
		for (i = 0; i < n && i < 8; i++) {
			if (chance(w, 20)) {
				struct mailbox_msg_ool_descriptor *md = (void *)(sbuf + size);
				uint8_t *src = ool_region(w, 0);

				md->size = pick_ool_size(w);
				md->address = (uintptr_t)pick_ptr(w, src + below(w, 4096), 10);
				/* The whole region, as a move takes it. */
				if (chance(w, 15)) {
					md->address = (uintptr_t)src;
					md->size = OOL_PAGES * 4096 - below(w, 4096);
				}
				/* Never unmap memory other than the region. */
				md->deallocate = md->address >= (uintptr_t)src &&
						 md->address < (uintptr_t)src + 4096 &&
						 chance(w, 30);
				md->copy = w->sane || chance(w, 95) ? below(w, 2) : below(w, 256);
				md->type = MAILBOX_MSG_OOL_DESCRIPTOR;
				if (!w->sane && chance(w, 3))
					md->pad1 = 1;
				dealloc |= md->deallocate;
				size += 16;
			} else if (chance(w, 70)) {
				struct mailbox_msg_port_descriptor *pd = (void *)(sbuf + size);

				pd->name = pick_name(w);
				pd->disposition = pick_disp(w);
				pd->type = w->sane || chance(w, 95) ?
					   MAILBOX_MSG_PORT_DESCRIPTOR : below(w, 8);
				if (!w->sane && chance(w, 3))
					pd->pad1 = 1;
				size += 12;
			} else {
				struct mailbox_msg_ool_ports_descriptor *od = (void *)(sbuf + size);
				uint32_t k, c = below(w, 5);

				for (k = 0; k < c; k++)
					arrays[i & 3][k] = pick_name(w);
				od->address = (uintptr_t)pick_ptr(w, arrays[i & 3], 10);
				od->count = w->sane || chance(w, 95) ? c :
					    (chance(w, 50) ? 1025 : (uint32_t)rnd(w));
				od->disposition = pick_disp(w);
				od->type = MAILBOX_MSG_OOL_PORTS_DESCRIPTOR;
				if (!w->sane && chance(w, 3))
					od->copy = 1;
				size += 16;
			}
		}
	}
	size += 4 * below(w, 16);	/* inline data */

	if (w->sane)
		m.options = (1 + below(w, 3)) | (rnd(w) & (MAILBOX_MSG_RCV_TRAILER |
							  MAILBOX_MSG_RCV_LARGE |
							  MAILBOX_MSG_SEND_IOV |
							  MAILBOX_MSG_RCV_IOV |
							  MAILBOX_MSG_RCV_FILTER |
							  MAILBOX_MSG_RCV_PEEK));
	else
		m.options = chance(w, 95) ? (uint32_t)rnd(w) & MAILBOX_MSG_OPTIONS_ALL :
					    (uint32_t)rnd(w);
	if (chance(w, 70))
		m.options |= MAILBOX_MSG_SEND_TIMEOUT | MAILBOX_MSG_RCV_TIMEOUT;
	m.send_timeout = pick_timeout(w);
	m.rcv_timeout = pick_timeout(w);
	m.send_msg = (uintptr_t)pick_ptr(w, sbuf, 3);
	m.rcv_msg = (uintptr_t)pick_ptr(w, rbuf, 3);
	switch (w->sane ? 19 : below(w, 20)) {
	case 0: m.send_size = 0; break;
	case 1: m.send_size = sizeof(*h) - 4; break;
	case 2: m.send_size = size + 2; break;
	case 3: m.send_size = max_msg_size; break;
	case 4: m.send_size = max_msg_size + 4; break;
	case 5: m.send_size = 0xfffffffc; break;
	case 6: m.send_size = size > 28 ? size - 8 : size; break;
	default: m.send_size = size;
	}
	if (m.send_size > BUF && m.send_msg == (uintptr_t)sbuf && chance(w, 50))
		m.send_size = BUF;
	switch (w->sane ? 9 : below(w, 10)) {
	case 0: m.rcv_size = 0; break;
	case 1: m.rcv_size = sizeof(*h); break;
	case 2: m.rcv_size = 0xffffffff; break;
	case 3: m.rcv_size = below(w, 64); break;
	default: m.rcv_size = BUF;
	}
	if (m.rcv_size > BUF && chance(w, 70))
		m.rcv_size = BUF;
	if ((m.options & MAILBOX_MSG_SEND_IOV) && m.send_msg == (uintptr_t)sbuf &&
	    m.send_size <= BUF) {
		pick_iov(w, siov, &cnt, sbuf, m.send_size);
		m.send_msg = (uintptr_t)siov;
		m.send_size = cnt;
	}
	if ((m.options & MAILBOX_MSG_RCV_IOV) && m.rcv_msg == (uintptr_t)rbuf &&
	    m.rcv_size <= BUF) {
		pick_iov(w, riov, &cnt, rbuf, m.rcv_size);
		m.rcv_msg = (uintptr_t)riov;
		m.rcv_size = cnt;
	}
	m.rcv_name = space == shared_fd ? w->snames[below(w, POOL)] : pick_name(w);
	m.priority = w->sane || chance(w, 90) ? below(w, MAILBOX_PRIO_MAX + 1) :
						 (uint32_t)rnd(w);
	if ((m.options & MAILBOX_MSG_RCV_FILTER) || !chance(w, 95)) {
		filter = (struct mailbox_rcv_filter) {
			.flags = pick_flags(w, MAILBOX_FILTER_ALL),
			.id_mask = chance(w, 50) ? 0xff : (uint32_t)rnd(w),
			.id_value = (int32_t)below(w, 256),
			.id_min = -(int32_t)below(w, 1000),
			.id_max = (int32_t)below(w, 1000) - 100,
			.sender_pid = chance(w, 80) ? getpid() : (int32_t)rnd(w),
			.reserved = pick_reserved(w),
		};
		m.rcv_filter = (uintptr_t)pick_ptr(w, &filter, 3);
	}
	m.reserved = pick_reserved(w);
	/* Only what this call writes is parsed (and unmapped). */
	memset(rbuf, 0, 256);
	m.status = 0;
	/*
	 * One in ten through io_uring, always with both timeouts (at most
	 * 2 ms): a command that must wait does so in io-wq even on an
	 * O_NONBLOCK space, and this thread waits for its completion.
	 */
	if (chance(w, 10)) {
		m.options |= MAILBOX_MSG_SEND_TIMEOUT | MAILBOX_MSG_RCV_TIMEOUT;
		err = fuzz_uring(w, space, pick_ptr(w, &m, 2)) < 0 ? errno : 0;
	} else {
		err = fuzz_ioctl(w, C_MSG, space, cmds[C_MSG].nr, pick_ptr(w, &m, 2)) < 0 ?
		      errno : 0;
	}
	/* BODY_ERROR: delivered, but a descriptor's right was not named. */
	if ((err == 0 || (m.status == MAILBOX_RCV_BODY_ERROR && err != ENOMEM)) &&
	    (m.options & MAILBOX_MSG_RCV) && m.rcv_size <= BUF &&
	    (m.rcv_msg == (uintptr_t)rbuf || m.rcv_msg == (uintptr_t)riov))
		harvest(w, rbuf, m.rcv_size, err == 0 && space == w->space);
	if (dealloc)
		ool_region(w, 1);	/* the send may have unmapped (moved) it */
}

static void do_pulse(struct worker *w)
{
	int space = chance(w, 85) ? w->space : shared_fd;
	struct mailbox_pulse_send p = {
		.name = space == shared_fd ? w->snames[below(w, POOL)] : pick_name(w),
		.code = (int32_t)rnd(w),
		.value = rnd(w),
		.priority = w->sane || chance(w, 90) ? below(w, MAILBOX_PRIO_MAX + 1) :
						       (uint32_t)rnd(w),
		.flags = pick_flags(w, 0),
		.reserved = pick_reserved(w),
	};

	fuzz_ioctl(w, C_PULSE, space, cmds[C_PULSE].nr, pick_ptr(w, &p, 3));
}

/*
 * A small message for a batch send at @buf: a header naming rights from the
 * pool, now and then one port descriptor. Return its size.
 */
static uint32_t batch_send_msg(struct worker *w, uint8_t *buf, int space)
{
	struct mailbox_msg_header *h = (void *)buf;
	uint32_t size = sizeof(*h);

	memset(buf, 0, 64);
	h->remote_port = space == shared_fd ? w->snames[below(w, POOL)] : pick_name(w);
	h->local_port = chance(w, 50) ? 0 : pick_name(w);
	h->bits = MAILBOX_MSGH_BITS(w->sane || chance(w, 90) ? 19 + below(w, 3) : pick_disp(w),
				    h->local_port ? pick_disp(w) : 0);
	h->id = (int32_t)rnd(w);
	if (chance(w, 30)) {
		struct mailbox_msg_port_descriptor *pd = (void *)(buf + size + 4);

		h->bits |= MAILBOX_MSGH_COMPLEX;
		*(uint32_t *)(buf + size) = 1;
		pd->name = pick_name(w);
		pd->disposition = pick_disp(w);
		pd->type = MAILBOX_MSG_PORT_DESCRIPTOR;
		size += 4 + 12;
	}
	return size + 4 * below(w, 4);
}

/*
 * MAILBOX_IOC_MSG_BATCH: a few receives and sends (count at the boundaries
 * now and then), each into (or from) its own slice of one buffer; what
 * arrives is harvested like a plain receive's message.
 */
static void do_batch(struct worker *w)
{
	static __thread uint8_t rbuf[BUF] __attribute__((aligned(8)));
	static __thread uint8_t sbuf[(MAILBOX_BATCH_MAX + 2) * 64] __attribute__((aligned(8)));
	static __thread struct mailbox_msg m[MAILBOX_BATCH_MAX + 2];
	int space = chance(w, 85) ? w->space : shared_fd;
	int sends = chance(w, 40);
	struct mailbox_msg_batch b = { 0 };
	uint32_t n, i, slice;
	int err;

	switch (w->sane ? 3 : below(w, 8)) {
	case 0: n = 0; break;
	case 1: n = MAILBOX_BATCH_MAX; break;
	case 2: n = MAILBOX_BATCH_MAX + 1; break;
	default: n = 1 + below(w, 4);
	}
	slice = BUF / (n > 4 ? n : 4) & ~7U;
	memset(m, 0, sizeof(m));
	for (i = 0; i < n && i < MAILBOX_BATCH_MAX + 2; i++) {
		m[i].options = MAILBOX_MSG_RCV | MAILBOX_MSG_RCV_TIMEOUT |
			       (rnd(w) & (MAILBOX_MSG_RCV_TRAILER | MAILBOX_MSG_RCV_LARGE));
		if (!w->sane && chance(w, 5))
			m[i].options = (uint32_t)rnd(w) & MAILBOX_MSG_OPTIONS_ALL;
		if (!w->sane && chance(w, 2))
			m[i].options |= MAILBOX_MSG_SEND;
		m[i].rcv_timeout = i ? 0 : pick_timeout(w);
		m[i].rcv_msg = (uintptr_t)pick_ptr(w, rbuf + i * slice, 2);
		m[i].rcv_size = w->sane || chance(w, 90) ? slice : below(w, 64);
		m[i].rcv_name = space == shared_fd ? w->snames[below(w, POOL)] : pick_name(w);
		m[i].reserved = pick_reserved(w);
		if (sends && chance(w, 60)) {
			/* A send instead; waits only briefly for room. */
			m[i].options = MAILBOX_MSG_SEND | MAILBOX_MSG_SEND_TIMEOUT;
			if (!w->sane && chance(w, 5))
				m[i].options |= MAILBOX_MSG_RCV;
			m[i].send_timeout = chance(w, 80) ? 0 : 1000000;
			m[i].send_msg = (uintptr_t)pick_ptr(w, sbuf + i * 64, 2);
			m[i].send_size = batch_send_msg(w, sbuf + i * 64, space);
			m[i].rcv_msg = 0;
			m[i].rcv_size = 0;
			m[i].rcv_name = 0;
		}
	}
	b.msgs = (uintptr_t)pick_ptr(w, m, 3);
	b.count = n;
	b.flags = pick_flags(w, 0);
	memset(rbuf, 0, sizeof(rbuf));
	err = fuzz_ioctl(w, C_BATCH, space, cmds[C_BATCH].nr, pick_ptr(w, &b, 3)) < 0 ?
	      errno : 0;
	if (err || b.msgs != (uintptr_t)m)
		return;
	for (i = 0; i < b.count && i < n; i++)
		if ((m[i].options & MAILBOX_MSG_RCV) &&
		    m[i].rcv_msg == (uintptr_t)(rbuf + i * slice) && m[i].rcv_size <= slice)
			harvest(w, rbuf + i * slice, m[i].rcv_size, space == w->space);
}

static void do_port_fd(struct worker *w, int c)
{
	struct mailbox_port_fd f = {
		.name = pick_name(w),
		.disposition = c == C_EXPORT ? pick_disp(w) :
			       (chance(w, 95) ? 0 : pick_disp(w)),
		.flags = pick_flags(w, 0),
		.reserved = pick_reserved(w),
	};

	if (c == C_IMPORT) {
		f.name = chance(w, 70) ? 0 : pick_name(w);
		f.fd = chance(w, 80) ? w->fds[below(w, FDPOOL)] : pick_space_fd(w);
	}
	if (fuzz_ioctl(w, c, w->space, cmds[c].nr, pick_ptr(w, &f, 3)) != 0)
		return;
	if (c == C_IMPORT) {
		keep_name(w, f.name);
		return;
	}
	if (f.fd >= 0) {
		if (chance(w, 30)) {
			struct pollfd p = { .fd = f.fd, .events = POLLIN | POLLOUT };

			poll(&p, 1, 0);
		}
		keep_fd(w, f.fd);
	}
}

static void service_name(struct worker *w, char *s)
{
	memset(s, 0, MAILBOX_SERVICE_NAME_MAX);
	switch (below(w, 12)) {
	case 0: break;					/* empty */
	case 1: memset(s, 'x', MAILBOX_SERVICE_NAME_MAX); break;	/* no NUL */
	case 2: memset(s, 'y', MAILBOX_SERVICE_NAME_MAX - 1); break;	/* longest */
	default: snprintf(s, MAILBOX_SERVICE_NAME_MAX, "fuzz.%u", below(w, 6));
	}
}

static void do_registry(struct worker *w, int c)
{
	struct mailbox_service s = {
		.name = c == C_REGISTER ? pick_name(w) :
			(chance(w, 95) ? 0 : pick_name(w)),
		.flags = c == C_REGISTER ? pick_flags(w, MAILBOX_REGISTER_REPLACE) :
					   pick_flags(w, 0),
		.reserved = pick_reserved(w),
	};

	service_name(w, s.service);
	if (fuzz_ioctl(w, c, w->space, cmds[c].nr, pick_ptr(w, &s, 3)) == 0 &&
	    c == C_LOOKUP)
		keep_name(w, s.name);
}

static void do_unknown(struct worker *w)
{
	static const unsigned long dirs[] = { _IOC_NONE, _IOC_READ, _IOC_WRITE,
					      _IOC_READ | _IOC_WRITE };
	unsigned long nr;
	uint8_t junk[64] = { 0 };
	int fd = w->space;

	do {
		nr = _IOC(dirs[below(w, 4)], chance(w, 80) ? MAILBOX_IOC_MAGIC : below(w, 256),
			  below(w, 256), chance(w, 50) ? below(w, 64) : below(w, 1 << 14));
		/* A known command with another size or direction is unknown too. */
	} while (nr == MAILBOX_IOC_VERSION || nr == MAILBOX_IOC_PORT_ALLOCATE ||
		 nr == MAILBOX_IOC_PORT_DEALLOCATE || nr == MAILBOX_IOC_PORT_DESTROY ||
		 nr == MAILBOX_IOC_PORT_MOD_REFS || nr == MAILBOX_IOC_PORT_INSERT_RIGHT ||
		 nr == MAILBOX_IOC_PORT_TYPE || nr == MAILBOX_IOC_PORT_NAMES ||
		 nr == MAILBOX_IOC_PORT_GET_ATTR || nr == MAILBOX_IOC_PORT_SET_ATTR ||
		 nr == MAILBOX_IOC_PORT_MOVE_MEMBER ||
		 nr == MAILBOX_IOC_PORT_REQUEST_NOTIFICATION || nr == MAILBOX_IOC_MSG ||
		 nr == MAILBOX_IOC_PORT_READY_FD || nr == MAILBOX_IOC_PORT_EXPORT ||
		 nr == MAILBOX_IOC_PORT_IMPORT || nr == MAILBOX_IOC_REGISTER ||
		 nr == MAILBOX_IOC_LOOKUP || nr == MAILBOX_IOC_UNREGISTER ||
		 nr == MAILBOX_IOC_PULSE || nr == MAILBOX_IOC_MSG_BATCH ||
		 _IOC_TYPE(nr) == 'T' /* tty/generic fd ioctls: FIONBIO, FIOCLEX... */ ||
		 _IOC_TYPE(nr) == 0);
	/* Mailbox commands on a ready or right fd are unknown there. */
	if (chance(w, 20)) {
		int i = below(w, FDPOOL);

		if (w->fds[i] >= 0) {
			fd = w->fds[i];
			if (chance(w, 50))
				nr = MAILBOX_IOC_MSG;
		}
	}
	fuzz_ioctl(w, C_UNKNOWN, fd, nr, junk);
}

static void do_version(struct worker *w)
{
	struct mailbox_version v = { .flags = pick_flags(w, 0) };

	v.reserved[below(w, 7)] = pick_reserved(w);
	fuzz_ioctl(w, C_VERSION, w->space, cmds[C_VERSION].nr, pick_ptr(w, &v, 5));
}

/* Close and reopen the worker's space: every right in it goes. */
static void do_reopen(struct worker *w)
{
	close(w->space);
	w->space = open_space();
	memset(w->names, 0, sizeof(w->names));
}

/* A short-lived child: a few calls on inherited spaces, then exit. */
static void do_fork(struct worker *w)
{
	pid_t pid = fork();
	int i, status;

	if (pid < 0)
		return;
	if (pid == 0) {
		struct worker c = *w;

		c.rng ^= 0x9e3779b97f4a7c15ULL;
		for (i = 0; i < 20; i++) {
			switch (below(&c, 4)) {
			case 0: do_msg(&c); break;
			case 1: do_insert(&c); break;
			case 2: do_allocate(&c); break;
			default: do_port_fd(&c, C_EXPORT);
			}
		}
		_exit(c.bad ? 1 : 0);
	}
	if (waitpid(pid, &status, 0) == pid &&
	    (!WIFEXITED(status) || WEXITSTATUS(status))) {
		w->bad++;
		atomic_fetch_add(&total_bad, 1);
		printf("# worker %d: forked child failed (status 0x%x)\n", w->id, status);
	}
}

static void step(struct worker *w)
{
	w->sane = chance(w, 50);
	switch (below(w, 100)) {
	case 0 ... 1: do_version(w); break;
	case 2 ... 11: do_allocate(w); break;
	case 12 ... 15: do_name_op(w, C_DEALLOCATE); break;
	case 16 ... 17: do_name_op(w, C_DESTROY); break;
	case 18 ... 21: do_mod_refs(w); break;
	case 22 ... 31: do_insert(w); break;
	case 32 ... 33: do_type(w); break;
	case 34 ... 35: do_names(w); break;
	case 36 ... 37: do_attr(w, C_GET_ATTR); break;
	case 38 ... 40: do_attr(w, C_SET_ATTR); break;
	case 41 ... 44: do_move_member(w); break;
	case 45 ... 50: do_notify(w); break;
	case 51 ... 70: do_msg(w); break;
	case 71 ... 72: do_batch(w); break;
	case 73 ... 74: do_pulse(w); break;
	case 75 ... 77: do_port_fd(w, C_READY_FD); break;
	case 78 ... 81: do_port_fd(w, C_EXPORT); break;
	case 82 ... 85: do_port_fd(w, C_IMPORT); break;
	case 86 ... 88: do_registry(w, C_REGISTER); break;
	case 89 ... 91: do_registry(w, C_LOOKUP); break;
	case 92 ... 93: do_registry(w, C_UNREGISTER); break;
	case 94 ... 96: do_unknown(w); break;
	case 97: if (chance(w, 10)) do_reopen(w); break;
	case 98: if (chance(w, 5)) do_fork(w); break;
	default: {
		int i = below(w, FDPOOL);

		if (w->fds[i] >= 0) {
			close(w->fds[i]);
			w->fds[i] = -1;
		}
	}
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int i;

	w->space = open_space();
	for (i = 0; i < FDPOOL; i++)
		w->fds[i] = -1;
	while (w->calls < calls_per_worker)
		step(w);
	for (i = 0; i < FDPOOL; i++)
		if (w->fds[i] >= 0)
			close(w->fds[i]);
	close(w->space);
	return NULL;
}

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x ? x : 1;
}

/*
 * One process: NTHREAD workers; exit status = number of bad calls (capped
 * at 100), or FUZZ_BAIL when its own setup failed.
 */
static int run_process(int p)
{
	pthread_t t[NTHREAD];
	static struct worker w[NTHREAD];
	int started[NTHREAD];
	long calls = 0, bad = 0, n, ok;
	int i, k;

	for (i = 0; i < NTHREAD; i++) {
		w[i].id = p * NTHREAD + i;
		w[i].rng = mix(seed * 0x100 + w[i].id);
		/* Under failslab a thread may not start: run it here then. */
		started[i] = pthread_create(&t[i], NULL, worker_main, &w[i]) == 0;
		if (!started[i])
			worker_main(&w[i]);
	}
	for (i = 0; i < NTHREAD; i++) {
		if (started[i])
			pthread_join(t[i], NULL);
		calls += w[i].calls;
		bad += w[i].bad;
	}
	printf("# process %d: %ld calls, %ld undocumented errnos\n", p, calls, bad);
	for (k = 0; k < C_NR; k++) {
		for (i = n = ok = 0; i < NTHREAD; i++) {
			n += w[i].per_cmd[k];
			ok += w[i].per_ok[k];
		}
		printf("#   %-26s %8ld calls %8ld succeeded\n", cmds[k].name, n, ok);
	}
	fflush(stdout);
	return bad > 100 ? 100 : (int)bad;
}

int main(void)
{
	const char *s = getenv("MBX_FUZZ_SEED");
	const char *c = getenv("MBX_FUZZ_CALLS");
	long total = c ? atol(c) : 20000;
	struct mailbox_version v = { 0 };
	pid_t pids[NPROC];
	int i, status, fails = 0, timeout_s;
	time_t start = time(NULL);

	seed = s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	failslab_targeted = getenv("MBX_FUZZ_FAILSLAB") != NULL;
	allow_enomem = failslab_targeted || getenv("MBX_FUZZ_ENOMEM") != NULL;
	calls_per_worker = (total + NWORKERS - 1) / NWORKERS;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n1..1\n");
	printf("# fuzz: seed %" PRIu64 " (replay: MBX_FUZZ_SEED=%" PRIu64 "), %ld calls, %d processes x %d threads\n",
	       seed, seed, total, NPROC, NTHREAD);

	unmapped_page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(unmapped_page, 4096);
	ro_page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro_page == MAP_FAILED)
		ro_page = (void *)1;
	signal(SIGPIPE, SIG_IGN);

	shared_fd = open_space();
	if (ioctl(shared_fd, MAILBOX_IOC_VERSION, &v) == 0)
		max_msg_size = v.max_msg_size;

	for (i = 0; i < NPROC; i++) {
		int tries = 0;

		do {
			pids[i] = fork();
		} while (pids[i] < 0 && ++tries < 1000);
		if (pids[i] < 0) {
			printf("Bail out! fork: %s\n", strerror(errno));
			return 1;
		}
		if (pids[i] == 0)
			_exit(run_process(i));
	}
	close(shared_fd);

	/* Watchdog: generous, every wait inside is bounded. */
	timeout_s = 60 + (int)(total / 200);
	for (i = 0; i < NPROC; i++) {
		for (;;) {
			pid_t r = waitpid(pids[i], &status, WNOHANG);

			if (r == pids[i])
				break;
			if (time(NULL) - start > timeout_s) {
				printf("# process %d hung for %d s: killing it\n", i, timeout_s);
				kill(pids[i], SIGKILL);
				waitpid(pids[i], &status, 0);
				fails++;
				break;
			}
			usleep(20000);
		}
		if (WIFSIGNALED(status)) {
			printf("# process %d killed by signal %d\n", i, WTERMSIG(status));
			fails++;
		} else if (WIFEXITED(status) && WEXITSTATUS(status) == FUZZ_BAIL) {
			/* Its own setup failed (failslab on every allocation). */
			printf("# process %d: bailed out (its setup failed)\n", i);
			fails++;
		} else if (WIFEXITED(status) && WEXITSTATUS(status)) {
			printf("# process %d: %d undocumented errnos\n", i, WEXITSTATUS(status));
			fails++;
		}
	}
	printf("# fuzz: %ld calls in %ld s, seed %" PRIu64 "\n", total,
	       (long)(time(NULL) - start), seed);
	printf("%s 1 fuzz_seed_%" PRIu64 "\n", fails ? "not ok" : "ok", seed);
	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:0 error:0\n",
	       fails ? 0 : 1, fails ? 1 : 0);
	return fails ? 1 : 0;
}
