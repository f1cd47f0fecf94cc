// SPDX-License-Identifier: GPL-2.0
/*
 * Message priorities (mailbox_msg.priority), selective receive
 * (MAILBOX_MSG_RCV_FILTER) and peek (MAILBOX_MSG_RCV_PEEK).
 */
#include "mailbox_test.h"

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

/* A message with one word of body. */
struct qmsg {
	struct mailbox_msg_header h;
	__u32 word;
};

/* A received message, room for a trailer. */
struct qrcv {
	struct mailbox_msg_header h;
	__u32 word;
	struct mailbox_msg_trailer tr;
};

/* Send id/word at @prio to @dest (COPY_SEND) without waiting. */
static int q_send_full(int fd, __u32 dest, __s32 id, __u32 prio,
		       __u32 *status)
{
	struct qmsg s;
	struct mailbox_msg m = {
		.send_msg = (uintptr_t)&s,
		.options = MAILBOX_MSG_SEND | MAILBOX_MSG_SEND_TIMEOUT,
		.send_size = sizeof(s),
		.priority = prio,
		.status = MB_PATTERN32,
	};
	int err;

	mb_header(&s.h, dest, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, id);
	s.word = (__u32)id * 10;
	err = mb_msg(fd, &m);
	if (status)
		*status = m.status;
	return err;
}

static int q_send(int fd, __u32 dest, __s32 id, __u32 prio)
{
	return q_send_full(fd, dest, id, prio, NULL);
}

/*
 * Receive on @name with @options (RCV and RCV_TIMEOUT added), @filter (NULL
 * for none: RCV_FILTER is added otherwise) and @timeout; *@m gets the
 * kernel's output.
 */
static int q_recv(int fd, __u32 name, struct qrcv *r, __u32 options,
		  const struct mailbox_rcv_filter *filter, __u64 timeout,
		  struct mailbox_msg *m)
{
	*m = (struct mailbox_msg) {
		.rcv_msg = (uintptr_t)r,
		.rcv_timeout = timeout,
		.options = MAILBOX_MSG_RCV | MAILBOX_MSG_RCV_TIMEOUT | options,
		.rcv_size = sizeof(*r),
		.rcv_name = name,
		.status = MB_PATTERN32,
		.priority = MB_PATTERN32,
	};
	if (!(options & MAILBOX_MSG_RCV_TRAILER))
		m->rcv_size = sizeof(r->h) + sizeof(r->word);
	if (filter) {
		m->options |= MAILBOX_MSG_RCV_FILTER;
		m->rcv_filter = (uintptr_t)filter;
	}
	memset(r, MB_PATTERN, sizeof(*r));
	return mb_msg(fd, m);
}

/* Receive (no wait) and return the id, or -errno. */
static long q_recv_id(int fd, __u32 name, __u32 options,
		      const struct mailbox_rcv_filter *filter, __u32 *prio)
{
	struct mailbox_msg m;
	struct qrcv r;
	int err = q_recv(fd, name, &r, options, filter, 0, &m);

	if (err)
		return -err;
	if (prio)
		*prio = m.priority;
	return r.h.id;
}

static long q_pending(int fd, __u32 name)
{
	return mb_msgcount(fd, name);
}

/* An async receive with a filter (the harness's helper has none). */
static int q_async_filter(struct mb_async *a, int fd, __u32 name,
			  const struct mailbox_rcv_filter *f, __u32 options)
{
	memset(a, 0, sizeof(*a));
	memset(a->buf, MB_PATTERN, sizeof(a->buf));
	a->fd = fd;
	a->m.rcv_msg = (uintptr_t)a->buf;
	a->m.options = MAILBOX_MSG_RCV | options;
	if (f) {
		a->m.options |= MAILBOX_MSG_RCV_FILTER;
		a->m.rcv_filter = (uintptr_t)f;
	}
	a->m.rcv_size = sizeof(a->buf);
	a->m.rcv_name = name;
	a->m.status = MB_PATTERN32;
	return pthread_create(&a->thread, NULL, mb_async_fn, a);
}

static __s32 q_async_id(struct mb_async *a)
{
	struct mailbox_msg_header h;

	memcpy(&h, a->buf, sizeof(h));
	return h.id;
}

/* --- priorities ---------------------------------------------------------- */

TEST_F(mailbox, version_reports_priorities_selective_and_pulses)
{
	struct mailbox_version v;

	ASSERT_EQ(0, mb_version(self->fd, &v));
	EXPECT_TRUE(v.features & MAILBOX_FEATURE_PRIORITIES);
	EXPECT_TRUE(v.features & MAILBOX_FEATURE_SELECTIVE);
	EXPECT_TRUE(v.features & MAILBOX_FEATURE_PULSES);
}

TEST_F(mailbox, highest_priority_first_fifo_within_a_priority)
{
	static const __u32 prio[8] = { 0, 5, 0, 9, 5, 9, 0, MAILBOX_PRIO_MAX };
	static const __s32 want[8] = { 8, 4, 6, 2, 5, 1, 3, 7 };
	__u32 p;
	int i;

	ASSERT_EQ(0, mb_set_qlimit(self->fd, self->port, 8));
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, q_send(self->fd, self->port, i + 1, prio[i]));
	EXPECT_EQ(8, q_pending(self->fd, self->port));
	for (i = 0; i < 8; i++) {
		EXPECT_EQ(want[i], q_recv_id(self->fd, self->port, 0, NULL, &p))
			TH_LOG("receive %d", i);
		EXPECT_EQ(prio[want[i] - 1], p);
	}
	EXPECT_EQ(-EAGAIN, q_recv_id(self->fd, self->port, 0, NULL, NULL));
}

