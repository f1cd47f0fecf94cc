// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox: per-user resource limits (like RLIMIT_MSGQUEUE).
 *
 * Every space belongs to a user: the real uid (a kuid, so one user in every
 * user namespace) of the credentials /dev/mailbox was opened with. What a
 * space creates is charged to its user:
 *
 *   ports    a port from its allocation (MAILBOX_IOC_PORT_ALLOCATE) until
 *            it dies (its receive right is destroyed), wherever the receive
 *            right has moved meanwhile; another space holding a stale send
 *            right cannot keep the charge alive;
 *   messages and bytes (header + inline body) of a message from the moment
 *            its send has copied it in until it is received or destroyed;
 *            a send waiting for queue room holds its charge;
 *   names    a name in the space from its insertion until its removal.
 *
 * Notifications are made by the kernel and charged to nobody: each replaces
 * a request or a right that is itself bounded. A space opened with
 * CAP_SYS_RESOURCE in the initial user namespace is counted but never
 * refused. A parameter set to 0 means no limit; the parameters may be
 * changed at any time and take effect at the next charge (lowering one
 * below the current use refuses new charges only).
 *
 * struct mbx_user is refcounted: every space, charged port and charged
 * message of the user holds a reference, so the counts survive the spaces
 * that made them. mbx_users_lock is a leaf lock (see internal.h).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/debugfs.h>
#include <linux/hashtable.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "internal.h"

unsigned int mbx_max_ports_per_user = 65536;
module_param_named(max_ports_per_user, mbx_max_ports_per_user, uint, 0644);
MODULE_PARM_DESC(max_ports_per_user,
		 "Most live ports one user may have allocated, 0 = no limit (default 65536)");

unsigned int mbx_max_msgs_per_user = 65536;
module_param_named(max_msgs_per_user, mbx_max_msgs_per_user, uint, 0644);
MODULE_PARM_DESC(max_msgs_per_user,
		 "Most messages one user may have queued, 0 = no limit (default 65536)");

unsigned int mbx_max_bytes_per_user = 64 << 20;
module_param_named(max_bytes_per_user, mbx_max_bytes_per_user, uint, 0644);
MODULE_PARM_DESC(max_bytes_per_user,
		 "Most message bytes one user may have queued, 0 = no limit (default 67108864)");

unsigned int mbx_max_names_per_user = 524288;
module_param_named(max_names_per_user, mbx_max_names_per_user, uint, 0644);
MODULE_PARM_DESC(max_names_per_user,
		 "Most names one user's spaces may hold together, 0 = no limit (default 524288)");

struct mbx_user {
	struct hlist_node node;		/* in mbx_users (mbx_users_lock) */
	refcount_t ref;			/* dropped to 0 under mbx_users_lock */
	kuid_t uid;
	atomic_long_t ports;
	atomic_long_t msgs;
	atomic_long_t bytes;
	atomic_long_t names;
};

#define MBX_USERS_BITS	6
static DEFINE_HASHTABLE(mbx_users, MBX_USERS_BITS);
static DEFINE_SPINLOCK(mbx_users_lock);

static struct mbx_user *mbx_user_find_locked(kuid_t uid)
{
	struct mbx_user *u;

	lockdep_assert_held(&mbx_users_lock);
	hash_for_each_possible(mbx_users, u, node, __kuid_val(uid))
		if (uid_eq(u->uid, uid))
			return u;
	return NULL;
}

/* The user @uid with a reference, created if need be; NULL: no memory. */
static struct mbx_user *mbx_user_get(kuid_t uid)
{
	struct mbx_user *u, *new;

	spin_lock(&mbx_users_lock);
	u = mbx_user_find_locked(uid);
	if (u)
		refcount_inc(&u->ref);
	spin_unlock(&mbx_users_lock);
	if (u)
		return u;

