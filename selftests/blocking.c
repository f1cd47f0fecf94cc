// SPDX-License-Identifier: GPL-2.0
/*
 * Waiting in MAILBOX_IOC_MSG: receivers on an empty port and senders on a
 * full queue, seen from a helper thread that must still be blocked after
 * 100 ms and must then wake; timeouts, O_NONBLOCK, signals, and the port
 * dying under a waiter. Timing only matters for the "still blocked" checks.
 */
#include "mailbox_test.h"

#include "kselftest_harness.h"

FIXTURE(mailbox) {
	int fd;
	int fd2;	/* a second space, opened on demand */
};

FIXTURE_SETUP(mailbox)
{
	self->fd2 = -1;
	self->fd = mb_open();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MB_DEVICE, strerror(errno));
}

FIXTURE_TEARDOWN(mailbox)
{
	if (self->fd2 >= 0)
		close(self->fd2);
	if (self->fd >= 0)
		close(self->fd);
}

static int open_second(FIXTURE_DATA(mailbox) *self)
{
	self->fd2 = mb_open();
	return self->fd2;
}

/* A port with one send uref, qlimit @qlimit, and @queued messages queued. */
static int full_port(int fd, __u32 *port, __u32 qlimit, __u32 queued)
{
	__u32 i;
	int err;

	err = mb_alloc_receive(fd, port);
	if (!err)
		err = mb_make_send(fd, *port);
	if (!err)
		err = mb_set_qlimit(fd, *port, qlimit);
	for (i = 0; !err && i < queued; i++)
		err = mb_send_hdr(fd, *port, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, i, NULL);
	return err;
}

static void noop_handler(int sig)
{
	(void)sig;
}

static int install_sigusr1(void)
{
	struct sigaction sa = { .sa_handler = noop_handler };

	/* No SA_RESTART: an interrupted call returns EINTR. */
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGUSR1, &sa, NULL);
}

/* Signal the thread until its call returns (the first may come too early). */
static void interrupt_until_done(struct mb_async *a)
{
	int i;

	for (i = 0; i < 500 && !mb_async_done(a); i++) {
		pthread_kill(a->thread, SIGUSR1);
		usleep(10 * 1000);
	}
}

/* Receive. */

TEST_F(mailbox, receiver_blocks_until_a_message_arrives)
{
	struct mailbox_msg_header *h;
	struct mb_async a;
	__u32 port;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	ASSERT_EQ(0, mb_async_recv(&a, self->fd, port, 0, 0));
	mb_pause();
	ASSERT_FALSE(mb_async_done(&a));

	ASSERT_EQ(0, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_MAKE_SEND, 0, 0, 99, NULL));
	ASSERT_EQ(0, mb_async_join(&a, 10));
	EXPECT_EQ(0, a.err);
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, a.m.status);
	EXPECT_EQ(MB_HDR_SIZE, a.m.rcv_size);
	h = (void *)a.buf;
	EXPECT_EQ(99, h->id);
	EXPECT_EQ(port, h->local_port);
	EXPECT_EQ(0, mb_msgcount(self->fd, port));
}

TEST_F(mailbox, one_message_wakes_one_of_two_receivers)
{
	struct mb_async a, b;
	__u32 port;
	int i;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	ASSERT_EQ(0, mb_async_recv(&a, self->fd, port, 0, 0));
	ASSERT_EQ(0, mb_async_recv(&b, self->fd, port, 0, 0));
	mb_pause();
	ASSERT_FALSE(mb_async_done(&a));
	ASSERT_FALSE(mb_async_done(&b));

	ASSERT_EQ(0, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_MAKE_SEND, 0, 0, 1, NULL));
	for (i = 0; i < 1000 && !mb_async_done(&a) && !mb_async_done(&b); i++)
		usleep(10 * 1000);
	mb_pause();
	EXPECT_EQ(1, mb_async_done(&a) + mb_async_done(&b));

	ASSERT_EQ(0, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_MAKE_SEND, 0, 0, 2, NULL));
	ASSERT_EQ(0, mb_async_join(&a, 10));
	ASSERT_EQ(0, mb_async_join(&b, 10));
	EXPECT_EQ(0, a.err);
	EXPECT_EQ(0, b.err);
	EXPECT_EQ(3, ((struct mailbox_msg_header *)a.buf)->id +
		     ((struct mailbox_msg_header *)b.buf)->id);
}

