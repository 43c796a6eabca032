/* SPDX-License-Identifier: MIT */
/* system_information: which sections were asked for, in which order they are answered, the
 * files several sections share (read at most once per call) and each collector's state kept
 * between calls. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sysinfo-call.h"
#include "sysinfo-cpu.h"
#include "sysinfo-disk.h"
#include "sysinfo-harper-figures.h"
#include "sysinfo-json.h"
#include "sysinfo-macro.h"
#include "sysinfo-memory.h"
#include "sysinfo-network.h"
#include "sysinfo-process.h"
#include "sysinfo-read.h"
#include "sysinfo-system.h"
#include "sysinfo-units.h"
#include "time-util.h"

static const SysinfoCollector collectors[_SYSINFO_SECTION_MAX] = {
        [SYSINFO_SYSTEM] = { "system", sysinfo_system, sysinfo_system_state_free },
        [SYSINFO_TIME] = { "time", sysinfo_time, NULL },
        [SYSINFO_CPU] = { "cpu", sysinfo_cpu, sysinfo_cpu_state_free },
        [SYSINFO_MEMORY] = { "memory", sysinfo_memory, NULL },
        [SYSINFO_DISK] = { "disk", sysinfo_disk, NULL },
        [SYSINFO_NETWORK] = { "network", sysinfo_network, NULL },
        [SYSINFO_HARPERDB_PROCESSES] = { "harperdb_processes", sysinfo_harperdb_processes, NULL },
        [SYSINFO_TABLE_SIZE] = { "table_size", sysinfo_harper_table_size, NULL },
        [SYSINFO_METRICS] = { "metrics", sysinfo_harper_metrics, NULL },
        [SYSINFO_THREADS] = { "threads", sysinfo_harper_threads, NULL },
        [SYSINFO_REPLICATION] = { "replication", sysinfo_harper_replication, NULL },
        [SYSINFO_UNIT_METRICS] = { "unit_metrics", sysinfo_unit_metrics, NULL },
        [SYSINFO_PROCESS_THREADS] = { "process_threads", sysinfo_process_threads, NULL },
        [SYSINFO_DATABASE_FILES] = { "database_files", sysinfo_database_files, NULL },
};

struct SysinfoState {
        char *root;                   /* the previous call's root */
        uint64_t root_generation;     /* bumped when the root changes */
        void *collector_state[_SYSINFO_SECTION_MAX];
};

/* A file read on first use: r is 0 before, 1 after a good read, -errno after a failed one. */
typedef struct CachedFile {
        char *text;
        int r;
} CachedFile;

struct CallCache {
        CachedFile meminfo, mounts, cpuinfo;
        double uptime;
        int uptime_r;
};

const char *sysinfo_section_name(SysinfoSection s) {
        if ((unsigned) s >= _SYSINFO_SECTION_MAX)
                return NULL;
        return collectors[s].name;
}

unsigned sysinfo_sections_from_json(json_object *attributes) {
        size_t n;
        unsigned mask = 0;

        if (!json_object_is_type(attributes, json_type_array))
                return SYSINFO_ALL;
        n = json_object_array_length(attributes);
        if (n == 0)
                return SYSINFO_ALL;
        for (size_t i = 0; i < n; i++) {
                json_object *a = json_object_array_get_idx(attributes, i);
                const char *name;

                if (!json_object_is_type(a, json_type_string))
                        continue;
                name = json_object_get_string(a);
                /* HarperDB's switch maps the old name; Harper 5's filter drops it first (a bug) */
                if (strcmp(name, "database_metrics") == 0)
                        name = "metrics";
                for (unsigned s = 0; s < _SYSINFO_SECTION_MAX; s++)
                        if (strcmp(name, collectors[s].name) == 0)
                                mask |= 1u << s;
        }
        return mask;
}

void *si_state(void **state, size_t size) {
        assert(state);

        if (!*state)
                *state = calloc(1, size);
        return *state;
}

/* Reads the first of root+paths[] (NULL-terminated) that can be read, on first use. */
static int cached_file(CachedFile *f, const char *root, const char *const *paths, const char **ret) {
        if (f->r == 0) {
                f->r = -ENOENT;
                for (const char *const *p = paths; *p && f->r < 0 && f->r != -ENOMEM; p++)
                        f->r = si_read_file(root, *p, &f->text);
                if (f->r >= 0)   /* read: from now on 1, whatever its length */
                        f->r = 1;
        }
        if (f->r < 0)
                return f->r;
        *ret = f->text;
        return 0;
}

int si_call_meminfo(SysinfoCall *c, const char **ret) {
        return cached_file(&c->cache->meminfo, c->root, (const char *const[]) { "/proc/meminfo", NULL }, ret);
}

/* PID 1's mount table first: the host's view (in a ProtectSystem=strict namespace the own table
 * says every mount is read-only); the own one where PID 1's cannot be read (hidepid=). The
 * mount points are the same paths in both (the daemon shares PID 1's root directory). */
