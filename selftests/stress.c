// SPDX-License-Identifier: GPL-2.0
/*
 * Kill-storm stress: NWORKERS processes exchange messages, send and
 * send-once rights and receive rights (port descriptors with MOVE_RECEIVE),
 * out-of-line memory of 1-3 pages (so the sender's file cache reuses and
 * drops files while receivers map, keep and unmap them; half of it in
 * out-of-line buffers, moved instead of copied or given back on a failed
 * send), half of them busy-poll their port and set (MAILBOX_ATTR_SPIN),
 * find each other through the registry, receive on port sets and request
 * notifications, while the supervisor SIGKILLs a random worker at a random
 * moment and starts a new one in its slot.
 *
 * MBX_STRESS_SECONDS  how long the storm lasts (default 15)
 * MBX_STRESS_SEED     seed (default time-based; printed)
 *
 * At the end every worker is killed and reaped, then the debugfs stats are
 * checked: every message sent was received or destroyed, exactly
 * (total_sent + total_notifications == total_received + total_destroyed:
 * notifications count as sent when fired, even towards a dead port, and
 * requests that never fired are not counted), no message or port is left,
 * and the sends the workers saw succeed are at most total_sent.
 * scripts/vm-guest-init checks every current counter is zero as well.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/mailbox.h>

#define NWORKERS	6
#define STATS		"/sys/kernel/debug/mailbox/stats"

struct shared {
	atomic_long sends_ok;
	atomic_long receives_ok;
};

static struct shared *sh;
static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint32_t below(uint32_t n)
{
	return rnd() % n;
}

static int xioctl(int fd, unsigned long nr, void *arg)
{
	return ioctl(fd, nr, arg) ? -errno : 0;
}

static uint32_t allocate(int fd, uint32_t right)
{
	struct mailbox_port_allocate a = { .right = right };

	return xioctl(fd, MAILBOX_IOC_PORT_ALLOCATE, &a) ? 0 : a.name;
}

static void deallocate(int fd, uint32_t name)
{
	struct mailbox_port_name_op op = { .name = name };

	ioctl(fd, MAILBOX_IOC_PORT_DEALLOCATE, &op);
}

static void destroy(int fd, uint32_t name)
{
	struct mailbox_port_name_op op = { .name = name };

	ioctl(fd, MAILBOX_IOC_PORT_DESTROY, &op);
}

/*
 * A random name of the space other than @keep1/@keep2, or 0: a stale name
 * in a program that does not track its rights well lands on whatever now
 * holds the name, so the storm also works on names it never asked for.
 */
static uint32_t random_name(int fd, uint32_t keep1, uint32_t keep2)
{
	uint32_t names[256], types[256], n;
	struct mailbox_port_names pn = {
		.names = (uintptr_t)names, .types = (uintptr_t)types,
		.count = 256,
	};

	if (xioctl(fd, MAILBOX_IOC_PORT_NAMES, &pn) || !pn.count)
		return 0;
	n = names[below(pn.count)];
	return n == keep1 || n == keep2 ? 0 : n;
}

static void service(char *s, int slot)
{
	memset(s, 0, MAILBOX_SERVICE_NAME_MAX);
	snprintf(s, MAILBOX_SERVICE_NAME_MAX, "stress.%d", slot);
}

struct complex_msg {
	struct mailbox_msg_header h;
	struct mailbox_msg_body b;
	struct mailbox_msg_port_descriptor d[3];
	uint32_t data[4];
} __attribute__((packed, aligned(4)));

struct ool_msg {
	struct mailbox_msg_header h;
	struct mailbox_msg_body b;
	struct mailbox_msg_ool_descriptor d;
};

static uint8_t ool_src[3 * 4096];
static void *kept_map;		/* one received region left mapped */
static size_t kept_len;

/*
 * An out-of-line buffer (mmap of the space) with data, as @d's memory, with
 * deallocate: the send moves it. MAP_FAILED (and @d unchanged) if none.
 */
static void *give_buffer(int fd, struct mailbox_msg_ool_descriptor *d)
{
	void *p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return p;
	memset(p, 0x6b, 3 * 4096);
	d->address = (uintptr_t)p;
	d->size = 3 * 4096 - below(2) * 100;
	d->deallocate = 1;
	return p;
}

