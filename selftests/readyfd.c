// SPDX-License-Identifier: GPL-2.0
/*
 * Ready fds: MAILBOX_IOC_PORT_READY_FD with poll, select, epoll, io_uring.
 */
#include "pset_helpers.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/io_uring.h>

#include "kselftest_harness.h"

FIXTURE(mailbox) {
	int fd;
};

FIXTURE_SETUP(mailbox)
{
	self->fd = ps_open();
	ASSERT_LE(0, self->fd) TH_LOG("open /dev/mailbox: %s", strerror(errno));
}

FIXTURE_TEARDOWN(mailbox)
{
	close(self->fd);
}

TEST_F(mailbox, ready_fd_errors)
{
	struct mailbox_port_fd a = { };
	__u32 port = ps_port(self->fd), dead, so;
	struct mailbox_port_insert_right ir = {
		.space_fd = MAILBOX_SPACE_SELF, .poly = port,
		.disposition = MAILBOX_MSG_TYPE_MAKE_SEND_ONCE,
	};
	struct mailbox_port_insert_right give = {
		.poly = port, .disposition = MAILBOX_MSG_TYPE_MAKE_SEND,
	};
	int rfd, other;

	ASSERT_EQ(0, ps_ioctl(self->fd, MAILBOX_IOC_PORT_INSERT_RIGHT, &ir));
	so = ir.name;
	ASSERT_EQ(0, ps_allocate(self->fd, MAILBOX_RIGHT_DEAD_NAME, &dead));

	a.name = port;
	a.flags = 1;
	EXPECT_EQ(EINVAL, ps_ioctl(self->fd, MAILBOX_IOC_PORT_READY_FD, &a));
	a.flags = 0;
	a.disposition = MAILBOX_MSG_TYPE_MAKE_SEND;
	EXPECT_EQ(EINVAL, ps_ioctl(self->fd, MAILBOX_IOC_PORT_READY_FD, &a));
	a.disposition = 0;
	a.reserved = 1;
	EXPECT_EQ(EINVAL, ps_ioctl(self->fd, MAILBOX_IOC_PORT_READY_FD, &a));
	EXPECT_EQ(EFAULT, ps_ioctl(self->fd, MAILBOX_IOC_PORT_READY_FD, NULL));

	EXPECT_EQ(ENOENT, ps_ready_fd(self->fd, MAILBOX_PORT_NULL, &rfd));
	EXPECT_EQ(ENOENT, ps_ready_fd(self->fd, MAILBOX_PORT_DEAD, &rfd));
	EXPECT_EQ(ENOENT, ps_ready_fd(self->fd, PS_UNUSED_NAME, &rfd));
	EXPECT_EQ(EPERM, ps_ready_fd(self->fd, so, &rfd));
	EXPECT_EQ(EPERM, ps_ready_fd(self->fd, dead, &rfd));
	/* A send right alone, in another space. */
	other = ps_open();
	ASSERT_LE(0, other);
	give.space_fd = other;
	ASSERT_EQ(0, ps_ioctl(self->fd, MAILBOX_IOC_PORT_INSERT_RIGHT, &give));
	EXPECT_EQ(EPERM, ps_ready_fd(other, give.name, &rfd));
	close(other);
}

