// SPDX-License-Identifier: GPL-2.0
/*
 * MAILBOX_IOC_MSG without waiting: header translation, every disposition
 * of the destination and of the reply with the exact user references
 * after send and after receive, buffers that are too small, the trailer,
 * and every send and receive error with its errno and status.
 */
#include "mailbox_test.h"

#include <sched.h>
#include <sys/mman.h>

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

struct body_msg {
	struct mailbox_msg_header h;
	unsigned char body[1000];
};

TEST_F(mailbox, send_and_receive_translates_the_header)
{
	struct body_msg m, r;
	__u32 port, size, status;
	unsigned int i;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	ASSERT_EQ(0, mb_make_send(self->fd, port));
	mb_header(&m.h, port, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 0x12345678);
	m.h.size = 0xdeadbeef;	/* ignored on send */
	for (i = 0; i < sizeof(m.body); i++)
		m.body[i] = i * 7 + 3;
	ASSERT_EQ(0, mb_send(self->fd, &m, sizeof(m), 0, 0, &status));
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, status);
	EXPECT_EQ(1, mb_msgcount(self->fd, port));

	size = sizeof(r);
	ASSERT_EQ(0, mb_recv(self->fd, port, &r, &size, 0, 0, &status));
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, status);
	EXPECT_EQ(sizeof(m), size);
	EXPECT_EQ(sizeof(m), r.h.size);
	EXPECT_EQ(MAILBOX_MSGH_BITS(0, MAILBOX_MSG_TYPE_PORT_SEND), r.h.bits);
	EXPECT_EQ(MAILBOX_PORT_NULL, r.h.remote_port);
	EXPECT_EQ(port, r.h.local_port);
	EXPECT_EQ(0, r.h.voucher_port);
	EXPECT_EQ(0x12345678, r.h.id);
	EXPECT_EQ(0, memcmp(m.body, r.body, sizeof(m.body)));
	EXPECT_EQ(0, mb_msgcount(self->fd, port));
}

TEST_F(mailbox, receive_writes_only_the_message)
{
	unsigned char buf[256];
	struct mailbox_msg_header h;
	__u32 port, size, status;
	unsigned int i;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	ASSERT_EQ(0, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_MAKE_SEND, 0, 0, -1, NULL));
	size = sizeof(buf);
	ASSERT_EQ(0, mb_recv(self->fd, port, buf, &size, 0, 0, &status));
	EXPECT_EQ(MB_HDR_SIZE, size);
	memcpy(&h, buf, sizeof(h));
	EXPECT_EQ(-1, h.id);
	for (i = MB_HDR_SIZE; i < sizeof(buf); i++)
		ASSERT_EQ(MB_PATTERN, buf[i]) TH_LOG("byte %u written", i);
}

TEST_F(mailbox, message_of_max_msg_size_goes_through)
{
	struct mailbox_version v;
	struct mailbox_msg_header *h;
	unsigned char *buf, *rbuf;
	__u32 port, size, status;

	ASSERT_EQ(0, mb_version(self->fd, &v));
	ASSERT_EQ(0, v.max_msg_size % 4);
	buf = malloc(v.max_msg_size + 4);
	rbuf = malloc(v.max_msg_size + 4);
	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, rbuf);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	memset(buf, 0x3c, v.max_msg_size + 4);
	h = (void *)buf;
	mb_header(h, port, MAILBOX_MSG_TYPE_MAKE_SEND, 0, 0, 1);
	ASSERT_EQ(0, mb_send(self->fd, buf, v.max_msg_size, 0, 0, &status));
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, status);
	EXPECT_EQ(EMSGSIZE, mb_send(self->fd, buf, v.max_msg_size + 4, 0, 0, &status));
	EXPECT_EQ(MAILBOX_SEND_TOO_LARGE, status);
	EXPECT_EQ(EMSGSIZE, mb_send(self->fd, buf, 0xfffffffcU, 0, 0, &status));
	EXPECT_EQ(MAILBOX_SEND_TOO_LARGE, status);
	EXPECT_EQ(1, mb_msgcount(self->fd, port));

	size = v.max_msg_size;
	ASSERT_EQ(0, mb_recv(self->fd, port, rbuf, &size, 0, 0, &status));
	EXPECT_EQ(v.max_msg_size, size);
	EXPECT_EQ(0, memcmp(buf + MB_HDR_SIZE, rbuf + MB_HDR_SIZE,
			    v.max_msg_size - MB_HDR_SIZE));
	free(buf);
	free(rbuf);
}

/*
 * The destination dispositions, sent and received in one space: the user
 * references left in the sender after the send, and the type reported.
 */
FIXTURE(dest) {
	int fd;
	__u32 port;
	__u32 dest;	/* the name sent to */
};

FIXTURE_VARIANT(dest) {
	__u32 disposition;
	int send_urefs_before;	/* send urefs made on the port first */
	bool send_once;		/* send through a send-once right */
	int send_urefs_after;
	__u32 type_after;	/* type of the receive right's name after */
	int sorights_queued;	/* sorights while the message is queued */
	__u32 received_type;
};

FIXTURE_VARIANT_ADD(dest, copy_send) {
	.disposition = MAILBOX_MSG_TYPE_COPY_SEND,
	.send_urefs_before = 1,
	.send_urefs_after = 1,
	.type_after = MAILBOX_PORT_TYPE_RECEIVE | MAILBOX_PORT_TYPE_SEND,
	.received_type = MAILBOX_MSG_TYPE_PORT_SEND,
};

FIXTURE_VARIANT_ADD(dest, make_send) {
	.disposition = MAILBOX_MSG_TYPE_MAKE_SEND,
	.send_urefs_before = 0,
	.send_urefs_after = 0,
	.type_after = MAILBOX_PORT_TYPE_RECEIVE,
	.received_type = MAILBOX_MSG_TYPE_PORT_SEND,
};

FIXTURE_VARIANT_ADD(dest, move_send) {
	.disposition = MAILBOX_MSG_TYPE_MOVE_SEND,
	.send_urefs_before = 2,
	.send_urefs_after = 1,
	.type_after = MAILBOX_PORT_TYPE_RECEIVE | MAILBOX_PORT_TYPE_SEND,
	.received_type = MAILBOX_MSG_TYPE_PORT_SEND,
};

FIXTURE_VARIANT_ADD(dest, move_last_send) {
	.disposition = MAILBOX_MSG_TYPE_MOVE_SEND,
	.send_urefs_before = 1,
	.send_urefs_after = 0,
	.type_after = MAILBOX_PORT_TYPE_RECEIVE,
	.received_type = MAILBOX_MSG_TYPE_PORT_SEND,
};

FIXTURE_VARIANT_ADD(dest, make_send_once) {
	.disposition = MAILBOX_MSG_TYPE_MAKE_SEND_ONCE,
	.send_urefs_before = 0,
	.send_urefs_after = 0,
	.type_after = MAILBOX_PORT_TYPE_RECEIVE,
	.sorights_queued = 1,
	.received_type = MAILBOX_MSG_TYPE_PORT_SEND_ONCE,
};

FIXTURE_VARIANT_ADD(dest, move_send_once) {
	.disposition = MAILBOX_MSG_TYPE_MOVE_SEND_ONCE,
	.send_urefs_before = 0,
	.send_once = true,
	.send_urefs_after = 0,
	.type_after = MAILBOX_PORT_TYPE_RECEIVE,
	.sorights_queued = 1,
	.received_type = MAILBOX_MSG_TYPE_PORT_SEND_ONCE,
};

FIXTURE_SETUP(dest)
{
	int i;

	self->fd = mb_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &self->port));
	for (i = 0; i < variant->send_urefs_before; i++)
		ASSERT_EQ(0, mb_make_send(self->fd, self->port));
	self->dest = self->port;
	if (variant->send_once)
		ASSERT_EQ(0, mb_make_send_once(self->fd, self->port, &self->dest));
}

FIXTURE_TEARDOWN(dest)
{
	close(self->fd);
}

