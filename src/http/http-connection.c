/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http-connection.h"
#include "http-login.h"
#include "http-server.h"
#include "log.h"
#include "login-throttle.h"
#include "macro.h"
#include "text.h"
#include "time-util.h"

/* How often the watchdog looks at the connections. */
#define WATCHDOG_PERIOD_USEC (250 * 1000u)

static void note_tcp_peer(Conn *conn, const struct sockaddr *sa) {
        assert(conn);

        if (sa && sa->sa_family == AF_INET)
                inet_ntop(AF_INET, &((const struct sockaddr_in *) sa)->sin_addr, conn->remote, sizeof conn->remote);
        else if (sa && sa->sa_family == AF_INET6)
                inet_ntop(AF_INET6, &((const struct sockaddr_in6 *) sa)->sin6_addr, conn->remote, sizeof conn->remote);
        throttle_source_of(sa, conn->source, sizeof conn->source);
}

static void note_unix_peer(Conn *conn, int fd) {
        struct ucred cred;
        socklen_t len = sizeof cred;

        assert(conn);

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
                conn->peer_known = true;
                conn->peer_uid = cred.uid;
        }
        snprintf(conn->remote, sizeof conn->remote, "unix:%d", conn->peer_known ? (int) cred.uid : -1);
}

/* Under conns_lock: the connections of conn's user already counted. */
static unsigned conns_of_user(const HttpServer *s, const Conn *conn) {
        unsigned same = 0;

        for (const Conn *o = s->conns; o; o = o->next)
                same += o->peer_known && !o->refused && o->peer_uid == conn->peer_uid;
        return same;
}

/* Puts conn on its server's list; one over --max-connections-per-user is closed at once. */
static void conns_add(Conn *conn, int fd) {
        HttpServer *s = conn->server;

        pthread_mutex_lock(&s->conns_lock);
        if (conn->peer_known) {   /* one local user must not take every connection */
                unsigned same = conns_of_user(s, conn);

                if (same >= s->options.max_connections_per_user) {
                        log_debug("Closing a connection of uid %u: %u open already.", (unsigned) conn->peer_uid, same);
                        conn->refused = true;
                        shutdown(fd, SHUT_RDWR);   /* MHD sees the end and drops it */
                }
        }
        conn->next = s->conns;
        if (s->conns)
                s->conns->prev = conn;
        s->conns = conn;
        pthread_mutex_unlock(&s->conns_lock);
}

static void conns_remove(Conn *conn) {
        HttpServer *s = conn->server;

        pthread_mutex_lock(&s->conns_lock);
        if (conn->prev)
                conn->prev->next = conn->next;
        else
                s->conns = conn->next;
        if (conn->next)
                conn->next->prev = conn->prev;
        pthread_mutex_unlock(&s->conns_lock);
}

/* The connection's socket, or -EBADF. Read it out at once: from libmicrohttpd 1.0 on, every
 * MHD_get_connection_info() answer of a connection is one buffer that the next call overwrites
 * (0.9 pointed at each field), so asking for the client address after the fd turned the fd
 * into bytes of the address's pointer. */
static int conn_fd(struct MHD_Connection *c) {
        const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

        return info ? info->connect_fd : -EBADF;
}

/* The client's address, copied out before any other question (see conn_fd) */
static void conn_tcp_peer(Conn *conn, struct MHD_Connection *c) {
        const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

        note_tcp_peer(conn, info ? info->client_addr : NULL);
}

static Conn *conn_new(const Listener *listener, struct MHD_Connection *c) {
        int fd = conn_fd(c);
        Conn *conn;

        assert(listener);
        assert(listener->server);

        conn = calloc(1, sizeof *conn);
        if (!conn)
                return NULL;
        conn->listener = listener;
        conn->server = listener->server;
        conn->receiving = true;
        conn->phase_start = monotonic_usec();
        conn->watch_fd = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 3) : -EBADF;
        if (listener->tcp)
                conn_tcp_peer(conn, c);
        else if (fd >= 0)
                note_unix_peer(conn, fd);
        conns_add(conn, fd);
        return conn;
}

static void conn_free(Conn *conn) {
        if (!conn)
                return;
        conns_remove(conn);
        if (conn->watch_fd >= 0)
                close(conn->watch_fd);
        login_forget(conn);
        free(conn);
}

void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                   enum MHD_ConnectionNotificationCode code) {
        const Listener *listener = ASSERT_PTR(cls);

        assert(socket_context);

        if (code == MHD_CONNECTION_NOTIFY_STARTED) {
                *socket_context = conn_new(listener, c);   /* NULL: on_request answers nothing, the connection is closed */
                return;
        }
        /* MHD_CONNECTION_NOTIFY_CLOSED */
        conn_free(*socket_context);
        *socket_context = NULL;
}

Conn *conn_of(struct MHD_Connection *c) {
        const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

        return info ? info->socket_context : NULL;
}

void conn_receiving(Conn *conn, bool yes) {
        HttpServer *s;

        assert(conn);
        s = conn->server;

        pthread_mutex_lock(&s->conns_lock);
        conn->receiving = yes;
        conn->phase_start = monotonic_usec();
        pthread_mutex_unlock(&s->conns_lock);
}

unsigned connections_count(HttpServer *s) {
        unsigned n = 0;

        assert(s);

        pthread_mutex_lock(&s->conns_lock);
        for (const Conn *conn = s->conns; conn; conn = conn->next)
                n += !conn->refused;
        pthread_mutex_unlock(&s->conns_lock);
        return n;
}

/* Under conns_lock: closes the connections whose request is overdue at now. */
static void close_overdue(HttpServer *s, uint64_t now) {
        uint64_t limit = (uint64_t) s->options.request_timeout_sec * USEC_PER_SEC;

        for (Conn *conn = s->conns; conn; conn = conn->next)
                if (conn->receiving && conn->watch_fd >= 0 && now - conn->phase_start > limit) {
                        log_debug("Closing %s: no complete request within %u s.", conn->remote,
                                  s->options.request_timeout_sec);
                        shutdown(conn->watch_fd, SHUT_RDWR);
                        conn->receiving = false;
                }
}

/* A request's headers and body must arrive within --request-timeout of the connection's start
 * or of the previous answer (which also bounds idle keep-alive connections): MHD's own timeout
 * only counts silence, so a client trickling a byte at a time would hold its connection. */
static void *watchdog(void *userdata) {
        HttpServer *s = ASSERT_PTR(userdata);

        pthread_mutex_lock(&s->conns_lock);
        while (!s->watchdog_stopping) {
                uint64_t now = monotonic_usec();
                struct timespec deadline = timespec_from_usec(now + WATCHDOG_PERIOD_USEC);

                close_overdue(s, now);
                (void) pthread_cond_timedwait(&s->watchdog_wake, &s->conns_lock, &deadline);
        }
        pthread_mutex_unlock(&s->conns_lock);
        return NULL;
}

int connections_watch_start(HttpServer *s) {
        int r;

        assert(s);
        assert(!s->watchdog_running);

        r = pthread_create(&s->watchdog, NULL, watchdog, s);
        if (r != 0)
                return -r;
        s->watchdog_running = true;
        return 0;
}

void connections_watch_stop(HttpServer *s) {
        assert(s);

        if (!s->watchdog_running)
                return;
        pthread_mutex_lock(&s->conns_lock);
        s->watchdog_stopping = true;
        pthread_cond_signal(&s->watchdog_wake);
        pthread_mutex_unlock(&s->conns_lock);
        pthread_join(s->watchdog, NULL);
        s->watchdog_running = false;
}
