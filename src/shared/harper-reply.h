/* SPDX-License-Identifier: MIT */
/* Harper's answers to operations-API requests: the bytes collected up to a size bound, then
 * turned into Harper's JSON or into one sentence saying what went wrong. No curl or bus types:
 * the daemon's harper-client feeds it, unit tests drive it directly. */
#pragma once

#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

/* Harper's system_information with all sections and its metrics can be several MiB. */
#define HARPER_ANSWER_MAX_BYTES (16u * 1024u * 1024u)

typedef struct HarperAnswer {
        char *data;            /* NUL-terminated, size bytes before the NUL */
        size_t size;
        size_t allocated;
        size_t max;            /* 0 = HARPER_ANSWER_MAX_BYTES */
        bool too_large;        /* an append would have gone past max; nothing more is kept */
} HarperAnswer;

/* Appends n bytes; -EFBIG (and too_large set) when the answer would grow past its bound. */
int harper_answer_append(HarperAnswer *a, const void *bytes, size_t n);
/* Frees the bytes; the answer can be reused. */
void harper_answer_done(HarperAnswer *a);

/* What went wrong with a question to Harper, as a negative errno: the error code that goes with
 * every sentence of harper_answer_parse() and of harper-client's callbacks. Code decides by the
 * code; the sentence is for people.
 *   HARPER_ERROR_REFUSED (-EREMOTEIO)  Harper answered with an error status (HTTP 4xx: it
 *                                      refused the operation, 5xx: it could not carry it out);
 *                                      asking again gets the same answer
 *   -EPROTO        the answer is not HTTP, or has a status that is neither 2xx nor an error
 *   -EBADMSG       the answer is empty, not JSON, or not a JSON object or array
 *   -EFBIG         the answer is larger than its bound
 *   -ECONNREFUSED  Harper is not running: its socket is missing, or nobody listens there
 *   -EHOSTUNREACH  Harper cannot be connected to for another reason
 *   -ETIMEDOUT     Harper did not answer within the call's time bound
 *   -ECONNRESET    Harper closed the connection before its answer was complete
 *   -ENOMEM        out of memory
 *   -EIO           anything else (curl could not even start the call)
 * All but HARPER_ERROR_REFUSED say Harper could not be reached or read: worth asking again. */
#define HARPER_ERROR_REFUSED (-EREMOTEIO)

/* An HTTP status and the answer's bytes as Harper's reply to operation (NULL = "the request").
 * 2xx with a JSON object or array: 0 and *ret_reply (the caller's reference). Otherwise one of
 * the codes above and *ret_error, one sentence, e.g. "Harper's answer is not JSON." (-EBADMSG)
 * or "Harper refused restart_service: Invalid service (HTTP 400)." (HARPER_ERROR_REFUSED);
 * -ENOMEM and *ret_error NULL when the sentence cannot be made. */
int harper_answer_parse(const HarperAnswer *a, const char *operation, long http_status, json_object **ret_reply,
                        char **ret_error);

/* "10 s", "200 ms": a time bound as the error sentences say it. */
void harper_format_duration(char *buf, size_t size, unsigned long long usec);

/* Whether error (a code above, or 0) says Harper answered with an error status (it refused or
 * failed the operation), rather than that it could not be reached or read. */
bool harper_error_is_refusal(int error);