TEST_F(dest, sender_urefs_and_received_type_are_exact)
{
	struct mailbox_msg_header h;
	struct mailbox_port_type t;
	__u32 status;

	ASSERT_EQ(0, mb_send_hdr(self->fd, self->dest, variant->disposition,
				 0, 0, 42, &status));
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, status);
	ASSERT_EQ(0, mb_type(self->fd, self->port, &t));
	EXPECT_EQ(variant->type_after, t.type);
	EXPECT_EQ(variant->send_urefs_after, t.send_urefs);
	if (variant->send_once)
		EXPECT_EQ(ENOENT, mb_type(self->fd, self->dest, NULL));
	EXPECT_EQ(variant->sorights_queued, mb_sorights(self->fd, self->port));

	ASSERT_EQ(0, mb_recv_hdr(self->fd, self->port, &h, &status));
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, status);
	EXPECT_EQ(MAILBOX_MSGH_BITS(0, variant->received_type), h.bits);
	EXPECT_EQ(MAILBOX_PORT_NULL, h.remote_port);
	EXPECT_EQ(self->port, h.local_port);
	EXPECT_EQ(42, h.id);
	EXPECT_EQ(MB_HDR_SIZE, h.size);

	/* Receiving consumed the destination right: nothing else changed. */
	ASSERT_EQ(0, mb_type(self->fd, self->port, &t));
	EXPECT_EQ(variant->type_after, t.type);
	EXPECT_EQ(variant->send_urefs_after, t.send_urefs);
	EXPECT_EQ(0, mb_sorights(self->fd, self->port));
	EXPECT_EQ(variant->send_urefs_after ? 1 : 0, mb_has_senders(self->fd, self->port));
}

/*
 * The reply dispositions: the reply right's port is q, in the same space
 * as the destination's; after receive the right arrives in that space.
 */
FIXTURE(reply) {
	int fd;
	__u32 port;
	__u32 q;
	__u32 reply;	/* the name sent as reply */
};

FIXTURE_VARIANT(reply) {
	__u32 disposition;
	int q_send_urefs_before;
	bool send_once;
	int q_send_urefs_after_send;
	int q_send_urefs_after_receive;
	int q_sorights_after;		/* after send and after receive */
	__u32 received_type;
	bool merged;			/* received under q's name */
};

FIXTURE_VARIANT_ADD(reply, make_send) {
	.disposition = MAILBOX_MSG_TYPE_MAKE_SEND,
	.q_send_urefs_after_receive = 1,
	.received_type = MAILBOX_MSG_TYPE_PORT_SEND,
	.merged = true,
};

FIXTURE_VARIANT_ADD(reply, copy_send) {
	.disposition = MAILBOX_MSG_TYPE_COPY_SEND,
	.q_send_urefs_before = 1,
	.q_send_urefs_after_send = 1,
	.q_send_urefs_after_receive = 2,
	.received_type = MAILBOX_MSG_TYPE_PORT_SEND,
	.merged = true,
};

FIXTURE_VARIANT_ADD(reply, move_send) {
	.disposition = MAILBOX_MSG_TYPE_MOVE_SEND,
	.q_send_urefs_before = 2,
	.q_send_urefs_after_send = 1,
	.q_send_urefs_after_receive = 2,
	.received_type = MAILBOX_MSG_TYPE_PORT_SEND,
	.merged = true,
};

FIXTURE_VARIANT_ADD(reply, move_last_send) {
	.disposition = MAILBOX_MSG_TYPE_MOVE_SEND,
	.q_send_urefs_before = 1,
	.q_send_urefs_after_send = 0,
	.q_send_urefs_after_receive = 1,
	.received_type = MAILBOX_MSG_TYPE_PORT_SEND,
	.merged = true,
};

FIXTURE_VARIANT_ADD(reply, make_send_once) {
	.disposition = MAILBOX_MSG_TYPE_MAKE_SEND_ONCE,
	.q_sorights_after = 1,
	.received_type = MAILBOX_MSG_TYPE_PORT_SEND_ONCE,
};

FIXTURE_VARIANT_ADD(reply, move_send_once) {
	.disposition = MAILBOX_MSG_TYPE_MOVE_SEND_ONCE,
	.send_once = true,
	.q_sorights_after = 1,
	.received_type = MAILBOX_MSG_TYPE_PORT_SEND_ONCE,
};

FIXTURE_SETUP(reply)
{
	int i;

	self->fd = mb_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &self->port));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &self->q));
	for (i = 0; i < variant->q_send_urefs_before; i++)
		ASSERT_EQ(0, mb_make_send(self->fd, self->q));
	self->reply = self->q;
	if (variant->send_once)
		ASSERT_EQ(0, mb_make_send_once(self->fd, self->q, &self->reply));
}

FIXTURE_TEARDOWN(reply)
{
	close(self->fd);
}

TEST_F(reply, reply_right_arrives_with_exact_urefs)
{
	struct mailbox_msg_header h;
	struct mailbox_port_type t;
	__u32 status;

	ASSERT_EQ(0, mb_send_hdr(self->fd, self->port, MAILBOX_MSG_TYPE_MAKE_SEND,
				 self->reply, variant->disposition, 7, &status));
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, status);
	EXPECT_EQ(variant->q_send_urefs_after_send, mb_send_urefs(self->fd, self->q));
	if (variant->send_once)
		EXPECT_EQ(ENOENT, mb_type(self->fd, self->reply, NULL));
	EXPECT_EQ(variant->q_sorights_after, mb_sorights(self->fd, self->q));

	ASSERT_EQ(0, mb_recv_hdr(self->fd, self->port, &h, &status));
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, status);
	EXPECT_EQ(MAILBOX_MSGH_BITS(variant->received_type, MAILBOX_MSG_TYPE_PORT_SEND),
		  h.bits);
	EXPECT_EQ(self->port, h.local_port);
	EXPECT_EQ(7, h.id);
	ASSERT_NE(MAILBOX_PORT_NULL, h.remote_port);
	ASSERT_NE(MAILBOX_PORT_DEAD, h.remote_port);
	if (variant->merged) {
		EXPECT_EQ(self->q, h.remote_port);
		ASSERT_EQ(0, mb_type(self->fd, self->q, &t));
		EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE | MAILBOX_PORT_TYPE_SEND, t.type);
		EXPECT_EQ(variant->q_send_urefs_after_receive, t.send_urefs);
		EXPECT_EQ(1, mb_has_senders(self->fd, self->q));
	} else {
		EXPECT_NE(self->q, h.remote_port);
		ASSERT_EQ(0, mb_type(self->fd, h.remote_port, &t));
		EXPECT_EQ(MAILBOX_PORT_TYPE_SEND_ONCE, t.type);
		EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE, mb_type_bits(self->fd, self->q));
		EXPECT_EQ(0, mb_has_senders(self->fd, self->q));
	}
	EXPECT_EQ(variant->q_sorights_after, mb_sorights(self->fd, self->q));
}

TEST_F(mailbox, send_right_arriving_in_another_space_gets_a_new_name)
{
	struct mailbox_msg_header h;
	__u32 port, q, to_port;

	ASSERT_LE(0, open_second(self));
	/* fd2 receives on port; fd sends to it with a reply made from q. */
	ASSERT_EQ(0, mb_alloc_receive(self->fd2, &port));
	ASSERT_EQ(0, mb_give_send(self->fd2, self->fd, port, &to_port));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &q));
	ASSERT_EQ(0, mb_send_hdr(self->fd, to_port, MAILBOX_MSG_TYPE_COPY_SEND,
				 q, MAILBOX_MSG_TYPE_MAKE_SEND, 1, NULL));
	ASSERT_EQ(0, mb_recv_hdr(self->fd2, port, &h, NULL));
	EXPECT_EQ(MAILBOX_MSGH_BITS(MAILBOX_MSG_TYPE_PORT_SEND, MAILBOX_MSG_TYPE_PORT_SEND),
		  h.bits);
	EXPECT_EQ(port, h.local_port);
	EXPECT_EQ(MAILBOX_PORT_TYPE_SEND, mb_type_bits(self->fd2, h.remote_port));
	EXPECT_EQ(1, mb_send_urefs(self->fd2, h.remote_port));
	/* The sender's space has no send right to q. */
	EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE, mb_type_bits(self->fd, q));
	EXPECT_EQ(1, mb_has_senders(self->fd, q));
}

