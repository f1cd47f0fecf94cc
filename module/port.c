// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox: ports.
 *
 * A port is created with its receive right (mbx_port_alloc() returns one
 * reference, which the receive right's entry takes over) and lives until its
 * last reference is put. mbx_port_destroy() is called exactly once, when the
 * receive right is destroyed: it marks the port dead under its lock, drains
 * the queue and wakes every sender and receiver (a member of a port set
 * leaves it first); the struct stays until the entries, messages, waiters
 * and ready fds still referring to it let go.
 *
 * A port's rarely used state (struct mbx_port_ext, see internal.h) is
 * allocated by mbx_port_ext_get() when first needed and freed with the
 * port.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/uaccess.h>

#include "internal.h"
#include "trace.h"

static struct kmem_cache *mbx_port_cache;
static struct kmem_cache *mbx_port_ext_cache;

int mbx_port_cache_init(void)
{
	/*
	 * Issue #7: a receive right costs at most 192 bytes of slab with its
	 * entry (56) and its share of the name xarray (9). No
	 * SLAB_HWCACHE_ALIGN: it would round the port up to 128 bytes (and
	 * the entry to 64: 201 in all), for little, as a port's lock, queue
	 * head and most counters are in its first cache line already.
	 */
#if defined(CONFIG_64BIT) && !defined(CONFIG_DEBUG_SPINLOCK) && \
	!defined(CONFIG_DEBUG_LOCK_ALLOC)
	BUILD_BUG_ON(sizeof(struct mbx_port) > 120);
#endif
	mbx_port_ext_cache = KMEM_CACHE(mbx_port_ext, SLAB_ACCOUNT);
	if (!mbx_port_ext_cache)
		return -ENOMEM;
	mbx_port_cache = KMEM_CACHE(mbx_port, SLAB_ACCOUNT);
	if (!mbx_port_cache) {
		kmem_cache_destroy(mbx_port_ext_cache);
		return -ENOMEM;
	}
	return 0;
}

void mbx_port_cache_exit(void)
{
	kmem_cache_destroy(mbx_port_cache);
	kmem_cache_destroy(mbx_port_ext_cache);
}

/**
 * mbx_port_ext_get() - make sure @port has its extension
 * @port: the port; the caller holds a reference and no port or set lock
 * @gfp: GFP_KERNEL_ACCOUNT, or with __GFP_NOFAIL where the caller cannot
 *       fail
 *
 * May sleep. Once it returned 0, port->ext stays set until the port is
 * freed.
 *
 * Return: 0 or -ENOMEM.
 */
int mbx_port_ext_get(struct mbx_port *port, gfp_t gfp)
{
	struct mbx_port_ext *ext;

	if (mbx_port_ext(port))
		return 0;
	ext = kmem_cache_zalloc(mbx_port_ext_cache, gfp);
	if (!ext)
		return -ENOMEM;
	ext->port = port;
	init_waitqueue_head(&ext->send_wait);
	INIT_LIST_HEAD(&ext->dnrequests);
	INIT_LIST_HEAD(&ext->sprequests);
	INIT_LIST_HEAD(&ext->member_link);
	INIT_LIST_HEAD(&ext->ready_link);

	spin_lock(&port->lock);
	if (!port->ext) {
		/* Pairs with mbx_port_ext(): readers see it initialised. */
		smp_store_release(&port->ext, ext);
		ext = NULL;
	}
	spin_unlock(&port->lock);
	if (ext)
		kmem_cache_free(mbx_port_ext_cache, ext);
	return 0;
}

/**
 * mbx_port_alloc() - a new active port, with one reference
 * @space: the allocating space, whose user the port is charged to
 *
 * Return: the port, ERR_PTR(-EMFILE) when the user has max_ports_per_user
 * live ports, or ERR_PTR(-ENOMEM).
 */
struct mbx_port *mbx_port_alloc(struct mbx_space *space)
{
	struct mbx_port *port;
	int ret;

	port = kmem_cache_zalloc(mbx_port_cache, GFP_KERNEL_ACCOUNT);
	if (!port)
		return ERR_PTR(-ENOMEM);
	ret = mbx_charge_port(space, port);
	if (ret) {
		kmem_cache_free(mbx_port_cache, port);
		return ERR_PTR(ret);
	}
	refcount_set(&port->ref, 1);
	port->id = mbx_new_object_id();
	spin_lock_init(&port->lock);
	port->active = true;
	INIT_LIST_HEAD(&port->msgs);
	port->qlimit = MAILBOX_QLIMIT_DEFAULT;
	init_waitqueue_head(&port->rcv_wait);
	mbx_stat_add(MBX_STAT_PORTS, 1);
	mbx_stat_add(MBX_STAT_TOTAL_PORTS, 1);
	trace_mailbox_port_create(port, space);
	return port;
}

void mbx_port_put(struct mbx_port *port)
{
	struct mbx_port_ext *ext;

	if (!refcount_dec_and_test(&port->ref))
		return;
	ext = port->ext;
	WARN_ON_ONCE(port->active || !list_empty(&port->msgs));
	if (ext) {
		WARN_ON_ONCE(ext->pset || ext->nsmsg || ext->pdmsg ||
			     !list_empty(&ext->dnrequests) ||
			     !list_empty(&ext->sprequests) ||
			     atomic_read(&ext->nr_services));
		kmem_cache_free(mbx_port_ext_cache, ext);
	}
	/* Still charged if it never died (a failed allocation). */
	mbx_uncharge_port(port->user);
	kmem_cache_free(mbx_port_cache, port);
	mbx_stat_add(MBX_STAT_PORTS, -1);
}

/*
 * A port-destroyed request hands the receive right of dying @port over to
 * the notify port instead. Return: true if it did (@port lives on, in
 * transit), false if @port must die after all (the notify port is dead or
 * the hand-over would put @port inside its own queue); @pd is then the
 * caller's to destroy once @port is dead, so that its send-once right does
 * not notify @port itself.
 */
static bool mbx_port_hand_over(struct mbx_port *port, struct mbx_msg *pd)
{
	struct mbx_port *dest = pd->dest.port;

	/* Sent now; destroyed below if it cannot be queued. */
	mbx_stat_add(MBX_STAT_TOTAL_NOTIFICATIONS, 1);
	pd->rights[0].port = mbx_port_get(port);
	pd->rights[0].type = MAILBOX_MSG_TYPE_PORT_RECEIVE;
	pd->nr_rights = 1;
	pd->carries_receive = true;

	mutex_lock(&mbx_transit_lock);
	if (mbx_desc_makes_cycle_locked(pd, dest))
		goto out_fail;
	spin_lock(&dest->lock);
	if (!dest->active) {
		spin_unlock(&dest->lock);
		goto out_fail;
	}
	mbx_desc_set_transit_locked(pd, dest);
	trace_mailbox_notify(pd, dest);
	mbx_enqueue_locked(dest, pd, false);
	spin_unlock(&dest->lock);
	mutex_unlock(&mbx_transit_lock);
	/* Receivers in the old space give up (EIDRM). */
	wake_up_all(&port->rcv_wait);
	return true;

out_fail:
	mutex_unlock(&mbx_transit_lock);
	pd->nr_rights = 0;
	pd->carries_receive = false;
	pd->rights[0].port = NULL;
	mbx_port_put(port);
	return false;
}

/**
 * mbx_port_destroy() - the receive right of @port is being destroyed
 * @port: an active port; the caller's reference stays the caller's
 *
 * Queued messages are destroyed (their rights released), blocked senders and
 * receivers wake and see the port dead. Receive rights carried by those
 * messages destroy their ports in turn: a work list, not recursion, so a
 * long chain of ports in transit cannot overflow the stack. Must not be
 * called with mbx_transit_lock or any port lock held.
 */
void mbx_port_destroy(struct mbx_port *port)
{
	struct mbx_port_fifo ports;
	struct mbx_port *p;

	mbx_port_fifo_init(&ports);
	mbx_port_fifo_push(&ports, mbx_port_get(port));
	while ((p = mbx_port_fifo_pop(&ports))) {
		struct mbx_msg *msg, *tmp, *pd = NULL;
		struct mbx_port_ext *ext;
		struct mbx_user *user;
		LIST_HEAD(destroy);
		LIST_HEAD(fire);
		LIST_HEAD(msgs);

		/* Its receive right leaves the space, hence any port set. */
		mbx_pset_remove_port(p);

		spin_lock(&p->lock);
		WARN_ON_ONCE(!p->active);
		p->receiver = NULL;
		ext = p->ext;
		if (ext) {
			pd = ext->pdmsg;
			ext->pdmsg = NULL;
		}
		/*
		 * Without a port-destroyed request the port dies in this same
		 * critical section: a receiver that looks under the lock (a
		 * polling one sees the receiver change first, spin.c) must
		 * find it dead (EPIPE), not only gone from its space (EIDRM).
		 * With one, the lock is dropped for the hand-over; a receiver
		 * looking meanwhile gives up with EIDRM, which is right when
		 * the hand-over succeeds (the right moved) and, when it fails
		 * (the notify port died), says the right left the space first.
		 */
		if (pd) {
			spin_unlock(&p->lock);
			if (mbx_port_hand_over(p, pd)) {
				mbx_port_put(p);
				continue;
			}
			spin_lock(&p->lock);
		}
		WRITE_ONCE(p->active, false);
		trace_mailbox_port_destroy(p, p->msgcount + p->npulses);
		list_splice_init(&p->msgs, &msgs);
		p->msgcount = 0;
		p->npulses = 0;
		mbx_notify_port_dead_locked(p, &fire, &destroy);
		user = p->user;
		p->user = NULL;
		spin_unlock(&p->lock);
		/* Dead: no longer counts against its allocator's limit. */
		mbx_uncharge_port(user);
		/* Boosts its send-once rights gave (a client died) end. */
		mbx_prio_port_died(p);
		/* A port-destroyed notification that could not be queued. */
		if (pd)
			list_add_tail(&pd->link, &msgs);

		wake_up_all(&p->rcv_wait);
		/*
		 * An extension added after the look above has no waiter: a
		 * sender looks at @active under p->lock before waiting.
		 */
		ext = mbx_port_ext(p);
		if (ext) {
			wake_up_all(&ext->send_wait);
			mbx_registry_port_died(p);
			if (READ_ONCE(ext->transit)) {
				mutex_lock(&mbx_transit_lock);
				ext->transit = NULL;
				mutex_unlock(&mbx_transit_lock);
			}
		}

		mbx_notify_deliver_list(&fire);
		/* Requests that never fired: never sent, just freed. */
		list_for_each_entry_safe(msg, tmp, &destroy, link) {
			list_del(&msg->link);
			mbx_msg_free(msg);
		}
		list_for_each_entry_safe(msg, tmp, &msgs, link) {
			list_del(&msg->link);
			mbx_msg_destroy_deferred(msg, &ports);
		}
		mbx_port_put(p);
	}
}

/*
 * GET_ATTR and SET_ATTR take a receive right or (for the spin budget
 * alone) a port set; mbx_receive_source() finds either, with a reference.
 */
int mbx_ioctl_get_attr(struct mbx_space *space, void __user *uarg)
{
	struct mailbox_port_attr attr;
	struct mbx_port_ext *ext;
	struct mbx_pset *pset;
	struct mbx_port *port;
	int ret;

	if (copy_from_user(&attr, uarg, sizeof(attr)))
		return -EFAULT;
	if (attr.flags)
		return -EINVAL;

	ret = mbx_receive_source(space, attr.name, &port, &pset);
	if (ret)
		return ret;
	attr = (struct mailbox_port_attr){ .name = attr.name };
	if (pset) {
		/* A set has a spin budget and nothing else of these. */
		attr.spin_us = READ_ONCE(pset->spin_us);
		mbx_pset_put(pset);
		goto out;
	}

	spin_lock(&port->lock);
	attr.qlimit = port->qlimit;
	attr.msgcount = port->msgcount;
	attr.seqno = port->seqno;
	attr.mscount = port->mscount;
	attr.sorights = port->sorights;
	attr.has_senders = port->srights != 0;
	attr.pulses_queued = port->npulses;
	attr.pulses_dropped = port->pulses_dropped;
	attr.port_flags = port->flags;
	ext = port->ext;
	attr.spin_us = ext ? READ_ONCE(ext->spin_us) : 0;
	spin_unlock(&port->lock);
	mbx_port_put(port);
out:
	if (copy_to_user(uarg, &attr, sizeof(attr)))
		return -EFAULT;
	return 0;
}

int mbx_ioctl_set_attr(struct mbx_space *space, void __user *uarg)
{
	struct mailbox_port_attr attr;
	struct mbx_pset *pset;
	struct mbx_port *port;
	bool wake = false;
	LIST_HEAD(fire);
	int ret;

	if (copy_from_user(&attr, uarg, sizeof(attr)))
		return -EFAULT;
	if (attr.flags & ~MAILBOX_ATTR_ALL)
		return -EINVAL;
	if ((attr.flags & MAILBOX_ATTR_FLAGS) &&
	    (attr.port_flags & ~MAILBOX_PORT_FLAGS_ALL))
		return -EINVAL;
	if ((attr.flags & MAILBOX_ATTR_QLIMIT) &&
	    (attr.qlimit == 0 || attr.qlimit > mbx_qlimit_max))
		return -EINVAL;
	if ((attr.flags & MAILBOX_ATTR_SPIN) &&
	    attr.spin_us > READ_ONCE(mbx_spin_max_us))
		return -EINVAL;

	ret = mbx_receive_source(space, attr.name, &port, &pset);
	if (ret)
		return ret;
	if (pset) {
		/* A set has a spin budget only: other fields, as before. */
		if (attr.flags & ~MAILBOX_ATTR_SPIN)
			ret = -EPERM;
		else if (attr.flags)
			WRITE_ONCE(pset->spin_us, attr.spin_us);
		mbx_pset_put(pset);
		return ret;
	}
	/* The budget lives in the port's extension: make it first. */
	if ((attr.flags & MAILBOX_ATTR_SPIN) && attr.spin_us &&
	    mbx_port_ext_get(port, GFP_KERNEL)) {
		mbx_port_put(port);
		return -ENOMEM;
	}

	spin_lock(&port->lock);
	if (attr.flags & MAILBOX_ATTR_QLIMIT) {
		wake = attr.qlimit > port->qlimit;
		port->qlimit = attr.qlimit;
		if (port->msgcount < port->qlimit)
			mbx_notify_take_sp_locked(port, &fire);
	}
	if (attr.flags & MAILBOX_ATTR_SEQNO)
		port->seqno = attr.seqno;
	if (attr.flags & MAILBOX_ATTR_MSCOUNT)
		port->mscount = attr.mscount;
	/*
	 * Applies to messages received from now on. Senders a BATCH_WAKE
	 * port let sleep with room left are woken when it is cleared.
	 */
	if (attr.flags & MAILBOX_ATTR_FLAGS) {
		if ((port->flags & ~attr.port_flags & MAILBOX_PORT_FLAG_BATCH_WAKE) &&
		    port->msgcount < port->qlimit)
			wake = true;
		WRITE_ONCE(port->flags, attr.port_flags);
	}
	/* Read by receives as they start to wait: applies to the next. */
	if ((attr.flags & MAILBOX_ATTR_SPIN) && port->ext)
		WRITE_ONCE(port->ext->spin_us, attr.spin_us);
	spin_unlock(&port->lock);

	/* Room appeared for possibly many senders. */
	if (wake && mbx_port_ext(port))
		wake_up_all(&port->ext->send_wait);
	mbx_notify_deliver_list(&fire);
	mbx_port_put(port);
	return 0;
}