TEST_F(mailbox, equal_priorities_keep_send_order)
{
	int i;

	ASSERT_EQ(0, mb_set_qlimit(self->fd, self->port, 64));
	for (i = 0; i < 64; i++)
		ASSERT_EQ(0, q_send(self->fd, self->port, i, 3));
	for (i = 0; i < 64; i++)
		ASSERT_EQ(i, q_recv_id(self->fd, self->port, 0, NULL, NULL));
}

TEST_F(mailbox, priority_above_max_fails_einval_and_consumes_nothing)
{
	struct qmsg s;
	struct mailbox_msg m = {
		.send_msg = (uintptr_t)&s,
		.options = MAILBOX_MSG_SEND | MAILBOX_MSG_SEND_TIMEOUT,
		.send_size = sizeof(s),
		.priority = MAILBOX_PRIO_MAX + 1,
		.status = MB_PATTERN32,
	};

	mb_header(&s.h, self->port, MAILBOX_MSG_TYPE_MOVE_SEND, 0, 0, 1);
	EXPECT_EQ(EINVAL, mb_msg(self->fd, &m));
	EXPECT_EQ(MAILBOX_SEND_INVALID_OPTIONS, m.status);
	m.priority = 0xffffffffU;
	EXPECT_EQ(EINVAL, mb_msg(self->fd, &m));
	EXPECT_EQ(0, q_pending(self->fd, self->port));
	/* The moved send right is still there. */
	EXPECT_EQ(1, mb_send_urefs(self->fd, self->port));
	m.priority = MAILBOX_PRIO_MAX;
	EXPECT_EQ(0, mb_msg(self->fd, &m));
	EXPECT_EQ(1, q_pending(self->fd, self->port));
}

TEST_F(mailbox, receive_only_ignores_the_input_priority)
{
	struct qrcv r;
	struct mailbox_msg m = {
		.rcv_msg = (uintptr_t)&r,
		.options = MAILBOX_MSG_RCV | MAILBOX_MSG_RCV_TIMEOUT,
		.rcv_size = sizeof(r),
		.rcv_name = self->port,
		.priority = 0xffffffffU,
	};

	ASSERT_EQ(0, q_send(self->fd, self->port, 5, 17));
	ASSERT_EQ(0, mb_msg(self->fd, &m));
	EXPECT_EQ(5, r.h.id);
	EXPECT_EQ(17, m.priority);
}

TEST_F(mailbox, send_and_receive_reports_the_received_priority)
{
	struct qmsg s;
	struct qrcv r;
	struct mailbox_msg m = {
		.send_msg = (uintptr_t)&s,
		.rcv_msg = (uintptr_t)&r,
		.options = MAILBOX_MSG_SEND | MAILBOX_MSG_RCV,
		.send_size = sizeof(s),
		.rcv_size = sizeof(r),
		.rcv_name = self->port,
		.priority = 4,
	};

	/* A higher one is queued already: it is the one received. */
	ASSERT_EQ(0, q_send(self->fd, self->port, 1, 200));
	mb_header(&s.h, self->port, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 2);
	ASSERT_EQ(0, mb_msg(self->fd, &m));
	EXPECT_EQ(1, r.h.id);
	EXPECT_EQ(200, m.priority);
	EXPECT_EQ(2, q_recv_id(self->fd, self->port, 0, NULL, &m.priority));
	EXPECT_EQ(4, m.priority);
}

TEST_F(mailbox, priority_does_not_bypass_the_queue_limit)
{
	__u32 status;

	ASSERT_EQ(0, mb_set_qlimit(self->fd, self->port, 1));
	ASSERT_EQ(0, q_send(self->fd, self->port, 1, 0));
	EXPECT_EQ(EAGAIN, q_send_full(self->fd, self->port, 2, MAILBOX_PRIO_MAX,
				      &status));
	EXPECT_EQ(MAILBOX_SEND_TIMED_OUT, status);
	EXPECT_EQ(1, q_recv_id(self->fd, self->port, 0, NULL, NULL));
}

TEST_F(mailbox, notifications_are_queued_at_priority_zero)
{
	__u32 so, p;

	ASSERT_EQ(0, q_send(self->fd, self->port, 1, 0));
	ASSERT_EQ(0, mb_make_send_once(self->fd, self->port, &so));
	ASSERT_EQ(0, mb_deallocate(self->fd, so));	/* send-once notification */
	ASSERT_EQ(0, q_send(self->fd, self->port, 2, 1));
	EXPECT_EQ(2, q_recv_id(self->fd, self->port, 0, NULL, &p));
	EXPECT_EQ(1, p);
	EXPECT_EQ(1, q_recv_id(self->fd, self->port, 0, NULL, &p));
	EXPECT_EQ(MAILBOX_NOTIFY_SEND_ONCE,
		  q_recv_id(self->fd, self->port, 0, NULL, &p));
	EXPECT_EQ(0, p);
}

