// SPDX-License-Identifier: GPL-2.0
/*
 * Notification requests and the messages they produce: dead-name (with the
 * extra user reference), port-deleted, no-senders (mscount sync),
 * send-once (the "server died" pattern), port-destroyed (hand-over of the
 * receive right with its queue and senders, or plain destruction when the
 * notify port is the port itself or dead) and send-possible; every request
 * error, replace and cancel, and the exact layout of each message.
 */
#include "issue4_test.h"

#include "kselftest_harness.h"

FIXTURE(mailbox) {
	int fd;		/* space A */
	int fd2;	/* space B */
};

FIXTURE_SETUP(mailbox)
{
	self->fd = mb_open();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MB_DEVICE, strerror(errno));
	self->fd2 = mb_open();
	ASSERT_LE(0, self->fd2) TH_LOG("open %s: %s", MB_DEVICE, strerror(errno));
}

FIXTURE_TEARDOWN(mailbox)
{
	if (self->fd2 >= 0)
		close(self->fd2);
	if (self->fd >= 0)
		close(self->fd);
}

#define ASSERT_RIGHT(fd, name, bits, urefs) do {			\
	struct mailbox_port_type _t;					\
	ASSERT_EQ(0, mb_type(fd, name, &_t)) TH_LOG("name %#x", name);	\
	EXPECT_EQ(bits, _t.type) TH_LOG("name %#x", name);		\
	EXPECT_EQ(urefs, _t.send_urefs) TH_LOG("name %#x", name);	\
	EXPECT_EQ(0, _t.dead_urefs) TH_LOG("name %#x", name);		\
} while (0)

#define ASSERT_DEAD(fd, name, urefs) do {				\
	struct mailbox_port_type _t;					\
	ASSERT_EQ(0, mb_type(fd, name, &_t)) TH_LOG("name %#x", name);	\
	EXPECT_EQ(MAILBOX_PORT_TYPE_DEAD_NAME, _t.type);		\
	EXPECT_EQ(urefs, _t.dead_urefs);				\
	EXPECT_EQ(0, _t.send_urefs);					\
} while (0)

#define ASSERT_GONE(fd, name) ASSERT_EQ(ENOENT, mb_type(fd, name, NULL))

#define RCV	MAILBOX_PORT_TYPE_RECEIVE
#define SND	MAILBOX_PORT_TYPE_SEND
#define SO	MAILBOX_PORT_TYPE_SEND_ONCE
#define MSO	MAILBOX_MSG_TYPE_MAKE_SEND_ONCE

static unsigned long long total_notifications(void)
{
	unsigned long long v = ~0ULL;

	mb_stat("total_notifications", &v);
	return v;
}

/*
 * Receive the next message on @port of @fd (without waiting) and check it
 * is a kernel notification @id of @size bytes; for the 36-byte layouts the
 * NDR record and the word after it (@word) too.
 */
static void expect_notification(struct __test_metadata *_metadata, int fd,
				__u32 port, __s32 id, __u32 size, __u32 word)
{
	struct mb_notification n;
	struct mailbox_msg_trailer *t;
	__u32 rsize, status;

	ASSERT_EQ(0, mb_recv_notification(fd, port, &n, &rsize, &status))
		TH_LOG("no notification %d on %#x", id, port);
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, status);
	EXPECT_EQ(id, n.h.id);
	EXPECT_EQ(size, n.h.size);
	EXPECT_EQ(size + MB_TRAILER_SIZE, rsize);
	EXPECT_EQ(MAILBOX_MSGH_BITS(0, MAILBOX_MSG_TYPE_PORT_SEND_ONCE) |
		  (id == MAILBOX_NOTIFY_PORT_DESTROYED ? MAILBOX_MSGH_COMPLEX : 0),
		  n.h.bits);
	EXPECT_EQ(MAILBOX_PORT_NULL, n.h.remote_port);
	EXPECT_EQ(port, n.h.local_port);
	EXPECT_EQ(0, n.h.voucher_port);
	if (size == sizeof(struct mailbox_notify_name)) {
		EXPECT_EQ(0, memcmp(mb_ndr, n.name.ndr, sizeof(mb_ndr)));
		EXPECT_EQ(word, n.name.name);
	}
	t = mb_trailer(&n);
	EXPECT_EQ(MAILBOX_TRAILER_FORMAT_0, t->type);
	EXPECT_EQ(MB_TRAILER_SIZE, t->size);
	EXPECT_EQ(0, t->sender_pid);
	EXPECT_EQ(0, t->sender_uid);
	EXPECT_EQ(MB_PATTERN, n.buf[rsize]);
}

#define EXPECT_NAME_NOTE(fd, port, id, name) \
	expect_notification(_metadata, fd, port, id, \
			    sizeof(struct mailbox_notify_name), name)
#define EXPECT_SO_NOTE(fd, port) \
	expect_notification(_metadata, fd, port, MAILBOX_NOTIFY_SEND_ONCE, \
			    MB_HDR_SIZE, 0)
#define EXPECT_NOTHING(fd, port) EXPECT_EQ(0, mb_msgcount(fd, port))

/* A's port *x with a send right *bs in B (urefs @urefs). */
static void a_port_b_send(struct __test_metadata *_metadata,
			  FIXTURE_DATA(mailbox) *self, __u32 *x, __u32 *bs,
			  int urefs)
{
	int i;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, x));
	for (i = 0; i < urefs; i++)
		ASSERT_EQ(0, mb_give_send(self->fd, self->fd2, *x, bs));
	ASSERT_RIGHT(self->fd2, *bs, SND, urefs);
}

/* ---- request errors --------------------------------------------------- */

TEST_F(mailbox, request_with_nonzero_flags_or_reserved_is_einval)
{
	struct mailbox_port_request_notification r;
	__u32 x, n;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &n));
	memset(&r, 0, sizeof(r));
	r.name = x;
	r.variant = MAILBOX_NOTIFY_NO_SENDERS;
	r.notify = n;
	r.disposition = MSO;
	r.flags = 1;
	EXPECT_EQ(EINVAL, mb_ioctl(self->fd, MAILBOX_IOC_PORT_REQUEST_NOTIFICATION, &r));
	r.flags = 0x80000000;
	EXPECT_EQ(EINVAL, mb_ioctl(self->fd, MAILBOX_IOC_PORT_REQUEST_NOTIFICATION, &r));
	r.flags = 0;
	r.reserved = 1;
	EXPECT_EQ(EINVAL, mb_ioctl(self->fd, MAILBOX_IOC_PORT_REQUEST_NOTIFICATION, &r));
	EXPECT_EQ(0, mb_sorights(self->fd, n));
	EXPECT_NOTHING(self->fd, n);
	r.reserved = 0;
	EXPECT_EQ(0, mb_ioctl(self->fd, MAILBOX_IOC_PORT_REQUEST_NOTIFICATION, &r));
	/* No senders now: fires at once. */
	expect_notification(_metadata, self->fd, n, MAILBOX_NOTIFY_NO_SENDERS,
			    sizeof(struct mailbox_notify_no_senders), 0);
}

TEST_F(mailbox, unknown_variant_is_einval)
{
	static const __u32 variants[] = {
		0, MAILBOX_NOTIFY_PORT_DELETED, MAILBOX_NOTIFY_SEND_ONCE,
		0103, 0104, 0111, 999, ~0U,
	};
	__u32 x, n, prev, i;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	ASSERT_EQ(0, mb_make_send(self->fd, x));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &n));
	for (i = 0; i < sizeof(variants) / sizeof(variants[0]); i++)
		EXPECT_EQ(EINVAL, mb_request(self->fd, x, variants[i], 0, n, MSO,
					     &prev)) TH_LOG("variant %#o", variants[i]);
	EXPECT_EQ(0, mb_sorights(self->fd, n));
	ASSERT_RIGHT(self->fd, x, RCV | SND, 1);
}

