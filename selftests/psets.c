// SPDX-License-Identifier: GPL-2.0
/*
 * Port sets: PORT_ALLOCATE(PORT_SET), MOVE_MEMBER and receive on a set.
 */
#include "pset_helpers.h"

#include <stddef.h>

#include <signal.h>

#include "kselftest_harness.h"

FIXTURE(mailbox) {
	int fd;
};

FIXTURE_SETUP(mailbox)
{
	self->fd = ps_open();
	ASSERT_LE(0, self->fd) TH_LOG("open /dev/mailbox: %s", strerror(errno));
}

FIXTURE_TEARDOWN(mailbox)
{
	close(self->fd);
}

TEST_F(mailbox, version_reports_port_sets)
{
	struct mailbox_version v = { };

	ASSERT_EQ(0, ps_ioctl(self->fd, MAILBOX_IOC_VERSION, &v));
	EXPECT_TRUE(v.features & MAILBOX_FEATURE_PORT_SETS);
	EXPECT_TRUE(v.features & MAILBOX_FEATURE_READY_FD);
}

TEST_F(mailbox, set_allocate_has_type_port_set)
{
	struct mailbox_port_type t = { };
	__u32 names[4], types[4];
	struct mailbox_port_names pn = {
		.names = (uintptr_t)names, .types = (uintptr_t)types, .count = 4,
	};
	__u32 set;

	ASSERT_EQ(0, ps_allocate(self->fd, MAILBOX_RIGHT_PORT_SET, &set));
	ASSERT_NE(0, set);
	t.name = set;
	ASSERT_EQ(0, ps_ioctl(self->fd, MAILBOX_IOC_PORT_TYPE, &t));
	EXPECT_EQ(MAILBOX_PORT_TYPE_PORT_SET, t.type);
	EXPECT_EQ(0, t.send_urefs);
	EXPECT_EQ(0, t.dead_urefs);
	ASSERT_EQ(0, ps_ioctl(self->fd, MAILBOX_IOC_PORT_NAMES, &pn));
	ASSERT_EQ(1, pn.count);
	EXPECT_EQ(set, names[0]);
	EXPECT_EQ(MAILBOX_PORT_TYPE_PORT_SET, types[0]);
}

TEST_F(mailbox, set_deallocate_and_set_attr_but_spin_fail_eperm)
{
	struct mailbox_port_attr a = { };
	__u32 set = ps_set(self->fd);

	ASSERT_NE(0, set);
	EXPECT_EQ(EPERM, ps_name_op(self->fd, MAILBOX_IOC_PORT_DEALLOCATE, set));
	a.name = set;
	/* GET answers for a set: its spin budget, every other field zero. */
	memset(&a.qlimit, 0x5a, sizeof(a) - offsetof(struct mailbox_port_attr, qlimit));
	EXPECT_EQ(0, ps_ioctl(self->fd, MAILBOX_IOC_PORT_GET_ATTR, &a));
	EXPECT_EQ(0, a.qlimit);
	EXPECT_EQ(0, a.msgcount);
	EXPECT_EQ(0, a.port_flags);
	EXPECT_EQ(0, a.spin_us);
	a.flags = MAILBOX_ATTR_QLIMIT;
	a.qlimit = 3;
	EXPECT_EQ(EPERM, ps_ioctl(self->fd, MAILBOX_IOC_PORT_SET_ATTR, &a));
	a.flags = MAILBOX_ATTR_QLIMIT | MAILBOX_ATTR_SPIN;
	a.spin_us = 5;
	EXPECT_EQ(EPERM, ps_ioctl(self->fd, MAILBOX_IOC_PORT_SET_ATTR, &a));
	a.flags = 0;
	EXPECT_EQ(0, ps_ioctl(self->fd, MAILBOX_IOC_PORT_GET_ATTR, &a));
	EXPECT_EQ(0, a.spin_us);
	EXPECT_EQ(MAILBOX_PORT_TYPE_PORT_SET, ps_type(self->fd, set));
}

