// SPDX-License-Identifier: GPL-2.0
/*
 * Complex messages: port and port-array descriptors with every disposition
 * (MOVE_RECEIVE included), translation into the receiver's space with the
 * exact user references, port-array placement and sizes, malformed
 * descriptors, all-or-nothing failures, moving receive rights (queue and
 * attributes kept, EIDRM for the old space's receiver), cycles, and ports
 * in transit destroyed with their carrier.
 */
#include "issue4_test.h"

#include <sys/mman.h>

#include "kselftest_harness.h"

FIXTURE(mailbox) {
	int fd;		/* space A: the sender in most tests */
	int fd2;	/* space B: the receiver */
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

struct rbuf {
	union {
		struct mailbox_msg_header h;
		unsigned char b[MB_CMSG_MAX];
	};
};

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

/* B allocates the port *pb; A gets a send right *sa to it. */
static void b_port(struct __test_metadata *_metadata,
		   FIXTURE_DATA(mailbox) *self, __u32 *pb, __u32 *sa)
{
	ASSERT_EQ(0, mb_alloc_receive(self->fd2, pb));
	ASSERT_EQ(0, mb_give_send(self->fd2, self->fd, *pb, sa));
	ASSERT_RIGHT(self->fd, *sa, SND, 1);
}

/*
 * A sends one port descriptor (@name, @disp) to B's port @pb through the
 * send right @sa; B receives it. Checks the received layout and returns
 * the name B got.
 */
static __u32 carry(struct __test_metadata *_metadata,
		   FIXTURE_DATA(mailbox) *self, __u32 sa, __u32 pb,
		   __u32 name, __u32 disp, __u32 rcv_disp)
{
	static struct mb_cmsg m;
	static struct rbuf r;
	struct mailbox_msg_port_descriptor *d;
	__u32 size, status;

	mb_cmsg_init(&m, sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1234);
	mb_cmsg_port(&m, name, disp);
	EXPECT_EQ(0, mb_cmsg_send(self->fd, &m, &status));
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, status);
	EXPECT_EQ(0, mb_recv_now(self->fd2, pb, &r, sizeof(r), 0, &size, &status));
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, status);
	EXPECT_EQ(MB_HDR_SIZE + MB_BODY_SIZE + MB_PORT_DESC, size);
	EXPECT_EQ(size, r.h.size);
	EXPECT_EQ(MAILBOX_MSGH_COMPLEX |
		  MAILBOX_MSGH_BITS(0, MAILBOX_MSG_TYPE_PORT_SEND), r.h.bits);
	EXPECT_EQ(1234, r.h.id);
	EXPECT_EQ(1, mb_cmsg_body(&r)->descriptor_count);
	d = mb_port_desc(&r, 0);
	EXPECT_EQ(0, d->pad1);
	EXPECT_EQ(0, d->pad2);
	EXPECT_EQ(rcv_disp, d->disposition);
	EXPECT_EQ(MAILBOX_MSG_PORT_DESCRIPTOR, d->type);
	EXPECT_EQ(MB_PATTERN, r.b[size]);
	return d->name;
}

TEST_F(mailbox, port_descriptor_and_free_data_are_translated_for_the_receiver)
{
	static struct mb_cmsg m;
	static struct rbuf r;
	struct mailbox_msg_port_descriptor *d;
	const char data[12] = "free data 1";
	__u32 pb, sa, x, size, status;

	b_port(_metadata, self, &pb, &sa);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	mb_cmsg_init(&m, sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 7);
	mb_cmsg_port(&m, x, MAILBOX_MSG_TYPE_MAKE_SEND);
	mb_cmsg_data(&m, data, sizeof(data));
	m.h.size = 0xdeadbeef;	/* ignored on send */
	ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status));
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, status);
	EXPECT_EQ(1, mb_msgcount(self->fd2, pb));

	ASSERT_EQ(0, mb_recv_now(self->fd2, pb, &r, sizeof(r), 0, &size, &status));
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, status);
	EXPECT_EQ(m.len, size);
	EXPECT_EQ(m.len, r.h.size);
	EXPECT_EQ(MAILBOX_MSGH_COMPLEX |
		  MAILBOX_MSGH_BITS(0, MAILBOX_MSG_TYPE_PORT_SEND), r.h.bits);
	EXPECT_EQ(MAILBOX_PORT_NULL, r.h.remote_port);
	EXPECT_EQ(pb, r.h.local_port);
	EXPECT_EQ(0, r.h.voucher_port);
	EXPECT_EQ(7, r.h.id);
	EXPECT_EQ(1, mb_cmsg_body(&r)->descriptor_count);
	d = mb_port_desc(&r, 0);
	EXPECT_NE(MAILBOX_PORT_NULL, d->name);
	EXPECT_NE(MAILBOX_PORT_DEAD, d->name);
	EXPECT_NE(pb, d->name);
	EXPECT_EQ(0, d->pad1);
	EXPECT_EQ(0, d->pad2);
	EXPECT_EQ(MAILBOX_MSG_TYPE_PORT_SEND, d->disposition);
	EXPECT_EQ(MAILBOX_MSG_PORT_DESCRIPTOR, d->type);
	EXPECT_EQ(0, memcmp(data, r.b + MB_HDR_SIZE + MB_BODY_SIZE + MB_PORT_DESC,
			    sizeof(data)));
	EXPECT_EQ(MB_PATTERN, r.b[size]);
	ASSERT_RIGHT(self->fd2, d->name, SND, 1);

	/* The right works: B sends to A's port through it. */
	ASSERT_EQ(0, mb_send_hdr(self->fd2, d->name, MAILBOX_MSG_TYPE_COPY_SEND,
				 0, 0, 99, &status));
	EXPECT_EQ(1, mb_msgcount(self->fd, x));
}

TEST_F(mailbox, make_send_descriptor_makes_a_send_right_and_counts_it)
{
	struct mailbox_port_attr at;
	__u32 pb, sa, x, n;

	b_port(_metadata, self, &pb, &sa);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	n = carry(_metadata, self, sa, pb, x, MAILBOX_MSG_TYPE_MAKE_SEND,
		  MAILBOX_MSG_TYPE_PORT_SEND);
	ASSERT_RIGHT(self->fd, x, RCV, 0);
	ASSERT_RIGHT(self->fd2, n, SND, 1);
	ASSERT_EQ(0, mb_get_attr(self->fd, x, &at));
	EXPECT_EQ(1, at.mscount);
	EXPECT_EQ(1, at.has_senders);
}

TEST_F(mailbox, copy_send_descriptor_leaves_the_senders_urefs_unchanged)
{
	__u32 pb, sa, x, n;

	b_port(_metadata, self, &pb, &sa);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	ASSERT_EQ(0, mb_make_send(self->fd, x));
	ASSERT_EQ(0, mb_make_send(self->fd, x));
	n = carry(_metadata, self, sa, pb, x, MAILBOX_MSG_TYPE_COPY_SEND,
		  MAILBOX_MSG_TYPE_PORT_SEND);
	ASSERT_RIGHT(self->fd, x, RCV | SND, 2);
	ASSERT_RIGHT(self->fd2, n, SND, 1);
	ASSERT_RIGHT(self->fd, sa, SND, 1);
}

TEST_F(mailbox, move_send_descriptor_takes_one_uref)
{
	__u32 pb, sa, x, n;

	b_port(_metadata, self, &pb, &sa);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	ASSERT_EQ(0, mb_make_send(self->fd, x));
	ASSERT_EQ(0, mb_make_send(self->fd, x));
	n = carry(_metadata, self, sa, pb, x, MAILBOX_MSG_TYPE_MOVE_SEND,
		  MAILBOX_MSG_TYPE_PORT_SEND);
	ASSERT_RIGHT(self->fd, x, RCV | SND, 1);
	ASSERT_RIGHT(self->fd2, n, SND, 1);
	EXPECT_EQ(2, mb_name_count(self->fd2));
}

TEST_F(mailbox, send_right_arriving_where_its_receive_right_is_named_joins_it)
{
	__u32 pb, sa, pc, sc, n;

	b_port(_metadata, self, &pb, &sa);
	/* A holds B's port pc by a send-only name and moves its last uref. */
	ASSERT_EQ(0, mb_alloc_receive(self->fd2, &pc));
	ASSERT_EQ(0, mb_give_send(self->fd2, self->fd, pc, &sc));
	n = carry(_metadata, self, sa, pb, sc, MAILBOX_MSG_TYPE_MOVE_SEND,
		  MAILBOX_MSG_TYPE_PORT_SEND);
	ASSERT_GONE(self->fd, sc);
	EXPECT_EQ(pc, n);
	ASSERT_RIGHT(self->fd2, pc, RCV | SND, 1);
	EXPECT_EQ(2, mb_name_count(self->fd2));
}

TEST_F(mailbox, make_send_once_descriptor_makes_a_usable_send_once_right)
{
	struct mailbox_msg_header h;
	__u32 pb, sa, x, n, status;

	b_port(_metadata, self, &pb, &sa);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	n = carry(_metadata, self, sa, pb, x, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE,
		  MAILBOX_MSG_TYPE_PORT_SEND_ONCE);
	ASSERT_RIGHT(self->fd, x, RCV, 0);
	ASSERT_RIGHT(self->fd2, n, SO, 0);
	EXPECT_EQ(1, mb_sorights(self->fd, x));

	ASSERT_EQ(0, mb_send_hdr(self->fd2, n, MAILBOX_MSG_TYPE_MOVE_SEND_ONCE,
				 0, 0, 5, &status));
	ASSERT_GONE(self->fd2, n);
	ASSERT_EQ(0, mb_recv_hdr(self->fd, x, &h, &status));
	EXPECT_EQ(MAILBOX_MSGH_BITS(0, MAILBOX_MSG_TYPE_PORT_SEND_ONCE), h.bits);
	EXPECT_EQ(5, h.id);
	EXPECT_EQ(0, mb_sorights(self->fd, x));
}

