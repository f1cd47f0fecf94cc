// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/mailbox as a device: the version ioctl, unknown commands, bad
 * argument pointers, flags and reserved fields of every command, and the
 * life of a space (one per open, shared by fork, gone on close).
 */
#include "mailbox_test.h"

#include <stddef.h>
#include <sys/mman.h>

#include "kselftest_harness.h"

FIXTURE(mailbox) {
	int fd;
};

FIXTURE_SETUP(mailbox)
{
	self->fd = mb_open();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MB_DEVICE, strerror(errno));
}

FIXTURE_TEARDOWN(mailbox)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(mailbox, version_reports_abi_limits_and_features)
{
	struct mailbox_version v;
	int i;

	ASSERT_EQ(0, mb_version(self->fd, &v));
	EXPECT_EQ(0, v.flags);
	EXPECT_EQ(MAILBOX_ABI_MAJOR, v.abi_major);
	EXPECT_EQ(MAILBOX_ABI_MINOR, v.abi_minor);
	EXPECT_LE(65560, v.max_msg_size);
	EXPECT_NE(MB_PATTERN32, v.max_msg_size);
	EXPECT_EQ(MAILBOX_FEATURE_PORTS | MAILBOX_FEATURE_MSG |
		  MAILBOX_FEATURE_TRAILER | MAILBOX_FEATURE_FOREIGN_INSERT |
		  MAILBOX_FEATURE_DESCRIPTORS | MAILBOX_FEATURE_PORT_SETS |
		  MAILBOX_FEATURE_READY_FD | MAILBOX_FEATURE_RIGHT_FD |
		  MAILBOX_FEATURE_REGISTRY | MAILBOX_FEATURE_NOTIFICATIONS |
		  MAILBOX_FEATURE_PRIORITIES | MAILBOX_FEATURE_SELECTIVE |
		  MAILBOX_FEATURE_PULSES |

		  MAILBOX_FEATURE_IOV | MAILBOX_FEATURE_OOL |
		  MAILBOX_FEATURE_PRIO_INHERIT | MAILBOX_FEATURE_URING_CMD |
		  MAILBOX_FEATURE_BATCH_SEND | MAILBOX_FEATURE_BATCH_WAKE |
		  MAILBOX_FEATURE_SPIN | MAILBOX_FEATURE_OOL_MOVE,
		  v.features);
	EXPECT_EQ(MAILBOX_QLIMIT_DEFAULT, v.qlimit_default);
	EXPECT_LE(v.qlimit_default, v.qlimit_max);
	EXPECT_NE(MB_PATTERN32, v.qlimit_max);
	EXPECT_LT(0, v.max_names);
	EXPECT_NE(MB_PATTERN32, v.max_names);
	for (i = 0; i < 7; i++)
		EXPECT_EQ(0, v.reserved[i]) TH_LOG("reserved[%d]", i);
}

TEST_F(mailbox, version_qlimit_default_is_what_a_new_port_gets)
{
	struct mailbox_version v;
	struct mailbox_port_attr a;
	__u32 r;

	ASSERT_EQ(0, mb_version(self->fd, &v));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_get_attr(self->fd, r, &a));
	EXPECT_EQ(v.qlimit_default, a.qlimit);
}