TEST_F(mailbox, notify_disposition_other_than_send_once_is_einval)
{
	static const __u32 disps[] = {
		0, MAILBOX_MSG_TYPE_MOVE_RECEIVE, MAILBOX_MSG_TYPE_MOVE_SEND,
		MAILBOX_MSG_TYPE_COPY_SEND, MAILBOX_MSG_TYPE_MAKE_SEND, 22, 255,
	};
	__u32 x, n, prev, i;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &n));
	ASSERT_EQ(0, mb_make_send(self->fd, n));
	for (i = 0; i < sizeof(disps) / sizeof(disps[0]); i++)
		EXPECT_EQ(EINVAL, mb_request(self->fd, x, MAILBOX_NOTIFY_NO_SENDERS,
					     0, n, disps[i], &prev))
			TH_LOG("disposition %u", disps[i]);
	/* A NULL notify (cancel) wants disposition 0. */
	EXPECT_EQ(EINVAL, mb_request(self->fd, x, MAILBOX_NOTIFY_NO_SENDERS, 0,
				     MAILBOX_PORT_NULL, MSO, &prev));
	EXPECT_EQ(EINVAL, mb_request(self->fd, x, MAILBOX_NOTIFY_NO_SENDERS, 0,
				     MAILBOX_PORT_NULL,
				     MAILBOX_MSG_TYPE_MOVE_SEND_ONCE, &prev));
	ASSERT_RIGHT(self->fd, n, RCV | SND, 1);
	EXPECT_EQ(0, mb_sorights(self->fd, n));
	EXPECT_NOTHING(self->fd, n);
}

TEST_F(mailbox, request_on_an_unknown_name_is_enoent)
{
	__u32 n, prev;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &n));
	EXPECT_EQ(ENOENT, mb_request(self->fd, MB_UNUSED_NAME,
				     MAILBOX_NOTIFY_DEAD_NAME, 0, n, MSO, &prev));
	EXPECT_EQ(ENOENT, mb_request(self->fd, MB_UNUSED_NAME,
				     MAILBOX_NOTIFY_NO_SENDERS, 0, n, MSO, &prev));
	EXPECT_EQ(ENOENT, mb_request(self->fd, MB_UNUSED_NAME,
				     MAILBOX_NOTIFY_PORT_DESTROYED, 0, n, MSO, &prev));
	EXPECT_EQ(ENOENT, mb_request(self->fd, MB_UNUSED_NAME,
				     MAILBOX_NOTIFY_SEND_POSSIBLE, 0, n, MSO, &prev));
	EXPECT_EQ(0, mb_sorights(self->fd, n));
}

TEST_F(mailbox, notify_right_copyin_errors_are_enoent_eperm_and_epipe)
{
	__u32 x, n, sn, so, d, dso, prev;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &n));
	ASSERT_EQ(0, mb_make_send_once(self->fd, n, &so));
	/* A send-only name. */
	ASSERT_EQ(0, mb_alloc_receive(self->fd2, &sn));
	ASSERT_EQ(0, mb_give_send(self->fd2, self->fd, sn, &sn));
	/* A send-once right to a dead port. */
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &d));
	ASSERT_EQ(0, mb_make_send_once(self->fd, d, &dso));
	ASSERT_EQ(0, mb_mod_refs(self->fd, d, MAILBOX_RIGHT_RECEIVE, -1));

	EXPECT_EQ(ENOENT, mb_request(self->fd, x, MAILBOX_NOTIFY_NO_SENDERS, 0,
				     MB_UNUSED_NAME, MSO, &prev));
	EXPECT_EQ(ENOENT, mb_request(self->fd, x, MAILBOX_NOTIFY_NO_SENDERS, 0,
				     MB_UNUSED_NAME, MAILBOX_MSG_TYPE_MOVE_SEND_ONCE,
				     &prev));
	EXPECT_EQ(EPERM, mb_request(self->fd, x, MAILBOX_NOTIFY_NO_SENDERS, 0,
				    sn, MSO, &prev));
	EXPECT_EQ(EPERM, mb_request(self->fd, x, MAILBOX_NOTIFY_NO_SENDERS, 0,
				    so, MSO, &prev));
	EXPECT_EQ(EPERM, mb_request(self->fd, x, MAILBOX_NOTIFY_NO_SENDERS, 0,
				    n, MAILBOX_MSG_TYPE_MOVE_SEND_ONCE, &prev));
	EXPECT_EQ(EPERM, mb_request(self->fd, x, MAILBOX_NOTIFY_NO_SENDERS, 0,
				    sn, MAILBOX_MSG_TYPE_MOVE_SEND_ONCE, &prev));
	EXPECT_EQ(EPIPE, mb_request(self->fd, x, MAILBOX_NOTIFY_NO_SENDERS, 0,
				    dso, MAILBOX_MSG_TYPE_MOVE_SEND_ONCE, &prev));
	/* Nothing moved. */
	ASSERT_RIGHT(self->fd, so, SO, 0);
	ASSERT_RIGHT(self->fd, sn, SND, 1);
	ASSERT_DEAD(self->fd, dso, 1);
	EXPECT_EQ(1, mb_sorights(self->fd, n));
	EXPECT_NOTHING(self->fd, n);
}

/* ---- dead-name -------------------------------------------------------- */

TEST_F(mailbox, dead_name_fires_when_the_port_dies_and_adds_a_uref)
{
	unsigned long long before;
	__u32 x, bs, nb, prev;

	a_port_b_send(_metadata, self, &x, &bs, 2);
	ASSERT_EQ(0, mb_alloc_receive(self->fd2, &nb));
	ASSERT_EQ(0, mb_request(self->fd2, bs, MAILBOX_NOTIFY_DEAD_NAME, 0, nb,
				MSO, &prev));
	EXPECT_EQ(MAILBOX_PORT_NULL, prev);
	EXPECT_EQ(1, mb_sorights(self->fd2, nb));
	EXPECT_NOTHING(self->fd2, nb);
	ASSERT_RIGHT(self->fd2, bs, SND, 2);

	before = total_notifications();
	ASSERT_EQ(0, mb_mod_refs(self->fd, x, MAILBOX_RIGHT_RECEIVE, -1));
	EXPECT_EQ(1, mb_msgcount(self->fd2, nb));
	EXPECT_EQ(before + 1, total_notifications());
	EXPECT_NAME_NOTE(self->fd2, nb, MAILBOX_NOTIFY_DEAD_NAME, bs);
	EXPECT_EQ(0, mb_sorights(self->fd2, nb));
	ASSERT_DEAD(self->fd2, bs, 3);
	ASSERT_EQ(0, mb_deallocate(self->fd2, bs));
	ASSERT_EQ(0, mb_deallocate(self->fd2, bs));
	ASSERT_EQ(0, mb_deallocate(self->fd2, bs));
	ASSERT_GONE(self->fd2, bs);
}

