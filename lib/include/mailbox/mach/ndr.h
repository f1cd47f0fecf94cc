/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Mach-compatible C API over /dev/mailbox: the NDR record (XNU's <mach/ndr.h>). */
#ifndef MAILBOX_MACH_NDR_H
#define MAILBOX_MACH_NDR_H

typedef struct {
	unsigned char mig_vers;
	unsigned char if_vers;
	unsigned char reserved1;
	unsigned char mig_encoding;
	unsigned char int_rep;
	unsigned char char_rep;
	unsigned char float_rep;
	unsigned char reserved2;
} NDR_record_t;

#ifdef __cplusplus
extern "C"
#else
extern
#endif
NDR_record_t NDR_record;

#endif /* MAILBOX_MACH_NDR_H */
