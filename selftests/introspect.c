// SPDX-License-Identifier: GPL-2.0
/*
 * Observability (Documentation/observability.rst): the stats counters
 * added for it (blocked senders and receivers, timeouts, names by kind),
 * port ids and the space fdinfo, the debugfs registry view, the
 * tracepoints (one message followed from send to receive by its serial)
 * and the mailbox-lsmp tool run against two processes sharing a port.
 *
 * The tests read module-wide counters and the trace buffer, so they expect
 * to be the only mailbox users while they run (the VM runs one binary at a
 * time). Tracepoint tests SKIP when the kernel has no tracefs; lsmp tests
 * SKIP when the binary is not found (MBX_LSMP, /usr/bin/mailbox-lsmp,
 * build/tools/mailbox-lsmp).
 */
#include "mailbox_test.h"

#include <sys/stat.h>

#include "kselftest_harness.h"

#define MB_REGISTRY	"/sys/kernel/debug/mailbox/registry"

FIXTURE(mailbox) {
	int fd;
};

FIXTURE_SETUP(mailbox)
{
	self->fd = mb_open();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(mailbox)
{
	close(self->fd);
}

static char *fdinfo_of(pid_t pid, int fd)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	return slurp(path);
}

/* A kernel address (0xffff...) anywhere in @text? */
static bool has_address(const char *text)
{
	return strstr(text, "0xffff") || strstr(text, "ffff8") ||
	       strstr(text, "ffffffff8");
}

/* The fdinfo line of @name (without "name:\t0x..."), copied into @line. */
static int name_line(const char *info, __u32 name, char *line, size_t size)
{
	char key[32];
	const char *p, *end;

	snprintf(key, sizeof(key), "name:\t0x%08x ", name);
	p = strstr(info, key);
	if (!p)
		return -1;
	end = strchr(p, '\n');
	if (!end || (size_t)(end - p) >= size)
		return -1;
	memcpy(line, p, end - p);
	line[end - p] = 0;
	return 0;
}

/* The value of " key:<number>" in @line, or -1. */
static long long num_field(const char *line, const char *key)
{
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), " %s:", key);
	p = strstr(line, k);
	if (!p)
		return -1;
	return strtoll(p + strlen(k), NULL, 10);
}

/* The port id fdinfo shows for @name of @fd (our process), or -1. */
static long long port_id_of(int fd, __u32 name)
{
	char *info = fdinfo_of(getpid(), fd);
	char line[1024];
	long long id = -1;

	if (info && !name_line(info, name, line, sizeof(line)))
		id = num_field(line, "port");
	free(info);
	return id;
}

static long long space_id_of(pid_t pid, int fd)
{
	char *info = fdinfo_of(pid, fd);
	const char *p = info ? strstr(info, "mailbox-space:\t") : NULL;
	long long id = p ? strtoll(p + 15, NULL, 10) : -1;

	free(info);
	return id;
}

static unsigned long long stat_or(const char *key, unsigned long long dflt)
{
	unsigned long long v;

	return mb_stat(key, &v) ? dflt : v;
}

/* Poll @key until it reads @want (up to 2 s). */
static bool stat_becomes(const char *key, unsigned long long want)
{
	int i;

	for (i = 0; i < 200; i++) {
		if (stat_or(key, ~0ULL) == want)
			return true;
		usleep(10000);
	}
	return false;
}

static int mb_register(int fd, const char *service, __u32 name)
{
	struct mailbox_service s = { .name = name };

	snprintf(s.service, sizeof(s.service), "%s", service);
	return mb_ioctl(fd, MAILBOX_IOC_REGISTER, &s);
}

static int mb_unregister(int fd, const char *service)
{
	struct mailbox_service s = { 0 };

	snprintf(s.service, sizeof(s.service), "%s", service);
	return mb_ioctl(fd, MAILBOX_IOC_UNREGISTER, &s);
}

static int mb_move_member(int fd, __u32 member, __u32 after)
{
	struct mailbox_port_move_member mm = {
		.member = member, .after = after,
	};

	return mb_ioctl(fd, MAILBOX_IOC_PORT_MOVE_MEMBER, &mm);
}

