/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

static const char *log_program = "harper-sysops";
static int log_max_level = LOG_INFO;
static bool log_to_journal;

void log_setup(const char *program, int max_level) {
        log_program = program;
        log_max_level = max_level;
        log_to_journal = getenv("JOURNAL_STREAM") != NULL;
}

void log_full(int level, const char *format, ...) {
        va_list ap;

        if (level > log_max_level)
                return;
        if (log_to_journal)
                fprintf(stderr, "<%d>", level);
        else
                fprintf(stderr, "%s: ", log_program);
        va_start(ap, format);
        vfprintf(stderr, format, ap);
        va_end(ap);
        fputc('\n', stderr);
}
