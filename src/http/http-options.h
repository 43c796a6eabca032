/* SPDX-License-Identifier: MIT */
/* harper-ops-http's command line. */
#pragma once

#include <stdbool.h>

#define MAX_LISTENERS 16

typedef struct Options {
        const char *listen[MAX_LISTENERS];
        unsigned n_listen;
        unsigned max_body;   /* bytes */
        unsigned max_connections, max_connections_per_user;
        unsigned request_timeout_sec;
        unsigned max_workers, workers_per_user;
        unsigned worker_idle_sec, queue_timeout_sec, worker_timeout_sec;
        unsigned max_logins, login_recheck_sec;
        unsigned login_records, login_backoff_max_sec;
        bool allow_root_tcp;
        const char *pam_service, *pam_dir;
        bool verbose;
} Options;

/* The options in effect: the defaults until options_parse(), read-only after it (it runs
 * before any thread starts). */
extern Options options;

/* Reads argv into options: 1 to go on, 0 when done (--help, --version), -EINVAL (logged). */
int options_parse(int argc, char *argv[]);
