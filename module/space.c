// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox: IPC spaces and their name tables.
 *
 * A space is created by open() and destroyed by release(); nothing else
 * holds it (an ioctl in progress pins the file, hence the space). Its name
 * table maps a name's index (name >> 8) to an entry in an xarray; the entry
 * records the full name, so a stale name whose index was reused (with
 * another generation) is not found. Indices are allocated cyclically and the
 * generation advances at every wrap. Entries holding a send or receive
 * right are also linked in @by_port, keyed by port address, which gives the
 * one-name-per-port rule. Every function here needs space->lock, except
 * those that walk every space (stats) or print one (fdinfo).
 *
 * Every open space is on mbx_spaces (under mbx_spaces_lock, taken before
 * any space->lock) so that the stats file can count names by kind. A space
 * gets a module-unique id at open; fdinfo and tracepoints name it by that.
 *
 * Fast reuse (the reply name of an RPC server is named and removed on every
 * call): the last MBX_FREE_NAMES removed names are kept in @free_names and
 * their indices are handed out again, newest first, with the generation
 * bumped, as Mach reuses a freed entry with a new generation. An index
 * whose generation would wrap (0xff) is not kept, so it comes back only
 * from the cyclic allocator: a freed name still comes back only after the
 * whole index range has been used. One removed entry is kept in @spare for
 * the next name, and the indices on @free_names stay reserved in the
 * xarray, so the per-call name costs neither an allocation nor a new
 * xarray node. A stale name thus soon names another right (as in
 * Mach); the kill storm (selftests/stress.c) acts on random live names
 * for that reason. (Reuse was withdrawn for a while: it made a lost
 * dead-name request, notify.c, show within seconds of storm.)
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "internal.h"

static struct kmem_cache *mbx_entry_cache;
static LIST_HEAD(mbx_spaces);		/* (protected by mbx_spaces_lock) */
static DEFINE_MUTEX(mbx_spaces_lock);
static atomic64_t mbx_space_ids = ATOMIC64_INIT(0);

/* At most this many names are listed in one fdinfo read. */
#define MBX_FDINFO_MAX_NAMES	16384

int mbx_entry_cache_init(void)
{
	/* Issue #7: see struct mbx_entry and mbx_port_cache_init(). */
	BUILD_BUG_ON(IS_ENABLED(CONFIG_64BIT) &&
		     sizeof(struct mbx_entry) > 56);
	mbx_entry_cache = KMEM_CACHE(mbx_entry, SLAB_ACCOUNT);
	return mbx_entry_cache ? 0 : -ENOMEM;
}

void mbx_entry_cache_exit(void)
{
	kmem_cache_destroy(mbx_entry_cache);
}

struct mbx_entry *mbx_entry_alloc(void)
{
	struct mbx_entry *entry;

	entry = kmem_cache_zalloc(mbx_entry_cache, GFP_KERNEL_ACCOUNT);
	if (entry)
		RB_CLEAR_NODE(&entry->rb);
	return entry;
}

/* Free @entry, holding nothing, and its extension (empty by now). */
void mbx_entry_free(struct mbx_entry *entry)
{
	kfree(entry->x);
	kmem_cache_free(mbx_entry_cache, entry);
}

/**
 * mbx_entry_ext_get_locked() - make sure @entry has its extension
 * @entry: an entry of a locked space, or one no other thread sees
 * @gfp: allocation flags; may sleep if they do
 *
 * Return: 0 or -ENOMEM.
 */
int mbx_entry_ext_get_locked(struct mbx_entry *entry, gfp_t gfp)
{
	if (entry->x)
		return 0;
	entry->x = kzalloc(sizeof(*entry->x), gfp);
	return entry->x ? 0 : -ENOMEM;
}

/**
 * mbx_entry_get_locked() - a free entry for a new name in @space
 * @space: the space, locked
 *
 * The entry the space keeps from its last removed name if any (zeroed, as
 * mbx_entry_alloc() gives it), else a new one; may sleep. Give an unused
 * one back with mbx_entry_put_locked().
 *
 * Return: the entry or NULL (no memory).
 */
