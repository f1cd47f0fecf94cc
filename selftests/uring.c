// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring commands (IORING_OP_URING_CMD, MAILBOX_URING_CMD_MSG): async
 * send, receive on a port and on a port set, call, the ioctl's result
 * encoding, and every way a waiting command ends: a message, room in the
 * queue, its timeout, IORING_OP_ASYNC_CANCEL, the ring's close, the mailbox
 * fd's close, the port's death, the submitter's exit and SIGKILL. Also a
 * ring with a kernel submission thread (IORING_SETUP_SQPOLL) and the
 * fallback route: IORING_OP_POLL_ADD on a readiness fd.
 * Kernels without io_uring (io_uring_setup gives ENOSYS) skip every test.
 */
#include "mailbox_test.h"

#include <liburing.h>
#include <poll.h>

#include "kselftest_harness.h"

#define UD_CMD		1
#define UD_CANCEL	2

/* Completions reaped while looking for another one (tests use few). */
static struct {
	__u64 ud;
	int res;
	bool used;
} stash[8];

FIXTURE(uring) {
	int fd;
	struct io_uring ring;
	bool ring_up;
};

FIXTURE_SETUP(uring)
{
	struct mailbox_version v;
	int err;

	memset(stash, 0, sizeof(stash));
	self->ring_up = false;
	self->fd = mb_open();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MB_DEVICE, strerror(errno));
	err = io_uring_queue_init(8, &self->ring, 0);
	if (err == -ENOSYS)
		SKIP(return, "io_uring is not in this kernel");
	ASSERT_EQ(0, err);
	self->ring_up = true;
	ASSERT_EQ(0, mb_version(self->fd, &v));
	ASSERT_TRUE(v.features & MAILBOX_FEATURE_URING_CMD);
}

FIXTURE_TEARDOWN(uring)
{
	if (self->ring_up)
		io_uring_queue_exit(&self->ring);
	if (self->fd >= 0)
		close(self->fd);
}

/* A MAILBOX_URING_CMD_MSG SQE on @fd for @m. */
static struct io_uring_sqe *prep_cmd(struct io_uring *ring, int fd,
				     struct mailbox_msg *m, __u64 ud)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct mailbox_uring_msg *c;

	if (!sqe)
		return NULL;
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = fd;
	sqe->cmd_op = MAILBOX_URING_CMD_MSG;
	sqe->user_data = ud;
	c = (struct mailbox_uring_msg *)sqe->cmd;
	c->msg = (uintptr_t)m;
	return sqe;
}

/*
 * An SQPOLL ring's submit returns the entries the kernel had not taken yet
 * when liburing looked (tail - head): a polling SQ thread that took the
 * entry already makes it 0, so only an error counts there (seen on 6.12:
 * 2 runs in 4 failed sqpoll_ring_sends_and_receives_as_the_submitter with
 * the old check). The completion, reaped after, tells it was submitted.
 */
static int submit_cmd(struct io_uring *ring, int fd, struct mailbox_msg *m)
{
	int n;

	if (!prep_cmd(ring, fd, m, UD_CMD))
		return -EBUSY;
	n = io_uring_submit(ring);
	if (ring->flags & IORING_SETUP_SQPOLL)
		return n < 0 ? n : 0;
	return n == 1 ? 0 : -EIO;
}

/*
 * Wait up to @ms for a completion with @ud; its res in *@res. Returns 0,
 * -ETIME or another -errno. Others seen meanwhile are kept for later.
 */
static int reap(struct io_uring *ring, __u64 ud, int ms, int *res)
{
	struct __kernel_timespec ts = {
		.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000LL,
	};
	struct io_uring_cqe *cqe;
	unsigned int i;
	int err;

	for (i = 0; i < ARRAY_SIZE(stash); i++) {
		if (stash[i].used && stash[i].ud == ud) {
			stash[i].used = false;
			*res = stash[i].res;
			return 0;
		}
	}
	for (;;) {
		err = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
		if (err)
			return err;
		if (cqe->user_data == ud) {
			*res = cqe->res;
			io_uring_cqe_seen(ring, cqe);
			return 0;
		}
		for (i = 0; i < ARRAY_SIZE(stash); i++) {
			if (!stash[i].used) {
				stash[i].used = true;
				stash[i].ud = cqe->user_data;
				stash[i].res = cqe->res;
				break;
			}
		}
		io_uring_cqe_seen(ring, cqe);
	}
}

static void recv_args(struct mailbox_msg *m, __u32 name, void *buf,
		      __u32 size, __u32 options, __u64 timeout)
{
	memset(buf, MB_PATTERN, size);
	memset(m, 0, sizeof(*m));
	m->rcv_msg = (uintptr_t)buf;
	m->rcv_size = size;
	m->rcv_name = name;
	m->rcv_timeout = timeout;
	m->options = MAILBOX_MSG_RCV | options;
	m->status = MB_PATTERN32;
}

