// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The Mach-compatible C API (lib/include/mailbox/mach/) over /dev/mailbox.
 *
 * A task is a space: mach_task_self() is the fd of this process's open of
 * /dev/mailbox, opened on first use; any other task value is taken as the fd
 * of another open. Each call is one ioctl (mach_port_extract_right with
 * MAKE_SEND_ONCE and mach_port_construct are the exceptions, noted there);
 * errnos become kern_return_t values by mailbox_kern_return_from_errno(),
 * mach_msg() returns the status the module reports.
 */
#define _GNU_SOURCE
#include <mailbox/mach/mach.h>

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

NDR_record_t NDR_record = { 0, 0, 0, 0, 1, 0, 0, 0 };	/* little-endian, ASCII, IEEE */
mach_port_t bootstrap_port = MACH_PORT_NULL;

static _Atomic int task_fd = -1;

mach_port_t mach_task_self(void)
{
	int fd = atomic_load(&task_fd);
	int expected = -1;

	if (fd >= 0)
		return (mach_port_t)fd;
	fd = open("/dev/mailbox", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return MACH_PORT_NULL;
	if (fd < 3) {	/* keep the task distinct from MACH_PORT_NULL and stdio */
		int hi = fcntl(fd, F_DUPFD_CLOEXEC, 3);

		close(fd);
		if (hi < 0)
			return MACH_PORT_NULL;
		fd = hi;
	}
	if (!atomic_compare_exchange_strong(&task_fd, &expected, fd)) {
		close(fd);	/* another thread won */
		fd = expected;
	}
	return (mach_port_t)fd;
}

void mailbox_task_reset_after_fork(void)
{
	int fd = atomic_exchange(&task_fd, -1);

	if (fd >= 0)
		close(fd);
}

kern_return_t mailbox_kern_return_from_errno(int err)
{
	switch (err) {
	case 0:		return KERN_SUCCESS;
	case ENOENT:	return KERN_INVALID_NAME;
	case EPERM:	return KERN_INVALID_RIGHT;
	case EINVAL:	return KERN_INVALID_VALUE;
	case EOVERFLOW:	return KERN_UREFS_OVERFLOW;
	case EEXIST:	return KERN_NAME_EXISTS;
	case EALREADY:	return KERN_RIGHT_EXISTS;
	case ENOSPC:	return KERN_NO_SPACE;
	case ENOMEM:	return KERN_RESOURCE_SHORTAGE;
	case EPIPE:	return KERN_INVALID_CAPABILITY;	/* the port is dead */
	case ENODATA:	return KERN_INVALID_CAPABILITY;
	case ENXIO:	return KERN_NOT_IN_SET;
	case EFAULT:	return KERN_INVALID_ADDRESS;
	case EBADF:	return KERN_INVALID_TASK;
	case ENOTTY:	return KERN_INVALID_TASK;	/* not a /dev/mailbox fd */
	case EMFILE:
	case ENFILE:	return KERN_RESOURCE_SHORTAGE;
	case EINTR:	return KERN_ABORTED;
	case ETIMEDOUT:
	case EAGAIN:	return KERN_OPERATION_TIMED_OUT;
	default:	return KERN_FAILURE;
	}
}

/* The fd to issue an ioctl on for @task, or -1. */
static int space_fd(ipc_space_t task)
{
	if (task == MACH_PORT_NULL || task == MACH_PORT_DEAD)
		return -1;
	return (int)task;
}

static kern_return_t space_ioctl(ipc_space_t task, unsigned long cmd, void *arg)
{
	int fd = space_fd(task);

	if (fd < 0)
		return KERN_INVALID_TASK;
	if (ioctl(fd, cmd, arg) < 0)
		return mailbox_kern_return_from_errno(errno);
	return KERN_SUCCESS;
}

kern_return_t mach_port_allocate(ipc_space_t task, mach_port_right_t right,
				 mach_port_name_t *name)
{
	struct mailbox_port_allocate a = { .right = right };
	kern_return_t kr;

	if (!name)
		return KERN_INVALID_ARGUMENT;
	kr = space_ioctl(task, MAILBOX_IOC_PORT_ALLOCATE, &a);
	if (kr == KERN_SUCCESS)
		*name = a.name;
	return kr;
}

kern_return_t mach_port_deallocate(ipc_space_t task, mach_port_name_t name)
{
	struct mailbox_port_name_op op = { .name = name };

	/* XNU: deallocating MACH_PORT_NULL or MACH_PORT_DEAD does nothing. */
	if (!MACH_PORT_VALID(name))
		return KERN_SUCCESS;
	return space_ioctl(task, MAILBOX_IOC_PORT_DEALLOCATE, &op);
}

kern_return_t mach_port_destroy(ipc_space_t task, mach_port_name_t name)
{
	struct mailbox_port_name_op op = { .name = name };

	if (!MACH_PORT_VALID(name))
		return KERN_SUCCESS;
	return space_ioctl(task, MAILBOX_IOC_PORT_DESTROY, &op);
}

kern_return_t mach_port_mod_refs(ipc_space_t task, mach_port_name_t name,
				 mach_port_right_t right, mach_port_delta_t delta)
{
	struct mailbox_port_mod_refs m = { .name = name, .right = right, .delta = delta };

	return space_ioctl(task, MAILBOX_IOC_PORT_MOD_REFS, &m);
}

kern_return_t mach_port_insert_right(ipc_space_t task, mach_port_name_t name,
				     mach_port_t poly, mach_msg_type_name_t poly_poly)
{
	mach_port_t self = mach_task_self();
	struct mailbox_port_insert_right ir = {
		.space_fd = MAILBOX_SPACE_SELF,
		.name = name,
		.poly = poly,
		.disposition = poly_poly,
	};

	if (task == MACH_PORT_NULL)
		return KERN_INVALID_TASK;
	if (!MACH_PORT_VALID(name))
		return KERN_INVALID_VALUE;
	if (task != self)
		ir.space_fd = (int)task;
	return space_ioctl(self, MAILBOX_IOC_PORT_INSERT_RIGHT, &ir);
}

/*
 * A new send-once right for the receive right @name, under a name of its
 * own: made through a message to a scratch port, the only way the module
 * gives an in-space send-once right a name.
 */
static kern_return_t make_send_once_name(ipc_space_t task, mach_port_name_t name,
					 mach_port_t *out)
{
	struct {
		mach_msg_header_t header;
		mach_msg_body_t body;
		mach_msg_port_descriptor_t port;
	} msg;
	struct {
		mach_msg_header_t header;
		mach_msg_body_t body;
		mach_msg_port_descriptor_t port;
	} rcv;
	struct mailbox_msg io = { 0 };
	mach_port_name_t scratch;
	kern_return_t kr;
	int fd = space_fd(task);

	if (fd < 0)
		return KERN_INVALID_TASK;
	kr = mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &scratch);
	if (kr != KERN_SUCCESS)
		return kr;
	memset(&msg, 0, sizeof(msg));
	msg.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND_ONCE, 0) |
			       MACH_MSGH_BITS_COMPLEX;
	msg.header.msgh_remote_port = scratch;
	msg.body.msgh_descriptor_count = 1;
	msg.port.name = name;
	msg.port.disposition = MACH_MSG_TYPE_MAKE_SEND_ONCE;
	msg.port.type = MACH_MSG_PORT_DESCRIPTOR;
	io.send_msg = (uintptr_t)&msg;
	io.rcv_msg = (uintptr_t)&rcv;
	io.options = MAILBOX_MSG_SEND | MAILBOX_MSG_RCV;
	io.send_size = sizeof(msg);
	io.rcv_size = sizeof(rcv);
	io.rcv_name = scratch;
	if (ioctl(fd, MAILBOX_IOC_MSG, &io) < 0) {
		kr = io.status == MAILBOX_SEND_INVALID_RIGHT ? KERN_INVALID_RIGHT
							      : mailbox_kern_return_from_errno(errno);
	} else {
		*out = rcv.port.name;
	}
	/* Destroying the scratch port also destroys the send-once right for it. */
	mach_port_mod_refs(task, scratch, MACH_PORT_RIGHT_RECEIVE, -1);
	return kr;
}

