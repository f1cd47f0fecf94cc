// SPDX-License-Identifier: GPL-2.0
/*
 * Ports and rights: allocate, deallocate, destroy, mod_refs, insert_right,
 * type, names and attributes. Each success path with the exact rights and
 * user references afterwards, and each documented errno at its boundary.
 */
#include "mailbox_test.h"

#include <sys/mman.h>

#include "kselftest_harness.h"

FIXTURE(mailbox) {
	int fd;
	int fd2;	/* a second space, opened on demand */
};

FIXTURE_SETUP(mailbox)
{
	self->fd2 = -1;
	self->fd = mb_open();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MB_DEVICE, strerror(errno));
}

FIXTURE_TEARDOWN(mailbox)
{
	if (self->fd2 >= 0)
		close(self->fd2);
	if (self->fd >= 0)
		close(self->fd);
}

static int open_second(FIXTURE_DATA(mailbox) *self)
{
	self->fd2 = mb_open();
	return self->fd2;
}

/* PORT_ALLOCATE */

TEST_F(mailbox, allocate_receive_gives_a_receive_right_only)
{
	struct mailbox_port_type t;
	__u32 r;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	EXPECT_NE(MAILBOX_PORT_NULL, r);
	EXPECT_NE(MAILBOX_PORT_DEAD, r);
	EXPECT_NE(MB_PATTERN32, r);
	EXPECT_NE(0, MAILBOX_NAME_INDEX(r));
	ASSERT_EQ(0, mb_type(self->fd, r, &t));
	EXPECT_EQ(r, t.name);
	EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE, t.type);
	EXPECT_EQ(0, t.send_urefs);
	EXPECT_EQ(0, t.dead_urefs);
	EXPECT_EQ(0, t.flags);
	EXPECT_EQ(0, t.reserved);
}

TEST_F(mailbox, allocate_dead_name_gives_one_dead_uref)
{
	struct mailbox_port_type t;
	__u32 d;

	ASSERT_EQ(0, mb_allocate(self->fd, MAILBOX_RIGHT_DEAD_NAME, &d));
	EXPECT_NE(MAILBOX_PORT_NULL, d);
	EXPECT_NE(MAILBOX_PORT_DEAD, d);
	ASSERT_EQ(0, mb_type(self->fd, d, &t));
	EXPECT_EQ(MAILBOX_PORT_TYPE_DEAD_NAME, t.type);
	EXPECT_EQ(0, t.send_urefs);
	EXPECT_EQ(1, t.dead_urefs);
}

TEST_F(mailbox, allocate_other_rights_fails_with_einval)
{
	static const __u32 bad[] = {
		MAILBOX_RIGHT_SEND, MAILBOX_RIGHT_SEND_ONCE,
		5, 0x80000000U, 0xffffffffU,
	};
	struct mailbox_port_names pn = { .count = 0 };
	unsigned int i;
	__u32 n;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		n = MB_PATTERN32;
		EXPECT_EQ(EINVAL, mb_allocate(self->fd, bad[i], &n))
			TH_LOG("right %u", bad[i]);
	}
	/* Nothing was allocated. */
	ASSERT_EQ(0, mb_ioctl(self->fd, MAILBOX_IOC_PORT_NAMES, &pn));
	EXPECT_EQ(0, pn.count);
}

TEST_F(mailbox, allocate_with_flags_or_reserved_fails_with_einval)
{
	struct mailbox_port_allocate a = { .right = MAILBOX_RIGHT_RECEIVE, .flags = 1 };

	EXPECT_EQ(EINVAL, mb_ioctl(self->fd, MAILBOX_IOC_PORT_ALLOCATE, &a));
	a.flags = 0;
	a.reserved = 1;
	EXPECT_EQ(EINVAL, mb_ioctl(self->fd, MAILBOX_IOC_PORT_ALLOCATE, &a));
}

TEST_F(mailbox, allocated_names_are_distinct)
{
	__u32 names[200];
	int i, j;

	for (i = 0; i < 200; i++)
		ASSERT_EQ(0, mb_allocate(self->fd, i % 2 ? MAILBOX_RIGHT_DEAD_NAME :
					 MAILBOX_RIGHT_RECEIVE, &names[i]));
	for (i = 0; i < 200; i++)
		for (j = i + 1; j < 200; j++)
			ASSERT_NE(names[i], names[j]);
}

TEST_F(mailbox, reused_index_gets_a_new_generation)
{
	__u32 old, n;
	int i;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &old));
	ASSERT_EQ(0, mb_destroy(self->fd, old));
	/* Whatever index the new names use, none may be the stale name. */
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, mb_alloc_receive(self->fd, &n));
		ASSERT_NE(old, n);
	}
	EXPECT_EQ(ENOENT, mb_type(self->fd, old, NULL));
	EXPECT_EQ(ENOENT, mb_deallocate(self->fd, old));
}

TEST_F_TIMEOUT(mailbox, allocate_beyond_max_names_fails_with_enospc, 600)
{
	struct mailbox_version v;
	__u32 n, last = 0, i;

	ASSERT_EQ(0, mb_version(self->fd, &v));
	if (v.max_names > 300000)
		SKIP(return, "max_names %u too large to fill here", v.max_names);
	for (i = 0; i < v.max_names; i++) {
		ASSERT_EQ(0, mb_allocate(self->fd, MAILBOX_RIGHT_DEAD_NAME, &n))
			TH_LOG("name %u of %u", i, v.max_names);
		last = n;
	}
	EXPECT_EQ(ENOSPC, mb_allocate(self->fd, MAILBOX_RIGHT_DEAD_NAME, &n));
	EXPECT_EQ(ENOSPC, mb_alloc_receive(self->fd, &n));
	/* A foreign insert into the full space, too. */
	ASSERT_LE(0, open_second(self));
	ASSERT_EQ(0, mb_alloc_receive(self->fd2, &n));
	EXPECT_EQ(ENOSPC, mb_give_send(self->fd2, self->fd, n, &n));
	/* One freed name can be allocated again, and only one. */
	ASSERT_EQ(0, mb_deallocate(self->fd, last));
	EXPECT_EQ(0, mb_allocate(self->fd, MAILBOX_RIGHT_DEAD_NAME, &n));
	EXPECT_EQ(ENOSPC, mb_allocate(self->fd, MAILBOX_RIGHT_DEAD_NAME, &n));
}

/* PORT_DEALLOCATE */

TEST_F(mailbox, deallocate_null_and_dead_names_succeeds)
{
	EXPECT_EQ(0, mb_deallocate(self->fd, MAILBOX_PORT_NULL));
	EXPECT_EQ(0, mb_deallocate(self->fd, MAILBOX_PORT_DEAD));
}

TEST_F(mailbox, deallocate_unknown_name_fails_with_enoent)
{
	EXPECT_EQ(ENOENT, mb_deallocate(self->fd, MB_UNUSED_NAME));
}

TEST_F(mailbox, deallocate_receive_only_name_fails_with_eperm)
{
	__u32 r;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	EXPECT_EQ(EPERM, mb_deallocate(self->fd, r));
	EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE, mb_type_bits(self->fd, r));
}

TEST_F(mailbox, deallocate_send_releases_one_uref_and_keeps_the_receive_right)
{
	struct mailbox_port_type t;
	__u32 r;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_make_send(self->fd, r));
	ASSERT_EQ(0, mb_make_send(self->fd, r));
	ASSERT_EQ(0, mb_type(self->fd, r, &t));
	EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE | MAILBOX_PORT_TYPE_SEND, t.type);
	EXPECT_EQ(2, t.send_urefs);

	ASSERT_EQ(0, mb_deallocate(self->fd, r));
	ASSERT_EQ(0, mb_type(self->fd, r, &t));
	EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE | MAILBOX_PORT_TYPE_SEND, t.type);
	EXPECT_EQ(1, t.send_urefs);

	ASSERT_EQ(0, mb_deallocate(self->fd, r));
	ASSERT_EQ(0, mb_type(self->fd, r, &t));
	EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE, t.type);
	EXPECT_EQ(0, t.send_urefs);
	EXPECT_EQ(0, mb_has_senders(self->fd, r));

	EXPECT_EQ(EPERM, mb_deallocate(self->fd, r));
}