TEST_F(mailbox, dead_name_on_a_send_once_right_fires_and_adds_a_uref)
{
	__u32 x, so, nb, prev;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	so = MAILBOX_PORT_NULL;
	ASSERT_EQ(0, mb_insert(self->fd, self->fd2, &so, x, MSO));
	ASSERT_EQ(0, mb_alloc_receive(self->fd2, &nb));
	ASSERT_EQ(0, mb_request(self->fd2, so, MAILBOX_NOTIFY_DEAD_NAME, 0, nb,
				MSO, &prev));
	ASSERT_EQ(0, mb_destroy(self->fd, x));
	EXPECT_NAME_NOTE(self->fd2, nb, MAILBOX_NOTIFY_DEAD_NAME, so);
	ASSERT_DEAD(self->fd2, so, 2);
}

TEST_F(mailbox, dead_name_request_on_a_receive_right_is_accepted)
{
	__u32 x, n, prev;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &n));
	EXPECT_EQ(0, mb_request(self->fd, x, MAILBOX_NOTIFY_DEAD_NAME, 0, n, MSO,
				&prev));
	EXPECT_EQ(MAILBOX_PORT_NULL, prev);
	EXPECT_EQ(1, mb_sorights(self->fd, n));
}

TEST_F(mailbox, dead_name_on_a_dead_name_needs_sync_and_then_fires_at_once)
{
	__u32 d, n, prev;

	ASSERT_EQ(0, mb_allocate(self->fd, MAILBOX_RIGHT_DEAD_NAME, &d));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &n));
	EXPECT_EQ(EINVAL, mb_request(self->fd, d, MAILBOX_NOTIFY_DEAD_NAME, 0, n,
				     MSO, &prev));
	EXPECT_EQ(0, mb_sorights(self->fd, n));
	ASSERT_DEAD(self->fd, d, 1);

	ASSERT_EQ(0, mb_request(self->fd, d, MAILBOX_NOTIFY_DEAD_NAME, 1, n, MSO,
				&prev));
	EXPECT_EQ(MAILBOX_PORT_NULL, prev);
	EXPECT_NAME_NOTE(self->fd, n, MAILBOX_NOTIFY_DEAD_NAME, d);
	ASSERT_DEAD(self->fd, d, 2);

	/* Cancelling on a dead name: success, nothing to return. */
	EXPECT_EQ(0, mb_request(self->fd, d, MAILBOX_NOTIFY_DEAD_NAME, 0,
				MAILBOX_PORT_NULL, 0, &prev));
	EXPECT_EQ(MAILBOX_PORT_NULL, prev);
	ASSERT_DEAD(self->fd, d, 2);
}

TEST_F(mailbox, dead_name_with_sync_on_a_live_port_does_not_fire)
{
	__u32 x, bs, nb, prev;

	a_port_b_send(_metadata, self, &x, &bs, 1);
	ASSERT_EQ(0, mb_alloc_receive(self->fd2, &nb));
	ASSERT_EQ(0, mb_request(self->fd2, bs, MAILBOX_NOTIFY_DEAD_NAME, 1, nb,
				MSO, &prev));
	EXPECT_NOTHING(self->fd2, nb);
	ASSERT_RIGHT(self->fd2, bs, SND, 1);
}

TEST_F(mailbox, replacing_returns_the_previous_right_and_cancel_returns_it_too)
{
	__u32 x, bs, nb, so, p1, p2, p3;

	a_port_b_send(_metadata, self, &x, &bs, 1);
	ASSERT_EQ(0, mb_alloc_receive(self->fd2, &nb));
	ASSERT_EQ(0, mb_make_send_once(self->fd2, nb, &so));

	ASSERT_EQ(0, mb_request(self->fd2, bs, MAILBOX_NOTIFY_DEAD_NAME, 0, nb,
				MSO, &p1));
	EXPECT_EQ(MAILBOX_PORT_NULL, p1);
	EXPECT_EQ(2, mb_sorights(self->fd2, nb));
	/* Replace, moving a send-once right this time. */
	ASSERT_EQ(0, mb_request(self->fd2, bs, MAILBOX_NOTIFY_DEAD_NAME, 0, so,
				MAILBOX_MSG_TYPE_MOVE_SEND_ONCE, &p2));
	ASSERT_NE(MAILBOX_PORT_NULL, p2);
	ASSERT_NE(MAILBOX_PORT_DEAD, p2);
	ASSERT_NE(MB_PATTERN32, p2);
	ASSERT_RIGHT(self->fd2, p2, SO, 0);
	ASSERT_GONE(self->fd2, so);
	EXPECT_EQ(2, mb_sorights(self->fd2, nb));
	EXPECT_NOTHING(self->fd2, nb);

	/* Cancel: the current request's right comes back. */
	ASSERT_EQ(0, mb_request(self->fd2, bs, MAILBOX_NOTIFY_DEAD_NAME, 0,
				MAILBOX_PORT_NULL, 0, &p3));
	ASSERT_NE(MAILBOX_PORT_NULL, p3);
	ASSERT_NE(p2, p3);
	ASSERT_RIGHT(self->fd2, p3, SO, 0);
	EXPECT_EQ(2, mb_sorights(self->fd2, nb));

	/* Cancelling again returns nothing. */
	ASSERT_EQ(0, mb_request(self->fd2, bs, MAILBOX_NOTIFY_DEAD_NAME, 0,
				MAILBOX_PORT_NULL, 0, &p1));
	EXPECT_EQ(MAILBOX_PORT_NULL, p1);

	/* The port dies: no notification, no extra uref. */
	ASSERT_EQ(0, mb_destroy(self->fd, x));
	ASSERT_DEAD(self->fd2, bs, 1);
	EXPECT_NOTHING(self->fd2, nb);

	/* The returned rights, dropped unused, send send-once notifications. */
	ASSERT_EQ(0, mb_deallocate(self->fd2, p2));
	ASSERT_EQ(0, mb_deallocate(self->fd2, p3));
	EXPECT_SO_NOTE(self->fd2, nb);
	EXPECT_SO_NOTE(self->fd2, nb);
	EXPECT_EQ(0, mb_sorights(self->fd2, nb));
}

/* ---- port-deleted ----------------------------------------------------- */

TEST_F(mailbox, port_deleted_fires_when_the_last_uref_is_deallocated)
{
	__u32 x, bs, nb, prev;

	a_port_b_send(_metadata, self, &x, &bs, 2);
	ASSERT_EQ(0, mb_alloc_receive(self->fd2, &nb));
	ASSERT_EQ(0, mb_request(self->fd2, bs, MAILBOX_NOTIFY_DEAD_NAME, 0, nb,
				MSO, &prev));
	ASSERT_EQ(0, mb_deallocate(self->fd2, bs));
	EXPECT_NOTHING(self->fd2, nb);
	ASSERT_RIGHT(self->fd2, bs, SND, 1);
	ASSERT_EQ(0, mb_deallocate(self->fd2, bs));
	ASSERT_GONE(self->fd2, bs);
	EXPECT_NAME_NOTE(self->fd2, nb, MAILBOX_NOTIFY_PORT_DELETED, bs);
	EXPECT_EQ(0, mb_sorights(self->fd2, nb));
	/* The port dying later sends nothing more. */
	ASSERT_EQ(0, mb_destroy(self->fd, x));
	EXPECT_NOTHING(self->fd2, nb);
}

