// SPDX-License-Identifier: GPL-2.0
/*
 * Priority inheritance (MAILBOX_PORT_FLAG_PRIO_INHERIT): the port flag and
 * its errors, and the boost itself, observed with sched_getattr() of the
 * receiving thread. Most tests use one thread in both roles: it sends a
 * request at some priority (captured at send), drops to its own priority,
 * then receives the request as the server would. Needs CAP_SYS_NICE (the
 * VM runs the tests as root).
 */
#include "mailbox_test.h"

#include <sched.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"

/* struct sched_attr of the sched_setattr(2) system call. */
struct sched_attr_v1 {
	__u32 size;
	__u32 sched_policy;
	__u64 sched_flags;
	__s32 sched_nice;
	__u32 sched_priority;
	__u64 sched_runtime;
	__u64 sched_deadline;
	__u64 sched_period;
	__u32 sched_util_min;
	__u32 sched_util_max;
};
#define sched_attr sched_attr_v1

#define PI	MAILBOX_PORT_FLAG_PRIO_INHERIT
#define MSO	MAILBOX_MSG_TYPE_MAKE_SEND_ONCE

static int set_sched(int policy, int prio, int nice)
{
	struct sched_attr a = {
		.size = sizeof(a),
		.sched_policy = policy,
		.sched_priority = prio,
		.sched_nice = nice,
	};

	return syscall(SYS_sched_setattr, 0, &a, 0) ? errno : 0;
}

static struct sched_attr get_sched_of(pid_t tid)
{
	struct sched_attr a;

	memset(&a, 0xa5, sizeof(a));
	if (syscall(SYS_sched_getattr, tid, &a, sizeof(a), 0))
		a.sched_policy = -1;
	return a;
}

static struct sched_attr get_sched(void)
{
	return get_sched_of(0);
}

#define EXPECT_SCHED(policy, prio, nice) do {				\
	struct sched_attr _a = get_sched();				\
	EXPECT_EQ(policy, _a.sched_policy);				\
	EXPECT_EQ(prio, _a.sched_priority);				\
	if ((policy) == SCHED_OTHER || (policy) == SCHED_BATCH)		\
		EXPECT_EQ(nice, _a.sched_nice);				\
} while (0)

FIXTURE(prio) {
	int srv;		/* the server's space */
	int cli;		/* the client's space */
	__u32 svc;		/* receive right in srv, flagged PI */
	__u32 svc_send;		/* send right to it in cli */
	__u32 reply;		/* client's reply port in cli */
};

FIXTURE_SETUP(prio)
{
	self->srv = mb_open();
	ASSERT_LE(0, self->srv);
	self->cli = mb_open();
	ASSERT_LE(0, self->cli);
	ASSERT_EQ(0, mb_alloc_receive(self->srv, &self->svc));
	ASSERT_EQ(0, mb_set_port_flags(self->srv, self->svc, PI));
	ASSERT_EQ(0, mb_give_send(self->srv, self->cli, self->svc,
				  &self->svc_send));
	ASSERT_EQ(0, mb_alloc_receive(self->cli, &self->reply));
	/* Test threads start at SCHED_OTHER, nice 0. */
	ASSERT_EQ(0, set_sched(SCHED_OTHER, 0, 0));
}

FIXTURE_TEARDOWN(prio)
{
	if (self->srv >= 0)
		close(self->srv);
	if (self->cli >= 0)
		close(self->cli);
}

/*
 * Send a request with a send-once reply right (@reply_disp) to the
 * client's reply port, from the client's space, while running at
 * @policy/@prio/@nice; then come back to SCHED_OTHER nice 0.
 */
static int send_request_as(struct __test_metadata *_metadata,
			   FIXTURE_DATA(prio) *self, __u32 dest,
			   __u32 reply_disp, int policy, int prio, int nice,
			   __s32 id)
{
	int err;

	err = set_sched(policy, prio, nice);
	if (err)
		return err;
	err = mb_send_hdr(self->cli, dest, MAILBOX_MSG_TYPE_COPY_SEND,
			  self->reply, reply_disp, id, NULL);
	EXPECT_EQ(0, set_sched(SCHED_OTHER, 0, 0));
	return err;
}