kern_return_t mach_port_extract_right(ipc_space_t task, mach_port_name_t name,
				      mach_msg_type_name_t msgt_name, mach_port_t *poly,
				      mach_msg_type_name_t *poly_poly)
{
	mach_port_type_t type;
	mach_msg_type_name_t got;
	kern_return_t kr;

	if (!poly || !poly_poly)
		return KERN_INVALID_ARGUMENT;
	kr = mach_port_type(task, name, &type);
	if (kr != KERN_SUCCESS)
		return kr;
	switch (msgt_name) {
	case MACH_MSG_TYPE_MAKE_SEND:
	case MACH_MSG_TYPE_COPY_SEND:
		/* The right comes back under the same name: one more uref. */
		kr = mach_port_insert_right(task, name, name, msgt_name);
		got = MACH_MSG_TYPE_PORT_SEND;
		break;
	case MACH_MSG_TYPE_MOVE_SEND:
		kr = (type & MACH_PORT_TYPE_SEND) ? KERN_SUCCESS : KERN_INVALID_RIGHT;
		got = MACH_MSG_TYPE_PORT_SEND;
		break;
	case MACH_MSG_TYPE_MOVE_SEND_ONCE:
		kr = (type & MACH_PORT_TYPE_SEND_ONCE) ? KERN_SUCCESS : KERN_INVALID_RIGHT;
		got = MACH_MSG_TYPE_PORT_SEND_ONCE;
		break;
	case MACH_MSG_TYPE_MOVE_RECEIVE:
		kr = (type & MACH_PORT_TYPE_RECEIVE) ? KERN_SUCCESS : KERN_INVALID_RIGHT;
		got = MACH_MSG_TYPE_PORT_RECEIVE;
		break;
	case MACH_MSG_TYPE_MAKE_SEND_ONCE:
		if (!(type & MACH_PORT_TYPE_RECEIVE))
			return KERN_INVALID_RIGHT;
		kr = make_send_once_name(task, name, poly);
		if (kr == KERN_SUCCESS)
			*poly_poly = MACH_MSG_TYPE_PORT_SEND_ONCE;
		return kr;
	default:
		return KERN_INVALID_VALUE;
	}
	if (kr != KERN_SUCCESS)
		return kr;
	*poly = name;
	*poly_poly = got;
	return KERN_SUCCESS;
}