TEST_F(mailbox, set_receive_takes_the_highest_priority_of_all_members)
{
	__u32 set, b, p;

	ASSERT_EQ(0, mb_allocate(self->fd, MAILBOX_RIGHT_PORT_SET, &set));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &b));
	ASSERT_EQ(0, mb_make_send(self->fd, b));
	struct mailbox_port_move_member mm = { .member = self->port, .after = set };

	ASSERT_EQ(0, mb_ioctl(self->fd, MAILBOX_IOC_PORT_MOVE_MEMBER, &mm));
	mm.member = b;
	ASSERT_EQ(0, mb_ioctl(self->fd, MAILBOX_IOC_PORT_MOVE_MEMBER, &mm));

	/* port became ready first, b's message overtakes it; 2 moves port up. */
	ASSERT_EQ(0, q_send(self->fd, self->port, 1, 0));
	ASSERT_EQ(0, q_send(self->fd, b, 10, 7));
	ASSERT_EQ(0, q_send(self->fd, b, 11, 0));
	ASSERT_EQ(0, q_send(self->fd, self->port, 2, 250));
	EXPECT_EQ(2, q_recv_id(self->fd, set, 0, NULL, &p));
	EXPECT_EQ(250, p);
	EXPECT_EQ(10, q_recv_id(self->fd, set, 0, NULL, &p));
	EXPECT_EQ(7, p);
	/* Both heads at 0 now: port was back there first. */
	EXPECT_EQ(1, q_recv_id(self->fd, set, 0, NULL, &p));
	EXPECT_EQ(11, q_recv_id(self->fd, set, 0, NULL, &p));
	EXPECT_EQ(-EAGAIN, q_recv_id(self->fd, set, 0, NULL, &p));
}

TEST_F(mailbox, set_members_of_equal_priority_are_served_in_turn)
{
	struct mailbox_port_move_member mm = { .member = 0 };
	__u32 set, b;

	ASSERT_EQ(0, mb_allocate(self->fd, MAILBOX_RIGHT_PORT_SET, &set));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &b));
	ASSERT_EQ(0, mb_make_send(self->fd, b));
	mm.after = set;
	mm.member = self->port;
	ASSERT_EQ(0, mb_ioctl(self->fd, MAILBOX_IOC_PORT_MOVE_MEMBER, &mm));
	mm.member = b;
	ASSERT_EQ(0, mb_ioctl(self->fd, MAILBOX_IOC_PORT_MOVE_MEMBER, &mm));
	ASSERT_EQ(0, q_send(self->fd, self->port, 1, 5));
	ASSERT_EQ(0, q_send(self->fd, self->port, 2, 5));
	ASSERT_EQ(0, q_send(self->fd, b, 3, 5));
	ASSERT_EQ(0, q_send(self->fd, b, 4, 5));
	ASSERT_EQ(0, q_send(self->fd, self->port, 5, 1));
	EXPECT_EQ(1, q_recv_id(self->fd, set, 0, NULL, NULL));
	EXPECT_EQ(3, q_recv_id(self->fd, set, 0, NULL, NULL));
	EXPECT_EQ(2, q_recv_id(self->fd, set, 0, NULL, NULL));
	EXPECT_EQ(4, q_recv_id(self->fd, set, 0, NULL, NULL));
	EXPECT_EQ(5, q_recv_id(self->fd, set, 0, NULL, NULL));
	/* A direct receive on a member re-sorts it too. */
	ASSERT_EQ(0, q_send(self->fd, b, 6, 9));
	ASSERT_EQ(0, q_send(self->fd, b, 7, 0));
	ASSERT_EQ(0, q_send(self->fd, self->port, 8, 3));
	EXPECT_EQ(6, q_recv_id(self->fd, b, 0, NULL, NULL));
	EXPECT_EQ(8, q_recv_id(self->fd, set, 0, NULL, NULL));
	EXPECT_EQ(7, q_recv_id(self->fd, set, 0, NULL, NULL));
}

/* --- selective receive --------------------------------------------------- */

TEST_F(mailbox, filter_id_takes_the_first_match_and_keeps_the_order)
{
	struct mailbox_rcv_filter f = {
		.flags = MAILBOX_FILTER_ID, .id_mask = 0xf0, .id_value = 0x20,
	};

	ASSERT_EQ(0, q_send(self->fd, self->port, 0x11, 0));
	ASSERT_EQ(0, q_send(self->fd, self->port, 0x21, 0));
	ASSERT_EQ(0, q_send(self->fd, self->port, 0x12, 0));
	ASSERT_EQ(0, q_send(self->fd, self->port, 0x22, 0));
	EXPECT_EQ(0x21, q_recv_id(self->fd, self->port, 0, &f, NULL));
	EXPECT_EQ(0x22, q_recv_id(self->fd, self->port, 0, &f, NULL));
	EXPECT_EQ(-EAGAIN, q_recv_id(self->fd, self->port, 0, &f, NULL));
	EXPECT_EQ(2, q_pending(self->fd, self->port));
	EXPECT_EQ(0x11, q_recv_id(self->fd, self->port, 0, NULL, NULL));
	EXPECT_EQ(0x12, q_recv_id(self->fd, self->port, 0, NULL, NULL));
}

TEST_F(mailbox, filter_follows_priority_order)
{
	struct mailbox_rcv_filter f = {
		.flags = MAILBOX_FILTER_RANGE, .id_min = 10, .id_max = 19,
	};
	__u32 p;

	ASSERT_EQ(0, q_send(self->fd, self->port, 11, 1));
	ASSERT_EQ(0, q_send(self->fd, self->port, 1, 9));
	ASSERT_EQ(0, q_send(self->fd, self->port, 12, 5));
	EXPECT_EQ(12, q_recv_id(self->fd, self->port, 0, &f, &p));
	EXPECT_EQ(5, p);
	EXPECT_EQ(11, q_recv_id(self->fd, self->port, 0, &f, &p));
	EXPECT_EQ(1, p);
	EXPECT_EQ(1, q_recv_id(self->fd, self->port, 0, NULL, NULL));
}

