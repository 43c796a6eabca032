/* SPDX-License-Identifier: MIT */
/* Small helpers every sysinfo file uses: arrays that grow. The cleanup idioms (json-c's
 * included) are macro.h's and json-util.h's. */
#pragma once

#include <errno.h>
#include <stdlib.h>

#include "json-util.h"
#include "macro.h"

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
