// SPDX-License-Identifier: GPL-2.0
/*
 * The guide's Example 2 ("Mach RPC Pattern"), a calculator service, over
 * /dev/mailbox. The server() and rpc_calculate() functions keep the guide's
 * structure; the changes are marked "mailbox:":
 *  - the server checks in with the registry, the client looks it up;
 *  - the reply carries an error field: division by zero is answered with
 *    CALC_DIV_BY_ZERO instead of crashing the server;
 *  - the server replies with MOVE_SEND (the guide's COPY_SEND would leave
 *    one send right per request in its space);
 *  - the client destroys its reply port with mach_port_mod_refs(RECEIVE, -1)
 *    (mach_port_deallocate() does not release a receive right, in XNU
 *    either);
 *  - operation 'q' stops the server; return codes are checked.
 *
 * Usage: mach-calc server | mach-calc client
 */
#include <mailbox/mach/mach.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CALC_SERVICE		"org.mailbox.example.calc"
#define CALC_OK			0
#define CALC_DIV_BY_ZERO	1
#define CALC_BAD_OPERATION	2

typedef struct {
    mach_msg_header_t header;
    int operation;
    int operand1;
    int operand2;
} request_t;

typedef struct {
    mach_msg_header_t header;
    int result;
    int error;		/* mailbox: CALC_OK or why there is no result */
} reply_t;

// Server
static int server(void) {
    mach_port_t server_port;
    kern_return_t kr;
    int served = 0;

    /* mailbox: a receive right whose send right is in the registry. */
    kr = bootstrap_check_in(bootstrap_port, CALC_SERVICE, &server_port);
    if (kr != KERN_SUCCESS) {
        fprintf(stderr, "check-in failed: %s\n", mach_error_string(kr));
        return 1;
    }

    printf("Calculator service on port %d\n", server_port);

    while (1) {
        request_t req;

        kr = mach_msg(
            &req.header,
            MACH_RCV_MSG,
            0,
            sizeof(req),
            server_port,
            MACH_MSG_TIMEOUT_NONE,
            MACH_PORT_NULL
        );

        if (kr != MACH_MSG_SUCCESS) continue;
        if (req.operation == 'q') break;	/* mailbox: stop */

        // Process request
        reply_t rep;
        rep.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND, 0);
        rep.header.msgh_size = sizeof(rep);
        rep.header.msgh_remote_port = req.header.msgh_remote_port;
        rep.header.msgh_local_port = MACH_PORT_NULL;
        rep.header.msgh_voucher_port = MACH_PORT_NULL;
        rep.header.msgh_id = req.header.msgh_id + 100;
        rep.result = 0;
        rep.error = CALC_OK;

        switch (req.operation) {
            case '+': rep.result = req.operand1 + req.operand2; break;
            case '-': rep.result = req.operand1 - req.operand2; break;
            case '*': rep.result = req.operand1 * req.operand2; break;
            case '/':
                if (req.operand2 == 0)
                    rep.error = CALC_DIV_BY_ZERO;
                else
                    rep.result = req.operand1 / req.operand2;
                break;
            default: rep.error = CALC_BAD_OPERATION; break;
        }

        // Send reply
        kr = mach_msg(&rep.header, MACH_SEND_MSG, rep.header.msgh_size,
                      0, MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
        if (kr != MACH_MSG_SUCCESS)
            fprintf(stderr, "reply failed: %s\n", mach_error_string(kr));
        served++;
    }

    printf("server: answered %d requests\n", served);
    mach_port_mod_refs(mach_task_self(), server_port, MACH_PORT_RIGHT_RECEIVE, -1);
    return 0;
}

// Client
static int rpc_calculate(mach_port_t server, char op, int a, int b, int *result) {
    mach_port_t reply_port;
    kern_return_t kr;

    kr = mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &reply_port);
    if (kr != KERN_SUCCESS)
        return -1;

    // Send request
    request_t req;
    req.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND,
                                          MACH_MSG_TYPE_MAKE_SEND);
    req.header.msgh_size = sizeof(req);
    req.header.msgh_remote_port = server;
    req.header.msgh_local_port = reply_port;
    req.header.msgh_voucher_port = MACH_PORT_NULL;
    req.header.msgh_id = 500;
    req.operation = op;
    req.operand1 = a;
    req.operand2 = b;

    kr = mach_msg(&req.header, MACH_SEND_MSG, sizeof(req),
                  0, MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);

    // Receive reply
    reply_t rep;
    if (kr == MACH_MSG_SUCCESS)
        kr = mach_msg(&rep.header, MACH_RCV_MSG, 0, sizeof(rep),
                      reply_port, MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);

    mach_port_mod_refs(mach_task_self(), reply_port, MACH_PORT_RIGHT_RECEIVE, -1);
    if (kr != MACH_MSG_SUCCESS) {
        fprintf(stderr, "rpc failed: %s\n", mach_error_string(kr));
        return -1;
    }
    *result = rep.result;
    return rep.error;
}

static int client(void) {
    static const struct { char op; int a, b; } calls[] = {
        { '+', 7, 5 }, { '-', 7, 5 }, { '*', 7, 5 }, { '/', 84, 2 },
        { '/', 10, 0 }, { '-', -3, 4 },
    };
    mach_port_t server_port = MACH_PORT_NULL;
    kern_return_t kr = BOOTSTRAP_UNKNOWN_SERVICE;

    for (int i = 0; i < 100 && kr == BOOTSTRAP_UNKNOWN_SERVICE; i++) {
        kr = bootstrap_look_up(bootstrap_port, CALC_SERVICE, &server_port);
        if (kr == BOOTSTRAP_UNKNOWN_SERVICE)
            usleep(50000);
    }
    if (kr != KERN_SUCCESS) {
        fprintf(stderr, "look-up failed: %s\n", mach_error_string(kr));
        return 1;
    }

    for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
        int result = 0;
        int err = rpc_calculate(server_port, calls[i].op, calls[i].a, calls[i].b, &result);

        if (err == CALC_OK)
            printf("client: %d %c %d = %d\n", calls[i].a, calls[i].op, calls[i].b, result);
        else if (err == CALC_DIV_BY_ZERO)
            printf("client: %d %c %d: error: division by zero\n", calls[i].a, calls[i].op,
                   calls[i].b);
        else
            return 1;
    }

    /* Stop the server: a request with no reply port. */
    request_t quit = { .header = {
        .msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0),
        .msgh_size = sizeof(quit),
        .msgh_remote_port = server_port,
    }, .operation = 'q' };
    printf("client: done\n");
    kr = mach_msg(&quit.header, MACH_SEND_MSG, sizeof(quit), 0, MACH_PORT_NULL,
                  MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
    mach_port_deallocate(mach_task_self(), server_port);
    return kr == MACH_MSG_SUCCESS ? 0 : 1;
}

int main(int argc, char *argv[]) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 2 && strcmp(argv[1], "server") == 0)
        return server();
    if (argc == 2 && strcmp(argv[1], "client") == 0)
        return client();
    fprintf(stderr, "usage: %s server | client\n", argv[0]);
    return 2;
}
