/* Small helpers every sysinfo file uses: cleanup attributes and a NULL-safe string compare. */
#pragma once

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

static inline bool si_streq(const char *a, const char *b) {
        return a && b && strcmp(a, b) == 0;
}

static inline void si_freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ __attribute__((cleanup(si_freep)))

static inline void si_json_putp(json_object **p) {
        json_object_put(*p);
}
#define _cleanup_json_ __attribute__((cleanup(si_json_putp)))
