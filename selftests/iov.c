// SPDX-License-Identifier: GPL-2.0
/*
 * Scatter/gather (MAILBOX_MSG_SEND_IOV, MAILBOX_MSG_RCV_IOV): a message
 * gathered from segments that split the header, scattered into segments
 * with the trailer and port arrays, 64 segments, empty segments, the
 * needed-size rule and RCV_LARGE, complex messages, port sets, send +
 * receive in one call, and every error of the segment arrays (count,
 * unreadable array, huge and overflowing lengths, bad segment pointers)
 * with its errno and status, losing nothing.
 */
#include "issue4_test.h"

#include <sys/mman.h>

#include "kselftest_harness.h"

FIXTURE(mailbox) {
	int fd;
	__u32 port;	/* a receive right with a send right under its name */
	__u32 max_msg;	/* max_msg_size */
};

FIXTURE_SETUP(mailbox)
{
	struct mailbox_version v;

	self->fd = mb_open();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MB_DEVICE, strerror(errno));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &self->port));
	ASSERT_EQ(0, mb_make_send(self->fd, self->port));
	ASSERT_EQ(0, mb_version(self->fd, &v));
	self->max_msg = v.max_msg_size;
}

FIXTURE_TEARDOWN(mailbox)
{
	if (self->fd >= 0)
		close(self->fd);
}

static int send_iov(int fd, const struct mailbox_iov *iov, __u32 n,
		    __u32 *status)
{
	struct mailbox_msg m = {
		.send_msg = (uintptr_t)iov,
		.options = MAILBOX_MSG_SEND | MAILBOX_MSG_SEND_IOV |
			   MAILBOX_MSG_SEND_TIMEOUT,
		.send_size = n,
		.status = MB_PATTERN32,
	};
	int err = mb_msg(fd, &m);

	*status = m.status;
	return err;
}

static int recv_iov(int fd, __u32 name, const struct mailbox_iov *iov,
		    __u32 n, __u32 options, __u32 *size, __u32 *status)
{
	struct mailbox_msg m = {
		.rcv_msg = (uintptr_t)iov,
		.options = MAILBOX_MSG_RCV | MAILBOX_MSG_RCV_IOV |
			   MAILBOX_MSG_RCV_TIMEOUT | options,
		.rcv_size = n,
		.rcv_name = name,
		.status = MB_PATTERN32,
	};
	int err = mb_msg(fd, &m);

	*status = m.status;
	if (size)
		*size = m.rcv_size;
	return err;
}

#define SEG(p, n)	((struct mailbox_iov){ .base = (uintptr_t)(p), .len = (n) })

TEST_F(mailbox, send_iov_gathers_segments_that_split_the_header)
{
	struct mailbox_msg_header h;
	unsigned char a[40], b[3], r[256];
	struct mailbox_iov iov[4];
	__u32 status, size = sizeof(r);
	unsigned int i;

	mb_header(&h, self->port, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 4242);
	for (i = 0; i < sizeof(a); i++)
		a[i] = i + 1;
	memcpy(b, "xyz", 3);
	iov[0] = SEG(&h, 5);
	iov[1] = SEG((char *)&h + 5, sizeof(h) - 5);
	iov[2] = SEG(a, 37);
	iov[3] = SEG(b, 3);
	ASSERT_EQ(0, send_iov(self->fd, iov, 4, &status));
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, status);
	ASSERT_EQ(0, mb_recv(self->fd, self->port, r, &size,
			     MAILBOX_MSG_RCV_TIMEOUT, 0, &status));
	EXPECT_EQ(MB_HDR_SIZE + 40, size);
	EXPECT_EQ(4242, ((struct mailbox_msg_header *)r)->id);
	EXPECT_EQ(0, memcmp(r + MB_HDR_SIZE, a, 37));
	EXPECT_EQ(0, memcmp(r + MB_HDR_SIZE + 37, "xyz", 3));
}

