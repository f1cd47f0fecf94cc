// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox: rights.
 *
 * Rights leave a space by copyin (mbx_copyin_locked(): the disposition is
 * applied to the entry and the port's counters, and a struct mbx_right is
 * produced) and enter one by copyout (mbx_copyout_locked()). Copyins are
 * recorded in a struct mbx_txn so that an operation that fails later (a full
 * queue, a name collision in the target space) puts every right back
 * exactly: an entry emptied by a move stays in the table, with no rights,
 * until the transaction commits. A right that is neither copied out nor
 * undone is released with mbx_right_release().
 *
 * This file also holds the ioctls that manage rights by name.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/sched.h>
#include <linux/uaccess.h>

#include "internal.h"
#include "trace.h"

/*
 * Drop a right in flight (@used: consumed by delivering a message through
 * it). A send right dropping the last sender fires no-senders; a send-once
 * right destroyed unused fires a send-once notification; a receive right
 * destroys its port.
 */
static void mbx_right_drop(struct mbx_right *right, bool used)
{
	struct mbx_port *port = right->port;
	LIST_HEAD(fire);

	if (!port)
		return;
	right->port = NULL;
	switch (right->type) {
	case MAILBOX_MSG_TYPE_PORT_RECEIVE:
		mbx_port_destroy(port);
		break;
	case MAILBOX_MSG_TYPE_PORT_SEND_ONCE:
		if (!used && READ_ONCE(port->active)) {
			/* The right itself carries the notification. */
			mbx_notify_send_once(port);
			break;
		}
		spin_lock(&port->lock);
		port->sorights--;
		spin_unlock(&port->lock);
		break;
	default:
		spin_lock(&port->lock);
		if (--port->srights == 0)
			mbx_notify_no_senders_locked(port, &fire);
		spin_unlock(&port->lock);
		mbx_notify_deliver_list(&fire);
		break;
	}
	mbx_port_put(port);
}

/* Destroy a right in flight. */
void mbx_right_release(struct mbx_right *right)
{
	mbx_right_drop(right, false);
}

/* A message was delivered through @right (its destination right). */
void mbx_right_consume(struct mbx_right *right)
{
	mbx_right_drop(right, true);
}

/* A dead name lacks a send right because its port died: EPIPE. */
static int mbx_missing_right_error(struct mbx_entry *entry, u32 need)
{
	if ((entry->type & MAILBOX_PORT_TYPE_DEAD_NAME) &&
	    need != MAILBOX_PORT_TYPE_RECEIVE)
		return -EPIPE;
	return -EPERM;
}

/**
 * mbx_copyin_locked() - take a right out of a space
 * @space: the space, locked
 * @name: the name holding the right
 * @disposition: MAILBOX_MSG_TYPE_{MAKE,COPY,MOVE}_SEND,
 *               MAILBOX_MSG_TYPE_{MAKE,MOVE}_SEND_ONCE or _MOVE_RECEIVE
 * @txn: records the change for commit or undo
 * @right: filled with the right taken
 *
 * Return: 0, -ENOENT (no such name), -EPERM (the name lacks the right the
 * disposition needs), -EPIPE (the port is dead), -EINVAL (bad disposition).
 */
int mbx_copyin_locked(struct mbx_space *space, u32 name, u32 disposition,
		      struct mbx_txn *txn, struct mbx_right *right)
{
	struct mbx_txn_rec *rec;
	struct mbx_entry *entry;
	struct mbx_port *port;
	u32 need;

	lockdep_assert_held(&space->lock);
	switch (disposition) {
	case MAILBOX_MSG_TYPE_MAKE_SEND:
	case MAILBOX_MSG_TYPE_MAKE_SEND_ONCE:
	case MAILBOX_MSG_TYPE_MOVE_RECEIVE:
		need = MAILBOX_PORT_TYPE_RECEIVE;
		break;
	case MAILBOX_MSG_TYPE_COPY_SEND:
	case MAILBOX_MSG_TYPE_MOVE_SEND:
		need = MAILBOX_PORT_TYPE_SEND;
		break;
	case MAILBOX_MSG_TYPE_MOVE_SEND_ONCE:
		need = MAILBOX_PORT_TYPE_SEND_ONCE;
		break;
	default:
		return -EINVAL;
	}

