// SPDX-License-Identifier: GPL-2.0
/*
 * MAILBOX_IOC_MSG_BATCH: several sends or receives in one call. Order,
 * the first receive waiting and the others not, sends waiting as their
 * options say, mixed batches, stopping at the first failure with its status
 * (a failed send keeps its rights), and every error path with its errno.
 */
#include "mailbox_test.h"

#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"

FIXTURE(mailbox) {
	int fd;
	__u32 port;
};

FIXTURE_SETUP(mailbox)
{
	self->fd = mb_open();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MB_DEVICE, strerror(errno));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &self->port));
	ASSERT_EQ(0, mb_set_qlimit(self->fd, self->port, 64));
}

FIXTURE_TEARDOWN(mailbox)
{
	if (self->fd >= 0)
		close(self->fd);
}

struct small {
	struct mailbox_msg_header h;
	__u32 v;
	__u32 pad;
};

static int send_small(int fd, __u32 port, __s32 id, __u32 v)
{
	struct small s;

	mb_header(&s.h, port, MAILBOX_MSG_TYPE_MAKE_SEND, 0, 0, id);
	s.v = v;
	s.pad = 0;
	return mb_send(fd, &s, sizeof(s), MAILBOX_MSG_SEND_TIMEOUT, 0, NULL);
}

/* @n receive elements on @port into @bufs, pre-filled with the pattern. */
static void batch_init(struct mailbox_msg *m, struct small *bufs, int n,
		       __u32 port, __u32 options, __u64 timeout)
{
	memset(bufs, MB_PATTERN, sizeof(*bufs) * n);
	for (int i = 0; i < n; i++) {
		memset(&m[i], 0, sizeof(m[i]));
		m[i].rcv_msg = (uintptr_t)&bufs[i];
		m[i].rcv_size = sizeof(bufs[i]);
		m[i].rcv_name = port;
		m[i].options = MAILBOX_MSG_RCV | options;
		m[i].rcv_timeout = timeout;
		m[i].status = MB_PATTERN32;
	}
}

static int batch(int fd, struct mailbox_msg *m, __u32 *count)
{
	struct mailbox_msg_batch b = {
		.msgs = (uintptr_t)m, .count = *count,
	};
	int err = mb_ioctl(fd, MAILBOX_IOC_MSG_BATCH, &b);

	*count = b.count;
	return err;
}

TEST_F(mailbox, batch_receives_what_is_queued_in_order)
{
	struct mailbox_msg m[8];
	struct small bufs[8];
	__u32 count = 8;
	int i;

	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, send_small(self->fd, self->port, 100 + i, i));
	batch_init(m, bufs, 8, self->port, 0, 0);
	ASSERT_EQ(0, batch(self->fd, m, &count));
	EXPECT_EQ(5, count);
	for (i = 0; i < 5; i++) {
		EXPECT_EQ(MAILBOX_MSG_SUCCESS, m[i].status);
		EXPECT_EQ(sizeof(struct small), m[i].rcv_size);
		EXPECT_EQ(100 + i, bufs[i].h.id);
		EXPECT_EQ(i, bufs[i].v);
		/* The element reads back as it was passed in. */
		EXPECT_EQ(MAILBOX_MSG_RCV, m[i].options);
	}
	/* The queue ran dry: the sixth says so, the rest are untouched. */
	EXPECT_EQ(MAILBOX_RCV_TIMED_OUT, m[5].status);
	EXPECT_EQ(0, m[5].rcv_timeout);
	EXPECT_EQ(MAILBOX_MSG_RCV, m[5].options);
	EXPECT_EQ(MB_PATTERN32, m[6].status);
	EXPECT_EQ(MB_PATTERN32, m[7].status);
	EXPECT_EQ(MB_PATTERN32, bufs[5].h.id);
	EXPECT_EQ(0, mb_msgcount(self->fd, self->port));
}

