// SPDX-License-Identifier: GPL-2.0
/*
 * Out-of-line memory descriptors (MAILBOX_MSG_OOL_DESCRIPTOR): bytes copied
 * at send time and delivered as a new private mapping, copy-on-write in the
 * receiver and its forks, size 0, unaligned ranges, mixing with port
 * descriptors, port arrays and the trailer, the needed-size rule, the
 * deallocate option (whole pages only, nothing on a failed send), every
 * validation error, failed receives that put the message back, and release
 * of the memory by port death, RCV_TOO_LARGE and process exit (the debugfs
 * ool_bytes counter); the sender's cache of idle files (reuse with only the
 * new bytes, never a file a mapping, a fork or a pipe still uses, a failed
 * send into a reused file, the cache dropped with the space, idle files
 * given back to reclaim) and huge pages; buffers (mmap of the device)
 * moved instead of copied when given away, forwarded the same way, copied
 * when they are not whole or not only the sender's (a fork, a pipe), given
 * back on a failed send, and the mmap errors.
 */
#include "issue4_test.h"

#include <sys/mman.h>
#include <sys/resource.h>
#include <sched.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <fcntl.h>

#include "kselftest_harness.h"

#define MB_OOL_DESC	((__u32)sizeof(struct mailbox_msg_ool_descriptor))
#define PG		4096UL

FIXTURE(mailbox) {
	int fd;		/* space A: the sender */
	int fd2;	/* space B: the receiver */
	__u32 pb;	/* B's port */
	__u32 sa;	/* A's send right to it */
};

FIXTURE_SETUP(mailbox)
{
	self->fd = mb_open();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MB_DEVICE, strerror(errno));
	self->fd2 = mb_open();
	ASSERT_LE(0, self->fd2);
	ASSERT_EQ(0, mb_alloc_receive(self->fd2, &self->pb));
	ASSERT_EQ(0, mb_give_send(self->fd2, self->fd, self->pb, &self->sa));
}

FIXTURE_TEARDOWN(mailbox)
{
	if (self->fd2 >= 0)
		close(self->fd2);
	if (self->fd >= 0)
		close(self->fd);
}

static struct mailbox_msg_ool_descriptor *
cmsg_ool(struct mb_cmsg *m, const void *addr, __u32 size, __u8 dealloc)
{
	struct mailbox_msg_ool_descriptor *d = (void *)(m->buf + m->len);

	d->address = (uintptr_t)addr;
	d->deallocate = dealloc;
	d->copy = MAILBOX_VIRTUAL_COPY;
	d->pad1 = 0;
	d->type = MAILBOX_MSG_OOL_DESCRIPTOR;
	d->size = size;
	m->len += MB_OOL_DESC;
	mb_cmsg_body(m->buf)->descriptor_count++;
	return d;
}

/* The @i-th descriptor of a message (all kinds). */
static void *desc_at(void *msg, unsigned int i)
{
	unsigned char *p = (unsigned char *)msg + MB_HDR_SIZE + MB_BODY_SIZE;

	while (i--)
		p += p[11] == MAILBOX_MSG_PORT_DESCRIPTOR ? MB_PORT_DESC :
							    MB_OOL_DESC;
	return p;
}

static struct mailbox_msg_ool_descriptor *ool_at(void *msg, unsigned int i)
{
	return desc_at(msg, i);
}

static unsigned long long ool_bytes(void)
{
	unsigned long long v = ~0ULL;

	mb_stat("ool_bytes", &v);
	return v;
}

static void *map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void fill(void *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		((unsigned char *)p)[i] = (unsigned char)(i * 131 + seed);
}

static bool same(const void *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (((const unsigned char *)p)[i] != (unsigned char)(i * 131 + seed))
			return false;
	return true;
}

/* Is [p, p + len) mapped? */
static bool mapped(void *p, size_t len)
{
	return msync(p, len, MS_ASYNC) == 0;
}

/* A sends one OOL descriptor of @size bytes at @src to B's port. */
static int send_one(FIXTURE_DATA(mailbox) *self, const void *src, __u32 size,
		    __u8 dealloc, __u32 *status)
{
	static struct mb_cmsg m;

	mb_cmsg_init(&m, self->sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 77);
	cmsg_ool(&m, src, size, dealloc);
	return mb_cmsg_send(self->fd, &m, status);
}

/* B receives one message; returns the errno; *@r gets it. */
static int recv_one(FIXTURE_DATA(mailbox) *self, struct mb_cmsg *r,
		    __u32 options, __u32 *size, __u32 *status)
{
	return mb_recv_now(self->fd2, self->pb, r->buf, sizeof(r->buf),
			   options, size, status);
}

TEST_F(mailbox, ool_bytes_arrive_in_a_new_private_mapping)
{
	static struct mb_cmsg r;
	const __u32 len = 1 << 20;
	struct mailbox_msg_ool_descriptor *d;
	__u32 status, size;
	void *src = map(len);

	ASSERT_NE(NULL, src);
	fill(src, len, 1);
	ASSERT_EQ(0, send_one(self, src, len, 0, &status));
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, status);
	EXPECT_EQ(len, ool_bytes());
	/* Copied at send: later writes of the sender do not travel. */
	memset(src, 0, len);

	ASSERT_EQ(0, recv_one(self, &r, 0, &size, &status));
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, status);
	EXPECT_EQ(MB_HDR_SIZE + MB_BODY_SIZE + MB_OOL_DESC, size);
	EXPECT_EQ(size, r.h.size);
	EXPECT_EQ(77, r.h.id);
	EXPECT_NE(0, r.h.bits & MAILBOX_MSGH_COMPLEX);
	EXPECT_EQ(0, ool_bytes());
	d = ool_at(r.buf, 0);
	EXPECT_EQ(MAILBOX_MSG_OOL_DESCRIPTOR, d->type);
	EXPECT_EQ(len, d->size);
	EXPECT_EQ(0, d->deallocate);
	EXPECT_EQ(MAILBOX_VIRTUAL_COPY, d->copy);
	EXPECT_EQ(0, d->pad1);
	ASSERT_NE(0, d->address);
	EXPECT_EQ(0, d->address % PG);
	EXPECT_NE((uintptr_t)src, d->address);
	EXPECT_TRUE(same((void *)(uintptr_t)d->address, len, 1));
	/* Writable, and the mapping is the receiver's to free. */
	memset((void *)(uintptr_t)d->address, 0x5a, len);
	EXPECT_EQ(0, munmap((void *)(uintptr_t)d->address, len));
	munmap(src, len);
}