struct mbx_entry *mbx_entry_get_locked(struct mbx_space *space)
{
	struct mbx_entry *entry = space->spare;

	lockdep_assert_held(&space->lock);
	if (!entry)
		return mbx_entry_alloc();
	space->spare = NULL;
	memset(entry, 0, sizeof(*entry));
	RB_CLEAR_NODE(&entry->rb);
	return entry;
}

/* Keep @entry (unnamed, holding nothing) for the next name, or free it. */
void mbx_entry_put_locked(struct mbx_space *space, struct mbx_entry *entry)
{
	lockdep_assert_held(&space->lock);
	if (!space->spare) {
		/* Its extension holds nothing now: not kept. */
		kfree(entry->x);
		entry->x = NULL;
		space->spare = entry;
	} else {
		mbx_entry_free(entry);
	}
}

struct mbx_space *mbx_space_create(void)
{
	struct mbx_space *space;

	space = kzalloc(sizeof(*space), GFP_KERNEL_ACCOUNT);
	if (!space)
		return NULL;
	mutex_init(&space->lock);
	xa_init_flags(&space->names, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	space->by_port = RB_ROOT;
	mbx_ool_cache_init(&space->ool_cache);
	space->id = atomic64_inc_return(&mbx_space_ids);
	mutex_lock(&mbx_spaces_lock);
	list_add_tail(&space->link, &mbx_spaces);
	mutex_unlock(&mbx_spaces_lock);
	mbx_stat_add(MBX_STAT_SPACES, 1);
	return space;
}

/* Called from release(): no other user of @space is left. */
void mbx_space_destroy(struct mbx_space *space)
{
	struct mbx_entry *entry;
	unsigned long index;

	mutex_lock(&mbx_spaces_lock);
	list_del(&space->link);
	mutex_unlock(&mbx_spaces_lock);

	mutex_lock(&space->lock);
	xa_for_each(&space->names, index, entry) {
		mbx_destroy_entry_rights_locked(space, entry);
		/* Up to max_names entries: let others run. */
		cond_resched();
	}
	mutex_unlock(&space->lock);

	WARN_ON_ONCE(space->nr_names);
	if (space->spare)
		mbx_entry_free(space->spare);
	mbx_limits_close(space);
	mbx_ool_cache_drop(space);
	xa_destroy(&space->names);
	mutex_destroy(&space->lock);
	kfree(space);
	mbx_stat_add(MBX_STAT_SPACES, -1);
}

struct mbx_entry *mbx_lookup_locked(struct mbx_space *space, u32 name)
{
	struct mbx_entry *entry;

	lockdep_assert_held(&space->lock);
	if (name == MAILBOX_PORT_NULL || name == MAILBOX_PORT_DEAD)
		return NULL;
	entry = xa_load(&space->names, MAILBOX_NAME_INDEX(name));
	if (!entry || entry->name != name)
		return NULL;
	mbx_check_dead_locked(space, entry);
	return entry;
}

struct mbx_entry *mbx_lookup_port_locked(struct mbx_space *space,
					 struct mbx_port *port)
{
	struct rb_node *node = space->by_port.rb_node;