TEST_F(mailbox, filter_range_is_signed_and_inclusive)
{
	struct mailbox_rcv_filter f = {
		.flags = MAILBOX_FILTER_RANGE, .id_min = -5, .id_max = -3,
	};

	ASSERT_EQ(0, q_send(self->fd, self->port, 3, 0));
	ASSERT_EQ(0, q_send(self->fd, self->port, -6, 0));
	ASSERT_EQ(0, q_send(self->fd, self->port, -3, 0));
	ASSERT_EQ(0, q_send(self->fd, self->port, -5, 0));
	EXPECT_EQ(-3, q_recv_id(self->fd, self->port, 0, &f, NULL));
	EXPECT_EQ(-5, q_recv_id(self->fd, self->port, 0, &f, NULL));
	EXPECT_EQ(-EAGAIN, q_recv_id(self->fd, self->port, 0, &f, NULL));
}

TEST_F(mailbox, filter_conditions_combine_and_zero_flags_match_all)
{
	struct mailbox_rcv_filter f = {
		.flags = MAILBOX_FILTER_ID | MAILBOX_FILTER_RANGE,
		.id_mask = 1, .id_value = 1, .id_min = 4, .id_max = 8,
	};
	struct mailbox_rcv_filter all = { 0 };

	ASSERT_EQ(0, q_send(self->fd, self->port, 3, 0));	/* odd, out */
	ASSERT_EQ(0, q_send(self->fd, self->port, 6, 0));	/* in, even */
	ASSERT_EQ(0, q_send(self->fd, self->port, 7, 0));
	EXPECT_EQ(7, q_recv_id(self->fd, self->port, 0, &f, NULL));
	EXPECT_EQ(3, q_recv_id(self->fd, self->port, 0, &all, NULL));
	EXPECT_EQ(6, q_recv_id(self->fd, self->port, 0, &all, NULL));
}

TEST_F(mailbox, filter_sender_matches_the_sending_process_only)
{
	struct mailbox_rcv_filter f = {
		.flags = MAILBOX_FILTER_SENDER, .sender_pid = getpid(),
	};
	__u32 so;
	pid_t pid;

	/* A child sends 1 through the inherited space, then we send 2. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		mb_child_init();
		CHILD_CHECK(q_send(self->fd, self->port, 1, 0) == 0);
		_exit(0);
	}
	ASSERT_EQ(0, mb_wait_child(pid));
	/* A notification has no sender: never matched. */
	ASSERT_EQ(0, mb_make_send_once(self->fd, self->port, &so));
	ASSERT_EQ(0, mb_deallocate(self->fd, so));
	ASSERT_EQ(0, q_send(self->fd, self->port, 2, 0));
	EXPECT_EQ(2, q_recv_id(self->fd, self->port, 0, &f, NULL));
	EXPECT_EQ(-EAGAIN, q_recv_id(self->fd, self->port, 0, &f, NULL));
	f.sender_pid = pid;
	EXPECT_EQ(1, q_recv_id(self->fd, self->port, 0, &f, NULL));
	EXPECT_EQ(MAILBOX_NOTIFY_SEND_ONCE,
		  q_recv_id(self->fd, self->port, 0, NULL, NULL));
}

TEST_F(mailbox, filter_without_match_times_out_and_keeps_the_queue)
{
	struct mailbox_rcv_filter f = {
		.flags = MAILBOX_FILTER_ID, .id_mask = ~0U, .id_value = 99,
	};
	struct mailbox_msg m;
	struct qrcv r;

	ASSERT_EQ(0, q_send(self->fd, self->port, 1, 0));
	EXPECT_EQ(EAGAIN, q_recv(self->fd, self->port, &r, 0, &f, 0, &m));
	EXPECT_EQ(MAILBOX_RCV_TIMED_OUT, m.status);
	EXPECT_EQ(ETIMEDOUT, q_recv(self->fd, self->port, &r, 0, &f,
				    20 * MB_MSEC, &m));
	EXPECT_EQ(MAILBOX_RCV_TIMED_OUT, m.status);
	EXPECT_EQ(1, q_pending(self->fd, self->port));
}

TEST_F(mailbox, filter_receiver_waits_past_other_messages_for_a_match)
{
	struct mailbox_rcv_filter f = {
		.flags = MAILBOX_FILTER_ID, .id_mask = ~0U, .id_value = 5,
	};
	struct mb_async a;

	ASSERT_EQ(0, q_async_filter(&a, self->fd, self->port, &f, 0));
	mb_pause();
	ASSERT_EQ(0, q_send(self->fd, self->port, 1, 0));
	ASSERT_EQ(0, q_send(self->fd, self->port, 2, 0));
	mb_pause();
	EXPECT_FALSE(mb_async_done(&a));
	ASSERT_EQ(0, q_send(self->fd, self->port, 5, 0));
	ASSERT_EQ(0, mb_async_join(&a, 10));
	EXPECT_EQ(0, a.err);
	EXPECT_EQ(5, q_async_id(&a));
	EXPECT_EQ(2, q_pending(self->fd, self->port));
}

/*
 * Two selective receivers and a plain one, all blocked: each message goes
 * to the receiver it is for, whatever the order they sleep in. A
 * non-matching message must neither be lost for the plain receiver nor
 * stall the selective ones.
 */
TEST_F(mailbox, selective_and_plain_receivers_each_get_theirs)
{
	struct mailbox_rcv_filter fa = {
		.flags = MAILBOX_FILTER_ID, .id_mask = ~0U, .id_value = 1,
	};
	struct mailbox_rcv_filter fb = {
		.flags = MAILBOX_FILTER_ID, .id_mask = ~0U, .id_value = 2,
	};
	struct mb_async a, b, p;

	ASSERT_EQ(0, q_async_filter(&a, self->fd, self->port, &fa, 0));
	ASSERT_EQ(0, q_async_filter(&b, self->fd, self->port, &fb, 0));
	ASSERT_EQ(0, q_async_filter(&p, self->fd, self->port, NULL, 0));
	mb_pause();
	ASSERT_EQ(0, q_send(self->fd, self->port, 3, 0));	/* for p */
	ASSERT_EQ(0, mb_async_join(&p, 10));
	EXPECT_EQ(3, q_async_id(&p));
	ASSERT_EQ(0, q_send(self->fd, self->port, 2, 0));
	ASSERT_EQ(0, mb_async_join(&b, 10));
	EXPECT_EQ(2, q_async_id(&b));
	ASSERT_EQ(0, q_send(self->fd, self->port, 1, 0));
	ASSERT_EQ(0, mb_async_join(&a, 10));
	EXPECT_EQ(1, q_async_id(&a));
	EXPECT_EQ(0, q_pending(self->fd, self->port));
}

