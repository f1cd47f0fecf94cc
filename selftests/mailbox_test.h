/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by the mailbox selftests.
 *
 * Every wrapper returns 0 on success or the errno of the failed ioctl, so a
 * test reads ASSERT_EQ(ENOENT, mb_type(fd, name, NULL)). Output structures
 * are pre-filled with MB_PATTERN before each call so that a field the
 * kernel forgot to write shows up as 0xa5a5a5a5.
 *
 * Nothing here uses the harness: these functions may run in helper threads
 * and in forked children, where ASSERT_*() must not be used.
 */
#ifndef MAILBOX_TEST_H
#define MAILBOX_TEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/mailbox.h>

#define MB_DEVICE	"/dev/mailbox"
#define MB_STATS	"/sys/kernel/debug/mailbox/stats"

#define MB_PATTERN	0xa5
#define MB_PATTERN32	0xa5a5a5a5U

#define MB_HDR_SIZE	((__u32)sizeof(struct mailbox_msg_header))
#define MB_TRAILER_SIZE	((__u32)sizeof(struct mailbox_msg_trailer))

/* A name that is never allocated in a fresh space that has few names. */
#define MB_UNUSED_NAME	((0x1234U << 8) | 0x5aU)

#define MB_MSEC		1000000ULL	/* nanoseconds */

static inline int mb_open(void)
{
	return open(MB_DEVICE, O_RDWR | O_CLOEXEC);
}

static inline int mb_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? errno : 0;
}

static inline int mb_version(int fd, struct mailbox_version *v)
{
	memset(v, MB_PATTERN, sizeof(*v));
	v->flags = 0;
	memset(v->reserved, 0, sizeof(v->reserved));
	return mb_ioctl(fd, MAILBOX_IOC_VERSION, v);
}

static inline int mb_allocate(int fd, __u32 right, __u32 *name)
{
	struct mailbox_port_allocate a = {
		.right = right,
		.name = MB_PATTERN32,
	};
	int err = mb_ioctl(fd, MAILBOX_IOC_PORT_ALLOCATE, &a);

	if (name)
		*name = a.name;
	return err;
}

/* A new port: the name denotes its receive right only. */
static inline int mb_alloc_receive(int fd, __u32 *name)
{
	return mb_allocate(fd, MAILBOX_RIGHT_RECEIVE, name);
}

static inline int mb_deallocate(int fd, __u32 name)
{
	struct mailbox_port_name_op op = { .name = name };

	return mb_ioctl(fd, MAILBOX_IOC_PORT_DEALLOCATE, &op);
}

static inline int mb_destroy(int fd, __u32 name)
{
	struct mailbox_port_name_op op = { .name = name };

	return mb_ioctl(fd, MAILBOX_IOC_PORT_DESTROY, &op);
}

static inline int mb_mod_refs(int fd, __u32 name, __u32 right, __s32 delta)
{
	struct mailbox_port_mod_refs m = {
		.name = name,
		.right = right,
		.delta = delta,
	};

	return mb_ioctl(fd, MAILBOX_IOC_PORT_MOD_REFS, &m);
}

/*
 * Insert the right named @poly in @fd's space into the space @space_fd
 * (MAILBOX_SPACE_SELF or another /dev/mailbox fd) under *@name (in/out).
 */
static inline int mb_insert(int fd, int space_fd, __u32 *name, __u32 poly,
			    __u32 disposition)
{
	struct mailbox_port_insert_right ir = {
		.space_fd = space_fd,
		.name = *name,
		.poly = poly,
		.disposition = disposition,
	};
	int err = mb_ioctl(fd, MAILBOX_IOC_PORT_INSERT_RIGHT, &ir);

	*name = ir.name;
	return err;
}

/* Add a send right (one uref) under the name of the receive right @name. */
static inline int mb_make_send(int fd, __u32 name)
{
	__u32 n = name;

	return mb_insert(fd, MAILBOX_SPACE_SELF, &n, name, MAILBOX_MSG_TYPE_MAKE_SEND);
}

/* A new send-once right to the port whose receive right is @recv. */
static inline int mb_make_send_once(int fd, __u32 recv, __u32 *so)
{
	*so = MAILBOX_PORT_NULL;
	return mb_insert(fd, MAILBOX_SPACE_SELF, so, recv,
			 MAILBOX_MSG_TYPE_MAKE_SEND_ONCE);
}