TEST_F(mailbox, set_cannot_be_sent_to_or_inserted)
{
	struct mailbox_port_insert_right ir = {
		.space_fd = MAILBOX_SPACE_SELF,
		.disposition = MAILBOX_MSG_TYPE_MAKE_SEND,
	};
	__u32 set = ps_set(self->fd), status;

	ASSERT_NE(0, set);
	EXPECT_EQ(EPERM, ps_send_disp(self->fd, set,
				      MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, 1,
				      &status));
	EXPECT_EQ(MAILBOX_SEND_INVALID_DEST, status);
	EXPECT_EQ(EPERM, ps_send_disp(self->fd, set, MAILBOX_MSG_TYPE_COPY_SEND,
				      1, &status));
	ir.poly = set;
	EXPECT_EQ(EPERM, ps_ioctl(self->fd, MAILBOX_IOC_PORT_INSERT_RIGHT, &ir));
}

TEST_F(mailbox, set_mod_refs)
{
	__u32 set = ps_set(self->fd), port = ps_port(self->fd);

	ASSERT_NE(0, set);
	ASSERT_NE(0, port);
	EXPECT_EQ(0, ps_mod_refs(self->fd, set, MAILBOX_RIGHT_PORT_SET, 0));
	EXPECT_EQ(EINVAL, ps_mod_refs(self->fd, set, MAILBOX_RIGHT_PORT_SET, 1));
	EXPECT_EQ(EINVAL, ps_mod_refs(self->fd, set, MAILBOX_RIGHT_PORT_SET, -2));
	EXPECT_EQ(EPERM, ps_mod_refs(self->fd, set, MAILBOX_RIGHT_RECEIVE, -1));
	EXPECT_EQ(EPERM, ps_mod_refs(self->fd, set, MAILBOX_RIGHT_SEND, 0));
	EXPECT_EQ(EPERM, ps_mod_refs(self->fd, port, MAILBOX_RIGHT_PORT_SET, -1));
	EXPECT_EQ(EINVAL, ps_mod_refs(self->fd, MAILBOX_PORT_NULL,
				      MAILBOX_RIGHT_PORT_SET, -1));
	EXPECT_EQ(ENOENT, ps_mod_refs(self->fd, PS_UNUSED_NAME,
				      MAILBOX_RIGHT_PORT_SET, -1));
	ASSERT_EQ(0, ps_move(self->fd, port, set));
	EXPECT_EQ(0, ps_mod_refs(self->fd, set, MAILBOX_RIGHT_PORT_SET, -1));
	EXPECT_EQ(0, ps_type(self->fd, set));
	/* The member keeps its receive right and is in no set any more. */
	EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE, ps_type(self->fd, port));
	EXPECT_EQ(ENXIO, ps_move(self->fd, port, MAILBOX_PORT_NULL));
}

TEST_F(mailbox, set_destroy_removes_name)
{
	__u32 set = ps_set(self->fd);

	ASSERT_NE(0, set);
	EXPECT_EQ(0, ps_destroy(self->fd, set));
	EXPECT_EQ(0, ps_type(self->fd, set));
	EXPECT_EQ(ENOENT, ps_destroy(self->fd, set));
}

