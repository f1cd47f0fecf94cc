// SPDX-License-Identifier: GPL-2.0
/*
 * Per-user resource limits (Documentation/limits.rst): max_ports_per_user
 * (EMFILE), max_msgs_per_user and max_bytes_per_user (ENOBUFS with
 * MAILBOX_SEND_NO_BUFFER, nothing consumed), max_names_per_user (ENOSPC);
 * charges go to the real uid a space was opened with, CAP_SYS_RESOURCE at
 * open bypasses, freeing recovers. Last, an unprivileged user tries to
 * exhaust memory with every object it can make, at the default limits.
 *
 * Must run as root (it sets module parameters and opens spaces as other
 * uids): open_as() opens /dev/mailbox with real and effective uid @uid and
 * no effective capabilities, then returns to root. Every ioctl below is
 * made as root, which shows that the opener's credentials decide.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "issue4_test.h"
#include "kselftest_harness.h"

#define PARAMS		"/sys/module/mailbox/parameters/"
#define USERS		"/sys/kernel/debug/mailbox/users"
#define UID_A		65534	/* nobody */
#define UID_B		65533

static const char * const param_names[] = {
	"max_ports_per_user", "max_msgs_per_user", "max_bytes_per_user",
	"max_names_per_user",
};

#define NPARAMS		4

/* Read (@set false) or write one number in the file @dir@name. */
static int num_file(const char *dir, const char *name, unsigned long *v,
		    bool set)
{
	char path[256];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s%s", dir, name);
	f = fopen(path, set ? "w" : "r");
	if (!f)
		return -1;
	ok = set ? fprintf(f, "%lu\n", *v) > 0 : fscanf(f, "%lu", v) == 1;
	if (fclose(f))
		ok = 0;
	return ok ? 0 : -1;
}

static int param_get(const char *name, unsigned long *v)
{
	return num_file(PARAMS, name, v, false);
}

static int param_set(const char *name, unsigned long v)
{
	return num_file(PARAMS, name, &v, true);
}

/* Open a space as @uid (real and effective), without capabilities. */
static int open_as(uid_t uid)
{
	int fd;

	if (setresuid(uid, uid, 0))
		return -1;
	fd = mb_open();
	if (setresuid(0, 0, 0))
		abort();
	return fd;
}

struct use {
	long ports, msgs, bytes, names;
};

/* What debugfs "users" says @uid is charged with (zeros if absent). */
static int user_use(uid_t uid, struct use *u)
{
	char line[256];
	unsigned int id;
	struct use t;
	FILE *f = fopen(USERS, "r");

	memset(u, 0, sizeof(*u));
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "uid %u ports %ld msgs %ld bytes %ld names %ld",
			   &id, &t.ports, &t.msgs, &t.bytes, &t.names) == 5 &&
		    id == uid)
			*u = t;
	}
	fclose(f);
	return 0;
}

static long use_of(uid_t uid, int what)
{
	struct use u;

	if (user_use(uid, &u))
		return -1;
	switch (what) {
	case 0: return u.ports;
	case 1: return u.msgs;
	case 2: return u.bytes;
	default: return u.names;
	}
}

static unsigned long long stat_of(const char *key)
{
	unsigned long long v = ~0ULL;

	mb_stat(key, &v);
	return v;
}

/* A message of @size bytes (header + zeroed body) to @remote. */
static int send_sized(int fd, __u32 remote, __u32 disp, __u32 local,
		      __u32 local_disp, __u32 size, __u32 *status)
{
	static unsigned char buf[128 * 1024];
	struct mailbox_msg_header *h = (void *)buf;

	mb_header(h, remote, disp, local, local_disp, 1);
	return mb_send(fd, buf, size, MAILBOX_MSG_SEND_TIMEOUT, 0, status);
}

static int send_small(int fd, __u32 remote, __u32 *status)
{
	return send_sized(fd, remote, MAILBOX_MSG_TYPE_COPY_SEND,
			  MAILBOX_PORT_NULL, 0, MB_HDR_SIZE, status);
}

/* Receive and drop one message of up to 128 KiB from @name, now. */
static int recv_one(int fd, __u32 name)
{
	static unsigned char buf[128 * 1024 + 256];

	return mb_recv_now(fd, name, buf, sizeof(buf), 0, NULL, NULL);
}

/* A receive right with a send right under the same name. */
static int port_with_send(int fd, __u32 *name)
{
	int err = mb_alloc_receive(fd, name);

	return err ? err : mb_make_send(fd, *name);
}

