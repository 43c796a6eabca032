/* SPDX-License-Identifier: MIT */
/* harper-ops-http: Harper's operations API shape (POST / with a JSON body) over HTTP/1.1 on
 * unix sockets and loopback TCP, in front of harper-sysopsd.
 *
 * Processes: the listener (this program, as root) speaks HTTP (libmicrohttpd, one thread per
 * connection) and decides who the caller is: the peer's credentials on a unix socket, an
 * HTTP Basic login checked through PAM on TCP. It never calls the bus itself. Each request
 * goes, as its body, to a worker: a process started for that one user that drops to the
 * user's uid, gid and groups for good (worker.c), with its own bus connection; the
 * answer comes back the same way. The operations and their answers are harper-ops's own
 * (operation_run_body in src/ops).
 *
 * Here: main and the worker's entry, and what is the process's alone (the signals, the file
 * descriptor limit). http-options.c: the command line; http-server.c: the server those
 * options make, which owns everything below; http-listen.c: the sockets; http-connection.c:
 * each connection, its limits and deadline; http-login.c: who the caller is; http-request.c:
 * one request, run in a worker (worker-pool.c), and its answer. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "http-options.h"
#include "http-server.h"
#include "log.h"
#include "macro.h"
#include "worker.h"

/* A worker: this program again, exec'd by the listener as root; it becomes one user (worker.c). */
static int run_worker(const char *fd_text) {
        /* before anything else, though only root may ptrace it yet: nothing reads its memory */
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                return EXIT_FAILURE;
        log_setup("harper-ops-http[worker]", LOG_NOTICE);
        signal(SIGPIPE, SIG_IGN);
        return worker_main(atoi(fd_text));
}

/* Room for two descriptors a connection (MHD's and the watchdog's); SIGTERM and SIGINT blocked
 * in *stop, before any thread starts, so that only sigwait() sees them. */
static void prepare_process(sigset_t *stop) {
        struct rlimit fds;

        assert(stop);

        if (getrlimit(RLIMIT_NOFILE, &fds) == 0 && fds.rlim_cur < fds.rlim_max) {
                fds.rlim_cur = fds.rlim_max;
                (void) setrlimit(RLIMIT_NOFILE, &fds);
        }
        signal(SIGPIPE, SIG_IGN);
        sigemptyset(stop);
        sigaddset(stop, SIGTERM);
        sigaddset(stop, SIGINT);
        pthread_sigmask(SIG_BLOCK, stop, NULL);
}

int main(int argc, char *argv[]) {
        _cleanup_(http_server_freep) HttpServer *server = NULL;
        HttpOptions options;
        sigset_t stop;
        int r;

        if (argc == 2 && strncmp(argv[1], "--worker-fd=", 12) == 0)
                return run_worker(argv[1] + 12);

        log_setup("harper-ops-http", LOG_INFO);
        http_options_init(&options);
        r = http_options_parse(&options, argc, argv);
        if (r <= 0)
                return r < 0 ? 64 : 0;
        log_setup("harper-ops-http", options.verbose ? LOG_DEBUG : LOG_INFO);
        if (geteuid() != 0) {
                log_error("harper-ops-http runs as root: it starts each user's worker with that user's credentials.");
                return 1;
        }
        prepare_process(&stop);
        if (http_server_new(&server, &options) < 0)
                return 1;
        if (http_server_run(server, &stop) < 0)
                return 1;
        return 0;   /* server is freed on the way out: it waits for the requests in progress */
}
