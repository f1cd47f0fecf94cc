// SPDX-License-Identifier: GPL-2.0
/*
 * The message fast path (Documentation/benchmarks.rst, issue 7): a removed
 * name's index is reused with the next generation and never with a wrapped
 * one, an RPC server's reply names never repeat, and a plain message
 * received without the fault-in round still loses nothing on a fault, not
 * even the name of its reply right.
 */
#include "mailbox_test.h"

#include <sys/mman.h>

#include "kselftest_harness.h"

FIXTURE(mailbox) {
	int fd;
};

FIXTURE_SETUP(mailbox)
{
	self->fd = mb_open();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MB_DEVICE, strerror(errno));
}

FIXTURE_TEARDOWN(mailbox)
{
	if (self->fd >= 0)
		close(self->fd);
}

#define INDEX(n)	((n) >> 8)
#define GEN(n)		((n) & 0xff)

/* The number of names in @fd's space (count 0 asks for it: ENOSPC). */
static long name_count(int fd)
{
	struct mailbox_port_names pn = { .count = 0 };
	int err = mb_ioctl(fd, MAILBOX_IOC_PORT_NAMES, &pn);

	if (err && err != ENOSPC)
		return -1;
	return pn.count;
}

TEST_F(mailbox, removed_name_comes_back_with_the_next_generation)
{
	__u32 keep, old, n;

	/* A name that stays, so the index below is not the only one. */
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &keep));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &old));
	ASSERT_EQ(0, mb_destroy(self->fd, old));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &n));
	EXPECT_EQ(INDEX(old), INDEX(n));
	EXPECT_EQ(GEN(old) + 1, GEN(n));
	EXPECT_EQ(ENOENT, mb_type(self->fd, old, NULL));
	EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE, mb_type_bits(self->fd, n));
	EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE, mb_type_bits(self->fd, keep));
}

TEST_F(mailbox, reused_index_is_left_before_its_generation_wraps)
{
	__u32 names[300], first;
	int i, j;

	ASSERT_EQ(0, mb_allocate(self->fd, MAILBOX_RIGHT_DEAD_NAME, &first));
	names[0] = first;
	for (i = 1; i < 300; i++) {
		ASSERT_EQ(0, mb_deallocate(self->fd, names[i - 1]));
		ASSERT_EQ(0, mb_allocate(self->fd, MAILBOX_RIGHT_DEAD_NAME,
					 &names[i]));
		/* Same index, next generation, until generation 0xff. */
		if (GEN(names[i - 1]) < 0xff) {
			ASSERT_EQ(INDEX(names[i - 1]), INDEX(names[i]));
			ASSERT_EQ(GEN(names[i - 1]) + 1, GEN(names[i]));
		} else {
			ASSERT_NE(INDEX(names[i - 1]), INDEX(names[i]));
		}
	}
	/* The index was left at 0xff: it is not named again so soon. */
	EXPECT_NE(INDEX(first), INDEX(names[299]));
	for (i = 0; i < 300; i++)
		for (j = i + 1; j < 300; j++)
			ASSERT_NE(names[i], names[j]);
}

/*
 * A removed name kept for reuse keeps its index reserved: INSERT_RIGHT may
 * still choose a name with that index (the reservation gives way), and the
 * index is then not handed out a second time.
 */
TEST_F(mailbox, a_name_chosen_over_a_reserved_index_takes_it)
{
	__u32 keep, old, chosen, n;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &keep));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &old));
	ASSERT_EQ(0, mb_destroy(self->fd, old));
	chosen = (INDEX(old) << 8) | 0x42;
	n = chosen;
	ASSERT_EQ(0, mb_insert(self->fd, MAILBOX_SPACE_SELF, &n, keep,
			       MAILBOX_MSG_TYPE_MAKE_SEND_ONCE));
	ASSERT_EQ(chosen, n);
	EXPECT_EQ(MAILBOX_PORT_TYPE_SEND_ONCE, mb_type_bits(self->fd, chosen));
	/* The next name is a new index, not the one just taken. */
	ASSERT_EQ(0, mb_allocate(self->fd, MAILBOX_RIGHT_DEAD_NAME, &n));
	EXPECT_NE(INDEX(old), INDEX(n));
	EXPECT_EQ(3, name_count(self->fd));
	/* A taken index stays taken. */
	n = (INDEX(old) << 8) | 0x43;
	EXPECT_EQ(EEXIST, mb_insert(self->fd, MAILBOX_SPACE_SELF, &n, keep,
				    MAILBOX_MSG_TYPE_MAKE_SEND_ONCE));
	EXPECT_EQ(0, mb_deallocate(self->fd, chosen));
}