TEST_F(mailbox, receive_with_timeout_zero_on_an_empty_port_fails_with_eagain)
{
	struct mailbox_msg_header h;
	__u32 port, status;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	EXPECT_EQ(EAGAIN, mb_recv_hdr(self->fd, port, &h, &status));
	EXPECT_EQ(MAILBOX_RCV_TIMED_OUT, status);
}

TEST_F(mailbox, receive_with_o_nonblock_on_an_empty_port_fails_with_eagain)
{
	struct mailbox_msg_header h;
	__u32 port, size, status;
	int nfd, fl;

	nfd = open(MB_DEVICE, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	ASSERT_LE(0, nfd);
	ASSERT_EQ(0, mb_alloc_receive(nfd, &port));
	size = sizeof(h);
	EXPECT_EQ(EAGAIN, mb_recv(nfd, port, &h, &size, 0, 0, &status));
	EXPECT_EQ(MAILBOX_RCV_TIMED_OUT, status);
	close(nfd);

	/* O_NONBLOCK set later with fcntl counts as well. */
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	fl = fcntl(self->fd, F_GETFL);
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, fl | O_NONBLOCK));
	size = sizeof(h);
	EXPECT_EQ(EAGAIN, mb_recv(self->fd, port, &h, &size, 0, 0, &status));
	EXPECT_EQ(MAILBOX_RCV_TIMED_OUT, status);
}

TEST_F(mailbox, receive_times_out_with_etimedout)
{
	struct mailbox_msg_header h;
	__u32 port, size, status;
	__u64 t0, t1;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	size = sizeof(h);
	t0 = mb_now_ns();
	EXPECT_EQ(ETIMEDOUT, mb_recv(self->fd, port, &h, &size, MAILBOX_MSG_RCV_TIMEOUT,
				     50 * MB_MSEC, &status));
	t1 = mb_now_ns();
	EXPECT_EQ(MAILBOX_RCV_TIMED_OUT, status);
	EXPECT_LE(50 * MB_MSEC, t1 - t0);
}

TEST_F(mailbox, receive_with_o_nonblock_and_a_timeout_waits_for_the_timeout)
{
	struct mailbox_msg_header h;
	__u32 port, size, status;
	__u64 t0, t1;
	int nfd;

	nfd = open(MB_DEVICE, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	ASSERT_LE(0, nfd);
	ASSERT_EQ(0, mb_alloc_receive(nfd, &port));
	size = sizeof(h);
	t0 = mb_now_ns();
	EXPECT_EQ(ETIMEDOUT, mb_recv(nfd, port, &h, &size, MAILBOX_MSG_RCV_TIMEOUT,
				     20 * MB_MSEC, &status));
	t1 = mb_now_ns();
	EXPECT_EQ(MAILBOX_RCV_TIMED_OUT, status);
	EXPECT_LE(20 * MB_MSEC, t1 - t0);
	close(nfd);
}

TEST_F(mailbox, receive_with_infinite_timeout_waits)
{
	struct mb_async a;
	__u32 port;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	ASSERT_EQ(0, mb_async_recv(&a, self->fd, port, MAILBOX_MSG_RCV_TIMEOUT,
				   MAILBOX_TIMEOUT_INFINITE));
	mb_pause();
	ASSERT_FALSE(mb_async_done(&a));
	ASSERT_EQ(0, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_MAKE_SEND, 0, 0, 1, NULL));
	ASSERT_EQ(0, mb_async_join(&a, 10));
	EXPECT_EQ(0, a.err);
}

