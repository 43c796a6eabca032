/* SPDX-License-Identifier: MIT */
/* Minimal logging to stderr. Under systemd (JOURNAL_STREAM set) each line carries a syslog
 * priority prefix that journald understands; on a terminal the program name instead. */
#pragma once

#include <syslog.h>

void log_setup(const char *program, int max_level);
void log_full(int level, const char *format, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_full(LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_full(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_full(LOG_DEBUG, __VA_ARGS__)
