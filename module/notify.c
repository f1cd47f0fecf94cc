// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox: notifications (Mach's dead-name, port-deleted, no-senders,
 * send-once, port-destroyed and send-possible).
 *
 * A notification is a kernel-made message sent through a send-once right
 * the requester supplied. Requests preallocate their message, so firing
 * one never allocates: it is taken under the port's lock and queued on the
 * notify port once that lock is dropped (two port locks are never held).
 * Only the send-once notification, which fires whenever a send-once right
 * is destroyed unused, allocates when it fires (__GFP_NOFAIL, 24 bytes).
 *
 * Dead-name and send-possible requests (struct mbx_request) belong to the
 * requesting entry and are linked on the port while armed. When the port
 * dies both fire as dead-name notifications and each adds one user
 * reference to the dead name (XNU's rule: the receiver of the notification
 * deallocates it). When the entry goes away first, an armed request fires
 * as a port-deleted notification. No-senders and port-destroyed requests
 * live on the port (one each).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/uaccess.h>

#include "internal.h"
#include "trace.h"

/* XNU's NDR_record: little-endian integers, ASCII, IEEE floats. */
static const u8 mbx_ndr[8] = { 0, 0, 0, 0, 1, 0, 0, 0 };

/* A notification message with @body_size bytes of body, no rights yet. */
struct mbx_msg *mbx_notify_alloc(s32 id, u32 body_size, gfp_t gfp)
{
	struct mbx_msg *msg;

	msg = mbx_msg_alloc(MBX_HEADER_SIZE + body_size, gfp);
	if (!msg)
		return NULL;
	/* Sent by the kernel: no sender to report in a trailer. */
	put_pid(msg->pid);
	msg->pid = NULL;
	msg->uid = GLOBAL_ROOT_UID;
	msg->gid = GLOBAL_ROOT_GID;
	msg->bits = MAILBOX_MSGH_BITS(MAILBOX_MSG_TYPE_MOVE_SEND_ONCE, 0);
	msg->id = id;
	memset(msg->body, 0, body_size);
	if (body_size >= sizeof(mbx_ndr) + sizeof(u32))
		memcpy(msg->body, mbx_ndr, sizeof(mbx_ndr));
	return msg;
}

/* Set the name/count word of a DEAD_NAME/PORT_DELETED/... notification. */
static void mbx_notify_set_word(struct mbx_msg *msg, s32 id, u32 word)
{
	msg->id = id;
	memcpy(msg->body + sizeof(mbx_ndr), &word, sizeof(word));
}

static struct mbx_msg *mbx_notify_name_alloc(gfp_t gfp)
{
	return mbx_notify_alloc(MAILBOX_NOTIFY_DEAD_NAME,
				sizeof(struct mailbox_notify_name) -
				MBX_HEADER_SIZE, gfp);
}

/**
 * mbx_notify_deliver() - queue a notification through its send-once right
 * @msg: a notification whose dest is a send-once right; consumed
 *
 * A send-once right ignores the queue limit. If the notify port is dead the
 * notification is destroyed.
 */
void mbx_notify_deliver(struct mbx_msg *msg)
{
	struct mbx_port *port = msg->dest.port;

	/* Counted when sent, like a message: received or destroyed later. */
	mbx_stat_add(MBX_STAT_TOTAL_NOTIFICATIONS, 1);
	trace_mailbox_notify(msg, port);
	spin_lock(&port->lock);
	if (!port->active) {
		spin_unlock(&port->lock);
		mbx_msg_destroy(msg);
		return;
	}
	mbx_enqueue_locked(port, msg, false);
	spin_unlock(&port->lock);
}

void mbx_notify_deliver_list(struct list_head *msgs)
{
	struct mbx_msg *msg, *tmp;

	list_for_each_entry_safe(msg, tmp, msgs, link) {
		list_del(&msg->link);
		mbx_notify_deliver(msg);
	}
}

