// SPDX-License-Identifier: GPL-2.0
/*
 * Several processes: a space shared by fork, two spaces joined by
 * insert_right before fork, RPC round trips with a send-once reply, the
 * client or the server dying mid-conversation, and a 100 000-message FIFO
 * check with four sender processes. Children report through their exit
 * code (CHILD_CHECK); they never use the harness.
 */
#include "mailbox_test.h"

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

struct rpc_msg {
	struct mailbox_msg_header h;
	__u32 a;
	__u32 b;
};

struct rpc_rcv {
	struct mailbox_msg_header h;
	__u32 a;
	__u32 b;
	struct mailbox_msg_trailer t;
};

static int recv_rpc(int fd, __u32 port, struct rpc_rcv *r, __u64 timeout)
{
	__u32 size = sizeof(*r);

	return mb_recv(fd, port, r, &size,
		       MAILBOX_MSG_RCV_TRAILER | MAILBOX_MSG_RCV_TIMEOUT, timeout, NULL);
}

#define SEC	(1000 * MB_MSEC)

TEST_F(mailbox, child_sends_through_the_space_shared_by_fork)
{
	struct rpc_rcv r;
	__u32 port;
	pid_t pid;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	ASSERT_EQ(0, mb_make_send(self->fd, port));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct rpc_msg m;

		mb_child_init();
		mb_header(&m.h, port, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1);
		m.a = 0xabcd;
		m.b = getpid();
		CHILD_CHECK(mb_send(self->fd, &m, sizeof(m), 0, 0, NULL) == 0);
		_exit(0);
	}
	ASSERT_EQ(0, recv_rpc(self->fd, port, &r, 10 * SEC));
	ASSERT_EQ(0, mb_wait_child(pid));
	EXPECT_EQ(0xabcd, r.a);
	EXPECT_EQ(pid, r.b);
	EXPECT_EQ(pid, r.t.sender_pid);
	/* The child's exit did not close the shared space. */
	EXPECT_EQ(1, mb_send_urefs(self->fd, port));
}

TEST_F(mailbox, child_with_its_own_space_sends_through_an_inserted_right)
{
	struct rpc_rcv r;
	__u32 port, s;
	pid_t pid;
	int cfd;

	cfd = mb_open();
	ASSERT_LE(0, cfd);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	ASSERT_EQ(0, mb_give_send(self->fd, cfd, port, &s));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct rpc_msg m;

		mb_child_init();
		close(self->fd);
		CHILD_CHECK(mb_type_bits(cfd, s) == MAILBOX_PORT_TYPE_SEND);
		mb_header(&m.h, s, MAILBOX_MSG_TYPE_MOVE_SEND, 0, 0, 2);
		m.a = 7;
		m.b = 8;
		CHILD_CHECK(mb_send(cfd, &m, sizeof(m), 0, 0, NULL) == 0);
		CHILD_CHECK(mb_type(cfd, s, NULL) == ENOENT);
		_exit(0);
	}
	close(cfd);
	ASSERT_EQ(0, recv_rpc(self->fd, port, &r, 10 * SEC));
	ASSERT_EQ(0, mb_wait_child(pid));
	EXPECT_EQ(2, r.h.id);
	EXPECT_EQ(7, r.a);
	EXPECT_EQ(pid, r.t.sender_pid);
	/* The child's space is gone, and with it every send right. */
	EXPECT_EQ(0, mb_has_senders(self->fd, port));
}

/*
 * A server child owning space S with port srv; the client (the test) owns
 * space C with a send right to srv. The server answers each request on its
 * send-once reply right with id + 1000 and a + b.
 */
static pid_t start_server(int sfd, int cfd, __u32 srv, int requests)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	mb_child_init();
	close(cfd);
	for (int i = 0; i < requests; i++) {
		struct rpc_rcv r;
		struct rpc_msg m;
		__u32 size = sizeof(r), status;

		CHILD_CHECK(mb_recv(sfd, srv, &r, &size, MAILBOX_MSG_RCV_TRAILER, 0, NULL) == 0);
		CHILD_CHECK(MAILBOX_MSGH_REMOTE(r.h.bits) == MAILBOX_MSG_TYPE_PORT_SEND_ONCE);
		CHILD_CHECK(mb_type_bits(sfd, r.h.remote_port) == MAILBOX_PORT_TYPE_SEND_ONCE);
		CHILD_CHECK(r.t.seqno == (__u32)i);
		mb_header(&m.h, r.h.remote_port, MAILBOX_MSG_TYPE_MOVE_SEND_ONCE, 0, 0,
			  r.h.id + 1000);
		m.a = r.a + r.b;
		m.b = r.t.sender_pid;
		CHILD_CHECK(mb_send(sfd, &m, sizeof(m), 0, 0, &status) == 0);
		CHILD_CHECK(mb_type(sfd, r.h.remote_port, NULL) == ENOENT);
	}
	_exit(0);
}

