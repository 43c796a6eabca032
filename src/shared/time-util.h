/* SPDX-License-Identifier: MIT */
/* The two clocks, one name each, header-only so that every part (the sysinfo library and the
 * benchmarks too, which link nothing else of src/shared) reads them the same way. */
#pragma once

#include <stdint.h>
#include <time.h>

#define USEC_PER_SEC 1000000ULL
#define USEC_PER_MSEC 1000ULL

/* CLOCK_REALTIME in µs since the epoch (time stamps people read). */
static inline uint64_t realtime_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000u;
}

/* The wall clock in ms since the epoch (Harper's time stamps): realtime_usec() in ms. */
static inline uint64_t now_ms(void) {
        return realtime_usec() / 1000u;
}

/* CLOCK_MONOTONIC in µs (ages and deadlines that a clock change must not move). */
static inline uint64_t monotonic_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000u;
}

/* A time in µs as the struct timespec that sem_clockwait() and pthread_cond_timedwait() take (a
 * deadline on CLOCK_MONOTONIC, for a condition set to that clock). */
static inline struct timespec timespec_from_usec(uint64_t usec) {
        return (struct timespec) {
                .tv_sec = (time_t) (usec / USEC_PER_SEC),
                .tv_nsec = (long) (usec % USEC_PER_SEC) * 1000,
        };
}
