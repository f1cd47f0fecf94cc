// SPDX-License-Identifier: GPL-2.0
/*
 * The guide's Example 1 server ("Basic Mach Port Communication") over
 * /dev/mailbox. Changes from the guide, all marked "mailbox:": the entry
 * point is server_main() (one binary holds server and client), stdout is
 * line-buffered, the port is published in the registry, and a message with
 * id ECHO_QUIT ends the loop.
 */
#include <mailbox/mach/mach.h>
#include <stdio.h>
#include <string.h>

#include "echo.h"

int server_main(void)
{
    mach_port_t port;
    kern_return_t kr;

    setvbuf(stdout, NULL, _IOLBF, 0);	/* mailbox: output goes through a pipe */

    // Create receive port
    kr = mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &port);
    if (kr != KERN_SUCCESS) {
        fprintf(stderr, "Failed to allocate port\n");
        return 1;
    }

    /* mailbox: publish a send right under ECHO_SERVICE instead of printing
     * a number for the client's command line. */
    kr = mach_port_insert_right(mach_task_self(), port, port, MACH_MSG_TYPE_MAKE_SEND);
    if (kr == KERN_SUCCESS)
        kr = bootstrap_register(bootstrap_port, ECHO_SERVICE, port);
    if (kr != KERN_SUCCESS) {
        fprintf(stderr, "Failed to register: %s\n", mach_error_string(kr));
        return 1;
    }

    printf("Server listening on port: %d\n", port);
    printf("Server registered as %s\n", ECHO_SERVICE);

    // Receive loop
    while (1) {
        message_t msg;

        kr = mach_msg(
            &msg.header,
            MACH_RCV_MSG,
            0,
            sizeof(msg),
            port,
            MACH_MSG_TIMEOUT_NONE,
            MACH_PORT_NULL
        );

        if (kr == MACH_MSG_SUCCESS) {
            if (msg.header.msgh_id == ECHO_QUIT)	/* mailbox: stop */
                break;
            printf("Received: %s\n", msg.data);
        } else {
            fprintf(stderr, "Receive failed: %x\n", kr);
            break;
        }
    }

    printf("Server done\n");
    mach_port_deallocate(mach_task_self(), port);
    return 0;
}