/* A non-matching message left queued still wakes a plain receiver. */
TEST_F(mailbox, plain_receiver_gets_what_selective_ones_leave)
{
	struct mailbox_rcv_filter f = {
		.flags = MAILBOX_FILTER_ID, .id_mask = ~0U, .id_value = 1,
	};
	struct mb_async s[3], p;
	int i;

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, q_async_filter(&s[i], self->fd, self->port, &f, 0));
	mb_pause();
	ASSERT_EQ(0, q_async_filter(&p, self->fd, self->port, NULL, 0));
	mb_pause();
	ASSERT_EQ(0, q_send(self->fd, self->port, 7, 0));
	ASSERT_EQ(0, mb_async_join(&p, 10));
	EXPECT_EQ(7, q_async_id(&p));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, q_send(self->fd, self->port, 1, 0));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, mb_async_join(&s[i], 10));
		EXPECT_EQ(1, q_async_id(&s[i]));
	}
}

TEST_F(mailbox, filter_too_large_destroys_the_match_unless_rcv_large)
{
	struct mailbox_rcv_filter f = {
		.flags = MAILBOX_FILTER_ID, .id_mask = ~0U, .id_value = 2,
	};
	struct mailbox_msg m;
	struct qrcv r;

	ASSERT_EQ(0, q_send(self->fd, self->port, 1, 0));
	ASSERT_EQ(0, q_send(self->fd, self->port, 2, 0));
	ASSERT_EQ(0, q_send(self->fd, self->port, 2, 0));
	m = (struct mailbox_msg) {
		.rcv_msg = (uintptr_t)&r,
		.options = MAILBOX_MSG_RCV | MAILBOX_MSG_RCV_TIMEOUT |
			   MAILBOX_MSG_RCV_FILTER | MAILBOX_MSG_RCV_LARGE,
		.rcv_size = sizeof(r.h),
		.rcv_name = self->port,
		.rcv_filter = (uintptr_t)&f,
	};
	EXPECT_EQ(EMSGSIZE, mb_msg(self->fd, &m));
	EXPECT_EQ(MAILBOX_RCV_TOO_LARGE, m.status);
	EXPECT_EQ(sizeof(struct qmsg), m.rcv_size);
	EXPECT_EQ(3, q_pending(self->fd, self->port));
	m.options &= ~MAILBOX_MSG_RCV_LARGE;
	m.rcv_size = sizeof(r.h);
	EXPECT_EQ(EMSGSIZE, mb_msg(self->fd, &m));
	EXPECT_EQ(2, q_pending(self->fd, self->port));
	EXPECT_EQ(2, q_recv_id(self->fd, self->port, 0, &f, NULL));
	EXPECT_EQ(1, q_recv_id(self->fd, self->port, 0, NULL, NULL));
}

TEST_F(mailbox, bad_filters_fail_einval_before_sending)
{
	static const struct mailbox_rcv_filter bad[] = {
		{ .flags = MAILBOX_FILTER_ALL + 1 },
		{ .flags = 0x80000000U },
		{ .reserved = 1 },
		{ .flags = MAILBOX_FILTER_ID, .id_mask = 0xf, .id_value = 0x10 },
		{ .flags = MAILBOX_FILTER_RANGE, .id_min = 2, .id_max = 1 },
		{ .flags = MAILBOX_FILTER_SENDER, .sender_pid = 0 },
		{ .flags = MAILBOX_FILTER_SENDER, .sender_pid = -1 },
	};
	struct qmsg s;
	struct qrcv r;
	struct mailbox_msg m;
	unsigned int i;

	mb_header(&s.h, self->port, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = (struct mailbox_msg) {
			.send_msg = (uintptr_t)&s,
			.rcv_msg = (uintptr_t)&r,
			.options = MAILBOX_MSG_SEND | MAILBOX_MSG_RCV |
				   MAILBOX_MSG_RCV_TIMEOUT |
				   MAILBOX_MSG_RCV_FILTER,
			.send_size = sizeof(s),
			.rcv_size = sizeof(r),
			.rcv_name = self->port,
			.rcv_filter = (uintptr_t)&bad[i],
			.status = MB_PATTERN32,
		};
		EXPECT_EQ(EINVAL, mb_msg(self->fd, &m)) TH_LOG("filter %u", i);
		EXPECT_EQ(MAILBOX_SEND_INVALID_OPTIONS, m.status);
	}
	/* A filter pointer without RCV_FILTER, RCV_FILTER/PEEK without RCV. */
	m.options = MAILBOX_MSG_SEND | MAILBOX_MSG_RCV;
	EXPECT_EQ(EINVAL, mb_msg(self->fd, &m));
	EXPECT_EQ(MAILBOX_SEND_INVALID_OPTIONS, m.status);
	m.options = MAILBOX_MSG_SEND | MAILBOX_MSG_RCV_FILTER;
	EXPECT_EQ(EINVAL, mb_msg(self->fd, &m));
	m.options = MAILBOX_MSG_SEND | MAILBOX_MSG_RCV_PEEK;
	m.rcv_filter = 0;
	EXPECT_EQ(EINVAL, mb_msg(self->fd, &m));
	/* An unreadable filter. */
	m.options = MAILBOX_MSG_SEND | MAILBOX_MSG_RCV | MAILBOX_MSG_RCV_FILTER;
	m.rcv_filter = 8;
	EXPECT_EQ(EFAULT, mb_msg(self->fd, &m));
	EXPECT_EQ(MAILBOX_RCV_INVALID_DATA, m.status);
	EXPECT_EQ(0, q_pending(self->fd, self->port));
}

