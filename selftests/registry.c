// SPDX-License-Identifier: GPL-2.0
/*
 * The service registry: MAILBOX_IOC_REGISTER, _LOOKUP and _UNREGISTER.
 *
 * The registry is global to the IPC namespace, so every test uses its own
 * service strings and removes what it registered; the teardown also looks
 * up (and so removes, their ports being dead by then) whatever a failed
 * test left behind, so that the debugfs counters read zero at exit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/mailbox.h>

#include "kselftest_harness.h"

#define PATTERN32	0xa5a5a5a5U
#define UNPRIV_ID	1000

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
	struct mailbox_port_type t = { .name = name };
	int err = mb_ioctl(fd, MAILBOX_IOC_PORT_TYPE, &t);

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

static long mb_mscount(int fd, __u32 name)
{
	struct mailbox_port_attr a;
	int err = mb_attr(fd, name, &a);

	return err ? -err : (long)a.mscount;
}

static int mb_svc(int fd, unsigned long cmd, const char *service, __u32 name,
		  __u32 flags, __u32 *out)
{
	struct mailbox_service s = { .name = name, .flags = flags };
	int err;

	memcpy(s.service, service, strnlen(service, sizeof(s.service)));
	err = mb_ioctl(fd, cmd, &s);
	if (out)
		*out = s.name;
	return err;
}

static int mb_register(int fd, const char *service, __u32 name, __u32 flags)
{
	return mb_svc(fd, MAILBOX_IOC_REGISTER, service, name, flags, NULL);
}

/* Look @service up; the name in *@name (pre-filled with a pattern). */
static int mb_lookup(int fd, const char *service, __u32 *name)
{
	return mb_svc(fd, MAILBOX_IOC_LOOKUP, service, PATTERN32, 0, name);
}

static int mb_unregister(int fd, const char *service)
{
	return mb_svc(fd, MAILBOX_IOC_UNREGISTER, service, 0, 0, NULL);
}

static int mb_send_id(int fd, __u32 dest, __s32 id)
{
	struct mailbox_msg_header h = {
		.bits = MAILBOX_MSGH_BITS(MAILBOX_MSG_TYPE_COPY_SEND, 0),
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

static long mb_stat(const char *key)
{
	char line[256], name[128];
	long v, ret = -1;
	FILE *f = fopen("/sys/kernel/debug/mailbox/stats", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%127s %ld", name, &v) == 2 &&
		    !strcmp(name, key)) {
			ret = v;
			break;
		}
	fclose(f);
	return ret;
}

static long max_services(void)
{
	FILE *f = fopen("/sys/module/mailbox/parameters/max_services", "r");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* Become uid/gid UNPRIV_ID with no capabilities (in a child). */
static int drop_privileges(void)
{
	if (setgroups(0, NULL))
		return -1;
	if (setresgid(UNPRIV_ID, UNPRIV_ID, UNPRIV_ID))
		return -1;
	return setresuid(UNPRIV_ID, UNPRIV_ID, UNPRIV_ID);
}

static int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (!WIFEXITED(status))
		return -2;
	return WEXITSTATUS(status);
}

/* Service strings the tests use; the teardown flushes them. */
static const char *const test_services[] = {
	"test.basic", "test.copy", "test.errors", "test.replace",
	"test.dead", "test.procs", "test.uid", "test.uid.child", "test.ns",
};

FIXTURE(registry) {
	int fd;
	int fd2;
	__u32 r;
};

FIXTURE_SETUP(registry)
{
	self->fd = mb_open();
	ASSERT_LE(0, self->fd);
	self->fd2 = mb_open();
	ASSERT_LE(0, self->fd2);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &self->r));
}

FIXTURE_TEARDOWN(registry)
{
	unsigned int i;
	__u32 name;
	int fd;

	close(self->fd2);
	close(self->fd);
	/* Every port of this test is dead: looking a service up removes it. */
	fd = mb_open();
	if (fd < 0)
		return;
	for (i = 0; i < sizeof(test_services) / sizeof(test_services[0]); i++)
		if (mb_lookup(fd, test_services[i], &name) == 0)
			TH_LOG("%s still registered to a live port",
			       test_services[i]);
	close(fd);
}

