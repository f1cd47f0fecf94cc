// SPDX-License-Identifier: GPL-2.0
/*
 * mbxbench: mailbox against its peers, in one boot, interleaved.
 *
 * Every figure prints lines "R,<figure>,<case>,<peer>,<metric>,<value>"
 * that the host turns into build/bench/results.csv (see bench/README.md),
 * plus a human-readable line. Latency figures run ROUNDS rounds, each round
 * visiting every peer in turn (A,B,C,A,B,C); the reported figure is the
 * median over rounds of the per-round p50/p99. This is a benchmark, never a
 * test: it exits 0 unless a peer could not be set up at all.
 *
 * The main process is always the client / receiver; servers and senders are
 * forked children that live for one figure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/android/binder.h>
#include <linux/futex.h>
#include <linux/mailbox.h>
#include <liburing.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MSG_BYTES	64		/* header included for mailbox */
#define MAXBUF		(128 * 1024 + 256)

static int rounds = 5;
static int iters = 2000;
static int ncpu = 1;
static const char *only_peer;	/* -k: run rpc/bandwidth with these peers only */
static long only_size;		/* -s: run bandwidth at this size only */

/* -k takes one peer or a comma-separated list ("mailbox,pipe"). */
static int peer_wanted(const char *name)
{
	size_t n = strlen(name);
	const char *p = only_peer;

	if (!p)
		return 1;
	while (*p) {
		if (!strncmp(p, name, n) && (p[n] == ',' || !p[n]))
			return 1;
		p = strchr(p, ',');
		if (!p)
			break;
		p++;
	}
	return 0;
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "mbxbench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, ": %s\n", strerror(errno));
	va_end(ap);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void result(const char *fig, const char *cas, const char *peer,
		   const char *metric, double v)
{
	printf("R,%s,%s,%s,%s,%.4g\n", fig, cas, peer, metric, v);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static uint64_t pct(uint64_t *v, int n, int p)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[(long)(n - 1) * p / 100];
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_dbl);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void pin(pid_t pid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	if (cpu < 0)
		for (int i = 0; i < ncpu; i++)
			CPU_SET(i, &set);
	else
		CPU_SET(cpu, &set);
	sched_setaffinity(pid, sizeof(set), &set);
}

static long ctxsw(pid_t pid, const char *key)
{
	char path[64], line[256];
	long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = atol(line + strlen(key) + 1);
	fclose(f);
	return v;
}

/* User + system CPU time of @pid so far, in ns (clock-tick resolution). */
static double cpu_ns(pid_t pid)
{
	unsigned long ut = 0, st = 0;
	char path[64], line[1024], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fgets(line, sizeof(line), f)) {
		/* After "(comm)": state is field 3, utime 14, stime 15. */
		p = strrchr(line, ')');
		if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
				&ut, &st) != 2)
			ut = st = 0;
	}
	fclose(f);
	return (double)(ut + st) * 1e9 / sysconf(_SC_CLK_TCK);
}

static long csw_total(pid_t pid)
{
	return ctxsw(pid, "voluntary_ctxt_switches") +
	       ctxsw(pid, "nonvoluntary_ctxt_switches");
}

static void full_write(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t r = write(fd, p, n);

		if (r <= 0)
			_exit(1);
		p += r;
		n -= r;
	}
}

static void full_read(int fd, void *buf, size_t n)
{
	char *p = buf;

	while (n) {
		ssize_t r = read(fd, p, n);

		if (r <= 0)
			_exit(1);
		p += r;
		n -= r;
	}
}

/* ---- mailbox ------------------------------------------------------------ */

struct mbx_conn {
	int fd;		/* the client's space */
	__u32 svc;	/* send right to the service port */
	__u32 reply;	/* receive right for replies */
};