TEST_F(mailbox, port_deleted_fires_on_mod_refs_and_on_destroy)
{
	__u32 x, bs, nb, so, prev;

	a_port_b_send(_metadata, self, &x, &bs, 3);
	ASSERT_EQ(0, mb_alloc_receive(self->fd2, &nb));
	ASSERT_EQ(0, mb_request(self->fd2, bs, MAILBOX_NOTIFY_DEAD_NAME, 0, nb,
				MSO, &prev));
	ASSERT_EQ(0, mb_mod_refs(self->fd2, bs, MAILBOX_RIGHT_SEND, -3));
	EXPECT_NAME_NOTE(self->fd2, nb, MAILBOX_NOTIFY_PORT_DELETED, bs);

	so = MAILBOX_PORT_NULL;
	ASSERT_EQ(0, mb_insert(self->fd, self->fd2, &so, x, MSO));
	ASSERT_EQ(0, mb_request(self->fd2, so, MAILBOX_NOTIFY_DEAD_NAME, 0, nb,
				MSO, &prev));
	ASSERT_EQ(0, mb_destroy(self->fd2, so));
	EXPECT_NAME_NOTE(self->fd2, nb, MAILBOX_NOTIFY_PORT_DELETED, so);
	/* The send-once right itself died unused: x hears of it. */
	EXPECT_SO_NOTE(self->fd, x);
	EXPECT_NOTHING(self->fd2, nb);
}

TEST_F(mailbox, port_deleted_fires_when_the_right_is_moved_away_in_a_message)
{
	static struct mb_cmsg m;
	__u32 x, bs, nb, pa, prev, status;

	a_port_b_send(_metadata, self, &x, &bs, 1);
	ASSERT_EQ(0, mb_alloc_receive(self->fd2, &nb));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &pa));
	ASSERT_EQ(0, mb_give_send(self->fd, self->fd2, pa, &pa));
	ASSERT_EQ(0, mb_request(self->fd2, bs, MAILBOX_NOTIFY_DEAD_NAME, 0, nb,
				MSO, &prev));
	mb_cmsg_init(&m, pa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	mb_cmsg_port(&m, bs, MAILBOX_MSG_TYPE_MOVE_SEND);
	ASSERT_EQ(0, mb_cmsg_send(self->fd2, &m, &status));
	ASSERT_GONE(self->fd2, bs);
	EXPECT_NAME_NOTE(self->fd2, nb, MAILBOX_NOTIFY_PORT_DELETED, bs);

	/* As the header's MOVE_SEND destination too. */
	ASSERT_EQ(0, mb_give_send(self->fd, self->fd2, x, &bs));
	ASSERT_EQ(0, mb_request(self->fd2, bs, MAILBOX_NOTIFY_DEAD_NAME, 0, nb,
				MSO, &prev));
	ASSERT_EQ(0, mb_send_hdr(self->fd2, bs, MAILBOX_MSG_TYPE_MOVE_SEND, 0, 0,
				 2, &status));
	ASSERT_GONE(self->fd2, bs);
	EXPECT_NAME_NOTE(self->fd2, nb, MAILBOX_NOTIFY_PORT_DELETED, bs);
}

TEST_F(mailbox, port_deleted_fires_when_the_requesting_space_closes)
{
	__u32 x, n, bs, so, prev;

	/* B asks, with a send-once right to A's port n as notify. */
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &n));
	a_port_b_send(_metadata, self, &x, &bs, 1);
	so = MAILBOX_PORT_NULL;
	ASSERT_EQ(0, mb_insert(self->fd, self->fd2, &so, n, MSO));
	ASSERT_EQ(0, mb_request(self->fd2, bs, MAILBOX_NOTIFY_DEAD_NAME, 0, so,
				MAILBOX_MSG_TYPE_MOVE_SEND_ONCE, &prev));
	EXPECT_EQ(MAILBOX_PORT_NULL, prev);
	ASSERT_GONE(self->fd2, so);
	close(self->fd2);
	self->fd2 = -1;
	EXPECT_NAME_NOTE(self->fd, n, MAILBOX_NOTIFY_PORT_DELETED, bs);
	EXPECT_NOTHING(self->fd, n);
	EXPECT_EQ(0, mb_sorights(self->fd, n));
	EXPECT_EQ(0, mb_has_senders(self->fd, x));
}

TEST_F(mailbox, port_deleted_fires_for_a_send_possible_request)
{
	__u32 x, bs, nb, prev;

	a_port_b_send(_metadata, self, &x, &bs, 1);
	ASSERT_EQ(0, mb_alloc_receive(self->fd2, &nb));
	ASSERT_EQ(0, mb_request(self->fd2, bs, MAILBOX_NOTIFY_SEND_POSSIBLE, 0,
				nb, MSO, &prev));
	EXPECT_NOTHING(self->fd2, nb);
	ASSERT_EQ(0, mb_deallocate(self->fd2, bs));
	EXPECT_NAME_NOTE(self->fd2, nb, MAILBOX_NOTIFY_PORT_DELETED, bs);
}

/* ---- no-senders ------------------------------------------------------- */

#define EXPECT_NO_SENDERS(fd, port, mscount) \
	expect_notification(_metadata, fd, port, MAILBOX_NOTIFY_NO_SENDERS, \
			    sizeof(struct mailbox_notify_no_senders), mscount)

TEST_F(mailbox, no_senders_needs_a_receive_right)
{
	__u32 x, bs, nb, so, prev;

	a_port_b_send(_metadata, self, &x, &bs, 1);
	ASSERT_EQ(0, mb_alloc_receive(self->fd2, &nb));
	ASSERT_EQ(0, mb_make_send_once(self->fd2, nb, &so));
	EXPECT_EQ(EPERM, mb_request(self->fd2, bs, MAILBOX_NOTIFY_NO_SENDERS, 0,
				    nb, MSO, &prev));
	EXPECT_EQ(EPERM, mb_request(self->fd2, so, MAILBOX_NOTIFY_NO_SENDERS, 0,
				    nb, MSO, &prev));
	EXPECT_EQ(1, mb_sorights(self->fd2, nb));
	EXPECT_NOTHING(self->fd2, nb);
}

TEST_F(mailbox, no_senders_fires_when_the_last_send_right_goes_with_mscount)
{
	__u32 x, n, bs, prev;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &n));
	a_port_b_send(_metadata, self, &x, &bs, 2);
	ASSERT_EQ(0, mb_make_send(self->fd, x));
	/* mscount 3 now. */
	ASSERT_EQ(0, mb_request(self->fd, x, MAILBOX_NOTIFY_NO_SENDERS, 0, n,
				MSO, &prev));
	EXPECT_EQ(MAILBOX_PORT_NULL, prev);
	ASSERT_EQ(0, mb_deallocate(self->fd, x));
	ASSERT_RIGHT(self->fd, x, RCV, 0);
	ASSERT_EQ(0, mb_deallocate(self->fd2, bs));
	EXPECT_NOTHING(self->fd, n);
	ASSERT_EQ(0, mb_deallocate(self->fd2, bs));
	EXPECT_NO_SENDERS(self->fd, n, 3);
	EXPECT_EQ(0, mb_sorights(self->fd, n));

	/* Once: new senders coming and going fire nothing more. */
	ASSERT_EQ(0, mb_make_send(self->fd, x));
	ASSERT_EQ(0, mb_deallocate(self->fd, x));
	EXPECT_NOTHING(self->fd, n);
}

TEST_F(mailbox, no_senders_fires_at_once_when_there_are_none)
{
	__u32 x, n, prev;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &n));
	ASSERT_EQ(0, mb_set_attr(self->fd, x, MAILBOX_ATTR_MSCOUNT, 0, 0, 4));
	ASSERT_EQ(0, mb_request(self->fd, x, MAILBOX_NOTIFY_NO_SENDERS, 4, n,
				MSO, &prev));
	EXPECT_NO_SENDERS(self->fd, n, 4);
}