TEST_F(mailbox, rcv_iov_scatters_message_and_trailer)
{
	struct { struct mailbox_msg_header h; unsigned char body[100]; } m;
	unsigned char s1[7], s2[1], s3[200], all[sizeof(m) + MB_TRAILER_SIZE];
	struct mailbox_msg_trailer *tr;
	struct mailbox_iov iov[4];
	__u32 status, size;
	unsigned int i;

	mb_header(&m.h, self->port, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 9);
	for (i = 0; i < sizeof(m.body); i++)
		m.body[i] = i * 3;
	ASSERT_EQ(0, mb_send(self->fd, &m, sizeof(m), 0, 0, &status));
	iov[0] = SEG(s1, sizeof(s1));
	iov[1] = SEG(NULL, 0);	/* empty segments are skipped */
	iov[2] = SEG(s2, sizeof(s2));
	iov[3] = SEG(s3, sizeof(s3));
	memset(s3, MB_PATTERN, sizeof(s3));
	ASSERT_EQ(0, recv_iov(self->fd, self->port, iov, 4,
			      MAILBOX_MSG_RCV_TRAILER, &size, &status));
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, status);
	EXPECT_EQ(sizeof(m) + MB_TRAILER_SIZE, size);
	memcpy(all, s1, 7);
	memcpy(all + 7, s2, 1);
	memcpy(all + 8, s3, sizeof(all) - 8);
	EXPECT_EQ(9, ((struct mailbox_msg_header *)all)->id);
	EXPECT_EQ(sizeof(m), ((struct mailbox_msg_header *)all)->size);
	EXPECT_EQ(self->port, ((struct mailbox_msg_header *)all)->local_port);
	EXPECT_EQ(0, memcmp(all + MB_HDR_SIZE, m.body, sizeof(m.body)));
	tr = (void *)(all + sizeof(m));
	EXPECT_EQ(MAILBOX_TRAILER_FORMAT_0, tr->type);
	EXPECT_EQ(MB_TRAILER_SIZE, tr->size);
	EXPECT_EQ(getpid(), tr->sender_pid);
	/* Nothing written past the message and trailer. */
	EXPECT_EQ(MB_PATTERN, s3[sizeof(all) - 8]);
}

TEST_F(mailbox, sixty_four_segments_each_way)
{
	static unsigned char src[MAILBOX_IOV_MAX][64], dst[MAILBOX_IOV_MAX][64];
	struct mailbox_iov in[MAILBOX_IOV_MAX], out[MAILBOX_IOV_MAX];
	__u32 status, size;
	unsigned int i, j;

	for (i = 0; i < MAILBOX_IOV_MAX; i++) {
		for (j = 0; j < 64; j++)
			src[i][j] = i ^ (j * 5);
		in[i] = SEG(src[i], 64);
		out[i] = SEG(dst[i], 64);
	}
	mb_header((struct mailbox_msg_header *)src[0], self->port,
		  MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 64);
	ASSERT_EQ(0, send_iov(self->fd, in, MAILBOX_IOV_MAX, &status));
	ASSERT_EQ(0, recv_iov(self->fd, self->port, out, MAILBOX_IOV_MAX, 0,
			      &size, &status));
	EXPECT_EQ(64 * MAILBOX_IOV_MAX, size);
	EXPECT_EQ(0, memcmp(src[0] + MB_HDR_SIZE, dst[0] + MB_HDR_SIZE,
			    64 - MB_HDR_SIZE));
	EXPECT_EQ(0, memcmp(src[1], dst[1], 64 * (MAILBOX_IOV_MAX - 1)));
}

TEST_F(mailbox, send_and_receive_with_iov_in_one_call)
{
	struct mailbox_msg_header h, rh;
	unsigned char body[8] = "12345678", rb[8];
	struct mailbox_iov si[2] = { SEG(&h, sizeof(h)), SEG(body, 8) };
	struct mailbox_iov ri[2] = { SEG(&rh, sizeof(rh)), SEG(rb, 8) };
	struct mailbox_msg m = {
		.send_msg = (uintptr_t)si,
		.rcv_msg = (uintptr_t)ri,
		.options = MAILBOX_MSG_SEND | MAILBOX_MSG_SEND_IOV |
			   MAILBOX_MSG_RCV | MAILBOX_MSG_RCV_IOV,
		.send_size = 2,
		.rcv_size = 2,
		.rcv_name = self->port,
	};

	mb_header(&h, self->port, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 3);
	ASSERT_EQ(0, mb_msg(self->fd, &m));
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, m.status);
	EXPECT_EQ(sizeof(h) + 8, m.rcv_size);
	EXPECT_EQ(3, rh.id);
	EXPECT_EQ(0, memcmp(rb, body, 8));
}

