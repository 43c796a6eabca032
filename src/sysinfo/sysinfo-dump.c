/* SPDX-License-Identifier: MIT */
/* sysinfo-dump: prints system_information of this machine (or of a fixture tree) as JSON, for
 * the live cross-check test and by hand. Not installed.
 *
 *   sysinfo-dump [--root DIR] [--data-dir DIR] [--instance-pid PID] [--no-disk] [--no-network]
 *                [--pretty] [--repeat N] [JSON-ATTRIBUTES]
 *
 * --instance-pid makes PID the main process of a pretend "harperdb.service" whose cgroup is the
 * PID's own (from /proc/PID/cgroup), so processes, process_threads, rss and process_uptime have
 * data. No Harper is asked: what only Harper knows is null. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json-util.h"
#include "macro.h"
#include "sysinfo.h"

static char *own_cgroup(uint32_t pid) {
        char path[64], line[4096];
        _cleanup_fclose_ FILE *f = NULL;

        snprintf(path, sizeof path, "/proc/%u/cgroup", pid);
        f = fopen(path, "re");
        if (!f)
                return NULL;
        while (fgets(line, sizeof line, f))
                if (strncmp(line, "0::", 3) == 0) {         /* the unified hierarchy's line */
                        line[strcspn(line, "\n")] = 0;
                        return strdup(line + 3);
                }
        return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(SysinfoState *, sysinfo_state_free);

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "root", required_argument, NULL, 'r' },
                { "data-dir", required_argument, NULL, 'd' },
                { "instance-pid", required_argument, NULL, 'p' },
                { "no-disk", no_argument, NULL, 'D' },
                { "no-network", no_argument, NULL, 'N' },
                { "pretty", no_argument, NULL, 'P' },
                { "repeat", required_argument, NULL, 'n' },
                {}
        };
        SysinfoSources src = { .root = "", .disk = true, .network = true };
        SysinfoUnit unit = {
                .name = "harperdb.service", .role = "instance", .active_state = "active",
                .cpu_usage_nsec = UINT64_MAX, .memory_current = UINT64_MAX, .memory_peak = UINT64_MAX,
                .tasks_current = UINT64_MAX, .io_read_bytes = UINT64_MAX, .io_write_bytes = UINT64_MAX,
                .ip_ingress_bytes = UINT64_MAX, .ip_egress_bytes = UINT64_MAX, .n_restarts = UINT64_MAX,
        };
        _cleanup_json_ json_object *attributes = NULL, *out = NULL;
        _cleanup_(sysinfo_state_freep) SysinfoState *state = NULL;
        _cleanup_free_ char *cgroup = NULL;
        int flags = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, repeat = 1, c, r;
        unsigned sections;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'r': src.root = optarg; break;
                case 'd': src.data_dir = optarg; break;
                case 'p':
                        unit.main_pid = (uint32_t) strtoul(optarg, NULL, 10);
                        break;
                case 'D': src.disk = false; break;
                case 'N': src.network = false; break;
                case 'P': flags = JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE; break;
                case 'n': repeat = atoi(optarg); break;
                default: return 64;
                }
        if (optind < argc) {
                attributes = json_tokener_parse(argv[optind]);
                if (!attributes) {
                        fprintf(stderr, "not JSON: %s\n", argv[optind]);
                        return 64;
                }
        }
        if (unit.main_pid > 0) {
                cgroup = own_cgroup(unit.main_pid);
                unit.control_group = cgroup;
                src.units = &unit;
                src.n_units = 1;
        }
        sections = sysinfo_sections_from_json(attributes);

        r = sysinfo_state_new(&state);
        for (int i = 0; r >= 0 && i < repeat; i++) {
                json_object_put(TAKE_PTR(out));
                r = sysinfo_collect(state, &src, sections, &out);
        }
        if (r < 0) {
                fprintf(stderr, "sysinfo_collect: %s\n", strerror(-r));
                return 1;
        }
        printf("%s\n", json_object_to_json_string_ext(out, flags));
        return 0;
}