TEST_F(mailbox, signal_interrupts_a_blocked_receive_with_eintr)
{
	struct mb_async a;
	__u32 port;

	ASSERT_EQ(0, install_sigusr1());
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	ASSERT_EQ(0, mb_async_recv(&a, self->fd, port, 0, 0));
	mb_pause();
	ASSERT_FALSE(mb_async_done(&a));
	interrupt_until_done(&a);
	ASSERT_EQ(0, mb_async_join(&a, 10));
	EXPECT_EQ(EINTR, a.err);
	EXPECT_EQ(MAILBOX_RCV_INTERRUPTED, a.m.status);
	/* The port still works. */
	ASSERT_EQ(0, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_MAKE_SEND, 0, 0, 1, NULL));
	EXPECT_EQ(1, mb_msgcount(self->fd, port));
}

TEST_F(mailbox, destroying_the_receive_right_wakes_a_receiver_with_epipe)
{
	struct mb_async a;
	__u32 port;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	ASSERT_EQ(0, mb_async_recv(&a, self->fd, port, 0, 0));
	mb_pause();
	ASSERT_FALSE(mb_async_done(&a));
	ASSERT_EQ(0, mb_destroy(self->fd, port));
	ASSERT_EQ(0, mb_async_join(&a, 10));
	EXPECT_EQ(EPIPE, a.err);
	EXPECT_EQ(MAILBOX_RCV_PORT_DIED, a.m.status);
}

TEST_F(mailbox, mod_refs_on_the_receive_right_wakes_a_receiver_with_epipe)
{
	struct mb_async a;
	__u32 port;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	ASSERT_EQ(0, mb_async_recv(&a, self->fd, port, 0, 0));
	mb_pause();
	ASSERT_FALSE(mb_async_done(&a));
	ASSERT_EQ(0, mb_mod_refs(self->fd, port, MAILBOX_RIGHT_RECEIVE, -1));
	ASSERT_EQ(0, mb_async_join(&a, 10));
	EXPECT_EQ(EPIPE, a.err);
	EXPECT_EQ(MAILBOX_RCV_PORT_DIED, a.m.status);
}

/* Send to a full queue. */

TEST_F(mailbox, sender_blocks_on_a_full_queue_until_a_receive)
{
	struct mailbox_msg_header h;
	struct mb_async a;
	__u32 port;

	ASSERT_EQ(0, full_port(self->fd, &port, 1, 1));
	ASSERT_EQ(0, mb_async_send(&a, self->fd, port, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0,
				   2, 0, 0));
	mb_pause();
	ASSERT_FALSE(mb_async_done(&a));
	EXPECT_EQ(1, mb_msgcount(self->fd, port));

	ASSERT_EQ(0, mb_recv_hdr(self->fd, port, &h, NULL));
	EXPECT_EQ(0, h.id);
	ASSERT_EQ(0, mb_async_join(&a, 10));
	EXPECT_EQ(0, a.err);
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, a.m.status);
	EXPECT_EQ(1, mb_msgcount(self->fd, port));
	ASSERT_EQ(0, mb_recv_hdr(self->fd, port, &h, NULL));
	EXPECT_EQ(2, h.id);
}

TEST_F(mailbox, send_timeout_is_ignored_without_the_send_timeout_option)
{
	struct mailbox_msg_header h;
	struct mb_async a;
	__u32 port;

	ASSERT_EQ(0, full_port(self->fd, &port, 1, 1));
	/* send_timeout 0 but no SEND_TIMEOUT: waits. */
	ASSERT_EQ(0, mb_async_send(&a, self->fd, port, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0,
				   2, 0, 0));
	mb_pause();
	ASSERT_FALSE(mb_async_done(&a));
	ASSERT_EQ(0, mb_recv_hdr(self->fd, port, &h, NULL));
	ASSERT_EQ(0, mb_async_join(&a, 10));
	EXPECT_EQ(0, a.err);
}

