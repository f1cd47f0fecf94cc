// SPDX-License-Identifier: GPL-2.0
/*
 * A service registry in action (the guide's "Service Registry" exercise).
 *
 * The main process plays the service manager (launchd's role): it starts two
 * services, "upper" (upper-cases a string) and "add" (adds two numbers), as
 * child processes with their own IPC spaces. Each service checks in with the
 * module's registry (bootstrap_check_in: a fresh receive right whose send
 * right is registered under the service string). A long-lived client looks
 * both up by name and calls them, with a dead-name notification armed on
 * its send right to "upper".
 *
 * Then:
 *  1. an intruder running as uid 65534 (nobody) may look "upper" up and
 *     call it, but may neither take its name (EEXIST), nor replace it
 *     (MAILBOX_REGISTER_REPLACE: EPERM), nor unregister it (EPERM); the
 *     manager, root with CAP_SYS_ADMIN, may unregister the intruder's own
 *     service (Documentation/registry-and-fds.rst, "Permissions");
 *  2. the manager kills "upper" with SIGKILL: its port dies, the registry
 *     drops the service at once, the client gets the dead-name notification,
 *     sees a call on the dead name fail with MACH_SEND_INVALID_DEST and the
 *     look-up fail with BOOTSTRAP_UNKNOWN_SERVICE;
 *  3. the manager restarts "upper" (generation 2), which checks in under the
 *     same name; the client, polling the registry, finds it and goes on,
 *     while its send right to "add" (never restarted) stays valid;
 *  4. the manager stops the services; each unregisters itself (as its
 *     owner) and exits; the registry is empty again.
 *
 * The processes step through this in a fixed order (pipes carry "done"
 * bytes to the manager), so the output is deterministic.
 *
 * Usage: registry (run as root to see the permission rules)
 */
#include <mailbox/mach/mach.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define SVC_UPPER	"org.mailbox.example.upper"
#define SVC_ADD		"org.mailbox.example.add"
#define SVC_NOBODY	"org.mailbox.example.nobody"
#define NOBODY_UID	65534

#define MSG_UPPER	1
#define MSG_ADD		2
#define MSG_QUIT	3
#define MSG_REPLY	100

#define WAIT_MS		30000	/* safety net: no step takes this long */

typedef struct {
	mach_msg_header_t header;
	int a, b;		/* MSG_ADD operands; reply: a = sum */
	int generation;		/* reply: the server's generation */
	char text[64];		/* MSG_UPPER string; reply: the result */
} msg_t;

typedef union {
	mach_msg_header_t header;
	msg_t msg;
	mach_dead_name_notification_t dead;
} rcv_t;

static int to_manager[2];	/* children -> manager: one byte per step */
static int to_intruder[2];	/* manager -> intruder */

static void die(const char *who, const char *what, kern_return_t kr)
{
	fprintf(stderr, "%s: %s: %s (0x%x)\n", who, what, mach_error_string(kr), kr);
	exit(1);
}

static void step_done(char c)
{
	if (write(to_manager[1], &c, 1) != 1) {
		perror("write");
		exit(1);
	}
}

static void wait_step(int fd, char want)
{
	char c;

	if (read(fd, &c, 1) != 1 || c != want) {
		fprintf(stderr, "manager: expected step '%c'\n", want);
		exit(1);
	}
}

/* fork() a child with an IPC space of its own. */
static pid_t spawn(void (*body)(int), int arg)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		mailbox_task_reset_after_fork();	/* our own, empty space */
		prctl(PR_SET_PDEATHSIG, SIGKILL);	/* no orphans if the manager fails */
		body(arg);
		exit(0);
	}
	return pid;
}

/* --- the services ------------------------------------------------------ */

