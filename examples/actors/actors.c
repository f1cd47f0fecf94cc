// SPDX-License-Identifier: GPL-2.0
/*
 * A mini actor system (the guide's "Actor System" exercise): actors are
 * processes, each owning one mailbox (a receive right); a router forwards
 * messages by actor name; a supervisor restarts crashed actors, Erlang
 * one_for_one style, with a restart limit.
 *
 * The supervisor creates every child's mailbox itself and keeps a send right
 * to it. Before it hands a child its receive right (MOVE_RECEIVE, in the
 * reply to the child's "hello"), it arms a PORT_DESTROYED notification on
 * it. When the child dies, for whatever reason, its space is closed and the
 * receive right, instead of dying, comes back to the supervisor in that
 * notification, with its queue intact. So:
 *  - the supervisor learns of every child exit from its mailbox (and then
 *    reaps the process to see why it ended);
 *  - messages queued for a crashed actor, or sent to it while it is down,
 *    wait in the mailbox and are delivered to the restarted actor; every
 *    send right to the mailbox (the router's) stays valid across restarts;
 *  - only the message the actor was handling when it crashed is lost, and
 *    its sender is told: the reply's send-once right died unused, so a
 *    MACH_NOTIFY_SEND_ONCE arrives on the sender's reply port.
 *
 * Restart limit: at most MAX_RESTARTS restarts of one child within
 * WINDOW_S seconds. One crash more and the supervisor gives up on that
 * child: it destroys the mailbox, the messages queued in it are destroyed
 * (their senders get send-once notifications), and the router, which holds
 * a dead-name request on each route, drops the route. (In Erlang the
 * supervisor itself would then exit and let its own supervisor decide;
 * this one has none, so it removes the child and carries on.)
 *
 * The router gets its routing table from the supervisor as port
 * descriptors (COPY_SEND of each actor's mailbox) in the same "hello"
 * reply. Clients find the router and the supervisor in the registry.
 *
 * Usage: actors supervisor | actors client
 */
#include <mailbox/mach/mach.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SVC_SUPERVISOR	"org.mailbox.example.actors.supervisor"
#define SVC_ROUTER	"org.mailbox.example.actors.router"

#define MAX_RESTARTS	2	/* per child ... */
#define WINDOW_S	60	/* ... within this many seconds */
#define WAIT_MS		30000	/* safety net: no step takes this long */

#define MSG_HELLO	1	/* child -> supervisor: my mailbox, please */
#define MSG_SHUTDOWN	2	/* client -> supervisor */
#define MSG_STOP	3	/* supervisor -> child */
#define MSG_ROUTE	4	/* client -> router: forward to .actor */
#define MSG_LIST	5	/* client -> router: which routes? */
#define MSG_WORK	6	/* router -> actor */
#define MSG_REPLY	7	/* actor or router -> client */

#define ST_OK		0
#define ST_NO_ACTOR	1	/* the router has no such route */
#define ST_DEAD_DEST	2	/* the route's mailbox died under the router */

#define NAME_LEN	16
#define NR_CHILDREN	3	/* router, greeter, counter */
#define NR_ACTORS	(NR_CHILDREN - 1)

typedef struct {
	mach_msg_header_t header;
	char actor[NAME_LEN];	/* MSG_ROUTE: destination; MSG_HELLO: who */
	char op[NAME_LEN];
	char arg[32];
	int status;		/* MSG_REPLY: ST_* */
	char text[96];		/* MSG_REPLY */
} msg_t;

/* Supervisor -> child: the mailbox, and for the router the routes. */
typedef struct {
	mach_msg_header_t header;
	mach_msg_body_t body;
	mach_msg_port_descriptor_t mailbox;
	mach_msg_port_descriptor_t route[NR_ACTORS];
	char route_name[NR_ACTORS][NAME_LEN];
	int incarnation;
} hello_reply_t;

typedef union {
	mach_msg_header_t header;
	msg_t msg;
	hello_reply_t hello;
	mach_port_destroyed_notification_t destroyed;
	mach_dead_name_notification_t dead;
	mach_send_once_notification_t send_once;
} rcv_t;