TEST_F(mailbox, deallocate_last_send_uref_removes_the_name)
{
	__u32 r, s;

	ASSERT_LE(0, open_second(self));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_give_send(self->fd, self->fd2, r, &s));
	EXPECT_EQ(MAILBOX_PORT_TYPE_SEND, mb_type_bits(self->fd2, s));
	EXPECT_EQ(1, mb_has_senders(self->fd, r));
	ASSERT_EQ(0, mb_deallocate(self->fd2, s));
	EXPECT_EQ(ENOENT, mb_type(self->fd2, s, NULL));
	EXPECT_EQ(0, mb_has_senders(self->fd, r));
}

TEST_F(mailbox, deallocate_send_once_destroys_it)
{
	__u32 r, so;
	__s32 id;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_make_send_once(self->fd, r, &so));
	EXPECT_EQ(MAILBOX_PORT_TYPE_SEND_ONCE, mb_type_bits(self->fd, so));
	EXPECT_EQ(1, mb_sorights(self->fd, r));
	ASSERT_EQ(0, mb_deallocate(self->fd, so));
	EXPECT_EQ(ENOENT, mb_type(self->fd, so, NULL));
	/* Destroyed unused: r gets a send-once notification through it. */
	EXPECT_EQ(1, mb_msgcount(self->fd, r));
	EXPECT_EQ(0, mb_recv_id(self->fd, r, &id));
	EXPECT_EQ(MAILBOX_NOTIFY_SEND_ONCE, id);
	EXPECT_EQ(0, mb_sorights(self->fd, r));
}

TEST_F(mailbox, deallocate_dead_name_releases_one_uref)
{
	__u32 d;

	ASSERT_EQ(0, mb_allocate(self->fd, MAILBOX_RIGHT_DEAD_NAME, &d));
	ASSERT_EQ(0, mb_mod_refs(self->fd, d, MAILBOX_RIGHT_DEAD_NAME, 1));
	EXPECT_EQ(2, mb_dead_urefs(self->fd, d));
	ASSERT_EQ(0, mb_deallocate(self->fd, d));
	EXPECT_EQ(1, mb_dead_urefs(self->fd, d));
	ASSERT_EQ(0, mb_deallocate(self->fd, d));
	EXPECT_EQ(ENOENT, mb_type(self->fd, d, NULL));
}

TEST_F(mailbox, deallocate_send_right_to_dead_port_releases_a_dead_uref)
{
	struct mailbox_port_type t;
	__u32 r, s, n;

	ASSERT_LE(0, open_second(self));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_give_send(self->fd, self->fd2, r, &s));
	n = s;
	ASSERT_EQ(0, mb_insert(self->fd, self->fd2, &n, r, MAILBOX_MSG_TYPE_MAKE_SEND));
	ASSERT_EQ(s, n);
	EXPECT_EQ(2, mb_send_urefs(self->fd2, s));

	ASSERT_EQ(0, mb_destroy(self->fd, r));

	ASSERT_EQ(0, mb_type(self->fd2, s, &t));
	EXPECT_EQ(MAILBOX_PORT_TYPE_DEAD_NAME, t.type);
	EXPECT_EQ(0, t.send_urefs);
	EXPECT_EQ(2, t.dead_urefs);
	ASSERT_EQ(0, mb_deallocate(self->fd2, s));
	EXPECT_EQ(1, mb_dead_urefs(self->fd2, s));
	ASSERT_EQ(0, mb_deallocate(self->fd2, s));
	EXPECT_EQ(ENOENT, mb_type(self->fd2, s, NULL));
}

/* PORT_DESTROY */

TEST_F(mailbox, destroy_null_and_dead_names_succeeds)
{
	EXPECT_EQ(0, mb_destroy(self->fd, MAILBOX_PORT_NULL));
	EXPECT_EQ(0, mb_destroy(self->fd, MAILBOX_PORT_DEAD));
}

TEST_F(mailbox, destroy_unknown_name_fails_with_enoent)
{
	EXPECT_EQ(ENOENT, mb_destroy(self->fd, MB_UNUSED_NAME));
}

TEST_F(mailbox, destroy_removes_receive_and_send_rights_under_the_name)
{
	__u32 r;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_make_send(self->fd, r));
	ASSERT_EQ(0, mb_make_send(self->fd, r));
	ASSERT_EQ(0, mb_destroy(self->fd, r));
	EXPECT_EQ(ENOENT, mb_type(self->fd, r, NULL));
	EXPECT_EQ(ENOENT, mb_destroy(self->fd, r));
}

TEST_F(mailbox, destroy_receive_right_turns_remote_rights_into_dead_names)
{
	struct mailbox_port_type t;
	__u32 r, s, so;

	ASSERT_LE(0, open_second(self));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_give_send(self->fd, self->fd2, r, &s));
	ASSERT_EQ(0, mb_mod_refs(self->fd2, s, MAILBOX_RIGHT_SEND, 2));
	so = MAILBOX_PORT_NULL;
	ASSERT_EQ(0, mb_insert(self->fd, self->fd2, &so, r,
			       MAILBOX_MSG_TYPE_MAKE_SEND_ONCE));
	ASSERT_NE(s, so);

	ASSERT_EQ(0, mb_destroy(self->fd, r));
	EXPECT_EQ(ENOENT, mb_type(self->fd, r, NULL));

	ASSERT_EQ(0, mb_type(self->fd2, s, &t));
	EXPECT_EQ(MAILBOX_PORT_TYPE_DEAD_NAME, t.type);
	EXPECT_EQ(0, t.send_urefs);
	EXPECT_EQ(3, t.dead_urefs);
	ASSERT_EQ(0, mb_type(self->fd2, so, &t));
	EXPECT_EQ(MAILBOX_PORT_TYPE_DEAD_NAME, t.type);
	EXPECT_EQ(1, t.dead_urefs);
}

TEST_F(mailbox, destroy_send_right_leaves_the_port_alive)
{
	__u32 r, s;

	ASSERT_LE(0, open_second(self));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_give_send(self->fd, self->fd2, r, &s));
	ASSERT_EQ(0, mb_mod_refs(self->fd2, s, MAILBOX_RIGHT_SEND, 5));
	ASSERT_EQ(0, mb_destroy(self->fd2, s));
	EXPECT_EQ(ENOENT, mb_type(self->fd2, s, NULL));
	EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE, mb_type_bits(self->fd, r));
	EXPECT_EQ(0, mb_has_senders(self->fd, r));
}

TEST_F(mailbox, destroy_port_destroys_its_queued_messages_and_their_rights)
{
	__u32 r, q, n;
	__s32 id;

	ASSERT_LE(0, open_second(self));
	/* fd2: port r with a send right; fd: port q, fd2 gets a send right to q. */
	ASSERT_EQ(0, mb_alloc_receive(self->fd2, &r));
	ASSERT_EQ(0, mb_make_send(self->fd2, r));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &q));
	ASSERT_EQ(0, mb_give_send(self->fd, self->fd2, q, &n));
	/* Queue a message on r carrying the send right to q; drop the name. */
	ASSERT_EQ(0, mb_send_hdr(self->fd2, r, MAILBOX_MSG_TYPE_COPY_SEND,
				 n, MAILBOX_MSG_TYPE_MOVE_SEND, 1, NULL));
	EXPECT_EQ(ENOENT, mb_type(self->fd2, n, NULL));
	/* A send-once right to q in a second queued message, sent by fd. */
	ASSERT_EQ(0, mb_give_send(self->fd2, self->fd, r, &n));
	ASSERT_EQ(0, mb_send_hdr(self->fd, n, MAILBOX_MSG_TYPE_MOVE_SEND,
				 q, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, 2, NULL));
	EXPECT_EQ(2, mb_msgcount(self->fd2, r));
	EXPECT_EQ(1, mb_has_senders(self->fd, q));
	EXPECT_EQ(1, mb_sorights(self->fd, q));

	ASSERT_EQ(0, mb_destroy(self->fd2, r));
	EXPECT_EQ(0, mb_has_senders(self->fd, q));
	/* The send-once right died unused: q is told so through it. */
	EXPECT_EQ(0, mb_recv_id(self->fd, q, &id));
	EXPECT_EQ(MAILBOX_NOTIFY_SEND_ONCE, id);
	EXPECT_EQ(0, mb_sorights(self->fd, q));
}

/* PORT_MOD_REFS */

TEST_F(mailbox, mod_refs_unknown_right_fails_with_einval)
{
	__u32 r;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_make_send(self->fd, r));
	EXPECT_EQ(EINVAL, mb_mod_refs(self->fd, r, 5, 0));
	EXPECT_EQ(EINVAL, mb_mod_refs(self->fd, r, 5, 1));
	EXPECT_EQ(EINVAL, mb_mod_refs(self->fd, r, 0xffffffffU, 0));
	EXPECT_EQ(1, mb_send_urefs(self->fd, r));
}