TEST_F(mailbox, receiver_writes_are_private_to_each_message_and_each_fork)
{
	static struct mb_cmsg r1, r2;
	const __u32 len = 5 * PG;
	unsigned char *a1, *a2;
	__u32 status;
	void *src = map(len);
	pid_t pid;

	ASSERT_NE(NULL, src);
	fill(src, len, 9);
	ASSERT_EQ(0, send_one(self, src, len, 0, &status));
	ASSERT_EQ(0, send_one(self, src, len, 0, &status));
	ASSERT_EQ(0, recv_one(self, &r1, 0, NULL, &status));
	ASSERT_EQ(0, recv_one(self, &r2, 0, NULL, &status));
	a1 = (void *)(uintptr_t)ool_at(r1.buf, 0)->address;
	a2 = (void *)(uintptr_t)ool_at(r2.buf, 0)->address;
	ASSERT_NE(a1, a2);
	a1[0] ^= 0xff;
	a1[len - 1] ^= 0xff;
	EXPECT_TRUE(same(a2, len, 9));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* The child sees the parent's bytes, and writes its own. */
		CHILD_CHECK(same(a2, len, 9));
		CHILD_CHECK(a1[0] == (unsigned char)(9 ^ 0xff));
		memset(a2, 0, len);
		_exit(0);
	}
	ASSERT_EQ(0, mb_wait_child(pid));
	EXPECT_TRUE(same(a2, len, 9));
	munmap(a1, len);
	munmap(a2, len);
	munmap(src, len);
}

TEST_F(mailbox, size_zero_delivers_address_zero)
{
	static struct mb_cmsg r;
	__u32 status;

	ASSERT_EQ(0, send_one(self, (void *)0x1000, 0, 1, &status));
	ASSERT_EQ(0, recv_one(self, &r, 0, NULL, &status));
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, status);
	EXPECT_EQ(0, ool_at(r.buf, 0)->address);
	EXPECT_EQ(0, ool_at(r.buf, 0)->size);
}

TEST_F(mailbox, unaligned_range_is_copied_exactly_and_rounded_up_in_the_receiver)
{
	static struct mb_cmsg r;
	const __u32 len = 2 * PG + 123;
	unsigned char *src = map(4 * PG), *dst;
	__u32 status;

	ASSERT_NE(NULL, src);
	fill(src + 100, len, 3);
	ASSERT_EQ(0, send_one(self, src + 100, len, 0, &status));
	ASSERT_EQ(0, recv_one(self, &r, 0, NULL, &status));
	dst = (void *)(uintptr_t)ool_at(r.buf, 0)->address;
	EXPECT_TRUE(same(dst, len, 3));
	/* The rest of the last page reads as zeroes. */
	EXPECT_EQ(0, dst[len]);
	EXPECT_EQ(0, dst[3 * PG - 1]);
	EXPECT_TRUE(mapped(dst, 3 * PG));
	munmap(dst, 3 * PG);
	munmap(src, 4 * PG);
}

TEST_F(mailbox, ool_memory_mixes_with_port_descriptors_arrays_and_the_trailer)
{
	static struct mb_cmsg m, r;
	unsigned char *s1 = map(PG), *s2 = map(3 * PG), *d1, *d2;
	__u32 p1, p2, names[2], status, size, need;
	struct mailbox_msg_ool_ports_descriptor *od;
	struct mailbox_msg_port_descriptor *pd;
	__u32 *arr;

	ASSERT_NE(NULL, s1);
	ASSERT_NE(NULL, s2);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &p1));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &p2));
	names[0] = p1;
	names[1] = p2;
	fill(s1, 10, 5);
	fill(s2, 3 * PG, 6);
	mb_cmsg_init(&m, self->sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	cmsg_ool(&m, s1, 10, 0);
	mb_cmsg_port(&m, p1, MAILBOX_MSG_TYPE_MAKE_SEND);
	mb_cmsg_array(&m, names, 2, MAILBOX_MSG_TYPE_MAKE_SEND);
	cmsg_ool(&m, s2, 3 * PG, 0);
	mb_cmsg_data(&m, "tail", 4);
	ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status));

	/* The needed size counts port arrays and trailer, not OOL memory. */
	need = m.len + MB_TRAILER_SIZE + 2 * 4;
	ASSERT_EQ(EMSGSIZE, mb_recv_now(self->fd2, self->pb, r.buf, need - 4,
					MAILBOX_MSG_RCV_TRAILER |
					MAILBOX_MSG_RCV_LARGE, &size, &status));
	EXPECT_EQ(MAILBOX_RCV_TOO_LARGE, status);
	EXPECT_EQ(need, size);
	EXPECT_EQ(1, mb_msgcount(self->fd2, self->pb));

	ASSERT_EQ(0, mb_recv_now(self->fd2, self->pb, r.buf, need,
				 MAILBOX_MSG_RCV_TRAILER, &size, &status));
	EXPECT_EQ(need, size);
	d1 = (void *)(uintptr_t)ool_at(r.buf, 0)->address;
	d2 = (void *)(uintptr_t)ool_at(r.buf, 3)->address;
	EXPECT_TRUE(same(d1, 10, 5));
	EXPECT_TRUE(same(d2, 3 * PG, 6));
	pd = desc_at(r.buf, 1);
	EXPECT_EQ(MAILBOX_MSG_PORT_DESCRIPTOR, pd->type);
	EXPECT_EQ(MAILBOX_MSG_TYPE_PORT_SEND, pd->disposition);
	od = desc_at(r.buf, 2);
	EXPECT_EQ(2, od->count);
	arr = (__u32 *)(uintptr_t)od->address;
	EXPECT_EQ((uintptr_t)r.buf + m.len + MB_TRAILER_SIZE, od->address);
	EXPECT_EQ(pd->name, arr[0]);
	EXPECT_EQ(MAILBOX_PORT_TYPE_SEND, mb_type_bits(self->fd2, arr[1]));
	EXPECT_EQ(0, memcmp(r.buf + m.len - 4, "tail", 4));
	EXPECT_EQ(MAILBOX_TRAILER_FORMAT_0, mb_trailer(r.buf)->type);
	munmap(d1, PG);
	munmap(d2, 3 * PG);
	munmap(s1, PG);
	munmap(s2, 3 * PG);
}

TEST_F(mailbox, largest_descriptor_of_64_mib_is_delivered)
{
	static struct mb_cmsg r;
	const __u32 len = MAILBOX_OOL_MAX;
	unsigned char *src = map(len), *dst;
	__u32 status;

	ASSERT_NE(NULL, src);
	memset(src, 0x11, len);
	src[len - 1] = 0x22;
	ASSERT_EQ(0, send_one(self, src, len, 1, &status));
	EXPECT_FALSE(mapped(src, PG));
	ASSERT_EQ(0, recv_one(self, &r, 0, NULL, &status));
	dst = (void *)(uintptr_t)ool_at(r.buf, 0)->address;
	EXPECT_EQ(0x11, dst[0]);
	EXPECT_EQ(0x11, dst[len / 2]);
	EXPECT_EQ(0x22, dst[len - 1]);
	munmap(dst, len);
}