/**
 * mbx_notify_send_once() - a send-once right to @port dies unused
 * @port: the port; the caller holds a reference and the right, which this
 *        consumes (it becomes the notification's destination)
 */
void mbx_notify_send_once(struct mbx_port *port)
{
	struct mbx_msg *msg;

	msg = mbx_notify_alloc(MAILBOX_NOTIFY_SEND_ONCE, 0,
			       GFP_KERNEL_ACCOUNT | __GFP_NOFAIL);
	msg->dest.port = mbx_port_get(port);
	msg->dest.type = MAILBOX_MSG_TYPE_PORT_SEND_ONCE;
	mbx_notify_deliver(msg);
}

/* Fire an armed request as @id; port->lock held. */
static void mbx_request_fire_locked(struct mbx_request *req, s32 id,
				    struct list_head *fire)
{
	list_del_init(&req->link);
	mbx_notify_set_word(req->msg, id, req->name);
	list_add_tail(&req->msg->link, fire);
	req->msg = NULL;
	req->fired = true;
}

/**
 * mbx_notify_port_dead_locked() - collect what fires when @port dies
 * @port: the port, locked, just marked dead
 * @fire: gets the dead-name notifications to deliver
 * @destroy: gets the unfired no-senders/port-destroyed notifications, to
 *           free (their send-once rights fire send-once notifications)
 */
void mbx_notify_port_dead_locked(struct mbx_port *port,
				 struct list_head *fire,
				 struct list_head *destroy)
{
	struct mbx_port_ext *ext = port->ext;
	struct mbx_request *req, *tmp;

	lockdep_assert_held(&port->lock);
	if (!ext)
		return;
	list_for_each_entry_safe(req, tmp, &ext->dnrequests, link)
		mbx_request_fire_locked(req, MAILBOX_NOTIFY_DEAD_NAME, fire);
	list_for_each_entry_safe(req, tmp, &ext->sprequests, link)
		mbx_request_fire_locked(req, MAILBOX_NOTIFY_DEAD_NAME, fire);
	if (ext->nsmsg) {
		list_add_tail(&ext->nsmsg->link, destroy);
		ext->nsmsg = NULL;
	}
	if (ext->pdmsg) {
		list_add_tail(&ext->pdmsg->link, destroy);
		ext->pdmsg = NULL;
	}
}

/* Room appeared in @port's queue: fire its send-possible requests. */
void mbx_notify_take_sp_locked(struct mbx_port *port, struct list_head *fire)
{
	struct mbx_port_ext *ext = port->ext;
	struct mbx_request *req, *tmp;

	lockdep_assert_held(&port->lock);
	if (!ext)
		return;
	list_for_each_entry_safe(req, tmp, &ext->sprequests, link)
		mbx_request_fire_locked(req, MAILBOX_NOTIFY_SEND_POSSIBLE, fire);
}

/* @port's send rights just dropped to zero. */
void mbx_notify_no_senders_locked(struct mbx_port *port,
				  struct list_head *fire)
{
	struct mbx_port_ext *ext = port->ext;

	lockdep_assert_held(&port->lock);
	if (!ext || !ext->nsmsg || !port->active || port->srights ||
	    port->mscount < ext->nssync)
		return;
	mbx_notify_set_word(ext->nsmsg, MAILBOX_NOTIFY_NO_SENDERS,
			    port->mscount);
	list_add_tail(&ext->nsmsg->link, fire);
	ext->nsmsg = NULL;
}

/* Drop a request of a departing entry: port-deleted if still armed. */
static void mbx_request_drop(struct mbx_port *port, struct mbx_request *req)
{
	LIST_HEAD(fire);

	if (!req)
		return;
	if (port) {
		spin_lock(&port->lock);
		if (!req->fired)
			mbx_request_fire_locked(req, MAILBOX_NOTIFY_PORT_DELETED,
						&fire);
		spin_unlock(&port->lock);
		mbx_notify_deliver_list(&fire);
	}
	kfree(req);
}