TEST_F(mailbox, port_ids_are_unique_and_increasing)
{
	__u32 a, b, set;
	long long ia, ib, is;
	char *info;
	char line[1024];

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &a));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &b));
	ASSERT_EQ(0, mb_allocate(self->fd, MAILBOX_RIGHT_PORT_SET, &set));
	ia = port_id_of(self->fd, a);
	ib = port_id_of(self->fd, b);
	ASSERT_LT(0, ia);
	ASSERT_LT(ia, ib);
	info = fdinfo_of(getpid(), self->fd);
	ASSERT_NE(NULL, info);
	ASSERT_EQ(0, name_line(info, set, line, sizeof(line)));
	/* Port sets draw from the same counter: never equal to a port's. */
	is = num_field(line, "set");
	EXPECT_LT(ib, is);
	EXPECT_EQ(-1, num_field(line, "port"));
	free(info);
	/* A space id too, unique per open. */
	{
		int fd2 = mb_open();

		ASSERT_LE(0, fd2);
		EXPECT_LT(0, space_id_of(getpid(), self->fd));
		EXPECT_LT(space_id_of(getpid(), self->fd),
			  space_id_of(getpid(), fd2));
		close(fd2);
	}
}

TEST_F(mailbox, fdinfo_lists_every_right_with_port_ids)
{
	__u32 r, snd, so, set, dn;
	char line[1024];
	long long id;
	char *info;
	int fd2 = mb_open();

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_set_qlimit(self->fd, r, 3));
	ASSERT_EQ(0, mb_send_hdr(self->fd, r, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE,
				 0, 0, 1, NULL));
	ASSERT_EQ(0, mb_give_send(self->fd, fd2, r, &snd));
	ASSERT_EQ(0, mb_make_send_once(self->fd, r, &so));
	ASSERT_EQ(0, mb_allocate(self->fd, MAILBOX_RIGHT_PORT_SET, &set));
	ASSERT_EQ(0, mb_move_member(self->fd, r, set));
	id = port_id_of(self->fd, r);
	ASSERT_LT(0, id);

	info = fdinfo_of(getpid(), self->fd);
	ASSERT_NE(NULL, info);
	EXPECT_FALSE(has_address(info)) TH_LOG("%s", info);
	EXPECT_NE(NULL, strstr(info, "mailbox-space:\t"));
	EXPECT_NE(NULL, strstr(info, "mailbox-names:\t3\n")) TH_LOG("%s", info);
	EXPECT_NE(NULL, strstr(info, "mailbox-max-names:\t"));
	EXPECT_NE(NULL, strstr(info, "mailbox-user:\tuid:"));
	EXPECT_NE(NULL, strstr(info, "mailbox-user-use:\tports:"));
	ASSERT_EQ(0, name_line(info, r, line, sizeof(line))) TH_LOG("%s", info);
	EXPECT_NE(NULL, strstr(line, " rights:receive ")) TH_LOG("%s", line);
	EXPECT_EQ(1, num_field(line, "msgcount"));
	EXPECT_EQ(3, num_field(line, "qlimit"));
	EXPECT_EQ(1, num_field(line, "srights"));
	/* The queued message's reply right and the one made for @so. */
	EXPECT_EQ(2, num_field(line, "sorights"));
	EXPECT_EQ(0, num_field(line, "pulses"));
	EXPECT_EQ(1, num_field(line, "in_set"));
	{
		long long set_id = num_field(line, "set");
		char sline[1024];

		ASSERT_EQ(0, name_line(info, set, sline, sizeof(sline)));
		EXPECT_NE(NULL, strstr(sline, " rights:port-set "));
		EXPECT_EQ(set_id, num_field(sline, "set"));
		EXPECT_EQ(1, num_field(sline, "members"));
		EXPECT_EQ(1, num_field(sline, "ready"));
	}
	ASSERT_EQ(0, name_line(info, so, line, sizeof(line)));
	EXPECT_NE(NULL, strstr(line, " rights:send-once "));
	EXPECT_EQ(id, num_field(line, "port"));
	EXPECT_EQ(1, num_field(line, "alive"));
	free(info);

	/* The other space's send right names the same port id. */
	info = fdinfo_of(getpid(), fd2);
	ASSERT_NE(NULL, info);
	ASSERT_EQ(0, name_line(info, snd, line, sizeof(line)));
	EXPECT_NE(NULL, strstr(line, " rights:send ")) TH_LOG("%s", line);
	EXPECT_EQ(id, num_field(line, "port"));
	EXPECT_EQ(1, num_field(line, "urefs"));
	free(info);

	/* Receive right gone: the send right reads as a dead name. */
	ASSERT_EQ(0, mb_destroy(self->fd, r));
	info = fdinfo_of(getpid(), fd2);
	ASSERT_NE(NULL, info);
	ASSERT_EQ(0, name_line(info, snd, line, sizeof(line)));
	EXPECT_NE(NULL, strstr(line, " rights:dead-name")) TH_LOG("%s", line);
	EXPECT_EQ(-1, num_field(line, "port"));
	dn = snd;
	EXPECT_EQ(0, mb_deallocate(fd2, dn));
	free(info);
	close(fd2);
}