int si_call_mounts(SysinfoCall *c, const char **ret) {
        return cached_file(&c->cache->mounts, c->root,
                           (const char *const[]) { "/proc/1/mounts", "/proc/self/mounts", "/proc/mounts", NULL }, ret);
}

int si_call_cpuinfo(SysinfoCall *c, const char **ret) {
        return cached_file(&c->cache->cpuinfo, c->root, (const char *const[]) { "/proc/cpuinfo", NULL }, ret);
}

int si_call_cpu_count(SysinfoCall *c, unsigned *ret) {
        const char *cpuinfo;
        int r;

        assert(c);
        assert(ret);

        r = si_call_cpuinfo(c, &cpuinfo);
        if (r < 0)
                return r;
        *ret = si_cpuinfo_processors(cpuinfo) ?: 1;
        return 0;
}

int si_call_uptime(SysinfoCall *c, double *ret) {
        CallCache *cache;

        assert(c);
        assert(ret);
        cache = c->cache;

        if (cache->uptime_r == 0) {
                _cleanup_free_ char *s = NULL;

                cache->uptime_r = si_read_file(c->root, "/proc/uptime", &s);
                if (cache->uptime_r >= 0)
                        cache->uptime_r = sscanf(s, "%lf", &cache->uptime) == 1 ? 1 : -EINVAL;
        }
        if (cache->uptime_r < 0)
                return cache->uptime_r;
        *ret = cache->uptime;
        return 0;
}

static void call_cache_done(CallCache *cache) {
        free(cache->meminfo.text);
        free(cache->mounts.text);
        free(cache->cpuinfo.text);
}

const SysinfoUnit *si_instance_unit(const SysinfoSources *src) {
        assert(src);

        for (size_t i = 0; i < src->n_units; i++)
                if (streq_ptr(src->units[i].role, "instance"))
                        return &src->units[i];
        return src->n_units > 0 ? &src->units[0] : NULL;
}

int sysinfo_state_new(SysinfoState **ret) {
        SysinfoState *s;

        assert(ret);

        s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

SysinfoState *sysinfo_state_free(SysinfoState *s) {
        if (!s)
                return NULL;
        for (unsigned i = 0; i < _SYSINFO_SECTION_MAX; i++)
                if (collectors[i].free_state && s->collector_state[i])
                        collectors[i].free_state(s->collector_state[i]);
        free(s->root);
        free(s);
        return NULL;
}

/* The context of one call: its root (tests switch fixture trees), time and clock ticks. */
static int call_begin(SysinfoState *state, const SysinfoSources *src, SysinfoCall *c) {
        c->src = src;
        c->root = src->root ? src->root : "";
        if (!streq_ptr(state->root, c->root)) {
                state->root_generation++;
                free(state->root);
                state->root = strdup(c->root);
                if (!state->root)
                        return -ENOMEM;
        }
        c->root_generation = state->root_generation;

        c->realtime_usec = src->realtime_usec ?: realtime_usec();
        c->clk_tck = sysconf(_SC_CLK_TCK);
        if (c->clk_tck <= 0)
                c->clk_tck = 100;
        return 0;
}

int sysinfo_collect(SysinfoState *state, const SysinfoSources *src, unsigned sections, json_object **ret) {
        _cleanup_json_ json_object *o = NULL;
        _cleanup_(call_cache_done) CallCache cache = {};
        SysinfoCall c = { .cache = &cache };
        int r;

        if (!state || !src || !ret)
                return -EINVAL;
        r = call_begin(state, src, &c);
        if (r < 0)
                return r;
        o = json_object_new_object();
        if (!o)
                return -ENOMEM;

        for (unsigned s = 0; s < _SYSINFO_SECTION_MAX; s++) {
                json_object *v = NULL;

                if (!(sections & (1u << s)))
                        continue;
                r = collectors[s].collect(&c, &state->collector_state[s], &v);
                if (r == -ENOMEM)
                        return r;
                /* a kernel interface that cannot be read: Harper answers null for the section */
                if (r < 0)
                        v = NULL;
                r = si_add(o, collectors[s].name, v);
                if (r < 0)
                        return r;
        }
        if (sysinfo_harper_needed(sections)) {
                json_object *status = si_harper_status(src->harper);

                if (!status)
                        return -ENOMEM;
                r = si_add(o, "harper", status);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(o);
        return 0;
}

int sysinfo_join(json_object *first, json_object *second, json_object **ret) {
        _cleanup_json_ json_object *o = NULL;
        int r;

        assert(ret);

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        for (unsigned s = 0; s <= _SYSINFO_SECTION_MAX; s++) {
                const char *key = s < _SYSINFO_SECTION_MAX ? collectors[s].name : "harper";
                json_object *v;

                if (!json_object_object_get_ex(first, key, &v) && !json_object_object_get_ex(second, key, &v))
                        continue;
                r = si_add(o, key, json_object_get(v));
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(o);
        return 0;
}