TEST_F(mailbox, raising_the_queue_limit_wakes_a_blocked_sender)
{
	struct mb_async a;
	__u32 port;

	ASSERT_EQ(0, full_port(self->fd, &port, 1, 1));
	ASSERT_EQ(0, mb_async_send(&a, self->fd, port, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0,
				   2, 0, 0));
	mb_pause();
	ASSERT_FALSE(mb_async_done(&a));
	ASSERT_EQ(0, mb_set_qlimit(self->fd, port, 2));
	ASSERT_EQ(0, mb_async_join(&a, 10));
	EXPECT_EQ(0, a.err);
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, a.m.status);
	EXPECT_EQ(2, mb_msgcount(self->fd, port));
}

TEST_F(mailbox, send_to_a_full_queue_with_timeout_zero_fails_with_eagain)
{
	__u32 port, status;

	ASSERT_EQ(0, full_port(self->fd, &port, MAILBOX_QLIMIT_DEFAULT, MAILBOX_QLIMIT_DEFAULT));
	EXPECT_EQ(EAGAIN, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 9,
				      &status));
	EXPECT_EQ(MAILBOX_SEND_TIMED_OUT, status);
	EXPECT_EQ(MAILBOX_QLIMIT_DEFAULT, mb_msgcount(self->fd, port));
}

TEST_F(mailbox, send_to_a_full_queue_with_o_nonblock_fails_with_eagain)
{
	struct mailbox_msg_header h;
	__u32 port, status;
	int nfd;

	nfd = open(MB_DEVICE, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	ASSERT_LE(0, nfd);
	ASSERT_EQ(0, full_port(nfd, &port, 1, 1));
	mb_header(&h, port, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 2);
	EXPECT_EQ(EAGAIN, mb_send(nfd, &h, sizeof(h), 0, 0, &status));
	EXPECT_EQ(MAILBOX_SEND_TIMED_OUT, status);
	EXPECT_EQ(1, mb_msgcount(nfd, port));
	close(nfd);
}

TEST_F(mailbox, send_to_a_full_queue_times_out_with_etimedout)
{
	struct mailbox_msg_header h;
	__u32 port, status;
	__u64 t0, t1;

	ASSERT_EQ(0, full_port(self->fd, &port, 1, 1));
	mb_header(&h, port, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 2);
	t0 = mb_now_ns();
	EXPECT_EQ(ETIMEDOUT, mb_send(self->fd, &h, sizeof(h), MAILBOX_MSG_SEND_TIMEOUT,
				     50 * MB_MSEC, &status));
	t1 = mb_now_ns();
	EXPECT_EQ(MAILBOX_SEND_TIMED_OUT, status);
	EXPECT_LE(50 * MB_MSEC, t1 - t0);
	EXPECT_EQ(1, mb_msgcount(self->fd, port));
}

/*
 * After a send that timed out every right is back exactly where it was;
 * the variants cover each reply disposition (destination: MOVE_SEND).
 */
FIXTURE(timed_out) {
	int fd;
	__u32 port;
	__u32 q;
	__u32 reply;
};

FIXTURE_VARIANT(timed_out) {
	__u32 reply_disposition;
	int q_send_urefs;	/* send urefs made on q first */
	bool send_once;		/* reply through a send-once right made first */
};

FIXTURE_VARIANT_ADD(timed_out, no_reply) {
	.reply_disposition = 0,
};

FIXTURE_VARIANT_ADD(timed_out, reply_make_send) {
	.reply_disposition = MAILBOX_MSG_TYPE_MAKE_SEND,
};

FIXTURE_VARIANT_ADD(timed_out, reply_copy_send) {
	.reply_disposition = MAILBOX_MSG_TYPE_COPY_SEND,
	.q_send_urefs = 1,
};

FIXTURE_VARIANT_ADD(timed_out, reply_move_send) {
	.reply_disposition = MAILBOX_MSG_TYPE_MOVE_SEND,
	.q_send_urefs = 1,
};

FIXTURE_VARIANT_ADD(timed_out, reply_make_send_once) {
	.reply_disposition = MAILBOX_MSG_TYPE_MAKE_SEND_ONCE,
};

FIXTURE_VARIANT_ADD(timed_out, reply_move_send_once) {
	.reply_disposition = MAILBOX_MSG_TYPE_MOVE_SEND_ONCE,
	.send_once = true,
};

FIXTURE_SETUP(timed_out)
{
	int i;

	self->fd = mb_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, full_port(self->fd, &self->port, 1, 1));
	ASSERT_EQ(0, mb_make_send(self->fd, self->port));	/* 2 urefs */
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &self->q));
	for (i = 0; i < variant->q_send_urefs; i++)
		ASSERT_EQ(0, mb_make_send(self->fd, self->q));
	self->reply = variant->reply_disposition ? self->q : MAILBOX_PORT_NULL;
	if (variant->send_once)
		ASSERT_EQ(0, mb_make_send_once(self->fd, self->q, &self->reply));
}