struct churn {
	int fd, fd2;
	atomic_int stop;
	atomic_int rounds;
	int err;
};

/* Make, move, send and destroy rights until told to stop. */
static void *churn_main(void *arg)
{
	struct churn *c = arg;

	while (!atomic_load(&c->stop) && !c->err) {
		__u32 r, snd, so, set;

		c->err = mb_alloc_receive(c->fd, &r) ||
			 mb_give_send(c->fd, c->fd2, r, &snd) ||
			 mb_make_send_once(c->fd, r, &so) ||
			 mb_allocate(c->fd, MAILBOX_RIGHT_PORT_SET, &set) ||
			 mb_move_member(c->fd, r, set) ||
			 mb_send_hdr(c->fd2, snd, MAILBOX_MSG_TYPE_COPY_SEND,
				     0, 0, 1, NULL) ||
			 mb_destroy(c->fd, r) || mb_destroy(c->fd, set) ||
			 mb_deallocate(c->fd, so) || mb_deallocate(c->fd2, snd);
		atomic_fetch_add(&c->rounds, 1);
	}
	return NULL;
}

/*
 * Readers of fdinfo and stats never see a torn line or an address: 20
 * reads of each while another thread has made at least 20 rounds of
 * changes (counts, not time: the debug kernel may be slow).
 */
TEST_F_TIMEOUT(mailbox, fdinfo_and_stats_read_while_rights_change, 120)
{
	struct churn c = { .fd = self->fd, .fd2 = mb_open() };
	pthread_t t;
	int reads = 0;

	ASSERT_LE(0, c.fd2);
	ASSERT_EQ(0, pthread_create(&t, NULL, churn_main, &c));
	while ((reads < 20 || atomic_load(&c.rounds) < 20) && !c.err) {
		char *a = fdinfo_of(getpid(), c.fd);
		char *b = fdinfo_of(getpid(), c.fd2);
		char *st = slurp(MB_STATS);
		const char *p;

		ASSERT_NE(NULL, a);
		ASSERT_NE(NULL, b);
		EXPECT_FALSE(has_address(a) || has_address(b));
		/* Every name line is whole: it ends with its kind's fields. */
		for (p = a; (p = strstr(p, "\nname:\t")); p++) {
			const char *nl = strchr(p + 1, '\n');

			ASSERT_NE(NULL, nl);
			if (memmem(p, nl - p, "rights:receive", 14))
				ASSERT_NE(NULL, memmem(p, nl - p, " set:", 5));
		}
		free(a);
		free(b);
		free(st);
		reads++;
	}
	atomic_store(&c.stop, 1);
	pthread_join(t, NULL);
	EXPECT_EQ(0, c.err);
	EXPECT_LE(20, atomic_load(&c.rounds));
	close(c.fd2);
}

/*
 * More names than one read shows: the rest are counted, not listed. 16389
 * allocations take a while on the debug kernel under TCG: a longer timeout.
 */