TEST_F(mailbox, move_send_once_descriptor_moves_the_right)
{
	struct mailbox_msg_header h;
	__u32 pb, sa, x, so, n, status;

	b_port(_metadata, self, &pb, &sa);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	ASSERT_EQ(0, mb_make_send_once(self->fd, x, &so));
	n = carry(_metadata, self, sa, pb, so, MAILBOX_MSG_TYPE_MOVE_SEND_ONCE,
		  MAILBOX_MSG_TYPE_PORT_SEND_ONCE);
	ASSERT_GONE(self->fd, so);
	ASSERT_RIGHT(self->fd2, n, SO, 0);
	EXPECT_EQ(1, mb_sorights(self->fd, x));
	ASSERT_EQ(0, mb_deallocate(self->fd2, n));
	ASSERT_GONE(self->fd2, n);
	/* Destroyed unused: the send-once notification uses the right. */
	EXPECT_EQ(1, mb_msgcount(self->fd, x));
	ASSERT_EQ(0, mb_recv_hdr(self->fd, x, &h, &status));
	EXPECT_EQ(MAILBOX_NOTIFY_SEND_ONCE, h.id);
	EXPECT_EQ(0, mb_sorights(self->fd, x));
}

TEST_F(mailbox, move_receive_descriptor_keeps_queue_qlimit_seqno_and_mscount)
{
	static struct rbuf r;
	struct mailbox_port_attr at;
	struct mailbox_msg_trailer *t;
	__u32 pb, sa, x, n, size, status;

	b_port(_metadata, self, &pb, &sa);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	ASSERT_EQ(0, mb_set_attr(self->fd, x, MAILBOX_ATTR_ALL, 3, 40, 9));
	ASSERT_EQ(0, mb_send_hdr(self->fd, x, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE,
				 0, 0, 101, &status));
	ASSERT_EQ(0, mb_send_hdr(self->fd, x, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE,
				 0, 0, 102, &status));
	ASSERT_EQ(2, mb_msgcount(self->fd, x));

	n = carry(_metadata, self, sa, pb, x, MAILBOX_MSG_TYPE_MOVE_RECEIVE,
		  MAILBOX_MSG_TYPE_PORT_RECEIVE);
	ASSERT_GONE(self->fd, x);
	EXPECT_EQ(1, mb_name_count(self->fd));	/* sa only */
	ASSERT_RIGHT(self->fd2, n, RCV, 0);
	ASSERT_EQ(0, mb_get_attr(self->fd2, n, &at));
	EXPECT_EQ(3, at.qlimit);
	EXPECT_EQ(2, at.msgcount);
	EXPECT_EQ(40, at.seqno);
	EXPECT_EQ(9, at.mscount);
	EXPECT_EQ(0, at.has_senders);

	ASSERT_EQ(0, mb_recv_now(self->fd2, n, &r, sizeof(r),
				 MAILBOX_MSG_RCV_TRAILER, &size, &status));
	EXPECT_EQ(101, r.h.id);
	EXPECT_EQ(n, r.h.local_port);
	t = mb_trailer(&r);
	EXPECT_EQ(40, t->seqno);
	ASSERT_EQ(0, mb_recv_now(self->fd2, n, &r, sizeof(r),
				 MAILBOX_MSG_RCV_TRAILER, &size, &status));
	EXPECT_EQ(102, r.h.id);
	EXPECT_EQ(41, mb_trailer(&r)->seqno);
	EXPECT_EQ(0, mb_msgcount(self->fd2, n));
}

TEST_F(mailbox, move_receive_leaves_the_senders_send_right_under_its_name)
{
	struct mailbox_msg_header h;
	__u32 pb, sa, x, n, status;

	b_port(_metadata, self, &pb, &sa);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	ASSERT_EQ(0, mb_make_send(self->fd, x));
	ASSERT_EQ(0, mb_make_send(self->fd, x));
	n = carry(_metadata, self, sa, pb, x, MAILBOX_MSG_TYPE_MOVE_RECEIVE,
		  MAILBOX_MSG_TYPE_PORT_RECEIVE);
	ASSERT_RIGHT(self->fd, x, SND, 2);
	ASSERT_RIGHT(self->fd2, n, RCV, 0);
	EXPECT_EQ(1, mb_has_senders(self->fd2, n));
	EXPECT_EQ(EPERM, mb_get_attr(self->fd, x, &(struct mailbox_port_attr){}));

	/* A's send right still reaches the port, now received in B. */
	ASSERT_EQ(0, mb_send_hdr(self->fd, x, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0,
				 77, &status));
	ASSERT_EQ(0, mb_recv_hdr(self->fd2, n, &h, &status));
	EXPECT_EQ(77, h.id);
	EXPECT_EQ(n, h.local_port);
}

TEST_F(mailbox, receive_right_arriving_where_a_send_right_is_named_joins_it)
{
	__u32 pb, sa, x, bs, n;

	b_port(_metadata, self, &pb, &sa);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	ASSERT_EQ(0, mb_give_send(self->fd, self->fd2, x, &bs));
	n = carry(_metadata, self, sa, pb, x, MAILBOX_MSG_TYPE_MOVE_RECEIVE,
		  MAILBOX_MSG_TYPE_PORT_RECEIVE);
	EXPECT_EQ(bs, n);
	ASSERT_RIGHT(self->fd2, bs, RCV | SND, 1);
	ASSERT_GONE(self->fd, x);
	EXPECT_EQ(2, mb_name_count(self->fd2));
}

TEST_F(mailbox, copy_send_and_make_send_of_one_port_merge_into_one_name)
{
	static struct mb_cmsg m;
	static struct rbuf r;
	__u32 pb, sa, x, size, status;

	b_port(_metadata, self, &pb, &sa);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	ASSERT_EQ(0, mb_make_send(self->fd, x));
	mb_cmsg_init(&m, sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	mb_cmsg_port(&m, x, MAILBOX_MSG_TYPE_COPY_SEND);
	mb_cmsg_port(&m, x, MAILBOX_MSG_TYPE_MAKE_SEND);
	ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status));
	ASSERT_RIGHT(self->fd, x, RCV | SND, 1);
	ASSERT_EQ(0, mb_recv_now(self->fd2, pb, &r, sizeof(r), 0, &size, &status));
	EXPECT_EQ(mb_port_desc(&r, 0)->name, mb_port_desc(&r, 1)->name);
	EXPECT_EQ(MAILBOX_MSG_TYPE_PORT_SEND, mb_port_desc(&r, 0)->disposition);
	EXPECT_EQ(MAILBOX_MSG_TYPE_PORT_SEND, mb_port_desc(&r, 1)->disposition);
	ASSERT_RIGHT(self->fd2, mb_port_desc(&r, 0)->name, SND, 2);
	EXPECT_EQ(2, mb_name_count(self->fd2));
}

TEST_F(mailbox, every_descriptor_disposition_in_one_message)
{
	static struct mb_cmsg m;
	static struct rbuf r;
	static const __u32 want[6] = {
		MAILBOX_MSG_TYPE_PORT_RECEIVE, MAILBOX_MSG_TYPE_PORT_SEND,
		MAILBOX_MSG_TYPE_PORT_SEND, MAILBOX_MSG_TYPE_PORT_SEND,
		MAILBOX_MSG_TYPE_PORT_SEND_ONCE, MAILBOX_MSG_TYPE_PORT_SEND_ONCE,
	};
	__u32 pb, sa, p[6], so, size, status, i;

	b_port(_metadata, self, &pb, &sa);
	for (i = 0; i < 6; i++)
		ASSERT_EQ(0, mb_alloc_receive(self->fd, &p[i]));
	ASSERT_EQ(0, mb_make_send(self->fd, p[1]));
	ASSERT_EQ(0, mb_make_send(self->fd, p[1]));
	ASSERT_EQ(0, mb_make_send(self->fd, p[2]));
	ASSERT_EQ(0, mb_make_send_once(self->fd, p[5], &so));
	mb_cmsg_init(&m, sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 6);
	mb_cmsg_port(&m, p[0], MAILBOX_MSG_TYPE_MOVE_RECEIVE);
	mb_cmsg_port(&m, p[1], MAILBOX_MSG_TYPE_MOVE_SEND);
	mb_cmsg_port(&m, p[2], MAILBOX_MSG_TYPE_COPY_SEND);
	mb_cmsg_port(&m, p[3], MAILBOX_MSG_TYPE_MAKE_SEND);
	mb_cmsg_port(&m, p[4], MAILBOX_MSG_TYPE_MAKE_SEND_ONCE);
	mb_cmsg_port(&m, so, MAILBOX_MSG_TYPE_MOVE_SEND_ONCE);
	ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status));
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, status);

	ASSERT_GONE(self->fd, p[0]);
	ASSERT_RIGHT(self->fd, p[1], RCV | SND, 1);
	ASSERT_RIGHT(self->fd, p[2], RCV | SND, 1);
	ASSERT_RIGHT(self->fd, p[3], RCV, 0);
	ASSERT_RIGHT(self->fd, p[4], RCV, 0);
	ASSERT_GONE(self->fd, so);
	EXPECT_EQ(1, mb_sorights(self->fd, p[4]));
	EXPECT_EQ(1, mb_sorights(self->fd, p[5]));

	ASSERT_EQ(0, mb_recv_now(self->fd2, pb, &r, sizeof(r), 0, &size, &status));
	EXPECT_EQ(6, mb_cmsg_body(&r)->descriptor_count);
	for (i = 0; i < 6; i++) {
		struct mailbox_msg_port_descriptor *d = mb_port_desc(&r, i);

		EXPECT_EQ(want[i], d->disposition) TH_LOG("descriptor %u", i);
		EXPECT_EQ(MAILBOX_MSG_PORT_DESCRIPTOR, d->type);
	}
	ASSERT_RIGHT(self->fd2, mb_port_desc(&r, 0)->name, RCV, 0);
	ASSERT_RIGHT(self->fd2, mb_port_desc(&r, 1)->name, SND, 1);
	ASSERT_RIGHT(self->fd2, mb_port_desc(&r, 2)->name, SND, 1);
	ASSERT_RIGHT(self->fd2, mb_port_desc(&r, 3)->name, SND, 1);
	ASSERT_RIGHT(self->fd2, mb_port_desc(&r, 4)->name, SO, 0);
	ASSERT_RIGHT(self->fd2, mb_port_desc(&r, 5)->name, SO, 0);
	EXPECT_EQ(7, mb_name_count(self->fd2));
}

