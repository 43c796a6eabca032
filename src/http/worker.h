/* SPDX-License-Identifier: MIT */
/* A harper-ops-http worker: a process with one caller's credentials and nothing more, that
 * runs that caller's requests on its own system bus connection, one at a time, so polkit
 * judges the caller exactly as for harper-ops. */
#pragma once

/* The worker's main, in the process the listener exec'd as root with fd its socket: reads whom
 * to become (the identity frame), puts /dev/null on stdin, stdout and stderr, takes on that
 * user's groups, gid and uid for good without ever being ptraceable by the user (not
 * dumpable, no capability, no_new_privs), gets a journal stream of its own when the listener's
 * stderr was one, tells the listener it is ready, then answers request frames on fd until the
 * listener closes it. Returns the exit status. */
int worker_main(int fd);
