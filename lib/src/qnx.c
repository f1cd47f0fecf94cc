// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * QNX Neutrino-style message passing (lib/include/mailbox/qnx.h) over
 * /dev/mailbox, in the space of mach_task_self().
 *
 * Wire format: a request is a mailbox header (id QNX_ID_REQUEST, remote
 * COPY_SEND to the connection, local MAKE_SEND_ONCE to the client thread's
 * reply port) + struct qnx_req + the bytes, padded to 4. A reply goes
 * through that send-once right: header (id QNX_ID_REPLY or QNX_ID_ERROR) +
 * struct qnx_rep + the bytes. A send-once notification arriving instead of
 * a reply means the server dropped the request (died, destroyed the
 * channel, or deallocated the rcvid): MsgSend() fails with ESRCH.
 *
 * Each thread owns a reply port and a message buffer, made on first use and
 * destroyed at thread exit (a pthread key). A forked child makes its own
 * (after mailbox_task_reset_after_fork() in its own space, else in the
 * space it shares with the parent). An interrupted MsgSend() throws
 * the reply port away, so a late reply can never be taken for the next
 * call's.
 */
#define _GNU_SOURCE
#include <mailbox/qnx.h>
#include <mailbox/mach/mach.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/mailbox.h>

#define QNX_ID_REQUEST	0x514e5801
#define QNX_ID_REPLY	0x514e5802
#define QNX_ID_ERROR	0x514e5803

/* Most entries of one iov_t array (the kernel's IOV_MAX). */
#define QNX_IOV_MAX	1024

struct qnx_req {
	struct mailbox_msg_header h;
	uint32_t len;		/* bytes sent */
	uint32_t dstlen;	/* room for the reply */
};

struct qnx_rep {
	struct mailbox_msg_header h;
	int64_t status;		/* MsgReply's status, or MsgError's errno */
	uint32_t len;
	uint32_t pad;
};

#define QNX_HDR_MAX	(sizeof(struct qnx_rep) > sizeof(struct qnx_req) ? \
			 sizeof(struct qnx_rep) : sizeof(struct qnx_req))

struct qnx_thread {
	pid_t pid;		/* the process that made @reply */
	int fd;			/* the space the reply port lives in */
	uint32_t reply;		/* receive right, or MAILBOX_PORT_NULL */
	unsigned char *buf;
	size_t cap;
};

static pthread_key_t qnx_key;
static pthread_once_t qnx_once = PTHREAD_ONCE_INIT;
static int qnx_key_err;

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? errno : 0;
}

static void drop_reply_port(struct qnx_thread *t)
{
	struct mailbox_port_mod_refs m = {
		.name = t->reply, .right = MAILBOX_RIGHT_RECEIVE, .delta = -1,
	};

	if (t->reply != MAILBOX_PORT_NULL)
		xioctl(t->fd, MAILBOX_IOC_PORT_MOD_REFS, &m);
	t->reply = MAILBOX_PORT_NULL;
}

static void qnx_thread_free(void *p)
{
	struct qnx_thread *t = p;

	drop_reply_port(t);
	free(t->buf);
	free(t);
}

static void qnx_key_init(void)
{
	qnx_key_err = pthread_key_create(&qnx_key, qnx_thread_free);
}

/* The process's space: an fd, or -1 with errno set. */
static int space(void)
{
	mach_port_t fd = mach_task_self();

	if (fd == MACH_PORT_NULL) {
		if (!errno)
			errno = ENODEV;
		return -1;
	}
	return (int)fd;
}

/* This thread's state with a buffer of @need bytes, or NULL + errno. */
static struct qnx_thread *thread_state(size_t need)
{
	struct qnx_thread *t;
	int fd = space();