/* A send right to the port @recv of @fd's space, in @space_fd's space. */
static inline int mb_give_send(int fd, int space_fd, __u32 recv, __u32 *name)
{
	*name = MAILBOX_PORT_NULL;
	return mb_insert(fd, space_fd, name, recv, MAILBOX_MSG_TYPE_MAKE_SEND);
}

static inline int mb_type(int fd, __u32 name, struct mailbox_port_type *t)
{
	struct mailbox_port_type tmp;

	if (!t)
		t = &tmp;
	memset(t, MB_PATTERN, sizeof(*t));
	t->name = name;
	t->flags = 0;
	t->reserved = 0;
	return mb_ioctl(fd, MAILBOX_IOC_PORT_TYPE, t);
}

/* Type bits of @name, or 0 when the query fails. */
static inline __u32 mb_type_bits(int fd, __u32 name)
{
	struct mailbox_port_type t;

	return mb_type(fd, name, &t) ? 0 : t.type;
}

/* Send urefs of @name, or -errno when the query fails. */
static inline long mb_send_urefs(int fd, __u32 name)
{
	struct mailbox_port_type t;
	int err = mb_type(fd, name, &t);

	return err ? -err : (long)t.send_urefs;
}

/* Dead-name urefs of @name, or -errno when the query fails. */
static inline long mb_dead_urefs(int fd, __u32 name)
{
	struct mailbox_port_type t;
	int err = mb_type(fd, name, &t);

	return err ? -err : (long)t.dead_urefs;
}

static inline int mb_get_attr(int fd, __u32 name, struct mailbox_port_attr *a)
{
	memset(a, MB_PATTERN, sizeof(*a));
	a->name = name;
	a->flags = 0;
	a->spin_us = 0;
	return mb_ioctl(fd, MAILBOX_IOC_PORT_GET_ATTR, a);
}

static inline int mb_set_attr(int fd, __u32 name, __u32 mask, __u32 qlimit,
			      __u32 seqno, __u32 mscount)
{
	struct mailbox_port_attr a = {
		.name = name,
		.flags = mask,
		.qlimit = qlimit,
		.seqno = seqno,
		.mscount = mscount,
	};

	return mb_ioctl(fd, MAILBOX_IOC_PORT_SET_ATTR, &a);
}

static inline int mb_set_qlimit(int fd, __u32 name, __u32 qlimit)
{
	return mb_set_attr(fd, name, MAILBOX_ATTR_QLIMIT, qlimit, 0, 0);
}

/* Set every MAILBOX_PORT_FLAG_* bit of the receive right @name. */
static inline int mb_set_port_flags(int fd, __u32 name, __u32 flags)
{
	struct mailbox_port_attr a = {
		.name = name,
		.flags = MAILBOX_ATTR_FLAGS,
		.port_flags = flags,
	};

	return mb_ioctl(fd, MAILBOX_IOC_PORT_SET_ATTR, &a);
}

/* Messages currently queued on the receive right @name, or -errno. */
static inline long mb_msgcount(int fd, __u32 name)
{
	struct mailbox_port_attr a;
	int err = mb_get_attr(fd, name, &a);

	return err ? -err : (long)a.msgcount;
}

/* The MAILBOX_PORT_FLAG_* bits of the receive right @name, or -errno. */
static inline long mb_port_flags(int fd, __u32 name)
{
	struct mailbox_port_attr a;
	int err = mb_get_attr(fd, name, &a);

	return err ? -err : (long)a.port_flags;
}

/* Outstanding send-once rights of the receive right @name, or -errno. */
static inline long mb_sorights(int fd, __u32 name)
{
	struct mailbox_port_attr a;
	int err = mb_get_attr(fd, name, &a);

	return err ? -err : (long)a.sorights;
}

/* has_senders of the receive right @name, or -errno. */
static inline long mb_has_senders(int fd, __u32 name)
{
	struct mailbox_port_attr a;
	int err = mb_get_attr(fd, name, &a);

	return err ? -err : (long)a.has_senders;
}

