/* SPDX-License-Identifier: MIT */
/* harper-ops-http's connections: who is at the other end, their count per listening socket, per
 * TCP source and per unix user (kept from accept() on, see http-listen.c), and the deadline for
 * a whole request. Each HttpServer keeps its own (its conns and counts, under its conns_lock)
 * and its own watchdog thread. */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <microhttpd.h>

#include "http-listen.h"
#include "identity.h"

/* The room for a connection's key: "uid " and a number, or a TCP source. */
#define CONN_KEY_MAX (INET6_ADDRSTRLEN + 8)

/* The connections counted under one key. */
typedef struct ConnCount {
        char key[CONN_KEY_MAX];
        unsigned n;   /* 0: a free slot */
} ConnCount;

/* One per connection (MHD's socket context). */
typedef struct Conn {
        struct Conn *prev, *next;
        Listener *listener;
        HttpServer *server;       /* listener's */
        int watch_fd;             /* our own dup of the socket: shutdown() here ends it */
        bool receiving;           /* reading a request (or idle between two) */
        uint64_t phase_start;     /* when that began, CLOCK_MONOTONIC usec */
        bool peer_known;
        uid_t peer_uid;
        char key[CONN_KEY_MAX];   /* what it was counted under when accepted */
        char remote[INET6_ADDRSTRLEN + 8];
        char source[INET6_ADDRSTRLEN + 8];   /* TCP: the address failed logins are counted by */
        Identity identity;        /* who the caller is, once known */
        bool have_identity;
        char *authorization;      /* the Authorization header PAM accepted on this connection */
        uint64_t login_time;      /* when, CLOCK_MONOTONIC usec */
} Conn;

/* The key a new connection on a listener of kind tcp counts under: its source (TCP, from sa) or
 * "uid N" of its unix peer (from fd; "uid ?" when unknown), into buf (CONN_KEY_MAX). */
void connection_key(bool tcp, int fd, const struct sockaddr *sa, char *buf, size_t size);

/* Counts an accepted connection of key on l against --max-connections (per listening socket)
 * and --max-connections-per-source or -per-user: true when it may be served, false (nothing
 * counted) when over either. connections_release() ends what this counted. */
bool connections_admit(Listener *l, const char *key);
void connections_release(Listener *l, const char *key);

/* MHD's connection callback (cls: the Listener): a Conn for each new connection, freed (and its
 * count released) when the connection ends. */
void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                   enum MHD_ConnectionNotificationCode code);

/* The Conn of c, or NULL when there was no memory for one. */
Conn *conn_of(struct MHD_Connection *c);

/* Whether conn is reading a request (or idle between two): only that counts against
 * --request-timeout, from now. */
void conn_receiving(Conn *conn, bool yes);

/* The connections of s open now. */
unsigned connections_count(HttpServer *s);

/* Starts s's thread that closes connections whose request did not arrive within
 * --request-timeout: 0 or -errno. connections_watch_stop() ends it (no-op when not running). */
int connections_watch_start(HttpServer *s);
void connections_watch_stop(HttpServer *s);