TEST_F(mailbox, rcv_iov_too_small_reports_the_needed_size)
{
	struct { struct mailbox_msg_header h; unsigned char body[60]; } m = { };
	unsigned char s1[30], s2[30];
	struct mailbox_iov iov[2] = { SEG(s1, 30), SEG(s2, 30) };
	__u32 status, size;

	mb_header(&m.h, self->port, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	ASSERT_EQ(0, mb_send(self->fd, &m, sizeof(m), 0, 0, &status));
	ASSERT_EQ(0, mb_send(self->fd, &m, sizeof(m), 0, 0, &status));
	EXPECT_EQ(EMSGSIZE, recv_iov(self->fd, self->port, iov, 2,
				     MAILBOX_MSG_RCV_LARGE, &size, &status));
	EXPECT_EQ(MAILBOX_RCV_TOO_LARGE, status);
	EXPECT_EQ(sizeof(m), size);
	EXPECT_EQ(2, mb_msgcount(self->fd, self->port));
	/* Without RCV_LARGE the message is destroyed. */
	EXPECT_EQ(EMSGSIZE, recv_iov(self->fd, self->port, iov, 2, 0, &size,
				     &status));
	EXPECT_EQ(MAILBOX_RCV_TOO_LARGE, status);
	EXPECT_EQ(1, mb_msgcount(self->fd, self->port));
}

TEST_F(mailbox, rcv_iov_complex_message_with_a_port_array)
{
	static struct mb_cmsg m;
	static unsigned char s1[MB_HDR_SIZE + 10], s2[512];
	struct mailbox_iov iov[2] = { SEG(s1, sizeof(s1)), SEG(s2, sizeof(s2)) };
	struct mailbox_msg_ool_ports_descriptor *od;
	struct mailbox_msg_port_descriptor *pd;
	unsigned char all[512 + sizeof(s1)];
	__u32 p1, p2, names[2], status, size;
	__u32 *arr;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &p1));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &p2));
	names[0] = p2;
	names[1] = MAILBOX_PORT_NULL;
	mb_cmsg_init(&m, self->port, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	mb_cmsg_port(&m, p1, MAILBOX_MSG_TYPE_MAKE_SEND);
	mb_cmsg_array(&m, names, 2, MAILBOX_MSG_TYPE_MAKE_SEND);
	mb_cmsg_data(&m, "data", 4);
	ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status));
	ASSERT_EQ(0, recv_iov(self->fd, self->port, iov, 2,
			      MAILBOX_MSG_RCV_TRAILER, &size, &status));
	EXPECT_EQ(m.len + MB_TRAILER_SIZE + 8, size);
	memcpy(all, s1, sizeof(s1));
	memcpy(all + sizeof(s1), s2, sizeof(s2));
	pd = (void *)(all + MB_HDR_SIZE + MB_BODY_SIZE);
	EXPECT_EQ(p1, pd->name);	/* joins the receive right's name */
	EXPECT_EQ(MAILBOX_MSG_TYPE_PORT_SEND, pd->disposition);
	od = (void *)(all + MB_HDR_SIZE + MB_BODY_SIZE + MB_PORT_DESC);
	/* The array lies in the second segment: its address is there. */
	arr = (__u32 *)(uintptr_t)od->address;
	EXPECT_EQ((uintptr_t)s2 + m.len + MB_TRAILER_SIZE - sizeof(s1),
		  od->address);
	EXPECT_EQ(p2, arr[0]);
	EXPECT_EQ(MAILBOX_PORT_NULL, arr[1]);
	EXPECT_EQ(0, memcmp(all + m.len - 4, "data", 4));
}

TEST_F(mailbox, port_array_straddling_two_segments_leaves_the_message_queued)
{
	static struct mb_cmsg m, r;
	struct mailbox_iov iov[2];
	__u32 p1, names[2], status, size, at;
	static unsigned char s2[256];

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &p1));
	names[0] = names[1] = p1;
	mb_cmsg_init(&m, self->port, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	mb_cmsg_array(&m, names, 2, MAILBOX_MSG_TYPE_MAKE_SEND);
	ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status));
	at = m.len + 4;		/* the second name starts the 2nd segment */
	iov[0] = SEG(r.buf, at);
	iov[1] = SEG(s2, sizeof(s2));
	EXPECT_EQ(EINVAL, recv_iov(self->fd, self->port, iov, 2, 0, &size,
				   &status));
	EXPECT_EQ(MAILBOX_RCV_INVALID_DATA, status);
	EXPECT_EQ(1, mb_msgcount(self->fd, self->port));
	EXPECT_EQ(0, mb_send_urefs(self->fd, p1));
	iov[0] = SEG(r.buf, m.len);
	ASSERT_EQ(0, recv_iov(self->fd, self->port, iov, 2, 0, &size, &status));
	EXPECT_EQ(m.len + 8, size);
	EXPECT_EQ((uintptr_t)s2,
		  ((struct mailbox_msg_ool_ports_descriptor *)
		   (r.buf + MB_HDR_SIZE + MB_BODY_SIZE))->address);
	EXPECT_EQ(p1, ((__u32 *)s2)[0]);
	EXPECT_EQ(p1, ((__u32 *)s2)[1]);
	EXPECT_EQ(2, mb_send_urefs(self->fd, p1));
}

