// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox: descriptors of complex messages (rights carried in the body).
 *
 * At send, the body (already copied into the kernel message) is parsed once
 * to validate every descriptor and collect the names and dispositions of the
 * rights (port arrays are read from user memory), before any lock. Under
 * the sender's space->lock the rights are copied in, into msg->rights[] in
 * descriptor order, in the same transaction as the header's rights. At
 * receive they are copied out into the receiver's space and the body's
 * descriptors are rewritten with the receiver's names; port arrays are
 * written into the receive buffer after the message and its trailer.
 *
 * Out-of-line memory descriptors carry no right: their bytes are copied
 * into msg->ool[] (ool.c) during the parse, and the address in the kernel
 * copy of the body is cleared, so the sender's address never reaches the
 * receiver. At receive the descriptor gets the address of the mapping.
 *
 * Receive rights in transit: a message carrying the receive right of port R
 * queued on port D sets R->ext->transit = D (under mbx_transit_lock).
 * Queuing such a message fails with ELOOP if D is R or D's own receive
 * right is, transitively, in transit inside R's queue: no port ever
 * becomes unreachable inside its own queue.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "internal.h"

/* See internal.h: port->ext->transit and the cycle check. */
DEFINE_MUTEX(mbx_transit_lock);

#define MBX_PORT_DESC_SIZE	((u32)sizeof(struct mailbox_msg_port_descriptor))
#define MBX_OOL_DESC_SIZE	((u32)sizeof(struct mailbox_msg_ool_ports_descriptor))
static_assert(sizeof(struct mailbox_msg_ool_descriptor) == MBX_OOL_DESC_SIZE);

static bool mbx_desc_disposition_valid(u32 disposition)
{
	return disposition >= MAILBOX_MSG_TYPE_MOVE_RECEIVE &&
	       disposition <= MAILBOX_MSG_TYPE_MAKE_SEND_ONCE;
}

/* The type of right a disposition yields. */
static u32 mbx_disposition_type(u32 disposition)
{
	switch (disposition) {
	case MAILBOX_MSG_TYPE_MOVE_RECEIVE:
		return MAILBOX_MSG_TYPE_PORT_RECEIVE;
	case MAILBOX_MSG_TYPE_MOVE_SEND_ONCE:
	case MAILBOX_MSG_TYPE_MAKE_SEND_ONCE:
		return MAILBOX_MSG_TYPE_PORT_SEND_ONCE;
	default:
		return MAILBOX_MSG_TYPE_PORT_SEND;
	}
}

/*
 * Visit every descriptor of @msg's body (validated by mbx_desc_parse()).
 * @fn gets the offset of the descriptor, its type and its number of rights.
 */
static int mbx_desc_walk(struct mbx_msg *msg,
			 int (*fn)(struct mbx_msg *msg, u32 off, u8 type,
				   u32 count, void *data),
			 void *data)
{
	u32 count, off = sizeof(struct mailbox_msg_body), i;
	int ret;

	memcpy(&count, msg->body, sizeof(count));
	for (i = 0; i < count; i++) {
		u8 type = msg->body[off + MBX_PORT_DESC_SIZE - 1];
		u32 n = 1;

		if (type == MAILBOX_MSG_OOL_PORTS_DESCRIPTOR) {
			struct mailbox_msg_ool_ports_descriptor od;

			memcpy(&od, msg->body + off, sizeof(od));
			n = od.count;
		} else if (type == MAILBOX_MSG_OOL_DESCRIPTOR) {
			n = 0;
		}
		ret = fn(msg, off, type, n, data);
		if (ret)
			return ret;
		off += type == MAILBOX_MSG_PORT_DESCRIPTOR ? MBX_PORT_DESC_SIZE :
							     MBX_OOL_DESC_SIZE;
	}
	return 0;
}

struct mbx_collect {
	struct mbx_src *src;
	u32 k;
};