TEST_F(mailbox, ready_fd_is_cloexec_pollonly)
{
	__u32 port = ps_port(self->fd);
	char buf[256], path[64];
	ssize_t n;
	int rfd, ffd;

	ASSERT_EQ(0, ps_ready_fd(self->fd, port, &rfd));
	ASSERT_LE(0, rfd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(rfd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(-1, read(rfd, buf, sizeof(buf)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, write(rfd, buf, 1));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, ioctl(rfd, MAILBOX_IOC_VERSION, buf));
	EXPECT_EQ(ENOTTY, errno);
	n = readlink((snprintf(path, sizeof(path), "/proc/self/fd/%d", rfd),
		      path), buf, sizeof(buf) - 1);
	ASSERT_LT(0, n);
	buf[n] = 0;
	EXPECT_STREQ("anon_inode:[mailbox-ready]", buf);
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", rfd);
	ffd = open(path, O_RDONLY);
	ASSERT_LE(0, ffd);
	n = read(ffd, buf, sizeof(buf) - 1);
	ASSERT_LT(0, n);
	buf[n] = 0;
	EXPECT_NE(NULL, strstr(buf, "mailbox-ready:\tport msgcount:0 qlimit:5"));
	close(ffd);
	close(rfd);
}

TEST_F(mailbox, port_poll_in_and_out)
{
	__u32 port = ps_port(self->fd), status;
	struct ps_rmsg r;
	int rfd, i;

	ASSERT_EQ(0, ps_qlimit(self->fd, port, 2));
	ASSERT_EQ(0, ps_make_send(self->fd, port));
	ASSERT_EQ(0, ps_ready_fd(self->fd, port, &rfd));
	EXPECT_EQ(POLLOUT, ps_poll(rfd, 0));
	ASSERT_EQ(0, ps_send_disp(self->fd, port, MAILBOX_MSG_TYPE_COPY_SEND,
				  1, NULL));
	EXPECT_EQ(POLLIN | POLLOUT, ps_poll(rfd, 0));
	ASSERT_EQ(0, ps_send_disp(self->fd, port, MAILBOX_MSG_TYPE_COPY_SEND,
				  2, NULL));
	EXPECT_EQ(POLLIN, ps_poll(rfd, 0));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, ps_recv(self->fd, port, &r, 0, &status));
	EXPECT_EQ(POLLOUT, ps_poll(rfd, 0));
	close(rfd);
}

TEST_F(mailbox, port_select_readable)
{
	__u32 port = ps_port(self->fd);
	struct timeval tv = { 0, 0 };
	fd_set rs;
	int rfd;

	ASSERT_EQ(0, ps_ready_fd(self->fd, port, &rfd));
	FD_ZERO(&rs);
	FD_SET(rfd, &rs);
	EXPECT_EQ(0, select(rfd + 1, &rs, NULL, NULL, &tv));
	ASSERT_EQ(0, ps_send(self->fd, port, 1));
	FD_ZERO(&rs);
	FD_SET(rfd, &rs);
	EXPECT_EQ(1, select(rfd + 1, &rs, NULL, NULL, &tv));
	close(rfd);
}

struct poller {
	pthread_t thread;
	int fd;
	int events;
	int got;
	volatile int done;
};

static void *poller_main(void *arg)
{
	struct poller *p = arg;
	struct epoll_event ev = { .events = p->events }, out;
	int ep = epoll_create1(EPOLL_CLOEXEC);

	p->got = -1;
	if (ep >= 0 && !epoll_ctl(ep, EPOLL_CTL_ADD, p->fd, &ev) &&
	    epoll_wait(ep, &out, 1, 10000) == 1)
		p->got = out.events;
	close(ep);
	__atomic_store_n(&p->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int poller_start(struct poller *p, int fd, int events)
{
	memset(p, 0, sizeof(*p));
	p->fd = fd;
	p->events = events;
	return pthread_create(&p->thread, NULL, poller_main, p);
}

static bool poller_done(struct poller *p)
{
	return __atomic_load_n(&p->done, __ATOMIC_ACQUIRE);
}

TEST_F(mailbox, epoll_wakes_on_send)
{
	__u32 port = ps_port(self->fd);
	struct poller p;
	int rfd;

	ASSERT_EQ(0, ps_ready_fd(self->fd, port, &rfd));
	ASSERT_EQ(0, poller_start(&p, rfd, EPOLLIN));
	usleep(100 * 1000);
	EXPECT_FALSE(poller_done(&p));
	ASSERT_EQ(0, ps_send(self->fd, port, 1));
	pthread_join(p.thread, NULL);
	EXPECT_EQ(EPOLLIN, p.got);
	close(rfd);
}

TEST_F(mailbox, epoll_wakes_when_room_appears)
{
	__u32 port = ps_port(self->fd), status;
	struct ps_rmsg r;
	struct poller p;
	int rfd;

	ASSERT_EQ(0, ps_qlimit(self->fd, port, 1));
	ASSERT_EQ(0, ps_make_send(self->fd, port));
	ASSERT_EQ(0, ps_send_disp(self->fd, port, MAILBOX_MSG_TYPE_COPY_SEND,
				  1, NULL));
	ASSERT_EQ(0, ps_ready_fd(self->fd, port, &rfd));
	ASSERT_EQ(0, poller_start(&p, rfd, EPOLLOUT));
	usleep(100 * 1000);
	EXPECT_FALSE(poller_done(&p));
	ASSERT_EQ(0, ps_recv(self->fd, port, &r, 0, &status));
	pthread_join(p.thread, NULL);
	EXPECT_EQ(EPOLLOUT, p.got);
	close(rfd);
}

TEST_F(mailbox, epoll_wakes_when_qlimit_raised)
{
	__u32 port = ps_port(self->fd);
	struct poller p;
	int rfd;

	ASSERT_EQ(0, ps_qlimit(self->fd, port, 1));
	ASSERT_EQ(0, ps_make_send(self->fd, port));
	ASSERT_EQ(0, ps_send_disp(self->fd, port, MAILBOX_MSG_TYPE_COPY_SEND,
				  1, NULL));
	ASSERT_EQ(0, ps_ready_fd(self->fd, port, &rfd));
	ASSERT_EQ(0, poller_start(&p, rfd, EPOLLOUT));
	usleep(100 * 1000);
	EXPECT_FALSE(poller_done(&p));
	ASSERT_EQ(0, ps_qlimit(self->fd, port, 2));
	pthread_join(p.thread, NULL);
	EXPECT_EQ(EPOLLOUT, p.got);
	close(rfd);
}

TEST_F(mailbox, epollhup_after_port_death)
{
	__u32 port = ps_port(self->fd);
	struct poller p;
	int rfd;

	ASSERT_EQ(0, ps_send(self->fd, port, 1));
	ASSERT_EQ(0, ps_ready_fd(self->fd, port, &rfd));
	/* Waits for a state it never reaches: only the death wakes it. */
	ASSERT_EQ(0, ps_qlimit(self->fd, port, 1));
	ASSERT_EQ(0, poller_start(&p, rfd, EPOLLOUT));
	usleep(100 * 1000);
	EXPECT_FALSE(poller_done(&p));
	ASSERT_EQ(0, ps_destroy(self->fd, port));
	pthread_join(p.thread, NULL);
	EXPECT_EQ(EPOLLHUP, p.got);
	EXPECT_EQ(POLLHUP, ps_poll(rfd, 0));
	close(rfd);
}

TEST_F(mailbox, ready_fd_outlives_space)
{
	__u32 port = ps_port(self->fd);
	int rfd;

	ASSERT_EQ(0, ps_ready_fd(self->fd, port, &rfd));
	close(self->fd);
	EXPECT_EQ(POLLHUP, ps_poll(rfd, 0));
	close(rfd);
	self->fd = ps_open();
}

TEST_F(mailbox, set_ready_fd)
{
	__u32 set = ps_set(self->fd), a = ps_port(self->fd), status;
	struct ps_rmsg r;
	char buf[256], path[64];
	int rfd, ffd;
	ssize_t n;

	ASSERT_EQ(0, ps_move(self->fd, a, set));
	ASSERT_EQ(0, ps_ready_fd(self->fd, set, &rfd));
	EXPECT_EQ(0, ps_poll(rfd, 0));
	ASSERT_EQ(0, ps_send(self->fd, a, 1));
	EXPECT_EQ(POLLIN, ps_poll(rfd, 0));
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", rfd);
	ffd = open(path, O_RDONLY);
	ASSERT_LE(0, ffd);
	n = read(ffd, buf, sizeof(buf) - 1);
	ASSERT_LT(0, n);
	buf[n] = 0;
	EXPECT_NE(NULL, strstr(buf, "port-set members:1 ready:1 active:1"));
	close(ffd);
	ASSERT_EQ(0, ps_recv(self->fd, set, &r, 0, &status));
	EXPECT_EQ(0, ps_poll(rfd, 0));
	ASSERT_EQ(0, ps_destroy(self->fd, set));
	EXPECT_EQ(POLLHUP, ps_poll(rfd, 0));
	close(rfd);
}

TEST_F(mailbox, set_ready_fd_hup_wakes_epoll)
{
	__u32 set = ps_set(self->fd);
	struct poller p;
	int rfd;

	ASSERT_EQ(0, ps_ready_fd(self->fd, set, &rfd));
	ASSERT_EQ(0, poller_start(&p, rfd, EPOLLIN));
	usleep(100 * 1000);
	EXPECT_FALSE(poller_done(&p));
	ASSERT_EQ(0, ps_destroy(self->fd, set));
	pthread_join(p.thread, NULL);
	EXPECT_EQ(EPOLLHUP, p.got);
	close(rfd);
}

TEST_F(mailbox, epoll_on_set_from_other_process)
{
	__u32 set = ps_set(self->fd), a = ps_port(self->fd), status;
	int rfd, pipefd[2], wstatus;
	struct ps_rmsg r;
	pid_t pid;
	char c;

	ASSERT_EQ(0, ps_move(self->fd, a, set));
	ASSERT_EQ(0, ps_ready_fd(self->fd, set, &rfd));
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct epoll_event ev = { .events = EPOLLIN }, out;
		int ep = epoll_create1(0);

		if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, rfd, &ev))
			_exit(10);
		if (write(pipefd[1], "r", 1) != 1)
			_exit(11);
		if (epoll_wait(ep, &out, 1, 10000) != 1 ||
		    out.events != EPOLLIN)
			_exit(12);
		/* The space is shared by fork: receive on the set. */
		if (ps_recv(self->fd, set, &r, 0, &status) || r.word != 99 ||
		    r.h.local_port != a)
			_exit(13);
		_exit(0);
	}
	ASSERT_EQ(1, read(pipefd[0], &c, 1));
	usleep(100 * 1000);
	EXPECT_EQ(0, waitpid(pid, &wstatus, WNOHANG));
	ASSERT_EQ(0, ps_send(self->fd, a, 99));
	ASSERT_EQ(pid, waitpid(pid, &wstatus, 0));
	EXPECT_TRUE(WIFEXITED(wstatus));
	EXPECT_EQ(0, WEXITSTATUS(wstatus));
	EXPECT_EQ(EAGAIN, ps_recv(self->fd, set, &r, 0, &status));
	close(pipefd[0]);
	close(pipefd[1]);
	close(rfd);
}