TEST_F(mailbox, send_right_arriving_where_the_port_has_a_name_is_merged)
{
	struct mailbox_msg_header h;
	__u32 port, q, to_port, q_in_fd2;

	ASSERT_LE(0, open_second(self));
	ASSERT_EQ(0, mb_alloc_receive(self->fd2, &port));
	ASSERT_EQ(0, mb_give_send(self->fd2, self->fd, port, &to_port));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &q));
	ASSERT_EQ(0, mb_give_send(self->fd, self->fd2, q, &q_in_fd2));
	ASSERT_EQ(0, mb_send_hdr(self->fd, to_port, MAILBOX_MSG_TYPE_COPY_SEND,
				 q, MAILBOX_MSG_TYPE_MAKE_SEND, 1, NULL));
	ASSERT_EQ(0, mb_send_hdr(self->fd, to_port, MAILBOX_MSG_TYPE_COPY_SEND,
				 q, MAILBOX_MSG_TYPE_MAKE_SEND, 2, NULL));
	ASSERT_EQ(0, mb_recv_hdr(self->fd2, port, &h, NULL));
	EXPECT_EQ(q_in_fd2, h.remote_port);
	EXPECT_EQ(2, mb_send_urefs(self->fd2, q_in_fd2));
	ASSERT_EQ(0, mb_recv_hdr(self->fd2, port, &h, NULL));
	EXPECT_EQ(q_in_fd2, h.remote_port);
	EXPECT_EQ(3, mb_send_urefs(self->fd2, q_in_fd2));
}

TEST_F(mailbox, same_name_as_destination_and_reply_with_move_send_needs_two_urefs)
{
	struct mailbox_msg_header h;
	__u32 port, status;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	ASSERT_EQ(0, mb_make_send(self->fd, port));
	EXPECT_EQ(EPERM, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_MOVE_SEND,
				     port, MAILBOX_MSG_TYPE_MOVE_SEND, 1, &status));
	EXPECT_EQ(MAILBOX_SEND_INVALID_REPLY, status);
	EXPECT_EQ(1, mb_send_urefs(self->fd, port));
	EXPECT_EQ(0, mb_msgcount(self->fd, port));

	ASSERT_EQ(0, mb_make_send(self->fd, port));
	ASSERT_EQ(0, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_MOVE_SEND,
				 port, MAILBOX_MSG_TYPE_MOVE_SEND, 2, &status));
	EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE, mb_type_bits(self->fd, port));
	ASSERT_EQ(0, mb_recv_hdr(self->fd, port, &h, &status));
	EXPECT_EQ(port, h.remote_port);
	EXPECT_EQ(port, h.local_port);
	EXPECT_EQ(1, mb_send_urefs(self->fd, port));
}

TEST_F(mailbox, messages_are_received_in_fifo_order_with_increasing_seqno)
{
	struct {
		struct mailbox_msg_header h;
		struct mailbox_msg_trailer t;
	} r;
	__u32 port, size;
	int i;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_MAKE_SEND,
					 0, 0, 100 + i, NULL));
	EXPECT_EQ(5, mb_msgcount(self->fd, port));
	for (i = 0; i < 5; i++) {
		size = sizeof(r);
		ASSERT_EQ(0, mb_recv(self->fd, port, &r, &size,
				     MAILBOX_MSG_RCV_TRAILER | MAILBOX_MSG_RCV_TIMEOUT, 0, NULL));
		EXPECT_EQ(100 + i, r.h.id);
		EXPECT_EQ(i, r.t.seqno);
	}
}

TEST_F(mailbox, trailer_reports_seqno_and_sender_credentials)
{
	struct {
		struct mailbox_msg_header h;
		__u32 body[3];
		struct mailbox_msg_trailer t;
		__u32 after;
	} r;
	struct {
		struct mailbox_msg_header h;
		__u32 body[3];
	} m;
	struct mailbox_port_attr a;
	__u32 port, size, status;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	ASSERT_EQ(0, mb_set_attr(self->fd, port, MAILBOX_ATTR_SEQNO, 0, 1000, 0));
	mb_header(&m.h, port, MAILBOX_MSG_TYPE_MAKE_SEND, 0, 0, 5);
	m.body[0] = 1;
	m.body[1] = 2;
	m.body[2] = 3;
	ASSERT_EQ(0, mb_send(self->fd, &m, sizeof(m), 0, 0, NULL));
	ASSERT_EQ(0, mb_send(self->fd, &m, sizeof(m), 0, 0, NULL));

	size = sizeof(r);
	ASSERT_EQ(0, mb_recv(self->fd, port, &r, &size, MAILBOX_MSG_RCV_TRAILER, 0, &status));
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, status);
	EXPECT_EQ(sizeof(m) + MB_TRAILER_SIZE, size);
	EXPECT_EQ(sizeof(m), r.h.size);
	EXPECT_EQ(MAILBOX_TRAILER_FORMAT_0, r.t.type);
	EXPECT_EQ(MB_TRAILER_SIZE, r.t.size);
	EXPECT_EQ(1000, r.t.seqno);
	EXPECT_EQ(getpid(), r.t.sender_pid);
	EXPECT_EQ(geteuid(), r.t.sender_uid);
	EXPECT_EQ(getegid(), r.t.sender_gid);
	EXPECT_EQ(MB_PATTERN32, r.after);

	size = sizeof(r);
	ASSERT_EQ(0, mb_recv(self->fd, port, &r, &size, MAILBOX_MSG_RCV_TRAILER, 0, &status));
	EXPECT_EQ(1001, r.t.seqno);
	ASSERT_EQ(0, mb_get_attr(self->fd, port, &a));
	EXPECT_EQ(1002, a.seqno);
}

TEST_F(mailbox, trailer_reports_the_credentials_of_a_child_sender)
{
	struct {
		struct mailbox_msg_header h;
		struct mailbox_msg_trailer t;
	} r;
	__u32 port, size;
	pid_t pid;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	ASSERT_EQ(0, mb_make_send(self->fd, port));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		mb_child_init();
		/* Another euid/egid if we are allowed to. */
		if (geteuid() == 0) {
			CHILD_CHECK(setegid(4321) == 0);
			CHILD_CHECK(seteuid(1234) == 0);
		}
		CHILD_CHECK(mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_COPY_SEND,
					0, 0, 9, NULL) == 0);
		_exit(0);
	}
	ASSERT_EQ(0, mb_wait_child(pid));
	size = sizeof(r);
	ASSERT_EQ(0, mb_recv(self->fd, port, &r, &size,
			     MAILBOX_MSG_RCV_TRAILER | MAILBOX_MSG_RCV_TIMEOUT, 0, NULL));
	EXPECT_EQ(pid, r.t.sender_pid);
	EXPECT_EQ(geteuid() == 0 ? 1234 : geteuid(), r.t.sender_uid);
	EXPECT_EQ(geteuid() == 0 ? 4321 : getegid(), r.t.sender_gid);
}

/* Too small receive buffers. */

TEST_F(mailbox, too_small_buffer_destroys_the_message_without_rcv_large)
{
	struct body_msg m;
	unsigned char buf[64];
	__u32 port, q, size, status;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &q));
	mb_header(&m.h, port, MAILBOX_MSG_TYPE_MAKE_SEND, q, MAILBOX_MSG_TYPE_MAKE_SEND, 1);
	memset(m.body, 1, sizeof(m.body));
	ASSERT_EQ(0, mb_send(self->fd, &m, sizeof(m), 0, 0, NULL));
	EXPECT_EQ(1, mb_has_senders(self->fd, q));

	size = sizeof(buf);
	EXPECT_EQ(EMSGSIZE, mb_recv(self->fd, port, buf, &size, MAILBOX_MSG_RCV_TIMEOUT,
				    0, &status));
	EXPECT_EQ(MAILBOX_RCV_TOO_LARGE, status);
	EXPECT_EQ(sizeof(m), size);
	/* The message and the reply right it carried are gone. */
	EXPECT_EQ(0, mb_msgcount(self->fd, port));
	EXPECT_EQ(0, mb_has_senders(self->fd, q));
	EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE, mb_type_bits(self->fd, q));
	size = sizeof(buf);
	EXPECT_EQ(EAGAIN, mb_recv(self->fd, port, buf, &size, MAILBOX_MSG_RCV_TIMEOUT,
				  0, &status));
}

