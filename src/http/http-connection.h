/* SPDX-License-Identifier: MIT */
/* harper-ops-http's connections: who is at the other end, the unix sockets' limit per user,
 * and the deadline for a whole request. Each HttpServer keeps its own (its conns, under its
 * conns_lock) and its own watchdog thread. */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <microhttpd.h>

#include "http-listen.h"
#include "identity.h"

/* One per connection (MHD's socket context). */
typedef struct Conn {
        struct Conn *prev, *next;
        const Listener *listener;
        HttpServer *server;       /* listener's */
        int watch_fd;             /* our own dup of the socket: shutdown() here ends it */
        bool receiving;           /* reading a request (or idle between two) */
        uint64_t phase_start;     /* when that began, CLOCK_MONOTONIC usec */
        bool peer_known;
        uid_t peer_uid;
        bool refused;             /* over --max-connections-per-user: being closed, not counted */
        char remote[INET6_ADDRSTRLEN + 8];
        char source[INET6_ADDRSTRLEN + 8];   /* TCP: the address failed logins are counted by */
        Identity identity;        /* who the caller is, once known */
        bool have_identity;
        char *authorization;      /* the Authorization header PAM accepted on this connection */
        uint64_t login_time;      /* when, CLOCK_MONOTONIC usec */
} Conn;

/* MHD's connection callback (cls: the Listener): a Conn for each new connection, closing at
 * once one over --max-connections-per-user, and freed when the connection ends. */
void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                   enum MHD_ConnectionNotificationCode code);

/* The Conn of c, or NULL when there was no memory for one. */
Conn *conn_of(struct MHD_Connection *c);

/* Whether conn is reading a request (or idle between two): only that counts against
 * --request-timeout, from now. */
void conn_receiving(Conn *conn, bool yes);

/* The connections of s open now, those being closed over --max-connections-per-user not
 * counted. */
unsigned connections_count(HttpServer *s);

/* Starts s's thread that closes connections whose request did not arrive within
 * --request-timeout: 0 or -errno. connections_watch_stop() ends it (no-op when not running). */
int connections_watch_start(HttpServer *s);
void connections_watch_stop(HttpServer *s);