/* @entry leaves its space (space->lock held): settle its requests. */
void mbx_request_entry_gone_locked(struct mbx_space *space,
				   struct mbx_entry *entry)
{
	struct mbx_entry_ext *x = entry->x;

	lockdep_assert_held(&space->lock);
	if (!x)
		return;
	mbx_request_drop(entry->port, x->dnreq);
	mbx_request_drop(entry->port, x->spreq);
	x->dnreq = NULL;
	x->spreq = NULL;
}

/*
 * @entry turns into a dead name (its port died): each request that fired
 * for it adds a user reference. Return how many.
 */
u32 mbx_request_dead_urefs_locked(struct mbx_entry *entry)
{
	struct mbx_entry_ext *x = entry->x;
	struct mbx_port *port = entry->port;
	struct mbx_request *reqs[2];
	u32 urefs = 0;
	unsigned int i;

	if (!x)
		return 0;
	reqs[0] = x->dnreq;
	reqs[1] = x->spreq;
	for (i = 0; i < ARRAY_SIZE(reqs); i++) {
		struct mbx_request *req = reqs[i];

		if (!req)
			continue;
		/* The death path fired it under this lock. */
		spin_lock(&port->lock);
		urefs += req->fired;
		spin_unlock(&port->lock);
		kfree(req);
	}
	x->dnreq = NULL;
	x->spreq = NULL;
	return urefs;
}

/* A request's notify right, copied back out to the caller's space. */
static u32 mbx_notify_previous_locked(struct mbx_space *space,
				      struct mbx_msg *msg)
{
	struct mbx_entry *spare;
	u32 name = MAILBOX_PORT_NULL;
	int ret;

	if (!msg)
		return MAILBOX_PORT_NULL;
	spare = mbx_entry_alloc();
	ret = mbx_copyout_locked(space, &msg->dest, MAILBOX_PORT_NULL, &spare,
				 &name);
	if (ret == -EPIPE)
		name = MAILBOX_PORT_DEAD;
	else if (ret)
		name = MAILBOX_PORT_NULL;	/* released with the message */
	if (spare)
		mbx_entry_free(spare);
	mbx_msg_free(msg);
	return name;
}

struct mbx_notify_req {
	struct mailbox_port_request_notification args;
	struct mbx_msg *msg;		/* the new notification, or NULL */
	struct mbx_request *req;	/* for DEAD_NAME/SEND_POSSIBLE */
	struct list_head fire;		/* to deliver after unlocking */
};

/* Install a dead-name or send-possible request on @entry. */
static int mbx_request_name_locked(struct mbx_space *space,
				   struct mbx_entry *entry,
				   struct mbx_notify_req *r,
				   struct mbx_msg **previous)
{
	bool dead_name = r->args.variant == MAILBOX_NOTIFY_DEAD_NAME;
	u32 need = dead_name ? MAILBOX_PORT_TYPE_SEND |
			       MAILBOX_PORT_TYPE_SEND_ONCE |
			       MAILBOX_PORT_TYPE_RECEIVE :
			       MAILBOX_PORT_TYPE_SEND;
	struct mbx_request **slot;
	struct mbx_port_ext *ext;
	struct mbx_port *port;
	int ret;

again:
	if (entry->type & MAILBOX_PORT_TYPE_DEAD_NAME) {
		/* Already dead: only "sync" asks for an immediate answer. */
		if (!r->msg)
			return 0;
		if (!r->args.sync)
			return -EINVAL;
		if (entry->urefs >= MAILBOX_UREFS_MAX)
			return -EOVERFLOW;
		entry->urefs++;
		mbx_notify_set_word(r->msg, MAILBOX_NOTIFY_DEAD_NAME,
				    entry->name);
		list_add_tail(&r->msg->link, &r->fire);
		r->msg = NULL;
		return 0;
	}
	if (!(entry->type & need))
		return -EPERM;
	port = entry->port;
	/* Nothing armed, nothing to arm: the cancel of nothing. */
	if (!r->msg && !entry->x)
		return 0;
	/* Arming: both extensions, before anything changes. */
	if (r->msg) {
		ret = mbx_entry_ext_get_locked(entry, GFP_KERNEL_ACCOUNT);
		if (!ret)
			ret = mbx_port_ext_get(port, GFP_KERNEL_ACCOUNT);
		if (ret)
			return ret;
	}
	slot = dead_name ? &entry->x->dnreq : &entry->x->spreq;