	if (fd < 0)
		return NULL;
	pthread_once(&qnx_once, qnx_key_init);
	if (qnx_key_err) {
		errno = qnx_key_err;
		return NULL;
	}
	t = pthread_getspecific(qnx_key);
	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t)
			return NULL;
		if (pthread_setspecific(qnx_key, t)) {
			free(t);
			errno = ENOMEM;
			return NULL;
		}
	}
	if (t->pid != getpid() || t->fd != fd) {
		/*
		 * A forked child (whose copy names the parent thread's port,
		 * maybe in a space it still shares): start afresh.
		 */
		t->pid = getpid();
		t->fd = fd;
		t->reply = MAILBOX_PORT_NULL;
	}
	if (t->cap < need) {
		unsigned char *b = realloc(t->buf, need);

		if (!b)
			return NULL;
		t->buf = b;
		t->cap = need;
	}
	return t;
}

static int ensure_reply_port(struct qnx_thread *t)
{
	struct mailbox_port_allocate a = { .right = MAILBOX_RIGHT_RECEIVE };
	int err;

	if (t->reply != MAILBOX_PORT_NULL)
		return 0;
	err = xioctl(t->fd, MAILBOX_IOC_PORT_ALLOCATE, &a);
	if (err) {
		errno = err;
		return -1;
	}
	t->reply = a.name;
	return 0;
}

static size_t round4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

size_t mailbox_qnx_max_msg(void)
{
	static size_t max;
	struct mailbox_version v = { 0 };
	int fd;

	if (max)
		return max;
	fd = space();
	if (fd < 0 || xioctl(fd, MAILBOX_IOC_VERSION, &v))
		return 0;
	max = (v.max_msg_size - QNX_HDR_MAX) & ~(size_t)3;
	return max;
}

static int fail(int err)
{
	errno = err;
	return -1;
}

int ChannelCreate(unsigned flags)
{
	struct mailbox_port_allocate a = { .right = MAILBOX_RIGHT_RECEIVE };
	struct mailbox_port_attr attr = { .flags = MAILBOX_ATTR_FLAGS };
	int fd, err;

	if (flags & ~_NTO_CHF_FIXED_PRIORITY)
		return fail(EINVAL);
	fd = space();
	if (fd < 0)
		return -1;
	err = xioctl(fd, MAILBOX_IOC_PORT_ALLOCATE, &a);
	if (err)
		return fail(err);
	attr.name = a.name;
	attr.port_flags = (flags & _NTO_CHF_FIXED_PRIORITY) ? 0 :
			  MAILBOX_PORT_FLAG_PRIO_INHERIT;
	err = xioctl(fd, MAILBOX_IOC_PORT_SET_ATTR, &attr);
	if (err) {
		struct mailbox_port_mod_refs m = {
			.name = a.name, .right = MAILBOX_RIGHT_RECEIVE, .delta = -1,
		};

		xioctl(fd, MAILBOX_IOC_PORT_MOD_REFS, &m);
		return fail(err);
	}
	return (int)a.name;
}

int ChannelDestroy(int chid)
{
	struct mailbox_port_mod_refs m = {
		.name = (uint32_t)chid, .right = MAILBOX_RIGHT_RECEIVE, .delta = -1,
	};
	int fd = space();
	int err;

	if (fd < 0)
		return -1;
	err = xioctl(fd, MAILBOX_IOC_PORT_MOD_REFS, &m);
	if (err)
		return fail(err == ENOMEM ? ENOMEM : EINVAL);
	return 0;
}

int ConnectAttach(uint32_t nd, pid_t pid, int chid, unsigned index, int flags)
{
	struct mailbox_port_insert_right ir = {
		.space_fd = MAILBOX_SPACE_SELF,
		.name = (uint32_t)chid,
		.poly = (uint32_t)chid,
		.disposition = MAILBOX_MSG_TYPE_MAKE_SEND,
	};
	int fd, err;

	(void)index;	/* names are the kernel's to choose */
	if ((unsigned)flags & ~_NTO_SIDE_CHANNEL)
		return fail(EINVAL);
	if (nd != ND_LOCAL_NODE || (pid != 0 && pid != getpid()))
		return fail(ESRCH);
	fd = space();
	if (fd < 0)
		return -1;
	err = xioctl(fd, MAILBOX_IOC_PORT_INSERT_RIGHT, &ir);
	if (err == ENOENT || err == EPERM || err == EPIPE || err == EINVAL)
		return fail(ESRCH);
	if (err == EOVERFLOW)
		return fail(EAGAIN);	/* 65535 connections to one channel */
	if (err)
		return fail(err);
	return (int)ir.name;
}