/* Unmap a received region, or keep it mapped until the next one. */
static void ool_received(const struct mailbox_msg_ool_descriptor *d)
{
	size_t len = ((size_t)d->size + 4095) & ~4095UL;

	if (!d->address)
		return;
	if (below(3) == 0) {
		if (kept_map)
			munmap(kept_map, kept_len);
		kept_map = (void *)(uintptr_t)d->address;
		kept_len = len;
		return;
	}
	munmap((void *)(uintptr_t)d->address, len);
}

static void worker(int slot, uint64_t seed)
{
	int fd = open("/dev/mailbox", O_RDWR | O_CLOEXEC);
	uint32_t port, pset, kept[16] = { 0 };
	struct mailbox_service s = { 0 };
	struct mailbox_port_insert_right ir = { .space_fd = MAILBOX_SPACE_SELF };
	struct mailbox_port_move_member mm = { 0 };
	uint8_t rbuf[1024] __attribute__((aligned(8)));

	rng = seed ? seed : 1;
	if (fd < 0)
		_exit(2);
	port = allocate(fd, MAILBOX_RIGHT_RECEIVE);
	pset = allocate(fd, MAILBOX_RIGHT_PORT_SET);
	ir.name = ir.poly = port;
	ir.disposition = MAILBOX_MSG_TYPE_MAKE_SEND;
	ioctl(fd, MAILBOX_IOC_PORT_INSERT_RIGHT, &ir);
	mm.member = port;
	mm.after = pset;
	ioctl(fd, MAILBOX_IOC_PORT_MOVE_MEMBER, &mm);
	if (below(2)) {
		/* Half the workers busy-poll before they sleep (killed mid-poll). */
		struct mailbox_port_attr sa = {
			.flags = MAILBOX_ATTR_SPIN, .spin_us = 1 + below(500),
		};

		sa.name = port;
		ioctl(fd, MAILBOX_IOC_PORT_SET_ATTR, &sa);
		sa.name = pset;
		ioctl(fd, MAILBOX_IOC_PORT_SET_ATTR, &sa);
	}
	service(s.service, slot);
	s.name = port;
	s.flags = MAILBOX_REGISTER_REPLACE;
	ioctl(fd, MAILBOX_IOC_REGISTER, &s);

	for (;;) {
		struct mailbox_service l = { 0 };
		struct complex_msg m = { 0 };
		struct mailbox_msg a = { 0 };
		uint32_t peer, extra = 0, n = 0;
		void *buf = MAP_FAILED;
		int op = below(10), err;

		if (op < 5) {
			/* Send to a peer found in the registry. */
			service(l.service, below(NWORKERS));
			if (xioctl(fd, MAILBOX_IOC_LOOKUP, &l))
				continue;
			peer = l.name;
			m.h.remote_port = peer;
			m.h.bits = MAILBOX_MSGH_BITS(MAILBOX_MSG_TYPE_COPY_SEND,
						     below(2) ? MAILBOX_MSG_TYPE_MAKE_SEND_ONCE : 0);
			m.h.local_port = MAILBOX_MSGH_LOCAL(m.h.bits) ? port : 0;
			m.h.id = slot;
			if (below(2)) {
				m.h.bits |= MAILBOX_MSGH_COMPLEX;
				/* A fresh port's receive right, with a message in it. */
				extra = allocate(fd, MAILBOX_RIGHT_RECEIVE);
				m.d[n].name = extra;
				m.d[n].disposition = MAILBOX_MSG_TYPE_MOVE_RECEIVE;
				n++;
				m.d[n].name = port;
				m.d[n].disposition = below(2) ? MAILBOX_MSG_TYPE_MAKE_SEND :
							       MAILBOX_MSG_TYPE_MAKE_SEND_ONCE;
				n++;
				m.b.descriptor_count = n;
			}
			a.options = MAILBOX_MSG_SEND | MAILBOX_MSG_SEND_TIMEOUT;
			a.send_timeout = below(2) ? 0 : 1000000;
			a.send_msg = (uintptr_t)&m;
			a.send_size = m.h.bits & MAILBOX_MSGH_COMPLEX ? sizeof(m) :
				      sizeof(m.h) + sizeof(m.data);
			if (m.h.bits & MAILBOX_MSGH_COMPLEX) {
				/* descriptors are back to back, then data */
				a.send_size = sizeof(m.h) + 4 + 12 * n + sizeof(m.data);
			} else if (below(3) == 0) {
				/* Out-of-line memory instead of inline data. */
				struct ool_msg *o = (void *)&m;

				o->h.bits |= MAILBOX_MSGH_COMPLEX;
				o->b.descriptor_count = 1;
				o->d.address = (uintptr_t)ool_src;
				o->d.size = 4096 * (1 + below(3)) - below(2) * 100;
				o->d.copy = MAILBOX_VIRTUAL_COPY;
				o->d.type = MAILBOX_MSG_OOL_DESCRIPTOR;
				a.send_size = sizeof(*o);
				/* Half of them a buffer given away: moved. */
				if (below(2))
					buf = give_buffer(fd, &o->d);
			}
			err = xioctl(fd, MAILBOX_IOC_MSG, &a);
			if (!err)
				atomic_fetch_add(&sh->sends_ok, 1);
			else if (extra)
				destroy(fd, extra);
			/* A failed send leaves the buffer with us. */
			if (err && buf != MAP_FAILED)
				munmap(buf, 3 * 4096);
			deallocate(fd, peer);
		} else if (op < 8) {
			/* Receive on the set; keep some rights, drop others. */
			a.options = MAILBOX_MSG_RCV | MAILBOX_MSG_RCV_TIMEOUT |
				    MAILBOX_MSG_RCV_TRAILER;
			a.rcv_timeout = below(2) ? 0 : 2000000;
			a.rcv_msg = (uintptr_t)rbuf;
			a.rcv_size = sizeof(rbuf);
			a.rcv_name = below(4) ? pset : port;
			if (xioctl(fd, MAILBOX_IOC_MSG, &a) == 0) {
				struct mailbox_msg_header *h = (void *)rbuf;

				atomic_fetch_add(&sh->receives_ok, 1);
				if (h->remote_port && below(2))
					kept[below(16)] = h->remote_port;
				else if (h->remote_port)
					deallocate(fd, h->remote_port);
				if ((h->bits & MAILBOX_MSGH_COMPLEX) &&
				    rbuf[sizeof(*h) + 4 + 11] == MAILBOX_MSG_OOL_DESCRIPTOR) {
					/* An out-of-line message: one descriptor. */
					ool_received((void *)(rbuf + sizeof(*h) + 4));
				} else if (h->bits & MAILBOX_MSGH_COMPLEX) {
					struct mailbox_msg_port_descriptor *d =
						(void *)(rbuf + sizeof(*h) + 4);
					uint32_t i, c = *(uint32_t *)(rbuf + sizeof(*h));

					for (i = 0; i < c && i < 3; i++) {
						if (below(3) == 0) {
							/* Keep it; a received port joins the set. */
							struct mailbox_port_move_member j = {
								.member = d[i].name, .after = pset,
							};

							ioctl(fd, MAILBOX_IOC_PORT_MOVE_MEMBER, &j);
							kept[below(16)] = d[i].name;
						} else {
							destroy(fd, d[i].name);
						}
					}
				}
			}
		} else if (op == 8) {
			/* Notifications on a kept right, or on any name. */
			if (below(3) == 0)
				kept[below(16)] = random_name(fd, port, pset);
			struct mailbox_port_request_notification r = {
				.name = kept[below(16)],
				.variant = below(2) ? MAILBOX_NOTIFY_DEAD_NAME :
						      MAILBOX_NOTIFY_NO_SENDERS,
				.sync = below(2),
				.notify = port,
				.disposition = MAILBOX_MSG_TYPE_MAKE_SEND_ONCE,
			};

			if (r.variant == MAILBOX_NOTIFY_NO_SENDERS)
				r.name = port;
			if (r.name && ioctl(fd, MAILBOX_IOC_PORT_REQUEST_NOTIFICATION, &r) == 0 &&
			    r.previous)
				deallocate(fd, r.previous);
		} else {
			/* Forget a kept right, or any right. */
			int i = below(16);

			if (below(3) == 0)
				kept[i] = random_name(fd, port, pset);
			if (kept[i])
				destroy(fd, kept[i]);
			kept[i] = 0;
		}
	}
}

