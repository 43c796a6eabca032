/* flood-calls N: sends N SetStatus calls without waiting, 100 per connection (dbus-daemon lets
 * one connection wait for 128 replies), then collects the answers and prints how many ended
 * how ("ok" or the D-Bus error name), one "COUNT NAME" line each, sorted by name. For the
 * per-caller limit of calls waiting for polkit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "sysops-names.h"

#define MAX_KINDS 8

static struct { char name[128]; unsigned count; } kinds[MAX_KINDS];
static unsigned answered;

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const sd_bus_error *e = sd_bus_message_get_error(m);
        const char *name = e ? e->name : "ok";
        unsigned i = 0;

        while (i < MAX_KINDS && kinds[i].count && strcmp(kinds[i].name, name) != 0)
                i++;
        if (i < MAX_KINDS) {
                snprintf(kinds[i].name, sizeof kinds[i].name, "%s", name);
                kinds[i].count++;
        }
        answered++;
        return 0;
}

static int by_name(const void *a, const void *b) {
        return strcmp(((const char *) a), ((const char *) b));
}

#define PER_CONNECTION 100
#define MAX_CONNECTIONS 16

int main(int argc, char *argv[]) {
        unsigned n = argc > 1 ? (unsigned) atoi(argv[1]) : 0, n_buses = (n + PER_CONNECTION - 1) / PER_CONNECTION;
        sd_bus *buses[MAX_CONNECTIONS] = {};
        int rc = 0;

        if (n == 0 || n_buses > MAX_CONNECTIONS) {
                fprintf(stderr, "usage: flood-calls N (1..%u, with a system bus)\n", PER_CONNECTION * MAX_CONNECTIONS);
                return 2;
        }
        for (unsigned i = 0; i < n; i++) {
                sd_bus **bus = &buses[i / PER_CONNECTION];
                if ((!*bus && sd_bus_open_system(bus) < 0) ||
                    sd_bus_call_method_async(*bus, NULL, SYSOPS_BUS_NAME, SYSOPS_OBJECT_PATH, SYSOPS_INTERFACE,
                                             "SetStatus", on_reply, NULL, "ss", "maintenance", "flood") < 0)
                        return 1;
        }
        while (answered < n) {
                int progress = 0;
                for (unsigned b = 0; b < n_buses; b++) {
                        int r;
                        while ((r = sd_bus_process(buses[b], NULL)) > 0)
                                progress = 1;
                        if (r < 0)
                                return 1;
                }
                /* every connection is waited on in turn; 10 ms keeps the others moving */
                if (!progress && answered < n)
                        (void) sd_bus_wait(buses[0], 10000);
        }
        qsort(kinds, MAX_KINDS, sizeof kinds[0], by_name);
        for (unsigned i = 0; i < MAX_KINDS; i++)
                if (kinds[i].count)
                        printf("%u %s\n", kinds[i].count, kinds[i].name);
        for (unsigned b = 0; b < n_buses; b++)
                sd_bus_flush_close_unref(buses[b]);
        return rc;
}