	entry = mbx_lookup_locked(space, name);
	if (!entry)
		return -ENOENT;
	if (!(entry->type & need))
		return mbx_missing_right_error(entry, need);
	if (WARN_ON_ONCE(txn->n >= txn->max))
		return -EINVAL;

	port = entry->port;
	rec = &txn->rec[txn->n];
	*rec = (struct mbx_txn_rec) {
		.entry = entry, .name = entry->name, .type = entry->type,
		.urefs = entry->urefs, .port = port, .right = right,
	};

	spin_lock(&port->lock);
	if (!port->active) {
		/* Died after the lookup looked: it is a dead name now. */
		spin_unlock(&port->lock);
		mbx_check_dead_locked(space, entry);
		return -EPIPE;
	}
	switch (disposition) {
	case MAILBOX_MSG_TYPE_MAKE_SEND:
		port->mscount++;
		rec->mscount = 1;
		fallthrough;
	case MAILBOX_MSG_TYPE_COPY_SEND:
		port->srights++;
		rec->srights = 1;
		right->type = MAILBOX_MSG_TYPE_PORT_SEND;
		break;
	case MAILBOX_MSG_TYPE_MOVE_SEND:
		if (entry->urefs > 1) {
			entry->urefs--;
			port->srights++;
			rec->srights = 1;
		} else {
			/* The entry's send right itself moves. */
			entry->urefs = 0;
			entry->type &= ~MAILBOX_PORT_TYPE_SEND;
		}
		right->type = MAILBOX_MSG_TYPE_PORT_SEND;
		break;
	case MAILBOX_MSG_TYPE_MAKE_SEND_ONCE:
		port->sorights++;
		rec->sorights = 1;
		right->type = MAILBOX_MSG_TYPE_PORT_SEND_ONCE;
		break;
	case MAILBOX_MSG_TYPE_MOVE_SEND_ONCE:
		entry->urefs = 0;
		entry->type = 0;
		right->type = MAILBOX_MSG_TYPE_PORT_SEND_ONCE;
		break;
	case MAILBOX_MSG_TYPE_MOVE_RECEIVE:
		/* The name keeps a send right beside it, if any. */
		entry->type &= ~MAILBOX_PORT_TYPE_RECEIVE;
		port->receiver = NULL;
		rec->receive_moved = true;
		rec->pset = mbx_pset_detach_locked(port, &rec->member_name);
		right->type = MAILBOX_MSG_TYPE_PORT_RECEIVE;
		/* Receivers waiting in this space must give up. */
		wake_up_all(&port->rcv_wait);
		break;
	}
	spin_unlock(&port->lock);

	right->port = mbx_port_get(port);
	txn->n++;
	trace_mailbox_right_copyin(space, name, disposition, port);
	return 0;
}

/* Free the entries the transaction's moves emptied. */
void mbx_txn_commit_locked(struct mbx_space *space, struct mbx_txn *txn)
{
	unsigned int i;

	lockdep_assert_held(&space->lock);
	for (i = 0; i < txn->n; i++) {
		struct mbx_txn_rec *rec = &txn->rec[i];
		struct mbx_entry *entry;

		/* A moved receive right left its set for good. */
		if (rec->pset) {
			mbx_pset_put(rec->pset);
			mbx_port_put(rec->port);
		}
		/* The same entry may be recorded twice: look it up again. */
		entry = xa_load(&space->names, MAILBOX_NAME_INDEX(rec->name));
		if (entry == rec->entry && entry->type == 0)
			mbx_remove_locked(space, entry);
	}
	txn->n = 0;
}