TEST_F(mailbox, rcv_iov_on_a_port_set)
{
	struct mailbox_port_move_member mm = { };
	struct mailbox_msg_header h, rh;
	struct mailbox_iov iov[1] = { SEG(&rh, sizeof(rh)) };
	__u32 set, status, size;

	ASSERT_EQ(0, mb_allocate(self->fd, MAILBOX_RIGHT_PORT_SET, &set));
	mm.member = self->port;
	mm.after = set;
	ASSERT_EQ(0, mb_ioctl(self->fd, MAILBOX_IOC_PORT_MOVE_MEMBER, &mm));
	ASSERT_EQ(0, mb_send_hdr(self->fd, self->port,
				 MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 11, &status));
	ASSERT_EQ(0, recv_iov(self->fd, set, iov, 1, 0, &size, &status));
	EXPECT_EQ(sizeof(h), size);
	EXPECT_EQ(11, rh.id);
	EXPECT_EQ(self->port, rh.local_port);
}

/* ---- errors ------------------------------------------------------------ */

/* A failed send: errno, status, no message, the send right untouched. */
#define EXPECT_SEND_FAILS(iov, n, err, st) do {				\
	__u32 _s;							\
	EXPECT_EQ(err, send_iov(self->fd, iov, n, &_s));		\
	EXPECT_EQ(st, _s);						\
	EXPECT_EQ(0, mb_msgcount(self->fd, self->port));		\
	EXPECT_EQ(1, mb_send_urefs(self->fd, self->port));		\
} while (0)

