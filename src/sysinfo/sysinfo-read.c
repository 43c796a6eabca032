/* SPDX-License-Identifier: MIT */
/* Pure readers: files under the root and the parsers of /proc/meminfo, /proc/<pid>/stat and
 * /proc/cpuinfo text. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sysinfo-macro.h"
#include "sysinfo-read.h"

/* how many numbers of /proc/<pid>/stat si_proc_stat() reads */
#define SI_STAT_FIELDS 50

int si_read_file(const char *root, const char *path, char **ret) {
        char p[4096];
        size_t size = 4096, len = 0;
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int fd = -EBADF;
        int n;

        assert(root);
        assert(path);
        assert(ret);

        n = snprintf(p, sizeof p, "%s%s", root, path);
        if (n < 0 || (size_t) n >= sizeof p)
                return -ENAMETOOLONG;
        fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        buf = malloc(size);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t k;

                if (size - len < 2) {
                        /* /proc files have no size: grow until read() says end of file */
                        char *b = realloc(buf, size * 2);

                        if (!b)
                                return -ENOMEM;
                        buf = b;
                        size *= 2;
                }
                k = read(fd, buf + len, size - len - 1);
                if (k < 0) {
                        int r = -errno;
                        if (r == -EINTR)
                                continue;
                        return r;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
        }
        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        return (int) len;
}

int si_read_line(const char *root, const char *path, char **ret) {
        char *s;
        int r;

        assert(ret);
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

        assert(ret);
        r = si_read_file(root, path, &s);
        if (r < 0)
                return r;
        errno = 0;
        *ret = strtoull(s, &end, 10);
        if (errno != 0 || end == s)
                return -EINVAL;
        return 0;
}

uint64_t si_mul_u64(uint64_t a, uint64_t b) {
        uint64_t v;

        if (a == UINT64_MAX || b == UINT64_MAX || __builtin_mul_overflow(a, b, &v))
                return UINT64_MAX;
        return v;
}

uint64_t si_add_u64(uint64_t a, uint64_t b) {
        uint64_t v;

        if (a == UINT64_MAX || b == UINT64_MAX || __builtin_add_overflow(a, b, &v))
                return UINT64_MAX;
        return v;
}

uint64_t si_meminfo_bytes(const char *meminfo, const char *key) {
        size_t n;

        assert(key);
        n = strlen(key);

        for (const char *p = meminfo; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (strncmp(p, key, n) == 0 && p[n] == ':')
                        return si_mul_u64(strtoull(p + n + 1, NULL, 10), 1024);
        return UINT64_MAX;
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

const char *si_cpuinfo_value(const char *block, const char *end, const char *key, size_t *len) {
        size_t n;

        assert(key);
        assert(len);
        n = strlen(key);

        for (const char *p = block; p && p < end; p = memchr(p, '\n', (size_t) (end - p)), p = p ? p + 1 : NULL) {
                const char *v;

                if (strncmp(p, key, n) != 0 || (p[n] != '\t' && p[n] != ' ' && p[n] != ':'))
                        continue;
                v = p + n;
                while (*v == '\t' || *v == ' ')
                        v++;
                if (*v != ':')
                        continue;
                v++;
                while (*v == ' ')
                        v++;
                *len = strcspn(v, "\n");
                return v;
        }
        return NULL;
}

bool si_cpuinfo_next_cpu(const char **pos, const char *end, const char **block, const char **block_end) {
        assert(pos);
        assert(block);
        assert(block_end);

        while (*pos < end) {
                const char *b = *pos, *e = strstr(b, "\n\n");
                size_t len;

                e = e ? e + 1 : end;
                *pos = e < end ? e + 1 : end;
                if (si_cpuinfo_value(b, e, "processor", &len)) {
                        *block = b;
                        *block_end = e;
                        return true;
                }
        }
        return false;
}

unsigned si_cpuinfo_processors(const char *cpuinfo) {
        const char *pos, *end, *b, *e;
        unsigned n = 0;

        assert(cpuinfo);
        pos = cpuinfo;
        end = cpuinfo + strlen(cpuinfo);

        while (si_cpuinfo_next_cpu(&pos, end, &b, &e))
                n++;
        return n;
}
