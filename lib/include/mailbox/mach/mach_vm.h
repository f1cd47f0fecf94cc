/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mach-compatible C API over /dev/mailbox: virtual memory calls (XNU's
 * <mach/mach_vm.h> and <mach/vm_map.h>) on the calling process's own
 * address space, as mmap()/munmap(). They allocate and free the memory of
 * out-of-line descriptors and of the arrays mach_port_names() returns.
 * See Documentation/mach-api.rst ("Out-of-line memory").
 */
#ifndef MAILBOX_MACH_MACH_VM_H
#define MAILBOX_MACH_MACH_VM_H

#include <stdint.h>
#include <mailbox/mach/kern_return.h>
#include <mailbox/mach/port.h>

typedef uintptr_t vm_address_t;
typedef uintptr_t vm_size_t;
typedef uint64_t mach_vm_address_t;
typedef uint64_t mach_vm_size_t;
typedef mach_port_t vm_map_t;

/* vm_allocate() flags (XNU's values). */
#define VM_FLAGS_FIXED		0x0000
#define VM_FLAGS_ANYWHERE	0x0001

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Zero-filled, readable and writable pages: size rounded up to the page
 * size; VM_FLAGS_ANYWHERE picks the address, VM_FLAGS_FIXED uses *address
 * (page-aligned, KERN_NO_SPACE if anything is mapped there). A size of 0
 * gives address 0. @task is ignored: always the calling process.
 */
kern_return_t vm_allocate(vm_map_t task, vm_address_t *address, vm_size_t size, int flags);
kern_return_t mach_vm_allocate(vm_map_t task, mach_vm_address_t *address, mach_vm_size_t size,
			       int flags);
/*
 * Unmap every page that [address, address + size) touches (as XNU: the
 * range is widened to whole pages). Size 0 does nothing.
 */
kern_return_t vm_deallocate(vm_map_t task, vm_address_t address, vm_size_t size);
kern_return_t mach_vm_deallocate(vm_map_t task, mach_vm_address_t address, mach_vm_size_t size);

#ifdef __cplusplus
}
#endif

#endif /* MAILBOX_MACH_MACH_VM_H */