/* Lines of @text containing @what. */
static int count_lines(const char *text, const char *what)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

/*
 * Regression: a removed name kept for reuse was erased from the xarray, so
 * when it was alone in its xarray node (an RPC server's reply name once the
 * cyclic allocator had passed index 63) every name made and removed
 * allocated a node and freed it through RCU. Counted with the
 * kmem_cache_alloc tracepoint (the node comes from xas_alloc()).
 */
TEST_F(mailbox, reused_name_alone_in_its_node_allocates_no_node)
{
	enum { N = 70, ROUNDS = 100 };
	char filter[64], path[256], *text;
	const char *tr = tracefs();
	__u32 names[N], n;
	int i, allocs;

	if (!tr)
		SKIP(return, "no tracefs (kernel without CONFIG_TRACING)");
	snprintf(path, sizeof(path), "%s/events/kmem/kmem_cache_alloc/enable", tr);
	if (access(path, W_OK))
		SKIP(return, "no kmem_cache_alloc tracepoint");

	/* Indices 1..70; the last four removed (70..67) are kept for reuse. */
	for (i = 0; i < N; i++)
		ASSERT_EQ(0, mb_allocate(self->fd, MAILBOX_RIGHT_DEAD_NAME,
					 &names[i]));
	ASSERT_EQ(N, INDEX(names[N - 1]));
	for (i = N - 1; i > 0; i--)
		ASSERT_EQ(0, mb_deallocate(self->fd, names[i]));

	snprintf(filter, sizeof(filter), "common_pid == %d", getpid());
	ASSERT_EQ(0, write_file(tr, "events/kmem/kmem_cache_alloc/filter", filter));
	ASSERT_EQ(0, write_file(tr, "trace", ""));
	ASSERT_EQ(0, write_file(tr, "events/kmem/kmem_cache_alloc/enable", "1"));
	ASSERT_EQ(0, write_file(tr, "tracing_on", "1"));
	for (i = 0; i < ROUNDS; i++) {
		ASSERT_EQ(0, mb_allocate(self->fd, MAILBOX_RIGHT_DEAD_NAME, &n));
		ASSERT_LE(64, INDEX(n));	/* in the node of 64..127 */
		ASSERT_EQ(0, mb_deallocate(self->fd, n));
	}
	write_file(tr, "events/kmem/kmem_cache_alloc/enable", "0");
	write_file(tr, "events/kmem/kmem_cache_alloc/filter", "0");
	text = slurp(strcat(strcpy(path, tr), "/trace"));
	ASSERT_NE(NULL, text);
	allocs = count_lines(text, "call_site=xas_alloc");
	EXPECT_GT(5, allocs) TH_LOG("%d xarray nodes allocated in %d rounds",
				    allocs, ROUNDS);
	free(text);
	write_file(tr, "trace", "");
	EXPECT_EQ(1, name_count(self->fd));
}

struct req {
	struct mailbox_msg_header h;
	__u32 seq;
	__u32 pad;
};

/* A server's reply name is new for every call, within one space too. */
TEST_F(mailbox, rpc_reply_names_do_not_repeat)
{
	enum { CALLS = 600 };
	static __u32 seen[CALLS];
	__u32 svc, reply, size;
	struct req q, r;
	int i, j;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &svc));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &reply));
	for (i = 0; i < CALLS; i++) {
		mb_header(&q.h, svc, MAILBOX_MSG_TYPE_MAKE_SEND, reply,
			  MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, 1);
		q.seq = i;
		ASSERT_EQ(0, mb_send(self->fd, &q, sizeof(q), 0, 0, NULL));
		size = sizeof(r);
		ASSERT_EQ(0, mb_recv(self->fd, svc, &r, &size, 0, 0, NULL));
		ASSERT_EQ(i, r.seq);
		seen[i] = r.h.remote_port;
		ASSERT_EQ(MAILBOX_PORT_TYPE_SEND_ONCE,
			  mb_type_bits(self->fd, seen[i]));
		/* Reply: the send-once name goes away. */
		mb_header(&q.h, seen[i], MAILBOX_MSG_TYPE_MOVE_SEND_ONCE, 0, 0, 2);
		ASSERT_EQ(0, mb_send(self->fd, &q, sizeof(q), 0, 0, NULL));
		size = sizeof(r);
		ASSERT_EQ(0, mb_recv(self->fd, reply, &r, &size, 0, 0, NULL));
		ASSERT_EQ(2, r.h.id);
		ASSERT_EQ(ENOENT, mb_type(self->fd, seen[i], NULL));
	}
	for (i = 0; i < CALLS; i++)
		for (j = i + 1; j < CALLS; j++)
			ASSERT_NE(seen[i], seen[j]) TH_LOG("calls %d and %d", i, j);
	EXPECT_EQ(2, name_count(self->fd));
}

