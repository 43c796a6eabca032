/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "http-connection.h"
#include "http-listen.h"
#include "http-options.h"
#include "http-request.h"
#include "identity.h"
#include "log.h"

static int listen_unix(const char *path, Listener *l) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct stat st;
        int fd;

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
            listen(fd, SOMAXCONN) < 0) {
                log_error("Cannot listen on %s: %s", path, strerror(errno));
                if (fd >= 0)
                        close(fd);
                return -errno;
        }
        *l = (Listener) { .tcp = false, .fd = fd };
        snprintf(l->name, sizeof l->name, "%s", path);
        return 0;
}

static int listen_tcp(const char *address, Listener *l) {
        struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
        struct addrinfo *res = NULL;
        char host[256];
        const char *colon = strrchr(address, ':');
        int fd = -1, r, one = 1;

        if (!colon || colon == address || !colon[1] || (size_t) (colon - address) >= sizeof host) {
                log_error("--listen wants /PATH or HOST:PORT, not '%s'.", address);
                return -EINVAL;
        }
        memcpy(host, address, (size_t) (colon - address));
        host[colon - address] = 0;
        if (host[0] == '[' && host[strlen(host) - 1] == ']') {   /* [::1]:9925 */
                memmove(host, host + 1, strlen(host));
                host[strlen(host) - 1] = 0;
        }
        r = getaddrinfo(host, colon + 1, &hints, &res);
        if (r != 0) {
                log_error("Cannot resolve %s: %s", address, gai_strerror(r));
                return -EINVAL;
        }
        fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
            bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, SOMAXCONN) < 0) {
                r = -errno;
                log_error("Cannot listen on %s: %s", address, strerror(errno));
                if (fd >= 0)
                        close(fd);
                freeaddrinfo(res);
                return r;
        }
        freeaddrinfo(res);
        *l = (Listener) { .tcp = true, .fd = fd };
        snprintf(l->name, sizeof l->name, "http://%s", address);
        return 0;
}

/* The sockets systemd passed (harper-ops-http.socket). */
static int listen_activated(Listener *ls, unsigned *n) {
        int count = sd_listen_fds(1);

        if (count <= 0) {
                log_error("No --listen given and no sockets from systemd. See --help.");
                return -EINVAL;
        }
        if (count > MAX_LISTENERS)
                return -E2BIG;
        for (int i = 0; i < count; i++) {
                int fd = SD_LISTEN_FDS_START + i;
                Listener *l = &ls[(*n)++];

                *l = (Listener) { .fd = fd };
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
                fcntl(fd, F_SETFD, FD_CLOEXEC);   /* never into a worker */
        }
        return 0;
}

int listeners_open(Listener *listeners, unsigned *n) {
        int r = 0;

        if (options.n_listen == 0)
                return listen_activated(listeners, n);
        for (unsigned i = 0; r >= 0 && i < options.n_listen; i++, (*n)++)
                r = options.listen[i][0] == '/' ? listen_unix(options.listen[i], &listeners[i])
                                                : listen_tcp(options.listen[i], &listeners[i]);
        return r;
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

int listener_start(Listener *l) {
        l->mhd = MHD_start_daemon(
                MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG,
                0, NULL, NULL, on_request, l,
                MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,   /* first, or MHD logs the rest itself */
                MHD_OPTION_LISTEN_SOCKET, (MHD_socket) l->fd,
                MHD_OPTION_CONNECTION_LIMIT, (unsigned) options.max_connections,
                /* silence between bytes; the whole request is bounded by the watchdog, and an
                 * answer may take as long as the daemon (polkit) needs */
                MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) 120,
                MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) (32 * 1024),
                MHD_OPTION_THREAD_STACK_SIZE, (size_t) (512 * 1024),
                MHD_OPTION_URI_LOG_CALLBACK, on_request_target, NULL,
                MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
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

void listeners_stop(Listener *listeners, unsigned n) {
        for (unsigned i = 0; i < n; i++)
                MHD_stop_daemon(listeners[i].mhd);
}

void listeners_remove_sockets(void) {
        for (unsigned i = 0; i < options.n_listen; i++)
                if (options.listen[i][0] == '/')
                        unlink(options.listen[i]);
}
