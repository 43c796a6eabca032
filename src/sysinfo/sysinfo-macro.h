/* SPDX-License-Identifier: MIT */
/* Small helpers every sysinfo file uses: json-c's cleanup, a NULL-safe string compare and
 * arrays that grow (the cleanup idioms are macro.h's). */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "macro.h"

static inline bool si_streq(const char *a, const char *b) {
        return a && b && strcmp(a, b) == 0;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);
#define _cleanup_json_ _cleanup_(json_object_putp)

/* Room for one more item in the array *items of *size items of which n are used: doubles it
 * (first items at the start). Returns 0, or -ENOMEM with *items and *size unchanged. */
static inline int si_grow(void **items, size_t *size, size_t n, size_t item_size, size_t first) {
        size_t want;
        void *p;

        if (n < *size)
                return 0;
        want = *size ? *size * 2 : first;
        p = realloc(*items, want * item_size);
        if (!p)
                return -ENOMEM;
        *items = p;
        *size = want;
        return 0;
}
#define SI_GROW(items, n, size, first) si_grow((void **) &(items), &(size), (n), sizeof *(items), (first))