/* Every header disposition of the destination, in a complex message. */
TEST_F(mailbox, header_destination_dispositions_work_in_complex_messages)
{
	static const struct {
		__u32 disp, rcv_type, urefs_after;
	} c[] = {
		{ MAILBOX_MSG_TYPE_COPY_SEND, MAILBOX_MSG_TYPE_PORT_SEND, 3 },
		{ MAILBOX_MSG_TYPE_MOVE_SEND, MAILBOX_MSG_TYPE_PORT_SEND, 2 },
		{ MAILBOX_MSG_TYPE_MAKE_SEND, MAILBOX_MSG_TYPE_PORT_SEND, 3 },
		{ MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, MAILBOX_MSG_TYPE_PORT_SEND_ONCE, 3 },
		{ MAILBOX_MSG_TYPE_MOVE_SEND_ONCE, MAILBOX_MSG_TYPE_PORT_SEND_ONCE, 3 },
	};
	static struct mb_cmsg m;
	static struct rbuf r;
	__u32 d, x, so, size, status, i;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &d));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, mb_make_send(self->fd, d));
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		__u32 dest = d;

		if (c[i].disp == MAILBOX_MSG_TYPE_MOVE_SEND_ONCE) {
			ASSERT_EQ(0, mb_make_send_once(self->fd, d, &so));
			dest = so;
		}
		mb_cmsg_init(&m, dest, c[i].disp, 0, 0, i);
		mb_cmsg_port(&m, x, MAILBOX_MSG_TYPE_MAKE_SEND);
		ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status)) TH_LOG("case %u", i);
		ASSERT_RIGHT(self->fd, d, RCV | SND, c[i].urefs_after);
		ASSERT_EQ(0, mb_recv_now(self->fd, d, &r, sizeof(r), 0, &size, &status));
		EXPECT_EQ(MAILBOX_MSGH_COMPLEX | MAILBOX_MSGH_BITS(0, c[i].rcv_type),
			  r.h.bits) TH_LOG("case %u", i);
		EXPECT_EQ(d, r.h.local_port);
		EXPECT_EQ(x, mb_port_desc(&r, 0)->name);
		EXPECT_EQ(0, mb_sorights(self->fd, d));
		ASSERT_RIGHT(self->fd, x, RCV | SND, i + 1);
		if (c[i].disp == MAILBOX_MSG_TYPE_MOVE_SEND)
			ASSERT_EQ(0, mb_make_send(self->fd, d));
	}
}

/* Every header disposition of the reply port, in a complex message. */
TEST_F(mailbox, header_reply_dispositions_work_in_complex_messages)
{
	static const struct {
		__u32 disp, rcv_type, urefs_after;
	} c[] = {
		{ MAILBOX_MSG_TYPE_COPY_SEND, MAILBOX_MSG_TYPE_PORT_SEND, 2 },
		{ MAILBOX_MSG_TYPE_MOVE_SEND, MAILBOX_MSG_TYPE_PORT_SEND, 1 },
		{ MAILBOX_MSG_TYPE_MAKE_SEND, MAILBOX_MSG_TYPE_PORT_SEND, 2 },
		{ MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, MAILBOX_MSG_TYPE_PORT_SEND_ONCE, 2 },
		{ MAILBOX_MSG_TYPE_MOVE_SEND_ONCE, MAILBOX_MSG_TYPE_PORT_SEND_ONCE, 2 },
	};
	static struct mb_cmsg m;
	static struct rbuf r;
	__u32 pb, sa, rp, x, so, size, status, i;

	b_port(_metadata, self, &pb, &sa);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &rp));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	ASSERT_EQ(0, mb_make_send(self->fd, rp));
	ASSERT_EQ(0, mb_make_send(self->fd, rp));
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		__u32 reply = rp;

		if (c[i].disp == MAILBOX_MSG_TYPE_MOVE_SEND_ONCE) {
			ASSERT_EQ(0, mb_make_send_once(self->fd, rp, &so));
			reply = so;
		}
		mb_cmsg_init(&m, sa, MAILBOX_MSG_TYPE_COPY_SEND, reply, c[i].disp, i);
		mb_cmsg_port(&m, x, MAILBOX_MSG_TYPE_MAKE_SEND);
		ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status)) TH_LOG("case %u", i);
		ASSERT_RIGHT(self->fd, rp, RCV | SND, c[i].urefs_after);
		ASSERT_EQ(0, mb_recv_now(self->fd2, pb, &r, sizeof(r), 0, &size, &status));
		EXPECT_EQ(MAILBOX_MSGH_COMPLEX |
			  MAILBOX_MSGH_BITS(c[i].rcv_type, MAILBOX_MSG_TYPE_PORT_SEND),
			  r.h.bits) TH_LOG("case %u", i);
		if (c[i].rcv_type == MAILBOX_MSG_TYPE_PORT_SEND)
			ASSERT_RIGHT(self->fd2, r.h.remote_port, SND, 1);
		else
			ASSERT_RIGHT(self->fd2, r.h.remote_port, SO, 0);
		ASSERT_EQ(0, mb_deallocate(self->fd2, r.h.remote_port));
		ASSERT_EQ(0, mb_deallocate(self->fd2, mb_port_desc(&r, 0)->name));
		/* A dropped send-once reply sends a send-once notification. */
		while (mb_msgcount(self->fd, rp) > 0)
			ASSERT_EQ(0, mb_recv_now(self->fd, rp, &r, sizeof(r), 0,
						 &size, &status));
		if (c[i].disp == MAILBOX_MSG_TYPE_MOVE_SEND)
			ASSERT_EQ(0, mb_make_send(self->fd, rp));
		EXPECT_EQ(0, mb_sorights(self->fd, rp));
	}
	EXPECT_EQ(1, mb_name_count(self->fd2));
}

TEST_F(mailbox, null_and_dead_names_pass_through_descriptors_and_arrays)
{
	static struct mb_cmsg m;
	static struct rbuf r;
	__u32 names[3] = { MAILBOX_PORT_NULL, MAILBOX_PORT_DEAD, MAILBOX_PORT_NULL };
	__u32 pb, sa, size, status, *got;

	b_port(_metadata, self, &pb, &sa);
	mb_cmsg_init(&m, sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 3);
	mb_cmsg_port(&m, MAILBOX_PORT_NULL, MAILBOX_MSG_TYPE_COPY_SEND);
	mb_cmsg_port(&m, MAILBOX_PORT_DEAD, MAILBOX_MSG_TYPE_MOVE_SEND);
	mb_cmsg_port(&m, MAILBOX_PORT_NULL, MAILBOX_MSG_TYPE_MOVE_RECEIVE);
	mb_cmsg_array(&m, names, 3, MAILBOX_MSG_TYPE_MOVE_SEND_ONCE);
	ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status));
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, status);
	EXPECT_EQ(1, mb_name_count(self->fd));
	ASSERT_EQ(0, mb_recv_now(self->fd2, pb, &r, sizeof(r), 0, &size, &status));
	EXPECT_EQ(m.len + 12, size);
	EXPECT_EQ(MAILBOX_PORT_NULL, mb_port_desc(&r, 0)->name);
	EXPECT_EQ(MAILBOX_PORT_DEAD, mb_port_desc(&r, 1)->name);
	EXPECT_EQ(MAILBOX_PORT_NULL, mb_port_desc(&r, 2)->name);
	EXPECT_EQ(3, mb_array_desc(&r, 3)->count);
	got = (__u32 *)(uintptr_t)mb_array_desc(&r, 3)->address;
	ASSERT_EQ((uintptr_t)(r.b + r.h.size), (uintptr_t)got);
	EXPECT_EQ(MAILBOX_PORT_NULL, got[0]);
	EXPECT_EQ(MAILBOX_PORT_DEAD, got[1]);
	EXPECT_EQ(MAILBOX_PORT_NULL, got[2]);
	EXPECT_EQ(1, mb_name_count(self->fd2));
}

TEST_F(mailbox, send_right_whose_port_dies_in_flight_arrives_as_dead)
{
	static struct mb_cmsg m;
	static struct rbuf r;
	__u32 pb, sa, x, size, status;

	b_port(_metadata, self, &pb, &sa);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	mb_cmsg_init(&m, sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	mb_cmsg_port(&m, x, MAILBOX_MSG_TYPE_MAKE_SEND);
	mb_cmsg_port(&m, x, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE);
	ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status));
	ASSERT_EQ(0, mb_mod_refs(self->fd, x, MAILBOX_RIGHT_RECEIVE, -1));
	ASSERT_GONE(self->fd, x);
	ASSERT_EQ(0, mb_recv_now(self->fd2, pb, &r, sizeof(r), 0, &size, &status));
	EXPECT_EQ(MAILBOX_PORT_DEAD, mb_port_desc(&r, 0)->name);
	EXPECT_EQ(MAILBOX_PORT_DEAD, mb_port_desc(&r, 1)->name);
	EXPECT_EQ(1, mb_name_count(self->fd2));
}

/* ---- port arrays ------------------------------------------------------ */

TEST_F(mailbox, port_array_with_no_entries_adds_nothing)
{
	static struct mb_cmsg m;
	static struct rbuf r;
	struct mailbox_msg_ool_ports_descriptor *d;
	__u32 pb, sa, size, status;

	b_port(_metadata, self, &pb, &sa);
	mb_cmsg_init(&m, sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	mb_cmsg_array(&m, NULL, 0, MAILBOX_MSG_TYPE_COPY_SEND);
	ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status));
	ASSERT_EQ(0, mb_recv_now(self->fd2, pb, &r, sizeof(r),
				 MAILBOX_MSG_RCV_TRAILER, &size, &status));
	EXPECT_EQ(m.len, r.h.size);
	EXPECT_EQ(m.len + MB_TRAILER_SIZE, size);
	d = mb_array_desc(&r, 0);
	EXPECT_EQ(0, d->count);
	EXPECT_EQ(MAILBOX_MSG_OOL_PORTS_DESCRIPTOR, d->type);
	EXPECT_EQ(0, d->deallocate);
	EXPECT_EQ(0, d->copy);
	EXPECT_EQ(MB_PATTERN, r.b[size]);
	EXPECT_EQ(1, mb_name_count(self->fd2));
}