static int mbx_desc_collect(struct mbx_msg *msg, u32 off, u8 type, u32 count,
			    void *data)
{
	struct mbx_collect *c = data;
	struct mailbox_msg_ool_ports_descriptor od;
	struct mailbox_msg_port_descriptor pd;
	const u32 __user *names;
	u32 j;

	if (type == MAILBOX_MSG_OOL_DESCRIPTOR)
		return 0;
	if (type == MAILBOX_MSG_PORT_DESCRIPTOR) {
		memcpy(&pd, msg->body + off, sizeof(pd));
		c->src[c->k].name = pd.name;
		c->src[c->k++].disposition = pd.disposition;
		return 0;
	}
	memcpy(&od, msg->body + off, sizeof(od));
	names = u64_to_user_ptr(od.address);
	for (j = 0; j < count; j++) {
		if (get_user(c->src[c->k].name, names + j))
			return -EFAULT;
		c->src[c->k++].disposition = od.disposition;
	}
	return 0;
}

struct mbx_ool_walk {
	struct mbx_space *space;	/* the sender's */
	u32 j;				/* next msg->ool[] */
};

/* Copy the out-of-line memory of one descriptor into msg->ool[w->j]. */
static int mbx_desc_ool_copyin(struct mbx_msg *msg, u32 off, u8 type,
			       u32 count, void *data)
{
	struct mailbox_msg_ool_descriptor od;
	struct mbx_ool_walk *w = data;
	struct mbx_ool *o;
	int ret;

	if (type != MAILBOX_MSG_OOL_DESCRIPTOR)
		return 0;
	memcpy(&od, msg->body + off, sizeof(od));
	o = &msg->ool[w->j++];
	if (od.size) {
		/* Per-user limits count out-of-line bytes too. */
		ret = mbx_charge_msg_ool(msg, od.size);
		if (ret)
			return ret;
		/* A buffer given away is moved (ool_move.c), else copied. */
		if (od.deallocate && od.copy == MAILBOX_VIRTUAL_COPY &&
		    mbx_ool_move(o, od.address, od.size))
			goto done;
		ret = mbx_ool_copyin(w->space, o, u64_to_user_ptr(od.address),
				     od.size);
		if (ret)
			return ret;
		if (od.deallocate)
			mbx_ool_set_dealloc(o, od.address, od.size);
	}
done:
	/* The receiver gets its own address, never the sender's. */
	od.address = 0;
	memcpy(msg->body + off, &od, sizeof(od));
	return 0;
}

static int mbx_desc_parse_ool(struct mbx_space *space, struct mbx_msg *msg,
			      u32 nr_ool, u32 *status)
{
	struct mbx_ool_walk w = { .space = space };
	int ret;

	msg->ool = kvcalloc(nr_ool, sizeof(*msg->ool), GFP_KERNEL_ACCOUNT);
	if (!msg->ool) {
		*status = MAILBOX_SEND_NO_BUFFER;
		return -ENOMEM;
	}
	msg->nr_ool = nr_ool;
	ret = mbx_desc_walk(msg, mbx_desc_ool_copyin, &w);
	if (ret == -ENOMEM || ret == -ENOBUFS)
		*status = MAILBOX_SEND_NO_BUFFER;
	else if (ret == -EINTR)
		*status = MAILBOX_SEND_INTERRUPTED;
	else if (ret)
		*status = MAILBOX_SEND_INVALID_DATA;
	return ret;
}

/**
 * mbx_desc_parse() - validate the descriptors of a complex message
 * @space: the sender's space (its out-of-line file cache)
 * @msg: the message, body in kernel memory
 * @srcp: set to a kvmalloc()ed array of the rights' names and dispositions
 *        (NULL if there are none); the caller frees it
 * @status: set on failure
 *
 * Allocates msg->rights and copies the out-of-line memory into msg->ool
 * (freed with the message, also on failure). Return: 0, -EINVAL
 * (malformed), -EMSGSIZE (too many rights, too much out-of-line memory),
 * -EFAULT (a port array or out-of-line memory is unreadable), -ENOMEM,
 * -EINTR (fatal signal while copying).
 */