static int mbx_open(void)
{
	int fd = open("/dev/mailbox", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("open /dev/mailbox");
	return fd;
}

static __u32 mbx_port(int fd, __u32 right)
{
	struct mailbox_port_allocate a = { .right = right };

	if (ioctl(fd, MAILBOX_IOC_PORT_ALLOCATE, &a))
		die("PORT_ALLOCATE");
	return a.name;
}

static __u32 mbx_make_send(int fd, int space_fd, __u32 port)
{
	struct mailbox_port_insert_right ir = {
		.space_fd = space_fd, .poly = port,
		.disposition = MAILBOX_MSG_TYPE_MAKE_SEND,
	};

	if (space_fd == MAILBOX_SPACE_SELF)
		ir.name = port;
	if (ioctl(fd, MAILBOX_IOC_PORT_INSERT_RIGHT, &ir))
		die("INSERT_RIGHT");
	return ir.name;
}

static void mbx_qlimit(int fd, __u32 port, __u32 q)
{
	struct mailbox_port_attr a = {
		.name = port, .flags = MAILBOX_ATTR_QLIMIT, .qlimit = q,
	};

	if (ioctl(fd, MAILBOX_IOC_PORT_SET_ATTR, &a))
		die("SET_ATTR qlimit %u", q);
}

/*
 * The receive busy-poll budget of mailbox_spin: about a round trip's
 * length under TCG with the peer on the other CPU (~20 us), doubled.
 */
#define SPIN_US		50

/* MAILBOX_ATTR_SPIN on @port; 0 or the errno (older module: EINVAL). */
static int mbx_spin(int fd, __u32 port, __u32 us)
{
	struct mailbox_port_attr a = {
		.name = port, .flags = MAILBOX_ATTR_SPIN, .spin_us = us,
	};

	return ioctl(fd, MAILBOX_IOC_PORT_SET_ATTR, &a) ? errno : 0;
}

/* A new space with a send right to @svc (a receive right in @srv_fd). */
static struct mbx_conn mbx_connect(int srv_fd, __u32 svc)
{
	struct mbx_conn c;

	c.fd = mbx_open();
	c.svc = mbx_make_send(srv_fd, c.fd, svc);
	c.reply = mbx_port(c.fd, MAILBOX_RIGHT_RECEIVE);
	return c;
}

static int mbx_msg(int fd, unsigned int opts, void *snd, __u32 ssize,
		   void *rcv, __u32 rsize, __u32 rname)
{
	struct mailbox_msg m = {
		.send_msg = (uintptr_t)snd, .rcv_msg = (uintptr_t)rcv,
		.options = opts, .send_size = ssize, .rcv_size = rsize,
		.rcv_name = rname,
	};

	return ioctl(fd, MAILBOX_IOC_MSG, &m);
}

/* One call: send to svc with a send-once reply right, wait for the reply. */
static void mbx_call(struct mbx_conn *c, void *buf, __u32 size)
{
	struct mailbox_msg_header *h = buf;

	h->bits = MAILBOX_MSGH_BITS(MAILBOX_MSG_TYPE_COPY_SEND,
				    MAILBOX_MSG_TYPE_MAKE_SEND_ONCE);
	h->remote_port = c->svc;
	h->local_port = c->reply;
	h->voucher_port = 0;
	h->id = 1;
	if (mbx_msg(c->fd, MAILBOX_MSG_SEND | MAILBOX_MSG_RCV, buf, size,
		    buf, MAXBUF, c->reply))
		die("mailbox call");
}

/* Server: receive, then forever reply-and-receive in one ioctl. */
static void mbx_serve(int fd, __u32 svc)
{
	static char buf[MAXBUF];
	struct mailbox_msg_header *h = (void *)buf;
	struct mailbox_msg m = {
		.send_msg = (uintptr_t)buf, .rcv_msg = (uintptr_t)buf,
		.options = MAILBOX_MSG_RCV, .rcv_size = MAXBUF, .rcv_name = svc,
	};

	for (;;) {
		if (ioctl(fd, MAILBOX_IOC_MSG, &m))
			_exit(0);
		h->bits = MAILBOX_MSGH_BITS(MAILBOX_MSG_TYPE_MOVE_SEND_ONCE, 0);
		h->local_port = 0;
		m.send_size = h->size;
		m.rcv_size = MAXBUF;
		m.options = MAILBOX_MSG_SEND | MAILBOX_MSG_RCV;
	}
}

/* ---- binder --------------------------------------------------------------- */

#define BINDER_MAP	(1024 * 1024)

struct binder {
	int fd;
	void *map;
};

static int binder_open(struct binder *b)
{
	b->fd = open("/dev/binder", O_RDWR | O_CLOEXEC);
	if (b->fd < 0)
		return -1;
	b->map = mmap(NULL, BINDER_MAP, PROT_READ, MAP_PRIVATE, b->fd, 0);
	if (b->map == MAP_FAILED) {
		close(b->fd);
		return -1;
	}
	return 0;
}

static int binder_wr(struct binder *b, void *w, size_t wn, void *r, size_t rn,
		     size_t *got)
{
	struct binder_write_read bwr = {
		.write_buffer = (uintptr_t)w, .write_size = wn,
		.read_buffer = (uintptr_t)r, .read_size = rn,
	};
	int ret = ioctl(b->fd, BINDER_WRITE_READ, &bwr);

	if (got)
		*got = bwr.read_consumed;
	return ret;
}

/*
 * Walk a read buffer; return the transaction data of the first
 * BR_TRANSACTION/BR_REPLY (copied into @td), or 0 if none.
 */
static int binder_parse(char *p, size_t n, __u32 want,
			struct binder_transaction_data *td)
{
	char *end = p + n;

	while (p + 4 <= end) {
		__u32 cmd = *(__u32 *)p;

		p += 4;
		if (cmd == want) {
			memcpy(td, p, sizeof(*td));
			return 1;
		}
		if (_IOC_SIZE(cmd))
			p += _IOC_SIZE(cmd);
		if (cmd == BR_DEAD_REPLY || cmd == BR_FAILED_REPLY)
			return -1;
	}
	return 0;
}

struct bwrite_free {
	__u32 cmd;
	binder_uintptr_t ptr;
} __attribute__((packed));

struct bwrite_txn {
	__u32 cmd;
	struct binder_transaction_data td;
} __attribute__((packed));

struct bwrite_free_txn {
	struct bwrite_free fr;
	struct bwrite_txn tx;
} __attribute__((packed));

static _Atomic long *binder_srv_ioctls;	/* shared with the server */
static long binder_cli_ioctls;

static void binder_serve(struct binder *b, int ready_fd)
{
	char rbuf[256], data[MAXBUF];
	struct binder_transaction_data td;
	struct bwrite_free_txn w = { .fr.cmd = BC_FREE_BUFFER,
				     .tx.cmd = BC_REPLY };
	__u32 enter = BC_ENTER_LOOPER;
	size_t got;
	int have = 0;

	if (ioctl(b->fd, BINDER_SET_CONTEXT_MGR, 0) ||
	    binder_wr(b, &enter, sizeof(enter), NULL, 0, NULL)) {
		full_write(ready_fd, "E", 1);
		_exit(1);
	}
	full_write(ready_fd, "R", 1);
	for (;;) {
		/* reply to the previous transaction (and free it), then wait */
		if (binder_wr(b, have ? (void *)&w : NULL, have ? sizeof(w) : 0,
			      rbuf, sizeof(rbuf), &got))
			_exit(1);
		(*binder_srv_ioctls)++;
		if (binder_parse(rbuf, got, BR_TRANSACTION, &td) <= 0) {
			have = 0;
			continue;
		}
		memcpy(data, (void *)(uintptr_t)td.data.ptr.buffer,
		       td.data_size);
		w.fr.ptr = td.data.ptr.buffer;
		memset(&w.tx.td, 0, sizeof(w.tx.td));
		w.tx.td.data_size = td.data_size;
		w.tx.td.data.ptr.buffer = (uintptr_t)data;
		have = 1;
	}
}

/* One transaction on handle 0; frees the previous reply in the same ioctl. */
static int binder_call(struct binder *b, void *data, size_t n,
		       binder_uintptr_t *prev)
{
	char rbuf[256];
	struct binder_transaction_data td;
	struct bwrite_free_txn w = { .fr.cmd = BC_FREE_BUFFER,
				     .tx.cmd = BC_TRANSACTION };
	void *wp = &w;
	size_t wn = sizeof(w), got;
	int r;

	w.fr.ptr = *prev;
	w.tx.td.target.handle = 0;
	w.tx.td.code = 1;
	w.tx.td.data_size = n;
	w.tx.td.data.ptr.buffer = (uintptr_t)data;
	if (!*prev) {
		wp = &w.tx;
		wn = sizeof(w.tx);
	}
	for (;;) {
		binder_cli_ioctls++;
		if (binder_wr(b, wp, wn, rbuf, sizeof(rbuf), &got))
			return -1;
		wn = 0;
		r = binder_parse(rbuf, got, BR_REPLY, &td);
		if (r < 0)
			return -1;
		if (r)
			break;
	}
	*prev = td.data.ptr.buffer;
	return 0;
}

/* ---- the RPC peers (figure 1, 2, 7) --------------------------------------- */

/* mailbox_spin: mailbox with a MAILBOX_ATTR_SPIN budget on both ports. */
enum peer_kind { P_MAILBOX, P_PIPE, P_SEQPACKET, P_MQUEUE, P_EVENTFD,
		 P_FUTEX, P_BINDER, P_MAILBOX_SPIN, P_NR };
static const char *const peer_name[P_NR] = {
	"mailbox", "pipe", "seqpacket", "mqueue", "eventfd", "futex", "binder",
	"mailbox_spin",
};
/*
 * Syscalls per round trip, both sides, by construction of the loops below;
 * binder's are counted as it runs (its server needs a second ioctl: a
 * BC_REPLY's BR_TRANSACTION_COMPLETE ends the read before the next
 * transaction arrives).
 */
static const int peer_syscalls[P_NR] = { 2, 4, 4, 4, 4, 4, 0, 2 };

struct peer {
	enum peer_kind kind;
	pid_t server;
	int ok;
	int fd[4];
	mqd_t mq[2];
	struct mbx_conn mc;
	struct binder b;
	binder_uintptr_t bprev;
	_Atomic unsigned int *fw;	/* futex words: [0] request, [1] reply */
	unsigned int seq;
};

static long futex(_Atomic unsigned int *uaddr, int op, unsigned int val)
{
	return syscall(SYS_futex, uaddr, op, val, NULL, NULL, 0);
}

static void futex_serve(_Atomic unsigned int *w)
{
	unsigned int seen = 0;

	for (;;) {
		while (w[0] == seen)
			futex((void *)&w[0], FUTEX_WAIT, seen);
		seen = w[0];
		w[1] = seen;
		futex((void *)&w[1], FUTEX_WAKE, 1);
	}
}

static void futex_call(struct peer *p)
{
	_Atomic unsigned int *w = p->fw;
	unsigned int s = ++p->seq;

	w[0] = s;
	futex((void *)&w[0], FUTEX_WAKE, 1);
	while (w[1] != s)
		futex((void *)&w[1], FUTEX_WAIT, s - 1);
}

static char mq_a[32], mq_b[32];

static int peer_setup(struct peer *p, enum peer_kind kind, size_t size)
{
	int c2s[2], s2c[2], sv[2], ready[2];
	struct mq_attr attr = { .mq_maxmsg = 10, .mq_msgsize = MSG_BYTES };
	static char buf[MAXBUF];
	int srv_fd = -1;
	__u32 svc = 0;
	char c;

	memset(p, 0, sizeof(*p));
	p->kind = kind;
	switch (kind) {
	case P_MAILBOX:
	case P_MAILBOX_SPIN:
		srv_fd = mbx_open();
		svc = mbx_port(srv_fd, MAILBOX_RIGHT_RECEIVE);
		p->mc = mbx_connect(srv_fd, svc);
		if (kind == P_MAILBOX_SPIN &&
		    (mbx_spin(srv_fd, svc, SPIN_US) ||
		     mbx_spin(p->mc.fd, p->mc.reply, SPIN_US))) {
			fprintf(stderr, "mbxbench: no MAILBOX_ATTR_SPIN\n");
			close(p->mc.fd);
			close(srv_fd);
			return -1;
		}
		break;
	case P_PIPE:
		if (pipe(c2s) || pipe(s2c))
			die("pipe");
		p->fd[0] = c2s[1]; p->fd[1] = s2c[0];
		p->fd[2] = c2s[0]; p->fd[3] = s2c[1];
		break;
	case P_SEQPACKET:
		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv))
			die("socketpair");
		p->fd[0] = p->fd[1] = sv[0];
		p->fd[2] = p->fd[3] = sv[1];
		break;
	case P_EVENTFD:
		p->fd[0] = eventfd(0, 0);
		p->fd[1] = eventfd(0, 0);
		break;
	case P_MQUEUE:
		snprintf(mq_a, sizeof(mq_a), "/mbxbench-a-%d", getpid());
		snprintf(mq_b, sizeof(mq_b), "/mbxbench-b-%d", getpid());
		p->mq[0] = mq_open(mq_a, O_RDWR | O_CREAT, 0600, &attr);
		p->mq[1] = mq_open(mq_b, O_RDWR | O_CREAT, 0600, &attr);
		if (p->mq[0] < 0 || p->mq[1] < 0)
			die("mq_open");
		mq_unlink(mq_a);
		mq_unlink(mq_b);
		break;
	case P_FUTEX:
		p->fw = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		break;
	case P_BINDER:
		break;
	default:
		return -1;
	}
	if (pipe(ready))
		die("pipe");
	p->server = fork();
	if (p->server < 0)
		die("fork");
	if (!p->server) {
		close(ready[0]);
		switch (kind) {
		case P_MAILBOX:
		case P_MAILBOX_SPIN:
			close(p->mc.fd);
			mbx_serve(srv_fd, svc);
			break;
		case P_PIPE:
		case P_SEQPACKET:
			for (;;) {
				ssize_t n = read(p->fd[2], buf, size);

				if (n <= 0)
					_exit(0);
				if (kind == P_PIPE && (size_t)n < size)
					full_read(p->fd[2], buf + n, size - n);
				full_write(p->fd[3], buf, size);
			}
		case P_EVENTFD:
			for (;;) {
				uint64_t v;

				if (read(p->fd[0], &v, 8) != 8 ||
				    write(p->fd[1], &v, 8) != 8)
					_exit(0);
			}
		case P_MQUEUE:
			for (;;) {
				if (mq_receive(p->mq[0], buf, MSG_BYTES, NULL) < 0 ||
				    mq_send(p->mq[1], buf, size, 0))
					_exit(0);
			}
		case P_FUTEX:
			futex_serve(p->fw);
			break;
		case P_BINDER:
			if (binder_open(&p->b)) {
				full_write(ready[1], "E", 1);
				_exit(1);
			}
			binder_serve(&p->b, ready[1]);
			break;
		default:
			break;
		}
		_exit(0);
	}
	close(ready[1]);
	if (kind == P_MAILBOX || kind == P_MAILBOX_SPIN)
		close(srv_fd);
	if (kind == P_BINDER) {
		if (read(ready[0], &c, 1) != 1 || c != 'R' || binder_open(&p->b)) {
			close(ready[0]);
			fprintf(stderr, "mbxbench: binder unavailable\n");
			kill(p->server, SIGKILL);
			waitpid(p->server, NULL, 0);
			return -1;
		}
	}
	close(ready[0]);
	p->ok = 1;
	return 0;
}

