// SPDX-License-Identifier: GPL-2.0
/*
 * Rights as file descriptors: MAILBOX_IOC_PORT_EXPORT and _PORT_IMPORT.
 *
 * Helpers return 0 or the errno of the failed ioctl. Output fields are
 * pre-filled with a pattern so that a field the kernel forgot shows.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/mailbox.h>

#include "kselftest_harness.h"

#define PATTERN32	0xa5a5a5a5U
#define UNUSED_NAME	((0x1234U << 8) | 0x5aU)
#define EXEC_ENV	"MB_FDRIGHT_EXEC_FD"

static int mb_open(void)
{
	return open("/dev/mailbox", O_RDWR | O_CLOEXEC);
}

static int mb_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? errno : 0;
}

static int mb_alloc_receive(int fd, __u32 *name)
{
	struct mailbox_port_allocate a = {
		.right = MAILBOX_RIGHT_RECEIVE, .name = PATTERN32,
	};
	int err = mb_ioctl(fd, MAILBOX_IOC_PORT_ALLOCATE, &a);

	*name = a.name;
	return err;
}

static int mb_insert(int fd, int space_fd, __u32 *name, __u32 poly,
		     __u32 disposition)
{
	struct mailbox_port_insert_right ir = {
		.space_fd = space_fd, .name = *name, .poly = poly,
		.disposition = disposition,
	};
	int err = mb_ioctl(fd, MAILBOX_IOC_PORT_INSERT_RIGHT, &ir);

	*name = ir.name;
	return err;
}

static int mb_name_op(int fd, unsigned long cmd, __u32 name)
{
	struct mailbox_port_name_op op = { .name = name };

	return mb_ioctl(fd, cmd, &op);
}

static int mb_type(int fd, __u32 name, __u32 *type, __u32 *urefs)
{
	struct mailbox_port_type t;
	int err;

	memset(&t, 0xa5, sizeof(t));
	t.name = name;
	t.flags = 0;
	t.reserved = 0;
	err = mb_ioctl(fd, MAILBOX_IOC_PORT_TYPE, &t);
	if (type)
		*type = err ? 0 : t.type;
	if (urefs)
		*urefs = err ? 0 : t.send_urefs;
	return err;
}

static int mb_attr(int fd, __u32 name, struct mailbox_port_attr *a)
{
	memset(a, 0xa5, sizeof(*a));
	a->name = name;
	a->flags = 0;
	a->spin_us = 0;
	return mb_ioctl(fd, MAILBOX_IOC_PORT_GET_ATTR, a);
}

static long mb_has_senders(int fd, __u32 name)
{
	struct mailbox_port_attr a;
	int err = mb_attr(fd, name, &a);

	return err ? -err : (long)a.has_senders;
}

static long mb_sorights(int fd, __u32 name)
{
	struct mailbox_port_attr a;
	int err = mb_attr(fd, name, &a);

	return err ? -err : (long)a.sorights;
}

static long mb_nr_names(int fd)
{
	struct mailbox_port_names n = { .count = 0 };

	if (ioctl(fd, MAILBOX_IOC_PORT_NAMES, &n) && errno != ENOSPC)
		return -errno;
	return n.count;
}

/* Export @name with @disposition; the new fd in *@rfd (-1 on failure). */
static int mb_export(int fd, __u32 name, __u32 disposition, int *rfd)
{
	struct mailbox_port_fd a = {
		.name = name, .disposition = disposition, .fd = (int)PATTERN32,
	};
	int err = mb_ioctl(fd, MAILBOX_IOC_PORT_EXPORT, &a);

	*rfd = err ? -1 : a.fd;
	return err;
}

/* Import @rfd under *@name (in: wanted name or MAILBOX_PORT_NULL; out). */
static int mb_import(int fd, int rfd, __u32 *name)
{
	struct mailbox_port_fd a = { .name = *name, .fd = rfd };
	int err = mb_ioctl(fd, MAILBOX_IOC_PORT_IMPORT, &a);

	*name = a.name;
	return err;
}