static void service(int which, int generation)
{
	const char *svc = which == MSG_UPPER ? SVC_UPPER : SVC_ADD;
	const char *tag = which == MSG_UPPER ? "upper" : "add";
	mach_port_t port;
	kern_return_t kr;

	/* Said first: a client may find the service as soon as it is in. */
	printf("%s[%d]: checking in as %s\n", tag, generation, svc);
	kr = bootstrap_check_in(bootstrap_port, svc, &port);
	if (kr != KERN_SUCCESS)
		die(tag, "check-in", kr);
	step_done('r');

	for (;;) {
		msg_t m;

		kr = mach_msg(&m.header, MACH_RCV_MSG, 0, sizeof(m), port,
			      MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
		if (kr != MACH_MSG_SUCCESS)
			die(tag, "receive", kr);
		if (m.header.msgh_id == MSG_QUIT)
			break;
		if (m.header.msgh_id == MSG_UPPER && which == MSG_UPPER) {
			for (char *p = m.text; *p; p++)
				if (*p >= 'a' && *p <= 'z')
					*p -= 'a' - 'A';
		} else if (m.header.msgh_id == MSG_ADD && which == MSG_ADD) {
			m.a += m.b;
		} else {
			snprintf(m.text, sizeof(m.text), "bad request");
		}
		m.generation = generation;
		/* Reply through the send-once right the request carried. */
		m.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
		m.header.msgh_local_port = MACH_PORT_NULL;
		m.header.msgh_id = MSG_REPLY;
		kr = mach_msg(&m.header, MACH_SEND_MSG, sizeof(m), 0, MACH_PORT_NULL,
			      MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
		if (kr != MACH_MSG_SUCCESS)
			die(tag, "reply", kr);
	}
	/* The owner may unregister its service. */
	kr = bootstrap_unregister(bootstrap_port, svc);
	if (kr != KERN_SUCCESS)
		die(tag, "unregister", kr);
	printf("%s[%d]: unregistered %s, exiting\n", tag, generation, svc);
	mach_port_mod_refs(mach_task_self(), port, MACH_PORT_RIGHT_RECEIVE, -1);
}

static void upper_service(int generation)
{
	service(MSG_UPPER, generation);
}

static void add_service(int generation)
{
	service(MSG_ADD, generation);
}

/* --- calls --------------------------------------------------------------- */

/*
 * One RPC on @dest with a MAKE_SEND_ONCE reply right to @reply, in one
 * mach_msg (send + receive). Returns the mach_msg code.
 */
static kern_return_t call(mach_port_t dest, mach_port_t reply, msg_t *m)
{
	m->header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND,
					     MACH_MSG_TYPE_MAKE_SEND_ONCE);
	m->header.msgh_size = sizeof(*m);
	m->header.msgh_remote_port = dest;
	m->header.msgh_local_port = reply;
	return mach_msg(&m->header, MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT,
			sizeof(*m), sizeof(*m), reply, WAIT_MS, MACH_PORT_NULL);
}

static void call_upper(const char *who, mach_port_t dest, mach_port_t reply, const char *s)
{
	msg_t m = { .header.msgh_id = MSG_UPPER };
	kern_return_t kr;

	snprintf(m.text, sizeof(m.text), "%s", s);
	kr = call(dest, reply, &m);
	if (kr != MACH_MSG_SUCCESS)
		die(who, "call upper", kr);
	printf("%s: upper(\"%s\") = \"%s\" (answered by upper[%d])\n", who, s, m.text,
	       m.generation);
}

static void call_add(const char *who, mach_port_t dest, mach_port_t reply, int a, int b)
{
	msg_t m = { .header.msgh_id = MSG_ADD, .a = a, .b = b };
	kern_return_t kr;

	kr = call(dest, reply, &m);
	if (kr != MACH_MSG_SUCCESS)
		die(who, "call add", kr);
	printf("%s: add(%d, %d) = %d\n", who, a, b, m.a);
}

static void send_quit(mach_port_t dest)
{
	msg_t m = { .header = {
		.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0),
		.msgh_size = sizeof(m),
		.msgh_remote_port = dest,
		.msgh_id = MSG_QUIT,
	} };
	kern_return_t kr;

	kr = mach_msg(&m.header, MACH_SEND_MSG, sizeof(m), 0, MACH_PORT_NULL,
		      MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
	if (kr != MACH_MSG_SUCCESS)
		die("manager", "quit", kr);
}

static mach_port_t look_up(const char *who, const char *svc)
{
	mach_port_t port;
	kern_return_t kr;

	kr = bootstrap_look_up(bootstrap_port, svc, &port);
	if (kr != KERN_SUCCESS)
		die(who, svc, kr);
	return port;
}

/* --- the long-lived client ----------------------------------------------- */

static void client(int unused)
{
	mach_port_t task = mach_task_self(), upper, add, reply, notify, previous;
	mach_port_urefs_t refs = 0;
	kern_return_t kr;
	rcv_t r;
	msg_t m = { .header.msgh_id = MSG_UPPER };
	int tries;

	(void)unused;
	if ((kr = mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &reply)) ||
	    (kr = mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &notify)))
		die("client", "allocate", kr);
	upper = look_up("client", SVC_UPPER);
	add = look_up("client", SVC_ADD);
	printf("client: looked up %s and %s\n", SVC_UPPER, SVC_ADD);
	/* Tell me when "upper" dies. */
	kr = mach_port_request_notification(task, upper, MACH_NOTIFY_DEAD_NAME, 1, notify,
					    MACH_MSG_TYPE_MAKE_SEND_ONCE, &previous);
	if (kr != KERN_SUCCESS)
		die("client", "dead-name request", kr);
	call_upper("client", upper, reply, "hello");
	call_add("client", add, reply, 2, 40);
	step_done('c');

	/* ... the intruder comes and goes, then the manager kills "upper". */
	kr = mach_msg(&r.header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(r), notify,
		      WAIT_MS, MACH_PORT_NULL);
	if (kr != MACH_MSG_SUCCESS)
		die("client", "waiting for the dead-name notification", kr);
	if (r.header.msgh_id != MACH_NOTIFY_DEAD_NAME || r.dead.not_port != upper) {
		fprintf(stderr, "client: unexpected notification %d\n", r.header.msgh_id);
		exit(1);
	}
	printf("client: upper died (dead-name notification)\n");

	/* The name is now a dead name: sending on it fails, nothing is lost. */
	kr = call(upper, reply, &m);
	printf("client: a call on the dead name fails: %s\n",
	       kr == MACH_SEND_INVALID_DEST ? "MACH_SEND_INVALID_DEST" : mach_error_string(kr));
	if (kr != MACH_SEND_INVALID_DEST)
		exit(1);
	/* Release the dead name: our reference plus the notification's. */
	mach_port_get_refs(task, upper, MACH_PORT_RIGHT_DEAD_NAME, &refs);
	mach_port_mod_refs(task, upper, MACH_PORT_RIGHT_DEAD_NAME, -(mach_port_delta_t)refs);

	/* The registry dropped the service together with its dead port. */
	kr = bootstrap_look_up(bootstrap_port, SVC_UPPER, &upper);
	printf("client: look-up of upper: %s\n",
	       kr == BOOTSTRAP_UNKNOWN_SERVICE ? "unknown service (dropped with its dead port)"
					       : mach_error_string(kr));
	if (kr != BOOTSTRAP_UNKNOWN_SERVICE)
		exit(1);
	step_done('n');

	/* Poll the registry until the restarted server has checked in. */
	for (tries = 0; tries < WAIT_MS / 10; tries++) {
		kr = bootstrap_look_up(bootstrap_port, SVC_UPPER, &upper);
		if (kr != BOOTSTRAP_UNKNOWN_SERVICE)
			break;
		usleep(10000);
	}
	if (kr != KERN_SUCCESS)
		die("client", "look-up after the restart", kr);
	printf("client: looked up upper again\n");
	call_upper("client", upper, reply, "world");
	/* "add" never went away: the old send right still works. */
	call_add("client", add, reply, 20, 22);

	mach_port_deallocate(task, upper);
	mach_port_deallocate(task, add);
	mach_port_mod_refs(task, reply, MACH_PORT_RIGHT_RECEIVE, -1);
	mach_port_mod_refs(task, notify, MACH_PORT_RIGHT_RECEIVE, -1);
	printf("client: done\n");
	step_done('d');
}

