// SPDX-License-Identifier: GPL-2.0
/*
 * Erlang-style asynchronous send with backpressure, end to end, as
 * Documentation/qnx-and-priority-inheritance.rst describes it: a producer
 * never blocks in send (timeout 0); on a full queue it gets
 * MAILBOX_SEND_TIMED_OUT / EAGAIN, arms a send-possible notification and
 * waits for it on its own port, then sends again. A mailbox-like port
 * raises its qlimit up to the qlimit_max module parameter. (The pieces are
 * tested one by one in notifications.c and ports.c; this runs them together,
 * across processes.)
 */
#include "mailbox_test.h"

#include "kselftest_harness.h"

#define N_MSGS		40
#define QLIMIT		3

FIXTURE(bp) {
	int fd;
};

FIXTURE_SETUP(bp)
{
	self->fd = mb_open();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(bp)
{
	close(self->fd);
}

static int arm_send_possible(int fd, __u32 dest, __u32 notify)
{
	struct mailbox_port_request_notification rn = {
		.name = dest,
		.variant = MAILBOX_NOTIFY_SEND_POSSIBLE,
		.sync = 1,	/* fire at once if there is room already */
		.notify = notify,
		.disposition = MAILBOX_MSG_TYPE_MAKE_SEND_ONCE,
	};

	return mb_ioctl(fd, MAILBOX_IOC_PORT_REQUEST_NOTIFICATION, &rn);
}

/*
 * The producer (a child with its own space): N_MSGS messages, ids 0..N-1,
 * never blocking in send. Counts its EAGAINs into *@full_seen.
 */
static int producer(int parent_fd, __u32 inbox, int go_fd, int *full_seen)
{
	__u32 dest = MAILBOX_PORT_NULL, notes, status;
	int fd = mb_open(), i, err;

	if (fd < 0)
		return 10;
	if (mb_insert(parent_fd, fd, &dest, inbox, MAILBOX_MSG_TYPE_MAKE_SEND))
		return 11;
	if (mb_alloc_receive(fd, &notes))
		return 12;
	*full_seen = 0;
	for (i = 0; i < N_MSGS; i++) {
		for (;;) {
			err = mb_send_hdr(fd, dest, MAILBOX_MSG_TYPE_COPY_SEND,
					  0, 0, i, &status);
			if (!err)
				break;
			if (err != EAGAIN || status != MAILBOX_SEND_TIMED_OUT)
				return 13;
			if (++*full_seen == 1) {
				/* The consumer starts only once we hit the limit. */
				if (write(go_fd, "g", 1) != 1)
					return 14;
			}
			/* Wait for room, without holding a message. */
			if (arm_send_possible(fd, dest, notes))
				return 15;
			{
				struct mailbox_notify_name n;
				__u32 size = sizeof(n);

				if (mb_recv(fd, notes, &n, &size, 0, 0, NULL) ||
				    n.header.id != MAILBOX_NOTIFY_SEND_POSSIBLE ||
				    n.name != dest)
					return 16;
			}
		}
	}
	return 0;
}

TEST_F(bp, full_queue_eagain_send_possible_then_send_succeeds_across_processes)
{
	int go[2], full_seen = 0, i;
	__u32 inbox;
	pid_t pid;
	char c;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &inbox));
	ASSERT_EQ(0, mb_set_qlimit(self->fd, inbox, QLIMIT));
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int ret;

		mb_child_init();
		close(go[0]);
		ret = producer(self->fd, inbox, go[1], &full_seen);
		if (!ret && full_seen < 1)
			ret = 17;
		_exit(ret);
	}
	close(go[1]);
	/* The producer filled the queue and saw EAGAIN before we receive. */
	ASSERT_EQ(1, read(go[0], &c, 1));
	EXPECT_EQ(QLIMIT, mb_msgcount(self->fd, inbox));
	for (i = 0; i < N_MSGS; i++) {
		struct mailbox_msg_header h;
		__u32 size = sizeof(h);

		ASSERT_EQ(0, mb_recv(self->fd, inbox, &h, &size,
				     MAILBOX_MSG_RCV_TIMEOUT, 10000 * MB_MSEC, NULL))
			TH_LOG("message %d", i);
		/* Nothing lost, nothing reordered. */
		EXPECT_EQ(i, h.id);
		EXPECT_GE(QLIMIT, mb_msgcount(self->fd, inbox));
	}
	EXPECT_EQ(0, mb_wait_child(pid));
	close(go[0]);
}

TEST_F(bp, mailbox_like_port_raises_qlimit_to_qlimit_max)
{
	struct mailbox_version v;
	__u32 port, send = MAILBOX_PORT_NULL, status, i;
	struct mailbox_port_attr a;

	ASSERT_EQ(0, mb_version(self->fd, &v));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	send = port;
	ASSERT_EQ(0, mb_make_send(self->fd, send));
	EXPECT_EQ(EINVAL, mb_set_qlimit(self->fd, port, v.qlimit_max + 1));
	ASSERT_EQ(0, mb_get_attr(self->fd, port, &a));
	EXPECT_EQ(MAILBOX_QLIMIT_DEFAULT, a.qlimit);
	ASSERT_EQ(0, mb_set_qlimit(self->fd, port, v.qlimit_max));
	/* An Erlang process's mailbox: qlimit_max messages without waiting. */
	for (i = 0; i < v.qlimit_max; i++)
		ASSERT_EQ(0, mb_send_hdr(self->fd, send, MAILBOX_MSG_TYPE_COPY_SEND,
					 0, 0, (__s32)i, &status)) TH_LOG("message %u", i);
	EXPECT_EQ(EAGAIN, mb_send_hdr(self->fd, send, MAILBOX_MSG_TYPE_COPY_SEND,
				      0, 0, -1, &status));
	EXPECT_EQ(MAILBOX_SEND_TIMED_OUT, status);
	ASSERT_EQ(0, mb_get_attr(self->fd, port, &a));
	EXPECT_EQ(v.qlimit_max, a.qlimit);
	EXPECT_EQ(v.qlimit_max, a.msgcount);
	/* Lowering the limit under the queue length keeps what is queued. */
	ASSERT_EQ(0, mb_set_qlimit(self->fd, port, 1));
	EXPECT_EQ(v.qlimit_max, mb_msgcount(self->fd, port));
	EXPECT_EQ(EAGAIN, mb_send_hdr(self->fd, send, MAILBOX_MSG_TYPE_COPY_SEND,
				      0, 0, -1, &status));
}

TEST_HARNESS_MAIN