	new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new)
		return NULL;
	refcount_set(&new->ref, 1);
	new->uid = uid;
	spin_lock(&mbx_users_lock);
	u = mbx_user_find_locked(uid);
	if (u) {
		/* Another opener won the race. */
		refcount_inc(&u->ref);
	} else {
		hash_add(mbx_users, &new->node, __kuid_val(uid));
		u = new;
		new = NULL;
	}
	spin_unlock(&mbx_users_lock);
	kfree(new);
	return u;
}

static struct mbx_user *mbx_user_ref(struct mbx_user *u)
{
	refcount_inc(&u->ref);
	return u;
}

static void mbx_user_put(struct mbx_user *u)
{
	if (!refcount_dec_and_lock(&u->ref, &mbx_users_lock))
		return;
	WARN_ON_ONCE(atomic_long_read(&u->ports) ||
		     atomic_long_read(&u->msgs) ||
		     atomic_long_read(&u->bytes) ||
		     atomic_long_read(&u->names));
	hash_del(&u->node);
	spin_unlock(&mbx_users_lock);
	kfree(u);
}

/**
 * mbx_limits_open() - give a new space its user
 * @space: the space, not yet visible to anyone
 * @file: the file being opened; its credentials decide
 *
 * Return: 0 or -ENOMEM. mbx_limits_close() undoes it (also after failure).
 */
int mbx_limits_open(struct mbx_space *space, const struct file *file)
{
	space->user = mbx_user_get(file->f_cred->uid);
	if (!space->user)
		return -ENOMEM;
	space->unlimited = file_ns_capable(file, &init_user_ns,
					   CAP_SYS_RESOURCE);
	return 0;
}

/* The space is empty: no name is charged any more. */
void mbx_limits_close(struct mbx_space *space)
{
	if (space->user)
		mbx_user_put(space->user);
	space->user = NULL;
}

/* Add @n to @v unless that passes @max (0: no limit) and @space is limited. */
static bool mbx_charge(struct mbx_space *space, atomic_long_t *v, long n,
		       unsigned int max, enum mbx_stat hit)
{
	long old = atomic_long_read(v);

	do {
		if (max && !space->unlimited && old + n > (long)max) {
			mbx_stat_add(hit, 1);
			return false;
		}
	} while (!atomic_long_try_cmpxchg(v, &old, old + n));
	return true;
}

/**
 * mbx_charge_port() - charge new @port to the user of @space
 * @space: the allocating space
 * @port: the port, not yet visible to anyone
 *
 * Return: 0, or -EMFILE when the user has max_ports_per_user live ports.
 */
int mbx_charge_port(struct mbx_space *space, struct mbx_port *port)
{
	if (!mbx_charge(space, &space->user->ports, 1,
			READ_ONCE(mbx_max_ports_per_user),
			MBX_STAT_TOTAL_PORT_LIMIT_HITS))
		return -EMFILE;
	port->user = mbx_user_ref(space->user);
	return 0;
}

/* @port died or is freed: its user may allocate another one. */
void mbx_uncharge_port(struct mbx_user *user)
{
	if (!user)
		return;
	atomic_long_dec(&user->ports);
	mbx_user_put(user);
}

/**
 * mbx_charge_msg() - charge @msg, being sent from @space, to its user
 * @space: the sender's space
 * @msg: the message, its size set, not yet queued
 *
 * Return: 0, or -ENOBUFS when the user would pass max_msgs_per_user
 * messages or max_bytes_per_user bytes. mbx_uncharge_msg() (from
 * mbx_msg_free()) undoes it.
 */
int mbx_charge_msg(struct mbx_space *space, struct mbx_msg *msg)
{
	struct mbx_user *u = space->user;

	if (!mbx_charge(space, &u->msgs, 1, READ_ONCE(mbx_max_msgs_per_user),
			MBX_STAT_TOTAL_MSG_LIMIT_HITS))
		return -ENOBUFS;
	if (!mbx_charge(space, &u->bytes, msg->size,
			READ_ONCE(mbx_max_bytes_per_user),
			MBX_STAT_TOTAL_BYTE_LIMIT_HITS)) {
		atomic_long_dec(&u->msgs);
		return -ENOBUFS;
	}
	msg->user = mbx_user_ref(u);
	msg->user_bytes = msg->size;
	msg->user_unlimited = space->unlimited;
	return 0;
}

