// SPDX-License-Identifier: GPL-2.0
/*
 * Pulses: MAILBOX_IOC_PULSE, the pulse lane, coalescing and drop counts,
 * and pulses among messages (priorities, port sets, ready fds, selective
 * receive, peek).
 */
#include "mailbox_test.h"

#include <poll.h>

#include "kselftest_harness.h"

FIXTURE(mailbox) {
	int fd;
	__u32 port;		/* a receive right with a send right (one uref) */
};

FIXTURE_SETUP(mailbox)
{
	self->fd = mb_open();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MB_DEVICE, strerror(errno));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &self->port));
	ASSERT_EQ(0, mb_make_send(self->fd, self->port));
}

FIXTURE_TEARDOWN(mailbox)
{
	close(self->fd);
}

static int p_pulse(int fd, __u32 name, __s32 code, __u64 value, __u32 prio)
{
	struct mailbox_pulse_send p = {
		.name = name,
		.code = code,
		.value = value,
		.priority = prio,
	};

	return mb_ioctl(fd, MAILBOX_IOC_PULSE, &p);
}

/* Receive one message (pulse or not) without waiting into @p. */
static int p_recv(int fd, __u32 name, struct mailbox_pulse *p, __u32 options,
		  struct mailbox_msg *m)
{
	*m = (struct mailbox_msg) {
		.rcv_msg = (uintptr_t)p,
		.options = MAILBOX_MSG_RCV | MAILBOX_MSG_RCV_TIMEOUT | options,
		.rcv_size = sizeof(*p),
		.rcv_name = name,
		.status = MB_PATTERN32,
		.priority = MB_PATTERN32,
	};
	memset(p, MB_PATTERN, sizeof(*p));
	return mb_msg(fd, m);
}

static __u32 p_queued(int fd, __u32 name)
{
	struct mailbox_port_attr a;

	return mb_get_attr(fd, name, &a) ? 0xffffffffU : a.pulses_queued;
}

static __u32 p_dropped(int fd, __u32 name)
{
	struct mailbox_port_attr a;

	return mb_get_attr(fd, name, &a) ? 0xffffffffU : a.pulses_dropped;
}

TEST_F(mailbox, pulse_is_delivered_as_struct_mailbox_pulse)
{
	struct mailbox_pulse p;
	struct mailbox_msg m;

	ASSERT_EQ(0, p_pulse(self->fd, self->port, -42, 0x1122334455667788ULL, 6));
	EXPECT_EQ(1, p_queued(self->fd, self->port));
	EXPECT_EQ(0, mb_msgcount(self->fd, self->port));
	ASSERT_EQ(0, p_recv(self->fd, self->port, &p, 0, &m));
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, m.status);
	EXPECT_EQ(sizeof(p), m.rcv_size);
	EXPECT_EQ(6, m.priority);
	EXPECT_EQ(MAILBOX_MSGH_PULSE, p.header.bits);
	EXPECT_EQ(sizeof(p), p.header.size);
	EXPECT_EQ(MAILBOX_PORT_NULL, p.header.remote_port);
	EXPECT_EQ(self->port, p.header.local_port);
	EXPECT_EQ(0, p.header.voucher_port);
	EXPECT_EQ(-42, p.header.id);
	EXPECT_EQ(-42, p.code);
	EXPECT_EQ(6, p.priority);
	EXPECT_EQ(0x1122334455667788ULL, p.value);
	EXPECT_EQ(1, p.count);
	EXPECT_EQ(0, p.dropped);
	EXPECT_EQ(0, p_queued(self->fd, self->port));
	/* The send right stays. */
	EXPECT_EQ(1, mb_send_urefs(self->fd, self->port));
}