TEST_F(mailbox, no_senders_waits_until_mscount_reaches_sync)
{
	__u32 x, n, prev;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &n));
	/* No senders, but mscount 0 < sync 2: not yet. */
	ASSERT_EQ(0, mb_request(self->fd, x, MAILBOX_NOTIFY_NO_SENDERS, 2, n,
				MSO, &prev));
	EXPECT_NOTHING(self->fd, n);
	ASSERT_EQ(0, mb_make_send(self->fd, x));
	ASSERT_EQ(0, mb_deallocate(self->fd, x));	/* mscount 1 */
	EXPECT_NOTHING(self->fd, n);
	ASSERT_EQ(0, mb_make_send(self->fd, x));
	EXPECT_NOTHING(self->fd, n);
	ASSERT_EQ(0, mb_deallocate(self->fd, x));	/* mscount 2 */
	EXPECT_NO_SENDERS(self->fd, n, 2);
}

TEST_F(mailbox, no_senders_counts_send_rights_in_queued_messages)
{
	static struct mb_cmsg m;
	struct mailbox_msg_header h;
	static unsigned char buf[256];
	__u32 x, n, c, prev, size, status;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &n));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &c));
	ASSERT_EQ(0, mb_make_send(self->fd, x));
	ASSERT_EQ(0, mb_make_send(self->fd, c));
	ASSERT_EQ(0, mb_request(self->fd, x, MAILBOX_NOTIFY_NO_SENDERS, 0, n,
				MSO, &prev));
	/* x's send right travels in a message on c (a descriptor)... */
	mb_cmsg_init(&m, c, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	mb_cmsg_port(&m, x, MAILBOX_MSG_TYPE_COPY_SEND);
	ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status));
	/* ...and as a reply right in another. */
	ASSERT_EQ(0, mb_send_hdr(self->fd, c, MAILBOX_MSG_TYPE_COPY_SEND, x,
				 MAILBOX_MSG_TYPE_MAKE_SEND, 2, &status));
	ASSERT_EQ(0, mb_deallocate(self->fd, x));
	ASSERT_RIGHT(self->fd, x, RCV, 0);
	EXPECT_EQ(1, mb_has_senders(self->fd, x));
	EXPECT_NOTHING(self->fd, n);

	/* Receive both: the rights land in the space (merged). */
	ASSERT_EQ(0, mb_recv_now(self->fd, c, buf, sizeof(buf), 0, &size, &status));
	ASSERT_EQ(0, mb_recv_hdr(self->fd, c, &h, &status));
	EXPECT_EQ(x, h.remote_port);
	ASSERT_RIGHT(self->fd, x, RCV | SND, 2);
	EXPECT_NOTHING(self->fd, n);
	ASSERT_EQ(0, mb_mod_refs(self->fd, x, MAILBOX_RIGHT_SEND, -2));
	EXPECT_NO_SENDERS(self->fd, n, 2);
}

TEST_F(mailbox, no_senders_fires_when_a_message_with_the_last_send_right_dies)
{
	static struct mb_cmsg m;
	__u32 x, n, c, prev, status;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &n));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &c));
	ASSERT_EQ(0, mb_make_send(self->fd, c));
	ASSERT_EQ(0, mb_request(self->fd, x, MAILBOX_NOTIFY_NO_SENDERS, 1, n,
				MSO, &prev));
	mb_cmsg_init(&m, c, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	mb_cmsg_port(&m, x, MAILBOX_MSG_TYPE_MAKE_SEND);
	ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status));
	EXPECT_NOTHING(self->fd, n);
	ASSERT_EQ(0, mb_destroy(self->fd, c));
	EXPECT_NO_SENDERS(self->fd, n, 1);
}

TEST_F(mailbox, no_senders_fires_when_the_sending_space_closes)
{
	__u32 x, n, bs, prev;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &n));
	a_port_b_send(_metadata, self, &x, &bs, 5);
	ASSERT_EQ(0, mb_request(self->fd, x, MAILBOX_NOTIFY_NO_SENDERS, 0, n,
				MSO, &prev));
	EXPECT_NOTHING(self->fd, n);
	close(self->fd2);
	self->fd2 = -1;
	EXPECT_NO_SENDERS(self->fd, n, 5);
}

/* ---- send-once -------------------------------------------------------- */

TEST_F(mailbox, send_once_fires_when_a_send_once_right_is_deallocated)
{
	unsigned long long before;
	__u32 x, so;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	ASSERT_EQ(0, mb_make_send_once(self->fd, x, &so));
	EXPECT_EQ(1, mb_sorights(self->fd, x));
	before = total_notifications();
	ASSERT_EQ(0, mb_deallocate(self->fd, so));
	ASSERT_GONE(self->fd, so);
	EXPECT_EQ(before + 1, total_notifications());
	EXPECT_SO_NOTE(self->fd, x);
	EXPECT_EQ(0, mb_sorights(self->fd, x));
}

TEST_F(mailbox, send_once_fires_on_mod_refs_minus_one_and_on_destroy)
{
	__u32 x, s1, s2;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	ASSERT_EQ(0, mb_make_send_once(self->fd, x, &s1));
	ASSERT_EQ(0, mb_make_send_once(self->fd, x, &s2));
	ASSERT_EQ(0, mb_mod_refs(self->fd, s1, MAILBOX_RIGHT_SEND_ONCE, 0));
	EXPECT_NOTHING(self->fd, x);
	ASSERT_EQ(0, mb_mod_refs(self->fd, s1, MAILBOX_RIGHT_SEND_ONCE, -1));
	EXPECT_SO_NOTE(self->fd, x);
	ASSERT_EQ(0, mb_destroy(self->fd, s2));
	EXPECT_SO_NOTE(self->fd, x);
	EXPECT_EQ(0, mb_sorights(self->fd, x));
}

TEST_F(mailbox, send_once_fires_when_the_space_holding_it_closes)
{
	__u32 x, so;
	int i;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	for (i = 0; i < 3; i++) {
		so = MAILBOX_PORT_NULL;
		ASSERT_EQ(0, mb_insert(self->fd, self->fd2, &so, x, MSO));
	}
	EXPECT_EQ(3, mb_sorights(self->fd, x));
	close(self->fd2);
	self->fd2 = -1;
	EXPECT_EQ(3, mb_msgcount(self->fd, x));
	for (i = 0; i < 3; i++)
		EXPECT_SO_NOTE(self->fd, x);
	EXPECT_EQ(0, mb_sorights(self->fd, x));
}

TEST_F(mailbox, server_dying_with_a_request_queued_sends_send_once_to_the_reply_port)
{
	__u32 srv, cs, rp, status;

	/* Server port in B; the client (A) sends a request, reply MAKE_SEND_ONCE. */
	ASSERT_EQ(0, mb_alloc_receive(self->fd2, &srv));
	ASSERT_EQ(0, mb_give_send(self->fd2, self->fd, srv, &cs));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &rp));
	ASSERT_EQ(0, mb_send_hdr(self->fd, cs, MAILBOX_MSG_TYPE_COPY_SEND, rp,
				 MSO, 100, &status));
	EXPECT_EQ(1, mb_sorights(self->fd, rp));
	EXPECT_NOTHING(self->fd, rp);

	ASSERT_EQ(0, mb_destroy(self->fd2, srv));
	EXPECT_SO_NOTE(self->fd, rp);
	EXPECT_EQ(0, mb_sorights(self->fd, rp));
	ASSERT_DEAD(self->fd, cs, 1);
}