TEST_F(registry, register_lookup_unregister)
{
	__u32 name, name2, type, urefs;
	__s32 id;

	ASSERT_EQ(0, mb_register(self->fd, "test.basic", self->r, 0));
	/* A receive right: a send right is made for the registry. */
	EXPECT_EQ(1, mb_has_senders(self->fd, self->r));
	EXPECT_EQ(1, mb_mscount(self->fd, self->r));
	ASSERT_EQ(0, mb_type(self->fd, self->r, &type, NULL));
	EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE, type);

	ASSERT_EQ(0, mb_lookup(self->fd2, "test.basic", &name));
	ASSERT_EQ(0, mb_type(self->fd2, name, &type, &urefs));
	EXPECT_EQ(MAILBOX_PORT_TYPE_SEND, type);
	EXPECT_EQ(1U, urefs);
	/* A second lookup merges with the name the space has. */
	ASSERT_EQ(0, mb_lookup(self->fd2, "test.basic", &name2));
	EXPECT_EQ(name, name2);
	ASSERT_EQ(0, mb_type(self->fd2, name, NULL, &urefs));
	EXPECT_EQ(2U, urefs);
	/* In the receiver's space: the receive right's name. */
	ASSERT_EQ(0, mb_lookup(self->fd, "test.basic", &name2));
	EXPECT_EQ(self->r, name2);
	ASSERT_EQ(0, mb_type(self->fd, self->r, &type, &urefs));
	EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE | MAILBOX_PORT_TYPE_SEND, type);
	EXPECT_EQ(1U, urefs);

	ASSERT_EQ(0, mb_send_id(self->fd2, name, 42));
	ASSERT_EQ(0, mb_recv_id(self->fd, self->r, 0, &id));
	EXPECT_EQ(42, id);

	ASSERT_EQ(0, mb_unregister(self->fd, "test.basic"));
	EXPECT_EQ(ENOENT, mb_lookup(self->fd2, "test.basic", &name2));
	EXPECT_EQ(ENOENT, mb_unregister(self->fd, "test.basic"));
	ASSERT_EQ(0, mb_name_op(self->fd2, MAILBOX_IOC_PORT_DESTROY, name));
	ASSERT_EQ(0, mb_name_op(self->fd, MAILBOX_IOC_PORT_DEALLOCATE,
				self->r));
	/* The registry's send right went with the service. */
	EXPECT_EQ(0, mb_has_senders(self->fd, self->r));
}

TEST_F(registry, register_send_right_copies_it)
{
	__u32 name = MAILBOX_PORT_NULL, type, urefs;

	ASSERT_EQ(0, mb_insert(self->fd, self->fd2, &name, self->r,
			       MAILBOX_MSG_TYPE_MAKE_SEND));
	ASSERT_EQ(0, mb_register(self->fd2, "test.copy", name, 0));
	ASSERT_EQ(0, mb_type(self->fd2, name, &type, &urefs));
	EXPECT_EQ(MAILBOX_PORT_TYPE_SEND, type);
	EXPECT_EQ(1U, urefs);
	EXPECT_EQ(1, mb_mscount(self->fd, self->r));
	/* The registry's right keeps the port's senders. */
	ASSERT_EQ(0, mb_name_op(self->fd2, MAILBOX_IOC_PORT_DEALLOCATE, name));
	EXPECT_EQ(1, mb_has_senders(self->fd, self->r));
	ASSERT_EQ(0, mb_unregister(self->fd2, "test.copy"));
	EXPECT_EQ(0, mb_has_senders(self->fd, self->r));
}

