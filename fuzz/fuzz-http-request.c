/* SPDX-License-Identifier: MIT */
/* harper-ops-http's request handling (src/http: on_connection, on_request's method, path,
 * header and body checks, Harper's first checks on the body, the login's first step) on raw
 * HTTP bytes from a client on its TCP listener, served in this process by libmicrohttpd with
 * the program's own callbacks and limits, for an HttpServer with the default options (created,
 * never started: no sockets, no workers). A request that passes every check stops at the login
 * (401 without Authorization); inputs that hold an Authorization header are left out, as
 * they would run PAM (and its fail delay) for every execution. */
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http-connection.h"
#include "http-listen.h"
#include "http-request.h"
#include "http-server.h"
#include "log.h"

static Listener listener = { .tcp = true, .fd = -1, .name = "fuzz" };

static void quiet(void *cls, const char *format, va_list ap) {
}

/* The options of listener_start() (http-listen.c) that shape a request, on a daemon this
 * process drives itself. */
static struct MHD_Daemon *start(void) {
        HttpOptions options;
        struct MHD_Daemon *d;

        http_options_init(&options);
        if (http_server_new(&listener.server, &options) < 0)
                abort();
        d = MHD_start_daemon(
                MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, &listener,
                MHD_OPTION_EXTERNAL_LOGGER, quiet, NULL,
                MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) 120,
                MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) (32 * 1024),
                MHD_OPTION_URI_LOG_CALLBACK, on_request_target, &listener,
                MHD_OPTION_NOTIFY_COMPLETED, on_completed, &listener,
                MHD_OPTION_NOTIFY_CONNECTION, on_connection, &listener,
                MHD_OPTION_END);
        if (!d)
                abort();
        return d;
}

static bool mentions_authorization(const uint8_t *data, size_t size) {
        static const char word[] = "authorization";

        for (size_t i = 0; i + sizeof word - 1 <= size; i++)
                if (strncasecmp((const char *) data + i, word, sizeof word - 1) == 0)
                        return true;
        return false;
}

static size_t open_connections(struct MHD_Daemon *d) {
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        return info ? info->num_connections : 0;
}

/* Runs the daemon until it has closed the connection and forgotten it (the client has sent
 * everything and reads the answer meanwhile). */
static void serve(struct MHD_Daemon *d, int client) {
        char answer[4096];
        bool closed = false;

        for (unsigned round = 0; round < 100000 && (!closed || open_connections(d) > 0); round++) {
                struct pollfd p = { .fd = client, .events = POLLIN };

                MHD_run(d);
                while (!closed && poll(&p, 1, 0) > 0) {
                        ssize_t n = read(client, answer, sizeof answer);
                        if (n <= 0)
                                closed = true;
                }
        }
        if (!closed || open_connections(d) > 0)
                abort();   /* a request that never ends holds a connection */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static struct MHD_Daemon *d;
        struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(40000) };
        int fds[2];

        if (mentions_authorization(data, size) || size > 64 * 1024)
                return 0;
        if (!d) {
                signal(SIGPIPE, SIG_IGN);
                log_setup("fuzz-http-request", LOG_CRIT);
                d = start();
        }
        peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
                abort();
        if (size > 0 && write(fds[1], data, size) != (ssize_t) size)
                abort();
        shutdown(fds[1], SHUT_WR);
        if (MHD_add_connection(d, fds[0], (const struct sockaddr *) &peer, sizeof peer) != MHD_YES)
                abort();
        serve(d, fds[1]);
        close(fds[1]);
        return 0;
}