TEST_F(mailbox, move_member_errors)
{
	struct mailbox_port_move_member m = { };
	__u32 set = ps_set(self->fd), port = ps_port(self->fd), so, dead;
	struct mailbox_port_insert_right ir = {
		.space_fd = MAILBOX_SPACE_SELF,
		.disposition = MAILBOX_MSG_TYPE_MAKE_SEND_ONCE,
	};
	int other = ps_open();
	__u32 foreign_set;

	ASSERT_LE(0, other);
	ASSERT_NE(0, set);
	ASSERT_NE(0, port);
	ir.poly = port;
	ASSERT_EQ(0, ps_ioctl(self->fd, MAILBOX_IOC_PORT_INSERT_RIGHT, &ir));
	so = ir.name;
	ASSERT_EQ(0, ps_allocate(self->fd, MAILBOX_RIGHT_DEAD_NAME, &dead));

	m.member = port;
	m.after = set;
	m.flags = 1;
	EXPECT_EQ(EINVAL, ps_ioctl(self->fd, MAILBOX_IOC_PORT_MOVE_MEMBER, &m));
	m.flags = 0;
	m.reserved = 1;
	EXPECT_EQ(EINVAL, ps_ioctl(self->fd, MAILBOX_IOC_PORT_MOVE_MEMBER, &m));
	EXPECT_EQ(EFAULT, ps_ioctl(self->fd, MAILBOX_IOC_PORT_MOVE_MEMBER, NULL));

	EXPECT_EQ(ENOENT, ps_move(self->fd, MAILBOX_PORT_NULL, set));
	EXPECT_EQ(ENOENT, ps_move(self->fd, MAILBOX_PORT_DEAD, set));
	EXPECT_EQ(ENOENT, ps_move(self->fd, PS_UNUSED_NAME, set));
	EXPECT_EQ(EPERM, ps_move(self->fd, set, set));
	EXPECT_EQ(EPERM, ps_move(self->fd, so, set));
	EXPECT_EQ(EPERM, ps_move(self->fd, dead, set));
	EXPECT_EQ(ENOENT, ps_move(self->fd, port, PS_UNUSED_NAME));
	EXPECT_EQ(ENOENT, ps_move(self->fd, port, MAILBOX_PORT_DEAD));
	EXPECT_EQ(EPERM, ps_move(self->fd, port, port));
	EXPECT_EQ(EPERM, ps_move(self->fd, port, so));
	EXPECT_EQ(ENXIO, ps_move(self->fd, port, MAILBOX_PORT_NULL));
	/* A set of another space is only a name there. */
	ASSERT_EQ(0, ps_allocate(other, MAILBOX_RIGHT_PORT_SET, &foreign_set));
	if (foreign_set != set)
		EXPECT_EQ(ENOENT, ps_move(self->fd, port, foreign_set));

	EXPECT_EQ(0, ps_move(self->fd, port, set));
	EXPECT_EQ(0, ps_move(self->fd, port, set));	/* already there */
	EXPECT_EQ(0, ps_move(self->fd, port, MAILBOX_PORT_NULL));
	EXPECT_EQ(ENXIO, ps_move(self->fd, port, MAILBOX_PORT_NULL));
	close(other);
}

TEST_F(mailbox, set_receive_empty_fails_eagain_or_etimedout)
{
	__u32 set = ps_set(self->fd), port = ps_port(self->fd), status;
	struct ps_rmsg r;
	int nb;

	ASSERT_EQ(0, ps_move(self->fd, port, set));
	EXPECT_EQ(EAGAIN, ps_recv(self->fd, set, &r, 0, &status));
	EXPECT_EQ(MAILBOX_RCV_TIMED_OUT, status);
	EXPECT_EQ(ETIMEDOUT, ps_recv(self->fd, set, &r, 10 * PS_MSEC, &status));
	EXPECT_EQ(MAILBOX_RCV_TIMED_OUT, status);
	/* An empty set too. */
	EXPECT_EQ(0, ps_move(self->fd, port, MAILBOX_PORT_NULL));
	EXPECT_EQ(EAGAIN, ps_recv(self->fd, set, &r, 0, &status));
	/* O_NONBLOCK without a timeout. */
	nb = fcntl(self->fd, F_GETFL);
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, nb | O_NONBLOCK));
	EXPECT_EQ(EAGAIN, ps_recv(self->fd, set, &r, -1, &status));
	EXPECT_EQ(MAILBOX_RCV_TIMED_OUT, status);
}