TEST_F(registry, service_string_boundaries)
{
	struct mailbox_service s;
	char longest[MAILBOX_SERVICE_NAME_MAX];
	__u32 name;

	memset(longest, 'x', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	ASSERT_EQ(127UL, strlen(longest));
	ASSERT_EQ(0, mb_register(self->fd, longest, self->r, 0));
	ASSERT_EQ(0, mb_lookup(self->fd2, longest, &name));
	ASSERT_EQ(0, mb_unregister(self->fd, longest));
	ASSERT_EQ(0, mb_name_op(self->fd2, MAILBOX_IOC_PORT_DEALLOCATE, name));

	/* 128 bytes with no NUL. */
	memset(&s, 0, sizeof(s));
	memset(s.service, 'x', sizeof(s.service));
	s.name = self->r;
	EXPECT_EQ(EINVAL, mb_ioctl(self->fd, MAILBOX_IOC_REGISTER, &s));
	s.name = 0;
	EXPECT_EQ(EINVAL, mb_ioctl(self->fd, MAILBOX_IOC_LOOKUP, &s));
	EXPECT_EQ(EINVAL, mb_ioctl(self->fd, MAILBOX_IOC_UNREGISTER, &s));

	/* Empty. */
	EXPECT_EQ(EINVAL, mb_register(self->fd, "", self->r, 0));
	EXPECT_EQ(EINVAL, mb_lookup(self->fd, "", &name));
	EXPECT_EQ(EINVAL, mb_unregister(self->fd, ""));
	EXPECT_EQ(0, mb_has_senders(self->fd, self->r));

	EXPECT_EQ(EFAULT, mb_ioctl(self->fd, MAILBOX_IOC_REGISTER, NULL));
	EXPECT_EQ(EFAULT, mb_ioctl(self->fd, MAILBOX_IOC_LOOKUP, NULL));
	EXPECT_EQ(EFAULT, mb_ioctl(self->fd, MAILBOX_IOC_UNREGISTER, NULL));
}

TEST_F(registry, flags_reserved_and_name_must_be_valid)
{
	struct mailbox_service s = { .name = self->r };
	__u32 name;

	strcpy(s.service, "test.errors");
	EXPECT_EQ(EINVAL, mb_register(self->fd, "test.errors", self->r, 2));
	EXPECT_EQ(EINVAL, mb_register(self->fd, "test.errors", self->r,
				      MAILBOX_REGISTER_REPLACE | 0x80000000U));
	s.reserved = 1;
	EXPECT_EQ(EINVAL, mb_ioctl(self->fd, MAILBOX_IOC_REGISTER, &s));
	EXPECT_EQ(EINVAL, mb_ioctl(self->fd, MAILBOX_IOC_LOOKUP, &s));
	s.name = 0;
	EXPECT_EQ(EINVAL, mb_ioctl(self->fd, MAILBOX_IOC_UNREGISTER, &s));
	EXPECT_EQ(0, mb_has_senders(self->fd, self->r));

	ASSERT_EQ(0, mb_register(self->fd, "test.errors", self->r, 0));
	/* LOOKUP and UNREGISTER take no flags; UNREGISTER no name. */
	EXPECT_EQ(EINVAL, mb_svc(self->fd, MAILBOX_IOC_LOOKUP, "test.errors",
				 0, MAILBOX_REGISTER_REPLACE, &name));
	EXPECT_EQ(EINVAL, mb_svc(self->fd, MAILBOX_IOC_UNREGISTER,
				 "test.errors", 0, MAILBOX_REGISTER_REPLACE,
				 NULL));
	EXPECT_EQ(EINVAL, mb_svc(self->fd, MAILBOX_IOC_UNREGISTER,
				 "test.errors", self->r, 0, NULL));
	ASSERT_EQ(0, mb_unregister(self->fd, "test.errors"));
}

TEST_F(registry, register_name_errors_change_nothing)
{
	struct mailbox_port_allocate al = { .right = MAILBOX_RIGHT_DEAD_NAME };
	__u32 so = MAILBOX_PORT_NULL, send = MAILBOX_PORT_NULL, r2, name;

	ASSERT_EQ(0, mb_insert(self->fd, MAILBOX_SPACE_SELF, &so, self->r,
			       MAILBOX_MSG_TYPE_MAKE_SEND_ONCE));
	ASSERT_EQ(0, mb_ioctl(self->fd, MAILBOX_IOC_PORT_ALLOCATE, &al));

	EXPECT_EQ(ENOENT, mb_register(self->fd, "test.errors",
				      MAILBOX_PORT_NULL, 0));
	EXPECT_EQ(ENOENT, mb_register(self->fd, "test.errors",
				      MAILBOX_PORT_DEAD, 0));
	EXPECT_EQ(ENOENT, mb_register(self->fd, "test.errors",
				      (0x4321U << 8) | 1, 0));
	EXPECT_EQ(EPERM, mb_register(self->fd, "test.errors", so, 0));
	EXPECT_EQ(EPIPE, mb_register(self->fd, "test.errors", al.name, 0));

	/* A send right to a port that died. */
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r2));
	ASSERT_EQ(0, mb_insert(self->fd, self->fd2, &send, r2,
			       MAILBOX_MSG_TYPE_MAKE_SEND));
	ASSERT_EQ(0, mb_name_op(self->fd, MAILBOX_IOC_PORT_DESTROY, r2));
	EXPECT_EQ(EPIPE, mb_register(self->fd2, "test.errors", send, 0));

	EXPECT_EQ(ENOENT, mb_lookup(self->fd, "test.errors", &name));
	EXPECT_EQ(0, mb_has_senders(self->fd, self->r));
	EXPECT_EQ(0, mb_mscount(self->fd, self->r));
}