/* --- the intruder: another uid ------------------------------------------- */

static const char *err_name(int err)
{
	switch (err) {
	case 0:		return "allowed";
	case EPERM:	return "EPERM";
	case EEXIST:	return "EEXIST";
	case ENOENT:	return "ENOENT";
	default:	return strerror(err);
	}
}

/* MAILBOX_IOC_REGISTER / _UNREGISTER as they are: 0 or the errno. */
static int registry_op(unsigned long cmd, const char *svc, mach_port_t name, unsigned int flags)
{
	struct mailbox_service s = { .name = name, .flags = flags };

	snprintf(s.service, sizeof(s.service), "%s", svc);
	return ioctl((int)mach_task_self(), cmd, &s) < 0 ? errno : 0;
}

static void intruder(int unused)
{
	mach_port_t task, upper, own, reply;
	kern_return_t kr;
	char c;

	(void)unused;
	if (setgid(NOBODY_UID) < 0 || setuid(NOBODY_UID) < 0) {
		perror("intruder: setuid");
		exit(1);
	}
	task = mach_task_self();	/* opened as nobody: /dev/mailbox is 0666 */
	printf("intruder: running as uid %d\n", (int)geteuid());
	kr = mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &own);
	if (kr == KERN_SUCCESS)
		kr = mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &reply);
	if (kr != KERN_SUCCESS)
		die("intruder", "allocate", kr);

	upper = look_up("intruder", SVC_UPPER);
	printf("intruder: look up upper: allowed (anyone may look a service up)\n");
	call_upper("intruder", upper, reply, "hi from nobody");
	printf("intruder: register upper: %s (the name is taken)\n",
	       err_name(registry_op(MAILBOX_IOC_REGISTER, SVC_UPPER, own, 0)));
	printf("intruder: register upper with REPLACE: %s (not the owner's uid)\n",
	       err_name(registry_op(MAILBOX_IOC_REGISTER, SVC_UPPER, own,
				    MAILBOX_REGISTER_REPLACE)));
	printf("intruder: unregister upper: %s (not the owner's uid)\n",
	       err_name(registry_op(MAILBOX_IOC_UNREGISTER, SVC_UPPER, MACH_PORT_NULL, 0)));
	printf("intruder: register %s: %s (any new name)\n", SVC_NOBODY,
	       err_name(registry_op(MAILBOX_IOC_REGISTER, SVC_NOBODY, own, 0)));
	step_done('i');

	/* The manager (root) removes our service meanwhile. */
	if (read(to_intruder[0], &c, 1) != 1)
		exit(1);
	kr = bootstrap_look_up(bootstrap_port, SVC_NOBODY, &upper);
	printf("intruder: look up %s: %s\n", SVC_NOBODY,
	       kr == BOOTSTRAP_UNKNOWN_SERVICE ? "unknown service (root removed it)"
					       : mach_error_string(kr));
	/* Exiting closes the space: every right above goes with it. */
	exit(kr == BOOTSTRAP_UNKNOWN_SERVICE ? 0 : 1);
}