static int mb_send_id(int fd, __u32 dest, __u32 disposition, __s32 id)
{
	struct mailbox_msg_header h = {
		.bits = MAILBOX_MSGH_BITS(disposition, 0),
		.remote_port = dest,
		.id = id,
	};
	struct mailbox_msg m = {
		.send_msg = (uintptr_t)&h,
		.options = MAILBOX_MSG_SEND | MAILBOX_MSG_SEND_TIMEOUT,
		.send_size = sizeof(h),
	};

	return mb_ioctl(fd, MAILBOX_IOC_MSG, &m);
}

/* Receive a header-only message on @name, waiting up to @timeout_ns. */
static int mb_recv_id(int fd, __u32 name, __u64 timeout_ns, __s32 *id)
{
	struct mailbox_msg_header h;
	struct mailbox_msg m = {
		.rcv_msg = (uintptr_t)&h,
		.rcv_timeout = timeout_ns,
		.options = MAILBOX_MSG_RCV | MAILBOX_MSG_RCV_TIMEOUT,
		.rcv_size = sizeof(h),
		.rcv_name = name,
	};
	int err;

	memset(&h, 0xa5, sizeof(h));
	err = mb_ioctl(fd, MAILBOX_IOC_MSG, &m);
	*id = h.id;
	return err;
}

/* The lowest free fd number: what the next fd would get. */
static int next_fd(void)
{
	int fd = dup(0);

	if (fd >= 0)
		close(fd);
	return fd;
}

/* Does /proc/self/fdinfo/@fd contain @text? 1, 0 or -1 (unreadable). */
static int fdinfo_has(int fd, const char *text)
{
	char path[64], buf[4096];
	ssize_t n;
	int ifd;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	ifd = open(path, O_RDONLY | O_CLOEXEC);
	if (ifd < 0)
		return -1;
	n = read(ifd, buf, sizeof(buf) - 1);
	close(ifd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return strstr(buf, text) != NULL;
}

static int send_fd(int sock, int fd)
{
	char data = 'R';
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char data;
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cmsg;
	int fd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cmsg = CMSG_FIRSTHDR(&msg);
	if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
}

/*
 * Run after exec by right_fd_survives_exec: import the inherited fd into a
 * fresh space and send message id 0xe0ec through it. Exit 0 on success.
 */
__attribute__((constructor)) static void exec_child(void)
{
	const char *env = getenv(EXEC_ENV);
	__u32 name = MAILBOX_PORT_NULL;
	int fd;

	if (!env)
		return;
	fd = mb_open();
	if (fd < 0)
		_exit(10);
	if (mb_import(fd, atoi(env), &name))
		_exit(11);
	if (mb_send_id(fd, name, MAILBOX_MSG_TYPE_COPY_SEND, 0xe0ec))
		_exit(12);
	_exit(0);
}

FIXTURE(mailbox) {
	int fd;		/* space A */
	int fd2;	/* space B */
	__u32 r;	/* a receive right in A */
};

FIXTURE_SETUP(mailbox)
{
	self->fd = mb_open();
	ASSERT_LE(0, self->fd);
	self->fd2 = mb_open();
	ASSERT_LE(0, self->fd2);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &self->r));
}

FIXTURE_TEARDOWN(mailbox)
{
	close(self->fd2);
	close(self->fd);
}

TEST_F(mailbox, version_reports_right_fd_and_registry)
{
	struct mailbox_version v = { 0 };

	ASSERT_EQ(0, mb_ioctl(self->fd, MAILBOX_IOC_VERSION, &v));
	EXPECT_NE(0ULL, v.features & MAILBOX_FEATURE_RIGHT_FD);
	EXPECT_NE(0ULL, v.features & MAILBOX_FEATURE_REGISTRY);
}