TEST_F(mailbox, too_small_buffer_destroys_a_send_once_reply)
{
	struct mailbox_msg_header h;
	unsigned char buf[MB_HDR_SIZE - 4];
	__u32 port, q, size, status;
	__s32 id;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &q));
	mb_header(&h, port, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, q,
		  MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, 1);
	ASSERT_EQ(0, mb_send(self->fd, &h, sizeof(h), 0, 0, NULL));
	EXPECT_EQ(1, mb_sorights(self->fd, q));
	EXPECT_EQ(1, mb_sorights(self->fd, port));
	size = sizeof(buf);
	EXPECT_EQ(EMSGSIZE, mb_recv(self->fd, port, buf, &size, 0, 0, &status));
	EXPECT_EQ(MAILBOX_RCV_TOO_LARGE, status);
	EXPECT_EQ(MB_HDR_SIZE, size);
	/*
	 * Both send-once rights died unused (XNU's rule): each port gets a
	 * send-once notification, which uses up the right on delivery.
	 */
	EXPECT_EQ(1, mb_msgcount(self->fd, q));
	EXPECT_EQ(1, mb_msgcount(self->fd, port));
	EXPECT_EQ(0, mb_recv_id(self->fd, q, &id));
	EXPECT_EQ(MAILBOX_NOTIFY_SEND_ONCE, id);
	EXPECT_EQ(0, mb_recv_id(self->fd, port, &id));
	EXPECT_EQ(MAILBOX_NOTIFY_SEND_ONCE, id);
	EXPECT_EQ(0, mb_sorights(self->fd, q));
	EXPECT_EQ(0, mb_sorights(self->fd, port));
	EXPECT_EQ(0, mb_msgcount(self->fd, port));
}

TEST_F(mailbox, too_small_buffer_leaves_the_message_queued_with_rcv_large)
{
	struct body_msg m, r;
	__u32 port, q, size, status;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &q));
	mb_header(&m.h, port, MAILBOX_MSG_TYPE_MAKE_SEND, q, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, 3);
	memset(m.body, 0x77, sizeof(m.body));
	ASSERT_EQ(0, mb_send(self->fd, &m, sizeof(m), 0, 0, NULL));

	/* One byte short of the message. */
	size = sizeof(m) - 4;
	EXPECT_EQ(EMSGSIZE, mb_recv(self->fd, port, &r, &size, MAILBOX_MSG_RCV_LARGE, 0, &status));
	EXPECT_EQ(MAILBOX_RCV_TOO_LARGE, status);
	EXPECT_EQ(sizeof(m), size);
	EXPECT_EQ(1, mb_msgcount(self->fd, port));
	EXPECT_EQ(1, mb_sorights(self->fd, q));

	/* The trailer needs its room too. */
	size = sizeof(m);
	EXPECT_EQ(EMSGSIZE, mb_recv(self->fd, port, &r, &size,
				    MAILBOX_MSG_RCV_LARGE | MAILBOX_MSG_RCV_TRAILER, 0, &status));
	EXPECT_EQ(MAILBOX_RCV_TOO_LARGE, status);
	EXPECT_EQ(sizeof(m) + MB_TRAILER_SIZE, size);
	EXPECT_EQ(1, mb_msgcount(self->fd, port));

	/* Exactly the message size is enough. */
	size = sizeof(m);
	ASSERT_EQ(0, mb_recv(self->fd, port, &r, &size, MAILBOX_MSG_RCV_LARGE, 0, &status));
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, status);
	EXPECT_EQ(sizeof(m), size);
	EXPECT_EQ(3, r.h.id);
	EXPECT_EQ(0, memcmp(m.body, r.body, sizeof(m.body)));
	EXPECT_EQ(MAILBOX_PORT_TYPE_SEND_ONCE, mb_type_bits(self->fd, r.h.remote_port));
	EXPECT_EQ(0, mb_msgcount(self->fd, port));
}

TEST_F(mailbox, too_small_buffer_for_the_trailer_alone_fails)
{
	struct {
		struct mailbox_msg_header h;
		struct mailbox_msg_trailer t;
	} r;
	__u32 port, size, status;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	ASSERT_EQ(0, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_MAKE_SEND, 0, 0, 1, NULL));
	size = sizeof(r) - 4;
	EXPECT_EQ(EMSGSIZE, mb_recv(self->fd, port, &r, &size,
				    MAILBOX_MSG_RCV_TRAILER, 0, &status));
	EXPECT_EQ(MAILBOX_RCV_TOO_LARGE, status);
	EXPECT_EQ(sizeof(r), size);
	EXPECT_EQ(0, mb_msgcount(self->fd, port));
}

/* Send errors. */

TEST_F(mailbox, send_size_too_small_or_unaligned_fails_with_einval)
{
	static const __u32 sizes[] = { 0, 4, MB_HDR_SIZE - 4, MB_HDR_SIZE + 2,
				       MB_HDR_SIZE + 1, MB_HDR_SIZE + 3 };
	unsigned char buf[64];
	unsigned int i;
	__u32 port, status;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	memset(buf, 0, sizeof(buf));
	mb_header((void *)buf, port, MAILBOX_MSG_TYPE_MAKE_SEND, 0, 0, 1);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		EXPECT_EQ(EINVAL, mb_send(self->fd, buf, sizes[i], 0, 0, &status))
			TH_LOG("size %u", sizes[i]);
		EXPECT_EQ(MAILBOX_SEND_MSG_TOO_SMALL, status);
	}
	EXPECT_EQ(0, mb_msgcount(self->fd, port));
	/* The smallest valid size. */
	EXPECT_EQ(0, mb_send(self->fd, buf, MB_HDR_SIZE, 0, 0, &status));
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, status);
}

TEST_F(mailbox, send_from_an_unreadable_buffer_fails_with_efault)
{
	struct mailbox_msg_header *h;
	unsigned char *map;
	__u32 port, status;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	EXPECT_EQ(EFAULT, mb_send(self->fd, NULL, MB_HDR_SIZE, 0, 0, &status));
	EXPECT_EQ(MAILBOX_SEND_INVALID_DATA, status);

	/* A valid header whose body runs into an unmapped page. */
	map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, munmap(map + 4096, 4096));
	h = (void *)(map + 4096 - MB_HDR_SIZE);
	mb_header(h, port, MAILBOX_MSG_TYPE_MAKE_SEND, 0, 0, 1);
	EXPECT_EQ(EFAULT, mb_send(self->fd, h, MB_HDR_SIZE + 16, 0, 0, &status));
	EXPECT_EQ(MAILBOX_SEND_INVALID_DATA, status);
	EXPECT_EQ(0, mb_msgcount(self->fd, port));
	EXPECT_EQ(0, mb_send(self->fd, h, MB_HDR_SIZE, 0, 0, &status));
	munmap(map, 4096);
}

FIXTURE(bad_header) {
	int fd;
	__u32 port;
	__u32 reply;
};

FIXTURE_VARIANT(bad_header) {
	__u32 bits;
	__u32 voucher;
	bool null_local;	/* local_port NULL instead of the reply port */
};

FIXTURE_VARIANT_ADD(bad_header, unknown_bit) {
	.bits = 0x00100000 | MAILBOX_MSGH_BITS(MAILBOX_MSG_TYPE_COPY_SEND, 0),
	.null_local = true,
};

FIXTURE_VARIANT_ADD(bad_header, unknown_bit_between_fields) {
	.bits = 0x00000020 | MAILBOX_MSGH_BITS(MAILBOX_MSG_TYPE_COPY_SEND, 0),
	.null_local = true,
};

FIXTURE_VARIANT_ADD(bad_header, voucher) {
	.bits = MAILBOX_MSGH_BITS(MAILBOX_MSG_TYPE_COPY_SEND, 0),
	.voucher = 1,
	.null_local = true,
};

FIXTURE_VARIANT_ADD(bad_header, remote_none) {
	.bits = MAILBOX_MSGH_BITS(0, 0),
	.null_local = true,
};

FIXTURE_VARIANT_ADD(bad_header, remote_move_receive) {
	.bits = MAILBOX_MSGH_BITS(MAILBOX_MSG_TYPE_MOVE_RECEIVE, 0),
	.null_local = true,
};

FIXTURE_VARIANT_ADD(bad_header, remote_22) {
	.bits = MAILBOX_MSGH_BITS(22, 0),
	.null_local = true,
};

FIXTURE_VARIANT_ADD(bad_header, remote_15) {
	.bits = MAILBOX_MSGH_BITS(15, 0),
	.null_local = true,
};

FIXTURE_VARIANT_ADD(bad_header, local_move_receive) {
	.bits = MAILBOX_MSGH_BITS(MAILBOX_MSG_TYPE_COPY_SEND, MAILBOX_MSG_TYPE_MOVE_RECEIVE),
};

FIXTURE_VARIANT_ADD(bad_header, local_31) {
	.bits = MAILBOX_MSGH_BITS(MAILBOX_MSG_TYPE_COPY_SEND, 31),
};

