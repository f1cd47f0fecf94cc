/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mailbox: internal definitions shared by the module's files.
 *
 * Objects
 * -------
 * struct mbx_space   one per open of /dev/mailbox (file->private_data). It
 *                    owns a name table: an xarray index -> struct mbx_entry
 *                    and a reverse map port -> entry (rbtree) so that one
 *                    port has at most one send/receive name per space.
 *                    Lifetime: the file's; freed by release().
 * struct mbx_entry   one name in one space. Holds one reference on its port
 *                    (none for a dead name). Freed when its last right goes.
 * struct mbx_port    a message queue. Refcounted (@ref): entries, in-flight
 *                    rights, queued messages and waiters hold references.
 *                    A port is "active" until its receive right is
 *                    destroyed; then it is marked dead, its queue drained and
 *                    every waiter woken. Send rights to a dead port are
 *                    turned into dead names lazily, the next time their space
 *                    looks at the name (as XNU's ipc_right_check does).
 * struct mbx_port_ext the rarely used part of a port (blocked senders,
 *                    requests, registry count, transit, set membership):
 *                    allocated on first use, freed with the port. See
 *                    "Memory layout of a port" before struct mbx_port.
 * struct mbx_entry_ext the rarely used part of a name (its requests, boost
 *                    or port set), freed when the name goes.
 * struct mbx_msg     a queued message; owns the destination right it was
 *                    sent through and the reply right it carries.
 * struct mbx_ool     out-of-line memory of one descriptor (ool.c): a
 *                    reference on an unlinked shmem file holding the bytes
 *                    (a copy, or a sender's buffer moved whole: ool_move.c),
 *                    owned by its message and dropped when the message is
 *                    freed; a receiver's mapping holds its own reference.
 * struct mbx_right   a right in flight (taken out of a space by copyin, not
 *                    yet put into a space by copyout): a port reference plus
 *                    one send or send-once right counted in the port. Also
 *                    the right held by an exported right fd (fdright.c) and
 *                    by a registered service (registry.c).
 * struct mbx_pset    a port set (pset.c). Refcounted (@ref): its name, its
 *                    member ports, set receivers and ready fds hold
 *                    references. Members are receive rights of the set's
 *                    space; a port is in at most one set. "Active" until its
 *                    name is destroyed; then every member leaves and every
 *                    waiter is woken. Member ports with messages sit on its
 *                    ready list by the priority of their first message,
 *                    then in the order they became non-empty, so a set
 *                    receive costs the same whatever the member count.
 *
 * Locking
 * -------
 * fr->lock (mutex)     per right fd (fdright.c): the right it holds.
 * space->lock (mutex)  protects the space's name table, every entry's
 *                      fields and the reverse map. May sleep under it.
 * mbx_registry_lock (mutex, registry.c) protects the service registry.
 * mbx_spaces_lock (mutex, space.c) protects the list of open spaces; taken
 *                      before space->lock (stats readers), never under any
 *                      other lock.
 * port->lock (spinlock) protects the port's queue, counters and @active.
 * pset->lock (spinlock) protects the set's member and ready lists, its
 *                      counters, @active and the set receivers' wait
 *                      entries. port->ext->pset changes only with both the
 *                      port's lock and the (old or new) set's lock held, so
 *                      either lock makes it stable.
 *
 * mbx_prio_lock (spinlock, prio.c) protects the priority-inheritance
 *                      records (struct mbx_boost, struct mbx_prio_task).
 *                      sched_setattr_nocheck() is called with no lock at
 *                      all (mbx_prio_settle()).
 *
 * Order: fr->lock, then space->lock, then mbx_registry_lock or
 * mbx_transit_lock (messages carrying receive rights only; never both), then
 * port->lock, then pset->lock. mbx_prio_lock is a leaf taken under
 * space->lock (and mbx_transit_lock) or alone, never with a port or set
 * lock. The registry lock is never held while taking a space->lock: LOOKUP
 * copies the right under it, drops it, then copies out under the space's
 * lock; REGISTER takes it inside its space's lock so that a failed
 * registration can undo its copyin. Two spaces (insert_right into a foreign space) are taken in
 * address order, the second with SINGLE_DEPTH_NESTING. Never two port
 * locks, nor two set locks, at once.
 * Never user memory under port->lock or pset->lock. Wait queues have their
 * own locks and are always taken inside port->lock or pset->lock
 * (prepare_to_wait, wake_up of a queue with waiters) or with no lock.
 * Pollers (readyfd.c) read a port's or set's state under its lock after
 * poll_wait(), so a waker holding that lock cannot miss them.
 * mbx_users_lock (spinlock, limits.c) protects the per-user table; it is a
 * leaf: taken under any of the above, nothing is taken under it. Per-user
 * counts are atomics, charged without a lock.
 *
 * Priority inheritance (prio.c): a boost is owned by the send-once entry
 * it came with (entry->x->boost, under space->lock) and holds, through its
 * struct mbx_prio_task, a task_struct reference on the boosted thread.
 * Boost changes are only recorded under the locks; the scheduler is told
 * by mbx_prio_settle(), which every ioctl, the send phase of a send +
 * receive and release() call with no lock held.
 *
 * Rights accounting (as XNU): port->srights counts send rights, one per
 * space entry holding SEND (whatever its user references) plus one per
 * message carrying a send right; port->sorights counts send-once rights
 * likewise. port->mscount counts MAKE_SEND operations.
 *
 * Per-user limits (limits.c, Documentation/limits.rst): a space's user is
 * the real uid it was opened with; a port is charged to the user of the
 * space that allocated it until it dies, a sent message to the sender's user
 * until it is freed, a name to its space's user until it is removed.
 */
#ifndef _MAILBOX_INTERNAL_H
#define _MAILBOX_INTERNAL_H

#include <linux/atomic.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rbtree.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/uio.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include "../uapi/linux/mailbox.h"
#include "compat.h"

struct dentry;
struct seq_file;

/* Highest name index: keeps every name below MAILBOX_PORT_DEAD. */
#define MBX_INDEX_MAX		0x00fffffeU
#define MBX_HEADER_SIZE		((u32)sizeof(struct mailbox_msg_header))
#define MBX_TRAILER_SIZE	((u32)sizeof(struct mailbox_msg_trailer))
/* Removed names a space keeps for reuse (space.c). */
#define MBX_FREE_NAMES		4

/* Module parameters (main.c), read-only after load. */
extern unsigned int mbx_max_msg_size;
extern unsigned int mbx_qlimit_max;
extern unsigned int mbx_max_names;
extern unsigned int mbx_max_services;
extern unsigned int mbx_max_ool_size;
extern unsigned int mbx_spin_max_us;

/* Per-user limits (limits.c), writable at run time: READ_ONCE them. */
extern unsigned int mbx_max_ports_per_user;
extern unsigned int mbx_max_msgs_per_user;
extern unsigned int mbx_max_bytes_per_user;
extern unsigned int mbx_max_names_per_user;

struct mbx_user;

/* A thread's scheduling priority as priority inheritance sees it. */
struct mbx_sched {
	u8 policy;			/* SCHED_{NORMAL,BATCH,IDLE,FIFO,RR} */
	u8 rt_priority;			/* 1..99 for FIFO/RR, else 0 */
	s8 nice;			/* -20..19 */
	bool valid;			/* captured (mbx_msg: reply is send-once) */
};

struct mbx_boost;

/*
 * Memory layout of a port (issue #7): what every port uses on its hot path
 * lives in struct mbx_port (120 bytes on 64-bit without lock debugging);
 * what few ports ever use lives in a struct mbx_port_ext, allocated the
 * first time the port needs it and freed with the port:
 *
 *   - a blocked sender (first send that would wait on a full queue, may
 *     fail with ENOMEM like any send) or a ready fd (READY_FD) needs
 *     @send_wait;
 *   - a dead-name or send-possible request armed on it, or a no-senders or
 *     port-destroyed request (REQUEST_NOTIFICATION, which already allocates)
 *     needs the request lists and slots;
 *   - a registered service naming it (REGISTER) needs @nr_services;
 *   - its receive right carried by a message (a send whose descriptors
 *     move a receive right) needs @transit;
 *   - joining a port set (MOVE_MEMBER, which cannot fail with ENOMEM: the
 *     small allocation uses __GFP_NOFAIL) needs the membership fields.
 *
 * Publication: port->ext goes from NULL to its final value once, under
 * port->lock, with smp_store_release(); it never changes again until the
 * port is freed. Readers holding port->lock may read it plainly; lockless
 * readers use mbx_port_ext() (smp_load_acquire()), so that they see the
 * extension initialised. Every field of the extension keeps the lock rule
 * it had in struct mbx_port. A NULL extension means every field is empty:
 * no waiter, request, service, transit or set.
 */
struct mbx_port_ext {
	struct mbx_port *port;		/* (set at init) the owner, for lists */
	wait_queue_head_t send_wait;	/* senders on a full queue, exclusive */
	struct mbx_port *transit;	/* (mbx_transit_lock) port whose queue
					 * holds the message carrying our
					 * receive right
					 */
	atomic_t nr_services;		/* (atomic) registry entries naming it */
	u32 nssync;			/* (protected by port->lock) */
	struct list_head dnrequests;	/* (protected by port->lock) armed
					 * dead-name requests, mbx_request
					 */
	struct list_head sprequests;	/* (protected by port->lock) armed
					 * send-possible requests
					 */
	struct mbx_msg *nsmsg;		/* (protected by port->lock) no-senders
					 * notification, ready to send
					 */
	struct mbx_msg *pdmsg;		/* (protected by port->lock)
					 * port-destroyed notification
					 */
	/* Port set membership (pset.c), see "Locking" above. */
	struct mbx_pset *pset;		/* ref held while a member, or NULL */
	u32 member_name;		/* receive right's name, while a member */
	u32 spin_us;			/* (READ_ONCE ok) receive busy-poll
					 * budget, MAILBOX_ATTR_SPIN (spin.c)
					 */
	u8 ready_prio;			/* (port->lock and pset->lock) priority
					 * of the first message, while on the
					 * set's ready list
					 */
	struct list_head member_link;	/* in pset->members (pset->lock) */
	struct list_head ready_link;	/* in pset->ready (pset->lock) */
};

struct mbx_port {
	refcount_t ref;			/* (atomic) */
	spinlock_t lock;
	u64 id;				/* (set at init) module-unique, stats.c */
	bool active;			/* (protected by @lock; READ_ONCE ok) */
	u8 npulses;			/* (protected by @lock; READ_ONCE ok)
					 * pulses queued, <= MAILBOX_PULSE_LANE
					 * (pulse.c)
					 */
	u8 flags;			/* (protected by @lock; READ_ONCE ok)
					 * MAILBOX_PORT_FLAG_*
					 */
	u32 msgcount;			/* (protected by @lock; READ_ONCE ok)
					 * queued messages other than pulses
					 */
	struct mbx_space *receiver;	/* (protected by @lock; READ_ONCE ok)
					 * holder of the receive right; NULL
					 * in transit/dead
					 */
	struct list_head msgs;		/* (protected by @lock) highest priority
					 * first, FIFO within a priority
					 */
	u32 qlimit;			/* (protected by @lock) */
	u32 seqno;			/* (protected by @lock) */
	u32 mscount;			/* (protected by @lock) */
	u32 srights;			/* (protected by @lock) */
	u32 sorights;			/* (protected by @lock) */
	u32 pulses_dropped;		/* (protected by @lock) pulses dropped,
					 * not yet reported by a delivered one
					 */
	wait_queue_head_t rcv_wait;	/* receivers, exclusive waits */
	struct mbx_user *user;		/* (protected by @lock) charged user,
					 * ref held; NULL once dead
					 */
	struct mbx_port_ext *ext;	/* rarely used state, or NULL: see
					 * above
					 */
	struct mbx_port *dead_next;	/* on a destroy work list
					 * (mbx_port_destroy(), its owner only)
					 */
};

/* Lockless readers of port->ext: see struct mbx_port_ext. */
static inline struct mbx_port_ext *mbx_port_ext(struct mbx_port *port)
{
	/* Pairs with smp_store_release() in mbx_port_ext_get(). */
	return smp_load_acquire(&port->ext);
}

/* A destroy work list of ports, first in first out (port.c, msg.c). */
struct mbx_port_fifo {
	struct mbx_port *head;
	struct mbx_port **tail;
};

static inline void mbx_port_fifo_init(struct mbx_port_fifo *f)
{
	f->head = NULL;
	f->tail = &f->head;
}

static inline void mbx_port_fifo_push(struct mbx_port_fifo *f,
				      struct mbx_port *port)
{
	port->dead_next = NULL;
	*f->tail = port;
	f->tail = &port->dead_next;
}

static inline struct mbx_port *mbx_port_fifo_pop(struct mbx_port_fifo *f)
{
	struct mbx_port *port = f->head;

	if (port) {
		f->head = port->dead_next;
		if (!f->head)
			f->tail = &f->head;
	}
	return port;
}

struct mbx_pset {
	refcount_t ref;			/* (atomic) */
	u64 id;				/* (set at init) module-unique, stats.c */
	spinlock_t lock;
	bool active;			/* (protected by @lock; READ_ONCE ok) */
	struct list_head members;	/* (protected by @lock) */
	struct list_head ready;		/* (protected by @lock) oldest first */
	u32 nmembers;			/* (protected by @lock) */
	u32 nready;			/* (protected by @lock) */
	u32 gen;			/* (protected by @lock; READ_ONCE ok)
					 * bumped for every
					 * message made ready on a member
					 * (selective receive, pset.c)
					 */
	u32 spin_us;			/* (READ_ONCE ok) receive busy-poll
					 * budget, MAILBOX_ATTR_SPIN (spin.c)
					 */
	wait_queue_head_t wait;		/* set receivers (exclusive), pollers */
};

/* How long a send or receive may wait (msg.c, pset.c). */
struct mbx_timeout {
	bool nowait;
	bool forever;
	ktime_t deadline;
};

/*
 * What few names use (issue #7): requests and boosts, and the set of a
 * port set name. Allocated by the operation that first needs it (all of
 * which can already fail with ENOMEM, or go without: a boost), under
 * space->lock like every entry field, and freed when the entry leaves its
 * space (mbx_entry_put_locked(), mbx_entry_free()).
 */
struct mbx_entry_ext {
	struct mbx_pset *pset;		/* ref held; port set names only */
	struct mbx_request *dnreq;	/* dead-name request */
	struct mbx_request *spreq;	/* send-possible request */
	struct mbx_boost *boost;	/* priority boost this send-once right
					 * carries (prio.c)
					 */
};

/* 56 bytes on 64-bit. */
struct mbx_entry {
	u32 name;			/* (set at insert) */
	u32 type;			/* MAILBOX_PORT_TYPE_* (space->lock) */
	u32 urefs;			/* send or dead-name urefs (space->lock) */
	struct mbx_port *port;		/* ref held; NULL for a dead name */
	struct rb_node rb;		/* in space->by_port while linked, else
					 * RB_EMPTY_NODE (space->lock)
					 */
	struct mbx_entry_ext *x;	/* (space->lock) or NULL */
};

/* @entry's port set, if it names one (space->lock held). */
static inline struct mbx_pset *mbx_entry_pset(const struct mbx_entry *entry)
{
	return entry->x ? entry->x->pset : NULL;
}

int mbx_entry_ext_get_locked(struct mbx_entry *entry, gfp_t gfp);
int mbx_port_ext_get(struct mbx_port *port, gfp_t gfp);

/*
 * A dead-name or send-possible request, owned by the requesting entry
 * (entry->x->dnreq/spreq) and, while armed, linked on its port. Firing (under
 * port->lock) unlinks it and takes @msg; the entry frees it later.
 */
struct mbx_request {
	struct list_head link;		/* (port->lock) on port->{dn,sp}requests */
	struct mbx_msg *msg;		/* (port->lock) NULL once fired */
	u32 name;			/* (set at creation) the requester's name */
	bool fired;			/* (port->lock) */
};

/* A space's cache of out-of-line memory files (ool_cache.c). */
#define MBX_OOL_CACHE	8

struct mbx_ool_cache {
	spinlock_t lock;		/* protects the three below */
	unsigned int nr;
	u64 bytes;			/* whole pages of @files */
	struct file *files[MBX_OOL_CACHE]; /* refs held, oldest first */
};

struct mbx_space {
	struct mutex lock;		/* see "Locking" above */
	u64 id;				/* (set at open) module-unique */
	struct list_head link;		/* in mbx_spaces (mbx_spaces_lock) */
	struct xarray names;		/* (protected by @lock) */
	struct rb_root by_port;		/* (protected by @lock) */
	u32 next_index;			/* (protected by @lock) cyclic allocator */
	u32 gen;			/* (protected by @lock) name generation */
	u32 nr_names;			/* (protected by @lock) */
	u32 nr_free;			/* (protected by @lock) of @free_names */
	u32 free_names[MBX_FREE_NAMES];	/* (protected by @lock) removed names
					 * whose index is reused next, newest
					 * last (space.c)
					 */
	struct mbx_entry *spare;	/* (protected by @lock) a removed entry
					 * kept for the next name, or NULL
					 */
	struct mbx_user *user;		/* (set at open) ref held */
	bool unlimited;			/* (set at open) CAP_SYS_RESOURCE */
	struct mbx_ool_cache ool_cache;	/* files of recent out-of-line sends */
};

struct mbx_right {
	struct mbx_port *port;		/* ref held, NULL if none */
	u32 type;			/* MAILBOX_MSG_TYPE_PORT_{RECEIVE,SEND,SEND_ONCE} */
	u32 pass;			/* name carried when @port is NULL:
					 * MAILBOX_PORT_NULL or _DEAD
					 */
};

/*
 * Out-of-line memory of one descriptor (ool.c), owned by its message.
 * (set at send, read-only while queued; @uaddr set by the receiver)
 */
struct mbx_ool {
	struct file *file;		/* ref held; NULL for size 0 */
	u32 size;			/* bytes */
	unsigned long uaddr;		/* receive: mapping made, 0 if none */
	u64 dealloc_start;		/* send: sender's pages to unmap */
	u64 dealloc_len;		/* 0: none */
	u8 prot;			/* moved: the sender's PROT_* */
	bool moved;			/* the sender's buffer (ool_move.c) */
};

struct mbx_range {
	u64 start;
	u64 len;
};

/* A send or receive buffer, maybe scattered (ool.c). Lives in one ioctl. */
struct mbx_ubuf {
	struct iovec *iov;		/* @one or a kmalloc()ed array */
	unsigned long nr;
	size_t len;			/* total bytes */
	struct iovec one;
};

struct mbx_msg {
	struct list_head link;		/* in port->msgs (port->lock) */
	u64 serial;			/* (set at alloc) module-unique id for
					 * traces (stats.c)
					 */
	u64 sent_ns;			/* (set at send) ktime_get_ns() when
					 * the receive tracepoint is on, else 0
					 */
	u32 size;			/* header + body */
	u32 bits;			/* header bits as sent */
	s32 id;
	u32 nr_ool;			/* out-of-line memory descriptors */
	struct mbx_right dest;		/* the right the message was sent through */
	struct mbx_right reply;		/* the reply right carried, if any */
	u32 nr_rights;			/* rights carried by descriptors */
	u32 ool_bytes;			/* names of port arrays, on receive */
	bool carries_receive;		/* a descriptor moves a receive right */
	bool user_unlimited;		/* @user's limits do not apply */
	u8 priority;			/* 0..MAILBOX_PRIO_MAX */
	bool pulse;			/* a pulse (pulse.c): body is struct
					 * mailbox_pulse after the header; no
					 * rights, not counted in msgcount
					 */
	struct mbx_sched prio;		/* sender's priority, for a reply */
	struct mbx_right *rights;	/* @nr_rights, in descriptor order */
	struct mbx_ool *ool;		/* @nr_ool, in descriptor order */
	struct pid *pid;		/* sender's thread group */
	kuid_t uid;
	kgid_t gid;
	struct mbx_user *user;		/* charged user, ref held, or NULL */
	u64 user_bytes;			/* bytes charged to @user, with
					 * out-of-line memory
					 */
	u8 body[];			/* size - MBX_HEADER_SIZE bytes */
};

/*
 * A copyin transaction: the entry changes made while taking rights out of a
 * space, so that they can be committed (emptied entries freed) or undone
 * exactly, all under space->lock.
 */
#define MBX_TXN_SMALL	2
struct mbx_txn_rec {
	struct mbx_entry *entry;
	u32 name;
	u32 type;			/* entry->type before */
	u32 urefs;			/* entry->urefs before */
	struct mbx_right *right;	/* the right the copyin produced */
	struct mbx_port *port;		/* counters changed on this port */
	u32 srights;			/* added to port->srights */
	u32 sorights;			/* added to port->sorights */
	u32 mscount;			/* added to port->mscount */
	bool receive_moved;		/* the receive right left the space */
	struct mbx_pset *pset;		/* the set it left, refs still held */
	u32 member_name;		/* its name in that set */
};

struct mbx_txn {
	unsigned int n;
	unsigned int max;
	struct mbx_txn_rec *rec;	/* @small or an allocated array */
	struct mbx_txn_rec small[MBX_TXN_SMALL];
};

/* A disposition that yields a send or send-once right (no MOVE_RECEIVE). */
static inline bool mbx_send_disposition_valid(u32 disposition)
{
	return disposition >= MAILBOX_MSG_TYPE_MOVE_SEND &&
	       disposition <= MAILBOX_MSG_TYPE_MAKE_SEND_ONCE;
}

static inline void mbx_txn_init(struct mbx_txn *txn)
{
	txn->n = 0;
	txn->max = MBX_TXN_SMALL;
	txn->rec = txn->small;
}

/*
 * Serialises every change of a port's @transit and the cycle check made
 * when a message carrying receive rights is queued (rare). Taken after
 * space->lock and before port->lock.
 */
extern struct mutex mbx_transit_lock;

/* stats.c */
enum mbx_stat {
	MBX_STAT_SPACES,
	MBX_STAT_PORTS,
	MBX_STAT_ENTRIES,
	MBX_STAT_MESSAGES,
	MBX_STAT_MESSAGE_BYTES,
	MBX_STAT_PSETS,
	MBX_STAT_READY_FDS,
	MBX_STAT_PRIO_BOOSTS,
	MBX_STAT_PRIO_THREADS,
	MBX_STAT_OOL_BYTES,
	MBX_STAT_BLOCKED_SENDERS,
	MBX_STAT_BLOCKED_RECEIVERS,
	MBX_STAT_URING_WAITING,
	MBX_STAT_OOL_CACHE_FILES,
	MBX_STAT_TOTAL_PORTS,
	MBX_STAT_TOTAL_SENT,
	MBX_STAT_TOTAL_RECEIVED,
	MBX_STAT_TOTAL_DESTROYED,
	MBX_STAT_TOTAL_NOTIFICATIONS,
	MBX_STAT_TOTAL_OOL_BYTES,
	MBX_STAT_TOTAL_PORT_LIMIT_HITS,
	MBX_STAT_TOTAL_MSG_LIMIT_HITS,
	MBX_STAT_TOTAL_BYTE_LIMIT_HITS,
	MBX_STAT_TOTAL_NAME_LIMIT_HITS,
	MBX_STAT_TOTAL_BLOCKED_SENDS,
	MBX_STAT_TOTAL_BLOCKED_RECEIVES,
	MBX_STAT_TOTAL_SEND_TIMEOUTS,
	MBX_STAT_TOTAL_RECEIVE_TIMEOUTS,
	MBX_STAT_TOTAL_OOL_CACHE_HITS,
	MBX_STAT_TOTAL_SPINS,
	MBX_STAT_TOTAL_SPIN_HITS,
	MBX_STAT_TOTAL_OOL_MOVES,
	MBX_STAT_NR,
};

/*
 * Per-CPU counters: every message changes several of them, and one shared
 * cache line bouncing between the CPUs of a sender and a receiver costs
 * more than the rest of a small message's bookkeeping. A counter is the
 * sum over the possible CPUs (one CPU's part may be negative); a reader
 * racing with updates sees some of them. Inline: one instruction, where a
 * call per counter cost an RPC some 16 calls (stats.c reads them).
 */
struct mbx_stats_pcpu {
	long v[MBX_STAT_NR];
};

DECLARE_PER_CPU(struct mbx_stats_pcpu, mbx_stats);

static inline void mbx_stat_add(enum mbx_stat stat, long delta)
{
	this_cpu_add(mbx_stats.v[stat], delta);
}

u64 mbx_new_object_id(void);
u64 mbx_new_msg_serial(void);
void mbx_wait_begin(u64 id, bool send);
void mbx_wait_end(u64 id, bool send, int ret);
void mbx_stats_init(void);
void mbx_stats_exit(void);

/* port.c */
int mbx_port_cache_init(void);
void mbx_port_cache_exit(void);
struct mbx_port *mbx_port_alloc(struct mbx_space *space);
void mbx_port_put(struct mbx_port *port);
static inline struct mbx_port *mbx_port_get(struct mbx_port *port)
{
	refcount_inc(&port->ref);
	return port;
}

void mbx_port_destroy(struct mbx_port *port);
int mbx_ioctl_get_attr(struct mbx_space *space, void __user *uarg);
int mbx_ioctl_set_attr(struct mbx_space *space, void __user *uarg);

/* space.c */
int mbx_entry_cache_init(void);
void mbx_entry_cache_exit(void);
struct mbx_space *mbx_space_create(void);
void mbx_space_destroy(struct mbx_space *space);
struct mbx_entry *mbx_entry_alloc(void);
void mbx_entry_free(struct mbx_entry *entry);
struct mbx_entry *mbx_entry_get_locked(struct mbx_space *space);
void mbx_entry_put_locked(struct mbx_space *space, struct mbx_entry *entry);
struct mbx_entry *mbx_lookup_locked(struct mbx_space *space, u32 name);
struct mbx_entry *mbx_lookup_port_locked(struct mbx_space *space,
					 struct mbx_port *port);
int mbx_insert_locked(struct mbx_space *space, struct mbx_entry *entry,
		      u32 name);
void mbx_remove_locked(struct mbx_space *space, struct mbx_entry *entry);
void mbx_link_locked(struct mbx_space *space, struct mbx_entry *entry);
bool mbx_check_dead_locked(struct mbx_space *space, struct mbx_entry *entry);
void mbx_space_show(struct seq_file *m, struct mbx_space *space);
void mbx_spaces_count_names(unsigned long *counts, unsigned int nr);
bool mbx_spaces_walk_trylock(void (*fn)(struct mbx_space *space, void *arg),
			     void *arg);

/* right.c */
void mbx_right_release(struct mbx_right *right);
void mbx_right_consume(struct mbx_right *right);
int mbx_copyin_locked(struct mbx_space *space, u32 name, u32 disposition,
		      struct mbx_txn *txn, struct mbx_right *right);
void mbx_txn_commit_locked(struct mbx_space *space, struct mbx_txn *txn);
void mbx_txn_undo_locked(struct mbx_space *space, struct mbx_txn *txn);
int mbx_copyout_locked(struct mbx_space *space, struct mbx_right *right,
		       u32 want, struct mbx_entry **spare, u32 *name);
int mbx_destroy_entry_rights_locked(struct mbx_space *space,
				    struct mbx_entry *entry);
int mbx_ioctl_allocate(struct mbx_space *space, void __user *uarg);
int mbx_ioctl_deallocate(struct mbx_space *space, void __user *uarg);
int mbx_ioctl_destroy(struct mbx_space *space, void __user *uarg);
int mbx_ioctl_mod_refs(struct mbx_space *space, void __user *uarg);
int mbx_ioctl_insert_right(struct mbx_space *space, void __user *uarg);
int mbx_ioctl_type(struct mbx_space *space, void __user *uarg);
int mbx_ioctl_names(struct mbx_space *space, void __user *uarg);

/* desc.c */
struct mbx_src {
	u32 name;
	u32 disposition;
};

int mbx_desc_parse(struct mbx_space *space, struct mbx_msg *msg,
		   struct mbx_src **srcp, u32 *status);
int mbx_desc_copyin_locked(struct mbx_space *space, struct mbx_msg *msg,
			   const struct mbx_src *src, struct mbx_txn *txn);
bool mbx_desc_makes_cycle_locked(struct mbx_msg *msg, struct mbx_port *dest);
void mbx_desc_set_transit_locked(struct mbx_msg *msg, struct mbx_port *dest);
int mbx_desc_copyout_locked(struct mbx_space *space, struct mbx_msg *msg,
			    u32 *names);
bool mbx_desc_arrays_fit(struct mbx_msg *msg, const struct mbx_ubuf *ub,
			 size_t off);
int mbx_desc_write(struct mbx_msg *msg, const u32 *names,
		   const struct mbx_ubuf *ub, size_t off);

/* ool.c */
int mbx_ubuf_import(struct mbx_ubuf *ub, u64 uptr, u32 size, bool iov,
		    u64 limit);
void mbx_ubuf_free(struct mbx_ubuf *ub);
int mbx_ubuf_read(const struct mbx_ubuf *ub, size_t off, void *dst,
		  size_t len);
int mbx_ubuf_write(const struct mbx_ubuf *ub, size_t off, const void *src,
		   size_t len);
int mbx_ubuf_fault_in(const struct mbx_ubuf *ub, size_t len);
void __user *mbx_ubuf_addr(const struct mbx_ubuf *ub, size_t off, size_t len);
void mbx_ool_init(void);
void mbx_ool_exit(void);
struct super_block *mbx_ool_sb(void);
struct file *mbx_ool_new_file(u32 size);
bool mbx_ool_file_private(struct file *file);
int mbx_ool_copyin(struct mbx_space *space, struct mbx_ool *o,
		   const void __user *uaddr, u32 size);
void mbx_ool_set_dealloc(struct mbx_ool *o, u64 addr, u32 size);
void mbx_ool_release(struct mbx_msg *msg);
int mbx_ool_map(struct mbx_msg *msg);
void mbx_ool_unmap(struct mbx_msg *msg);
struct mbx_range *mbx_ool_dealloc_list(struct mbx_msg *msg, u32 *nr);
void mbx_ool_deallocate(const struct mbx_range *r, u32 nr);

/* ool_cache.c */
int mbx_ool_shrinker_init(void);
void mbx_ool_shrinker_exit(void);
void mbx_ool_cache_init(struct mbx_ool_cache *cache);
struct file *mbx_ool_cache_take(struct mbx_space *space, u32 size);
void mbx_ool_cache_keep(struct mbx_space *space, struct file *file);
void mbx_ool_cache_drop(struct mbx_space *space);
bool mbx_ool_file_idle(struct file *file);

/* ool_move.c */
int mbx_ool_buffer_mmap(struct file *file, struct vm_area_struct *vma);
unsigned long mbx_ool_buffer_area(struct file *file, unsigned long addr,
				  unsigned long len, unsigned long pgoff,
				  unsigned long flags);
bool mbx_ool_move(struct mbx_ool *o, u64 addr, u32 size);
void mbx_ool_give_back(struct mbx_msg *msg);

/* notify.c */
struct mbx_msg *mbx_notify_alloc(s32 id, u32 body_size, gfp_t gfp);
void mbx_notify_deliver(struct mbx_msg *msg);
void mbx_notify_deliver_list(struct list_head *msgs);
void mbx_notify_send_once(struct mbx_port *port);
void mbx_notify_port_dead_locked(struct mbx_port *port,
				 struct list_head *fire,
				 struct list_head *destroy);
void mbx_notify_take_sp_locked(struct mbx_port *port, struct list_head *fire);
void mbx_notify_no_senders_locked(struct mbx_port *port,
				  struct list_head *fire);
void mbx_request_entry_gone_locked(struct mbx_space *space,
				   struct mbx_entry *entry);
u32 mbx_request_dead_urefs_locked(struct mbx_entry *entry);
int mbx_ioctl_request_notification(struct mbx_space *space,
				   void __user *uarg);

/*
 * What a receive looks for and how it takes it (msg.c): RCV_FILTER and
 * RCV_PEEK. A receive with either waits non-exclusively (it may leave
 * what woke it queued), so it never has a wake-up to pass on.
 */
struct mbx_rcv {
	bool filtered;			/* RCV_FILTER: @filter applies */
	bool peek;			/* RCV_PEEK: copy, do not dequeue */
	struct mailbox_rcv_filter filter;
	u32 faulted;			/* receive buffer bytes made present */
	struct mbx_msg *snap;		/* PEEK: copy of the message */
	u32 snap_body;			/* PEEK: body bytes @snap can hold */
	u32 snap_rights;		/* PEEK: entries of snap->rights */
};

/* msg.c */
struct mbx_msg *mbx_msg_alloc(u32 size, gfp_t gfp);
void mbx_msg_free(struct mbx_msg *msg);
void mbx_msg_destroy(struct mbx_msg *msg);
void mbx_msg_destroy_deferred(struct mbx_msg *msg,
			      struct mbx_port_fifo *ports);
struct mbx_msg *mbx_dequeue_locked(struct mbx_port *port, struct mbx_msg *msg,
				   u32 *seqno, struct list_head *fire);
void mbx_dequeue_done(struct mbx_port *port, struct list_head *fire);
void mbx_enqueue_locked(struct mbx_port *port, struct mbx_msg *msg, bool sync);
/* spin.c */
void mbx_spin(spinlock_t *lock, const struct mbx_port *port,
	      const struct mbx_pset *pset, const struct mbx_space *space,
	      u32 us, const struct mbx_timeout *t);

int mbx_rcv_give_up(struct mailbox_msg *args, int ret,
		    const struct mbx_timeout *t);
struct mbx_msg *mbx_rcv_find_locked(struct mbx_port *port,
				    const struct mbx_rcv *r);
struct mbx_msg *mbx_rcv_take_locked(struct mbx_port *port,
				    struct mbx_msg *msg,
				    struct mailbox_msg *args,
				    const struct mbx_ubuf *ub, u32 trailer,
				    struct mbx_rcv *r, struct mbx_pset *pset,
				    u32 *seqno);
int mbx_msg_run(struct mbx_space *space, struct mailbox_msg *args,
		bool nonblock);
int mbx_ioctl_msg(struct mbx_space *space, void __user *uarg, bool nonblock);

/* batch.c */
int mbx_ioctl_msg_batch(struct mbx_space *space, void __user *uarg,
			bool nonblock);

/* pulse.c */
int mbx_ioctl_pulse(struct mbx_space *space, void __user *uarg);
void mbx_pulse_dequeued_locked(struct mbx_port *port, struct mbx_msg *msg);
void mbx_pulse_discarded_locked(struct mbx_port *port, struct mbx_msg *msg);
void mbx_pulse_peek_locked(struct mbx_port *port, struct mbx_msg *snap);
bool mbx_pulse_requeue_locked(struct mbx_port *port, struct mbx_msg *msg);
/* prio.c */
struct mbx_prio_prep {
	struct mbx_boost *boost;
	struct mbx_prio_task *pt;
	struct mbx_entry_ext *x;	/* for an entry without one */
};

void mbx_prio_capture(struct mbx_msg *msg, u32 reply_disposition);
void mbx_prio_prepare(struct mbx_msg *msg, struct mbx_prio_prep *pp);
void mbx_prio_boost_locked(struct mbx_space *space, u32 name,
			   struct mbx_prio_prep *pp);
void mbx_prio_unprepare(struct mbx_prio_prep *pp);
void __mbx_prio_entry_gone(struct mbx_entry *entry);
static inline void mbx_prio_entry_gone_locked(struct mbx_entry *entry)
{
	if (unlikely(entry->x && entry->x->boost))
		__mbx_prio_entry_gone(entry);
}

void mbx_prio_port_died(struct mbx_port *port);
void mbx_prio_settle(void);
void mbx_prio_exit(void);

/* fdright.c */
int mbx_anon_fd(const char *name, const struct file_operations *fops,
		void *priv, int flags, struct file **filep);
int mbx_ioctl_port_export(struct mbx_space *space, void __user *uarg);
int mbx_ioctl_port_import(struct mbx_space *space, void __user *uarg);

/* registry.c */
int mbx_ioctl_register(struct mbx_space *space, void __user *uarg);
int mbx_ioctl_lookup(struct mbx_space *space, void __user *uarg);
int mbx_ioctl_unregister(struct mbx_space *space, void __user *uarg);
void mbx_registry_exit(void);
void mbx_registry_port_died(struct mbx_port *port);
void mbx_registry_debugfs(struct dentry *dir);

/* pset.c */
struct mbx_pset *mbx_pset_alloc(void);
void mbx_pset_put(struct mbx_pset *pset);
static inline struct mbx_pset *mbx_pset_get(struct mbx_pset *pset)
{
	refcount_inc(&pset->ref);
	return pset;
}

void mbx_pset_destroy(struct mbx_pset *pset);
void mbx_pset_remove_port(struct mbx_port *port);
struct mbx_pset *mbx_pset_detach_locked(struct mbx_port *port, u32 *name);
void mbx_pset_reattach_locked(struct mbx_port *port, struct mbx_pset *pset,
			      u32 name);
void mbx_pset_port_ready_locked(struct mbx_port *port);
void mbx_pset_port_dequeued_locked(struct mbx_port *port);
void mbx_pset_rotate_locked(struct mbx_port *port, struct mbx_pset *pset);
int mbx_pset_mod_refs_locked(struct mbx_space *space, struct mbx_entry *entry,
			     s32 delta);
int mbx_receive_source(struct mbx_space *space, u32 name,
		       struct mbx_port **port, struct mbx_pset **pset);
struct mbx_msg *mbx_pset_receive_wait(struct mbx_pset *pset,
				      struct mailbox_msg *args,
				      const struct mbx_ubuf *ub, u32 trailer,
				      struct mbx_timeout *t, u32 *seqno,
				      struct mbx_port **port, u32 *local,
				      struct mbx_rcv *r);
void mbx_pset_show(struct seq_file *m, struct mbx_pset *pset);
int mbx_ioctl_move_member(struct mbx_space *space, void __user *uarg);

/* uring.c */
struct io_uring_cmd;
int mbx_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags);
int mbx_uring_flush(struct file *file, fl_owner_t id);

/* readyfd.c */
int mbx_ioctl_ready_fd(struct mbx_space *space, void __user *uarg);

/* limits.c */
int mbx_limits_open(struct mbx_space *space, const struct file *file);
void mbx_limits_close(struct mbx_space *space);
int mbx_charge_port(struct mbx_space *space, struct mbx_port *port);
void mbx_uncharge_port(struct mbx_user *user);
int mbx_charge_msg(struct mbx_space *space, struct mbx_msg *msg);
int mbx_charge_msg_ool(struct mbx_msg *msg, u64 n);
void mbx_uncharge_msg(struct mbx_msg *msg);
int mbx_charge_name(struct mbx_space *space);
void mbx_uncharge_name(struct mbx_space *space);
void mbx_limits_debugfs(struct dentry *dir);
void mbx_limits_show(struct seq_file *m, struct mbx_space *space);
void mbx_limits_exit(void);

/* main.c */
struct mbx_space *mbx_space_from_fd(int fd, struct fd *f);

#endif /* _MAILBOX_INTERNAL_H */