static int read_stats(const char *name, long *v)
{
	FILE *f = fopen(STATS, "r");
	char k[64];
	long x;

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", k, &x) == 2)
		if (!strcmp(k, name)) {
			*v = x;
			fclose(f);
			return 0;
		}
	fclose(f);
	return -1;
}

/* Start a worker in @slot; under failslab fork may fail: retry, else 0. */
static pid_t start(int slot, uint64_t seed)
{
	int tries = 0;
	pid_t pid;

	do {
		pid = fork();
	} while (pid < 0 && ++tries < 100);
	if (pid == 0)
		worker(slot, seed);
	return pid > 0 ? pid : 0;
}

/* Never kill(0 or -1, ...): that would be the process group or everyone. */
static void kill_worker(pid_t pid, int *status)
{
	*status = 0;
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, status, 0);
}

int main(void)
{
	const char *e = getenv("MBX_STRESS_SECONDS");
	const char *se = getenv("MBX_STRESS_SEED");
	int seconds = e ? atoi(e) : 15, i, fails = 0, status;
	uint64_t seed = se ? strtoull(se, NULL, 0) : (uint64_t)time(NULL);
	pid_t pids[NWORKERS];
	long kills = 0, sent0 = 0, rcv0 = 0, des0 = 0, not0 = 0;
	long sent, rcv, des, not, msgs = -1, ports = -1, ool = 0, hits = 0;
	time_t t0 = time(NULL);
	int have_stats, f1, f2 = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n1..2\n# stress: seed %" PRIu64 ", %d s, %d workers\n",
	       seed, seconds, NWORKERS);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	rng = seed ? seed : 1;
	have_stats = read_stats("total_sent", &sent0) == 0;
	read_stats("total_received", &rcv0);
	read_stats("total_destroyed", &des0);
	read_stats("total_notifications", &not0);

	for (i = 0; i < NWORKERS; i++)
		pids[i] = start(i, rnd());
	while (time(NULL) - t0 < seconds) {
		usleep(below(20000));
		i = below(NWORKERS);
		kill_worker(pids[i], &status);
		if (pids[i] > 0 && !(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
			printf("# worker %d ended by itself (status 0x%x)\n", i, status);
			fails++;
		}
		kills++;
		pids[i] = start(i, rnd());
	}
	for (i = 0; i < NWORKERS; i++)
		kill_worker(pids[i], &status);
	printf("# %ld kills survived, %ld sends and %ld receives seen to succeed\n",
	       kills, atomic_load(&sh->sends_ok), atomic_load(&sh->receives_ok));
	printf("%s 1 kill_storm\n", fails ? "not ok" : "ok");
	f1 = !!fails;

	if (!have_stats) {
		printf("ok 2 sent_is_received_or_destroyed # SKIP no %s\n", STATS);
		printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:1 error:0\n",
		       !f1, f1);
		return f1;
	}
	/* Deferred frees (RCU, workqueues): give them a moment. */
	for (i = 0; i < 50; i++) {
		read_stats("messages", &msgs);
		read_stats("ports", &ports);
		if (!msgs && !ports)
			break;
		usleep(100000);
	}
	read_stats("total_sent", &sent);
	read_stats("total_received", &rcv);
	read_stats("total_destroyed", &des);
	read_stats("total_notifications", &not);
	sent -= sent0, rcv -= rcv0, des -= des0, not -= not0;
	printf("# stats: sent %ld notifications %ld received %ld destroyed %ld; left: messages %ld ports %ld\n",
	       sent, not, rcv, des, msgs, ports);
	if (!read_stats("total_ool_bytes", &ool) &&
	    !read_stats("total_ool_cache_hits", &hits))
		printf("# out-of-line: %ld bytes sent (since load), %ld sends reused a cached file\n",
		       ool, hits);
	if (!read_stats("total_ool_moves", &ool))
		printf("# out-of-line: %ld buffers moved\n", ool);
	if (!read_stats("total_spins", &ool) && !read_stats("total_spin_hits", &hits))
		printf("# busy-poll: %ld receives polled (since load), %ld found a message\n",
		       ool, hits);
	if (msgs || ports || sent + not != rcv + des || atomic_load(&sh->sends_ok) > sent ||
	    atomic_load(&sh->receives_ok) > rcv) {
		printf("not ok 2 sent_is_received_or_destroyed\n");
		f2 = 1;
	} else {
		printf("ok 2 sent_is_received_or_destroyed\n");
	}
	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:0 error:0\n",
	       2 - f1 - f2, f1 + f2);
	return f1 || f2;
}