FIXTURE_VARIANT_ADD(bad_header, local_none_with_a_port) {
	.bits = MAILBOX_MSGH_BITS(MAILBOX_MSG_TYPE_COPY_SEND, 0),
};

FIXTURE_VARIANT_ADD(bad_header, local_disposition_without_a_port) {
	.bits = MAILBOX_MSGH_BITS(MAILBOX_MSG_TYPE_COPY_SEND, MAILBOX_MSG_TYPE_MAKE_SEND),
	.null_local = true,
};

FIXTURE_SETUP(bad_header)
{
	self->fd = mb_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &self->port));
	ASSERT_EQ(0, mb_make_send(self->fd, self->port));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &self->reply));
}

FIXTURE_TEARDOWN(bad_header)
{
	close(self->fd);
}

TEST_F(bad_header, send_fails_with_einval_and_invalid_header)
{
	struct mailbox_msg_header h = {
		.bits = variant->bits,
		.remote_port = self->port,
		.local_port = variant->null_local ? MAILBOX_PORT_NULL : self->reply,
		.voucher_port = variant->voucher,
		.id = 1,
	};
	__u32 status;

	EXPECT_EQ(EINVAL, mb_send(self->fd, &h, sizeof(h), 0, 0, &status));
	EXPECT_EQ(MAILBOX_SEND_INVALID_HEADER, status);
	EXPECT_EQ(0, mb_msgcount(self->fd, self->port));
	EXPECT_EQ(1, mb_send_urefs(self->fd, self->port));
	EXPECT_EQ(0, mb_has_senders(self->fd, self->reply));
}

TEST_F(mailbox, send_to_null_or_unknown_destination_fails_with_enoent)
{
	static const __u32 names[] = { MAILBOX_PORT_NULL, MB_UNUSED_NAME };
	unsigned int i;
	__u32 status;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		EXPECT_EQ(ENOENT, mb_send_hdr(self->fd, names[i], MAILBOX_MSG_TYPE_COPY_SEND,
					      0, 0, 1, &status));
		EXPECT_EQ(MAILBOX_SEND_INVALID_DEST, status);
		EXPECT_EQ(ENOENT, mb_send_hdr(self->fd, names[i], MAILBOX_MSG_TYPE_MAKE_SEND_ONCE,
					      0, 0, 1, &status));
		EXPECT_EQ(MAILBOX_SEND_INVALID_DEST, status);
	}
}

TEST_F(mailbox, send_without_the_right_the_disposition_needs_fails_with_eperm)
{
	__u32 port, s, so, status;

	ASSERT_LE(0, open_second(self));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	ASSERT_EQ(0, mb_give_send(self->fd, self->fd2, port, &s));
	so = MAILBOX_PORT_NULL;
	ASSERT_EQ(0, mb_insert(self->fd, self->fd2, &so, port, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE));

	/* A receive right alone cannot be copied or moved. */
	EXPECT_EQ(EPERM, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1, &status));
	EXPECT_EQ(MAILBOX_SEND_INVALID_DEST, status);
	EXPECT_EQ(EPERM, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_MOVE_SEND, 0, 0, 1, &status));
	EXPECT_EQ(MAILBOX_SEND_INVALID_DEST, status);
	EXPECT_EQ(EPERM, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_MOVE_SEND_ONCE, 0, 0, 1,
				     &status));
	EXPECT_EQ(MAILBOX_SEND_INVALID_DEST, status);
	/* A send right cannot make anything. */
	EXPECT_EQ(EPERM, mb_send_hdr(self->fd2, s, MAILBOX_MSG_TYPE_MAKE_SEND, 0, 0, 1, &status));
	EXPECT_EQ(MAILBOX_SEND_INVALID_DEST, status);
	EXPECT_EQ(EPERM, mb_send_hdr(self->fd2, s, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, 0, 0, 1,
				     &status));
	EXPECT_EQ(MAILBOX_SEND_INVALID_DEST, status);
	EXPECT_EQ(EPERM, mb_send_hdr(self->fd2, s, MAILBOX_MSG_TYPE_MOVE_SEND_ONCE, 0, 0, 1,
				     &status));
	EXPECT_EQ(MAILBOX_SEND_INVALID_DEST, status);
	/* A send-once right is not a send right. */
	EXPECT_EQ(EPERM, mb_send_hdr(self->fd2, so, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1, &status));
	EXPECT_EQ(MAILBOX_SEND_INVALID_DEST, status);
	EXPECT_EQ(EPERM, mb_send_hdr(self->fd2, so, MAILBOX_MSG_TYPE_MOVE_SEND, 0, 0, 1, &status));
	EXPECT_EQ(MAILBOX_SEND_INVALID_DEST, status);

	EXPECT_EQ(0, mb_msgcount(self->fd, port));
	EXPECT_EQ(1, mb_send_urefs(self->fd2, s));
	EXPECT_EQ(MAILBOX_PORT_TYPE_SEND_ONCE, mb_type_bits(self->fd2, so));
	EXPECT_EQ(1, mb_sorights(self->fd, port));
}

TEST_F(mailbox, send_to_a_dead_port_fails_with_epipe_and_keeps_the_right)
{
	__u32 port, s, so, status;

	ASSERT_LE(0, open_second(self));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	ASSERT_EQ(0, mb_give_send(self->fd, self->fd2, port, &s));
	ASSERT_EQ(0, mb_mod_refs(self->fd2, s, MAILBOX_RIGHT_SEND, 1));
	so = MAILBOX_PORT_NULL;
	ASSERT_EQ(0, mb_insert(self->fd, self->fd2, &so, port, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE));
	ASSERT_EQ(0, mb_destroy(self->fd, port));

	EXPECT_EQ(EPIPE, mb_send_hdr(self->fd2, s, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1, &status));
	EXPECT_EQ(MAILBOX_SEND_INVALID_DEST, status);
	EXPECT_EQ(EPIPE, mb_send_hdr(self->fd2, s, MAILBOX_MSG_TYPE_MOVE_SEND, 0, 0, 1, &status));
	EXPECT_EQ(MAILBOX_SEND_INVALID_DEST, status);
	EXPECT_EQ(EPIPE, mb_send_hdr(self->fd2, so, MAILBOX_MSG_TYPE_MOVE_SEND_ONCE, 0, 0, 1,
				     &status));
	EXPECT_EQ(MAILBOX_SEND_INVALID_DEST, status);
	EXPECT_EQ(MAILBOX_PORT_TYPE_DEAD_NAME, mb_type_bits(self->fd2, s));
	EXPECT_EQ(2, mb_dead_urefs(self->fd2, s));
	EXPECT_EQ(1, mb_dead_urefs(self->fd2, so));
}

TEST_F(mailbox, send_with_a_bad_reply_fails_with_invalid_reply)
{
	__u32 port, q, s, dead_q, status;

	ASSERT_LE(0, open_second(self));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	ASSERT_EQ(0, mb_make_send(self->fd, port));
	ASSERT_EQ(0, mb_make_send(self->fd, port));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &q));
	/* fd holds a send right to fd2's port, which then dies. */
	ASSERT_EQ(0, mb_alloc_receive(self->fd2, &s));
	ASSERT_EQ(0, mb_give_send(self->fd2, self->fd, s, &dead_q));
	ASSERT_EQ(0, mb_destroy(self->fd2, s));

	/* Each with MOVE_SEND on the destination: its urefs must not move. */
	EXPECT_EQ(ENOENT, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_MOVE_SEND,
				      MB_UNUSED_NAME, MAILBOX_MSG_TYPE_COPY_SEND, 1, &status));
	EXPECT_EQ(MAILBOX_SEND_INVALID_REPLY, status);
	EXPECT_EQ(EPERM, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_MOVE_SEND,
				     q, MAILBOX_MSG_TYPE_COPY_SEND, 1, &status));
	EXPECT_EQ(MAILBOX_SEND_INVALID_REPLY, status);
	EXPECT_EQ(EPERM, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_MOVE_SEND,
				     q, MAILBOX_MSG_TYPE_MOVE_SEND_ONCE, 1, &status));
	EXPECT_EQ(MAILBOX_SEND_INVALID_REPLY, status);
	EXPECT_EQ(EPIPE, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_MOVE_SEND,
				     dead_q, MAILBOX_MSG_TYPE_COPY_SEND, 1, &status));
	EXPECT_EQ(MAILBOX_SEND_INVALID_REPLY, status);
	EXPECT_EQ(EPIPE, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_MOVE_SEND,
				     dead_q, MAILBOX_MSG_TYPE_MOVE_SEND, 1, &status));
	EXPECT_EQ(MAILBOX_SEND_INVALID_REPLY, status);

	EXPECT_EQ(2, mb_send_urefs(self->fd, port));
	EXPECT_EQ(0, mb_msgcount(self->fd, port));
	EXPECT_EQ(1, mb_dead_urefs(self->fd, dead_q));
}

