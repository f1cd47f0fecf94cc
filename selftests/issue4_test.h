/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the issue-4 selftests (descriptors, notifications),
 * on top of the core wrappers of mailbox_test.h: complex messages and
 * notification requests.
 *
 * Every wrapper returns 0 on success or the errno of the failed ioctl, so a
 * test reads ASSERT_EQ(ENOENT, mb_type(fd, name, NULL)). Output structures
 * are pre-filled with MB_PATTERN before each call so that a field the
 * kernel forgot to write shows up as 0xa5a5a5a5.
 *
 * Nothing here uses the harness: these functions may run in helper threads
 * and in forked children, where ASSERT_*() must not be used.
 */
#ifndef ISSUE4_TEST_H
#define ISSUE4_TEST_H

#include "mailbox_test.h"

/*
 * The harness compares expected and seen values as written, and ours mix
 * int constants with __u32 fields.
 */
#pragma GCC diagnostic ignored "-Wsign-compare"

/* ---- complex messages ------------------------------------------------- */

#define MB_BODY_SIZE	((__u32)sizeof(struct mailbox_msg_body))
#define MB_PORT_DESC	((__u32)sizeof(struct mailbox_msg_port_descriptor))
#define MB_ARRAY_DESC	((__u32)sizeof(struct mailbox_msg_ool_ports_descriptor))
#define MB_CMSG_MAX	32768

/*
 * A complex message being built: header, body, descriptors, then data.
 * Descriptors must all be added before any data.
 */
struct mb_cmsg {
	union {
		struct mailbox_msg_header h;
		unsigned char buf[MB_CMSG_MAX];
	};
	__u32 len;
};

static inline struct mailbox_msg_body *mb_cmsg_body(void *msg)
{
	return (struct mailbox_msg_body *)((unsigned char *)msg + MB_HDR_SIZE);
}

static inline void mb_cmsg_init(struct mb_cmsg *m, __u32 remote,
				__u32 remote_disp, __u32 local, __u32 local_disp,
				__s32 id)
{
	memset(m, 0, sizeof(*m));
	mb_header(&m->h, remote, remote_disp, local, local_disp, id);
	m->h.bits |= MAILBOX_MSGH_COMPLEX;
	m->len = MB_HDR_SIZE + MB_BODY_SIZE;
}

static inline struct mailbox_msg_port_descriptor *
mb_cmsg_port(struct mb_cmsg *m, __u32 name, __u32 disposition)
{
	struct mailbox_msg_port_descriptor *d = (void *)(m->buf + m->len);

	d->name = name;
	d->pad1 = 0;
	d->pad2 = 0;
	d->disposition = disposition;
	d->type = MAILBOX_MSG_PORT_DESCRIPTOR;
	m->len += MB_PORT_DESC;
	mb_cmsg_body(m->buf)->descriptor_count++;
	return d;
}

static inline struct mailbox_msg_ool_ports_descriptor *
mb_cmsg_array(struct mb_cmsg *m, const __u32 *names, __u32 count,
	      __u32 disposition)
{
	struct mailbox_msg_ool_ports_descriptor *d = (void *)(m->buf + m->len);

	d->address = (uintptr_t)names;
	d->deallocate = 0;
	d->copy = 0;
	d->disposition = disposition;
	d->type = MAILBOX_MSG_OOL_PORTS_DESCRIPTOR;
	d->count = count;
	m->len += MB_ARRAY_DESC;
	mb_cmsg_body(m->buf)->descriptor_count++;
	return d;
}

static inline void mb_cmsg_data(struct mb_cmsg *m, const void *data, __u32 len)
{
	memcpy(m->buf + m->len, data, len);
	m->len += len;
}

/* Send the message built in @m without waiting (SEND_TIMEOUT 0). */
static inline int mb_cmsg_send(int fd, const struct mb_cmsg *m, __u32 *status)
{
	return mb_send(fd, m->buf, m->len, MAILBOX_MSG_SEND_TIMEOUT, 0, status);
}

/*
 * The @index-th descriptor of the (sent or received) complex message at
 * @msg; both kinds carry their type byte at offset 11.
 */
static inline void *mb_desc(void *msg, unsigned int index)
{
	unsigned char *p = (unsigned char *)msg + MB_HDR_SIZE + MB_BODY_SIZE;

	while (index--)
		p += p[11] == MAILBOX_MSG_OOL_PORTS_DESCRIPTOR ?
			MB_ARRAY_DESC : MB_PORT_DESC;
	return p;
}