TEST_F(mailbox, port_array_with_one_entry_follows_the_message)
{
	static struct mb_cmsg m;
	static struct rbuf r;
	struct mailbox_msg_ool_ports_descriptor *d;
	__u32 pb, sa, x, size, status, *got;

	b_port(_metadata, self, &pb, &sa);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	mb_cmsg_init(&m, sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	mb_cmsg_array(&m, &x, 1, MAILBOX_MSG_TYPE_MAKE_SEND);
	ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status));
	ASSERT_RIGHT(self->fd, x, RCV, 0);
	ASSERT_EQ(0, mb_recv_now(self->fd2, pb, &r, sizeof(r), 0, &size, &status));
	EXPECT_EQ(m.len, r.h.size);
	EXPECT_EQ(m.len + 4, size);
	d = mb_array_desc(&r, 0);
	EXPECT_EQ(1, d->count);
	EXPECT_EQ(MAILBOX_MSG_TYPE_PORT_SEND, d->disposition);
	got = (__u32 *)(uintptr_t)d->address;
	ASSERT_EQ((uintptr_t)(r.b + r.h.size), (uintptr_t)got);
	ASSERT_RIGHT(self->fd2, got[0], SND, 1);
	EXPECT_EQ(MB_PATTERN, r.b[size]);
}

TEST_F(mailbox, port_array_with_many_entries_follows_the_trailer)
{
	static struct mb_cmsg m;
	static struct rbuf r;
	static __u32 x[100];
	struct mailbox_msg_ool_ports_descriptor *d;
	struct mailbox_msg_trailer *t;
	__u32 pb, sa, size, status, *got, i, j;

	b_port(_metadata, self, &pb, &sa);
	for (i = 0; i < 100; i++)
		ASSERT_EQ(0, mb_alloc_receive(self->fd, &x[i]));
	mb_cmsg_init(&m, sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	mb_cmsg_array(&m, x, 100, MAILBOX_MSG_TYPE_MAKE_SEND);
	mb_cmsg_data(&m, "tail", 4);
	ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status));
	ASSERT_EQ(0, mb_recv_now(self->fd2, pb, &r, sizeof(r),
				 MAILBOX_MSG_RCV_TRAILER, &size, &status));
	EXPECT_EQ(m.len, r.h.size);
	EXPECT_EQ(m.len + MB_TRAILER_SIZE + 400, size);
	EXPECT_EQ(0, memcmp(r.b + m.len - 4, "tail", 4));
	t = mb_trailer(&r);
	EXPECT_EQ(MAILBOX_TRAILER_FORMAT_0, t->type);
	EXPECT_EQ(MB_TRAILER_SIZE, t->size);
	EXPECT_EQ(getpid(), t->sender_pid);
	d = mb_array_desc(&r, 0);
	EXPECT_EQ(100, d->count);
	got = (__u32 *)(uintptr_t)d->address;
	ASSERT_EQ((uintptr_t)(r.b + r.h.size + MB_TRAILER_SIZE), (uintptr_t)got);
	for (i = 0; i < 100; i++) {
		ASSERT_RIGHT(self->fd2, got[i], SND, 1);
		for (j = 0; j < i; j++)
			ASSERT_NE(got[j], got[i]);
	}
	EXPECT_EQ(MB_PATTERN, r.b[size]);
	EXPECT_EQ(101, mb_name_count(self->fd2));
}

TEST_F(mailbox, port_arrays_mixed_with_port_descriptors_are_laid_out_in_order)
{
	static struct mb_cmsg m;
	static struct rbuf r;
	__u32 pb, sa, p[5], a1[3], a2[2], size, status, *g1, *g2, i;

	b_port(_metadata, self, &pb, &sa);
	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, mb_alloc_receive(self->fd, &p[i]));
	a1[0] = p[0], a1[1] = p[1], a1[2] = p[2];
	a2[0] = p[3], a2[1] = p[4];
	mb_cmsg_init(&m, sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	mb_cmsg_port(&m, p[0], MAILBOX_MSG_TYPE_MAKE_SEND);
	mb_cmsg_array(&m, a1, 3, MAILBOX_MSG_TYPE_MAKE_SEND);
	mb_cmsg_port(&m, p[1], MAILBOX_MSG_TYPE_MAKE_SEND_ONCE);
	mb_cmsg_array(&m, a2, 2, MAILBOX_MSG_TYPE_MOVE_RECEIVE);
	mb_cmsg_data(&m, "0123456789ab", 12);
	EXPECT_EQ(MB_HDR_SIZE + MB_BODY_SIZE + 2 * MB_PORT_DESC +
		  2 * MB_ARRAY_DESC + 12, m.len);
	ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status));
	ASSERT_GONE(self->fd, p[3]);
	ASSERT_GONE(self->fd, p[4]);

	ASSERT_EQ(0, mb_recv_now(self->fd2, pb, &r, sizeof(r), 0, &size, &status));
	EXPECT_EQ(m.len, r.h.size);
	EXPECT_EQ(m.len + 20, size);
	EXPECT_EQ(4, mb_cmsg_body(&r)->descriptor_count);
	EXPECT_EQ(0, memcmp(r.b + m.len - 12, "0123456789ab", 12));
	g1 = (__u32 *)(uintptr_t)mb_array_desc(&r, 1)->address;
	g2 = (__u32 *)(uintptr_t)mb_array_desc(&r, 3)->address;
	ASSERT_EQ((uintptr_t)(r.b + r.h.size), (uintptr_t)g1);
	ASSERT_EQ((uintptr_t)(r.b + r.h.size + 12), (uintptr_t)g2);
	EXPECT_EQ(MAILBOX_MSG_TYPE_PORT_SEND, mb_array_desc(&r, 1)->disposition);
	EXPECT_EQ(MAILBOX_MSG_TYPE_PORT_RECEIVE, mb_array_desc(&r, 3)->disposition);
	/* p[0] arrived twice as a send right: one name, two urefs. */
	EXPECT_EQ(mb_port_desc(&r, 0)->name, g1[0]);
	ASSERT_RIGHT(self->fd2, g1[0], SND, 2);
	ASSERT_RIGHT(self->fd2, g1[1], SND, 1);
	ASSERT_RIGHT(self->fd2, g1[2], SND, 1);
	ASSERT_RIGHT(self->fd2, mb_port_desc(&r, 2)->name, SO, 0);
	ASSERT_RIGHT(self->fd2, g2[0], RCV, 0);
	ASSERT_RIGHT(self->fd2, g2[1], RCV, 0);
	EXPECT_EQ(MB_PATTERN, r.b[size]);
	EXPECT_EQ(7, mb_name_count(self->fd2));
}

TEST_F(mailbox, one_port_repeated_in_an_array_merges_into_one_name)
{
	static struct mb_cmsg m;
	static struct rbuf r;
	__u32 pb, sa, x, arr[3], size, status, *got;

	b_port(_metadata, self, &pb, &sa);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	ASSERT_EQ(0, mb_make_send(self->fd, x));
	arr[0] = arr[1] = arr[2] = x;
	mb_cmsg_init(&m, sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	mb_cmsg_array(&m, arr, 3, MAILBOX_MSG_TYPE_COPY_SEND);
	ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status));
	ASSERT_RIGHT(self->fd, x, RCV | SND, 1);
	ASSERT_EQ(0, mb_recv_now(self->fd2, pb, &r, sizeof(r), 0, &size, &status));
	got = (__u32 *)(uintptr_t)mb_array_desc(&r, 0)->address;
	EXPECT_EQ(got[0], got[1]);
	EXPECT_EQ(got[0], got[2]);
	ASSERT_RIGHT(self->fd2, got[0], SND, 3);
}

TEST_F(mailbox, too_small_buffer_reports_the_size_with_port_arrays)
{
	static struct mb_cmsg m;
	static struct rbuf r;
	__u32 pb, sa, x[4], size, status, i, want;
	int trailer;

	b_port(_metadata, self, &pb, &sa);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, mb_alloc_receive(self->fd, &x[i]));
	mb_cmsg_init(&m, sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	mb_cmsg_array(&m, x, 4, MAILBOX_MSG_TYPE_MAKE_SEND);
	ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status));

	for (trailer = 0; trailer < 2; trailer++) {
		__u32 opt = MAILBOX_MSG_RCV_LARGE |
			    (trailer ? MAILBOX_MSG_RCV_TRAILER : 0);

		want = m.len + 16 + (trailer ? MB_TRAILER_SIZE : 0);
		/* Room for the message (and trailer) but not the array. */
		EXPECT_EQ(EMSGSIZE, mb_recv_now(self->fd2, pb, &r, want - 4, opt,
						&size, &status));
		EXPECT_EQ(MAILBOX_RCV_TOO_LARGE, status);
		EXPECT_EQ(want, size);
		EXPECT_EQ(MB_PATTERN, r.b[0]);
		EXPECT_EQ(1, mb_msgcount(self->fd2, pb));
	}
	ASSERT_EQ(0, mb_recv_now(self->fd2, pb, &r, want,
				 MAILBOX_MSG_RCV_TRAILER, &size, &status));
	EXPECT_EQ(want, size);
	EXPECT_EQ(5, mb_name_count(self->fd2));
}