TEST_F(mailbox, send_once_ignores_the_queue_limit)
{
	__u32 port, so, status;
	int i;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	ASSERT_EQ(0, mb_set_qlimit(self->fd, port, 1));
	ASSERT_EQ(0, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_MAKE_SEND, 0, 0, 1, &status));
	/* Full: a send right would have to wait. */
	EXPECT_EQ(EAGAIN, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_MAKE_SEND, 0, 0, 2,
				      &status));
	EXPECT_EQ(MAILBOX_SEND_TIMED_OUT, status);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE,
					 0, 0, 10 + i, &status));
		EXPECT_EQ(MAILBOX_MSG_SUCCESS, status);
	}
	ASSERT_EQ(0, mb_make_send_once(self->fd, port, &so));
	ASSERT_EQ(0, mb_send_hdr(self->fd, so, MAILBOX_MSG_TYPE_MOVE_SEND_ONCE, 0, 0, 20, &status));
	EXPECT_EQ(5, mb_msgcount(self->fd, port));
}

TEST_F(mailbox, queue_limit_lowered_below_the_queue_holds_sends_until_drained)
{
	struct mailbox_msg_header h;
	__u32 port, status;
	int i;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_MAKE_SEND,
					 0, 0, i, NULL));
	ASSERT_EQ(0, mb_set_qlimit(self->fd, port, 1));
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(EAGAIN, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_MAKE_SEND,
					      0, 0, 9, &status)) TH_LOG("%d queued", 3 - i);
		EXPECT_EQ(MAILBOX_SEND_TIMED_OUT, status);
		ASSERT_EQ(0, mb_recv_hdr(self->fd, port, &h, NULL));
		EXPECT_EQ(i, h.id);
	}
	EXPECT_EQ(0, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_MAKE_SEND, 0, 0, 9, &status));
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, status);
}

TEST_F(mailbox, failed_send_to_a_full_queue_consumes_no_right)
{
	__u32 port, q, so, status;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	ASSERT_EQ(0, mb_make_send(self->fd, port));
	ASSERT_EQ(0, mb_set_qlimit(self->fd, port, 1));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &q));
	ASSERT_EQ(0, mb_make_send_once(self->fd, q, &so));
	ASSERT_EQ(0, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1, &status));

	EXPECT_EQ(EAGAIN, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_MOVE_SEND,
				      so, MAILBOX_MSG_TYPE_MOVE_SEND_ONCE, 2, &status));
	EXPECT_EQ(MAILBOX_SEND_TIMED_OUT, status);
	EXPECT_EQ(1, mb_send_urefs(self->fd, port));
	EXPECT_EQ(MAILBOX_PORT_TYPE_SEND_ONCE, mb_type_bits(self->fd, so));
	EXPECT_EQ(1, mb_sorights(self->fd, q));
	EXPECT_EQ(1, mb_msgcount(self->fd, port));
}

/* Receive errors. */

TEST_F(mailbox, receive_on_null_or_unknown_name_fails_with_enoent)
{
	struct mailbox_msg_header h;
	__u32 status;

	EXPECT_EQ(ENOENT, mb_recv_hdr(self->fd, MAILBOX_PORT_NULL, &h, &status));
	EXPECT_EQ(MAILBOX_RCV_INVALID_NAME, status);
	EXPECT_EQ(ENOENT, mb_recv_hdr(self->fd, MB_UNUSED_NAME, &h, &status));
	EXPECT_EQ(MAILBOX_RCV_INVALID_NAME, status);
}

TEST_F(mailbox, receive_without_a_receive_right_fails_with_eperm)
{
	struct mailbox_msg_header h;
	__u32 port, s, so, d, status;

	ASSERT_LE(0, open_second(self));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	ASSERT_EQ(0, mb_give_send(self->fd, self->fd2, port, &s));
	ASSERT_EQ(0, mb_send_hdr(self->fd2, s, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1, NULL));
	so = MAILBOX_PORT_NULL;
	ASSERT_EQ(0, mb_insert(self->fd, self->fd2, &so, port, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE));
	ASSERT_EQ(0, mb_allocate(self->fd2, MAILBOX_RIGHT_DEAD_NAME, &d));

	EXPECT_EQ(EPERM, mb_recv_hdr(self->fd2, s, &h, &status));
	EXPECT_EQ(MAILBOX_RCV_INVALID_NAME, status);
	EXPECT_EQ(EPERM, mb_recv_hdr(self->fd2, so, &h, &status));
	EXPECT_EQ(MAILBOX_RCV_INVALID_NAME, status);
	EXPECT_EQ(EPERM, mb_recv_hdr(self->fd2, d, &h, &status));
	EXPECT_EQ(MAILBOX_RCV_INVALID_NAME, status);
	EXPECT_EQ(1, mb_msgcount(self->fd, port));
}

TEST_F(mailbox, receive_into_an_unwritable_buffer_fails_and_keeps_the_message)
{
	struct mailbox_msg m = { 0 };
	struct body_msg s, r;
	void *ro;
	__u32 port, size;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	mb_header(&s.h, port, MAILBOX_MSG_TYPE_MAKE_SEND, 0, 0, 77);
	memset(s.body, 0x42, sizeof(s.body));
	ASSERT_EQ(0, mb_send(self->fd, &s, sizeof(s), 0, 0, NULL));

	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	m.rcv_msg = (uintptr_t)ro;
	m.rcv_size = 4096;
	m.rcv_name = port;
	m.options = MAILBOX_MSG_RCV | MAILBOX_MSG_RCV_TIMEOUT;
	m.status = MB_PATTERN32;
	EXPECT_EQ(EFAULT, mb_msg(self->fd, &m));
	EXPECT_EQ(MAILBOX_RCV_INVALID_DATA, m.status);
	EXPECT_EQ(1, mb_msgcount(self->fd, port));

	/* An address that is not mapped at all. */
	m.rcv_msg = 8;
	m.status = MB_PATTERN32;
	EXPECT_EQ(EFAULT, mb_msg(self->fd, &m));
	EXPECT_EQ(MAILBOX_RCV_INVALID_DATA, m.status);
	EXPECT_EQ(1, mb_msgcount(self->fd, port));
	munmap(ro, 4096);

	size = sizeof(r);
	ASSERT_EQ(0, mb_recv(self->fd, port, &r, &size, 0, 0, NULL));
	EXPECT_EQ(77, r.h.id);
	EXPECT_EQ(0, memcmp(s.body, r.body, sizeof(s.body)));
}

/* Options. */

TEST_F(mailbox, msg_without_send_or_receive_fails_with_einval)
{
	struct mailbox_msg m = { .status = MB_PATTERN32 };
	__u32 port;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	m.rcv_name = port;
	m.options = MAILBOX_MSG_RCV_TIMEOUT | MAILBOX_MSG_SEND_TIMEOUT;
	EXPECT_EQ(EINVAL, mb_msg(self->fd, &m));
	EXPECT_EQ(MAILBOX_SEND_INVALID_OPTIONS, m.status);
	m.options = 0;
	m.status = MB_PATTERN32;
	EXPECT_EQ(EINVAL, mb_msg(self->fd, &m));
	EXPECT_EQ(MAILBOX_SEND_INVALID_OPTIONS, m.status);
}

TEST_F(mailbox, msg_with_unknown_options_or_reserved_fails_with_einval)
{
	struct mailbox_msg_header h;
	struct mailbox_msg m;
	__u32 port, bit;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	mb_header(&h, port, MAILBOX_MSG_TYPE_MAKE_SEND, 0, 0, 1);
	for (bit = MAILBOX_MSG_OPTIONS_ALL + 1; bit; bit <<= 1) {
		m = (struct mailbox_msg) {
			.send_msg = (uintptr_t)&h,
			.options = MAILBOX_MSG_SEND | bit,
			.send_size = sizeof(h),
			.status = MB_PATTERN32,
		};
		EXPECT_EQ(EINVAL, mb_msg(self->fd, &m)) TH_LOG("option %#x", bit);
		EXPECT_EQ(MAILBOX_SEND_INVALID_OPTIONS, m.status);
	}
	m = (struct mailbox_msg) {
		.send_msg = (uintptr_t)&h,
		.options = MAILBOX_MSG_SEND,
		.send_size = sizeof(h),
		.status = MB_PATTERN32,
		.rcv_filter = 1,
	};
	EXPECT_EQ(EINVAL, mb_msg(self->fd, &m));
	EXPECT_EQ(MAILBOX_SEND_INVALID_OPTIONS, m.status);
	m.rcv_filter = 0;
	m.reserved = 1;
	m.status = MB_PATTERN32;
	EXPECT_EQ(EINVAL, mb_msg(self->fd, &m));
	EXPECT_EQ(MAILBOX_SEND_INVALID_OPTIONS, m.status);
	EXPECT_EQ(0, mb_msgcount(self->fd, port));
}

