/* SPDX-License-Identifier: MIT */
/* harper-ops-http's listening sockets, from --listen or from systemd, each served by its own
 * libmicrohttpd daemon whose callbacks get the Listener as their closure. */
#pragma once

#include <stdbool.h>
#include <microhttpd.h>

#include "http-options.h"

typedef struct HttpServer HttpServer;

typedef struct Listener {
        HttpServer *server;  /* whose state the requests on this socket share */
        bool tcp;            /* TCP: Basic login through PAM; unix: the peer's credentials */
        bool created;        /* a unix socket --listen bound: removed at the end */
        int fd;              /* owned by mhd once that runs */
        char name[128];      /* a unix socket: its path */
        struct MHD_Daemon *mhd;
} Listener;

/* Opens o's --listen addresses, or without any takes systemd's sockets; fills listeners (room
 * for MAX_LISTENERS, each with server set) and *n, which counts those opened even on failure.
 * 0 or -errno (logged). */
int listeners_open(HttpServer *server, const HttpOptions *o, Listener *listeners, unsigned *n);

/* Serves HTTP on l, one thread per connection, with at most max_connections at once: 0 or
 * -EIO (logged). */
int listener_start(Listener *l, unsigned max_connections);

/* Stops serving (waits for the requests in progress) and closes the socket; removes the unix
 * socket it created. */
void listener_close(Listener *l);
