/* SPDX-License-Identifier: MIT */
/* restart, restart_service and get_job: the calls that start jobs and the one that finds a
 * job (job-object.c reads it). */
#include <string.h>

#include "harper-request.h"
#include "job-object.h"
#include "json-util.h"
#include "macro.h"
#include "operations.h"
#include "sysops-names.h"

/* {"message", "job_id"} from a Restart/RestartService reply, or the caller's hook's answer. */
static Response job_started(const CallContext *ctx, const Operation *op, sd_bus_message *reply) {
        const char *message, *id, *path;
        json_object *body;

        assert(ctx);
        assert(reply);

        if (sd_bus_message_read(reply, SYSOPS_JOB_REPLY, &message, &id, &path) < 0)
                return response_error(OUTCOME_INTERNAL_ERROR, "harper-sysopsd sent a malformed job reply.");
        if (ctx->hooks && ctx->hooks->job_started)
                return ctx->hooks->job_started(ctx, op, message, id, path, ctx->hooks->userdata);
        body = json_object_new_object();
        json_object_object_add(body, "message", json_object_new_string(message));
        json_object_object_add(body, "job_id", json_object_new_string(id));
        return response_ok(body);
}

/* Whether the JSON value is a string D-Bus can carry (no NUL inside). */
static bool is_bus_string(json_object *v) {
        return json_object_is_type(v, json_type_string) &&
                (size_t) json_object_get_string_len(v) == strlen(json_object_get_string(v));
}

Response run_restart(const CallContext *ctx, json_object *request, const Operation *op) {
        int replicated_present;
        json_object *replicated = request_field(request, "replicated", &replicated_present);
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        /* Harper reads nothing but the operation; replicated (the whole cluster, one node at a
         * time) is harper-sysops' own */
        if (replicated_present && !json_object_is_type(replicated, json_type_boolean))
                return response_error(OUTCOME_BAD_REQUEST, "'replicated' must be true or false");
        if (replicated_present && json_object_get_boolean(replicated))
                r = call_method(ctx, "RestartInstance", &error, &reply, "b", 1);
        else
                r = call_method(ctx, "Restart", &error, &reply, "");
        if (r < 0)
                return failed_call(ctx, op, &error);
        return job_started(ctx, op, reply);
}

Response run_restart_service(const CallContext *ctx, json_object *request, const Operation *op) {
        int service_present, replicated_present;
        json_object *service = request_field(request, "service", &service_present);
        json_object *replicated = request_field(request, "replicated", &replicated_present);
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

        /* a name D-Bus cannot carry is no service; known names are the daemon's to judge */
        if (!is_bus_string(service))
                return response_error(OUTCOME_BAD_REQUEST, "Invalid service");
        /* stricter than Harper, which takes any truthy value: "false" would restart peers */
        if (replicated_present && !json_object_is_type(replicated, json_type_boolean))
                return response_error(OUTCOME_BAD_REQUEST, "'replicated' must be true or false");

        if (call_method(ctx, "RestartService", &error, &reply, "sb", json_object_get_string(service),
                        (int) (replicated_present && json_object_get_boolean(replicated))) < 0)
                return failed_call(ctx, op, &error);
        return job_started(ctx, op, reply);
}

Response run_get_job(const CallContext *ctx, json_object *request, const Operation *op) {
        int present;
        json_object *id = request_field(request, "id", &present);
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL, *properties = NULL;
        _cleanup_json_ json_object *list = NULL;
        const char *path;
        JobState s;

        if (!present)
                return response_error(OUTCOME_BAD_REQUEST, "'id' is required");
        list = json_object_new_array();
        /* Harper searches by the value; what is not a job id finds nothing */
        if (!is_bus_string(id))
                return response_ok(TAKE_PTR(list));

        if (call_method(ctx, "GetJob", &error, &reply, "s", json_object_get_string(id)) < 0) {
                if (sd_bus_error_has_name(&error, SYSOPS_ERROR_NO_SUCH_JOB))
                        return response_ok(TAKE_PTR(list));
                return failed_call(ctx, op, &error);
        }
        if (sd_bus_message_read(reply, "o", &path) < 0 || job_read(ctx->bus, path, &s, &properties, &error) < 0) {
                /* the job may have left the history between the two calls */
                if (sd_bus_error_has_name(&error, SD_BUS_ERROR_UNKNOWN_OBJECT))
                        return response_ok(json_object_new_array());
                return sd_bus_error_is_set(&error) ? failed_call(ctx, op, &error) :
                        response_error(OUTCOME_INTERNAL_ERROR, "harper-sysopsd sent a malformed job reply.");
        }
        json_object_array_add(list, job_state_to_json(&s));
        return response_ok(TAKE_PTR(list));
}