TEST_F(mailbox, rpc_round_trips_with_send_and_receive_in_one_call)
{
	struct mailbox_port_attr a;
	__u32 srv, s, reply;
	pid_t pid;
	int sfd, i;

	sfd = mb_open();
	ASSERT_LE(0, sfd);
	ASSERT_EQ(0, mb_alloc_receive(sfd, &srv));
	ASSERT_EQ(0, mb_give_send(sfd, self->fd, srv, &s));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &reply));
	pid = start_server(sfd, self->fd, srv, 1000);
	ASSERT_LE(0, pid);
	close(sfd);

	for (i = 0; i < 1000; i++) {
		struct rpc_msg m;
		struct rpc_rcv r;
		struct mailbox_msg arg;

		mb_header(&m.h, s, MAILBOX_MSG_TYPE_COPY_SEND, reply,
			  MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, i);
		m.a = i;
		m.b = 3 * i;
		memset(&r, MB_PATTERN, sizeof(r));
		arg = (struct mailbox_msg) {
			.send_msg = (uintptr_t)&m,
			.rcv_msg = (uintptr_t)&r,
			.options = MAILBOX_MSG_SEND | MAILBOX_MSG_RCV | MAILBOX_MSG_RCV_TRAILER |
				   MAILBOX_MSG_RCV_TIMEOUT,
			.rcv_timeout = 10 * SEC,
			.send_size = sizeof(m),
			.rcv_size = sizeof(r),
			.rcv_name = reply,
			.status = MB_PATTERN32,
		};
		ASSERT_EQ(0, mb_msg(self->fd, &arg)) TH_LOG("round trip %d", i);
		ASSERT_EQ(MAILBOX_MSG_SUCCESS, arg.status);
		ASSERT_EQ(sizeof(struct rpc_msg) + MB_TRAILER_SIZE, arg.rcv_size);
		ASSERT_EQ(i + 1000, r.h.id);
		ASSERT_EQ(4 * i, r.a);
		ASSERT_EQ(getpid(), r.b);
		ASSERT_EQ(pid, r.t.sender_pid);
		ASSERT_EQ(MAILBOX_MSGH_BITS(0, MAILBOX_MSG_TYPE_PORT_SEND_ONCE), r.h.bits);
		ASSERT_EQ(MAILBOX_PORT_NULL, r.h.remote_port);
		ASSERT_EQ(reply, r.h.local_port);
	}
	ASSERT_EQ(0, mb_wait_child(pid));
	ASSERT_EQ(0, mb_get_attr(self->fd, reply, &a));
	EXPECT_EQ(0, a.sorights);
	EXPECT_EQ(0, a.msgcount);
	EXPECT_EQ(1000, a.seqno);
	/* The server's space died with it. */
	EXPECT_EQ(MAILBOX_PORT_TYPE_DEAD_NAME, mb_type_bits(self->fd, s));
}