FIXTURE(limits) {
	unsigned long saved[NPARAMS];
	bool have;
};

FIXTURE_SETUP(limits)
{
	int i;

	self->have = false;
	if (geteuid() != 0)
		SKIP(return, "needs root (module parameters, other uids)");
	for (i = 0; i < NPARAMS; i++) {
		if (param_get(param_names[i], &self->saved[i])) {
			TH_LOG("no parameter %s", param_names[i]);
			ASSERT_TRUE(0);
		}
	}
	self->have = true;
	ASSERT_EQ(0, access(USERS, R_OK));
}

FIXTURE_TEARDOWN(limits)
{
	int i;

	if (!self->have)
		return;
	for (i = 0; i < NPARAMS; i++)
		EXPECT_EQ(0, param_set(param_names[i], self->saved[i]));
}

/* --- parameters ------------------------------------------------------- */

TEST_F(limits, parameters_have_defaults_and_are_writable)
{
	static const unsigned long defaults[NPARAMS] = {
		65536, 65536, 64UL << 20, 524288,
	};
	unsigned long v;
	struct stat st;
	char path[256];
	int i;

	for (i = 0; i < NPARAMS; i++) {
		snprintf(path, sizeof(path), PARAMS "%s", param_names[i]);
		ASSERT_EQ(0, stat(path, &st));
		EXPECT_EQ(0644, st.st_mode & 0777);
		EXPECT_EQ(defaults[i], self->saved[i]) TH_LOG("%s", path);
		ASSERT_EQ(0, param_set(param_names[i], 7));
		ASSERT_EQ(0, param_get(param_names[i], &v));
		EXPECT_EQ(7, v);
	}
	/* Out of range for a uint: refused, value kept. */
	EXPECT_EQ(-1, param_set("max_ports_per_user", 1UL << 40));
	ASSERT_EQ(0, param_get("max_ports_per_user", &v));
	EXPECT_EQ(7, v);
}

/* --- ports ------------------------------------------------------------ */

TEST_F(limits, port_limit_is_per_user_and_recovers)
{
	int a = open_as(UID_A), a2 = open_as(UID_A), b = open_as(UID_B);
	unsigned long long hits = stat_of("total_port_limit_hits");
	int root = mb_open();
	__u32 p[4], q, x, bp[4], rp[10];
	int i;

	ASSERT_LE(0, a);
	ASSERT_LE(0, a2);
	ASSERT_LE(0, b);
	ASSERT_LE(0, root);
	ASSERT_EQ(0, param_set("max_ports_per_user", 4));

	/* Four ports in two spaces of the same user; the fifth fails. */
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, mb_alloc_receive(a, &p[i]));
	ASSERT_EQ(0, mb_alloc_receive(a2, &p[3]));
	EXPECT_EQ(4, use_of(UID_A, 0));
	EXPECT_EQ(EMFILE, mb_alloc_receive(a, &x));
	EXPECT_EQ(EMFILE, mb_alloc_receive(a2, &x));
	EXPECT_EQ(hits + 2, stat_of("total_port_limit_hits"));
	EXPECT_EQ(4, use_of(UID_A, 0));
	/* Port sets and dead names are not ports. */
	EXPECT_EQ(0, mb_allocate(a, MAILBOX_RIGHT_PORT_SET, &x));
	EXPECT_EQ(0, mb_allocate(a, MAILBOX_RIGHT_DEAD_NAME, &x));

	/* Another user is unaffected, and has its own limit. */
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, mb_alloc_receive(b, &bp[i]));
	EXPECT_EQ(EMFILE, mb_alloc_receive(b, &x));
	/* CAP_SYS_RESOURCE at open: never refused, still counted. */
	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, mb_alloc_receive(root, &rp[i]));
	EXPECT_EQ(10, use_of(0, 0));

	/* Destroying a receive right gives the charge back. */
	ASSERT_EQ(0, mb_destroy(a, p[0]));
	EXPECT_EQ(3, use_of(UID_A, 0));
	ASSERT_EQ(0, mb_alloc_receive(a2, &p[0]));
	EXPECT_EQ(EMFILE, mb_alloc_receive(a, &x));

	/*
	 * A send right held elsewhere does not keep a dead port charged:
	 * give b a send right, destroy the receive right.
	 */
	ASSERT_EQ(0, mb_give_send(a, b, p[1], &q));
	ASSERT_EQ(0, mb_destroy(a, p[1]));
	EXPECT_EQ(3, use_of(UID_A, 0));
	ASSERT_EQ(0, mb_alloc_receive(a, &p[1]));

	/* The charge stays with the allocator when the receive right moves. */
	{
		struct mb_cmsg m;
		__u32 dest, st;

		ASSERT_EQ(0, mb_destroy(b, bp[3]));
		ASSERT_EQ(0, mb_give_send(b, a, bp[0], &dest));
		mb_cmsg_init(&m, dest, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 7);
		mb_cmsg_port(&m, p[2], MAILBOX_MSG_TYPE_MOVE_RECEIVE);
		ASSERT_EQ(0, mb_cmsg_send(a, &m, &st));
		ASSERT_EQ(0, mb_recv_now(b, bp[0], m.buf, sizeof(m.buf), 0,
					 NULL, &st));
		x = mb_port_desc(m.buf, 0)->name;
		EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE,
			  mb_type_bits(b, x) & MAILBOX_PORT_TYPE_RECEIVE);
		EXPECT_EQ(4, use_of(UID_A, 0));
		EXPECT_EQ(3, use_of(UID_B, 0));
		EXPECT_EQ(EMFILE, mb_alloc_receive(a, &q));
		ASSERT_EQ(0, mb_destroy(b, x));
		EXPECT_EQ(3, use_of(UID_A, 0));
		ASSERT_EQ(0, mb_alloc_receive(a, &p[2]));
	}

	/* Lowering the limit below the use refuses new ports only. */
	ASSERT_EQ(0, param_set("max_ports_per_user", 2));
	EXPECT_EQ(EMFILE, mb_alloc_receive(b, &x));
	EXPECT_EQ(0, mb_msgcount(b, bp[0]));
	/* 0: no limit. */
	ASSERT_EQ(0, param_set("max_ports_per_user", 0));
	EXPECT_EQ(0, mb_alloc_receive(a, &x));
	EXPECT_EQ(0, mb_alloc_receive(b, &x));

	/* Closing the spaces frees everything. */
	close(a);
	close(a2);
	close(b);
	close(root);
	EXPECT_EQ(0, use_of(UID_A, 0));
	EXPECT_EQ(0, use_of(UID_B, 0));
	EXPECT_EQ(0, use_of(0, 0));
}

