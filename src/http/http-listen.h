/* SPDX-License-Identifier: MIT */
/* harper-ops-http's listening sockets, from --listen or from systemd, each served by its own
 * libmicrohttpd daemon whose callbacks get the Listener as their closure. One thread accepts on
 * all of them and hands MHD only the connections within the limits (http-connection.h): one
 * over them is closed at once, before it costs a thread or a byte of a buffer. */
#pragma once

#include <stdbool.h>
#include <microhttpd.h>

#include "http-options.h"

typedef struct HttpServer HttpServer;

typedef struct Listener {
        HttpServer *server;  /* whose state the requests on this socket share */
        bool tcp;            /* TCP: Basic login through PAM; unix: the peer's credentials */
        bool created;        /* a unix socket --listen bound: removed at the end */
        int fd;              /* non-blocking, accepted on by the server's acceptor thread */
        unsigned open;       /* connections counted on it, under the server's conns_lock */
        char name[128];      /* a unix socket: its path */
        struct MHD_Daemon *mhd;
} Listener;

/* Opens o's --listen addresses, or without any takes systemd's sockets; fills listeners (room
 * for MAX_LISTENERS, each with server set) and *n, which counts those opened even on failure.
 * 0 or -errno (logged). */
int listeners_open(HttpServer *server, const HttpOptions *o, Listener *listeners, unsigned *n);

/* Serves HTTP on l, one thread per connection, on the connections the acceptor hands it: 0 or
 * -EIO (logged). */
int listener_start(Listener *l, unsigned max_connections);

/* Starts server's thread that accepts on all its listeners (started): 0 or -errno (logged).
 * listeners_accept_stop() ends it (no-op when not running); then no connection is added. */
int listeners_accept_start(HttpServer *server);
void listeners_accept_stop(HttpServer *server);

/* Stops serving (waits for the requests in progress) and closes the socket; removes the unix
 * socket it created. After listeners_accept_stop(). */
void listener_close(Listener *l);
