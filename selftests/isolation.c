// SPDX-License-Identifier: GPL-2.0
/*
 * Isolation: a space reaches only what it was given. Guessed names denote
 * nothing in another space; the registry keeps IPC namespaces and owners
 * apart; no kernel address shows in anything user space can read (fdinfo
 * of spaces, ready fds and right fds, debugfs stats, trailers,
 * notification bodies).
 */
#include "issue4_test.h"

#include <grp.h>
#include <regex.h>
#include <sched.h>
#include <sys/stat.h>

#include "kselftest_harness.h"

#define NPORTS	512

static int svc(int fd, unsigned long cmd, const char *service, __u32 *name,
	       __u32 flags)
{
	struct mailbox_service s = { .name = name ? *name : 0, .flags = flags };
	int err;

	strncpy(s.service, service, sizeof(s.service) - 1);
	err = mb_ioctl(fd, cmd, &s);
	if (!err && name)
		*name = s.name;
	return err;
}

/* Every way of using @name from space @fd must say ENOENT. */
static int reach(int fd, __u32 name)
{
	struct mailbox_port_type t = { .name = name };
	struct mailbox_port_fd f = { .name = name,
				     .disposition = MAILBOX_MSG_TYPE_COPY_SEND };
	struct mailbox_port_attr a = { .name = name };
	__u32 n = 0, status;
	int err;

	err = mb_ioctl(fd, MAILBOX_IOC_PORT_TYPE, &t);
	if (err != ENOENT)
		return 1;
	err = mb_send_hdr(fd, name, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1, &status);
	if (err != ENOENT)
		return 2;
	err = mb_send_hdr(fd, name, MAILBOX_MSG_TYPE_MAKE_SEND, 0, 0, 1, &status);
	if (err != ENOENT)
		return 3;
	err = mb_insert(fd, MAILBOX_SPACE_SELF, &n, name, MAILBOX_MSG_TYPE_COPY_SEND);
	if (err != ENOENT)
		return 4;
	err = mb_ioctl(fd, MAILBOX_IOC_PORT_EXPORT, &f);
	if (err != ENOENT)
		return 5;
	err = mb_ioctl(fd, MAILBOX_IOC_PORT_GET_ATTR, &a);
	if (err != ENOENT)
		return 6;
	return 0;
}

/* No state: a fixture only to get a longer timeout (the debug kernel). */
FIXTURE(guess) {
	int unused;
};

FIXTURE_SETUP(guess)
{
	self->unused = 0;
}

FIXTURE_TEARDOWN(guess)
{
}

TEST_F_TIMEOUT(guess, guessed_names_reach_nothing_in_another_space, 600)
{
	int a = mb_open(), b = mb_open();
	static __u32 names[NPORTS];
	__u32 i, g, idx;
	long tried = 0;

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	for (i = 0; i < NPORTS; i++) {
		ASSERT_EQ(0, mb_alloc_receive(a, &names[i]));
		ASSERT_EQ(0, mb_make_send(a, names[i]));
	}
	/* The exact names, the other generations, every index nearby. */
	for (i = 0; i < NPORTS; i++) {
		ASSERT_EQ(0, reach(b, names[i])) TH_LOG("name 0x%x", names[i]);
		tried++;
	}
	for (idx = 0; idx < 2 * NPORTS; idx++)
		for (g = 0; g < 256; g += (idx < 64 ? 1 : 37)) {
			ASSERT_EQ(0, reach(b, (idx << 8) | g)) TH_LOG("name 0x%x", (idx << 8) | g);
			tried++;
		}
	for (i = 0; i < 4096; i++) {
		__u32 n = (__u32)random();

		ASSERT_EQ(0, reach(b, n)) TH_LOG("name 0x%x", n);
		tried++;
	}
	TH_LOG("%ld guessed names, none reached a right", tried);
	/* The space that was probed still holds nothing. */
	{
		struct mailbox_port_names pn = { .count = 0 };

		ASSERT_EQ(0, mb_ioctl(b, MAILBOX_IOC_PORT_NAMES, &pn));
		ASSERT_EQ(0, pn.count);
	}
	close(b);
	close(a);
}

TEST_F_TIMEOUT(guess, guessed_names_reach_nothing_from_another_process, 300)
{
	int a = mb_open();
	__u32 r;
	pid_t pid;

	ASSERT_LE(0, a);
	ASSERT_EQ(0, mb_alloc_receive(a, &r));
	ASSERT_EQ(0, mb_make_send(a, r));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int b;
		__u32 idx, g;

		mb_child_init();
		close(a);
		b = mb_open();
		CHILD_CHECK(b >= 0);
		for (idx = 0; idx < 64; idx++)
			for (g = 0; g < 256; g++)
				CHILD_CHECK(reach(b, (idx << 8) | g) == 0);
		_exit(0);
	}
	ASSERT_EQ(0, mb_wait_child(pid));
	ASSERT_EQ(0, mb_msgcount(a, r));	/* nothing arrived */
	close(a);
}