TEST_F(mailbox, unknown_ioctl_fails_with_enotty)
{
	char buf[256];

	memset(buf, 0, sizeof(buf));
	/* Unused numbers with our magic, in each direction. */
	EXPECT_EQ(ENOTTY, mb_ioctl(self->fd, _IO(MAILBOX_IOC_MAGIC, 0x7f), buf));
	EXPECT_EQ(ENOTTY, mb_ioctl(self->fd, _IOWR(MAILBOX_IOC_MAGIC, 0x01,
						   struct mailbox_version), buf));
	EXPECT_EQ(ENOTTY, mb_ioctl(self->fd, _IOW(MAILBOX_IOC_MAGIC, 0x19,
						  struct mailbox_port_attr), buf));
	EXPECT_EQ(ENOTTY, mb_ioctl(self->fd, _IOWR(MAILBOX_IOC_MAGIC, 0x21,
						   struct mailbox_msg), buf));
	/* A known number with the wrong size or direction. */
	EXPECT_EQ(ENOTTY, mb_ioctl(self->fd, _IOWR(MAILBOX_IOC_MAGIC, 0x00,
						   __u64), buf));
	EXPECT_EQ(ENOTTY, mb_ioctl(self->fd, _IOR(MAILBOX_IOC_MAGIC, 0x00,
						  struct mailbox_version), buf));
	EXPECT_EQ(ENOTTY, mb_ioctl(self->fd, _IOWR(MAILBOX_IOC_MAGIC, 0x20,
						   struct mailbox_version), buf));
	/* Another magic, and a raw number. */
	EXPECT_EQ(ENOTTY, mb_ioctl(self->fd, _IOWR(0xBB, 0x00,
						   struct mailbox_version), buf));
	EXPECT_EQ(ENOTTY, mb_ioctl(self->fd, 0, buf));
	/* A terminal ioctl is not ours either. */
	EXPECT_EQ(ENOTTY, mb_ioctl(self->fd, TCGETS, buf));
}

TEST_F(mailbox, version_with_bad_pointer_fails_with_efault)
{
	struct mailbox_version *ro;

	EXPECT_EQ(EFAULT, mb_ioctl(self->fd, MAILBOX_IOC_VERSION, NULL));
	EXPECT_EQ(EFAULT, mb_ioctl(self->fd, MAILBOX_IOC_VERSION, (void *)8));

	/* Readable (all zero, so valid input) but not writable. */
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	EXPECT_EQ(EFAULT, mb_ioctl(self->fd, MAILBOX_IOC_VERSION, ro));
	munmap(ro, 4096);
}

/* Over the default 30 s on the debug kernel under TCG on a loaded host. */
TEST_F_TIMEOUT(mailbox, open_and_close_ten_thousand_times, 180)
{
	int i, fd;

	for (i = 0; i < 10000; i++) {
		fd = mb_open();
		ASSERT_LE(0, fd) TH_LOG("iteration %d: %s", i, strerror(errno));
		ASSERT_EQ(0, close(fd));
	}
}

TEST_F(mailbox, open_allocate_and_close_a_thousand_times)
{
	__u32 r, s;
	int i, fd;

	for (i = 0; i < 1000; i++) {
		fd = mb_open();
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, mb_alloc_receive(fd, &r));
		ASSERT_EQ(0, mb_make_send(fd, r));
		ASSERT_EQ(0, mb_give_send(fd, self->fd, r, &s));
		ASSERT_EQ(0, mb_send_hdr(fd, r, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, i, NULL));
		ASSERT_EQ(0, close(fd));
		/* The port died with its space: our send right is a dead name. */
		ASSERT_EQ(MAILBOX_PORT_TYPE_DEAD_NAME, mb_type_bits(self->fd, s));
		ASSERT_EQ(0, mb_destroy(self->fd, s));
	}
}

TEST_F(mailbox, each_open_is_a_separate_space)
{
	__u32 r;
	int fd2;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	fd2 = mb_open();
	ASSERT_LE(0, fd2);
	EXPECT_EQ(ENOENT, mb_type(fd2, r, NULL));
	EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE, mb_type_bits(self->fd, r));
	close(fd2);
}

TEST_F(mailbox, fork_shares_the_space)
{
	__u32 r, child_name;
	int pipefd[2];
	pid_t pid;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		__u32 n;

		mb_child_init();
		CHILD_CHECK(mb_type_bits(self->fd, r) == MAILBOX_PORT_TYPE_RECEIVE);
		CHILD_CHECK(mb_alloc_receive(self->fd, &n) == 0);
		CHILD_CHECK(write(pipefd[1], &n, sizeof(n)) == sizeof(n));
		_exit(0);
	}
	ASSERT_EQ(0, mb_wait_child(pid));
	ASSERT_EQ(sizeof(child_name), read(pipefd[0], &child_name, sizeof(child_name)));
	/* The name the child allocated is in our space, and still alive. */
	EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE, mb_type_bits(self->fd, child_name));
	EXPECT_NE(r, child_name);
	close(pipefd[0]);
	close(pipefd[1]);
}