static void peer_call(struct peer *p, char *buf, size_t size)
{
	uint64_t v = 1;

	switch (p->kind) {
	case P_MAILBOX:
	case P_MAILBOX_SPIN:
		mbx_call(&p->mc, buf, size);
		break;
	case P_PIPE:
		full_write(p->fd[0], buf, size);
		full_read(p->fd[1], buf, size);
		break;
	case P_SEQPACKET:
		if (write(p->fd[0], buf, size) != (ssize_t)size ||
		    read(p->fd[1], buf, size) != (ssize_t)size)
			die("seqpacket");
		break;
	case P_EVENTFD:
		if (write(p->fd[0], &v, 8) != 8 || read(p->fd[1], &v, 8) != 8)
			die("eventfd");
		break;
	case P_MQUEUE:
		if (mq_send(p->mq[0], buf, size, 0) ||
		    mq_receive(p->mq[1], buf, MSG_BYTES, NULL) < 0)
			die("mqueue");
		break;
	case P_FUTEX:
		futex_call(p);
		break;
	case P_BINDER:
		if (binder_call(&p->b, buf, size, &p->bprev))
			die("binder transaction");
		break;
	default:
		break;
	}
}

static void peer_teardown(struct peer *p)
{
	if (!p->server)
		return;
	kill(p->server, SIGKILL);
	waitpid(p->server, NULL, 0);
	switch (p->kind) {
	case P_MAILBOX:
	case P_MAILBOX_SPIN:
		close(p->mc.fd);
		break;
	case P_PIPE:
		close(p->fd[0]); close(p->fd[1]);
		close(p->fd[2]); close(p->fd[3]);
		break;
	case P_SEQPACKET:
		close(p->fd[0]); close(p->fd[2]);
		break;
	case P_EVENTFD:
		close(p->fd[0]); close(p->fd[1]);
		break;
	case P_MQUEUE:
		mq_close(p->mq[0]); mq_close(p->mq[1]);
		break;
	case P_FUTEX:
		munmap((void *)p->fw, 4096);
		break;
	case P_BINDER:
		munmap(p->b.map, BINDER_MAP);
		close(p->b.fd);
		break;
	default:
		break;
	}
}

/* Figure 1 and 2: RPC round trip, pinned to CPU 0 and unpinned. */
static void fig_rpc(void)
{
	static char buf[MAXBUF];
	static uint64_t lat[100000];
	struct peer peers[P_NR];
	double p50[P_NR][16], p99[P_NR][16], csw[P_NR][16], sysc[P_NR][16];
	double cpu[P_NR][16];
	const char *mode[2] = { "pinned", "unpinned" };

	for (int k = 0; k < P_NR; k++) {
		peers[k].ok = 0;
		peers[k].server = 0;
		if (!peer_wanted(peer_name[k]))
			continue;
		if (peer_setup(&peers[k], k, MSG_BYTES))
			peers[k].ok = 0;
	}

	for (int m = 0; m < 2; m++) {
		double base50 = 0, bin50 = 0;

		for (int k = 0; k < P_NR; k++)
			if (peers[k].ok)
				pin(peers[k].server, m ? -1 : 0);
		pin(0, m ? -1 : 0);
		for (int r = 0; r < rounds; r++) {
			for (int k = 0; k < P_NR; k++) {
				struct peer *p = &peers[k];
				long c0, s0, b0;
				double u0, t0;

				if (!p->ok)
					continue;
				for (int i = 0; i < iters / 10; i++)
					peer_call(p, buf, MSG_BYTES);
				b0 = binder_cli_ioctls + *binder_srv_ioctls;
				c0 = csw_total(getpid());
				s0 = csw_total(p->server);
				u0 = cpu_ns(getpid()) + cpu_ns(p->server);
				t0 = now_ns();
				for (int i = 0; i < iters; i++) {
					uint64_t t = now_ns();

					peer_call(p, buf, MSG_BYTES);
					lat[i] = now_ns() - t;
				}
				/* CPU time both sides used, per unit of elapsed time. */
				cpu[k][r] = (cpu_ns(getpid()) + cpu_ns(p->server) - u0) /
					    (now_ns() - t0);
				csw[k][r] = (double)(csw_total(getpid()) - c0 +
						     csw_total(p->server) - s0) / iters;
				sysc[k][r] = k == P_BINDER ?
					(double)(binder_cli_ioctls + *binder_srv_ioctls - b0) / iters :
					peer_syscalls[k];
				p50[k][r] = pct(lat, iters, 50);
				p99[k][r] = pct(lat, iters, 99);
			}
		}
		for (int k = 0; k < P_NR; k++) {
			double a, b, c;

			if (!peers[k].ok) {
				result("rpc", mode[m], peer_name[k], "p50_ns", -1);
				continue;
			}
			a = median(p50[k], rounds);
			b = median(p99[k], rounds);
			c = median(csw[k], rounds);
			if (k == P_PIPE)
				base50 = a;
			if (k == P_BINDER)
				bin50 = a;
			result("rpc", mode[m], peer_name[k], "p50_ns", a);
			result("rpc", mode[m], peer_name[k], "p99_ns", b);
			result("rpc", mode[m], peer_name[k], "ctxsw_per_rt", c);
			result("rpc", mode[m], peer_name[k], "syscalls_per_rt",
			       median(sysc[k], rounds));
			result("rpc", mode[m], peer_name[k], "cpus_busy",
			       median(cpu[k], rounds));
			p50[k][0] = a;
		}
		for (int k = 0; k < P_NR; k++) {
			if (!peers[k].ok)
				continue;
			if (base50)
				result("rpc", mode[m], peer_name[k], "ratio_to_pipe",
				       p50[k][0] / base50);
			if (bin50)
				result("rpc", mode[m], peer_name[k], "ratio_to_binder",
				       p50[k][0] / bin50);
			if (k != P_MAILBOX && peers[P_MAILBOX].ok)
				result("rpc", mode[m], peer_name[k], "mailbox_ratio",
				       p50[P_MAILBOX][0] / p50[k][0]);
			if (k != P_MAILBOX_SPIN && peers[P_MAILBOX_SPIN].ok)
				result("rpc", mode[m], peer_name[k],
				       "mailbox_spin_ratio",
				       p50[P_MAILBOX_SPIN][0] / p50[k][0]);
		}
	}
	pin(0, -1);
	for (int k = 0; k < P_NR; k++)
		if (peers[k].ok)
			peer_teardown(&peers[k]);
}

/*
 * Figure 8: RPC round trip by message size, pinned to CPU 0: mailbox,
 * pipe and seqpacket (the peers that carry any size), as figure 1.
 */
static void fig_rpc_size(void)
{
	static const size_t sizes[] = { 64, 1024, 4096, 16384, 65536 };
	static const enum peer_kind ks[] = { P_MAILBOX, P_PIPE, P_SEQPACKET };
	enum { NS = sizeof(sizes) / sizeof(sizes[0]), NK = 3 };
	static char buf[MAXBUF];
	static uint64_t lat[100000];
	double p50[NK][16];

	pin(0, 0);
	for (int si = 0; si < NS; si++) {
		struct peer peers[NK];
		char cas[32];

		for (int k = 0; k < NK; k++)
			if (peer_setup(&peers[k], ks[k], sizes[si]))
				peers[k].ok = 0;
		for (int k = 0; k < NK; k++)
			if (peers[k].ok)
				pin(peers[k].server, 0);
		for (int r = 0; r < rounds; r++) {
			for (int k = 0; k < NK; k++) {
				if (!peers[k].ok)
					continue;
				for (int i = 0; i < iters / 10; i++)
					peer_call(&peers[k], buf, sizes[si]);
				for (int i = 0; i < iters; i++) {
					uint64_t t = now_ns();

					peer_call(&peers[k], buf, sizes[si]);
					lat[i] = now_ns() - t;
				}
				p50[k][r] = pct(lat, iters, 50);
			}
		}
		snprintf(cas, sizeof(cas), "%zu_bytes", sizes[si]);
		for (int k = 0; k < NK; k++) {
			if (!peers[k].ok) {
				result("rpc_size", cas, peer_name[ks[k]], "p50_ns", -1);
				continue;
			}
			p50[k][0] = median(p50[k], rounds);
			result("rpc_size", cas, peer_name[ks[k]], "p50_ns", p50[k][0]);
			peer_teardown(&peers[k]);
		}
		if (peers[0].ok && peers[1].ok)
			result("rpc_size", cas, "mailbox", "ratio_to_pipe",
			       p50[0][0] / p50[1][0]);
	}
	pin(0, -1);
}

/* ---- one-way streams (figure 3, 6) --------------------------------------- */

/*
 * S_MAILBOX_BATCH: as S_MAILBOX, received with MAILBOX_IOC_MSG_BATCH.
 * S_MAILBOX_BATCH_SEND: the senders batch too (BATCH sends per call).
 * S_MAILBOX_WAKE, S_MAILBOX_BATCH_SEND_WAKE: as S_MAILBOX and
 * S_MAILBOX_BATCH_SEND on a port with MAILBOX_PORT_FLAG_BATCH_WAKE.
 * S_MAILBOX_SPIN, S_MAILBOX_BATCH_SEND_SPIN: as S_MAILBOX and
 * S_MAILBOX_BATCH_SEND_WAKE with a MAILBOX_ATTR_SPIN budget (SPIN_US).
 */