/* Put every right of the transaction back; its rights in flight vanish. */
void mbx_txn_undo_locked(struct mbx_space *space, struct mbx_txn *txn)
{
	lockdep_assert_held(&space->lock);
	while (txn->n) {
		struct mbx_txn_rec *rec = &txn->rec[--txn->n];
		struct mbx_port *port = rec->port;

		rec->entry->type = rec->type;
		rec->entry->urefs = rec->urefs;
		spin_lock(&port->lock);
		port->srights -= rec->srights;
		port->sorights -= rec->sorights;
		port->mscount -= rec->mscount;
		if (rec->receive_moved)
			port->receiver = space;
		if (rec->pset)
			mbx_pset_reattach_locked(port, rec->pset,
						 rec->member_name);
		spin_unlock(&port->lock);
		if (rec->right->port) {
			mbx_port_put(rec->right->port);
			rec->right->port = NULL;
		}
	}
}

/* A receive right arrives: the port's new holder is @space. */
static int mbx_copyout_receive_locked(struct mbx_space *space,
				      struct mbx_right *right, u32 want,
				      struct mbx_entry **spare, u32 *name)
{
	struct mbx_port *port = right->port;
	struct mbx_entry *entry;
	int ret;

	lockdep_assert_held(&mbx_transit_lock);
	entry = mbx_lookup_port_locked(space, port);
	if (entry) {
		/* Send rights already named here: the names merge. */
		if (want != MAILBOX_PORT_NULL && want != entry->name)
			return -EALREADY;
		entry->type |= MAILBOX_PORT_TYPE_RECEIVE;
		mbx_port_put(port);
	} else {
		entry = *spare;
		if (!entry)
			return -ENOMEM;
		entry->port = port;
		entry->urefs = 0;
		entry->type = MAILBOX_PORT_TYPE_RECEIVE;
		ret = mbx_insert_locked(space, entry, want);
		if (ret) {
			entry->port = NULL;
			return ret;
		}
		mbx_link_locked(space, entry);
		*spare = NULL;
	}
	/* Set before it was sent (desc.c); mbx_transit_lock is held. */
	if (mbx_port_ext(port))
		port->ext->transit = NULL;
	spin_lock(&port->lock);
	port->receiver = space;
	spin_unlock(&port->lock);
	right->port = NULL;
	*name = entry->name;
	return 0;
}

/* The work of mbx_copyout_locked(), below. */
static int __mbx_copyout_locked(struct mbx_space *space,
				struct mbx_right *right, u32 want,
				struct mbx_entry **spare, u32 *name)
{
	struct mbx_port *port = right->port;
	struct mbx_entry *entry;
	int ret;

	lockdep_assert_held(&space->lock);
	if (!READ_ONCE(port->active))
		return -EPIPE;

	if (right->type == MAILBOX_MSG_TYPE_PORT_RECEIVE)
		return mbx_copyout_receive_locked(space, right, want, spare,
						  name);
	if (right->type == MAILBOX_MSG_TYPE_PORT_SEND) {
		entry = mbx_lookup_port_locked(space, port);
		if (entry) {
			if (want != MAILBOX_PORT_NULL && want != entry->name)
				return -EALREADY;
			if (entry->type & MAILBOX_PORT_TYPE_SEND) {
				if (entry->urefs >= MAILBOX_UREFS_MAX)
					return -EOVERFLOW;
				entry->urefs++;
				/* Two send rights merge into one. */
				spin_lock(&port->lock);
				port->srights--;
				spin_unlock(&port->lock);
			} else {
				entry->type |= MAILBOX_PORT_TYPE_SEND;
				entry->urefs = 1;
			}
			mbx_port_put(port);
			right->port = NULL;
			*name = entry->name;
			return 0;
		}
	}