TEST_F_TIMEOUT(mailbox, fdinfo_output_is_bounded, 300)
{
	const unsigned int n = 16384 + 5;
	unsigned int i, lines = 0;
	char *info, *p;
	__u32 name;

	for (i = 0; i < n; i++)
		ASSERT_EQ(0, mb_allocate(self->fd, MAILBOX_RIGHT_DEAD_NAME,
					 &name));
	info = fdinfo_of(getpid(), self->fd);
	ASSERT_NE(NULL, info);
	for (p = info; (p = strstr(p, "\nname:\t")); p++)
		lines++;
	EXPECT_EQ(16384, lines);
	EXPECT_NE(NULL, strstr(info, "mailbox-names-not-shown:\t5\n"));
	free(info);
}

TEST_F(mailbox, stats_count_names_by_kind)
{
	unsigned long long s0, r0, so0, ps0, d0;
	__u32 r, so, set, dn;

	if (mb_stat("names_receive", &r0))
		SKIP(return, "%s not available", MB_STATS);
	s0 = stat_or("names_send", 0);
	so0 = stat_or("names_send_once", 0);
	ps0 = stat_or("names_port_set", 0);
	d0 = stat_or("names_dead", 0);

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_make_send(self->fd, r));
	ASSERT_EQ(0, mb_make_send_once(self->fd, r, &so));
	ASSERT_EQ(0, mb_allocate(self->fd, MAILBOX_RIGHT_PORT_SET, &set));
	ASSERT_EQ(0, mb_allocate(self->fd, MAILBOX_RIGHT_DEAD_NAME, &dn));
	/* One name with receive and send counts in both. */
	EXPECT_EQ(r0 + 1, stat_or("names_receive", 0));
	EXPECT_EQ(s0 + 1, stat_or("names_send", 0));
	EXPECT_EQ(so0 + 1, stat_or("names_send_once", 0));
	EXPECT_EQ(ps0 + 1, stat_or("names_port_set", 0));
	EXPECT_EQ(d0 + 1, stat_or("names_dead", 0));
	/* The send-once right becomes a dead name with its port. */
	ASSERT_EQ(0, mb_destroy(self->fd, r));
	EXPECT_EQ(r0, stat_or("names_receive", 0));
	EXPECT_EQ(so0, stat_or("names_send_once", 0));
	EXPECT_EQ(d0 + 2, stat_or("names_dead", 0));
}

TEST_F(mailbox, stats_blocked_receiver_gauge_and_timeouts)
{
	unsigned long long tb, tt;
	struct mb_async a;
	__u32 r, status;
	unsigned char buf[256];
	__u32 size = sizeof(buf);

	if (mb_stat("blocked_receivers", &tb))
		SKIP(return, "%s not available", MB_STATS);
	ASSERT_EQ(0, tb);
	tb = stat_or("total_blocked_receives", 0);
	tt = stat_or("total_receive_timeouts", 0);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));

	/* A zero timeout counts as a timeout, but never blocks. */
	ASSERT_EQ(EAGAIN, mb_recv(self->fd, r, buf, &size,
				  MAILBOX_MSG_RCV_TIMEOUT, 0, &status));
	EXPECT_EQ(MAILBOX_RCV_TIMED_OUT, status);
	EXPECT_EQ(tt + 1, stat_or("total_receive_timeouts", 0));
	EXPECT_EQ(tb, stat_or("total_blocked_receives", 0));

	/* A timed wait blocks once and times out once. */
	size = sizeof(buf);
	ASSERT_EQ(ETIMEDOUT, mb_recv(self->fd, r, buf, &size,
				     MAILBOX_MSG_RCV_TIMEOUT, 5 * MB_MSEC,
				     &status));
	EXPECT_EQ(tt + 2, stat_or("total_receive_timeouts", 0));
	EXPECT_EQ(tb + 1, stat_or("total_blocked_receives", 0));
	EXPECT_EQ(0, stat_or("blocked_receivers", 1));

	/* A receiver asleep shows in the gauge until a message wakes it. */
	ASSERT_EQ(0, mb_async_recv(&a, self->fd, r, 0, 0));
	EXPECT_TRUE(stat_becomes("blocked_receivers", 1));
	mb_pause();
	EXPECT_FALSE(mb_async_done(&a));
	ASSERT_EQ(0, mb_make_send(self->fd, r));
	ASSERT_EQ(0, mb_send_hdr(self->fd, r, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0,
				 7, NULL));
	ASSERT_EQ(0, mb_async_join(&a, 5));
	EXPECT_EQ(0, a.err);
	EXPECT_EQ(0, stat_or("blocked_receivers", 1));
	EXPECT_LE(tb + 2, stat_or("total_blocked_receives", 0));
}

