// SPDX-License-Identifier: GPL-2.0
/*
 * Zero-copy / large transfer (guide exercise 7): a sender moves 64 MiB to
 * a receiver three times, first inline in 64 KiB messages (every byte
 * copied into the kernel and out again), then as one out-of-line memory
 * descriptor (copied once into the kernel at send time, then mapped into
 * the receiver, which reads the pages in place), then as one out-of-line
 * *buffer* (an mmap() of /dev/mailbox, given away with deallocate: its
 * pages move to the receiver, nothing is copied). Both ends checksum the
 * data; the receiver prints the throughputs and whether the checksums
 * agree.
 *
 * Usage: zero-copy receiver | zero-copy sender
 */
#include <mailbox/mach/mach.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define SERVICE		"org.mailbox.example.zero-copy"
#define TOTAL		(64u << 20)	/* bytes moved each way */
#define CHUNK		(64u << 10)	/* inline message body */
#define MSG_CHUNK	100
#define MSG_OOL		200
#define MSG_MOVED	250
#define MSG_DONE	300

typedef struct {
	mach_msg_header_t header;
	uint32_t index;
	uint8_t data[CHUNK];
} chunk_msg_t;

typedef struct {
	mach_msg_header_t header;
	mach_msg_body_t body;
	mach_msg_ool_descriptor_t data;
} ool_msg_t;

typedef struct {
	mach_msg_header_t header;
	uint64_t checksum;	/* of the TOTAL bytes, as the sender computed it */
} done_msg_t;

/* Room for the largest message and a trailer. */
typedef union {
	mach_msg_header_t header;
	chunk_msg_t chunk;
	ool_msg_t ool;
	done_msg_t done;
	uint8_t space[sizeof(chunk_msg_t) + MAX_TRAILER_SIZE];
} rcv_buf_t;

static void die(const char *what, kern_return_t kr)
{
	fprintf(stderr, "%s: %s (0x%x)\n", what, mach_error_string(kr), kr);
	exit(1);
}

/* FNV-1a over 8-byte words, continued from @h. */
static uint64_t checksum(uint64_t h, const void *p, size_t n)
{
	const uint64_t *w = p;

	for (size_t i = 0; i < n / 8; i++)
		h = (h ^ w[i]) * 0x100000001b3ULL;
	return h;
}

#define CHECKSUM_INIT	0xcbf29ce484222325ULL

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void receive(mach_port_t port, rcv_buf_t *m, mach_msg_id_t want)
{
	kern_return_t kr = mach_msg(&m->header, MACH_RCV_MSG, 0, sizeof(*m), port,
				    MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);

	if (kr != MACH_MSG_SUCCESS)
		die("receive", kr);
	if (m->header.msgh_id != want) {
		fprintf(stderr, "receive: id %d, expected %d\n", m->header.msgh_id, want);
		exit(1);
	}
}

/*
 * Receive one out-of-line message of id @want, checksum it in place, free
 * the mapping and compare with the sender's checksum. *@t: receive to
 * checksum done. Return: 0 if the checksums agree.
 */
static int receive_ool(mach_port_t port, rcv_buf_t *m, mach_msg_id_t want,
		       const char *how, double *t)
{
	double t0 = now();
	kern_return_t kr;
	uint64_t sum;
	uint8_t *data;

	receive(port, m, want);
	data = m->ool.data.address;
	if (m->ool.data.size != TOTAL || !data) {
		fprintf(stderr, "%s: %u bytes at %p\n", how, m->ool.data.size, data);
		return 1;
	}
	sum = checksum(CHECKSUM_INIT, data, TOTAL);
	*t = now() - t0;
	/* The mapping is ours: free it as on Mach. */
	kr = vm_deallocate(mach_task_self(), (vm_address_t)data, TOTAL);
	if (kr != KERN_SUCCESS)
		die("vm_deallocate", kr);
	receive(port, m, MSG_DONE);
	printf("receiver: %s: 1 message of %u MiB, checksum %s\n", how, TOTAL >> 20,
	       sum == m->done.checksum ? "ok" : "MISMATCH");
	return sum != m->done.checksum;
}

static int receiver(void)
{
	static rcv_buf_t m;
	uint64_t sum = CHECKSUM_INIT;
	mach_port_t port;
	double t0, t_inline, t_ool, t_moved;
	kern_return_t kr;
	uint32_t i;

	kr = bootstrap_check_in(bootstrap_port, SERVICE, &port);
	if (kr != KERN_SUCCESS)
		die("check in", kr);
	printf("receiver: waiting for %u MiB inline, then out-of-line\n", TOTAL >> 20);

	/* Inline: TOTAL / CHUNK messages, each body copied in and out. */
	receive(port, &m, MSG_CHUNK);
	t0 = now();
	for (i = 0;; i++) {
		if (m.chunk.index != i) {
			fprintf(stderr, "chunk %u arrived as %u\n", i, m.chunk.index);
			return 1;
		}
		sum = checksum(sum, m.chunk.data, CHUNK);
		if (i + 1 == TOTAL / CHUNK)
			break;
		receive(port, &m, MSG_CHUNK);
	}
	t_inline = now() - t0;
	receive(port, &m, MSG_DONE);
	printf("receiver: inline: %u messages of %u KiB, checksum %s\n", TOTAL / CHUNK,
	       CHUNK >> 10, sum == m.done.checksum ? "ok" : "MISMATCH");
	if (sum != m.done.checksum)
		return 1;

	/* Out-of-line: one message, copied once, mapped into this process. */
	if (receive_ool(port, &m, MSG_OOL, "out-of-line", &t_ool))
		return 1;
	/* The same, moved: the sender's own pages, no copy at all. */
	if (receive_ool(port, &m, MSG_MOVED, "moved", &t_moved))
		return 1;

	/* Throughput, receiver's view: first byte in hand to last checksummed. */
	printf("receiver: inline %.0f MB/s, out-of-line %.0f MB/s (%.1fx), moved %.0f MB/s (%.1fx)\n",
	       TOTAL / t_inline / 1e6, TOTAL / t_ool / 1e6, t_inline / t_ool,
	       TOTAL / t_moved / 1e6, t_inline / t_moved);
	mach_port_mod_refs(mach_task_self(), port, MACH_PORT_RIGHT_RECEIVE, -1);
	return 0;
}