	entry = *spare;
	if (!entry)
		return -ENOMEM;
	entry->port = port;
	entry->urefs = 1;
	entry->type = right->type == MAILBOX_MSG_TYPE_PORT_SEND ?
		      MAILBOX_PORT_TYPE_SEND : MAILBOX_PORT_TYPE_SEND_ONCE;
	ret = mbx_insert_locked(space, entry, want);
	if (ret) {
		entry->port = NULL;
		return ret;
	}
	if (entry->type & MAILBOX_PORT_TYPE_SEND)
		mbx_link_locked(space, entry);
	*spare = NULL;
	right->port = NULL;
	*name = entry->name;
	return 0;
}

/**
 * mbx_copyout_locked() - put a right in flight into a space
 * @space: the space, locked
 * @right: the right; emptied on success
 * @want: the name wanted, or MAILBOX_PORT_NULL for the space's choice
 * @spare: a free entry, used (and set to NULL) if a new name is needed
 * @name: the name the right got
 *
 * A send right joins the name the space already has for the port, if any.
 *
 * Return: 0, -EPIPE (the port is dead; @right untouched), -EALREADY (the
 * port has another name than @want here), -EOVERFLOW (user references would
 * overflow), -EEXIST, -EINVAL, -ENOSPC, -ENOMEM (from naming).
 */
int mbx_copyout_locked(struct mbx_space *space, struct mbx_right *right,
		       u32 want, struct mbx_entry **spare, u32 *name)
{
	u64 port_id = right->port->id;
	u32 type = right->type;
	int ret;

	ret = __mbx_copyout_locked(space, right, want, spare, name);
	if (!ret)
		trace_mailbox_right_copyout(space, *name, type, port_id);
	return ret;
}

/* Destroy every right under @entry's name and remove the name. */
int mbx_destroy_entry_rights_locked(struct mbx_space *space,
				    struct mbx_entry *entry)
{
	struct mbx_right right = { .port = entry->port };

	lockdep_assert_held(&space->lock);
	if (entry->type & MAILBOX_PORT_TYPE_RECEIVE) {
		mbx_port_destroy(entry->port);
	} else if (entry->type & (MAILBOX_PORT_TYPE_SEND |
				  MAILBOX_PORT_TYPE_SEND_ONCE)) {
		/* The entry's reference goes with the entry. */
		right.type = (entry->type & MAILBOX_PORT_TYPE_SEND) ?
			     MAILBOX_MSG_TYPE_PORT_SEND :
			     MAILBOX_MSG_TYPE_PORT_SEND_ONCE;
		mbx_port_get(right.port);
		mbx_right_release(&right);
	} else if (entry->type & MAILBOX_PORT_TYPE_PORT_SET) {
		mbx_pset_destroy(mbx_entry_pset(entry));
	}
	mbx_remove_locked(space, entry);
	return 0;
}

/* Release the send right of @entry (all its user references). */
static void mbx_drop_send_locked(struct mbx_space *space,
				 struct mbx_entry *entry)
{
	struct mbx_right right = {
		.port = mbx_port_get(entry->port),
		.type = MAILBOX_MSG_TYPE_PORT_SEND,
	};

	mbx_right_release(&right);
	entry->type &= ~MAILBOX_PORT_TYPE_SEND;
	entry->urefs = 0;
	if (!entry->type)
		mbx_remove_locked(space, entry);
}

/* Destroy the receive right of @entry; a send right beside it goes dead. */
static void mbx_drop_receive_locked(struct mbx_space *space,
				    struct mbx_entry *entry)
{
	mbx_port_destroy(entry->port);
	if (entry->type & MAILBOX_PORT_TYPE_SEND) {
		entry->type &= ~MAILBOX_PORT_TYPE_RECEIVE;
		mbx_check_dead_locked(space, entry);
	} else {
		mbx_remove_locked(space, entry);
	}
}

static bool mbx_name_valid(u32 name)
{
	return name != MAILBOX_PORT_NULL && name != MAILBOX_PORT_DEAD;
}

