// SPDX-License-Identifier: GPL-2.0
/*
 * The guide's Example 1 client over /dev/mailbox. Changes from the guide,
 * marked "mailbox:": the entry point is client_main(); the server port comes
 * from bootstrap_look_up() instead of argv[1] (argv[1], if given, is the
 * text to send, "quit" stops the server); the look-up is retried while the
 * server starts.
 */
#include <mailbox/mach/mach.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "echo.h"

int client_main(int argc, char *argv[]) {
    if (argc > 2) {
        fprintf(stderr, "Usage: %s [text|quit]\n", argv[0]);
        return 1;
    }

    /* mailbox: look the server up in the registry (for up to 5 s). */
    mach_port_t server_port = MACH_PORT_NULL;
    kern_return_t kr = BOOTSTRAP_UNKNOWN_SERVICE;
    for (int i = 0; i < 100 && kr == BOOTSTRAP_UNKNOWN_SERVICE; i++) {
        kr = bootstrap_look_up(bootstrap_port, ECHO_SERVICE, &server_port);
        if (kr == BOOTSTRAP_UNKNOWN_SERVICE)
            usleep(50000);
    }
    if (kr != KERN_SUCCESS) {
        fprintf(stderr, "Service %s not found: %s\n", ECHO_SERVICE, mach_error_string(kr));
        return 1;
    }
    const char *text = argc == 2 ? argv[1] : "Hello from client";
    message_t msg;

    // Prepare message
    msg.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
    msg.header.msgh_size = sizeof(msg);
    msg.header.msgh_remote_port = server_port;
    msg.header.msgh_local_port = MACH_PORT_NULL;
    msg.header.msgh_voucher_port = MACH_PORT_NULL;	/* mailbox: must be zero */
    msg.header.msgh_id = strcmp(text, "quit") == 0 ? ECHO_QUIT : 1234;

    snprintf(msg.data, sizeof(msg.data), "%s", text);

    // Send message
    kr = mach_msg(
        &msg.header,
        MACH_SEND_MSG,
        msg.header.msgh_size,
        0,
        MACH_PORT_NULL,
        MACH_MSG_TIMEOUT_NONE,
        MACH_PORT_NULL
    );

    if (kr == MACH_MSG_SUCCESS) {
        printf("Message sent successfully\n");
    } else {
        fprintf(stderr, "Send failed: %x\n", kr);
        return 1;
    }

    mach_port_deallocate(mach_task_self(), server_port);
    return 0;
}