TEST_F(mailbox, batch_takes_priorities_in_order_and_stops_at_count)
{
	struct mailbox_msg m[2];
	struct small bufs[2], s;
	__u32 count = 2;

	mb_header(&s.h, self->port, MAILBOX_MSG_TYPE_MAKE_SEND, 0, 0, 1);
	ASSERT_EQ(0, mb_send(self->fd, &s, sizeof(s), 0, 0, NULL));
	{
		struct mailbox_msg hi = {
			.send_msg = (uintptr_t)&s, .send_size = sizeof(s),
			.options = MAILBOX_MSG_SEND, .priority = 9,
		};

		s.h.id = 2;
		ASSERT_EQ(0, mb_msg(self->fd, &hi));
	}
	ASSERT_EQ(0, send_small(self->fd, self->port, 3, 0));
	batch_init(m, bufs, 2, self->port, 0, 0);
	ASSERT_EQ(0, batch(self->fd, m, &count));
	EXPECT_EQ(2, count);
	EXPECT_EQ(2, bufs[0].h.id);
	EXPECT_EQ(9, m[0].priority);
	EXPECT_EQ(1, bufs[1].h.id);
	EXPECT_EQ(0, m[1].priority);
	EXPECT_EQ(1, mb_msgcount(self->fd, self->port));
}

TEST_F(mailbox, batch_first_receive_waits_the_others_do_not)
{
	struct mailbox_msg m[4];
	struct small bufs[4];
	__u32 count = 4;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* The space is shared by fork. */
		usleep(200 * 1000);
		_exit(send_small(self->fd, self->port, 7, 70) ? 1 : 0);
	}
	batch_init(m, bufs, 4, self->port, 0, 0);
	ASSERT_EQ(0, batch(self->fd, m, &count));
	EXPECT_EQ(1, count);
	EXPECT_EQ(7, bufs[0].h.id);
	EXPECT_EQ(MAILBOX_RCV_TIMED_OUT, m[1].status);
	EXPECT_EQ(0, mb_wait_child(pid));
}

TEST_F(mailbox, batch_with_nothing_queued_fails_like_its_first_receive)
{
	struct mailbox_msg m[3];
	struct small bufs[3];
	__u32 count = 3;

	batch_init(m, bufs, 3, self->port, MAILBOX_MSG_RCV_TIMEOUT, 0);
	EXPECT_EQ(EAGAIN, batch(self->fd, m, &count));
	EXPECT_EQ(0, count);
	EXPECT_EQ(MAILBOX_RCV_TIMED_OUT, m[0].status);
	EXPECT_EQ(MB_PATTERN32, m[1].status);

	count = 3;
	batch_init(m, bufs, 3, self->port, MAILBOX_MSG_RCV_TIMEOUT, 20 * MB_MSEC);
	EXPECT_EQ(ETIMEDOUT, batch(self->fd, m, &count));
	EXPECT_EQ(0, count);
}

TEST_F(mailbox, batch_stops_at_a_message_too_large_for_its_buffer)
{
	struct mailbox_msg m[3];
	struct small bufs[3];
	__u32 count = 3;
	struct {
		struct mailbox_msg_header h;
		__u32 v[16];
	} big;

	ASSERT_EQ(0, send_small(self->fd, self->port, 1, 0));
	mb_header(&big.h, self->port, MAILBOX_MSG_TYPE_MAKE_SEND, 0, 0, 2);
	ASSERT_EQ(0, mb_send(self->fd, &big, sizeof(big), 0, 0, NULL));
	ASSERT_EQ(0, send_small(self->fd, self->port, 3, 0));

	batch_init(m, bufs, 3, self->port, MAILBOX_MSG_RCV_LARGE, 0);
	ASSERT_EQ(0, batch(self->fd, m, &count));
	EXPECT_EQ(1, count);
	EXPECT_EQ(1, bufs[0].h.id);
	EXPECT_EQ(MAILBOX_RCV_TOO_LARGE, m[1].status);
	EXPECT_EQ(sizeof(big), m[1].rcv_size);
	EXPECT_EQ(MB_PATTERN32, m[2].status);
	/* RCV_LARGE: the large one stays queued, with the one behind it. */
	EXPECT_EQ(2, mb_msgcount(self->fd, self->port));
}