int mbx_ioctl_allocate(struct mbx_space *space, void __user *uarg)
{
	struct mailbox_port_allocate args;
	struct mbx_port *port = NULL;
	struct mbx_entry *entry;
	int ret;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.flags || args.reserved)
		return -EINVAL;
	if (args.right != MAILBOX_RIGHT_RECEIVE &&
	    args.right != MAILBOX_RIGHT_PORT_SET &&
	    args.right != MAILBOX_RIGHT_DEAD_NAME)
		return -EINVAL;

	entry = mbx_entry_alloc();
	if (!entry)
		return -ENOMEM;
	if (args.right == MAILBOX_RIGHT_RECEIVE) {
		port = mbx_port_alloc(space);
		if (IS_ERR(port)) {
			ret = PTR_ERR(port);
			port = NULL;
			goto out_free_entry;
		}
		port->receiver = space;
		entry->type = MAILBOX_PORT_TYPE_RECEIVE;
		entry->port = port;
	} else if (args.right == MAILBOX_RIGHT_PORT_SET) {
		/* A set name keeps its set in the entry's extension. */
		if (mbx_entry_ext_get_locked(entry, GFP_KERNEL_ACCOUNT)) {
			ret = -ENOMEM;
			goto out_free_entry;
		}
		entry->x->pset = mbx_pset_alloc();
		if (!entry->x->pset) {
			ret = -ENOMEM;
			goto out_free_entry;
		}
		entry->type = MAILBOX_PORT_TYPE_PORT_SET;
	} else {
		entry->type = MAILBOX_PORT_TYPE_DEAD_NAME;
		entry->urefs = 1;
	}

	mutex_lock(&space->lock);
	ret = mbx_insert_locked(space, entry, MAILBOX_PORT_NULL);
	if (ret) {
		mutex_unlock(&space->lock);
		goto out_put_port;
	}
	if (port)
		mbx_link_locked(space, entry);
	args.name = entry->name;
	mutex_unlock(&space->lock);

	if (copy_to_user(uarg, &args, sizeof(args))) {
		/* Nobody learnt the name: take it back. */
		mutex_lock(&space->lock);
		entry = mbx_lookup_locked(space, args.name);
		if (entry)
			mbx_destroy_entry_rights_locked(space, entry);
		mutex_unlock(&space->lock);
		return -EFAULT;
	}
	return 0;

out_put_port:
	if (port) {
		WRITE_ONCE(port->active, false);
		mbx_port_put(port);
	}
	if (mbx_entry_pset(entry)) {
		mbx_pset_put(entry->x->pset);
		entry->x->pset = NULL;
	}
out_free_entry:
	mbx_entry_free(entry);
	return ret;
}

int mbx_ioctl_deallocate(struct mbx_space *space, void __user *uarg)
{
	struct mailbox_port_name_op args;
	struct mbx_entry *entry;
	int ret = 0;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.flags || args.reserved)
		return -EINVAL;
	if (!mbx_name_valid(args.name))
		return 0;

	mutex_lock(&space->lock);
	entry = mbx_lookup_locked(space, args.name);
	if (!entry) {
		ret = -ENOENT;
	} else if (entry->type & MAILBOX_PORT_TYPE_SEND) {
		if (entry->urefs > 1)
			entry->urefs--;
		else
			mbx_drop_send_locked(space, entry);
	} else if (entry->type & MAILBOX_PORT_TYPE_SEND_ONCE) {
		mbx_destroy_entry_rights_locked(space, entry);
	} else if (entry->type & MAILBOX_PORT_TYPE_DEAD_NAME) {
		if (--entry->urefs == 0)
			mbx_remove_locked(space, entry);
	} else {
		ret = -EPERM;
	}
	mutex_unlock(&space->lock);
	return ret;
}