TEST(registry_namespace_follows_the_caller_not_the_space)
{
	int fd = mb_open();
	__u32 r, got = 0;
	pid_t pid;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mb_alloc_receive(fd, &r));
	ASSERT_EQ(0, svc(fd, MAILBOX_IOC_REGISTER, "iso.ns", &r, 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		__u32 n = 0, mine;

		mb_child_init();
		if (unshare(CLONE_NEWIPC))
			_exit(4);
		/* The inherited space fd does not carry its namespace along. */
		CHILD_CHECK(svc(fd, MAILBOX_IOC_LOOKUP, "iso.ns", &n, 0) == ENOENT);
		CHILD_CHECK(svc(fd, MAILBOX_IOC_UNREGISTER, "iso.ns", NULL, 0) == ENOENT);
		/* Registering the string here does not touch the parent's. */
		CHILD_CHECK(mb_alloc_receive(fd, &mine) == 0);
		CHILD_CHECK(svc(fd, MAILBOX_IOC_REGISTER, "iso.ns", &mine,
				MAILBOX_REGISTER_REPLACE) == 0);
		_exit(0);
	}
	ASSERT_EQ(0, mb_wait_child(pid));
	ASSERT_EQ(0, svc(fd, MAILBOX_IOC_LOOKUP, "iso.ns", &got, 0));
	ASSERT_EQ(r, got);	/* still our own port */
	ASSERT_EQ(0, svc(fd, MAILBOX_IOC_UNREGISTER, "iso.ns", NULL, 0));
	close(fd);
}

TEST(user_namespace_root_cannot_replace_or_unregister)
{
	int fd = mb_open();
	__u32 r, got = 0;
	pid_t pid;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mb_alloc_receive(fd, &r));
	ASSERT_EQ(0, svc(fd, MAILBOX_IOC_REGISTER, "iso.userns", &r, 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		__u32 mine;

		mb_child_init();
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(4);
		/* Full capabilities, but only over a new user namespace. */
		if (unshare(CLONE_NEWUSER))
			_exit(4);
		CHILD_CHECK(mb_alloc_receive(fd, &mine) == 0);
		CHILD_CHECK(svc(fd, MAILBOX_IOC_REGISTER, "iso.userns", &mine,
				MAILBOX_REGISTER_REPLACE) == EPERM);
		CHILD_CHECK(svc(fd, MAILBOX_IOC_UNREGISTER, "iso.userns", NULL, 0) == EPERM);
		_exit(0);
	}
	{
		int rc = mb_wait_child(pid);

		if (rc == 4) {
			svc(fd, MAILBOX_IOC_UNREGISTER, "iso.userns", NULL, 0);
			close(fd);
			SKIP(return, "cannot drop privileges or create a user namespace");
		}
		ASSERT_EQ(0, rc);
	}
	ASSERT_EQ(0, svc(fd, MAILBOX_IOC_LOOKUP, "iso.userns", &got, 0));
	ASSERT_EQ(r, got);
	ASSERT_EQ(0, svc(fd, MAILBOX_IOC_UNREGISTER, "iso.userns", NULL, 0));
	close(fd);
}

/* --- no kernel addresses ------------------------------------------------ */

static regex_t addr_re;

/* A kernel pointer printed in hex: ffff8..., or any 16 hex digits. */
static int text_has_address(const char *text)
{
	if (!addr_re.re_nsub && regcomp(&addr_re,
			"(0x)?ffff[89a-f][0-9a-f]{11}|[0-9a-fA-F]{16}",
			REG_EXTENDED | REG_ICASE))
		return -1;
	return regexec(&addr_re, text, 0, NULL, 0) == 0;
}

/* Any aligned 64-bit word in the kernel half, or any 32-bit half of one. */
static int bytes_have_address(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i + 8 <= len; i += 4) {
		__u64 v;

		memcpy(&v, p + i, 8);
		if (v >= 0xffff800000000000ULL && v != ~0ULL)
			return 1;
	}
	return 0;
}

static int read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

static int fdinfo_clean(int fd, char *out, size_t size)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if (read_text(path, out, size))
		return -1;
	return !text_has_address(out);
}