TEST_F(mailbox, mod_refs_with_flags_fails_with_einval)
{
	struct mailbox_port_mod_refs m = { .right = MAILBOX_RIGHT_SEND, .delta = 1 };

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &m.name));
	ASSERT_EQ(0, mb_make_send(self->fd, m.name));
	m.flags = 1;
	EXPECT_EQ(EINVAL, mb_ioctl(self->fd, MAILBOX_IOC_PORT_MOD_REFS, &m));
	EXPECT_EQ(1, mb_send_urefs(self->fd, m.name));
}

TEST_F(mailbox, mod_refs_on_null_and_dead_names)
{
	static const __u32 names[] = { MAILBOX_PORT_NULL, MAILBOX_PORT_DEAD };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		EXPECT_EQ(0, mb_mod_refs(self->fd, names[i], MAILBOX_RIGHT_SEND, 1));
		EXPECT_EQ(0, mb_mod_refs(self->fd, names[i], MAILBOX_RIGHT_SEND, -1));
		EXPECT_EQ(0, mb_mod_refs(self->fd, names[i], MAILBOX_RIGHT_SEND_ONCE, -1));
		EXPECT_EQ(EINVAL, mb_mod_refs(self->fd, names[i], MAILBOX_RIGHT_RECEIVE, -1));
		EXPECT_EQ(EINVAL, mb_mod_refs(self->fd, names[i], MAILBOX_RIGHT_PORT_SET, 0));
		EXPECT_EQ(EINVAL, mb_mod_refs(self->fd, names[i], MAILBOX_RIGHT_DEAD_NAME, -1));
	}
}

TEST_F(mailbox, mod_refs_unknown_name_fails_with_enoent)
{
	EXPECT_EQ(ENOENT, mb_mod_refs(self->fd, MB_UNUSED_NAME, MAILBOX_RIGHT_SEND, 1));
	EXPECT_EQ(ENOENT, mb_mod_refs(self->fd, MB_UNUSED_NAME, MAILBOX_RIGHT_RECEIVE, 0));
	EXPECT_EQ(ENOENT, mb_mod_refs(self->fd, MB_UNUSED_NAME, MAILBOX_RIGHT_DEAD_NAME, -1));
}

TEST_F(mailbox, mod_refs_receive)
{
	__u32 r, s;

	ASSERT_LE(0, open_second(self));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_give_send(self->fd, self->fd2, r, &s));
	EXPECT_EQ(EPERM, mb_mod_refs(self->fd2, s, MAILBOX_RIGHT_RECEIVE, 0));
	EXPECT_EQ(EPERM, mb_mod_refs(self->fd2, s, MAILBOX_RIGHT_RECEIVE, -1));

	EXPECT_EQ(0, mb_mod_refs(self->fd, r, MAILBOX_RIGHT_RECEIVE, 0));
	EXPECT_EQ(EINVAL, mb_mod_refs(self->fd, r, MAILBOX_RIGHT_RECEIVE, 1));
	EXPECT_EQ(EINVAL, mb_mod_refs(self->fd, r, MAILBOX_RIGHT_RECEIVE, -2));
	EXPECT_EQ(EINVAL, mb_mod_refs(self->fd, r, MAILBOX_RIGHT_RECEIVE, INT32_MIN));
	EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE, mb_type_bits(self->fd, r));
	EXPECT_EQ(MAILBOX_PORT_TYPE_SEND, mb_type_bits(self->fd2, s));

	/* -1 destroys the receive right: the port dies. */
	ASSERT_EQ(0, mb_mod_refs(self->fd, r, MAILBOX_RIGHT_RECEIVE, -1));
	EXPECT_EQ(ENOENT, mb_type(self->fd, r, NULL));
	EXPECT_EQ(MAILBOX_PORT_TYPE_DEAD_NAME, mb_type_bits(self->fd2, s));
}

TEST_F(mailbox, mod_refs_send_up_to_urefs_max)
{
	__u32 r;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	EXPECT_EQ(EPERM, mb_mod_refs(self->fd, r, MAILBOX_RIGHT_SEND, 1));
	EXPECT_EQ(EPERM, mb_mod_refs(self->fd, r, MAILBOX_RIGHT_SEND, 0));
	ASSERT_EQ(0, mb_make_send(self->fd, r));

	EXPECT_EQ(0, mb_mod_refs(self->fd, r, MAILBOX_RIGHT_SEND, 0));
	EXPECT_EQ(1, mb_send_urefs(self->fd, r));
	/* 1 + 0xffff is one too many. */
	EXPECT_EQ(EOVERFLOW, mb_mod_refs(self->fd, r, MAILBOX_RIGHT_SEND, MAILBOX_UREFS_MAX));
	EXPECT_EQ(EOVERFLOW, mb_mod_refs(self->fd, r, MAILBOX_RIGHT_SEND, INT32_MAX));
	EXPECT_EQ(1, mb_send_urefs(self->fd, r));
	ASSERT_EQ(0, mb_mod_refs(self->fd, r, MAILBOX_RIGHT_SEND, MAILBOX_UREFS_MAX - 1));
	EXPECT_EQ(MAILBOX_UREFS_MAX, mb_send_urefs(self->fd, r));
	EXPECT_EQ(EOVERFLOW, mb_mod_refs(self->fd, r, MAILBOX_RIGHT_SEND, 1));
	EXPECT_EQ(MAILBOX_UREFS_MAX, mb_send_urefs(self->fd, r));
	/* Other ways of adding a uref overflow as well. */
	EXPECT_EQ(EOVERFLOW, mb_make_send(self->fd, r));
	EXPECT_EQ(MAILBOX_UREFS_MAX, mb_send_urefs(self->fd, r));
}

TEST_F(mailbox, mod_refs_send_below_zero_fails_with_einval)
{
	__u32 r;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_make_send(self->fd, r));
	ASSERT_EQ(0, mb_mod_refs(self->fd, r, MAILBOX_RIGHT_SEND, 2));
	EXPECT_EQ(EINVAL, mb_mod_refs(self->fd, r, MAILBOX_RIGHT_SEND, -4));
	EXPECT_EQ(EINVAL, mb_mod_refs(self->fd, r, MAILBOX_RIGHT_SEND, INT32_MIN));
	EXPECT_EQ(3, mb_send_urefs(self->fd, r));
	/* Exactly to zero removes the send right, not the receive right. */
	ASSERT_EQ(0, mb_mod_refs(self->fd, r, MAILBOX_RIGHT_SEND, -3));
	EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE, mb_type_bits(self->fd, r));
	EXPECT_EQ(EPERM, mb_mod_refs(self->fd, r, MAILBOX_RIGHT_SEND, -1));
}

TEST_F(mailbox, mod_refs_send_to_zero_removes_a_send_only_name)
{
	__u32 r, s;

	ASSERT_LE(0, open_second(self));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_give_send(self->fd, self->fd2, r, &s));
	ASSERT_EQ(0, mb_mod_refs(self->fd2, s, MAILBOX_RIGHT_SEND, MAILBOX_UREFS_MAX - 1));
	EXPECT_EQ(MAILBOX_UREFS_MAX, mb_send_urefs(self->fd2, s));
	ASSERT_EQ(0, mb_mod_refs(self->fd2, s, MAILBOX_RIGHT_SEND, -(__s32)MAILBOX_UREFS_MAX));
	EXPECT_EQ(ENOENT, mb_type(self->fd2, s, NULL));
	EXPECT_EQ(0, mb_has_senders(self->fd, r));
}

TEST_F(mailbox, mod_refs_send_on_a_dead_port_fails_with_eperm)
{
	__u32 r, s;

	ASSERT_LE(0, open_second(self));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_give_send(self->fd, self->fd2, r, &s));
	ASSERT_EQ(0, mb_destroy(self->fd, r));
	EXPECT_EQ(EPERM, mb_mod_refs(self->fd2, s, MAILBOX_RIGHT_SEND, 1));
	EXPECT_EQ(EPERM, mb_mod_refs(self->fd2, s, MAILBOX_RIGHT_SEND, -1));
	EXPECT_EQ(1, mb_dead_urefs(self->fd2, s));
}

