// SPDX-License-Identifier: GPL-2.0
/*
 * A priority mailbox (guide exercise 5): three producer processes send to
 * one consumer's port at mixed priorities, plus pulses; the consumer shows
 * highest-first, FIFO-within-a-priority delivery, a peek and a selective
 * receive. It uses the raw ioctls of <linux/mailbox.h>, as the Mach API
 * has no priorities.
 *
 *   sensor  messages: readings at priority 10, an alarm at priority 200
 *   logger  messages: log lines and an audit request at priority 0
 *   ticker  pulses:   35 ticks at priority 5 (the lane of 32 fills up, so
 *                     the last ones coalesce), a battery-low pulse at
 *                     priority 150 and a door pulse that is dropped
 *
 * The consumer lets the producers finish first, so the output does not
 * depend on how they interleave.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/mailbox.h>

#define SERVICE		"org.mailbox.example.priority"
#define ID_READING	100
#define ID_ALARM	101
#define ID_LOG		200
#define ID_AUDIT	900
#define PULSE_TICK	1
#define PULSE_BATTERY	2
#define PULSE_DOOR	3

struct text_msg {
	struct mailbox_msg_header header;
	char text[48];
};

/* Big enough for either kind of message. */
union rcv_buf {
	struct mailbox_msg_header header;
	struct text_msg msg;
	struct mailbox_pulse pulse;
};

static void die(const char *what)
{
	fprintf(stderr, "%s: %s\n", what, strerror(errno));
	exit(1);
}