	spin_lock(&port->lock);
	if (!port->active) {
		/*
		 * Died after the lookup looked (the death path fires only
		 * the requests linked by then): answer as for a dead name.
		 * A receive right's port cannot die under space->lock.
		 */
		spin_unlock(&port->lock);
		if (WARN_ON_ONCE(!mbx_check_dead_locked(space, entry)))
			return -EPIPE;
		goto again;
	}
	/* An armed request (or one being armed) means an extension. */
	ext = port->ext;
	if (*slot && !(*slot)->fired) {
		/* Replace: the old request's right goes back to the caller. */
		*previous = (*slot)->msg;
		(*slot)->msg = NULL;
		list_del_init(&(*slot)->link);
	}
	kfree(*slot);
	*slot = NULL;
	if (r->msg) {
		r->req->msg = r->msg;
		r->req->name = entry->name;
		r->req->fired = false;
		list_add_tail(&r->req->link, dead_name ? &ext->dnrequests :
							 &ext->sprequests);
		*slot = r->req;
		r->req = NULL;
		r->msg = NULL;
		if (!dead_name && r->args.sync && port->msgcount < port->qlimit)
			mbx_request_fire_locked(*slot,
						MAILBOX_NOTIFY_SEND_POSSIBLE,
						&r->fire);
	}
	spin_unlock(&port->lock);
	return 0;
}

/* Install a no-senders or port-destroyed request on receive right @entry. */
static int mbx_request_port_locked(struct mbx_entry *entry,
				   struct mbx_notify_req *r,
				   struct mbx_msg **previous)
{
	struct mbx_port *port = entry->port;
	struct mbx_port_ext *ext;
	struct mbx_msg **slot;
	int ret;

	if (!(entry->type & MAILBOX_PORT_TYPE_RECEIVE))
		return -EPERM;
	/* Cancelling on a port that never armed one: nothing to do. */
	if (!r->msg && !mbx_port_ext(port))
		return 0;
	ret = mbx_port_ext_get(port, GFP_KERNEL_ACCOUNT);
	if (ret)
		return ret;

	spin_lock(&port->lock);
	ext = port->ext;
	if (r->args.variant == MAILBOX_NOTIFY_NO_SENDERS) {
		slot = &ext->nsmsg;
		ext->nssync = r->args.sync;
	} else {
		slot = &ext->pdmsg;
	}
	*previous = *slot;
	*slot = r->msg;
	r->msg = NULL;
	if (r->args.variant == MAILBOX_NOTIFY_NO_SENDERS)
		mbx_notify_no_senders_locked(port, &r->fire);
	spin_unlock(&port->lock);
	return 0;
}

static struct mbx_msg *mbx_notify_msg_for(u32 variant)
{
	struct mailbox_notify_port_destroyed pd = {
		.body.descriptor_count = 1,
		.rcv_right.disposition = MAILBOX_MSG_TYPE_MOVE_RECEIVE,
		.rcv_right.type = MAILBOX_MSG_PORT_DESCRIPTOR,
	};
	struct mbx_msg *msg;

	if (variant != MAILBOX_NOTIFY_PORT_DESTROYED)
		return mbx_notify_name_alloc(GFP_KERNEL_ACCOUNT);