static void send_args(struct mailbox_msg *m, struct mailbox_msg_header *h,
		      __u32 remote, __s32 id, __u32 options, __u64 timeout)
{
	mb_header(h, remote, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, id);
	memset(m, 0, sizeof(*m));
	m->send_msg = (uintptr_t)h;
	m->send_size = sizeof(*h);
	m->send_timeout = timeout;
	m->options = MAILBOX_MSG_SEND | options;
	m->status = MB_PATTERN32;
}

/* A receive right with a send right and queue limit @qlimit. */
static int port_with_send(int fd, __u32 *port, __u32 qlimit)
{
	int err = mb_alloc_receive(fd, port);

	if (!err)
		err = mb_make_send(fd, *port);
	if (!err && qlimit)
		err = mb_set_qlimit(fd, *port, qlimit);
	return err;
}

/*
 * Wait up to 5 s for debugfs "uring_waiting" (commands running in io-wq)
 * to read @want. Returns 0, -1 without stats, or the last value read.
 */
static int uring_waiting_is(unsigned long long want)
{
	unsigned long long v = 0;
	int i;

	for (i = 0; i < 500; i++) {
		if (mb_stat("uring_waiting", &v))
			return -1;
		if (v == want)
			return 0;
		usleep(10 * 1000);
	}
	return (int)v;
}

static int uring_waiting_drains(void)
{
	return uring_waiting_is(0);
}

TEST_F(uring, async_send_queues_the_message)
{
	struct mailbox_msg_header h, r;
	struct mailbox_msg m;
	__u32 port;
	int res;

	ASSERT_EQ(0, port_with_send(self->fd, &port, 0));
	send_args(&m, &h, port, 42, 0, 0);
	ASSERT_EQ(0, submit_cmd(&self->ring, self->fd, &m));
	ASSERT_EQ(0, reap(&self->ring, UD_CMD, 5000, &res));
	EXPECT_EQ(0, res);
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, m.status);
	ASSERT_EQ(0, mb_recv_hdr(self->fd, port, &r, NULL));
	EXPECT_EQ(42, r.id);
}

TEST_F(uring, async_receive_waits_for_a_message)
{
	struct mailbox_msg_header *h;
	unsigned char buf[128];
	struct mailbox_msg m;
	__u32 port;
	int res;

	ASSERT_EQ(0, port_with_send(self->fd, &port, 0));
	recv_args(&m, port, buf, sizeof(buf), 0, 0);
	ASSERT_EQ(0, submit_cmd(&self->ring, self->fd, &m));
	ASSERT_EQ(-ETIME, reap(&self->ring, UD_CMD, 100, &res));
	ASSERT_EQ(0, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_COPY_SEND,
				 0, 0, 7, NULL));
	ASSERT_EQ(0, reap(&self->ring, UD_CMD, 5000, &res));
	EXPECT_EQ(0, res);
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, m.status);
	EXPECT_EQ(MB_HDR_SIZE, m.rcv_size);
	h = (struct mailbox_msg_header *)buf;
	EXPECT_EQ(7, h->id);
	EXPECT_EQ(port, h->local_port);
	EXPECT_EQ(MB_PATTERN, buf[MB_HDR_SIZE]);
	EXPECT_EQ(0, uring_waiting_drains());
}

TEST_F(uring, async_receive_of_a_queued_message_completes_at_once)
{
	struct mailbox_msg_header *h;
	unsigned char buf[128];
	struct mailbox_msg m;
	__u32 port;
	int res;

	ASSERT_EQ(0, port_with_send(self->fd, &port, 0));
	ASSERT_EQ(0, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_COPY_SEND,
				 0, 0, 9, NULL));
	recv_args(&m, port, buf, sizeof(buf), MAILBOX_MSG_RCV_TRAILER, 0);
	ASSERT_EQ(0, submit_cmd(&self->ring, self->fd, &m));
	ASSERT_EQ(0, reap(&self->ring, UD_CMD, 5000, &res));
	EXPECT_EQ(0, res);
	h = (struct mailbox_msg_header *)buf;
	EXPECT_EQ(9, h->id);
	EXPECT_EQ(MB_HDR_SIZE + MB_TRAILER_SIZE, m.rcv_size);
}