TEST_F(mailbox, set_receive_bad_names)
{
	__u32 so, status, port = ps_port(self->fd);
	struct mailbox_port_insert_right ir = {
		.space_fd = MAILBOX_SPACE_SELF, .poly = port,
		.disposition = MAILBOX_MSG_TYPE_MAKE_SEND_ONCE,
	};
	struct ps_rmsg r;

	ASSERT_EQ(0, ps_ioctl(self->fd, MAILBOX_IOC_PORT_INSERT_RIGHT, &ir));
	so = ir.name;
	EXPECT_EQ(ENOENT, ps_recv(self->fd, PS_UNUSED_NAME, &r, 0, &status));
	EXPECT_EQ(MAILBOX_RCV_INVALID_NAME, status);
	EXPECT_EQ(EPERM, ps_recv(self->fd, so, &r, 0, &status));
	EXPECT_EQ(MAILBOX_RCV_INVALID_NAME, status);
}

TEST_F(mailbox, set_receive_oldest_ready_first)
{
	__u32 set = ps_set(self->fd), p[3], status;
	struct ps_rmsg r;
	int i;

	for (i = 0; i < 3; i++) {
		p[i] = ps_port(self->fd);
		ASSERT_EQ(0, ps_move(self->fd, p[i], set));
	}
	ASSERT_EQ(0, ps_send(self->fd, p[1], 11));
	ASSERT_EQ(0, ps_send(self->fd, p[2], 22));
	ASSERT_EQ(0, ps_send(self->fd, p[0], 33));

	ASSERT_EQ(0, ps_recv(self->fd, set, &r, 0, &status));
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, status);
	EXPECT_EQ(p[1], r.h.local_port);
	EXPECT_EQ(11, r.word);
	EXPECT_EQ(sizeof(struct ps_msg), r.h.size);
	EXPECT_EQ(7, r.h.id);
	EXPECT_EQ(MAILBOX_MSGH_BITS(0, MAILBOX_MSG_TYPE_PORT_SEND_ONCE),
		  r.h.bits);
	ASSERT_EQ(0, ps_recv(self->fd, set, &r, 0, &status));
	EXPECT_EQ(p[2], r.h.local_port);
	EXPECT_EQ(22, r.word);
	ASSERT_EQ(0, ps_recv(self->fd, set, &r, 0, &status));
	EXPECT_EQ(p[0], r.h.local_port);
	EXPECT_EQ(33, r.word);
	EXPECT_EQ(EAGAIN, ps_recv(self->fd, set, &r, 0, &status));
}

TEST_F(mailbox, set_receive_is_fair_across_members)
{
	__u32 set = ps_set(self->fd), a = ps_port(self->fd);
	__u32 b = ps_port(self->fd), status;
	struct ps_rmsg r;
	int i;

	ASSERT_EQ(0, ps_move(self->fd, a, set));
	ASSERT_EQ(0, ps_move(self->fd, b, set));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, ps_send(self->fd, a, 100 + i));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, ps_send(self->fd, b, 200 + i));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, ps_recv(self->fd, set, &r, 0, &status));
		EXPECT_EQ(a, r.h.local_port);
		EXPECT_EQ(100 + i, r.word);
		ASSERT_EQ(0, ps_recv(self->fd, set, &r, 0, &status));
		EXPECT_EQ(b, r.h.local_port);
		EXPECT_EQ(200 + i, r.word);
	}
	EXPECT_EQ(EAGAIN, ps_recv(self->fd, set, &r, 0, &status));
}