/* A port set with self->port and a second port *b (a send right each). */
static int q_set(int fd, __u32 port, __u32 *set, __u32 *b)
{
	struct mailbox_port_move_member mm = { .member = port };
	int err;

	err = mb_allocate(fd, MAILBOX_RIGHT_PORT_SET, set) ?:
	      mb_alloc_receive(fd, b) ?: mb_make_send(fd, *b);
	if (err)
		return err;
	mm.after = *set;
	err = mb_ioctl(fd, MAILBOX_IOC_PORT_MOVE_MEMBER, &mm);
	mm.member = *b;
	return err ?: mb_ioctl(fd, MAILBOX_IOC_PORT_MOVE_MEMBER, &mm);
}

TEST_F(mailbox, filter_on_a_set_takes_the_first_ready_members_first_match)
{
	struct mailbox_rcv_filter f = {
		.flags = MAILBOX_FILTER_RANGE, .id_min = 2, .id_max = 3,
	};
	struct mailbox_msg m;
	struct qrcv r;
	__u32 set, b;

	ASSERT_EQ(0, q_set(self->fd, self->port, &set, &b));
	ASSERT_EQ(0, q_send(self->fd, b, 3, 0));		/* b ready first */
	ASSERT_EQ(0, q_send(self->fd, self->port, 1, 0));
	ASSERT_EQ(0, q_send(self->fd, self->port, 2, 0));
	ASSERT_EQ(0, q_send(self->fd, b, 4, 0));
	ASSERT_EQ(0, q_recv(self->fd, set, &r, 0, &f, 0, &m));
	EXPECT_EQ(3, r.h.id);
	EXPECT_EQ(b, r.h.local_port);
	ASSERT_EQ(0, q_recv(self->fd, set, &r, MAILBOX_MSG_RCV_PEEK, &f, 0,
			    &m));
	EXPECT_EQ(2, r.h.id);
	EXPECT_EQ(self->port, r.h.local_port);
	ASSERT_EQ(0, q_recv(self->fd, set, &r, 0, &f, 0, &m));
	EXPECT_EQ(2, r.h.id);
	EXPECT_EQ(self->port, r.h.local_port);
	EXPECT_EQ(EAGAIN, q_recv(self->fd, set, &r, 0, &f, 0, &m));
	EXPECT_EQ(MAILBOX_RCV_TIMED_OUT, m.status);
	/* The others stay, in order. */
	EXPECT_EQ(1, q_recv_id(self->fd, self->port, 0, NULL, NULL));
	EXPECT_EQ(4, q_recv_id(self->fd, b, 0, NULL, NULL));
}

TEST_F(mailbox, filter_on_a_set_waits_for_a_match_on_any_member)
{
	struct mailbox_rcv_filter f = {
		.flags = MAILBOX_FILTER_ID, .id_mask = ~0U, .id_value = 9,
	};
	struct mb_async a, p;
	__u32 set, b;

	ASSERT_EQ(0, q_set(self->fd, self->port, &set, &b));
	ASSERT_EQ(0, q_async_filter(&a, self->fd, set, &f, 0));
	ASSERT_EQ(0, q_async_filter(&p, self->fd, set, NULL, 0));
	mb_pause();
	ASSERT_EQ(0, q_send(self->fd, self->port, 1, 0));	/* for p */
	ASSERT_EQ(0, mb_async_join(&p, 10));
	EXPECT_EQ(1, q_async_id(&p));
	ASSERT_EQ(0, q_send(self->fd, self->port, 2, 0));
	mb_pause();
	EXPECT_FALSE(mb_async_done(&a));
	ASSERT_EQ(0, q_send(self->fd, b, 9, 0));
	ASSERT_EQ(0, mb_async_join(&a, 10));
	EXPECT_EQ(0, a.err);
	EXPECT_EQ(9, q_async_id(&a));
	EXPECT_EQ(1, q_pending(self->fd, self->port));
}

TEST_F(mailbox, filter_on_a_set_fails_epipe_when_the_set_is_destroyed)
{
	struct mailbox_rcv_filter f = {
		.flags = MAILBOX_FILTER_ID, .id_mask = ~0U, .id_value = 9,
	};
	struct mb_async a;
	__u32 set, b;

	ASSERT_EQ(0, q_set(self->fd, self->port, &set, &b));
	ASSERT_EQ(0, q_send(self->fd, self->port, 1, 0));
	ASSERT_EQ(0, q_async_filter(&a, self->fd, set, &f, 0));
	mb_pause();
	EXPECT_FALSE(mb_async_done(&a));
	ASSERT_EQ(0, mb_destroy(self->fd, set));
	ASSERT_EQ(0, mb_async_join(&a, 10));
	EXPECT_EQ(EPIPE, a.err);
	EXPECT_EQ(MAILBOX_RCV_PORT_DIED, a.m.status);
	EXPECT_EQ(1, q_pending(self->fd, self->port));
}

