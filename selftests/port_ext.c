// SPDX-License-Identifier: GPL-2.0
/*
 * Issue #7: a port's rarely used state (set membership, notification
 * requests, registry count, blocked senders, transit) lives in an extension
 * allocated when first needed. These tests give a port each of those
 * features only after it has queued messages, check that nothing queued is
 * lost or reordered, and tear down ports with and without the extension.
 * The runner checks after the binary that every stats counter is back to 0.
 */
#include "issue4_test.h"
#include "pset_helpers.h"

#include <linux/mailbox.h>

#include "kselftest_harness.h"

FIXTURE(mailbox) {
	int fd;
};

FIXTURE_SETUP(mailbox)
{
	self->fd = mb_open();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(mailbox)
{
	close(self->fd);
}

/* Receive one ps_msg from @name (port or set) and return its word. */
static __u32 take_word(struct __test_metadata *_metadata, int fd, __u32 name)
{
	struct ps_rmsg r;

	EXPECT_EQ(0, ps_recv(fd, name, &r, 0, NULL));
	return r.word;
}

static void register_service(struct __test_metadata *_metadata, int fd,
			     __u32 name, const char *service)
{
	struct mailbox_service s = { .name = name };

	snprintf(s.service, sizeof(s.service), "%s-%d", service, getpid());
	ASSERT_EQ(0, mb_ioctl(fd, MAILBOX_IOC_REGISTER, &s));
}

static int lookup_service(int fd, const char *service, __u32 *name)
{
	struct mailbox_service s = { };
	int err;

	snprintf(s.service, sizeof(s.service), "%s-%d", service, getpid());
	err = mb_ioctl(fd, MAILBOX_IOC_LOOKUP, &s);
	*name = s.name;
	return err;
}

/*
 * Every lazily added feature, each added to a port that already holds
 * messages: the messages stay, in order, and each feature works.
 */
TEST_F(mailbox, ext_features_added_after_messages_queued)
{
	__u32 port, set, notify, looked, status, w;
	struct mb_notification n;
	struct mb_async a;
	int rfd, i;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &notify));
	set = ps_set(self->fd);
	ASSERT_NE(0, set);
	ASSERT_EQ(0, ps_qlimit(self->fd, port, 4));
	ASSERT_EQ(0, mb_make_send(self->fd, port));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, ps_send_disp(self->fd, port,
					  MAILBOX_MSG_TYPE_COPY_SEND, i, NULL));

	/* Requests: no-senders and dead-name (on the port's own name). */
	ASSERT_EQ(0, mb_request_to(self->fd, port, MAILBOX_NOTIFY_NO_SENDERS,
				   0, notify));
	ASSERT_EQ(0, mb_request_to(self->fd, port, MAILBOX_NOTIFY_DEAD_NAME,
				   0, notify));
	/* Registry. */
	register_service(_metadata, self->fd, port, "port-ext");
	ASSERT_EQ(0, lookup_service(self->fd, "port-ext", &looked));
	EXPECT_EQ(port, looked);	/* merged with our own send right */
	/* Ready fd: the queued messages make it readable and it has room. */
	ASSERT_EQ(0, ps_ready_fd(self->fd, port, &rfd));
	EXPECT_EQ(POLLIN | POLLOUT, ps_poll(rfd, 0) & (POLLIN | POLLOUT));
	/* Set membership: the member joins ready. */
	ASSERT_EQ(0, ps_move(self->fd, port, set));
	EXPECT_EQ(0, take_word(_metadata, self->fd, set));

	/* A blocked sender on the full queue (3 queued, qlimit 4: fill). */
	ASSERT_EQ(0, ps_send_disp(self->fd, port, MAILBOX_MSG_TYPE_COPY_SEND,
				  3, NULL));
	ASSERT_EQ(0, ps_send_disp(self->fd, port, MAILBOX_MSG_TYPE_COPY_SEND,
				  4, &status));
	EXPECT_EQ(4, ps_msgcount(self->fd, port));
	EXPECT_EQ(POLLIN, ps_poll(rfd, 0) & (POLLIN | POLLOUT));
	ASSERT_EQ(0, mb_async_send(&a, self->fd, port,
				   MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 99, 0, 0));
	mb_pause();
	EXPECT_FALSE(mb_async_done(&a));
	EXPECT_EQ(1, take_word(_metadata, self->fd, set));
	ASSERT_EQ(0, mb_async_join(&a, 5));
	EXPECT_EQ(0, a.err);

	/* Everything else, in order, through the set. */
	for (w = 2; w <= 4; w++)
		EXPECT_EQ(w, take_word(_metadata, self->fd, set));
	EXPECT_EQ(1, ps_msgcount(self->fd, port));	/* the sender's */
	EXPECT_EQ(0, ps_move(self->fd, port, MAILBOX_PORT_NULL));

	/* Teardown with everything armed: the dead-name request fires. */
	close(rfd);
	ASSERT_EQ(0, mb_mod_refs(self->fd, port, MAILBOX_RIGHT_RECEIVE, -1));
	EXPECT_EQ(ENOENT, lookup_service(self->fd, "port-ext", &looked));
	/* Dead-name and, from the unfired no-senders request, send-once. */
	for (i = 0, w = 0; i < 2; i++) {
		ASSERT_EQ(0, mb_recv_notification(self->fd, notify, &n, NULL,
						  NULL));
		if (n.h.id == MAILBOX_NOTIFY_DEAD_NAME) {
			EXPECT_EQ(port, n.name.name);
			w++;
		} else {
			EXPECT_EQ(MAILBOX_NOTIFY_SEND_ONCE, n.h.id);
		}
	}
	EXPECT_EQ(1, w);
}

