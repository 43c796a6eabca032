/* SPDX-License-Identifier: MIT */
/* Section "disk": si.disksIO() (whole disks in /proc/diskstats), si.fsStats() (the mounted
 * devices' sectors) and si.fsSize() (df's local, real filesystems, statvfs each). Under a
 * fixture root statvfs cannot be asked: <root>/sysinfo-statvfs gives the figures per mount point
 * ("mount frsize blocks bfree bavail fsid", the mount point escaped as in /proc/mounts). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "sysinfo-disk.h"
#include "sysinfo-json.h"
#include "sysinfo-macro.h"
#include "sysinfo-read.h"

/* df hides these without -a (no blocks, or GNU df's dummy list) or skips them with -l (remote);
 * they are never statvfs'ed, so a dead network mount cannot hang us */
static bool fs_type_skipped(const char *type) {
        static const char *const skip[] = {
                "proc", "sysfs", "devpts", "cgroup", "cgroup2", "pstore", "bpf", "tracefs", "debugfs",
                "securityfs", "configfs", "fusectl", "mqueue", "hugetlbfs", "binfmt_misc", "autofs",
                "rpc_pipefs", "nsfs", "efivarfs", "selinuxfs", "ramfs", "squashfs", "devfs", "kernfs",
                "ignore", "none", "rootfs",
                /* remote (df -l) */
                "nfs", "nfs4", "cifs", "smb3", "smbfs", "ncpfs", "afs", "auristorfs", "coda", "ceph",
                "glusterfs", "fuse.glusterfs", "fuse.sshfs", "fuse.s3fs", "lustre", "gpfs", "9p", "ocfs2",
        };

        for (size_t i = 0; i < ELEMENTSOF(skip); i++)
                if (strcmp(type, skip[i]) == 0)
                        return true;
        return false;
}

/* si's isLinuxTmpFs(): a type containing one of these words is kept only for a device path */
static bool fs_type_tmp(const char *type) {
        static const char *const tmp[] = {
                "rootfs", "unionfs", "squashfs", "cramfs", "initrd", "initramfs", "devtmpfs", "tmpfs",
                "udev", "devfs", "specfs", "type", "appimaged",
        };

        for (size_t i = 0; i < ELEMENTSOF(tmp); i++)
                if (strstr(type, tmp[i]))
                        return true;
        return false;
}

/* /proc/mounts escapes space, tab, newline and backslash as \ooo */
static void unescape(char *s) {
        char *w = s;

        for (char *p = s; *p; p++) {
                if (p[0] == '\\' && p[1] >= '0' && p[1] <= '7' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' && p[3] <= '7') {
                        *w++ = (char) ((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
                        p += 3;
                } else
                        *w++ = *p;
        }
        *w = 0;
}

typedef struct Mount {
        char *fs, *mount, *type;
        bool rw;
        uint64_t size, used, available, fsid;
        bool keep;
} Mount;

typedef struct FsFigures {
        uint64_t frsize, blocks, bfree, bavail, fsid;
} FsFigures;

static int fs_figures(SysinfoCall *c, const char *fixture, const char *mount, FsFigures *ret) {
        if (c->root[0] == 0) {
                struct statvfs v;

                if (statvfs(mount, &v) < 0)
                        return -errno;
                *ret = (FsFigures) { v.f_frsize ?: v.f_bsize, v.f_blocks, v.f_bfree, v.f_bavail, v.f_fsid };
                return 0;
        }
        if (!fixture)
                return -ENOENT;
        for (const char *p = fixture; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
                char m[PATH_MAX];
                unsigned long long f[5];

                if (sscanf(p, "%4095s %llu %llu %llu %llu %llu", m, &f[0], &f[1], &f[2], &f[3], &f[4]) != 6)
                        continue;
                unescape(m);            /* mount points written as in /proc/mounts */
                if (strcmp(m, mount) == 0) {
                        *ret = (FsFigures) { f[0], f[1], f[2], f[3], f[4] };
                        return 0;
                }
        }
        return -ENOENT;
}

typedef struct MountList {
        Mount *items;
        size_t n, size;
} MountList;

static void mount_list_done(MountList *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->items[i].fs);
                free(l->items[i].mount);
                free(l->items[i].type);
        }
        free(l->items);
        *l = (MountList) {};
}

/* Adds m with copies of the names; on ENOMEM the list still owns what it holds. */
static int mount_list_add(MountList *l, Mount m, const char *fs, const char *mount, const char *type) {
        if (SI_GROW(l->items, l->n, l->size, 16) < 0)
                return -ENOMEM;
        m.fs = strdup(fs);
        m.mount = strdup(mount);
        m.type = strdup(type);
        l->items[l->n++] = m;
        if (!m.fs || !m.mount || !m.type)
                return -ENOMEM;
        return 0;
}