enum stream_kind { S_MAILBOX, S_PIPE, S_SEQPACKET, S_MQUEUE, S_MAILBOX_BATCH,
		   S_MAILBOX_BATCH_SEND, S_MAILBOX_WAKE,
		   S_MAILBOX_BATCH_SEND_WAKE, S_MAILBOX_SPIN,
		   S_MAILBOX_BATCH_SEND_SPIN, S_NR };
static const char *const stream_name[S_NR] = {
	"mailbox", "pipe", "seqpacket", "mqueue", "mailbox_batch",
	"mailbox_batch_send", "mailbox_wake", "mailbox_batch_send_wake",
	"mailbox_spin", "mailbox_batch_send_spin",
};

#define BATCH		16

/* Receive up to BATCH messages on @port; returns how many. */
static long mbx_rcv_batch(int fd, __u32 port, char *buf, size_t size)
{
	struct mailbox_msg m[BATCH];
	struct mailbox_msg_batch b = { .msgs = (uintptr_t)m, .count = BATCH };

	memset(m, 0, sizeof(m));
	for (int i = 0; i < BATCH; i++) {
		m[i].rcv_msg = (uintptr_t)(buf + i * size);
		m[i].rcv_size = size;
		m[i].rcv_name = port;
		m[i].options = MAILBOX_MSG_RCV;
	}
	if (ioctl(fd, MAILBOX_IOC_MSG_BATCH, &b))
		die("mailbox batch receive");
	return b.count;
}

/* Send @n (<= BATCH) copies of the @size bytes at @msg in one call. */
static void mbx_send_batch(int fd, const void *msg, size_t size, long n)
{
	struct mailbox_msg m[BATCH];
	struct mailbox_msg_batch b = { .msgs = (uintptr_t)m, .count = n };

	memset(m, 0, sizeof(m));
	for (long i = 0; i < n; i++) {
		m[i].send_msg = (uintptr_t)msg;
		m[i].send_size = size;
		m[i].options = MAILBOX_MSG_SEND;
	}
	if (ioctl(fd, MAILBOX_IOC_MSG_BATCH, &b) || b.count != n)
		_exit(1);
}

/* Does the module have all of the MAILBOX_FEATURE_* bits @f? */
static bool mbx_has(int fd, __u64 f)
{
	struct mailbox_version v = { 0 };

	return !ioctl(fd, MAILBOX_IOC_VERSION, &v) && (v.features & f) == f;
}

/* Voluntary + involuntary context switches of @who (RUSAGE_*). */
static long ctxsw_of(int who)
{
	struct rusage ru;

	if (getrusage(who, &ru))
		die("getrusage");
	return ru.ru_nvcsw + ru.ru_nivcsw;
}

/*
 * @nsend senders each send @count messages of @size bytes to the main
 * process; returns messages per second (the time from "go" to the last
 * message received) and, in *@csw, context switches per message (the
 * receiver's and every sender's, counted by getrusage).
 */