static inline struct mailbox_msg_port_descriptor *mb_port_desc(void *msg,
							       unsigned int i)
{
	return mb_desc(msg, i);
}

static inline struct mailbox_msg_ool_ports_descriptor *
mb_array_desc(void *msg, unsigned int i)
{
	return mb_desc(msg, i);
}

/* Receive without waiting into @buf of @cap bytes; *@size gets rcv_size. */
static inline int mb_recv_now(int fd, __u32 name, void *buf, __u32 cap,
			      __u32 options, __u32 *size, __u32 *status)
{
	__u32 sz = cap;
	int err = mb_recv(fd, name, buf, &sz, MAILBOX_MSG_RCV_TIMEOUT | options,
			  0, status);

	if (size)
		*size = sz;
	return err;
}

/* Number of names in the space, or -errno. */
static inline long mb_name_count(int fd)
{
	struct mailbox_port_names n = { .count = 0 };
	int err = mb_ioctl(fd, MAILBOX_IOC_PORT_NAMES, &n);

	if (err && err != ENOSPC)
		return -err;
	return n.count;
}

/* A send right to a fresh port whose receive right is destroyed: dead. */
static inline int mb_dead_send(int fd, __u32 *name)
{
	int err = mb_alloc_receive(fd, name);

	if (!err)
		err = mb_make_send(fd, *name);
	if (!err)
		err = mb_make_send(fd, *name);
	if (!err)
		err = mb_mod_refs(fd, *name, MAILBOX_RIGHT_RECEIVE, -1);
	return err;
}

/* ---- notifications ---------------------------------------------------- */

static inline int mb_request(int fd, __u32 name, __u32 variant, __u32 sync,
			     __u32 notify, __u32 disposition, __u32 *previous)
{
	struct mailbox_port_request_notification r = {
		.name = name,
		.variant = variant,
		.sync = sync,
		.notify = notify,
		.disposition = disposition,
		.previous = MB_PATTERN32,
	};
	int err = mb_ioctl(fd, MAILBOX_IOC_PORT_REQUEST_NOTIFICATION, &r);

	if (previous)
		*previous = r.previous;
	return err;
}

/* The usual request: notifications go to the receive right @notify. */
static inline int mb_request_to(int fd, __u32 name, __u32 variant, __u32 sync,
				__u32 notify)
{
	__u32 prev;
	int err = mb_request(fd, name, variant, sync, notify,
			     MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, &prev);

	if (!err && prev != MAILBOX_PORT_NULL)
		return EEXIST;	/* a test helper never replaces by accident */
	return err;
}

/* A received notification, with room for the trailer. */
struct mb_notification {
	union {
		struct mailbox_msg_header h;
		struct mailbox_notify_name name;
		struct mailbox_notify_no_senders ns;
		struct mailbox_notify_port_destroyed pd;
		unsigned char buf[128];
	};
};

static const __u8 mb_ndr[8] = { 0, 0, 0, 0, 1, 0, 0, 0 };

/* Receive one notification on @port without waiting, with the trailer. */
static inline int mb_recv_notification(int fd, __u32 port,
				       struct mb_notification *n, __u32 *size,
				       __u32 *status)
{
	return mb_recv_now(fd, port, n, sizeof(*n), MAILBOX_MSG_RCV_TRAILER,
			   size, status);
}

/* The trailer of a received message. */
static inline struct mailbox_msg_trailer *mb_trailer(void *msg)
{
	struct mailbox_msg_header *h = msg;

	return (struct mailbox_msg_trailer *)((unsigned char *)msg + h->size);
}

/* ---- debugfs counters ------------------------------------------------- */

/*
 * 0 when every current counter (not total_*, not max_*) of debugfs stats
 * reads 0 within two seconds; -1 when stats cannot be read; else 1 and
 * the first non-zero line in @bad.
 */
static inline int mb_counters_zero(char *bad, size_t badlen)
{
	char line[256], name[128];
	unsigned long long v;
	int i, ret = -1;

	for (i = 0; i < 20; i++) {
		FILE *f = fopen(MB_STATS, "r");

		if (!f)
			return -1;
		ret = 0;
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "%127s %llu", name, &v) != 2)
				continue;
			if (!strncmp(name, "total_", 6) || !strncmp(name, "max_", 4))
				continue;
			if (v) {
				snprintf(bad, badlen, "%s %llu", name, v);
				ret = 1;
				break;
			}
		}
		fclose(f);
		if (!ret)
			return 0;
		usleep(100 * 1000);
	}
	return ret;
}

#endif /* ISSUE4_TEST_H */
