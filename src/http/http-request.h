/* SPDX-License-Identifier: MIT */
/* One request to harper-ops-http: the checks of its method, path, headers and body, running it
 * in a worker of the caller (its server's pool), and the answer. */
#pragma once

#include <stddef.h>
#include <microhttpd.h>

/* MHD's request callbacks, each with the Listener as cls: the request's target as sent (before
 * MHD parses it: the query string is still there; returns the request's context), the request
 * as it arrives, and its end. */
void *on_request_target(void *cls, const char *uri, struct MHD_Connection *c);
enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                           const char *version, const char *upload_data, size_t *upload_data_size,
                           void **req_cls);
void on_completed(void *cls, struct MHD_Connection *c, void **req_cls, enum MHD_RequestTerminationCode toe);