TEST_F(mailbox, deallocate_unmaps_the_senders_whole_pages_once_sent)
{
	static struct mb_cmsg r;
	unsigned char *src = map(4 * PG), *dst;
	__u32 status;

	ASSERT_NE(NULL, src);
	fill(src, 4 * PG, 8);
	/* [src + 100, src + 3 pages + 100): only pages 1 and 2 are whole. */
	ASSERT_EQ(0, send_one(self, src + 100, 3 * PG, 1, &status));
	EXPECT_TRUE(mapped(src, PG));
	EXPECT_FALSE(mapped(src + PG, PG));
	EXPECT_FALSE(mapped(src + 2 * PG, PG));
	EXPECT_TRUE(mapped(src + 3 * PG, PG));
	EXPECT_EQ((unsigned char)(8 + 100 * 131), src[100]);
	ASSERT_EQ(0, recv_one(self, &r, 0, NULL, &status));
	dst = (void *)(uintptr_t)ool_at(r.buf, 0)->address;
	EXPECT_EQ(0, ool_at(r.buf, 0)->deallocate);
	EXPECT_EQ((unsigned char)(8 + 100 * 131), dst[0]);
	EXPECT_EQ((unsigned char)(8 + (3 * PG + 99) * 131), dst[3 * PG - 1]);
	munmap(dst, 3 * PG);
	munmap(src, 4 * PG);
}

TEST_F(mailbox, deallocate_of_less_than_a_whole_page_unmaps_nothing)
{
	unsigned char *src = map(2 * PG);
	static struct mb_cmsg r;
	__u32 status;

	ASSERT_NE(NULL, src);
	ASSERT_EQ(0, send_one(self, src + 1, PG, 1, &status));
	EXPECT_TRUE(mapped(src, 2 * PG));
	ASSERT_EQ(0, recv_one(self, &r, 0, NULL, &status));
	munmap((void *)(uintptr_t)ool_at(r.buf, 0)->address, PG);
	munmap(src, 2 * PG);
}

TEST_F(mailbox, a_failed_send_deallocates_nothing_and_keeps_no_memory)
{
	unsigned char *src = map(2 * PG);
	__u32 status;

	ASSERT_NE(NULL, src);
	ASSERT_EQ(0, mb_set_qlimit(self->fd2, self->pb, 1));
	ASSERT_EQ(0, send_one(self, src, 2 * PG, 0, &status));
	/* Full queue, SEND_TIMEOUT 0. */
	ASSERT_EQ(EAGAIN, send_one(self, src, 2 * PG, 1, &status));
	EXPECT_EQ(MAILBOX_SEND_TIMED_OUT, status);
	EXPECT_TRUE(mapped(src, 2 * PG));
	EXPECT_EQ(2 * PG, ool_bytes());
	EXPECT_EQ(1, mb_send_urefs(self->fd, self->sa));
	munmap(src, 2 * PG);
}

/* A malformed descriptor: errno and status, no right or memory used. */
static void bad_send(struct __test_metadata *_metadata,
		     FIXTURE_DATA(mailbox) *self, struct mb_cmsg *m, int err,
		     __u32 want)
{
	__u32 status;

	EXPECT_EQ(err, mb_cmsg_send(self->fd, m, &status));
	EXPECT_EQ(want, status);
	EXPECT_EQ(1, mb_send_urefs(self->fd, self->sa));
	EXPECT_EQ(0, mb_msgcount(self->fd2, self->pb));
	EXPECT_EQ(0, ool_bytes());
}

