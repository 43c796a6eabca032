/* SPDX-License-Identifier: MIT */
/* sysinfo-bus-bench: system_information as callers see it. SystemInformation() over the bus
 * (as root, so polkitd is not asked): the full call N times and each section alone, p50 and
 * p99 in µs, next to Ping() on the same connection (the bus's own round trip) so the daemon's
 * share shows; then harper-ops end to end (a process per call), when its path is given.
 *   sysinfo-bus-bench [-n N] [--harper-ops=PATH]      (uses $DBUS_SYSTEM_BUS_ADDRESS) */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "bench.h"
#include "sysops-names.h"

static const char *const sections[] = {
        "system", "time", "cpu", "memory", "disk", "network", "harperdb_processes", "table_size", "metrics",
        "threads", "replication", "unit_metrics", "process_threads", "database_files",
};

/* SystemInformation([section]), or with section NULL SystemInformation([]). */
static int call_system_information(sd_bus *bus, const char *section, sd_bus_error *error, sd_bus_message **reply) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, SYSOPS_BUS_NAME, SYSOPS_OBJECT_PATH, SYSOPS_INTERFACE,
                                           "SystemInformation");
        if (r < 0)
                return r;
        r = section ? sd_bus_message_append(m, "as", 1, section) : sd_bus_message_append(m, "as", 0);
        if (r < 0)
                return r;
        return sd_bus_call(bus, m, 0, error, reply);
}

/* One call: SystemInformation([section]) or, with section NULL, all; Ping() when ping. */
static int call_once(sd_bus *bus, const char *section, int ping) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        if (ping)
                r = sd_bus_call_method(bus, SYSOPS_BUS_NAME, SYSOPS_OBJECT_PATH, "org.freedesktop.DBus.Peer", "Ping",
                                       &error, &reply, "");
        else
                r = call_system_information(bus, section, &error, &reply);
        if (r < 0)
                fprintf(stderr, "sysinfo-bus-bench: %s: %s\n", section ? section : ping ? "Ping" : "full",
                        error.message ? error.message : strerror(-r));
        return r;
}

static int measure(sd_bus *bus, const char *label, const char *section, int ping, int n, double full_p50) {
        double *t = calloc((size_t) n, sizeof *t), p50, p99;

        if (!t)
                return -1;
        for (int i = 0; i < n; i++) {
                double start = (double) monotonic_usec();
                if (call_once(bus, section, ping) < 0) {
                        free(t);
                        return -1;
                }
                t[i] = (double) monotonic_usec() - start;
        }
        percentiles_p50_p99(t, n, &p50, &p99);
        free(t);
        if (full_p50 > 0)
                printf("%-20s %8.0f %8.0f %8.2f\n", label, p50, p99, p50 / full_p50);
        else
                printf("%-20s %8.0f %8.0f\n", label, p50, p99);
        return (int) p50;
}

static int harper_ops_once(const char *path) {
        pid_t pid;
        int status;

        fflush(stdout);   /* else the child prints what is buffered here once more */
        pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                if (!freopen("/dev/null", "w", stdout))
                        _exit(127);
                execl(path, path, "--no-ask-password", "{\"operation\":\"system_information\"}", (char *) NULL);
                _exit(127);
        }
        if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return -1;
        return 0;
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "harper-ops", required_argument, NULL, 'o' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        const char *harper_ops = NULL;
        int n = 1000, c, full;
        sd_bus *bus = NULL;

        while ((c = getopt_long(argc, argv, "n:h", options, NULL)) >= 0)
                switch (c) {
                case 'n':
                        n = atoi(optarg);
                        break;
                case 'o':
                        harper_ops = optarg;
                        break;
                case 'h':
                        printf("Usage: sysinfo-bus-bench [-n N] [--harper-ops=PATH]\n");
                        return 0;
                default:
                        return 64;
                }
        if (n < 10) {
                fprintf(stderr, "sysinfo-bus-bench: -n wants at least 10 calls\n");
                return 64;
        }
        if (sd_bus_open_system(&bus) < 0) {
                fprintf(stderr, "sysinfo-bus-bench: cannot connect to the system bus\n");
                return 1;
        }

        printf("SystemInformation over the bus, %d calls each (µs; ratio = p50 / full p50)\n", n);
        printf("%-20s %8s %8s %8s\n", "", "p50", "p99", "ratio");
        (void) call_once(bus, NULL, 0);   /* the first call samples the CPU since boot */
        full = measure(bus, "full", NULL, 0, n, 0);
        if (full < 0 || measure(bus, "Ping (bus only)", NULL, 1, n, full) < 0)
                return 1;
        for (size_t i = 0; i < ELEMENTSOF(sections); i++)
                if (measure(bus, sections[i], sections[i], 0, n / 5, full) < 0)
                        return 1;
        sd_bus_flush_close_unref(bus);

        if (harper_ops) {
                int runs = n / 10;
                double *t = calloc((size_t) runs, sizeof *t), p50, p99;

                if (!t)
                        return 1;
                for (int i = 0; i < runs; i++) {
                        double start = (double) monotonic_usec();
                        if (harper_ops_once(harper_ops) < 0) {
                                fprintf(stderr, "sysinfo-bus-bench: %s failed\n", harper_ops);
                                free(t);
                                return 1;
                        }
                        t[i] = (double) monotonic_usec() - start;
                }
                percentiles_p50_p99(t, runs, &p50, &p99);
                free(t);
                printf("harper-ops end to end, %d runs: p50 %.0f µs, p99 %.0f µs (%.1f× the bus call)\n", runs, p50,
                       p99, p50 / full);
        }
        return 0;
}