TEST_F(mailbox, export_make_send_fd_counts_as_sender_until_closed)
{
	struct mailbox_port_attr a;
	__u32 type;
	int rfd;

	ASSERT_EQ(0, mb_has_senders(self->fd, self->r));
	ASSERT_EQ(0, mb_export(self->fd, self->r, MAILBOX_MSG_TYPE_MAKE_SEND,
			       &rfd));
	ASSERT_LE(0, rfd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(rfd, F_GETFD));
	ASSERT_EQ(0, mb_attr(self->fd, self->r, &a));
	EXPECT_EQ(1U, a.has_senders);
	EXPECT_EQ(1U, a.mscount);
	/* The space's name is unchanged: the right lives in the file. */
	ASSERT_EQ(0, mb_type(self->fd, self->r, &type, NULL));
	EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE, type);
	EXPECT_EQ(1, fdinfo_has(rfd, "mailbox-right:\tsend\n"));
	EXPECT_EQ(1, fdinfo_has(rfd, "port-alive:\t1\n"));

	ASSERT_EQ(0, close(rfd));
	EXPECT_EQ(0, mb_has_senders(self->fd, self->r));
}

TEST_F(mailbox, export_copy_send_keeps_the_name)
{
	__u32 name = self->r, urefs;
	int rfd;

	ASSERT_EQ(0, mb_insert(self->fd, MAILBOX_SPACE_SELF, &name, self->r,
			       MAILBOX_MSG_TYPE_MAKE_SEND));
	ASSERT_EQ(0, mb_export(self->fd, self->r, MAILBOX_MSG_TYPE_COPY_SEND,
			       &rfd));
	ASSERT_EQ(0, mb_type(self->fd, self->r, NULL, &urefs));
	EXPECT_EQ(1U, urefs);
	/* Drop the space's send right: the fd still holds one. */
	ASSERT_EQ(0, mb_name_op(self->fd, MAILBOX_IOC_PORT_DEALLOCATE,
				self->r));
	EXPECT_EQ(1, mb_has_senders(self->fd, self->r));
	close(rfd);
	EXPECT_EQ(0, mb_has_senders(self->fd, self->r));
}

TEST_F(mailbox, export_move_send_takes_the_last_uref)
{
	__u32 name = MAILBOX_PORT_NULL, type;
	int rfd;

	/* A send-only name in space B. */
	ASSERT_EQ(0, mb_insert(self->fd, self->fd2, &name, self->r,
			       MAILBOX_MSG_TYPE_MAKE_SEND));
	ASSERT_EQ(0, mb_export(self->fd2, name, MAILBOX_MSG_TYPE_MOVE_SEND,
			       &rfd));
	EXPECT_EQ(ENOENT, mb_type(self->fd2, name, &type, NULL));
	EXPECT_EQ(0, mb_nr_names(self->fd2));
	EXPECT_EQ(1, mb_has_senders(self->fd, self->r));
	close(rfd);
	EXPECT_EQ(0, mb_has_senders(self->fd, self->r));
}

TEST_F(mailbox, export_send_once_fds)
{
	__u32 so = MAILBOX_PORT_NULL;
	int rfd1, rfd2;
	__s32 id;

	ASSERT_EQ(0, mb_export(self->fd, self->r,
			       MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, &rfd1));
	EXPECT_EQ(1, mb_sorights(self->fd, self->r));
	EXPECT_EQ(1, fdinfo_has(rfd1, "mailbox-right:\tsend-once\n"));

	ASSERT_EQ(0, mb_insert(self->fd, MAILBOX_SPACE_SELF, &so, self->r,
			       MAILBOX_MSG_TYPE_MAKE_SEND_ONCE));
	EXPECT_EQ(2, mb_sorights(self->fd, self->r));
	ASSERT_EQ(0, mb_export(self->fd, so, MAILBOX_MSG_TYPE_MOVE_SEND_ONCE,
			       &rfd2));
	EXPECT_EQ(ENOENT, mb_type(self->fd, so, NULL, NULL));
	EXPECT_EQ(2, mb_sorights(self->fd, self->r));

	/*
	 * Closing a send-once fd destroys the right unused: r gets a
	 * send-once notification through it, which uses it up.
	 */
	close(rfd1);
	close(rfd2);
	EXPECT_EQ(2, mb_sorights(self->fd, self->r));
	EXPECT_EQ(0, mb_recv_id(self->fd, self->r, 0, &id));
	EXPECT_EQ(MAILBOX_NOTIFY_SEND_ONCE, id);
	EXPECT_EQ(0, mb_recv_id(self->fd, self->r, 0, &id));
	EXPECT_EQ(MAILBOX_NOTIFY_SEND_ONCE, id);
	EXPECT_EQ(0, mb_sorights(self->fd, self->r));
}

