/* SPDX-License-Identifier: MIT */
/* The daemon's client of the real Harper's operations API: HTTP/1.1 `POST /` with a JSON body,
 * over Harper's trusted unix socket (or its TCP operations port), through libcurl's multi
 * interface on the daemon's sd-event loop. Nothing blocks the loop; every call has a time
 * bound; answers are read up to HARPER_ANSWER_MAX_BYTES. */
#pragma once

#include <json-c/json.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "harper-reply.h"

typedef struct HarperClient HarperClient;
typedef struct HarperCall HarperCall;

/* reply: Harper's JSON answer (an object or array) when it answered 2xx, borrowed for the
 * callback, error 0 and message NULL. Otherwise reply NULL, error one of the negative codes in
 * harper-reply.h (HARPER_ERROR_REFUSED: Harper answered with an error status; the others: it
 * could not be reached or read), and message one sentence for people saying what went wrong,
 * e.g. "Harper is not running: cannot connect to /x/operations-server (No such file or
 * directory)." (-ECONNREFUSED) or "Harper refused restart_service: Invalid service (HTTP
 * 400)." (HARPER_ERROR_REFUSED). */
typedef void (*harper_reply_callback_t)(json_object *reply, int error, const char *message, void *userdata);

/* http_status: Harper's HTTP status when it answered at all (even 401 "Must login": its API
 * is up), error 0 and message NULL; else 0, a code and a sentence as above. */
typedef void (*harper_probe_callback_t)(long http_status, int error, const char *message, void *userdata);

int harper_client_new(HarperClient **ret, sd_event *event);
/* Ends all calls without calling back. Not from inside one of its callbacks. */
HarperClient *harper_client_free(HarperClient *c);

/* Sends body to endpoint: a unix socket path ("/var/lib/harperdb/operations-server") or an
 * http:// URL (Harper's TCP operations port), within timeout_usec (> 0). cb is called exactly
 * once, from the event loop, never from in here, unless the call is cancelled; a negative
 * errno (no callback) for bad arguments or no memory. *ret_call (may be NULL) is valid until
 * the callback runs. */
int harper_client_call(HarperClient *c, const char *endpoint, json_object *body, uint64_t timeout_usec,
                       harper_reply_callback_t cb, void *userdata, HarperCall **ret_call);

/* Asks endpoint whether Harper answers at all (a POST of "{}"); as harper_client_call. */
int harper_client_probe(HarperClient *c, const char *endpoint, uint64_t timeout_usec, harper_probe_callback_t cb,
                        void *userdata, HarperCall **ret_call);

/* Ends a call still running; its callback is not called. NULL is fine. */
void harper_call_cancel(HarperCall *call);
