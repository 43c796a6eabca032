/* SPDX-License-Identifier: MIT */
/* Frames between harper-ops-http's listener and its workers over a stream socketpair:
 * a 32-bit tag (a request: 0; an answer: its HTTP status), a 32-bit length, the bytes. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Sends one frame; 0, -ETIMEDOUT when the socket's SO_SNDTIMEO runs out, or -errno (never
 * SIGPIPE). */
int frame_send(int fd, uint32_t tag, const void *data, uint32_t length);

/* Receives one frame into *ret_data (malloc'd, NUL-terminated, caller frees). The whole frame
 * must arrive within timeout_ms (-1: no limit). 0, -EPIPE at a clean end before a frame,
 * -ETIMEDOUT, -EMSGSIZE when longer than max, or another -errno. */
int frame_recv(int fd, int timeout_ms, uint32_t max, uint32_t *ret_tag, char **ret_data, uint32_t *ret_length);
