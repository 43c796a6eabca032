/* SPDX-License-Identifier: MIT */
/* The HTTP side of the unit tests' fake Harpers (test-harper-client, test-status-mirror): just
 * enough to read one request and write an answer on a connected socket. */
#pragma once

#include <stddef.h>

/* Writes n bytes of text to fd (a closed peer ends it quietly). */
void fake_http_write_all(int fd, const char *text, size_t n);
void fake_http_write_text(int fd, const char *text);

/* Reads one request (headers and Content-Length bytes of body) into buf, NUL-terminated. */
void fake_http_read_request(int fd, char *buf, size_t size);