TEST_F(mailbox, close_destroys_every_right_in_the_space)
{
	struct mailbox_port_attr a;
	__u32 r, s, so, q, n;
	int fd2;

	fd2 = mb_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, mb_alloc_receive(fd2, &r));
	/* Our send and send-once rights to fd2's port. */
	ASSERT_EQ(0, mb_give_send(fd2, self->fd, r, &s));
	so = MAILBOX_PORT_NULL;
	ASSERT_EQ(0, mb_insert(fd2, self->fd, &so, r, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE));
	/* fd2 holds a send right to our port q. */
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &q));
	ASSERT_EQ(0, mb_get_attr(self->fd, q, &a));
	ASSERT_EQ(0, a.has_senders);
	n = MAILBOX_PORT_NULL;
	ASSERT_EQ(0, mb_insert(self->fd, fd2, &n, q, MAILBOX_MSG_TYPE_MAKE_SEND));
	ASSERT_EQ(1, mb_has_senders(self->fd, q));

	ASSERT_EQ(0, close(fd2));

	EXPECT_EQ(MAILBOX_PORT_TYPE_DEAD_NAME, mb_type_bits(self->fd, s));
	EXPECT_EQ(MAILBOX_PORT_TYPE_DEAD_NAME, mb_type_bits(self->fd, so));
	EXPECT_EQ(0, mb_has_senders(self->fd, q));
}

TEST_F(mailbox, stats_count_spaces_and_ports_and_return_to_the_start)
{
	unsigned long long spaces0, ports0, entries0, messages0, v;
	__u32 r;
	int fd2;

	if (mb_stat("spaces", &spaces0))
		SKIP(return, "%s not available", MB_STATS);
	ASSERT_EQ(0, mb_stat("ports", &ports0));
	ASSERT_EQ(0, mb_stat("entries", &entries0));
	ASSERT_EQ(0, mb_stat("messages", &messages0));

	fd2 = mb_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, mb_stat("spaces", &v));
	EXPECT_EQ(spaces0 + 1, v);
	ASSERT_EQ(0, mb_alloc_receive(fd2, &r));
	ASSERT_EQ(0, mb_make_send(fd2, r));
	ASSERT_EQ(0, mb_stat("ports", &v));
	EXPECT_EQ(ports0 + 1, v);
	ASSERT_EQ(0, mb_stat("entries", &v));
	EXPECT_EQ(entries0 + 1, v);
	ASSERT_EQ(0, mb_send_hdr(fd2, r, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 1, NULL));
	ASSERT_EQ(0, mb_send_hdr(fd2, r, MAILBOX_MSG_TYPE_COPY_SEND, 0, 0, 2, NULL));
	ASSERT_EQ(0, mb_stat("messages", &v));
	EXPECT_EQ(messages0 + 2, v);

	ASSERT_EQ(0, close(fd2));
	ASSERT_EQ(0, mb_stat("spaces", &v));
	EXPECT_EQ(spaces0, v);
	ASSERT_EQ(0, mb_stat("ports", &v));
	EXPECT_EQ(ports0, v);
	ASSERT_EQ(0, mb_stat("entries", &v));
	EXPECT_EQ(entries0, v);
	ASSERT_EQ(0, mb_stat("messages", &v));
	EXPECT_EQ(messages0, v);
}

/*
 * Every command: a NULL argument gives EFAULT, a set bit in flags and a
 * non-zero reserved word give EINVAL, each against a base argument that on
 * its own gives @base_errno (so the EINVAL is the check under test).
 */