	lockdep_assert_held(&space->lock);
	while (node) {
		struct mbx_entry *entry = rb_entry(node, struct mbx_entry, rb);

		if (port < entry->port)
			node = node->rb_left;
		else if (port > entry->port)
			node = node->rb_right;
		else
			return entry;
	}
	return NULL;
}

/* Link @entry (holding send and/or receive for entry->port) in @by_port. */
void mbx_link_locked(struct mbx_space *space, struct mbx_entry *entry)
{
	struct rb_node **link = &space->by_port.rb_node, *parent = NULL;

	lockdep_assert_held(&space->lock);
	while (*link) {
		struct mbx_entry *cur = rb_entry(*link, struct mbx_entry, rb);

		parent = *link;
		if (entry->port < cur->port) {
			link = &parent->rb_left;
		} else if (entry->port > cur->port) {
			link = &parent->rb_right;
		} else {
			WARN_ON_ONCE(1);
			return;
		}
	}
	rb_link_node(&entry->rb, parent, link);
	rb_insert_color(&entry->rb, &space->by_port);
}

static void mbx_unlink_locked(struct mbx_space *space, struct mbx_entry *entry)
{
	if (!RB_EMPTY_NODE(&entry->rb)) {
		rb_erase(&entry->rb, &space->by_port);
		RB_CLEAR_NODE(&entry->rb);
	}
}

/*
 * Name @entry with the newest index on @free_names, its generation bumped.
 * The index is reserved in the table (see mbx_free_name_locked()), so the
 * store overwrites the reservation in place and allocates nothing.
 * Return: true if named.
 */
static bool mbx_reuse_name_locked(struct mbx_space *space,
				  struct mbx_entry *entry)
{
	while (space->nr_free) {
		u32 old = space->free_names[--space->nr_free];
		u32 name = old + 1;	/* the generation byte: never wraps */

		if (!xa_is_err(xa_store(&space->names, MAILBOX_NAME_INDEX(name),
					entry, GFP_KERNEL_ACCOUNT))) {
			entry->name = name;
			return true;
		}
		xa_erase(&space->names, MAILBOX_NAME_INDEX(name));
	}
	return false;
}

/*
 * Take a name's index off @free_names, for INSERT_RIGHT choosing a name
 * whose index is reserved there. Return: true if it was there.
 */
static bool mbx_unfree_index_locked(struct mbx_space *space, u32 index)
{
	u32 i;

	for (i = 0; i < space->nr_free; i++) {
		if (MAILBOX_NAME_INDEX(space->free_names[i]) != index)
			continue;
		memmove(&space->free_names[i], &space->free_names[i + 1],
			(space->nr_free - i - 1) * sizeof(space->free_names[0]));
		space->nr_free--;
		return true;
	}
	return false;
}

/*
 * Take a removed entry's name out of the table. One kept for
 * mbx_reuse_name_locked() stays reserved (xa_store() of NULL in an
 * allocating xarray leaves a zero entry: loads see NULL, iteration skips
 * it, the allocator does not hand it out), so its xarray node lives on:
 * erasing it would free the node whenever the name was the node's only
 * entry - an RPC server's reply name, once the cyclic allocator had moved
 * past index 63 - and every call would allocate, zero and RCU-free one.
 */
static void mbx_free_name_locked(struct mbx_space *space, u32 name)
{
	u32 index = MAILBOX_NAME_INDEX(name);

	/* Generation 0xff would wrap: leave the index to xa_alloc_cyclic(). */
	if ((name & 0xff) == 0xff || space->nr_free >= MBX_FREE_NAMES) {
		xa_erase(&space->names, index);
		return;
	}
	xa_store(&space->names, index, NULL, 0);
	space->free_names[space->nr_free++] = name;
}

/**
 * mbx_insert_locked() - give @entry a name in @space
 * @space: the space, locked
 * @entry: a new entry, fields other than the name filled in
 * @name: the name wanted, or MAILBOX_PORT_NULL for any
 *
 * Return: 0 with entry->name set, -ENOSPC when the space holds max_names
 * names, its user max_names_per_user names, or no index is free, -EEXIST
 * when @name is in use, -EINVAL when @name is not a valid name, -ENOMEM.
 */
int mbx_insert_locked(struct mbx_space *space, struct mbx_entry *entry,
		      u32 name)
{
	u32 index;
	int ret;

	lockdep_assert_held(&space->lock);
	if (space->nr_names >= mbx_max_names)
		return -ENOSPC;
	if (name != MAILBOX_PORT_NULL) {
		index = MAILBOX_NAME_INDEX(name);
		if (name == MAILBOX_PORT_DEAD || index == 0 ||
		    index > MBX_INDEX_MAX)
			return -EINVAL;
	}
	/* max_names_per_user: the same error as a full space. */
	ret = mbx_charge_name(space);
	if (ret)
		return ret;

	if (name != MAILBOX_PORT_NULL) {
		ret = xa_insert(&space->names, index, entry,
				GFP_KERNEL_ACCOUNT);
		/* A reserved index is free to choose: it leaves the list. */
		if (ret == -EBUSY && mbx_unfree_index_locked(space, index))
			ret = xa_err(xa_store(&space->names, index, entry,
					      GFP_KERNEL_ACCOUNT));
		if (ret == -EBUSY)
			ret = -EEXIST;
		if (ret)
			goto out_uncharge;
		entry->name = name;
	} else if (mbx_reuse_name_locked(space, entry)) {
		ret = 0;
	} else {
		ret = xa_alloc_cyclic(&space->names, &index, entry,
				      XA_LIMIT(1, MBX_INDEX_MAX),
				      &space->next_index, GFP_KERNEL_ACCOUNT);
		if (ret == -EBUSY)
			ret = -ENOSPC;
		if (ret < 0)
			goto out_uncharge;
		if (ret == 1)
			space->gen++;
		entry->name = (index << 8) | (space->gen & 0xff);
	}
	space->nr_names++;
	mbx_stat_add(MBX_STAT_ENTRIES, 1);
	return 0;

out_uncharge:
	mbx_uncharge_name(space);
	return ret;
}

/* Remove @entry from the table and free it, dropping its port reference. */
void mbx_remove_locked(struct mbx_space *space, struct mbx_entry *entry)
{
	lockdep_assert_held(&space->lock);
	mbx_request_entry_gone_locked(space, entry);
	mbx_prio_entry_gone_locked(entry);
	mbx_unlink_locked(space, entry);
	mbx_free_name_locked(space, entry->name);
	space->nr_names--;
	mbx_uncharge_name(space);
	mbx_stat_add(MBX_STAT_ENTRIES, -1);
	if (entry->port)
		mbx_port_put(entry->port);
	if (mbx_entry_pset(entry)) {
		mbx_pset_put(entry->x->pset);
		entry->x->pset = NULL;
	}
	mbx_entry_put_locked(space, entry);
}

/**
 * mbx_check_dead_locked() - turn send rights to a dead port into a dead name
 * @space: the space, locked
 * @entry: an entry of @space
 *
 * Return: true if @entry was converted.
 */
bool mbx_check_dead_locked(struct mbx_space *space, struct mbx_entry *entry)
{
	struct mbx_port *port = entry->port;

	lockdep_assert_held(&space->lock);
	if (!port || (entry->type & MAILBOX_PORT_TYPE_RECEIVE) ||
	    READ_ONCE(port->active))
		return false;

	if (entry->type & MAILBOX_PORT_TYPE_SEND_ONCE)
		entry->urefs = 1;
	mbx_prio_entry_gone_locked(entry);
	/* A send right's urefs become the dead name's, plus one for each
	 * dead-name notification sent about it.
	 */
	entry->urefs = min_t(u32, entry->urefs +
			     mbx_request_dead_urefs_locked(entry),
			     MAILBOX_UREFS_MAX);
	entry->type = MAILBOX_PORT_TYPE_DEAD_NAME;
	mbx_unlink_locked(space, entry);
	entry->port = NULL;
	mbx_port_put(port);
	return true;
}

/**
 * mbx_spaces_walk_trylock() - call @fn on every open space, if uncontended
 * @fn: called with mbx_spaces_lock held (the space cannot be destroyed
 *      meanwhile); may take space->lock and anything under it
 * @arg: passed to @fn
 *
 * For the out-of-line cache's shrinker (ool_cache.c), which may run inside
 * an allocation made with mbx_spaces_lock held: it never waits for it.
 * Return: true if the walk ran.
 */
bool mbx_spaces_walk_trylock(void (*fn)(struct mbx_space *space, void *arg),
			     void *arg)
{
	struct mbx_space *space;

	if (!mutex_trylock(&mbx_spaces_lock))
		return false;
	list_for_each_entry(space, &mbx_spaces, link)
		fn(space, arg);
	mutex_unlock(&mbx_spaces_lock);
	return true;
}

/*
 * Count the names of every open space by kind (MAILBOX_RIGHT_* order, a
 * name holding send and receive counts in both) into @counts[@nr]. For the
 * stats file: takes mbx_spaces_lock, then each space's lock in turn.
 */
void mbx_spaces_count_names(unsigned long *counts, unsigned int nr)
{
	struct mbx_space *space;
	struct mbx_entry *entry;
	unsigned long index;
	unsigned int k;

	mutex_lock(&mbx_spaces_lock);
	list_for_each_entry(space, &mbx_spaces, link) {
		mutex_lock(&space->lock);
		xa_for_each(&space->names, index, entry) {
			mbx_check_dead_locked(space, entry);
			for (k = 0; k < nr; k++)
				if (entry->type & MAILBOX_PORT_TYPE(k))
					counts[k]++;
			cond_resched();
		}
		mutex_unlock(&space->lock);
	}
	mutex_unlock(&mbx_spaces_lock);
}

static void mbx_show_rights(struct seq_file *m, u32 type)
{
	static const char * const kinds[] = {
		[MAILBOX_RIGHT_SEND] = "send",
		[MAILBOX_RIGHT_RECEIVE] = "receive",
		[MAILBOX_RIGHT_SEND_ONCE] = "send-once",
		[MAILBOX_RIGHT_PORT_SET] = "port-set",
		[MAILBOX_RIGHT_DEAD_NAME] = "dead-name",
	};
	bool first = true;
	unsigned int k;

	seq_puts(m, " rights:");
	for (k = 0; k < ARRAY_SIZE(kinds); k++) {
		if (!(type & MAILBOX_PORT_TYPE(k)))
			continue;
		seq_printf(m, "%s%s", first ? "" : ",", kinds[k]);
		first = false;
	}
	if (first)
		seq_puts(m, "none");
}

/* One receive right's port: queue, pulses, senders, set membership. */
static void mbx_show_receive(struct seq_file *m, struct mbx_port *port)
{
	struct mbx_pset *pset;

	spin_lock(&port->lock);
	seq_printf(m, " msgcount:%u qlimit:%u seqno:%u mscount:%u srights:%u sorights:%u pulses:%u pulses_dropped:%u flags:0x%x",
		   port->msgcount, port->qlimit, port->seqno, port->mscount,
		   port->srights, port->sorights, port->npulses,
		   port->pulses_dropped, port->flags);
	/* ext->pset is stable under port->lock; its id is set at init. */
	pset = port->ext ? port->ext->pset : NULL;
	seq_printf(m, " in_set:%u set:%llu", !!pset, pset ? pset->id : 0);
	spin_unlock(&port->lock);
}

/*
 * fdinfo of a space: a header, then one line per name (at most
 * MBX_FDINFO_MAX_NAMES), no kernel addresses. Documentation/
 * observability.rst describes every field. Runs under space->lock (a
 * mutex); port and set locks are taken for one line at a time.
 */
void mbx_space_show(struct seq_file *m, struct mbx_space *space)
{
	struct mbx_entry *entry;
	unsigned long index;
	unsigned int shown = 0;

	mutex_lock(&space->lock);
	seq_printf(m, "mailbox-space:\t%llu\n", space->id);
	seq_printf(m, "mailbox-names:\t%u\n", space->nr_names);
	seq_printf(m, "mailbox-max-names:\t%u\n", mbx_max_names);
	mbx_limits_show(m, space);
	xa_for_each(&space->names, index, entry) {
		if (shown++ == MBX_FDINFO_MAX_NAMES) {
			seq_printf(m, "mailbox-names-not-shown:\t%u\n",
				   space->nr_names - MBX_FDINFO_MAX_NAMES);
			break;
		}
		mbx_check_dead_locked(space, entry);
		seq_printf(m, "name:\t0x%08x type:0x%06x urefs:%u", entry->name,
			   entry->type, entry->urefs);
		mbx_show_rights(m, entry->type);
		if (entry->port)
			seq_printf(m, " port:%llu", entry->port->id);
		if (entry->type & MAILBOX_PORT_TYPE_RECEIVE) {
			mbx_show_receive(m, entry->port);
		} else if (entry->type & MAILBOX_PORT_TYPE_PORT_SET) {
			seq_printf(m, " set:%llu", mbx_entry_pset(entry)->id);
			mbx_pset_show(m, mbx_entry_pset(entry));
		} else if (entry->port) {
			seq_printf(m, " alive:%d",
				   READ_ONCE(entry->port->active));
		}
		seq_putc(m, '\n');
		cond_resched();
	}
	mutex_unlock(&space->lock);
}
