/* SPDX-License-Identifier: MIT */
/* Minimal logging to stderr. Under systemd (JOURNAL_STREAM set) each line carries a syslog
 * priority prefix that journald understands; on a terminal the program name instead. Each line
 * is written at once, so lines of threads and processes sharing the stream never interleave. */
#pragma once

#include <errno.h>
#include <syslog.h>

void log_setup(const char *program, int max_level);
void log_full(int level, const char *format, ...) __attribute__((format(printf, 2, 3)));
/* Logs with errno set to |error|, so that "%m" says what error means; returns -|error|, for
 * "return log_error_errno(r, "Cannot ...: %m");". */
int log_full_errno(int level, int error, const char *format, ...) __attribute__((format(printf, 3, 4)));

#define log_error(...) log_full(LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_full(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_full(LOG_DEBUG, __VA_ARGS__)

#define log_error_errno(error, ...) log_full_errno(LOG_ERR, (error), __VA_ARGS__)
#define log_warning_errno(error, ...) log_full_errno(LOG_WARNING, (error), __VA_ARGS__)
#define log_notice_errno(error, ...) log_full_errno(LOG_NOTICE, (error), __VA_ARGS__)
#define log_info_errno(error, ...) log_full_errno(LOG_INFO, (error), __VA_ARGS__)
#define log_debug_errno(error, ...) log_full_errno(LOG_DEBUG, (error), __VA_ARGS__)
/* -ENOMEM, logged. */
#define log_oom() log_full_errno(LOG_ERR, ENOMEM, "Out of memory.")
