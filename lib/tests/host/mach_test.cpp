// SPDX-License-Identifier: LGPL-2.1-or-later
// The Mach C API without the device: errno mapping, constants, layouts.
#include <catch2/catch.hpp>

#include <mailbox/mach/mach.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

#include <sys/mman.h>
#include <unistd.h>

TEST_CASE("Port-operation errnos map to XNU's kern_return_t values", "[mach][errno]")
{
	CHECK(mailbox_kern_return_from_errno(0) == KERN_SUCCESS);
	CHECK(mailbox_kern_return_from_errno(ENOENT) == KERN_INVALID_NAME);
	CHECK(mailbox_kern_return_from_errno(EPERM) == KERN_INVALID_RIGHT);
	CHECK(mailbox_kern_return_from_errno(EINVAL) == KERN_INVALID_VALUE);
	CHECK(mailbox_kern_return_from_errno(EOVERFLOW) == KERN_UREFS_OVERFLOW);
	CHECK(mailbox_kern_return_from_errno(EEXIST) == KERN_NAME_EXISTS);
	CHECK(mailbox_kern_return_from_errno(EALREADY) == KERN_RIGHT_EXISTS);
	CHECK(mailbox_kern_return_from_errno(ENOSPC) == KERN_NO_SPACE);
	CHECK(mailbox_kern_return_from_errno(ENOMEM) == KERN_RESOURCE_SHORTAGE);
	CHECK(mailbox_kern_return_from_errno(EPIPE) == KERN_INVALID_CAPABILITY);
	CHECK(mailbox_kern_return_from_errno(ENXIO) == KERN_NOT_IN_SET);
	CHECK(mailbox_kern_return_from_errno(EFAULT) == KERN_INVALID_ADDRESS);
	CHECK(mailbox_kern_return_from_errno(EBADF) == KERN_INVALID_TASK);
	CHECK(mailbox_kern_return_from_errno(E2BIG) == KERN_FAILURE);
}

TEST_CASE("kern_return_t and mach_msg_return_t values are XNU's", "[mach][constants]")
{
	CHECK(KERN_INVALID_NAME == 15);
	CHECK(KERN_INVALID_RIGHT == 17);
	CHECK(KERN_INVALID_VALUE == 18);
	CHECK(KERN_UREFS_OVERFLOW == 19);
	CHECK(KERN_INVALID_CAPABILITY == 20);
	CHECK(KERN_RIGHT_EXISTS == 21);
	CHECK(MACH_SEND_INVALID_DEST == 0x10000003);
	CHECK(MACH_SEND_TIMED_OUT == 0x10000004);
	CHECK(MACH_RCV_TIMED_OUT == 0x10004003);
	CHECK(MACH_RCV_TOO_LARGE == 0x10004004);
	CHECK(MACH_RCV_PORT_DIED == 0x10004009);
	CHECK(MACH_MSG_TYPE_MOVE_RECEIVE == 16);
	CHECK(MACH_MSG_TYPE_MAKE_SEND_ONCE == 21);
	CHECK(MACH_PORT_TYPE_SEND == 0x10000);
	CHECK(MACH_PORT_TYPE_RECEIVE == 0x20000);
	CHECK(MACH_PORT_TYPE_DEAD_NAME == 0x100000);
	CHECK(MACH_NOTIFY_DEAD_NAME == 0110);
	CHECK(MACH_NOTIFY_NO_SENDERS == 0106);
	CHECK(MACH_SEND_MSG == 1);
	CHECK(MACH_RCV_MSG == 2);
	CHECK(MACH_RCV_LARGE == 4);
	CHECK(MACH_SEND_TIMEOUT == 0x10);
	CHECK(MACH_RCV_TIMEOUT == 0x100);
	CHECK(MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE) == 0x1513);
	CHECK(MACH_MSGH_BITS_REMOTE(0x80001513u) == MACH_MSG_TYPE_COPY_SEND);
	CHECK(MACH_MSGH_BITS_LOCAL(0x80001513u) == MACH_MSG_TYPE_MAKE_SEND_ONCE);
}

TEST_CASE("Message layouts are XNU's 64-bit user layouts", "[mach][layout]")
{
	CHECK(sizeof(mach_msg_header_t) == 24);
	CHECK(sizeof(mach_msg_body_t) == 4);
	CHECK(sizeof(mach_msg_port_descriptor_t) == 12);
	CHECK(sizeof(mach_msg_ool_ports_descriptor_t) == 16);
	CHECK(sizeof(mach_msg_trailer_t) == 8);
	CHECK(sizeof(mach_msg_seqno_trailer_t) == 12);
	CHECK(sizeof(NDR_record_t) == 8);
	CHECK(offsetof(mach_dead_name_notification_t, not_port) == 32);
	CHECK(offsetof(mach_no_senders_notification_t, not_count) == 32);
	CHECK(offsetof(mach_port_destroyed_notification_t, not_port) == 28);
}

TEST_CASE("mach_error_string names every code it maps to", "[mach][strings]")
{
	CHECK(std::string(mach_error_string(KERN_SUCCESS)) == "(os/kern) successful");
	CHECK(std::string(mach_error_string(KERN_INVALID_NAME)) == "(os/kern) invalid name");
	CHECK(std::string(mach_error_string(MACH_SEND_INVALID_DEST)) ==
	      "(ipc/send) invalid destination port");
	CHECK(std::string(mach_error_string(BOOTSTRAP_UNKNOWN_SERVICE)) == "Unknown service name");
	for (int e = 0; e < 200; e++) {
		kern_return_t kr = mailbox_kern_return_from_errno(e);

		CHECK(std::strstr(mach_error_string(kr), "unknown") == nullptr);
	}
}