TEST_F(mailbox, nonzero_pad_bad_copy_or_deallocate_is_an_invalid_type)
{
	static struct mb_cmsg m;
	char buf[16] = "x";

	mb_cmsg_init(&m, self->sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	cmsg_ool(&m, buf, 16, 0)->pad1 = 1;
	bad_send(_metadata, self, &m, EINVAL, MAILBOX_SEND_INVALID_TYPE);
	mb_cmsg_init(&m, self->sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	cmsg_ool(&m, buf, 16, 0)->copy = 2;
	bad_send(_metadata, self, &m, EINVAL, MAILBOX_SEND_INVALID_TYPE);
	mb_cmsg_init(&m, self->sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	cmsg_ool(&m, buf, 16, 2);
	bad_send(_metadata, self, &m, EINVAL, MAILBOX_SEND_INVALID_TYPE);
	/* PHYSICAL_COPY is accepted. */
	mb_cmsg_init(&m, self->sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	cmsg_ool(&m, buf, 16, 0)->copy = MAILBOX_PHYSICAL_COPY;
	EXPECT_EQ(0, mb_cmsg_send(self->fd, &m, NULL));
}

TEST_F(mailbox, descriptor_past_the_message_end_is_too_small)
{
	static struct mb_cmsg m;
	char buf[16];

	mb_cmsg_init(&m, self->sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	cmsg_ool(&m, buf, 16, 0);
	m.len -= 4;
	bad_send(_metadata, self, &m, EINVAL, MAILBOX_SEND_MSG_TOO_SMALL);
}

TEST_F(mailbox, more_than_64_mib_in_one_descriptor_is_too_large)
{
	static struct mb_cmsg m;

	mb_cmsg_init(&m, self->sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	cmsg_ool(&m, (void *)0x10000, MAILBOX_OOL_MAX + 1, 0);
	bad_send(_metadata, self, &m, EMSGSIZE, MAILBOX_SEND_TOO_LARGE);
	mb_cmsg_init(&m, self->sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	cmsg_ool(&m, (void *)0x10000, 0xffffffffU, 0);
	bad_send(_metadata, self, &m, EMSGSIZE, MAILBOX_SEND_TOO_LARGE);
}

TEST_F(mailbox, more_than_max_ool_size_in_one_message_is_too_large)
{
	static struct mb_cmsg m;
	unsigned int i;

	/* Default max_ool_size: 256 MiB, checked before any copy. */
	mb_cmsg_init(&m, self->sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	for (i = 0; i < 5; i++)
		cmsg_ool(&m, (void *)0x10000, MAILBOX_OOL_MAX, 0);
	bad_send(_metadata, self, &m, EMSGSIZE, MAILBOX_SEND_TOO_LARGE);
}

TEST_F(mailbox, unreadable_ool_memory_is_invalid_data)
{
	unsigned char *src = map(3 * PG);
	static struct mb_cmsg m;
	char buf[16];

	ASSERT_NE(NULL, src);
	mb_cmsg_init(&m, self->sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	cmsg_ool(&m, (void *)8, 16, 1);
	bad_send(_metadata, self, &m, EFAULT, MAILBOX_SEND_INVALID_DATA);
	/* Its last page unmapped: fails after copying the first ones. */
	ASSERT_EQ(0, munmap(src + 2 * PG, PG));
	mb_cmsg_init(&m, self->sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	cmsg_ool(&m, buf, 16, 0);
	cmsg_ool(&m, src, 3 * PG, 1);
	bad_send(_metadata, self, &m, EFAULT, MAILBOX_SEND_INVALID_DATA);
	EXPECT_TRUE(mapped(src, 2 * PG));
	/* A kernel address. */
	mb_cmsg_init(&m, self->sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	cmsg_ool(&m, (void *)0xffff888000000000UL, 16, 0);
	bad_send(_metadata, self, &m, EFAULT, MAILBOX_SEND_INVALID_DATA);
	munmap(src, 2 * PG);
}

TEST_F(mailbox, too_large_without_rcv_large_destroys_the_message_and_its_memory)
{
	unsigned char *src = map(PG);
	__u32 status, size;
	char small[8];

	ASSERT_NE(NULL, src);
	ASSERT_EQ(0, send_one(self, src, PG, 0, &status));
	EXPECT_EQ(PG, ool_bytes());
	ASSERT_EQ(EMSGSIZE, mb_recv_now(self->fd2, self->pb, small,
					sizeof(small), 0, &size, &status));
	EXPECT_EQ(MAILBOX_RCV_TOO_LARGE, status);
	EXPECT_EQ(MB_HDR_SIZE + MB_BODY_SIZE + MB_OOL_DESC, size);
	EXPECT_EQ(0, mb_msgcount(self->fd2, self->pb));
	EXPECT_EQ(0, ool_bytes());
	munmap(src, PG);
}

TEST_F(mailbox, port_death_releases_queued_ool_memory)
{
	unsigned char *src = map(8 * PG);
	__u32 status;

	ASSERT_NE(NULL, src);
	ASSERT_EQ(0, send_one(self, src, 8 * PG, 0, &status));
	ASSERT_EQ(0, send_one(self, src, 3 * PG, 0, &status));
	EXPECT_EQ(11 * PG, ool_bytes());
	ASSERT_EQ(0, mb_destroy(self->fd2, self->pb));
	EXPECT_EQ(0, ool_bytes());
	munmap(src, 8 * PG);
}

TEST_F(mailbox, process_exit_releases_queued_ool_memory)
{
	char bad[256];
	pid_t pid;

	close(self->fd);
	close(self->fd2);
	self->fd = self->fd2 = -1;
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		static struct mb_cmsg m;
		void *src = map(16 * PG);
		__u32 port;
		int fd = mb_open();

		mb_child_init();
		CHILD_CHECK(fd >= 0 && src);
		CHILD_CHECK(!mb_alloc_receive(fd, &port));
		CHILD_CHECK(!mb_make_send(fd, port));
		mb_cmsg_init(&m, port, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
		cmsg_ool(&m, src, 16 * PG, 0);
		cmsg_ool(&m, src, 5, 0);
		CHILD_CHECK(!mb_cmsg_send(fd, &m, NULL));
		CHILD_CHECK(ool_bytes() == 16 * PG + 5);
		_exit(0);	/* the queued message dies with the space */
	}
	ASSERT_EQ(0, mb_wait_child(pid));
	ASSERT_EQ(0, mb_counters_zero(bad, sizeof(bad))) TH_LOG("%s", bad);
}

TEST_F(mailbox, unwritable_receive_buffer_leaves_the_message_queued)
{
	unsigned char *src = map(PG), *ro = mmap(NULL, PG, PROT_READ,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	static struct mb_cmsg r;
	__u32 status, size;

	ASSERT_NE(NULL, src);
	ASSERT_NE(MAP_FAILED, ro);
	fill(src, PG, 4);
	ASSERT_EQ(0, send_one(self, src, PG, 0, &status));
	EXPECT_EQ(EFAULT, mb_msg(self->fd2, &(struct mailbox_msg){
		.rcv_msg = (uintptr_t)ro, .rcv_size = PG,
		.options = MAILBOX_MSG_RCV | MAILBOX_MSG_RCV_TIMEOUT,
		.rcv_name = self->pb }));
	EXPECT_EQ(1, mb_msgcount(self->fd2, self->pb));
	EXPECT_EQ(PG, ool_bytes());
	ASSERT_EQ(0, recv_one(self, &r, 0, &size, &status));
	EXPECT_TRUE(same((void *)(uintptr_t)ool_at(r.buf, 0)->address, PG, 4));
	munmap((void *)(uintptr_t)ool_at(r.buf, 0)->address, PG);
	munmap(ro, PG);
	munmap(src, PG);
}

/* Virtual memory of this process in bytes, from /proc/self/statm. */
static unsigned long vm_size(void)
{
	unsigned long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%lu", &pages) != 1)
			pages = 0;
		fclose(f);
	}
	return pages * PG;
}

TEST_F(mailbox, a_mapping_that_cannot_be_made_puts_the_message_back)
{
	unsigned char *src = map(16 << 20);
	__u32 p2, s2, status;
	pid_t pid;

	ASSERT_NE(NULL, src);
	fill(src, 64, 2);
	/* A right on the port too, to check it stays with the message. */
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &p2));
	{
		static struct mb_cmsg m;

		mb_cmsg_init(&m, self->sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 5);
		mb_cmsg_port(&m, p2, MAILBOX_MSG_TYPE_MAKE_SEND);
		cmsg_ool(&m, src, 16 << 20, 0);
		ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status));
	}
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		static struct mb_cmsg r;
		struct rlimit rl;
		__u32 st = 0;
		int err;

		mb_child_init();
		/* 16 MiB cannot be mapped within 1 MiB more than we use. */
		rl.rlim_cur = rl.rlim_max = vm_size() + (1 << 20);
		CHILD_CHECK(!setrlimit(RLIMIT_AS, &rl));
		err = mb_recv_now(self->fd2, self->pb, r.buf, sizeof(r.buf), 0,
				  NULL, &st);
		CHILD_CHECK(err == ENOMEM);
		CHILD_CHECK(st == MAILBOX_RCV_BODY_ERROR);
		_exit(0);
	}
	ASSERT_EQ(0, mb_wait_child(pid));
	EXPECT_EQ(1, mb_msgcount(self->fd2, self->pb));
	EXPECT_EQ(16 << 20, ool_bytes());
	{
		static struct mb_cmsg r;

		ASSERT_EQ(0, recv_one(self, &r, 0, NULL, &status));
		EXPECT_EQ(5, r.h.id);
		s2 = ((struct mailbox_msg_port_descriptor *)desc_at(r.buf, 0))->name;
		EXPECT_EQ(MAILBOX_PORT_TYPE_SEND, mb_type_bits(self->fd2, s2));
		EXPECT_TRUE(same((void *)(uintptr_t)ool_at(r.buf, 1)->address,
				 64, 2));
		munmap((void *)(uintptr_t)ool_at(r.buf, 1)->address, 16 << 20);
	}
	munmap(src, 16 << 20);
}

TEST_F(mailbox, ool_message_sent_and_received_through_segment_arrays)
{
	static struct mb_cmsg m;
	unsigned char *src = map(2 * PG), *dst;
	unsigned char r1[MB_HDR_SIZE + 6], r2[64];
	struct mailbox_msg_ool_descriptor d;
	struct mailbox_iov si[2], ri[2];
	struct mailbox_msg args = { 0 };

	ASSERT_NE(NULL, src);
	fill(src, 2 * PG, 12);
	mb_cmsg_init(&m, self->sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 31);
	cmsg_ool(&m, src, 2 * PG, 0);
	/* The descriptor split between the two send segments. */
	si[0] = (struct mailbox_iov){ (uintptr_t)m.buf, MB_HDR_SIZE + 10 };
	si[1] = (struct mailbox_iov){ (uintptr_t)m.buf + MB_HDR_SIZE + 10,
				      m.len - MB_HDR_SIZE - 10 };
	args.send_msg = (uintptr_t)si;
	args.send_size = 2;
	args.options = MAILBOX_MSG_SEND | MAILBOX_MSG_SEND_IOV;
	ASSERT_EQ(0, mb_msg(self->fd, &args));
	ri[0] = (struct mailbox_iov){ (uintptr_t)r1, sizeof(r1) };
	ri[1] = (struct mailbox_iov){ (uintptr_t)r2, sizeof(r2) };
	memset(&args, 0, sizeof(args));
	args.rcv_msg = (uintptr_t)ri;
	args.rcv_size = 2;
	args.rcv_name = self->pb;
	args.options = MAILBOX_MSG_RCV | MAILBOX_MSG_RCV_IOV | MAILBOX_MSG_RCV_TIMEOUT;
	ASSERT_EQ(0, mb_msg(self->fd2, &args));
	EXPECT_EQ(m.len, args.rcv_size);
	EXPECT_EQ(31, ((struct mailbox_msg_header *)r1)->id);
	/* The descriptor: 2 bytes of it in r1, the rest in r2. */
	memcpy(&d, r1 + MB_HDR_SIZE + MB_BODY_SIZE, 2);
	memcpy((char *)&d + 2, r2, sizeof(d) - 2);
	EXPECT_EQ(MAILBOX_MSG_OOL_DESCRIPTOR, d.type);
	EXPECT_EQ(2 * PG, d.size);
	dst = (void *)(uintptr_t)d.address;
	ASSERT_NE(NULL, dst);
	EXPECT_TRUE(same(dst, 2 * PG, 12));
	munmap(dst, 2 * PG);
	munmap(src, 2 * PG);
}

TEST_F(mailbox, ool_memory_in_a_moved_receive_rights_queue_dies_with_it)
{
	static struct mb_cmsg m;
	unsigned char *src = map(PG);
	__u32 inner, sinner, status;

	ASSERT_NE(NULL, src);
	/* A message with OOL memory queued on a port ... */
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &inner));
	ASSERT_EQ(0, mb_insert(self->fd, MAILBOX_SPACE_SELF, &(__u32){ inner },
			       inner, MAILBOX_MSG_TYPE_MAKE_SEND));
	sinner = inner;
	mb_cmsg_init(&m, sinner, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
	cmsg_ool(&m, src, PG, 0);
	ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status));
	/* ... whose receive right travels to B's port, which then dies. */
	mb_cmsg_init(&m, self->sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 2);
	mb_cmsg_port(&m, inner, MAILBOX_MSG_TYPE_MOVE_RECEIVE);
	ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status));
	EXPECT_EQ(PG, ool_bytes());
	ASSERT_EQ(0, mb_destroy(self->fd2, self->pb));
	EXPECT_EQ(0, ool_bytes());
	munmap(src, PG);
}

/* ---- each space's cache of out-of-line files (module/ool_cache.c) ---- */

static unsigned long long stat_of(const char *key)
{
	unsigned long long v = ~0ULL;

	mb_stat(key, &v);
	return v;
}

/*
 * Reuse needs every page of the file held by the page cache alone; a page
 * may still sit in a per-CPU LRU batch (with a reference) for a while after
 * it was allocated or touched, which makes the sender use a new file. The
 * cache tests run on one CPU and drain its batches (MADV_COLD does) before
 * each send, so that a miss they expect has only the cause under test.
 */
static void pin_to_this_cpu(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(sched_getcpu(), &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* A sends @len bytes of @seed, B receives them; returns B's mapping. */
static unsigned char *pass(struct __test_metadata *_metadata,
			   FIXTURE_DATA(mailbox) *self, unsigned char *src,
			   __u32 len, unsigned int seed)
{
	static struct mb_cmsg r;
	unsigned char *p;
	__u32 status, size;

	fill(src, len, seed);
	madvise(src, PG, MADV_COLD);
	EXPECT_EQ(0, send_one(self, src, len, 0, &status));
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, status);
	memset(src, 0xee, len);
	EXPECT_EQ(0, recv_one(self, &r, 0, &size, &status));
	p = (unsigned char *)(uintptr_t)ool_at(r.buf, 0)->address;
	EXPECT_NE(NULL, p);
	EXPECT_TRUE(same(p, len, seed));
	return p;
}

/* Bytes [from, to) of @p are zero. */
static bool zero(const unsigned char *p, size_t from, size_t to)
{
	for (; from < to; from++)
		if (p[from])
			return false;
	return true;
}

TEST_F(mailbox, an_idle_region_of_as_many_pages_is_reused_with_only_the_new_bytes)
{
	const __u32 len1 = 3 * PG + 100, len2 = 3 * PG + 10;
	unsigned long long hits = stat_of("total_ool_cache_hits");
	unsigned char *src = map(4 * PG), *p;

	pin_to_this_cpu();
	ASSERT_NE(NULL, src);
	p = pass(_metadata, self, src, len1, 1);
	EXPECT_TRUE(zero(p, len1, 4 * PG));
	EXPECT_EQ(1, stat_of("ool_cache_files"));
	/* The receiver's own writes are copy-on-write, never the file's. */
	memset(p, 0x77, 4 * PG);
	ASSERT_EQ(0, munmap(p, 4 * PG));

	p = pass(_metadata, self, src, len2, 2);
	EXPECT_EQ(hits + 1, stat_of("total_ool_cache_hits"));
	/* The old bytes past the new size are gone. */
	EXPECT_TRUE(zero(p, len2, 4 * PG));
	EXPECT_EQ(1, stat_of("ool_cache_files"));
	ASSERT_EQ(0, munmap(p, 4 * PG));

	/* Another page count: a new file (the cache then holds both). */
	p = pass(_metadata, self, src, 2 * PG, 3);
	EXPECT_EQ(hits + 1, stat_of("total_ool_cache_hits"));
	EXPECT_EQ(2, stat_of("ool_cache_files"));
	ASSERT_EQ(0, munmap(p, 2 * PG));
	/* Closing the sender's space drops what it kept. */
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(0, stat_of("ool_cache_files"));
	munmap(src, 4 * PG);
}

TEST_F(mailbox, a_region_the_receiver_still_maps_is_not_reused)
{
	unsigned long long hits = stat_of("total_ool_cache_hits");
	unsigned char *src = map(2 * PG), *p1, *p2;

	pin_to_this_cpu();
	ASSERT_NE(NULL, src);
	p1 = pass(_metadata, self, src, 2 * PG, 1);
	p2 = pass(_metadata, self, src, 2 * PG, 2);
	EXPECT_EQ(hits, stat_of("total_ool_cache_hits"));
	EXPECT_TRUE(same(p1, 2 * PG, 1));
	munmap(p1, 2 * PG);
	munmap(p2, 2 * PG);
	munmap(src, 2 * PG);
}

/*
 * A fork that keeps the mapping of @p and, once *@go is closed, exits 0 if
 * it still reads @len bytes of @seed there. Return: its pid (-1: failed).
 */
static pid_t fork_watching(const void *p, size_t len, unsigned int seed,
			   int *go)
{
	int fds[2];
	pid_t pid;
	char c;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (!pid) {
		close(fds[1]);
		if (read(fds[0], &c, 1) != 0)
			_exit(2);
		_exit(same(p, len, seed) ? 0 : 1);
	}
	close(fds[0]);
	*go = fds[1];
	return pid;
}

/* Let the fork of fork_watching() check, and reap it: true if it saw it. */
static bool watched(pid_t pid, int go)
{
	int st;

	close(go);
	return waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	       WEXITSTATUS(st) == 0;
}

TEST_F(mailbox, a_region_a_fork_still_maps_is_not_reused)
{
	unsigned long long hits = stat_of("total_ool_cache_hits");
	unsigned char *src = map(2 * PG), *p;
	pid_t pid;
	int go;

	pin_to_this_cpu();
	ASSERT_NE(NULL, src);
	p = pass(_metadata, self, src, 2 * PG, 1);
	pid = fork_watching(p, 2 * PG, 1, &go);
	ASSERT_LE(0, pid);
	ASSERT_EQ(0, munmap(p, 2 * PG));
	p = pass(_metadata, self, src, 2 * PG, 2);
	EXPECT_EQ(hits, stat_of("total_ool_cache_hits"));
	EXPECT_TRUE(watched(pid, go));
	munmap(p, 2 * PG);
	munmap(src, 2 * PG);
}

TEST_F(mailbox, pages_a_pipe_still_holds_are_not_written_over)
{
	unsigned long long hits = stat_of("total_ool_cache_hits");
	unsigned char *src = map(2 * PG), *p, *back = map(2 * PG);
	struct iovec iov;
	int fds[2];

	pin_to_this_cpu();
	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, back);
	ASSERT_EQ(0, pipe(fds));
	p = pass(_metadata, self, src, 2 * PG, 1);
	/* The pipe takes references on the file's pages themselves. */
	iov.iov_base = p;
	iov.iov_len = 2 * PG;
	ASSERT_EQ(2 * PG, vmsplice(fds[1], &iov, 1, 0));
	ASSERT_EQ(0, munmap(p, 2 * PG));
	/* The file is idle, its pages are not: a new file is used. */
	p = pass(_metadata, self, src, 2 * PG, 2);
	EXPECT_EQ(hits, stat_of("total_ool_cache_hits"));
	ASSERT_EQ(2 * PG, read(fds[0], back, 2 * PG));
	EXPECT_TRUE(same(back, 2 * PG, 1));
	close(fds[0]);
	close(fds[1]);
	munmap(p, 2 * PG);
	munmap(back, 2 * PG);
	munmap(src, 2 * PG);
}

TEST_F(mailbox, a_failed_send_into_a_reused_region_keeps_nothing)
{
	unsigned long long hits = stat_of("total_ool_cache_hits");
	unsigned char *src = map(2 * PG), *p;
	__u32 status;

	pin_to_this_cpu();
	ASSERT_NE(NULL, src);
	p = pass(_metadata, self, src, 2 * PG, 1);
	ASSERT_EQ(0, munmap(p, 2 * PG));
	/* The second page unreadable: fails after writing the first. */
	ASSERT_EQ(0, mprotect(src + PG, PG, PROT_NONE));
	EXPECT_EQ(EFAULT, send_one(self, src, 2 * PG, 0, &status));
	EXPECT_EQ(MAILBOX_SEND_INVALID_DATA, status);
	EXPECT_EQ(0, ool_bytes());
	EXPECT_EQ(0, stat_of("ool_cache_files"));
	EXPECT_EQ(hits, stat_of("total_ool_cache_hits"));
	EXPECT_EQ(1, mb_send_urefs(self->fd, self->sa));
	ASSERT_EQ(0, mprotect(src + PG, PG, PROT_READ | PROT_WRITE));
	p = pass(_metadata, self, src, 2 * PG, 2);
	munmap(p, 2 * PG);
	munmap(src, 2 * PG);
}

/* Run every shrinker (vm.drop_caches = 2); false if not allowed. */
static bool drop_slab_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, "2", 1) == 1;
	close(fd);
	return ok;
}

