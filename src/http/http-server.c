/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "http-login.h"
#include "http-server.h"
#include "log.h"
#include "time-util.h"

int http_server_new(HttpServer **ret, const HttpOptions *o) {
        _cleanup_(http_server_freep) HttpServer *s = NULL;
        pthread_condattr_t attr;
        int r;

        assert(ret);
        assert(o);

        s = calloc(1, sizeof *s);
        if (!s)
                return log_oom();
        s->options = *o;
        s->self_fd = -EBADF;
        s->acceptor_stop_fd = -EBADF;
        pthread_mutex_init(&s->conns_lock, NULL);
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&s->watchdog_wake, &attr);
        pthread_condattr_destroy(&attr);
        sem_init(&s->login_slots, 0, o->max_logins);

        r = login_throttle_new(o, &s->throttle);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the login records: %m");
        *ret = TAKE_PTR(s);
        return 0;
}

/* The pool the requests run in, as --workers, --workers-per-user and the timeouts say. */
static int workers_start(HttpServer *s) {
        WorkerPoolConfig config = {
                .max_workers = s->options.max_workers,
                .per_identity = s->options.workers_per_user,
                .idle_usec = (uint64_t) s->options.worker_idle_sec * USEC_PER_SEC,
                .queue_usec = (uint64_t) s->options.queue_timeout_sec * USEC_PER_SEC,
                .reply_usec = (uint64_t) s->options.worker_timeout_sec * USEC_PER_SEC,
                .self_fd = s->self_fd,
        };
        int r;

        r = worker_pool_new(&config, &s->pool);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the workers: %m");
        return 0;
}

int http_server_start(HttpServer *s) {
        int r;

        assert(s);
        assert(s->self_fd < 0);

        s->self_fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        if (s->self_fd < 0)
                return log_error_errno(errno, "Cannot open this program to start workers: %m");
        r = listeners_open(s, &s->options, s->listeners, &s->n_listeners);
        if (r < 0)
                return r;
        r = workers_start(s);
        if (r < 0)
                return r;
        r = connections_watch_start(s);
        if (r < 0)
                return log_error_errno(r, "Cannot start the watchdog thread: %m");
        for (unsigned i = 0; i < s->n_listeners; i++) {
                r = listener_start(&s->listeners[i], s->options.max_connections);
                if (r < 0)
                        return r;
        }
        return listeners_accept_start(s);
}

int http_server_run(HttpServer *s, const sigset_t *stop) {
        int r, sig;

        assert(s);
        assert(stop);

        r = http_server_start(s);
        if (r < 0)
                return r;

        sd_notify(0, "READY=1\nSTATUS=Serving Harper's operations API");
        do
                r = sigwait(stop, &sig);
        while (r == EINTR);
        sd_notify(0, "STOPPING=1");
        if (r != 0)
                return log_error_errno(r, "Cannot wait for a signal: %m");
        log_info("Stopping on signal %d.", sig);
        return 0;
}

HttpServer *http_server_free(HttpServer *s) {
        if (!s)
                return NULL;
        listeners_accept_stop(s);
        for (unsigned i = 0; i < s->n_listeners; i++)
                listener_close(&s->listeners[i]);   /* waits for the requests in progress */
        connections_watch_stop(s);                  /* no connection is left */
        free(s->counts);
        worker_pool_free(s->pool);
        throttle_free(s->throttle);
        if (s->self_fd >= 0)
                close(s->self_fd);
        sem_destroy(&s->login_slots);
        pthread_cond_destroy(&s->watchdog_wake);
        pthread_mutex_destroy(&s->conns_lock);
        free(s);
        return NULL;
}
