/* SPDX-License-Identifier: MIT */
/* A Harper operation body through the bridges' translation (src/ops: request_parse, the lookup
 * and each operation's checks and argument mapping), up to the bus. The bus is a connection
 * whose peer is gone: every message is built as for harper-sysopsd, and the call then fails at
 * once, so the answer is the one for an unreachable daemon or the bridge's own refusal. */
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "operations.h"

static sd_bus *dead_bus(void) {
        sd_bus *bus = NULL;
        int fds[2];

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0 || sd_bus_new(&bus) < 0 ||
            sd_bus_set_fd(bus, fds[0], fds[0]) < 0 || sd_bus_start(bus) < 0)
                abort();
        close(fds[1]);
        while (sd_bus_process(bus, NULL) >= 0)   /* until it sees the peer gone */
                ;
        return bus;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static sd_bus *bus;
        Response r;

        if (!bus) {
                signal(SIGPIPE, SIG_IGN);
                log_setup("fuzz-harper-body", LOG_CRIT);   /* each failed call logs an error */
                bus = dead_bus();
        }
        CallContext ctx = { .bus = bus };
        r = operation_run_body(&ctx, (const char *) data, size);
        if (!response_body_text(&r, size & 1))
                abort();   /* every answer has a body */
        response_done(&r);
        return 0;
}