/* --- messages --------------------------------------------------------- */

TEST_F(limits, msg_limit_fails_cleanly_and_is_per_sender)
{
	int a = open_as(UID_A), b = open_as(UID_B), root = mb_open();
	unsigned long long hits = stat_of("total_msg_limit_hits");
	unsigned long long sent, msgs;
	__u32 p, q, bq, bp, so, st;
	long urefs;
	int i;

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_LE(0, root);
	ASSERT_EQ(0, param_set("max_msgs_per_user", 3));
	ASSERT_EQ(0, port_with_send(a, &p));
	ASSERT_EQ(0, mb_set_qlimit(a, p, 100));

	/* Each carries a new send-once right as its reply. */
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, mb_send_hdr(a, p, MAILBOX_MSG_TYPE_COPY_SEND, p,
					 MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, i,
					 &st));
	EXPECT_EQ(3, use_of(UID_A, 1));
	EXPECT_EQ(3, use_of(UID_A, 2) / MB_HDR_SIZE);
	EXPECT_EQ(3, mb_sorights(a, p));

	/* The fourth: ENOBUFS, SEND_NO_BUFFER, no right made or moved. */
	urefs = mb_send_urefs(a, p);
	sent = stat_of("total_sent");
	msgs = stat_of("messages");
	st = 0;
	EXPECT_EQ(ENOBUFS, mb_send_hdr(a, p, MAILBOX_MSG_TYPE_MOVE_SEND, p,
				       MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, 9, &st));
	EXPECT_EQ(MAILBOX_SEND_NO_BUFFER, st);
	EXPECT_EQ(urefs, mb_send_urefs(a, p));
	EXPECT_EQ(3, mb_sorights(a, p));
	EXPECT_EQ(3, mb_msgcount(a, p));
	EXPECT_EQ(sent, stat_of("total_sent"));
	EXPECT_EQ(msgs, stat_of("messages"));
	EXPECT_EQ(hits + 1, stat_of("total_msg_limit_hits"));
	EXPECT_EQ(3, use_of(UID_A, 1));
	/* A send + receive fails before receiving. */
	{
		struct mailbox_msg_header h;
		struct mailbox_msg m = {
			.send_msg = (uintptr_t)&h,
			.rcv_msg = (uintptr_t)&h,
			.options = MAILBOX_MSG_SEND | MAILBOX_MSG_RCV |
				   MAILBOX_MSG_SEND_TIMEOUT |
				   MAILBOX_MSG_RCV_TIMEOUT,
			.send_size = sizeof(h),
			.rcv_size = sizeof(h),
			.rcv_name = p,
		};

		mb_header(&h, p, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 5);
		EXPECT_EQ(ENOBUFS, mb_msg(a, &m));
		EXPECT_EQ(MAILBOX_SEND_NO_BUFFER, m.status);
		EXPECT_EQ(3, mb_msgcount(a, p));
	}

	/* Another user, and a CAP_SYS_RESOURCE space, are unaffected. */
	ASSERT_EQ(0, port_with_send(b, &bp));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, send_small(b, bp, &st));
	EXPECT_EQ(ENOBUFS, send_small(b, bp, &st));
	ASSERT_EQ(0, port_with_send(root, &q));
	ASSERT_EQ(0, mb_set_qlimit(root, q, 100));
	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, send_small(root, q, &st));

	/* Receiving one lets the sender send one more. */
	ASSERT_EQ(0, recv_one(a, p));
	EXPECT_EQ(2, use_of(UID_A, 1));
	ASSERT_EQ(0, send_small(a, p, &st));
	EXPECT_EQ(ENOBUFS, send_small(a, p, &st));

	/*
	 * Charged to the sender, not to the receiver: b empties its own port
	 * and sends three to a's port bq; a, at its limit, receives one of
	 * them, which frees b's charge, not a's.
	 */
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, recv_one(b, bp));
	ASSERT_EQ(0, mb_alloc_receive(a, &bq));
	ASSERT_EQ(0, mb_give_send(a, b, bq, &q));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, send_small(b, q, &st));
	EXPECT_EQ(ENOBUFS, send_small(b, q, &st));
	EXPECT_EQ(3, use_of(UID_A, 1));
	EXPECT_EQ(3, use_of(UID_B, 1));
	ASSERT_EQ(0, recv_one(a, bq));
	EXPECT_EQ(3, use_of(UID_A, 1));
	EXPECT_EQ(2, use_of(UID_B, 1));
	EXPECT_EQ(ENOBUFS, send_small(a, p, &st));
	EXPECT_EQ(0, send_small(b, q, &st));

	/*
	 * Kernel notifications are charged to nobody: a, at its limit,
	 * destroys a send-once right and the notification still arrives.
	 */
	ASSERT_EQ(0, mb_make_send_once(a, bq, &so));
	ASSERT_EQ(3, mb_msgcount(a, bq));
	ASSERT_EQ(0, mb_deallocate(a, so));
	EXPECT_EQ(4, mb_msgcount(a, bq));
	EXPECT_EQ(3, use_of(UID_A, 1));

	/*
	 * Messages outlive their sender's space, and stay charged until
	 * destroyed: close b, its three messages stay queued on bq.
	 */
	close(b);
	EXPECT_EQ(3, use_of(UID_B, 1));
	EXPECT_EQ(3 * MB_HDR_SIZE, use_of(UID_B, 2));
	ASSERT_EQ(0, mb_destroy(a, bq));
	EXPECT_EQ(0, use_of(UID_B, 1));
	EXPECT_EQ(0, use_of(UID_B, 2));
	/* Destroying a's port destroys a's queued messages. */
	ASSERT_EQ(0, mb_destroy(a, p));
	EXPECT_EQ(0, use_of(UID_A, 1));
	EXPECT_EQ(0, use_of(UID_A, 2));
	close(a);
	close(root);
}