static void die(const char *who, const char *what, kern_return_t kr)
{
	fprintf(stderr, "%s: %s: %s (0x%x)\n", who, what, mach_error_string(kr), kr);
	exit(1);
}

static kern_return_t send_msg(msg_t *m, mach_port_t dest, mach_msg_bits_t dest_type,
			      mach_port_t reply, mach_msg_bits_t reply_type, int id)
{
	m->header.msgh_bits = MACH_MSGH_BITS(dest_type, reply_type);
	m->header.msgh_size = sizeof(*m);
	m->header.msgh_remote_port = dest;
	m->header.msgh_local_port = reply;
	m->header.msgh_voucher_port = MACH_PORT_NULL;
	m->header.msgh_id = id;
	return mach_msg(&m->header, MACH_SEND_MSG, sizeof(*m), 0, MACH_PORT_NULL,
			MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
}

/* Answers through the send-once right @reply (a received msgh_remote_port). */
static void reply_to(const char *who, mach_port_t reply, int status, const char *text)
{
	msg_t m = { .status = status };
	kern_return_t kr;

	snprintf(m.text, sizeof(m.text), "%s", text);
	kr = send_msg(&m, reply, MACH_MSG_TYPE_MOVE_SEND_ONCE, MACH_PORT_NULL, 0, MSG_REPLY);
	if (kr != MACH_MSG_SUCCESS)
		die(who, "reply", kr);
}

static kern_return_t receive(mach_port_t port, rcv_t *r)
{
	return mach_msg(&r->header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(*r), port,
			WAIT_MS, MACH_PORT_NULL);
}

static mach_port_t new_port(const char *who)
{
	mach_port_t port;
	kern_return_t kr;

	kr = mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &port);
	if (kr != KERN_SUCCESS)
		die(who, "allocate", kr);
	return port;
}

static void destroy_port(mach_port_t port)
{
	mach_port_mod_refs(mach_task_self(), port, MACH_PORT_RIGHT_RECEIVE, -1);
}

/* Releases every user reference of dead name @name. */
static void release_dead_name(mach_port_t name)
{
	mach_port_urefs_t refs = 0;

	mach_port_get_refs(mach_task_self(), name, MACH_PORT_RIGHT_DEAD_NAME, &refs);
	mach_port_mod_refs(mach_task_self(), name, MACH_PORT_RIGHT_DEAD_NAME,
			   -(mach_port_delta_t)refs);
}

static mach_port_t look_up(const char *who, const char *svc)
{
	kern_return_t kr = BOOTSTRAP_UNKNOWN_SERVICE;
	mach_port_t port;

	for (int i = 0; i < WAIT_MS / 10 && kr == BOOTSTRAP_UNKNOWN_SERVICE; i++) {
		kr = bootstrap_look_up(bootstrap_port, svc, &port);
		if (kr == BOOTSTRAP_UNKNOWN_SERVICE)
			usleep(10000);
	}
	if (kr != KERN_SUCCESS)
		die(who, svc, kr);
	return port;
}

/* --- children: the router and the actors -------------------------------- */

/* A new child asks the supervisor for its mailbox (and routes). */
static void hello(const char *who, const char *name, hello_reply_t *out)
{
	mach_port_t sup = look_up(who, SVC_SUPERVISOR), reply = new_port(who);
	msg_t m = { 0 };
	rcv_t r;
	kern_return_t kr;

	snprintf(m.actor, sizeof(m.actor), "%s", name);
	kr = send_msg(&m, sup, MACH_MSG_TYPE_COPY_SEND, reply, MACH_MSG_TYPE_MAKE_SEND_ONCE,
		      MSG_HELLO);
	if (kr == MACH_MSG_SUCCESS)
		kr = receive(reply, &r);
	if (kr != MACH_MSG_SUCCESS)
		die(who, "hello", kr);
	if (!(r.header.msgh_bits & MACH_MSGH_BITS_COMPLEX) ||
	    r.hello.mailbox.disposition != MACH_MSG_TYPE_PORT_RECEIVE) {
		fprintf(stderr, "%s: bad hello reply\n", who);
		exit(1);
	}
	*out = r.hello;
	mach_port_deallocate(mach_task_self(), sup);
	destroy_port(reply);
}