TEST_F(mailbox, reply_to_a_client_that_died_fails_with_epipe)
{
	struct rpc_rcv r;
	struct mailbox_msg_header h;
	__u32 srv, s, status;
	int go[2], cfd;
	pid_t pid;
	char c;

	/* The server is the test; the client a child with its own space. */
	cfd = mb_open();
	ASSERT_LE(0, cfd);
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &srv));
	ASSERT_EQ(0, mb_give_send(self->fd, cfd, srv, &s));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct rpc_msg m;
		__u32 reply;

		mb_child_init();
		close(self->fd);
		CHILD_CHECK(mb_alloc_receive(cfd, &reply) == 0);
		mb_header(&m.h, s, MAILBOX_MSG_TYPE_COPY_SEND, reply,
			  MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, 5);
		m.a = 0;
		m.b = 0;
		CHILD_CHECK(mb_send(cfd, &m, sizeof(m), 0, 0, NULL) == 0);
		/* Die once the server has the request. */
		CHILD_CHECK(read(go[0], &c, 1) == 1);
		_exit(0);
	}
	close(cfd);
	ASSERT_EQ(0, recv_rpc(self->fd, srv, &r, 10 * SEC));
	ASSERT_EQ(MAILBOX_PORT_TYPE_SEND_ONCE, mb_type_bits(self->fd, r.h.remote_port));
	ASSERT_EQ(1, write(go[1], "x", 1));
	ASSERT_EQ(0, mb_wait_child(pid));

	mb_header(&h, r.h.remote_port, MAILBOX_MSG_TYPE_MOVE_SEND_ONCE, 0, 0, 1005);
	EXPECT_EQ(EPIPE, mb_send(self->fd, &h, sizeof(h), 0, 0, &status));
	EXPECT_EQ(MAILBOX_SEND_INVALID_DEST, status);
	/* The send-once right was not consumed: it is a dead name now. */
	EXPECT_EQ(MAILBOX_PORT_TYPE_DEAD_NAME, mb_type_bits(self->fd, r.h.remote_port));
	EXPECT_EQ(1, mb_dead_urefs(self->fd, r.h.remote_port));
	close(go[0]);
	close(go[1]);
}

TEST_F(mailbox, request_from_a_client_that_died_arrives_with_a_dead_reply)
{
	struct rpc_rcv r;
	__u32 srv, s;
	pid_t pid;
	int cfd;

	cfd = mb_open();
	ASSERT_LE(0, cfd);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &srv));
	ASSERT_EQ(0, mb_give_send(self->fd, cfd, srv, &s));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct rpc_msg m;
		__u32 reply;

		mb_child_init();
		close(self->fd);
		CHILD_CHECK(mb_alloc_receive(cfd, &reply) == 0);
		mb_header(&m.h, s, MAILBOX_MSG_TYPE_COPY_SEND, reply,
			  MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, 6);
		m.a = 0;
		m.b = 0;
		CHILD_CHECK(mb_send(cfd, &m, sizeof(m), 0, 0, NULL) == 0);
		_exit(0);
	}
	close(cfd);
	ASSERT_EQ(0, mb_wait_child(pid));
	ASSERT_EQ(0, recv_rpc(self->fd, srv, &r, 0));
	EXPECT_EQ(6, r.h.id);
	EXPECT_EQ(MAILBOX_PORT_DEAD, r.h.remote_port);
	EXPECT_EQ(srv, r.h.local_port);
	EXPECT_EQ(pid, r.t.sender_pid);
	EXPECT_EQ(0, mb_has_senders(self->fd, srv));
}

TEST_F(mailbox, death_of_the_receiver_process_wakes_blocked_senders_with_epipe)
{
	struct mb_async a[3];
	__u32 port, s;
	int rfd, go[2], i;
	pid_t pid;
	char c;

	/* The receiver child owns rfd's full port; we hold a send right. */
	rfd = mb_open();
	ASSERT_LE(0, rfd);
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, mb_alloc_receive(rfd, &port));
	ASSERT_EQ(0, mb_set_qlimit(rfd, port, 1));
	ASSERT_EQ(0, mb_give_send(rfd, self->fd, port, &s));
	ASSERT_EQ(0, mb_send_hdr(self->fd, s, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 0, NULL));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		mb_child_init();
		close(self->fd);
		CHILD_CHECK(read(go[0], &c, 1) == 1);
		_exit(0);
	}
	close(rfd);

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, mb_async_send(&a[i], self->fd, s, MAILBOX_MSG_TYPE_COPY_SEND,
					   0, 0, i + 1, 0, 0));
	mb_pause();
	for (i = 0; i < 3; i++)
		ASSERT_FALSE(mb_async_done(&a[i]));
	ASSERT_EQ(1, write(go[1], "x", 1));
	ASSERT_EQ(0, mb_wait_child(pid));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, mb_async_join(&a[i], 10));
		EXPECT_EQ(EPIPE, a[i].err);
		EXPECT_EQ(MAILBOX_SEND_INVALID_DEST, a[i].m.status);
	}
	EXPECT_EQ(MAILBOX_PORT_TYPE_DEAD_NAME, mb_type_bits(self->fd, s));
	EXPECT_EQ(1, mb_dead_urefs(self->fd, s));
	close(go[0]);
	close(go[1]);
}