TEST_F(mailbox, too_large_without_rcv_large_destroys_the_message_and_its_rights)
{
	static struct mb_cmsg m;
	static struct rbuf r;
	__u32 pb, sa, x, y, size, status;

	b_port(_metadata, self, &pb, &sa);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &y));
	ASSERT_EQ(0, mb_make_send(self->fd, y));
	mb_cmsg_init(&m, sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	mb_cmsg_port(&m, x, MAILBOX_MSG_TYPE_MAKE_SEND);
	mb_cmsg_port(&m, y, MAILBOX_MSG_TYPE_MOVE_RECEIVE);
	ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status));
	EXPECT_EQ(1, mb_has_senders(self->fd, x));
	ASSERT_RIGHT(self->fd, y, SND, 1);

	EXPECT_EQ(EMSGSIZE, mb_recv_now(self->fd2, pb, &r, MB_HDR_SIZE, 0,
					&size, &status));
	EXPECT_EQ(MAILBOX_RCV_TOO_LARGE, status);
	EXPECT_EQ(m.len, size);
	EXPECT_EQ(0, mb_msgcount(self->fd2, pb));
	EXPECT_EQ(0, mb_has_senders(self->fd, x));
	/* y's receive right died with the message. */
	ASSERT_DEAD(self->fd, y, 1);
	EXPECT_EQ(1, mb_name_count(self->fd2));
}

/* ---- malformed descriptors -------------------------------------------- */