TEST_F(uring, async_receive_on_a_port_set_names_the_member)
{
	struct mailbox_msg_header *h;
	unsigned char buf[128];
	struct mailbox_msg m;
	__u32 set, a, b;
	int res;

	ASSERT_EQ(0, mb_allocate(self->fd, MAILBOX_RIGHT_PORT_SET, &set));
	ASSERT_EQ(0, port_with_send(self->fd, &a, 0));
	ASSERT_EQ(0, port_with_send(self->fd, &b, 0));
	struct mailbox_port_move_member mv = { .member = a, .after = set };

	ASSERT_EQ(0, mb_ioctl(self->fd, MAILBOX_IOC_PORT_MOVE_MEMBER, &mv));
	mv.member = b;
	ASSERT_EQ(0, mb_ioctl(self->fd, MAILBOX_IOC_PORT_MOVE_MEMBER, &mv));
	recv_args(&m, set, buf, sizeof(buf), 0, 0);
	ASSERT_EQ(0, submit_cmd(&self->ring, self->fd, &m));
	ASSERT_EQ(-ETIME, reap(&self->ring, UD_CMD, 100, &res));
	ASSERT_EQ(0, mb_send_hdr(self->fd, b, MAILBOX_MSG_TYPE_COPY_SEND,
				 0, 0, 11, NULL));
	ASSERT_EQ(0, reap(&self->ring, UD_CMD, 5000, &res));
	EXPECT_EQ(0, res);
	h = (struct mailbox_msg_header *)buf;
	EXPECT_EQ(11, h->id);
	EXPECT_EQ(b, h->local_port);
}

struct replier {
	pthread_t thread;
	int fd;
	__u32 port;
	int err;
};

/* Receive one request on @port and answer through its reply right. */
static void *replier_main(void *arg)
{
	struct replier *rp = arg;
	struct mailbox_msg_header req, rep;
	__u32 size = sizeof(req);

	rp->err = mb_recv(rp->fd, rp->port, &req, &size, 0, 0, NULL);
	if (rp->err)
		return NULL;
	mb_header(&rep, req.remote_port, MAILBOX_MSG_TYPE_MOVE_SEND_ONCE, 0, 0,
		  req.id + 100);
	rp->err = mb_send(rp->fd, &rep, sizeof(rep), 0, 0, NULL);
	return NULL;
}

TEST_F(uring, async_call_sends_and_receives_the_reply)
{
	struct mailbox_msg_header h, *reply;
	struct replier rp = { .fd = self->fd };
	unsigned char buf[128];
	struct mailbox_msg m;
	__u32 reply_port;
	int res;

	ASSERT_EQ(0, port_with_send(self->fd, &rp.port, 0));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &reply_port));
	ASSERT_EQ(0, pthread_create(&rp.thread, NULL, replier_main, &rp));
	recv_args(&m, reply_port, buf, sizeof(buf), MAILBOX_MSG_SEND, 0);
	mb_header(&h, rp.port, MAILBOX_MSG_TYPE_COPY_SEND, reply_port,
		  MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, 5);
	m.send_msg = (uintptr_t)&h;
	m.send_size = sizeof(h);
	ASSERT_EQ(0, submit_cmd(&self->ring, self->fd, &m));
	ASSERT_EQ(0, reap(&self->ring, UD_CMD, 5000, &res));
	pthread_join(rp.thread, NULL);
	EXPECT_EQ(0, rp.err);
	EXPECT_EQ(0, res);
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, m.status);
	reply = (struct mailbox_msg_header *)buf;
	EXPECT_EQ(105, reply->id);
}

TEST_F(uring, async_send_to_a_full_queue_waits_for_room)
{
	struct mailbox_msg_header h, r;
	struct mailbox_msg m;
	__u32 port;
	int res;

	ASSERT_EQ(0, port_with_send(self->fd, &port, 1));
	ASSERT_EQ(0, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_COPY_SEND,
				 0, 0, 1, NULL));
	send_args(&m, &h, port, 2, 0, 0);
	ASSERT_EQ(0, submit_cmd(&self->ring, self->fd, &m));
	ASSERT_EQ(-ETIME, reap(&self->ring, UD_CMD, 100, &res));
	EXPECT_EQ(1, mb_msgcount(self->fd, port));
	ASSERT_EQ(0, mb_recv_hdr(self->fd, port, &r, NULL));
	EXPECT_EQ(1, r.id);
	ASSERT_EQ(0, reap(&self->ring, UD_CMD, 5000, &res));
	EXPECT_EQ(0, res);
	ASSERT_EQ(0, mb_recv_hdr(self->fd, port, &r, NULL));
	EXPECT_EQ(2, r.id);
}

