/* SPDX-License-Identifier: MIT */
/* What the benchmarks share: the project's cleanup idioms (macro.h), the monotonic clock
 * (time-util.h's monotonic_usec) in the unit a benchmark prints, the order and percentiles of
 * its timings, and a child's change of user. */
#pragma once

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "macro.h"
#include "time-util.h"

/* monotonic_usec() in seconds and in ms. */
static inline double monotonic_sec(void) {
        return (double) monotonic_usec() / 1e6;
}

static inline double monotonic_ms(void) {
        return (double) monotonic_usec() / 1e3;
}

/* qsort()'s order of doubles, smallest first. */
static inline int compare_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;

        return (x > y) - (x < y);
}

/* Sorts the n (at least 1) timings in t; *p50 is the middle one, *p99 the one at 99 % of n. */
static inline void percentiles_p50_p99(double *t, int n, double *p50, double *p99) {
        qsort(t, (size_t) n, sizeof *t, compare_double);
        *p50 = t[n / 2];
        *p99 = t[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1];
}

/* In a forked child: takes on user's groups, gid and then uid (so that the bus and polkit judge
 * that user), or says why not on stderr (hint: how to name another user) and exits 1. */
static inline void bench_become_user(const char *user, const char *hint) {
        struct passwd *pw = getpwnam(user);

        if (!pw) {
                fprintf(stderr, "no user %s (%s)\n", user, hint);
                _exit(1);
        }
        if (initgroups(user, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
                fprintf(stderr, "cannot become %s: %m\n", user);
                _exit(1);
        }
}
