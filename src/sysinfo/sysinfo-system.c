/* SPDX-License-Identifier: MIT */
/* Sections "system" (si.osInfo) and "time" (si.time plus the Harper process's uptime). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "sysinfo-system.h"
#include "sysinfo-harper-figures.h"
#include "sysinfo-json.h"
#include "sysinfo-macro.h"
#include "sysinfo-read.h"

typedef struct OsRelease {
        char *distro, *release, *codename;
} OsRelease;

/* What does not change while the root stays the same. */
typedef struct SystemState {
        uint64_t static_generation;   /* the root generation the rest was read under; 0 = not read */
        OsRelease os;
        char *kernel, *arch;
} SystemState;

static void os_release_done(OsRelease *o) {
        free(o->distro);
        free(o->release);
        free(o->codename);
        *o = (OsRelease) {};
}

/* The value of KEY= in an os-release/lsb-release text, quotes removed (si removes '"'). */
static char *release_value(const char *text, const char *key) {
        size_t n = strlen(key);

        for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
                const char *v, *e;
                char *s, *w;

                if (strncmp(p, key, n) != 0 || p[n] != '=')
                        continue;
                v = p + n + 1;
                e = v + strcspn(v, "\n");
                s = strndup(v, (size_t) (e - v));
                if (!s)
                        return NULL;
                w = s;
                for (char *r = s; *r; r++)
                        if (*r != '"' && *r != '\'')
                                *w++ = *r;
                *w = 0;
                return s;
        }
        return NULL;
}

static char *strip(char *s) {
        size_t n;

        s += strspn(s, " \t");
        n = strlen(s);
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
                s[--n] = 0;
        return s;
}

/* si's osInfo on Linux: distro from DISTRIB_ID or NAME; release from VERSION, or PRETTY_NAME
 * without the distro name, cut before "(" whose contents become the codename. */
/* The keys si reads from /etc/lsb-release and os-release; NULL when absent. */
typedef struct ReleaseKeys {
        char *lsb_id, *lsb_codename, *lsb_release;
        char *name, *version, *codename, *pretty, *version_id;
} ReleaseKeys;

static void release_keys_done(ReleaseKeys *k) {
        free(k->lsb_id);
        free(k->lsb_codename);
        free(k->lsb_release);
        free(k->name);
        free(k->version);
        free(k->codename);
        free(k->pretty);
        free(k->version_id);
}

static int release_keys_read(const char *root, ReleaseKeys *k) {
        _cleanup_free_ char *text = NULL, *lsb = NULL;
        int r;

        r = si_read_file(root, "/etc/os-release", &text);
        if (r == -ENOENT)
                r = si_read_file(root, "/usr/lib/os-release", &text);
        if (r < 0 && r != -ENOENT)
                return r;
        (void) si_read_file(root, "/etc/lsb-release", &lsb);   /* optional, as si reads every /etc/...-release */

        if (lsb) {
                k->lsb_id = release_value(lsb, "DISTRIB_ID");
                k->lsb_codename = release_value(lsb, "DISTRIB_CODENAME");
                k->lsb_release = release_value(lsb, "DISTRIB_RELEASE");
        }
        if (text) {
                k->name = release_value(text, "NAME");
                k->version = release_value(text, "VERSION");
                k->codename = release_value(text, "VERSION_CODENAME");
                k->pretty = release_value(text, "PRETTY_NAME");
                k->version_id = release_value(text, "VERSION_ID");
        }
        return 0;
}

