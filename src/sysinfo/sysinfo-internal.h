/* Shared by the collectors: the per-call context (files several sections need are read at most
 * once per call), the state kept between calls, file reading under the root, JSON helpers. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "sysinfo-json.h"
#include "sysinfo-macro.h"
#include "sysinfo-read.h"
#include "sysinfo.h"

typedef struct CpuTimes {
        uint64_t user, nice, system, idle, irq, steal, guest;
} CpuTimes;

typedef struct CpuStatic {
        char *manufacturer, *brand, *vendor, *flags;
        double speed;                 /* GHz from the model name; 0 = not given there */
        unsigned cores, physical_cores, processors;
        bool virtualization;
} CpuStatic;

typedef struct OsRelease {
        char *distro, *release, *codename;
} OsRelease;

struct SysinfoState {
        char *root;                   /* the root the static data below belongs to */
        bool have_cpu, have_os;
        CpuStatic cpu;
        OsRelease os;
        char *kernel, *arch;
        bool have_sample;             /* previous /proc/stat sample, kept whatever the root */
        uint64_t sample_usec;
        CpuTimes total;
        CpuTimes *cpus;
        unsigned n_cpus;
};

typedef struct SysinfoCall {
        SysinfoState *state;
        const SysinfoSources *src;
        const char *root;
        uint64_t now_usec;
        long clk_tck;
        /* read on first use, freed at the end of the call */
        char *meminfo;
        int meminfo_r;
        double uptime;
        int uptime_r;
        char *mounts;
        int mounts_r;
} SysinfoCall;

/* The files more than one section needs, read at most once per call. */
int si_meminfo(SysinfoCall *c, const char **ret);
int si_uptime(SysinfoCall *c, double *ret);
int si_mounts(SysinfoCall *c, const char **ret);

/* The instance unit (role "instance", else the first unit), NULL when none. */
const SysinfoUnit *si_instance_unit(const SysinfoSources *src);

/* Section collectors: return 0 with *ret set, -ENOMEM, or another -errno (section → null). */
int sysinfo_system(SysinfoCall *c, json_object **ret);
int sysinfo_time(SysinfoCall *c, json_object **ret);
int sysinfo_cpu(SysinfoCall *c, json_object **ret);
int sysinfo_memory(SysinfoCall *c, json_object **ret);
int sysinfo_disk(SysinfoCall *c, json_object **ret);
int sysinfo_network(SysinfoCall *c, json_object **ret);
int sysinfo_harperdb_processes(SysinfoCall *c, json_object **ret);
int sysinfo_table_size(SysinfoCall *c, json_object **ret);
int sysinfo_metrics(SysinfoCall *c, json_object **ret);
int sysinfo_threads(SysinfoCall *c, json_object **ret);
int sysinfo_replication(SysinfoCall *c, json_object **ret);

void si_cpu_static_done(CpuStatic *s);
/* The number of logical CPUs (/proc/cpuinfo, parsed once per state). */
int si_cpu_count(SysinfoCall *c, unsigned *ret);
void si_os_release_done(OsRelease *o);
