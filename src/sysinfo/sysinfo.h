/* SPDX-License-Identifier: MIT */
/* Harper's system_information, collected from the kernel's own interfaces (/proc, /sys,
 * statvfs, getifaddrs) under a root prefix so tests can feed fixture trees, merged with what
 * only Harper knows (its own answers, asked by the daemon). No bus types: the daemon fills
 * SysinfoSources (systemd units, peers, config switches, Harper's answers) and replies with
 * the JSON. Field names and units: harper-behaviour.md §4; choices: src/sysinfo/README.md. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* In Harper's key order, then this project's own sections (systemd's and the kernel's views,
 * under keys Harper does not use): the answer lists sections in this order whatever order was
 * asked. */
typedef enum SysinfoSection {
        SYSINFO_SYSTEM,
        SYSINFO_TIME,
        SYSINFO_CPU,
        SYSINFO_MEMORY,
        SYSINFO_DISK,
        SYSINFO_NETWORK,
        SYSINFO_HARPERDB_PROCESSES,
        SYSINFO_TABLE_SIZE,
        SYSINFO_METRICS,
        SYSINFO_THREADS,
        SYSINFO_REPLICATION,
        SYSINFO_UNIT_METRICS,         /* systemd's accounting per Harper unit */
        SYSINFO_PROCESS_THREADS,      /* the kernel's tasks of the instance's main process */
        SYSINFO_DATABASE_FILES,       /* the database files in Harper's data directory */
        _SYSINFO_SECTION_MAX,
} SysinfoSection;

#define SYSINFO_ALL ((1u << _SYSINFO_SECTION_MAX) - 1)

/* Harper's input rules: NULL, not an array, or an empty array → all sections; unknown or
 * non-string entries are ignored; duplicates are harmless; "database_metrics" is an alias of
 * "metrics" (as HarperDB 4.x's switch has it). Returns a bit mask of 1u << SysinfoSection. */
unsigned sysinfo_sections_from_json(json_object *attributes);

/* Harper's name of a section ("harperdb_processes"), NULL when out of range. */
const char *sysinfo_section_name(SysinfoSection s);

/* One systemd unit, filled by the daemon. UINT64_MAX = unknown → JSON null. */
typedef struct SysinfoUnit {
        const char *name;             /* "harperdb.service" */
        const char *role;             /* "instance", "worker", "clustering" */
        const char *control_group;    /* systemd's ControlGroup, "/system.slice/harperdb.service"; NULL/"" = none */
        uint32_t main_pid;            /* 0 = none */
        const char *active_state;
        uint64_t cpu_usage_nsec, memory_current, memory_peak, tasks_current, io_read_bytes, io_write_bytes,
                 ip_ingress_bytes, ip_egress_bytes, n_restarts;
        uint64_t active_enter_usec;   /* CLOCK_REALTIME µs, 0 = never */
} SysinfoUnit;

/* How the configuration reaches a node (sysops-config.h's PeerConfig, by Harper's name): address
 * is a D-Bus address or "ssh:HOST"; NULL and exclude when the node is left out. */
typedef struct SysinfoPeer {
        const char *name, *address;
        bool exclude;
} SysinfoPeer;

/* The questions to Harper that only it can answer: its own system_information (memory's heap,
 * system's node/npm versions, threads, metrics), describe_all (table_size) and cluster_status
 * (replication). */
typedef enum SysinfoHarperQuestion {
        SYSINFO_HARPER_SYSTEM_INFORMATION,
        SYSINFO_HARPER_DESCRIBE_ALL,
        SYSINFO_HARPER_CLUSTER_STATUS,
        _SYSINFO_HARPER_QUESTION_MAX,
} SysinfoHarperQuestion;

/* Harper's answers for one call (borrowed). answers[q]: Harper's JSON, NULL when not asked or
 * not answered; error: why Harper could not be asked (one sentence), NULL when it answered
 * every question asked. */
typedef struct SysinfoHarper {
        json_object *answers[_SYSINFO_HARPER_QUESTION_MAX];
        const char *error;
} SysinfoHarper;

/* The body of question q that the sections need (system_information with only the attributes
 * they need), *ret NULL when they need none. Returns 0 or -ENOMEM. */
int sysinfo_harper_question(SysinfoHarperQuestion q, unsigned sections, json_object **ret);
/* Whether any of the sections in the mask needs Harper. */
bool sysinfo_harper_needed(unsigned sections);

typedef struct SysinfoSources {
        const char *root;             /* "" or NULL = this machine; else a fixture tree prefix */
        const char *cgroup_mount;     /* cgroup2 mount under root; NULL = detect (/sys/fs/cgroup if cgroup2, else /sys/fs/cgroup/unified) */
        const char *data_dir;         /* Harper's data directory (table_size), not under root; NULL = none */
        bool disk, network;           /* config switches (Harper: operationsApi.sysInfo.{disk,network}) */
        const SysinfoUnit *units;     /* instance first, then workers, then clustering */
        size_t n_units;
        const SysinfoPeer *peers;
        size_t n_peers;
        uint64_t realtime_usec;       /* CLOCK_REALTIME µs; 0 = read the clock (fixtures pass a fixed value) */
        const SysinfoHarper *harper;  /* NULL = Harper was not asked */
} SysinfoSources;

/* What the daemon keeps between calls: the previous /proc/stat sample (CPU load since the last
 * call) and static data (CPU model and flags, os-release, kernel, arch), dropped when the root
 * changes. */
typedef struct SysinfoState SysinfoState;

int sysinfo_state_new(SysinfoState **ret);
SysinfoState *sysinfo_state_free(SysinfoState *s);

/* Collects the sections in the mask into a new JSON object, in Harper's key order. A section
 * whose kernel interface cannot be read is null (Harper's failure value), as are the figures
 * Harper did not give; when a section needs Harper, the key "harper" says whether it answered
 * ({"answered":true}, or false with "error"). The call itself fails (negative errno) only when
 * out of memory or on bad arguments. */
int sysinfo_collect(SysinfoState *state, const SysinfoSources *src, unsigned sections, json_object **ret);

/* One answer from two parts, each from sysinfo_collect for other sections (one collected
 * early, say, while Harper was still asked): their keys in Harper's key order, "harper" last.
 * Both parts stay as they are. */
int sysinfo_join(json_object *first, json_object *second, json_object **ret);
