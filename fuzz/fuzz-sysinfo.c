/* SPDX-License-Identifier: MIT */
/* The system_information collectors (src/sysinfo) on fuzzed kernel files under a root prefix:
 * a copy of the one-cpu fixture tree in which the input replaces the files below, in this
 * order, separated by lines "@@@" (a file the input does not reach keeps the fixture's text).
 * Every section is collected twice with one state, as two calls to the daemon would. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "sysinfo-read.h"
#include "sysinfo.h"

#define SEPARATOR "\n@@@\n"

static const char *const files[] = {
        "proc/stat", "proc/meminfo", "proc/cpuinfo", "proc/uptime", "proc/loadavg", "proc/diskstats",
        "proc/net/dev", "proc/net/route", "proc/self/mounts", "proc/100/stat", "proc/100/status",
        "proc/100/cmdline", "proc/100/task/105/stat", "proc/101/stat",
        "sys/fs/cgroup/system.slice/harperdb.service/cgroup.procs", "sysinfo-ifaddrs", "sysinfo-statvfs",
        "etc/os-release", "etc/passwd",
};
#define N_FILES (sizeof files / sizeof files[0])

static char root[PATH_MAX], data_dir[PATH_MAX + 8];
static char *fixture_text[N_FILES];
static int fixture_length[N_FILES];

static const SysinfoUnit units[] = {
        { .name = "harperdb.service", .role = "instance", .control_group = "/system.slice/harperdb.service",
          .main_pid = 100, .active_state = "active", .cpu_usage_nsec = 123456789, .memory_current = 104857600,
          .memory_peak = UINT64_MAX, .tasks_current = 12, .io_read_bytes = 4096, .io_write_bytes = 8192,
          .ip_ingress_bytes = UINT64_MAX, .ip_egress_bytes = UINT64_MAX, .n_restarts = 2,
          .active_enter_usec = UINT64_C(1700000500000000) },
        { .name = "harperdb-http@1.service", .role = "worker", .control_group = "/system.slice/harperdb-http@1.service",
          .main_pid = 101, .active_state = "active", .cpu_usage_nsec = UINT64_MAX, .memory_current = UINT64_MAX,
          .memory_peak = UINT64_MAX, .tasks_current = UINT64_MAX, .io_read_bytes = UINT64_MAX,
          .io_write_bytes = UINT64_MAX, .ip_ingress_bytes = UINT64_MAX, .ip_egress_bytes = UINT64_MAX },
};
static const SysinfoPeer peers[] = { { .name = "node-b", .address = "10.0.0.6" } };

/* The fixture tree, copied once; its texts kept to put back what an input leaves out. */
static void setup(void) {
        char command[2 * PATH_MAX];

        snprintf(root, sizeof root, "%s/root", fuzz_temp_dir());
        snprintf(data_dir, sizeof data_dir, "%s/hdb", root);
        snprintf(command, sizeof command, "cp -a '%s' '%s'", SYSINFO_FIXTURE, root);
        if (system(command) != 0)
                abort();
        for (size_t i = 0; i < N_FILES; i++) {
                char path[PATH_MAX];
                snprintf(path, sizeof path, "/%s", files[i]);
                fixture_length[i] = si_read_file(root, path, &fixture_text[i]);
                if (fixture_length[i] < 0)
                        abort();
        }
}

static void write_files(const uint8_t *data, size_t size) {
        const char *at = (const char *) data, *end = at + size;

        for (size_t i = 0; i < N_FILES; i++) {
                const char *next = at ? memmem(at, (size_t) (end - at), SEPARATOR, strlen(SEPARATOR)) : NULL;

                if (at)
                        fuzz_write_file(root, files[i], (const uint8_t *) at, (size_t) ((next ?: end) - at));
                else
                        fuzz_write_file(root, files[i], (const uint8_t *) fixture_text[i], (size_t) fixture_length[i]);
                at = next ? next + strlen(SEPARATOR) : NULL;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        SysinfoSources src = {
                .root = root, .data_dir = data_dir, .disk = true, .network = true,
                .units = units, .n_units = 2, .peers = peers, .n_peers = 1,
                .realtime_usec = UINT64_C(1700001000500000),
        };
        SysinfoState *state = NULL;

        if (!root[0])
                setup();
        write_files(data, size);
        if (sysinfo_state_new(&state) < 0)
                abort();
        for (int call = 0; call < 2; call++) {
                json_object *o = NULL;
                if (sysinfo_collect(state, &src, SYSINFO_ALL, &o) < 0 || !o)
                        abort();   /* only out of memory may fail the call */
                json_object_to_json_string(o);
                json_object_put(o);
        }
        sysinfo_state_free(state);
        return 0;
}