static kern_return_t port_type(ipc_space_t task, mach_port_name_t name,
			       struct mailbox_port_type *t)
{
	memset(t, 0, sizeof(*t));
	t->name = name;
	return space_ioctl(task, MAILBOX_IOC_PORT_TYPE, t);
}

kern_return_t mach_port_type(ipc_space_t task, mach_port_name_t name, mach_port_type_t *ptype)
{
	struct mailbox_port_type t;
	kern_return_t kr;

	if (!ptype)
		return KERN_INVALID_ARGUMENT;
	kr = port_type(task, name, &t);
	if (kr == KERN_SUCCESS)
		*ptype = t.type;
	return kr;
}

kern_return_t mach_port_get_refs(ipc_space_t task, mach_port_name_t name,
				 mach_port_right_t right, mach_port_urefs_t *refs)
{
	struct mailbox_port_type t;
	kern_return_t kr;

	if (!refs)
		return KERN_INVALID_ARGUMENT;
	if (right >= MACH_PORT_RIGHT_NUMBER)
		return KERN_INVALID_VALUE;
	kr = port_type(task, name, &t);
	if (kr != KERN_SUCCESS)
		return kr;
	switch (right) {
	case MACH_PORT_RIGHT_SEND:
		*refs = t.send_urefs;
		break;
	case MACH_PORT_RIGHT_DEAD_NAME:
		*refs = t.dead_urefs;
		break;
	default:
		*refs = (t.type & MACH_PORT_TYPE(right)) ? 1 : 0;
		break;
	}
	return KERN_SUCCESS;
}

/* --- virtual memory ---------------------------------------------------- */

static kern_return_t vm_alloc(vm_map_t task, uint64_t *address, uint64_t size, int flags)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	int mflags = MAP_PRIVATE | MAP_ANONYMOUS;
	void *want = NULL, *p;

	(void)task;	/* always the calling process */
	if (!address || (flags & ~VM_FLAGS_ANYWHERE))
		return KERN_INVALID_ARGUMENT;
	if (size == 0) {
		*address = 0;
		return KERN_SUCCESS;
	}
	if (size > UINT64_MAX - page || size + page - 1 > SIZE_MAX)
		return KERN_NO_SPACE;
	size = (size + page - 1) & ~(page - 1);
	if (!(flags & VM_FLAGS_ANYWHERE)) {
		if (*address % page)
			return KERN_INVALID_ARGUMENT;
		want = (void *)(uintptr_t)*address;
		mflags |= MAP_FIXED_NOREPLACE;
	}
	p = mmap(want, (size_t)size, PROT_READ | PROT_WRITE, mflags, -1, 0);
	if (p == MAP_FAILED)
		return errno == EEXIST || errno == ENOMEM ? KERN_NO_SPACE : KERN_INVALID_ARGUMENT;
	if (want && p != want) {	/* a kernel without MAP_FIXED_NOREPLACE */
		munmap(p, (size_t)size);
		return KERN_NO_SPACE;
	}
	*address = (uintptr_t)p;
	return KERN_SUCCESS;
}

static kern_return_t vm_dealloc(vm_map_t task, uint64_t address, uint64_t size)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t start, end;

	(void)task;	/* always the calling process */
	if (size == 0)
		return KERN_SUCCESS;
	if (address > UINT64_MAX - size || address + size > UINT64_MAX - page)
		return KERN_INVALID_ADDRESS;
	start = address & ~(page - 1);
	end = (address + size + page - 1) & ~(page - 1);
	if (munmap((void *)(uintptr_t)start, (size_t)(end - start)))
		return KERN_INVALID_ADDRESS;
	return KERN_SUCCESS;
}

kern_return_t vm_allocate(vm_map_t task, vm_address_t *address, vm_size_t size, int flags)
{
	uint64_t a;
	kern_return_t kr;

	if (!address)
		return KERN_INVALID_ARGUMENT;
	a = *address;
	kr = vm_alloc(task, &a, size, flags);
	if (kr == KERN_SUCCESS)
		*address = (vm_address_t)a;
	return kr;
}

kern_return_t mach_vm_allocate(vm_map_t task, mach_vm_address_t *address, mach_vm_size_t size,
			       int flags)
{
	return vm_alloc(task, address, size, flags);
}

kern_return_t vm_deallocate(vm_map_t task, vm_address_t address, vm_size_t size)
{
	return vm_dealloc(task, address, size);
}

kern_return_t mach_vm_deallocate(vm_map_t task, mach_vm_address_t address, mach_vm_size_t size)
{
	return vm_dealloc(task, address, size);
}