FIXTURE(ioctl_arg) {
	int fd;
	unsigned char arg[128];
};

FIXTURE_VARIANT(ioctl_arg) {
	unsigned long cmd;
	size_t size;
	/* Offset of a word where setting @bad_flag must give EINVAL, or -1. */
	long flags_off;
	__u32 bad_flag;
	/* Offset and number of reserved __u32 words. */
	long reserved_off;
	int reserved_words;
	/* Base argument: a name field, a right/options field and its value. */
	long name_off;
	long u32_off;
	__u32 u32_val;
	long s32_minus1_off;
	int base_errno;
};

FIXTURE_VARIANT_ADD(ioctl_arg, version) {
	.cmd = MAILBOX_IOC_VERSION,
	.size = sizeof(struct mailbox_version),
	.flags_off = offsetof(struct mailbox_version, flags),
	.bad_flag = 1,
	.reserved_off = offsetof(struct mailbox_version, reserved),
	.reserved_words = 7,
	.name_off = -1,
	.u32_off = -1,
	.s32_minus1_off = -1,
	.base_errno = 0,
};

FIXTURE_VARIANT_ADD(ioctl_arg, port_allocate) {
	.cmd = MAILBOX_IOC_PORT_ALLOCATE,
	.size = sizeof(struct mailbox_port_allocate),
	.flags_off = offsetof(struct mailbox_port_allocate, flags),
	.bad_flag = 0x80000000U,
	.reserved_off = offsetof(struct mailbox_port_allocate, reserved),
	.reserved_words = 1,
	.name_off = -1,
	.u32_off = offsetof(struct mailbox_port_allocate, right),
	.u32_val = MAILBOX_RIGHT_RECEIVE,
	.s32_minus1_off = -1,
	.base_errno = 0,
};

FIXTURE_VARIANT_ADD(ioctl_arg, port_deallocate) {
	.cmd = MAILBOX_IOC_PORT_DEALLOCATE,
	.size = sizeof(struct mailbox_port_name_op),
	.flags_off = offsetof(struct mailbox_port_name_op, flags),
	.bad_flag = 1,
	.reserved_off = offsetof(struct mailbox_port_name_op, reserved),
	.reserved_words = 2,
	.name_off = offsetof(struct mailbox_port_name_op, name),
	.u32_off = -1,
	.s32_minus1_off = -1,
	.base_errno = ENOENT,
};

FIXTURE_VARIANT_ADD(ioctl_arg, port_destroy) {
	.cmd = MAILBOX_IOC_PORT_DESTROY,
	.size = sizeof(struct mailbox_port_name_op),
	.flags_off = offsetof(struct mailbox_port_name_op, flags),
	.bad_flag = 2,
	.reserved_off = offsetof(struct mailbox_port_name_op, reserved),
	.reserved_words = 2,
	.name_off = offsetof(struct mailbox_port_name_op, name),
	.u32_off = -1,
	.s32_minus1_off = -1,
	.base_errno = ENOENT,
};

FIXTURE_VARIANT_ADD(ioctl_arg, port_mod_refs) {
	.cmd = MAILBOX_IOC_PORT_MOD_REFS,
	.size = sizeof(struct mailbox_port_mod_refs),
	.flags_off = offsetof(struct mailbox_port_mod_refs, flags),
	.bad_flag = 1,
	.reserved_off = -1,
	.reserved_words = 0,
	.name_off = offsetof(struct mailbox_port_mod_refs, name),
	.u32_off = offsetof(struct mailbox_port_mod_refs, right),
	.u32_val = MAILBOX_RIGHT_SEND,
	.s32_minus1_off = -1,
	.base_errno = ENOENT,
};

