// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox: the service registry (a bootstrap server in the kernel).
 *
 * Objects: struct mbx_svc_ns, one per IPC namespace that has services,
 * holds a reference on that namespace and the namespace's services, an
 * rbtree of struct mbx_service keyed by service string. A service owns one
 * send right (counted in port->srights: a registered port has senders), the
 * euid of whoever registered it and lives until it is unregistered,
 * replaced, found dead or the module is unloaded. A struct mbx_svc_ns is
 * freed, and its namespace reference dropped, with its last service.
 *
 * Dead services: when a registered port dies, mbx_port_destroy() calls
 * mbx_registry_port_died(), which removes its services at once (ports count
 * their services in ext->nr_services, so others pay nothing). Lookups still
 * check liveness, for a port dying concurrently.
 *
 * Namespace references: put_ipc_ns() is not exported to modules in 6.1, so
 * the reference taken with get_ipc_ns() is dropped through the namespace's
 * own ns.ops->put (ipcns_put(), which calls put_ipc_ns()), as nsfs does.
 * Holding a reference, rather than keying by ns.inum, matters: proc inode
 * numbers are reused, and a new namespace must not inherit a dead one's
 * services. The price: services registered in a namespace whose processes
 * have all gone keep it allocated until they are unregistered by whoever
 * still holds a way in (setns()), or until the module is unloaded.
 *
 * Locking: mbx_registry_lock (mutex) protects every field here. It nests
 * inside space->lock (REGISTER holds its space's lock so that a failed
 * register undoes its copyin exactly) and outside port->lock; it is never
 * held while taking a space->lock (LOOKUP copies the right under it, drops
 * it, then copies out under the space's lock).
 *
 * debugfs "registry" lists every service of every namespace under the
 * registry lock, taking each service's port lock for its line.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/debugfs.h>
#include <linux/ipc_namespace.h>
#include <linux/nsproxy.h>
#include <linux/proc_ns.h>
#include <linux/rbtree.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "internal.h"

struct mbx_svc_ns {
	struct list_head link;		/* in mbx_svc_namespaces */
	struct ipc_namespace *ipc_ns;	/* (set at init) reference held */
	struct rb_root services;	/* of struct mbx_service */
	unsigned int nr;		/* services in @services */
};

struct mbx_service {
	struct rb_node node;		/* in ns->services */
	struct list_head gone;		/* on a to-be-freed list, once removed */
	struct mbx_svc_ns *ns;		/* (set at insert) */
	struct mbx_right right;		/* a send right */
	kuid_t owner;			/* euid of the registering task */
	char name[MAILBOX_SERVICE_NAME_MAX];
};

static DEFINE_MUTEX(mbx_registry_lock);
static LIST_HEAD(mbx_svc_namespaces);	/* (protected by mbx_registry_lock) */

/* put_ipc_ns() is not exported: go through the namespace's operations. */
static void mbx_put_ipc_ns(struct ipc_namespace *ipc_ns)
{
	ipc_ns->ns.ops->put(&ipc_ns->ns);
}

static struct mbx_svc_ns *mbx_svc_ns_find(struct ipc_namespace *ipc_ns)
{
	struct mbx_svc_ns *ns;

	lockdep_assert_held(&mbx_registry_lock);
	list_for_each_entry(ns, &mbx_svc_namespaces, link)
		if (ns->ipc_ns == ipc_ns)
			return ns;
	return NULL;
}

static struct mbx_service *mbx_service_find(struct mbx_svc_ns *ns,
					    const char *name)
{
	struct rb_node *node = ns->services.rb_node;

	lockdep_assert_held(&mbx_registry_lock);
	while (node) {
		struct mbx_service *svc = rb_entry(node, struct mbx_service,
						   node);
		int cmp = strcmp(name, svc->name);

		if (cmp < 0)
			node = node->rb_left;
		else if (cmp > 0)
			node = node->rb_right;
		else
			return svc;
	}
	return NULL;
}

static void mbx_service_insert(struct mbx_svc_ns *ns, struct mbx_service *svc)
{
	struct rb_node **link = &ns->services.rb_node, *parent = NULL;

	lockdep_assert_held(&mbx_registry_lock);
	while (*link) {
		struct mbx_service *cur = rb_entry(*link, struct mbx_service,
						   node);

		parent = *link;
		if (strcmp(svc->name, cur->name) < 0)
			link = &parent->rb_left;
		else
			link = &parent->rb_right;
	}
	rb_link_node(&svc->node, parent, link);
	rb_insert_color(&svc->node, &ns->services);
	svc->ns = ns;
	ns->nr++;
	/* mbx_ioctl_register() gave the port its extension. */
	atomic_inc(&svc->right.port->ext->nr_services);
}

/*
 * Unlink @svc and queue it on @gone; the caller frees @gone with
 * mbx_services_free() once the registry lock is dropped.
 */
static void mbx_service_remove(struct mbx_service *svc, struct list_head *gone)
{
	lockdep_assert_held(&mbx_registry_lock);
	rb_erase(&svc->node, &svc->ns->services);
	svc->ns->nr--;
	atomic_dec(&svc->right.port->ext->nr_services);
	list_add(&svc->gone, gone);
}

/* Unlink @ns if it has no service left, queueing it on @gone_ns. */
static void mbx_svc_ns_retire(struct mbx_svc_ns *ns, struct list_head *gone_ns)
{
	lockdep_assert_held(&mbx_registry_lock);
	if (ns && ns->nr == 0)
		list_move(&ns->link, gone_ns);
}

static void mbx_services_free(struct list_head *gone, struct list_head *gone_ns)
{
	struct mbx_service *svc, *tmp;
	struct mbx_svc_ns *ns, *ns_tmp;

	list_for_each_entry_safe(svc, tmp, gone, gone) {
		mbx_right_release(&svc->right);
		kfree(svc);
	}
	list_for_each_entry_safe(ns, ns_tmp, gone_ns, link) {
		mbx_put_ipc_ns(ns->ipc_ns);
		kfree(ns);
	}
}

static bool mbx_service_dead(struct mbx_service *svc)
{
	return !READ_ONCE(svc->right.port->active);
}

/* Remove every dead service of @ns. */
static void mbx_svc_ns_sweep(struct mbx_svc_ns *ns, struct list_head *gone)
{
	struct rb_node *node = rb_first(&ns->services);

	lockdep_assert_held(&mbx_registry_lock);
	while (node) {
		struct mbx_service *svc = rb_entry(node, struct mbx_service,
						   node);

		node = rb_next(node);
		if (mbx_service_dead(svc))
			mbx_service_remove(svc, gone);
	}
}

/* May the caller replace or remove @svc? */
static bool mbx_service_may_change(struct mbx_service *svc)
{
	return uid_eq(svc->owner, current_euid()) ||
	       ns_capable(svc->ns->ipc_ns->user_ns, CAP_SYS_ADMIN);
}

/* Copy in and check a struct mailbox_service; -EFAULT or -EINVAL. */
static int mbx_service_args(struct mailbox_service *args, void __user *uarg,
			    u32 flags_allowed)
{
	size_t len;

	if (copy_from_user(args, uarg, sizeof(*args)))
		return -EFAULT;
	if ((args->flags & ~flags_allowed) || args->reserved)
		return -EINVAL;
	len = strnlen(args->service, sizeof(args->service));
	if (len == 0 || len == sizeof(args->service))
		return -EINVAL;
	return 0;
}

/* The right a registration takes from @name: make one from a receive right. */
static u32 mbx_register_disposition_locked(struct mbx_space *space, u32 name)
{
	struct mbx_entry *entry = mbx_lookup_locked(space, name);

	if (entry && !(entry->type & MAILBOX_PORT_TYPE_SEND) &&
	    (entry->type & MAILBOX_PORT_TYPE_RECEIVE))
		return MAILBOX_MSG_TYPE_MAKE_SEND;
	/* Also gives copyin's ENOENT/EPERM/EPIPE for anything else. */
	return MAILBOX_MSG_TYPE_COPY_SEND;
}

/* Put @svc in the caller's namespace; @new_ns is used if it has none. */
static int mbx_register_locked(struct mbx_service *svc, bool replace,
			       struct mbx_svc_ns **new_ns,
			       struct list_head *gone)
{
	struct ipc_namespace *ipc_ns = current->nsproxy->ipc_ns;
	struct mbx_service *old;
	struct mbx_svc_ns *ns;

	lockdep_assert_held(&mbx_registry_lock);
	ns = mbx_svc_ns_find(ipc_ns);
	if (!ns) {
		if (mbx_max_services == 0)
			return -ENOSPC;
		ns = *new_ns;
		*new_ns = NULL;
		ns->ipc_ns = get_ipc_ns(ipc_ns);
		ns->services = RB_ROOT;
		list_add(&ns->link, &mbx_svc_namespaces);
		mbx_service_insert(ns, svc);
		return 0;
	}

	old = mbx_service_find(ns, svc->name);
	if (old && mbx_service_dead(old)) {
		mbx_service_remove(old, gone);
		old = NULL;
	}
	if (old) {
		if (!replace)
			return -EEXIST;
		if (!mbx_service_may_change(old))
			return -EPERM;
		mbx_service_remove(old, gone);
	} else if (ns->nr >= mbx_max_services) {
		mbx_svc_ns_sweep(ns, gone);
		if (ns->nr >= mbx_max_services)
			return -ENOSPC;
	}
	mbx_service_insert(ns, svc);
	return 0;
}

int mbx_ioctl_register(struct mbx_space *space, void __user *uarg)
{
	struct mailbox_service args;
	struct mbx_svc_ns *new_ns;
	struct mbx_service *svc;
	struct mbx_txn txn;
	LIST_HEAD(gone_ns);
	LIST_HEAD(gone);
	int ret;

	ret = mbx_service_args(&args, uarg, MAILBOX_REGISTER_REPLACE);
	if (ret)
		return ret;

	svc = kzalloc(sizeof(*svc), GFP_KERNEL_ACCOUNT);
	if (!svc)
		return -ENOMEM;
	new_ns = kzalloc(sizeof(*new_ns), GFP_KERNEL_ACCOUNT);
	if (!new_ns) {
		ret = -ENOMEM;
		goto out_free_svc;
	}
	memcpy(svc->name, args.service, sizeof(svc->name));
	svc->owner = current_euid();

	mbx_txn_init(&txn);
	mutex_lock(&space->lock);
	ret = mbx_copyin_locked(space, args.name,
				mbx_register_disposition_locked(space,
								args.name),
				&txn, &svc->right);
	if (ret)
		goto out_unlock_space;
	/* A service is counted in its port's extension. */
	ret = mbx_port_ext_get(svc->right.port, GFP_KERNEL_ACCOUNT);
	if (ret) {
		mbx_txn_undo_locked(space, &txn);
		goto out_unlock_space;
	}

	mutex_lock(&mbx_registry_lock);
	ret = mbx_register_locked(svc, args.flags & MAILBOX_REGISTER_REPLACE,
				  &new_ns, &gone);
	/* A failure may have swept the namespace empty. */
	mbx_svc_ns_retire(mbx_svc_ns_find(current->nsproxy->ipc_ns),
			  &gone_ns);
	mutex_unlock(&mbx_registry_lock);
	if (ret)
		mbx_txn_undo_locked(space, &txn);
	else
		mbx_txn_commit_locked(space, &txn);
out_unlock_space:
	mutex_unlock(&space->lock);

	mbx_services_free(&gone, &gone_ns);
	kfree(new_ns);
	if (!ret)
		return 0;
out_free_svc:
	kfree(svc);
	return ret;
}

int mbx_ioctl_lookup(struct mbx_space *space, void __user *uarg)
{
	struct mbx_right copy = { };
	struct mailbox_service args;
	struct mbx_service *svc;
	struct mbx_entry *spare;
	struct mbx_svc_ns *ns;
	LIST_HEAD(gone_ns);
	LIST_HEAD(gone);
	u32 name;
	int ret;

	ret = mbx_service_args(&args, uarg, 0);
	if (ret)
		return ret;
	spare = mbx_entry_alloc();
	if (!spare)
		return -ENOMEM;

	mutex_lock(&mbx_registry_lock);
	ns = mbx_svc_ns_find(current->nsproxy->ipc_ns);
	svc = ns ? mbx_service_find(ns, args.service) : NULL;
	ret = -ENOENT;
	if (svc) {
		struct mbx_port *port = svc->right.port;

		spin_lock(&port->lock);
		if (port->active) {
			port->srights++;
			ret = 0;
		}
		spin_unlock(&port->lock);
		if (ret) {
			mbx_service_remove(svc, &gone);
			mbx_svc_ns_retire(ns, &gone_ns);
		} else {
			copy = (struct mbx_right) {
				.port = mbx_port_get(port),
				.type = MAILBOX_MSG_TYPE_PORT_SEND,
			};
		}
	}
	mutex_unlock(&mbx_registry_lock);
	mbx_services_free(&gone, &gone_ns);
	if (ret)
		goto out_free_spare;

	mutex_lock(&space->lock);
	ret = mbx_copyout_locked(space, &copy, MAILBOX_PORT_NULL, &spare,
				 &name);
	mutex_unlock(&space->lock);
	/* The port died since: as if it had died before. */
	if (ret == -EPIPE)
		ret = -ENOENT;
	mbx_right_release(&copy);
	if (ret)
		goto out_free_spare;

	args.name = name;
	if (copy_to_user(uarg, &args, sizeof(args)))
		ret = -EFAULT;
out_free_spare:
	if (spare)
		mbx_entry_free(spare);
	return ret;
}

int mbx_ioctl_unregister(struct mbx_space *space, void __user *uarg)
{
	struct mailbox_service args;
	struct mbx_service *svc;
	struct mbx_svc_ns *ns;
	LIST_HEAD(gone_ns);
	LIST_HEAD(gone);
	int ret;

	ret = mbx_service_args(&args, uarg, 0);
	if (ret)
		return ret;
	if (args.name)
		return -EINVAL;

	mutex_lock(&mbx_registry_lock);
	ns = mbx_svc_ns_find(current->nsproxy->ipc_ns);
	svc = ns ? mbx_service_find(ns, args.service) : NULL;
	if (!svc) {
		ret = -ENOENT;
	} else if (mbx_service_dead(svc)) {
		mbx_service_remove(svc, &gone);
		ret = -ENOENT;
	} else if (!mbx_service_may_change(svc)) {
		ret = -EPERM;
	} else {
		mbx_service_remove(svc, &gone);
	}
	mbx_svc_ns_retire(ns, &gone_ns);
	mutex_unlock(&mbx_registry_lock);
	mbx_services_free(&gone, &gone_ns);
	return ret;
}

/* Remove the services naming @port, or every service if @port is NULL. */
static void mbx_registry_remove(struct mbx_port *port)
{
	struct mbx_svc_ns *ns, *ns_tmp;
	LIST_HEAD(gone_ns);
	LIST_HEAD(gone);

	mutex_lock(&mbx_registry_lock);
	list_for_each_entry_safe(ns, ns_tmp, &mbx_svc_namespaces, link) {
		struct rb_node *node = rb_first(&ns->services);

		while (node) {
			struct mbx_service *svc;

			svc = rb_entry(node, struct mbx_service, node);
			node = rb_next(node);
			if (!port || svc->right.port == port)
				mbx_service_remove(svc, &gone);
		}
		mbx_svc_ns_retire(ns, &gone_ns);
	}
	mutex_unlock(&mbx_registry_lock);
	mbx_services_free(&gone, &gone_ns);
}

/* @port died: remove the services that name it. */
void mbx_registry_port_died(struct mbx_port *port)
{
	struct mbx_port_ext *ext = mbx_port_ext(port);

	if (ext && atomic_read(&ext->nr_services))
		mbx_registry_remove(port);
}

/* Module unload: no space is open, so every service left is dead. */
void mbx_registry_exit(void)
{
	mbx_registry_remove(NULL);
}

/*
 * debugfs "registry": one line per service of every IPC namespace, sorted
 * by name within a namespace. receiver_space is the id of the space holding
 * the port's receive right (mailbox-space: in its fdinfo), 0 while the
 * right is in a message or the port is dead. port->receiver is stable
 * under port->lock: a space clears it there before it is freed.
 */
static int mbx_registry_show(struct seq_file *m, void *unused)
{
	struct mbx_svc_ns *ns;

	mutex_lock(&mbx_registry_lock);
	list_for_each_entry(ns, &mbx_svc_namespaces, link) {
		struct rb_node *node;

		for (node = rb_first(&ns->services); node;
		     node = rb_next(node)) {
			struct mbx_service *svc;
			struct mbx_port *port;
			u64 receiver;
			bool alive;

			svc = rb_entry(node, struct mbx_service, node);
			port = svc->right.port;
			spin_lock(&port->lock);
			alive = port->active;
			receiver = port->receiver ? port->receiver->id : 0;
			spin_unlock(&port->lock);
			seq_printf(m, "ipcns:%u service:", ns->ipc_ns->ns.inum);
			seq_escape(m, svc->name, " \t\n\\");
			seq_printf(m, " port:%llu owner:%u alive:%d receiver_space:%llu\n",
				   port->id,
				   from_kuid_munged(seq_user_ns(m), svc->owner),
				   alive, receiver);
		}
	}
	mutex_unlock(&mbx_registry_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mbx_registry);

void mbx_registry_debugfs(struct dentry *dir)
{
	debugfs_create_file("registry", 0444, dir, NULL, &mbx_registry_fops);
}