static double stream_run(enum stream_kind kind, int nsend, long count,
			 size_t size, double *csw)
{
	long csw0 = ctxsw_of(RUSAGE_SELF) + ctxsw_of(RUSAGE_CHILDREN);

	*csw = -1;			/* n/a */
	static char buf[MAXBUF];
	struct mq_attr attr = { .mq_maxmsg = 256, .mq_msgsize = MSG_BYTES };
	int fd[2] = { -1, -1 }, go[2], srv_fd = -1;
	__u32 port = 0;
	pid_t pid[16];
	mqd_t mq = -1;
	uint64_t t0, t1;
	char name[32];
	bool spin = kind == S_MAILBOX_SPIN || kind == S_MAILBOX_BATCH_SEND_SPIN;
	bool batch_send = kind == S_MAILBOX_BATCH_SEND ||
			  kind == S_MAILBOX_BATCH_SEND_WAKE ||
			  kind == S_MAILBOX_BATCH_SEND_SPIN;
	bool wake = kind == S_MAILBOX_WAKE || kind == S_MAILBOX_BATCH_SEND_WAKE ||
		    kind == S_MAILBOX_BATCH_SEND_SPIN;

	switch (kind) {
	case S_MAILBOX:
	case S_MAILBOX_BATCH:
	case S_MAILBOX_BATCH_SEND:
	case S_MAILBOX_WAKE:
	case S_MAILBOX_BATCH_SEND_WAKE:
	case S_MAILBOX_SPIN:
	case S_MAILBOX_BATCH_SEND_SPIN:
		srv_fd = mbx_open();
		/* A module without what the kind needs (bench/ab): n/a. */
		if ((kind == S_MAILBOX_BATCH &&
		     ioctl(srv_fd, MAILBOX_IOC_MSG_BATCH, NULL) && errno == ENOTTY) ||
		    (batch_send && !mbx_has(srv_fd, MAILBOX_FEATURE_BATCH_SEND)) ||
		    (wake && !mbx_has(srv_fd, MAILBOX_FEATURE_BATCH_WAKE)) ||
		    (spin && !mbx_has(srv_fd, MAILBOX_FEATURE_SPIN))) {
			close(srv_fd);
			return -1;
		}
		port = mbx_port(srv_fd, MAILBOX_RIGHT_RECEIVE);
		mbx_qlimit(srv_fd, port, 256);
		if (wake) {
			struct mailbox_port_attr a = {
				.name = port, .flags = MAILBOX_ATTR_FLAGS,
				.port_flags = MAILBOX_PORT_FLAG_BATCH_WAKE,
			};

			if (ioctl(srv_fd, MAILBOX_IOC_PORT_SET_ATTR, &a))
				die("SET_ATTR BATCH_WAKE");
		}
		if (spin && mbx_spin(srv_fd, port, SPIN_US))
			die("SET_ATTR SPIN");
		break;
	case S_PIPE:
		if (pipe(fd))
			die("pipe");
		break;
	case S_SEQPACKET:
		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fd))
			die("socketpair");
		{
			int sz = 4 * 1024 * 1024;

			setsockopt(fd[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
			setsockopt(fd[0], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		}
		break;
	case S_MQUEUE:
		snprintf(name, sizeof(name), "/mbxbench-s-%d", getpid());
		mq = mq_open(name, O_RDWR | O_CREAT, 0600, &attr);
		if (mq < 0) {
			attr.mq_maxmsg = 10;
			mq = mq_open(name, O_RDWR | O_CREAT, 0600, &attr);
		}
		if (mq < 0)
			die("mq_open");
		mq_unlink(name);
		break;
	default:
		return 0;
	}
	if (pipe(go))
		die("pipe");
	for (int s = 0; s < nsend; s++) {
		pid[s] = fork();
		if (pid[s] < 0)
			die("fork");
		if (!pid[s]) {
			struct mbx_conn c = { 0 };
			struct mailbox_msg_header *h = (void *)buf;
			char g;

			close(go[1]);
			if (srv_fd >= 0) {
				c = mbx_connect(srv_fd, port);
				close(srv_fd);
				h->bits = MAILBOX_MSGH_BITS(
					MAILBOX_MSG_TYPE_COPY_SEND, 0);
				h->remote_port = c.svc;
				h->local_port = 0;
				h->voucher_port = 0;
				h->id = 2;
			}
			if (read(go[0], &g, 1) != 0)
				_exit(1);
			for (long i = 0; i < count; i++) {
				switch (kind) {
				case S_MAILBOX:
				case S_MAILBOX_BATCH:
				case S_MAILBOX_WAKE:
				case S_MAILBOX_SPIN:
					if (mbx_msg(c.fd, MAILBOX_MSG_SEND, buf,
						    size, NULL, 0, 0))
						_exit(1);
					break;
				case S_MAILBOX_BATCH_SEND:
				case S_MAILBOX_BATCH_SEND_WAKE:
				case S_MAILBOX_BATCH_SEND_SPIN: {
					long n = count - i < BATCH ?
						 count - i : BATCH;

					mbx_send_batch(c.fd, buf, size, n);
					i += n - 1;
					break;
				}
				case S_PIPE:
					full_write(fd[1], buf, size);
					break;
				case S_SEQPACKET:
					if (write(fd[1], buf, size) != (ssize_t)size)
						_exit(1);
					break;
				case S_MQUEUE:
					if (mq_send(mq, buf, size, 0))
						_exit(1);
					break;
				default:
					break;
				}
			}
			_exit(0);
		}
	}
	close(go[0]);
	t0 = now_ns();
	close(go[1]);			/* go */
	for (long i = 0; i < count * nsend; i++) {
		switch (kind) {
		case S_MAILBOX:
		case S_MAILBOX_WAKE:
		case S_MAILBOX_SPIN:
			if (mbx_msg(srv_fd, MAILBOX_MSG_RCV, NULL, 0, buf,
				    MAXBUF, port))
				die("mailbox receive");
			break;
		case S_MAILBOX_BATCH:
		case S_MAILBOX_BATCH_SEND:
		case S_MAILBOX_BATCH_SEND_WAKE:
		case S_MAILBOX_BATCH_SEND_SPIN:
			/* size * BATCH <= MAXBUF for the 64-byte figure */
			i += mbx_rcv_batch(srv_fd, port, buf, size) - 1;
			break;
		case S_PIPE:
			full_read(fd[0], buf, size);
			break;
		case S_SEQPACKET:
			if (read(fd[0], buf, size) != (ssize_t)size)
				die("seqpacket read");
			break;
		case S_MQUEUE:
			if (mq_receive(mq, buf, MSG_BYTES, NULL) < 0)
				die("mq_receive");
			break;
		default:
			break;
		}
	}
	t1 = now_ns();
	for (int s = 0; s < nsend; s++)
		waitpid(pid[s], NULL, 0);
	*csw = (double)(ctxsw_of(RUSAGE_SELF) + ctxsw_of(RUSAGE_CHILDREN) -
			csw0) / ((double)count * nsend);
	if (srv_fd >= 0)
		close(srv_fd);
	if (fd[0] >= 0) {
		close(fd[0]);
		close(fd[1]);
	}
	if (mq >= 0)
		mq_close(mq);
	return (double)count * nsend * 1e9 / (t1 - t0);
}

/*
 * Figure 3: one-way throughput, 64 B, 1 and 4 senders; mailbox_batch is
 * mailbox received BATCH messages per MAILBOX_IOC_MSG_BATCH call,
 * mailbox_batch_send the same with each sender sending BATCH per call, the
 * _wake variants the same on a port with MAILBOX_PORT_FLAG_BATCH_WAKE,
 * mailbox_spin and mailbox_batch_send_spin mailbox and
 * mailbox_batch_send_wake with a receive spin budget.
 * Every mailbox variant gets a "<variant>_ratio" to every kind. A run is
 * 20 * iters messages (40 000 by default): at 10 000 a run lasted ~0.1 s
 * with 4 senders, the pipe's 64 KiB buffer and the first scheduler time
 * slices decided it, and two repeats in one boot differed by up to 4x.
 */
static void fig_throughput(void)
{
	const int senders[2] = { 1, 4 };
	const enum stream_kind ks[] = { S_MAILBOX, S_PIPE, S_MQUEUE,
					S_MAILBOX_BATCH, S_MAILBOX_BATCH_SEND,
					S_MAILBOX_WAKE,
					S_MAILBOX_BATCH_SEND_WAKE, S_MAILBOX_SPIN,
					S_MAILBOX_BATCH_SEND_SPIN };
	const int nk = sizeof(ks) / sizeof(ks[0]);
	double v[sizeof(ks) / sizeof(ks[0])][16], c[sizeof(ks) / sizeof(ks[0])][16];

	for (int si = 0; si < 2; si++) {
		double med[sizeof(ks) / sizeof(ks[0])];
		char cas[32], metric[64];

		snprintf(cas, sizeof(cas), "%d_senders", senders[si]);
		for (int r = 0; r < rounds; r++)
			for (int k = 0; k < nk; k++)
				v[k][r] = !peer_wanted(stream_name[ks[k]]) ? -1 :
					  stream_run(ks[k], senders[si],
						     iters * 20 / senders[si],
						     MSG_BYTES, &c[k][r]);
		for (int k = 0; k < nk; k++) {
			med[k] = median(v[k], rounds);
			if (med[k] < 0)
				continue;	/* not asked for (-k), or n/a */
			result("throughput", cas, stream_name[ks[k]], "msgs_per_s",
			       med[k]);
			result("throughput", cas, stream_name[ks[k]],
			       "ctxsw_per_msg", median(c[k], rounds));
		}
		for (int k = 0; k < nk; k++) {
			if (med[k] <= 0)
				continue;
			for (int m = 0; m < nk; m++) {
				if (med[m] <= 0 || strncmp(stream_name[ks[m]], "mailbox", 7))
					continue;
				snprintf(metric, sizeof(metric), "%s_ratio",
					 stream_name[ks[m]]);
				result("throughput", cas, stream_name[ks[k]], metric,
				       med[m] / med[k]);
			}
		}
	}
}

/*
 * Figure 6: bandwidth by message size, one sender: mailbox inline (where the
 * message fits max_msg_size), mailbox out-of-line (one OOL descriptor per
 * message), pipe and SOCK_SEQPACKET. Every receiver ends with the bytes in
 * its memory: the pipe, socket and inline receivers have them copied into
 * their buffer; the out-of-line receiver gets a mapping of the sender's
 * copy and reads one byte of every page of it (which maps the page), then
 * unmaps it. The sender writes its buffer once before the run. Every run
 * first passes BW_WARMUP messages untimed, so that it measures the steady
 * state (pipe buffers allocated, the sender's out-of-line file cache filled)
 * and not the first message's page allocations.
 */
#define BW_WARMUP	4

enum bw_kind { B_INLINE, B_OOL, B_OOL_MOVE, B_PIPE, B_SEQPACKET, B_NR };
static const char *const bw_name[B_NR] = {
	"mailbox_inline", "mailbox_ool", "mailbox_ool_move", "pipe", "seqpacket",
};

struct ool_msg {
	struct mailbox_msg_header h;
	struct mailbox_msg_body body;
	struct mailbox_msg_ool_descriptor ool;
};

static __u32 max_msg_size(void)
{
	struct mailbox_version v = { 0 };
	int fd = mbx_open();

	if (ioctl(fd, MAILBOX_IOC_VERSION, &v))
		die("VERSION");
	close(fd);
	return v.max_msg_size;
}

static const char *bw_why[B_NR];	/* why bw_run() returned -1 */

/*
 * mailbox_ool_move: a pool of out-of-line buffers (mmap of /dev/mailbox)
 * passed back and forth: the sender sends one with deallocate (moved, not
 * copied), the receiver reads one byte per page and sends it back the same
 * way on a port of the sender's, which takes returned buffers for its next
 * sends. Both directions are timed. The sender fills each buffer once,
 * when it makes it, during the untimed warm-up (the pool is as large as the
 * warm-up), as the other senders write their buffer once before the run.
 */
#define BW_POOL		4

/* One out-of-line descriptor, @addr/@size, to @dest; @move: deallocate. */
static int bw_send_ool(int fd, __u32 dest, void *addr, size_t size, bool move)
{
	struct ool_msg om = { 0 };

	om.h.bits = MAILBOX_MSGH_BITS(MAILBOX_MSG_TYPE_COPY_SEND, 0) |
		    MAILBOX_MSGH_COMPLEX;
	om.h.remote_port = dest;
	om.h.id = 6;
	om.body.descriptor_count = 1;
	om.ool.address = (uintptr_t)addr;
	om.ool.size = size;
	om.ool.copy = MAILBOX_VIRTUAL_COPY;
	om.ool.deallocate = move;
	om.ool.type = MAILBOX_MSG_OOL_DESCRIPTOR;
	return mbx_msg(fd, MAILBOX_MSG_SEND, &om, sizeof(om), NULL, 0, 0);
}

/* Receive one out-of-line message on @port: its mapping. */
static unsigned char *bw_recv_ool(int fd, __u32 port)
{
	static char rbuf[MAXBUF];
	struct ool_msg *om = (void *)rbuf;

	if (mbx_msg(fd, MAILBOX_MSG_RCV, NULL, 0, rbuf, sizeof(rbuf), port))
		return NULL;
	return (unsigned char *)(uintptr_t)om->ool.address;
}

/* Bytes per second for @count messages of @size, or -1 if not possible. */
static double bw_run(enum bw_kind kind, long count, size_t size)
{
	int fd[2] = { -1, -1 }, go[2], srv_fd = -1;
	unsigned char *buf;
	long page = sysconf(_SC_PAGESIZE);
	struct mbx_conn mc = { 0 };
	long warm = BW_WARMUP;
	uint64_t t0, t1;
	__u32 port = 0, back = 0;
	pid_t pid;
	int st;

	buf = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		die("mmap %zu", size);
	memset(buf, 0x5a, size);
	switch (kind) {
	case B_INLINE:
		bw_why[kind] = "larger than max_msg_size";
		if (size > max_msg_size())
			goto skip;
		/* fall through */
	case B_OOL_MOVE:
	case B_OOL:
		srv_fd = mbx_open();
		bw_why[kind] = "module without MAILBOX_FEATURE_OOL_MOVE";
		if (kind == B_OOL_MOVE &&
		    !mbx_has(srv_fd, MAILBOX_FEATURE_OOL_MOVE)) {
			close(srv_fd);
			goto skip;
		}
		port = mbx_port(srv_fd, MAILBOX_RIGHT_RECEIVE);
		/* At most ~8 MiB queued (2 messages at 16 MiB). */
		mbx_qlimit(srv_fd, port, size >= (4 << 20) ? 2 :
			   size >= 4096 ? (8 << 20) / size : 256);
		break;
	case B_PIPE:
		if (pipe(fd))
			die("pipe");
		break;
	case B_SEQPACKET: {
		int sz = size * 2 + (1 << 20), got = 0;
		socklen_t len = sizeof(got);

		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fd))
			die("socketpair");
		setsockopt(fd[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		setsockopt(fd[0], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		getsockopt(fd[1], SOL_SOCKET, SO_SNDBUF, &got, &len);
		/* A datagram must fit the send buffer (net.core.wmem_max). */
		bw_why[kind] = "larger than the socket send buffer";
		if ((size_t)got < size + 4096)
			goto skip;
		break;
	}
	default:
		goto skip;
	}
	if (kind == B_OOL_MOVE) {
		/* The sender's space, and a way back to it for the buffers. */
		mc = mbx_connect(srv_fd, port);
		back = mbx_make_send(mc.fd, srv_fd, mc.reply);
		warm = BW_POOL;
	}
	if (pipe(go))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		struct mbx_conn c = { 0 };
		struct mailbox_msg_header *h = (void *)buf;
		unsigned char *b;
		char g;

		close(go[1]);
		if (kind == B_OOL_MOVE) {
			c = mc;
			close(srv_fd);
		} else if (srv_fd >= 0) {
			c = mbx_connect(srv_fd, port);
			close(srv_fd);
		}
		if (read(go[0], &g, 1) != 0)
			_exit(1);
		for (long i = 0; i < count + warm; i++) {
			switch (kind) {
			case B_INLINE:
				h->bits = MAILBOX_MSGH_BITS(MAILBOX_MSG_TYPE_COPY_SEND, 0);
				h->remote_port = c.svc;
				h->local_port = 0;
				h->voucher_port = 0;
				h->id = 6;
				if (mbx_msg(c.fd, MAILBOX_MSG_SEND, buf, size, NULL, 0, 0))
					_exit(1);
				break;
			case B_OOL:
				if (bw_send_ool(c.fd, c.svc, buf, size, false))
					_exit(1);
				break;
			case B_OOL_MOVE:
				if (i < BW_POOL) {
					b = mmap(NULL, size, PROT_READ | PROT_WRITE,
						 MAP_SHARED, c.fd, 0);
					if (b == MAP_FAILED)
						_exit(1);
					memset(b, 0x5a, size);
				} else if (!(b = bw_recv_ool(c.fd, c.reply))) {
					_exit(1);
				}
				if (bw_send_ool(c.fd, c.svc, b, size, true))
					_exit(1);
				break;
			case B_PIPE:
				full_write(fd[1], buf, size);
				break;
			case B_SEQPACKET:
				if (write(fd[1], buf, size) != (ssize_t)size)
					_exit(1);
				break;
			default:
				break;
			}
		}
		_exit(0);
	}
	close(go[0]);
	if (fd[1] >= 0) {
		close(fd[1]);		/* a failed sender gives EOF */
		fd[1] = -1;
	}
	if (kind == B_OOL_MOVE)
		close(mc.fd);		/* the sender's now */
	close(go[1]);			/* go */
	t0 = 0;
	for (long i = 0; i < count + warm; i++) {
		if (i == warm)
			t0 = now_ns();
		switch (kind) {
		case B_INLINE:
			if (mbx_msg(srv_fd, MAILBOX_MSG_RCV, NULL, 0, buf, size, port))
				die("mailbox receive");
			break;
		case B_OOL:
		case B_OOL_MOVE: {
			volatile unsigned char *p = bw_recv_ool(srv_fd, port);
			unsigned long sum = 0;

			if (!p)
				die("mailbox ool receive");
			for (size_t o = 0; o < size; o += page)
				sum += p[o];
			if (sum != (size + page - 1) / page * 0x5a)
				die("ool data");
			/*
			 * A moved buffer goes back to the sender (once the
			 * sender's space is gone, a send fails: unmap it).
			 */
			if (kind == B_OOL ||
			    bw_send_ool(srv_fd, back, (void *)p, size, true))
				munmap((void *)p, size);
			break;
		}
		case B_PIPE:
			full_read(fd[0], buf, size);
			break;
		case B_SEQPACKET:
			if (read(fd[0], buf, size) != (ssize_t)size) {
				/* The sender's write failed (no memory for one skb). */
				bw_why[kind] = "the sender's write failed";
				waitpid(pid, &st, 0);
				goto skip;
			}
			break;
		default:
			break;
		}
	}
	t1 = now_ns();
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		die("bandwidth sender %s", bw_name[kind]);
	if (srv_fd >= 0)
		close(srv_fd);
	if (fd[0] >= 0)
		close(fd[0]);
	munmap(buf, size);
	return (double)count * size * 1e9 / (t1 - t0);

skip:
	if (fd[0] >= 0)
		close(fd[0]);
	if (fd[1] >= 0)
		close(fd[1]);
	munmap(buf, size);
	return -1;
}

static void fig_bandwidth(void)
{
	const size_t sizes[4] = { 4096, 65536, 1 << 20, 16 << 20 };
	double v[B_NR][16], med[B_NR];

	for (int si = 0; si < 4; si++) {
		/* ~64 MiB per run at the default -n 2000. */
		long count = (long)iters * 32768 / sizes[si];
		char cas[32];

		if (count < 4)
			count = 4;
		snprintf(cas, sizeof(cas), "%zu_B", sizes[si]);
		if (only_size && (size_t)only_size != sizes[si])
			continue;
		for (int r = 0; r < rounds; r++)
			for (int k = 0; k < B_NR; k++) {
				bw_why[k] = "not asked for (-k)";
				v[k][r] = peer_wanted(bw_name[k]) ?
					  bw_run(k, count, sizes[si]) : -1;
			}
		for (int k = 0; k < B_NR; k++) {
			med[k] = median(v[k], rounds);
			if (med[k] < 0) {
				printf("# bandwidth %s %s: n/a (%s)\n", cas, bw_name[k],
				       bw_why[k] ? bw_why[k] : "?");
				continue;
			}
			result("bandwidth", cas, bw_name[k], "MB_per_s", med[k] / 1e6);
		}
		for (int k = 0; k < B_NR; k++)
			if (k != B_OOL && med[k] > 0 && med[B_OOL] > 0)
				result("bandwidth", cas, bw_name[k], "ool_ratio",
				       med[B_OOL] / med[k]);
		for (int k = 0; k < B_NR; k++)
			if (k != B_OOL_MOVE && med[k] > 0 && med[B_OOL_MOVE] > 0)
				result("bandwidth", cas, bw_name[k], "move_ratio",
				       med[B_OOL_MOVE] / med[k]);
	}
}

/* ---- figure 4: port-set receive ------------------------------------------- */

static void fig_pset(void)
{
	const int members[3] = { 1, 100, 10000 };
	static char buf[MAXBUF];
	static uint64_t lat[100000];
	double p50[3][16], p99[3][16];
	int fd[3];
	__u32 set[3], active[3];

	for (int m = 0; m < 3; m++) {
		fd[m] = mbx_open();
		set[m] = mbx_port(fd[m], MAILBOX_RIGHT_PORT_SET);
		for (int i = 0; i < members[m]; i++) {
			struct mailbox_port_move_member mv = { .after = set[m] };

			mv.member = mbx_port(fd[m], MAILBOX_RIGHT_RECEIVE);
			if (ioctl(fd[m], MAILBOX_IOC_PORT_MOVE_MEMBER, &mv))
				die("MOVE_MEMBER");
			active[m] = mv.member;	/* the last one added */
		}
		mbx_make_send(fd[m], MAILBOX_SPACE_SELF, active[m]);
	}
	for (int r = 0; r < rounds; r++) {
		for (int m = 0; m < 3; m++) {
			struct mailbox_msg_header *h = (void *)buf;

			for (int i = -iters / 10; i < iters; i++) {
				uint64_t t = now_ns();

				h->bits = MAILBOX_MSGH_BITS(MAILBOX_MSG_TYPE_COPY_SEND, 0);
				h->remote_port = active[m];
				h->local_port = 0;
				h->voucher_port = 0;
				if (mbx_msg(fd[m], MAILBOX_MSG_SEND | MAILBOX_MSG_RCV,
					    buf, MSG_BYTES, buf, MAXBUF, set[m]))
					die("pset send+receive");
				if (i >= 0)
					lat[i] = now_ns() - t;
			}
			p50[m][r] = pct(lat, iters, 50);
			p99[m][r] = pct(lat, iters, 99);
		}
	}
	for (int m = 0; m < 3; m++) {
		char cas[32];

		snprintf(cas, sizeof(cas), "%d_members", members[m]);
		p50[m][0] = median(p50[m], rounds);
		result("pset", cas, "mailbox", "send_rcv_p50_ns", p50[m][0]);
		result("pset", cas, "mailbox", "send_rcv_p99_ns",
		       median(p99[m], rounds));
		result("pset", cas, "mailbox", "ratio_to_1_member",
		       p50[m][0] / p50[0][0]);
		close(fd[m]);
	}
}

/* ---- figure 5: memory ----------------------------------------------------- */

/* Sum of active_objs * objsize over all slab caches, and the named ones. */
static long slab_bytes(const char *only, long *objs)
{
	char line[512], name[64];
	long total = 0, active, num, size;
	FILE *f = fopen("/proc/slabinfo", "r");

	if (objs)
		*objs = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %ld %ld %ld", name, &active, &num, &size) != 4)
			continue;
		if (only && strcmp(name, only))
			continue;
		total += active * size;
		if (objs)
			*objs += active;
	}
	fclose(f);
	return total;
}

