/* SPDX-License-Identifier: MIT */
/* What a section collector gets from the dispatcher (sysinfo.c): the call's context, the files
 * several sections need (read at most once per call), and the shape of a collector. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "sysinfo.h"

typedef struct CallCache CallCache;

typedef struct SysinfoCall {
        const SysinfoSources *src;
        const char *root;             /* src->root, "" for this machine */
        uint64_t realtime_usec;       /* CLOCK_REALTIME µs of this call */
        long clk_tck;
        /* never 0, and changes whenever the root differs from the previous call's: static data
         * a collector keeps from a call of another generation was read under another root */
        uint64_t root_generation;
        CallCache *cache;             /* the dispatcher's; use the si_call_* functions */
} SysinfoCall;

/* A section: Harper's name and its collector, called by the dispatcher only (c and ret are
 * never NULL). collect() returns 0 with *ret set, -ENOMEM, or another -errno (the section
 * becomes null); *state is the collector's own, kept between calls (NULL until it sets it, see
 * si_state()), freed with free_state (NULL = nothing to free). */
typedef struct SysinfoCollector {
        const char *name;
        int (*collect)(SysinfoCall *c, void **state, json_object **ret);
        void (*free_state)(void *state);
} SysinfoCollector;

/* The collector's state in *state, allocated zeroed (size bytes) on first use; NULL on ENOMEM. */
void *si_state(void **state, size_t size);

/* /proc/meminfo, /proc/uptime, the mount table, /proc/cpuinfo: read on first use in the call.
 * Return 0 or the -errno of the read (the same on every use in the call). */
int si_call_meminfo(SysinfoCall *c, const char **ret);
int si_call_uptime(SysinfoCall *c, double *ret);
int si_call_mounts(SysinfoCall *c, const char **ret);
int si_call_cpuinfo(SysinfoCall *c, const char **ret);
/* The number of logical CPUs in /proc/cpuinfo, at least 1. */
int si_call_cpu_count(SysinfoCall *c, unsigned *ret);

/* The instance unit (role "instance", else the first unit), NULL when none. */
const SysinfoUnit *si_instance_unit(const SysinfoSources *src);
