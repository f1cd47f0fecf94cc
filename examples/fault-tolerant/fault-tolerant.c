// SPDX-License-Identifier: GPL-2.0
/*
 * A client that survives its server's death. The client keeps up to WINDOW
 * requests in flight, each replied to through a send-once right to its
 * reply port. It arms a dead-name notification on its send right to the
 * server, and waits on a port set holding the reply port and the
 * notification port. When the server dies the notification arrives; the
 * client drops the dead name, looks the service up again until a restarted
 * server has checked in, re-arms the notification and replays every request
 * not answered yet, in order. Requests whose send-once rights died with the
 * server's queue come back as send-once notifications on the reply port and
 * are ignored: the pending list, not the notifications, says what to replay.
 *
 * (WINDOW is the default queue limit, so a full window never blocks.)
 *
 * Usage: fault-tolerant server <generation> <crash-at> (0: never crash)
 *        fault-tolerant client <requests>
 */
#include <mailbox/mach/mach.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SERVICE		"org.mailbox.example.fault-tolerant"
#define MSG_SQUARE	100
#define MSG_ANSWER	200
#define MSG_QUIT	300
#define WINDOW		5
#define MAX_REQUESTS	64

typedef struct {
	mach_msg_header_t header;
	int seq;
	int value;
} msg_t;

typedef union {
	mach_msg_header_t header;
	msg_t msg;
	mach_dead_name_notification_t dead;
} rcv_t;

static void die(const char *what, kern_return_t kr)
{
	fprintf(stderr, "%s: %s (0x%x)\n", what, mach_error_string(kr), kr);
	exit(1);
}

