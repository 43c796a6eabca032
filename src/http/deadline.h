/* SPDX-License-Identifier: MIT */
/* Time in harper-ops-http: µs on CLOCK_MONOTONIC (monotonic_usec(), text.h), and a deadline
 * in it as the struct timespec that sem_clockwait() and pthread_cond_timedwait() (on a
 * condition set to CLOCK_MONOTONIC) take. */
#pragma once

#include <stdint.h>
#include <time.h>

#ifndef USEC_PER_SEC
#define USEC_PER_SEC 1000000u
#endif

static inline struct timespec deadline_timespec(uint64_t usec) {
        return (struct timespec) {
                .tv_sec = (time_t) (usec / USEC_PER_SEC),
                .tv_nsec = (long) (usec % USEC_PER_SEC) * 1000,
        };
}