FIXTURE_TEARDOWN(timed_out)
{
	close(self->fd);
}

TEST_F(timed_out, rights_come_back_exactly_after_a_timed_out_send)
{
	struct mailbox_port_attr before, after;
	struct mailbox_port_type t;
	struct mailbox_msg_header h;
	__u32 status;

	ASSERT_EQ(0, mb_get_attr(self->fd, self->q, &before));
	mb_header(&h, self->port, MAILBOX_MSG_TYPE_MOVE_SEND, self->reply,
		  variant->reply_disposition, 2);
	EXPECT_EQ(ETIMEDOUT, mb_send(self->fd, &h, sizeof(h), MAILBOX_MSG_SEND_TIMEOUT,
				     20 * MB_MSEC, &status));
	EXPECT_EQ(MAILBOX_SEND_TIMED_OUT, status);

	ASSERT_EQ(0, mb_type(self->fd, self->port, &t));
	EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE | MAILBOX_PORT_TYPE_SEND, t.type);
	EXPECT_EQ(2, t.send_urefs);
	EXPECT_EQ(1, mb_msgcount(self->fd, self->port));

	ASSERT_EQ(0, mb_type(self->fd, self->q, &t));
	EXPECT_EQ(variant->q_send_urefs ? MAILBOX_PORT_TYPE_RECEIVE | MAILBOX_PORT_TYPE_SEND :
		  MAILBOX_PORT_TYPE_RECEIVE, t.type);
	EXPECT_EQ(variant->q_send_urefs, t.send_urefs);
	if (variant->send_once)
		EXPECT_EQ(MAILBOX_PORT_TYPE_SEND_ONCE, mb_type_bits(self->fd, self->reply));
	ASSERT_EQ(0, mb_get_attr(self->fd, self->q, &after));
	EXPECT_EQ(before.sorights, after.sorights);
	EXPECT_EQ(before.has_senders, after.has_senders);
	EXPECT_EQ(0, after.msgcount);

	/* And the same send goes through once there is room. */
	ASSERT_EQ(0, mb_recv_hdr(self->fd, self->port, &h, NULL));
	mb_header(&h, self->port, MAILBOX_MSG_TYPE_MOVE_SEND, self->reply,
		  variant->reply_disposition, 3);
	ASSERT_EQ(0, mb_send(self->fd, &h, sizeof(h), MAILBOX_MSG_SEND_TIMEOUT, 0, &status));
	EXPECT_EQ(1, mb_send_urefs(self->fd, self->port));
}

