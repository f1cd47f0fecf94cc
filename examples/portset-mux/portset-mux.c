// SPDX-License-Identifier: GPL-2.0
/*
 * A port-set multiplexer: one server thread serves three services (upper,
 * reverse, sum), each its own port checked in with the registry, from one
 * mach_msg(MACH_RCV_MSG) loop on a port set. msgh_local_port of a received
 * message names the member it arrived on, which selects the service.
 * Replies go through the send-once right each request carries.
 *
 * Usage: portset-mux server | portset-mux client <upper|reverse|sum>
 */
#include <mailbox/mach/mach.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NSERVICES	3
#define MSG_REQUEST	100
#define MSG_REPLY	200
#define MSG_QUIT	300
#define CALLS		3

static const char *const services[NSERVICES] = {
	"org.mailbox.example.upper",
	"org.mailbox.example.reverse",
	"org.mailbox.example.sum",
};

typedef struct {
	mach_msg_header_t header;
	int values[4];
	char text[64];
} msg_t;

static void die(const char *what, kern_return_t kr)
{
	fprintf(stderr, "%s: %s (0x%x)\n", what, mach_error_string(kr), kr);
	exit(1);
}

static int server(void)
{
	mach_port_t set, ports[NSERVICES];
	int served[NSERVICES] = { 0 }, quits = 0;
	kern_return_t kr;

	kr = mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_PORT_SET, &set);
	if (kr != KERN_SUCCESS)
		die("port set", kr);
	for (int i = 0; i < NSERVICES; i++) {
		kr = bootstrap_check_in(bootstrap_port, services[i], &ports[i]);
		if (kr != KERN_SUCCESS)
			die(services[i], kr);
		kr = mach_port_move_member(mach_task_self(), ports[i], set);
		if (kr != KERN_SUCCESS)
			die("move_member", kr);
	}
	printf("server: serving %d services from one port set\n", NSERVICES);

	while (quits < NSERVICES) {
		msg_t m;
		int which = -1;

		kr = mach_msg(&m.header, MACH_RCV_MSG, 0, sizeof(m), set,
			      MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
		if (kr != MACH_MSG_SUCCESS)
			die("receive", kr);
		for (int i = 0; i < NSERVICES; i++)
			if (m.header.msgh_local_port == ports[i])
				which = i;
		if (which < 0 || m.header.msgh_id == MSG_QUIT) {
			quits += which >= 0;
			continue;
		}
		served[which]++;
		m.text[sizeof(m.text) - 1] = '\0';
		switch (which) {
		case 0:
			for (char *p = m.text; *p; p++)
				if (*p >= 'a' && *p <= 'z')
					*p -= 'a' - 'A';
			break;
		case 1: {
			size_t n = strlen(m.text);

			for (size_t i = 0; i < n / 2; i++) {
				char c = m.text[i];

				m.text[i] = m.text[n - 1 - i];
				m.text[n - 1 - i] = c;
			}
			break;
		}
		case 2:
			m.values[0] += m.values[1] + m.values[2] + m.values[3];
			break;
		}
		m.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
		m.header.msgh_local_port = MACH_PORT_NULL;
		m.header.msgh_id = MSG_REPLY;
		kr = mach_msg(&m.header, MACH_SEND_MSG, sizeof(m), 0, MACH_PORT_NULL,
			      MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
		if (kr != MACH_MSG_SUCCESS)
			die("reply", kr);
	}
	printf("server: upper %d, reverse %d, sum %d requests, all in one loop\n",
	       served[0], served[1], served[2]);
	for (int i = 0; i < NSERVICES; i++)
		mach_port_mod_refs(mach_task_self(), ports[i], MACH_PORT_RIGHT_RECEIVE, -1);
	mach_port_mod_refs(mach_task_self(), set, MACH_PORT_RIGHT_PORT_SET, -1);
	return 0;
}

static int client(const char *which)
{
	static const char *const words[CALLS] = { "mailbox", "port set", "multiplex" };
	mach_port_t server_port = MACH_PORT_NULL, reply;
	kern_return_t kr = BOOTSTRAP_UNKNOWN_SERVICE;
	char service[64];
	int i;

	snprintf(service, sizeof(service), "org.mailbox.example.%s", which);
	for (i = 0; i < 100 && kr == BOOTSTRAP_UNKNOWN_SERVICE; i++) {
		kr = bootstrap_look_up(bootstrap_port, service, &server_port);
		if (kr == BOOTSTRAP_UNKNOWN_SERVICE)
			usleep(50000);
	}
	if (kr != KERN_SUCCESS)
		die(service, kr);
	kr = mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &reply);
	if (kr != KERN_SUCCESS)
		die("reply port", kr);

	for (i = 0; i < CALLS; i++) {
		msg_t m = { .header = {
			.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND,
						    MACH_MSG_TYPE_MAKE_SEND_ONCE),
			.msgh_remote_port = server_port,
			.msgh_local_port = reply,
			.msgh_id = MSG_REQUEST,
		}, .values = { i, 10, 20, 30 } };

		snprintf(m.text, sizeof(m.text), "%s", words[i]);
		/* One system call: send the request, receive the reply. */
		kr = mach_msg(&m.header, MACH_SEND_MSG | MACH_RCV_MSG, sizeof(m), sizeof(m),
			      reply, MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
		if (kr != MACH_MSG_SUCCESS)
			die("call", kr);
		if (strcmp(which, "sum") == 0)
			printf("%s: %d+10+20+30 = %d\n", which, i, m.values[0]);
		else
			printf("%s: \"%s\" -> \"%s\"\n", which, words[i], m.text);
	}

	msg_t quit = { .header = {
		.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0),
		.msgh_remote_port = server_port,
		.msgh_id = MSG_QUIT,
	} };
	kr = mach_msg(&quit.header, MACH_SEND_MSG, sizeof(quit), 0, MACH_PORT_NULL,
		      MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
	if (kr != MACH_MSG_SUCCESS)
		die("quit", kr);
	mach_port_deallocate(mach_task_self(), server_port);
	mach_port_mod_refs(mach_task_self(), reply, MACH_PORT_RIGHT_RECEIVE, -1);
	return 0;
}

int main(int argc, char *argv[])
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && strcmp(argv[1], "server") == 0)
		return server();
	if (argc == 3 && strcmp(argv[1], "client") == 0)
		return client(argv[2]);
	fprintf(stderr, "usage: %s server | client upper|reverse|sum\n", argv[0]);
	return 2;
}
