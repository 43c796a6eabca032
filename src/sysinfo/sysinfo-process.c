/* SPDX-License-Identifier: MIT */
/* Sections "harperdb_processes" (si.processes() entries for every process in the instance's and
 * the clustering unit's cgroups) and "process_threads" (the instance's main process's tasks, as
 * the kernel sees them; Harper's own worker threads are "threads", from Harper). */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sysinfo-process.h"
#include "sysinfo-json.h"
#include "sysinfo-macro.h"
#include "sysinfo-read.h"

typedef struct PidSet {
        uint32_t *pids;
        size_t n, size;
} PidSet;

static void pidset_done(PidSet *s) {
        free(s->pids);
        *s = (PidSet) {};
}

static int pidset_add(PidSet *s, uint32_t pid) {
        if (SI_GROW(s->pids, s->n, s->size, 16) < 0)
                return -ENOMEM;
        s->pids[s->n++] = pid;
        return 0;
}

static int u32_cmp(const void *a, const void *b) {
        uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
        return x < y ? -1 : x > y;
}

static void pidset_sort_unique(PidSet *s) {
        size_t w = 0;

        if (s->n == 0)
                return;
        qsort(s->pids, s->n, sizeof *s->pids, u32_cmp);
        for (size_t i = 0; i < s->n; i++)
                if (w == 0 || s->pids[w - 1] != s->pids[i])
                        s->pids[w++] = s->pids[i];
        s->n = w;
}

/* Sorted and unique, with first (when there) moved to the front: pids and tids wrap around
 * at pid_max, so a main process or task is not always the lowest. */
static void pidset_sort_first(PidSet *s, uint32_t first) {
        pidset_sort_unique(s);
        for (size_t i = 1; i < s->n; i++)
                if (s->pids[i] == first) {
                        memmove(s->pids + 1, s->pids, i * sizeof *s->pids);
                        s->pids[0] = first;
                        break;
                }
}

/* cgroup.procs of dir and of every cgroup below it (a unit's processes may sit in sub-cgroups) */
static int cgroup_pids(const char *dir, unsigned depth, PidSet *set) {
        _cleanup_free_ char *procs = NULL;
        _cleanup_closedir_ DIR *d = NULL;
        int r;

        r = si_read_file(dir, "/cgroup.procs", &procs);
        if (r < 0)
                return r;
        for (char *p = procs; *p;) {
                char *end;
                unsigned long v = strtoul(p, &end, 10);

                if (end == p)
                        break;
                if (v > 0 && v <= UINT32_MAX) {
                        r = pidset_add(set, (uint32_t) v);
                        if (r < 0)
                                return r;
                }
                p = end + strspn(end, "\n ");
        }
        if (depth >= 16)
                return 0;
        d = opendir(dir);
        if (!d)
                return 0;
        for (struct dirent *de; (de = readdir(d));) {
                char sub[PATH_MAX];

                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                snprintf(sub, sizeof sub, "%s/%s", dir, de->d_name);
                r = cgroup_pids(sub, depth + 1, set);
                if (r == -ENOMEM)
                        return r;
        }
        return 0;
}

static void cgroup_mount(SysinfoCall *c, char *buf, size_t size) {
        char p[PATH_MAX];

        if (c->src->cgroup_mount) {
                snprintf(buf, size, "%s%s", c->root, c->src->cgroup_mount);
                return;
        }
        /* the unified hierarchy's root has cgroup.controllers; hybrid systems mount it at unified/ */
        snprintf(p, sizeof p, "%s/sys/fs/cgroup/cgroup.controllers", c->root);
        if (access(p, F_OK) == 0)
                snprintf(buf, size, "%s/sys/fs/cgroup", c->root);
        else
                snprintf(buf, size, "%s/sys/fs/cgroup/unified", c->root);
}

