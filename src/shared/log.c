/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* A longer line is cut: a log line is for people, and a bounded one cannot flood the journal. */
#define LOG_LINE_MAX 4096

static const char *log_program = "harper-sysops";
static int log_max_level = LOG_INFO;
static bool log_to_journal;

void log_setup(const char *program, int max_level) {
        log_program = program;
        log_max_level = max_level;
        log_to_journal = getenv("JOURNAL_STREAM") != NULL;
}

__attribute__((format(printf, 2, 0)))
static void log_line(int level, const char *format, va_list ap) {
        char line[LOG_LINE_MAX];
        int saved_errno = errno;   /* for %m */
        int n, m;

        n = log_to_journal ? snprintf(line, sizeof line, "<%d>", level) :
                             snprintf(line, sizeof line, "%s: ", log_program);
        if (n < 0 || (size_t) n >= sizeof line - 1)
                n = 0;
        errno = saved_errno;
        m = vsnprintf(line + n, sizeof line - 1 - (size_t) n, format, ap);
        if (m < 0)
                m = 0;
        n = (size_t) n + (size_t) m >= sizeof line - 1 ? (int) sizeof line - 2 : n + m;
        line[n++] = '\n';
        /* one write: stderr is unbuffered, and a line must not mix with another thread's */
        (void) !write(STDERR_FILENO, line, (size_t) n);
        errno = saved_errno;
}

void log_full(int level, const char *format, ...) {
        va_list ap;

        if (level > log_max_level)
                return;
        va_start(ap, format);
        log_line(level, format, ap);
        va_end(ap);
}

int log_full_errno(int level, int error, const char *format, ...) {
        va_list ap;

        error = error < 0 ? -error : error;
        if (level <= log_max_level) {
                errno = error;
                va_start(ap, format);
                log_line(level, format, ap);
                va_end(ap);
        }
        return -error;
}