TEST_F(mailbox, batch_receives_on_different_names)
{
	struct mailbox_msg m[2];
	struct small bufs[2];
	__u32 other, count = 2;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &other));
	ASSERT_EQ(0, send_small(self->fd, self->port, 1, 0));
	ASSERT_EQ(0, send_small(self->fd, other, 2, 0));
	batch_init(m, bufs, 2, self->port, 0, 0);
	m[1].rcv_name = other;
	ASSERT_EQ(0, batch(self->fd, m, &count));
	EXPECT_EQ(2, count);
	EXPECT_EQ(1, bufs[0].h.id);
	EXPECT_EQ(other, bufs[1].h.local_port);
	EXPECT_EQ(2, bufs[1].h.id);
}

TEST_F(mailbox, batch_count_out_of_range_fails_with_einval)
{
	struct mailbox_msg m[MAILBOX_BATCH_MAX + 1];
	static struct small bufs[MAILBOX_BATCH_MAX + 1];
	__u32 count = 0;

	ASSERT_EQ(0, send_small(self->fd, self->port, 1, 0));
	batch_init(m, bufs, MAILBOX_BATCH_MAX + 1, self->port, 0, 0);
	EXPECT_EQ(EINVAL, batch(self->fd, m, &count));
	count = MAILBOX_BATCH_MAX + 1;
	EXPECT_EQ(EINVAL, batch(self->fd, m, &count));
	EXPECT_EQ(1, mb_msgcount(self->fd, self->port));
	/* MAILBOX_BATCH_MAX itself is fine. */
	count = MAILBOX_BATCH_MAX;
	EXPECT_EQ(0, batch(self->fd, m, &count));
	EXPECT_EQ(1, count);
}

TEST_F(mailbox, batch_flags_or_bad_element_fail_with_einval_and_receive_nothing)
{
	struct mailbox_msg_batch b = { .count = 2 };
	struct mailbox_msg m[2];
	struct small bufs[2];
	__u32 count;

	ASSERT_EQ(0, send_small(self->fd, self->port, 1, 0));
	batch_init(m, bufs, 2, self->port, 0, 0);
	b.msgs = (uintptr_t)m;
	b.flags = 1;
	EXPECT_EQ(EINVAL, mb_ioctl(self->fd, MAILBOX_IOC_MSG_BATCH, &b));

	/* The second element is checked before the first receives. */
	m[1].options = MAILBOX_MSG_RCV | MAILBOX_MSG_SEND;
	count = 2;
	EXPECT_EQ(EINVAL, batch(self->fd, m, &count));
	m[1].options = 0;
	count = 2;
	EXPECT_EQ(EINVAL, batch(self->fd, m, &count));
	m[1].options = MAILBOX_MSG_RCV | 0x80000000U;
	count = 2;
	EXPECT_EQ(EINVAL, batch(self->fd, m, &count));
	m[1].options = MAILBOX_MSG_RCV;
	m[1].reserved = 1;
	count = 2;
	EXPECT_EQ(EINVAL, batch(self->fd, m, &count));
	EXPECT_EQ(MB_PATTERN32, m[0].status);
	EXPECT_EQ(1, mb_msgcount(self->fd, self->port));
}

TEST_F(mailbox, batch_with_a_bad_array_fails_with_efault)
{
	struct mailbox_msg_batch b = { .count = 1, .msgs = 8 };

	ASSERT_EQ(0, send_small(self->fd, self->port, 1, 0));
	EXPECT_EQ(EFAULT, mb_ioctl(self->fd, MAILBOX_IOC_MSG_BATCH, &b));
	EXPECT_EQ(EFAULT, mb_ioctl(self->fd, MAILBOX_IOC_MSG_BATCH, NULL));
	EXPECT_EQ(1, mb_msgcount(self->fd, self->port));
}