TEST_F(mailbox, mod_refs_send_once)
{
	__u32 r, so;
	__s32 id;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	EXPECT_EQ(EPERM, mb_mod_refs(self->fd, r, MAILBOX_RIGHT_SEND_ONCE, 0));
	EXPECT_EQ(EPERM, mb_mod_refs(self->fd, r, MAILBOX_RIGHT_SEND_ONCE, -1));
	ASSERT_EQ(0, mb_make_send_once(self->fd, r, &so));
	EXPECT_EQ(0, mb_mod_refs(self->fd, so, MAILBOX_RIGHT_SEND_ONCE, 0));
	EXPECT_EQ(EINVAL, mb_mod_refs(self->fd, so, MAILBOX_RIGHT_SEND_ONCE, 1));
	EXPECT_EQ(EINVAL, mb_mod_refs(self->fd, so, MAILBOX_RIGHT_SEND_ONCE, -2));
	EXPECT_EQ(EPERM, mb_mod_refs(self->fd, so, MAILBOX_RIGHT_SEND, 1));
	EXPECT_EQ(MAILBOX_PORT_TYPE_SEND_ONCE, mb_type_bits(self->fd, so));
	EXPECT_EQ(1, mb_sorights(self->fd, r));
	ASSERT_EQ(0, mb_mod_refs(self->fd, so, MAILBOX_RIGHT_SEND_ONCE, -1));
	EXPECT_EQ(ENOENT, mb_type(self->fd, so, NULL));
	EXPECT_EQ(0, mb_recv_id(self->fd, r, &id));
	EXPECT_EQ(MAILBOX_NOTIFY_SEND_ONCE, id);
	EXPECT_EQ(0, mb_sorights(self->fd, r));
}

TEST_F(mailbox, mod_refs_dead_name_up_to_urefs_max)
{
	__u32 r, d;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	EXPECT_EQ(EPERM, mb_mod_refs(self->fd, r, MAILBOX_RIGHT_DEAD_NAME, 1));
	ASSERT_EQ(0, mb_allocate(self->fd, MAILBOX_RIGHT_DEAD_NAME, &d));
	EXPECT_EQ(EPERM, mb_mod_refs(self->fd, d, MAILBOX_RIGHT_SEND, 1));
	EXPECT_EQ(EOVERFLOW, mb_mod_refs(self->fd, d, MAILBOX_RIGHT_DEAD_NAME, MAILBOX_UREFS_MAX));
	ASSERT_EQ(0, mb_mod_refs(self->fd, d, MAILBOX_RIGHT_DEAD_NAME, MAILBOX_UREFS_MAX - 1));
	EXPECT_EQ(MAILBOX_UREFS_MAX, mb_dead_urefs(self->fd, d));
	EXPECT_EQ(EOVERFLOW, mb_mod_refs(self->fd, d, MAILBOX_RIGHT_DEAD_NAME, 1));
	EXPECT_EQ(EINVAL, mb_mod_refs(self->fd, d, MAILBOX_RIGHT_DEAD_NAME,
				      -(__s32)MAILBOX_UREFS_MAX - 1));
	EXPECT_EQ(MAILBOX_UREFS_MAX, mb_dead_urefs(self->fd, d));
	ASSERT_EQ(0, mb_mod_refs(self->fd, d, MAILBOX_RIGHT_DEAD_NAME,
				 -(__s32)MAILBOX_UREFS_MAX));
	EXPECT_EQ(ENOENT, mb_type(self->fd, d, NULL));
}

TEST_F(mailbox, mod_refs_dead_name_on_rights_to_a_dead_port)
{
	__u32 r, s, so;

	ASSERT_LE(0, open_second(self));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_give_send(self->fd, self->fd2, r, &s));
	so = MAILBOX_PORT_NULL;
	ASSERT_EQ(0, mb_insert(self->fd, self->fd2, &so, r, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE));
	/* While the port lives they are not dead names. */
	EXPECT_EQ(EPERM, mb_mod_refs(self->fd2, s, MAILBOX_RIGHT_DEAD_NAME, 1));
	EXPECT_EQ(EPERM, mb_mod_refs(self->fd2, so, MAILBOX_RIGHT_DEAD_NAME, 1));
	ASSERT_EQ(0, mb_destroy(self->fd, r));
	/* Now they are. */
	ASSERT_EQ(0, mb_mod_refs(self->fd2, s, MAILBOX_RIGHT_DEAD_NAME, 1));
	EXPECT_EQ(2, mb_dead_urefs(self->fd2, s));
	EXPECT_EQ(EPERM, mb_mod_refs(self->fd2, so, MAILBOX_RIGHT_SEND_ONCE, -1));
	ASSERT_EQ(0, mb_mod_refs(self->fd2, so, MAILBOX_RIGHT_DEAD_NAME, -1));
	EXPECT_EQ(ENOENT, mb_type(self->fd2, so, NULL));
}

TEST_F(mailbox, mod_refs_port_set_on_a_port_fails_with_eperm)
{
	__u32 r;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	EXPECT_EQ(EPERM, mb_mod_refs(self->fd, r, MAILBOX_RIGHT_PORT_SET, 0));
	EXPECT_EQ(EPERM, mb_mod_refs(self->fd, r, MAILBOX_RIGHT_PORT_SET, -1));
}

/* PORT_INSERT_RIGHT */

TEST_F(mailbox, insert_make_send_into_self_adds_a_send_right_under_the_same_name)
{
	struct mailbox_port_attr a;
	__u32 r, n;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	n = r;
	ASSERT_EQ(0, mb_insert(self->fd, MAILBOX_SPACE_SELF, &n, r, MAILBOX_MSG_TYPE_MAKE_SEND));
	EXPECT_EQ(r, n);
	EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE | MAILBOX_PORT_TYPE_SEND, mb_type_bits(self->fd, r));
	EXPECT_EQ(1, mb_send_urefs(self->fd, r));
	/* NULL finds the existing name. */
	n = MAILBOX_PORT_NULL;
	ASSERT_EQ(0, mb_insert(self->fd, MAILBOX_SPACE_SELF, &n, r, MAILBOX_MSG_TYPE_MAKE_SEND));
	EXPECT_EQ(r, n);
	EXPECT_EQ(2, mb_send_urefs(self->fd, r));
	ASSERT_EQ(0, mb_get_attr(self->fd, r, &a));
	EXPECT_EQ(2, a.mscount);
	EXPECT_EQ(1, a.has_senders);
}

TEST_F(mailbox, insert_copy_send_into_self_adds_a_uref)
{
	__u32 r, n;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_make_send(self->fd, r));
	n = r;
	ASSERT_EQ(0, mb_insert(self->fd, MAILBOX_SPACE_SELF, &n, r, MAILBOX_MSG_TYPE_COPY_SEND));
	EXPECT_EQ(r, n);
	EXPECT_EQ(2, mb_send_urefs(self->fd, r));
}

TEST_F(mailbox, insert_under_another_name_of_the_same_space_fails_with_ealready)
{
	__u32 r, r2, n;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r2));
	ASSERT_EQ(0, mb_make_send(self->fd, r));
	n = r2;
	EXPECT_EQ(EALREADY, mb_insert(self->fd, MAILBOX_SPACE_SELF, &n, r,
				      MAILBOX_MSG_TYPE_MAKE_SEND));
	n = MB_UNUSED_NAME;
	EXPECT_EQ(EALREADY, mb_insert(self->fd, MAILBOX_SPACE_SELF, &n, r,
				      MAILBOX_MSG_TYPE_COPY_SEND));
	EXPECT_EQ(1, mb_send_urefs(self->fd, r));
	EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE, mb_type_bits(self->fd, r2));
	EXPECT_EQ(ENOENT, mb_type(self->fd, MB_UNUSED_NAME, NULL));
}

TEST_F(mailbox, insert_make_send_once_into_self_gets_a_new_name_each_time)
{
	__u32 r, so1, so2;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_make_send_once(self->fd, r, &so1));
	ASSERT_EQ(0, mb_make_send_once(self->fd, r, &so2));
	EXPECT_NE(MAILBOX_PORT_NULL, so1);
	EXPECT_NE(r, so1);
	EXPECT_NE(r, so2);
	EXPECT_NE(so1, so2);
	EXPECT_EQ(MAILBOX_PORT_TYPE_SEND_ONCE, mb_type_bits(self->fd, so1));
	EXPECT_EQ(MAILBOX_PORT_TYPE_SEND_ONCE, mb_type_bits(self->fd, so2));
	EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE, mb_type_bits(self->fd, r));
	EXPECT_EQ(2, mb_sorights(self->fd, r));
}