TEST_F(mailbox, export_rejects_bad_arguments)
{
	static const __u32 bad[] = {
		0, 1, MAILBOX_MSG_TYPE_MOVE_RECEIVE, 22, 0xffffffffU,
	};
	struct mailbox_port_fd a;
	unsigned int i;
	int before = next_fd(), rfd;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_EQ(EINVAL, mb_export(self->fd, self->r, bad[i], &rfd));
	a = (struct mailbox_port_fd) {
		.name = self->r, .disposition = MAILBOX_MSG_TYPE_MAKE_SEND,
		.flags = 1,
	};
	EXPECT_EQ(EINVAL, mb_ioctl(self->fd, MAILBOX_IOC_PORT_EXPORT, &a));
	a.flags = 0x80000000U;
	EXPECT_EQ(EINVAL, mb_ioctl(self->fd, MAILBOX_IOC_PORT_EXPORT, &a));
	a.flags = 0;
	a.reserved = 1;
	EXPECT_EQ(EINVAL, mb_ioctl(self->fd, MAILBOX_IOC_PORT_EXPORT, &a));
	EXPECT_EQ(EFAULT, mb_ioctl(self->fd, MAILBOX_IOC_PORT_EXPORT, NULL));
	EXPECT_EQ(0, mb_has_senders(self->fd, self->r));
	EXPECT_EQ(before, next_fd());
}

TEST_F(mailbox, export_name_errors_change_nothing)
{
	__u32 send = MAILBOX_PORT_NULL, so = MAILBOX_PORT_NULL, dead, type;
	__u32 urefs, r2;
	int before, rfd;

	ASSERT_EQ(0, mb_insert(self->fd, self->fd2, &send, self->r,
			       MAILBOX_MSG_TYPE_MAKE_SEND));
	ASSERT_EQ(0, mb_insert(self->fd, MAILBOX_SPACE_SELF, &so, self->r,
			       MAILBOX_MSG_TYPE_MAKE_SEND_ONCE));
	before = next_fd();

	EXPECT_EQ(ENOENT, mb_export(self->fd, MAILBOX_PORT_NULL,
				    MAILBOX_MSG_TYPE_COPY_SEND, &rfd));
	EXPECT_EQ(ENOENT, mb_export(self->fd, MAILBOX_PORT_DEAD,
				    MAILBOX_MSG_TYPE_COPY_SEND, &rfd));
	EXPECT_EQ(ENOENT, mb_export(self->fd, UNUSED_NAME,
				    MAILBOX_MSG_TYPE_MAKE_SEND, &rfd));
	/* A receive right only: no send right to copy or move. */
	EXPECT_EQ(EPERM, mb_export(self->fd, self->r,
				   MAILBOX_MSG_TYPE_COPY_SEND, &rfd));
	EXPECT_EQ(EPERM, mb_export(self->fd, self->r,
				   MAILBOX_MSG_TYPE_MOVE_SEND, &rfd));
	EXPECT_EQ(EPERM, mb_export(self->fd, self->r,
				   MAILBOX_MSG_TYPE_MOVE_SEND_ONCE, &rfd));
	/* A send right cannot make rights; a send-once is not a send. */
	EXPECT_EQ(EPERM, mb_export(self->fd2, send,
				   MAILBOX_MSG_TYPE_MAKE_SEND, &rfd));
	EXPECT_EQ(EPERM, mb_export(self->fd2, send,
				   MAILBOX_MSG_TYPE_MOVE_SEND_ONCE, &rfd));
	EXPECT_EQ(EPERM, mb_export(self->fd, so,
				   MAILBOX_MSG_TYPE_COPY_SEND, &rfd));
	EXPECT_EQ(before, next_fd());
	ASSERT_EQ(0, mb_type(self->fd2, send, &type, &urefs));
	EXPECT_EQ(MAILBOX_PORT_TYPE_SEND, type);
	EXPECT_EQ(1U, urefs);
	EXPECT_EQ(1, mb_sorights(self->fd, self->r));

	/* The port dies: B's send right is a dead name now. */
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r2));
	ASSERT_EQ(0, mb_name_op(self->fd, MAILBOX_IOC_PORT_DESTROY, self->r));
	EXPECT_EQ(EPIPE, mb_export(self->fd2, send,
				   MAILBOX_MSG_TYPE_COPY_SEND, &rfd));
	EXPECT_EQ(EPIPE, mb_export(self->fd2, send,
				   MAILBOX_MSG_TYPE_MOVE_SEND, &rfd));
	ASSERT_EQ(0, mb_type(self->fd2, send, &type, NULL));
	EXPECT_EQ(MAILBOX_PORT_TYPE_DEAD_NAME, type);

	struct mailbox_port_allocate al = { .right = MAILBOX_RIGHT_DEAD_NAME };

	ASSERT_EQ(0, mb_ioctl(self->fd, MAILBOX_IOC_PORT_ALLOCATE, &al));
	dead = al.name;
	EXPECT_EQ(EPIPE, mb_export(self->fd, dead,
				   MAILBOX_MSG_TYPE_COPY_SEND, &rfd));
	EXPECT_EQ(before, next_fd());
}