TEST_F(mailbox, pulse_trailer_names_the_sender)
{
	struct {
		struct mailbox_pulse p;
		struct mailbox_msg_trailer tr;
	} r;
	struct mailbox_msg m = {
		.rcv_msg = (uintptr_t)&r,
		.options = MAILBOX_MSG_RCV | MAILBOX_MSG_RCV_TIMEOUT |
			   MAILBOX_MSG_RCV_TRAILER,
		.rcv_size = sizeof(r),
		.rcv_name = self->port,
	};

	ASSERT_EQ(0, p_pulse(self->fd, self->port, 1, 2, 0));
	ASSERT_EQ(0, mb_msg(self->fd, &m));
	EXPECT_EQ(sizeof(r), m.rcv_size);
	EXPECT_EQ(getpid(), r.tr.sender_pid);
	EXPECT_EQ(getuid(), r.tr.sender_uid);
}

TEST_F(mailbox, pulses_ignore_the_queue_limit_and_never_block)
{
	struct mailbox_pulse p;
	struct mailbox_msg m;
	__u32 status;

	ASSERT_EQ(0, mb_set_qlimit(self->fd, self->port, 1));
	ASSERT_EQ(0, mb_send_hdr(self->fd, self->port, MAILBOX_MSG_TYPE_COPY_SEND,
				 0, 0, 100, &status));
	EXPECT_EQ(EAGAIN, mb_send_hdr(self->fd, self->port,
				      MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 101,
				      &status));
	ASSERT_EQ(0, p_pulse(self->fd, self->port, 1, 0, 0));
	ASSERT_EQ(0, p_pulse(self->fd, self->port, 2, 0, 0));
	EXPECT_EQ(1, mb_msgcount(self->fd, self->port));
	EXPECT_EQ(2, p_queued(self->fd, self->port));
	/* A pulse leaving frees no message slot. */
	ASSERT_EQ(0, p_recv(self->fd, self->port, &p, 0, &m));
	EXPECT_EQ(100, p.header.id);
	ASSERT_EQ(0, p_recv(self->fd, self->port, &p, 0, &m));
	EXPECT_EQ(1, p.code);
	EXPECT_EQ(0, mb_send_hdr(self->fd, self->port, MAILBOX_MSG_TYPE_COPY_SEND,
				 0, 0, 102, &status));
	EXPECT_EQ(EAGAIN, mb_send_hdr(self->fd, self->port,
				      MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 103,
				      &status));
}

TEST_F(mailbox, full_lane_coalesces_same_code_and_priority_else_drops)
{
	struct mailbox_pulse p;
	struct mailbox_msg m;
	int i;

	for (i = 0; i < MAILBOX_PULSE_LANE; i++)
		ASSERT_EQ(0, p_pulse(self->fd, self->port, i, i, 1));
	EXPECT_EQ(MAILBOX_PULSE_LANE, p_queued(self->fd, self->port));
	/* Same code and priority as the pulse with code 3: coalesced. */
	ASSERT_EQ(0, p_pulse(self->fd, self->port, 3, 1000, 1));
	ASSERT_EQ(0, p_pulse(self->fd, self->port, 3, 1001, 1));
	/* Code 3 at another priority, and a new code: dropped. */
	ASSERT_EQ(0, p_pulse(self->fd, self->port, 3, 7, 2));
	ASSERT_EQ(0, p_pulse(self->fd, self->port, 99, 7, 1));
	EXPECT_EQ(MAILBOX_PULSE_LANE, p_queued(self->fd, self->port));
	EXPECT_EQ(2, p_dropped(self->fd, self->port));

	/* The first delivered pulse reports the drops, once. */
	ASSERT_EQ(0, p_recv(self->fd, self->port, &p, 0, &m));
	EXPECT_EQ(0, p.code);
	EXPECT_EQ(1, p.count);
	EXPECT_EQ(2, p.dropped);
	EXPECT_EQ(0, p_dropped(self->fd, self->port));
	for (i = 1; i < MAILBOX_PULSE_LANE; i++) {
		ASSERT_EQ(0, p_recv(self->fd, self->port, &p, 0, &m));
		EXPECT_EQ(i, p.code);
		EXPECT_EQ(0, p.dropped);
		EXPECT_EQ(i == 3 ? 3 : 1, p.count) TH_LOG("code %d", i);
		EXPECT_EQ(i == 3 ? 1001 : (__u64)i, p.value);
	}
	EXPECT_EQ(EAGAIN, p_recv(self->fd, self->port, &p, 0, &m));
	EXPECT_EQ(0, p_queued(self->fd, self->port));
}