#define SEND_AS(policy, prio, nice, id) \
	ASSERT_EQ(0, send_request_as(_metadata, self, self->svc_send, MSO, \
				     policy, prio, nice, id))

/* Receive one request on @port of the server's space; its reply name. */
static __u32 recv_request(struct __test_metadata *_metadata, int fd,
			  __u32 port, __s32 id)
{
	struct mailbox_msg_header h;

	EXPECT_EQ(0, mb_recv_hdr(fd, port, &h, NULL));
	EXPECT_EQ(id, h.id);
	return h.remote_port;
}

#define RECV(id) recv_request(_metadata, self->srv, self->svc, id)

/* Reply through the send-once right @so: the boost's end. */
static int reply(int fd, __u32 so, __s32 id)
{
	return mb_send_hdr(fd, so, MAILBOX_MSG_TYPE_MOVE_SEND_ONCE, 0, 0, id,
			   NULL);
}

/* --- the attribute ------------------------------------------------------ */

TEST_F(prio, feature_bit_is_advertised)
{
	struct mailbox_version v;

	ASSERT_EQ(0, mb_version(self->srv, &v));
	EXPECT_TRUE(v.features & MAILBOX_FEATURE_PRIO_INHERIT);
}

TEST_F(prio, flag_is_off_by_default_set_by_set_attr_and_reported_by_get_attr)
{
	__u32 p;

	ASSERT_EQ(0, mb_alloc_receive(self->srv, &p));
	EXPECT_EQ(0, mb_port_flags(self->srv, p));
	ASSERT_EQ(0, mb_set_port_flags(self->srv, p, PI));
	EXPECT_EQ(PI, mb_port_flags(self->srv, p));
	ASSERT_EQ(0, mb_set_port_flags(self->srv, p, 0));
	EXPECT_EQ(0, mb_port_flags(self->srv, p));
}

TEST_F(prio, set_attr_without_the_flags_bit_leaves_the_flags_alone)
{
	struct mailbox_port_attr a = {
		.name = self->svc,
		.flags = MAILBOX_ATTR_QLIMIT,
		.qlimit = 3,
		.port_flags = 0,
	};

	ASSERT_EQ(0, mb_ioctl(self->srv, MAILBOX_IOC_PORT_SET_ATTR, &a));
	EXPECT_EQ(PI, mb_port_flags(self->srv, self->svc));
}

TEST_F(prio, unknown_port_flags_are_einval_and_change_nothing)
{
	struct mailbox_port_attr a = {
		.name = self->svc,
		.flags = MAILBOX_ATTR_FLAGS | MAILBOX_ATTR_QLIMIT,
		.qlimit = 2,
	};
	int bit;

	for (bit = 1; bit < 32; bit++) {
		if ((1U << bit) & MAILBOX_PORT_FLAGS_ALL)
			continue;
		a.port_flags = PI | (1U << bit);
		EXPECT_EQ(EINVAL, mb_ioctl(self->srv, MAILBOX_IOC_PORT_SET_ATTR, &a))
			TH_LOG("bit %d", bit);
	}
	EXPECT_EQ(PI, mb_port_flags(self->srv, self->svc));
	EXPECT_EQ(0, mb_set_port_flags(self->srv, self->svc, MAILBOX_PORT_FLAGS_ALL));
	{
		struct mailbox_port_attr g;

		ASSERT_EQ(0, mb_get_attr(self->srv, self->svc, &g));
		EXPECT_EQ(MAILBOX_QLIMIT_DEFAULT, g.qlimit);
	}
}