TEST_F(registry, existing_service_needs_replace)
{
	__u32 r2, name;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r2));
	ASSERT_EQ(0, mb_register(self->fd, "test.replace", self->r, 0));
	EXPECT_EQ(EEXIST, mb_register(self->fd, "test.replace", r2, 0));
	/* The failed register undid its MAKE_SEND exactly. */
	EXPECT_EQ(0, mb_has_senders(self->fd, r2));
	EXPECT_EQ(0, mb_mscount(self->fd, r2));

	ASSERT_EQ(0, mb_register(self->fd, "test.replace", r2,
				 MAILBOX_REGISTER_REPLACE));
	EXPECT_EQ(0, mb_has_senders(self->fd, self->r));
	EXPECT_EQ(1, mb_has_senders(self->fd, r2));
	ASSERT_EQ(0, mb_lookup(self->fd, "test.replace", &name));
	EXPECT_EQ(r2, name);
	/* REPLACE also registers when nothing is there. */
	ASSERT_EQ(0, mb_unregister(self->fd, "test.replace"));
	ASSERT_EQ(0, mb_register(self->fd, "test.replace", self->r,
				 MAILBOX_REGISTER_REPLACE));
	ASSERT_EQ(0, mb_unregister(self->fd, "test.replace"));
	EXPECT_EQ(0, mb_has_senders(self->fd, self->r));
}

TEST_F(registry, dead_service_vanishes_when_its_port_dies)
{
	__u32 name, r2;
	long ports;

	ASSERT_EQ(0, mb_register(self->fd, "test.dead", self->r, 0));
	ports = mb_stat("ports");
	ASSERT_EQ(0, mb_name_op(self->fd, MAILBOX_IOC_PORT_DESTROY, self->r));
	/* The port's death removed the service and freed the port at once. */
	if (ports >= 0)
		EXPECT_EQ(ports - 1, mb_stat("ports"));
	EXPECT_EQ(ENOENT, mb_lookup(self->fd2, "test.dead", &name));
	EXPECT_EQ(ENOENT, mb_lookup(self->fd2, "test.dead", &name));

	/* A dead service counts as absent: no REPLACE needed. */
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r2));
	ASSERT_EQ(0, mb_register(self->fd, "test.dead", r2, 0));
	ASSERT_EQ(0, mb_name_op(self->fd, MAILBOX_IOC_PORT_DESTROY, r2));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r2));
	ASSERT_EQ(0, mb_register(self->fd, "test.dead", r2, 0));
	ASSERT_EQ(0, mb_name_op(self->fd, MAILBOX_IOC_PORT_DESTROY, r2));
	/* UNREGISTER of a dead one: ENOENT, and it is gone. */
	EXPECT_EQ(ENOENT, mb_unregister(self->fd, "test.dead"));
	EXPECT_EQ(ENOENT, mb_unregister(self->fd, "test.dead"));
}