int ConnectDetach(int coid)
{
	struct mailbox_port_type t = { .name = (uint32_t)coid };
	struct mailbox_port_name_op op = { .name = (uint32_t)coid };
	int fd, err;

	if (coid == 0 || coid == -1)
		return fail(EINVAL);
	fd = space();
	if (fd < 0)
		return -1;
	err = xioctl(fd, MAILBOX_IOC_PORT_TYPE, &t);
	if (err || !(t.type & (MAILBOX_PORT_TYPE_SEND |
			       MAILBOX_PORT_TYPE_DEAD_NAME)))
		return fail(EINVAL);
	err = xioctl(fd, MAILBOX_IOC_PORT_DEALLOCATE, &op);
	if (err)
		return fail(EINVAL);
	return 0;
}

/* A send phase's failure as QNX's errno. */
static int send_errno(int err, uint32_t status)
{
	if (status == MAILBOX_SEND_INVALID_DEST)
		return err == EPIPE ? ESRCH : EBADF;
	return err;
}

/*
 * Total length of @parts entries at @iov into *@len. Return: 0, EINVAL (bad
 * count, or the total overflows) or EFAULT (a NULL base with a length).
 */
static int iov_total(const iov_t *iov, int parts, size_t *len)
{
	size_t n = 0;
	int i;

	if (parts < 0 || parts > QNX_IOV_MAX || (parts && !iov))
		return parts && !iov ? EFAULT : EINVAL;
	for (i = 0; i < parts; i++) {
		if (iov[i].iov_len && !iov[i].iov_base)
			return EFAULT;
		if (iov[i].iov_len > SIZE_MAX - n)
			return EINVAL;
		n += iov[i].iov_len;
	}
	*len = n;
	return 0;
}

static void gather(unsigned char *dst, const iov_t *iov, int parts)
{
	int i;

	for (i = 0; i < parts; i++) {
		if (iov[i].iov_len)
			memcpy(dst, iov[i].iov_base, iov[i].iov_len);
		dst += iov[i].iov_len;
	}
}

/* Copy @n bytes at @src into @iov, as far as it reaches. */
static size_t scatter(const iov_t *iov, int parts, const unsigned char *src,
		      size_t n)
{
	size_t done = 0;
	int i;

	for (i = 0; i < parts && done < n; i++) {
		size_t k = iov[i].iov_len < n - done ? iov[i].iov_len : n - done;

		if (k)
			memcpy(iov[i].iov_base, src + done, k);
		done += k;
	}
	return done;
}