TEST_F(mailbox, export_unwritable_argument_changes_nothing)
{
	struct mailbox_port_fd *a;
	__u32 name = MAILBOX_PORT_NULL, urefs;
	int before = next_fd();

	ASSERT_EQ(0, mb_insert(self->fd, self->fd2, &name, self->r,
			       MAILBOX_MSG_TYPE_MAKE_SEND));
	a = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, a);
	*a = (struct mailbox_port_fd) {
		.name = name, .disposition = MAILBOX_MSG_TYPE_MOVE_SEND,
	};
	ASSERT_EQ(0, mprotect(a, 4096, PROT_READ));
	EXPECT_EQ(EFAULT, mb_ioctl(self->fd2, MAILBOX_IOC_PORT_EXPORT, a));
	/* The move was undone and no fd appeared. */
	ASSERT_EQ(0, mb_type(self->fd2, name, NULL, &urefs));
	EXPECT_EQ(1U, urefs);
	EXPECT_EQ(before, next_fd());
	munmap(a, 4096);
	/* Let the deferred fput() of the unused file run. */
	usleep(10000);
	EXPECT_EQ(1, mb_has_senders(self->fd, self->r));
}

TEST_F(mailbox, export_without_free_fd_is_emfile)
{
	struct rlimit old, rl;
	__u32 name = MAILBOX_PORT_NULL, urefs;
	int rfd;

	ASSERT_EQ(0, mb_insert(self->fd, self->fd2, &name, self->r,
			       MAILBOX_MSG_TYPE_MAKE_SEND));
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &old));
	rl = old;
	rl.rlim_cur = next_fd();
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	EXPECT_EQ(EMFILE, mb_export(self->fd2, name,
				    MAILBOX_MSG_TYPE_MOVE_SEND, &rfd));
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &old));
	ASSERT_EQ(0, mb_type(self->fd2, name, NULL, &urefs));
	EXPECT_EQ(1U, urefs);
}

