/* SPDX-License-Identifier: MIT */
/* harper-ops-http's listening sockets, from --listen or from systemd, each served by its own
 * libmicrohttpd daemon. */
#pragma once

#include <stdbool.h>
#include <microhttpd.h>

typedef struct Listener {
        bool tcp;            /* TCP: Basic login through PAM; unix: the peer's credentials */
        int fd;
        char name[128];
        struct MHD_Daemon *mhd;
} Listener;

/* Opens the --listen addresses, or without any takes systemd's sockets; fills listeners (room
 * for MAX_LISTENERS) and *n, which counts those opened even on failure. 0 or -errno (logged). */
int listeners_open(Listener *listeners, unsigned *n);

/* Serves HTTP on l, one thread per connection: 0 or -EIO (logged). */
int listener_start(Listener *l);

/* Stops serving; waits for the requests in progress. */
void listeners_stop(Listener *listeners, unsigned n);

/* Removes the unix sockets --listen created. */
void listeners_remove_sockets(void);
