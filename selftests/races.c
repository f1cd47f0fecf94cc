// SPDX-License-Identifier: GPL-2.0
/*
 * Threads racing on the same spaces and ports: inserts between two spaces
 * in both directions (lock order), senders and a receiver against a port
 * being destroyed, a space closed while another thread inserts into it,
 * and a dead-name request racing with the death of its port. Each thread
 * counts its results; only documented outcomes may occur.
 */
#include "mailbox_test.h"

#include "kselftest_harness.h"

FIXTURE(mailbox) {
	int fd;
	int fd2;
};

FIXTURE_SETUP(mailbox)
{
	self->fd = mb_open();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MB_DEVICE, strerror(errno));
	self->fd2 = mb_open();
	ASSERT_LE(0, self->fd2);
}

FIXTURE_TEARDOWN(mailbox)
{
	if (self->fd2 >= 0)
		close(self->fd2);
	if (self->fd >= 0)
		close(self->fd);
}

#define ROUNDS 3000

struct racer {
	pthread_t thread;
	int from, to;		/* spaces */
	__u32 name;		/* a name in @from */
	atomic_int *stop;
	int ok, other, last_err;
	int epipe, eagain, ebadf, enoent;
};

/* Insert a send right from @from into @to and release it there. */
static void *insert_loop(void *arg)
{
	struct racer *r = arg;
	__u32 n;
	int i, err;

	for (i = 0; i < ROUNDS; i++) {
		n = MAILBOX_PORT_NULL;
		err = mb_insert(r->from, r->to, &n, r->name, MAILBOX_MSG_TYPE_MAKE_SEND);
		if (!err)
			err = mb_deallocate(r->to, n);
		if (err) {
			r->other++;
			r->last_err = err;
		} else {
			r->ok++;
		}
	}
	return NULL;
}

TEST_F_TIMEOUT(mailbox, inserting_between_two_spaces_in_both_directions_does_not_deadlock, 180)
{
	struct racer a = { 0 }, b = { 0 };
	__u32 pa, pb;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &pa));
	ASSERT_EQ(0, mb_alloc_receive(self->fd2, &pb));
	a.from = self->fd;
	a.to = self->fd2;
	a.name = pa;
	b.from = self->fd2;
	b.to = self->fd;
	b.name = pb;
	ASSERT_EQ(0, pthread_create(&a.thread, NULL, insert_loop, &a));
	ASSERT_EQ(0, pthread_create(&b.thread, NULL, insert_loop, &b));
	ASSERT_EQ(0, pthread_join(a.thread, NULL));
	ASSERT_EQ(0, pthread_join(b.thread, NULL));
	EXPECT_EQ(ROUNDS, a.ok) TH_LOG("last error %d", a.last_err);
	EXPECT_EQ(ROUNDS, b.ok) TH_LOG("last error %d", b.last_err);
	EXPECT_EQ(0, mb_has_senders(self->fd, pa));
	EXPECT_EQ(0, mb_has_senders(self->fd2, pb));
}

static void *send_until_dead(void *arg)
{
	struct racer *r = arg;
	__u32 status;
	int err;

	for (;;) {
		err = mb_send_hdr(r->from, r->name, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1, &status);
		if (!err && status == MAILBOX_MSG_SUCCESS) {
			r->ok++;
			continue;
		}
		if (err == EAGAIN && status == MAILBOX_SEND_TIMED_OUT) {
			r->eagain++;
			sched_yield();
			continue;
		}
		if (err == EPIPE && status == MAILBOX_SEND_INVALID_DEST) {
			r->epipe++;
		} else {
			r->other++;
			r->last_err = err;
		}
		break;
	}
	return NULL;
}

static void *receive_until_dead(void *arg)
{
	struct racer *r = arg;
	struct mailbox_msg_header h;
	__u32 size, status;
	int err;

	for (;;) {
		size = sizeof(h);
		err = mb_recv(r->from, r->name, &h, &size, 0, 0, &status);
		if (!err && status == MAILBOX_MSG_SUCCESS) {
			r->ok++;
			continue;
		}
		if (err == EPIPE && status == MAILBOX_RCV_PORT_DIED) {
			r->epipe++;
		} else if (err == ENOENT && status == MAILBOX_RCV_INVALID_NAME) {
			/* The name was gone before the call looked it up. */
			r->enoent++;
		} else {
			r->other++;
			r->last_err = err;
		}
		break;
	}
	return NULL;
}