TEST_F(prio, flags_need_a_receive_right)
{
	__u32 so;

	EXPECT_EQ(ENOENT, mb_set_port_flags(self->srv, MB_UNUSED_NAME, PI));
	EXPECT_EQ(EPERM, mb_set_port_flags(self->cli, self->svc_send, PI));
	ASSERT_EQ(0, mb_make_send_once(self->cli, self->reply, &so));
	EXPECT_EQ(EPERM, mb_set_port_flags(self->cli, so, PI));
}

/* --- the boost ----------------------------------------------------------- */

TEST_F(prio, boost_applies_on_receive_and_ends_with_the_reply)
{
	struct mailbox_msg_header h;
	__u32 so;

	SEND_AS(SCHED_FIFO, 50, 0, 1);
	EXPECT_SCHED(SCHED_OTHER, 0, 0);
	so = RECV(1);
	EXPECT_SCHED(SCHED_FIFO, 50, 0);
	ASSERT_EQ(0, reply(self->srv, so, 2));
	EXPECT_SCHED(SCHED_OTHER, 0, 0);
	ASSERT_EQ(0, mb_recv_hdr(self->cli, self->reply, &h, NULL));
	EXPECT_EQ(2, h.id);
}

TEST_F(prio, fair_sender_lends_its_nice_value)
{
	__u32 so;

	ASSERT_EQ(0, set_sched(SCHED_OTHER, 0, 10));
	ASSERT_EQ(0, send_request_as(_metadata, self, self->svc_send, MSO,
				     SCHED_OTHER, 0, -5, 1));
	ASSERT_EQ(0, set_sched(SCHED_OTHER, 0, 10));
	so = RECV(1);
	EXPECT_SCHED(SCHED_OTHER, 0, -5);
	ASSERT_EQ(0, reply(self->srv, so, 2));
	EXPECT_SCHED(SCHED_OTHER, 0, 10);
}

TEST_F(prio, boost_ends_when_the_right_is_deallocated)
{
	__s32 id;
	__u32 so;

	SEND_AS(SCHED_RR, 40, 0, 1);
	so = RECV(1);
	EXPECT_SCHED(SCHED_RR, 40, 0);
	ASSERT_EQ(0, mb_deallocate(self->srv, so));
	EXPECT_SCHED(SCHED_OTHER, 0, 0);
	/* The client learns of it as usual. */
	ASSERT_EQ(0, mb_recv_id(self->cli, self->reply, &id));
	EXPECT_EQ(MAILBOX_NOTIFY_SEND_ONCE, id);
}

TEST_F(prio, boost_ends_on_destroy_and_on_mod_refs)
{
	__u32 so;

	SEND_AS(SCHED_FIFO, 30, 0, 1);
	so = RECV(1);
	EXPECT_SCHED(SCHED_FIFO, 30, 0);
	ASSERT_EQ(0, mb_destroy(self->srv, so));
	EXPECT_SCHED(SCHED_OTHER, 0, 0);

	SEND_AS(SCHED_FIFO, 31, 0, 2);
	so = RECV(2);
	EXPECT_SCHED(SCHED_FIFO, 31, 0);
	ASSERT_EQ(0, mb_mod_refs(self->srv, so, MAILBOX_RIGHT_SEND_ONCE, -1));
	EXPECT_SCHED(SCHED_OTHER, 0, 0);
}

TEST_F(prio, boost_ends_when_the_right_moves_to_another_space)
{
	__u32 so, there = MAILBOX_PORT_NULL, so2;
	int other = mb_open();

	ASSERT_LE(0, other);
	SEND_AS(SCHED_FIFO, 30, 0, 1);
	so = RECV(1);
	EXPECT_SCHED(SCHED_FIFO, 30, 0);
	ASSERT_EQ(0, mb_insert(self->srv, other, &there, so,
			       MAILBOX_MSG_TYPE_MOVE_SEND_ONCE));
	EXPECT_SCHED(SCHED_OTHER, 0, 0);
	/* Used from there: no boost comes back. */
	ASSERT_EQ(0, reply(other, there, 2));
	EXPECT_SCHED(SCHED_OTHER, 0, 0);

	/* Moved away as the reply right of another message. */
	SEND_AS(SCHED_FIFO, 30, 0, 3);
	so = RECV(3);
	EXPECT_SCHED(SCHED_FIFO, 30, 0);
	ASSERT_EQ(0, mb_give_send(self->cli, self->srv, self->reply, &so2));
	ASSERT_EQ(0, mb_send_hdr(self->srv, so2, MAILBOX_MSG_TYPE_COPY_SEND, so,
				 MAILBOX_MSG_TYPE_MOVE_SEND_ONCE, 4, NULL));
	EXPECT_SCHED(SCHED_OTHER, 0, 0);
	close(other);
}

