/* SPDX-License-Identifier: MIT */
/* sysinfo-bench: how long system_information takes to collect in-process on this machine.
 * N calls (default 1000) of the full collect and of each section alone, one state kept across
 * calls as the daemon keeps it; p50 and p99 in µs, and each section's p50 against the full
 * call's. Disk and network switched on; this process acts as the instance unit.
 *   sysinfo-bench [N] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "sysinfo.h"

/* p50 and p99 of n timed collects of the sections in mask */
static int run(SysinfoState *state, const SysinfoSources *src, unsigned mask, int n, double *p50, double *p99) {
        double *t = calloc((size_t) n, sizeof *t);

        if (!t)
                return -1;
        for (int i = 0; i < n; i++) {
                json_object *o = NULL;
                double start = (double) monotonic_usec();
                int r = sysinfo_collect(state, src, mask, &o);

                t[i] = (double) monotonic_usec() - start;
                json_object_put(o);
                if (r < 0) {
                        free(t);
                        return r;
                }
        }
        percentiles_p50_p99(t, n, p50, p99);
        free(t);
        return 0;
}

int main(int argc, char *argv[]) {
        int n = argc > 1 ? atoi(argv[1]) : 1000;
        SysinfoUnit unit = {
                .name = "harperdb.service", .role = "instance", .main_pid = (uint32_t) getpid(),
                .active_state = "active", .cpu_usage_nsec = UINT64_MAX, .memory_current = UINT64_MAX,
                .memory_peak = UINT64_MAX, .tasks_current = UINT64_MAX, .io_read_bytes = UINT64_MAX,
                .io_write_bytes = UINT64_MAX, .ip_ingress_bytes = UINT64_MAX, .ip_egress_bytes = UINT64_MAX,
                .n_restarts = UINT64_MAX,
        };
        SysinfoSources src = { .root = "", .disk = true, .network = true, .units = &unit, .n_units = 1 };
        SysinfoState *state = NULL;
        double full50, full99, p50, p99;

        if (n < 1 || sysinfo_state_new(&state) < 0)
                return 1;
        /* the first call reads the static data (cpuinfo, os-release): not what a caller sees after */
        if (run(state, &src, SYSINFO_ALL, 1, &p50, &p99) < 0 || run(state, &src, SYSINFO_ALL, n, &full50, &full99) < 0) {
                fprintf(stderr, "sysinfo_collect failed\n");
                return 1;
        }
        printf("sysinfo-bench: %d calls each, %ld CPUs online, no process cgroup (main pid only)\n",
               n, sysconf(_SC_NPROCESSORS_ONLN));
        printf("%-20s %10s %10s %8s\n", "section", "p50_us", "p99_us", "vs_full");
        printf("%-20s %10.1f %10.1f %8.2f\n", "full", full50, full99, 1.0);
        for (unsigned s = 0; s < _SYSINFO_SECTION_MAX; s++) {
                if (run(state, &src, 1u << s, n, &p50, &p99) < 0) {
                        fprintf(stderr, "sysinfo_collect (%s) failed\n", sysinfo_section_name(s));
                        return 1;
                }
                printf("%-20s %10.1f %10.1f %8.2f\n", sysinfo_section_name(s), p50, p99, p50 / full50);
        }
        sysinfo_state_free(state);
        return 0;
}
