/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mach-compatible C API over /dev/mailbox: port operations (XNU's
 * <mach/mach_port.h>). @task is a space: mach_task_self(), or the fd of
 * another open of /dev/mailbox. See Documentation/mach-api.rst.
 */
#ifndef MAILBOX_MACH_MACH_PORT_H
#define MAILBOX_MACH_MACH_PORT_H

#include <mailbox/mach/mach_vm.h>
#include <mailbox/mach/message.h>

#ifdef __cplusplus
extern "C" {
#endif

kern_return_t mach_port_allocate(ipc_space_t task, mach_port_right_t right,
				 mach_port_name_t *name);
kern_return_t mach_port_deallocate(ipc_space_t task, mach_port_name_t name);
kern_return_t mach_port_destroy(ipc_space_t task, mach_port_name_t name);
kern_return_t mach_port_mod_refs(ipc_space_t task, mach_port_name_t name,
				 mach_port_right_t right, mach_port_delta_t delta);
kern_return_t mach_port_insert_right(ipc_space_t task, mach_port_name_t name,
				     mach_port_t poly, mach_msg_type_name_t poly_poly);
kern_return_t mach_port_extract_right(ipc_space_t task, mach_port_name_t name,
				      mach_msg_type_name_t msgt_name, mach_port_t *poly,
				      mach_msg_type_name_t *poly_poly);
kern_return_t mach_port_type(ipc_space_t task, mach_port_name_t name,
			     mach_port_type_t *ptype);
kern_return_t mach_port_get_refs(ipc_space_t task, mach_port_name_t name,
				 mach_port_right_t right, mach_port_urefs_t *refs);
/* The two arrays come from vm_allocate(): free them with vm_deallocate(). */
kern_return_t mach_port_names(ipc_space_t task, mach_port_name_array_t *names,
			      mach_msg_type_number_t *names_cnt, mach_port_type_array_t *types,
			      mach_msg_type_number_t *types_cnt);
kern_return_t mach_port_move_member(ipc_space_t task, mach_port_name_t member,
				    mach_port_name_t after);
kern_return_t mach_port_request_notification(ipc_space_t task, mach_port_name_t name,
					     mach_msg_id_t msgid, mach_port_mscount_t sync,
					     mach_port_t notify,
					     mach_msg_type_name_t notify_poly,
					     mach_port_t *previous);
kern_return_t mach_port_get_attributes(ipc_space_t task, mach_port_name_t name,
				       mach_port_flavor_t flavor, mach_port_info_t info,
				       mach_msg_type_number_t *count);
kern_return_t mach_port_set_attributes(ipc_space_t task, mach_port_name_t name,
				       mach_port_flavor_t flavor, mach_port_info_t info,
				       mach_msg_type_number_t count);
kern_return_t mach_port_construct(ipc_space_t task, mach_port_options_ptr_t options,
				  mach_port_context_t context, mach_port_name_t *name);
kern_return_t mach_port_destruct(ipc_space_t task, mach_port_name_t name,
				 mach_port_delta_t srdelta, mach_port_context_t guard);


#ifdef __cplusplus
}
#endif

#endif /* MAILBOX_MACH_MACH_PORT_H */
