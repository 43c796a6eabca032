/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>
#include <systemd/sd-bus-protocol.h>

#include "harper-response.h"
#include "macro.h"
#include "sysops-names.h"

int outcome_http_status(Outcome o) {
        switch (o) {
        case OUTCOME_OK:
        case OUTCOME_JOB_ERROR:
                return 200;
        case OUTCOME_BAD_REQUEST:
                return 400;
        case OUTCOME_DENIED:
        case OUTCOME_AUTH_REQUIRED:
                return 403;
        case OUTCOME_CONFLICT:
                return 409;
        case OUTCOME_UNAVAILABLE:
        case OUTCOME_STATUSES_UNKNOWN:
                return 503;
        case OUTCOME_LIMITS_EXCEEDED:
                return 429;
        case OUTCOME_INTERNAL_ERROR:
                break;
        }
        return 500;
}

int outcome_exit_status(Outcome o) {
        switch (o) {
        case OUTCOME_OK:
                return EXIT_OK;
        case OUTCOME_BAD_REQUEST:
                return EXIT_BAD_REQUEST;
        case OUTCOME_DENIED:
                return EXIT_DENIED;
        case OUTCOME_AUTH_REQUIRED:
                return EXIT_AUTH_REQUIRED;
        case OUTCOME_JOB_ERROR:
                return EXIT_JOB_ERROR;
        case OUTCOME_CONFLICT:
                return EXIT_CONFLICT;
        case OUTCOME_UNAVAILABLE:
                return EXIT_UNAVAILABLE;
        case OUTCOME_LIMITS_EXCEEDED:
                return EXIT_LIMITS_EXCEEDED;
        case OUTCOME_STATUSES_UNKNOWN:
                return EXIT_STATUSES_UNKNOWN;
        case OUTCOME_INTERNAL_ERROR:
                break;
        }
        return EXIT_INTERNAL_ERROR;
}

Response response_ok(json_object *body) {
        return (Response) { .outcome = OUTCOME_OK, .body = body };
}

Response response_message(const char *text) {
        json_object *body;

        assert(text);
        body = json_object_new_object();
        json_object_object_add(body, "message", json_object_new_string(text));
        return response_ok(body);
}

Response response_error(Outcome o, const char *message) {
        json_object *body;

        assert(message);
        body = json_object_new_object();
        json_object_object_add(body, "error", json_object_new_string(message));
        return (Response) { .outcome = o, .body = body };
}

Response response_forbidden(Outcome o, const char *function) {
        json_object *body, *unauthorized;
        char text[256];

        assert(function);
        body = json_object_new_object();
        unauthorized = json_object_new_array();
        snprintf(text, sizeof text, "Operation '%s' is restricted to 'super_user' roles", function);
        json_object_array_add(unauthorized, json_object_new_string(text));
        json_object_object_add(body, "error", json_object_new_string(
                "This operation is not authorized due to role restrictions and/or invalid database items"));
        json_object_object_add(body, "unauthorized_access", unauthorized);
        json_object_object_add(body, "invalid_schema_items", json_object_new_array());
        return (Response) { .outcome = o, .body = body };
}

Response response_from_bus_error(const char *name, const char *message, const char *function) {
        assert(name);
        assert(function);

        if (streq(name, SD_BUS_ERROR_INVALID_ARGS))
                return response_error(OUTCOME_BAD_REQUEST, message);
        if (streq(name, SD_BUS_ERROR_ACCESS_DENIED) ||
            streq(name, SYSOPS_ERROR_AUTHORIZATION_CANCELLED))
                return response_forbidden(OUTCOME_DENIED, function);
        if (streq(name, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED))
                return response_forbidden(OUTCOME_AUTH_REQUIRED, function);
        /* not a refusal of the caller: nobody answered whether to refuse */
        if (streq(name, SYSOPS_ERROR_AUTHORIZATION_UNAVAILABLE))
                return response_error(OUTCOME_UNAVAILABLE, message && *message ? message : name);
        if (streq(name, SYSOPS_ERROR_ALREADY_RUNNING))
                return response_error(OUTCOME_CONFLICT, message);
        if (streq(name, SD_BUS_ERROR_LIMITS_EXCEEDED))
                return response_error(OUTCOME_LIMITS_EXCEEDED, message && *message ? message : "Too many requests");
        if (streq(name, SYSOPS_ERROR_STATUSES_UNKNOWN))
                return response_error(OUTCOME_STATUSES_UNKNOWN, message);
        if (streq(name, SD_BUS_ERROR_SERVICE_UNKNOWN) || streq(name, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                return response_error(OUTCOME_INTERNAL_ERROR,
                                      "harper-sysopsd is not running: " SYSOPS_BUS_NAME " is not on the system bus");
        return response_error(OUTCOME_INTERNAL_ERROR, message && *message ? message : name);
}

void response_done(Response *r) {
        assert(r);
        json_object_put(r->body);
        r->body = NULL;
}

json_object *status_record_to_json(const char *id, const char *status, uint64_t created_ms, uint64_t updated_ms) {
        json_object *o;

        assert(id);
        assert(status);

        o = json_object_new_object();
        json_object_object_add(o, "id", json_object_new_string(id));
        json_object_object_add(o, "status", json_object_new_string(status));
        json_object_object_add(o, "__createdtime__", json_object_new_uint64(created_ms));
        json_object_object_add(o, "__updatedtime__", json_object_new_uint64(updated_ms));
        return o;
}

static json_object *time_or_null(uint64_t ms) {
        return ms ? json_object_new_uint64(ms) : NULL;
}

json_object *job_record_to_json(const char *id, const char *type, const char *status, const char *message,
                                const char *result, const char *user, uint64_t created_ms, uint64_t start_ms,
                                uint64_t end_ms) {
        json_object *o;

        assert(id);
        assert(type);
        assert(status);
        assert(message);
        assert(user);

        o = json_object_new_object();
        json_object_object_add(o, "created_datetime", time_or_null(created_ms));
        json_object_object_add(o, "end_datetime", time_or_null(end_ms));
        json_object_object_add(o, "id", json_object_new_string(id));
        json_object_object_add(o, "message", *message ? json_object_new_string(message) : NULL);
        /* Harper sets result only when the job returned an object (replicated restarts) */
        if (result && *result) {
                json_object *parsed = json_tokener_parse(result);
                json_object_object_add(o, "result", parsed ? parsed : json_object_new_string(result));
        }
        json_object_object_add(o, "start_datetime", time_or_null(start_ms));
        json_object_object_add(o, "status", json_object_new_string(status));
        json_object_object_add(o, "type", json_object_new_string(type));
        json_object_object_add(o, "user", json_object_new_string(user));
        return o;
}

const char *response_body_text(const Response *r, int pretty) {
        int flags = JSON_C_TO_STRING_NOSLASHESCAPE |
                (pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN);

        assert(r);
        return json_object_to_json_string_ext(r->body, flags);
}