TEST_F(mailbox, stats_blocked_sender_gauge_and_timeouts)
{
	unsigned long long tb, tt;
	struct mailbox_msg_header h;
	struct mb_async a;
	__u32 r, status;

	if (mb_stat("blocked_senders", &tb))
		SKIP(return, "%s not available", MB_STATS);
	ASSERT_EQ(0, tb);
	tb = stat_or("total_blocked_sends", 0);
	tt = stat_or("total_send_timeouts", 0);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_make_send(self->fd, r));
	ASSERT_EQ(0, mb_set_qlimit(self->fd, r, 1));
	ASSERT_EQ(0, mb_send_hdr(self->fd, r, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0,
				 1, NULL));

	/* Full queue: a zero timeout fails at once, a timed one blocks. */
	ASSERT_EQ(EAGAIN, mb_send_hdr(self->fd, r, MAILBOX_MSG_TYPE_COPY_SEND,
				      0, 0, 2, &status));
	EXPECT_EQ(MAILBOX_SEND_TIMED_OUT, status);
	EXPECT_EQ(tt + 1, stat_or("total_send_timeouts", 0));
	mb_header(&h, r, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 3);
	ASSERT_EQ(ETIMEDOUT, mb_send(self->fd, &h, sizeof(h),
				     MAILBOX_MSG_SEND_TIMEOUT, 5 * MB_MSEC,
				     &status));
	EXPECT_EQ(tt + 2, stat_or("total_send_timeouts", 0));
	EXPECT_EQ(tb + 1, stat_or("total_blocked_sends", 0));
	EXPECT_EQ(0, stat_or("blocked_senders", 1));

	ASSERT_EQ(0, mb_async_send(&a, self->fd, r, MAILBOX_MSG_TYPE_COPY_SEND,
				   0, 0, 4, 0, 0));
	EXPECT_TRUE(stat_becomes("blocked_senders", 1));
	mb_pause();
	EXPECT_FALSE(mb_async_done(&a));
	ASSERT_EQ(0, mb_recv_hdr(self->fd, r, &h, NULL));
	ASSERT_EQ(0, mb_async_join(&a, 5));
	EXPECT_EQ(0, a.err);
	EXPECT_EQ(0, stat_or("blocked_senders", 1));

	/* Closing the space wakes and un-counts a blocked sender too. */
	ASSERT_EQ(0, mb_async_send(&a, self->fd, r, MAILBOX_MSG_TYPE_COPY_SEND,
				   0, 0, 5, 0, 0));
	EXPECT_TRUE(stat_becomes("blocked_senders", 1));
	ASSERT_EQ(0, mb_destroy(self->fd, r));
	ASSERT_EQ(0, mb_async_join(&a, 5));
	EXPECT_EQ(0, stat_or("blocked_senders", 1));
}

TEST_F(mailbox, registry_debugfs_lists_services)
{
	char service[64], want[256], *text;
	long long port, space;
	__u32 r;

	if (access(MB_REGISTRY, R_OK))
		SKIP(return, "%s not available", MB_REGISTRY);
	snprintf(service, sizeof(service), "introspect.%d", getpid());
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_register(self->fd, service, r));
	port = port_id_of(self->fd, r);
	space = space_id_of(getpid(), self->fd);
	ASSERT_LT(0, port);

	text = slurp(MB_REGISTRY);
	ASSERT_NE(NULL, text);
	snprintf(want, sizeof(want),
		 " service:%s port:%lld owner:%u alive:1 receiver_space:%lld\n",
		 service, port, geteuid(), space);
	EXPECT_NE(NULL, strstr(text, want)) TH_LOG("want%s in:\n%s", want, text);
	EXPECT_EQ(0, strncmp(text, "ipcns:", 6)) TH_LOG("%s", text);
	EXPECT_FALSE(has_address(text));
	free(text);

	ASSERT_EQ(0, mb_unregister(self->fd, service));
	text = slurp(MB_REGISTRY);
	ASSERT_NE(NULL, text);
	EXPECT_EQ(NULL, strstr(text, service));
	free(text);
}