/* An element that cannot be written back: EFAULT, the message counted. */
TEST_F(mailbox, batch_into_a_read_only_array_fails_with_efault_and_counts_it)
{
	struct mailbox_msg_batch b = { .count = 2 };
	struct mailbox_msg m[2];
	struct small bufs[2];
	void *ro;

	ASSERT_EQ(0, send_small(self->fd, self->port, 1, 0));
	ASSERT_EQ(0, send_small(self->fd, self->port, 2, 0));
	batch_init(m, bufs, 2, self->port, 0, 0);
	ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	memcpy(ro, m, sizeof(m));
	ASSERT_EQ(0, mprotect(ro, 4096, PROT_READ));
	b.msgs = (uintptr_t)ro;
	EXPECT_EQ(EFAULT, mb_ioctl(self->fd, MAILBOX_IOC_MSG_BATCH, &b));
	EXPECT_EQ(1, b.count);
	EXPECT_EQ(1, bufs[0].h.id);
	EXPECT_EQ(1, mb_msgcount(self->fd, self->port));
	munmap(ro, 4096);
}

TEST_F(mailbox, batch_on_an_invalid_name_fails_like_a_receive)
{
	struct mailbox_msg m[1];
	struct small bufs[1];
	__u32 count = 1;

	batch_init(m, bufs, 1, 0x12345600, 0, 0);
	EXPECT_EQ(ENOENT, batch(self->fd, m, &count));
	EXPECT_EQ(0, count);
	EXPECT_EQ(MAILBOX_RCV_INVALID_NAME, m[0].status);
}

/* @n send elements of @bufs to @port (MAKE_SEND), ids 200.., values 0... */
static void batch_init_send(struct mailbox_msg *m, struct small *bufs, int n,
			    __u32 port, __u32 options, __u64 timeout)
{
	for (int i = 0; i < n; i++) {
		mb_header(&bufs[i].h, port, MAILBOX_MSG_TYPE_MAKE_SEND, 0, 0,
			  200 + i);
		bufs[i].v = i;
		bufs[i].pad = 0;
		memset(&m[i], 0, sizeof(m[i]));
		m[i].send_msg = (uintptr_t)&bufs[i];
		m[i].send_size = sizeof(bufs[i]);
		m[i].options = MAILBOX_MSG_SEND | options;
		m[i].send_timeout = timeout;
		m[i].status = MB_PATTERN32;
	}
}

TEST_F(mailbox, batch_sends_in_order)
{
	struct mailbox_msg m[5];
	struct small bufs[5];
	__u32 count = 5;
	__s32 id;
	int i;

	batch_init_send(m, bufs, 5, self->port, 0, 0);
	ASSERT_EQ(0, batch(self->fd, m, &count));
	EXPECT_EQ(5, count);
	EXPECT_EQ(5, mb_msgcount(self->fd, self->port));
	for (i = 0; i < 5; i++) {
		EXPECT_EQ(MAILBOX_MSG_SUCCESS, m[i].status);
		EXPECT_EQ(MAILBOX_MSG_SEND, m[i].options);
		ASSERT_EQ(0, mb_recv_id(self->fd, self->port, &id));
		EXPECT_EQ(200 + i, id);
	}
}