static int server(int generation, int crash_at)
{
	mach_port_t port;
	kern_return_t kr;
	int handled = 0;

	printf("server[%d]: starting\n", generation);
	kr = bootstrap_check_in(bootstrap_port, SERVICE, &port);
	if (kr != KERN_SUCCESS)
		die("check-in", kr);
	for (;;) {
		msg_t m;

		kr = mach_msg(&m.header, MACH_RCV_MSG, 0, sizeof(m), port,
			      MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
		if (kr != MACH_MSG_SUCCESS)
			die("receive", kr);
		if (m.header.msgh_id == MSG_QUIT)
			break;
		if (++handled == crash_at) {
			printf("server[%d]: crashing while handling request %d\n", generation,
			       m.seq);
			_exit(3);	/* the kernel destroys the port and its queue */
		}
		m.value *= m.value;
		m.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
		m.header.msgh_local_port = MACH_PORT_NULL;
		m.header.msgh_id = MSG_ANSWER;
		kr = mach_msg(&m.header, MACH_SEND_MSG, sizeof(m), 0, MACH_PORT_NULL,
			      MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
		if (kr != MACH_MSG_SUCCESS)
			die("reply", kr);
	}
	printf("server[%d]: stopped after %d requests\n", generation, handled);
	mach_port_mod_refs(mach_task_self(), port, MACH_PORT_RIGHT_RECEIVE, -1);
	return 0;
}

struct client {
	mach_port_t server;	/* send right, or MACH_PORT_NULL while down */
	mach_port_t reply;	/* receive right: answers */
	mach_port_t notify;	/* receive right: dead-name notifications */
	mach_port_t set;	/* both of the above */
	int total;
	int next;		/* next request never sent */
	int answered[MAX_REQUESTS + 1];
	int sent[MAX_REQUESTS + 1];	/* sent to the current server */
};

static void connect_server(struct client *c)
{
	mach_port_t previous;
	kern_return_t kr = BOOTSTRAP_UNKNOWN_SERVICE;

	for (int i = 0; i < 200 && kr == BOOTSTRAP_UNKNOWN_SERVICE; i++) {
		kr = bootstrap_look_up(bootstrap_port, SERVICE, &c->server);
		if (kr == BOOTSTRAP_UNKNOWN_SERVICE)
			usleep(25000);
	}
	if (kr != KERN_SUCCESS)
		die("look-up", kr);
	kr = mach_port_request_notification(mach_task_self(), c->server,
					    MACH_NOTIFY_DEAD_NAME, 1, c->notify,
					    MACH_MSG_TYPE_MAKE_SEND_ONCE, &previous);
	if (kr != KERN_SUCCESS)
		die("dead-name request", kr);
}

/* Sends request @seq; 0 if the server is gone (it stays unsent). */
static int send_request(struct client *c, int seq)
{
	msg_t m = { .header = {
		.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE),
		.msgh_remote_port = c->server,
		.msgh_local_port = c->reply,
		.msgh_id = MSG_SQUARE,
	}, .seq = seq, .value = seq };
	kern_return_t kr;

	kr = mach_msg(&m.header, MACH_SEND_MSG, sizeof(m), 0, MACH_PORT_NULL,
		      MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
	if (kr == MACH_SEND_INVALID_DEST)
		return 0;	/* died; the notification is on its way */
	if (kr != MACH_MSG_SUCCESS)
		die("send", kr);
	c->sent[seq] = 1;
	return 1;
}

static int in_flight(const struct client *c)
{
	int n = 0;

	for (int s = 1; s < c->next; s++)
		n += c->sent[s] && !c->answered[s];
	return n;
}

static void fill_window(struct client *c)
{
	while (c->next <= c->total && in_flight(c) < WINDOW) {
		if (!send_request(c, c->next))
			return;
		c->next++;
	}
}

static void take_answer(struct client *c, const msg_t *m, int *done)
{
	int s = m->seq;

	if (m->header.msgh_id != MSG_ANSWER || s < 1 || s > c->total || c->answered[s])
		return;	/* e.g. MACH_NOTIFY_SEND_ONCE: a request lost with the
			 * dead server's queue; the replay covers it */
	c->answered[s] = 1;
	(*done)++;
	printf("client: request %d answered: %d^2 = %d\n", s, s, m->value);
}

static void reconnect(struct client *c, int *done)
{
	mach_port_urefs_t refs = 0;
	int replay = 0;
	rcv_t r;

	/* Answers the server sent before it died are still queued: take them
	 * first (the port set may hand out the notification before them). */
	while (mach_msg(&r.header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(r), c->reply,
			0, MACH_PORT_NULL) == MACH_MSG_SUCCESS)
		take_answer(c, &r.msg, done);

	/* The dead name: its own reference plus the notification's. */
	mach_port_get_refs(mach_task_self(), c->server, MACH_PORT_RIGHT_DEAD_NAME, &refs);
	mach_port_mod_refs(mach_task_self(), c->server, MACH_PORT_RIGHT_DEAD_NAME,
			   -(mach_port_delta_t)refs);
	c->server = MACH_PORT_NULL;
	for (int s = 1; s < c->next; s++) {
		c->sent[s] = 0;
		replay += !c->answered[s];
	}
	printf("client: server died (dead-name notification), reconnecting\n");
	connect_server(c);
	printf("client: reconnected to the restarted server\n");
	fprintf(stderr, "client: replaying %d unanswered requests\n", replay);
	/* Replay in order: everything before next that has no answer. */
	for (int s = 1; s < c->next; s++)
		if (!c->answered[s] && !send_request(c, s))
			return;
}

static int client(int total)
{
	struct client c = { .total = total, .next = 1 };
	int done = 0;
	kern_return_t kr;

	if (total < 1 || total > MAX_REQUESTS)
		return 2;
	if ((kr = mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &c.reply)) ||
	    (kr = mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &c.notify)) ||
	    (kr = mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_PORT_SET, &c.set)) ||
	    (kr = mach_port_move_member(mach_task_self(), c.reply, c.set)) ||
	    (kr = mach_port_move_member(mach_task_self(), c.notify, c.set)))
		die("setup", kr);
	connect_server(&c);
	fill_window(&c);

	while (done < total) {
		rcv_t r;

		kr = mach_msg(&r.header, MACH_RCV_MSG, 0, sizeof(r), c.set,
			      MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
		if (kr != MACH_MSG_SUCCESS)
			die("receive", kr);
		if (r.header.msgh_local_port == c.notify &&
		    r.header.msgh_id == MACH_NOTIFY_DEAD_NAME) {
			reconnect(&c, &done);
		} else if (r.header.msgh_local_port == c.reply) {
			take_answer(&c, &r.msg, &done);
		}
		if (c.server != MACH_PORT_NULL)
			fill_window(&c);
	}

	int lost = 0;
	for (int s = 1; s <= total; s++)
		lost += !c.answered[s];
	printf("client: %d of %d requests answered, %d lost\n", done, total, lost);

	msg_t quit = { .header = {
		.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0),
		.msgh_remote_port = c.server,
		.msgh_id = MSG_QUIT,
	} };
	kr = mach_msg(&quit.header, MACH_SEND_MSG, sizeof(quit), 0, MACH_PORT_NULL,
		      MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
	if (kr != MACH_MSG_SUCCESS)
		die("quit", kr);
	return lost ? 1 : 0;
}

int main(int argc, char *argv[])
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && strcmp(argv[1], "server") == 0)
		return server(atoi(argv[2]), atoi(argv[3]));
	if (argc == 3 && strcmp(argv[1], "client") == 0)
		return client(atoi(argv[2]));
	fprintf(stderr, "usage: %s server <generation> <crash-at> | client <requests>\n",
		argv[0]);
	return 2;
}