TEST_F(mailbox, import_send_copies_and_merges)
{
	__u32 name = MAILBOX_PORT_NULL, name2 = MAILBOX_PORT_NULL;
	__u32 type, urefs;
	int rfd;

	ASSERT_EQ(0, mb_export(self->fd, self->r, MAILBOX_MSG_TYPE_MAKE_SEND,
			       &rfd));
	ASSERT_EQ(0, mb_import(self->fd2, rfd, &name));
	ASSERT_EQ(0, mb_type(self->fd2, name, &type, &urefs));
	EXPECT_EQ(MAILBOX_PORT_TYPE_SEND, type);
	EXPECT_EQ(1U, urefs);
	/* The file keeps its right: import again, merged into one name. */
	ASSERT_EQ(0, mb_import(self->fd2, rfd, &name2));
	EXPECT_EQ(name, name2);
	ASSERT_EQ(0, mb_type(self->fd2, name, NULL, &urefs));
	EXPECT_EQ(2U, urefs);
	EXPECT_EQ(1, mb_nr_names(self->fd2));

	/* Into the receiver's own space: joins the receive right's name. */
	name2 = MAILBOX_PORT_NULL;
	ASSERT_EQ(0, mb_import(self->fd, rfd, &name2));
	EXPECT_EQ(self->r, name2);
	ASSERT_EQ(0, mb_type(self->fd, self->r, &type, &urefs));
	EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE | MAILBOX_PORT_TYPE_SEND, type);
	EXPECT_EQ(1U, urefs);

	/* A message sent through the imported right arrives. */
	__s32 id;

	ASSERT_EQ(0, mb_send_id(self->fd2, name, MAILBOX_MSG_TYPE_COPY_SEND,
				77));
	ASSERT_EQ(0, mb_recv_id(self->fd, self->r, 0, &id));
	EXPECT_EQ(77, id);

	/* Only the fd is left as a sender once the names go. */
	ASSERT_EQ(0, mb_name_op(self->fd2, MAILBOX_IOC_PORT_DESTROY, name));
	ASSERT_EQ(0, mb_name_op(self->fd, MAILBOX_IOC_PORT_DEALLOCATE,
				self->r));
	EXPECT_EQ(1, mb_has_senders(self->fd, self->r));
	close(rfd);
	EXPECT_EQ(0, mb_has_senders(self->fd, self->r));
}

TEST_F(mailbox, import_wanted_name_and_collisions)
{
	__u32 name, r2, type;
	int rfd, rfd2;

	ASSERT_EQ(0, mb_export(self->fd, self->r, MAILBOX_MSG_TYPE_MAKE_SEND,
			       &rfd));
	name = UNUSED_NAME;
	ASSERT_EQ(0, mb_import(self->fd2, rfd, &name));
	EXPECT_EQ(UNUSED_NAME, name);
	/* The port already has that name here: same name ok, another not. */
	ASSERT_EQ(0, mb_import(self->fd2, rfd, &name));
	EXPECT_EQ(UNUSED_NAME, name);
	name = UNUSED_NAME + 0x100;
	EXPECT_EQ(EALREADY, mb_import(self->fd2, rfd, &name));

	/* Another port wants a name in use. */
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r2));
	ASSERT_EQ(0, mb_export(self->fd, r2, MAILBOX_MSG_TYPE_MAKE_SEND,
			       &rfd2));
	name = UNUSED_NAME;
	EXPECT_EQ(EEXIST, mb_import(self->fd2, rfd2, &name));
	/* Index 0 is never a name. */
	name = 0x000000ffU;
	EXPECT_EQ(EINVAL, mb_import(self->fd2, rfd2, &name));
	name = MAILBOX_PORT_DEAD;
	EXPECT_EQ(EINVAL, mb_import(self->fd2, rfd2, &name));
	EXPECT_EQ(1, mb_nr_names(self->fd2));
	ASSERT_EQ(0, mb_type(self->fd2, UNUSED_NAME, &type, NULL));
	EXPECT_EQ(MAILBOX_PORT_TYPE_SEND, type);
	/* Failed imports of rfd2 left r2 with the fd as its only sender. */
	close(rfd2);
	EXPECT_EQ(0, mb_has_senders(self->fd, r2));
	close(rfd);
}

