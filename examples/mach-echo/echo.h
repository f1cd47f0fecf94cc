/* SPDX-License-Identifier: GPL-2.0 */
/* What the mach-echo server and client share. */
#ifndef MACH_ECHO_H
#define MACH_ECHO_H

#include <mailbox/mach/mach.h>

#define ECHO_SERVICE	"org.mailbox.example.echo"
#define ECHO_QUIT	1235	/* mailbox: message id that stops the server */

typedef struct {
    mach_msg_header_t header;
    char data[256];
} message_t;

int server_main(void);
int client_main(int argc, char *argv[]);

#endif