TEST_CASE("Calls with MACH_PORT_NULL as the task fail with KERN_INVALID_TASK", "[mach][task]")
{
	mach_port_name_t name = 0;

	CHECK(mach_port_allocate(MACH_PORT_NULL, MACH_PORT_RIGHT_RECEIVE, &name) ==
	      KERN_INVALID_TASK);
	CHECK(mach_port_mod_refs(MACH_PORT_NULL, 0x100, MACH_PORT_RIGHT_SEND, 1) ==
	      KERN_INVALID_TASK);
	CHECK(mach_port_deallocate(MACH_PORT_NULL, MACH_PORT_NULL) == KERN_SUCCESS);
}

TEST_CASE("mach_msg_ool_descriptor_t is XNU's 64-bit layout", "[mach][layout][ool]")
{
	static_assert(sizeof(mach_msg_ool_descriptor_t) == 16);
	static_assert(sizeof(mach_msg_ool_descriptor64_t) == 16);
	static_assert(offsetof(mach_msg_ool_descriptor_t, address) == 0);
	static_assert(offsetof(mach_msg_ool_descriptor_t, deallocate) == 8);
	static_assert(offsetof(mach_msg_ool_descriptor_t, copy) == 9);
	static_assert(offsetof(mach_msg_ool_descriptor_t, pad1) == 10);
	static_assert(offsetof(mach_msg_ool_descriptor_t, type) == 11);
	static_assert(offsetof(mach_msg_ool_descriptor_t, size) == 12);
	static_assert(alignof(mach_msg_ool_descriptor_t) == 4);
	static_assert(sizeof(mach_msg_descriptor_t) == 16);
	static_assert(offsetof(struct mailbox_msg_ool_descriptor, size) == 12);
	CHECK(MACH_MSG_OOL_DESCRIPTOR == 1);
	CHECK(MACH_MSG_PHYSICAL_COPY == 0);
	CHECK(MACH_MSG_VIRTUAL_COPY == 1);
	CHECK(MACH_MSG_OOL_SIZE_MAX == 64u << 20);
	CHECK(VM_FLAGS_FIXED == 0);
	CHECK(VM_FLAGS_ANYWHERE == 1);
	/* A complex message with one OOL descriptor: 24 + 4 + 16 bytes. */
	struct {
		mach_msg_header_t header;
		mach_msg_body_t body;
		mach_msg_ool_descriptor_t ool;
	} m;
	CHECK(sizeof(m) == 44);
	CHECK(offsetof(decltype(m), ool) == 28);
}

TEST_CASE("vm_allocate and vm_deallocate map and unmap whole pages", "[mach][vm]")
{
	const vm_size_t page = (vm_size_t)sysconf(_SC_PAGESIZE);
	vm_address_t a = 0, b;
	mach_vm_address_t c = 0;

	REQUIRE(vm_allocate(mach_task_self(), &a, 3 * page + 1, VM_FLAGS_ANYWHERE) ==
		KERN_SUCCESS);
	REQUIRE(a != 0);
	CHECK(a % page == 0);
	CHECK(reinterpret_cast<unsigned char *>(a)[4 * page - 1] == 0);	/* rounded up, zeroed */
	std::memset(reinterpret_cast<void *>(a), 7, 4 * page);
	/* FIXED where something is mapped: no space. */
	b = a;
	CHECK(vm_allocate(mach_task_self(), &b, page, VM_FLAGS_FIXED) == KERN_NO_SPACE);
	CHECK(b == a);
	/* Deallocating part of a page takes the whole page. */
	CHECK(vm_deallocate(mach_task_self(), a + page + 10, 1) == KERN_SUCCESS);
	CHECK(msync(reinterpret_cast<void *>(a + page), page, MS_ASYNC) == -1);
	CHECK(msync(reinterpret_cast<void *>(a), page, MS_ASYNC) == 0);
	/* FIXED into the hole now works. */
	b = a + page;
	CHECK(vm_allocate(mach_task_self(), &b, page, VM_FLAGS_FIXED) == KERN_SUCCESS);
	CHECK(b == a + page);
	CHECK(reinterpret_cast<unsigned char *>(b)[0] == 0);
	CHECK(vm_deallocate(mach_task_self(), a, 4 * page) == KERN_SUCCESS);
	CHECK(msync(reinterpret_cast<void *>(a), 4 * page, MS_ASYNC) == -1);
	/* Size 0, bad flags, unaligned FIXED. */
	b = 1;
	CHECK(vm_allocate(mach_task_self(), &b, 0, VM_FLAGS_ANYWHERE) == KERN_SUCCESS);
	CHECK(b == 0);
	CHECK(vm_deallocate(mach_task_self(), 12345, 0) == KERN_SUCCESS);
	CHECK(vm_allocate(mach_task_self(), &b, page, 0x100) == KERN_INVALID_ARGUMENT);
	b = a + 1;
	CHECK(vm_allocate(mach_task_self(), &b, page, VM_FLAGS_FIXED) == KERN_INVALID_ARGUMENT);
	CHECK(vm_deallocate(mach_task_self(), ~(vm_address_t)0 - 4, 100) == KERN_INVALID_ADDRESS);
	/* The mach_vm_ spellings. */
	REQUIRE(mach_vm_allocate(mach_task_self(), &c, page, VM_FLAGS_ANYWHERE) == KERN_SUCCESS);
	CHECK(c % page == 0);
	CHECK(mach_vm_deallocate(mach_task_self(), c, page) == KERN_SUCCESS);
}
