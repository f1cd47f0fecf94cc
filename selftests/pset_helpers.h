/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the port set and ready fd selftests (psets.c, readyfd.c).
 *
 * Wrappers return 0 or the errno of the failed ioctl, so a test reads
 * ASSERT_EQ(ENOENT, ps_move(fd, name, set)). Nothing here uses the harness:
 * the functions also run in helper threads and forked children.
 */
#ifndef PSET_HELPERS_H
#define PSET_HELPERS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/mailbox.h>

#define PS_PATTERN	0xa5
#define PS_PATTERN32	0xa5a5a5a5U
#define PS_MSEC		1000000ULL
#define PS_UNUSED_NAME	((0x1234U << 8) | 0x5aU)

static inline int ps_open(void)
{
	return open("/dev/mailbox", O_RDWR | O_CLOEXEC);
}

static inline int ps_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? errno : 0;
}

static inline int ps_allocate(int fd, __u32 right, __u32 *name)
{
	struct mailbox_port_allocate a = { .right = right, .name = PS_PATTERN32 };
	int err = ps_ioctl(fd, MAILBOX_IOC_PORT_ALLOCATE, &a);

	*name = a.name;
	return err;
}

static inline __u32 ps_port(int fd)
{
	__u32 name = 0;

	return ps_allocate(fd, MAILBOX_RIGHT_RECEIVE, &name) ? 0 : name;
}

static inline __u32 ps_set(int fd)
{
	__u32 name = 0;

	return ps_allocate(fd, MAILBOX_RIGHT_PORT_SET, &name) ? 0 : name;
}

static inline int ps_name_op(int fd, unsigned long cmd, __u32 name)
{
	struct mailbox_port_name_op op = { .name = name };

	return ps_ioctl(fd, cmd, &op);
}

static inline int ps_destroy(int fd, __u32 name)
{
	return ps_name_op(fd, MAILBOX_IOC_PORT_DESTROY, name);
}

static inline int ps_mod_refs(int fd, __u32 name, __u32 right, __s32 delta)
{
	struct mailbox_port_mod_refs m = {
		.name = name, .right = right, .delta = delta,
	};

	return ps_ioctl(fd, MAILBOX_IOC_PORT_MOD_REFS, &m);
}

static inline int ps_move(int fd, __u32 member, __u32 after)
{
	struct mailbox_port_move_member m = { .member = member, .after = after };

	return ps_ioctl(fd, MAILBOX_IOC_PORT_MOVE_MEMBER, &m);
}

static inline int ps_make_send(int fd, __u32 name)
{
	struct mailbox_port_insert_right ir = {
		.space_fd = MAILBOX_SPACE_SELF, .name = name, .poly = name,
		.disposition = MAILBOX_MSG_TYPE_MAKE_SEND,
	};

	return ps_ioctl(fd, MAILBOX_IOC_PORT_INSERT_RIGHT, &ir);
}

static inline __u32 ps_type(int fd, __u32 name)
{
	struct mailbox_port_type t = { .name = name };

	return ps_ioctl(fd, MAILBOX_IOC_PORT_TYPE, &t) ? 0 : t.type;
}

static inline long ps_msgcount(int fd, __u32 name)
{
	struct mailbox_port_attr a = { .name = name };
	int err = ps_ioctl(fd, MAILBOX_IOC_PORT_GET_ATTR, &a);

	return err ? -err : (long)a.msgcount;
}

static inline int ps_qlimit(int fd, __u32 name, __u32 qlimit)
{
	struct mailbox_port_attr a = {
		.name = name, .flags = MAILBOX_ATTR_QLIMIT, .qlimit = qlimit,
	};

	return ps_ioctl(fd, MAILBOX_IOC_PORT_SET_ATTR, &a);
}

/* A message: header + one 32-bit word of payload. */
struct ps_msg {
	struct mailbox_msg_header h;
	__u32 word;
};

struct ps_rmsg {
	struct mailbox_msg_header h;
	__u32 word;
	struct mailbox_msg_trailer tr;
	__u8 spare[64];
};

/* Send @word to the receive right @dest (MAKE_SEND_ONCE: never full). */
static inline int ps_send_disp(int fd, __u32 dest, __u32 disp, __u32 word,
			       __u32 *status)
{
	struct ps_msg msg = {
		.h = { .bits = MAILBOX_MSGH_BITS(disp, 0),
		       .remote_port = dest, .id = 7 },
		.word = word,
	};
	struct mailbox_msg m = {
		.send_msg = (uintptr_t)&msg,
		.options = MAILBOX_MSG_SEND | MAILBOX_MSG_SEND_TIMEOUT,
		.send_size = sizeof(msg),
		.status = PS_PATTERN32,
	};
	int err = ps_ioctl(fd, MAILBOX_IOC_MSG, &m);

	if (status)
		*status = m.status;
	return err;
}

static inline int ps_send(int fd, __u32 dest, __u32 word)
{
	return ps_send_disp(fd, dest, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, word,
			    NULL);
}

/* Receive on @name (port or set); -1 timeout means wait forever. */
static inline int ps_recv_opt(int fd, __u32 name, struct ps_rmsg *r,
			      __u32 *size, __u32 options, long long timeout,
			      __u32 *status)
{
	struct mailbox_msg m = {
		.rcv_msg = (uintptr_t)r,
		.options = MAILBOX_MSG_RCV | options,
		.rcv_size = *size,
		.rcv_name = name,
		.status = PS_PATTERN32,
	};
	int err;

	if (timeout >= 0) {
		m.options |= MAILBOX_MSG_RCV_TIMEOUT;
		m.rcv_timeout = timeout;
	}
	if (r)
		memset(r, PS_PATTERN, sizeof(*r));
	err = ps_ioctl(fd, MAILBOX_IOC_MSG, &m);
	*size = m.rcv_size;
	if (status)
		*status = m.status;
	return err;
}

/* Receive one ps_msg without waiting (or waiting @timeout ns). */
static inline int ps_recv(int fd, __u32 name, struct ps_rmsg *r,
			  long long timeout, __u32 *status)
{
	__u32 size = sizeof(struct ps_msg);

	return ps_recv_opt(fd, name, r, &size, 0, timeout, status);
}

static inline int ps_ready_fd(int fd, __u32 name, int *out)
{
	struct mailbox_port_fd a = { .name = name, .fd = -1 };
	int err = ps_ioctl(fd, MAILBOX_IOC_PORT_READY_FD, &a);

	*out = a.fd;
	return err;
}

static inline short ps_poll(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };

	if (poll(&p, 1, timeout_ms) < 0)
		return -1;
	return p.revents;
}

static inline __u64 ps_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* A receive run by a helper thread, to check blocking and wake-ups. */
struct ps_waiter {
	pthread_t thread;
	int fd;
	__u32 name;
	long long timeout;
	int err;
	__u32 status;
	struct ps_rmsg r;
	volatile int done;
};

static inline void *ps_waiter_main(void *arg)
{
	struct ps_waiter *w = arg;

	w->err = ps_recv(w->fd, w->name, &w->r, w->timeout, &w->status);
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static inline int ps_waiter_start(struct ps_waiter *w, int fd, __u32 name,
				  long long timeout)
{
	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->name = name;
	w->timeout = timeout;
	return pthread_create(&w->thread, NULL, ps_waiter_main, w);
}

static inline bool ps_waiter_done(struct ps_waiter *w)
{
	return __atomic_load_n(&w->done, __ATOMIC_ACQUIRE);
}

static inline void ps_waiter_join(struct ps_waiter *w)
{
	pthread_join(w->thread, NULL);
}

#endif /* PSET_HELPERS_H */
