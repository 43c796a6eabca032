/* SPDX-License-Identifier: MIT */
/* One harper-ops-http server: its listening sockets and everything the requests on them share
 * (connections, login checks and failed-login records, the worker pool), created from its
 * options. Nothing of it is process-wide, so a process may run several (the unit tests do).
 * What is process-wide stays with main: the signal mask, RLIMIT_NOFILE, SIGPIPE ignored. */
#pragma once

#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdbool.h>

#include "http-connection.h"
#include "http-listen.h"
#include "http-options.h"
#include "login-throttle.h"
#include "macro.h"
#include "worker-pool.h"

struct HttpServer {
        HttpOptions options;             /* read-only once created */
        Listener listeners[MAX_LISTENERS];
        unsigned n_listeners;

        /* the connections (http-connection.c), and the watchdog thread that bounds how long
         * their requests take to arrive */
        pthread_mutex_t conns_lock;
        Conn *conns;                     /* under conns_lock */
        pthread_t watchdog;
        bool watchdog_running;
        bool watchdog_stopping;          /* under conns_lock */
        pthread_cond_t watchdog_wake;    /* cuts the watchdog's sleep short to stop it */

        /* who is let in (http-listen.c's acceptor thread, counting in http-connection.c) */
        ConnCount *counts;               /* under conns_lock: a slot per connection that may be open */
        unsigned n_counts;
        pthread_t acceptor;
        int acceptor_stop_fd;            /* an eventfd, written to stop the acceptor */
        bool acceptor_running;

        /* the TCP logins (http-login.c) */
        sem_t login_slots;               /* PAM checks at once: each may hash a password for a while */
        LoginThrottle *throttle;         /* failed logins, against guessing */

        /* the workers the requests run in (http-request.c) */
        int self_fd;                     /* this program, opened at start, exec'd as each worker */
        WorkerPool *pool;
};

/* A server with o's options (copied; the strings o points to must outlive it) and its
 * failed-login records, serving nothing yet: 0 or -ENOMEM (logged). */
int http_server_new(HttpServer **ret, const HttpOptions *o);

/* Opens the sockets, starts the worker pool, the watchdog and one HTTP daemon per socket, which
 * serve from then on in their own threads: 0 or -errno (logged). Once per server. */
int http_server_start(HttpServer *s);

/* Starts s and tells systemd it is ready, then serves until one of the signals of stop arrives
 * (they must be blocked in every thread): 0, or -errno (logged) when s could not start. */
int http_server_run(HttpServer *s, const sigset_t *stop);

/* Stops serving (waits for the requests in progress), ends the workers, removes the unix
 * sockets --listen created and frees s. NULL is fine. Returns NULL. */
HttpServer *http_server_free(HttpServer *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(HttpServer *, http_server_free);