TEST_F(uring, async_receive_timeout_matches_the_ioctl)
{
	unsigned char buf[64];
	struct mailbox_msg m;
	__u64 t0, dt;
	__u32 port;
	int res, ierr;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	recv_args(&m, port, buf, sizeof(buf), MAILBOX_MSG_RCV_TIMEOUT,
		  50 * MB_MSEC);
	ierr = mb_msg(self->fd, &m);
	ASSERT_EQ(ETIMEDOUT, ierr);
	recv_args(&m, port, buf, sizeof(buf), MAILBOX_MSG_RCV_TIMEOUT,
		  50 * MB_MSEC);
	t0 = mb_now_ns();
	ASSERT_EQ(0, submit_cmd(&self->ring, self->fd, &m));
	ASSERT_EQ(0, reap(&self->ring, UD_CMD, 5000, &res));
	dt = mb_now_ns() - t0;
	EXPECT_EQ(-ierr, res);
	EXPECT_EQ(MAILBOX_RCV_TIMED_OUT, m.status);
	EXPECT_LE(50 * MB_MSEC, dt);

	/* Timeout 0: at once, inline. */
	recv_args(&m, port, buf, sizeof(buf), MAILBOX_MSG_RCV_TIMEOUT, 0);
	ASSERT_EQ(0, submit_cmd(&self->ring, self->fd, &m));
	ASSERT_EQ(0, reap(&self->ring, UD_CMD, 5000, &res));
	EXPECT_EQ(-EAGAIN, res);
	EXPECT_EQ(MAILBOX_RCV_TIMED_OUT, m.status);
}

TEST_F(uring, o_nonblock_mailbox_fd_waits_only_for_a_timeout)
{
	unsigned char buf[64];
	struct mailbox_msg m;
	__u64 t0;
	__u32 port;
	int fd, res;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	fd = open(MB_DEVICE, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, fd);
	close(self->fd);
	self->fd = fd;
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	recv_args(&m, port, buf, sizeof(buf), 0, 0);
	ASSERT_EQ(0, submit_cmd(&self->ring, self->fd, &m));
	ASSERT_EQ(0, reap(&self->ring, UD_CMD, 5000, &res));
	EXPECT_EQ(-EAGAIN, res);
	EXPECT_EQ(MAILBOX_RCV_TIMED_OUT, m.status);

	/* A timeout wins, as for the ioctl, but the submitter never waits. */
	recv_args(&m, port, buf, sizeof(buf), MAILBOX_MSG_RCV_TIMEOUT,
		  200 * MB_MSEC);
	t0 = mb_now_ns();
	ASSERT_EQ(0, submit_cmd(&self->ring, self->fd, &m));
	EXPECT_GT(100 * MB_MSEC, mb_now_ns() - t0);
	ASSERT_EQ(0, reap(&self->ring, UD_CMD, 5000, &res));
	EXPECT_LE(200 * MB_MSEC, mb_now_ns() - t0);
	EXPECT_EQ(-ETIMEDOUT, res);
}

TEST_F(uring, errors_are_the_ioctl_errors)
{
	unsigned char buf[64];
	struct mailbox_msg m, mi;
	int res, ierr;

	/* A name that does not exist. */
	recv_args(&m, MB_UNUSED_NAME, buf, sizeof(buf), 0, 0);
	mi = m;
	ierr = mb_msg(self->fd, &mi);
	ASSERT_NE(0, ierr);
	ASSERT_EQ(0, submit_cmd(&self->ring, self->fd, &m));
	ASSERT_EQ(0, reap(&self->ring, UD_CMD, 5000, &res));
	EXPECT_EQ(-ierr, res);
	EXPECT_EQ(mi.status, m.status);
	EXPECT_EQ(MAILBOX_RCV_INVALID_NAME, m.status);

	/* Unknown options. */
	recv_args(&m, MB_UNUSED_NAME, buf, sizeof(buf), 0x80000000U, 0);
	ASSERT_EQ(0, submit_cmd(&self->ring, self->fd, &m));
	ASSERT_EQ(0, reap(&self->ring, UD_CMD, 5000, &res));
	EXPECT_EQ(-EINVAL, res);
	EXPECT_EQ(MAILBOX_SEND_INVALID_OPTIONS, m.status);
}