TEST_F(mailbox, signal_interrupts_a_blocked_send_with_eintr_and_keeps_the_rights)
{
	struct mb_async a;
	__u32 port, q, so;

	ASSERT_EQ(0, install_sigusr1());
	ASSERT_EQ(0, full_port(self->fd, &port, 1, 1));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &q));
	ASSERT_EQ(0, mb_make_send_once(self->fd, q, &so));
	ASSERT_EQ(0, mb_async_send(&a, self->fd, port, MAILBOX_MSG_TYPE_MOVE_SEND,
				   so, MAILBOX_MSG_TYPE_MOVE_SEND_ONCE, 2, 0, 0));
	mb_pause();
	ASSERT_FALSE(mb_async_done(&a));
	interrupt_until_done(&a);
	ASSERT_EQ(0, mb_async_join(&a, 10));
	EXPECT_EQ(EINTR, a.err);
	EXPECT_EQ(MAILBOX_SEND_INTERRUPTED, a.m.status);
	EXPECT_EQ(1, mb_send_urefs(self->fd, port));
	EXPECT_EQ(MAILBOX_PORT_TYPE_SEND_ONCE, mb_type_bits(self->fd, so));
	EXPECT_EQ(1, mb_sorights(self->fd, q));
	EXPECT_EQ(1, mb_msgcount(self->fd, port));
}

TEST_F(mailbox, port_destroyed_under_a_blocked_sender_fails_it_with_epipe)
{
	struct mb_async a;
	__u32 port, s;

	ASSERT_LE(0, open_second(self));
	ASSERT_EQ(0, full_port(self->fd, &port, 1, 1));
	ASSERT_EQ(0, mb_give_send(self->fd, self->fd2, port, &s));
	ASSERT_EQ(0, mb_mod_refs(self->fd2, s, MAILBOX_RIGHT_SEND, 1));
	ASSERT_EQ(0, mb_async_send(&a, self->fd2, s, MAILBOX_MSG_TYPE_MOVE_SEND, 0, 0,
				   2, 0, 0));
	mb_pause();
	ASSERT_FALSE(mb_async_done(&a));
	ASSERT_EQ(0, mb_destroy(self->fd, port));
	ASSERT_EQ(0, mb_async_join(&a, 10));
	EXPECT_EQ(EPIPE, a.err);
	EXPECT_EQ(MAILBOX_SEND_INVALID_DEST, a.m.status);
	/* The moved uref came back, as a dead name. */
	EXPECT_EQ(MAILBOX_PORT_TYPE_DEAD_NAME, mb_type_bits(self->fd2, s));
	EXPECT_EQ(2, mb_dead_urefs(self->fd2, s));
}

TEST_F(mailbox, closing_the_receivers_space_wakes_a_blocked_sender_with_epipe)
{
	struct mb_async a;
	__u32 port, s;

	ASSERT_LE(0, open_second(self));
	ASSERT_EQ(0, full_port(self->fd2, &port, 1, 1));
	ASSERT_EQ(0, mb_give_send(self->fd2, self->fd, port, &s));
	ASSERT_EQ(0, mb_async_send(&a, self->fd, s, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0,
				   2, 0, 0));
	mb_pause();
	ASSERT_FALSE(mb_async_done(&a));
	ASSERT_EQ(0, close(self->fd2));
	self->fd2 = -1;
	ASSERT_EQ(0, mb_async_join(&a, 10));
	EXPECT_EQ(EPIPE, a.err);
	EXPECT_EQ(MAILBOX_SEND_INVALID_DEST, a.m.status);
	EXPECT_EQ(1, mb_dead_urefs(self->fd, s));
}

