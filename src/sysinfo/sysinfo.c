/* system_information: which sections were asked for, in which order they are answered, and the
 * state kept between calls. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <stdio.h>
#include <unistd.h>

#include "sysinfo-internal.h"

static const char *const section_names[_SYSINFO_SECTION_MAX] = {
        [SYSINFO_SYSTEM] = "system",
        [SYSINFO_TIME] = "time",
        [SYSINFO_CPU] = "cpu",
        [SYSINFO_MEMORY] = "memory",
        [SYSINFO_DISK] = "disk",
        [SYSINFO_NETWORK] = "network",
        [SYSINFO_HARPERDB_PROCESSES] = "harperdb_processes",
        [SYSINFO_TABLE_SIZE] = "table_size",
        [SYSINFO_METRICS] = "metrics",
        [SYSINFO_THREADS] = "threads",
        [SYSINFO_REPLICATION] = "replication",
};

static int (*const collectors[_SYSINFO_SECTION_MAX])(SysinfoCall *c, json_object **ret) = {
        [SYSINFO_SYSTEM] = sysinfo_system,
        [SYSINFO_TIME] = sysinfo_time,
        [SYSINFO_CPU] = sysinfo_cpu,
        [SYSINFO_MEMORY] = sysinfo_memory,
        [SYSINFO_DISK] = sysinfo_disk,
        [SYSINFO_NETWORK] = sysinfo_network,
        [SYSINFO_HARPERDB_PROCESSES] = sysinfo_harperdb_processes,
        [SYSINFO_TABLE_SIZE] = sysinfo_table_size,
        [SYSINFO_METRICS] = sysinfo_metrics,
        [SYSINFO_THREADS] = sysinfo_threads,
        [SYSINFO_REPLICATION] = sysinfo_replication,
};

int si_meminfo(SysinfoCall *c, const char **ret) {
        if (!c->meminfo && c->meminfo_r == 0) {
                c->meminfo_r = si_read_file(c->root, "/proc/meminfo", &c->meminfo);
                if (c->meminfo_r >= 0)
                        c->meminfo_r = 1;
        }
        if (c->meminfo_r < 0)
                return c->meminfo_r;
        *ret = c->meminfo;
        return 0;
}

int si_uptime(SysinfoCall *c, double *ret) {
        if (c->uptime_r == 0) {
                _cleanup_free_ char *s = NULL;

                c->uptime_r = si_read_file(c->root, "/proc/uptime", &s);
                if (c->uptime_r >= 0)
                        c->uptime_r = sscanf(s, "%lf", &c->uptime) == 1 ? 1 : -EINVAL;
        }
        if (c->uptime_r < 0)
                return c->uptime_r;
        *ret = c->uptime;
        return 0;
}

int si_mounts(SysinfoCall *c, const char **ret) {
        if (!c->mounts && c->mounts_r == 0) {
                c->mounts_r = si_read_file(c->root, "/proc/self/mounts", &c->mounts);
                if (c->mounts_r == -ENOENT)
                        c->mounts_r = si_read_file(c->root, "/proc/mounts", &c->mounts);
                if (c->mounts_r >= 0)
                        c->mounts_r = 1;
        }
        if (c->mounts_r < 0)
                return c->mounts_r;
        *ret = c->mounts;
        return 0;
}

const SysinfoUnit *si_instance_unit(const SysinfoSources *src) {
        for (size_t i = 0; i < src->n_units; i++)
                if (si_streq(src->units[i].role, "instance"))
                        return &src->units[i];
        return src->n_units > 0 ? &src->units[0] : NULL;
}

const char *sysinfo_section_name(SysinfoSection s) {
        if ((unsigned) s >= _SYSINFO_SECTION_MAX)
                return NULL;
        return section_names[s];
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
                        if (strcmp(name, section_names[s]) == 0)
                                mask |= 1u << s;
        }
        return mask;
}

int sysinfo_state_new(SysinfoState **ret) {
        SysinfoState *s = calloc(1, sizeof *s);

        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static void state_drop_static(SysinfoState *s) {
        si_cpu_static_done(&s->cpu);
        si_os_release_done(&s->os);
        free(s->kernel);
        free(s->arch);
        free(s->root);
        s->kernel = s->arch = s->root = NULL;
        s->have_cpu = s->have_os = false;
}

SysinfoState *sysinfo_state_free(SysinfoState *s) {
        if (!s)
                return NULL;
        state_drop_static(s);
        free(s->cpus);
        free(s);
        return NULL;
}

int sysinfo_collect(SysinfoState *state, const SysinfoSources *src, unsigned sections, json_object **ret) {
        _cleanup_json_ json_object *o = NULL;
        SysinfoCall c = {
                .state = state,
                .src = src,
                .root = src && src->root ? src->root : "",
        };
        int r = 0;

        if (!state || !src || !ret)
                return -EINVAL;

        /* static data read under another root (tests switch fixture trees) is not ours */
        if (!si_streq(state->root, c.root)) {
                state_drop_static(state);
                state->root = strdup(c.root);
                if (!state->root)
                        return -ENOMEM;
        }

        c.now_usec = src->now_usec;
        if (c.now_usec == 0) {
                struct timespec ts;

                clock_gettime(CLOCK_REALTIME, &ts);
                c.now_usec = (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
        }
        c.clk_tck = sysconf(_SC_CLK_TCK);
        if (c.clk_tck <= 0)
                c.clk_tck = 100;

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;

        for (unsigned s = 0; s < _SYSINFO_SECTION_MAX; s++) {
                json_object *v = NULL;

                if (!(sections & (1u << s)))
                        continue;
                r = collectors[s](&c, &v);
                if (r == -ENOMEM)
                        break;
                /* a kernel interface that cannot be read: Harper answers null for the section */
                if (r < 0)
                        v = NULL;
                r = si_add(o, section_names[s], v);
                if (r < 0)
                        break;
        }

        free(c.meminfo);
        free(c.mounts);
        if (r < 0)
                return r;
        *ret = o;
        o = NULL;
        return 0;
}