static int os_release_parse(const char *root, OsRelease *ret) {
        _cleanup_(release_keys_done) ReleaseKeys k = {};
        _cleanup_free_ char *rel_buf = NULL, *code_buf = NULL;
        const char *distro, *codename;
        char *rel;
        int r;

        r = release_keys_read(root, &k);
        if (r < 0)
                return r;
        distro = k.lsb_id ?: k.name ?: "unknown";
        codename = k.lsb_codename ?: k.codename ?: "";
        rel_buf = strdup(k.version ?: "");
        if (!rel_buf)
                return -ENOMEM;
        rel = rel_buf;
        if (k.pretty) {
                size_t n = strlen(distro);

                if (strncmp(k.pretty, distro, n) == 0 && k.pretty[n] == ' ') {
                        free(rel_buf);
                        rel_buf = strdup(k.pretty + n + 1);
                        if (!rel_buf)
                                return -ENOMEM;
                        rel = strip(rel_buf);
                }
        }
        if (strchr(rel, '(')) {
                char *open = strchr(rel, '('), *w;

                code_buf = strdup(open + 1);
                if (!code_buf)
                        return -ENOMEM;
                w = code_buf;
                for (char *p = code_buf; *p; p++)
                        if (*p != '(' && *p != ')')
                                *w++ = *p;
                *w = 0;
                codename = strip(code_buf);
                *open = 0;
                rel = strip(rel);
        }
        if (!*rel)
                rel = k.lsb_release ?: k.version_id ?: (char *) "unknown";

        ret->distro = strdup(distro);
        ret->release = strdup(rel);
        ret->codename = strdup(codename);
        if (!ret->distro || !ret->release || !ret->codename) {
                os_release_done(ret);
                return -ENOMEM;
        }
        return 0;
}