/* The processes of a unit: its cgroup's, or its main process when the cgroup cannot be read. */
static int unit_pids(SysinfoCall *c, const SysinfoUnit *u, PidSet *set) {
        char mount[PATH_MAX], dir[PATH_MAX];
        size_t before = set->n;
        int r = -ENOENT;

        if (u->control_group && u->control_group[0]) {
                cgroup_mount(c, mount, sizeof mount);
                snprintf(dir, sizeof dir, "%s%s", mount, u->control_group);
                r = cgroup_pids(dir, 0, set);
                if (r == -ENOMEM)
                        return r;
        }
        if ((r < 0 || set->n == before) && u->main_pid > 0)
                return pidset_add(set, u->main_pid);
        return 0;
}

/* ps's STAT letters in si's words */
static const char *state_word(char s) {
        switch (s) {
        case 'R': return "running";
        case 'S': return "sleeping";
        case 'T': return "stopped";
        case 'W': return "paging";
        case 'X': return "dead";
        case 'Z': return "zombie";
        case 'D': case 'U': return "blocked";
        default: return "unknown";
        }
}

/* ps's TT column for the common terminals; "" for none (si turns "?" into "") */
static void tty_name(long long tty_nr, char *buf, size_t size) {
        unsigned major = (unsigned) (tty_nr >> 8) & 0xfff;
        unsigned minor = (unsigned) (tty_nr & 0xff) | (unsigned) ((tty_nr >> 12) & 0xfff00);

        buf[0] = 0;
        if (major >= 136 && major <= 143)
                snprintf(buf, size, "pts/%u", (major - 136) * 256 + minor);
        else if (major == 4 && minor < 64)
                snprintf(buf, size, "tty%u", minor);
        else if (major == 4)
                snprintf(buf, size, "ttyS%u", minor - 64);
        else if (major == 5 && minor == 1)
                snprintf(buf, size, "console");
}

static void user_name(const char *root, uid_t uid, char *buf, size_t size) {
        snprintf(buf, size, "%u", (unsigned) uid);
        if (root[0] == 0) {
                struct passwd pw, *res = NULL;
                char tmp[4096];

                if (getpwuid_r(uid, &pw, tmp, sizeof tmp, &res) == 0 && res)
                        snprintf(buf, size, "%s", res->pw_name);
                return;
        }
        {
                /* a fixture tree's own /etc/passwd, not the host's users */
                _cleanup_free_ char *passwd = NULL;

                if (si_read_file(root, "/etc/passwd", &passwd) < 0)
                        return;
                for (char *line = passwd, *next; line && *line; line = next) {
                        char *c1, *c2;

                        next = strchr(line, '\n');
                        if (next)
                                *next++ = 0;
                        c1 = strchr(line, ':');
                        c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                        if (c2 && strtoul(c2 + 1, NULL, 10) == uid) {
                                *c1 = 0;
                                snprintf(buf, size, "%s", line);
                                return;
                        }
                }
        }
}