TEST_F(uring, bad_payload_is_refused)
{
	struct io_uring_sqe *sqe;
	struct mailbox_uring_msg *c;
	struct mailbox_msg m;
	int res;

	/* Unknown command. */
	sqe = prep_cmd(&self->ring, self->fd, &m, UD_CMD);
	ASSERT_NE(NULL, sqe);
	sqe->cmd_op = MAILBOX_IOC_MSG;
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(0, reap(&self->ring, UD_CMD, 5000, &res));
	EXPECT_EQ(-ENOTTY, res);

	/* Flags and reserved must be zero. */
	sqe = prep_cmd(&self->ring, self->fd, &m, UD_CMD);
	c = (struct mailbox_uring_msg *)sqe->cmd;
	c->flags = 1;
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(0, reap(&self->ring, UD_CMD, 5000, &res));
	EXPECT_EQ(-EINVAL, res);
	sqe = prep_cmd(&self->ring, self->fd, &m, UD_CMD);
	c = (struct mailbox_uring_msg *)sqe->cmd;
	c->reserved = 1;
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(0, reap(&self->ring, UD_CMD, 5000, &res));
	EXPECT_EQ(-EINVAL, res);

	/* A bad struct mailbox_msg address. */
	sqe = prep_cmd(&self->ring, self->fd, NULL, UD_CMD);
	c = (struct mailbox_uring_msg *)sqe->cmd;
	c->msg = 8;
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(0, reap(&self->ring, UD_CMD, 5000, &res));
	EXPECT_EQ(-EFAULT, res);
}

TEST_F(uring, async_cancel_ends_a_waiting_receive)
{
	unsigned char buf[64];
	struct mailbox_msg_header r;
	struct io_uring_sqe *sqe;
	struct mailbox_msg m;
	int res, cres;
	__u32 port;

	ASSERT_EQ(0, port_with_send(self->fd, &port, 0));
	recv_args(&m, port, buf, sizeof(buf), 0, 0);
	ASSERT_EQ(0, submit_cmd(&self->ring, self->fd, &m));
	ASSERT_EQ(-ETIME, reap(&self->ring, UD_CMD, 100, &res));
	sqe = io_uring_get_sqe(&self->ring);
	io_uring_prep_cancel64(sqe, UD_CMD, 0);
	sqe->user_data = UD_CANCEL;
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(0, reap(&self->ring, UD_CMD, 5000, &res));
	EXPECT_EQ(-ECANCELED, res);
	ASSERT_EQ(0, reap(&self->ring, UD_CANCEL, 5000, &cres));
	EXPECT_TRUE(cres == 0 || cres == -EALREADY) TH_LOG("cancel: %d", cres);
	EXPECT_EQ(0, uring_waiting_drains());
	/* Nothing was taken: the next message goes to the next receiver. */
	ASSERT_EQ(0, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_COPY_SEND,
				 0, 0, 3, NULL));
	ASSERT_EQ(0, mb_recv_hdr(self->fd, port, &r, NULL));
	EXPECT_EQ(3, r.id);
}

TEST_F(uring, async_cancel_ends_a_waiting_send)
{
	struct mailbox_msg_header h;
	struct io_uring_sqe *sqe;
	struct mailbox_msg m;
	int res, cres;
	__u32 port;

	ASSERT_EQ(0, port_with_send(self->fd, &port, 1));
	ASSERT_EQ(0, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_COPY_SEND,
				 0, 0, 1, NULL));
	send_args(&m, &h, port, 2, 0, 0);
	ASSERT_EQ(0, submit_cmd(&self->ring, self->fd, &m));
	ASSERT_EQ(-ETIME, reap(&self->ring, UD_CMD, 100, &res));
	sqe = io_uring_get_sqe(&self->ring);
	io_uring_prep_cancel64(sqe, UD_CMD, 0);
	sqe->user_data = UD_CANCEL;
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(0, reap(&self->ring, UD_CMD, 5000, &res));
	EXPECT_EQ(-ECANCELED, res);
	ASSERT_EQ(0, reap(&self->ring, UD_CANCEL, 5000, &cres));
	EXPECT_EQ(1, mb_msgcount(self->fd, port));
	EXPECT_EQ(1, mb_send_urefs(self->fd, port));
}

TEST_F(uring, ring_close_ends_waiting_commands)
{
	struct mailbox_msg_header h, r;
	struct mailbox_msg m[2];
	unsigned char buf[64];
	__u32 port, full;
	int res;

	ASSERT_EQ(0, port_with_send(self->fd, &port, 0));
	ASSERT_EQ(0, port_with_send(self->fd, &full, 1));
	ASSERT_EQ(0, mb_send_hdr(self->fd, full, MAILBOX_MSG_TYPE_COPY_SEND,
				 0, 0, 1, NULL));
	recv_args(&m[0], port, buf, sizeof(buf), 0, 0);
	send_args(&m[1], &h, full, 2, 0, 0);
	ASSERT_EQ(0, submit_cmd(&self->ring, self->fd, &m[0]));
	ASSERT_EQ(0, submit_cmd(&self->ring, self->fd, &m[1]));
	ASSERT_EQ(-ETIME, reap(&self->ring, UD_CMD, 100, &res));
	/*
	 * Both wait in io-wq. Closing the ring cancels them asynchronously
	 * (io_uring's exit work): until then a message sent could still be
	 * taken, so look only once they are gone.
	 */
	ASSERT_EQ(0, uring_waiting_is(2));
	io_uring_queue_exit(&self->ring);
	self->ring_up = false;
	EXPECT_EQ(0, uring_waiting_drains());
	/* The space is intact: nothing received, nothing sent. */
	EXPECT_EQ(1, mb_msgcount(self->fd, full));
	ASSERT_EQ(0, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_COPY_SEND,
				 0, 0, 4, NULL));
	ASSERT_EQ(0, mb_recv_hdr(self->fd, port, &r, NULL));
	EXPECT_EQ(4, r.id);
}