/* Node's process.arch names for the kernel's machine names. */
static const char *node_arch(const char *machine) {
        static const struct { const char *machine, *node; } table[] = {
                { "x86_64", "x64" }, { "i386", "ia32" }, { "i486", "ia32" }, { "i586", "ia32" },
                { "i686", "ia32" }, { "aarch64", "arm64" }, { "aarch64_be", "arm64" },
                { "ppc64le", "ppc64" }, { "ppc64", "ppc64" }, { "ppc", "ppc" }, { "s390x", "s390x" },
                { "riscv64", "riscv64" }, { "loongarch64", "loong64" }, { "mips64", "mips64el" },
                { "mips", "mips" },
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (strcmp(machine, table[i].machine) == 0)
                        return table[i].node;
        if (strncmp(machine, "arm", 3) == 0)
                return "arm";
        return machine;
}

static void system_static_done(SystemState *s) {
        os_release_done(&s->os);
        free(s->kernel);
        free(s->arch);
        s->kernel = s->arch = NULL;
        s->static_generation = 0;
}

void sysinfo_system_state_free(void *state) {
        system_static_done(state);
        free(state);
}

/* Reads os-release, kernel and arch once per root. */
static int load_static(SysinfoCall *c, SystemState *s) {
        _cleanup_free_ char *machine = NULL;
        int r;

        if (s->static_generation == c->root_generation)
                return 0;
        system_static_done(s);
        r = os_release_parse(c->root, &s->os);
        if (r < 0)
                return r;
        r = si_read_line(c->root, "/proc/sys/kernel/osrelease", &s->kernel);
        if (r < 0)
                return r;
        /* /proc/sys/kernel/arch is uname's machine; a fixture tree carries it too */
        r = si_read_line(c->root, "/proc/sys/kernel/arch", &machine);
        if (r < 0) {
                struct utsname u;

                if (c->root[0] || uname(&u) < 0)
                        return r;
                machine = strdup(u.machine);
                if (!machine)
                        return -ENOMEM;
        }
        s->arch = strdup(node_arch(machine));
        if (!s->arch)
                return -ENOMEM;
        s->static_generation = c->root_generation;
        return 0;
}

/* `hostname -f` asks the resolver, which may go to DNS: take the canonical name of the host's
 * line in /etc/hosts instead, else the hostname. */
static char *fqdn_from_hosts(const char *root, const char *hostname) {
        _cleanup_free_ char *hosts = NULL;

        if (si_read_file(root, "/etc/hosts", &hosts) < 0)
                return strdup(hostname);
        for (char *line = hosts, *next; line && *line; line = next) {
                char *canonical = NULL, *tok, *save = NULL;

                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                line[strcspn(line, "#")] = 0;
                tok = strtok_r(line, " \t", &save);                /* the address */
                if (!tok)
                        continue;
                while ((tok = strtok_r(NULL, " \t", &save))) {
                        if (!canonical)
                                canonical = tok;
                        if (strcmp(tok, hostname) == 0)
                                return strdup(canonical);
                }
        }
        return strdup(hostname);
}

int sysinfo_system(SysinfoCall *c, void **state, json_object **ret) {
        _cleanup_json_ json_object *o = NULL;
        _cleanup_free_ char *hostname = NULL, *fqdn = NULL;
        SystemState *s = si_state(state, sizeof(SystemState));
        int r;

        if (!s)
                return -ENOMEM;
        r = load_static(c, s);
        if (r < 0)
                return r;
        r = si_read_line(c->root, "/proc/sys/kernel/hostname", &hostname);
        if (r < 0)
                return r;
        fqdn = fqdn_from_hosts(c->root, hostname);
        if (!fqdn)
                return -ENOMEM;

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        if ((r = si_add(o, "platform", json_object_new_string("linux"))) < 0 ||
            (r = si_add(o, "distro", si_json_string(s->os.distro))) < 0 ||
            (r = si_add(o, "release", si_json_string(s->os.release))) < 0 ||
            (r = si_add(o, "codename", si_json_string(s->os.codename))) < 0 ||
            (r = si_add(o, "kernel", si_json_string(s->kernel))) < 0 ||
            (r = si_add(o, "arch", si_json_string(s->arch))) < 0 ||
            (r = si_add(o, "hostname", si_json_string(hostname))) < 0 ||
            (r = si_add(o, "fqdn", si_json_string(fqdn))) < 0 ||
            /* the versions of Harper's runtime: Harper's to tell */
            (r = si_add(o, "node_version", si_harper_value(c, "system", "node_version"))) < 0 ||
            (r = si_add(o, "npm_version", si_harper_value(c, "system", "npm_version"))) < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

static void timezone_name(const char *root, char *buf, size_t size) {
        char p[4096], target[4096];
        ssize_t n;

        buf[0] = 0;
        snprintf(p, sizeof p, "%s/etc/localtime", root);
        n = readlink(p, target, sizeof target - 1);
        if (n > 0) {
                const char *z;

                target[n] = 0;
                z = strstr(target, "zoneinfo/");
                if (z) {
                        snprintf(buf, size, "%s", z + strlen("zoneinfo/"));
                        return;
                }
        }
        {
                _cleanup_free_ char *line = NULL;

                if (si_read_line(root, "/etc/timezone", &line) >= 0)
                        snprintf(buf, size, "%s", line);
        }
}

int sysinfo_time(SysinfoCall *c, void **state, json_object **ret) {
        _cleanup_json_ json_object *o = NULL;
        const SysinfoUnit *u = si_instance_unit(c->src);
        _cleanup_json_ json_object *process_uptime = NULL;
        char tz[48], zone_name[256];
        time_t t = (time_t) (c->realtime_usec / 1000000);
        struct tm tm;
        double uptime;
        long off;
        int r;

        r = si_call_uptime(c, &uptime);
        if (r < 0)
                return r;

        /* the 6th word of Date.toString(): "GMT+0100"; tzset() notices a changed /etc/localtime */
        tzset();
        off = localtime_r(&t, &tm) ? tm.tm_gmtoff : 0;
        snprintf(tz, sizeof tz, "GMT%c%02ld%02ld", off < 0 ? '-' : '+', labs(off) / 3600, labs(off) % 3600 / 60);
        timezone_name(c->root, zone_name, sizeof zone_name);

        if (u && u->main_pid > 0) {
                char path[64];
                ProcStat st;

                snprintf(path, sizeof path, "/proc/%" PRIu32 "/stat", u->main_pid);
                if (si_proc_stat(c->root, path, &st) >= 0) {
                        double age = uptime - (double) st.starttime / (double) c->clk_tck;
                        process_uptime = json_object_new_int64(age > 0 ? (int64_t) llround(age) : 0);
                }
        }

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        if ((r = si_add(o, "current", json_object_new_int64((int64_t) (c->realtime_usec / 1000)))) < 0 ||
            (r = si_add(o, "uptime", si_json_double(uptime))) < 0 ||
            (r = si_add(o, "timezone", json_object_new_string(tz))) < 0 ||
            (r = si_add(o, "timezoneName", json_object_new_string(zone_name))) < 0 ||
            (r = si_add(o, "process_uptime", TAKE_PTR(process_uptime))) < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}