int mbx_desc_parse(struct mbx_space *space, struct mbx_msg *msg,
		   struct mbx_src **srcp, u32 *status)
{
	u32 len = msg->size - MBX_HEADER_SIZE, count, off, i, total = 0;
	struct mbx_collect c = { };
	u64 ool_total = 0;
	u32 nr_ool = 0;
	int ret;

	*srcp = NULL;
	if (len < sizeof(struct mailbox_msg_body)) {
		*status = MAILBOX_SEND_MSG_TOO_SMALL;
		return -EINVAL;
	}
	memcpy(&count, msg->body, sizeof(count));
	if (count > MAILBOX_MSG_RIGHTS_MAX) {
		*status = MAILBOX_SEND_TOO_LARGE;
		return -EMSGSIZE;
	}

	off = sizeof(struct mailbox_msg_body);
	for (i = 0; i < count; i++) {
		struct mailbox_msg_ool_ports_descriptor od;
		struct mailbox_msg_port_descriptor pd;
		u8 type;

		if (len - off < MBX_PORT_DESC_SIZE)
			goto too_small;
		type = msg->body[off + MBX_PORT_DESC_SIZE - 1];
		if (type == MAILBOX_MSG_PORT_DESCRIPTOR) {
			memcpy(&pd, msg->body + off, sizeof(pd));
			if (pd.pad1 || pd.pad2 ||
			    !mbx_desc_disposition_valid(pd.disposition))
				goto bad_type;
			if (total >= MAILBOX_MSG_RIGHTS_MAX)
				goto too_many;
			total++;
			off += MBX_PORT_DESC_SIZE;
		} else if (type == MAILBOX_MSG_OOL_PORTS_DESCRIPTOR) {
			if (len - off < MBX_OOL_DESC_SIZE)
				goto too_small;
			memcpy(&od, msg->body + off, sizeof(od));
			if (od.deallocate || od.copy ||
			    !mbx_desc_disposition_valid(od.disposition))
				goto bad_type;
			if (od.count > MAILBOX_MSG_RIGHTS_MAX - total)
				goto too_many;
			total += od.count;
			msg->ool_bytes += od.count * sizeof(u32);
			off += MBX_OOL_DESC_SIZE;
		} else if (type == MAILBOX_MSG_OOL_DESCRIPTOR) {
			struct mailbox_msg_ool_descriptor md;

			if (len - off < MBX_OOL_DESC_SIZE)
				goto too_small;
			memcpy(&md, msg->body + off, sizeof(md));
			if (md.pad1 || md.deallocate > 1 ||
			    md.copy > MAILBOX_VIRTUAL_COPY)
				goto bad_type;
			ool_total += md.size;
			if (md.size > MAILBOX_OOL_MAX ||
			    ool_total > mbx_max_ool_size)
				goto too_many;
			nr_ool++;
			off += MBX_OOL_DESC_SIZE;
		} else {
			goto bad_type;
		}
	}
	if (nr_ool) {
		ret = mbx_desc_parse_ool(space, msg, nr_ool, status);
		if (ret)
			return ret;
	}
	if (!total)
		return 0;

	c.src = kvmalloc_array(total, sizeof(*c.src), GFP_KERNEL_ACCOUNT);
	msg->rights = kvcalloc(total, sizeof(*msg->rights), GFP_KERNEL_ACCOUNT);
	if (!c.src || !msg->rights) {
		kvfree(c.src);
		*status = MAILBOX_SEND_NO_BUFFER;
		return -ENOMEM;
	}
	msg->nr_rights = total;
	ret = mbx_desc_walk(msg, mbx_desc_collect, &c);
	if (ret) {
		kvfree(c.src);
		*status = MAILBOX_SEND_INVALID_DATA;
		return ret;
	}
	*srcp = c.src;
	return 0;

too_many:
	*status = MAILBOX_SEND_TOO_LARGE;
	return -EMSGSIZE;
too_small:
	*status = MAILBOX_SEND_MSG_TOO_SMALL;
	return -EINVAL;
bad_type:
	*status = MAILBOX_SEND_INVALID_TYPE;
	return -EINVAL;
}