long MsgSendv(int coid, const iov_t *siov, int sparts, const iov_t *riov,
	      int rparts)
{
	struct mailbox_msg m = { 0 };
	size_t max, sbytes, rbytes;
	struct qnx_thread *t;
	struct qnx_req *req;
	struct qnx_rep *rep;
	int err;

	err = iov_total(siov, sparts, &sbytes);
	if (!err)
		err = iov_total(riov, rparts, &rbytes);
	if (err)
		return fail(err);
	max = mailbox_qnx_max_msg();
	if (!max)
		return -1;
	if (sbytes > max || rbytes > max)
		return fail(EMSGSIZE);
	t = thread_state(QNX_HDR_MAX + round4(sbytes > rbytes ? sbytes : rbytes));
	if (!t || ensure_reply_port(t))
		return -1;

	req = (struct qnx_req *)t->buf;
	memset(req, 0, sizeof(*req));
	req->h.bits = MAILBOX_MSGH_BITS(MAILBOX_MSG_TYPE_COPY_SEND,
					MAILBOX_MSG_TYPE_MAKE_SEND_ONCE);
	req->h.remote_port = (uint32_t)coid;
	req->h.local_port = t->reply;
	req->h.id = QNX_ID_REQUEST;
	req->len = sbytes;
	req->dstlen = rbytes;
	gather((unsigned char *)(req + 1), siov, sparts);
	memset((unsigned char *)(req + 1) + sbytes, 0, round4(sbytes) - sbytes);

	/* One call: the request goes out, the thread waits for the reply. */
	m.send_msg = (uintptr_t)t->buf;
	m.rcv_msg = (uintptr_t)t->buf;
	m.options = MAILBOX_MSG_SEND | MAILBOX_MSG_RCV | MAILBOX_MSG_RCV_LARGE;
	m.send_size = sizeof(*req) + round4(sbytes);
	m.rcv_size = t->cap;
	m.rcv_name = t->reply;
	err = xioctl(t->fd, MAILBOX_IOC_MSG, &m);
	while (err == EMSGSIZE && m.status == MAILBOX_RCV_TOO_LARGE) {
		/* A reply larger than asked for: take it, then truncate. */
		size_t need = m.rcv_size;

		t = thread_state(need);
		if (!t)
			return -1;
		memset(&m, 0, sizeof(m));
		m.rcv_msg = (uintptr_t)t->buf;
		m.options = MAILBOX_MSG_RCV | MAILBOX_MSG_RCV_LARGE;
		m.rcv_size = t->cap;
		m.rcv_name = t->reply;
		err = xioctl(t->fd, MAILBOX_IOC_MSG, &m);
	}
	if (err) {
		if ((m.status & 0xffffc000U) == 0x10000000U)	/* send phase */
			return fail(send_errno(err, m.status));
		/* The reply may still come: never mistake it for the next. */
		drop_reply_port(t);
		return fail(err);
	}

	rep = (struct qnx_rep *)t->buf;
	if (rep->h.id == QNX_ID_REPLY && rep->h.size >= sizeof(*rep) &&
	    rep->len <= rep->h.size - sizeof(*rep)) {
		scatter(riov, rparts, (unsigned char *)(rep + 1), rep->len);
		return (long)rep->status;
	}
	if (rep->h.id == QNX_ID_ERROR && rep->h.size >= sizeof(*rep))
		return fail((int)rep->status);
	if (rep->h.id == MAILBOX_NOTIFY_SEND_ONCE)
		return fail(ESRCH);	/* the request was dropped unanswered */
	return fail(EIO);
}

long MsgSend(int coid, const void *smsg, size_t sbytes, void *rmsg,
	     size_t rbytes)
{
	iov_t s = { .iov_base = (void *)smsg, .iov_len = sbytes };
	iov_t r = { .iov_base = rmsg, .iov_len = rbytes };

	return MsgSendv(coid, &s, 1, &r, 1);
}

/* Throw away a message that is not a request (its reply right too). */
static void discard(int fd, const struct mailbox_msg_header *h)
{
	struct mailbox_port_name_op op = { .name = h->remote_port };

	if (h->remote_port != MAILBOX_PORT_NULL &&
	    h->remote_port != MAILBOX_PORT_DEAD)
		xioctl(fd, MAILBOX_IOC_PORT_DEALLOCATE, &op);
}

/* Write the pulse at @buf as a struct _pulse into @iov. Return: bytes. */
static size_t deliver_pulse(const iov_t *iov, int parts,
			    const unsigned char *buf,
			    const struct mailbox_msg_trailer *tr)
{
	struct mailbox_pulse mp;
	struct _pulse p;

	memcpy(&mp, buf, sizeof(mp));
	memset(&p, 0, sizeof(p));
	p.type = _PULSE_TYPE;
	p.subtype = _PULSE_SUBTYPE;
	p.code = (int8_t)mp.code;
	p.value.sival_int = (int)mp.value;
	p.scoid = tr->sender_pid;
	p.count = mp.count;
	p.dropped = mp.dropped;
	return scatter(iov, parts, (const unsigned char *)&p, sizeof(p));
}

int MsgSendPulse(int coid, int priority, int code, int value)
{
	struct mailbox_pulse_send ps = { 0 };
	int fd, err;

	if (priority == -1)
		priority = 0;
	if (priority < 0 || priority > MAILBOX_PRIO_MAX || code < INT8_MIN ||
	    code > INT8_MAX)
		return fail(EINVAL);
	ps.name = (uint32_t)coid;
	ps.code = code;
	ps.value = (uint32_t)value;
	ps.priority = (uint32_t)priority;
	fd = space();
	if (fd < 0)
		return -1;
	err = xioctl(fd, MAILBOX_IOC_PULSE, &ps);
	if (err == ENOENT || err == EPERM)
		return fail(EBADF);	/* not a connection */
	if (err == EPIPE)
		return fail(ESRCH);	/* the channel is gone */
	return err ? fail(err) : 0;
}

