/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz-util.h"

static char temp_dir[PATH_MAX];

static void remove_temp_dir(void) {
        char command[PATH_MAX + 16];

        /* only ever our own mkdtemp() directory */
        snprintf(command, sizeof command, "rm -rf '%s'", temp_dir);
        if (system(command) != 0)
                fprintf(stderr, "Cannot remove %s\n", temp_dir);
}

const char *fuzz_temp_dir(void) {
        const char *base = getenv("TMPDIR");

        if (temp_dir[0])
                return temp_dir;
        snprintf(temp_dir, sizeof temp_dir, "%s/sysops-fuzz-XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(temp_dir)) {
                perror("mkdtemp");
                abort();
        }
        atexit(remove_temp_dir);
        return temp_dir;
}

static void make_parents(char *path) {
        for (char *slash = strchr(path + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
                *slash = 0;
                if (mkdir(path, 0700) < 0 && errno != EEXIST) {
                        perror(path);
                        abort();
                }
                *slash = '/';
        }
}

void fuzz_write_file(const char *dir, const char *name, const uint8_t *data, size_t size) {
        char path[PATH_MAX];
        int fd;

        snprintf(path, sizeof path, "%s/%s", dir, name);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 && errno == ENOENT) {
                make_parents(path);
                fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        }
        if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t) size)) {
                perror(path);
                abort();
        }
        close(fd);
}

char *fuzz_strndup(const uint8_t *data, size_t size) {
        char *s = malloc(size + 1);

        if (!s)
                abort();
        memcpy(s, data, size);
        s[size] = 0;
        return s;
}