TEST_F(mailbox, set_receive_trailer_and_reply)
{
	__u32 set = ps_set(self->fd), a = ps_port(self->fd);
	__u32 reply = ps_port(self->fd), status, size;
	struct ps_msg msg = {
		.h = { .bits = MAILBOX_MSGH_BITS(MAILBOX_MSG_TYPE_MAKE_SEND_ONCE,
						 MAILBOX_MSG_TYPE_MAKE_SEND_ONCE),
		       .remote_port = a, .local_port = reply, .id = 9 },
		.word = 5,
	};
	struct mailbox_msg m = {
		.send_msg = (uintptr_t)&msg,
		.options = MAILBOX_MSG_SEND,
		.send_size = sizeof(msg),
	};
	struct ps_rmsg r;

	ASSERT_EQ(0, ps_move(self->fd, a, set));
	ASSERT_EQ(0, ps_ioctl(self->fd, MAILBOX_IOC_MSG, &m));
	ASSERT_EQ(0, ps_send(self->fd, a, 6));
	size = sizeof(r);
	ASSERT_EQ(0, ps_recv_opt(self->fd, set, &r, &size,
				 MAILBOX_MSG_RCV_TRAILER, 0, &status));
	EXPECT_EQ(sizeof(struct ps_msg) + sizeof(r.tr), size);
	EXPECT_EQ(a, r.h.local_port);
	EXPECT_EQ(MAILBOX_PORT_TYPE_SEND_ONCE, ps_type(self->fd, r.h.remote_port));
	EXPECT_EQ(0, r.tr.seqno);
	EXPECT_EQ(getpid(), r.tr.sender_pid);
	size = sizeof(r);
	ASSERT_EQ(0, ps_recv_opt(self->fd, set, &r, &size,
				 MAILBOX_MSG_RCV_TRAILER, 0, &status));
	EXPECT_EQ(1, r.tr.seqno);
	EXPECT_EQ(6, r.word);
}

TEST_F(mailbox, set_receive_too_large)
{
	__u32 set = ps_set(self->fd), a = ps_port(self->fd), status, size;
	struct ps_rmsg r;

	ASSERT_EQ(0, ps_move(self->fd, a, set));
	ASSERT_EQ(0, ps_send(self->fd, a, 1));
	/* RCV_LARGE: the message stays queued. */
	size = sizeof(struct mailbox_msg_header);
	EXPECT_EQ(EMSGSIZE, ps_recv_opt(self->fd, set, &r, &size,
					MAILBOX_MSG_RCV_LARGE, 0, &status));
	EXPECT_EQ(MAILBOX_RCV_TOO_LARGE, status);
	EXPECT_EQ(sizeof(struct ps_msg), size);
	EXPECT_EQ(1, ps_msgcount(self->fd, a));
	/* Without it the message is destroyed. */
	size = sizeof(struct mailbox_msg_header);
	EXPECT_EQ(EMSGSIZE, ps_recv_opt(self->fd, set, &r, &size, 0, 0,
					&status));
	EXPECT_EQ(MAILBOX_RCV_TOO_LARGE, status);
	/*
	 * It was sent through a send-once right, destroyed unused with the
	 * message: a send-once notification takes its place (XNU's rule).
	 */
	EXPECT_EQ(1, ps_msgcount(self->fd, a));
	EXPECT_EQ(0, ps_recv(self->fd, set, &r, 0, &status));
	EXPECT_EQ(MAILBOX_NOTIFY_SEND_ONCE, r.h.id);
	EXPECT_EQ(0, ps_msgcount(self->fd, a));
	EXPECT_EQ(EAGAIN, ps_recv(self->fd, set, &r, 0, &status));
}

TEST_F(mailbox, set_receive_bad_buffer_keeps_message)
{
	__u32 set = ps_set(self->fd), a = ps_port(self->fd), status;
	struct mailbox_msg m = {
		.rcv_msg = 16,
		.options = MAILBOX_MSG_RCV | MAILBOX_MSG_RCV_TIMEOUT,
		.rcv_size = 64,
		.rcv_name = set,
	};
	struct ps_rmsg r;

	ASSERT_EQ(0, ps_move(self->fd, a, set));
	ASSERT_EQ(0, ps_send(self->fd, a, 42));
	EXPECT_EQ(EFAULT, ps_ioctl(self->fd, MAILBOX_IOC_MSG, &m));
	EXPECT_EQ(MAILBOX_RCV_INVALID_DATA, m.status);
	ASSERT_EQ(0, ps_recv(self->fd, set, &r, 0, &status));
	EXPECT_EQ(42, r.word);
}

