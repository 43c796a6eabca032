/* SPDX-License-Identifier: MIT */
/* flood-calls [--fresh] [--progress] N: sends N SetStatus calls without waiting, then collects
 * the answers and prints how many ended how ("ok" or the D-Bus error name), one "COUNT NAME"
 * line each, sorted by name. By default 100 calls share a connection (dbus-daemon lets one
 * connection wait for 128 replies); with --fresh each call has a connection of its own, 64 open
 * at a time, each closed once answered (a caller the daemon has never seen, every time). With
 * --progress each answer also prints "answered COUNT" on stderr, for a test to wait on. For
 * the limits on calls waiting for polkit. Without --fresh: --interactive lets polkit prompt
 * (so the daemon never answers them from its kept refusals); --for=SECONDS keeps N calls out,
 * each answered one sent again, for that long; --polkit asks polkitd itself, CheckAuthorization
 * of set-status for the caller's own connection, as a hostile user could; --call-timeout=SECONDS
 * waits that long for each answer (120 s by default) before counting it NoReply. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "answer-kinds.h"
#include "sysops-names.h"
#include "time-util.h"

#define PER_CONNECTION 100
#define MAX_CONNECTIONS 16
#define FRESH_AT_ONCE 64

static unsigned answered;
static bool progress, interactive, to_polkit;
static uint64_t until_usec;   /* --for: when to stop sending again */
/* longer than sd-bus's 25 s by default: a test may hold polkit's line full for a while */
static uint64_t call_timeout_usec = 120ULL * USEC_PER_SEC;

typedef struct Connection {
        sd_bus *bus;
        unsigned waiting;   /* calls sent and not yet answered */
} Connection;

static int send_call(Connection *c);

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Connection *c = userdata;

        answer_kinds_count(m);
        answered++;
        c->waiting--;
        if (progress)
                fprintf(stderr, "answered %u\n", answered);
        if (monotonic_usec() < until_usec)
                (void) send_call(c);
        return 0;
}

/* CheckAuthorization of set-status for this connection, straight to polkitd. */
static int polkit_question(sd_bus *bus, sd_bus_message **ret) {
        const char *name;
        int r;

        r = sd_bus_get_unique_name(bus, &name);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_call(bus, ret, "org.freedesktop.PolicyKit1",
                                           "/org/freedesktop/PolicyKit1/Authority",
                                           "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization");
        if (r < 0)
                return r;
        return sd_bus_message_append(*ret, "(sa{sv})sa{ss}us", "system-bus-name", 1, "name", "s", name,
                                     SYSOPS_ACTION_SET_STATUS, 0, 0u, "");
}

static int send_call(Connection *c) {
        sd_bus_message *call = NULL;
        int r;

        if (!c->bus && sd_bus_open_system(&c->bus) < 0)
                return -1;
        if (to_polkit)
                r = polkit_question(c->bus, &call);
        else {
                r = sd_bus_message_new_method_call(c->bus, &call, SYSOPS_BUS_NAME, SYSOPS_OBJECT_PATH,
                                                   SYSOPS_INTERFACE, "SetStatus");
                if (r >= 0)
                        r = sd_bus_message_append(call, "ss", "maintenance", "flood");
        }
        if (r >= 0)
                r = sd_bus_message_set_allow_interactive_authorization(call, interactive);
        if (r >= 0)
                r = sd_bus_call_async(c->bus, NULL, call, on_reply, c, call_timeout_usec);
        sd_bus_message_unref(call);
        c->waiting += r >= 0;
        return r;
}

/* Runs every connection's queue once; waits a little when none had anything to do. */
static int process_all(Connection *connections, unsigned n) {
        bool busy = false;

        for (unsigned i = 0; i < n; i++) {
                int r;
                if (!connections[i].bus)
                        continue;
                while ((r = sd_bus_process(connections[i].bus, NULL)) > 0)
                        busy = true;
                if (r < 0)
                        return r;
        }
        /* every connection is waited on in turn; 10 ms keeps the others moving */
        for (unsigned i = 0; !busy && i < n; i++)
                if (connections[i].bus) {
                        (void) sd_bus_wait(connections[i].bus, 10000);
                        break;
                }
        return 0;
}

static bool connections_waiting(const Connection *connections, unsigned n) {
        for (unsigned i = 0; i < n; i++)
                if (connections[i].waiting > 0)
                        return true;
        return false;
}

static int flood_shared(unsigned n) {
        Connection connections[MAX_CONNECTIONS] = {};
        unsigned n_connections = (n + PER_CONNECTION - 1) / PER_CONNECTION;

        for (unsigned i = 0; i < n; i++)
                if (send_call(&connections[i / PER_CONNECTION]) < 0)
                        return -1;
        /* with --for, answered calls are sent again until then: wait for those too */
        while (answered < n || monotonic_usec() < until_usec || connections_waiting(connections, n_connections))
                if (process_all(connections, n_connections) < 0)
                        return -1;
        for (unsigned i = 0; i < n_connections; i++)
                sd_bus_flush_close_unref(connections[i].bus);
        return 0;
}

static int flood_fresh(unsigned n) {
        Connection connections[FRESH_AT_ONCE] = {};
        unsigned sent = 0;

        while (answered < n) {
                for (unsigned i = 0; i < FRESH_AT_ONCE; i++) {
                        Connection *c = &connections[i];
                        if (c->bus && c->waiting == 0)
                                c->bus = sd_bus_flush_close_unref(c->bus);
                        if (!c->bus && sent < n) {
                                if (send_call(c) < 0)
                                        return -1;
                                sent++;
                        }
                }
                if (process_all(connections, FRESH_AT_ONCE) < 0)
                        return -1;
        }
        for (unsigned i = 0; i < FRESH_AT_ONCE; i++)
                sd_bus_flush_close_unref(connections[i].bus);
        return 0;
}

int main(int argc, char *argv[]) {
        bool fresh = false;
        unsigned n;
        int i = 1;

        for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
                fresh |= strcmp(argv[i], "--fresh") == 0;
                progress |= strcmp(argv[i], "--progress") == 0;
                interactive |= strcmp(argv[i], "--interactive") == 0;
                to_polkit |= strcmp(argv[i], "--polkit") == 0;
                if (strncmp(argv[i], "--for=", 6) == 0)
                        until_usec = monotonic_usec() + (uint64_t) (atof(argv[i] + 6) * USEC_PER_SEC);
                if (strncmp(argv[i], "--call-timeout=", 15) == 0)
                        call_timeout_usec = (uint64_t) (atof(argv[i] + 15) * USEC_PER_SEC);
        }
        n = i < argc ? (unsigned) atoi(argv[i]) : 0;
        if (n == 0 || (!fresh && n > PER_CONNECTION * MAX_CONNECTIONS)) {
                fprintf(stderr,
                        "usage: flood-calls [--fresh | [--interactive] [--for=SECONDS] [--polkit]] [--call-timeout=SECONDS] [--progress] N\n"
                        "(1..%u without --fresh; with a system bus)\n",
                        PER_CONNECTION * MAX_CONNECTIONS);
                return 2;
        }
        if ((fresh ? flood_fresh(n) : flood_shared(n)) < 0)
                return 1;
        answer_kinds_print();
        return 0;
}
