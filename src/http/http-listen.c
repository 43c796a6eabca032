/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "http-connection.h"
#include "http-listen.h"
#include "http-request.h"
#include "http-server.h"
#include "identity.h"
#include "log.h"
#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct addrinfo *, freeaddrinfo);

static int listen_unix(const char *path, Listener *l) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        assert(path);
        assert(l);

        if (strlen(path) >= sizeof sa.sun_path) {
                log_error("Socket path too long: %s", path);
                return -EINVAL;
        }
        strcpy(sa.sun_path, path);
        if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
                unlink(path);   /* left over from an earlier run */
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0 ||
            chmod(path, 0666) < 0 ||   /* anyone may connect: who they are decides what they get */
            listen(fd, SOMAXCONN) < 0)
                return log_error_errno(errno, "Cannot listen on %s: %m", path);
        l->tcp = false;
        l->created = true;
        l->fd = TAKE_FD(fd);
        snprintf(l->name, sizeof l->name, "%s", path);
        return 0;
}

/* address's host ("[::1]" without its brackets) and port, pointing into host (room for size):
 * 0 or -EINVAL (logged). */
static int split_host_port(const char *address, char *host, size_t size, const char **ret_port) {
        const char *colon = strrchr(address, ':');
        size_t n;

        assert(address);
        assert(host);
        assert(ret_port);

        if (!colon || colon == address || !colon[1] || (size_t) (colon - address) >= size) {
                log_error("--listen wants /PATH or HOST:PORT, not '%s'.", address);
                return -EINVAL;
        }
        n = (size_t) (colon - address);
        memcpy(host, address, n);
        host[n] = 0;
        if (host[0] == '[' && host[n - 1] == ']') {   /* [::1]:9925 */
                memmove(host, host + 1, n - 2);
                host[n - 2] = 0;
        }
        *ret_port = colon + 1;
        return 0;
}

static int listen_tcp(const char *address, Listener *l) {
        struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
        _cleanup_(freeaddrinfop) struct addrinfo *res = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *port;
        char host[256];
        int r, one = 1;

        assert(address);
        assert(l);

        r = split_host_port(address, host, sizeof host, &port);
        if (r < 0)
                return r;
        r = getaddrinfo(host, port, &hints, &res);
        if (r != 0) {
                log_error("Cannot resolve %s: %s", address, gai_strerror(r));
                return -EINVAL;
        }
        fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
            bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, SOMAXCONN) < 0)
                return log_error_errno(errno, "Cannot listen on %s: %m", address);
        l->tcp = true;
        l->fd = TAKE_FD(fd);
        snprintf(l->name, sizeof l->name, "http://%s", address);
        return 0;
}

/* Socket fd from systemd as *l: 0 or -EINVAL (logged). */
static int listen_activated_one(int fd, Listener *l) {
        assert(l);

        l->fd = fd;
        if (sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) > 0) {
                struct sockaddr_un sa;
                socklen_t len = sizeof sa;

                l->tcp = false;
                if (getsockname(fd, (struct sockaddr *) &sa, &len) == 0 && len > sizeof(sa_family_t))
                        snprintf(l->name, sizeof l->name, "%.*s", (int) (len - sizeof(sa_family_t)), sa.sun_path);
        } else if (sd_is_socket_inet(fd, AF_UNSPEC, SOCK_STREAM, 1, 0) > 0) {
                l->tcp = true;
                snprintf(l->name, sizeof l->name, "TCP socket %d from systemd", fd);
        } else {
                log_error("Socket %d from systemd is neither a listening unix nor TCP stream socket.", fd);
                return -EINVAL;
        }
        if (!l->name[0])
                snprintf(l->name, sizeof l->name, "unix socket %d from systemd", fd);
        (void) fcntl(fd, F_SETFD, FD_CLOEXEC);   /* never into a worker */
        return 0;
}

/* The sockets systemd passed (harper-ops-http.socket). */
static int listen_activated(HttpServer *server, Listener *ls, unsigned *n) {
        int count = sd_listen_fds(1);

        assert(ls);
        assert(n);

        if (count <= 0) {
                log_error("No --listen given and no sockets from systemd. See --help.");
                return -EINVAL;
        }
        if (count > MAX_LISTENERS)
                return -E2BIG;
        for (int i = 0; i < count; i++) {
                Listener *l = &ls[(*n)++];
                int r;

                *l = (Listener) { .server = server, .fd = -EBADF };
                r = listen_activated_one(SD_LISTEN_FDS_START + i, l);
                if (r < 0)
                        return r;
        }
        return 0;
}

int listeners_open(HttpServer *server, const HttpOptions *o, Listener *listeners, unsigned *n) {
        assert(server);
        assert(o);
        assert(listeners);
        assert(n);

        if (o->n_listen == 0)
                return listen_activated(server, listeners, n);
        for (unsigned i = 0; i < o->n_listen; i++) {
                Listener *l = &listeners[(*n)++];
                int r;

                *l = (Listener) { .server = server, .fd = -EBADF };
                r = o->listen[i][0] == '/' ? listen_unix(o->listen[i], l) : listen_tcp(o->listen[i], l);
                if (r < 0)
                        return r;
        }
        return 0;
}