	msg = mbx_notify_alloc(MAILBOX_NOTIFY_PORT_DESTROYED,
			       sizeof(struct mailbox_notify_port_destroyed) -
			       MBX_HEADER_SIZE, GFP_KERNEL_ACCOUNT);
	if (!msg)
		return NULL;
	msg->rights = kzalloc(sizeof(*msg->rights), GFP_KERNEL_ACCOUNT);
	if (!msg->rights) {
		mbx_msg_free(msg);
		return NULL;
	}
	memcpy(msg->body, &pd.body, msg->size - MBX_HEADER_SIZE);
	msg->bits |= MAILBOX_MSGH_COMPLEX;
	/* rights[0] gets the receive right when it fires. */
	return msg;
}

int mbx_ioctl_request_notification(struct mbx_space *space,
				   void __user *uarg)
{
	struct mbx_notify_req r = { .fire = LIST_HEAD_INIT(r.fire) };
	struct mbx_msg *previous = NULL;
	struct mbx_entry *entry;
	struct mbx_txn txn;
	u32 disposition;
	int ret;

	if (copy_from_user(&r.args, uarg, sizeof(r.args)))
		return -EFAULT;
	disposition = r.args.disposition;
	if (r.args.flags || r.args.reserved)
		return -EINVAL;
	switch (r.args.variant) {
	case MAILBOX_NOTIFY_PORT_DESTROYED:
		if (r.args.sync)
			return -EINVAL;
		break;
	case MAILBOX_NOTIFY_DEAD_NAME:
	case MAILBOX_NOTIFY_NO_SENDERS:
	case MAILBOX_NOTIFY_SEND_POSSIBLE:
		break;
	default:
		return -EINVAL;
	}
	if (r.args.notify == MAILBOX_PORT_NULL ?
	    disposition != 0 :
	    disposition != MAILBOX_MSG_TYPE_MAKE_SEND_ONCE &&
	    disposition != MAILBOX_MSG_TYPE_MOVE_SEND_ONCE)
		return -EINVAL;

	if (r.args.notify != MAILBOX_PORT_NULL) {
		r.msg = mbx_notify_msg_for(r.args.variant);
		if (!r.msg)
			return -ENOMEM;
		if (r.args.variant == MAILBOX_NOTIFY_DEAD_NAME ||
		    r.args.variant == MAILBOX_NOTIFY_SEND_POSSIBLE) {
			r.req = kzalloc(sizeof(*r.req), GFP_KERNEL_ACCOUNT);
			if (!r.req) {
				ret = -ENOMEM;
				goto out_free;
			}
			INIT_LIST_HEAD(&r.req->link);
		}
	}

	mbx_txn_init(&txn);
	mutex_lock(&space->lock);
	entry = mbx_lookup_locked(space, r.args.name);
	if (!entry) {
		ret = -ENOENT;
		goto out_unlock;
	}
	if (r.msg) {
		ret = mbx_copyin_locked(space, r.args.notify, disposition,
					&txn, &r.msg->dest);
		if (ret)
			goto out_unlock;
		/* The copyin may have emptied @entry's name: look again. */
		if (mbx_lookup_locked(space, r.args.name) != entry ||
		    !entry->type) {
			ret = -ENOENT;
			goto out_undo;
		}
	}
	if (r.args.variant == MAILBOX_NOTIFY_DEAD_NAME ||
	    r.args.variant == MAILBOX_NOTIFY_SEND_POSSIBLE)
		ret = mbx_request_name_locked(space, entry, &r, &previous);
	else
		ret = mbx_request_port_locked(entry, &r, &previous);
	if (ret)
		goto out_undo;
	mbx_txn_commit_locked(space, &txn);
	r.args.previous = mbx_notify_previous_locked(space, previous);
	mutex_unlock(&space->lock);

	mbx_notify_deliver_list(&r.fire);
	ret = 0;
	if (copy_to_user(uarg, &r.args, sizeof(r.args)))
		ret = -EFAULT;
	goto out_free;

out_undo:
	mbx_txn_undo_locked(space, &txn);
out_unlock:
	mutex_unlock(&space->lock);
out_free:
	kfree(r.req);
	if (r.msg)
		mbx_msg_free(r.msg);
	return ret;
}
