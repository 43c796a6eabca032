/* SPDX-License-Identifier: MIT */
/* harper-ops-http: Harper's operations API shape (POST / with a JSON body) over HTTP/1.1 on
 * unix sockets and loopback TCP, in front of harper-sysopsd.
 *
 * Processes: the listener (this program, as root) speaks HTTP (libmicrohttpd, one thread per
 * connection) and decides who the caller is: the peer's credentials on a unix socket, an
 * HTTP Basic login checked through PAM on TCP. It never calls the bus itself. Each request
 * goes, as its body, to a worker: a process started for that one user that has dropped to
 * the user's uid, gid and groups for good (worker.c), with its own bus connection; the
 * answer comes back the same way. The operations and their answers are harper-ops's own
 * (operation_run_body in src/ops).
 *
 * Here: main and the worker's entry. http-options.c: the command line; http-listen.c: the
 * sockets; http-connection.c: each connection, its limits and deadline; http-login.c: who the
 * caller is; http-request.c: one request, run in a worker (worker-pool.c), and its answer. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "http-connection.h"
#include "http-listen.h"
#include "http-login.h"
#include "http-options.h"
#include "http-request.h"
#include "log.h"
#include "worker.h"

/* A worker: this program again, exec'd by the listener with one user's credentials. */
static int run_worker(const char *fd_text) {
        /* before anything else: exec made it dumpable again (its euid is its uid), and its
         * user must not ptrace a process that holds the listener's stderr and socket */
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

        if (getrlimit(RLIMIT_NOFILE, &fds) == 0 && fds.rlim_cur < fds.rlim_max) {
                fds.rlim_cur = fds.rlim_max;
                setrlimit(RLIMIT_NOFILE, &fds);
        }
        signal(SIGPIPE, SIG_IGN);
        sigemptyset(stop);
        sigaddset(stop, SIGTERM);
        sigaddset(stop, SIGINT);
        pthread_sigmask(SIG_BLOCK, stop, NULL);
}

/* Opens the sockets, starts the workers, the watchdog and the HTTP servers: 0 or -errno
 * (logged). */
static int start_serving(Listener *listeners, unsigned *n_listeners) {
        int self_fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC), r;

        if (self_fd < 0) {
                r = -errno;
                log_error("Cannot open this program to start workers: %s", strerror(-r));
                return r;
        }
        r = listeners_open(listeners, n_listeners);
        if (r < 0)
                return r;
        r = login_setup();
        if (r < 0) {
                log_error("Cannot set up the login records: %s", strerror(-r));
                return r;
        }
        r = request_workers_start(self_fd);
        if (r < 0)
                return r;
        r = connections_watch_start();
        if (r < 0) {
                log_error("Cannot start the watchdog thread.");
                return r;
        }
        for (unsigned i = 0; i < *n_listeners; i++) {
                r = listener_start(&listeners[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

int main(int argc, char *argv[]) {
        Listener listeners[MAX_LISTENERS];
        unsigned n_listeners = 0;
        sigset_t stop;
        int r, sig;

        if (argc == 2 && strncmp(argv[1], "--worker-fd=", 12) == 0)
                return run_worker(argv[1] + 12);

        log_setup("harper-ops-http", LOG_INFO);
        r = options_parse(argc, argv);
        if (r <= 0)
                return r < 0 ? 64 : 0;
        log_setup("harper-ops-http", options.verbose ? LOG_DEBUG : LOG_INFO);
        if (geteuid() != 0) {
                log_error("harper-ops-http runs as root: it starts each user's worker with that user's credentials.");
                return 1;
        }
        prepare_process(&stop);
        if (start_serving(listeners, &n_listeners) < 0)
                return 1;

        sd_notify(0, "READY=1\nSTATUS=Serving Harper's operations API");
        do
                r = sigwait(&stop, &sig);
        while (r == EINTR);
        sd_notify(0, "STOPPING=1");
        log_info("Stopping on signal %d.", sig);

        listeners_stop(listeners, n_listeners);   /* waits for the requests in progress */
        request_workers_stop();
        login_cleanup();
        listeners_remove_sockets();
        return 0;
}