int mbx_ioctl_destroy(struct mbx_space *space, void __user *uarg)
{
	struct mailbox_port_name_op args;
	struct mbx_entry *entry;
	int ret = -ENOENT;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.flags || args.reserved)
		return -EINVAL;
	if (!mbx_name_valid(args.name))
		return 0;

	mutex_lock(&space->lock);
	entry = mbx_lookup_locked(space, args.name);
	if (entry)
		ret = mbx_destroy_entry_rights_locked(space, entry);
	mutex_unlock(&space->lock);
	return ret;
}

/* Apply @delta to user references @urefs; 0, -EINVAL or -EOVERFLOW. */
static int mbx_urefs_delta(u32 urefs, s32 delta, u32 *result)
{
	s64 sum = (s64)urefs + delta;

	if (sum < 0)
		return -EINVAL;
	if (sum > MAILBOX_UREFS_MAX)
		return -EOVERFLOW;
	*result = sum;
	return 0;
}

static int mbx_mod_refs_locked(struct mbx_space *space,
			       struct mbx_entry *entry, u32 right, s32 delta)
{
	u32 urefs;
	int ret;

	switch (right) {
	case MAILBOX_RIGHT_RECEIVE:
		if (!(entry->type & MAILBOX_PORT_TYPE_RECEIVE))
			return -EPERM;
		if (delta == -1)
			mbx_drop_receive_locked(space, entry);
		else if (delta != 0)
			return -EINVAL;
		return 0;
	case MAILBOX_RIGHT_SEND_ONCE:
		if (!(entry->type & MAILBOX_PORT_TYPE_SEND_ONCE))
			return -EPERM;
		if (delta == -1)
			mbx_destroy_entry_rights_locked(space, entry);
		else if (delta != 0)
			return -EINVAL;
		return 0;
	case MAILBOX_RIGHT_SEND:
		if (!(entry->type & MAILBOX_PORT_TYPE_SEND))
			return -EPERM;
		ret = mbx_urefs_delta(entry->urefs, delta, &urefs);
		if (ret)
			return ret;
		if (urefs == 0)
			mbx_drop_send_locked(space, entry);
		else
			entry->urefs = urefs;
		return 0;
	case MAILBOX_RIGHT_DEAD_NAME:
		if (!(entry->type & MAILBOX_PORT_TYPE_DEAD_NAME))
			return -EPERM;
		ret = mbx_urefs_delta(entry->urefs, delta, &urefs);
		if (ret)
			return ret;
		if (urefs == 0)
			mbx_remove_locked(space, entry);
		else
			entry->urefs = urefs;
		return 0;
	case MAILBOX_RIGHT_PORT_SET:
		return mbx_pset_mod_refs_locked(space, entry, delta);
	default:
		return -EPERM;
	}
}

int mbx_ioctl_mod_refs(struct mbx_space *space, void __user *uarg)
{
	struct mailbox_port_mod_refs args;
	struct mbx_entry *entry;
	int ret;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.flags || args.right > MAILBOX_RIGHT_DEAD_NAME)
		return -EINVAL;
	if (!mbx_name_valid(args.name))
		return (args.right == MAILBOX_RIGHT_SEND ||
			args.right == MAILBOX_RIGHT_SEND_ONCE) ? 0 : -EINVAL;

	mutex_lock(&space->lock);
	entry = mbx_lookup_locked(space, args.name);
	if (entry)
		ret = mbx_mod_refs_locked(space, entry, args.right, args.delta);
	else
		ret = -ENOENT;
	mutex_unlock(&space->lock);
	return ret;
}

/* Lock one or two spaces, in address order. */
static void mbx_lock_two(struct mbx_space *a, struct mbx_space *b)
{
	if (a == b) {
		mutex_lock(&a->lock);
	} else if (a < b) {
		mutex_lock(&a->lock);
		mutex_lock_nested(&b->lock, SINGLE_DEPTH_NESTING);
	} else {
		mutex_lock(&b->lock);
		mutex_lock_nested(&a->lock, SINGLE_DEPTH_NESTING);
	}
}