/**
 * mbx_desc_copyin_locked() - take the descriptors' rights out of a space
 * @space: the sender's space, locked
 * @msg: the message
 * @src: from mbx_desc_parse()
 * @txn: the send's transaction (room for msg->nr_rights more records)
 *
 * Return: 0 or the error of mbx_copyin_locked() for the first bad right.
 */
int mbx_desc_copyin_locked(struct mbx_space *space, struct mbx_msg *msg,
			   const struct mbx_src *src, struct mbx_txn *txn)
{
	u32 k;
	int ret;

	for (k = 0; k < msg->nr_rights; k++) {
		struct mbx_right *r = &msg->rights[k];

		r->type = mbx_disposition_type(src[k].disposition);
		if (src[k].name == MAILBOX_PORT_NULL ||
		    src[k].name == MAILBOX_PORT_DEAD) {
			r->pass = src[k].name;
			continue;
		}
		ret = mbx_copyin_locked(space, src[k].name, src[k].disposition,
					txn, r);
		if (ret)
			return ret;
		if (r->type == MAILBOX_MSG_TYPE_PORT_RECEIVE) {
			/* In transit it needs ext->transit (internal.h). */
			ret = mbx_port_ext_get(r->port, GFP_KERNEL_ACCOUNT);
			if (ret)
				return ret;
			msg->carries_receive = true;
		}
	}
	return 0;
}

/* Would queuing @msg on @dest put a port in transit inside itself? */
bool mbx_desc_makes_cycle_locked(struct mbx_msg *msg, struct mbx_port *dest)
{
	struct mbx_port *x;
	u32 k;

	lockdep_assert_held(&mbx_transit_lock);
	for (k = 0; k < msg->nr_rights; k++) {
		struct mbx_right *r = &msg->rights[k];

		if (r->type != MAILBOX_MSG_TYPE_PORT_RECEIVE || !r->port)
			continue;
		for (x = dest; x; x = mbx_port_ext(x) ? x->ext->transit : NULL)
			if (x == r->port)
				return true;
	}
	return false;
}

/* @msg is queued on @dest: its receive rights are in transit there. */
void mbx_desc_set_transit_locked(struct mbx_msg *msg, struct mbx_port *dest)
{
	u32 k;

	lockdep_assert_held(&mbx_transit_lock);
	for (k = 0; k < msg->nr_rights; k++) {
		struct mbx_right *r = &msg->rights[k];

		/* mbx_desc_copyin_locked() gave it its extension. */
		if (r->type == MAILBOX_MSG_TYPE_PORT_RECEIVE && r->port)
			r->port->ext->transit = dest;
	}
}

/**
 * mbx_desc_copyout_locked() - put the descriptors' rights into a space
 * @space: the receiver's space, locked (and mbx_transit_lock if the
 *         message carries receive rights)
 * @msg: the message
 * @names: filled with each right's new name (NULL if it could not be
 *         named; DEAD if its port died)
 *
 * A right that could not be named stays in msg->rights and is released
 * with the message. Return: 0 or the first naming error.
 */
int mbx_desc_copyout_locked(struct mbx_space *space, struct mbx_msg *msg,
			    u32 *names)
{
	struct mbx_entry *spare = NULL;
	int ret, first = 0;
	u32 k;

	for (k = 0; k < msg->nr_rights; k++) {
		struct mbx_right *r = &msg->rights[k];

		if (!r->port) {
			names[k] = r->pass;
			continue;
		}
		if (!spare)
			spare = mbx_entry_alloc();
		ret = mbx_copyout_locked(space, r, MAILBOX_PORT_NULL, &spare,
					 &names[k]);
		if (ret == -EPIPE) {
			names[k] = MAILBOX_PORT_DEAD;
		} else if (ret) {
			names[k] = MAILBOX_PORT_NULL;
			if (!first)
				first = ret;
		}
	}
	if (spare)
		mbx_entry_free(spare);
	return first;
}

