/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mach-compatible C API over /dev/mailbox: bootstrap services (launchd's
 * <servers/bootstrap.h>) over the module's service registry, which is
 * scoped per IPC namespace. @bp is accepted and ignored: pass bootstrap_port
 * (MACH_PORT_NULL). See Documentation/mach-api.rst.
 */
#ifndef MAILBOX_MACH_BOOTSTRAP_H
#define MAILBOX_MACH_BOOTSTRAP_H

#include <mailbox/mach/port.h>
#include <mailbox/mach/kern_return.h>

#define BOOTSTRAP_MAX_NAME_LEN		MAILBOX_SERVICE_NAME_MAX
#define BOOTSTRAP_SUCCESS		0
#define BOOTSTRAP_NOT_PRIVILEGED	1100
#define BOOTSTRAP_NAME_IN_USE		1101
#define BOOTSTRAP_UNKNOWN_SERVICE	1102
#define BOOTSTRAP_SERVICE_ACTIVE	1103
#define BOOTSTRAP_BAD_COUNT		1104
#define BOOTSTRAP_NO_MEMORY		1105
#define BOOTSTRAP_NO_CHILDREN		1106

typedef char name_t[BOOTSTRAP_MAX_NAME_LEN];

#ifdef __cplusplus
extern "C" {
#endif

extern mach_port_t bootstrap_port;	/* always MACH_PORT_NULL */

kern_return_t bootstrap_register(mach_port_t bp, const char *service_name, mach_port_t sp);
kern_return_t bootstrap_look_up(mach_port_t bp, const char *service_name, mach_port_t *sp);
kern_return_t bootstrap_check_in(mach_port_t bp, const char *service_name, mach_port_t *sp);
/* Not in launchd: removes a service this process registered. */
kern_return_t bootstrap_unregister(mach_port_t bp, const char *service_name);

#ifdef __cplusplus
}
#endif

#endif /* MAILBOX_MACH_BOOTSTRAP_H */