TEST_F(mailbox, member_receive_directly_still_works)
{
	__u32 set = ps_set(self->fd), a = ps_port(self->fd), status;
	struct ps_rmsg r;

	ASSERT_EQ(0, ps_move(self->fd, a, set));
	ASSERT_EQ(0, ps_send(self->fd, a, 1));
	ASSERT_EQ(0, ps_send(self->fd, a, 2));
	ASSERT_EQ(0, ps_recv(self->fd, a, &r, 0, &status));
	EXPECT_EQ(1, r.word);
	EXPECT_EQ(a, r.h.local_port);
	ASSERT_EQ(0, ps_recv(self->fd, set, &r, 0, &status));
	EXPECT_EQ(2, r.word);
	ASSERT_EQ(0, ps_send(self->fd, a, 3));
	ASSERT_EQ(0, ps_recv(self->fd, a, &r, 0, &status));
	/* Emptied directly: no longer ready in the set. */
	EXPECT_EQ(EAGAIN, ps_recv(self->fd, set, &r, 0, &status));
}

TEST_F(mailbox, move_between_sets)
{
	__u32 s1 = ps_set(self->fd), s2 = ps_set(self->fd);
	__u32 a = ps_port(self->fd), status;
	struct ps_rmsg r;

	ASSERT_EQ(0, ps_move(self->fd, a, s1));
	ASSERT_EQ(0, ps_send(self->fd, a, 1));
	ASSERT_EQ(0, ps_move(self->fd, a, s2));	/* leaves s1, messages follow */
	EXPECT_EQ(EAGAIN, ps_recv(self->fd, s1, &r, 0, &status));
	ASSERT_EQ(0, ps_recv(self->fd, s2, &r, 0, &status));
	EXPECT_EQ(1, r.word);
	EXPECT_EQ(a, r.h.local_port);
	ASSERT_EQ(0, ps_send(self->fd, a, 2));
	ASSERT_EQ(0, ps_move(self->fd, a, MAILBOX_PORT_NULL));
	EXPECT_EQ(EAGAIN, ps_recv(self->fd, s2, &r, 0, &status));
	ASSERT_EQ(0, ps_move(self->fd, a, s1));	/* joins ready */
	ASSERT_EQ(0, ps_recv(self->fd, s1, &r, 0, &status));
	EXPECT_EQ(2, r.word);
	/* Destroying the old set does not touch a port that left it. */
	ASSERT_EQ(0, ps_destroy(self->fd, s2));
	ASSERT_EQ(0, ps_send(self->fd, a, 3));
	ASSERT_EQ(0, ps_recv(self->fd, s1, &r, 0, &status));
	EXPECT_EQ(3, r.word);
}

TEST_F(mailbox, member_destroyed_while_in_set)
{
	__u32 set = ps_set(self->fd), a = ps_port(self->fd);
	__u32 b = ps_port(self->fd), status;
	struct ps_rmsg r;

	ASSERT_EQ(0, ps_move(self->fd, a, set));
	ASSERT_EQ(0, ps_move(self->fd, b, set));
	ASSERT_EQ(0, ps_send(self->fd, a, 1));
	ASSERT_EQ(0, ps_send(self->fd, b, 2));
	ASSERT_EQ(0, ps_mod_refs(self->fd, a, MAILBOX_RIGHT_RECEIVE, -1));
	ASSERT_EQ(0, ps_recv(self->fd, set, &r, 0, &status));
	EXPECT_EQ(b, r.h.local_port);
	EXPECT_EQ(2, r.word);
	EXPECT_EQ(EAGAIN, ps_recv(self->fd, set, &r, 0, &status));
	ASSERT_EQ(0, ps_destroy(self->fd, b));
	EXPECT_EQ(EAGAIN, ps_recv(self->fd, set, &r, 0, &status));
}