TEST_F(prio, a_failed_reply_keeps_the_boost)
{
	__u32 so, status;

	SEND_AS(SCHED_FIFO, 30, 0, 1);
	so = RECV(1);
	/* Bad header: the send fails before any right moves. */
	{
		struct mailbox_msg_header h;

		mb_header(&h, so, MAILBOX_MSG_TYPE_MOVE_SEND_ONCE, 0, 0, 2);
		h.voucher_port = 1;
		EXPECT_EQ(EINVAL, mb_send(self->srv, &h, sizeof(h),
					  MAILBOX_MSG_SEND_TIMEOUT, 0, &status));
	}
	EXPECT_SCHED(SCHED_FIFO, 30, 0);
	ASSERT_EQ(0, reply(self->srv, so, 3));
	EXPECT_SCHED(SCHED_OTHER, 0, 0);
}

TEST_F(prio, nested_boosts_run_at_the_highest_and_unwind_in_any_order)
{
	__u32 so1, so2, so3;

	SEND_AS(SCHED_FIFO, 20, 0, 1);
	SEND_AS(SCHED_FIFO, 60, 0, 2);
	SEND_AS(SCHED_FIFO, 40, 0, 3);
	so1 = RECV(1);
	EXPECT_SCHED(SCHED_FIFO, 20, 0);
	so2 = RECV(2);
	EXPECT_SCHED(SCHED_FIFO, 60, 0);
	so3 = RECV(3);
	EXPECT_SCHED(SCHED_FIFO, 60, 0);
	ASSERT_EQ(0, reply(self->srv, so2, 12));
	EXPECT_SCHED(SCHED_FIFO, 40, 0);
	ASSERT_EQ(0, reply(self->srv, so1, 11));
	EXPECT_SCHED(SCHED_FIFO, 40, 0);
	ASSERT_EQ(0, reply(self->srv, so3, 13));
	EXPECT_SCHED(SCHED_OTHER, 0, 0);
}

TEST_F(prio, not_applied_on_a_port_without_the_flag)
{
	__u32 so;

	ASSERT_EQ(0, mb_set_port_flags(self->srv, self->svc, 0));
	SEND_AS(SCHED_FIFO, 50, 0, 1);
	so = RECV(1);
	EXPECT_SCHED(SCHED_OTHER, 0, 0);
	ASSERT_EQ(0, reply(self->srv, so, 2));
	EXPECT_SCHED(SCHED_OTHER, 0, 0);
}

TEST_F(prio, the_flag_counts_at_receive_time)
{
	__u32 so;

	ASSERT_EQ(0, mb_set_port_flags(self->srv, self->svc, 0));
	SEND_AS(SCHED_FIFO, 50, 0, 1);
	ASSERT_EQ(0, mb_set_port_flags(self->srv, self->svc, PI));
	so = RECV(1);
	EXPECT_SCHED(SCHED_FIFO, 50, 0);
	ASSERT_EQ(0, reply(self->srv, so, 2));
	EXPECT_SCHED(SCHED_OTHER, 0, 0);
}