/* A no-senders request armed on a port with messages still fires. */
TEST_F(mailbox, ext_no_senders_after_messages_queued)
{
	__u32 port, notify, send;
	struct mb_notification n;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &notify));
	ASSERT_EQ(0, mb_give_send(self->fd, self->fd, port, &send));
	ASSERT_EQ(0, ps_send(self->fd, port, 7));
	ASSERT_EQ(0, mb_request_to(self->fd, port, MAILBOX_NOTIFY_NO_SENDERS,
				   0, notify));
	ASSERT_EQ(0, mb_mod_refs(self->fd, send, MAILBOX_RIGHT_SEND, -1));
	ASSERT_EQ(0, mb_recv_notification(self->fd, notify, &n, NULL, NULL));
	EXPECT_EQ(MAILBOX_NOTIFY_NO_SENDERS, n.h.id);
	EXPECT_EQ(7, take_word(_metadata, self->fd, port));
}

/*
 * A receive right with messages queued travels in a message (its port
 * gets the extension for transit), comes back, and still holds them.
 */
TEST_F(mailbox, ext_transit_after_messages_queued)
{
	__u32 carried, via, status, got;
	struct mb_cmsg m;
	unsigned char buf[512];

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &carried));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &via));
	ASSERT_EQ(0, ps_send(self->fd, carried, 11));
	ASSERT_EQ(0, ps_send(self->fd, carried, 12));
	mb_cmsg_init(&m, via, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, 0, 0, 1);
	mb_cmsg_port(&m, carried, MAILBOX_MSG_TYPE_MOVE_RECEIVE);
	ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status));
	ASSERT_EQ(0, mb_recv_now(self->fd, via, buf, sizeof(buf), 0, NULL,
				 &status));
	got = mb_port_desc(buf, 0)->name;
	EXPECT_EQ(11, take_word(_metadata, self->fd, got));
	EXPECT_EQ(12, take_word(_metadata, self->fd, got));
	/* Away again, then destroyed with @via: the chain dies too. */
	ASSERT_EQ(0, ps_send(self->fd, got, 13));
	mb_cmsg_init(&m, via, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, 0, 0, 1);
	mb_cmsg_port(&m, got, MAILBOX_MSG_TYPE_MOVE_RECEIVE);
	ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status));
	ASSERT_EQ(0, mb_mod_refs(self->fd, via, MAILBOX_RIGHT_RECEIVE, -1));
}

/*
 * Destroying a chain of ports in transit (each one's receive right queued
 * in the next) frees them all, in a space with ports both with and
 * without extensions, some with messages.
 */
TEST_F(mailbox, ext_teardown_chain_and_plain_ports)
{
	unsigned long long before, after;
	__u32 chain[8], plain[8], status;
	struct mb_cmsg m;
	int i, fd2, rfd;

	fd2 = mb_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, mb_stat("ports", &before));
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, mb_alloc_receive(fd2, &chain[i]));
		ASSERT_EQ(0, mb_alloc_receive(fd2, &plain[i]));
		ASSERT_EQ(0, ps_send(fd2, chain[i], i));
		if (i & 1)
			ASSERT_EQ(0, ps_send(fd2, plain[i], i));
	}
	/* plain[0] gets an extension (ready fd), the others none. */
	ASSERT_EQ(0, ps_ready_fd(fd2, plain[0], &rfd));
	for (i = 0; i < 7; i++) {
		mb_cmsg_init(&m, chain[i + 1], MAILBOX_MSG_TYPE_MAKE_SEND_ONCE,
			     0, 0, 1);
		mb_cmsg_port(&m, chain[i], MAILBOX_MSG_TYPE_MOVE_RECEIVE);
		ASSERT_EQ(0, mb_cmsg_send(fd2, &m, &status));
	}
	ASSERT_EQ(0, mb_stat("ports", &after));
	EXPECT_EQ(before + 16, after);
	close(fd2);
	/* The ready fd keeps plain[0] (dead) until it closes. */
	EXPECT_EQ(POLLHUP, ps_poll(rfd, 0) & POLLHUP);
	close(rfd);
	ASSERT_EQ(0, mb_stat("ports", &after));
	EXPECT_EQ(before, after);
}

TEST_HARNESS_MAIN