TEST(no_kernel_address_in_any_output)
{
	static char text[65536];
	int fd = mb_open(), fd2 = mb_open();
	struct mailbox_port_fd rf = { 0 }, sf = { 0 }, xf = { 0 };
	struct mailbox_port_request_notification rq = { 0 };
	struct mailbox_port_move_member mm = { 0 };
	__u32 r, r2, dn, set, so, status, size;
	unsigned char buf[512];
	int i;

	/* The detectors themselves. */
	ASSERT_EQ(1, text_has_address("port 0xffff888003a1c000"));
	ASSERT_EQ(0, text_has_address("name:\t0x00000101 type:0x030000"));
	{
		__u64 k = 0xffff888003a1c000ULL;

		ASSERT_EQ(1, bytes_have_address(&k, sizeof(k)));
	}
	ASSERT_LE(0, fd);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, mb_alloc_receive(fd, &r));
	ASSERT_EQ(0, mb_make_send(fd, r));
	ASSERT_EQ(0, mb_alloc_receive(fd, &r2));
	ASSERT_EQ(0, mb_make_send(fd, r2));
	ASSERT_EQ(0, mb_allocate(fd, MAILBOX_RIGHT_PORT_SET, &set));
	ASSERT_EQ(0, mb_allocate(fd, MAILBOX_RIGHT_DEAD_NAME, &dn));
	mm.member = r2;
	mm.after = set;
	ASSERT_EQ(0, mb_ioctl(fd, MAILBOX_IOC_PORT_MOVE_MEMBER, &mm));
	ASSERT_EQ(0, mb_make_send_once(fd, r, &so));
	ASSERT_EQ(0, mb_send_hdr(fd, r, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 7, &status));

	rf.name = r;
	ASSERT_EQ(0, mb_ioctl(fd, MAILBOX_IOC_PORT_READY_FD, &rf));
	sf.name = set;
	ASSERT_EQ(0, mb_ioctl(fd, MAILBOX_IOC_PORT_READY_FD, &sf));
	xf.name = r;
	xf.disposition = MAILBOX_MSG_TYPE_MAKE_SEND;
	ASSERT_EQ(0, mb_ioctl(fd, MAILBOX_IOC_PORT_EXPORT, &xf));

	ASSERT_EQ(1, fdinfo_clean(fd, text, sizeof(text))) TH_LOG("space fdinfo:\n%s", text);
	ASSERT_EQ(1, fdinfo_clean(rf.fd, text, sizeof(text))) TH_LOG("ready fdinfo:\n%s", text);
	ASSERT_EQ(1, fdinfo_clean(sf.fd, text, sizeof(text))) TH_LOG("set ready fdinfo:\n%s", text);
	ASSERT_EQ(1, fdinfo_clean(xf.fd, text, sizeof(text))) TH_LOG("right fdinfo:\n%s", text);
	if (read_text(MB_STATS, text, sizeof(text)) == 0)
		ASSERT_EQ(0, text_has_address(text)) TH_LOG("stats:\n%s", text);

	/* A message with a trailer. */
	size = sizeof(buf);
	ASSERT_EQ(0, mb_recv(fd, r, buf, &size, MAILBOX_MSG_RCV_TIMEOUT |
			     MAILBOX_MSG_RCV_TRAILER, 0, &status));
	ASSERT_EQ(0, bytes_have_address(buf, size));

	/* Notifications of every kind, received into a pattern-filled buffer. */
	rq.name = r2;				/* no-senders */
	rq.variant = MAILBOX_NOTIFY_NO_SENDERS;
	rq.notify = r;
	rq.disposition = MAILBOX_MSG_TYPE_MAKE_SEND_ONCE;
	ASSERT_EQ(0, mb_ioctl(fd, MAILBOX_IOC_PORT_REQUEST_NOTIFICATION, &rq));
	ASSERT_EQ(0, mb_mod_refs(fd, r2, MAILBOX_RIGHT_SEND, -1));
	memset(&rq, 0, sizeof(rq));		/* port-destroyed */
	rq.name = r2;
	rq.variant = MAILBOX_NOTIFY_PORT_DESTROYED;
	rq.notify = r;
	rq.disposition = MAILBOX_MSG_TYPE_MAKE_SEND_ONCE;
	ASSERT_EQ(0, mb_ioctl(fd, MAILBOX_IOC_PORT_REQUEST_NOTIFICATION, &rq));
	ASSERT_EQ(0, mb_destroy(fd, r2));
	memset(&rq, 0, sizeof(rq));		/* dead-name, at once */
	rq.name = dn;
	rq.variant = MAILBOX_NOTIFY_DEAD_NAME;
	rq.sync = 1;
	rq.notify = r;
	rq.disposition = MAILBOX_MSG_TYPE_MAKE_SEND_ONCE;
	ASSERT_EQ(0, mb_ioctl(fd, MAILBOX_IOC_PORT_REQUEST_NOTIFICATION, &rq));
	ASSERT_EQ(0, mb_deallocate(fd, so));	/* send-once */
	for (i = 0; i < 8; i++) {
		size = sizeof(buf);
		if (mb_recv(fd, r, buf, &size, MAILBOX_MSG_RCV_TIMEOUT |
			    MAILBOX_MSG_RCV_TRAILER, 0, &status))
			break;
		ASSERT_EQ(0, bytes_have_address(buf, size))
			TH_LOG("notification id %d", ((struct mailbox_msg_header *)buf)->id);
	}
	TH_LOG("%d notifications checked", i);
	ASSERT_LE(3, i);
	/* fdinfo again, now with dead names and a destroyed member. */
	ASSERT_EQ(1, fdinfo_clean(fd, text, sizeof(text))) TH_LOG("space fdinfo:\n%s", text);
	ASSERT_EQ(1, fdinfo_clean(sf.fd, text, sizeof(text))) TH_LOG("set ready fdinfo:\n%s", text);
	close(xf.fd);
	close(sf.fd);
	close(rf.fd);
	close(fd2);
	close(fd);
}

TEST_HARNESS_MAIN
