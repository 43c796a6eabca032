/* SPDX-License-Identifier: MIT */
/* What the benchmarks share: the project's cleanup idioms (macro.h), the monotonic clock
 * (time-util.h's monotonic_usec) in the unit a benchmark prints, and the order and percentiles
 * of its timings. */
#pragma once

#include <stdlib.h>

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