int MsgReceivev(int chid, const iov_t *riov, int rparts,
		struct _msg_info *info)
{
	struct mailbox_msg_trailer *tr;
	size_t max, need, bytes, n;
	struct qnx_thread *t;
	struct mailbox_msg m;
	struct qnx_req *req;
	int err;

	err = iov_total(riov, rparts, &bytes);
	if (err)
		return fail(err);
	max = mailbox_qnx_max_msg();
	if (!max)
		return -1;
	if (bytes > max)
		bytes = max;
	need = sizeof(*req) + round4(bytes) + sizeof(*tr);
	for (;;) {
		t = thread_state(need);
		if (!t)
			return -1;
		memset(&m, 0, sizeof(m));
		m.rcv_msg = (uintptr_t)t->buf;
		m.options = MAILBOX_MSG_RCV | MAILBOX_MSG_RCV_LARGE |
			    MAILBOX_MSG_RCV_TRAILER;
		m.rcv_size = t->cap;
		m.rcv_name = (uint32_t)chid;
		err = xioctl(t->fd, MAILBOX_IOC_MSG, &m);
		if (err == EMSGSIZE && m.status == MAILBOX_RCV_TOO_LARGE) {
			need = m.rcv_size;
			continue;
		}
		if (err == ENOENT || err == EPERM || err == EPIPE ||
		    err == EIDRM)
			return fail(ESRCH);	/* no such channel (any more) */
		if (err)
			return fail(err);

		req = (struct qnx_req *)t->buf;
		if (req->h.bits & MAILBOX_MSGH_PULSE) {
			tr = (struct mailbox_msg_trailer *)(t->buf + req->h.size);
			n = deliver_pulse(riov, rparts, t->buf, tr);
			if (info) {
				memset(info, 0, sizeof(*info));
				info->nd = ND_LOCAL_NODE;
				info->pid = tr->sender_pid;
				info->uid = tr->sender_uid;
				info->chid = chid;
				info->msglen = n;
				info->srcmsglen = sizeof(struct _pulse);
			}
			return 0;
		}
		if (req->h.id != QNX_ID_REQUEST || req->h.size < sizeof(*req) ||
		    MAILBOX_MSGH_REMOTE(req->h.bits) !=
		    MAILBOX_MSG_TYPE_PORT_SEND_ONCE ||
		    req->h.remote_port == MAILBOX_PORT_DEAD ||
		    req->len > req->h.size - sizeof(*req)) {
			/* A notification or a foreign message. */
			discard(t->fd, &req->h);
			continue;
		}
		tr = (struct mailbox_msg_trailer *)(t->buf + req->h.size);
		n = scatter(riov, rparts, (unsigned char *)(req + 1), req->len);
		if (info) {
			memset(info, 0, sizeof(*info));
			info->nd = ND_LOCAL_NODE;
			info->pid = tr->sender_pid;
			info->uid = tr->sender_uid;
			info->chid = chid;
			info->msglen = n;
			info->srcmsglen = req->len;
			info->dstmsglen = req->dstlen;
		}
		return (int)req->h.remote_port;
	}
}

int MsgReceive(int chid, void *msg, size_t bytes, struct _msg_info *info)
{
	iov_t r = { .iov_base = msg, .iov_len = bytes };

	return MsgReceivev(chid, &r, 1, info);
}