/* --- tracepoints ------------------------------------------------------- */

/* The first line of @text containing every one of @a, @b, copied. */
static bool find_line(const char *text, const char *a, const char *b,
		      char *line, size_t size)
{
	const char *p = text;

	while (p && *p) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len < size) {
			memcpy(line, p, len);
			line[len] = 0;
			if (strstr(line, a) && (!b || strstr(line, b)))
				return true;
		}
		p = end ? end + 1 : NULL;
	}
	return false;
}

TEST_F(mailbox, tracepoints_follow_one_message)
{
	char want[128], line[512], *text, path[256];
	const char *tr = tracefs();
	long long port, msg;
	__s32 id = 0x51000000 | (getpid() & 0xffff);
	struct mailbox_msg_header h;
	__u32 r, size;

	if (!tr)
		SKIP(return, "no tracefs (kernel without CONFIG_TRACING)");
	snprintf(path, sizeof(path), "%s/events/mailbox/enable", tr);
	ASSERT_EQ(0, access(path, W_OK)) TH_LOG("tracefs at %s but no mailbox events", tr);

	ASSERT_EQ(0, write_file(tr, "trace", ""));
	ASSERT_EQ(0, write_file(tr, "events/mailbox/enable", "1"));
	ASSERT_EQ(0, write_file(tr, "tracing_on", "1"));

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_send_hdr(self->fd, r, MAILBOX_MSG_TYPE_MAKE_SEND, 0, 0,
				 id, NULL));
	ASSERT_EQ(0, mb_recv_hdr(self->fd, r, &h, NULL));
	ASSERT_EQ(id, h.id);
	size = sizeof(h);
	ASSERT_EQ(ETIMEDOUT, mb_recv(self->fd, r, &h, &size,
				     MAILBOX_MSG_RCV_TIMEOUT, 2 * MB_MSEC,
				     NULL));
	port = port_id_of(self->fd, r);
	ASSERT_EQ(0, mb_destroy(self->fd, r));

	ASSERT_EQ(0, write_file(tr, "events/mailbox/enable", "0"));
	text = slurp(strcat(strcpy(path, tr), "/trace"));
	ASSERT_NE(NULL, text);
	EXPECT_FALSE(has_address(text));

	snprintf(want, sizeof(want), "port=%lld ", port);
	EXPECT_TRUE(find_line(text, "mailbox_port_create: ", want, line,
			      sizeof(line))) TH_LOG("%s", text);

	snprintf(want, sizeof(want), " msgh_id=%d ", id);
	ASSERT_TRUE(find_line(text, "mailbox_send: ", want, line,
			      sizeof(line))) TH_LOG("%s", text);
	ASSERT_EQ(1, sscanf(strstr(line, "msg="), "msg=%lld", &msg));
	EXPECT_EQ(port, strtoll(strstr(line, "port=") + 5, NULL, 10));
	EXPECT_NE(NULL, strstr(line, " size=24 rights=0 ")) TH_LOG("%s", line);

	/* The receive names the same message and its latency. */
	snprintf(want, sizeof(want), "msg=%lld port=%lld msgh_id=%d ", msg,
		 port, id);
	ASSERT_TRUE(find_line(text, "mailbox_receive: ", want, line,
			      sizeof(line))) TH_LOG("%s", text);
	EXPECT_NE(NULL, strstr(line, " ret=0")) TH_LOG("%s", line);
	EXPECT_LT(0, strtoll(strstr(line, "latency_ns=") + 11, NULL, 10))
		TH_LOG("%s", line);

	/* The dest right taken out of the space for the send. */
	snprintf(want, sizeof(want), "port=%lld disposition=make-send", port);
	EXPECT_TRUE(find_line(text, "mailbox_right_copyin: ", want, line,
			      sizeof(line))) TH_LOG("%s", text);

	/* The timed receive blocked and unblocked with -ETIMEDOUT. */
	snprintf(want, sizeof(want), "port=%lld receive ret=0", port);
	EXPECT_TRUE(find_line(text, "mailbox_block: ", want, line,
			      sizeof(line))) TH_LOG("%s", text);
	snprintf(want, sizeof(want), "port=%lld receive ret=-110", port);
	EXPECT_TRUE(find_line(text, "mailbox_unblock: ", want, line,
			      sizeof(line))) TH_LOG("%s", text);

	snprintf(want, sizeof(want), "port=%lld drained=0", port);
	EXPECT_TRUE(find_line(text, "mailbox_port_destroy: ", want, line,
			      sizeof(line))) TH_LOG("%s", text);
	free(text);
	write_file(tr, "trace", "");
}