TEST_F(mailbox, reclaim_drops_the_idle_cached_files_and_keeps_the_mapped_ones)
{
	unsigned char *src = map(3 * PG), *p;

	ASSERT_NE(NULL, src);
	pin_to_this_cpu();
	p = pass(_metadata, self, src, 2 * PG, 1);
	ASSERT_EQ(0, munmap(p, 2 * PG));
	/* Still mapped by the receiver: in the cache, not idle. */
	p = pass(_metadata, self, src, 3 * PG, 2);
	EXPECT_EQ(2, stat_of("ool_cache_files"));
	if (!drop_slab_caches())
		SKIP(munmap(p, 3 * PG); munmap(src, 3 * PG); return,
		     "cannot write /proc/sys/vm/drop_caches");
	EXPECT_EQ(1, stat_of("ool_cache_files"));
	EXPECT_TRUE(same(p, 3 * PG, 2));
	ASSERT_EQ(0, munmap(p, 3 * PG));
	ASSERT_TRUE(drop_slab_caches());
	EXPECT_EQ(0, stat_of("ool_cache_files"));
	/* The cache works on. */
	p = pass(_metadata, self, src, 3 * PG, 3);
	EXPECT_EQ(1, stat_of("ool_cache_files"));
	munmap(p, 3 * PG);
	munmap(src, 3 * PG);
}