static void mbx_unlock_two(struct mbx_space *a, struct mbx_space *b)
{
	if (a != b)
		mutex_unlock(&b->lock);
	mutex_unlock(&a->lock);
}

int mbx_ioctl_insert_right(struct mbx_space *space, void __user *uarg)
{
	struct mailbox_port_insert_right args;
	struct mbx_right right = { };
	struct mbx_space *target = space;
	struct mbx_entry *spare;
	struct mbx_txn txn;
	struct fd f = { };
	u32 name;
	int ret;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.flags || args.reserved)
		return -EINVAL;
	if (!mbx_send_disposition_valid(args.disposition))
		return -EINVAL;
	if (args.space_fd != MAILBOX_SPACE_SELF) {
		target = mbx_space_from_fd(args.space_fd, &f);
		if (IS_ERR(target))
			return PTR_ERR(target);
	}

	spare = mbx_entry_alloc();
	if (!spare) {
		ret = -ENOMEM;
		goto out_fdput;
	}

	mbx_txn_init(&txn);
	mbx_lock_two(space, target);
	ret = mbx_copyin_locked(space, args.poly, args.disposition, &txn,
				&right);
	if (!ret) {
		ret = mbx_copyout_locked(target, &right, args.name, &spare,
					 &name);
		if (ret)
			mbx_txn_undo_locked(space, &txn);
		else
			mbx_txn_commit_locked(space, &txn);
	}
	mbx_unlock_two(space, target);

	if (spare)
		mbx_entry_free(spare);
	if (!ret) {
		args.name = name;
		if (copy_to_user(uarg, &args, sizeof(args)))
			ret = -EFAULT;
	}
out_fdput:
	fdput(f);
	return ret;
}

int mbx_ioctl_type(struct mbx_space *space, void __user *uarg)
{
	struct mailbox_port_type args;
	struct mbx_entry *entry;
	int ret = 0;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.flags || args.reserved)
		return -EINVAL;

	mutex_lock(&space->lock);
	entry = mbx_lookup_locked(space, args.name);
	if (entry) {
		args.type = entry->type;
		args.send_urefs = (entry->type & MAILBOX_PORT_TYPE_SEND) ?
				  entry->urefs : 0;
		args.dead_urefs = (entry->type & MAILBOX_PORT_TYPE_DEAD_NAME) ?
				  entry->urefs : 0;
	} else {
		ret = -ENOENT;
	}
	mutex_unlock(&space->lock);

	if (!ret && copy_to_user(uarg, &args, sizeof(args)))
		ret = -EFAULT;
	return ret;
}

int mbx_ioctl_names(struct mbx_space *space, void __user *uarg)
{
	struct mailbox_port_names args;
	u32 __user *names, *types;
	struct mbx_entry *entry;
	unsigned long index;
	u32 i = 0;
	int ret = 0;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.flags || args.reserved)
		return -EINVAL;
	names = u64_to_user_ptr(args.names);
	types = u64_to_user_ptr(args.types);

	/* User memory under a mutex is fine: no fault path takes it. */
	mutex_lock(&space->lock);
	if (args.count < space->nr_names) {
		ret = -ENOSPC;
		i = space->nr_names;
		goto out_unlock;
	}
	xa_for_each(&space->names, index, entry) {
		mbx_check_dead_locked(space, entry);
		if ((names && put_user(entry->name, names + i)) ||
		    (types && put_user(entry->type, types + i))) {
			ret = -EFAULT;
			goto out_unlock;
		}
		i++;
		cond_resched();
	}
out_unlock:
	mutex_unlock(&space->lock);
	if (ret == -EFAULT)
		return ret;
	args.count = i;
	if (copy_to_user(uarg, &args, sizeof(args)))
		return -EFAULT;
	return ret;
}