TEST_F(prio, not_applied_for_a_lower_or_equal_priority_client)
{
	__u32 so;

	SEND_AS(SCHED_FIFO, 20, 0, 1);
	SEND_AS(SCHED_FIFO, 30, 0, 2);
	SEND_AS(SCHED_OTHER, 0, 0, 3);
	ASSERT_EQ(0, set_sched(SCHED_FIFO, 30, 0));
	so = RECV(1);
	EXPECT_SCHED(SCHED_FIFO, 30, 0);
	ASSERT_EQ(0, reply(self->srv, so, 11));
	so = RECV(2);
	EXPECT_SCHED(SCHED_FIFO, 30, 0);
	ASSERT_EQ(0, reply(self->srv, so, 12));
	so = RECV(3);
	EXPECT_SCHED(SCHED_FIFO, 30, 0);
	ASSERT_EQ(0, reply(self->srv, so, 13));
	EXPECT_SCHED(SCHED_FIFO, 30, 0);
}

TEST_F(prio, a_reply_right_that_is_not_send_once_lends_nothing)
{
	struct mailbox_msg_header h;

	ASSERT_EQ(0, send_request_as(_metadata, self, self->svc_send,
				     MAILBOX_MSG_TYPE_MAKE_SEND, SCHED_FIFO,
				     50, 0, 1));
	ASSERT_EQ(0, mb_recv_hdr(self->srv, self->svc, &h, NULL));
	EXPECT_EQ(MAILBOX_MSG_TYPE_PORT_SEND, MAILBOX_MSGH_REMOTE(h.bits));
	EXPECT_SCHED(SCHED_OTHER, 0, 0);
	/* Nor does a message without a reply right. */
	ASSERT_EQ(0, set_sched(SCHED_FIFO, 50, 0));
	ASSERT_EQ(0, mb_send_hdr(self->cli, self->svc_send,
				 MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 2, NULL));
	ASSERT_EQ(0, set_sched(SCHED_OTHER, 0, 0));
	ASSERT_EQ(0, mb_recv_hdr(self->srv, self->svc, &h, NULL));
	EXPECT_SCHED(SCHED_OTHER, 0, 0);
}

TEST_F(prio, own_priority_changed_while_boosted_becomes_the_new_base)
{
	__u32 so1, so2;

	SEND_AS(SCHED_FIFO, 50, 0, 1);
	SEND_AS(SCHED_FIFO, 40, 0, 2);
	so1 = RECV(1);
	EXPECT_SCHED(SCHED_FIFO, 50, 0);
	/* The thread (or an admin) changes its priority meanwhile. */
	ASSERT_EQ(0, set_sched(SCHED_FIFO, 10, 0));
	EXPECT_SCHED(SCHED_FIFO, 10, 0);
	/* The next boost change: max(new base, boosts). */
	so2 = RECV(2);
	EXPECT_SCHED(SCHED_FIFO, 50, 0);
	ASSERT_EQ(0, reply(self->srv, so1, 11));
	EXPECT_SCHED(SCHED_FIFO, 40, 0);
	ASSERT_EQ(0, reply(self->srv, so2, 12));
	/* Back to the new base, not to SCHED_OTHER. */
	EXPECT_SCHED(SCHED_FIFO, 10, 0);
}

TEST_F(prio, a_change_above_the_boost_wins_and_stays)
{
	__u32 so;

	SEND_AS(SCHED_FIFO, 20, 0, 1);
	so = RECV(1);
	EXPECT_SCHED(SCHED_FIFO, 20, 0);
	ASSERT_EQ(0, set_sched(SCHED_FIFO, 70, 0));
	ASSERT_EQ(0, reply(self->srv, so, 2));
	EXPECT_SCHED(SCHED_FIFO, 70, 0);
}

TEST_F(prio, client_death_ends_the_boost)
{
	__u32 so;

	SEND_AS(SCHED_FIFO, 50, 0, 1);
	so = RECV(1);
	EXPECT_SCHED(SCHED_FIFO, 50, 0);
	/* The client's space (and its reply port) goes away. */
	close(self->cli);
	self->cli = -1;
	EXPECT_SCHED(SCHED_OTHER, 0, 0);
	EXPECT_EQ(MAILBOX_PORT_TYPE_DEAD_NAME, mb_type_bits(self->srv, so));
	EXPECT_EQ(EPIPE, reply(self->srv, so, 2));
	EXPECT_SCHED(SCHED_OTHER, 0, 0);
}