TEST_F(mailbox, several_blocked_senders_all_get_through)
{
	struct mb_async a[4];
	struct mailbox_msg_header h;
	int i, seen = 0;
	__u32 port;

	ASSERT_EQ(0, full_port(self->fd, &port, 1, 1));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, mb_async_send(&a[i], self->fd, port, MAILBOX_MSG_TYPE_COPY_SEND,
					   0, 0, 1 << i, 0, 0));
	mb_pause();
	for (i = 0; i < 4; i++)
		ASSERT_FALSE(mb_async_done(&a[i]));
	/* The first message, then one from each sender. */
	ASSERT_EQ(0, mb_recv_hdr(self->fd, port, &h, NULL));
	EXPECT_EQ(0, h.id);
	for (i = 0; i < 4; i++) {
		__u32 size = sizeof(h);

		ASSERT_EQ(0, mb_recv(self->fd, port, &h, &size, MAILBOX_MSG_RCV_TIMEOUT,
				     10000 * MB_MSEC, NULL));
		seen |= h.id;
	}
	EXPECT_EQ(0xf, seen);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, mb_async_join(&a[i], 10));
		EXPECT_EQ(0, a[i].err);
		EXPECT_EQ(MAILBOX_MSG_SUCCESS, a[i].m.status);
	}
}

/* MAILBOX_PORT_FLAG_BATCH_WAKE. */

/* A full port (4 of 4 queued) with MAILBOX_PORT_FLAG_BATCH_WAKE. */
static int batch_wake_full_port(int fd, __u32 *port)
{
	int err = full_port(fd, port, 4, 4);

	return err ? err : mb_set_port_flags(fd, *port, MAILBOX_PORT_FLAG_BATCH_WAKE);
}

TEST_F(mailbox, batch_wake_lets_blocked_senders_sleep_until_the_queue_is_half_empty)
{
	struct mailbox_msg_header h;
	struct mb_async a[2];
	int i;
	__u32 port;

	ASSERT_EQ(0, batch_wake_full_port(self->fd, &port));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, mb_async_send(&a[i], self->fd, port, MAILBOX_MSG_TYPE_COPY_SEND,
					   0, 0, 100 + i, 0, 0));
	mb_pause();
	/* 3 of 4 queued: room for one, but above half: both still asleep. */
	ASSERT_EQ(0, mb_recv_hdr(self->fd, port, &h, NULL));
	mb_pause();
	EXPECT_FALSE(mb_async_done(&a[0]));
	EXPECT_FALSE(mb_async_done(&a[1]));
	EXPECT_EQ(3, mb_msgcount(self->fd, port));
	/* 2 of 4: both woken, both get through. */
	ASSERT_EQ(0, mb_recv_hdr(self->fd, port, &h, NULL));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, mb_async_join(&a[i], 10));
		EXPECT_EQ(0, a[i].err);
		EXPECT_EQ(MAILBOX_MSG_SUCCESS, a[i].m.status);
	}
	EXPECT_EQ(4, mb_msgcount(self->fd, port));
	EXPECT_EQ(MAILBOX_PORT_FLAG_BATCH_WAKE, mb_port_flags(self->fd, port));
}

TEST_F(mailbox, clearing_batch_wake_wakes_a_sleeping_sender_when_there_is_room)
{
	struct mailbox_msg_header h;
	struct mb_async a;
	__u32 port;

	ASSERT_EQ(0, batch_wake_full_port(self->fd, &port));
	ASSERT_EQ(0, mb_async_send(&a, self->fd, port, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0,
				   7, 0, 0));
	mb_pause();
	ASSERT_EQ(0, mb_recv_hdr(self->fd, port, &h, NULL));
	mb_pause();
	ASSERT_FALSE(mb_async_done(&a));
	ASSERT_EQ(0, mb_set_port_flags(self->fd, port, 0));
	ASSERT_EQ(0, mb_async_join(&a, 10));
	EXPECT_EQ(0, a.err);
	EXPECT_EQ(4, mb_msgcount(self->fd, port));
}

