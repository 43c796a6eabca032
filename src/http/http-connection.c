/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http-connection.h"
#include "http-login.h"
#include "http-options.h"
#include "log.h"
#include "login-throttle.h"

static pthread_mutex_t conns_lock = PTHREAD_MUTEX_INITIALIZER;
static Conn *conns;

uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

static void note_tcp_peer(Conn *conn, const struct sockaddr *sa) {
        if (sa && sa->sa_family == AF_INET)
                inet_ntop(AF_INET, &((const struct sockaddr_in *) sa)->sin_addr, conn->remote, sizeof conn->remote);
        else if (sa && sa->sa_family == AF_INET6)
                inet_ntop(AF_INET6, &((const struct sockaddr_in6 *) sa)->sin6_addr, conn->remote, sizeof conn->remote);
        throttle_source_of(sa, conn->source, sizeof conn->source);
}

static void note_unix_peer(Conn *conn, int fd) {
        struct ucred cred;
        socklen_t len = sizeof cred;

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
                conn->peer_known = true;
                conn->peer_uid = cred.uid;
        }
        snprintf(conn->remote, sizeof conn->remote, "unix:%d", conn->peer_known ? (int) cred.uid : -1);
}

/* Puts conn on the list; one over --max-connections-per-user is closed at once. */
static void conns_add(Conn *conn, int fd) {
        pthread_mutex_lock(&conns_lock);
        if (conn->peer_known) {   /* one local user must not take every connection */
                unsigned same = 0;
                for (Conn *o = conns; o; o = o->next)
                        same += o->peer_known && !o->refused && o->peer_uid == conn->peer_uid;
                if (same >= options.max_connections_per_user) {
                        log_debug("Closing a connection of uid %u: %u open already.", (unsigned) conn->peer_uid, same);
                        conn->refused = true;
                        shutdown(fd, SHUT_RDWR);   /* MHD sees the end and drops it */
                }
        }
        conn->next = conns;
        if (conns)
                conns->prev = conn;
        conns = conn;
        pthread_mutex_unlock(&conns_lock);
}

static void conns_remove(Conn *conn) {
        pthread_mutex_lock(&conns_lock);
        if (conn->prev)
                conn->prev->next = conn->next;
        else
                conns = conn->next;
        if (conn->next)
                conn->next->prev = conn->prev;
        pthread_mutex_unlock(&conns_lock);
}

static Conn *conn_new(const Listener *listener, struct MHD_Connection *c) {
        const union MHD_ConnectionInfo *fd_info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *addr = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        Conn *conn = calloc(1, sizeof *conn);

        if (!conn)
                return NULL;
        conn->listener = listener;
        conn->receiving = true;
        conn->phase_start = now_usec();
        conn->watch_fd = fd_info ? fcntl(fd_info->connect_fd, F_DUPFD_CLOEXEC, 3) : -1;
        if (listener->tcp)
                note_tcp_peer(conn, addr ? addr->client_addr : NULL);
        else if (fd_info)
                note_unix_peer(conn, fd_info->connect_fd);
        conns_add(conn, fd_info ? fd_info->connect_fd : -1);
        return conn;
}

static void conn_free(Conn *conn) {
        conns_remove(conn);
        if (conn->watch_fd >= 0)
                close(conn->watch_fd);
        login_forget(conn);
        free(conn);
}

void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                   enum MHD_ConnectionNotificationCode code) {
        if (code == MHD_CONNECTION_NOTIFY_STARTED)
                *socket_context = conn_new(cls, c);   /* NULL: on_request answers nothing, the connection is closed */
        else if (*socket_context) {   /* MHD_CONNECTION_NOTIFY_CLOSED */
                conn_free(*socket_context);
                *socket_context = NULL;
        }
}

Conn *conn_of(struct MHD_Connection *c) {
        const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        return info ? info->socket_context : NULL;
}

void conn_receiving(Conn *conn, bool yes) {
        pthread_mutex_lock(&conns_lock);
        conn->receiving = yes;
        conn->phase_start = now_usec();
        pthread_mutex_unlock(&conns_lock);
}

/* A request's headers and body must arrive within --request-timeout of the connection's start
 * or of the previous answer (which also bounds idle keep-alive connections): MHD's own timeout
 * only counts silence, so a client trickling a byte at a time would hold its connection. */
static void *watchdog(void *userdata) {
        for (;;) {
                uint64_t now = now_usec(), limit = (uint64_t) options.request_timeout_sec * 1000000u;

                pthread_mutex_lock(&conns_lock);
                for (Conn *conn = conns; conn; conn = conn->next)
                        if (conn->receiving && conn->watch_fd >= 0 && now - conn->phase_start > limit) {
                                log_debug("Closing %s: no complete request within %u s.", conn->remote,
                                          options.request_timeout_sec);
                                shutdown(conn->watch_fd, SHUT_RDWR);
                                conn->receiving = false;
                        }
                pthread_mutex_unlock(&conns_lock);
                usleep(250 * 1000);
        }
        return NULL;
}

int connections_watch_start(void) {
        pthread_t thread;
        int r = pthread_create(&thread, NULL, watchdog, NULL);

        if (r != 0)
                return -r;
        pthread_detach(thread);
        return 0;
}