TEST_F(limits, byte_limit_fails_cleanly_and_recovers)
{
	int a = open_as(UID_A), b = open_as(UID_B);
	unsigned long long hits = stat_of("total_byte_limit_hits");
	__u32 p, bp, st;
	int i;

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, param_set("max_bytes_per_user", 3 * 1024));
	ASSERT_EQ(0, port_with_send(a, &p));
	ASSERT_EQ(0, mb_set_qlimit(a, p, 100));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, send_sized(a, p, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0,
					1024, &st));
	EXPECT_EQ(3 * 1024, use_of(UID_A, 2));
	/* Even a header-only message no longer fits. */
	st = 0;
	EXPECT_EQ(ENOBUFS, send_sized(a, p, MAILBOX_MSG_TYPE_MOVE_SEND, p,
				      MAILBOX_MSG_TYPE_MAKE_SEND_ONCE,
				      MB_HDR_SIZE, &st));
	EXPECT_EQ(MAILBOX_SEND_NO_BUFFER, st);
	EXPECT_EQ(1, mb_send_urefs(a, p));
	EXPECT_EQ(0, mb_sorights(a, p));
	EXPECT_EQ(3, mb_msgcount(a, p));
	EXPECT_EQ(hits + 1, stat_of("total_byte_limit_hits"));
	EXPECT_EQ(3, use_of(UID_A, 1));
	EXPECT_EQ(3 * 1024, use_of(UID_A, 2));

	/* Another user has its own budget. */
	ASSERT_EQ(0, port_with_send(b, &bp));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, send_sized(b, bp, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0,
					1024, &st));
	EXPECT_EQ(ENOBUFS, send_small(b, bp, &st));

	/* A receive frees exactly that message's bytes. */
	ASSERT_EQ(0, recv_one(a, p));
	EXPECT_EQ(2 * 1024, use_of(UID_A, 2));
	ASSERT_EQ(0, send_sized(a, p, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1000,
				&st));
	EXPECT_EQ(ENOBUFS, send_sized(a, p, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0,
				      32, &st));
	ASSERT_EQ(0, send_sized(a, p, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 24,
				&st));

	/* 0: no limit. */
	ASSERT_EQ(0, param_set("max_bytes_per_user", 0));
	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, send_sized(a, p, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0,
					4096, &st));
	close(a);
	close(b);
	EXPECT_EQ(0, use_of(UID_A, 2));
	EXPECT_EQ(0, use_of(UID_B, 2));
}