TEST_F(mailbox, pulses_take_their_place_by_priority)
{
	struct mailbox_pulse p;
	struct mailbox_msg m;
	struct mailbox_msg_header h;
	struct mailbox_msg s = {
		.send_msg = (uintptr_t)&h,
		.options = MAILBOX_MSG_SEND,
		.send_size = sizeof(h),
		.priority = 20,
	};

	mb_header(&h, self->port, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1000);
	ASSERT_EQ(0, mb_send_hdr(self->fd, self->port, MAILBOX_MSG_TYPE_COPY_SEND,
				 0, 0, 999, NULL));		/* priority 0 */
	ASSERT_EQ(0, mb_msg(self->fd, &s));			/* priority 20 */
	ASSERT_EQ(0, p_pulse(self->fd, self->port, 5, 0, 10));
	ASSERT_EQ(0, p_pulse(self->fd, self->port, 6, 0, 30));
	ASSERT_EQ(0, p_recv(self->fd, self->port, &p, 0, &m));
	EXPECT_EQ(6, p.header.id);
	EXPECT_EQ(30, m.priority);
	ASSERT_EQ(0, p_recv(self->fd, self->port, &p, 0, &m));
	EXPECT_EQ(1000, p.header.id);
	ASSERT_EQ(0, p_recv(self->fd, self->port, &p, 0, &m));
	EXPECT_EQ(5, p.header.id);
	EXPECT_EQ(MAILBOX_MSGH_PULSE, p.header.bits);
	ASSERT_EQ(0, p_recv(self->fd, self->port, &p, 0, &m));
	EXPECT_EQ(999, p.header.id);
}

TEST_F(mailbox, pulse_wakes_a_blocked_receiver)
{
	struct mb_async a;
	struct mailbox_pulse p;

	ASSERT_EQ(0, mb_async_recv(&a, self->fd, self->port, 0, 0));
	mb_pause();
	EXPECT_FALSE(mb_async_done(&a));
	ASSERT_EQ(0, p_pulse(self->fd, self->port, 77, 1, 0));
	ASSERT_EQ(0, mb_async_join(&a, 10));
	EXPECT_EQ(0, a.err);
	memcpy(&p, a.buf, sizeof(p));
	EXPECT_EQ(77, p.code);
}

TEST_F(mailbox, pulse_reaches_a_port_set_and_a_ready_fd)
{
	struct mailbox_port_move_member mm = { .member = 0 };
	struct mailbox_port_fd rf = { .name = 0 };
	struct mailbox_pulse p;
	struct mailbox_msg m;
	struct pollfd pf;
	__u32 set;

	ASSERT_EQ(0, mb_allocate(self->fd, MAILBOX_RIGHT_PORT_SET, &set));
	mm.member = self->port;
	mm.after = set;
	ASSERT_EQ(0, mb_ioctl(self->fd, MAILBOX_IOC_PORT_MOVE_MEMBER, &mm));
	rf.name = self->port;
	ASSERT_EQ(0, mb_ioctl(self->fd, MAILBOX_IOC_PORT_READY_FD, &rf));
	pf = (struct pollfd) { .fd = rf.fd, .events = POLLIN };
	EXPECT_EQ(0, poll(&pf, 1, 0));
	rf.name = set;
	ASSERT_EQ(0, mb_ioctl(self->fd, MAILBOX_IOC_PORT_READY_FD, &rf));

	ASSERT_EQ(0, p_pulse(self->fd, self->port, 8, 9, 0));
	pf.revents = 0;
	EXPECT_EQ(1, poll(&pf, 1, 0));
	EXPECT_TRUE(pf.revents & POLLIN);
	pf = (struct pollfd) { .fd = rf.fd, .events = POLLIN };
	EXPECT_EQ(1, poll(&pf, 1, 0));
	EXPECT_TRUE(pf.revents & POLLIN);

	ASSERT_EQ(0, p_recv(self->fd, set, &p, 0, &m));
	EXPECT_EQ(8, p.code);
	EXPECT_EQ(self->port, p.header.local_port);
	EXPECT_EQ(0, poll(&pf, 1, 0));
	close(rf.fd);
}