TEST_F(mailbox, insert_with_bad_disposition_fails_with_einval)
{
	static const __u32 bad[] = {
		0, 15, MAILBOX_MSG_TYPE_MOVE_RECEIVE, 22, 0x80000013U,
	};
	unsigned int i;
	__u32 r, n;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_make_send(self->fd, r));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		n = r;
		EXPECT_EQ(EINVAL, mb_insert(self->fd, MAILBOX_SPACE_SELF, &n, r, bad[i]))
			TH_LOG("disposition %u", bad[i]);
	}
	EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE | MAILBOX_PORT_TYPE_SEND, mb_type_bits(self->fd, r));
	EXPECT_EQ(1, mb_send_urefs(self->fd, r));
}

TEST_F(mailbox, insert_with_flags_or_reserved_fails_with_einval)
{
	struct mailbox_port_insert_right ir = {
		.space_fd = MAILBOX_SPACE_SELF,
		.disposition = MAILBOX_MSG_TYPE_MAKE_SEND,
		.flags = 1,
	};

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &ir.poly));
	ir.name = ir.poly;
	EXPECT_EQ(EINVAL, mb_ioctl(self->fd, MAILBOX_IOC_PORT_INSERT_RIGHT, &ir));
	ir.flags = 0;
	ir.reserved = 1;
	EXPECT_EQ(EINVAL, mb_ioctl(self->fd, MAILBOX_IOC_PORT_INSERT_RIGHT, &ir));
	EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE, mb_type_bits(self->fd, ir.poly));
}

TEST_F(mailbox, insert_from_null_dead_or_unknown_poly_fails_with_enoent)
{
	static const __u32 polys[] = {
		MAILBOX_PORT_NULL, MAILBOX_PORT_DEAD, MB_UNUSED_NAME,
	};
	unsigned int i;
	__u32 n;

	ASSERT_LE(0, open_second(self));
	for (i = 0; i < ARRAY_SIZE(polys); i++) {
		n = MAILBOX_PORT_NULL;
		EXPECT_EQ(ENOENT, mb_insert(self->fd, self->fd2, &n, polys[i],
					    MAILBOX_MSG_TYPE_COPY_SEND));
		n = MAILBOX_PORT_NULL;
		EXPECT_EQ(ENOENT, mb_insert(self->fd, self->fd2, &n, polys[i],
					    MAILBOX_MSG_TYPE_MAKE_SEND));
	}
}

TEST_F(mailbox, insert_without_the_needed_right_fails_with_eperm)
{
	__u32 r, s, so, n;

	ASSERT_LE(0, open_second(self));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_give_send(self->fd, self->fd2, r, &s));
	so = MAILBOX_PORT_NULL;
	ASSERT_EQ(0, mb_insert(self->fd, self->fd2, &so, r, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE));

	/* In fd2: s is a send right, so a send-once right. */
	n = MAILBOX_PORT_NULL;
	EXPECT_EQ(EPERM, mb_insert(self->fd2, self->fd, &n, s, MAILBOX_MSG_TYPE_MAKE_SEND));
	EXPECT_EQ(EPERM, mb_insert(self->fd2, self->fd, &n, s, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE));
	EXPECT_EQ(EPERM, mb_insert(self->fd2, self->fd, &n, s, MAILBOX_MSG_TYPE_MOVE_SEND_ONCE));
	EXPECT_EQ(EPERM, mb_insert(self->fd2, self->fd, &n, so, MAILBOX_MSG_TYPE_COPY_SEND));
	EXPECT_EQ(EPERM, mb_insert(self->fd2, self->fd, &n, so, MAILBOX_MSG_TYPE_MOVE_SEND));
	/* In fd: r is a receive right without send rights. */
	n = r;
	EXPECT_EQ(EPERM, mb_insert(self->fd, MAILBOX_SPACE_SELF, &n, r,
				   MAILBOX_MSG_TYPE_COPY_SEND));
	EXPECT_EQ(EPERM, mb_insert(self->fd, MAILBOX_SPACE_SELF, &n, r,
				   MAILBOX_MSG_TYPE_MOVE_SEND));
	n = MAILBOX_PORT_NULL;
	EXPECT_EQ(EPERM, mb_insert(self->fd, MAILBOX_SPACE_SELF, &n, r,
				   MAILBOX_MSG_TYPE_MOVE_SEND_ONCE));

	EXPECT_EQ(1, mb_send_urefs(self->fd2, s));
	EXPECT_EQ(MAILBOX_PORT_TYPE_SEND_ONCE, mb_type_bits(self->fd2, so));
	EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE, mb_type_bits(self->fd, r));
}

TEST_F(mailbox, insert_from_a_right_to_a_dead_port_fails_with_epipe)
{
	__u32 r, s, so, n;
	int fd3;

	ASSERT_LE(0, open_second(self));
	fd3 = mb_open();
	ASSERT_LE(0, fd3);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_give_send(self->fd, self->fd2, r, &s));
	so = MAILBOX_PORT_NULL;
	ASSERT_EQ(0, mb_insert(self->fd, self->fd2, &so, r, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE));
	ASSERT_EQ(0, mb_destroy(self->fd, r));

	n = MAILBOX_PORT_NULL;
	EXPECT_EQ(EPIPE, mb_insert(self->fd2, fd3, &n, s, MAILBOX_MSG_TYPE_COPY_SEND));
	n = MAILBOX_PORT_NULL;
	EXPECT_EQ(EPIPE, mb_insert(self->fd2, fd3, &n, s, MAILBOX_MSG_TYPE_MOVE_SEND));
	n = MAILBOX_PORT_NULL;
	EXPECT_EQ(EPIPE, mb_insert(self->fd2, fd3, &n, so, MAILBOX_MSG_TYPE_MOVE_SEND_ONCE));
	EXPECT_EQ(1, mb_dead_urefs(self->fd2, s));
	EXPECT_EQ(1, mb_dead_urefs(self->fd2, so));
	close(fd3);
}

TEST_F(mailbox, insert_into_a_second_space_via_its_fd)
{
	struct mailbox_port_type t;
	__u32 r, n, n2;

	ASSERT_LE(0, open_second(self));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	n = MAILBOX_PORT_NULL;
	ASSERT_EQ(0, mb_insert(self->fd, self->fd2, &n, r, MAILBOX_MSG_TYPE_MAKE_SEND));
	EXPECT_NE(MAILBOX_PORT_NULL, n);
	EXPECT_NE(MAILBOX_PORT_DEAD, n);
	ASSERT_EQ(0, mb_type(self->fd2, n, &t));
	EXPECT_EQ(MAILBOX_PORT_TYPE_SEND, t.type);
	EXPECT_EQ(1, t.send_urefs);
	/* The receive right stays where it was, with no send right. */
	EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE, mb_type_bits(self->fd, r));
	EXPECT_EQ(1, mb_has_senders(self->fd, r));

	/* Again, with NULL and with the name: merged into the same name. */
	n2 = MAILBOX_PORT_NULL;
	ASSERT_EQ(0, mb_insert(self->fd, self->fd2, &n2, r, MAILBOX_MSG_TYPE_MAKE_SEND));
	EXPECT_EQ(n, n2);
	n2 = n;
	ASSERT_EQ(0, mb_insert(self->fd, self->fd2, &n2, r, MAILBOX_MSG_TYPE_MAKE_SEND));
	EXPECT_EQ(n, n2);
	EXPECT_EQ(3, mb_send_urefs(self->fd2, n));
	/* Any other name is refused. */
	n2 = MB_UNUSED_NAME;
	EXPECT_EQ(EALREADY, mb_insert(self->fd, self->fd2, &n2, r, MAILBOX_MSG_TYPE_MAKE_SEND));
	EXPECT_EQ(3, mb_send_urefs(self->fd2, n));
	EXPECT_EQ(ENOENT, mb_type(self->fd2, MB_UNUSED_NAME, NULL));
}

TEST_F(mailbox, insert_into_a_second_space_uses_the_given_name)
{
	__u32 r1, r2, n, want = MB_UNUSED_NAME;

	ASSERT_LE(0, open_second(self));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r1));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r2));
	n = want;
	ASSERT_EQ(0, mb_insert(self->fd, self->fd2, &n, r1, MAILBOX_MSG_TYPE_MAKE_SEND));
	EXPECT_EQ(want, n);
	EXPECT_EQ(MAILBOX_PORT_TYPE_SEND, mb_type_bits(self->fd2, want));
	/* That name is taken by another port now. */
	n = want;
	EXPECT_EQ(EEXIST, mb_insert(self->fd, self->fd2, &n, r2, MAILBOX_MSG_TYPE_MAKE_SEND));
	EXPECT_EQ(0, mb_has_senders(self->fd, r2));
	/* A newly allocated name in fd2 never collides with it. */
	ASSERT_EQ(0, mb_alloc_receive(self->fd2, &n));
	EXPECT_NE(want, n);
}

