// SPDX-License-Identifier: GPL-2.0
/* One binary for the example: "mach-echo server" or "mach-echo client [text]". */
#include <stdio.h>
#include <string.h>

#include "echo.h"

int main(int argc, char *argv[])
{
	if (argc >= 2 && strcmp(argv[1], "server") == 0)
		return server_main();
	if (argc >= 2 && strcmp(argv[1], "client") == 0)
		return client_main(argc - 1, argv + 1);
	fprintf(stderr, "usage: %s server | client [text|quit]\n", argv[0]);
	return 2;
}