TEST_F(registry, lookup_from_another_process)
{
	__s32 id = 0;
	pid_t pid;

	ASSERT_EQ(0, mb_register(self->fd, "test.procs", self->r, 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		__u32 name;
		int fd = mb_open();

		if (fd < 0)
			_exit(1);
		if (mb_lookup(fd, "test.procs", &name))
			_exit(2);
		if (mb_send_id(fd, name, 0x9e))
			_exit(3);
		_exit(0);
	}
	EXPECT_EQ(0, wait_child(pid));
	ASSERT_EQ(0, mb_recv_id(self->fd, self->r, 0, &id));
	EXPECT_EQ(0x9e, id);
	ASSERT_EQ(0, mb_unregister(self->fd, "test.procs"));
	EXPECT_EQ(0, mb_has_senders(self->fd, self->r));
}

TEST_F(registry, other_uid_may_look_up_but_not_change)
{
	int to_parent[2], to_child[2];
	__u32 r2;
	char c;
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root");
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r2));
	ASSERT_EQ(0, mb_register(self->fd, "test.uid", self->r, 0));
	ASSERT_EQ(0, pipe2(to_parent, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(to_child, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		__u32 name, mine;
		int fd;

		close(self->fd);
		close(self->fd2);
		if (drop_privileges())
			_exit(1);
		fd = mb_open();
		if (fd < 0)
			_exit(2);
		if (mb_lookup(fd, "test.uid", &name))
			_exit(3);
		if (mb_register(fd, "test.uid", name, 0) != EEXIST)
			_exit(4);
		if (mb_register(fd, "test.uid", name,
				MAILBOX_REGISTER_REPLACE) != EPERM)
			_exit(5);
		if (mb_unregister(fd, "test.uid") != EPERM)
			_exit(6);
		/* Its own service: it may replace and remove it. */
		if (mb_alloc_receive(fd, &mine))
			_exit(7);
		if (mb_register(fd, "test.uid.child", mine, 0))
			_exit(8);
		if (mb_register(fd, "test.uid.child", mine,
				MAILBOX_REGISTER_REPLACE))
			_exit(9);
		if (mb_unregister(fd, "test.uid.child"))
			_exit(10);
		if (mb_register(fd, "test.uid.child", mine, 0))
			_exit(11);
		/* Let root remove it while its port lives. */
		if (write(to_parent[1], "r", 1) != 1 ||
		    read(to_child[0], &c, 1) != 1)
			_exit(12);
		_exit(0);
	}
	close(to_parent[1]);
	close(to_child[0]);
	ASSERT_EQ(1, read(to_parent[0], &c, 1));
	/* CAP_SYS_ADMIN may change anyone's service. */
	EXPECT_EQ(0, mb_register(self->fd, "test.uid.child", r2,
				 MAILBOX_REGISTER_REPLACE));
	EXPECT_EQ(0, mb_unregister(self->fd, "test.uid.child"));
	ASSERT_EQ(1, write(to_child[1], "x", 1));
	EXPECT_EQ(0, wait_child(pid));
	close(to_parent[0]);
	close(to_child[1]);
	ASSERT_EQ(0, mb_unregister(self->fd, "test.uid"));
	EXPECT_EQ(0, mb_has_senders(self->fd, self->r));
	EXPECT_EQ(0, mb_has_senders(self->fd, r2));
}

TEST_F(registry, ipc_namespaces_have_separate_registries)
{
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root");
	ASSERT_EQ(0, mb_register(self->fd, "test.ns", self->r, 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		__u32 name, r;
		int fd;

		if (unshare(CLONE_NEWIPC))
			_exit(1);
		fd = mb_open();
		if (fd < 0 || mb_alloc_receive(fd, &r))
			_exit(2);
		if (mb_lookup(fd, "test.ns", &name) != ENOENT)
			_exit(3);
		if (mb_unregister(fd, "test.ns") != ENOENT)
			_exit(4);
		if (mb_register(fd, "test.ns", r, 0))
			_exit(5);
		if (mb_lookup(fd, "test.ns", &name) || name != r)
			_exit(6);
		if (mb_unregister(fd, "test.ns"))
			_exit(7);
		_exit(0);
	}
	EXPECT_EQ(0, wait_child(pid));
	/* The parent's service is untouched. */
	__u32 name;

	ASSERT_EQ(0, mb_lookup(self->fd, "test.ns", &name));
	EXPECT_EQ(self->r, name);
	ASSERT_EQ(0, mb_unregister(self->fd, "test.ns"));
}

/*
 * In a fresh IPC namespace (so that nothing else counts): max_services
 * services, then ENOSPC; replacing still works; dead ones make room.
 */
TEST_F(registry, max_services_per_namespace)
{
	long max = max_services();
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root");
	ASSERT_LT(0, max);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char svc[64];
		__u32 r, r2;
		long i;
		int fd;

		if (unshare(CLONE_NEWIPC))
			_exit(1);
		fd = mb_open();
		if (fd < 0 || mb_alloc_receive(fd, &r) ||
		    mb_alloc_receive(fd, &r2))
			_exit(2);
		for (i = 0; i < max; i++) {
			snprintf(svc, sizeof(svc), "limit.%ld", i);
			if (mb_register(fd, svc, r, 0))
				_exit(3);
		}
		if (mb_register(fd, "limit.over", r, 0) != ENOSPC)
			_exit(4);
		if (mb_register(fd, "limit.0", r2, MAILBOX_REGISTER_REPLACE))
			_exit(5);
		if (mb_register(fd, "limit.over", r2, 0) != ENOSPC)
			_exit(6);
		if (mb_unregister(fd, "limit.1"))
			_exit(7);
		if (mb_register(fd, "limit.over", r2, 0))
			_exit(8);
		if (mb_register(fd, "limit.over2", r2, 0) != ENOSPC)
			_exit(9);
		/* r dies: its services are swept to make room. */
		if (mb_name_op(fd, MAILBOX_IOC_PORT_DESTROY, r))
			_exit(10);
		if (mb_register(fd, "limit.over2", r2, 0))
			_exit(11);
		if (mb_lookup(fd, "limit.2", &r) != ENOENT)
			_exit(12);
		if (mb_unregister(fd, "limit.0") || mb_unregister(fd, "limit.over") ||
		    mb_unregister(fd, "limit.over2"))
			_exit(13);
		_exit(0);
	}
	EXPECT_EQ(0, wait_child(pid));
}

TEST_HARNESS_MAIN