FIXTURE_VARIANT_ADD(ioctl_arg, port_insert_right) {
	.cmd = MAILBOX_IOC_PORT_INSERT_RIGHT,
	.size = sizeof(struct mailbox_port_insert_right),
	.flags_off = offsetof(struct mailbox_port_insert_right, flags),
	.bad_flag = 1,
	.reserved_off = offsetof(struct mailbox_port_insert_right, reserved),
	.reserved_words = 1,
	.name_off = offsetof(struct mailbox_port_insert_right, poly),
	.u32_off = offsetof(struct mailbox_port_insert_right, disposition),
	.u32_val = MAILBOX_MSG_TYPE_COPY_SEND,
	.s32_minus1_off = offsetof(struct mailbox_port_insert_right, space_fd),
	.base_errno = ENOENT,
};

FIXTURE_VARIANT_ADD(ioctl_arg, port_type) {
	.cmd = MAILBOX_IOC_PORT_TYPE,
	.size = sizeof(struct mailbox_port_type),
	.flags_off = offsetof(struct mailbox_port_type, flags),
	.bad_flag = 1,
	.reserved_off = offsetof(struct mailbox_port_type, reserved),
	.reserved_words = 1,
	.name_off = offsetof(struct mailbox_port_type, name),
	.u32_off = -1,
	.s32_minus1_off = -1,
	.base_errno = ENOENT,
};

FIXTURE_VARIANT_ADD(ioctl_arg, port_names) {
	.cmd = MAILBOX_IOC_PORT_NAMES,
	.size = sizeof(struct mailbox_port_names),
	.flags_off = offsetof(struct mailbox_port_names, flags),
	.bad_flag = 1,
	.reserved_off = offsetof(struct mailbox_port_names, reserved),
	.reserved_words = 2,
	.name_off = -1,
	.u32_off = -1,
	.s32_minus1_off = -1,
	.base_errno = 0,
};

FIXTURE_VARIANT_ADD(ioctl_arg, port_get_attr) {
	.cmd = MAILBOX_IOC_PORT_GET_ATTR,
	.size = sizeof(struct mailbox_port_attr),
	.flags_off = offsetof(struct mailbox_port_attr, flags),
	.bad_flag = MAILBOX_ATTR_QLIMIT,	/* no flags at all for GET */
	.reserved_off = -1,	/* spin_us is read with MAILBOX_ATTR_SPIN only */
	.reserved_words = 0,
	.name_off = offsetof(struct mailbox_port_attr, name),
	.u32_off = -1,
	.s32_minus1_off = -1,
	.base_errno = ENOENT,
};

FIXTURE_VARIANT_ADD(ioctl_arg, port_set_attr) {
	.cmd = MAILBOX_IOC_PORT_SET_ATTR,
	.size = sizeof(struct mailbox_port_attr),
	.flags_off = offsetof(struct mailbox_port_attr, flags),
	.bad_flag = MAILBOX_ATTR_ALL + 1,	/* the first undefined bit */
	.reserved_off = -1,	/* spin_us is read with MAILBOX_ATTR_SPIN only */
	.reserved_words = 0,
	.name_off = offsetof(struct mailbox_port_attr, name),
	.u32_off = -1,
	.s32_minus1_off = -1,
	.base_errno = ENOENT,
};

FIXTURE_VARIANT_ADD(ioctl_arg, msg) {
	.cmd = MAILBOX_IOC_MSG,
	.size = sizeof(struct mailbox_msg),
	.flags_off = offsetof(struct mailbox_msg, options),
	.bad_flag = MAILBOX_MSG_OPTIONS_ALL + 1,
	/* rcv_filter (must be 0 without RCV_FILTER) and reserved */
	.reserved_off = offsetof(struct mailbox_msg, rcv_filter),
	.reserved_words = 4,
	.name_off = offsetof(struct mailbox_msg, rcv_name),
	.u32_off = offsetof(struct mailbox_msg, options),
	.u32_val = MAILBOX_MSG_RCV | MAILBOX_MSG_RCV_TIMEOUT,
	.s32_minus1_off = -1,
	.base_errno = ENOENT,
};