static void send_done(mach_port_t port, uint64_t sum)
{
	done_msg_t d = { .header = {
		.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0),
		.msgh_remote_port = port,
		.msgh_id = MSG_DONE,
	}, .checksum = sum };
	kern_return_t kr = mach_msg(&d.header, MACH_SEND_MSG, sizeof(d), 0, MACH_PORT_NULL,
				    MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);

	if (kr != MACH_MSG_SUCCESS)
		die("send done", kr);
}

/* One descriptor; deallocate: the pages leave this process once sent. */
static void send_ool(mach_port_t port, mach_msg_id_t id, void *data, uint64_t sum)
{
	ool_msg_t o = {
		.header = {
			.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) |
				     MACH_MSGH_BITS_COMPLEX,
			.msgh_remote_port = port,
			.msgh_id = id,
		},
		.body = { .msgh_descriptor_count = 1 },
		.data = {
			.address = data,
			.deallocate = 1,
			.copy = MACH_MSG_VIRTUAL_COPY,
			.type = MACH_MSG_OOL_DESCRIPTOR,
			.size = TOTAL,
		},
	};
	kern_return_t kr = mach_msg(&o.header, MACH_SEND_MSG, sizeof(o), 0, MACH_PORT_NULL,
				    MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);

	if (kr != MACH_MSG_SUCCESS)
		die("send out-of-line", kr);
	send_done(port, sum);
}

static int sender(void)
{
	static chunk_msg_t c;
	mach_port_t port = MACH_PORT_NULL;
	kern_return_t kr = BOOTSTRAP_UNKNOWN_SERVICE;
	vm_address_t buf = 0;
	uint64_t *w, sum;
	int i, fd;

	for (i = 0; i < 200 && kr == BOOTSTRAP_UNKNOWN_SERVICE; i++) {
		kr = bootstrap_look_up(bootstrap_port, SERVICE, &port);
		if (kr == BOOTSTRAP_UNKNOWN_SERVICE)
			usleep(50000);
	}
	if (kr != KERN_SUCCESS)
		die(SERVICE, kr);
	kr = vm_allocate(mach_task_self(), &buf, TOTAL, VM_FLAGS_ANYWHERE);
	if (kr != KERN_SUCCESS)
		die("vm_allocate", kr);
	w = (uint64_t *)buf;
	for (size_t k = 0; k < TOTAL / 8; k++)
		w[k] = k * 0x9e3779b97f4a7c15ULL;
	sum = checksum(CHECKSUM_INIT, w, TOTAL);

	for (uint32_t n = 0; n < TOTAL / CHUNK; n++) {
		c.header = (mach_msg_header_t){
			.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0),
			.msgh_remote_port = port,
			.msgh_id = MSG_CHUNK,
		};
		c.index = n;
		memcpy(c.data, (uint8_t *)buf + (size_t)n * CHUNK, CHUNK);
		kr = mach_msg(&c.header, MACH_SEND_MSG, sizeof(c), 0, MACH_PORT_NULL,
			      MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
		if (kr != MACH_MSG_SUCCESS)
			die("send chunk", kr);
	}
	send_done(port, sum);

	/* vm_allocate()d memory with deallocate: copied once, then unmapped. */
	send_ool(port, MSG_OOL, (void *)buf, sum);

	/*
	 * An out-of-line buffer: an mmap() of /dev/mailbox (any fd of it),
	 * filled like any memory; given away whole with deallocate, it moves.
	 */
	fd = open("/dev/mailbox", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("/dev/mailbox");
		return 1;
	}
	w = mmap(NULL, TOTAL, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (w == MAP_FAILED) {
		perror("mmap /dev/mailbox");
		return 1;
	}
	close(fd);
	for (size_t k = 0; k < TOTAL / 8; k++)
		w[k] = k * 0x9e3779b97f4a7c15ULL;
	send_ool(port, MSG_MOVED, w, sum);
	mach_port_deallocate(mach_task_self(), port);
	return 0;
}

int main(int argc, char *argv[])
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && strcmp(argv[1], "receiver") == 0)
		return receiver();
	if (argc == 2 && strcmp(argv[1], "sender") == 0)
		return sender();
	fprintf(stderr, "usage: %s receiver | sender\n", argv[0]);
	return 2;
}