TEST_F(mailbox, insert_under_an_invalid_name_fails_with_einval)
{
	__u32 r, n;

	ASSERT_LE(0, open_second(self));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	/* Index 0 with a non-zero generation. */
	n = 0x01;
	EXPECT_EQ(EINVAL, mb_insert(self->fd, self->fd2, &n, r, MAILBOX_MSG_TYPE_MAKE_SEND));
	n = 0xff;
	EXPECT_EQ(EINVAL, mb_insert(self->fd, self->fd2, &n, r, MAILBOX_MSG_TYPE_MAKE_SEND));
	n = MAILBOX_PORT_DEAD;
	EXPECT_EQ(EINVAL, mb_insert(self->fd, self->fd2, &n, r, MAILBOX_MSG_TYPE_MAKE_SEND));
	/* The largest index with a generation that does not make it DEAD. */
	n = 0xffffff00U;
	EXPECT_EQ(EINVAL, mb_insert(self->fd, self->fd2, &n, r, MAILBOX_MSG_TYPE_MAKE_SEND));
	EXPECT_EQ(0, mb_has_senders(self->fd, r));
}

TEST_F(mailbox, insert_under_an_invalid_index_fails_with_einval)
{
	__u32 r, n;

	ASSERT_LE(0, open_second(self));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	/* Index 0xffffff is never a name: its generation 0xff is DEAD. */
	n = (0xffffffU << 8) | 1;
	EXPECT_EQ(EINVAL, mb_insert(self->fd, self->fd2, &n, r, MAILBOX_MSG_TYPE_MAKE_SEND));
	/* Index 0 is never a name either. */
	n = 5;
	EXPECT_EQ(EINVAL, mb_insert(self->fd, self->fd2, &n, r, MAILBOX_MSG_TYPE_MAKE_SEND));
	EXPECT_EQ(0, mb_has_senders(self->fd, r));
	/* The highest index is fine. */
	n = (0xfffffeU << 8) | 7;
	EXPECT_EQ(0, mb_insert(self->fd, self->fd2, &n, r, MAILBOX_MSG_TYPE_MAKE_SEND));
	EXPECT_EQ((0xfffffeU << 8) | 7, n);
	EXPECT_EQ(1, mb_has_senders(self->fd, r));
}

TEST_F(mailbox, insert_move_send_into_a_second_space_moves_one_uref)
{
	__u32 r, n;

	ASSERT_LE(0, open_second(self));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_make_send(self->fd, r));
	ASSERT_EQ(0, mb_make_send(self->fd, r));
	n = MAILBOX_PORT_NULL;
	ASSERT_EQ(0, mb_insert(self->fd, self->fd2, &n, r, MAILBOX_MSG_TYPE_MOVE_SEND));
	EXPECT_EQ(1, mb_send_urefs(self->fd, r));
	EXPECT_EQ(1, mb_send_urefs(self->fd2, n));
	ASSERT_EQ(0, mb_insert(self->fd, self->fd2, &n, r, MAILBOX_MSG_TYPE_MOVE_SEND));
	EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE, mb_type_bits(self->fd, r));
	EXPECT_EQ(2, mb_send_urefs(self->fd2, n));
	EXPECT_EQ(1, mb_has_senders(self->fd, r));
}

TEST_F(mailbox, insert_move_send_that_fails_restores_the_source)
{
	__u32 r, r2, s, n;

	ASSERT_LE(0, open_second(self));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r2));
	ASSERT_EQ(0, mb_make_send(self->fd, r));
	/* fd2 already holds r2 under the name s. */
	ASSERT_EQ(0, mb_give_send(self->fd, self->fd2, r2, &s));
	/* Moving r's last uref under s: EEXIST, r keeps its send right. */
	n = s;
	EXPECT_EQ(EEXIST, mb_insert(self->fd, self->fd2, &n, r, MAILBOX_MSG_TYPE_MOVE_SEND));
	EXPECT_EQ(1, mb_send_urefs(self->fd, r));
	/* fd2 gets r under some name; moving it under another: EALREADY. */
	ASSERT_EQ(0, mb_give_send(self->fd, self->fd2, r, &n));
	n = MB_UNUSED_NAME;
	EXPECT_EQ(EALREADY, mb_insert(self->fd, self->fd2, &n, r, MAILBOX_MSG_TYPE_MOVE_SEND));
	EXPECT_EQ(1, mb_send_urefs(self->fd, r));
	EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE | MAILBOX_PORT_TYPE_SEND, mb_type_bits(self->fd, r));
	/* A bad space: the right stays. */
	n = MAILBOX_PORT_NULL;
	EXPECT_EQ(EBADF, mb_insert(self->fd, 1000, &n, r, MAILBOX_MSG_TYPE_MOVE_SEND));
	EXPECT_EQ(1, mb_send_urefs(self->fd, r));
}

TEST_F(mailbox, insert_send_once_into_a_second_space)
{
	__u32 r, so1, so2, moved;

	ASSERT_LE(0, open_second(self));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	so1 = MAILBOX_PORT_NULL;
	ASSERT_EQ(0, mb_insert(self->fd, self->fd2, &so1, r, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE));
	so2 = MAILBOX_PORT_NULL;
	ASSERT_EQ(0, mb_insert(self->fd, self->fd2, &so2, r, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE));
	EXPECT_NE(so1, so2);
	EXPECT_EQ(MAILBOX_PORT_TYPE_SEND_ONCE, mb_type_bits(self->fd2, so1));
	EXPECT_EQ(MAILBOX_PORT_TYPE_SEND_ONCE, mb_type_bits(self->fd2, so2));
	EXPECT_EQ(2, mb_sorights(self->fd, r));
	EXPECT_EQ(0, mb_has_senders(self->fd, r));

	/* Move one back into fd's space: it gets a new name there. */
	moved = MAILBOX_PORT_NULL;
	ASSERT_EQ(0, mb_insert(self->fd2, self->fd, &moved, so1,
			       MAILBOX_MSG_TYPE_MOVE_SEND_ONCE));
	EXPECT_NE(MAILBOX_PORT_NULL, moved);
	EXPECT_NE(r, moved);
	EXPECT_EQ(ENOENT, mb_type(self->fd2, so1, NULL));
	EXPECT_EQ(MAILBOX_PORT_TYPE_SEND_ONCE, mb_type_bits(self->fd, moved));
	EXPECT_EQ(2, mb_sorights(self->fd, r));
}

TEST_F(mailbox, insert_into_a_pipe_fails_with_einval)
{
	int p[2];
	__u32 r, n;

	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	n = MAILBOX_PORT_NULL;
	EXPECT_EQ(EINVAL, mb_insert(self->fd, p[0], &n, r, MAILBOX_MSG_TYPE_MAKE_SEND));
	EXPECT_EQ(0, mb_has_senders(self->fd, r));
	close(p[0]);
	close(p[1]);
}

TEST_F(mailbox, insert_into_another_device_fails_with_einval)
{
	int nfd;
	__u32 r, n;

	nfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, nfd);
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	n = MAILBOX_PORT_NULL;
	EXPECT_EQ(EINVAL, mb_insert(self->fd, nfd, &n, r, MAILBOX_MSG_TYPE_MAKE_SEND));
	close(nfd);
}

TEST_F(mailbox, insert_into_a_closed_fd_fails_with_ebadf)
{
	int fd2;
	__u32 r, n;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	fd2 = mb_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, close(fd2));
	n = MAILBOX_PORT_NULL;
	EXPECT_EQ(EBADF, mb_insert(self->fd, fd2, &n, r, MAILBOX_MSG_TYPE_MAKE_SEND));
	n = MAILBOX_PORT_NULL;
	EXPECT_EQ(EBADF, mb_insert(self->fd, -2, &n, r, MAILBOX_MSG_TYPE_MAKE_SEND));
	n = MAILBOX_PORT_NULL;
	EXPECT_EQ(EBADF, mb_insert(self->fd, INT32_MAX, &n, r, MAILBOX_MSG_TYPE_MAKE_SEND));
	EXPECT_EQ(0, mb_has_senders(self->fd, r));
}