TEST_F(prio, reply_port_destroyed_ends_the_boost)
{
	__u32 so;

	SEND_AS(SCHED_FIFO, 50, 0, 1);
	so = RECV(1);
	EXPECT_SCHED(SCHED_FIFO, 50, 0);
	ASSERT_EQ(0, mb_destroy(self->cli, self->reply));
	EXPECT_SCHED(SCHED_OTHER, 0, 0);
	EXPECT_EQ(0, mb_deallocate(self->srv, so));
}

TEST_F(prio, server_space_closing_ends_the_boost)
{
	SEND_AS(SCHED_FIFO, 50, 0, 1);
	RECV(1);
	EXPECT_SCHED(SCHED_FIFO, 50, 0);
	close(self->srv);
	self->srv = -1;
	EXPECT_SCHED(SCHED_OTHER, 0, 0);
}

TEST_F(prio, boost_through_a_port_set_receive)
{
	__u32 set, so;

	ASSERT_EQ(0, mb_allocate(self->srv, MAILBOX_RIGHT_PORT_SET, &set));
	{
		struct mailbox_port_move_member mm = {
			.member = self->svc, .after = set,
		};

		ASSERT_EQ(0, mb_ioctl(self->srv, MAILBOX_IOC_PORT_MOVE_MEMBER, &mm));
	}
	SEND_AS(SCHED_FIFO, 45, 0, 1);
	so = recv_request(_metadata, self->srv, set, 1);
	EXPECT_SCHED(SCHED_FIFO, 45, 0);
	ASSERT_EQ(0, reply(self->srv, so, 2));
	EXPECT_SCHED(SCHED_OTHER, 0, 0);
}

TEST_F(prio, forwarding_the_reply_right_passes_the_boost_on)
{
	__u32 back, back_send, so, so_fwd;
	int back_fd = mb_open();
	struct mailbox_msg_header h;

	/* A back-end server in another space, also PI. */
	ASSERT_LE(0, back_fd);
	ASSERT_EQ(0, mb_alloc_receive(back_fd, &back));
	ASSERT_EQ(0, mb_set_port_flags(back_fd, back, PI));
	ASSERT_EQ(0, mb_give_send(back_fd, self->srv, back, &back_send));

	SEND_AS(SCHED_FIFO, 50, 0, 1);
	so = RECV(1);
	EXPECT_SCHED(SCHED_FIFO, 50, 0);
	/* Forward, moving the client's reply right: captured at FIFO 50. */
	ASSERT_EQ(0, mb_send_hdr(self->srv, back_send, MAILBOX_MSG_TYPE_COPY_SEND,
				 so, MAILBOX_MSG_TYPE_MOVE_SEND_ONCE, 2, NULL));
	EXPECT_SCHED(SCHED_OTHER, 0, 0);
	so_fwd = recv_request(_metadata, back_fd, back, 2);
	EXPECT_SCHED(SCHED_FIFO, 50, 0);
	ASSERT_EQ(0, reply(back_fd, so_fwd, 3));
	EXPECT_SCHED(SCHED_OTHER, 0, 0);
	ASSERT_EQ(0, mb_recv_hdr(self->cli, self->reply, &h, NULL));
	EXPECT_EQ(3, h.id);
	close(back_fd);
}

/* A server thread that receives a request, reports, then waits. */
struct server_thread {
	pthread_t thread;
	int fd;
	__u32 port;
	__u32 so;
	pid_t tid;
	atomic_int stage;	/* 1: received; 2: told to go on */
	bool reply;		/* reply before exiting, or just exit */
	int err;
};