static inline void mb_header(struct mailbox_msg_header *h, __u32 remote,
			     __u32 remote_disp, __u32 local, __u32 local_disp,
			     __s32 id)
{
	h->bits = MAILBOX_MSGH_BITS(remote_disp, local_disp);
	h->size = 0;
	h->remote_port = remote;
	h->local_port = local;
	h->voucher_port = 0;
	h->id = id;
}

/* Run MAILBOX_IOC_MSG on @m; *@m gets the kernel's output. */
static inline int mb_msg(int fd, struct mailbox_msg *m)
{
	return mb_ioctl(fd, MAILBOX_IOC_MSG, m);
}

/*
 * Send @size bytes at @msg with extra @options (e.g. SEND_TIMEOUT) and
 * @timeout; the status goes to *@status if not NULL.
 */
static inline int mb_send(int fd, const void *msg, __u32 size, __u32 options,
			  __u64 timeout, __u32 *status)
{
	struct mailbox_msg m = {
		.send_msg = (uintptr_t)msg,
		.send_timeout = timeout,
		.options = MAILBOX_MSG_SEND | options,
		.send_size = size,
		.status = MB_PATTERN32,
	};
	int err = mb_msg(fd, &m);

	if (status)
		*status = m.status;
	return err;
}

/*
 * Receive on @name into @buf of capacity *@size (in/out) with extra
 * @options and @timeout. The buffer is pre-filled with MB_PATTERN.
 */
static inline int mb_recv(int fd, __u32 name, void *buf, __u32 *size,
			  __u32 options, __u64 timeout, __u32 *status)
{
	struct mailbox_msg m = {
		.rcv_msg = (uintptr_t)buf,
		.rcv_timeout = timeout,
		.options = MAILBOX_MSG_RCV | options,
		.rcv_size = *size,
		.rcv_name = name,
		.status = MB_PATTERN32,
	};
	int err;

	if (buf)
		memset(buf, MB_PATTERN, *size);
	err = mb_msg(fd, &m);
	*size = m.rcv_size;
	if (status)
		*status = m.status;
	return err;
}

/*
 * Receive one message without waiting and return its id in *id; 0 or the
 * errno. For notifications, whose id says what happened.
 */
static inline int mb_recv_id(int fd, __u32 name, __s32 *id)
{
	unsigned char buf[256];
	__u32 size = sizeof(buf);
	int err;

	err = mb_recv(fd, name, buf, &size, MAILBOX_MSG_RCV_TIMEOUT, 0, NULL);
	if (!err)
		memcpy(id, buf + offsetof(struct mailbox_msg_header, id),
		       sizeof(*id));
	return err;
}

/* Send a header-only message without waiting (SEND_TIMEOUT 0). */
static inline int mb_send_hdr(int fd, __u32 remote, __u32 remote_disp,
			      __u32 local, __u32 local_disp, __s32 id,
			      __u32 *status)
{
	struct mailbox_msg_header h;

	mb_header(&h, remote, remote_disp, local, local_disp, id);
	return mb_send(fd, &h, sizeof(h), MAILBOX_MSG_SEND_TIMEOUT, 0, status);
}

/* Receive a header-only message without waiting (RCV_TIMEOUT 0). */
static inline int mb_recv_hdr(int fd, __u32 name, struct mailbox_msg_header *h,
			      __u32 *status)
{
	__u32 size = sizeof(*h);

	return mb_recv(fd, name, h, &size, MAILBOX_MSG_RCV_TIMEOUT, 0, status);
}

static inline __u64 mb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * Read the counter @key from debugfs stats. Returns 0 and the value, or
 * -1 when the file (or the key) is not there.
 */