/* Send and receive in one call. */

TEST_F(mailbox, send_and_receive_in_one_call_receives_the_message_sent)
{
	struct mailbox_msg_header h;
	struct body_msg r;
	struct mailbox_msg m;
	__u32 port;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	mb_header(&h, port, MAILBOX_MSG_TYPE_MAKE_SEND, port, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, 11);
	memset(&r, MB_PATTERN, sizeof(r));
	m = (struct mailbox_msg) {
		.send_msg = (uintptr_t)&h,
		.rcv_msg = (uintptr_t)&r,
		.options = MAILBOX_MSG_SEND | MAILBOX_MSG_RCV,
		.send_size = sizeof(h),
		.rcv_size = sizeof(r),
		.rcv_name = port,
		.status = MB_PATTERN32,
	};
	ASSERT_EQ(0, mb_msg(self->fd, &m));
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, m.status);
	EXPECT_EQ(MB_HDR_SIZE, m.rcv_size);
	EXPECT_EQ(11, r.h.id);
	EXPECT_EQ(port, r.h.local_port);
	EXPECT_EQ(MAILBOX_MSGH_BITS(MAILBOX_MSG_TYPE_PORT_SEND_ONCE, MAILBOX_MSG_TYPE_PORT_SEND),
		  r.h.bits);
	EXPECT_EQ(MAILBOX_PORT_TYPE_SEND_ONCE, mb_type_bits(self->fd, r.h.remote_port));
}

TEST_F(mailbox, send_failure_in_one_call_receives_nothing)
{
	struct mailbox_msg_header h, r;
	struct mailbox_msg m;
	__u32 port;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	ASSERT_EQ(0, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_MAKE_SEND, 0, 0, 1, NULL));
	mb_header(&h, MB_UNUSED_NAME, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 2);
	memset(&r, MB_PATTERN, sizeof(r));
	m = (struct mailbox_msg) {
		.send_msg = (uintptr_t)&h,
		.rcv_msg = (uintptr_t)&r,
		.options = MAILBOX_MSG_SEND | MAILBOX_MSG_RCV,
		.send_size = sizeof(h),
		.rcv_size = sizeof(r),
		.rcv_name = port,
		.status = MB_PATTERN32,
	};
	EXPECT_EQ(ENOENT, mb_msg(self->fd, &m));
	EXPECT_EQ(MAILBOX_SEND_INVALID_DEST, m.status);
	EXPECT_EQ(MB_PATTERN32, r.id);
	EXPECT_EQ(1, mb_msgcount(self->fd, port));
}

TEST_F(mailbox, receive_failure_in_one_call_still_sends)
{
	struct mailbox_msg_header h, r;
	struct mailbox_msg m;
	__u32 port, empty;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	mb_header(&h, port, MAILBOX_MSG_TYPE_MAKE_SEND, 0, 0, 1);
	m = (struct mailbox_msg) {
		.send_msg = (uintptr_t)&h,
		.rcv_msg = (uintptr_t)&r,
		.options = MAILBOX_MSG_SEND | MAILBOX_MSG_RCV,
		.send_size = sizeof(h),
		.rcv_size = sizeof(r),
		.rcv_name = MB_UNUSED_NAME,
		.status = MB_PATTERN32,
	};
	EXPECT_EQ(ENOENT, mb_msg(self->fd, &m));
	EXPECT_EQ(MAILBOX_RCV_INVALID_NAME, m.status);
	EXPECT_EQ(1, mb_msgcount(self->fd, port));

	/* And an empty port with RCV_TIMEOUT 0. */
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &empty));
	m.rcv_name = empty;
	m.options |= MAILBOX_MSG_RCV_TIMEOUT;
	m.status = MB_PATTERN32;
	EXPECT_EQ(EAGAIN, mb_msg(self->fd, &m));
	EXPECT_EQ(MAILBOX_RCV_TIMED_OUT, m.status);
	EXPECT_EQ(2, mb_msgcount(self->fd, port));
}

TEST_F(mailbox, reply_port_that_died_in_flight_arrives_as_dead)
{
	struct mailbox_msg_header h;
	__u32 port, q;

	ASSERT_LE(0, open_second(self));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	ASSERT_EQ(0, mb_alloc_receive(self->fd2, &q));
	/* fd2 sends to port with a send-once reply to q, then q dies. */
	ASSERT_EQ(0, mb_give_send(self->fd, self->fd2, port, &h.remote_port));
	ASSERT_EQ(0, mb_send_hdr(self->fd2, h.remote_port, MAILBOX_MSG_TYPE_COPY_SEND,
				 q, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, 1, NULL));
	ASSERT_EQ(0, close(self->fd2));
	self->fd2 = -1;
	ASSERT_EQ(0, mb_recv_hdr(self->fd, port, &h, NULL));
	EXPECT_EQ(MAILBOX_PORT_DEAD, h.remote_port);
	EXPECT_EQ(port, h.local_port);
	EXPECT_EQ(1, h.id);
}

/*
 * Nothing outlives the space: after each scenario and close(), the current
 * counters in debugfs stats are back where they started.
 */
enum leak_scenario {
	LEAK_EAGAIN_COPY_SEND,
	LEAK_EAGAIN_MAKE_SEND,
	LEAK_EAGAIN_MOVE_SEND,
	LEAK_EAGAIN_REPLY_MAKE_SEND_ONCE,
	LEAK_EAGAIN_REPLY_MOVE_SEND_ONCE,
	LEAK_ETIMEDOUT_MOVE_SEND,
	LEAK_SEND_ONCE_BEYOND_THE_LIMIT,
	LEAK_MOVE_SEND_ONCE_QUEUED,
	LEAK_SEND_ONCE_LEFT_IN_THE_SPACE,
	LEAK_REPLY_SEND_ONCE_QUEUED,
	LEAK_RIGHTS_TO_THE_PORT_QUEUED_ON_IT,
};

FIXTURE(leak) {
	int fd;
	unsigned long long before[5];
	bool have_stats;
};

FIXTURE_VARIANT(leak) {
	enum leak_scenario scenario;
};

FIXTURE_VARIANT_ADD(leak, eagain_copy_send) { .scenario = LEAK_EAGAIN_COPY_SEND };

FIXTURE_VARIANT_ADD(leak, eagain_make_send) { .scenario = LEAK_EAGAIN_MAKE_SEND };

FIXTURE_VARIANT_ADD(leak, eagain_move_send) { .scenario = LEAK_EAGAIN_MOVE_SEND };

FIXTURE_VARIANT_ADD(leak, eagain_reply_make_send_once) {
	.scenario = LEAK_EAGAIN_REPLY_MAKE_SEND_ONCE,
};

FIXTURE_VARIANT_ADD(leak, eagain_reply_move_send_once) {
	.scenario = LEAK_EAGAIN_REPLY_MOVE_SEND_ONCE,
};

FIXTURE_VARIANT_ADD(leak, etimedout_move_send) { .scenario = LEAK_ETIMEDOUT_MOVE_SEND };

FIXTURE_VARIANT_ADD(leak, send_once_beyond_the_limit) {
	.scenario = LEAK_SEND_ONCE_BEYOND_THE_LIMIT,
};

FIXTURE_VARIANT_ADD(leak, move_send_once_queued) { .scenario = LEAK_MOVE_SEND_ONCE_QUEUED };

FIXTURE_VARIANT_ADD(leak, send_once_left_in_the_space) {
	.scenario = LEAK_SEND_ONCE_LEFT_IN_THE_SPACE,
};

FIXTURE_VARIANT_ADD(leak, reply_send_once_queued) { .scenario = LEAK_REPLY_SEND_ONCE_QUEUED };

