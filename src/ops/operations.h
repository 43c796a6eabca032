/* SPDX-License-Identifier: MIT */
/* Harper's operations as harper-ops and harper-ops-http know them: each maps a request body
 * to one harper-sysopsd method call and the reply to Harper's response. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "harper-response.h"

typedef struct CallContext CallContext;
typedef struct Operation Operation;

/* What a caller adds to the shared translation; every member may be NULL. */
typedef struct CallHooks {
        /* A restart queued its job: the answer to give instead of Harper's {"message", "job_id"}
         * (harper-ops --wait follows the job). The strings are valid during the call only. */
        Response (*job_started)(const CallContext *ctx, const Operation *op, const char *message,
                                const char *job_id, const char *job_path, void *userdata);
        /* Logged after the D-Bus error when a password would have done: how this caller gives one. */
        const char *auth_hint;
        /* Logged after AccessDenied of a call that allowed a password prompt: why polkit could
         * not get one, and what to do (NULL: nothing to add). */
        const char *(*denied_hint)(void *userdata);
        void *userdata;   /* for job_started and denied_hint */
} CallHooks;

struct CallContext {
        sd_bus *bus;
        bool interactive;          /* let polkit ask for a password */
        const CallHooks *hooks;    /* NULL: none */
};

struct Operation {
        const char *name;       /* "set_status" */
        const char *function;   /* "setStatus": the name Harper's 403 body quotes */
        Response (*run)(const CallContext *ctx, json_object *request, const Operation *op);
};

/* The operation called name, or NULL. */
const Operation *operation_find(const char *name);

/* The one translation both bridges use (harper-ops, harper-ops-http): Harper's first checks on
 * the body text, the operation's lookup, then its method call on ctx->bus; with ctx->bus NULL
 * the system bus is opened for this call only (after the lookup) and closed again. */
Response operation_run_body(const CallContext *ctx, const char *text, size_t length);

/* For the operation files: calls a harper-sysopsd method: 0 with *reply, or <0 with *error set. */
int call_method(const CallContext *ctx, const char *method, sd_bus_error *error, sd_bus_message **reply,
                const char *types, ...);
/* Harper's answer for a failed call (frees error); the D-Bus error goes to stderr. */
Response failed_call(const CallContext *ctx, const Operation *op, sd_bus_error *error);

/* operations-restart.c */
Response run_restart(const CallContext *ctx, json_object *request, const Operation *op);
Response run_restart_service(const CallContext *ctx, json_object *request, const Operation *op);
Response run_get_job(const CallContext *ctx, json_object *request, const Operation *op);