TEST_F(mailbox, insert_into_own_space_by_fd_behaves_as_self)
{
	__u32 r, n;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	n = r;
	ASSERT_EQ(0, mb_insert(self->fd, self->fd, &n, r, MAILBOX_MSG_TYPE_MAKE_SEND));
	EXPECT_EQ(r, n);
	EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE | MAILBOX_PORT_TYPE_SEND, mb_type_bits(self->fd, r));
}

TEST_F(mailbox, insert_copy_send_overflowing_urefs_fails_with_eoverflow)
{
	__u32 r, s, n;

	ASSERT_LE(0, open_second(self));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_make_send(self->fd, r));
	ASSERT_EQ(0, mb_give_send(self->fd, self->fd2, r, &s));
	ASSERT_EQ(0, mb_mod_refs(self->fd2, s, MAILBOX_RIGHT_SEND, MAILBOX_UREFS_MAX - 1));
	n = s;
	EXPECT_EQ(EOVERFLOW, mb_insert(self->fd, self->fd2, &n, r, MAILBOX_MSG_TYPE_COPY_SEND));
	n = s;
	EXPECT_EQ(EOVERFLOW, mb_insert(self->fd, self->fd2, &n, r, MAILBOX_MSG_TYPE_MOVE_SEND));
	EXPECT_EQ(MAILBOX_UREFS_MAX, mb_send_urefs(self->fd2, s));
	EXPECT_EQ(1, mb_send_urefs(self->fd, r));
}

/* PORT_TYPE */

TEST_F(mailbox, type_of_null_dead_or_unknown_name_fails_with_enoent)
{
	EXPECT_EQ(ENOENT, mb_type(self->fd, MAILBOX_PORT_NULL, NULL));
	EXPECT_EQ(ENOENT, mb_type(self->fd, MAILBOX_PORT_DEAD, NULL));
	EXPECT_EQ(ENOENT, mb_type(self->fd, MB_UNUSED_NAME, NULL));
}

TEST_F(mailbox, type_with_flags_or_reserved_fails_with_einval)
{
	struct mailbox_port_type t = { .flags = 1 };

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &t.name));
	EXPECT_EQ(EINVAL, mb_ioctl(self->fd, MAILBOX_IOC_PORT_TYPE, &t));
	t.flags = 0;
	t.reserved = 1;
	EXPECT_EQ(EINVAL, mb_ioctl(self->fd, MAILBOX_IOC_PORT_TYPE, &t));
}

/* PORT_NAMES */

TEST_F(mailbox, names_of_an_empty_space)
{
	struct mailbox_port_names pn = { .count = 0 };

	ASSERT_EQ(0, mb_ioctl(self->fd, MAILBOX_IOC_PORT_NAMES, &pn));
	EXPECT_EQ(0, pn.count);
}

TEST_F(mailbox, names_lists_every_name_with_its_type)
{
	__u32 names[8], types[8], want[4], want_type[4];
	struct mailbox_port_names pn;
	int i, j;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &want[0]));
	want_type[0] = MAILBOX_PORT_TYPE_RECEIVE;
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &want[1]));
	ASSERT_EQ(0, mb_make_send(self->fd, want[1]));
	want_type[1] = MAILBOX_PORT_TYPE_RECEIVE | MAILBOX_PORT_TYPE_SEND;
	ASSERT_EQ(0, mb_make_send_once(self->fd, want[0], &want[2]));
	want_type[2] = MAILBOX_PORT_TYPE_SEND_ONCE;
	ASSERT_EQ(0, mb_allocate(self->fd, MAILBOX_RIGHT_DEAD_NAME, &want[3]));
	want_type[3] = MAILBOX_PORT_TYPE_DEAD_NAME;

	memset(names, MB_PATTERN, sizeof(names));
	memset(types, MB_PATTERN, sizeof(types));
	pn = (struct mailbox_port_names) {
		.names = (uintptr_t)names, .types = (uintptr_t)types, .count = 8,
	};
	ASSERT_EQ(0, mb_ioctl(self->fd, MAILBOX_IOC_PORT_NAMES, &pn));
	ASSERT_EQ(4, pn.count);
	for (i = 0; i < 4; i++) {
		if (i)
			EXPECT_LT(MAILBOX_NAME_INDEX(names[i - 1]), MAILBOX_NAME_INDEX(names[i]));
		for (j = 0; j < 4; j++)
			if (names[i] == want[j])
				break;
		ASSERT_LT(j, 4) TH_LOG("unexpected name %#x", names[i]);
		EXPECT_EQ(want_type[j], types[i]) TH_LOG("name %#x", names[i]);
	}
	for (i = 4; i < 8; i++) {
		EXPECT_EQ(MB_PATTERN32, names[i]);
		EXPECT_EQ(MB_PATTERN32, types[i]);
	}
}

TEST_F(mailbox, names_with_too_small_arrays_fails_with_enospc_and_writes_nothing)
{
	__u32 names[4], types[4], n;
	struct mailbox_port_names pn;
	int i;

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, mb_alloc_receive(self->fd, &n));

	pn = (struct mailbox_port_names) { .count = 0 };
	EXPECT_EQ(ENOSPC, mb_ioctl(self->fd, MAILBOX_IOC_PORT_NAMES, &pn));
	EXPECT_EQ(3, pn.count);

	memset(names, MB_PATTERN, sizeof(names));
	memset(types, MB_PATTERN, sizeof(types));
	pn = (struct mailbox_port_names) {
		.names = (uintptr_t)names, .types = (uintptr_t)types, .count = 2,
	};
	EXPECT_EQ(ENOSPC, mb_ioctl(self->fd, MAILBOX_IOC_PORT_NAMES, &pn));
	EXPECT_EQ(3, pn.count);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(MB_PATTERN32, names[i]);
		EXPECT_EQ(MB_PATTERN32, types[i]);
	}

	/* Exactly enough. */
	pn.count = 3;
	ASSERT_EQ(0, mb_ioctl(self->fd, MAILBOX_IOC_PORT_NAMES, &pn));
	EXPECT_EQ(3, pn.count);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(MAILBOX_PORT_TYPE_RECEIVE, types[i]);
	EXPECT_EQ(MB_PATTERN32, names[3]);
}

TEST_F(mailbox, names_with_only_one_array)
{
	__u32 names[2], n;
	struct mailbox_port_names pn = { .count = 2 };

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &n));
	memset(names, MB_PATTERN, sizeof(names));
	pn.names = (uintptr_t)names;
	ASSERT_EQ(0, mb_ioctl(self->fd, MAILBOX_IOC_PORT_NAMES, &pn));
	EXPECT_EQ(1, pn.count);
	EXPECT_EQ(n, names[0]);
	EXPECT_EQ(MB_PATTERN32, names[1]);
}

TEST_F(mailbox, names_into_an_unwritable_array_fails_with_efault)
{
	struct mailbox_port_names pn = { .count = 4 };
	void *ro;
	__u32 n;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &n));
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	pn.names = (uintptr_t)ro;
	EXPECT_EQ(EFAULT, mb_ioctl(self->fd, MAILBOX_IOC_PORT_NAMES, &pn));
	pn.names = 0;
	pn.types = 8;
	pn.count = 4;
	EXPECT_EQ(EFAULT, mb_ioctl(self->fd, MAILBOX_IOC_PORT_NAMES, &pn));
	munmap(ro, 4096);
}

TEST_F(mailbox, names_show_dead_names_lazily)
{
	__u32 r, s, names[2], types[2];
	struct mailbox_port_names pn = { .count = 2 };

	ASSERT_LE(0, open_second(self));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_give_send(self->fd, self->fd2, r, &s));
	ASSERT_EQ(0, mb_destroy(self->fd, r));
	pn.names = (uintptr_t)names;
	pn.types = (uintptr_t)types;
	ASSERT_EQ(0, mb_ioctl(self->fd2, MAILBOX_IOC_PORT_NAMES, &pn));
	ASSERT_EQ(1, pn.count);
	EXPECT_EQ(s, names[0]);
	EXPECT_EQ(MAILBOX_PORT_TYPE_DEAD_NAME, types[0]);
}

/* PORT_GET_ATTR and PORT_SET_ATTR */