/* Send a reply through @rcvid; the right is used up on success. */
static int reply(int rcvid, int32_t id, int64_t status, const iov_t *iov,
		 int parts)
{
	struct mailbox_msg m = { 0 };
	struct qnx_thread *t;
	struct qnx_rep *rep;
	size_t max, bytes;
	int err;

	err = iov_total(iov, parts, &bytes);
	if (err)
		return fail(err);
	max = mailbox_qnx_max_msg();
	if (!max)
		return -1;
	if (bytes > max)
		return fail(EMSGSIZE);
	t = thread_state(sizeof(*rep) + round4(bytes));
	if (!t)
		return -1;
	rep = (struct qnx_rep *)t->buf;
	memset(rep, 0, sizeof(*rep));
	rep->h.bits = MAILBOX_MSGH_BITS(MAILBOX_MSG_TYPE_MOVE_SEND_ONCE, 0);
	rep->h.remote_port = (uint32_t)rcvid;
	rep->h.id = id;
	rep->status = status;
	rep->len = bytes;
	gather((unsigned char *)(rep + 1), iov, parts);
	memset((unsigned char *)(rep + 1) + bytes, 0, round4(bytes) - bytes);
	m.send_msg = (uintptr_t)t->buf;
	m.options = MAILBOX_MSG_SEND;
	m.send_size = sizeof(*rep) + round4(bytes);
	err = xioctl(t->fd, MAILBOX_IOC_MSG, &m);
	if (!err)
		return 0;
	if (m.status == MAILBOX_SEND_INVALID_DEST) {
		if (err == EPIPE) {
			/* The client died: its rcvid is a dead name now. */
			struct mailbox_port_name_op op = { .name = (uint32_t)rcvid };

			xioctl(t->fd, MAILBOX_IOC_PORT_DEALLOCATE, &op);
		}
		return fail(ESRCH);
	}
	return fail(err);
}

int MsgReplyv(int rcvid, long status, const iov_t *riov, int rparts)
{
	return reply(rcvid, QNX_ID_REPLY, status, riov, rparts);
}

int MsgReply(int rcvid, long status, const void *msg, size_t bytes)
{
	iov_t r = { .iov_base = (void *)msg, .iov_len = bytes };

	return reply(rcvid, QNX_ID_REPLY, status, &r, 1);
}

int MsgError(int rcvid, int error)
{
	if (error == EOK)
		return reply(rcvid, QNX_ID_REPLY, 0, NULL, 0);
	return reply(rcvid, QNX_ID_ERROR, error, NULL, 0);
}

static int service(struct mailbox_service *s, const char *name)
{
	size_t n;

	if (!name)
		return fail(EINVAL);
	n = strlen(name);
	if (n == 0 || n >= MAILBOX_SERVICE_NAME_MAX)
		return fail(EINVAL);
	memset(s, 0, sizeof(*s));
	memcpy(s->service, name, n);
	return 0;
}

name_attach_t *name_attach(void *dpp, const char *path, unsigned flags)
{
	struct mailbox_service s;
	name_attach_t *na;
	int fd, chid, err;

	if (dpp || flags) {
		errno = EINVAL;
		return NULL;
	}
	if (service(&s, path))
		return NULL;
	fd = space();
	if (fd < 0)
		return NULL;
	na = calloc(1, sizeof(*na));
	if (!na)
		return NULL;
	chid = ChannelCreate(0);
	if (chid == -1) {
		free(na);
		return NULL;
	}
	s.name = (uint32_t)chid;
	err = xioctl(fd, MAILBOX_IOC_REGISTER, &s);
	if (err) {
		ChannelDestroy(chid);
		free(na);
		errno = err;
		return NULL;
	}
	na->chid = chid;
	return na;
}

int name_detach(name_attach_t *attach, unsigned flags)
{
	if (!attach || flags)
		return fail(EINVAL);
	/* Destroying the port unregisters it (a dead service goes). */
	if (ChannelDestroy(attach->chid))
		return -1;
	free(attach);
	return 0;
}

int name_open(const char *name, int flags)
{
	struct mailbox_service s;
	int fd, err;

	if (flags)
		return fail(EINVAL);
	if (service(&s, name))
		return -1;
	fd = space();
	if (fd < 0)
		return -1;
	err = xioctl(fd, MAILBOX_IOC_LOOKUP, &s);
	if (err)
		return fail(err);
	return (int)s.name;
}

int name_close(int coid)
{
	return ConnectDetach(coid);
}