TEST_F(mailbox, server_space_closing_with_requests_queued_notifies_each_client)
{
	__u32 srv, cs, rp, status;
	int i;

	ASSERT_EQ(0, mb_alloc_receive(self->fd2, &srv));
	ASSERT_EQ(0, mb_give_send(self->fd2, self->fd, srv, &cs));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &rp));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, mb_send_hdr(self->fd, cs, MAILBOX_MSG_TYPE_COPY_SEND,
					 rp, MSO, i, &status));
	close(self->fd2);
	self->fd2 = -1;
	EXPECT_SO_NOTE(self->fd, rp);
	EXPECT_SO_NOTE(self->fd, rp);
	EXPECT_NOTHING(self->fd, rp);
}

TEST_F(mailbox, send_once_fires_when_a_too_large_message_is_destroyed)
{
	unsigned char buf[64];
	__u32 srv, rp, size, status;
	struct {
		struct mailbox_msg_header h;
		unsigned char body[40];
	} req;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &srv));
	ASSERT_EQ(0, mb_make_send(self->fd, srv));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &rp));
	mb_header(&req.h, srv, MAILBOX_MSG_TYPE_COPY_SEND, rp, MSO, 1);
	memset(req.body, 1, sizeof(req.body));
	ASSERT_EQ(0, mb_send(self->fd, &req, sizeof(req), 0, 0, &status));
	EXPECT_EQ(EMSGSIZE, mb_recv_now(self->fd, srv, buf, MB_HDR_SIZE, 0,
					&size, &status));
	EXPECT_EQ(MAILBOX_RCV_TOO_LARGE, status);
	EXPECT_NOTHING(self->fd, srv);
	EXPECT_SO_NOTE(self->fd, rp);
}

TEST_F(mailbox, send_once_right_used_to_send_produces_no_notification)
{
	struct mailbox_msg_header h;
	__u32 x, so, status;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	ASSERT_EQ(0, mb_make_send_once(self->fd, x, &so));
	ASSERT_EQ(0, mb_send_hdr(self->fd, so, MAILBOX_MSG_TYPE_MOVE_SEND_ONCE,
				 0, 0, 9, &status));
	ASSERT_EQ(0, mb_recv_hdr(self->fd, x, &h, &status));
	EXPECT_EQ(9, h.id);
	EXPECT_NOTHING(self->fd, x);
	EXPECT_EQ(0, mb_sorights(self->fd, x));
}

TEST_F(mailbox, send_once_to_a_dead_port_produces_no_notification)
{
	unsigned long long before;
	__u32 x, so;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	so = MAILBOX_PORT_NULL;
	ASSERT_EQ(0, mb_insert(self->fd, self->fd2, &so, x, MSO));
	ASSERT_EQ(0, mb_destroy(self->fd, x));
	before = total_notifications();
	ASSERT_DEAD(self->fd2, so, 1);
	ASSERT_EQ(0, mb_deallocate(self->fd2, so));
	ASSERT_GONE(self->fd2, so);
	EXPECT_EQ(before, total_notifications());
}

/* ---- port-destroyed --------------------------------------------------- */

TEST_F(mailbox, port_destroyed_needs_a_receive_right_and_sync_zero)
{
	__u32 x, bs, nb, prev;

	a_port_b_send(_metadata, self, &x, &bs, 1);
	ASSERT_EQ(0, mb_alloc_receive(self->fd2, &nb));
	EXPECT_EQ(EPERM, mb_request(self->fd2, bs, MAILBOX_NOTIFY_PORT_DESTROYED,
				    0, nb, MSO, &prev));
	EXPECT_EQ(EINVAL, mb_request(self->fd2, nb, MAILBOX_NOTIFY_PORT_DESTROYED,
				     1, nb, MSO, &prev));
	EXPECT_EQ(0, mb_sorights(self->fd2, nb));
}

/*
 * Port x (qlimit 4, seqno 10, two messages queued, a sender in B) with a
 * port-destroyed request to n; @kill destroys its receive right.
 */
static void expect_port_destroyed_hand_over(struct __test_metadata *_metadata,
					    FIXTURE_DATA(mailbox) *self, int kill)
{
	struct mb_notification note;
	struct mailbox_msg_header h;
	struct mailbox_port_attr at;
	__u32 x, n, bs, prev, nx, size, status;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &n));
	a_port_b_send(_metadata, self, &x, &bs, 1);
	ASSERT_EQ(0, mb_set_attr(self->fd, x, MAILBOX_ATTR_QLIMIT | MAILBOX_ATTR_SEQNO,
				 4, 10, 0));
	ASSERT_EQ(0, mb_send_hdr(self->fd2, bs, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0,
				 1, &status));
	ASSERT_EQ(0, mb_send_hdr(self->fd2, bs, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0,
				 2, &status));
	ASSERT_EQ(0, mb_request(self->fd, x, MAILBOX_NOTIFY_PORT_DESTROYED, 0, n,
				MSO, &prev));
	EXPECT_EQ(MAILBOX_PORT_NULL, prev);

	if (kill == 0) {
		ASSERT_EQ(0, mb_mod_refs(self->fd, x, MAILBOX_RIGHT_RECEIVE, -1));
	} else {
		ASSERT_EQ(0, mb_destroy(self->fd, x));
	}
	ASSERT_GONE(self->fd, x);
	/* Senders' rights stay live. */
	ASSERT_RIGHT(self->fd2, bs, SND, 1);

	ASSERT_EQ(0, mb_recv_notification(self->fd, n, &note, &size, &status));
	EXPECT_EQ(MAILBOX_NOTIFY_PORT_DESTROYED, note.h.id);
	EXPECT_EQ(sizeof(struct mailbox_notify_port_destroyed), note.h.size);
	EXPECT_EQ(40, note.h.size);
	EXPECT_EQ(40 + MB_TRAILER_SIZE, size);
	EXPECT_EQ(MAILBOX_MSGH_COMPLEX |
		  MAILBOX_MSGH_BITS(0, MAILBOX_MSG_TYPE_PORT_SEND_ONCE), note.h.bits);
	EXPECT_EQ(MAILBOX_PORT_NULL, note.h.remote_port);
	EXPECT_EQ(n, note.h.local_port);
	EXPECT_EQ(1, note.pd.body.descriptor_count);
	EXPECT_EQ(0, note.pd.rcv_right.pad1);
	EXPECT_EQ(0, note.pd.rcv_right.pad2);
	EXPECT_EQ(MAILBOX_MSG_TYPE_PORT_RECEIVE, note.pd.rcv_right.disposition);
	EXPECT_EQ(MAILBOX_MSG_PORT_DESCRIPTOR, note.pd.rcv_right.type);
	EXPECT_EQ(0, mb_trailer(&note)->sender_pid);
	EXPECT_EQ(0, mb_trailer(&note)->sender_uid);
	nx = note.pd.rcv_right.name;
	ASSERT_RIGHT(self->fd, nx, RCV, 0);

	ASSERT_EQ(0, mb_get_attr(self->fd, nx, &at));
	EXPECT_EQ(4, at.qlimit);
	EXPECT_EQ(2, at.msgcount);
	EXPECT_EQ(10, at.seqno);
	EXPECT_EQ(1, at.has_senders);
	ASSERT_EQ(0, mb_send_hdr(self->fd2, bs, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0,
				 3, &status));
	ASSERT_EQ(0, mb_recv_hdr(self->fd, nx, &h, &status));
	EXPECT_EQ(1, h.id);
	ASSERT_EQ(0, mb_recv_hdr(self->fd, nx, &h, &status));
	EXPECT_EQ(2, h.id);
	ASSERT_EQ(0, mb_recv_hdr(self->fd, nx, &h, &status));
	EXPECT_EQ(3, h.id);

	/* The request was used: destroying it now really destroys it. */
	ASSERT_EQ(0, mb_mod_refs(self->fd, nx, MAILBOX_RIGHT_RECEIVE, -1));
	ASSERT_DEAD(self->fd2, bs, 1);
	EXPECT_NOTHING(self->fd, n);
}