TEST_F(mailbox, complex_message_without_a_body_is_too_small)
{
	static struct mb_cmsg m;
	__u32 pb, sa, status;

	b_port(_metadata, self, &pb, &sa);
	mb_cmsg_init(&m, sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	m.len = MB_HDR_SIZE;
	EXPECT_EQ(EINVAL, mb_cmsg_send(self->fd, &m, &status));
	EXPECT_EQ(MAILBOX_SEND_MSG_TOO_SMALL, status);
	EXPECT_EQ(0, mb_msgcount(self->fd2, pb));
	ASSERT_RIGHT(self->fd, sa, SND, 1);
}

TEST_F(mailbox, descriptor_running_past_the_message_is_too_small)
{
	static struct mb_cmsg m;
	__u32 pb, sa, x, status;

	b_port(_metadata, self, &pb, &sa);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	ASSERT_EQ(0, mb_make_send(self->fd, x));

	/* A port descriptor cut short. */
	mb_cmsg_init(&m, sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	mb_cmsg_port(&m, x, MAILBOX_MSG_TYPE_MOVE_SEND);
	m.len -= 4;
	EXPECT_EQ(EINVAL, mb_cmsg_send(self->fd, &m, &status));
	EXPECT_EQ(MAILBOX_SEND_MSG_TOO_SMALL, status);

	/* An array descriptor cut short (its port-descriptor size fits). */
	mb_cmsg_init(&m, sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	mb_cmsg_array(&m, &x, 1, MAILBOX_MSG_TYPE_MOVE_SEND);
	m.len -= 4;
	EXPECT_EQ(EINVAL, mb_cmsg_send(self->fd, &m, &status));
	EXPECT_EQ(MAILBOX_SEND_MSG_TOO_SMALL, status);

	/* descriptor_count says two, one is there. */
	mb_cmsg_init(&m, sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	mb_cmsg_port(&m, x, MAILBOX_MSG_TYPE_MOVE_SEND);
	mb_cmsg_body(m.buf)->descriptor_count = 2;
	EXPECT_EQ(EINVAL, mb_cmsg_send(self->fd, &m, &status));
	EXPECT_EQ(MAILBOX_SEND_MSG_TOO_SMALL, status);

	EXPECT_EQ(0, mb_msgcount(self->fd2, pb));
	ASSERT_RIGHT(self->fd, x, RCV | SND, 1);
	ASSERT_RIGHT(self->fd, sa, SND, 1);
}

static void expect_invalid_type(struct __test_metadata *_metadata,
				FIXTURE_DATA(mailbox) *self,
				struct mb_cmsg *m, __u32 pb, __u32 x,
				const char *what)
{
	__u32 status;

	EXPECT_EQ(EINVAL, mb_cmsg_send(self->fd, m, &status)) TH_LOG("%s", what);
	EXPECT_EQ(MAILBOX_SEND_INVALID_TYPE, status) TH_LOG("%s", what);
	EXPECT_EQ(0, mb_msgcount(self->fd2, pb));
	ASSERT_RIGHT(self->fd, x, RCV | SND, 1);
	EXPECT_EQ(0, mb_sorights(self->fd, x));
}

TEST_F(mailbox, unknown_descriptor_type_is_an_invalid_type)
{
	static const __u8 types[] = { 1, 3, 4, 0x7f, 0xff };
	static struct mb_cmsg m;
	__u32 pb, sa, x, i;

	b_port(_metadata, self, &pb, &sa);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	ASSERT_EQ(0, mb_make_send(self->fd, x));
	for (i = 0; i < sizeof(types); i++) {
		mb_cmsg_init(&m, sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
		mb_cmsg_port(&m, x, MAILBOX_MSG_TYPE_MOVE_SEND);
		/* Room for either size, so only the type can be wrong. */
		mb_cmsg_data(&m, "\0\0\0\0", 4);
		mb_port_desc(m.buf, 0)->type = types[i];
		expect_invalid_type(_metadata, self, &m, pb, x, "type");
	}
}

TEST_F(mailbox, nonzero_descriptor_padding_is_an_invalid_type)
{
	static struct mb_cmsg m;
	__u32 pb, sa, x;

	b_port(_metadata, self, &pb, &sa);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	ASSERT_EQ(0, mb_make_send(self->fd, x));

	mb_cmsg_init(&m, sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	mb_cmsg_port(&m, x, MAILBOX_MSG_TYPE_MOVE_SEND)->pad1 = 1;
	expect_invalid_type(_metadata, self, &m, pb, x, "pad1");

	mb_cmsg_init(&m, sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	mb_cmsg_port(&m, x, MAILBOX_MSG_TYPE_MOVE_SEND)->pad2 = 0x8000;
	expect_invalid_type(_metadata, self, &m, pb, x, "pad2");

	mb_cmsg_init(&m, sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	mb_cmsg_array(&m, &x, 1, MAILBOX_MSG_TYPE_MOVE_SEND)->deallocate = 1;
	expect_invalid_type(_metadata, self, &m, pb, x, "deallocate");

	mb_cmsg_init(&m, sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	mb_cmsg_array(&m, &x, 1, MAILBOX_MSG_TYPE_MOVE_SEND)->copy = 1;
	expect_invalid_type(_metadata, self, &m, pb, x, "copy");
}

TEST_F(mailbox, disposition_outside_16_to_21_is_an_invalid_type)
{
	static const __u8 disps[] = { 0, 1, 15, 22, 31, 0xff };
	static struct mb_cmsg m;
	__u32 pb, sa, x, i;

	b_port(_metadata, self, &pb, &sa);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	ASSERT_EQ(0, mb_make_send(self->fd, x));
	for (i = 0; i < sizeof(disps); i++) {
		mb_cmsg_init(&m, sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
		mb_cmsg_port(&m, x, disps[i]);
		expect_invalid_type(_metadata, self, &m, pb, x, "port");
		mb_cmsg_init(&m, sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
		mb_cmsg_array(&m, &x, 1, disps[i]);
		expect_invalid_type(_metadata, self, &m, pb, x, "array");
	}
}

TEST_F(mailbox, more_than_1024_descriptors_is_too_large)
{
	static struct mb_cmsg m;
	__u32 pb, sa, status, i;

	b_port(_metadata, self, &pb, &sa);
	mb_cmsg_init(&m, sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	for (i = 0; i < 1025; i++)
		mb_cmsg_port(&m, MAILBOX_PORT_NULL, MAILBOX_MSG_TYPE_COPY_SEND);
	EXPECT_EQ(EMSGSIZE, mb_cmsg_send(self->fd, &m, &status));
	EXPECT_EQ(MAILBOX_SEND_TOO_LARGE, status);
	EXPECT_EQ(0, mb_msgcount(self->fd2, pb));

	/* 1024 of them are fine. */
	mb_cmsg_body(m.buf)->descriptor_count = 1024;
	m.len -= MB_PORT_DESC;
	EXPECT_EQ(0, mb_cmsg_send(self->fd, &m, &status));
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, status);
	EXPECT_EQ(1, mb_msgcount(self->fd2, pb));
}

TEST_F(mailbox, exactly_1024_rights_in_port_descriptors_are_delivered)
{
	static struct mb_cmsg m;
	static struct rbuf r;
	struct mailbox_port_attr at;
	__u32 pb, sa, x, size, status, i;

	b_port(_metadata, self, &pb, &sa);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	mb_cmsg_init(&m, sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	for (i = 0; i < 1024; i++)
		mb_cmsg_port(&m, x, MAILBOX_MSG_TYPE_MAKE_SEND);
	ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status));
	ASSERT_EQ(0, mb_get_attr(self->fd, x, &at));
	EXPECT_EQ(1024, at.mscount);
	ASSERT_EQ(0, mb_recv_now(self->fd2, pb, &r, sizeof(r), 0, &size, &status));
	EXPECT_EQ(m.len, size);
	for (i = 1; i < 1024; i++)
		ASSERT_EQ(mb_port_desc(&r, 0)->name, mb_port_desc(&r, i)->name);
	ASSERT_RIGHT(self->fd2, mb_port_desc(&r, 0)->name, SND, 1024);
}

TEST_F(mailbox, exactly_1024_rights_in_a_port_array_are_delivered)
{
	static struct mb_cmsg m;
	static struct rbuf r;
	static __u32 arr[1024];
	__u32 pb, sa, x, size, status, i, *got;

	b_port(_metadata, self, &pb, &sa);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	for (i = 0; i < 1024; i++)
		arr[i] = x;
	mb_cmsg_init(&m, sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	mb_cmsg_array(&m, arr, 1024, MAILBOX_MSG_TYPE_MAKE_SEND);
	ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status));
	ASSERT_EQ(0, mb_recv_now(self->fd2, pb, &r, sizeof(r), 0, &size, &status));
	EXPECT_EQ(m.len + 4096, size);
	got = (__u32 *)(uintptr_t)mb_array_desc(&r, 0)->address;
	ASSERT_EQ((uintptr_t)(r.b + r.h.size), (uintptr_t)got);
	for (i = 1; i < 1024; i++)
		ASSERT_EQ(got[0], got[i]);
	ASSERT_RIGHT(self->fd2, got[0], SND, 1024);
}

/*
 * 1000 rights in an array and 25 in port descriptors (@ports_first picks
 * the order), or one array of 1025: EMSGSIZE, nothing made, nothing queued.
 */
static void expect_1025_rights_too_large(struct __test_metadata *_metadata,
					 FIXTURE_DATA(mailbox) *self, int layout)
{
	static struct mb_cmsg m;
	static __u32 arr[1025];
	struct mailbox_port_attr at;
	__u32 pb, sa, x, status, i;

	b_port(_metadata, self, &pb, &sa);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	for (i = 0; i < 1025; i++)
		arr[i] = x;
	mb_cmsg_init(&m, sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	if (layout == 0) {
		mb_cmsg_array(&m, arr, 1000, MAILBOX_MSG_TYPE_MAKE_SEND);
		for (i = 0; i < 25; i++)
			mb_cmsg_port(&m, x, MAILBOX_MSG_TYPE_MAKE_SEND);
	} else if (layout == 1) {
		for (i = 0; i < 25; i++)
			mb_cmsg_port(&m, x, MAILBOX_MSG_TYPE_MAKE_SEND);
		mb_cmsg_array(&m, arr, 1000, MAILBOX_MSG_TYPE_MAKE_SEND);
	} else {
		mb_cmsg_array(&m, arr, 1025, MAILBOX_MSG_TYPE_MAKE_SEND);
	}
	EXPECT_EQ(EMSGSIZE, mb_cmsg_send(self->fd, &m, &status));
	EXPECT_EQ(MAILBOX_SEND_TOO_LARGE, status);
	EXPECT_EQ(0, mb_msgcount(self->fd2, pb));
	ASSERT_EQ(0, mb_get_attr(self->fd, x, &at));
	EXPECT_EQ(0, at.mscount);
	EXPECT_EQ(0, at.has_senders);
	ASSERT_RIGHT(self->fd, x, RCV, 0);
}

TEST_F(mailbox, rights_1025_in_an_array_then_port_descriptors_are_too_large)
{
	expect_1025_rights_too_large(_metadata, self, 0);
}

TEST_F(mailbox, rights_1025_in_port_descriptors_then_an_array_are_too_large)
{
	expect_1025_rights_too_large(_metadata, self, 1);
}

TEST_F(mailbox, a_port_array_of_1025_rights_is_too_large)
{
	expect_1025_rights_too_large(_metadata, self, 2);
}

TEST_F(mailbox, unreadable_port_array_is_invalid_data)
{
	static struct mb_cmsg m;
	void *none;
	__u32 pb, sa, x, status;

	b_port(_metadata, self, &pb, &sa);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	ASSERT_EQ(0, mb_make_send(self->fd, x));
	none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, none);
	mb_cmsg_init(&m, sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	mb_cmsg_port(&m, x, MAILBOX_MSG_TYPE_MOVE_SEND);
	mb_cmsg_array(&m, none, 2, MAILBOX_MSG_TYPE_COPY_SEND);
	EXPECT_EQ(EFAULT, mb_cmsg_send(self->fd, &m, &status));
	EXPECT_EQ(MAILBOX_SEND_INVALID_DATA, status);
	EXPECT_EQ(0, mb_msgcount(self->fd2, pb));
	ASSERT_RIGHT(self->fd, x, RCV | SND, 1);
	munmap(none, 4096);
}

/* ---- rights that fail copyin ------------------------------------------ */

static void expect_invalid_right(struct __test_metadata *_metadata,
				 FIXTURE_DATA(mailbox) *self, __u32 sa, __u32 pb,
				 __u32 name, __u32 disp, int err, bool array)
{
	static struct mb_cmsg m;
	__u32 status;

	mb_cmsg_init(&m, sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	if (array)
		mb_cmsg_array(&m, &name, 1, disp);
	else
		mb_cmsg_port(&m, name, disp);
	EXPECT_EQ(err, mb_cmsg_send(self->fd, &m, &status))
		TH_LOG("name %#x disposition %u array %d", name, disp, array);
	EXPECT_EQ(MAILBOX_SEND_INVALID_RIGHT, status)
		TH_LOG("name %#x disposition %u array %d", name, disp, array);
	EXPECT_EQ(0, mb_msgcount(self->fd2, pb));
}

TEST_F(mailbox, unknown_name_in_a_descriptor_is_enoent)
{
	static const __u32 disps[] = {
		MAILBOX_MSG_TYPE_MOVE_RECEIVE, MAILBOX_MSG_TYPE_MOVE_SEND,
		MAILBOX_MSG_TYPE_MOVE_SEND_ONCE, MAILBOX_MSG_TYPE_COPY_SEND,
		MAILBOX_MSG_TYPE_MAKE_SEND, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE,
	};
	__u32 pb, sa, i;
	int array;

	b_port(_metadata, self, &pb, &sa);
	for (array = 0; array < 2; array++)
		for (i = 0; i < 6; i++)
			expect_invalid_right(_metadata, self, sa, pb, MB_UNUSED_NAME,
					     disps[i], ENOENT, array);
	ASSERT_RIGHT(self->fd, sa, SND, 1);
}

TEST_F(mailbox, descriptor_lacking_the_right_is_eperm)
{
	__u32 pb, sa, x, so, i;
	static const struct {
		int which;	/* 0: receive-only x, 1: send-only sa, 2: send-once */
		__u32 disp;
	} c[] = {
		{ 0, MAILBOX_MSG_TYPE_MOVE_SEND },
		{ 0, MAILBOX_MSG_TYPE_COPY_SEND },
		{ 0, MAILBOX_MSG_TYPE_MOVE_SEND_ONCE },
		{ 1, MAILBOX_MSG_TYPE_MOVE_RECEIVE },
		{ 1, MAILBOX_MSG_TYPE_MAKE_SEND },
		{ 1, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE },
		{ 1, MAILBOX_MSG_TYPE_MOVE_SEND_ONCE },
		{ 2, MAILBOX_MSG_TYPE_MOVE_SEND },
		{ 2, MAILBOX_MSG_TYPE_COPY_SEND },
		{ 2, MAILBOX_MSG_TYPE_MOVE_RECEIVE },
	};
	int array;

	b_port(_metadata, self, &pb, &sa);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	ASSERT_EQ(0, mb_make_send_once(self->fd, x, &so));
	for (array = 0; array < 2; array++)
		for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
			expect_invalid_right(_metadata, self, sa, pb,
					     c[i].which == 0 ? x :
					     c[i].which == 1 ? sa : so,
					     c[i].disp, EPERM, array);
	ASSERT_RIGHT(self->fd, x, RCV, 0);
	ASSERT_RIGHT(self->fd, sa, SND, 1);
	ASSERT_RIGHT(self->fd, so, SO, 0);
	EXPECT_EQ(1, mb_sorights(self->fd, x));
}

TEST_F(mailbox, descriptor_naming_a_dead_port_is_epipe)
{
	__u32 pb, sa, dead, x, so;
	int array;

	b_port(_metadata, self, &pb, &sa);
	ASSERT_EQ(0, mb_dead_send(self->fd, &dead));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	ASSERT_EQ(0, mb_make_send_once(self->fd, x, &so));
	ASSERT_EQ(0, mb_mod_refs(self->fd, x, MAILBOX_RIGHT_RECEIVE, -1));
	for (array = 0; array < 2; array++) {
		expect_invalid_right(_metadata, self, sa, pb, dead,
				     MAILBOX_MSG_TYPE_COPY_SEND, EPIPE, array);
		expect_invalid_right(_metadata, self, sa, pb, dead,
				     MAILBOX_MSG_TYPE_MOVE_SEND, EPIPE, array);
		expect_invalid_right(_metadata, self, sa, pb, so,
				     MAILBOX_MSG_TYPE_MOVE_SEND_ONCE, EPIPE, array);
	}
	ASSERT_DEAD(self->fd, dead, 2);
	ASSERT_DEAD(self->fd, so, 1);
}

/* ---- all or nothing --------------------------------------------------- */

/*
 * Space A with one right of every kind, each used by a message built by
 * aon_message(): header MOVE_SEND destination and MAKE_SEND_ONCE reply,
 * then a descriptor per disposition and a port array.
 */
struct aon {
	__u32 pb, sa, rp, p1, p2, p3, p4, so, p5, arr[2];
};

static void aon_setup(struct __test_metadata *_metadata,
		      FIXTURE_DATA(mailbox) *self, struct aon *s)
{
	__u32 status;

	b_port(_metadata, self, &s->pb, &s->sa);
	ASSERT_EQ(0, mb_give_send(self->fd2, self->fd, s->pb, &s->sa));
	ASSERT_RIGHT(self->fd, s->sa, SND, 2);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &s->rp));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &s->p1));
	ASSERT_EQ(0, mb_make_send(self->fd, s->p1));
	ASSERT_EQ(0, mb_make_send(self->fd, s->p1));
	ASSERT_EQ(0, mb_make_send(self->fd, s->p1));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &s->p2));
	ASSERT_EQ(0, mb_make_send(self->fd, s->p2));
	ASSERT_EQ(0, mb_make_send(self->fd, s->p2));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &s->p3));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &s->p4));
	ASSERT_EQ(0, mb_make_send_once(self->fd, s->p4, &s->so));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &s->p5));
	ASSERT_EQ(0, mb_send_hdr(self->fd, s->p5, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE,
				 0, 0, 55, &status));
	s->arr[0] = s->p1;
	s->arr[1] = s->p2;
}