static void router(void)
{
	struct {
		char name[NAME_LEN];
		mach_port_t port;	/* send right, or MACH_PORT_NULL: removed */
	} routes[NR_ACTORS];
	mach_port_t mailbox, previous;
	hello_reply_t h;
	kern_return_t kr;
	char list[96];
	int incarnation;

	hello("router", "router", &h);
	mailbox = h.mailbox.name;
	incarnation = h.incarnation;
	list[0] = 0;
	for (int i = 0; i < NR_ACTORS; i++) {
		memcpy(routes[i].name, h.route_name[i], NAME_LEN);
		routes[i].port = h.route[i].name;
		if (routes[i].port == MACH_PORT_NULL)
			continue;
		/* The notification comes to our own mailbox, in line with the
		 * requests. */
		kr = mach_port_request_notification(mach_task_self(), routes[i].port,
						    MACH_NOTIFY_DEAD_NAME, 1, mailbox,
						    MACH_MSG_TYPE_MAKE_SEND_ONCE, &previous);
		if (kr != KERN_SUCCESS)
			die("router", "dead-name request", kr);
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
			 list[0] ? ", " : "", routes[i].name);
	}
	printf("router#%d: routing to %s\n", incarnation, list);

	for (;;) {
		char text[96];
		int i = 0;
		rcv_t r;

		kr = mach_msg(&r.header, MACH_RCV_MSG, 0, sizeof(r), mailbox,
			      MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
		if (kr != MACH_MSG_SUCCESS)
			die("router", "receive", kr);
		switch (r.header.msgh_id) {
		case MSG_STOP:
			exit(0);	/* closing the space releases everything */
		case MACH_NOTIFY_DEAD_NAME:
			while (i < NR_ACTORS && routes[i].port != r.dead.not_port)
				i++;
			if (i == NR_ACTORS)
				break;
			printf("router#%d: %s's mailbox died (dead-name notification), route removed\n",
			       incarnation, routes[i].name);
			release_dead_name(routes[i].port);
			routes[i].port = MACH_PORT_NULL;
			break;
		case MSG_LIST:
			text[0] = 0;
			for (i = 0; i < NR_ACTORS; i++)
				if (routes[i].port != MACH_PORT_NULL)
					snprintf(text + strlen(text), sizeof(text) - strlen(text),
						 "%s%s", text[0] ? ", " : "", routes[i].name);
			reply_to("router", r.header.msgh_remote_port, ST_OK, text);
			break;
		case MSG_ROUTE:
			while (i < NR_ACTORS && (routes[i].port == MACH_PORT_NULL ||
						 strncmp(routes[i].name, r.msg.actor, NAME_LEN)))
				i++;
			if (i == NR_ACTORS) {
				snprintf(text, sizeof(text), "no actor named %.16s",
					 r.msg.actor);
				reply_to("router", r.header.msgh_remote_port, ST_NO_ACTOR, text);
				break;
			}
			/* Forward, moving the client's reply right along. */
			kr = send_msg(&r.msg, routes[i].port, MACH_MSG_TYPE_COPY_SEND,
				      r.header.msgh_remote_port, MACH_MSG_TYPE_MOVE_SEND_ONCE,
				      MSG_WORK);
			if (kr == MACH_SEND_INVALID_DEST) {
				/* Died before its notification reached us; the
				 * failed send kept the reply right. */
				snprintf(text, sizeof(text), "%s's mailbox is dead",
					 routes[i].name);
				reply_to("router", r.msg.header.msgh_local_port, ST_DEAD_DEST, text);
			} else if (kr != MACH_MSG_SUCCESS) {
				die("router", "forward", kr);
			}
			break;
		default:
			break;	/* e.g. port-deleted */
		}
	}
}