static long meminfo(const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) && line[strlen(key)] == ':')
			v = atol(line + strlen(key) + 1) * 1024;
	fclose(f);
	return v;
}

static long stat_value(const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/sys/kernel/debug/mailbox/stats", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) && line[strlen(key)] == ' ')
			v = atol(line + strlen(key) + 1);
	fclose(f);
	return v;
}

struct memsnap { long slab, port, entry, slab_mi, avail, msgbytes; };

static void snap(struct memsnap *s)
{
	sync();
	s->slab = slab_bytes(NULL, NULL);
	s->port = slab_bytes("mbx_port", NULL);
	s->entry = slab_bytes("mbx_entry", NULL);
	s->slab_mi = meminfo("Slab");
	s->avail = meminfo("MemAvailable");
	s->msgbytes = stat_value("message_bytes");
}

static void mem_report(const char *cas, struct memsnap *a, struct memsnap *b,
		       long n)
{
	result("memory", cas, "mailbox", "slabinfo_all_B_per_obj",
	       (double)(b->slab - a->slab) / n);
	result("memory", cas, "mailbox", "mbx_port_B_per_obj",
	       (double)(b->port - a->port) / n);
	result("memory", cas, "mailbox", "mbx_entry_B_per_obj",
	       (double)(b->entry - a->entry) / n);
	result("memory", cas, "mailbox", "meminfo_Slab_B_per_obj",
	       (double)(b->slab_mi - a->slab_mi) / n);
	result("memory", cas, "mailbox", "MemAvailable_drop_B_per_obj",
	       (double)(a->avail - b->avail) / n);
	if (a->msgbytes >= 0)
		result("memory", cas, "mailbox", "stats_message_bytes_per_obj",
		       (double)(b->msgbytes - a->msgbytes) / n);
}