TEST_F(mailbox, a_batch_wake_sender_whose_timeout_ends_with_room_sends)
{
	struct mailbox_msg_header h;
	struct mb_async a;
	__u32 port;

	ASSERT_EQ(0, batch_wake_full_port(self->fd, &port));
	ASSERT_EQ(0, mb_async_send(&a, self->fd, port, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0,
				   7, MAILBOX_MSG_SEND_TIMEOUT, 300 * MB_MSEC));
	mb_pause();
	/* Room for it, but it sleeps on: its timeout wakes it, it sends. */
	ASSERT_EQ(0, mb_recv_hdr(self->fd, port, &h, NULL));
	ASSERT_EQ(0, mb_async_join(&a, 10));
	EXPECT_EQ(0, a.err);
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, a.m.status);
	EXPECT_EQ(4, mb_msgcount(self->fd, port));
}

TEST_F(mailbox, receive_with_a_timeout_gets_a_message_sent_before_it_expires)
{
	struct mb_async a;
	__u32 port;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	ASSERT_EQ(0, mb_async_recv(&a, self->fd, port, MAILBOX_MSG_RCV_TIMEOUT,
				   20000 * MB_MSEC));
	mb_pause();
	ASSERT_FALSE(mb_async_done(&a));
	ASSERT_EQ(0, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_MAKE_SEND, 0, 0, 5, NULL));
	ASSERT_EQ(0, mb_async_join(&a, 10));
	EXPECT_EQ(0, a.err);
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, a.m.status);
	EXPECT_EQ(5, ((struct mailbox_msg_header *)a.buf)->id);
}

TEST_F(mailbox, send_with_o_nonblock_and_a_timeout_waits_for_the_timeout)
{
	struct mailbox_msg_header h;
	__u32 port, status;
	__u64 t0, t1;
	int nfd;

	nfd = open(MB_DEVICE, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	ASSERT_LE(0, nfd);
	ASSERT_EQ(0, full_port(nfd, &port, 1, 1));
	mb_header(&h, port, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 2);
	t0 = mb_now_ns();
	EXPECT_EQ(ETIMEDOUT, mb_send(nfd, &h, sizeof(h), MAILBOX_MSG_SEND_TIMEOUT,
				     20 * MB_MSEC, &status));
	t1 = mb_now_ns();
	EXPECT_EQ(MAILBOX_SEND_TIMED_OUT, status);
	EXPECT_LE(20 * MB_MSEC, t1 - t0);
	close(nfd);
}

TEST_F(mailbox, signal_in_the_receive_phase_reports_rcv_interrupted_after_sending)
{
	struct mb_async a;
	__u32 port, reply;

	ASSERT_EQ(0, install_sigusr1());
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &reply));
	/* Send to port, then wait on the empty reply port. */
	memset(&a, 0, sizeof(a));
	a.fd = self->fd;
	mb_header((void *)a.buf, port, MAILBOX_MSG_TYPE_MAKE_SEND, reply,
		  MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, 2);
	a.m.send_msg = (uintptr_t)a.buf;
	a.m.send_size = MB_HDR_SIZE;
	a.m.rcv_msg = (uintptr_t)(a.buf + 64);
	a.m.rcv_size = sizeof(a.buf) - 64;
	a.m.rcv_name = reply;
	a.m.options = MAILBOX_MSG_SEND | MAILBOX_MSG_RCV;
	a.m.status = MB_PATTERN32;
	ASSERT_EQ(0, pthread_create(&a.thread, NULL, mb_async_fn, &a));
	mb_pause();
	ASSERT_FALSE(mb_async_done(&a));
	EXPECT_EQ(1, mb_msgcount(self->fd, port));
	interrupt_until_done(&a);
	ASSERT_EQ(0, mb_async_join(&a, 10));
	EXPECT_EQ(EINTR, a.err);
	EXPECT_EQ(MAILBOX_RCV_INTERRUPTED, a.m.status);
	/* The request was sent exactly once. */
	EXPECT_EQ(1, mb_msgcount(self->fd, port));
	EXPECT_EQ(1, mb_sorights(self->fd, reply));
}

TEST_HARNESS_MAIN
