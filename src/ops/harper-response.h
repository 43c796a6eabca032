/* SPDX-License-Identifier: MIT */
/* What harper-ops answers: Harper's response bodies and status codes, and the exit status
 * that stands for them. No bus types, so it is unit-tested on its own. */
#pragma once

#include <json-c/json.h>
#include <stdint.h>

#include "status-store.h"

typedef enum Outcome {
        OUTCOME_OK,                 /* 200 */
        OUTCOME_BAD_REQUEST,        /* 400 */
        OUTCOME_DENIED,             /* 403: polkit said no (or cancelled) */
        OUTCOME_AUTH_REQUIRED,      /* 403: a password would do; run interactively */
        OUTCOME_INTERNAL_ERROR,     /* 500 */
        OUTCOME_CONFLICT,           /* 409: the same restart is already running */
        OUTCOME_JOB_ERROR,          /* 200, but the job followed with --wait ended in ERROR */
        OUTCOME_UNAVAILABLE,        /* 503: polkit did not answer; trying again is fine */
        OUTCOME_LIMITS_EXCEEDED,    /* 429: the caller's budget is spent, or polkit's line is full */
        OUTCOME_STATUSES_UNKNOWN,   /* 503: the daemon does not know the statuses yet */
} Outcome;

/* Exit statuses of harper-ops, one per outcome (64 is a bad command line). */
enum {
        EXIT_OK = 0,
        EXIT_INTERNAL_ERROR = 1,
        EXIT_BAD_REQUEST = 2,
        EXIT_DENIED = 3,
        EXIT_AUTH_REQUIRED = 4,
        EXIT_JOB_ERROR = 5,
        EXIT_CONFLICT = 6,
        EXIT_UNAVAILABLE = 7,
        EXIT_STATUSES_UNKNOWN = 8,
        EXIT_LIMITS_EXCEEDED = 9,
        EXIT_USAGE = 64,
};

typedef struct Response {
        Outcome outcome;
        json_object *body;   /* owned */
} Response;

int outcome_http_status(Outcome o);
int outcome_exit_status(Outcome o);

/* 200 with body (takes ownership). */
Response response_ok(json_object *body);
/* 200 {"message": text}, as Harper wraps plain results. */
Response response_message(const char *text);
/* {"error": message} with the outcome's status. */
Response response_error(Outcome o, const char *message);
/* Harper's 403 body for a caller who is not a super user: it names the JavaScript function
 * behind the operation (setStatus, not set_status). */
Response response_forbidden(Outcome o, const char *function);
/* Maps a D-Bus error from harper-sysopsd to Harper's answer. */
Response response_from_bus_error(const char *name, const char *message, const char *function);
void response_done(Response *r);

/* {"id","status","__createdtime__","__updatedtime__"}, in Harper's key order. */
json_object *status_record_to_json(const char *id, const char *status, uint64_t created_ms, uint64_t updated_ms);

/* Harper's get_job record: {created_datetime, end_datetime, id, message, result?,
 * start_datetime, status, type, user}; times of 0 (not yet) are null, result is JSON text
 * ("" = none). */
json_object *job_record_to_json(const char *id, const char *type, const char *status, const char *message,
                                const char *result, const char *user, uint64_t created_ms, uint64_t start_ms,
                                uint64_t end_ms);

/* Harper's compact JSON text of the body (pretty when asked); valid until the body is freed. */
const char *response_body_text(const Response *r, int pretty);
