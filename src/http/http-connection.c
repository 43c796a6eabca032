/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

void connection_key(bool tcp, int fd, const struct sockaddr *sa, char *buf, size_t size) {
        struct ucred cred;
        socklen_t len = sizeof cred;

        assert(buf);

        if (tcp)
                throttle_source_of(sa, buf, size);
        else if (fd >= 0 && getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
                snprintf(buf, size, "uid %u", (unsigned) cred.uid);
        else
                snprintf(buf, size, "uid ?");
}

/* Under conns_lock: the slot of key, or with create a free one for it (NULL when none). */
static ConnCount *count_slot(HttpServer *s, const char *key, bool create) {
        ConnCount *unused = NULL;

        for (unsigned i = 0; i < s->n_counts; i++) {
                ConnCount *c = &s->counts[i];

                if (c->n > 0 && strcmp(c->key, key) == 0)
                        return c;
                if (c->n == 0 && !unused)
                        unused = c;
        }
        if (!create || !unused)
                return NULL;
        snprintf(unused->key, sizeof unused->key, "%s", key);
        return unused;
}

bool connections_admit(Listener *l, const char *key) {
        HttpServer *s = ASSERT_PTR(l->server);
        unsigned max_same = l->tcp ? s->options.max_connections_per_source : s->options.max_connections_per_user;
        ConnCount *c;
        bool ok = false;

        assert(key);

        pthread_mutex_lock(&s->conns_lock);
        if (l->open < s->options.max_connections) {
                c = count_slot(s, key, true);   /* there is a slot: fewer are open than it has */
                if (c && c->n < max_same) {
                        c->n++;
                        l->open++;
                        ok = true;
                }
        }
        pthread_mutex_unlock(&s->conns_lock);
        return ok;
}

void connections_release(Listener *l, const char *key) {
        HttpServer *s = ASSERT_PTR(l->server);
        ConnCount *c;

        assert(key);

        pthread_mutex_lock(&s->conns_lock);
        c = count_slot(s, key, false);
        if (c) {
                c->n--;
                l->open--;
        }
        pthread_mutex_unlock(&s->conns_lock);
}

/* Puts conn on its server's list. */
static void conns_add(Conn *conn) {
        HttpServer *s = conn->server;

        pthread_mutex_lock(&s->conns_lock);
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

/* The key c was counted under when accepted. */
static void conn_key(const Listener *listener, struct MHD_Connection *c, char *buf, size_t size) {
        const union MHD_ConnectionInfo *info;

        if (!listener->tcp) {
                connection_key(false, conn_fd(c), NULL, buf, size);
                return;
        }
        info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        connection_key(true, -EBADF, info ? info->client_addr : NULL, buf, size);
}

static Conn *conn_new(Listener *listener, struct MHD_Connection *c) {
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
        conn_key(listener, c, conn->key, sizeof conn->key);
        conns_add(conn);
        return conn;
}

static void conn_free(Conn *conn) {
        if (!conn)
                return;
        conns_remove(conn);
        connections_release(conn->listener, conn->key);
        if (conn->watch_fd >= 0)
                close(conn->watch_fd);
        login_forget(conn);
        free(conn);
}

void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                   enum MHD_ConnectionNotificationCode code) {
        Listener *listener = ASSERT_PTR(cls);
        char key[CONN_KEY_MAX];

        assert(socket_context);

        if (code == MHD_CONNECTION_NOTIFY_STARTED) {
                *socket_context = conn_new(listener, c);
                if (!*socket_context) {   /* on_request answers nothing, the connection is closed */
                        conn_key(listener, c, key, sizeof key);
                        connections_release(listener, key);
                }
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
                n++;
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