TEST_F(uring, mailbox_fd_close_cancels_once_no_fd_is_left)
{
	unsigned char buf[64];
	struct mailbox_msg m;
	int res, dup_fd;
	__u32 port;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	dup_fd = dup(self->fd);
	ASSERT_LE(0, dup_fd);
	recv_args(&m, port, buf, sizeof(buf), 0, 0);
	ASSERT_EQ(0, submit_cmd(&self->ring, self->fd, &m));
	ASSERT_EQ(-ETIME, reap(&self->ring, UD_CMD, 100, &res));
	/* Another fd of the same file is left: still waiting. */
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(-ETIME, reap(&self->ring, UD_CMD, 100, &res));
	close(dup_fd);
	ASSERT_EQ(0, reap(&self->ring, UD_CMD, 5000, &res));
	EXPECT_EQ(-ECANCELED, res);
	EXPECT_EQ(MAILBOX_RCV_INTERRUPTED, m.status);
	EXPECT_EQ(0, uring_waiting_drains());
}

TEST_F(uring, a_child_closing_its_inherited_fd_cancels_nothing)
{
	struct mailbox_msg_header *h;
	unsigned char buf[64];
	struct mailbox_msg m;
	__u32 port;
	pid_t pid;
	int res;

	ASSERT_EQ(0, port_with_send(self->fd, &port, 0));
	recv_args(&m, port, buf, sizeof(buf), 0, 0);
	ASSERT_EQ(0, submit_cmd(&self->ring, self->fd, &m));
	ASSERT_EQ(-ETIME, reap(&self->ring, UD_CMD, 100, &res));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(self->fd);
		_exit(0);
	}
	ASSERT_EQ(0, mb_wait_child(pid));
	ASSERT_EQ(-ETIME, reap(&self->ring, UD_CMD, 100, &res));
	ASSERT_EQ(0, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_COPY_SEND,
				 0, 0, 12, NULL));
	ASSERT_EQ(0, reap(&self->ring, UD_CMD, 5000, &res));
	EXPECT_EQ(0, res);
	h = (struct mailbox_msg_header *)buf;
	EXPECT_EQ(12, h->id);
}

TEST_F(uring, command_reaching_io_wq_after_the_close_is_cancelled)
{
	unsigned char buf[64];
	struct io_uring_sqe *sqe;
	struct mailbox_msg m;
	__u32 port;
	int res, fd;

	/* IOSQE_ASYNC: straight to io-wq; the fd is closed right after. */
	fd = mb_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mb_alloc_receive(fd, &port));
	recv_args(&m, port, buf, sizeof(buf), 0, 0);
	sqe = prep_cmd(&self->ring, fd, &m, UD_CMD);
	sqe->flags |= IOSQE_ASYNC;
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	close(fd);
	ASSERT_EQ(0, reap(&self->ring, UD_CMD, 5000, &res));
	EXPECT_EQ(-ECANCELED, res);
}

/*
 * io-wq runs at most min(SQ entries, 4 x CPUs) bounded workers: with more
 * receives waiting than that, the rest queue in io-wq until workers are
 * free, and every one completes once its message comes; on a second ring,
 * closing it ends both the running and the queued ones.
 */
