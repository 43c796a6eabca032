/* SPDX-License-Identifier: MIT */
/* unread-calls MODE CONNECTIONS SECONDS: a plain user's attacks on harper-sysopsd's share of the
 * bus (issue 22), run for SECONDS, then "sent N" (and for flood, one "COUNT NAME" line per way
 * the calls ended) on stdout.
 *   unread    each connection keeps sending GetManagedObjects (whose answer holds every job),
 *             as many as dbus-daemon lets it wait for, and never reads an answer
 *   noreply   the same calls flagged NO_REPLY_EXPECTED, as fast as they can be written
 *   flood     GetJob("none"), keeping 128 calls in flight on each connection, reading every answer
 * Prints "started" on stderr once every connection is open, for a test to wait on. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <systemd/sd-bus.h>

#include "answer-kinds.h"
#include "sysops-names.h"
#include "time-util.h"

#define MAX_CONNECTIONS 256
#define IN_FLIGHT 128

typedef enum Mode { MODE_UNREAD, MODE_NOREPLY, MODE_FLOOD } Mode;

static unsigned long sent;

typedef struct Connection {
        sd_bus *bus;
        unsigned waiting;
} Connection;

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Connection *c = userdata;

        answer_kinds_count(m);
        c->waiting--;
        return 0;
}

static int new_call(sd_bus *bus, Mode mode, sd_bus_message **ret) {
        int r;

        if (mode == MODE_FLOOD) {
                r = sd_bus_message_new_method_call(bus, ret, SYSOPS_BUS_NAME, SYSOPS_OBJECT_PATH, SYSOPS_INTERFACE,
                                                   "GetJob");
                return r < 0 ? r : sd_bus_message_append(*ret, "s", "none");
        }
        r = sd_bus_message_new_method_call(bus, ret, SYSOPS_BUS_NAME, "/", "org.freedesktop.DBus.ObjectManager",
                                           "GetManagedObjects");
        if (r < 0 || mode == MODE_UNREAD)
                return r;
        return sd_bus_message_set_expect_reply(*ret, 0);
}

/* One round for c: calls sent (up to how many this mode keeps in flight), answers read in flood. */
static int round_for(Connection *c, Mode mode) {
        int r;

        for (unsigned i = 0; i < (mode == MODE_NOREPLY ? 64u : IN_FLIGHT); i++) {
                sd_bus_message *call = NULL;
                uint64_t cookie;

                if (mode == MODE_FLOOD && c->waiting >= IN_FLIGHT)
                        break;
                r = new_call(c->bus, mode, &call);
                if (r >= 0)
                        r = mode == MODE_FLOOD ? sd_bus_call_async(c->bus, NULL, call, on_reply, c, 0) :
                                                 /* without a cookie sd-bus would flag it NO_REPLY_EXPECTED */
                                                 sd_bus_send(c->bus, call, mode == MODE_UNREAD ? &cookie : NULL);
                sd_bus_message_unref(call);
                if (r == -ENOBUFS)   /* sd-bus's own queue is full: the bus is not reading us */
                        break;
                if (r < 0)
                        return r;
                sent++;
                c->waiting += mode == MODE_FLOOD;
        }
        if (mode != MODE_FLOOD)
                return sd_bus_flush(c->bus);   /* writes only: answers stay unread */
        while ((r = sd_bus_process(c->bus, NULL)) > 0)
                ;
        return r;
}

int main(int argc, char *argv[]) {
        static Connection connections[MAX_CONNECTIONS];
        Mode mode;
        unsigned n;
        uint64_t end;

        if (argc != 4 || (n = (unsigned) atoi(argv[2])) == 0 || n > MAX_CONNECTIONS || atoi(argv[3]) <= 0) {
                fprintf(stderr, "usage: unread-calls unread|noreply|flood CONNECTIONS(1..%d) SECONDS\n", MAX_CONNECTIONS);
                return 2;
        }
        mode = strcmp(argv[1], "noreply") == 0 ? MODE_NOREPLY : strcmp(argv[1], "flood") == 0 ? MODE_FLOOD : MODE_UNREAD;
        /* each connection is through Hello before anything is sent: sd-bus would otherwise keep
         * the calls until it is processed, which unread and noreply never do */
        for (unsigned i = 0; i < n; i++) {
                const char *unique;
                if (sd_bus_open_system(&connections[i].bus) < 0 ||
                    sd_bus_get_unique_name(connections[i].bus, &unique) < 0) {
                        fprintf(stderr, "cannot connect to the system bus\n");
                        return 1;
                }
        }
        fprintf(stderr, "started\n");
        end = monotonic_usec() + (uint64_t) atoi(argv[3]) * USEC_PER_SEC;
        while (monotonic_usec() < end) {
                for (unsigned i = 0; i < n; i++)
                        if (round_for(&connections[i], mode) < 0)
                                return 1;
                if (mode == MODE_UNREAD)
                        sleep(5);   /* tops up what timed out; dbus-daemon refuses the rest */
                else if (mode == MODE_FLOOD)
                        (void) sd_bus_wait(connections[0].bus, 1000);
        }
        printf("sent %lu\n", sent);
        answer_kinds_print();
        return 0;
}