TEST_F(mailbox, tracepoint_notification_names_its_port)
{
	struct mailbox_port_request_notification rq = { 0 };
	char want[128], line[512], *text, path[256];
	const char *tr = tracefs();
	__u32 r, notify, so;
	long long nport;
	__s32 kind;

	if (!tr)
		SKIP(return, "no tracefs (kernel without CONFIG_TRACING)");
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &notify));
	ASSERT_EQ(0, mb_make_send_once(self->fd, r, &so));
	nport = port_id_of(self->fd, notify);
	ASSERT_EQ(0, write_file(tr, "trace", ""));
	ASSERT_EQ(0, write_file(tr, "events/mailbox/mailbox_notify/enable",
				"1"));
	/* A dead-name request on the send-once right, then the port dies. */
	rq.name = so;
	rq.variant = MAILBOX_NOTIFY_DEAD_NAME;
	rq.notify = notify;
	rq.disposition = MAILBOX_MSG_TYPE_MAKE_SEND_ONCE;
	ASSERT_EQ(0, mb_ioctl(self->fd, MAILBOX_IOC_PORT_REQUEST_NOTIFICATION,
			      &rq));
	ASSERT_EQ(0, mb_destroy(self->fd, r));
	ASSERT_EQ(0, write_file(tr, "events/mailbox/mailbox_notify/enable",
				"0"));
	ASSERT_EQ(0, mb_recv_id(self->fd, notify, &kind));
	EXPECT_EQ(MAILBOX_NOTIFY_DEAD_NAME, kind);

	text = slurp(strcat(strcpy(path, tr), "/trace"));
	ASSERT_NE(NULL, text);
	snprintf(want, sizeof(want), "port=%lld kind=dead-name", nport);
	EXPECT_TRUE(find_line(text, "mailbox_notify: ", want, line,
			      sizeof(line))) TH_LOG("%s", text);
	free(text);
	write_file(tr, "trace", "");
}

/* --- mailbox-lsmp -------------------------------------------------------- */

static const char *lsmp_path(void)
{
	static const char * const paths[] = {
		"/usr/bin/mailbox-lsmp", "build/tools/mailbox-lsmp",
		"../build/tools/mailbox-lsmp",
	};
	const char *env = getenv("MBX_LSMP");
	unsigned int i;

	if (env && !access(env, X_OK))
		return env;
	for (i = 0; i < 3; i++)
		if (!access(paths[i], X_OK))
			return paths[i];
	return NULL;
}

/* Run @cmd, its standard output in a malloc()ed string; NULL on failure. */
static char *run(const char *cmd, int *status)
{
	FILE *p = popen(cmd, "r");
	char *buf;

	if (!p)
		return NULL;
	buf = slurp_fd(fileno(p));
	*status = pclose(p);
	return buf;
}

/* Balanced braces and brackets outside strings, nothing after the end. */
static bool json_balanced(const char *s)
{
	int depth = 0;
	bool str = false, seen = false;

	for (; *s; s++) {
		if (str) {
			if (*s == '\\' && s[1])
				s++;
			else if (*s == '"')
				str = false;
			continue;
		}
		if (*s == '"') {
			str = true;
		} else if (*s == '{' || *s == '[') {
			depth++;
			seen = true;
		} else if (*s == '}' || *s == ']') {
			if (--depth < 0)
				return false;
		} else if (!strchr(" \t\n,:", *s) && !seen) {
			return false;
		}
	}
	return seen && depth == 0 && !str;
}

/*
 * A child with its own space holding a send right to our receive right
 * (moved in by insert_right through the inherited fd, which it then
 * closes), and a registered service: lsmp must connect the two processes
 * by port id, in text and JSON.
 */