static void fig_memory(void)
{
	const long n = 100000;
	static char buf[MAXBUF];
	struct mailbox_msg_header *h = (void *)buf;
	struct memsnap a, b;
	__u32 ports[16];
	int fd = mbx_open();
	long sent = 0;

	/* 100 000 receive rights */
	snap(&a);
	for (long i = 0; i < n; i++)
		mbx_port(fd, MAILBOX_RIGHT_RECEIVE);
	snap(&b);
	mem_report("100000_ports", &a, &b, n);
	close(fd);

	/* 100 000 queued 64 B messages over 7 ports of qlimit 16384 */
	fd = mbx_open();
	for (int p = 0; p < 7; p++) {
		ports[p] = mbx_port(fd, MAILBOX_RIGHT_RECEIVE);
		mbx_qlimit(fd, ports[p], 16384);
		mbx_make_send(fd, MAILBOX_SPACE_SELF, ports[p]);
	}
	snap(&a);
	for (int p = 0; p < 7 && sent < n; p++) {
		for (int i = 0; i < 16384 && sent < n; i++, sent++) {
			h->bits = MAILBOX_MSGH_BITS(MAILBOX_MSG_TYPE_COPY_SEND, 0);
			h->remote_port = ports[p];
			h->local_port = 0;
			h->voucher_port = 0;
			if (mbx_msg(fd, MAILBOX_MSG_SEND, buf, MSG_BYTES, NULL, 0, 0))
				die("queue message %ld", sent);
		}
	}
	snap(&b);
	mem_report("100000_msgs_64B", &a, &b, n);
	result("memory", "100000_msgs_64B", "mailbox",
	       "overhead_B_per_msg_slabinfo", (double)(b.slab - a.slab) / n - 64);
	close(fd);
}

/* ---- figure 7: scaling ---------------------------------------------------- */

/*
 * Figure 7 peer: the same shape over pipes. Clients write 64-byte requests
 * (the first byte names the client) into one shared request pipe (writes
 * up to PIPE_BUF are atomic, and every read and write is 64 bytes, so
 * messages never mix); the server reads one and writes the reply into that
 * client's own reply pipe.
 */
static void pipe_serve(int req, const int *rep, int n)
{
	char buf[MSG_BYTES];

	for (;;) {
		full_read(req, buf, MSG_BYTES);
		if ((unsigned char)buf[0] >= (unsigned int)n)
			_exit(1);
		full_write(rep[(unsigned char)buf[0]], buf, MSG_BYTES);
	}
}

enum { SC_MAILBOX, SC_PIPE, SC_NR };
static const char *const scaling_name[SC_NR] = { "mailbox", "pipe" };

/* @n clients of one server each make @calls calls; calls per second. */
static double scaling_run(int kind, int n, long calls)
{
	int srv_fd = -1, go[2], req[2], rep[8][2];
	pid_t server, pid[8];
	uint64_t t0, t1;
	__u32 svc = 0;
	char g;

	if (kind == SC_MAILBOX) {
		srv_fd = mbx_open();
		svc = mbx_port(srv_fd, MAILBOX_RIGHT_RECEIVE);
		mbx_qlimit(srv_fd, svc, 64);
	} else {
		int wr[8];

		if (pipe(req))
			die("pipe");
		for (int c = 0; c < n; c++) {
			if (pipe(rep[c]))
				die("pipe");
			wr[c] = rep[c][1];
		}
		server = fork();
		if (!server) {
			close(req[1]);
			pipe_serve(req[0], wr, n);
		}
	}
	if (kind == SC_MAILBOX) {
		server = fork();
		if (!server)
			mbx_serve(srv_fd, svc);
	}
	/* after the server's fork: it must not hold go[1] */
	if (pipe(go))
		die("pipe");
	for (int c = 0; c < n; c++) {
		pid[c] = fork();
		if (pid[c])
			continue;
		static char buf[MAXBUF];

		close(go[1]);
		if (kind == SC_MAILBOX) {
			struct mbx_conn mc = mbx_connect(srv_fd, svc);

			close(srv_fd);
			if (read(go[0], &g, 1) != 0)
				_exit(1);
			for (long i = 0; i < calls; i++)
				mbx_call(&mc, buf, MSG_BYTES);
		} else {
			if (read(go[0], &g, 1) != 0)
				_exit(1);
			for (long i = 0; i < calls; i++) {
				buf[0] = (char)c;
				full_write(req[1], buf, MSG_BYTES);
				full_read(rep[c][0], buf, MSG_BYTES);
			}
		}
		_exit(0);
	}
	close(go[0]);
	t0 = now_ns();
	close(go[1]);
	for (int c = 0; c < n; c++)
		waitpid(pid[c], NULL, 0);
	t1 = now_ns();
	kill(server, SIGKILL);
	waitpid(server, NULL, 0);
	if (kind == SC_MAILBOX) {
		close(srv_fd);
	} else {
		close(req[0]);
		close(req[1]);
		for (int c = 0; c < n; c++) {
			close(rep[c][0]);
			close(rep[c][1]);
		}
	}
	return (double)calls * n * 1e9 / (t1 - t0);
}

/* Figure 7: 1, 2, 4, 8 clients against one server, mailbox and pipes. */
static void fig_scaling(void)
{
	const int clients[4] = { 1, 2, 4, 8 };
	double v[SC_NR][4][16];

	for (int r = 0; r < rounds; r++)
		for (int ci = 0; ci < 4; ci++)
			for (int k = 0; k < SC_NR; k++)
				v[k][ci][r] = scaling_run(k, clients[ci], iters);
	for (int ci = 0; ci < 4; ci++) {
		double m[SC_NR];
		char cas[32];

		snprintf(cas, sizeof(cas), "%d_clients", clients[ci]);
		for (int k = 0; k < SC_NR; k++) {
			m[k] = median(v[k][ci], rounds);
			result("scaling", cas, scaling_name[k], "calls_per_s", m[k]);
			result("scaling", cas, scaling_name[k], "ratio_to_1_client",
			       m[k] / median(v[k][0], rounds));
		}
		result("scaling", cas, "pipe", "mailbox_ratio",
		       m[SC_MAILBOX] / m[SC_PIPE]);
	}
}

/*
 * Figure 9: io_uring. One process, no peer: the cost of getting 64-byte
 * messages into (send) or out of (receive) a queue, per call path. Each
 * chunk of UCHUNK messages is timed alone; the queue is then drained (send)
 * or refilled (receive) untimed with the ioctl / read / write. Paths:
 * mailbox ioctl (one MAILBOX_IOC_MSG per message), mailbox io_uring
 * (MAILBOX_URING_CMD_MSG, batches of 1, 16, 256 SQEs per io_uring_enter;
 * every command finds room or a message, so it completes inline, never in
 * io-wq), pipe write() and pipe IORING_OP_WRITE in the same batches.
 * syscalls_per_msg counts the io_uring_enter / ioctl / write calls made.
 * 6.1 pipes lack FMODE_NOWAIT, so io_uring runs every pipe write in an
 * io-wq worker: those paths run an eighth of the messages.
 */
#define UCHUNK	256

enum upath { U_IOCTL, U_URING, U_PIPE, U_PIPE_URING };

struct urun {
	int fd;			/* mailbox space */
	__u32 port;		/* receive right, and a send right */
	int pipefd[2];
	struct io_uring ring;
	char msgs[UCHUNK][MSG_BYTES];
	struct mailbox_msg args[UCHUNK];
};

static void urun_hdr(struct urun *u, int i)
{
	struct mailbox_msg_header *h = (void *)u->msgs[i];

	h->bits = MAILBOX_MSGH_BITS(MAILBOX_MSG_TYPE_COPY_SEND, 0);
	h->size = 0;
	h->remote_port = u->port;
	h->local_port = 0;
	h->voucher_port = 0;
	h->id = 3;
}

/* Submit @n prepared SQEs, wait for @n completions; die on any failure. */
static void urun_enter(struct urun *u, int n, int want)
{
	struct io_uring_cqe *cqe;

	if (io_uring_submit_and_wait(&u->ring, n) != n)
		die("io_uring_submit_and_wait");
	for (int i = 0; i < n; i++) {
		if (io_uring_wait_cqe(&u->ring, &cqe))
			die("io_uring_wait_cqe");
		if (cqe->res != want) {
			errno = cqe->res < 0 ? -cqe->res : 0;
			die("io_uring completion %d", cqe->res);
		}
		io_uring_cqe_seen(&u->ring, cqe);
	}
}

static void urun_mbx_sqe(struct urun *u, int i)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
	struct mailbox_uring_msg *c;

	if (!sqe)
		die("io_uring_get_sqe");
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = u->fd;
	sqe->cmd_op = MAILBOX_URING_CMD_MSG;
	c = (struct mailbox_uring_msg *)sqe->cmd;
	c->msg = (uintptr_t)&u->args[i];
}