/* Kilobytes of @field (an smaps line) in the mapping that holds @p. */
static long smaps_kb(const void *p, const char *field)
{
	unsigned long lo, hi, a = (uintptr_t)p;
	char line[256];
	bool in = false;
	long kb = -1;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in = a >= lo && a < hi;
			continue;
		}
		if (in && !strncmp(line, field, strlen(field)))
			sscanf(line + strlen(field), " %ld", &kb);
	}
	fclose(f);
	return kb;
}

TEST_F(mailbox, a_region_of_2_mib_or_more_is_mapped_with_huge_pages_where_thp_exists)
{
	const __u32 len = 4 << 20;
	unsigned char *src = map(len), *p;

	ASSERT_NE(NULL, src);
	if (access("/sys/kernel/mm/transparent_hugepage/shmem_enabled", F_OK))
		SKIP(munmap(src, len); return, "kernel without transparent huge pages");
	p = pass(_metadata, self, src, len, 1);
	EXPECT_EQ(0, (uintptr_t)p % (2 << 20));
	EXPECT_EQ(len >> 10, smaps_kb(p, "ShmemPmdMapped:"));
	munmap(p, len);
	munmap(src, len);
}

/*
 * ---- buffers moved instead of copied (module/ool_move.c) ----
 * A move needs the buffer's pages held by nothing but the page cache; a
 * page another CPU activated may sit in that CPU's LRU batch with a
 * reference for a while, which makes the send copy. The tests that expect
 * a move run on one CPU (the module empties that CPU's batches).
 */