/*
 * Regression: a plain message is taken without faulting the buffer in, so
 * its body may land in a writable page while its header cannot. The
 * receive must fail with the message kept and its reply right not named.
 */
TEST_F(mailbox, header_fault_keeps_a_plain_message_and_names_no_reply)
{
	struct mailbox_msg m = { 0 };
	__u32 port, reply, size;
	struct req q, r;
	long names;
	char *map;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &reply));
	mb_header(&q.h, port, MAILBOX_MSG_TYPE_MAKE_SEND, reply,
		  MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, 55);
	q.seq = 0x1234;
	ASSERT_EQ(0, mb_send(self->fd, &q, sizeof(q), 0, 0, NULL));
	names = name_count(self->fd);
	ASSERT_EQ(2, names);

	map = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, mprotect(map, 4096, PROT_READ));
	/* Header from 8 bytes before the writable page; the body after it. */
	m.rcv_msg = (uintptr_t)(map + 4096 - 8);
	m.rcv_size = sizeof(r);
	m.rcv_name = port;
	m.options = MAILBOX_MSG_RCV | MAILBOX_MSG_RCV_TIMEOUT;
	m.status = MB_PATTERN32;
	EXPECT_EQ(EFAULT, mb_msg(self->fd, &m));
	EXPECT_EQ(MAILBOX_RCV_INVALID_DATA, m.status);
	EXPECT_EQ(1, mb_msgcount(self->fd, port));
	EXPECT_EQ(names, name_count(self->fd));
	EXPECT_EQ(1, mb_sorights(self->fd, reply));
	munmap(map, 8192);

	size = sizeof(r);
	ASSERT_EQ(0, mb_recv(self->fd, port, &r, &size, 0, 0, NULL));
	EXPECT_EQ(55, r.h.id);
	EXPECT_EQ(0x1234, r.seq);
	EXPECT_EQ(MAILBOX_PORT_TYPE_SEND_ONCE, mb_type_bits(self->fd, r.h.remote_port));
	EXPECT_EQ(names + 1, name_count(self->fd));
}

/* A reply (no right to name) is received whole, trailer included. */
TEST_F(mailbox, plain_message_without_rights_is_received_whole)
{
	struct {
		struct req q;
		struct mailbox_msg_trailer t;
	} r;
	__u32 port, size = sizeof(r);
	struct req q;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	mb_header(&q.h, port, MAILBOX_MSG_TYPE_MAKE_SEND, 0, 0, 9);
	q.seq = 0xabcd;
	q.pad = 0x5a5a;
	ASSERT_EQ(0, mb_send(self->fd, &q, sizeof(q), 0, 0, NULL));
	ASSERT_EQ(0, mb_recv(self->fd, port, &r, &size,
			     MAILBOX_MSG_RCV_TRAILER, 0, NULL));
	EXPECT_EQ(sizeof(r), size);
	EXPECT_EQ(9, r.q.h.id);
	EXPECT_EQ(sizeof(q), r.q.h.size);
	EXPECT_EQ(port, r.q.h.local_port);
	EXPECT_EQ(MAILBOX_PORT_NULL, r.q.h.remote_port);
	EXPECT_EQ(0xabcd, r.q.seq);
	EXPECT_EQ(0x5a5a, r.q.pad);
	EXPECT_EQ(getpid(), r.t.sender_pid);
	EXPECT_EQ(0, r.t.seqno);
	EXPECT_EQ(1, name_count(self->fd));
}

TEST_HARNESS_MAIN