TEST_F(mailbox, senders_and_a_receiver_racing_with_port_destruction)
{
	struct racer s[4] = { 0 }, rcv = { 0 };
	__u32 port, name;
	int i, total = 0;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	ASSERT_EQ(0, mb_set_qlimit(self->fd, port, 8));
	ASSERT_EQ(0, mb_give_send(self->fd, self->fd2, port, &name));
	for (i = 0; i < 4; i++) {
		s[i].from = self->fd2;
		s[i].name = name;
		ASSERT_EQ(0, pthread_create(&s[i].thread, NULL, send_until_dead, &s[i]));
	}
	rcv.from = self->fd;
	rcv.name = port;
	ASSERT_EQ(0, pthread_create(&rcv.thread, NULL, receive_until_dead, &rcv));
	usleep(200 * 1000);
	ASSERT_EQ(0, mb_destroy(self->fd, port));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, pthread_join(s[i].thread, NULL));
		EXPECT_EQ(0, s[i].other) TH_LOG("sender %d: errno %d", i, s[i].last_err);
		EXPECT_EQ(1, s[i].epipe);
		total += s[i].ok;
	}
	ASSERT_EQ(0, pthread_join(rcv.thread, NULL));
	EXPECT_EQ(0, rcv.other) TH_LOG("receiver: errno %d", rcv.last_err);
	EXPECT_EQ(1, rcv.epipe + rcv.enoent);
	/* Each received message was sent; the rest died with the port. */
	EXPECT_LE(rcv.ok, total);
	EXPECT_EQ(MAILBOX_PORT_TYPE_DEAD_NAME, mb_type_bits(self->fd2, name));
}

static void *insert_until_error(void *arg)
{
	struct racer *r = arg;
	__u32 n;
	int err;

	for (;;) {
		n = MAILBOX_PORT_NULL;
		err = mb_insert(r->from, r->to, &n, r->name, MAILBOX_MSG_TYPE_MAKE_SEND);
		if (err) {
			r->last_err = err;
			break;
		}
		__atomic_add_fetch(&r->ok, 1, __ATOMIC_SEQ_CST);
		if (atomic_load(r->stop))
			break;
	}
	return NULL;
}

TEST_F(mailbox, closing_a_space_while_another_thread_inserts_into_it)
{
	struct racer r = { 0 };
	atomic_int stop = 0;
	__u32 port;
	int fd3, i;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &port));
	fd3 = mb_open();
	ASSERT_LE(0, fd3);
	r.from = self->fd;
	r.to = fd3;
	r.name = port;
	r.stop = &stop;
	ASSERT_EQ(0, pthread_create(&r.thread, NULL, insert_until_error, &r));
	/* Close once the thread is inserting. */
	for (i = 0; i < 1000 && !__atomic_load_n(&r.ok, __ATOMIC_SEQ_CST); i++)
		usleep(10 * 1000);
	usleep(10 * 1000);
	ASSERT_EQ(0, close(fd3));
	usleep(50 * 1000);
	atomic_store(&stop, 1);
	ASSERT_EQ(0, pthread_join(r.thread, NULL));
	/* Either it saw the closed fd, or it stopped before. */
	EXPECT_TRUE(r.last_err == EBADF || r.last_err == 0) TH_LOG("errno %d", r.last_err);
	EXPECT_LT(0, r.ok);
	/* The space went away with its last fd: no sender is left. */
	EXPECT_EQ(0, mb_has_senders(self->fd, port));
}

static void *alloc_destroy_loop(void *arg)
{
	struct racer *r = arg;
	__u32 n;
	int i, err;

	for (i = 0; i < ROUNDS; i++) {
		err = mb_alloc_receive(r->from, &n);
		if (!err)
			err = mb_make_send(r->from, n);
		if (!err)
			err = mb_send_hdr(r->from, n, MAILBOX_MSG_TYPE_COPY_SEND, n,
					  MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, i, NULL);
		if (!err)
			err = mb_destroy(r->from, n);
		if (err) {
			r->other++;
			r->last_err = err;
		} else {
			r->ok++;
		}
	}
	return NULL;
}