FIXTURE_VARIANT_ADD(ioctl_arg, pulse) {
	.cmd = MAILBOX_IOC_PULSE,
	.size = sizeof(struct mailbox_pulse_send),
	.flags_off = offsetof(struct mailbox_pulse_send, flags),
	.bad_flag = 1,
	.reserved_off = offsetof(struct mailbox_pulse_send, reserved),
	.reserved_words = 2,
	.name_off = offsetof(struct mailbox_pulse_send, name),
	.u32_off = -1,
	.s32_minus1_off = -1,
	.base_errno = ENOENT,
};

FIXTURE_SETUP(ioctl_arg)
{
	self->fd = mb_open();
	ASSERT_LE(0, self->fd);
	ASSERT_GE(sizeof(self->arg), variant->size);
}

FIXTURE_TEARDOWN(ioctl_arg)
{
	close(self->fd);
}

static void base_arg(FIXTURE_DATA(ioctl_arg) *self,
		     const FIXTURE_VARIANT(ioctl_arg) *variant)
{
	__u32 name = MB_UNUSED_NAME;
	__s32 minus1 = -1;

	memset(self->arg, 0, sizeof(self->arg));
	if (variant->name_off >= 0)
		memcpy(self->arg + variant->name_off, &name, sizeof(name));
	if (variant->u32_off >= 0)
		memcpy(self->arg + variant->u32_off, &variant->u32_val, sizeof(__u32));
	if (variant->s32_minus1_off >= 0)
		memcpy(self->arg + variant->s32_minus1_off, &minus1, sizeof(minus1));
}

TEST_F(ioctl_arg, base_argument_gives_the_base_result)
{
	base_arg(self, variant);
	EXPECT_EQ(variant->base_errno, mb_ioctl(self->fd, variant->cmd, self->arg));
}

TEST_F(ioctl_arg, null_argument_fails_with_efault)
{
	EXPECT_EQ(EFAULT, mb_ioctl(self->fd, variant->cmd, NULL));
}

TEST_F(ioctl_arg, argument_past_the_end_of_a_mapping_fails_with_efault)
{
	unsigned char *map;

	/* The argument starts 8 bytes before an unmapped page. */
	map = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, munmap(map + 4096, 4096));
	memset(map, 0, 4096);
	EXPECT_EQ(EFAULT, mb_ioctl(self->fd, variant->cmd, map + 4096 - 8));
	munmap(map, 4096);
}

TEST_F(ioctl_arg, unknown_flag_fails_with_einval)
{
	__u32 word;

	base_arg(self, variant);
	memcpy(&word, self->arg + variant->flags_off, sizeof(word));
	word |= variant->bad_flag;
	memcpy(self->arg + variant->flags_off, &word, sizeof(word));
	EXPECT_EQ(EINVAL, mb_ioctl(self->fd, variant->cmd, self->arg));

	/* The highest bit, too. */
	base_arg(self, variant);
	memcpy(&word, self->arg + variant->flags_off, sizeof(word));
	word |= 0x80000000U;
	memcpy(self->arg + variant->flags_off, &word, sizeof(word));
	EXPECT_EQ(EINVAL, mb_ioctl(self->fd, variant->cmd, self->arg));
}

TEST_F(ioctl_arg, non_zero_reserved_word_fails_with_einval)
{
	__u32 one = 1, top = 0x80000000U;
	int i;

	if (!variant->reserved_words)
		SKIP(return, "no reserved field");
	for (i = 0; i < variant->reserved_words; i++) {
		base_arg(self, variant);
		memcpy(self->arg + variant->reserved_off + 4 * i, &one, 4);
		EXPECT_EQ(EINVAL, mb_ioctl(self->fd, variant->cmd, self->arg))
			TH_LOG("reserved word %d = 1", i);
		base_arg(self, variant);
		memcpy(self->arg + variant->reserved_off + 4 * i, &top, 4);
		EXPECT_EQ(EINVAL, mb_ioctl(self->fd, variant->cmd, self->arg))
			TH_LOG("reserved word %d = 0x80000000", i);
	}
}

TEST_HARNESS_MAIN