/* --- the manager ----------------------------------------------------------- */

static void reap(const char *what, pid_t pid, int want_signal)
{
	int status;

	if (waitpid(pid, &status, 0) != pid) {
		perror("waitpid");
		exit(1);
	}
	if (want_signal ? !(WIFSIGNALED(status) && WTERMSIG(status) == want_signal)
			: !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		fprintf(stderr, "manager: %s ended with status 0x%x\n", what, status);
		exit(1);
	}
}

static void permission_demo(void)
{
	pid_t pid;
	int err;

	if (geteuid() != 0) {
		printf("manager: not root, so no setuid(): permission demo skipped\n");
		return;
	}
	if (pipe(to_intruder) < 0) {
		perror("pipe");
		exit(1);
	}
	pid = spawn(intruder, 0);
	wait_step(to_manager[0], 'i');
	err = registry_op(MAILBOX_IOC_UNREGISTER, SVC_NOBODY, MACH_PORT_NULL, 0);
	printf("manager: unregister %s (owned by uid %d) as root: %s (CAP_SYS_ADMIN)\n",
	       SVC_NOBODY, NOBODY_UID, err_name(err));
	if (err)
		exit(1);
	if (write(to_intruder[1], "x", 1) != 1)
		exit(1);
	reap("intruder", pid, 0);
	close(to_intruder[0]);
	close(to_intruder[1]);
}

int main(void)
{
	pid_t upper, add, cl;
	mach_port_t port;
	kern_return_t kr;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (pipe(to_manager) < 0) {
		perror("pipe");
		return 1;
	}

	printf("manager: starting upper[1] and add[1]\n");
	upper = spawn(upper_service, 1);
	wait_step(to_manager[0], 'r');
	add = spawn(add_service, 1);
	wait_step(to_manager[0], 'r');

	cl = spawn(client, 0);
	wait_step(to_manager[0], 'c');

	permission_demo();

	printf("manager: killing upper[1] with SIGKILL\n");
	kill(upper, SIGKILL);
	reap("upper[1]", upper, SIGKILL);
	wait_step(to_manager[0], 'n');	/* the client saw it go */

	printf("manager: restarting upper as upper[2]\n");
	upper = spawn(upper_service, 2);
	wait_step(to_manager[0], 'r');
	wait_step(to_manager[0], 'd');
	reap("client", cl, 0);

	/* Stop both services; each unregisters itself on the way out. */
	port = look_up("manager", SVC_UPPER);
	send_quit(port);
	mach_port_deallocate(mach_task_self(), port);
	reap("upper[2]", upper, 0);
	port = look_up("manager", SVC_ADD);
	send_quit(port);
	mach_port_deallocate(mach_task_self(), port);
	reap("add[1]", add, 0);

	kr = bootstrap_look_up(bootstrap_port, SVC_UPPER, &port);
	if (kr == BOOTSTRAP_UNKNOWN_SERVICE)
		kr = bootstrap_look_up(bootstrap_port, SVC_ADD, &port);
	if (kr != BOOTSTRAP_UNKNOWN_SERVICE)
		die("manager", "registry not empty", kr);
	printf("manager: registry empty again, done\n");
	return 0;
}