/* A new out-of-line buffer of @len bytes: mmap(MAP_SHARED) of the device. */
static unsigned char *buffer(int fd, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* The permissions field ("rw-s") of the /proc/self/maps line holding @p. */
static bool perms_of(const void *p, char perms[5])
{
	unsigned long lo, hi, a = (uintptr_t)p;
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 &&
			a >= lo && a < hi;
	fclose(f);
	return found;
}

/* A sends @len bytes at @src with deallocate; B's mapping of them. */
static unsigned char *give(struct __test_metadata *_metadata,
			   FIXTURE_DATA(mailbox) *self, void *src, __u32 len)
{
	static struct mb_cmsg r;
	__u32 status;

	EXPECT_EQ(0, send_one(self, src, len, 1, &status));
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, status);
	EXPECT_EQ(0, recv_one(self, &r, 0, NULL, &status));
	EXPECT_EQ(len, ool_at(r.buf, 0)->size);
	return (unsigned char *)(uintptr_t)ool_at(r.buf, 0)->address;
}

TEST_F(mailbox, a_buffer_given_away_is_moved_and_the_receiver_can_move_it_on)
{
	unsigned long long moves = stat_of("total_ool_moves");
	const __u32 len = 5 * PG;
	unsigned char *buf = buffer(self->fd, len), *p, *q;
	static struct mb_cmsg m, r;
	__u32 pa, sb, status;
	char perms[5];

	pin_to_this_cpu();

	ASSERT_NE(NULL, buf);
	/* A new buffer reads as zeros. */
	EXPECT_TRUE(zero(buf, 0, len));
	fill(buf, len, 3);
	ASSERT_EQ(0, send_one(self, buf, len, 1, &status));
	EXPECT_EQ(moves + 1, stat_of("total_ool_moves"));
	/* Gone from the sender, placeholder and all (before B maps there). */
	EXPECT_FALSE(mapped(buf, len));
	EXPECT_EQ(len, ool_bytes());
	ASSERT_EQ(0, recv_one(self, &r, 0, NULL, &status));
	p = (unsigned char *)(uintptr_t)ool_at(r.buf, 0)->address;
	ASSERT_NE(NULL, p);
	EXPECT_TRUE(same(p, len, 3));
	/* The receiver's own, shared mapping of the same file. */
	ASSERT_TRUE(perms_of(p, perms));
	EXPECT_STREQ("rw-s", perms);
	EXPECT_EQ(0, ool_bytes());

	/* B moves it on to a port of A, changed: no copy at this hop either. */
	memset(p, 0x42, PG);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &pa));
	ASSERT_EQ(0, mb_give_send(self->fd, self->fd2, pa, &sb));
	mb_cmsg_init(&m, sb, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 78);
	cmsg_ool(&m, p, len, 1);
	ASSERT_EQ(0, mb_cmsg_send(self->fd2, &m, &status));
	EXPECT_EQ(moves + 2, stat_of("total_ool_moves"));
	EXPECT_FALSE(mapped(p, len));
	memset(&r, 0, sizeof(r));
	ASSERT_EQ(0, mb_recv_now(self->fd, pa, r.buf, sizeof(r.buf), 0, NULL,
				 &status));
	q = (unsigned char *)(uintptr_t)ool_at(r.buf, 0)->address;
	ASSERT_NE(NULL, q);
	EXPECT_EQ(0x42, q[0]);
	EXPECT_EQ(0x42, q[PG - 1]);
	EXPECT_TRUE(same(q + PG, len - PG, 3 + PG * 131));
	EXPECT_EQ(0, munmap(q, len));
}

TEST_F(mailbox, a_large_buffer_is_2_mib_aligned_and_moved_whole)
{
	unsigned long long moves = stat_of("total_ool_moves");
	const __u32 len = 8 << 20;
	unsigned char *buf = buffer(self->fd, len), *p;

	pin_to_this_cpu();

	ASSERT_NE(NULL, buf);
	EXPECT_EQ(0, (uintptr_t)buf % (2 << 20));
	fill(buf, len, 4);
	p = give(_metadata, self, buf, len);
	EXPECT_EQ(moves + 1, stat_of("total_ool_moves"));
	ASSERT_NE(NULL, p);
	EXPECT_TRUE(same(p, len, 4));
	munmap(p, len);
}

TEST_F(mailbox, a_buffer_sent_with_fewer_bytes_in_as_many_pages_is_moved)
{
	unsigned long long moves = stat_of("total_ool_moves");
	unsigned char *buf = buffer(self->fd, 2 * PG), *p;

	pin_to_this_cpu();

	ASSERT_NE(NULL, buf);
	fill(buf, 2 * PG, 5);
	p = give(_metadata, self, buf, PG + 1);
	EXPECT_EQ(moves + 1, stat_of("total_ool_moves"));
	ASSERT_NE(NULL, p);
	EXPECT_TRUE(same(p, PG + 1, 5));
	munmap(p, 2 * PG);
}

/* Sent with deallocate but copied: right bytes, no move counted. */
static void copied(struct __test_metadata *_metadata,
		   FIXTURE_DATA(mailbox) *self, unsigned char *src, __u32 len,
		   unsigned int seed)
{
	unsigned long long moves = stat_of("total_ool_moves");
	unsigned char *p;
	char perms[5];

	fill(src, len, seed);
	p = give(_metadata, self, src, len);
	EXPECT_EQ(moves, stat_of("total_ool_moves"));
	ASSERT_NE(NULL, p);
	EXPECT_TRUE(same(p, len, seed));
	ASSERT_TRUE(perms_of(p, perms));
	EXPECT_STREQ("rw-p", perms);
	munmap(p, (len + PG - 1) & ~(PG - 1));
}

TEST_F(mailbox, anonymous_memory_part_of_a_buffer_or_a_physical_copy_is_copied)
{
	unsigned char *anon = map(2 * PG), *buf = buffer(self->fd, 4 * PG);
	unsigned long long moves = stat_of("total_ool_moves");
	static struct mb_cmsg m, r;
	__u32 status;

	ASSERT_NE(NULL, anon);
	ASSERT_NE(NULL, buf);
	copied(_metadata, self, anon, 2 * PG, 6);
	EXPECT_FALSE(mapped(anon, 2 * PG));
	/* The buffer's first pages, its last ones, fewer pages than it has. */
	copied(_metadata, self, buf, 2 * PG, 7);
	EXPECT_FALSE(mapped(buf, 2 * PG));
	EXPECT_TRUE(mapped(buf + 2 * PG, 2 * PG));
	copied(_metadata, self, buf + 2 * PG, 2 * PG, 8);
	EXPECT_FALSE(mapped(buf + 2 * PG, 2 * PG));

	/* MAILBOX_PHYSICAL_COPY asks for a copy. */
	buf = buffer(self->fd, 2 * PG);
	ASSERT_NE(NULL, buf);
	fill(buf, 2 * PG, 9);
	mb_cmsg_init(&m, self->sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 77);
	cmsg_ool(&m, buf, 2 * PG, 1)->copy = MAILBOX_PHYSICAL_COPY;
	ASSERT_EQ(0, mb_cmsg_send(self->fd, &m, &status));
	EXPECT_EQ(moves, stat_of("total_ool_moves"));
	EXPECT_FALSE(mapped(buf, 2 * PG));
	ASSERT_EQ(0, recv_one(self, &r, 0, NULL, &status));
	EXPECT_TRUE(same((void *)(uintptr_t)ool_at(r.buf, 0)->address, 2 * PG, 9));
	munmap((void *)(uintptr_t)ool_at(r.buf, 0)->address, 2 * PG);

	/* Without deallocate the sender keeps it: copied. */
	buf = buffer(self->fd, 2 * PG);
	ASSERT_NE(NULL, buf);
	fill(buf, 2 * PG, 10);
	ASSERT_EQ(0, send_one(self, buf, 2 * PG, 0, &status));
	EXPECT_EQ(moves, stat_of("total_ool_moves"));
	memset(buf, 0, 2 * PG);
	ASSERT_EQ(0, recv_one(self, &r, 0, NULL, &status));
	EXPECT_TRUE(same((void *)(uintptr_t)ool_at(r.buf, 0)->address, 2 * PG, 10));
	munmap((void *)(uintptr_t)ool_at(r.buf, 0)->address, 2 * PG);
	munmap(buf, 2 * PG);
}