/* Free a names/types array of mach_port_names(). */
static void names_free(uint32_t *a, uint32_t cap)
{
	if (a)
		vm_deallocate(MACH_PORT_NULL, (vm_address_t)a, cap * sizeof(*a));
}

kern_return_t mach_port_names(ipc_space_t task, mach_port_name_array_t *names,
			      mach_msg_type_number_t *names_cnt, mach_port_type_array_t *types,
			      mach_msg_type_number_t *types_cnt)
{
	struct mailbox_port_names pn;
	vm_address_t n = 0, t = 0;
	uint32_t cap = 0;
	kern_return_t kr;

	if (!names || !names_cnt || !types || !types_cnt)
		return KERN_INVALID_ARGUMENT;
	for (;;) {
		memset(&pn, 0, sizeof(pn));
		pn.names = n;
		pn.types = t;
		pn.count = cap;
		kr = space_ioctl(task, MAILBOX_IOC_PORT_NAMES, &pn);
		if (kr == KERN_SUCCESS)
			break;
		names_free((uint32_t *)n, cap);
		names_free((uint32_t *)t, cap);
		n = t = 0;
		if (kr != KERN_NO_SPACE)
			return kr;
		cap = pn.count + 8;	/* room for names made meanwhile */
		if (vm_allocate(task, &n, cap * sizeof(uint32_t), VM_FLAGS_ANYWHERE) ||
		    vm_allocate(task, &t, cap * sizeof(uint32_t), VM_FLAGS_ANYWHERE)) {
			names_free((uint32_t *)n, cap);
			return KERN_RESOURCE_SHORTAGE;
		}
	}
	if (pn.count == 0) {
		names_free((uint32_t *)n, cap);
		names_free((uint32_t *)t, cap);
		n = t = 0;
	} else {
		/* Keep only the pages vm_deallocate(count * 4) will free. */
		size_t page = (size_t)sysconf(_SC_PAGESIZE);
		size_t used = (pn.count * sizeof(uint32_t) + page - 1) & ~(page - 1);
		size_t got = (cap * sizeof(uint32_t) + page - 1) & ~(page - 1);

		if (got > used) {
			munmap((void *)(n + used), got - used);
			munmap((void *)(t + used), got - used);
		}
	}
	*names = (mach_port_name_array_t)n;
	*types = (mach_port_type_array_t)t;
	*names_cnt = *types_cnt = pn.count;
	return KERN_SUCCESS;
}

kern_return_t mach_port_move_member(ipc_space_t task, mach_port_name_t member,
				    mach_port_name_t after)
{
	struct mailbox_port_move_member mm = { .member = member, .after = after };

	return space_ioctl(task, MAILBOX_IOC_PORT_MOVE_MEMBER, &mm);
}

kern_return_t mach_port_request_notification(ipc_space_t task, mach_port_name_t name,
					     mach_msg_id_t msgid, mach_port_mscount_t sync,
					     mach_port_t notify,
					     mach_msg_type_name_t notify_poly,
					     mach_port_t *previous)
{
	struct mailbox_port_request_notification rn = {
		.name = name,
		.variant = (uint32_t)msgid,
		.sync = sync,
		.notify = notify,
		.disposition = notify == MACH_PORT_NULL ? 0 : notify_poly,
	};
	kern_return_t kr;

	switch (msgid) {
	case MACH_NOTIFY_DEAD_NAME:
	case MACH_NOTIFY_NO_SENDERS:
	case MACH_NOTIFY_PORT_DESTROYED:
	case MACH_NOTIFY_SEND_POSSIBLE:
		break;
	default:
		return KERN_INVALID_VALUE;
	}
	kr = space_ioctl(task, MAILBOX_IOC_PORT_REQUEST_NOTIFICATION, &rn);
	if (kr == KERN_SUCCESS && previous)
		*previous = rn.previous;
	return kr;
}

static kern_return_t port_attr(ipc_space_t task, mach_port_name_t name,
			       struct mailbox_port_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->name = name;
	return space_ioctl(task, MAILBOX_IOC_PORT_GET_ATTR, a);
}

kern_return_t mach_port_get_attributes(ipc_space_t task, mach_port_name_t name,
				       mach_port_flavor_t flavor, mach_port_info_t info,
				       mach_msg_type_number_t *count)
{
	struct mailbox_port_attr a;
	kern_return_t kr;

	if (!info || !count)
		return KERN_INVALID_ARGUMENT;
	switch (flavor) {
	case MACH_PORT_LIMITS_INFO: {
		mach_port_limits_t *l = (mach_port_limits_t *)info;

		if (*count < MACH_PORT_LIMITS_INFO_COUNT)
			return KERN_FAILURE;	/* as XNU */
		kr = port_attr(task, name, &a);
		if (kr != KERN_SUCCESS)
			return kr;
		l->mpl_qlimit = a.qlimit;
		*count = MACH_PORT_LIMITS_INFO_COUNT;
		return KERN_SUCCESS;
	}
	case MACH_PORT_RECEIVE_STATUS: {
		mach_port_status_t *s = (mach_port_status_t *)info;

		if (*count < MACH_PORT_RECEIVE_STATUS_COUNT)
			return KERN_FAILURE;
		kr = port_attr(task, name, &a);
		if (kr != KERN_SUCCESS)
			return kr;
		memset(s, 0, sizeof(*s));
		s->mps_seqno = a.seqno;
		s->mps_mscount = a.mscount;
		s->mps_qlimit = a.qlimit;
		s->mps_msgcount = a.msgcount;
		s->mps_sorights = a.sorights;
		s->mps_srights = a.has_senders != 0;
		*count = MACH_PORT_RECEIVE_STATUS_COUNT;
		return KERN_SUCCESS;
	}
	default:
		return KERN_INVALID_ARGUMENT;
	}
}