typedef struct MountNames {
        char fs[PATH_MAX], mount[PATH_MAX], type[64];
} MountNames;

/* One /proc/mounts line: false unless df -lPT would list it and si keeps it. */
static bool mount_from_line(SysinfoCall *c, const char *fixture, const char *line, MountNames *names, Mount *ret) {
        char *fs = names->fs, *mount = names->mount, *type = names->type, opts[1024];
        FsFigures f = {};

        if (sscanf(line, "%4095s %4095s %63s %1023s", fs, mount, type, opts) != 4)
                return false;
        unescape(fs);
        unescape(mount);
        if (fs_type_skipped(type))
                return false;
        /* si keeps device paths, "/", and anything not tmpfs-like (overlay, zfs, btrfs...) */
        if (!(fs[0] == '/' || strcmp(mount, "/") == 0 || strchr(fs + 1, '/') || fs[1] == ':' || !fs_type_tmp(type)))
                return false;
        if (fs_figures(c, fixture, mount, &f) < 0 || f.blocks == 0)
                return false;
        *ret = (Mount) {
                .rw = strncmp(opts, "rw", 2) == 0 && (opts[2] == 0 || opts[2] == ','),
                .size = si_mul_u64(f.blocks, f.frsize),
                .used = si_mul_u64(f.blocks - (f.bfree < f.blocks ? f.bfree : f.blocks), f.frsize),
                .available = si_mul_u64(f.bavail, f.frsize),
                .fsid = f.fsid,
                .keep = true,
        };
        return true;
}

/* si drops repeated fs+type+mount; df shows a filesystem mounted twice (bind mounts) once, at
 * its shortest mount point. True when the new mount is such a repeat; a kept mount it beats
 * is no longer kept. */
static bool mount_repeats(MountList *l, const MountNames *names, uint64_t fsid) {
        for (size_t i = 0; i < l->n; i++) {
                Mount *kept = &l->items[i];

                if (!kept->keep)
                        continue;
                if (strcmp(kept->fs, names->fs) == 0 && strcmp(kept->type, names->type) == 0 &&
                    strcmp(kept->mount, names->mount) == 0)
                        return true;
                if (fsid != 0 && kept->fsid == fsid && strcmp(kept->fs, names->fs) == 0) {
                        if (strlen(names->mount) >= strlen(kept->mount))
                                return true;
                        kept->keep = false;
                }
        }
        return false;
}

/* The mounts df -lPT would list and si keeps, in /proc/mounts order. */
static int mounts_collect(SysinfoCall *c, const char *mounts, MountList *ret) {
        _cleanup_free_ char *fixture = NULL;
        _cleanup_(mount_list_done) MountList list = {};

        if (c->root[0])
                (void) si_read_file(c->root, "/sysinfo-statvfs", &fixture);

        for (const char *p = mounts; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
                MountNames names;
                Mount m;
                int r;

                if (!mount_from_line(c, fixture, p, &names, &m) || mount_repeats(&list, &names, m.fsid))
                        continue;
                r = mount_list_add(&list, m, names.fs, names.mount, names.type);
                if (r < 0)
                        return r;
        }
        *ret = list;
        list = (MountList) {};   /* handed on */
        return 0;
}

/* The kernel name of a mounted device ("/dev/mapper/vg-root" → "dm-0"), NULL if not a device. */
static const char *device_kname(const char *real_root, const char *root, const char *fs, char *buf, size_t size) {
        char p[PATH_MAX], real[PATH_MAX];
        const char *slash, *base;
        size_t n = strlen(real_root);

        if (strncmp(fs, "/dev/", 5) != 0)
                return NULL;
        snprintf(p, sizeof p, "%s%s", root, fs);
        base = fs;
        if (realpath(p, real) && strncmp(real, real_root, n) == 0)
                base = real + n;
        slash = strrchr(base, '/');
        snprintf(buf, size, "%s", slash ? slash + 1 : base);
        return buf;
}

/* lsblk's "disk" devices: whole block devices that are not loop, ram, zram, nbd, floppy, zvol,
 * optical, device-mapper or md (si's disksIO filter) */
static bool whole_disk(const char *root, const char *name) {
        static const char *const not_disks[] = { "loop", "ram", "zram", "nbd", "fd", "zd", "sr", "dm-", "md" };
        char p[PATH_MAX];

        for (size_t i = 0; i < ELEMENTSOF(not_disks); i++)
                if (strncmp(name, not_disks[i], strlen(not_disks[i])) == 0)
                        return false;
        snprintf(p, sizeof p, "%s/sys/block/%s", root, name);
        return access(p, F_OK) == 0;
}