TEST_F(mailbox, set_destroyed_keeps_members_messages)
{
	__u32 set = ps_set(self->fd), a = ps_port(self->fd), status;
	struct ps_rmsg r;

	ASSERT_EQ(0, ps_move(self->fd, a, set));
	ASSERT_EQ(0, ps_send(self->fd, a, 1));
	ASSERT_EQ(0, ps_destroy(self->fd, set));
	EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE, ps_type(self->fd, a));
	ASSERT_EQ(0, ps_recv(self->fd, a, &r, 0, &status));
	EXPECT_EQ(1, r.word);
	EXPECT_EQ(ENXIO, ps_move(self->fd, a, MAILBOX_PORT_NULL));
}

TEST_F(mailbox, blocked_set_receiver_wakes_on_member_send)
{
	__u32 set = ps_set(self->fd), a = ps_port(self->fd);
	__u32 b = ps_port(self->fd);
	struct ps_waiter w;

	ASSERT_EQ(0, ps_move(self->fd, a, set));
	ASSERT_EQ(0, ps_move(self->fd, b, set));
	ASSERT_EQ(0, ps_waiter_start(&w, self->fd, set, -1));
	usleep(100 * 1000);
	EXPECT_FALSE(ps_waiter_done(&w));
	ASSERT_EQ(0, ps_send(self->fd, b, 77));
	ps_waiter_join(&w);
	EXPECT_EQ(0, w.err);
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, w.status);
	EXPECT_EQ(b, w.r.h.local_port);
	EXPECT_EQ(77, w.r.word);
}

TEST_F(mailbox, blocked_set_receivers_each_get_one)
{
	__u32 set = ps_set(self->fd), a = ps_port(self->fd);
	struct ps_waiter w[3];
	int i, got = 0;

	ASSERT_EQ(0, ps_move(self->fd, a, set));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, ps_waiter_start(&w[i], self->fd, set, -1));
	usleep(100 * 1000);
	for (i = 0; i < 3; i++)
		EXPECT_FALSE(ps_waiter_done(&w[i]));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, ps_send(self->fd, a, i));
	for (i = 0; i < 3; i++) {
		ps_waiter_join(&w[i]);
		EXPECT_EQ(0, w[i].err);
		got |= 1 << w[i].r.word;
	}
	EXPECT_EQ(7, got);
}

TEST_F(mailbox, blocked_set_receiver_wakes_when_ready_port_joins)
{
	__u32 set = ps_set(self->fd), a = ps_port(self->fd);
	struct ps_waiter w;

	ASSERT_EQ(0, ps_send(self->fd, a, 1));
	ASSERT_EQ(0, ps_send(self->fd, a, 2));
	ASSERT_EQ(0, ps_waiter_start(&w, self->fd, set, -1));
	usleep(100 * 1000);
	EXPECT_FALSE(ps_waiter_done(&w));
	ASSERT_EQ(0, ps_move(self->fd, a, set));
	ps_waiter_join(&w);
	EXPECT_EQ(0, w.err);
	EXPECT_EQ(1, w.r.word);
	EXPECT_EQ(a, w.r.h.local_port);
}

TEST_F(mailbox, set_destroyed_while_receiver_waits)
{
	__u32 set = ps_set(self->fd), a = ps_port(self->fd);
	struct ps_waiter w;

	ASSERT_EQ(0, ps_move(self->fd, a, set));
	ASSERT_EQ(0, ps_waiter_start(&w, self->fd, set, -1));
	usleep(100 * 1000);
	EXPECT_FALSE(ps_waiter_done(&w));
	ASSERT_EQ(0, ps_mod_refs(self->fd, set, MAILBOX_RIGHT_PORT_SET, -1));
	ps_waiter_join(&w);
	EXPECT_EQ(EPIPE, w.err);
	EXPECT_EQ(MAILBOX_RCV_PORT_DIED, w.status);
	EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE, ps_type(self->fd, a));
}