TEST_F(mailbox, port_destroyed_hands_the_receive_right_over_on_mod_refs)
{
	expect_port_destroyed_hand_over(_metadata, self, 0);
}

TEST_F(mailbox, port_destroyed_hands_the_receive_right_over_on_destroy)
{
	expect_port_destroyed_hand_over(_metadata, self, 1);
}

TEST_F(mailbox, port_destroyed_hands_the_receive_right_over_when_the_space_closes)
{
	struct mb_notification note;
	struct mailbox_msg_header h;
	__u32 x, nb, so, xb, prev, size, status;

	/* A's port x; B's notify port nb reached by a send-once right in A. */
	ASSERT_EQ(0, mb_alloc_receive(self->fd2, &nb));
	so = MAILBOX_PORT_NULL;
	ASSERT_EQ(0, mb_insert(self->fd2, self->fd, &so, nb, MSO));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	ASSERT_EQ(0, mb_give_send(self->fd, self->fd2, x, &xb));
	ASSERT_EQ(0, mb_send_hdr(self->fd, x, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, 0,
				 0, 44, &status));
	ASSERT_EQ(0, mb_request(self->fd, x, MAILBOX_NOTIFY_PORT_DESTROYED, 0, so,
				MAILBOX_MSG_TYPE_MOVE_SEND_ONCE, &prev));
	close(self->fd);
	self->fd = -1;

	ASSERT_EQ(0, mb_recv_notification(self->fd2, nb, &note, &size, &status));
	EXPECT_EQ(MAILBOX_NOTIFY_PORT_DESTROYED, note.h.id);
	/* B already named the port (send right): the receive right joins it. */
	EXPECT_EQ(xb, note.pd.rcv_right.name);
	ASSERT_RIGHT(self->fd2, xb, RCV | SND, 1);
	EXPECT_EQ(1, mb_msgcount(self->fd2, xb));
	ASSERT_EQ(0, mb_recv_hdr(self->fd2, xb, &h, &status));
	EXPECT_EQ(44, h.id);
}

TEST_F(mailbox, port_destroyed_to_the_port_itself_destroys_the_port)
{
	unsigned long long before;
	__u32 x, bs, prev;

	a_port_b_send(_metadata, self, &x, &bs, 1);
	ASSERT_EQ(0, mb_request(self->fd, x, MAILBOX_NOTIFY_PORT_DESTROYED, 0, x,
				MSO, &prev));
	EXPECT_EQ(1, mb_sorights(self->fd, x));
	before = total_notifications();
	ASSERT_EQ(0, mb_mod_refs(self->fd, x, MAILBOX_RIGHT_RECEIVE, -1));
	ASSERT_GONE(self->fd, x);
	ASSERT_DEAD(self->fd2, bs, 1);
	/*
	 * The port-destroyed notification counts as sent (then destroyed: it
	 * cannot go into the dying port itself); its send-once right dies
	 * with the port, so no send-once notification follows.
	 */
	EXPECT_EQ(before + 1, total_notifications());
	EXPECT_EQ(1, mb_name_count(self->fd2));
	EXPECT_EQ(0, mb_name_count(self->fd));
}

TEST_F(mailbox, port_destroyed_with_a_dead_notify_port_destroys_the_port)
{
	__u32 x, n, so, bs, prev;

	a_port_b_send(_metadata, self, &x, &bs, 1);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &n));
	ASSERT_EQ(0, mb_make_send_once(self->fd, n, &so));
	ASSERT_EQ(0, mb_request(self->fd, x, MAILBOX_NOTIFY_PORT_DESTROYED, 0, so,
				MAILBOX_MSG_TYPE_MOVE_SEND_ONCE, &prev));
	ASSERT_EQ(0, mb_mod_refs(self->fd, n, MAILBOX_RIGHT_RECEIVE, -1));
	ASSERT_EQ(0, mb_mod_refs(self->fd, x, MAILBOX_RIGHT_RECEIVE, -1));
	ASSERT_DEAD(self->fd2, bs, 1);
	EXPECT_EQ(0, mb_name_count(self->fd));
}

TEST_F(mailbox, port_destroyed_into_a_port_queued_on_it_destroys_both)
{
	static struct mb_cmsg m;
	__u32 x, n, sx, sn, prev, status;

	/* n's receive right waits in x's queue; x's notify port is n. */
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &n));
	ASSERT_EQ(0, mb_give_send(self->fd, self->fd2, x, &sx));
	ASSERT_EQ(0, mb_give_send(self->fd, self->fd2, n, &sn));
	ASSERT_EQ(0, mb_request(self->fd, x, MAILBOX_NOTIFY_PORT_DESTROYED, 0, n,
				MSO, &prev));
	ASSERT_EQ(0, mb_make_send(self->fd, x));
	mb_cmsg_init(&m, x, MAILBOX_MSG_TYPE_MOVE_SEND, 0, 0, 1);
	mb_cmsg_port(&m, n, MAILBOX_MSG_TYPE_MOVE_RECEIVE);
	ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status));
	ASSERT_EQ(0, mb_mod_refs(self->fd, x, MAILBOX_RIGHT_RECEIVE, -1));
	ASSERT_DEAD(self->fd2, sx, 1);
	ASSERT_DEAD(self->fd2, sn, 1);
	EXPECT_EQ(0, mb_name_count(self->fd));
}

/* ---- send-possible ---------------------------------------------------- */

TEST_F(mailbox, send_possible_needs_a_send_right)
{
	__u32 x, n, so, prev;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &n));
	ASSERT_EQ(0, mb_make_send_once(self->fd, x, &so));
	EXPECT_EQ(EPERM, mb_request(self->fd, x, MAILBOX_NOTIFY_SEND_POSSIBLE, 0,
				    n, MSO, &prev));
	EXPECT_EQ(EPERM, mb_request(self->fd, so, MAILBOX_NOTIFY_SEND_POSSIBLE, 0,
				    n, MSO, &prev));
	EXPECT_EQ(0, mb_sorights(self->fd, n));
}

TEST_F(mailbox, send_possible_with_sync_fires_at_once_when_there_is_room)
{
	__u32 x, bs, nb, prev;

	a_port_b_send(_metadata, self, &x, &bs, 1);
	ASSERT_EQ(0, mb_alloc_receive(self->fd2, &nb));
	ASSERT_EQ(0, mb_request(self->fd2, bs, MAILBOX_NOTIFY_SEND_POSSIBLE, 1,
				nb, MSO, &prev));
	EXPECT_NAME_NOTE(self->fd2, nb, MAILBOX_NOTIFY_SEND_POSSIBLE, bs);
	EXPECT_EQ(0, mb_sorights(self->fd2, nb));
	ASSERT_RIGHT(self->fd2, bs, SND, 1);
}