kern_return_t mach_port_set_attributes(ipc_space_t task, mach_port_name_t name,
				       mach_port_flavor_t flavor, mach_port_info_t info,
				       mach_msg_type_number_t count)
{
	struct mailbox_port_attr a = { .name = name, .flags = MAILBOX_ATTR_QLIMIT };

	if (!info)
		return KERN_INVALID_ARGUMENT;
	if (flavor != MACH_PORT_LIMITS_INFO)
		return KERN_INVALID_ARGUMENT;
	if (count < MACH_PORT_LIMITS_INFO_COUNT)
		return KERN_FAILURE;
	a.qlimit = ((mach_port_limits_t *)info)->mpl_qlimit;
	return space_ioctl(task, MAILBOX_IOC_PORT_SET_ATTR, &a);
}

kern_return_t mach_port_construct(ipc_space_t task, mach_port_options_ptr_t options,
				  mach_port_context_t context, mach_port_name_t *name)
{
	mach_port_name_t n;
	kern_return_t kr;

	(void)context;	/* no contexts or guards */
	if (!options || !name)
		return KERN_INVALID_ARGUMENT;
	if (options->flags & ~(uint32_t)(MPO_QLIMIT | MPO_INSERT_SEND_RIGHT))
		return KERN_NOT_SUPPORTED;
	kr = mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &n);
	if (kr != KERN_SUCCESS)
		return kr;
	if (options->flags & MPO_QLIMIT)
		kr = mach_port_set_attributes(task, n, MACH_PORT_LIMITS_INFO,
					      (mach_port_info_t)&options->mpl,
					      MACH_PORT_LIMITS_INFO_COUNT);
	if (kr == KERN_SUCCESS && (options->flags & MPO_INSERT_SEND_RIGHT))
		kr = mach_port_insert_right(task, n, n, MACH_MSG_TYPE_MAKE_SEND);
	if (kr != KERN_SUCCESS) {
		mach_port_mod_refs(task, n, MACH_PORT_RIGHT_RECEIVE, -1);
		return kr;
	}
	*name = n;
	return KERN_SUCCESS;
}

kern_return_t mach_port_destruct(ipc_space_t task, mach_port_name_t name,
				 mach_port_delta_t srdelta, mach_port_context_t guard)
{
	mach_port_type_t type;
	kern_return_t kr;

	(void)guard;
	kr = mach_port_type(task, name, &type);
	if (kr != KERN_SUCCESS)
		return kr;
	if (!(type & MACH_PORT_TYPE_RECEIVE))
		return KERN_INVALID_RIGHT;
	if (srdelta) {
		kr = mach_port_mod_refs(task, name, MACH_PORT_RIGHT_SEND, srdelta);
		if (kr != KERN_SUCCESS)
			return kr;
	}
	return mach_port_mod_refs(task, name, MACH_PORT_RIGHT_RECEIVE, -1);
}