TEST_F(mailbox, filter_on_a_bad_name_fails_after_the_send)
{
	struct mailbox_rcv_filter f = { 0 };
	struct qmsg s;
	struct qrcv r;
	struct mailbox_msg m;

	mb_header(&s.h, self->port, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	m = (struct mailbox_msg) {
		.send_msg = (uintptr_t)&s,
		.rcv_msg = (uintptr_t)&r,
		.options = MAILBOX_MSG_SEND | MAILBOX_MSG_RCV |
			   MAILBOX_MSG_RCV_TIMEOUT | MAILBOX_MSG_RCV_FILTER,
		.send_size = sizeof(s),
		.rcv_size = sizeof(r),
		.rcv_name = MB_UNUSED_NAME,
		.rcv_filter = (uintptr_t)&f,
	};
	EXPECT_EQ(ENOENT, mb_msg(self->fd, &m));
	EXPECT_EQ(MAILBOX_RCV_INVALID_NAME, m.status);
	EXPECT_EQ(1, q_pending(self->fd, self->port));
}

/* --- peek ---------------------------------------------------------------- */

TEST_F(mailbox, peek_copies_the_next_message_and_leaves_it_queued)
{
	struct mailbox_msg m;
	struct qrcv r;
	__u32 seqno;

	ASSERT_EQ(0, q_send(self->fd, self->port, 1, 0));
	ASSERT_EQ(0, q_send(self->fd, self->port, 2, 3));
	ASSERT_EQ(0, q_recv(self->fd, self->port, &r,
			    MAILBOX_MSG_RCV_PEEK | MAILBOX_MSG_RCV_TRAILER,
			    NULL, 0, &m));
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, m.status);
	EXPECT_EQ(sizeof(r), m.rcv_size);
	EXPECT_EQ(3, m.priority);
	EXPECT_EQ(2, r.h.id);
	EXPECT_EQ(20, r.word);
	EXPECT_EQ(sizeof(struct qmsg), r.h.size);
	EXPECT_EQ(self->port, r.h.local_port);
	EXPECT_EQ(MAILBOX_PORT_NULL, r.h.remote_port);
	EXPECT_EQ(MAILBOX_MSGH_BITS(0, MAILBOX_MSG_TYPE_PORT_SEND), r.h.bits);
	EXPECT_EQ(getpid(), r.tr.sender_pid);
	seqno = r.tr.seqno;
	EXPECT_EQ(2, q_pending(self->fd, self->port));

	/* Again: the same; then the receive gets it, with that seqno. */
	ASSERT_EQ(0, q_recv(self->fd, self->port, &r, MAILBOX_MSG_RCV_PEEK,
			    NULL, 0, &m));
	EXPECT_EQ(2, r.h.id);
	ASSERT_EQ(0, q_recv(self->fd, self->port, &r, MAILBOX_MSG_RCV_TRAILER,
			    NULL, 0, &m));
	EXPECT_EQ(2, r.h.id);
	EXPECT_EQ(seqno, r.tr.seqno);
	EXPECT_EQ(1, q_pending(self->fd, self->port));
}

TEST_F(mailbox, peek_too_small_reports_the_size_and_keeps_the_message)
{
	struct mailbox_msg m = { 0 };
	struct qrcv r;

	ASSERT_EQ(0, q_send(self->fd, self->port, 1, 0));
	m.rcv_msg = (uintptr_t)&r;
	m.options = MAILBOX_MSG_RCV | MAILBOX_MSG_RCV_TIMEOUT |
		    MAILBOX_MSG_RCV_PEEK | MAILBOX_MSG_RCV_TRAILER;
	m.rcv_size = sizeof(struct qmsg);
	m.rcv_name = self->port;
	EXPECT_EQ(EMSGSIZE, mb_msg(self->fd, &m));
	EXPECT_EQ(MAILBOX_RCV_TOO_LARGE, m.status);
	EXPECT_EQ(sizeof(struct qrcv), m.rcv_size);
	EXPECT_EQ(1, q_pending(self->fd, self->port));
}

TEST_F(mailbox, peek_with_filter_shows_the_first_match)
{
	struct mailbox_rcv_filter f = {
		.flags = MAILBOX_FILTER_RANGE, .id_min = 5, .id_max = 5,
	};
	struct mailbox_msg m;
	struct qrcv r;

	ASSERT_EQ(0, q_send(self->fd, self->port, 1, 0));
	ASSERT_EQ(0, q_send(self->fd, self->port, 5, 0));
	ASSERT_EQ(0, q_recv(self->fd, self->port, &r, MAILBOX_MSG_RCV_PEEK,
			    &f, 0, &m));
	EXPECT_EQ(5, r.h.id);
	EXPECT_EQ(50, r.word);
	f.id_min = f.id_max = 6;
	EXPECT_EQ(EAGAIN, q_recv(self->fd, self->port, &r, MAILBOX_MSG_RCV_PEEK,
				 &f, 0, &m));
	EXPECT_EQ(MAILBOX_RCV_TIMED_OUT, m.status);
	EXPECT_EQ(2, q_pending(self->fd, self->port));
}

/*
 * A peeked message keeps its rights: names read MAILBOX_PORT_NULL, types
 * are kept; the receive that follows gets them.
 */