TEST_F(mailbox, send_possible_without_sync_waits_for_a_dequeue)
{
	struct mailbox_msg_header h;
	__u32 x, bs, nb, prev, status;

	a_port_b_send(_metadata, self, &x, &bs, 1);
	ASSERT_EQ(0, mb_alloc_receive(self->fd2, &nb));
	ASSERT_EQ(0, mb_send_hdr(self->fd2, bs, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0,
				 1, &status));
	ASSERT_EQ(0, mb_request(self->fd2, bs, MAILBOX_NOTIFY_SEND_POSSIBLE, 0,
				nb, MSO, &prev));
	EXPECT_NOTHING(self->fd2, nb);
	ASSERT_EQ(0, mb_recv_hdr(self->fd, x, &h, &status));
	EXPECT_NAME_NOTE(self->fd2, nb, MAILBOX_NOTIFY_SEND_POSSIBLE, bs);
	/* Once. */
	ASSERT_EQ(0, mb_send_hdr(self->fd2, bs, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0,
				 2, &status));
	ASSERT_EQ(0, mb_recv_hdr(self->fd, x, &h, &status));
	EXPECT_NOTHING(self->fd2, nb);
}

TEST_F(mailbox, send_possible_on_a_full_queue_fires_on_dequeue_not_at_once)
{
	struct mailbox_msg_header h;
	__u32 x, bs, nb, prev, status;

	a_port_b_send(_metadata, self, &x, &bs, 1);
	ASSERT_EQ(0, mb_alloc_receive(self->fd2, &nb));
	ASSERT_EQ(0, mb_set_qlimit(self->fd, x, 1));
	ASSERT_EQ(0, mb_send_hdr(self->fd2, bs, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0,
				 1, &status));
	EXPECT_EQ(EAGAIN, mb_send_hdr(self->fd2, bs, MAILBOX_MSG_TYPE_COPY_SEND,
				      0, 0, 2, &status));
	EXPECT_EQ(MAILBOX_SEND_TIMED_OUT, status);
	ASSERT_EQ(0, mb_request(self->fd2, bs, MAILBOX_NOTIFY_SEND_POSSIBLE, 1,
				nb, MSO, &prev));
	EXPECT_NOTHING(self->fd2, nb);
	ASSERT_EQ(0, mb_recv_hdr(self->fd, x, &h, &status));
	EXPECT_NAME_NOTE(self->fd2, nb, MAILBOX_NOTIFY_SEND_POSSIBLE, bs);
}

TEST_F(mailbox, send_possible_fires_when_the_qlimit_is_raised)
{
	__u32 x, bs, nb, prev, status;

	a_port_b_send(_metadata, self, &x, &bs, 1);
	ASSERT_EQ(0, mb_alloc_receive(self->fd2, &nb));
	ASSERT_EQ(0, mb_set_qlimit(self->fd, x, 2));
	ASSERT_EQ(0, mb_send_hdr(self->fd2, bs, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0,
				 1, &status));
	ASSERT_EQ(0, mb_send_hdr(self->fd2, bs, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0,
				 2, &status));
	ASSERT_EQ(0, mb_request(self->fd2, bs, MAILBOX_NOTIFY_SEND_POSSIBLE, 1,
				nb, MSO, &prev));
	EXPECT_NOTHING(self->fd2, nb);
	/* Not above msgcount yet. */
	ASSERT_EQ(0, mb_set_qlimit(self->fd, x, 2));
	EXPECT_NOTHING(self->fd2, nb);
	ASSERT_EQ(0, mb_set_qlimit(self->fd, x, 3));
	EXPECT_NAME_NOTE(self->fd2, nb, MAILBOX_NOTIFY_SEND_POSSIBLE, bs);
}

TEST_F(mailbox, send_possible_fires_as_dead_name_when_the_port_dies_first)
{
	__u32 x, bs, nb, prev, status;

	a_port_b_send(_metadata, self, &x, &bs, 1);
	ASSERT_EQ(0, mb_alloc_receive(self->fd2, &nb));
	ASSERT_EQ(0, mb_set_qlimit(self->fd, x, 1));
	ASSERT_EQ(0, mb_send_hdr(self->fd2, bs, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0,
				 1, &status));
	ASSERT_EQ(0, mb_request(self->fd2, bs, MAILBOX_NOTIFY_SEND_POSSIBLE, 0,
				nb, MSO, &prev));
	ASSERT_EQ(0, mb_destroy(self->fd, x));
	EXPECT_NAME_NOTE(self->fd2, nb, MAILBOX_NOTIFY_DEAD_NAME, bs);
	ASSERT_DEAD(self->fd2, bs, 2);
	EXPECT_NOTHING(self->fd2, nb);
}

TEST_F(mailbox, dead_name_and_send_possible_requests_both_fire_and_add_urefs)
{
	__u32 x, bs, nb, prev, status;

	a_port_b_send(_metadata, self, &x, &bs, 1);
	ASSERT_EQ(0, mb_alloc_receive(self->fd2, &nb));
	ASSERT_EQ(0, mb_set_qlimit(self->fd, x, 1));
	ASSERT_EQ(0, mb_send_hdr(self->fd2, bs, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0,
				 1, &status));
	ASSERT_EQ(0, mb_request(self->fd2, bs, MAILBOX_NOTIFY_SEND_POSSIBLE, 0,
				nb, MSO, &prev));
	ASSERT_EQ(0, mb_request(self->fd2, bs, MAILBOX_NOTIFY_DEAD_NAME, 0,
				nb, MSO, &prev));
	EXPECT_EQ(MAILBOX_PORT_NULL, prev);
	ASSERT_EQ(0, mb_destroy(self->fd, x));
	EXPECT_NAME_NOTE(self->fd2, nb, MAILBOX_NOTIFY_DEAD_NAME, bs);
	EXPECT_NAME_NOTE(self->fd2, nb, MAILBOX_NOTIFY_DEAD_NAME, bs);
	ASSERT_DEAD(self->fd2, bs, 3);
}

/* ---- clean-up --------------------------------------------------------- */

TEST_F(mailbox, pending_requests_are_released_when_every_space_closes)
{
	char bad[160];
	__u32 x, n, bs, nb, prev, status;

	a_port_b_send(_metadata, self, &x, &bs, 1);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &n));
	ASSERT_EQ(0, mb_alloc_receive(self->fd2, &nb));
	ASSERT_EQ(0, mb_request(self->fd, x, MAILBOX_NOTIFY_NO_SENDERS, 9, n,
				MSO, &prev));
	ASSERT_EQ(0, mb_request(self->fd, x, MAILBOX_NOTIFY_PORT_DESTROYED, 0, n,
				MSO, &prev));
	ASSERT_EQ(0, mb_request(self->fd2, bs, MAILBOX_NOTIFY_DEAD_NAME, 0, nb,
				MSO, &prev));
	ASSERT_EQ(0, mb_set_qlimit(self->fd, x, 1));
	ASSERT_EQ(0, mb_send_hdr(self->fd2, bs, MAILBOX_MSG_TYPE_COPY_SEND, nb,
				 MSO, 1, &status));
	ASSERT_EQ(0, mb_request(self->fd2, bs, MAILBOX_NOTIFY_SEND_POSSIBLE, 0,
				nb, MSO, &prev));
	close(self->fd);
	self->fd = -1;
	close(self->fd2);
	self->fd2 = -1;
	ASSERT_EQ(0, mb_counters_zero(bad, sizeof(bad))) TH_LOG("%s", bad);
}

TEST_HARNESS_MAIN