TEST_F(mailbox, a_buffer_a_fork_shares_is_copied_and_the_fork_keeps_its_view)
{
	unsigned char *buf = buffer(self->fd, 2 * PG);
	pid_t pid;
	int go;

	ASSERT_NE(NULL, buf);
	fill(buf, 2 * PG, 11);
	pid = fork_watching(buf, 2 * PG, 11, &go);
	ASSERT_LE(0, pid);
	copied(_metadata, self, buf, 2 * PG, 11);
	EXPECT_FALSE(mapped(buf, 2 * PG));
	EXPECT_TRUE(watched(pid, go));
}

TEST_F(mailbox, a_buffer_whose_pages_a_pipe_holds_is_copied)
{
	unsigned char *buf = buffer(self->fd, 2 * PG), *back = map(2 * PG);
	struct iovec iov;
	int fds[2];

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, back);
	ASSERT_EQ(0, pipe(fds));
	fill(buf, 2 * PG, 12);
	/* The pipe takes references on the buffer's pages themselves. */
	iov.iov_base = buf;
	iov.iov_len = 2 * PG;
	ASSERT_EQ(2 * PG, vmsplice(fds[1], &iov, 1, 0));
	copied(_metadata, self, buf, 2 * PG, 12);
	/* What the pipe holds is still the sender's, and only its. */
	ASSERT_EQ(2 * PG, read(fds[0], back, 2 * PG));
	EXPECT_TRUE(same(back, 2 * PG, 12));
	close(fds[0]);
	close(fds[1]);
	munmap(back, 2 * PG);
}

TEST_F(mailbox, a_failed_send_gives_the_buffer_back_where_it_was)
{
	unsigned long long moves = stat_of("total_ool_moves");
	unsigned char *buf = buffer(self->fd, 3 * PG), *p;
	unsigned char *anon = map(PG);
	static struct mb_cmsg m;
	char perms[5];
	__u32 status;

	pin_to_this_cpu();

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, anon);
	fill(buf, 3 * PG, 13);
	ASSERT_EQ(0, mb_set_qlimit(self->fd2, self->pb, 1));
	ASSERT_EQ(0, send_one(self, anon, PG, 0, &status));
	/* Full queue, SEND_TIMEOUT 0: fails after the buffer was taken. */
	EXPECT_EQ(EAGAIN, send_one(self, buf, 3 * PG, 1, &status));
	EXPECT_EQ(MAILBOX_SEND_TIMED_OUT, status);
	EXPECT_EQ(moves, stat_of("total_ool_moves"));
	ASSERT_TRUE(mapped(buf, 3 * PG));
	EXPECT_TRUE(same(buf, 3 * PG, 13));
	ASSERT_TRUE(perms_of(buf, perms));
	EXPECT_STREQ("rw-s", perms);
	EXPECT_EQ(PG, ool_bytes());

	/* Taken, then a later descriptor is unreadable: back again. */
	ASSERT_EQ(0, mb_set_qlimit(self->fd2, self->pb, 5));
	ASSERT_EQ(0, mprotect(anon, PG, PROT_NONE));
	mb_cmsg_init(&m, self->sa, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 77);
	cmsg_ool(&m, buf, 3 * PG, 1);
	cmsg_ool(&m, anon, PG, 0);
	EXPECT_EQ(EFAULT, mb_cmsg_send(self->fd, &m, &status));
	EXPECT_EQ(MAILBOX_SEND_INVALID_DATA, status);
	EXPECT_EQ(moves, stat_of("total_ool_moves"));
	ASSERT_TRUE(mapped(buf, 3 * PG));
	EXPECT_TRUE(same(buf, 3 * PG, 13));
	EXPECT_EQ(PG, ool_bytes());
	EXPECT_EQ(1, mb_send_urefs(self->fd, self->sa));

	/* Still a buffer: it moves once there is room. */
	ASSERT_EQ(0, recv_one(self, &m, 0, NULL, &status));
	munmap((void *)(uintptr_t)ool_at(m.buf, 0)->address, PG);
	p = give(_metadata, self, buf, 3 * PG);
	EXPECT_EQ(moves + 1, stat_of("total_ool_moves"));
	ASSERT_NE(NULL, p);
	EXPECT_TRUE(same(p, 3 * PG, 13));
	munmap(p, 3 * PG);
	munmap(anon, PG);
}

TEST_F(mailbox, a_queued_moved_buffer_dies_with_its_port)
{
	unsigned char *buf = buffer(self->fd, 4 * PG);
	__u32 status;

	ASSERT_NE(NULL, buf);
	fill(buf, 4 * PG, 14);
	ASSERT_EQ(0, send_one(self, buf, 4 * PG, 1, &status));
	EXPECT_EQ(4 * PG, ool_bytes());
	EXPECT_EQ(0, mb_mod_refs(self->fd2, self->pb, MAILBOX_RIGHT_RECEIVE, -1));
	EXPECT_EQ(0, ool_bytes());
}

TEST_F(mailbox, a_buffer_mapping_must_be_shared_at_offset_0_and_at_most_64_mib)
{
	void *p;

	p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, self->fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, PG);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, MAILBOX_OOL_MAX + PG, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, MAILBOX_OOL_MAX, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, munmap(p, MAILBOX_OOL_MAX));
}

TEST_F(mailbox, version_reports_ool_and_iov)
{
	struct mailbox_version v;

	ASSERT_EQ(0, mb_version(self->fd, &v));
	EXPECT_NE(0, v.features & MAILBOX_FEATURE_OOL);
	EXPECT_NE(0, v.features & MAILBOX_FEATURE_IOV);
	EXPECT_NE(0, v.features & MAILBOX_FEATURE_OOL_MOVE);
}

TEST(counters_are_back_to_zero)
{
	char bad[256];

	ASSERT_EQ(0, mb_counters_zero(bad, sizeof(bad))) TH_LOG("%s", bad);
}

TEST_HARNESS_MAIN