TEST_F(mailbox, send_iov_count_outside_1_to_64_is_invalid_data)
{
	struct mailbox_iov iov[MAILBOX_IOV_MAX + 1];
	struct mailbox_msg_header h;
	unsigned int i;

	mb_header(&h, self->port, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	for (i = 0; i <= MAILBOX_IOV_MAX; i++)
		iov[i] = SEG(&h, i ? 0 : sizeof(h));
	EXPECT_SEND_FAILS(iov, 0, EINVAL, MAILBOX_SEND_INVALID_DATA);
	EXPECT_SEND_FAILS(iov, MAILBOX_IOV_MAX + 1, EINVAL,
			  MAILBOX_SEND_INVALID_DATA);
	EXPECT_SEND_FAILS(iov, 0xffffffffU, EINVAL, MAILBOX_SEND_INVALID_DATA);
	/* 64, the last ones empty, is fine. */
	__u32 status;

	EXPECT_EQ(0, send_iov(self->fd, iov, MAILBOX_IOV_MAX, &status));
}

TEST_F(mailbox, unreadable_segment_array_is_invalid_data)
{
	EXPECT_SEND_FAILS((struct mailbox_iov *)8, 1, EFAULT,
			  MAILBOX_SEND_INVALID_DATA);
}

TEST_F(mailbox, huge_or_overflowing_lengths_are_too_large)
{
	struct mailbox_msg_header h;
	static unsigned char big[1 << 18];
	struct mailbox_iov iov[3];

	mb_header(&h, self->port, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	iov[0] = SEG(&h, sizeof(h));
	iov[1] = SEG(big, ~0ULL);
	EXPECT_SEND_FAILS(iov, 2, EMSGSIZE, MAILBOX_SEND_TOO_LARGE);
	iov[1] = SEG(big, 1ULL << 63);
	iov[2] = SEG(big, 1ULL << 63);
	EXPECT_SEND_FAILS(iov, 3, EMSGSIZE, MAILBOX_SEND_TOO_LARGE);
	/* Each fits, the sum does not. */
	iov[1] = SEG(big, self->max_msg - sizeof(h));
	iov[2] = SEG(big, 4);
	EXPECT_SEND_FAILS(iov, 3, EMSGSIZE, MAILBOX_SEND_TOO_LARGE);
	/* Exactly max_msg_size is fine. */
	__u32 status;

	EXPECT_EQ(0, send_iov(self->fd, iov, 2, &status));
}

TEST_F(mailbox, too_short_or_unaligned_total_is_too_small)
{
	struct mailbox_msg_header h;
	struct mailbox_iov iov[2];

	mb_header(&h, self->port, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	iov[0] = SEG(&h, 10);
	iov[1] = SEG((char *)&h + 10, 10);
	EXPECT_SEND_FAILS(iov, 2, EINVAL, MAILBOX_SEND_MSG_TOO_SMALL);
	iov[1] = SEG((char *)&h + 10, sizeof(h) - 10 + 2);
	EXPECT_SEND_FAILS(iov, 2, EINVAL, MAILBOX_SEND_MSG_TOO_SMALL);
}

TEST_F(mailbox, bad_segment_pointers_are_invalid_data)
{
	struct mailbox_msg_header h;
	struct mailbox_iov iov[2];
	void *gone = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, gone);
	ASSERT_EQ(0, munmap(gone, 4096));
	mb_header(&h, self->port, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	iov[0] = SEG(&h, sizeof(h));
	iov[1] = SEG(gone, 8);
	EXPECT_SEND_FAILS(iov, 2, EFAULT, MAILBOX_SEND_INVALID_DATA);
	iov[1] = SEG(0xffff888000000000ULL, 8);
	EXPECT_SEND_FAILS(iov, 2, EFAULT, MAILBOX_SEND_INVALID_DATA);
	/* The header itself unreadable. */
	iov[0] = SEG(gone, sizeof(h));
	EXPECT_SEND_FAILS(iov, 1, EFAULT, MAILBOX_SEND_INVALID_DATA);
	/* A segment wrapping around the address space. */
	iov[0] = SEG(&h, sizeof(h));
	iov[1] = SEG(~0ULL - 3, 8);
	EXPECT_SEND_FAILS(iov, 2, EFAULT, MAILBOX_SEND_INVALID_DATA);
}

/* A failed receive: errno and status; the message is still queued. */
#define EXPECT_RECV_FAILS(iov, n, err, st) do {				\
	__u32 _s;							\
	EXPECT_EQ(err, recv_iov(self->fd, self->port, iov, n, 0, NULL, &_s)); \
	EXPECT_EQ(st, _s);						\
	EXPECT_EQ(1, mb_msgcount(self->fd, self->port));		\
} while (0)

TEST_F(mailbox, receive_segment_errors_leave_the_message_queued)
{
	static unsigned char buf[256];
	struct mailbox_iov iov[MAILBOX_IOV_MAX + 1];
	void *gone = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	__u32 status;
	unsigned int i;

	ASSERT_NE(MAP_FAILED, gone);
	ASSERT_EQ(0, munmap(gone, 4096));
	for (i = 0; i <= MAILBOX_IOV_MAX; i++)
		iov[i] = SEG(buf, 4);
	ASSERT_EQ(0, mb_send_hdr(self->fd, self->port,
				 MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1, &status));
	EXPECT_RECV_FAILS(iov, 0, EINVAL, MAILBOX_RCV_INVALID_DATA);
	EXPECT_RECV_FAILS(iov, MAILBOX_IOV_MAX + 1, EINVAL,
			  MAILBOX_RCV_INVALID_DATA);
	EXPECT_RECV_FAILS((struct mailbox_iov *)8, 1, EFAULT,
			  MAILBOX_RCV_INVALID_DATA);
	/* Over 4 GiB - 1 in all. */
	iov[0] = SEG(buf, 0xffffffffULL);
	iov[1] = SEG(buf, 1);
	EXPECT_RECV_FAILS(iov, 2, EINVAL, MAILBOX_RCV_INVALID_DATA);
	iov[0] = SEG(buf, ~0ULL);
	EXPECT_RECV_FAILS(iov, 1, EINVAL, MAILBOX_RCV_INVALID_DATA);
	/* Kernel and unmapped segments. */
	iov[0] = SEG(0xffff888000000000ULL, 64);
	EXPECT_RECV_FAILS(iov, 1, EFAULT, MAILBOX_RCV_INVALID_DATA);
	iov[0] = SEG(buf, 8);
	iov[1] = SEG(gone, 64);
	EXPECT_RECV_FAILS(iov, 2, EFAULT, MAILBOX_RCV_INVALID_DATA);
	/* Then it is received whole. */
	iov[1] = SEG(buf + 8, 64);
	EXPECT_EQ(0, recv_iov(self->fd, self->port, iov, 2, 0, NULL, &status));
	EXPECT_EQ(1, ((struct mailbox_msg_header *)buf)->id);
}

TEST_F(mailbox, version_reports_the_iov_feature)
{
	struct mailbox_version v;

	ASSERT_EQ(0, mb_version(self->fd, &v));
	EXPECT_NE(0, v.features & MAILBOX_FEATURE_IOV);
}

TEST(counters_are_back_to_zero)
{
	char bad[256];

	ASSERT_EQ(0, mb_counters_zero(bad, sizeof(bad))) TH_LOG("%s", bad);
}

TEST_HARNESS_MAIN