struct mbx_emit {
	const u32 *names;
	u32 k;
	u32 j;			/* next msg->ool[] */
	const struct mbx_ubuf *ub;
	size_t arrays;		/* offset in @ub of the next port array */
};

static int mbx_desc_emit(struct mbx_msg *msg, u32 off, u8 type, u32 count,
			 void *data)
{
	struct mbx_emit *e = data;
	struct mailbox_msg_ool_ports_descriptor od;
	struct mailbox_msg_port_descriptor pd;
	u32 type_rcv;

	if (type == MAILBOX_MSG_OOL_DESCRIPTOR) {
		struct mailbox_msg_ool_descriptor md;

		memcpy(&md, msg->body + off, sizeof(md));
		/* A peek's copy (no msg->ool) shows no address. */
		md.address = msg->ool ? msg->ool[e->j++].uaddr : 0;
		md.deallocate = 0;
		md.copy = MAILBOX_VIRTUAL_COPY;
		memcpy(msg->body + off, &md, sizeof(md));
		return 0;
	}
	type_rcv = e->k < msg->nr_rights ? msg->rights[e->k].type : 0;
	if (type == MAILBOX_MSG_PORT_DESCRIPTOR) {
		memcpy(&pd, msg->body + off, sizeof(pd));
		pd.name = e->names[e->k++];
		pd.disposition = type_rcv;
		memcpy(msg->body + off, &pd, sizeof(pd));
		return 0;
	}
	memcpy(&od, msg->body + off, sizeof(od));
	if (count && mbx_ubuf_write(e->ub, e->arrays, e->names + e->k,
				    count * sizeof(u32)))
		return -EFAULT;
	/* In one segment: checked by mbx_desc_arrays_fit(). */
	od.address = (u64)(uintptr_t)mbx_ubuf_addr(e->ub, e->arrays,
						   count * sizeof(u32));
	if (count)
		od.disposition = type_rcv;
	memcpy(msg->body + off, &od, sizeof(od));
	e->arrays += count * sizeof(u32);
	e->k += count;
	return 0;
}

static int mbx_desc_fit(struct mbx_msg *msg, u32 off, u8 type, u32 count,
			void *data)
{
	struct mbx_emit *e = data;

	if (type != MAILBOX_MSG_OOL_PORTS_DESCRIPTOR)
		return 0;
	if (!mbx_ubuf_addr(e->ub, e->arrays, count * sizeof(u32)))
		return -EFAULT;
	e->arrays += count * sizeof(u32);
	return 0;
}

/**
 * mbx_desc_arrays_fit() - can the port arrays be written for the receiver?
 * @msg: the message
 * @ub: the receive buffer
 * @off: offset in @ub of the first port array
 *
 * A port array is named by one address, so it must not straddle two
 * segments of a scattered receive buffer.
 */
bool mbx_desc_arrays_fit(struct mbx_msg *msg, const struct mbx_ubuf *ub,
			 size_t off)
{
	struct mbx_emit e = { .ub = ub, .arrays = off };

	return !msg->ool_bytes || !mbx_desc_walk(msg, mbx_desc_fit, &e);
}

/**
 * mbx_desc_write() - rewrite the descriptors for the receiver
 * @msg: the message, rights copied out, out-of-line memory mapped
 * @names: from mbx_desc_copyout_locked()
 * @ub: the receive buffer
 * @off: offset in @ub where the port arrays go (msg->ool_bytes)
 *
 * Return: 0 or -EFAULT.
 */
int mbx_desc_write(struct mbx_msg *msg, const u32 *names,
		   const struct mbx_ubuf *ub, size_t off)
{
	struct mbx_emit e = { .names = names, .ub = ub, .arrays = off };

	return mbx_desc_walk(msg, mbx_desc_emit, &e);
}
