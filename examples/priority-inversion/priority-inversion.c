// SPDX-License-Identifier: GPL-2.0
/*
 * Priority inversion, and priority inheritance curing it, over the QNX-style
 * API (mailbox/qnx.h).
 *
 * Everything runs on CPU 0. A low-priority server (SCHED_FIFO 10) serves a
 * high-priority client (SCHED_FIFO 50). While handling the request the
 * server wakes a medium-priority CPU hog (SCHED_FIFO 30) that does a fixed
 * amount of work. The client notes whether the hog had finished when its
 * reply arrived:
 *
 *  - with inheritance (ChannelCreate(0)) the server runs the request at the
 *    client's priority 50, above the hog: the reply comes first;
 *  - without (ChannelCreate(_NTO_CHF_FIXED_PRIORITY)) the server stays at
 *    10, the hog preempts it and runs to the end before the server can
 *    reply: the high-priority client waited for the medium-priority hog.
 *
 * On one CPU under SCHED_FIFO the order is fixed, so the output is too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mailbox/qnx.h>

#define PRIO_SERVER	10
#define PRIO_HOG	30
#define PRIO_CLIENT	50
#define HOG_WORK	2000000UL	/* loop iterations: a few ms, fixed */

enum { REQ_WORK = 1, REQ_QUIT = 2 };

struct run {
	int chid;
	sem_t hog_go;
	atomic_int server_ready, hog_ready, hog_done;
	int server_prio_seen;	/* the server's priority while handling */
	int hog_done_at_reply;	/* what the client saw */
	long client_status;
};

static void die(const char *what, int err)
{
	fprintf(stderr, "priority-inversion: %s: %s\n", what, strerror(err));
	exit(1);
}

static void *server(void *arg)
{
	struct run *r = arg;
	struct sched_param sp;
	int policy, rcvid, req;

	atomic_store(&r->server_ready, 1);
	for (;;) {
		rcvid = MsgReceive(r->chid, &req, sizeof(req), NULL);
		if (rcvid == -1)
			die("MsgReceive", errno);
		if (req == REQ_QUIT) {
			MsgReply(rcvid, 0, NULL, 0);
			return NULL;
		}
		/*
		 * Not pthread_getschedparam(), which answers from glibc's
		 * cache: ask the kernel.
		 */
		policy = sched_getscheduler(0);
		sched_getparam(0, &sp);
		r->server_prio_seen = policy == -1 ? -1 : sp.sched_priority;
		/* Handling the request: the hog gets going meanwhile. */
		sem_post(&r->hog_go);
		if (MsgReply(rcvid, 42, NULL, 0) == -1)
			die("MsgReply", errno);
	}
}

static void *hog(void *arg)
{
	struct run *r = arg;
	volatile unsigned long sink = 0;
	unsigned long i;

	atomic_store(&r->hog_ready, 1);
	while (sem_wait(&r->hog_go) == -1 && errno == EINTR)
		;
	for (i = 0; i < HOG_WORK; i++)
		sink += i;
	atomic_store(&r->hog_done, 1);
	return NULL;
}

static void *client(void *arg)
{
	struct run *r = arg;
	int coid = ConnectAttach(ND_LOCAL_NODE, 0, r->chid, 0, 0);
	int req = REQ_WORK;

	if (coid == -1)
		die("ConnectAttach", errno);
	r->client_status = MsgSend(coid, &req, sizeof(req), NULL, 0);
	r->hog_done_at_reply = atomic_load(&r->hog_done);
	if (r->client_status == -1)
		die("MsgSend", errno);
	req = REQ_QUIT;
	MsgSend(coid, &req, sizeof(req), NULL, 0);
	ConnectDetach(coid);
	return NULL;
}

static pthread_t start(void *(*fn)(void *), struct run *r, int prio)
{
	struct sched_param sp = { .sched_priority = prio };
	pthread_attr_t a;
	pthread_t t;
	int err;

	pthread_attr_init(&a);
	pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&a, SCHED_FIFO);
	pthread_attr_setschedparam(&a, &sp);
	err = pthread_create(&t, &a, fn, r);
	if (err)
		die("pthread_create (SCHED_FIFO needs CAP_SYS_NICE)", err);
	pthread_attr_destroy(&a);
	return t;
}

static void scenario(int inherit)
{
	struct run r;
	pthread_t s, h, c;

	memset(&r, 0, sizeof(r));
	sem_init(&r.hog_go, 0, 0);
	r.chid = ChannelCreate(inherit ? 0 : _NTO_CHF_FIXED_PRIORITY);
	if (r.chid == -1)
		die("ChannelCreate", errno);
	/* Each RT thread runs (we are SCHED_OTHER) until it blocks. */
	s = start(server, &r, PRIO_SERVER);
	h = start(hog, &r, PRIO_HOG);
	while (!atomic_load(&r.server_ready) || !atomic_load(&r.hog_ready))
		sched_yield();
	c = start(client, &r, PRIO_CLIENT);
	pthread_join(c, NULL);
	pthread_join(h, NULL);
	pthread_join(s, NULL);
	ChannelDestroy(r.chid);
	sem_destroy(&r.hog_go);

	printf("%s: server handled the request at SCHED_FIFO %d, reply %ld\n",
	       inherit ? "with inheritance" : "without",
	       r.server_prio_seen, r.client_status);
	printf("%s: reply %s hog finished\n",
	       inherit ? "with inheritance" : "without",
	       r.hog_done_at_reply ? "after" : "before");
}

int main(void)
{
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(0, &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		die("sched_setaffinity", errno);
	printf("server SCHED_FIFO %d, hog SCHED_FIFO %d, client SCHED_FIFO %d, all on CPU 0\n",
	       PRIO_SERVER, PRIO_HOG, PRIO_CLIENT);
	scenario(1);
	scenario(0);
	return 0;
}