static void aon_message(struct mb_cmsg *m, const struct aon *s)
{
	mb_cmsg_init(m, s->sa, MAILBOX_MSG_TYPE_MOVE_SEND, s->rp,
		     MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, 1);
	mb_cmsg_port(m, s->p1, MAILBOX_MSG_TYPE_MOVE_SEND);
	mb_cmsg_port(m, s->p2, MAILBOX_MSG_TYPE_COPY_SEND);
	mb_cmsg_port(m, s->p3, MAILBOX_MSG_TYPE_MAKE_SEND);
	mb_cmsg_port(m, s->p4, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE);
	mb_cmsg_port(m, s->so, MAILBOX_MSG_TYPE_MOVE_SEND_ONCE);
	mb_cmsg_port(m, s->p5, MAILBOX_MSG_TYPE_MOVE_RECEIVE);
	mb_cmsg_array(m, s->arr, 2, MAILBOX_MSG_TYPE_MOVE_SEND);
}

/* Nothing moved: every right exactly as aon_setup() left it. */
static void aon_unchanged(struct __test_metadata *_metadata,
			  FIXTURE_DATA(mailbox) *self, const struct aon *s)
{
	struct mailbox_port_attr at;

	ASSERT_RIGHT(self->fd, s->sa, SND, 2);
	ASSERT_RIGHT(self->fd, s->rp, RCV, 0);
	ASSERT_RIGHT(self->fd, s->p1, RCV | SND, 3);
	ASSERT_RIGHT(self->fd, s->p2, RCV | SND, 2);
	ASSERT_RIGHT(self->fd, s->p3, RCV, 0);
	ASSERT_RIGHT(self->fd, s->p4, RCV, 0);
	ASSERT_RIGHT(self->fd, s->so, SO, 0);
	ASSERT_RIGHT(self->fd, s->p5, RCV, 0);
	EXPECT_EQ(0, mb_sorights(self->fd, s->rp));
	EXPECT_EQ(1, mb_sorights(self->fd, s->p4));
	ASSERT_EQ(0, mb_get_attr(self->fd, s->p3, &at));
	EXPECT_EQ(0, at.mscount);
	EXPECT_EQ(0, at.has_senders);
	EXPECT_EQ(1, mb_msgcount(self->fd, s->p5));
	EXPECT_EQ(8, mb_name_count(self->fd));
	EXPECT_EQ(1, mb_name_count(self->fd2));
}

TEST_F(mailbox, the_all_dispositions_message_is_delivered_when_valid)
{
	static struct mb_cmsg m;
	static struct rbuf r;
	struct aon s;
	__u32 size, status;

	aon_setup(_metadata, self, &s);
	aon_message(&m, &s);
	ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status));
	ASSERT_RIGHT(self->fd, s.sa, SND, 1);
	ASSERT_RIGHT(self->fd, s.p1, RCV | SND, 1);
	ASSERT_RIGHT(self->fd, s.p2, RCV | SND, 1);
	ASSERT_GONE(self->fd, s.so);
	ASSERT_GONE(self->fd, s.p5);
	ASSERT_EQ(0, mb_recv_now(self->fd2, s.pb, &r, sizeof(r), 0, &size, &status));
	EXPECT_EQ(7, mb_cmsg_body(&r)->descriptor_count);
	EXPECT_EQ(MAILBOX_MSGH_COMPLEX |
		  MAILBOX_MSGH_BITS(MAILBOX_MSG_TYPE_PORT_SEND_ONCE,
				    MAILBOX_MSG_TYPE_PORT_SEND), r.h.bits);
	EXPECT_EQ(1, mb_msgcount(self->fd2, mb_port_desc(&r, 5)->name));
}

TEST_F(mailbox, a_late_unknown_name_leaves_every_earlier_right_unchanged)
{
	static struct mb_cmsg m;
	struct aon s;
	__u32 status;

	aon_setup(_metadata, self, &s);
	aon_message(&m, &s);
	mb_cmsg_port(&m, MB_UNUSED_NAME, MAILBOX_MSG_TYPE_COPY_SEND);
	EXPECT_EQ(ENOENT, mb_cmsg_send(self->fd, &m, &status));
	EXPECT_EQ(MAILBOX_SEND_INVALID_RIGHT, status);
	aon_unchanged(_metadata, self, &s);
}

TEST_F(mailbox, a_late_missing_right_leaves_every_earlier_right_unchanged)
{
	static struct mb_cmsg m;
	struct aon s;
	__u32 status;

	aon_setup(_metadata, self, &s);
	aon_message(&m, &s);
	mb_cmsg_port(&m, s.p3, MAILBOX_MSG_TYPE_COPY_SEND);
	EXPECT_EQ(EPERM, mb_cmsg_send(self->fd, &m, &status));
	EXPECT_EQ(MAILBOX_SEND_INVALID_RIGHT, status);
	aon_unchanged(_metadata, self, &s);
}

TEST_F(mailbox, a_late_dead_port_leaves_every_earlier_right_unchanged)
{
	static struct mb_cmsg m;
	struct aon s;
	__u32 status, dead;

	aon_setup(_metadata, self, &s);
	ASSERT_EQ(0, mb_dead_send(self->fd, &dead));
	aon_message(&m, &s);
	mb_cmsg_array(&m, &dead, 1, MAILBOX_MSG_TYPE_COPY_SEND);
	EXPECT_EQ(EPIPE, mb_cmsg_send(self->fd, &m, &status));
	EXPECT_EQ(MAILBOX_SEND_INVALID_RIGHT, status);
	ASSERT_DEAD(self->fd, dead, 2);
	ASSERT_EQ(0, mb_deallocate(self->fd, dead));
	ASSERT_EQ(0, mb_deallocate(self->fd, dead));
	aon_unchanged(_metadata, self, &s);
}

TEST_F(mailbox, a_late_array_entry_failing_leaves_every_earlier_right_unchanged)
{
	static struct mb_cmsg m;
	struct aon s;
	__u32 status, bad[3];

	aon_setup(_metadata, self, &s);
	bad[0] = s.p1;
	bad[1] = s.p2;
	bad[2] = MB_UNUSED_NAME;
	aon_message(&m, &s);
	mb_cmsg_array(&m, bad, 3, MAILBOX_MSG_TYPE_COPY_SEND);
	EXPECT_EQ(ENOENT, mb_cmsg_send(self->fd, &m, &status));
	EXPECT_EQ(MAILBOX_SEND_INVALID_RIGHT, status);
	aon_unchanged(_metadata, self, &s);
}

TEST_F(mailbox, a_late_unreadable_array_leaves_every_earlier_right_unchanged)
{
	static struct mb_cmsg m;
	struct aon s;
	__u32 status;

	aon_setup(_metadata, self, &s);
	aon_message(&m, &s);
	mb_cmsg_array(&m, (void *)8, 1, MAILBOX_MSG_TYPE_COPY_SEND);
	EXPECT_EQ(EFAULT, mb_cmsg_send(self->fd, &m, &status));
	EXPECT_EQ(MAILBOX_SEND_INVALID_DATA, status);
	aon_unchanged(_metadata, self, &s);
}

TEST_F(mailbox, a_late_invalid_descriptor_leaves_every_earlier_right_unchanged)
{
	static struct mb_cmsg m;
	struct aon s;
	__u32 status;

	aon_setup(_metadata, self, &s);
	aon_message(&m, &s);
	mb_cmsg_port(&m, s.p2, MAILBOX_MSG_TYPE_COPY_SEND)->pad1 = 7;
	EXPECT_EQ(EINVAL, mb_cmsg_send(self->fd, &m, &status));
	EXPECT_EQ(MAILBOX_SEND_INVALID_TYPE, status);
	aon_unchanged(_metadata, self, &s);
}

TEST_F(mailbox, a_full_queue_with_send_timeout_zero_leaves_every_right_unchanged)
{
	static struct mb_cmsg m;
	struct aon s;
	__u32 status;

	aon_setup(_metadata, self, &s);
	ASSERT_EQ(0, mb_set_qlimit(self->fd2, s.pb, 1));
	ASSERT_EQ(0, mb_send_hdr(self->fd2, s.pb, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE,
				 0, 0, 1, &status));
	aon_message(&m, &s);
	EXPECT_EQ(EAGAIN, mb_cmsg_send(self->fd, &m, &status));
	EXPECT_EQ(MAILBOX_SEND_TIMED_OUT, status);
	EXPECT_EQ(1, mb_msgcount(self->fd2, s.pb));
	aon_unchanged(_metadata, self, &s);
}

TEST_F(mailbox, a_send_timeout_expiring_leaves_every_right_unchanged)
{
	static struct mb_cmsg m;
	struct aon s;
	__u32 status;

	aon_setup(_metadata, self, &s);
	ASSERT_EQ(0, mb_set_qlimit(self->fd2, s.pb, 1));
	ASSERT_EQ(0, mb_send_hdr(self->fd2, s.pb, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE,
				 0, 0, 1, &status));
	aon_message(&m, &s);
	EXPECT_EQ(ETIMEDOUT, mb_send(self->fd, m.buf, m.len,
				     MAILBOX_MSG_SEND_TIMEOUT, 20 * MB_MSEC,
				     &status));
	EXPECT_EQ(MAILBOX_SEND_TIMED_OUT, status);
	EXPECT_EQ(1, mb_msgcount(self->fd2, s.pb));
	aon_unchanged(_metadata, self, &s);
}

/* ---- moving receive rights: the old space's receivers ------------------ */

TEST_F(mailbox, moving_a_receive_right_wakes_the_old_spaces_receiver_with_eidrm)
{
	struct mb_async rcv;
	struct mailbox_msg_header h;
	__u32 pb, sa, x, n, status;

	b_port(_metadata, self, &pb, &sa);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &x));
	ASSERT_EQ(0, mb_make_send(self->fd, x));
	ASSERT_EQ(0, mb_async_recv(&rcv, self->fd, x, 0, 0));
	mb_pause();
	ASSERT_FALSE(mb_async_done(&rcv)) TH_LOG("receive did not block");

	n = carry(_metadata, self, sa, pb, x, MAILBOX_MSG_TYPE_MOVE_RECEIVE,
		  MAILBOX_MSG_TYPE_PORT_RECEIVE);
	ASSERT_EQ(0, mb_async_join(&rcv, 5));
	EXPECT_EQ(EIDRM, rcv.err);
	EXPECT_EQ(MAILBOX_RCV_PORT_CHANGED, rcv.m.status);
	EXPECT_EQ(MB_PATTERN, rcv.buf[0]);
	ASSERT_RIGHT(self->fd, x, SND, 1);

	/* The port itself is fine in B. */
	ASSERT_EQ(0, mb_send_hdr(self->fd, x, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0,
				 3, &status));
	ASSERT_EQ(0, mb_recv_hdr(self->fd2, n, &h, &status));
	EXPECT_EQ(3, h.id);
	/* And the old name is no receive right any more. */
	EXPECT_EQ(EPERM, mb_recv_hdr(self->fd, x, &h, &status));
	EXPECT_EQ(MAILBOX_RCV_INVALID_NAME, status);
}

