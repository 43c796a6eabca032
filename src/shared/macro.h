/* SPDX-License-Identifier: MIT */
/* systemd's ownership idioms, for every part of the project: a variable declared with a
 * _cleanup_ function is freed when it goes out of scope, TAKE_PTR hands its value on (and leaves
 * NULL behind, so nothing is freed twice), and ASSERT_PTR states that a pointer is never NULL. */
#pragma once

#include <assert.h>
#include <errno.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))

/* The value of *p, with *p set to NULL: ownership moves to whoever takes it. */
#define TAKE_PTR(p)                                     \
        ({                                              \
                __typeof__(p) *_pp_ = &(p);             \
                __typeof__(p) _p_ = *_pp_;              \
                *_pp_ = NULL;                           \
                _p_;                                    \
        })

/* The value of fd, with fd set to -EBADF. */
#define TAKE_FD(fd)                                     \
        ({                                              \
                int *_fdp_ = &(fd);                     \
                int _fd_ = *_fdp_;                      \
                *_fdp_ = -EBADF;                        \
                _fd_;                                   \
        })

/* p, asserted to be non-NULL (for userdata and the like). */
#define ASSERT_PTR(p)                                   \
        ({                                              \
                __typeof__(p) _q_ = (p);                \
                assert(_q_);                            \
                _q_;                                    \
        })

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

#define streq(a, b) (strcmp((a), (b)) == 0)

/* streq() for strings that may be NULL: two NULLs are equal, a NULL equals no string. */
static inline bool streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return streq(a, b);
}

/* Defines name##p(type *p), which calls func(*p) when *p is not NULL; func may return a value,
 * which is ignored. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)         \
        static inline void func##p(type *p) {           \
                if (*p)                                 \
                        (void) func(*p);                \
        }

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

static inline void closedirp(DIR **d) {
        if (*d)
                closedir(*d);
}
#define _cleanup_closedir_ _cleanup_(closedirp)

static inline void closep(int *fd) {
        if (*fd >= 0)
                close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

/* A NULL-terminated array of strings, and everything in it. */
static inline void strv_free(char **l) {
        if (!l)
                return;
        for (char **s = l; *s; s++)
                free(*s);
        free(l);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free);
#define _cleanup_strv_free_ _cleanup_(strv_freep)

/* A copy of l and of every string in it, in *ret; -ENOMEM and nothing when out of memory. */
static inline int strv_copy(char *const *l, char ***ret) {
        size_t n = 0;
        char **copy;

        while (l[n])
                n++;
        copy = calloc(n + 1, sizeof(char *));
        if (!copy)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (!(copy[i] = strdup(l[i]))) {
                        strv_free(copy);
                        return -ENOMEM;
                }
        *ret = copy;
        return 0;
}