/*
 * One message wakes both an exclusive receiver and a poller. The receiver
 * (RCV_LARGE with a buffer too small) leaves the message queued, so the
 * poller still sees it when it looks.
 */
struct large_waiter {
	pthread_t thread;
	int fd;
	__u32 name;
	int err;
	__u32 status;
	volatile int done;
};

static void *large_waiter_main(void *arg)
{
	struct large_waiter *w = arg;
	struct ps_rmsg r;
	__u32 size = sizeof(struct mailbox_msg_header);

	w->err = ps_recv_opt(w->fd, w->name, &r, &size, MAILBOX_MSG_RCV_LARGE,
			     -1, &w->status);
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void both_wake(struct __test_metadata *_metadata, int fd, __u32 name,
		      __u32 dest)
{
	struct large_waiter w = { .fd = fd, .name = name };
	struct poller p;
	int rfd;

	ASSERT_EQ(0, ps_ready_fd(fd, name, &rfd));
	ASSERT_EQ(0, pthread_create(&w.thread, NULL, large_waiter_main, &w));
	ASSERT_EQ(0, poller_start(&p, rfd, EPOLLIN));
	usleep(100 * 1000);
	EXPECT_FALSE(__atomic_load_n(&w.done, __ATOMIC_ACQUIRE));
	EXPECT_FALSE(poller_done(&p));
	ASSERT_EQ(0, ps_send(fd, dest, 5));
	pthread_join(w.thread, NULL);
	pthread_join(p.thread, NULL);
	EXPECT_EQ(EMSGSIZE, w.err);
	EXPECT_EQ(MAILBOX_RCV_TOO_LARGE, w.status);
	EXPECT_EQ(EPOLLIN, p.got);
	close(rfd);
}

TEST_F(mailbox, poller_and_receiver_both_wake)
{
	__u32 port = ps_port(self->fd);

	both_wake(_metadata, self->fd, port, port);
}

TEST_F(mailbox, set_poller_and_set_receiver_both_wake)
{
	__u32 set = ps_set(self->fd), a = ps_port(self->fd);

	ASSERT_EQ(0, ps_move(self->fd, a, set));
	both_wake(_metadata, self->fd, set, a);
}

/* Minimal raw io_uring: one IORING_OP_POLL_ADD. */
struct ring {
	int fd;
	void *sq, *cq;
	struct io_uring_sqe *sqes;
	struct io_uring_params p;
	size_t sq_len, cq_len;
};

static int ring_init(struct ring *r)
{
	memset(r, 0, sizeof(*r));
	r->fd = syscall(__NR_io_uring_setup, 4, &r->p);
	if (r->fd < 0)
		return -errno;
	r->sq_len = r->p.sq_off.array + r->p.sq_entries * sizeof(__u32);
	r->cq_len = r->p.cq_off.cqes +
		    r->p.cq_entries * sizeof(struct io_uring_cqe);
	r->sq = mmap(NULL, r->sq_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		     r->fd, IORING_OFF_SQ_RING);
	r->cq = mmap(NULL, r->cq_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		     r->fd, IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, r->p.sq_entries * sizeof(struct io_uring_sqe),
		       PROT_READ | PROT_WRITE, MAP_SHARED, r->fd,
		       IORING_OFF_SQES);
	if (r->sq == MAP_FAILED || r->cq == MAP_FAILED ||
	    r->sqes == MAP_FAILED)
		return -ENOMEM;
	return 0;
}

static int ring_poll_add(struct ring *r, int fd, unsigned int events)
{
	__u32 *tail = r->sq + r->p.sq_off.tail;
	__u32 *array = r->sq + r->p.sq_off.array;
	__u32 mask = *(__u32 *)(r->sq + r->p.sq_off.ring_mask);
	__u32 t = *tail;
	struct io_uring_sqe *sqe = &r->sqes[t & mask];

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_POLL_ADD;
	sqe->fd = fd;
	sqe->poll32_events = events;
	sqe->user_data = 42;
	array[t & mask] = t & mask;
	__atomic_store_n(tail, t + 1, __ATOMIC_RELEASE);
	return syscall(__NR_io_uring_enter, r->fd, 1, 0, 0, NULL, 0);
}

/* Completions: 0 none yet, 1 one (its result in *res), -errno. */
static int ring_reap(struct ring *r, bool wait, int *res)
{
	__u32 *head = r->cq + r->p.cq_off.head;
	__u32 *tail = r->cq + r->p.cq_off.tail;
	__u32 mask = *(__u32 *)(r->cq + r->p.cq_off.ring_mask);
	struct io_uring_cqe *cqes = r->cq + r->p.cq_off.cqes;
	__u32 h;

	if (wait && syscall(__NR_io_uring_enter, r->fd, 0, 1,
			    IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return -errno;
	h = *head;
	if (h == __atomic_load_n(tail, __ATOMIC_ACQUIRE))
		return 0;
	*res = cqes[h & mask].res;
	__atomic_store_n(head, h + 1, __ATOMIC_RELEASE);
	return 1;
}

static void ring_exit(struct ring *r)
{
	munmap(r->sq, r->sq_len);
	munmap(r->cq, r->cq_len);
	munmap(r->sqes, r->p.sq_entries * sizeof(struct io_uring_sqe));
	close(r->fd);
}

TEST_F(mailbox, io_uring_poll_add_on_set)
{
	__u32 set = ps_set(self->fd), a = ps_port(self->fd);
	struct ring ring;
	int rfd, res = 0, ret;

	ret = ring_init(&ring);
	if (ret == -ENOSYS || ret == -EPERM)
		SKIP(return, "io_uring not available (%d)", ret);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, ps_move(self->fd, a, set));
	ASSERT_EQ(0, ps_ready_fd(self->fd, set, &rfd));
	ASSERT_EQ(1, ring_poll_add(&ring, rfd, POLLIN));
	usleep(100 * 1000);
	EXPECT_EQ(0, ring_reap(&ring, false, &res));
	ASSERT_EQ(0, ps_send(self->fd, a, 1));
	ASSERT_EQ(1, ring_reap(&ring, true, &res));
	EXPECT_EQ(POLLIN, res & (POLLIN | POLLHUP));
	/* Already ready: completes at once. */
	ASSERT_EQ(1, ring_poll_add(&ring, rfd, POLLIN));
	ASSERT_EQ(1, ring_reap(&ring, true, &res));
	EXPECT_EQ(POLLIN, res & POLLIN);
	ring_exit(&ring);
	close(rfd);
}

TEST_F(mailbox, io_uring_poll_add_on_port)
{
	__u32 port = ps_port(self->fd);
	struct ring ring;
	int rfd, res = 0, ret;

	ret = ring_init(&ring);
	if (ret == -ENOSYS || ret == -EPERM)
		SKIP(return, "io_uring not available (%d)", ret);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, ps_ready_fd(self->fd, port, &rfd));
	ASSERT_EQ(1, ring_poll_add(&ring, rfd, POLLIN));
	usleep(100 * 1000);
	EXPECT_EQ(0, ring_reap(&ring, false, &res));
	ASSERT_EQ(0, ps_send(self->fd, port, 1));
	ASSERT_EQ(1, ring_reap(&ring, true, &res));
	EXPECT_EQ(POLLIN, res & POLLIN);
	ASSERT_EQ(1, ring_poll_add(&ring, rfd, POLLRDHUP));
	usleep(50 * 1000);
	ASSERT_EQ(0, ps_destroy(self->fd, port));
	ASSERT_EQ(1, ring_reap(&ring, true, &res));
	EXPECT_EQ(POLLHUP, res & POLLHUP);
	ring_exit(&ring);
	close(rfd);
}

TEST_HARNESS_MAIN