/**
 * mbx_charge_msg_ool() - charge @n bytes of out-of-line memory to @msg's user
 * @msg: a message charged by mbx_charge_msg() (or not charged: no-op)
 * @n: the bytes about to be copied in
 *
 * Return: 0, or -ENOBUFS past max_bytes_per_user. mbx_uncharge_msg() undoes
 * it with the rest of the message's charge.
 */
int mbx_charge_msg_ool(struct mbx_msg *msg, u64 n)
{
	struct mbx_user *u = msg->user;
	unsigned int max = READ_ONCE(mbx_max_bytes_per_user);
	long old;

	if (!u)
		return 0;
	old = atomic_long_read(&u->bytes);
	do {
		if (max && !msg->user_unlimited && old + (long)n > (long)max) {
			mbx_stat_add(MBX_STAT_TOTAL_BYTE_LIMIT_HITS, 1);
			return -ENOBUFS;
		}
	} while (!atomic_long_try_cmpxchg(&u->bytes, &old, old + (long)n));
	msg->user_bytes += n;
	return 0;
}

void mbx_uncharge_msg(struct mbx_msg *msg)
{
	struct mbx_user *u = msg->user;

	if (!u)
		return;
	msg->user = NULL;
	atomic_long_sub(msg->user_bytes, &u->bytes);
	atomic_long_dec(&u->msgs);
	mbx_user_put(u);
}

/* One more name in @space. Return: 0, or -ENOSPC past max_names_per_user. */
int mbx_charge_name(struct mbx_space *space)
{
	if (!mbx_charge(space, &space->user->names, 1,
			READ_ONCE(mbx_max_names_per_user),
			MBX_STAT_TOTAL_NAME_LIMIT_HITS))
		return -ENOSPC;
	return 0;
}

void mbx_uncharge_name(struct mbx_space *space)
{
	atomic_long_dec(&space->user->names);
}

/* Module unload: every space, port and message is gone, so every user. */
void mbx_limits_exit(void)
{
	WARN_ON_ONCE(!hash_empty(mbx_users));
}

/* debugfs "users": one line per user with a live space or charge. */
static int mbx_users_show(struct seq_file *m, void *unused)
{
	struct mbx_user *u;
	int bkt;

	spin_lock(&mbx_users_lock);
	hash_for_each(mbx_users, bkt, u, node)
		seq_printf(m, "uid %u ports %ld msgs %ld bytes %ld names %ld\n",
			   from_kuid(&init_user_ns, u->uid),
			   atomic_long_read(&u->ports),
			   atomic_long_read(&u->msgs),
			   atomic_long_read(&u->bytes),
			   atomic_long_read(&u->names));
	spin_unlock(&mbx_users_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mbx_users);

void mbx_limits_debugfs(struct dentry *dir)
{
	debugfs_create_file("users", 0444, dir, NULL, &mbx_users_fops);
}

/*
 * fdinfo: the space's user (as the reader's user namespace sees it), what
 * that user holds and the per-user limits (0: none). @space->user is set
 * at open and stays until release.
 */
void mbx_limits_show(struct seq_file *m, struct mbx_space *space)
{
	struct mbx_user *u = space->user;

	seq_printf(m, "mailbox-user:\tuid:%u unlimited:%d\n",
		   from_kuid_munged(seq_user_ns(m), u->uid), space->unlimited);
	seq_printf(m, "mailbox-user-use:\tports:%ld/%u msgs:%ld/%u bytes:%ld/%u names:%ld/%u\n",
		   atomic_long_read(&u->ports),
		   READ_ONCE(mbx_max_ports_per_user),
		   atomic_long_read(&u->msgs),
		   READ_ONCE(mbx_max_msgs_per_user),
		   atomic_long_read(&u->bytes),
		   READ_ONCE(mbx_max_bytes_per_user),
		   atomic_long_read(&u->names),
		   READ_ONCE(mbx_max_names_per_user));
}
