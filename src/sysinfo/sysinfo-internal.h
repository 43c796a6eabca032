/* Shared by the collectors: the per-call context (files several sections need are read at most
 * once per call), the state kept between calls, file reading under the root, JSON helpers. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

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

/* Reads root+path whole into a NUL-terminated buffer. Returns the length or -errno. */
int si_read_file(const char *root, const char *path, char **ret);
/* Reads the first line of root+path (trailing newline cut) into a new string. */
int si_read_line(const char *root, const char *path, char **ret);
/* Reads an unsigned decimal (first word) from root+path. */
int si_read_u64(const char *root, const char *path, uint64_t *ret);

/* The files more than one section needs, read at most once per call. */
int si_meminfo(SysinfoCall *c, const char **ret);
int si_uptime(SysinfoCall *c, double *ret);
int si_mounts(SysinfoCall *c, const char **ret);

/* The kB value of "key:" in /proc/meminfo text, as bytes; UINT64_MAX when missing. */
uint64_t si_meminfo_bytes(const char *meminfo, const char *key);

/* The instance unit (role "instance", else the first unit), NULL when none. */
const SysinfoUnit *si_instance_unit(const SysinfoSources *src);

/* The fields of /proc/<pid>/stat we use (proc(5) numbering in si_proc_stat()). */
#define SI_STAT_FIELDS 50
typedef struct ProcStat {
        char comm[64];
        char state;
        long long ppid, tty_nr, utime, stime, priority, nice, starttime, vsize, rss;
} ProcStat;
int si_proc_stat(const char *root, const char *path, ProcStat *ret);

/* JSON helpers. A scalar that cannot be allocated becomes null; containers are checked. */
json_object *si_json_u64(uint64_t v);              /* UINT64_MAX → null */
json_object *si_json_double(double d);             /* shortest text that reads back as d */
json_object *si_json_string(const char *s);        /* NULL → null */
int si_add(json_object *o, const char *key, json_object *v);
int si_append(json_object *a, json_object *v);
double si_round(double d, int decimals);

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

/* Local time "YYYY-MM-DD HH:MM:SS" of a CLOCK_REALTIME µs value, as si's processes() gives it. */
void si_format_local(uint64_t usec, char buf[static 20]);

static inline bool si_streq(const char *a, const char *b) {
        return a && b && __builtin_strcmp(a, b) == 0;
}

static inline void si_freep(void *p) {
        extern void free(void *);
        free(*(void **) p);
}
#define _cleanup_free_ __attribute__((cleanup(si_freep)))

static inline void si_json_putp(json_object **p) {
        json_object_put(*p);
}
#define _cleanup_json_ __attribute__((cleanup(si_json_putp)))