TEST_F(mailbox, selective_receive_and_peek_see_pulses)
{
	struct mailbox_rcv_filter f = {
		.flags = MAILBOX_FILTER_ID, .id_mask = ~0U, .id_value = 31,
	};
	struct mailbox_pulse p;
	struct mailbox_msg m;

	ASSERT_EQ(0, mb_send_hdr(self->fd, self->port, MAILBOX_MSG_TYPE_COPY_SEND,
				 0, 0, 1, NULL));
	ASSERT_EQ(0, p_pulse(self->fd, self->port, 30, 0, 0));
	ASSERT_EQ(0, p_pulse(self->fd, self->port, 31, 5, 0));
	m = (struct mailbox_msg) {
		.rcv_msg = (uintptr_t)&p,
		.options = MAILBOX_MSG_RCV | MAILBOX_MSG_RCV_TIMEOUT |
			   MAILBOX_MSG_RCV_FILTER | MAILBOX_MSG_RCV_PEEK,
		.rcv_size = sizeof(p),
		.rcv_name = self->port,
		.rcv_filter = (uintptr_t)&f,
	};
	ASSERT_EQ(0, mb_msg(self->fd, &m));
	EXPECT_EQ(31, p.code);
	EXPECT_EQ(MAILBOX_MSGH_PULSE, p.header.bits);
	EXPECT_EQ(3, p_queued(self->fd, self->port) + mb_msgcount(self->fd, self->port));
	m.options &= ~MAILBOX_MSG_RCV_PEEK;
	m.rcv_size = sizeof(p);
	memset(&p, 0, sizeof(p));
	ASSERT_EQ(0, mb_msg(self->fd, &m));
	EXPECT_EQ(31, p.code);
	EXPECT_EQ(5, p.value);
	EXPECT_EQ(1, p_queued(self->fd, self->port));
	EXPECT_EQ(1, mb_msgcount(self->fd, self->port));
}

TEST_F(mailbox, peek_shows_the_drop_count_without_resetting_it)
{
	struct mailbox_pulse p;
	struct mailbox_msg m;
	int i;

	for (i = 0; i < MAILBOX_PULSE_LANE + 2; i++)
		ASSERT_EQ(0, p_pulse(self->fd, self->port, i, 0, 0));
	ASSERT_EQ(0, p_recv(self->fd, self->port, &p, MAILBOX_MSG_RCV_PEEK, &m));
	EXPECT_EQ(0, p.code);
	EXPECT_EQ(2, p.dropped);
	EXPECT_EQ(2, p_dropped(self->fd, self->port));
	ASSERT_EQ(0, p_recv(self->fd, self->port, &p, 0, &m));
	EXPECT_EQ(2, p.dropped);
	EXPECT_EQ(0, p_dropped(self->fd, self->port));
}

TEST_F(mailbox, too_large_pulse_is_destroyed_but_its_drop_count_kept)
{
	struct mailbox_pulse p;
	struct mailbox_msg m;
	int i;

	for (i = 0; i < MAILBOX_PULSE_LANE + 1; i++)
		ASSERT_EQ(0, p_pulse(self->fd, self->port, i, 0, 0));
	m = (struct mailbox_msg) {
		.rcv_msg = (uintptr_t)&p,
		.options = MAILBOX_MSG_RCV | MAILBOX_MSG_RCV_TIMEOUT,
		.rcv_size = sizeof(p.header),
		.rcv_name = self->port,
	};
	EXPECT_EQ(EMSGSIZE, mb_msg(self->fd, &m));
	EXPECT_EQ(MAILBOX_RCV_TOO_LARGE, m.status);
	EXPECT_EQ(sizeof(p), m.rcv_size);
	EXPECT_EQ(MAILBOX_PULSE_LANE - 1, p_queued(self->fd, self->port));
	EXPECT_EQ(1, p_dropped(self->fd, self->port));
	ASSERT_EQ(0, p_recv(self->fd, self->port, &p, 0, &m));
	EXPECT_EQ(1, p.code);
	EXPECT_EQ(1, p.dropped);
}