static inline int mb_stat(const char *key, unsigned long long *value)
{
	char line[256], name[128];
	unsigned long long v;
	int ret = -1;
	FILE *f = fopen(MB_STATS, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %llu", name, &v) == 2 &&
		    !strcmp(name, key)) {
			*value = v;
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

/*
 * An MAILBOX_IOC_MSG call run by a helper thread, so that the test can see
 * it block and then wake.
 */
struct mb_async {
	pthread_t thread;
	int fd;
	struct mailbox_msg m;
	unsigned char buf[512];
	int err;
	atomic_int done;
};

static inline void *mb_async_fn(void *arg)
{
	struct mb_async *a = arg;

	a->err = mb_msg(a->fd, &a->m);
	atomic_store(&a->done, 1);
	return NULL;
}

/* Start a receive on @name with @options (RCV is added) and @timeout. */
static inline int mb_async_recv(struct mb_async *a, int fd, __u32 name,
				__u32 options, __u64 timeout)
{
	memset(a, 0, sizeof(*a));
	memset(a->buf, MB_PATTERN, sizeof(a->buf));
	a->fd = fd;
	a->m.rcv_msg = (uintptr_t)a->buf;
	a->m.rcv_timeout = timeout;
	a->m.options = MAILBOX_MSG_RCV | options;
	a->m.rcv_size = sizeof(a->buf);
	a->m.rcv_name = name;
	a->m.status = MB_PATTERN32;
	return pthread_create(&a->thread, NULL, mb_async_fn, a);
}

/*
 * Start a send of a header-only message (built in a->buf) with @options
 * (SEND is added) and @timeout.
 */
static inline int mb_async_send(struct mb_async *a, int fd, __u32 remote,
				__u32 remote_disp, __u32 local, __u32 local_disp,
				__s32 id, __u32 options, __u64 timeout)
{
	struct mailbox_msg_header *h = (void *)a->buf;

	memset(a, 0, sizeof(*a));
	a->fd = fd;
	mb_header(h, remote, remote_disp, local, local_disp, id);
	a->m.send_msg = (uintptr_t)a->buf;
	a->m.send_timeout = timeout;
	a->m.options = MAILBOX_MSG_SEND | options;
	a->m.send_size = sizeof(*h);
	a->m.status = MB_PATTERN32;
	return pthread_create(&a->thread, NULL, mb_async_fn, a);
}

static inline bool mb_async_done(struct mb_async *a)
{
	return atomic_load(&a->done);
}

/* Wait up to @sec seconds for the call to return: 0, or ETIMEDOUT. */
static inline int mb_async_join(struct mb_async *a, int sec)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += sec;
	return pthread_timedjoin_np(a->thread, NULL, &ts);
}

/* The "still blocked" pause. */
static inline void mb_pause(void)
{
	usleep(100 * 1000);
}

/*
 * Checks in forked children, where the harness must not be used: report
 * the line and exit non-zero.
 */
#define CHILD_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "# child %d: %s:%d: check failed: %s (errno %d)\n", \
			getpid(), __FILE__, __LINE__, #cond, errno);	\
		_exit(1);						\
	}								\
} while (0)

/* In a child: die with the parent, so a failed test leaves nothing behind. */
static inline void mb_child_init(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

/* Wait for @pid; returns its exit code, or 128 + signal, or -1. */
static inline int mb_wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

/*
 * The harness compares expected and seen values as written, and ours mix
 * int constants with __u32 fields.
 */
#pragma GCC diagnostic ignored "-Wsign-compare"

/* --- text files and tracefs (introspect.c, fastpath.c, spin.c) ------ */

/* Everything @fd has left to read, in a malloc()ed string; NULL on ENOMEM. */
static inline char *slurp_fd(int fd)
{
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap);
	ssize_t n;

	if (!buf)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap * 2);

			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += n;
	}
	buf[len] = 0;
	return buf;
}

/* The whole of a (proc, debugfs, tracefs) text file; NULL if unreadable. */
static inline char *slurp(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf;

	if (fd < 0)
		return NULL;
	buf = slurp_fd(fd);
	close(fd);
	return buf;
}

/* The tracefs root, mounting it if need be; NULL if the kernel has none. */
static inline const char *tracefs(void)
{
	static const char * const dirs[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	char path[128];
	unsigned int i;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/trace", dirs[i]);
		if (!access(path, W_OK))
			return dirs[i];
	}
	if (!mount("tracefs", dirs[0], "tracefs", 0, NULL) &&
	    !access("/sys/kernel/tracing/trace", W_OK))
		return dirs[0];
	return NULL;
}

static inline int write_file(const char *dir, const char *file, const char *text)
{
	char path[256];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		ret = errno;
	close(fd);
	return ret;
}

#endif /* MAILBOX_TEST_H */