static void actor(const char *name)
{
	struct rlimit no_core = { 0, 0 };
	mach_port_t mailbox;
	hello_reply_t h;
	int incarnation, count = 0;

	setrlimit(RLIMIT_CORE, &no_core);	/* the crash is on purpose */
	hello(name, name, &h);
	mailbox = h.mailbox.name;
	incarnation = h.incarnation;

	for (;;) {
		char text[96];
		kern_return_t kr;
		rcv_t r;

		kr = mach_msg(&r.header, MACH_RCV_MSG, 0, sizeof(r), mailbox,
			      MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
		if (kr != MACH_MSG_SUCCESS)
			die(name, "receive", kr);
		if (r.header.msgh_id == MSG_STOP)
			exit(0);
		if (r.header.msgh_id != MSG_WORK)
			continue;
		if (strcmp(r.msg.op, "poison") == 0) {
			printf("%s#%d: poison message, crashing\n", name, incarnation);
			fflush(stdout);
			abort();
		}
		if (strcmp(name, "greeter") == 0 && strcmp(r.msg.op, "hello") == 0)
			snprintf(text, sizeof(text), "%s#%d: hello, %.32s", name, incarnation,
				 r.msg.arg);
		else if (strcmp(name, "counter") == 0 && strcmp(r.msg.op, "inc") == 0)
			snprintf(text, sizeof(text), "%s#%d: count=%d", name, incarnation,
				 ++count);
		else
			snprintf(text, sizeof(text), "%s#%d: unknown op %.16s", name,
				 incarnation, r.msg.op);
		reply_to(name, r.header.msgh_remote_port, ST_OK, text);
	}
}

/* --- the supervisor ------------------------------------------------------- */

enum state { RUNNING, STOPPING, STOPPED, GAVE_UP };

struct child {
	const char *name;
	mach_port_t mailbox;	/* send right; + receive right while home */
	pid_t pid;
	int incarnation;
	enum state state;
	int restarts;
	time_t crashes[MAX_RESTARTS + 1];	/* the latest ones, newest last */
	int nr_crashes;
};

static struct child children[NR_CHILDREN] = {
	{ .name = "router" }, { .name = "greeter" }, { .name = "counter" },
};

static void start(struct child *c)
{
	c->incarnation++;
	c->state = RUNNING;
	fflush(NULL);
	c->pid = fork();
	if (c->pid < 0) {
		perror("fork");
		exit(1);
	}
	if (c->pid == 0) {
		mailbox_task_reset_after_fork();	/* a space of its own */
		prctl(PR_SET_PDEATHSIG, SIGKILL);	/* linked to the supervisor */
		if (c == &children[0])
			router();
		else
			actor(c->name);
		exit(0);
	}
}

static void handle_hello(mach_port_t ctl, rcv_t *r)
{
	hello_reply_t h = { 0 };
	struct child *c = NULL;
	mach_port_t previous;
	kern_return_t kr;

	for (int i = 0; i < NR_CHILDREN; i++)
		if (strncmp(children[i].name, r->msg.actor, NAME_LEN) == 0)
			c = &children[i];
	if (!c || c->state != RUNNING) {
		mach_port_deallocate(mach_task_self(), r->header.msgh_remote_port);
		return;
	}
	/* Whatever ends this child, its receive right comes back to ctl. */
	kr = mach_port_request_notification(mach_task_self(), c->mailbox,
					    MACH_NOTIFY_PORT_DESTROYED, 0, ctl,
					    MACH_MSG_TYPE_MAKE_SEND_ONCE, &previous);
	if (kr != KERN_SUCCESS)
		die("supervisor", "port-destroyed request", kr);

	h.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0) |
			     MACH_MSGH_BITS_COMPLEX;
	h.header.msgh_size = sizeof(h);
	h.header.msgh_remote_port = r->header.msgh_remote_port;
	h.header.msgh_id = MSG_REPLY;
	h.body.msgh_descriptor_count = 1 + NR_ACTORS;
	h.mailbox = (mach_msg_port_descriptor_t){
		.name = c->mailbox,
		.disposition = MACH_MSG_TYPE_MOVE_RECEIVE,
		.type = MACH_MSG_PORT_DESCRIPTOR,
	};
	for (int i = 0; i < NR_ACTORS; i++) {
		struct child *a = &children[1 + i];
		int routed = c == &children[0] && a->state != GAVE_UP;

		/* A null descriptor carries nothing. */
		h.route[i] = (mach_msg_port_descriptor_t){
			.name = routed ? a->mailbox : MACH_PORT_NULL,
			.disposition = MACH_MSG_TYPE_COPY_SEND,
			.type = MACH_MSG_PORT_DESCRIPTOR,
		};
		snprintf(h.route_name[i], NAME_LEN, "%s", a->name);
	}
	h.incarnation = c->incarnation;
	kr = mach_msg(&h.header, MACH_SEND_MSG, sizeof(h), 0, MACH_PORT_NULL,
		      MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
	if (kr != MACH_MSG_SUCCESS)
		die("supervisor", "hello reply", kr);
}

static const char *why(int status, char *buf, size_t len)
{
	if (!WIFSIGNALED(status))
		snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
	else if (WTERMSIG(status) == SIGABRT)
		snprintf(buf, len, "killed by SIGABRT");
	else if (WTERMSIG(status) == SIGSEGV)
		snprintf(buf, len, "killed by SIGSEGV");
	else
		snprintf(buf, len, "killed by signal %d", WTERMSIG(status));
	return buf;
}

/* Asks the next running child to stop; false if none is left. */
static int stop_next(void)
{
	for (int i = 0; i < NR_CHILDREN; i++) {
		struct child *c = &children[i];
		msg_t m = { 0 };
		kern_return_t kr;

		if (c->state != RUNNING)
			continue;
		printf("supervisor: stopping %s#%d\n", c->name, c->incarnation);
		c->state = STOPPING;
		/* Behind whatever is queued: a graceful stop. */
		kr = send_msg(&m, c->mailbox, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0,
			      MSG_STOP);
		if (kr != MACH_MSG_SUCCESS)
			die("supervisor", "stop", kr);
		return 1;
	}
	return 0;
}

/* Returns 1 when the shutdown is complete. */
static int handle_destroyed(rcv_t *r, int shutting_down)
{
	mach_port_t port = r->destroyed.not_port.name;
	struct child *c = NULL;
	time_t now = time(NULL);
	char buf[48];
	int status, recent = 0;

	/* The receive right joined our send right's name. */
	for (int i = 0; i < NR_CHILDREN; i++)
		if (children[i].mailbox == port && children[i].state <= STOPPING)
			c = &children[i];
	if (!c) {
		mach_port_destroy(mach_task_self(), port);
		return 0;
	}
	if (waitpid(c->pid, &status, 0) != c->pid) {
		perror("waitpid");
		exit(1);
	}
	if (c->state == STOPPING || (WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		printf("supervisor: %s#%d stopped (%s)\n", c->name, c->incarnation,
		       why(status, buf, sizeof(buf)));
		c->state = STOPPED;
		mach_port_destroy(mach_task_self(), c->mailbox);	/* and its queue */
		c->mailbox = MACH_PORT_NULL;
		return shutting_down && !stop_next();
	}

	/* A crash: keep the last MAX_RESTARTS + 1 crash times. */
	if (c->nr_crashes == MAX_RESTARTS + 1)
		memmove(c->crashes, c->crashes + 1, MAX_RESTARTS * sizeof(time_t));
	else
		c->nr_crashes++;
	c->crashes[c->nr_crashes - 1] = now;
	for (int i = 0; i < c->nr_crashes; i++)
		recent += now - c->crashes[i] < WINDOW_S;
	if (recent > MAX_RESTARTS || shutting_down) {
		printf("supervisor: %s#%d crashed (%s): %d crashes in %d s, more than the %d restarts allowed: giving up on %s, destroying its mailbox and the messages in it\n",
		       c->name, c->incarnation, why(status, buf, sizeof(buf)), recent,
		       WINDOW_S, MAX_RESTARTS, c->name);
		c->state = GAVE_UP;
		mach_port_destroy(mach_task_self(), c->mailbox);
		c->mailbox = MACH_PORT_NULL;
		return shutting_down && !stop_next();
	}
	c->restarts++;
	printf("supervisor: %s#%d crashed (%s); mailbox kept; restarting it as %s#%d (restart %d of at most %d in %d s)\n",
	       c->name, c->incarnation, why(status, buf, sizeof(buf)), c->name,
	       c->incarnation + 1, recent, MAX_RESTARTS, WINDOW_S);
	start(c);
	return 0;
}

static int supervisor(void)
{
	mach_port_t task = mach_task_self(), ctl;
	int shutting_down = 0, done = 0;
	kern_return_t kr;

	kr = bootstrap_check_in(bootstrap_port, SVC_SUPERVISOR, &ctl);
	if (kr != KERN_SUCCESS)
		die("supervisor", "check-in", kr);
	for (int i = 0; i < NR_CHILDREN; i++) {
		struct child *c = &children[i];

		c->mailbox = new_port("supervisor");
		/* Our send right shares the receive right's name and stays
		 * when the receive right goes to the child. */
		kr = mach_port_insert_right(task, c->mailbox, c->mailbox,
					    MACH_MSG_TYPE_MAKE_SEND);
		if (kr != KERN_SUCCESS)
			die("supervisor", "make send", kr);
	}
	kr = bootstrap_register(bootstrap_port, SVC_ROUTER, children[0].mailbox);
	if (kr != KERN_SUCCESS)
		die("supervisor", "register the router", kr);
	printf("supervisor: one_for_one, at most %d restarts per child in %d s\n",
	       MAX_RESTARTS, WINDOW_S);
	printf("supervisor: starting router#1, greeter#1, counter#1\n");
	for (int i = 0; i < NR_CHILDREN; i++)
		start(&children[i]);

	while (!done) {
		rcv_t r;

		kr = receive(ctl, &r);
		if (kr != MACH_MSG_SUCCESS)
			die("supervisor", "receive", kr);
		switch (r.header.msgh_id) {
		case MSG_HELLO:
			handle_hello(ctl, &r);
			break;
		case MACH_NOTIFY_PORT_DESTROYED:
			done = handle_destroyed(&r, shutting_down);
			break;
		case MSG_SHUTDOWN:
			printf("supervisor: shutdown requested\n");
			shutting_down = 1;
			done = !stop_next();
			break;
		default:
			break;
		}
	}
	for (int i = 0; i < NR_CHILDREN; i++)
		printf("supervisor: %s: %d restart%s%s\n", children[i].name,
		       children[i].restarts, children[i].restarts == 1 ? "" : "s",
		       children[i].state == GAVE_UP ? ", given up" : "");
	bootstrap_unregister(bootstrap_port, SVC_SUPERVISOR);
	destroy_port(ctl);
	return 0;
}

/* --- the client ----------------------------------------------------------- */

enum outcome { REPLIED, LOST };

struct request {
	const char *actor, *op, *arg;
	mach_port_t reply;	/* its own reply port */
	enum outcome outcome;
	msg_t answer;
};

static mach_port_t router_port;

static void send_request(struct request *q)
{
	msg_t m = { 0 };
	kern_return_t kr;

	q->reply = new_port("client");
	snprintf(m.actor, sizeof(m.actor), "%s", q->actor);
	snprintf(m.op, sizeof(m.op), "%s", q->op);
	snprintf(m.arg, sizeof(m.arg), "%s", q->arg ? q->arg : "");
	kr = send_msg(&m, router_port, MACH_MSG_TYPE_COPY_SEND, q->reply,
		      MACH_MSG_TYPE_MAKE_SEND_ONCE, MSG_ROUTE);
	if (kr != MACH_MSG_SUCCESS)
		die("client", "send", kr);
}

/* A reply, or a send-once notification: the request's reply right died. */
static void await(struct request *q)
{
	kern_return_t kr;
	rcv_t r;

	kr = receive(q->reply, &r);
	if (kr != MACH_MSG_SUCCESS)
		die("client", "waiting for a reply", kr);
	if (r.header.msgh_id == MACH_NOTIFY_SEND_ONCE) {
		q->outcome = LOST;
	} else {
		q->outcome = r.msg.status == ST_OK ? REPLIED : LOST;
		q->answer = r.msg;
	}
	destroy_port(q->reply);
}

/* One line per request; a lost one gets a second line saying how. */
static void show(const struct request *q, const char *how)
{
	const char *what = q->arg ? q->arg : "";

	if (q->outcome == REPLIED) {
		printf("client: to %s: %s%s%s -> \"%s\"\n", q->actor, q->op, *what ? " " : "",
		       what, q->answer.text);
		return;
	}
	printf("client: to %s: %s -> lost\n", q->actor, q->op);
	if (q->answer.header.msgh_id == MSG_REPLY)
		printf("client:   (reported by the router: %s)\n", q->answer.text);
	else
		printf("client:   (%s)\n", how);
}

static void call(const char *actor, const char *op, const char *arg)
{
	struct request q = { .actor = actor, .op = op, .arg = arg };

	send_request(&q);
	await(&q);
	show(&q, "its reply right died unused: send-once notification");
}

static int client(void)
{
	struct request b[3];
	mach_port_t sup;
	msg_t m = { 0 };
	kern_return_t kr;
	int i;

	router_port = look_up("client", SVC_ROUTER);
	sup = look_up("client", SVC_SUPERVISOR);

	call("greeter", "hello", "world");
	call("counter", "inc", NULL);
	call("counter", "inc", NULL);

	/*
	 * Crash 1: the poison with two increments queued right behind it.
	 * Results are printed once all three are in, after the restart.
	 */
	printf("client: sending poison, inc, inc to counter without waiting\n");
	b[0] = (struct request){ .actor = "counter", .op = "poison" };
	b[1] = (struct request){ .actor = "counter", .op = "inc" };
	b[2] = (struct request){ .actor = "counter", .op = "inc" };
	for (i = 0; i < 3; i++)
		send_request(&b[i]);
	await(&b[1]);
	await(&b[2]);
	await(&b[0]);
	show(&b[0], "counter#1 crashed handling it: send-once notification");
	show(&b[1], "");
	show(&b[2], "");

	/* Crash 2: wait until the actor is dead, then send to it. */
	printf("client: sending poison to counter, then inc once counter#2 is dead\n");
	b[0] = (struct request){ .actor = "counter", .op = "poison" };
	send_request(&b[0]);
	await(&b[0]);
	b[1] = (struct request){ .actor = "counter", .op = "inc" };
	send_request(&b[1]);
	await(&b[1]);
	show(&b[0], "counter#2 crashed handling it: send-once notification");
	show(&b[1], "");

	/* Crash 3: one too many; what was queued behind it is lost. */
	printf("client: sending poison, inc to counter without waiting\n");
	b[0] = (struct request){ .actor = "counter", .op = "poison" };
	b[1] = (struct request){ .actor = "counter", .op = "inc" };
	send_request(&b[0]);
	send_request(&b[1]);
	await(&b[0]);
	await(&b[1]);

	/* Wait for the router to drop the route, then report. */
	for (i = 0; i < WAIT_MS / 10; i++) {
		struct request q = { 0 };

		q.reply = new_port("client");
		kr = send_msg(&m, router_port, MACH_MSG_TYPE_COPY_SEND, q.reply,
			      MACH_MSG_TYPE_MAKE_SEND_ONCE, MSG_LIST);
		if (kr != MACH_MSG_SUCCESS)
			die("client", "list", kr);
		await(&q);
		if (!strstr(q.answer.text, "counter"))
			break;
		usleep(10000);
	}
	if (i == WAIT_MS / 10) {
		fprintf(stderr, "client: the router kept the dead route\n");
		return 1;
	}
	show(&b[0], "counter#3 crashed handling it: send-once notification");
	show(&b[1], "destroyed unreceived with the mailbox: send-once notification");
	printf("client: the router no longer routes to counter\n");
	call("counter", "inc", NULL);
	call("greeter", "hello", "again");

	printf("client: asking the supervisor to shut down\n");
	kr = send_msg(&m, sup, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, MSG_SHUTDOWN);
	if (kr != MACH_MSG_SUCCESS)
		die("client", "shutdown", kr);
	mach_port_deallocate(mach_task_self(), sup);
	mach_port_deallocate(mach_task_self(), router_port);
	return 0;
}

int main(int argc, char *argv[])
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && strcmp(argv[1], "supervisor") == 0)
		return supervisor();
	if (argc == 2 && strcmp(argv[1], "client") == 0)
		return client();
	fprintf(stderr, "usage: %s supervisor | client\n", argv[0]);
	return 2;
}