TEST_F(mailbox, pulse_to_a_dead_port_fails_epipe)
{
	int fd2 = mb_open();
	__u32 s;

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, mb_give_send(self->fd, fd2, self->port, &s));
	ASSERT_EQ(0, p_pulse(fd2, s, 1, 0, 0));
	ASSERT_EQ(0, mb_destroy(self->fd, self->port));
	EXPECT_EQ(EPIPE, p_pulse(fd2, s, 1, 0, 0));
	EXPECT_EQ(MAILBOX_PORT_TYPE_DEAD_NAME, mb_type_bits(fd2, s));
	EXPECT_EQ(EPIPE, p_pulse(fd2, s, 1, 0, 0));
	close(fd2);
}

TEST_F(mailbox, pulse_needs_a_send_right)
{
	__u32 r, so, set;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	EXPECT_EQ(EPERM, p_pulse(self->fd, r, 1, 0, 0));
	ASSERT_EQ(0, mb_make_send_once(self->fd, r, &so));
	EXPECT_EQ(EPERM, p_pulse(self->fd, so, 1, 0, 0));
	ASSERT_EQ(0, mb_allocate(self->fd, MAILBOX_RIGHT_PORT_SET, &set));
	EXPECT_EQ(EPERM, p_pulse(self->fd, set, 1, 0, 0));
	EXPECT_EQ(ENOENT, p_pulse(self->fd, MB_UNUSED_NAME, 1, 0, 0));
	EXPECT_EQ(ENOENT, p_pulse(self->fd, MAILBOX_PORT_NULL, 1, 0, 0));
	EXPECT_EQ(0, p_queued(self->fd, r));
}

TEST_F(mailbox, bad_pulse_arguments_fail_einval)
{
	struct mailbox_pulse_send p = { .name = self->port };

	p.priority = MAILBOX_PRIO_MAX + 1;
	EXPECT_EQ(EINVAL, mb_ioctl(self->fd, MAILBOX_IOC_PULSE, &p));
	p.priority = MAILBOX_PRIO_MAX;
	p.flags = 1;
	EXPECT_EQ(EINVAL, mb_ioctl(self->fd, MAILBOX_IOC_PULSE, &p));
	p.flags = 0;
	p.reserved = 1ULL << 63;
	EXPECT_EQ(EINVAL, mb_ioctl(self->fd, MAILBOX_IOC_PULSE, &p));
	EXPECT_EQ(EFAULT, mb_ioctl(self->fd, MAILBOX_IOC_PULSE, NULL));
	EXPECT_EQ(0, p_queued(self->fd, self->port));
	p.reserved = 0;
	EXPECT_EQ(0, mb_ioctl(self->fd, MAILBOX_IOC_PULSE, &p));
	EXPECT_EQ(1, p_queued(self->fd, self->port));
}

/* Pulses left queued die with their port (the runner checks the stats). */
TEST_F(mailbox, queued_pulses_go_with_the_port)
{
	unsigned long long sent0 = 0, sent1 = 0;
	int i;

	mb_stat("total_sent", &sent0);
	for (i = 0; i < MAILBOX_PULSE_LANE + 5; i++)
		ASSERT_EQ(0, p_pulse(self->fd, self->port, i, 0, 0));
	if (mb_stat("total_sent", &sent1) == 0)
		EXPECT_EQ(MAILBOX_PULSE_LANE, sent1 - sent0);
	ASSERT_EQ(0, mb_destroy(self->fd, self->port));
}

TEST_HARNESS_MAIN