TEST_F_TIMEOUT(mailbox, threads_allocating_and_destroying_in_one_space, 180)
{
	struct racer r[4] = { 0 };
	struct mailbox_port_names pn = { .count = 0 };
	int i;

	for (i = 0; i < 4; i++) {
		r[i].from = self->fd;
		ASSERT_EQ(0, pthread_create(&r[i].thread, NULL, alloc_destroy_loop, &r[i]));
	}
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, pthread_join(r[i].thread, NULL));
		EXPECT_EQ(ROUNDS, r[i].ok) TH_LOG("thread %d: errno %d", i, r[i].last_err);
	}
	ASSERT_EQ(0, mb_ioctl(self->fd, MAILBOX_IOC_PORT_NAMES, &pn));
	EXPECT_EQ(0, pn.count);
}

/* ---- a dead-name request racing with the port's death ---------------- */

#define DN_ROUNDS 3000

struct killer {
	pthread_t thread;
	int fd;
	__u32 port;		/* set before @go */
	atomic_uint go;		/* the round to destroy @port in */
	atomic_uint done;	/* the last round done */
	int errors;
};

static void *destroy_on_go(void *arg)
{
	struct killer *k = arg;
	unsigned int i;

	for (i = 1; i <= DN_ROUNDS; i++) {
		while (atomic_load(&k->go) != i)
			;
		if (mb_destroy(k->fd, k->port))
			k->errors++;
		atomic_store(&k->done, i);
	}
	return NULL;
}

/*
 * Regression: a request made while the port died between the lookup of
 * the name and the linking of the request was linked on the dead port and
 * never fired (the notification lost, the port freed with the request on
 * it: WARNING in mbx_port_put, then a use after free). Whichever way the
 * race goes, a sync dead-name request answers exactly once.
 */
TEST_F_TIMEOUT(mailbox, dead_name_request_racing_port_death_fires_exactly_once, 300)
{
	struct killer k = { .fd = self->fd };
	int lost = 0, extra = 0, early = 0;
	__u32 notify, name;
	unsigned int i;

	ASSERT_EQ(0, mb_alloc_receive(self->fd2, &notify));
	ASSERT_EQ(0, mb_set_qlimit(self->fd2, notify, 4));
	ASSERT_EQ(0, pthread_create(&k.thread, NULL, destroy_on_go, &k));
	for (i = 1; i <= DN_ROUNDS; i++) {
		struct mailbox_port_request_notification r = {
			.variant = MAILBOX_NOTIFY_DEAD_NAME, .sync = 1,
			.notify = notify,
			.disposition = MAILBOX_MSG_TYPE_MAKE_SEND_ONCE,
		};
		struct mailbox_port_type t;
		volatile unsigned int spin;
		long queued;

		ASSERT_EQ(0, mb_alloc_receive(self->fd, &k.port));
		ASSERT_EQ(0, mb_give_send(self->fd, self->fd2, k.port, &name));
		r.name = name;
		atomic_store(&k.go, i);
		/* Land the request at a different moment of the death. */
		for (spin = 0; spin < (i * 37) % 400; spin++)
			;
		ASSERT_EQ(0, mb_ioctl(self->fd2, MAILBOX_IOC_PORT_REQUEST_NOTIFICATION, &r))
			TH_LOG("round %u", i);
		while (atomic_load(&k.done) != i)
			;
		queued = mb_msgcount(self->fd2, notify);
		if (queued == 0)
			lost++;
		if (queued > 1)
			extra++;
		while (mb_msgcount(self->fd2, notify) > 0) {
			__s32 id;

			ASSERT_EQ(0, mb_recv_id(self->fd2, notify, &id));
			EXPECT_EQ(MAILBOX_NOTIFY_DEAD_NAME, id);
		}
		/* Dead now: its urefs (the send right's, the notification's). */
		ASSERT_EQ(0, mb_type(self->fd2, name, &t));
		ASSERT_EQ(MAILBOX_PORT_TYPE_DEAD_NAME, t.type);
		if (t.dead_urefs < 2)
			early++;
		ASSERT_EQ(0, mb_mod_refs(self->fd2, name, MAILBOX_RIGHT_DEAD_NAME,
					 -(__s32)t.dead_urefs));
	}
	ASSERT_EQ(0, pthread_join(k.thread, NULL));
	EXPECT_EQ(0, k.errors);
	EXPECT_EQ(0, lost) TH_LOG("%d of %d notifications lost", lost, DN_ROUNDS);
	EXPECT_EQ(0, extra);
	EXPECT_EQ(0, early);
}

TEST_HARNESS_MAIN