TEST_F(uring, more_waiting_receives_than_io_wq_workers)
{
	enum { N = 40 };
	static unsigned char buf[N][64];
	static struct mailbox_msg m[N];
	struct io_uring ring;
	__u32 port[N];
	int i, res, done = 0;
	bool seen[N] = { false };

	ASSERT_EQ(0, io_uring_queue_init(64, &ring, 0));
	for (i = 0; i < N; i++) {
		ASSERT_EQ(0, port_with_send(self->fd, &port[i], 0));
		recv_args(&m[i], port[i], buf[i], sizeof(buf[i]), 0, 0);
		ASSERT_NE(NULL, prep_cmd(&ring, self->fd, &m[i], 100 + i));
	}
	ASSERT_EQ(N, io_uring_submit(&ring));
	ASSERT_EQ(-ETIME, reap(&ring, 100, 100, &res));
	for (i = 0; i < N; i++)
		ASSERT_EQ(0, mb_send_hdr(self->fd, port[i],
					 MAILBOX_MSG_TYPE_COPY_SEND, 0, 0,
					 i, NULL));
	while (done < N) {
		struct __kernel_timespec ts = { .tv_sec = 10 };
		struct io_uring_cqe *cqe;

		ASSERT_EQ(0, io_uring_wait_cqe_timeout(&ring, &cqe, &ts));
		i = (int)cqe->user_data - 100;
		ASSERT_TRUE(i >= 0 && i < N);
		EXPECT_EQ(0, cqe->res);
		EXPECT_FALSE(seen[i]);
		seen[i] = true;
		io_uring_cqe_seen(&ring, cqe);
		done++;
	}
	for (i = 0; i < N; i++)
		EXPECT_EQ(i, ((struct mailbox_msg_header *)buf[i])->id);

	/* Again, then close the ring with all of them waiting. */
	for (i = 0; i < N; i++) {
		recv_args(&m[i], port[i], buf[i], sizeof(buf[i]), 0, 0);
		ASSERT_NE(NULL, prep_cmd(&ring, self->fd, &m[i], 100 + i));
	}
	ASSERT_EQ(N, io_uring_submit(&ring));
	ASSERT_EQ(-ETIME, reap(&ring, 100, 100, &res));
	io_uring_queue_exit(&ring);
	EXPECT_EQ(0, uring_waiting_drains());
	for (i = 0; i < N; i++)
		EXPECT_EQ(0, mb_msgcount(self->fd, port[i]));
}

TEST_F(uring, port_destroyed_under_a_receive_fails_it_with_epipe)
{
	unsigned char buf[64];
	struct mailbox_msg m;
	__u32 port;
	int res;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	recv_args(&m, port, buf, sizeof(buf), 0, 0);
	ASSERT_EQ(0, submit_cmd(&self->ring, self->fd, &m));
	ASSERT_EQ(-ETIME, reap(&self->ring, UD_CMD, 100, &res));
	ASSERT_EQ(0, mb_destroy(self->fd, port));
	ASSERT_EQ(0, reap(&self->ring, UD_CMD, 5000, &res));
	EXPECT_EQ(-EPIPE, res);
	EXPECT_EQ(MAILBOX_RCV_PORT_DIED, m.status);
}

/*
 * In a child: a ring with a receive, a send to a full queue and a call
 * all waiting; then tell the parent on @ready and wait to die (or exit).
 */
static void child_with_pending(int ready, bool exit_now)
{
	static struct mailbox_msg m[3];
	static struct mailbox_msg_header h[2];
	static unsigned char buf[2][64];
	struct io_uring ring;
	__u32 port, full, reply;
	int fd, i, res;

	mb_child_init();
	fd = mb_open();
	CHILD_CHECK(fd >= 0);
	CHILD_CHECK(io_uring_queue_init(8, &ring, 0) == 0);
	CHILD_CHECK(!port_with_send(fd, &port, 0));
	CHILD_CHECK(!port_with_send(fd, &full, 1));
	CHILD_CHECK(!mb_alloc_receive(fd, &reply));
	CHILD_CHECK(!mb_send_hdr(fd, full, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0,
				 1, NULL));
	recv_args(&m[0], port, buf[0], sizeof(buf[0]), 0, 0);
	send_args(&m[1], &h[0], full, 2, 0, 0);
	/* A call whose request waits for room. */
	recv_args(&m[2], reply, buf[1], sizeof(buf[1]), MAILBOX_MSG_SEND, 0);
	mb_header(&h[1], full, MAILBOX_MSG_TYPE_COPY_SEND, reply,
		  MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, 3);
	m[2].send_msg = (uintptr_t)&h[1];
	m[2].send_size = sizeof(h[1]);
	for (i = 0; i < 3; i++)
		CHILD_CHECK(submit_cmd(&ring, fd, &m[i]) == 0);
	CHILD_CHECK(reap(&ring, UD_CMD, 100, &res) == -ETIME);
	CHILD_CHECK(write(ready, "x", 1) == 1);
	if (exit_now)
		_exit(0);
	for (;;)
		pause();
}

static void run_dying_child(struct __test_metadata *_metadata, bool kill_it)
{
	int p[2], status;
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(p[0]);
		child_with_pending(p[1], !kill_it);
	}
	close(p[1]);
	ASSERT_EQ(1, read(p[0], &c, 1));
	close(p[0]);
	if (kill_it)
		ASSERT_EQ(0, kill(pid, SIGKILL));
	alarm(20);
	status = mb_wait_child(pid);
	alarm(0);
	EXPECT_EQ(kill_it ? 128 + SIGKILL : 0, status);
	EXPECT_EQ(0, uring_waiting_drains());
}