/* ---- cycles ----------------------------------------------------------- */

TEST_F(mailbox, moving_a_receive_right_to_itself_fails_with_eloop)
{
	static struct mb_cmsg m;
	__u32 r, status;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_make_send(self->fd, r));
	mb_cmsg_init(&m, r, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	mb_cmsg_port(&m, r, MAILBOX_MSG_TYPE_MOVE_RECEIVE);
	EXPECT_EQ(ELOOP, mb_cmsg_send(self->fd, &m, &status));
	EXPECT_EQ(MAILBOX_SEND_INVALID_RIGHT, status);
	ASSERT_RIGHT(self->fd, r, RCV | SND, 1);
	EXPECT_EQ(0, mb_msgcount(self->fd, r));

	/* In a port array, and with MOVE_SEND as the destination: same. */
	mb_cmsg_init(&m, r, MAILBOX_MSG_TYPE_MOVE_SEND, 0, 0, 1);
	mb_cmsg_array(&m, &r, 1, MAILBOX_MSG_TYPE_MOVE_RECEIVE);
	EXPECT_EQ(ELOOP, mb_cmsg_send(self->fd, &m, &status));
	EXPECT_EQ(MAILBOX_SEND_INVALID_RIGHT, status);
	ASSERT_RIGHT(self->fd, r, RCV | SND, 1);
	EXPECT_EQ(0, mb_msgcount(self->fd, r));
}

TEST_F(mailbox, moving_a_receive_right_into_a_port_queued_on_it_fails_with_eloop)
{
	static struct mb_cmsg m;
	__u32 r, q, status;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &q));
	ASSERT_EQ(0, mb_make_send(self->fd, r));
	ASSERT_EQ(0, mb_make_send(self->fd, q));
	/* Q's receive right waits in R's queue. */
	mb_cmsg_init(&m, r, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	mb_cmsg_port(&m, q, MAILBOX_MSG_TYPE_MOVE_RECEIVE);
	ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status));
	ASSERT_RIGHT(self->fd, q, SND, 1);

	/* R's receive right to Q would close the loop. */
	mb_cmsg_init(&m, q, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 2);
	mb_cmsg_port(&m, r, MAILBOX_MSG_TYPE_MOVE_RECEIVE);
	EXPECT_EQ(ELOOP, mb_cmsg_send(self->fd, &m, &status));
	EXPECT_EQ(MAILBOX_SEND_INVALID_RIGHT, status);
	ASSERT_RIGHT(self->fd, r, RCV | SND, 1);
	ASSERT_RIGHT(self->fd, q, SND, 1);
	EXPECT_EQ(1, mb_msgcount(self->fd, r));
}

TEST_F(mailbox, a_three_hop_cycle_fails_with_eloop)
{
	static struct mb_cmsg m;
	__u32 r, q, s, status;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &q));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &s));
	ASSERT_EQ(0, mb_make_send(self->fd, r));
	ASSERT_EQ(0, mb_make_send(self->fd, q));
	ASSERT_EQ(0, mb_make_send(self->fd, s));
	/* Q in R's queue, S in Q's queue. */
	mb_cmsg_init(&m, r, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	mb_cmsg_port(&m, q, MAILBOX_MSG_TYPE_MOVE_RECEIVE);
	ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status));
	mb_cmsg_init(&m, q, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 2);
	mb_cmsg_port(&m, s, MAILBOX_MSG_TYPE_MOVE_RECEIVE);
	ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status));
	/* R to S: R -> Q -> S -> R. */
	mb_cmsg_init(&m, s, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 3);
	mb_cmsg_port(&m, r, MAILBOX_MSG_TYPE_MOVE_RECEIVE);
	EXPECT_EQ(ELOOP, mb_cmsg_send(self->fd, &m, &status));
	EXPECT_EQ(MAILBOX_SEND_INVALID_RIGHT, status);
	ASSERT_RIGHT(self->fd, r, RCV | SND, 1);
	EXPECT_EQ(1, mb_msgcount(self->fd, r));
}

TEST_F(mailbox, a_chain_without_a_cycle_is_delivered_intact)
{
	static struct mb_cmsg m;
	static struct rbuf rb;
	struct mailbox_port_attr at;
	struct mailbox_msg_header h;
	__u32 pb, sa, r, q, br, bq, size, status;

	b_port(_metadata, self, &pb, &sa);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &q));
	ASSERT_EQ(0, mb_make_send(self->fd, r));
	ASSERT_EQ(0, mb_make_send(self->fd, q));
	ASSERT_EQ(0, mb_set_qlimit(self->fd, q, 2));
	ASSERT_EQ(0, mb_send_hdr(self->fd, q, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0,
				 50, &status));
	/* Q (with a message) into R's queue, then R to B: no loop. */
	mb_cmsg_init(&m, r, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	mb_cmsg_port(&m, q, MAILBOX_MSG_TYPE_MOVE_RECEIVE);
	ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status));
	br = carry(_metadata, self, sa, pb, r, MAILBOX_MSG_TYPE_MOVE_RECEIVE,
		   MAILBOX_MSG_TYPE_PORT_RECEIVE);
	ASSERT_RIGHT(self->fd, r, SND, 1);
	ASSERT_RIGHT(self->fd, q, SND, 1);
	ASSERT_RIGHT(self->fd2, br, RCV, 0);
	EXPECT_EQ(1, mb_msgcount(self->fd2, br));

	ASSERT_EQ(0, mb_recv_now(self->fd2, br, &rb, sizeof(rb), 0, &size, &status));
	bq = mb_port_desc(&rb, 0)->name;
	ASSERT_RIGHT(self->fd2, bq, RCV, 0);
	ASSERT_EQ(0, mb_get_attr(self->fd2, bq, &at));
	EXPECT_EQ(2, at.qlimit);
	EXPECT_EQ(1, at.msgcount);
	EXPECT_EQ(1, at.has_senders);
	ASSERT_EQ(0, mb_recv_hdr(self->fd2, bq, &h, &status));
	EXPECT_EQ(50, h.id);
	/* A's send rights reach both ports in B. */
	ASSERT_EQ(0, mb_send_hdr(self->fd, q, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0,
				 51, &status));
	ASSERT_EQ(0, mb_recv_hdr(self->fd2, bq, &h, &status));
	EXPECT_EQ(51, h.id);
}

/* ---- ports in transit destroyed with their carrier ----------------------- */

TEST_F(mailbox, destroying_a_port_destroys_the_receive_rights_queued_on_it)
{
	static struct mb_cmsg m;
	__u32 r, q, s, status;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &q));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &s));
	ASSERT_EQ(0, mb_make_send(self->fd, r));
	ASSERT_EQ(0, mb_make_send(self->fd, q));
	ASSERT_EQ(0, mb_make_send(self->fd, s));
	mb_cmsg_init(&m, r, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	mb_cmsg_port(&m, q, MAILBOX_MSG_TYPE_MOVE_RECEIVE);
	ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status));
	mb_cmsg_init(&m, q, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 2);
	mb_cmsg_port(&m, s, MAILBOX_MSG_TYPE_MOVE_RECEIVE);
	ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status));

	ASSERT_EQ(0, mb_mod_refs(self->fd, r, MAILBOX_RIGHT_RECEIVE, -1));
	/* Lazy dead names: looking at them tells. */
	ASSERT_DEAD(self->fd, r, 1);
	ASSERT_DEAD(self->fd, q, 1);
	ASSERT_DEAD(self->fd, s, 1);
}

TEST_F(mailbox, closing_a_space_with_ports_in_transit_frees_everything)
{
	static struct mb_cmsg m;
	char bad[160];
	__u32 pb, sa, r, q, s, bs, status;
	int i;

	b_port(_metadata, self, &pb, &sa);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &q));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &s));
	ASSERT_EQ(0, mb_make_send(self->fd, r));
	ASSERT_EQ(0, mb_make_send(self->fd, q));
	ASSERT_EQ(0, mb_make_send(self->fd, s));
	ASSERT_EQ(0, mb_give_send(self->fd, self->fd2, s, &bs));
	/* S in Q's queue, Q in R's queue, a send-once right to R in B's. */
	mb_cmsg_init(&m, q, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	mb_cmsg_port(&m, s, MAILBOX_MSG_TYPE_MOVE_RECEIVE);
	for (i = 0; i < 3; i++)
		mb_cmsg_port(&m, sa, MAILBOX_MSG_TYPE_COPY_SEND);
	ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status));
	mb_cmsg_init(&m, r, MAILBOX_MSG_TYPE_COPY_SEND, r,
		     MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, 2);
	mb_cmsg_port(&m, q, MAILBOX_MSG_TYPE_MOVE_RECEIVE);
	ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status));
	/* A message to R still queued in B when A closes. */
	mb_cmsg_init(&m, sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 3);
	mb_cmsg_port(&m, r, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE);
	ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status));

	close(self->fd);
	self->fd = -1;
	/* S died with A's queues: B's send right is a dead name now. */
	ASSERT_DEAD(self->fd2, bs, 1);
	EXPECT_EQ(1, mb_msgcount(self->fd2, pb));
	close(self->fd2);
	self->fd2 = -1;
	ASSERT_EQ(0, mb_counters_zero(bad, sizeof(bad))) TH_LOG("%s", bad);
}

TEST_HARNESS_MAIN
