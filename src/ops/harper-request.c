/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "harper-request.h"
#include "json-util.h"
#include "macro.h"
#include "status-rules.h"

#define MSG_INVALID_JSON "Invalid JSON."
#define MSG_NO_OPERATION "Request body must include an 'operation' property."
/* JSON.parse has no depth limit; json-c's default of 32 would refuse deep ignored fields */
#define MAX_DEPTH 1024

/* The JSON value of the whole text in *ret, NULL when it is not JSON (or more than one value);
 * -ENOMEM when out of memory. */
static int parse_strict(const char *text, size_t length, json_object **ret) {
        _cleanup_(json_tokener_freep) json_tokener *tok = NULL;
        _cleanup_json_ json_object *value = NULL;
        size_t used;

        *ret = NULL;
        tok = json_tokener_new_ex(MAX_DEPTH);
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
        value = json_tokener_parse_ex(tok, text, (int) length);
        if (!value || json_tokener_get_error(tok) != json_tokener_success)
                return 0;

        /* only white space may follow the body */
        used = json_tokener_get_parse_end(tok);
        for (size_t i = used; i < length; i++)
                if (!strchr(" \t\n\r", text[i]))   /* JSON's white space only */
                        return 0;
        *ret = TAKE_PTR(value);
        return 0;
}

int request_parse(const char *text, size_t length, json_object **ret_request, Response *ret_error) {
        _cleanup_json_ json_object *request = NULL;
        json_object *operation = NULL;

        assert(text || length == 0);
        assert(ret_request);
        assert(ret_error);

        /* json-c's own check lets overlong forms and surrogates through */
        if (utf8_count_chars(text, length) < 0) {
                *ret_error = response_error(OUTCOME_BAD_REQUEST, MSG_INVALID_JSON);
                return -1;
        }
        if (parse_strict(text, length, &request) < 0) {
                *ret_error = response_error(OUTCOME_INTERNAL_ERROR, "Out of memory.");
                return -1;
        }
        if (!request || !json_object_is_type(request, json_type_object) ||
            json_object_object_length(request) == 0) {
                *ret_error = response_error(OUTCOME_BAD_REQUEST, MSG_INVALID_JSON);
                return -1;
        }
        if (!json_object_object_get_ex(request, "operation", &operation) || !operation) {
                *ret_error = response_error(OUTCOME_BAD_REQUEST, MSG_NO_OPERATION);
                return -1;
        }

        *ret_request = TAKE_PTR(request);
        return 0;
}

const char *request_operation_name(json_object *request) {
        json_object *operation;

        assert(request);
        operation = json_object_object_get(request, "operation");
        return json_object_get_string(operation);
}

json_object *request_field(json_object *request, const char *name, int *present) {
        json_object *value = NULL;

        assert(request);
        assert(name);
        assert(present);
        *present = json_object_object_get_ex(request, name, &value);
        return value;
}

int json_is_falsy(json_object *value) {
        switch (json_object_get_type(value)) {
        case json_type_null:
                return 1;
        case json_type_boolean:
                return !json_object_get_boolean(value);
        case json_type_int:
                return json_object_get_int64(value) == 0;
        case json_type_double:
                return json_object_get_double(value) == 0;   /* NaN cannot come from JSON */
        case json_type_string:
                return json_object_get_string_len(value) == 0;
        default:
                return 0;
        }
}
