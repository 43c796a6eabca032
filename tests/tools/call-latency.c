/* SPDX-License-Identifier: MIT */
/* call-latency [--fresh] N METHOD ARG...: N calls, one after the other, of
 * io.harperdb.SystemOperations1.METHOD with string arguments (GetStatus ID, SetStatus ID
 * STATUS), on one connection or (--fresh) each on a new one, as harper-ops calls. Prints
 * "ok K errors E timeouts T p50 P50 p99 P99 max MAX", times in µs from sending to the answer
 * (connecting not included); the first error's name and message go to stderr. A call waits
 * at most 30 s. A METHOD org.freedesktop.DBus.NAME calls the bus itself (dbus-daemon), for
 * what the bus alone costs. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "sysops-names.h"
#include "time-util.h"

#define CALL_TIMEOUT_USEC (30ULL * USEC_PER_SEC)
#define BUS_DRIVER "org.freedesktop.DBus"

static int by_value(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

/* One call on bus; its time in *ret_usec; 0 ok, 1 error, 2 timeout, <0 not sent. */
static int one_call(sd_bus *bus, const char *method, char **args, int n_args, uint64_t *ret_usec, bool *told) {
        sd_bus_message *call = NULL, *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        uint64_t t0;
        int r;

        if (strncmp(method, BUS_DRIVER ".", strlen(BUS_DRIVER) + 1) == 0)
                r = sd_bus_message_new_method_call(bus, &call, BUS_DRIVER, "/org/freedesktop/DBus", BUS_DRIVER,
                                                   method + strlen(BUS_DRIVER) + 1);
        else
                r = sd_bus_message_new_method_call(bus, &call, SYSOPS_BUS_NAME, SYSOPS_OBJECT_PATH, SYSOPS_INTERFACE,
                                                   method);
        for (int i = 0; r >= 0 && i < n_args; i++)
                r = sd_bus_message_append_basic(call, 's', args[i]);
        if (r < 0)
                return r;
        t0 = monotonic_usec();
        r = sd_bus_call(bus, call, CALL_TIMEOUT_USEC, &error, &reply);
        *ret_usec = monotonic_usec() - t0;
        if (r < 0 && !*told) {
                fprintf(stderr, "%s: %s\n", error.name ?: "?", error.message ?: strerror(-r));
                *told = true;
        }
        r = r >= 0 ? 0 : sd_bus_error_has_name(&error, SD_BUS_ERROR_NO_REPLY) ||
                                 sd_bus_error_has_name(&error, SD_BUS_ERROR_TIMEOUT) ? 2 : 1;
        sd_bus_error_free(&error);
        sd_bus_message_unref(reply);
        sd_bus_message_unref(call);
        return r;
}

int main(int argc, char *argv[]) {
        unsigned long outcome[3] = {};
        bool fresh = false, told = false;
        sd_bus *bus = NULL;
        uint64_t *usec;
        int i = 1, n;

        if (i < argc && strcmp(argv[i], "--fresh") == 0) {
                fresh = true;
                i++;
        }
        if (argc - i < 2 || (n = atoi(argv[i])) <= 0) {
                fprintf(stderr, "usage: call-latency [--fresh] N METHOD ARG...\n");
                return 2;
        }
        usec = calloc((size_t) n, sizeof *usec);
        if (!usec)
                return 1;
        for (int k = 0; k < n; k++) {
                int r;
                if (!bus && sd_bus_open_system(&bus) < 0) {
                        fprintf(stderr, "cannot connect to the system bus\n");
                        return 1;
                }
                r = one_call(bus, argv[i + 1], argv + i + 2, argc - i - 2, &usec[k], &told);
                if (r < 0)
                        return 1;
                outcome[r]++;
                if (fresh)
                        bus = sd_bus_flush_close_unref(bus);
        }
        qsort(usec, (size_t) n, sizeof *usec, by_value);
        printf("ok %lu errors %lu timeouts %lu p50 %llu p99 %llu max %llu\n", outcome[0], outcome[1], outcome[2],
               (unsigned long long) usec[n / 2], (unsigned long long) usec[(size_t) n * 99 / 100],
               (unsigned long long) usec[n - 1]);
        sd_bus_flush_close_unref(bus);
        free(usec);
        return 0;
}