/* An out-of-line descriptor of @ool_size bytes (at @mem) to @remote. */
static int send_ool(int fd, __u32 remote, void *mem, __u32 ool_size,
		    __u32 *status)
{
	struct {
		struct mailbox_msg_header h;
		struct mailbox_msg_body b;
		struct mailbox_msg_ool_descriptor d;
	} m = { 0 };

	mb_header(&m.h, remote, MAILBOX_MSG_TYPE_COPY_SEND, MAILBOX_PORT_NULL,
		  0, 1);
	m.h.bits |= MAILBOX_MSGH_COMPLEX;
	m.b.descriptor_count = 1;
	m.d.address = (__u64)(unsigned long)mem;
	m.d.size = ool_size;
	m.d.copy = MAILBOX_VIRTUAL_COPY;
	m.d.type = MAILBOX_MSG_OOL_DESCRIPTOR;
	return mb_send(fd, &m, sizeof(m), MAILBOX_MSG_SEND_TIMEOUT, 0, status);
}

TEST_F(limits, ool_bytes_count_against_the_byte_limit)
{
	int a = open_as(UID_A);
	unsigned long long hits = stat_of("total_byte_limit_hits");
	static char mem[64 * 1024];
	long before;
	__u32 p, st;

	ASSERT_LE(0, a);
	ASSERT_EQ(0, param_set("max_bytes_per_user", 48 * 1024));
	ASSERT_EQ(0, port_with_send(a, &p));
	ASSERT_EQ(0, send_ool(a, p, mem, 32 * 1024, &st));
	EXPECT_LT(32 * 1024, use_of(UID_A, 2));
	before = use_of(UID_A, 2);
	/* 32 KiB more out of line would pass 48 KiB: refused, nothing kept. */
	st = 0;
	EXPECT_EQ(ENOBUFS, send_ool(a, p, mem, 32 * 1024, &st));
	EXPECT_EQ(MAILBOX_SEND_NO_BUFFER, st);
	EXPECT_EQ(hits + 1, stat_of("total_byte_limit_hits"));
	EXPECT_EQ(before, use_of(UID_A, 2));
	EXPECT_EQ(1, mb_msgcount(a, p));
	EXPECT_EQ(1, use_of(UID_A, 1));
	EXPECT_EQ(32 * 1024, stat_of("ool_bytes"));
	/* Destroying the queued message gives every byte back. */
	ASSERT_EQ(0, recv_one(a, p));
	EXPECT_EQ(0, use_of(UID_A, 2));
	ASSERT_EQ(0, send_ool(a, p, mem, 40 * 1024, &st));
	close(a);
	EXPECT_EQ(0, use_of(UID_A, 2));
}

/* --- names ------------------------------------------------------------ */