/* Timed: @UCHUNK messages in by @path, @batch per enter. Returns ns. */
static uint64_t urun_send(struct urun *u, enum upath path, int batch,
			  long *sys)
{
	uint64_t t0 = now_ns();

	for (int i = 0; i < UCHUNK; i += batch) {
		for (int j = i; j < i + batch; j++) {
			struct io_uring_sqe *sqe;

			switch (path) {
			case U_IOCTL:
				if (mbx_msg(u->fd, MAILBOX_MSG_SEND, u->msgs[j],
					    MSG_BYTES, NULL, 0, 0))
					die("mailbox send");
				(*sys)++;
				break;
			case U_URING:
				u->args[j] = (struct mailbox_msg){
					.send_msg = (uintptr_t)u->msgs[j],
					.send_size = MSG_BYTES,
					.options = MAILBOX_MSG_SEND,
				};
				urun_mbx_sqe(u, j);
				break;
			case U_PIPE:
				if (write(u->pipefd[1], u->msgs[j], MSG_BYTES) !=
				    MSG_BYTES)
					die("pipe write");
				(*sys)++;
				break;
			case U_PIPE_URING:
				sqe = io_uring_get_sqe(&u->ring);
				if (!sqe)
					die("io_uring_get_sqe");
				io_uring_prep_write(sqe, u->pipefd[1], u->msgs[j],
						    MSG_BYTES, 0);
				break;
			}
		}
		if (path == U_URING || path == U_PIPE_URING) {
			urun_enter(u, batch, path == U_URING ? 0 : MSG_BYTES);
			(*sys)++;
		}
	}
	return now_ns() - t0;
}

/* Timed: @UCHUNK queued messages out by @path (mailbox only). */
static uint64_t urun_receive(struct urun *u, enum upath path, int batch,
			     long *sys)
{
	uint64_t t0 = now_ns();

	for (int i = 0; i < UCHUNK; i += batch) {
		for (int j = i; j < i + batch; j++) {
			if (path == U_IOCTL) {
				if (mbx_msg(u->fd, MAILBOX_MSG_RCV, NULL, 0,
					    u->msgs[j], MSG_BYTES, u->port))
					die("mailbox receive");
				(*sys)++;
				continue;
			}
			u->args[j] = (struct mailbox_msg){
				.rcv_msg = (uintptr_t)u->msgs[j],
				.rcv_size = MSG_BYTES,
				.rcv_name = u->port,
				.options = MAILBOX_MSG_RCV,
			};
			urun_mbx_sqe(u, j);
		}
		if (path == U_URING) {
			urun_enter(u, batch, 0);
			(*sys)++;
		}
	}
	return now_ns() - t0;
}

/* Untimed: empty the queue (after sends) or fill it (before receives). */
static void urun_untimed(struct urun *u, enum upath path, bool fill)
{
	static char sink[UCHUNK * MSG_BYTES];

	if (path == U_PIPE || path == U_PIPE_URING) {
		full_read(u->pipefd[0], sink, sizeof(sink));
		return;
	}
	for (int i = 0; i < UCHUNK; i++) {
		int err = fill ? mbx_msg(u->fd, MAILBOX_MSG_SEND, u->msgs[i],
					 MSG_BYTES, NULL, 0, 0) :
				 mbx_msg(u->fd, MAILBOX_MSG_RCV, NULL, 0, sink,
					 MSG_BYTES, u->port);
		if (err)
			die("mailbox drain/fill");
	}
}

/* Messages per second over @count messages; syscalls per message. */
static double urun(struct urun *u, bool receive, enum upath path, int batch,
		   long count, double *spm)
{
	uint64_t busy = 0;
	long sys = 0, done;

	for (int i = 0; i < UCHUNK; i++)
		urun_hdr(u, i);
	for (done = 0; done < count; done += UCHUNK) {
		if (receive) {
			urun_untimed(u, path, true);
			for (int i = 0; i < UCHUNK; i++)
				urun_hdr(u, i);
			busy += urun_receive(u, path, batch, &sys);
		} else {
			busy += urun_send(u, path, batch, &sys);
			urun_untimed(u, path, false);
		}
		for (int i = 0; i < UCHUNK; i++)
			urun_hdr(u, i);
	}
	*spm = (double)sys / done;
	return done * 1e9 / busy;
}

/*
 * A receive that has to wait, per message: submit it on the empty port
 * (it goes to an io-wq worker), send one message with the ioctl, wait for
 * the completion. Returns messages per second; @spm counts io_uring_enter
 * and the send ioctl.
 */
static double urun_iowq(struct urun *u, long count, double *spm)
{
	uint64_t t0 = now_ns();
	long sys = 0;

	urun_hdr(u, 1);
	for (long i = 0; i < count; i++) {
		u->args[0] = (struct mailbox_msg){
			.rcv_msg = (uintptr_t)u->msgs[0],
			.rcv_size = MSG_BYTES,
			.rcv_name = u->port,
			.options = MAILBOX_MSG_RCV,
		};
		urun_mbx_sqe(u, 0);
		if (io_uring_submit(&u->ring) != 1)
			die("io_uring_submit");
		if (mbx_msg(u->fd, MAILBOX_MSG_SEND, u->msgs[1], MSG_BYTES,
			    NULL, 0, 0))
			die("mailbox send");
		{
			struct io_uring_cqe *cqe;

			if (io_uring_wait_cqe(&u->ring, &cqe) || cqe->res)
				die("io-wq receive");
			io_uring_cqe_seen(&u->ring, cqe);
		}
		sys += 3;
	}
	*spm = (double)sys / count;
	return count * 1e9 / (now_ns() - t0);
}

static void fig_uring(void)
{
	static struct urun u;
	static const struct {
		const char *name;
		bool receive;
		enum upath path;
		int batch;
	} ps[] = {
		{ "mailbox_ioctl", false, U_IOCTL, 1 },
		{ "mailbox_uring_b1", false, U_URING, 1 },
		{ "mailbox_uring_b16", false, U_URING, 16 },
		{ "mailbox_uring_b256", false, U_URING, 256 },
		{ "pipe_write", false, U_PIPE, 1 },
		{ "pipe_uring_b1", false, U_PIPE_URING, 1 },
		{ "pipe_uring_b16", false, U_PIPE_URING, 16 },
		{ "pipe_uring_b256", false, U_PIPE_URING, 256 },
		{ "mailbox_ioctl", true, U_IOCTL, 1 },
		{ "mailbox_uring_b1", true, U_URING, 1 },
		{ "mailbox_uring_b16", true, U_URING, 16 },
		{ "mailbox_uring_b256", true, U_URING, 256 },
	};
	enum { NP = sizeof(ps) / sizeof(ps[0]) };
	double v[NP][16], spm[NP];
	long count = ((long)iters * 5 / UCHUNK + 1) * UCHUNK;
	/* Pipe writes through io_uring each take an io-wq round trip on 6.1. */
	long slow = ((long)iters * 5 / 8 / UCHUNK + 1) * UCHUNK;
	int err;

	err = io_uring_queue_init(UCHUNK, &u.ring, 0);
	if (err) {
		printf("# uring: io_uring_queue_init: %s: figure skipped\n",
		       strerror(-err));
		return;
	}
	u.fd = mbx_open();
	u.port = mbx_port(u.fd, MAILBOX_RIGHT_RECEIVE);
	mbx_make_send(u.fd, MAILBOX_SPACE_SELF, u.port);
	mbx_qlimit(u.fd, u.port, UCHUNK);
	if (pipe(u.pipefd))
		die("pipe");
	double wv[16], wspm = 0;

	for (int r = 0; r < rounds; r++) {
		for (int k = 0; k < NP; k++)
			v[k][r] = urun(&u, ps[k].receive, ps[k].path,
				       ps[k].batch,
				       ps[k].path == U_PIPE_URING ? slow : count,
				       &spm[k]);
		wv[r] = urun_iowq(&u, count / 10, &wspm);
	}
	result("uring", "receive_waiting_64B", "mailbox_uring_iowq",
	       "msgs_per_s", median(wv, rounds));
	result("uring", "receive_waiting_64B", "mailbox_uring_iowq",
	       "syscalls_per_msg", wspm);
	for (int k = 0; k < NP; k++) {
		const char *cas = ps[k].receive ? "receive_64B" : "send_64B";
		double m = median(v[k], rounds);

		result("uring", cas, ps[k].name, "msgs_per_s", m);
		result("uring", cas, ps[k].name, "syscalls_per_msg", spm[k]);
		result("uring", cas, ps[k].name, "ratio_to_ioctl",
		       m / median(v[ps[k].receive ? 8 : 0], rounds));
	}
	close(u.pipefd[0]);
	close(u.pipefd[1]);
	close(u.fd);
	io_uring_queue_exit(&u.ring);
}

int main(int argc, char **argv)
{
	const char *only = NULL;
	int opt;

	while ((opt = getopt(argc, argv, "r:n:f:k:s:")) != -1) {
		switch (opt) {
		case 'r': rounds = atoi(optarg); break;
		case 'n': iters = atoi(optarg); break;
		case 'f': only = optarg; break;
		case 'k': only_peer = optarg; break;
		case 's': only_size = atol(optarg); break;
		default:
			fprintf(stderr, "usage: mbxbench [-r rounds] [-n iters] [-f figure] [-k peer[,peer...]] [-s bandwidth size]\n");
			return 2;
		}
	}
	if (rounds < 1 || rounds > 16 || iters < 10 || iters > 100000)
		return 2;
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	binder_srv_ioctls = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (binder_srv_ioctls == MAP_FAILED)
		die("mmap");
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# mbxbench rounds=%d iters=%d cpus=%d\n", rounds, iters, ncpu);
#define FIG(name, fn) do { if (!only || !strcmp(only, name)) { \
		printf("# figure %s\n", name); fn(); } } while (0)
	FIG("rpc", fig_rpc);
	FIG("rpc_size", fig_rpc_size);
	FIG("throughput", fig_throughput);
	FIG("pset", fig_pset);
	FIG("bandwidth", fig_bandwidth);
	FIG("scaling", fig_scaling);
	FIG("memory", fig_memory);
	FIG("uring", fig_uring);
	return 0;
}
