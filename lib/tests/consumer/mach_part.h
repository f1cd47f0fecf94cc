/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* consumer: the C half, over the Mach C API of an installed libmailbox. */
#ifndef CONSUMER_MACH_PART_H
#define CONSUMER_MACH_PART_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Allocates a port, sends one message to it and receives it back through
 * mach_msg(). Returns 0 on success, 77 when /dev/mailbox cannot be opened
 * (the module is not loaded: nothing to test), 1 on any other failure.
 */
int consumer_mach_roundtrip(void);

#ifdef __cplusplus
}
#endif

#endif