static uint64_t status_kb(const char *status, const char *key) {
        const char *p = strstr(status, key);
        return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

/* Local time "YYYY-MM-DD HH:MM:SS" of a CLOCK_REALTIME µs value, as si's processes() gives it. */
static void format_local(uint64_t usec, char buf[static 20]) {
        time_t t = (time_t) (usec / 1000000);
        struct tm tm;

        if (!localtime_r(&t, &tm) || strftime(buf, 20, "%Y-%m-%d %H:%M:%S", &tm) == 0)
                buf[0] = 0;
}

/* ps's USER is the effective uid: the second number of "Uid:" */
static unsigned long status_euid(const char *status) {
        const char *p = strstr(status, "\nUid:");
        char *end;

        if (!p)
                return 0;
        (void) strtoul(p + 5, &end, 10);
        return strtoul(end, NULL, 10);
}

/* si's cpuu and cpus: the average since the process started (age seconds), over all CPUs as si
 * normalizes (si's first call uses the share since boot; a second sample would need the
 * process list kept) */
static void process_cpu_share(const ProcStat *st, double age, long clk_tck, unsigned ncpu, double *cpuu, double *cpus) {
        double ticks = age * (double) clk_tck * ncpu;

        *cpuu = *cpus = 0;
        if (ticks > 0) {
                *cpuu = (double) st->utime / ticks * 100.0;
                *cpus = (double) st->stime / ticks * 100.0;
                if (*cpuu + *cpus > 100) {
                        double t = *cpuu + *cpus;
                        *cpuu = *cpuu / t * 100;
                        *cpus = *cpus / t * 100;
                }
        }
}

/* The arguments after argv[0] of cmdlen bytes of NUL-separated argv, space-separated as ps
 * shows them; a title the process set ("postgres: checkpointer") is cut at its first space. */
static char *argv_params(char *argv0, size_t cmdlen) {
        size_t n0 = strlen(argv0);
        char *space;

        if (n0 < cmdlen) {
                size_t len = cmdlen - n0 - 1;
                char *params = malloc(len + 1);

                if (params) {
                        memcpy(params, argv0 + n0 + 1, len);
                        params[len] = 0;
                        for (size_t k = 0; k < len; k++)
                                if (params[k] == 0)
                                        params[k] = ' ';
                }
                return params;
        }
        space = strchr(argv0, ' ');
        if (space && argv0[0] != '/') {
                *space = 0;
                return strdup(space + 1);
        }
        return strdup("");
}

/* The directory of /proc/<pid>/exe into dir; left alone when unknown. */
static void exe_dir(SysinfoCall *c, uint32_t pid, char *dir, size_t size) {
        char path[PATH_MAX], exe[PATH_MAX], *slash;
        ssize_t n;

        snprintf(path, sizeof path, "%s/proc/%" PRIu32 "/exe", c->root, pid);
        n = readlink(path, exe, sizeof exe - 1);
        if (n <= 0)
                return;
        exe[n] = 0;
        slash = strrchr(exe, '/');
        if (slash && exe[0] == '/')
                snprintf(dir, size, "%.*s", (int) (slash - exe), exe);
}

typedef struct ProcessArgs {
        const char *command;          /* in the cmdline text, or the stat's comm */
        char path[PATH_MAX];
} ProcessArgs;

/* command, params (new) and path from argv: argv[0]'s directory, else the executable's. */
static int process_args(SysinfoCall *c, uint32_t pid, const ProcStat *st, char *cmdline, size_t cmdlen,
                        ProcessArgs *ret, char **ret_params) {
        char *slash;

        ret->path[0] = 0;
        if (cmdlen == 0) {
                ret->command = st->comm;        /* kernel threads and zombies have no argv */
                *ret_params = strdup("");
                return *ret_params ? 0 : -ENOMEM;
        }
        if (cmdline[cmdlen - 1] == 0)
                cmdlen--;                       /* argv is NUL-separated, NUL-terminated */
        *ret_params = argv_params(cmdline, cmdlen);
        if (!*ret_params)
                return -ENOMEM;
        slash = strrchr(cmdline, '/');
        if (slash) {
                snprintf(ret->path, sizeof ret->path, "%.*s", (int) (slash - cmdline), cmdline);
                ret->command = slash + 1;
        } else {
                ret->command = cmdline;
                exe_dir(c, pid, ret->path, sizeof ret->path);
        }
        return 0;
}

static int process_json(SysinfoCall *c, uint32_t pid, unsigned ncpu, uint64_t mem_total, double uptime,
                        json_object *list) {
        _cleanup_free_ char *status = NULL, *cmdline = NULL, *params = NULL;
        char path[64], tty[32], user[256], started[20], name[256];
        double age, cpuu, cpus;
        uint64_t rss_kb, vsz_kb;
        size_t cmdlen = 0;
        ProcessArgs args;
        json_object *o;
        ProcStat st;
        int r;

        snprintf(path, sizeof path, "/proc/%" PRIu32 "/stat", pid);
        if (si_proc_stat(c->root, path, &st) < 0)
                return 0;                       /* gone since cgroup.procs was read */
        snprintf(path, sizeof path, "/proc/%" PRIu32 "/status", pid);
        if (si_read_file(c->root, path, &status) < 0)
                return 0;
        snprintf(path, sizeof path, "/proc/%" PRIu32 "/cmdline", pid);
        r = si_read_file(c->root, path, &cmdline);
        if (r > 0)
                cmdlen = (size_t) r;
        r = process_args(c, pid, &st, cmdline, cmdlen, &args, &params);
        if (r < 0)
                return r;

        rss_kb = status_kb(status, "\nVmRSS:");
        vsz_kb = status_kb(status, "\nVmSize:");
        age = uptime - (double) st.starttime / (double) c->clk_tck;
        process_cpu_share(&st, age, c->clk_tck, ncpu, &cpuu, &cpus);
        format_local(c->realtime_usec - (uint64_t) llround((age > 0 ? age : 0) * 1e6), started);
        tty_name(st.tty_nr, tty, sizeof tty);
        user_name(c->root, (uid_t) status_euid(status), user, sizeof user);
        /* si: "sshd: user@pts/0" → command and name "sshd" */
        snprintf(name, sizeof name, "%s", args.command);
        if (name[0] && name[strlen(name) - 1] == ':')
                name[strlen(name) - 1] = 0;

        o = json_object_new_object();
        if (!o || (r = si_append(list, o)) < 0)
                return -ENOMEM;
        if ((r = si_add(o, "pid", json_object_new_int64(pid))) < 0 ||
            (r = si_add(o, "parentPid", json_object_new_int64(st.ppid))) < 0 ||
            (r = si_add(o, "name", json_object_new_string(name))) < 0)
                return r;
        if ((r = si_add(o, "cpu", si_json_double(cpuu + cpus))) < 0 ||
            (r = si_add(o, "cpuu", si_json_double(cpuu))) < 0 ||
            (r = si_add(o, "cpus", si_json_double(cpus))) < 0 ||
            /* ps's %MEM: per mille of MemTotal, truncated, one decimal */
            (r = si_add(o, "mem", si_json_double(mem_total ? floor((double) rss_kb * 1024 * 1000 / (double) mem_total) / 10 : 0))) < 0 ||
            /* ps's PRI: 39 - the kernel's priority (19 for nice 0) */
            (r = si_add(o, "priority", json_object_new_int64(39 - st.priority))) < 0 ||
            (r = si_add(o, "memVsz", si_json_u64(vsz_kb))) < 0 ||
            (r = si_add(o, "memRss", si_json_u64(rss_kb))) < 0 ||
            (r = si_add(o, "nice", json_object_new_int64(st.nice))) < 0 ||
            (r = si_add(o, "started", json_object_new_string(started))) < 0 ||
            (r = si_add(o, "state", json_object_new_string(state_word(st.state)))) < 0 ||
            (r = si_add(o, "tty", json_object_new_string(tty))) < 0 ||
            (r = si_add(o, "user", json_object_new_string(user))) < 0 ||
            (r = si_add(o, "command", json_object_new_string(name))) < 0 ||
            (r = si_add(o, "params", json_object_new_string(params))) < 0 ||
            (r = si_add(o, "path", json_object_new_string(args.path))) < 0)
                return r;
        return 0;
}

static int role_processes(SysinfoCall *c, const char *role, json_object *list) {
        const SysinfoUnit *instance;
        _cleanup_(pidset_done) PidSet set = {};
        unsigned ncpu = 1;
        uint64_t mem_total = 0;
        double uptime = 0;
        const char *m;
        int r;

        for (size_t i = 0; i < c->src->n_units; i++)
                if (streq_ptr(c->src->units[i].role, role)) {
                        r = unit_pids(c, &c->src->units[i], &set);
                        if (r < 0)
                                return r;
                }
        if (set.n == 0)
                return 0;
        instance = si_instance_unit(c->src);
        pidset_sort_first(&set, instance ? instance->main_pid : 0);

        r = si_call_uptime(c, &uptime);
        if (r < 0)
                return r;
        r = si_call_cpu_count(c, &ncpu);
        if (r == -ENOMEM)
                return r;
        if (si_call_meminfo(c, &m) >= 0)
                mem_total = si_meminfo_bytes(m, "MemTotal");
        if (mem_total == UINT64_MAX)
                mem_total = 0;
        for (size_t i = 0; i < set.n; i++) {
                r = process_json(c, set.pids[i], ncpu, mem_total, uptime, list);
                if (r < 0)
                        return r;
        }
        return 0;
}

int sysinfo_harperdb_processes(SysinfoCall *c, void **state, json_object **ret) {
        _cleanup_json_ json_object *o = NULL;
        json_object *core;
        bool clustering = false;
        int r;

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        core = json_object_new_array();
        if ((r = si_add(o, "core", core)) < 0 || !core)
                return -ENOMEM;
        r = role_processes(c, "instance", core);
        if (r < 0)
                return r;
        /* "clustering" (HarperDB 4.x) only when a clustering unit is configured */
        for (size_t i = 0; i < c->src->n_units; i++)
                if (streq_ptr(c->src->units[i].role, "clustering"))
                        clustering = true;
        if (clustering) {
                json_object *cl = json_object_new_array();

                if ((r = si_add(o, "clustering", cl)) < 0 || !cl)
                        return -ENOMEM;
                r = role_processes(c, "clustering", cl);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(o);
        return 0;
}

/* CPU time in ticks as ms, for any number a stat file holds: negative ones are 0, and ones
 * whose ms do not fit an int64 saturate (ticks * 1000 would overflow first). */
static int64_t ticks_to_ms(long long ticks, long clk_tck) {
        long long whole, rest;

        if (ticks <= 0 || clk_tck <= 0)
                return 0;
        whole = ticks / clk_tck;
        rest = ticks % clk_tck;
        if (whole >= LLONG_MAX / 1000)
                return LLONG_MAX;
        return whole * 1000 + rest * 1000 / clk_tck;
}

/* One task of pid, appended to arr; nothing when it ended meanwhile. */
static int thread_json(SysinfoCall *c, uint32_t pid, uint32_t tid, json_object *arr) {
        char path[128];
        json_object *o;
        ProcStat st;
        int r;

        snprintf(path, sizeof path, "/proc/%" PRIu32 "/task/%" PRIu32 "/stat", pid, tid);
        if (si_proc_stat(c->root, path, &st) < 0)
                return 0;
        o = json_object_new_object();
        if (!o || (r = si_append(arr, o)) < 0)
                return -ENOMEM;
        if ((r = si_add(o, "threadId", json_object_new_int64(tid))) < 0 ||
            (r = si_add(o, "name", json_object_new_string(st.comm))) < 0 ||
            (r = si_add(o, "state", json_object_new_string(state_word(st.state)))) < 0 ||
            (r = si_add(o, "cpu_user_ms", json_object_new_int64(ticks_to_ms(st.utime, c->clk_tck)))) < 0 ||
            (r = si_add(o, "cpu_system_ms", json_object_new_int64(ticks_to_ms(st.stime, c->clk_tck)))) < 0)
                return r;
        return 0;
}

/* The thread ids of the process pid in *tids; none when it is not running. */
static int task_ids(SysinfoCall *c, uint32_t pid, PidSet *tids) {
        _cleanup_closedir_ DIR *d = NULL;
        char dir[PATH_MAX];
        int r;

        snprintf(dir, sizeof dir, "%s/proc/%" PRIu32 "/task", c->root, pid);
        d = opendir(dir);
        if (!d)
                return 0;                       /* not running: no threads */
        for (struct dirent *de; (de = readdir(d));) {
                unsigned long tid = strtoul(de->d_name, NULL, 10);

                if (tid == 0 || tid > UINT32_MAX)
                        continue;
                r = pidset_add(tids, (uint32_t) tid);
                if (r < 0)
                        return r;
        }
        return 0;
}

int sysinfo_process_threads(SysinfoCall *c, void **state, json_object **ret) {
        _cleanup_json_ json_object *arr = NULL;
        _cleanup_(pidset_done) PidSet tids = {};
        const SysinfoUnit *u;
        int r;

        arr = json_object_new_array();
        if (!arr)
                return -ENOMEM;
        u = si_instance_unit(c->src);
        if (u && u->main_pid != 0) {
                r = task_ids(c, u->main_pid, &tids);
                if (r < 0)
                        return r;
                pidset_sort_first(&tids, u->main_pid);
        }
        for (size_t i = 0; i < tids.n; i++) {
                r = thread_json(c, u->main_pid, tids.pids[i], arr);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(arr);
        return 0;
}
