/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harper-request.h"
#include "json-util.h"
#include "log.h"
#include "macro.h"
#include "operations.h"
#include "status-rules.h"
#include "sysops-errors.h"
#include "sysops-names.h"
#include "text.h"

#define MSG_STATUS_CLEARED "Status successfully cleared"

/* A method call of harper-sysopsd that may ask for a password when ctx allows it. */
static int new_call(const CallContext *ctx, const char *method, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        int r;

        r = sd_bus_message_new_method_call(ctx->bus, &call, SYSOPS_BUS_NAME, SYSOPS_OBJECT_PATH,
                                           SYSOPS_INTERFACE, method);
        if (r < 0)
                return r;
        r = sd_bus_message_set_allow_interactive_authorization(call, ctx->interactive);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(call);
        return 0;
}

/* r, with error set to it unless the bus already said more. */
static int call_failed(sd_bus_error *error, int r) {
        if (!sd_bus_error_is_set(error))
                sd_bus_error_set_errno(error, r);
        return r;
}

static int send_call(const CallContext *ctx, sd_bus_message *call, sd_bus_error *error, sd_bus_message **reply) {
        int r;

        /* a person may be typing a password: wait longer than polkit's own limit */
        r = sd_bus_call(ctx->bus, call, ctx->interactive ? 310 * 1000000ULL : 0, error, reply);
        if (r < 0)
                return call_failed(error, r);
        return r;
}

int call_method(const CallContext *ctx, const char *method, sd_bus_error *error, sd_bus_message **reply,
                const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        va_list ap;
        int r;

        assert(ctx);
        assert(method);
        assert(error);
        assert(reply);
        assert(types);

        log_debug("Calling %s.%s (interactive authorization %s).", SYSOPS_INTERFACE, method,
                  ctx->interactive ? "allowed" : "not allowed");
        r = new_call(ctx, method, &call);
        if (r < 0)
                return call_failed(error, r);
        va_start(ap, types);
        r = sd_bus_message_appendv(call, types, ap);
        va_end(ap);
        if (r < 0)
                return call_failed(error, r);
        return send_call(ctx, call, error, reply);
}

Response failed_call(const CallContext *ctx, const Operation *op, sd_bus_error *error) {
        Response ret;
        const CallHooks *hooks;
        const char *auth_hint;

        assert(ctx);
        assert(op);
        assert(error);

        ret = response_from_bus_error(error->name, error->message, op->function);
        hooks = ctx->hooks;
        auth_hint = hooks ? hooks->auth_hint : NULL;

        if (ret.outcome == OUTCOME_AUTH_REQUIRED && auth_hint)
                log_error("%s: %s %s", error->name, error->message, auth_hint);
        else if (ctx->interactive && hooks && hooks->denied_hint &&
                 sd_bus_error_has_name(error, SD_BUS_ERROR_ACCESS_DENIED))
                log_error("%s: %s %s", error->name, error->message, hooks->denied_hint(hooks->userdata) ?: "");
        else if (ret.outcome != OUTCOME_BAD_REQUEST)
                log_error("%s: %s", error->name, error->message);
        sd_bus_error_free(error);
        return ret;
}

static Response record_reply_to_response(sd_bus_message *reply) {
        const char *id, *status;
        uint64_t created, updated;

        if (sd_bus_message_read(reply, SYSOPS_STATUS_RECORD, &id, &status, &created, &updated) < 0)
                return response_error(OUTCOME_INTERNAL_ERROR, "harper-sysopsd sent a malformed status record.");
        return response_ok(status_record_to_json(id, status, created, updated));
}

/* How a JSON field arrives for the status rules: D-Bus carries valid UTF-8 strings only. */
static StatusField field_of(json_object *value, int present) {
        if (!present)
                return status_field_of_kind(FIELD_MISSING);
        if (!json_object_is_type(value, json_type_string))
                return status_field_of_kind(FIELD_NOT_STRING);
        return status_field_string_len(json_object_get_string(value), (size_t) json_object_get_string_len(value));
}

static bool field_fits_bus(StatusField f) {
        return f.kind == FIELD_STRING && utf8_count_chars(f.value, f.length) >= 0;
}

static Response run_set_status(const CallContext *ctx, json_object *request, const Operation *op) {
        int id_present, status_present;
        json_object *id_value = request_field(request, "id", &id_present);
        json_object *status_value = request_field(request, "status", &status_present);
        /* Harper defaults a missing id (not a null one) to primary */
        StatusField id = id_present ? field_of(id_value, 1) : status_field_string("primary");
        StatusField status = field_of(status_value, status_present);
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

        /* What D-Bus cannot carry (a missing field, a number, a NUL) is judged here by the
         * same rules the daemon applies, so the message is the one Harper gives. */
        if (!field_fits_bus(id) || !field_fits_bus(status)) {
                _cleanup_free_ char *problem = status_check_set(id, status);
                return response_error(OUTCOME_BAD_REQUEST, problem ?: "Invalid status request.");
        }

        if (call_method(ctx, "SetStatus", &error, &reply, "ss", id.value, status.value) < 0)
                return failed_call(ctx, op, &error);
        return record_reply_to_response(reply);
}

static Response list_statuses(const CallContext *ctx, const Operation *op) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_json_ json_object *list = NULL;
        int r;

        if (call_method(ctx, "ListStatuses", &error, &reply, "") < 0)
                return failed_call(ctx, op, &error);

        list = json_object_new_array();
        r = sd_bus_message_enter_container(reply, 'a', SYSOPS_STATUS_RECORD);
        while (r > 0) {
                const char *id, *status;
                uint64_t created, updated;

                r = sd_bus_message_read(reply, SYSOPS_STATUS_RECORD, &id, &status, &created, &updated);
                if (r > 0)
                        json_object_array_add(list, status_record_to_json(id, status, created, updated));
        }
        if (r < 0)
                return response_error(OUTCOME_INTERNAL_ERROR, "harper-sysopsd sent a malformed status list.");
        return response_ok(TAKE_PTR(list));
}