static int open_space(void)
{
	int fd = open("/dev/mailbox", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("open /dev/mailbox");
	return fd;
}

static __u32 lookup(int fd)
{
	struct mailbox_service s = { .service = SERVICE };

	if (ioctl(fd, MAILBOX_IOC_LOOKUP, &s))
		die("lookup");
	return s.name;
}

static void send_text(int fd, __u32 dest, __s32 id, __u32 priority,
		      const char *text)
{
	struct text_msg m = { 0 };
	struct mailbox_msg io = {
		.send_msg = (__u64)(uintptr_t)&m,
		.options = MAILBOX_MSG_SEND,
		.send_size = sizeof(m),
		.priority = priority,
	};

	m.header.bits = MAILBOX_MSGH_BITS(MAILBOX_MSG_TYPE_COPY_SEND, 0);
	m.header.remote_port = dest;
	m.header.id = id;
	snprintf(m.text, sizeof(m.text), "%s", text);
	if (ioctl(fd, MAILBOX_IOC_MSG, &io))
		die("send");
}

static void pulse(int fd, __u32 dest, __s32 code, __u64 value, __u32 priority)
{
	struct mailbox_pulse_send p = {
		.name = dest,
		.code = code,
		.value = value,
		.priority = priority,
	};

	if (ioctl(fd, MAILBOX_IOC_PULSE, &p))
		die("pulse");
}

static void producer(const char *who)
{
	int fd = open_space();
	__u32 port = lookup(fd);
	int i;

	if (!strcmp(who, "sensor")) {
		send_text(fd, port, ID_READING, 10, "sensor: reading 1: 21C");
		send_text(fd, port, ID_READING, 10, "sensor: reading 2: 22C");
		send_text(fd, port, ID_ALARM, 200, "sensor: ALARM: temperature 95C");
		send_text(fd, port, ID_READING, 10, "sensor: reading 3: 23C");
	} else if (!strcmp(who, "logger")) {
		send_text(fd, port, ID_LOG, 0, "logger: log 1: service started");
		send_text(fd, port, ID_LOG, 0, "logger: log 2: cache warmed");
		send_text(fd, port, ID_AUDIT, 0, "logger: audit request");
		send_text(fd, port, ID_LOG, 0, "logger: log 3: first request");
	} else {
		/* 31 ticks and the battery pulse fill the lane of 32. */
		for (i = 1; i <= 31; i++)
			pulse(fd, port, PULSE_TICK, i, 5);
		pulse(fd, port, PULSE_BATTERY, 15, 150);
		/* Lane full: same code and priority coalesce, others drop. */
		for (i = 32; i <= 35; i++)
			pulse(fd, port, PULSE_TICK, i, 5);
		pulse(fd, port, PULSE_DOOR, 1, 5);
	}
	close(fd);
	exit(0);
}

/* Receive (or peek) without waiting; returns 0 or the errno. */
static int receive(int fd, __u32 port, union rcv_buf *buf, __u32 options,
		   const struct mailbox_rcv_filter *filter, __u32 *priority)
{
	struct mailbox_msg io = {
		.rcv_msg = (__u64)(uintptr_t)buf,
		.options = MAILBOX_MSG_RCV | MAILBOX_MSG_RCV_TIMEOUT | options,
		.rcv_size = sizeof(*buf),
		.rcv_name = port,
		.rcv_filter = (__u64)(uintptr_t)filter,
	};

	memset(buf, 0, sizeof(*buf));
	if (ioctl(fd, MAILBOX_IOC_MSG, &io))
		return errno;
	*priority = io.priority;
	return 0;
}

static void print_ticks(unsigned int *pulses, unsigned int *ticks,
			__u64 newest)
{
	if (!*pulses)
		return;
	printf("prio   5 pulses   ticker: %u tick pulses standing for %u ticks, newest value %llu\n",
	       *pulses, *ticks, (unsigned long long)newest);
	*pulses = 0;
	*ticks = 0;
}

int main(void)
{
	static const char *const producers[] = { "sensor", "logger", "ticker" };
	struct mailbox_rcv_filter audit = {
		.flags = MAILBOX_FILTER_ID,
		.id_mask = ~0U,
		.id_value = ID_AUDIT,
	};
	struct mailbox_port_allocate pa = { .right = MAILBOX_RIGHT_RECEIVE };
	struct mailbox_service svc = { .service = SERVICE };
	struct mailbox_port_attr attr = { 0 };
	unsigned int tick_pulses = 0, ticks = 0, i;
	__u64 newest_tick = 0;
	union rcv_buf buf;
	__u32 port, prio;
	int fd, status;

	setvbuf(stdout, NULL, _IOLBF, 0);
	fd = open_space();
	if (ioctl(fd, MAILBOX_IOC_PORT_ALLOCATE, &pa))
		die("allocate");
	port = pa.name;
	attr.name = port;
	attr.flags = MAILBOX_ATTR_QLIMIT;
	attr.qlimit = 16;
	if (ioctl(fd, MAILBOX_IOC_PORT_SET_ATTR, &attr))
		die("set qlimit");
	svc.name = port;
	if (ioctl(fd, MAILBOX_IOC_REGISTER, &svc))
		die("register");
	printf("consumer: port registered as %s\n", SERVICE);

	for (i = 0; i < 3; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0)
			producer(producers[i]);
	}
	for (i = 0; i < 3; i++)
		if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			die("producer");

	memset(&attr, 0, sizeof(attr));
	attr.name = port;
	if (ioctl(fd, MAILBOX_IOC_PORT_GET_ATTR, &attr))
		die("get attr");
	printf("consumer: 3 producers done; queued: %u messages, %u pulses, %u pulse dropped\n",
	       attr.msgcount, attr.pulses_queued, attr.pulses_dropped);

	if (receive(fd, port, &buf, MAILBOX_MSG_RCV_PEEK, NULL, &prio))
		die("peek");
	printf("consumer: peek shows \"%s\" (priority %u), left queued\n",
	       buf.msg.text, prio);

	if (receive(fd, port, &buf, MAILBOX_MSG_RCV_FILTER, &audit, &prio))
		die("selective receive");
	printf("consumer: selective receive took \"%s\" (id %d, priority %u) ahead of the others\n",
	       buf.msg.text, buf.header.id, prio);

	while (!receive(fd, port, &buf, 0, NULL, &prio)) {
		if (!(buf.header.bits & MAILBOX_MSGH_PULSE)) {
			print_ticks(&tick_pulses, &ticks, newest_tick);
			printf("prio %3u message  %s\n", prio, buf.msg.text);
		} else if (buf.pulse.code == PULSE_TICK) {
			tick_pulses++;
			ticks += buf.pulse.count;
			newest_tick = buf.pulse.value;
		} else {
			print_ticks(&tick_pulses, &ticks, newest_tick);
			printf("prio %3u pulse    ticker: %s, value %llu (dropped before it: %u)\n",
			       prio, buf.pulse.code == PULSE_BATTERY ?
			       "battery low" : "door",
			       (unsigned long long)buf.pulse.value,
			       buf.pulse.dropped);
		}
	}
	print_ticks(&tick_pulses, &ticks, newest_tick);
	printf("consumer: queue empty\n");

	if (ioctl(fd, MAILBOX_IOC_UNREGISTER, &(struct mailbox_service){ .service = SERVICE }))
		die("unregister");
	close(fd);
	return 0;
}