FIXTURE_VARIANT_ADD(leak, rights_to_the_port_queued_on_it) {
	.scenario = LEAK_RIGHTS_TO_THE_PORT_QUEUED_ON_IT,
};

static const char *const leak_keys[] = {
	"spaces", "ports", "entries", "messages", "message_bytes",
};

FIXTURE_SETUP(leak)
{
	unsigned int i;

	self->have_stats = true;
	for (i = 0; i < ARRAY_SIZE(leak_keys); i++)
		if (mb_stat(leak_keys[i], &self->before[i]))
			self->have_stats = false;
	self->fd = mb_open();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(leak)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(leak, counters_return_to_the_start_after_close)
{
	__u32 port, q, so, status;
	struct mailbox_msg_header h;
	unsigned long long v;
	unsigned int i;
	int tries;

	if (!self->have_stats)
		SKIP(return, "%s not available", MB_STATS);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	ASSERT_EQ(0, mb_make_send(self->fd, port));
	ASSERT_EQ(0, mb_set_qlimit(self->fd, port, 1));
	ASSERT_EQ(0, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 0, NULL));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &q));

	switch (variant->scenario) {
	case LEAK_EAGAIN_COPY_SEND:
		ASSERT_EQ(EAGAIN, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_COPY_SEND,
					      0, 0, 1, &status));
		break;
	case LEAK_EAGAIN_MAKE_SEND:
		ASSERT_EQ(EAGAIN, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_MAKE_SEND,
					      0, 0, 1, &status));
		break;
	case LEAK_EAGAIN_MOVE_SEND:
		ASSERT_EQ(EAGAIN, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_MOVE_SEND,
					      0, 0, 1, &status));
		break;
	case LEAK_EAGAIN_REPLY_MAKE_SEND_ONCE:
		ASSERT_EQ(EAGAIN, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_COPY_SEND,
					      q, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, 1, &status));
		break;
	case LEAK_EAGAIN_REPLY_MOVE_SEND_ONCE:
		ASSERT_EQ(0, mb_make_send_once(self->fd, q, &so));
		ASSERT_EQ(EAGAIN, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_COPY_SEND,
					      so, MAILBOX_MSG_TYPE_MOVE_SEND_ONCE, 1, &status));
		break;
	case LEAK_ETIMEDOUT_MOVE_SEND:
		mb_header(&h, port, MAILBOX_MSG_TYPE_MOVE_SEND, 0, 0, 1);
		ASSERT_EQ(ETIMEDOUT, mb_send(self->fd, &h, sizeof(h), MAILBOX_MSG_SEND_TIMEOUT,
					     MB_MSEC, &status));
		break;
	case LEAK_SEND_ONCE_BEYOND_THE_LIMIT:
		ASSERT_EQ(0, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE,
					 0, 0, 1, &status));
		break;
	case LEAK_MOVE_SEND_ONCE_QUEUED:
		ASSERT_EQ(0, mb_make_send_once(self->fd, q, &so));
		ASSERT_EQ(0, mb_send_hdr(self->fd, so, MAILBOX_MSG_TYPE_MOVE_SEND_ONCE,
					 0, 0, 1, &status));
		break;
	case LEAK_SEND_ONCE_LEFT_IN_THE_SPACE:
		ASSERT_EQ(0, mb_make_send_once(self->fd, q, &so));
		break;
	case LEAK_REPLY_SEND_ONCE_QUEUED:
		ASSERT_EQ(0, mb_set_qlimit(self->fd, port, 2));
		ASSERT_EQ(0, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_COPY_SEND,
					 q, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, 1, &status));
		break;
	case LEAK_RIGHTS_TO_THE_PORT_QUEUED_ON_IT:
		/* A cycle: q's queue holds send and send-once rights to q. */
		ASSERT_EQ(0, mb_set_qlimit(self->fd, port, 3));
		ASSERT_EQ(0, mb_send_hdr(self->fd, q, MAILBOX_MSG_TYPE_MAKE_SEND,
					 q, MAILBOX_MSG_TYPE_MAKE_SEND, 1, &status));
		ASSERT_EQ(0, mb_send_hdr(self->fd, q, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE,
					 q, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, 2, &status));
		ASSERT_EQ(0, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_COPY_SEND,
					 port, MAILBOX_MSG_TYPE_COPY_SEND, 3, &status));
		break;
	}
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;

	for (i = 0; i < ARRAY_SIZE(leak_keys); i++) {
		for (tries = 0; tries < 200; tries++) {
			ASSERT_EQ(0, mb_stat(leak_keys[i], &v));
			if (v == self->before[i])
				break;
			usleep(10 * 1000);
		}
		EXPECT_EQ(self->before[i], v) TH_LOG("%s", leak_keys[i]);
	}
}

static unsigned int overflow_id(const char *path)
{
	unsigned int v = 65534;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = 65534;
		fclose(f);
	}
	return v;
}

TEST_F(mailbox, trailer_pid_is_zero_when_the_sender_is_not_in_the_receivers_pid_namespace)
{
	struct {
		struct mailbox_msg_header h;
		struct mailbox_msg_trailer t;
	} r;
	__u32 port, size;
	int go[2];
	pid_t pid;
	char c;

	if (geteuid() != 0)
		SKIP(return, "needs root for a pid namespace");
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	ASSERT_EQ(0, mb_make_send(self->fd, port));
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, unshare(CLONE_NEWPID));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* pid 1 of a new namespace, where our parent is invisible. */
		mb_child_init();
		CHILD_CHECK(getpid() == 1);
		CHILD_CHECK(read(go[0], &c, 1) == 1);
		size = sizeof(r);
		CHILD_CHECK(mb_recv(self->fd, port, &r, &size,
				    MAILBOX_MSG_RCV_TRAILER | MAILBOX_MSG_RCV_TIMEOUT, 0,
				    NULL) == 0);
		CHILD_CHECK(r.h.id == 1);
		CHILD_CHECK(r.t.sender_pid == 0);
		/* Its own message shows its own pid there. */
		CHILD_CHECK(mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_COPY_SEND,
					0, 0, 2, NULL) == 0);
		size = sizeof(r);
		CHILD_CHECK(mb_recv(self->fd, port, &r, &size,
				    MAILBOX_MSG_RCV_TRAILER | MAILBOX_MSG_RCV_TIMEOUT, 0,
				    NULL) == 0);
		CHILD_CHECK(r.t.sender_pid == 1);
		CHILD_CHECK(mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_COPY_SEND,
					0, 0, 3, NULL) == 0);
		_exit(0);
	}
	ASSERT_EQ(0, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1, NULL));
	ASSERT_EQ(1, write(go[1], "x", 1));
	ASSERT_EQ(0, mb_wait_child(pid));
	/* From here the child is seen with its pid in our namespace. */
	size = sizeof(r);
	ASSERT_EQ(0, mb_recv(self->fd, port, &r, &size,
			     MAILBOX_MSG_RCV_TRAILER | MAILBOX_MSG_RCV_TIMEOUT, 0, NULL));
	EXPECT_EQ(3, r.h.id);
	EXPECT_EQ(pid, r.t.sender_pid);
	close(go[0]);
	close(go[1]);
}

TEST_F(mailbox, trailer_ids_are_overflow_ids_when_unmapped_in_the_receivers_user_namespace)
{
	struct {
		struct mailbox_msg_header h;
		struct mailbox_msg_trailer t;
	} r;
	unsigned int ouid = overflow_id("/proc/sys/kernel/overflowuid");
	unsigned int ogid = overflow_id("/proc/sys/kernel/overflowgid");
	__u32 port, size;
	pid_t pid;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	ASSERT_EQ(0, mb_make_send(self->fd, port));
	ASSERT_EQ(0, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1, NULL));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		mb_child_init();
		/* A user namespace with no mapping at all. */
		if (unshare(CLONE_NEWUSER))
			_exit(255 - 1);
		size = sizeof(r);
		CHILD_CHECK(mb_recv(self->fd, port, &r, &size,
				    MAILBOX_MSG_RCV_TRAILER | MAILBOX_MSG_RCV_TIMEOUT, 0,
				    NULL) == 0);
		CHILD_CHECK(r.t.sender_uid == ouid);
		CHILD_CHECK(r.t.sender_gid == ogid);
		_exit(0);
	}
	ASSERT_EQ(0, mb_wait_child(pid)) TH_LOG("254: unshare(CLONE_NEWUSER) failed");
}

TEST_HARNESS_MAIN
