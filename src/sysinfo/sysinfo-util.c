/* File reading under the root, the per-call file cache, /proc/<pid>/stat, JSON numbers. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sysinfo-internal.h"

int si_read_file(const char *root, const char *path, char **ret) {
        char p[4096];
        size_t size = 4096, len = 0;
        char *buf;
        int fd, n;

        n = snprintf(p, sizeof p, "%s%s", root, path);
        if (n < 0 || (size_t) n >= sizeof p)
                return -ENAMETOOLONG;
        fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        buf = malloc(size);
        if (!buf) {
                close(fd);
                return -ENOMEM;
        }
        for (;;) {
                ssize_t k;

                if (size - len < 2) {
                        /* /proc files have no size: grow until read() says end of file */
                        char *b = realloc(buf, size * 2);
                        if (!b) {
                                free(buf);
                                close(fd);
                                return -ENOMEM;
                        }
                        buf = b;
                        size *= 2;
                }
                k = read(fd, buf + len, size - len - 1);
                if (k < 0) {
                        int r = -errno;
                        if (r == -EINTR)
                                continue;
                        free(buf);
                        close(fd);
                        return r;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
        }
        close(fd);
        buf[len] = 0;
        *ret = buf;
        return (int) len;
}

int si_read_line(const char *root, const char *path, char **ret) {
        char *s;
        int r;

        r = si_read_file(root, path, &s);
        if (r < 0)
                return r;
        s[strcspn(s, "\n")] = 0;
        *ret = s;
        return 0;
}

int si_read_u64(const char *root, const char *path, uint64_t *ret) {
        _cleanup_free_ char *s = NULL;
        char *end;
        int r;

        r = si_read_file(root, path, &s);
        if (r < 0)
                return r;
        errno = 0;
        *ret = strtoull(s, &end, 10);
        if (errno != 0 || end == s)
                return -EINVAL;
        return 0;
}

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

uint64_t si_meminfo_bytes(const char *meminfo, const char *key) {
        size_t n = strlen(key);

        for (const char *p = meminfo; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (strncmp(p, key, n) == 0 && p[n] == ':')
                        return strtoull(p + n + 1, NULL, 10) * 1024;
        return UINT64_MAX;
}

const SysinfoUnit *si_instance_unit(const SysinfoSources *src) {
        for (size_t i = 0; i < src->n_units; i++)
                if (si_streq(src->units[i].role, "instance"))
                        return &src->units[i];
        return src->n_units > 0 ? &src->units[0] : NULL;
}

int si_proc_stat(const char *root, const char *path, ProcStat *ret) {
        _cleanup_free_ char *s = NULL;
        long long f[SI_STAT_FIELDS] = {};
        char *open_paren, *close_paren, *p;
        size_t n;
        int r, i;

        r = si_read_file(root, path, &s);
        if (r < 0)
                return r;
        /* the command name may hold spaces and parentheses: it ends at the last ')' */
        open_paren = strchr(s, '(');
        close_paren = strrchr(s, ')');
        if (!open_paren || !close_paren || close_paren < open_paren || close_paren[1] != ' ')
                return -EINVAL;
        n = (size_t) (close_paren - open_paren - 1);
        if (n >= sizeof ret->comm)
                n = sizeof ret->comm - 1;
        memcpy(ret->comm, open_paren + 1, n);
        ret->comm[n] = 0;
        ret->state = close_paren[2];
        p = close_paren + 3;
        /* f[k] is field k + 3 of proc(5): f[1] = ppid (4), ..., f[19] = starttime (22) */
        for (i = 1; i < SI_STAT_FIELDS && *p; i++) {
                char *end;

                while (*p == ' ')
                        p++;
                f[i] = strtoll(p, &end, 10);
                if (end == p)
                        break;
                p = end;
        }
        if (i < 22)
                return -EINVAL;
        ret->ppid = f[1];
        ret->tty_nr = f[4];
        ret->utime = f[11];
        ret->stime = f[12];
        ret->priority = f[15];
        ret->nice = f[16];
        ret->starttime = f[19];
        ret->vsize = f[20];
        ret->rss = f[21];
        return 0;
}

json_object *si_json_u64(uint64_t v) {
        if (v == UINT64_MAX)
                return NULL;
        if (v <= INT64_MAX)
                return json_object_new_int64((int64_t) v);
        return json_object_new_uint64(v);
}

json_object *si_json_double(double d) {
        char buf[64];

        if (!isfinite(d))
                return NULL;
        if (d == 0)
                d = 0;   /* no "-0" */
        /* json-c prints doubles with %.17g (2.6 → 2.6000000000000001); Node prints the shortest
         * text that reads back as the same number: do that */
        for (int prec = 15; prec <= 17; prec++) {
                snprintf(buf, sizeof buf, "%.*g", prec, d);
                if (strtod(buf, NULL) == d)
                        break;
        }
        return json_object_new_double_s(d, buf);
}

json_object *si_json_string(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}

int si_add(json_object *o, const char *key, json_object *v) {
        if (json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

int si_append(json_object *a, json_object *v) {
        if (json_object_array_add(a, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

double si_round(double d, int decimals) {
        double m = pow(10, decimals);
        return round(d * m) / m;
}

void si_format_local(uint64_t usec, char buf[static 20]) {
        time_t t = (time_t) (usec / 1000000);
        struct tm tm;

        if (!localtime_r(&t, &tm) || strftime(buf, 20, "%Y-%m-%d %H:%M:%S", &tm) == 0)
                buf[0] = 0;
}