TEST_F(limits, name_limit_is_per_user_and_recovers)
{
	int a = open_as(UID_A), a2 = open_as(UID_A), b = open_as(UID_B);
	unsigned long long hits = stat_of("total_name_limit_hits");
	__u32 n[6], x, p, q, st;
	int root = mb_open();
	int i;

	ASSERT_LE(0, a);
	ASSERT_LE(0, a2);
	ASSERT_LE(0, b);
	ASSERT_LE(0, root);
	ASSERT_EQ(0, param_set("max_names_per_user", 6));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, mb_allocate(a, MAILBOX_RIGHT_DEAD_NAME, &n[i]));
	ASSERT_EQ(0, port_with_send(a2, &n[4]));
	ASSERT_EQ(0, mb_allocate(a2, MAILBOX_RIGHT_PORT_SET, &n[5]));
	EXPECT_EQ(6, use_of(UID_A, 3));
	EXPECT_EQ(ENOSPC, mb_allocate(a, MAILBOX_RIGHT_DEAD_NAME, &x));
	EXPECT_EQ(ENOSPC, mb_alloc_receive(a2, &x));
	EXPECT_EQ(hits + 2, stat_of("total_name_limit_hits"));
	/* Nothing half-made: no port was left charged by the failure. */
	EXPECT_EQ(1, use_of(UID_A, 0));

	/* Another user, and root, are unaffected. */
	for (i = 0; i < 6; i++)
		ASSERT_EQ(0, mb_allocate(b, MAILBOX_RIGHT_DEAD_NAME, &x));
	EXPECT_EQ(ENOSPC, mb_allocate(b, MAILBOX_RIGHT_DEAD_NAME, &x));
	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, mb_allocate(root, MAILBOX_RIGHT_DEAD_NAME, &x));

	/*
	 * The receiving space's user pays for the names a message brings:
	 * root sends a send right to a port of a2, which has no room.
	 */
	ASSERT_EQ(0, mb_alloc_receive(root, &q));
	ASSERT_EQ(0, mb_give_send(a2, root, n[4], &p));
	ASSERT_EQ(0, mb_send_hdr(root, p, MAILBOX_MSG_TYPE_COPY_SEND, q,
				 MAILBOX_MSG_TYPE_MAKE_SEND, 1, &st));
	{
		struct mailbox_msg_header h;

		EXPECT_EQ(ENOSPC, mb_recv_hdr(a2, n[4], &h, &st));
		EXPECT_EQ(MAILBOX_RCV_HEADER_ERROR, st);
	}
	EXPECT_EQ(6, use_of(UID_A, 3));

	/* Freeing a name makes room in any space of the user. */
	ASSERT_EQ(0, mb_deallocate(a, n[0]));
	EXPECT_EQ(5, use_of(UID_A, 3));
	EXPECT_EQ(0, mb_allocate(a2, MAILBOX_RIGHT_DEAD_NAME, &x));
	EXPECT_EQ(ENOSPC, mb_allocate(a, MAILBOX_RIGHT_DEAD_NAME, &x));
	close(a);
	EXPECT_EQ(3, use_of(UID_A, 3));
	close(a2);
	close(b);
	close(root);
	EXPECT_EQ(0, use_of(UID_A, 3));
	EXPECT_EQ(0, use_of(UID_B, 3));
}

/* --- an unprivileged user tries to exhaust memory ---------------------- */

static long meminfo_kb(const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) &&
		    line[strlen(key)] == ':')
			v = atol(line + strlen(key) + 1);
	fclose(f);
	return v;
}

#define CG_ROOT	"/sys/fs/cgroup"
#define CG_DIR	CG_ROOT "/mbx-limits"

/* A memory cgroup v2 for the attacker; false if the kernel has none. */
static bool memcg_setup(void)
{
	FILE *f;

	if (access(CG_ROOT "/cgroup.controllers", R_OK)) {
		mkdir(CG_ROOT, 0755);
		if (mount("cgroup2", CG_ROOT, "cgroup2", 0, NULL))
			return false;
	}
	f = fopen(CG_ROOT "/cgroup.subtree_control", "w");
	if (!f)
		return false;
	fputs("+memory", f);
	if (fclose(f))
		return false;
	if (mkdir(CG_DIR, 0755) && errno != EEXIST)
		return false;
	return access(CG_DIR "/memory.current", R_OK) == 0;
}

static long memcg_current(void)
{
	unsigned long v;

	return num_file(CG_DIR, "/memory.current", &v, false) ? -1 : (long)v;
}

static int memcg_enter(pid_t pid)
{
	unsigned long v = pid;

	return num_file(CG_DIR, "/cgroup.procs", &v, true);
}

/*
 * Generous memory budget of what the attacker holds: per port 1 KiB (with
 * its name), per name 256 bytes, per space 4 KiB, per message 512 bytes
 * plus twice its bytes (kvmalloc() rounds up to a power of two).
 */