TEST_F(mailbox, import_rejects_foreign_and_closed_fds)
{
	__u32 name = MAILBOX_PORT_NULL;
	struct mailbox_port_fd a;
	int rfd, nullfd, pipefd[2];

	ASSERT_EQ(0, mb_export(self->fd, self->r, MAILBOX_MSG_TYPE_MAKE_SEND,
			       &rfd));
	nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, nullfd);
	ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC));

	EXPECT_EQ(EINVAL, mb_import(self->fd2, nullfd, &name));
	EXPECT_EQ(EINVAL, mb_import(self->fd2, pipefd[0], &name));
	/* A /dev/mailbox fd is a space, not a right. */
	EXPECT_EQ(EINVAL, mb_import(self->fd2, self->fd, &name));
	EXPECT_EQ(EBADF, mb_import(self->fd2, -1, &name));
	EXPECT_EQ(EBADF, mb_import(self->fd2, next_fd(), &name));
	EXPECT_EQ(EBADF, mb_import(self->fd2, 1 << 20, &name));

	a = (struct mailbox_port_fd) {
		.fd = rfd, .disposition = MAILBOX_MSG_TYPE_COPY_SEND,
	};
	EXPECT_EQ(EINVAL, mb_ioctl(self->fd2, MAILBOX_IOC_PORT_IMPORT, &a));
	a.disposition = 0;
	a.flags = 1;
	EXPECT_EQ(EINVAL, mb_ioctl(self->fd2, MAILBOX_IOC_PORT_IMPORT, &a));
	a.flags = 0;
	a.reserved = 1ULL << 63;
	EXPECT_EQ(EINVAL, mb_ioctl(self->fd2, MAILBOX_IOC_PORT_IMPORT, &a));
	EXPECT_EQ(EFAULT, mb_ioctl(self->fd2, MAILBOX_IOC_PORT_IMPORT, NULL));
	EXPECT_EQ(0, mb_nr_names(self->fd2));

	/* Closed: EBADF, and the port lost its sender. */
	close(rfd);
	EXPECT_EQ(EBADF, mb_import(self->fd2, rfd, &name));
	EXPECT_EQ(0, mb_has_senders(self->fd, self->r));
	close(nullfd);
	close(pipefd[0]);
	close(pipefd[1]);
}

TEST_F(mailbox, import_send_once_moves_it_once)
{
	__u32 so = MAILBOX_PORT_NULL, so2 = MAILBOX_PORT_NULL, type;
	__s32 id;
	int rfd;

	ASSERT_EQ(0, mb_export(self->fd, self->r,
			       MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, &rfd));
	ASSERT_EQ(0, mb_import(self->fd2, rfd, &so));
	ASSERT_EQ(0, mb_type(self->fd2, so, &type, NULL));
	EXPECT_EQ(MAILBOX_PORT_TYPE_SEND_ONCE, type);
	EXPECT_EQ(1, mb_sorights(self->fd, self->r));
	EXPECT_EQ(1, fdinfo_has(rfd, "mailbox-right:\tnone\n"));

	EXPECT_EQ(ENODATA, mb_import(self->fd2, rfd, &so2));
	EXPECT_EQ(ENODATA, mb_import(self->fd, rfd, &so2));
	EXPECT_EQ(1, mb_nr_names(self->fd2));

	ASSERT_EQ(0, mb_send_id(self->fd2, so, MAILBOX_MSG_TYPE_MOVE_SEND_ONCE,
				5));
	ASSERT_EQ(0, mb_recv_id(self->fd, self->r, 0, &id));
	EXPECT_EQ(5, id);
	EXPECT_EQ(0, mb_sorights(self->fd, self->r));
	close(rfd);
	EXPECT_EQ(0, mb_nr_names(self->fd2));
}

TEST_F(mailbox, import_send_once_collision_keeps_it_in_the_fd)
{
	__u32 so, r2;
	int rfd;

	ASSERT_EQ(0, mb_alloc_receive(self->fd2, &r2));
	ASSERT_EQ(0, mb_export(self->fd, self->r,
			       MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, &rfd));
	so = r2;
	EXPECT_EQ(EEXIST, mb_import(self->fd2, rfd, &so));
	EXPECT_EQ(1, fdinfo_has(rfd, "mailbox-right:\tsend-once\n"));
	so = MAILBOX_PORT_NULL;
	ASSERT_EQ(0, mb_import(self->fd2, rfd, &so));
	EXPECT_NE(r2, so);
	close(rfd);
	EXPECT_EQ(1, mb_sorights(self->fd, self->r));
}