TEST_F(mailbox, get_attr_of_a_new_port)
{
	struct mailbox_port_attr a;
	__u32 r;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_get_attr(self->fd, r, &a));
	EXPECT_EQ(r, a.name);
	EXPECT_EQ(0, a.flags);
	EXPECT_EQ(MAILBOX_QLIMIT_DEFAULT, a.qlimit);
	EXPECT_EQ(0, a.msgcount);
	EXPECT_EQ(0, a.seqno);
	EXPECT_EQ(0, a.mscount);
	EXPECT_EQ(0, a.sorights);
	EXPECT_EQ(0, a.has_senders);
	EXPECT_EQ(0, a.pulses_queued);
	EXPECT_EQ(0, a.pulses_dropped);
	EXPECT_EQ(0, a.port_flags);
	EXPECT_EQ(0, a.spin_us);
}

TEST_F(mailbox, get_attr_counts_make_sends_and_senders)
{
	struct mailbox_port_attr a;
	__u32 r, so;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_make_send(self->fd, r));
	ASSERT_EQ(0, mb_make_send(self->fd, r));
	ASSERT_EQ(0, mb_make_send_once(self->fd, r, &so));
	ASSERT_EQ(0, mb_get_attr(self->fd, r, &a));
	EXPECT_EQ(2, a.mscount);
	EXPECT_EQ(1, a.has_senders);
	EXPECT_EQ(1, a.sorights);
	ASSERT_EQ(0, mb_mod_refs(self->fd, r, MAILBOX_RIGHT_SEND, -2));
	ASSERT_EQ(0, mb_get_attr(self->fd, r, &a));
	EXPECT_EQ(2, a.mscount);
	EXPECT_EQ(0, a.has_senders);
	EXPECT_EQ(1, a.sorights);
}

TEST_F(mailbox, get_attr_errors)
{
	struct mailbox_port_attr a;
	__u32 r, s, so;

	ASSERT_LE(0, open_second(self));
	EXPECT_EQ(ENOENT, mb_get_attr(self->fd, MB_UNUSED_NAME, &a));
	EXPECT_EQ(ENOENT, mb_get_attr(self->fd, MAILBOX_PORT_NULL, &a));
	EXPECT_EQ(ENOENT, mb_get_attr(self->fd, MAILBOX_PORT_DEAD, &a));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_give_send(self->fd, self->fd2, r, &s));
	ASSERT_EQ(0, mb_make_send_once(self->fd, r, &so));
	EXPECT_EQ(EPERM, mb_get_attr(self->fd2, s, &a));
	EXPECT_EQ(EPERM, mb_get_attr(self->fd, so, &a));

	memset(&a, 0, sizeof(a));
	a.name = r;
	a.flags = MAILBOX_ATTR_QLIMIT;
	EXPECT_EQ(EINVAL, mb_ioctl(self->fd, MAILBOX_IOC_PORT_GET_ATTR, &a));
	/* GET's output fields are not read: spin_us in is overwritten. */
	a.flags = 0;
	a.spin_us = 1;
	EXPECT_EQ(0, mb_ioctl(self->fd, MAILBOX_IOC_PORT_GET_ATTR, &a));
	EXPECT_EQ(0, a.spin_us);
}

TEST_F(mailbox, set_attr_qlimit_from_one_to_qlimit_max)
{
	struct mailbox_version v;
	struct mailbox_port_attr a;
	__u32 r;

	ASSERT_EQ(0, mb_version(self->fd, &v));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_set_qlimit(self->fd, r, 1));
	ASSERT_EQ(0, mb_get_attr(self->fd, r, &a));
	EXPECT_EQ(1, a.qlimit);
	ASSERT_EQ(0, mb_set_qlimit(self->fd, r, v.qlimit_max));
	ASSERT_EQ(0, mb_get_attr(self->fd, r, &a));
	EXPECT_EQ(v.qlimit_max, a.qlimit);
	EXPECT_EQ(EINVAL, mb_set_qlimit(self->fd, r, v.qlimit_max + 1));
	EXPECT_EQ(EINVAL, mb_set_qlimit(self->fd, r, 0));
	EXPECT_EQ(EINVAL, mb_set_qlimit(self->fd, r, 0xffffffffU));
	ASSERT_EQ(0, mb_get_attr(self->fd, r, &a));
	EXPECT_EQ(v.qlimit_max, a.qlimit);
}

TEST_F(mailbox, set_attr_changes_only_the_fields_in_the_mask)
{
	struct mailbox_port_attr a;
	__u32 r;

	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_set_attr(self->fd, r, MAILBOX_ATTR_QLIMIT, 7, 99, 98));
	ASSERT_EQ(0, mb_get_attr(self->fd, r, &a));
	EXPECT_EQ(7, a.qlimit);
	EXPECT_EQ(0, a.seqno);
	EXPECT_EQ(0, a.mscount);

	ASSERT_EQ(0, mb_set_attr(self->fd, r, MAILBOX_ATTR_SEQNO, 0, 99, 98));
	ASSERT_EQ(0, mb_get_attr(self->fd, r, &a));
	EXPECT_EQ(7, a.qlimit);
	EXPECT_EQ(99, a.seqno);
	EXPECT_EQ(0, a.mscount);

	ASSERT_EQ(0, mb_set_attr(self->fd, r, MAILBOX_ATTR_MSCOUNT, 0, 0, 98));
	ASSERT_EQ(0, mb_get_attr(self->fd, r, &a));
	EXPECT_EQ(7, a.qlimit);
	EXPECT_EQ(99, a.seqno);
	EXPECT_EQ(98, a.mscount);

	ASSERT_EQ(0, mb_set_attr(self->fd, r, MAILBOX_ATTR_ALL, 3, 5, 6));
	ASSERT_EQ(0, mb_get_attr(self->fd, r, &a));
	EXPECT_EQ(3, a.qlimit);
	EXPECT_EQ(5, a.seqno);
	EXPECT_EQ(6, a.mscount);
}

TEST_F(mailbox, set_attr_errors)
{
	struct mailbox_port_attr a;
	__u32 r, s;

	ASSERT_LE(0, open_second(self));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_give_send(self->fd, self->fd2, r, &s));
	/* The make-send above counted: mscount is 1. */
	EXPECT_EQ(ENOENT, mb_set_qlimit(self->fd, MB_UNUSED_NAME, 3));
	EXPECT_EQ(EPERM, mb_set_qlimit(self->fd2, s, 3));
	EXPECT_EQ(EINVAL, mb_set_attr(self->fd, r, MAILBOX_ATTR_ALL + 1, 3, 0, 0));
	EXPECT_EQ(EINVAL, mb_set_attr(self->fd, r, 0x80000000U | MAILBOX_ATTR_QLIMIT, 3, 0, 0));
	/* An invalid qlimit fails the whole call, even with other fields. */
	EXPECT_EQ(EINVAL, mb_set_attr(self->fd, r, MAILBOX_ATTR_ALL, 0, 9, 9));
	ASSERT_EQ(0, mb_get_attr(self->fd, r, &a));
	EXPECT_EQ(MAILBOX_QLIMIT_DEFAULT, a.qlimit);
	EXPECT_EQ(0, a.seqno);
	EXPECT_EQ(1, a.mscount);
	memset(&a, 0, sizeof(a));
	a.name = r;
	/* spin_us is read only with MAILBOX_ATTR_SPIN: ignored here. */
	a.flags = MAILBOX_ATTR_SEQNO;
	a.seqno = 4;
	a.spin_us = ~0U;
	EXPECT_EQ(0, mb_ioctl(self->fd, MAILBOX_IOC_PORT_SET_ATTR, &a));
	ASSERT_EQ(0, mb_get_attr(self->fd, r, &a));
	EXPECT_EQ(4, a.seqno);
	EXPECT_EQ(0, a.spin_us);
}

TEST_F(mailbox, has_senders_counts_send_rights_in_messages)
{
	__u32 r, q, n;

	ASSERT_LE(0, open_second(self));
	ASSERT_EQ(0, mb_alloc_receive(self->fd, &r));
	ASSERT_EQ(0, mb_make_send(self->fd, r));
	ASSERT_EQ(0, mb_alloc_receive(self->fd2, &q));
	ASSERT_EQ(0, mb_give_send(self->fd2, self->fd, q, &n));
	/* Move our only send right to q into a message queued on r. */
	ASSERT_EQ(0, mb_send_hdr(self->fd, r, MAILBOX_MSG_TYPE_COPY_SEND, n,
				 MAILBOX_MSG_TYPE_MOVE_SEND, 0, NULL));
	EXPECT_EQ(ENOENT, mb_type(self->fd, n, NULL));
	EXPECT_EQ(1, mb_has_senders(self->fd2, q));
}

TEST_HARNESS_MAIN
