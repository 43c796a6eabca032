/* SPDX-License-Identifier: MIT */
/* harper-ops-http's command line: what one HttpServer is told to do. */
#pragma once

#include <stdbool.h>

#define MAX_LISTENERS 16

typedef struct HttpOptions {
        const char *listen[MAX_LISTENERS];   /* not owned: argv's, or the caller's strings */
        unsigned n_listen;
        unsigned max_body;   /* bytes */
        unsigned max_connections, max_connections_per_user, max_connections_per_source;
        unsigned request_timeout_sec;
        unsigned max_workers, workers_per_user;
        unsigned worker_idle_sec, queue_timeout_sec, worker_timeout_sec;
        unsigned max_logins, login_recheck_sec;
        unsigned login_records, login_backoff_max_sec;
        bool allow_root_tcp;
        const char *pam_service, *pam_dir;
        bool verbose;
} HttpOptions;

/* Sets *o to the defaults (those --help names). */
void http_options_init(HttpOptions *o);

/* Reads argv into *o (which holds the defaults, or what the caller set): 1 to go on, 0 when
 * done (--help, --version), -EINVAL (logged). The strings of *o point into argv. */
int http_options_parse(HttpOptions *o, int argc, char *argv[]);
