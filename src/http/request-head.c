/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "macro.h"
#include "request-head.h"

/* The Host of a request to the TCP port: a loopback name or address, with or without a port.
 * Else a web page (DNS rebinding) could be talking to it through the browser. */
static bool host_is_loopback(const char *host) {
        static const char *const names[] = { "localhost", "127.0.0.1", "[::1]" };

        if (!host)
                return true;   /* HTTP/1.0 without Host: not a browser */
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                size_t n = strlen(names[i]);
                if (strncasecmp(host, names[i], n) != 0)
                        continue;
                if (host[n] == 0 || (host[n] == ':' && host[n + 1] && strspn(host + n + 1, "0123456789") == strlen(host + n + 1)))
                        return true;
        }
        return false;
}

/* Where the body ends must be plain: one Content-Length, or Transfer-Encoding: chunked alone.
 * A proxy in front that reads the other header would see a different request (smuggling).
 * NULL, or why not. */
static const char *framing_problem(const RequestHead *head) {
        assert(head);

        /* RFC 9112 section 5.1: a 400. libmicrohttpd 0.9 frames the body by
         * "Transfer-Encoding : chunked" all the same, a proxy in front may not (1.0 answers 400
         * itself before asking us) */
        if (head->space_before_colon)
                return "{\"error\":\"A header has whitespace between its name and the colon\"}";
        if (head->n_content_length > 1 || head->n_transfer_encoding > 1)
                return "{\"error\":\"Content-Length or Transfer-Encoding is given twice\"}";
        if (head->transfer_encoding && strcasecmp(head->transfer_encoding, "chunked") != 0)
                return "{\"error\":\"Transfer-Encoding must be chunked\"}";
        if (head->transfer_encoding && head->content_length)
                return "{\"error\":\"Content-Length and Transfer-Encoding cannot both be given\"}";
        return NULL;
}

unsigned request_head_check(const RequestHead *head, unsigned long long max_body, const char **ret_json,
                            bool *ret_close) {
        assert(head);
        assert(ret_json);
        assert(ret_close);

        /* RFC 9112 §3.2: 400 for an HTTP/1.1 request without Host. libmicrohttpd 1.0 answers so
         * itself before asking us (0.9 only with MHD_OPTION_STRICT_FOR_CLIENT, which also refuses
         * more), so this makes 0.9 do the same; it closes the connection as 1.0 does */
        if (head->http11_or_later && !head->host) {
                *ret_close = true;
                *ret_json = "{\"error\":\"An HTTP/1.1 request must have a Host header\"}";
                return 400;
        }
        *ret_close = false;
        *ret_json = framing_problem(head);
        if (*ret_json) {   /* first: any other answer would leave the body to be read as it says */
                *ret_close = true;
                return 400;
        }
        /* browsers send Origin on every cross-origin POST, so a web page cannot use a
         * login the browser has cached; curl and the SDKs send none */
        if (head->origin) {
                *ret_json = "{\"error\":\"Cross-origin requests are not accepted\"}";
                return 403;
        }
        if (head->tcp && !host_is_loopback(head->host)) {
                *ret_json = "{\"error\":\"Host must be localhost, 127.0.0.1 or [::1]\"}";
                return 400;
        }
        if (!head->method || strcmp(head->method, "POST") != 0) {
                *ret_json = "{\"error\":\"Only POST is supported: POST / with a JSON body.\"}";
                return 405;
        }
        /* the exact target: "/?a=b" names another resource, and its query would be ignored */
        if (!head->target || strcmp(head->target, "/") != 0) {
                *ret_json = "{\"error\":\"Not found: POST to / only.\"}";
                return 404;
        }
        /* refused before a byte of the body is read (curl's Expect: 100-continue never gets the 100) */
        if (head->content_length && strtoull(head->content_length, NULL, 10) > max_body) {
                *ret_json = "{\"error\":\"Request body is too large\"}";
                return 413;
        }
        return 0;
}