TEST_F(uring, exit_with_waiting_commands_leaves_nothing)
{
	run_dying_child(_metadata, false);
}

TEST_F(uring, sigkill_with_waiting_commands_leaves_nothing)
{
	run_dying_child(_metadata, true);
}

/*
 * IORING_SETUP_SQPOLL: the commands are issued by the ring's kernel thread
 * (a thread of the submitting process), not by the submitter. A send and a
 * receive that completes at once run there, a receive that must wait goes
 * to io-wq as from any ring; the trailer names the submitting process.
 */
TEST_F(uring, sqpoll_ring_sends_and_receives_as_the_submitter)
{
	struct io_uring_params p = {
		.flags = IORING_SETUP_SQPOLL, .sq_thread_idle = 1000,
	};
	struct mailbox_msg_header h, *r;
	struct mailbox_msg_trailer *t;
	unsigned char buf[128];
	struct mailbox_msg ms, mr;
	struct io_uring ring;
	__u32 port;
	int res, err;

	err = io_uring_queue_init_params(8, &ring, &p);
	if (err == -EPERM)
		SKIP(return, "SQPOLL rings need privileges on this kernel");
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, port_with_send(self->fd, &port, 0));

	/* Send, then receive it with its trailer: both complete inline. */
	send_args(&ms, &h, port, 51, 0, 0);
	ASSERT_EQ(0, submit_cmd(&ring, self->fd, &ms));
	ASSERT_EQ(0, reap(&ring, UD_CMD, 5000, &res));
	EXPECT_EQ(0, res);
	EXPECT_EQ(MAILBOX_MSG_SUCCESS, ms.status);
	recv_args(&mr, port, buf, sizeof(buf), MAILBOX_MSG_RCV_TRAILER, 0);
	ASSERT_EQ(0, submit_cmd(&ring, self->fd, &mr));
	ASSERT_EQ(0, reap(&ring, UD_CMD, 5000, &res));
	EXPECT_EQ(0, res);
	r = (struct mailbox_msg_header *)buf;
	EXPECT_EQ(51, r->id);
	ASSERT_EQ(MB_HDR_SIZE + MB_TRAILER_SIZE, mr.rcv_size);
	t = (struct mailbox_msg_trailer *)(buf + MB_HDR_SIZE);
	EXPECT_EQ(getpid(), t->sender_pid);
	EXPECT_EQ(getuid(), t->sender_uid);

	/* A receive that must wait, then a plain ioctl send. */
	recv_args(&mr, port, buf, sizeof(buf), 0, 0);
	ASSERT_EQ(0, submit_cmd(&ring, self->fd, &mr));
	ASSERT_EQ(-ETIME, reap(&ring, UD_CMD, 100, &res));
	ASSERT_EQ(0, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_COPY_SEND,
				 0, 0, 52, NULL));
	ASSERT_EQ(0, reap(&ring, UD_CMD, 5000, &res));
	EXPECT_EQ(0, res);
	EXPECT_EQ(52, r->id);

	/* A waiting receive ends with the ring. */
	recv_args(&mr, port, buf, sizeof(buf), 0, 0);
	ASSERT_EQ(0, submit_cmd(&ring, self->fd, &mr));
	ASSERT_EQ(-ETIME, reap(&ring, UD_CMD, 100, &res));
	io_uring_queue_exit(&ring);
	EXPECT_EQ(0, uring_waiting_drains());
	EXPECT_EQ(0, mb_msgcount(self->fd, port));
}

TEST_F(uring, ready_fd_with_poll_add_is_the_fallback)
{
	struct mailbox_port_fd pf = { 0 };
	struct io_uring_sqe *sqe;
	__u32 port;
	int res;

	ASSERT_EQ(0, port_with_send(self->fd, &port, 0));
	pf.name = port;
	ASSERT_EQ(0, mb_ioctl(self->fd, MAILBOX_IOC_PORT_READY_FD, &pf));
	sqe = io_uring_get_sqe(&self->ring);
	io_uring_prep_poll_add(sqe, pf.fd, POLLIN);
	sqe->user_data = UD_CMD;
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(-ETIME, reap(&self->ring, UD_CMD, 100, &res));
	ASSERT_EQ(0, mb_send_hdr(self->fd, port, MAILBOX_MSG_TYPE_COPY_SEND,
				 0, 0, 1, NULL));
	ASSERT_EQ(0, reap(&self->ring, UD_CMD, 5000, &res));
	EXPECT_TRUE(res & POLLIN);
	close(pf.fd);
}

TEST_HARNESS_MAIN