static long budget(unsigned long ports, unsigned long names,
		   unsigned long spaces, unsigned long msgs,
		   unsigned long bytes)
{
	return (long)(ports * 1024 + names * 256 + spaces * 4096 +
		      msgs * 512 + bytes * 2);
}

/* Child <-> parent checkpoints over two pipes. */
static void ckpt(int wr, int rd, char c)
{
	char ack;

	CHILD_CHECK(write(wr, &c, 1) == 1);
	CHILD_CHECK(read(rd, &ack, 1) == 1);
}

static void attacker(int wr, int rd, unsigned long max_ports,
		     unsigned long max_msgs, unsigned long max_bytes,
		     unsigned long max_names)
{
	static unsigned char big[128 * 1024];
	struct mailbox_msg_header *h = (void *)big;
	unsigned long ports = 0, msgs = 0, names = 0, k;
	struct rlimit rl = { 1024, 1024 };
	__u32 first, name, st, *pn;
	int fd, err, i, fds[1024];
	unsigned long long n;

	pn = calloc(max_ports + 1, sizeof(*pn));
	CHILD_CHECK(pn);
	CHILD_CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	CHILD_CHECK(setgroups(0, NULL) == 0);
	CHILD_CHECK(setresgid(UID_A, UID_A, UID_A) == 0);
	CHILD_CHECK(setresuid(UID_A, UID_A, UID_A) == 0);
	fd = mb_open();
	CHILD_CHECK(fd >= 0);

	/* 1. Ports until the limit. */
	while (!(err = mb_alloc_receive(fd, &name)) && ports <= max_ports)
		pn[ports++] = name;
	CHILD_CHECK(err == EMFILE);
	CHILD_CHECK(ports == max_ports);
	names = ports;
	first = pn[0];

	/* 2. Largest messages to itself until the byte limit. */
	CHILD_CHECK(mb_make_send(fd, first) == 0);
	CHILD_CHECK(mb_set_qlimit(fd, first, 16384) == 0);
	mb_header(h, first, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 2);
	n = 0;
	while (!(err = mb_send(fd, big, sizeof(big), MAILBOX_MSG_SEND_TIMEOUT,
			       0, &st)))
		n++;
	CHILD_CHECK(err == ENOBUFS && st == MAILBOX_SEND_NO_BUFFER);
	CHILD_CHECK(n == max_bytes / sizeof(big));
	ckpt(wr, rd, 'B');

	/*
	 * 3. Destroy them (the port dies: one more may be allocated), then
	 * small messages to its own ports until the message limit.
	 */
	CHILD_CHECK(mb_destroy(fd, first) == 0);
	CHILD_CHECK(mb_alloc_receive(fd, &pn[0]) == 0);
	k = 0;
	CHILD_CHECK(mb_make_send(fd, pn[k]) == 0);
	CHILD_CHECK(mb_set_qlimit(fd, pn[k], 16384) == 0);
	for (;;) {
		err = send_small(fd, pn[k], &st);
		if (!err) {
			msgs++;
			continue;
		}
		if (err != EAGAIN || ++k == ports)
			break;
		/* This queue is full: on to the next port. */
		CHILD_CHECK(mb_make_send(fd, pn[k]) == 0);
		CHILD_CHECK(mb_set_qlimit(fd, pn[k], 16384) == 0);
	}
	CHILD_CHECK(err == ENOBUFS && st == MAILBOX_SEND_NO_BUFFER);
	CHILD_CHECK(msgs == max_msgs);

	/* 4. Spaces until the fd limit, names in them until the name limit. */
	for (i = 0; i < 1024; i++) {
		fds[i] = mb_open();
		if (fds[i] < 0)
			break;
	}
	CHILD_CHECK(i < 1024 && errno == EMFILE);
	n = i;
	for (i = 0; i < (int)n; i++) {
		while (!(err = mb_allocate(fds[i], MAILBOX_RIGHT_DEAD_NAME,
					   &name)))
			names++;
		CHILD_CHECK(err == ENOSPC);
		if (names >= max_names)
			break;
	}
	CHILD_CHECK(names == max_names);
	ckpt(wr, rd, 'N');
	_exit(0);
}