/* --- mach_msg ---------------------------------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

mach_msg_return_t mach_msg(mach_msg_header_t *msg, mach_msg_option_t option,
			   mach_msg_size_t send_size, mach_msg_size_t rcv_size,
			   mach_port_name_t rcv_name, mach_msg_timeout_t timeout,
			   mach_port_name_t notify)
{
	const mach_msg_option_t known = MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_LARGE |
					MACH_SEND_TIMEOUT | MACH_SEND_INTERRUPT |
					MACH_RCV_TIMEOUT | MACH_RCV_TRAILER_TYPE(0xf) |
					MACH_RCV_TRAILER_MASK;
	struct mailbox_msg io = { 0 };
	uint64_t deadline = 0;
	int fd;

	(void)notify;	/* MACH_SEND_NOTIFY is not supported */
	if (option & ~known)
		return MACH_SEND_INVALID_OPTIONS;	/* as the module reports bad options */
	if (MACH_RCV_TRAILER_TYPE(0xf) & option & ~MACH_RCV_TRAILER_TYPE(MACH_MSG_TRAILER_FORMAT_0))
		return MACH_RCV_INVALID_TRAILER;
	fd = space_fd(mach_task_self());
	if (fd < 0)
		return (option & MACH_SEND_MSG) ? MACH_SEND_INVALID_DEST : MACH_RCV_INVALID_NAME;

	io.send_msg = (uintptr_t)msg;
	io.rcv_msg = (uintptr_t)msg;
	if (option & MACH_SEND_MSG) {
		io.options |= MAILBOX_MSG_SEND;
		io.send_size = send_size;
	}
	if (option & MACH_RCV_MSG) {
		io.options |= MAILBOX_MSG_RCV;
		io.rcv_size = rcv_size;
		io.rcv_name = rcv_name;
	}
	if (option & MACH_SEND_TIMEOUT) {
		io.options |= MAILBOX_MSG_SEND_TIMEOUT;
		io.send_timeout = (uint64_t)timeout * 1000000u;
	}
	if (option & MACH_RCV_TIMEOUT) {
		io.options |= MAILBOX_MSG_RCV_TIMEOUT;
		io.rcv_timeout = (uint64_t)timeout * 1000000u;
	}
	if (option & MACH_RCV_LARGE)
		io.options |= MAILBOX_MSG_RCV_LARGE;
	if (GET_RCV_ELEMENTS(option) != MACH_RCV_TRAILER_NULL)
		io.options |= MAILBOX_MSG_RCV_TRAILER;
	if (option & (MACH_SEND_TIMEOUT | MACH_RCV_TIMEOUT))
		deadline = now_ns() + (uint64_t)timeout * 1000000u;

	for (;;) {
		io.status = 0;
		if (ioctl(fd, MAILBOX_IOC_MSG, &io) == 0)
			return MACH_MSG_SUCCESS;
		if (errno == EINTR) {
			/*
			 * As XNU: an interrupted receive is restarted; an
			 * interrupted send too, unless MACH_SEND_INTERRUPT.
			 */
			if (io.status == MACH_SEND_INTERRUPTED && (option & MACH_SEND_INTERRUPT))
				return io.status;
			if (io.status == MACH_RCV_INTERRUPTED)
				io.options &= ~(MAILBOX_MSG_SEND | MAILBOX_MSG_SEND_TIMEOUT);
			if (deadline) {
				uint64_t now = now_ns();
				uint64_t left = now < deadline ? deadline - now : 0;

				if (io.options & MAILBOX_MSG_SEND_TIMEOUT)
					io.send_timeout = left;
				if (io.options & MAILBOX_MSG_RCV_TIMEOUT)
					io.rcv_timeout = left;
			}
			if (io.status == MACH_SEND_INTERRUPTED || io.status == MACH_RCV_INTERRUPTED)
				continue;
		}
		if (io.status == MACH_RCV_TOO_LARGE && (option & MACH_RCV_LARGE) &&
		    rcv_size >= sizeof(*msg))
			msg->msgh_size = io.rcv_size;	/* as XNU: the size needed */
		if (io.status != 0)
			return (mach_msg_return_t)io.status;
		/* Failed before the module set a status (the argument itself). */
		return (io.options & MAILBOX_MSG_SEND) ? MACH_SEND_INVALID_DATA
						       : MACH_RCV_INVALID_DATA;
	}
}

/* --- bootstrap --------------------------------------------------------- */

static int service_copy(struct mailbox_service *s, const char *service_name)
{
	size_t len;

	memset(s, 0, sizeof(*s));
	if (!service_name)
		return -1;
	len = strlen(service_name);
	if (len == 0 || len >= sizeof(s->service))
		return -1;
	memcpy(s->service, service_name, len);
	return 0;
}

static kern_return_t bootstrap_from_errno(int err)
{
	switch (err) {
	case ENOENT:	return BOOTSTRAP_UNKNOWN_SERVICE;
	case EEXIST:	return BOOTSTRAP_NAME_IN_USE;
	case ENOSPC:	return BOOTSTRAP_NO_MEMORY;
	case EPERM:	return BOOTSTRAP_NOT_PRIVILEGED;	/* another uid's service */
	default:	return mailbox_kern_return_from_errno(err);
	}
}

static kern_return_t registry_ioctl(unsigned long cmd, struct mailbox_service *s)
{
	int fd = space_fd(mach_task_self());

	if (fd < 0)
		return KERN_INVALID_TASK;
	if (ioctl(fd, cmd, s) < 0)
		return bootstrap_from_errno(errno);
	return BOOTSTRAP_SUCCESS;
}

kern_return_t bootstrap_register(mach_port_t bp, const char *service_name, mach_port_t sp)
{
	struct mailbox_service s;
	int fd;

	(void)bp;
	if (service_copy(&s, service_name) < 0)
		return BOOTSTRAP_BAD_COUNT;
	if (!MACH_PORT_VALID(sp))
		return KERN_INVALID_RIGHT;	/* unregistering this way is not supported */
	s.name = sp;
	fd = space_fd(mach_task_self());
	if (fd < 0)
		return KERN_INVALID_TASK;
	/* Register's own errors about sp: a bad right, not an unknown service. */
	if (ioctl(fd, MAILBOX_IOC_REGISTER, &s) < 0) {
		int err = errno;

		if (err == EEXIST)
			return BOOTSTRAP_NAME_IN_USE;
		if (err == ENOSPC)
			return BOOTSTRAP_NO_MEMORY;
		if (err == EPERM)
			return BOOTSTRAP_NOT_PRIVILEGED;
		return mailbox_kern_return_from_errno(err);
	}
	return BOOTSTRAP_SUCCESS;
}

