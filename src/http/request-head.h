/* SPDX-License-Identifier: MIT */
/* The checks of a request to harper-ops-http once its headers are in, before a byte of its
 * body is read: no HTTP server types, so they can be tested (and fuzzed) on their own. */
#pragma once

#include <stdbool.h>

typedef struct RequestHead {
        bool tcp;                        /* on the TCP listener (Host is checked there) */
        const char *method;
        bool http11_or_later;            /* HTTP/1.1, which must name its Host */
        const char *target;              /* the request target as sent, a query included */
        const char *host, *origin;       /* NULL when absent */
        const char *content_length;      /* the first one, NULL when absent */
        const char *transfer_encoding;   /* the first one, NULL when absent */
        unsigned n_content_length, n_transfer_encoding;
        bool space_before_colon;         /* a field name ends in whitespace (libmicrohttpd 0.9 keeps it) */
} RequestHead;

/* 0 when the request may be read on (its body, then run), else the HTTP status to refuse it
 * with, its body in *ret_json; *ret_close tells that the connection must end after the answer
 * (its framing cannot be trusted, so neither can anything after it). */
unsigned request_head_check(const RequestHead *head, unsigned long long max_body, const char **ret_json,
                            bool *ret_close);
