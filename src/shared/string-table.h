/* SPDX-License-Identifier: MIT */
/* Enum ↔ name tables, written once: a table of names indexed by the enum, and the two lookups
 * (an unknown value gives NULL, an unknown name -EINVAL). */
#pragma once

#include <errno.h>
#include <string.h>
#include <sys/types.h>

/* The index of s in table (n entries), or -EINVAL. */
static inline ssize_t string_table_lookup(const char *const *table, size_t n, const char *s) {
        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (table[i] && strcmp(table[i], s) == 0)
                        return (ssize_t) i;
        return -EINVAL;
}

#define _DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type, max, scope)            \
        scope const char *name##_to_string(type i) {                            \
                if ((int) i < 0 || (size_t) i >= (size_t) (max))                \
                        return NULL;                                            \
                return name##_table[i];                                         \
        }

#define _DEFINE_STRING_TABLE_LOOKUP_FROM_STRING(name, type, max, scope)          \
        scope type name##_from_string(const char *s) {                          \
                return (type) string_table_lookup(name##_table, (size_t) (max), s); \
        }

#define DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type, max) \
        _DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type, max, )
#define DEFINE_STRING_TABLE_LOOKUP_FROM_STRING(name, type, max) \
        _DEFINE_STRING_TABLE_LOOKUP_FROM_STRING(name, type, max, )
/* The same, static: for a table only its own file uses. */
#define DEFINE_PRIVATE_STRING_TABLE_LOOKUP_TO_STRING(name, type, max) \
        _DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type, max, static)
#define DEFINE_PRIVATE_STRING_TABLE_LOOKUP_FROM_STRING(name, type, max) \
        _DEFINE_STRING_TABLE_LOOKUP_FROM_STRING(name, type, max, static)

#define DEFINE_STRING_TABLE_LOOKUP(name, type, max)                              \
        DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type, max)                   \
        DEFINE_STRING_TABLE_LOOKUP_FROM_STRING(name, type, max)