kern_return_t bootstrap_look_up(mach_port_t bp, const char *service_name, mach_port_t *sp)
{
	struct mailbox_service s;
	kern_return_t kr;

	(void)bp;
	if (!sp)
		return KERN_INVALID_ARGUMENT;
	if (service_copy(&s, service_name) < 0)
		return BOOTSTRAP_BAD_COUNT;
	kr = registry_ioctl(MAILBOX_IOC_LOOKUP, &s);
	if (kr == BOOTSTRAP_SUCCESS)
		*sp = s.name;
	return kr;
}

kern_return_t bootstrap_check_in(mach_port_t bp, const char *service_name, mach_port_t *sp)
{
	struct mailbox_service s;
	mach_port_name_t port;
	kern_return_t kr;

	(void)bp;
	if (!sp)
		return KERN_INVALID_ARGUMENT;
	if (service_copy(&s, service_name) < 0)
		return BOOTSTRAP_BAD_COUNT;
	kr = mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &port);
	if (kr != KERN_SUCCESS)
		return kr;
	s.name = port;	/* a receive right: the registry makes its send right */
	kr = registry_ioctl(MAILBOX_IOC_REGISTER, &s);
	if (kr != BOOTSTRAP_SUCCESS) {
		mach_port_mod_refs(mach_task_self(), port, MACH_PORT_RIGHT_RECEIVE, -1);
		return kr == BOOTSTRAP_NAME_IN_USE ? BOOTSTRAP_SERVICE_ACTIVE : kr;
	}
	*sp = port;
	return BOOTSTRAP_SUCCESS;
}

kern_return_t bootstrap_unregister(mach_port_t bp, const char *service_name)
{
	struct mailbox_service s;

	(void)bp;
	if (service_copy(&s, service_name) < 0)
		return BOOTSTRAP_BAD_COUNT;
	return registry_ioctl(MAILBOX_IOC_UNREGISTER, &s);
}

/* --- errors ------------------------------------------------------------ */

const char *mach_error_string(mach_error_t kr)
{
	switch (kr) {
	case KERN_SUCCESS:		return "(os/kern) successful";
	case KERN_INVALID_ADDRESS:	return "(os/kern) invalid address";
	case KERN_PROTECTION_FAILURE:	return "(os/kern) protection failure";
	case KERN_NO_SPACE:		return "(os/kern) no space available";
	case KERN_INVALID_ARGUMENT:	return "(os/kern) invalid argument";
	case KERN_FAILURE:		return "(os/kern) failure";
	case KERN_RESOURCE_SHORTAGE:	return "(os/kern) resource shortage";
	case KERN_NOT_RECEIVER:		return "(os/kern) not receiver";
	case KERN_NO_ACCESS:		return "(os/kern) no access";
	case KERN_ALREADY_IN_SET:	return "(os/kern) already in set";
	case KERN_NOT_IN_SET:		return "(os/kern) not in set";
	case KERN_NAME_EXISTS:		return "(os/kern) name exists";
	case KERN_ABORTED:		return "(os/kern) aborted";
	case KERN_INVALID_NAME:		return "(os/kern) invalid name";
	case KERN_INVALID_TASK:		return "(os/kern) invalid task";
	case KERN_INVALID_RIGHT:	return "(os/kern) invalid right";
	case KERN_INVALID_VALUE:	return "(os/kern) invalid value";
	case KERN_UREFS_OVERFLOW:	return "(os/kern) urefs overflow";
	case KERN_INVALID_CAPABILITY:	return "(os/kern) invalid capability";
	case KERN_RIGHT_EXISTS:		return "(os/kern) right exists";
	case KERN_NOT_SUPPORTED:	return "(os/kern) not supported";
	case KERN_OPERATION_TIMED_OUT:	return "(os/kern) operation timed out";
	case BOOTSTRAP_NOT_PRIVILEGED:	return "Permission denied";
	case BOOTSTRAP_NAME_IN_USE:	return "Service name already exists";
	case BOOTSTRAP_UNKNOWN_SERVICE:	return "Unknown service name";
	case BOOTSTRAP_SERVICE_ACTIVE:	return "Service already active";
	case BOOTSTRAP_BAD_COUNT:	return "Too many lookups were requested in one request";
	case BOOTSTRAP_NO_MEMORY:	return "Out of memory";
	case MACH_SEND_INVALID_DATA:	return "(ipc/send) invalid data";
	case MACH_SEND_INVALID_DEST:	return "(ipc/send) invalid destination port";
	case MACH_SEND_TIMED_OUT:	return "(ipc/send) timed out";
	case MACH_SEND_INTERRUPTED:	return "(ipc/send) interrupted";
	case MACH_SEND_MSG_TOO_SMALL:	return "(ipc/send) message size too small";
	case MACH_SEND_INVALID_REPLY:	return "(ipc/send) invalid reply port";
	case MACH_SEND_INVALID_RIGHT:	return "(ipc/send) invalid port right";
	case MACH_SEND_NO_BUFFER:	return "(ipc/send) no message buffer";
	case MACH_SEND_TOO_LARGE:	return "(ipc/send) message too large";
	case MACH_SEND_INVALID_TYPE:	return "(ipc/send) invalid msg-type";
	case MACH_SEND_INVALID_HEADER:	return "(ipc/send) invalid header";
	case MACH_SEND_INVALID_OPTIONS:	return "(ipc/send) invalid options";
	case MACH_RCV_INVALID_NAME:	return "(ipc/rcv) invalid name";
	case MACH_RCV_TIMED_OUT:	return "(ipc/rcv) timed out";
	case MACH_RCV_TOO_LARGE:	return "(ipc/rcv) message too large";
	case MACH_RCV_INTERRUPTED:	return "(ipc/rcv) interrupted";
	case MACH_RCV_PORT_CHANGED:	return "(ipc/rcv) port moved into a set";
	case MACH_RCV_INVALID_NOTIFY:	return "(ipc/rcv) invalid notify port";
	case MACH_RCV_INVALID_DATA:	return "(ipc/rcv) invalid receive buffer";
	case MACH_RCV_PORT_DIED:	return "(ipc/rcv) port has been destroyed";
	case MACH_RCV_HEADER_ERROR:	return "(ipc/rcv) header error";
	case MACH_RCV_BODY_ERROR:	return "(ipc/rcv) body error";
	case MACH_RCV_INVALID_TRAILER:	return "(ipc/rcv) invalid trailer";
	default:			return "(unknown) error code not in the Mach table";
	}
}