static Response run_get_status(const CallContext *ctx, json_object *request, const Operation *op) {
        int present;
        json_object *id = request_field(request, "id", &present);
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

        /* Harper lists everything when the id is missing or falsy */
        if (!present || json_is_falsy(id))
                return list_statuses(ctx, op);

        /* a non-string id (or one holding a NUL, which D-Bus cannot carry) is looked up by its
         * JSON text and, like any unknown id, finds nothing */
        const char *key = json_object_get_string(id);
        if (json_object_is_type(id, json_type_string) && (size_t) json_object_get_string_len(id) != strlen(key))
                key = json_object_to_json_string_ext(id, JSON_C_TO_STRING_PLAIN);
        if (call_method(ctx, "GetStatus", &error, &reply, "s", key) < 0) {
                if (sd_bus_error_has_name(&error, SYSOPS_ERROR_NO_SUCH_STATUS))
                        return response_ok(json_object_new_object());   /* Harper: 200 {} */
                return failed_call(ctx, op, &error);
        }
        return record_reply_to_response(reply);
}

static Response run_clear_status(const CallContext *ctx, json_object *request, const Operation *op) {
        int present;
        json_object *id_value = request_field(request, "id", &present);
        StatusField id = field_of(id_value, present);
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

        if (!field_fits_bus(id)) {
                _cleanup_free_ char *problem = status_check_clear(id);
                return response_error(OUTCOME_BAD_REQUEST, problem ?: "Invalid status request.");
        }
        if (call_method(ctx, "ClearStatus", &error, &reply, "s", id.value) < 0)
                return failed_call(ctx, op, &error);
        return response_message(MSG_STATUS_CLEARED);
}

/* The names asked for, as SystemInformation's "as": Harper's rules are the daemon's; a non-array
 * means "all" (an empty list), and an entry that is no string, or one D-Bus cannot carry, is an
 * unknown name (ignored). */
static int append_attributes(sd_bus_message *call, json_object *attributes) {
        size_t n = json_object_is_type(attributes, json_type_array) ? json_object_array_length(attributes) : 0;
        int r;

        r = sd_bus_message_open_container(call, 'a', "s");
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                json_object *a = json_object_array_get_idx(attributes, i);
                bool carried = json_object_is_type(a, json_type_string) &&
                        (size_t) json_object_get_string_len(a) == strlen(json_object_get_string(a)) &&
                        utf8_count_chars(json_object_get_string(a), json_object_get_string_len(a)) >= 0;

                r = sd_bus_message_append(call, "s", carried ? json_object_get_string(a) : "");
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(call);
}

static Response run_system_information(const CallContext *ctx, json_object *request, const Operation *op) {
        int present;
        json_object *attributes = request_field(request, "attributes", &present), *body;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL, *reply = NULL;
        const char *json;
        int r;

        r = new_call(ctx, "SystemInformation", &call);
        if (r < 0)
                return response_error(OUTCOME_INTERNAL_ERROR, "Cannot build the SystemInformation call.");
        r = append_attributes(call, attributes);
        if (r < 0)
                return response_error(OUTCOME_INTERNAL_ERROR, "Cannot build the SystemInformation call.");
        log_debug("Calling %s.SystemInformation.", SYSOPS_INTERFACE);
        if (send_call(ctx, call, &error, &reply) < 0)
                return failed_call(ctx, op, &error);
        body = sd_bus_message_read(reply, "s", &json) >= 0 ? json_tokener_parse(json) : NULL;
        if (!body)
                return response_error(OUTCOME_INTERNAL_ERROR, "harper-sysopsd sent malformed system information.");
        return response_ok(body);
}

static const Operation operations[] = {
        { "set_status", "setStatus", run_set_status },
        { "get_status", "getStatus", run_get_status },
        { "clear_status", "clearStatus", run_clear_status },
        { "restart", "restart", run_restart },
        { "restart_service", "restartService", run_restart_service },
        { "get_job", "getJob", run_get_job },
        { "system_information", "systemInformation", run_system_information },
};

const Operation *operation_find(const char *name) {
        assert(name);

        for (size_t i = 0; i < ELEMENTSOF(operations); i++)
                if (streq(operations[i].name, name))
                        return &operations[i];
        return NULL;
}

Response operation_run_body(const CallContext *ctx, const char *text, size_t length) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *own_bus = NULL;
        _cleanup_json_ json_object *request = NULL;
        CallContext call;
        const Operation *op;
        Response ret;
        int r;

        (void) sd_bus_error_add_map(sysops_error_map);   /* our error names as errno values */
        if (request_parse(text, length, &request, &ret) < 0)
                return ret;

        assert(ctx);
        op = operation_find(request_operation_name(request));
        if (!op) {
                _cleanup_free_ char *message = text_printf("Operation '%s' not found", request_operation_name(request));
                return response_error(message ? OUTCOME_BAD_REQUEST : OUTCOME_INTERNAL_ERROR,
                                      message ?: "Out of memory.");
        }

        call = *ctx;
        if (!call.bus) {
                r = sd_bus_open_system(&own_bus);
                if (r < 0) {
                        log_error_errno(r, "Cannot connect to the system bus: %m");
                        return response_error(OUTCOME_INTERNAL_ERROR, "Cannot connect to the system bus.");
                }
                call.bus = own_bus;
        }
        return op->run(&call, request, op);
}
