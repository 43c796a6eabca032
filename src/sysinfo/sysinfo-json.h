/* SPDX-License-Identifier: MIT */
/* JSON builders for the sections. A scalar that cannot be allocated becomes null; containers
 * are checked by the callers. */
#pragma once

#include <stdint.h>

#include <json-c/json.h>

json_object *si_json_u64(uint64_t v);              /* UINT64_MAX → null */
json_object *si_json_double(double d);             /* shortest text that reads back as d */
json_object *si_json_string(const char *s);        /* NULL → null */
/* Adds v (consumed even on failure) under key. Returns 0 or -ENOMEM. */
int si_add(json_object *o, const char *key, json_object *v);
/* Appends v (consumed even on failure) to the array a. Returns 0 or -ENOMEM. */
int si_append(json_object *a, json_object *v);
/* d rounded half away from zero to the given number of decimals. */
double si_round(double d, int decimals);