void mach_error(const char *str, mach_error_t kr)
{
	fprintf(stderr, "%s %s (0x%x)\n", str, mach_error_string(kr), (unsigned int)kr);
}

/* --- mach_msg_send, mach_msg_receive, mach_msg_destroy -------------------- */

mach_msg_return_t mach_msg_send(mach_msg_header_t *msg)
{
	return mach_msg(msg, MACH_SEND_MSG, msg->msgh_size, 0, MACH_PORT_NULL,
			MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
}

mach_msg_return_t mach_msg_receive(mach_msg_header_t *msg)
{
	return mach_msg(msg, MACH_RCV_MSG, 0, msg->msgh_size, msg->msgh_local_port,
			MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
}

/* Releases one right of type @type (as received, or a MOVE disposition). */
static void destroy_right(mach_port_name_t name, mach_msg_type_name_t type)
{
	if (name == MACH_PORT_NULL || name == MACH_PORT_DEAD)
		return;
	switch (type) {
	case MACH_MSG_TYPE_MOVE_RECEIVE:
		(void)mach_port_mod_refs(mach_task_self(), name, MACH_PORT_RIGHT_RECEIVE, -1);
		break;
	case MACH_MSG_TYPE_MOVE_SEND:
	case MACH_MSG_TYPE_MOVE_SEND_ONCE:
		(void)mach_port_deallocate(mach_task_self(), name);
		break;
	default:	/* MAKE_*, COPY_SEND: nothing is held yet */
		break;
	}
}

void mach_msg_destroy(mach_msg_header_t *msg)
{
	const unsigned char *p, *end;
	uint32_t i, count;

	if (!msg)
		return;
	destroy_right(msg->msgh_remote_port, MACH_MSGH_BITS_REMOTE(msg->msgh_bits));
	if (!(msg->msgh_bits & MACH_MSGH_BITS_COMPLEX) ||
	    msg->msgh_size < sizeof(mach_msg_base_t))
		return;
	p = (const unsigned char *)msg + sizeof(mach_msg_base_t);
	end = (const unsigned char *)msg + msg->msgh_size;
	count = ((const mach_msg_base_t *)msg)->body.msgh_descriptor_count;
	for (i = 0; i < count && end - p >= 12; i++) {
		uint8_t type = p[11];	/* every descriptor's type is its byte 11 */

		if (type == MACH_MSG_PORT_DESCRIPTOR) {
			mach_msg_port_descriptor_t d;

			memcpy(&d, p, sizeof(d));
			destroy_right(d.name, d.disposition);
			p += sizeof(d);
		} else if (type == MACH_MSG_OOL_PORTS_DESCRIPTOR && end - p >= 16) {
			mach_msg_ool_ports_descriptor_t d;
			mach_port_name_t n;
			uint32_t j;

			memcpy(&d, p, sizeof(d));
			for (j = 0; d.address && j < d.count; j++) {
				memcpy(&n, (const char *)d.address + j * sizeof(n), sizeof(n));
				destroy_right(n, d.disposition);
			}
			p += sizeof(d);
		} else if (type == MACH_MSG_OOL_DESCRIPTOR && end - p >= 16) {
			mach_msg_ool_descriptor_t d;

			memcpy(&d, p, sizeof(d));
			if (d.address && d.size)
				(void)vm_deallocate(mach_task_self(), (vm_address_t)d.address, d.size);
			p += sizeof(d);
		} else {
			return;	/* unknown: stop rather than misread */
		}
	}
}