static void *server_fn(void *arg)
{
	struct server_thread *s = arg;
	struct mailbox_msg_header h;

	s->tid = gettid();
	s->err = set_sched(SCHED_OTHER, 0, 0);
	if (!s->err)
		s->err = mb_recv(s->fd, s->port, &h, &(__u32){ sizeof(h) }, 0, 0,
				 NULL);
	s->so = h.remote_port;
	atomic_store(&s->stage, 1);
	while (atomic_load(&s->stage) != 2)
		usleep(1000);
	if (!s->err && s->reply)
		s->err = reply(s->fd, s->so, 99);
	return NULL;
}

TEST_F(prio, client_blocked_in_send_receive_boosts_a_server_thread)
{
	struct server_thread s = { .fd = self->srv, .port = self->svc, .reply = true };
	struct mb_async call;
	struct sched_attr a;
	int i;

	ASSERT_EQ(0, pthread_create(&s.thread, NULL, server_fn, &s));
	/* The client: SCHED_FIFO 50, send + receive in one call. */
	ASSERT_EQ(0, set_sched(SCHED_FIFO, 50, 0));
	memset(&call, 0, sizeof(call));
	call.fd = self->cli;
	mb_header((void *)call.buf, self->svc_send, MAILBOX_MSG_TYPE_COPY_SEND,
		  self->reply, MSO, 1);
	call.m.send_msg = (uintptr_t)call.buf;
	call.m.rcv_msg = (uintptr_t)call.buf;
	call.m.options = MAILBOX_MSG_SEND | MAILBOX_MSG_RCV;
	call.m.send_size = sizeof(struct mailbox_msg_header);
	call.m.rcv_size = sizeof(call.buf);
	call.m.rcv_name = self->reply;
	ASSERT_EQ(0, pthread_create(&call.thread, NULL, mb_async_fn, &call));
	ASSERT_EQ(0, set_sched(SCHED_OTHER, 0, 0));

	for (i = 0; i < 10000 && atomic_load(&s.stage) != 1; i++)
		usleep(1000);
	ASSERT_EQ(1, atomic_load(&s.stage));
	ASSERT_EQ(0, s.err);
	/* The server thread holds the request: it runs at FIFO 50. */
	a = get_sched_of(s.tid);
	EXPECT_EQ(SCHED_FIFO, a.sched_policy);
	EXPECT_EQ(50, a.sched_priority);
	EXPECT_FALSE(mb_async_done(&call));
	atomic_store(&s.stage, 2);
	ASSERT_EQ(0, mb_async_join(&call, 10));
	EXPECT_EQ(0, call.err);
	EXPECT_EQ(99, ((struct mailbox_msg_header *)call.buf)->id);
	ASSERT_EQ(0, pthread_join(s.thread, NULL));
	EXPECT_EQ(0, s.err);
}

TEST_F(prio, a_thread_exiting_while_boosted_leaves_nothing_behind)
{
	struct server_thread s = { .fd = self->srv, .port = self->svc, .reply = false };
	unsigned long long v = 1;
	int i;

	SEND_AS(SCHED_FIFO, 50, 0, 1);
	ASSERT_EQ(0, pthread_create(&s.thread, NULL, server_fn, &s));
	for (i = 0; i < 10000 && atomic_load(&s.stage) != 1; i++)
		usleep(1000);
	ASSERT_EQ(1, atomic_load(&s.stage));
	ASSERT_EQ(0, s.err);
	EXPECT_EQ(SCHED_FIFO, get_sched_of(s.tid).sched_policy);
	atomic_store(&s.stage, 2);
	ASSERT_EQ(0, pthread_join(s.thread, NULL));
	/* The right outlives the thread; ending it frees the records. */
	if (mb_stat("prio_threads", &v) == 0)
		EXPECT_EQ(1, v);
	ASSERT_EQ(0, mb_deallocate(self->srv, s.so));
	if (mb_stat("prio_threads", &v) == 0)
		EXPECT_EQ(0, v);
	if (mb_stat("prio_boosts", &v) == 0)
		EXPECT_EQ(0, v);
	/* This thread was never boosted. */
	EXPECT_SCHED(SCHED_OTHER, 0, 0);
}

TEST_HARNESS_MAIN