TEST_F(mailbox, import_from_dead_port_is_epipe_and_changes_nothing)
{
	__u32 name = MAILBOX_PORT_NULL;
	int rfd, sofd;

	ASSERT_EQ(0, mb_export(self->fd, self->r, MAILBOX_MSG_TYPE_MAKE_SEND,
			       &rfd));
	ASSERT_EQ(0, mb_export(self->fd, self->r,
			       MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, &sofd));
	ASSERT_EQ(0, mb_name_op(self->fd, MAILBOX_IOC_PORT_DESTROY, self->r));
	EXPECT_EQ(1, fdinfo_has(rfd, "port-alive:\t0\n"));

	EXPECT_EQ(EPIPE, mb_import(self->fd2, rfd, &name));
	EXPECT_EQ(EPIPE, mb_import(self->fd2, sofd, &name));
	/* Still there, still dead. */
	EXPECT_EQ(EPIPE, mb_import(self->fd2, sofd, &name));
	EXPECT_EQ(1, fdinfo_has(sofd, "mailbox-right:\tsend-once\n"));
	EXPECT_EQ(0, mb_nr_names(self->fd2));
	close(rfd);
	close(sofd);
}

TEST_F(mailbox, right_fd_outlives_the_exporting_space)
{
	__u32 name = MAILBOX_PORT_NULL, r2;
	__s32 id;
	int rfd;

	/* B's receive right, exported from A's send right to it. */
	ASSERT_EQ(0, mb_alloc_receive(self->fd2, &r2));
	ASSERT_EQ(0, mb_insert(self->fd2, self->fd, &name, r2,
			       MAILBOX_MSG_TYPE_MAKE_SEND));
	ASSERT_EQ(0, mb_export(self->fd, name, MAILBOX_MSG_TYPE_MOVE_SEND,
			       &rfd));
	close(self->fd);
	self->fd = mb_open();
	ASSERT_LE(0, self->fd);
	name = MAILBOX_PORT_NULL;
	ASSERT_EQ(0, mb_import(self->fd, rfd, &name));
	close(rfd);
	ASSERT_EQ(0, mb_send_id(self->fd, name, MAILBOX_MSG_TYPE_MOVE_SEND, 9));
	ASSERT_EQ(0, mb_recv_id(self->fd2, r2, 0, &id));
	EXPECT_EQ(9, id);
	EXPECT_EQ(0, mb_has_senders(self->fd2, r2));
}

TEST_F(mailbox, scm_rights_round_trip_between_processes)
{
	int sv[2], rfd, status;
	__s32 id = 0;
	pid_t pid;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		__u32 name = MAILBOX_PORT_NULL;
		int fd, got;

		close(sv[0]);
		close(self->fd);
		close(self->fd2);
		got = recv_fd(sv[1]);
		if (got < 0)
			_exit(1);
		fd = mb_open();
		if (fd < 0)
			_exit(2);
		if (mb_import(fd, got, &name))
			_exit(3);
		close(got);
		if (mb_send_id(fd, name, MAILBOX_MSG_TYPE_COPY_SEND, 0x5c3))
			_exit(4);
		_exit(0);
	}
	close(sv[1]);
	ASSERT_EQ(0, mb_export(self->fd, self->r, MAILBOX_MSG_TYPE_MAKE_SEND,
			       &rfd));
	ASSERT_EQ(0, send_fd(sv[0], rfd));
	close(rfd);
	ASSERT_EQ(0, mb_recv_id(self->fd, self->r, 5000000000ULL, &id));
	EXPECT_EQ(0x5c3, id);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	close(sv[0]);
	/* The child's space and every copy of the fd are gone. */
	EXPECT_EQ(0, mb_has_senders(self->fd, self->r));
}

TEST_F(mailbox, right_fd_survives_exec)
{
	char env[32];
	__s32 id = 0;
	int rfd, status;
	pid_t pid;

	ASSERT_EQ(0, mb_export(self->fd, self->r, MAILBOX_MSG_TYPE_MAKE_SEND,
			       &rfd));
	ASSERT_EQ(0, fcntl(rfd, F_SETFD, 0));
	snprintf(env, sizeof(env), "%d", rfd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char *argv[] = { "fdright-exec-child", NULL };

		setenv(EXEC_ENV, env, 1);
		execv("/proc/self/exe", argv);
		_exit(20);
	}
	close(rfd);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(0, mb_recv_id(self->fd, self->r, 0, &id));
	EXPECT_EQ(0xe0ec, id);
	EXPECT_EQ(0, mb_has_senders(self->fd, self->r));
}

TEST_HARNESS_MAIN
