// SPDX-License-Identifier: LGPL-2.1-or-later
/* consumer_c: a C-only program linked with gcc against libmailbox. */
#include <stdio.h>

#include "mach_part.h"

int main(void)
{
	int rc = consumer_mach_roundtrip();

	printf("consumer_c: %s\n", rc == 0 ? "ok" : rc == 77 ? "no device" : "FAILED");
	return rc;
}