__attribute__((format(printf, 2, 0)))
static void mhd_log(void *cls, const char *format, va_list ap) {
        char text[512], shown[4 * 512];
        size_t n;

        vsnprintf(text, sizeof text, format, ap);
        n = strlen(text);
        if (n > 0 && text[n - 1] == '\n')
                text[n - 1] = 0;
        log_debug("libmicrohttpd: %s", escape_for_log(text, shown, sizeof shown));   /* it may quote the client */
}

int listener_start(Listener *l, unsigned max_connections) {
        assert(l);
        assert(l->fd >= 0);

        if (fcntl(l->fd, F_SETFL, fcntl(l->fd, F_GETFL) | O_NONBLOCK) < 0)
                return log_error_errno(errno, "Cannot make %s non-blocking: %m", l->name);
        /* MHD gets its connections from the acceptor (MHD_add_connection), which wakes its
         * thread (ITC) */
        l->mhd = MHD_start_daemon(
                MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG |
                MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC,
                0, NULL, NULL, on_request, l,
                MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,   /* first, or MHD logs the rest itself */
                /* the acceptor's count is the limit; MHD's own counts a closed connection a
                 * moment longer, so it has room for that */
                MHD_OPTION_CONNECTION_LIMIT, 2 * max_connections,
                /* silence between bytes; the whole request is bounded by the watchdog, and an
                 * answer may take as long as the daemon (polkit) needs */
                MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) 120,
                MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) (32 * 1024),
                MHD_OPTION_THREAD_STACK_SIZE, (size_t) (512 * 1024),
                MHD_OPTION_URI_LOG_CALLBACK, on_request_target, l,
                MHD_OPTION_NOTIFY_COMPLETED, on_completed, l,
                MHD_OPTION_NOTIFY_CONNECTION, on_connection, l,
                MHD_OPTION_END);
        if (!l->mhd) {
                log_error("Cannot serve HTTP on %s.", l->name);
                return -EIO;
        }
        log_info("Serving Harper's operations API on %s (%s).", l->name, l->tcp ? "HTTP Basic through PAM" :
                 "callers identified by their credentials");
        return 0;
}

/* The connections waiting on l, each closed at once when over its limits, else handed to MHD:
 * at most a batch, so that one busy socket does not starve the others. */
static void accept_pending(Listener *l) {
        for (unsigned i = 0; i < 64; i++) {
                struct sockaddr_storage sa;
                socklen_t len = sizeof sa;
                char key[CONN_KEY_MAX];
                int fd;

                fd = accept4(l->fd, (struct sockaddr *) &sa, &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
                if (fd < 0) {
                        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                                log_warning_errno(errno, "Cannot accept a connection on %s: %m", l->name);
                                usleep(100 * 1000);   /* the connections left open end meanwhile */
                        }
                        return;   /* EAGAIN: none left; else poll says when to try again */
                }
                connection_key(l->tcp, fd, (struct sockaddr *) &sa, key, sizeof key);
                if (!connections_admit(l, key)) {
                        log_debug("Closing a connection on %s from %s: over its limits.", l->name, key);
                        close(fd);
                        continue;
                }
                if (MHD_add_connection(l->mhd, fd, (struct sockaddr *) &sa, len) != MHD_YES)
                        connections_release(l, key);   /* MHD closed it */
        }
}

static void *acceptor(void *userdata) {
        HttpServer *s = ASSERT_PTR(userdata);
        struct pollfd fds[MAX_LISTENERS + 1];

        for (unsigned i = 0; i < s->n_listeners; i++)
                fds[i] = (struct pollfd) { .fd = s->listeners[i].fd, .events = POLLIN };
        fds[s->n_listeners] = (struct pollfd) { .fd = s->acceptor_stop_fd, .events = POLLIN };
        for (;;) {
                if (poll(fds, s->n_listeners + 1, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        log_error_errno(errno, "Cannot wait for connections: %m");
                        return NULL;
                }
                if (fds[s->n_listeners].revents)
                        return NULL;
                for (unsigned i = 0; i < s->n_listeners; i++)
                        if (fds[i].revents)
                                accept_pending(&s->listeners[i]);
        }
}

int listeners_accept_start(HttpServer *server) {
        int r;

        assert(server);
        assert(!server->acceptor_running);

        /* a slot per connection that may be open, so admitting never runs out of them */
        server->n_counts = server->n_listeners * server->options.max_connections;
        server->counts = calloc(server->n_counts, sizeof *server->counts);
        if (!server->counts)
                return log_oom();
        server->acceptor_stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (server->acceptor_stop_fd < 0)
                return log_error_errno(errno, "Cannot create the acceptor's eventfd: %m");
        r = pthread_create(&server->acceptor, NULL, acceptor, server);
        if (r != 0)
                return log_error_errno(r, "Cannot start the acceptor thread: %m");
        server->acceptor_running = true;
        return 0;
}

void listeners_accept_stop(HttpServer *server) {
        assert(server);

        if (server->acceptor_running) {
                (void) !write(server->acceptor_stop_fd, &(uint64_t) { 1 }, sizeof(uint64_t));
                pthread_join(server->acceptor, NULL);
                server->acceptor_running = false;
        }
        if (server->acceptor_stop_fd >= 0)
                close(server->acceptor_stop_fd);
        server->acceptor_stop_fd = -EBADF;
}

void listener_close(Listener *l) {
        assert(l);

        if (l->mhd)
                MHD_stop_daemon(l->mhd);
        if (l->fd >= 0)
                close(l->fd);
        l->mhd = NULL;
        l->fd = -EBADF;
        if (l->created)
                unlink(l->name);
        l->created = false;
}
