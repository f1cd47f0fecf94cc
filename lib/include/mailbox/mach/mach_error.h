/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Mach-compatible C API over /dev/mailbox: error strings (<mach/mach_error.h>). */
#ifndef MAILBOX_MACH_MACH_ERROR_H
#define MAILBOX_MACH_MACH_ERROR_H

#include <mailbox/mach/kern_return.h>

typedef kern_return_t mach_error_t;

#ifdef __cplusplus
extern "C" {
#endif

const char *mach_error_string(mach_error_t error_value);
void mach_error(const char *str, mach_error_t error_value);

/*
 * The mapping the library applies (exposed for tests): errno of a port,
 * registry or space ioctl to kern_return_t / bootstrap codes.
 */
kern_return_t mailbox_kern_return_from_errno(int err);

#ifdef __cplusplus
}
#endif

#endif /* MAILBOX_MACH_MACH_ERROR_H */
