/* SPDX-License-Identifier: MIT */
/* Bounds on method arguments. An argument over its bound is refused with InvalidArgs before it
 * is read in full and before polkit is asked, whoever the caller: one oversized call must not
 * hold the single-threaded daemon, nor reach polkit's queue. */
#pragma once

#include <stddef.h>
#include <systemd/sd-bus.h>

/* Sets error to InvalidArgs "<what> is too long (at most <max_bytes> bytes): '<a short escaped
 * prefix of value>'" and returns its negative errno; what is e.g. "'id'". */
int bus_refuse_too_long(sd_bus_error *error, const char *what, const char *value, size_t max_bytes);

/* Sets error to name with "<sentence> '<value, escaped>'." (value is already bounded) and
 * returns its negative errno. */
int bus_refuse_unknown(sd_bus_error *error, const char *name, const char *sentence, const char *value);

/* Reads an "as" argument into names (room for max_names; they point into m), reading no more
 * than max_names + 1 entries. Returns how many were read, or a negative errno with error set:
 * InvalidArgs for more than max_names entries or one longer than max_bytes (argument is its name in messages). */
int bus_read_names(sd_bus_message *m, const char *argument, const char **names, size_t max_names,
                   size_t max_bytes, sd_bus_error *error);