TEST_F_TIMEOUT(limits, unprivileged_user_cannot_exhaust_memory, 600)
{
	unsigned long max_ports = self->saved[0], max_msgs = self->saved[1];
	unsigned long max_bytes = self->saved[2], max_names = self->saved[3];
	long avail0, avail, cg0 = 0, cg;
	int up[2], down[2];
	unsigned long long v;
	bool memcg;
	char c;
	pid_t pid;

	if (!max_ports || !max_msgs || !max_bytes || !max_names)
		SKIP(return, "a limit is 0 (unlimited)");
	/*
	 * The debug kernel (kmemleak) takes minutes for the default limits:
	 * there, a sixteenth of each (MBX_LIMITS_FULL=1 keeps them).
	 */
	if (!access("/sys/kernel/debug/kmemleak", F_OK) &&
	    !getenv("MBX_LIMITS_FULL")) {
		max_ports /= 16;
		max_msgs /= 16;
		max_bytes /= 16;
		max_names /= 16;
		ASSERT_EQ(0, param_set("max_ports_per_user", max_ports));
		ASSERT_EQ(0, param_set("max_msgs_per_user", max_msgs));
		ASSERT_EQ(0, param_set("max_bytes_per_user", max_bytes));
		ASSERT_EQ(0, param_set("max_names_per_user", max_names));
		TH_LOG("debug kernel: limits / 16");
	}
	ASSERT_LT(max_ports, max_names);
	memcg = memcg_setup();
	if (!memcg)
		TH_LOG("no memory cgroup v2: checking /proc/meminfo only");
	avail0 = meminfo_kb("MemAvailable");
	ASSERT_LT(0, avail0);
	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		mb_child_init();
		close(up[0]);
		close(down[1]);
		/* Wait to be put in the cgroup first. */
		CHILD_CHECK(read(down[0], &c, 1) == 1);
		attacker(up[1], down[0], max_ports, max_msgs, max_bytes,
			 max_names);
	}
	close(up[1]);
	close(down[0]);
	if (memcg) {
		EXPECT_EQ(0, memcg_enter(pid));
		cg0 = memcg_current();
	}
	ASSERT_EQ(1, write(down[1], "g", 1));

	/* Checkpoint B: max_bytes of the largest messages queued. */
	ASSERT_EQ(1, read(up[0], &c, 1)) TH_LOG("the attacker died early");
	ASSERT_EQ('B', c);
	ASSERT_EQ(0, mb_stat("message_bytes", &v));
	EXPECT_EQ(max_bytes / (128 * 1024) * (128 * 1024), v);
	ASSERT_EQ(0, mb_stat("ports", &v));
	EXPECT_EQ(max_ports, v);
	EXPECT_EQ(max_ports, use_of(UID_A, 0));
	avail = meminfo_kb("MemAvailable");
	TH_LOG("at the byte limit: MemAvailable %ld -> %ld kB", avail0, avail);
	/*
	 * Far from out of memory. (How much exactly is gone depends on the
	 * kernel: KASAN's quarantine and shadow, kmemleak's metadata.)
	 */
	EXPECT_LT(avail0 / 4, avail);
	if (memcg) {
		cg = memcg_current();
		TH_LOG("memcg: %ld -> %ld bytes", cg0, cg);
		/* The queued bytes are charged to the sender's memcg... */
		EXPECT_LE(cg0 + (long)max_bytes, cg);
		/* ...and all it made is within the budget the limits give. */
		EXPECT_GE(budget(max_ports, max_ports, 0, max_bytes /
				 (128 * 1024), max_bytes), cg - cg0);
	}
	ASSERT_EQ(1, write(down[1], "g", 1));

	/* Checkpoint N: message and name limits reached. */
	ASSERT_EQ(1, read(up[0], &c, 1)) TH_LOG("the attacker died early");
	ASSERT_EQ('N', c);
	ASSERT_EQ(0, mb_stat("messages", &v));
	EXPECT_EQ(max_msgs, v);
	ASSERT_EQ(0, mb_stat("entries", &v));
	EXPECT_EQ(max_names, v);
	EXPECT_EQ(max_names, use_of(UID_A, 3));
	EXPECT_EQ(max_msgs, use_of(UID_A, 1));
	avail = meminfo_kb("MemAvailable");
	TH_LOG("at the message and name limits: MemAvailable %ld -> %ld kB",
	       avail0, avail);
	EXPECT_LT(avail0 / 4, avail);
	if (memcg) {
		cg = memcg_current();
		TH_LOG("memcg: %ld -> %ld bytes", cg0, cg);
		EXPECT_GE(budget(max_ports, max_names, 1024, max_msgs,
				 max_msgs * MB_HDR_SIZE), cg - cg0);
	}
	ASSERT_EQ(1, write(down[1], "g", 1));
	EXPECT_EQ(0, mb_wait_child(pid));
	if (memcg)
		rmdir(CG_DIR);
	EXPECT_EQ(0, use_of(UID_A, 3));
}

TEST_HARNESS_MAIN
