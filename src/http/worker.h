/* SPDX-License-Identifier: MIT */
/* A harper-ops-http worker: a process with one caller's credentials and nothing more, that
 * runs that caller's requests on its own system bus connection, one at a time, so polkit
 * judges the caller exactly as for harper-ops. */
#pragma once

#include "identity.h"

/* In a child of the listener between fork() and exec (async-signal-safe calls only): takes
 * on id's groups, gid and uid for good, sets no_new_privs, and for root drops every
 * capability. 0 or -errno. */
int worker_drop_privileges(const Identity *id);

/* The worker's main: checks the credentials cannot be regained, tells the listener it is
 * ready, then answers request frames on fd until the listener closes it. Returns the exit
 * status. */
int worker_main(int fd);