/* A full queue ends the batch; the failed send's rights stay put. */
TEST_F(mailbox, batch_send_stops_at_a_full_queue_and_keeps_the_failed_rights)
{
	struct mailbox_msg m[4];
	struct small bufs[4];
	__u32 count = 4, reply, so;

	ASSERT_EQ(0, mb_set_qlimit(self->fd, self->port, 2));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &reply));
	ASSERT_EQ(0, mb_make_send_once(self->fd, reply, &so));
	batch_init_send(m, bufs, 4, self->port, MAILBOX_MSG_SEND_TIMEOUT, 0);
	/* The third carries (moves) a send-once right. */
	mb_header(&bufs[2].h, self->port, MAILBOX_MSG_TYPE_MAKE_SEND, so,
		  MAILBOX_MSG_TYPE_MOVE_SEND_ONCE, 202);
	EXPECT_EQ(0, batch(self->fd, m, &count));
	EXPECT_EQ(2, count);
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, m[1].status);
	EXPECT_EQ(MAILBOX_SEND_TIMED_OUT, m[2].status);
	EXPECT_EQ(MB_PATTERN32, m[3].status);
	EXPECT_EQ(2, mb_msgcount(self->fd, self->port));
	EXPECT_EQ(MAILBOX_PORT_TYPE_SEND_ONCE, mb_type_bits(self->fd, so));
	EXPECT_EQ(1, mb_sorights(self->fd, reply));

	/* A first send that fails: its errno, nothing done. */
	count = 2;
	EXPECT_EQ(EAGAIN, batch(self->fd, &m[2], &count));
	EXPECT_EQ(0, count);
	EXPECT_EQ(MAILBOX_SEND_TIMED_OUT, m[2].status);
	EXPECT_EQ(MAILBOX_PORT_TYPE_SEND_ONCE, mb_type_bits(self->fd, so));
}

TEST_F(mailbox, batch_send_to_an_invalid_name_fails_like_a_send)
{
	struct mailbox_msg m[2];
	struct small bufs[2];
	__u32 count = 2;

	batch_init_send(m, bufs, 2, self->port, 0, 0);
	bufs[0].h.remote_port = 0x12345600;
	EXPECT_EQ(ENOENT, batch(self->fd, m, &count));
	EXPECT_EQ(0, count);
	EXPECT_EQ(MAILBOX_SEND_INVALID_DEST, m[0].status);
	EXPECT_EQ(MB_PATTERN32, m[1].status);
	EXPECT_EQ(0, mb_msgcount(self->fd, self->port));
}

/* A send waits for room as its options say, even after the first. */
TEST_F(mailbox, batch_send_waits_for_room)
{
	struct mailbox_msg m[3];
	struct small bufs[3];
	__u32 count = 3;
	__s32 id;
	pid_t pid;

	ASSERT_EQ(0, mb_set_qlimit(self->fd, self->port, 1));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* The space is shared by fork: take two, slowly. */
		for (int i = 0; i < 2; i++) {
			usleep(150 * 1000);
			if (mb_recv_id(self->fd, self->port, &id) || id != 200 + i)
				_exit(1);
		}
		_exit(0);
	}
	batch_init_send(m, bufs, 3, self->port, 0, 0);
	ASSERT_EQ(0, batch(self->fd, m, &count));
	EXPECT_EQ(3, count);
	EXPECT_EQ(0, mb_wait_child(pid));
	ASSERT_EQ(0, mb_recv_id(self->fd, self->port, &id));
	EXPECT_EQ(202, id);
}

/* Sends and receives mixed: each in turn, receives take what is queued. */
TEST_F(mailbox, batch_mixes_sends_and_receives)
{
	struct mailbox_msg m[5];
	struct small out[2], in[3];
	__u32 count = 5;

	batch_init_send(&m[0], &out[0], 1, self->port, 0, 0);
	batch_init(&m[1], &in[0], 1, self->port, 0, 0);
	batch_init_send(&m[2], &out[1], 1, self->port, 0, 0);
	out[1].h.id = 300;
	batch_init(&m[3], &in[1], 2, self->port, 0, 0);
	EXPECT_EQ(0, batch(self->fd, m, &count));
	EXPECT_EQ(4, count);
	EXPECT_EQ(200, in[0].h.id);
	EXPECT_EQ(300, in[1].h.id);
	/* The last receive found nothing queued: it did not wait. */
	EXPECT_EQ(MAILBOX_RCV_TIMED_OUT, m[4].status);
	EXPECT_EQ(0, mb_msgcount(self->fd, self->port));
}

TEST_HARNESS_MAIN