TEST_F(mailbox, peek_reports_rights_as_null_names_and_keeps_them)
{
	struct {
		struct mailbox_msg_header h;
		struct mailbox_msg_body b;
		struct mailbox_msg_port_descriptor d;
	} s, r;
	struct mailbox_msg m;
	__u32 other, got;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &other));
	mb_header(&s.h, self->port, MAILBOX_MSG_TYPE_COPY_SEND, other,
		  MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, 9);
	s.h.bits |= MAILBOX_MSGH_COMPLEX;
	s.b.descriptor_count = 1;
	memset(&s.d, 0, sizeof(s.d));
	s.d.name = other;
	s.d.disposition = MAILBOX_MSG_TYPE_MAKE_SEND;
	s.d.type = MAILBOX_MSG_PORT_DESCRIPTOR;
	ASSERT_EQ(0, mb_send(self->fd, &s, sizeof(s), MAILBOX_MSG_SEND_TIMEOUT,
			     0, NULL));

	m = (struct mailbox_msg) {
		.rcv_msg = (uintptr_t)&r,
		.options = MAILBOX_MSG_RCV | MAILBOX_MSG_RCV_TIMEOUT |
			   MAILBOX_MSG_RCV_PEEK,
		.rcv_size = sizeof(r),
		.rcv_name = self->port,
	};
	memset(&r, MB_PATTERN, sizeof(r));
	ASSERT_EQ(0, mb_msg(self->fd, &m));
	EXPECT_EQ(MAILBOX_MSGH_BITS(MAILBOX_MSG_TYPE_PORT_SEND_ONCE,
				    MAILBOX_MSG_TYPE_PORT_SEND) |
		  MAILBOX_MSGH_COMPLEX, r.h.bits);
	EXPECT_EQ(MAILBOX_PORT_NULL, r.h.remote_port);
	EXPECT_EQ(1, r.b.descriptor_count);
	EXPECT_EQ(MAILBOX_PORT_NULL, r.d.name);
	EXPECT_EQ(MAILBOX_MSG_TYPE_PORT_SEND, r.d.disposition);
	EXPECT_EQ(MAILBOX_MSG_PORT_DESCRIPTOR, r.d.type);
	EXPECT_EQ(1, mb_sorights(self->fd, other));

	/* The real receive names them. */
	memset(&r, MB_PATTERN, sizeof(r));
	m.options &= ~MAILBOX_MSG_RCV_PEEK;
	ASSERT_EQ(0, mb_msg(self->fd, &m));
	EXPECT_NE(MAILBOX_PORT_NULL, r.h.remote_port);
	got = r.d.name;
	EXPECT_EQ(other, got);	/* the send right joins the receive right */
	EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE | MAILBOX_PORT_TYPE_SEND,
		  mb_type_bits(self->fd, other));
}

TEST_F(mailbox, peek_waits_for_a_message_and_does_not_take_it)
{
	struct mb_async a;

	ASSERT_EQ(0, q_async_filter(&a, self->fd, self->port, NULL,
				    MAILBOX_MSG_RCV_PEEK));
	mb_pause();
	EXPECT_FALSE(mb_async_done(&a));
	ASSERT_EQ(0, q_send(self->fd, self->port, 4, 0));
	ASSERT_EQ(0, mb_async_join(&a, 10));
	EXPECT_EQ(0, a.err);
	EXPECT_EQ(4, q_async_id(&a));
	EXPECT_EQ(1, q_pending(self->fd, self->port));
}

TEST_F(mailbox, peek_on_a_port_set_shows_what_the_set_receive_gets)
{
	struct mailbox_port_move_member mm = { .after = 0 };
	struct mailbox_msg m;
	struct qrcv r;
	__u32 set, b;

	ASSERT_EQ(0, mb_allocate(self->fd, MAILBOX_RIGHT_PORT_SET, &set));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &b));
	ASSERT_EQ(0, mb_make_send(self->fd, b));
	mm.after = set;
	mm.member = self->port;
	ASSERT_EQ(0, mb_ioctl(self->fd, MAILBOX_IOC_PORT_MOVE_MEMBER, &mm));
	mm.member = b;
	ASSERT_EQ(0, mb_ioctl(self->fd, MAILBOX_IOC_PORT_MOVE_MEMBER, &mm));
	EXPECT_EQ(EAGAIN, q_recv(self->fd, set, &r, MAILBOX_MSG_RCV_PEEK, NULL,
				 0, &m));
	ASSERT_EQ(0, q_send(self->fd, b, 1, 0));
	ASSERT_EQ(0, q_send(self->fd, self->port, 2, 9));
	ASSERT_EQ(0, q_recv(self->fd, set, &r, MAILBOX_MSG_RCV_PEEK, NULL, 0,
			    &m));
	EXPECT_EQ(2, r.h.id);
	EXPECT_EQ(9, m.priority);
	EXPECT_EQ(self->port, r.h.local_port);
	EXPECT_EQ(1, q_pending(self->fd, self->port));
	ASSERT_EQ(0, q_recv(self->fd, set, &r, 0, NULL, 0, &m));
	EXPECT_EQ(2, r.h.id);
	ASSERT_EQ(0, q_recv(self->fd, set, &r, MAILBOX_MSG_RCV_PEEK, NULL, 0,
			    &m));
	EXPECT_EQ(1, r.h.id);
	EXPECT_EQ(0, m.priority);
	EXPECT_EQ(b, r.h.local_port);
}

TEST_F(mailbox, peek_into_an_unwritable_buffer_fails_efault_and_keeps_it)
{
	struct mailbox_msg m = { 0 };

	ASSERT_EQ(0, q_send(self->fd, self->port, 1, 0));
	m.rcv_msg = 8;
	m.options = MAILBOX_MSG_RCV | MAILBOX_MSG_RCV_TIMEOUT |
		    MAILBOX_MSG_RCV_PEEK;
	m.rcv_size = sizeof(struct qrcv);
	m.rcv_name = self->port;
	EXPECT_EQ(EFAULT, mb_msg(self->fd, &m));
	EXPECT_EQ(MAILBOX_RCV_INVALID_DATA, m.status);
	EXPECT_EQ(1, q_pending(self->fd, self->port));
}

TEST_HARNESS_MAIN