/* {keys[0]: reads, keys[1]: writes, keys[2]: their sum} under name in o. */
static int add_read_write(json_object *o, const char *name, const char *const keys[3], uint64_t reads,
                          uint64_t writes) {
        json_object *t = json_object_new_object();
        int r;

        r = si_add(o, name, t);
        if (r < 0 || !t)
                return -ENOMEM;
        if ((r = si_add(t, keys[0], si_json_u64(reads))) < 0 ||
            (r = si_add(t, keys[1], si_json_u64(writes))) < 0 ||
            (r = si_add(t, keys[2], si_json_u64(si_add_u64(reads, writes)))) < 0)
                return r;
        return 0;
}

static int disk_counters(SysinfoCall *c, const Mount *m, size_t n_m, json_object *o) {
        _cleanup_free_ char *stats = NULL, *mounted = NULL;
        uint64_t rio = 0, wio = 0, rx = 0, wx = 0;
        char real_root[PATH_MAX];
        size_t mounted_len = 0;
        int r;

        r = si_read_file(c->root, "/proc/diskstats", &stats);
        if (r < 0)
                return r;

        /* " name name ... " of the mounted devices, for si's fsStats */
        mounted = malloc(n_m * 64 + 2);
        if (!mounted)
                return -ENOMEM;
        mounted[mounted_len++] = ' ';
        mounted[mounted_len] = 0;
        /* symlinks resolve to canonical paths: compare with the canonical root */
        if (!c->root[0] || !realpath(c->root, real_root))
                snprintf(real_root, sizeof real_root, "%s", c->root);
        for (size_t i = 0; i < n_m; i++) {
                char name[64];

                if (device_kname(real_root, c->root, m[i].fs, name, sizeof name) && strlen(name) < 62) {
                        mounted_len += (size_t) sprintf(mounted + mounted_len, "%s ", name);
                }
        }

        for (const char *p = stats; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
                unsigned long long reads, rsect, writes, wsect;
                char name[64], key[68];

                if (sscanf(p, "%*u %*u %63s %llu %*u %llu %*u %llu %*u %llu", name, &reads, &rsect, &writes, &wsect) != 5)
                        continue;
                if (whole_disk(c->root, name)) {
                        rio = si_add_u64(rio, reads);
                        wio = si_add_u64(wio, writes);
                }
                snprintf(key, sizeof key, " %s ", name);
                if (strstr(mounted, key)) {
                        rx = si_add_u64(rx, si_mul_u64(rsect, 512));
                        wx = si_add_u64(wx, si_mul_u64(wsect, 512));
                }
        }

        r = add_read_write(o, "io", (const char *const[]) { "rIO", "wIO", "tIO" }, rio, wio);
        if (r < 0)
                return r;
        return add_read_write(o, "read_write", (const char *const[]) { "rx", "wx", "tx" }, rx, wx);
}

static int size_rows(const Mount *m, size_t n, json_object *o) {
        json_object *arr = json_object_new_array();
        int r;

        r = si_add(o, "size", arr);
        if (r < 0 || !arr)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *row;
                uint64_t denom = si_add_u64(m[i].used, m[i].available);

                if (!m[i].keep)
                        continue;
                row = json_object_new_object();
                if (!row)
                        return -ENOMEM;
                r = si_append(arr, row);
                if (r < 0)
                        return r;
                if ((r = si_add(row, "fs", json_object_new_string(m[i].fs))) < 0 ||
                    (r = si_add(row, "type", json_object_new_string(m[i].type))) < 0 ||
                    (r = si_add(row, "size", si_json_u64(m[i].size))) < 0 ||
                    (r = si_add(row, "used", si_json_u64(m[i].used))) < 0 ||
                    (r = si_add(row, "available", si_json_u64(m[i].available))) < 0 ||
                    /* si: 100 * used / (used + available), two decimals (df's Use%) */
                    (r = si_add(row, "use", denom == UINT64_MAX ? NULL :
                                si_json_double(denom ? si_round(100.0 * (double) m[i].used / (double) denom, 2) : 0))) < 0 ||
                    (r = si_add(row, "mount", json_object_new_string(m[i].mount))) < 0 ||
                    (r = si_add(row, "rw", json_object_new_boolean(m[i].rw))) < 0)
                        return r;
        }
        return 0;
}

int sysinfo_disk(SysinfoCall *c, void **state, json_object **ret) {
        _cleanup_json_ json_object *o = NULL;
        _cleanup_(mount_list_done) MountList list = {};
        const char *mounts;
        int r;

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        r = si_add(o, "free_space_basis", json_object_new_string("filesystem"));
        if (r < 0)
                return r;
        /* off (Harper's default): only the basis, as Harper 5 answers */
        if (!c->src->disk) {
                *ret = TAKE_PTR(o);
                return 0;
        }

        r = si_call_mounts(c, &mounts);
        if (r < 0)
                return r;
        r = mounts_collect(c, mounts, &list);
        if (r < 0)
                return r;
        r = disk_counters(c, list.items, list.n, o);
        if (r < 0)
                return r;
        r = size_rows(list.items, list.n, o);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}