TEST_F(mailbox, member_death_does_not_wake_set_receiver)
{
	__u32 set = ps_set(self->fd), a = ps_port(self->fd);
	__u32 b = ps_port(self->fd);
	struct ps_waiter w;

	ASSERT_EQ(0, ps_move(self->fd, a, set));
	ASSERT_EQ(0, ps_move(self->fd, b, set));
	ASSERT_EQ(0, ps_waiter_start(&w, self->fd, set, -1));
	usleep(100 * 1000);
	ASSERT_EQ(0, ps_destroy(self->fd, a));
	usleep(100 * 1000);
	EXPECT_FALSE(ps_waiter_done(&w));
	ASSERT_EQ(0, ps_send(self->fd, b, 5));
	ps_waiter_join(&w);
	EXPECT_EQ(0, w.err);
	EXPECT_EQ(b, w.r.h.local_port);
}

static void on_sigusr1(int sig)
{
	(void)sig;
}

TEST_F(mailbox, set_receive_interrupted_by_signal)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	__u32 set = ps_set(self->fd);
	struct ps_waiter w;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));

	ASSERT_EQ(0, ps_waiter_start(&w, self->fd, set, -1));
	usleep(100 * 1000);
	EXPECT_FALSE(ps_waiter_done(&w));
	pthread_kill(w.thread, SIGUSR1);
	ps_waiter_join(&w);
	EXPECT_EQ(EINTR, w.err);
	EXPECT_EQ(MAILBOX_RCV_INTERRUPTED, w.status);
}

/* N members, one active: every size works; log the time per receive. */
static void members_test(struct __test_metadata *_metadata, int fd, int n)
{
	__u32 set = ps_set(fd), active = 0, status, port;
	struct ps_rmsg r;
	const int rounds = 2000;
	__u64 t0, t1;
	int i;

	ASSERT_NE(0, set);
	for (i = 0; i < n; i++) {
		port = ps_port(fd);
		ASSERT_NE(0, port);
		ASSERT_EQ(0, ps_move(fd, port, set));
		if (i == n / 2)
			active = port;
	}
	t0 = ps_now_ns();
	for (i = 0; i < rounds; i++) {
		ASSERT_EQ(0, ps_send(fd, active, i));
		ASSERT_EQ(0, ps_recv(fd, set, &r, 0, &status));
		ASSERT_EQ(active, r.h.local_port);
		ASSERT_EQ(i, r.word);
	}
	t1 = ps_now_ns();
	TH_LOG("%d members: %llu ns per send + set receive", n,
	       (unsigned long long)(t1 - t0) / rounds);
	EXPECT_EQ(EAGAIN, ps_recv(fd, set, &r, 0, &status));
}

TEST_F(mailbox, set_with_1_member)
{
	members_test(_metadata, self->fd, 1);
}

TEST_F(mailbox, set_with_100_members)
{
	members_test(_metadata, self->fd, 100);
}

TEST_F_TIMEOUT(mailbox, set_with_10000_members, 180)
{
	members_test(_metadata, self->fd, 10000);
}

TEST_F(mailbox, close_with_sets_and_members)
{
	__u32 s1 = ps_set(self->fd), s2 = ps_set(self->fd);
	int i;

	for (i = 0; i < 10; i++) {
		__u32 p = ps_port(self->fd);

		ASSERT_EQ(0, ps_move(self->fd, p, i & 1 ? s1 : s2));
		ASSERT_EQ(0, ps_send(self->fd, p, i));
	}
	/* Teardown closes the space; the VM runner checks the counters. */
}

TEST_HARNESS_MAIN
