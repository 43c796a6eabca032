/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "harper-request.h"
#include "status-rules.h"

#define MSG_INVALID_JSON "Invalid JSON."
#define MSG_NO_OPERATION "Request body must include an 'operation' property."
/* JSON.parse has no depth limit; json-c's default of 32 would refuse deep ignored fields */
#define MAX_DEPTH 1024

int request_parse(const char *text, size_t length, json_object **ret_request, Response *ret_error) {
        json_tokener *tok = json_tokener_new_ex(MAX_DEPTH);
        json_object *request;
        size_t used;

        /* json-c's own check lets overlong forms and surrogates through */
        if (utf8_count_chars(text, length) < 0) {
                json_tokener_free(tok);
                *ret_error = response_error(OUTCOME_BAD_REQUEST, MSG_INVALID_JSON);
                return -1;
        }
        if (!tok) {
                *ret_error = response_error(OUTCOME_INTERNAL_ERROR, "Out of memory.");
                return -1;
        }
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
        request = json_tokener_parse_ex(tok, text, (int) length);
        used = json_tokener_get_parse_end(tok);
        if (!request || json_tokener_get_error(tok) != json_tokener_success) {
                json_object_put(request);
                request = NULL;
        }
        json_tokener_free(tok);

        /* only white space may follow the body */
        for (size_t i = used; request && i < length; i++)
                if (!strchr(" \t\n\r", text[i])) {   /* JSON's white space only */
                        json_object_put(request);
                        request = NULL;
                }

        if (!request || !json_object_is_type(request, json_type_object) ||
            json_object_object_length(request) == 0) {
                json_object_put(request);
                *ret_error = response_error(OUTCOME_BAD_REQUEST, MSG_INVALID_JSON);
                return -1;
        }

        json_object *operation = NULL;
        if (!json_object_object_get_ex(request, "operation", &operation) || !operation) {
                json_object_put(request);
                *ret_error = response_error(OUTCOME_BAD_REQUEST, MSG_NO_OPERATION);
                return -1;
        }

        *ret_request = request;
        return 0;
}

const char *request_operation_name(json_object *request) {
        json_object *operation = json_object_object_get(request, "operation");
        return json_object_get_string(operation);
}

json_object *request_field(json_object *request, const char *name, int *present) {
        json_object *value = NULL;
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
