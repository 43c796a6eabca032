/* SPDX-License-Identifier: MIT */
/* Sections "unit_metrics" (systemd's accounting of the Harper units, as the daemon asked it)
 * and "database_files" (the sizes of the files in Harper's data directory; their contents are
 * Harper's to tell: describe_all, in sysinfo-harper-figures.c). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sysinfo-units.h"
#include "sysinfo-json.h"
#include "sysinfo-macro.h"

int sysinfo_unit_metrics(SysinfoCall *c, void **state, json_object **ret) {
        _cleanup_json_ json_object *o = NULL;
        int r;

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        for (size_t i = 0; i < c->src->n_units; i++) {
                const SysinfoUnit *u = &c->src->units[i];
                json_object *m;

                if (!u->name)
                        continue;
                m = json_object_new_object();
                if (!m || (r = si_add(o, u->name, m)) < 0)
                        return -ENOMEM;
                if ((r = si_add(m, "role", si_json_string(u->role))) < 0 ||
                    (r = si_add(m, "active_state", si_json_string(u->active_state))) < 0 ||
                    (r = si_add(m, "cpu_usage_nsec", si_json_u64(u->cpu_usage_nsec))) < 0 ||
                    (r = si_add(m, "memory_current", si_json_u64(u->memory_current))) < 0 ||
                    (r = si_add(m, "memory_peak", si_json_u64(u->memory_peak))) < 0 ||
                    (r = si_add(m, "tasks_current", si_json_u64(u->tasks_current))) < 0 ||
                    (r = si_add(m, "io_read_bytes", si_json_u64(u->io_read_bytes))) < 0 ||
                    (r = si_add(m, "io_write_bytes", si_json_u64(u->io_write_bytes))) < 0 ||
                    (r = si_add(m, "ip_ingress_bytes", si_json_u64(u->ip_ingress_bytes))) < 0 ||
                    (r = si_add(m, "ip_egress_bytes", si_json_u64(u->ip_egress_bytes))) < 0 ||
                    (r = si_add(m, "n_restarts", si_json_u64(u->n_restarts))) < 0 ||
                    (r = si_add(m, "active_since", u->active_enter_usec > 0 && u->active_enter_usec != UINT64_MAX ?
                                json_object_new_int64((int64_t) (u->active_enter_usec / 1000)) : NULL)) < 0)
                        return r;
        }
        *ret = TAKE_PTR(o);
        return 0;
}

/* Apparent size of a file, or of the regular files below a directory; UINT64_MAX when absent. */
static uint64_t path_size(const char *path, unsigned depth) {
        struct stat st;
        uint64_t sum = 0;
        _cleanup_closedir_ DIR *d = NULL;

        if (lstat(path, &st) < 0)
                return UINT64_MAX;
        if (S_ISREG(st.st_mode))
                return (uint64_t) st.st_size;
        if (!S_ISDIR(st.st_mode) || depth > 8)
                return 0;
        d = opendir(path);
        if (!d)
                return UINT64_MAX;
        for (struct dirent *de; (de = readdir(d));) {
                char sub[PATH_MAX];
                uint64_t s;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
                s = path_size(sub, depth + 1);
                if (s != UINT64_MAX)
                        sum += s;
        }
        return sum;
}

typedef struct Database {
        char name[NAME_MAX + 1];
        char entry[NAME_MAX + 1];
} Database;

static int database_cmp(const void *a, const void *b) {
        return strcmp(((const Database *) a)->name, ((const Database *) b)->name);
}

/* The databases under dir, sorted by name: "<db>.mdb" files (LMDB, one environment per
 * database) and "<db>/" directories. None when dir cannot be read. */
static int database_list(const char *dir, Database **ret, size_t *ret_n) {
        _cleanup_free_ Database *dbs = NULL;
        size_t n = 0, size = 0;
        _cleanup_closedir_ DIR *d = NULL;

        d = opendir(dir);
        if (!d) {
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        for (struct dirent *de; (de = readdir(d));) {
                size_t len = strlen(de->d_name);
                bool is_dir = de->d_type == DT_DIR, is_mdb = len > 4 && strcmp(de->d_name + len - 4, ".mdb") == 0;

                if (de->d_type == DT_UNKNOWN) {
                        /* some filesystems do not say: ask */
                        struct stat st;
                        is_dir = fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
                }

                if (de->d_name[0] == '.' || (!is_dir && !is_mdb) || (is_dir && is_mdb))
                        continue;
                if (SI_GROW(dbs, n, size, 8) < 0)
                        return -ENOMEM;
                snprintf(dbs[n].entry, sizeof dbs[n].entry, "%s", de->d_name);
                snprintf(dbs[n].name, sizeof dbs[n].name, "%.*s", (int) (is_mdb ? len - 4 : len), de->d_name);
                n++;
        }
        if (n > 0)
                qsort(dbs, n, sizeof *dbs, database_cmp);
        *ret = TAKE_PTR(dbs);
        *ret_n = n;
        return 0;
}

/* One entry per database under <data_dir>/database; the transaction log is
 * <data_dir>/transactions/<same name>. */
int sysinfo_database_files(SysinfoCall *c, void **state, json_object **ret) {
        _cleanup_json_ json_object *arr = NULL;
        _cleanup_free_ Database *dbs = NULL;
        size_t n = 0;
        char dir[PATH_MAX];
        int r;

        arr = json_object_new_array();
        if (!arr)
                return -ENOMEM;
        if (c->src->data_dir) {
                snprintf(dir, sizeof dir, "%s/database", c->src->data_dir);
                r = database_list(dir, &dbs, &n);
                if (r < 0)
                        return r;
        }

        for (size_t i = 0; i < n; i++) {
                char p[PATH_MAX];
                uint64_t size, log_size;
                json_object *o;

                snprintf(p, sizeof p, "%s/database/%s", c->src->data_dir, dbs[i].entry);
                size = path_size(p, 0);
                if (size == UINT64_MAX)
                        continue;
                snprintf(p, sizeof p, "%s/transactions/%s", c->src->data_dir, dbs[i].entry);
                log_size = path_size(p, 0);

                o = json_object_new_object();
                if (!o || (r = si_append(arr, o)) < 0)
                        return -ENOMEM;
                if ((r = si_add(o, "database", json_object_new_string(dbs[i].name))) < 0 ||
                    (r = si_add(o, "size", si_json_u64(size))) < 0 ||
                    (r = si_add(o, "transaction_log_size", si_json_u64(log_size))) < 0)
                        return r;
        }
        *ret = TAKE_PTR(arr);
        return 0;
}