#define FIFO_SENDERS	4
#define FIFO_TOTAL	100000
#define FIFO_EACH	(FIFO_TOTAL / FIFO_SENDERS)

TEST_F_TIMEOUT(mailbox, hundred_thousand_messages_keep_per_sender_order, 600)
{
	__u32 expect[FIFO_SENDERS] = { 0 };
	struct mailbox_msg_header h;
	pid_t pids[FIFO_SENDERS];
	__u32 port, size;
	int i, n;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	ASSERT_EQ(0, mb_make_send(self->fd, port));
	ASSERT_EQ(0, mb_set_qlimit(self->fd, port, 64));
	for (i = 0; i < FIFO_SENDERS; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			struct rpc_msg m;

			mb_child_init();
			for (n = 0; n < FIFO_EACH; n++) {
				mb_header(&m.h, port, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, i);
				m.a = i;
				m.b = n;
				CHILD_CHECK(mb_send(self->fd, &m, sizeof(m), 0, 0, NULL) == 0);
			}
			_exit(0);
		}
	}
	for (n = 0; n < FIFO_TOTAL; n++) {
		struct rpc_rcv r;

		ASSERT_EQ(0, recv_rpc(self->fd, port, &r, 30 * SEC)) TH_LOG("message %d", n);
		ASSERT_LT(r.a, FIFO_SENDERS);
		ASSERT_EQ(r.a, (__u32)r.h.id);
		ASSERT_EQ(expect[r.a], r.b) TH_LOG("sender %u", r.a);
		ASSERT_EQ(pids[r.a], r.t.sender_pid);
		ASSERT_EQ((__u32)n, r.t.seqno);
		expect[r.a]++;
	}
	for (i = 0; i < FIFO_SENDERS; i++) {
		EXPECT_EQ(FIFO_EACH, expect[i]);
		ASSERT_EQ(0, mb_wait_child(pids[i]));
	}
	size = sizeof(h);
	EXPECT_EQ(EAGAIN, mb_recv(self->fd, port, &h, &size, MAILBOX_MSG_RCV_TIMEOUT, 0, NULL));
}

TEST(counters_return_to_their_start_after_processes_exit)
{
	static const char *const keys[] = {
		"spaces", "ports", "entries", "messages", "message_bytes",
	};
	unsigned long long before[5], v;
	__u32 port, s;
	unsigned int i;
	int fd, cfd, tries;
	pid_t pid;

	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (mb_stat(keys[i], &before[i]))
			SKIP(return, "%s not available", MB_STATS);

	fd = mb_open();
	ASSERT_LE(0, fd);
	cfd = mb_open();
	ASSERT_LE(0, cfd);
	ASSERT_EQ(0, mb_alloc_receive(fd, &port));
	ASSERT_EQ(0, mb_give_send(fd, cfd, port, &s));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		__u32 q;

		mb_child_init();
		close(fd);
		/* Messages carrying rights, queued on a port of the parent. */
		CHILD_CHECK(mb_alloc_receive(cfd, &q) == 0);
		CHILD_CHECK(mb_send_hdr(cfd, s, MAILBOX_MSG_TYPE_COPY_SEND, q,
					MAILBOX_MSG_TYPE_MAKE_SEND, 1, NULL) == 0);
		CHILD_CHECK(mb_send_hdr(cfd, s, MAILBOX_MSG_TYPE_COPY_SEND, q,
					MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, 2, NULL) == 0);
		_exit(0);
	}
	close(cfd);
	ASSERT_EQ(0, mb_wait_child(pid));
	ASSERT_EQ(2, mb_msgcount(fd, port));
	ASSERT_EQ(0, mb_stat("messages", &v));
	EXPECT_EQ(before[3] + 2, v);
	close(fd);

	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		for (tries = 0; tries < 200; tries++) {
			ASSERT_EQ(0, mb_stat(keys[i], &v));
			if (v == before[i])
				break;
			usleep(10 * 1000);
		}
		EXPECT_EQ(before[i], v) TH_LOG("%s", keys[i]);
	}
}

TEST_HARNESS_MAIN