TEST_F(mailbox, lsmp_shows_ports_shared_between_processes)
{
	char cmd[512], want[256], service[64], *out;
	const char *lsmp = lsmp_path();
	int ready[2], hold[2], status;
	long long port;
	__u32 r, cname;
	pid_t child;

	if (!lsmp)
		SKIP(return, "mailbox-lsmp not found (make tools)");
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_set_qlimit(self->fd, r, 4));
	port = port_id_of(self->fd, r);
	snprintf(service, sizeof(service), "lsmp.%d", getpid());
	ASSERT_EQ(0, mb_register(self->fd, service, r));
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(hold));

	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		int mine;
		char c;

		mb_child_init();
		close(ready[0]);
		close(hold[1]);
		mine = mb_open();
		CHILD_CHECK(mine >= 0);
		CHILD_CHECK(mb_give_send(self->fd, mine, r, &cname) == 0);
		CHILD_CHECK(mb_send_hdr(mine, cname, MAILBOX_MSG_TYPE_COPY_SEND,
					0, 0, 9, NULL) == 0);
		close(self->fd);
		CHILD_CHECK(write(ready[1], &cname, sizeof(cname)) ==
			    sizeof(cname));
		/* Hold the rights until the parent is done. */
		CHILD_CHECK(read(hold[0], &c, 1) >= 0);
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	ASSERT_EQ(sizeof(cname), read(ready[0], &cname, sizeof(cname)));

	snprintf(cmd, sizeof(cmd), "%s -p %d -p %d", lsmp, getpid(), child);
	out = run(cmd, &status);
	ASSERT_NE(NULL, out);
	EXPECT_EQ(0, status) TH_LOG("%s", out);
	TH_LOG("mailbox-lsmp output:\n%s", out);
	EXPECT_FALSE(has_address(out));
	snprintf(want, sizeof(want), "port %lld: receive pid %d ", port,
		 getpid());
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("want '%s' in:\n%s", want, out);
	/* The child's fd number is its first free one: match around it. */
	snprintf(want, sizeof(want), "  <- send pid %d (introspect) fd ", child);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("want '%s' in:\n%s", want, out);
	snprintf(want, sizeof(want), " name 0x%08x refs 1\n", cname);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("want '%s' in:\n%s", want, out);
	/* Our receive right's queue: 1 of 4. */
	snprintf(want, sizeof(want), "%-6lld 1/4", port);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("want '%s' in:\n%s", want, out);
	if (!access(MB_REGISTRY, R_OK)) {
		snprintf(want, sizeof(want), "%s", service);
		EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
		snprintf(want, sizeof(want), "pid %d (introspect) fd %d\n",
			 getpid(), self->fd);
		EXPECT_NE(NULL, strstr(out, want)) TH_LOG("want '%s' in:\n%s",
							  want, out);
	}
	free(out);

	snprintf(cmd, sizeof(cmd), "%s --json -p %d -p %d", lsmp, getpid(),
		 child);
	out = run(cmd, &status);
	ASSERT_NE(NULL, out);
	EXPECT_EQ(0, status);
	TH_LOG("mailbox-lsmp --json output:\n%s", out);
	EXPECT_TRUE(json_balanced(out)) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "{\"port\": %lld, \"receiver\": {\"pid\": %d,",
		 port, getpid());
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("want '%s' in:\n%s", want, out);
	snprintf(want, sizeof(want), "\"senders\": [{\"pid\": %d, ", child);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("want '%s' in:\n%s", want, out);
	EXPECT_NE(NULL, strstr(out, "\"msgcount\": 1, \"qlimit\": 4"))
		TH_LOG("%s", out);
	if (!access(MB_REGISTRY, R_OK)) {
		snprintf(want, sizeof(want), "\"service\": \"%s\", \"port\": %lld",
			 service, port);
		EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	}
	free(out);

	/* A pid that does not exist: exit status 2. */
	snprintf(cmd, sizeof(cmd), "%s -p 2147483646 >/dev/null 2>&1", lsmp);
	out = run(cmd, &status);
	ASSERT_NE(NULL, out);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2);
	free(out);

	close(hold[1]);
	EXPECT_EQ(0, mb_wait_child(child));
	close(ready[0]);
	EXPECT_EQ(0, mb_unregister(self->fd, service));
}

TEST_HARNESS_MAIN
