/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harper-request.h"
#include "json-util.h"
#include "macro.h"
#include "status-rules.h"
#include "text.h"

#define MSG_INVALID_JSON "Invalid JSON."
#define MSG_NO_OPERATION "Request body must include an 'operation' property."
/* JSON.parse has no depth limit; json-c's default of 32 would refuse deep ignored fields */
#define MAX_DEPTH 1024

/* The code point of the valid UTF-8 character of len bytes at s */
static uint32_t utf8_code_point(const char *s, size_t len) {
        uint32_t cp = (unsigned char) s[0] & (len == 1 ? 0x7f : 0x7f >> len);

        for (size_t i = 1; i < len; i++)
                cp = cp << 6 | ((unsigned char) s[i] & 0x3f);
        return cp;
}

/* Follows ASCII byte c of JSON text: into or out of a string, past a backslash's escape */
static void json_follow(bool *in_string, bool *escaped, char c) {
        if (*escaped)
                *escaped = false;
        else if (c == '"')
                *in_string = !*in_string;
        else if (*in_string && c == '\\')
                *escaped = true;
}

static char *append_u_escape(char *p, uint32_t unit) {
        static const char hex[] = "0123456789abcdef";

        *p++ = '\\';
        *p++ = 'u';
        for (int shift = 12; shift >= 0; shift -= 4)
                *p++ = hex[(unit >> shift) & 0xf];
        return p;
}

/* json-c 0.18's strict mode refuses control characters in strings by comparing each byte, a
 * plain (signed) char, with 0x1f, so every byte above 0x7f is refused too (json-c #867 and
 * #875; 0.19 casts to unsigned char; VALIDATE_UTF8 does not change that). So
 * the strict tokener gets ASCII only: in a string each character above U+007F becomes its \u
 * escape (a surrogate pair above U+FFFF), which JSON defines as the same string, and a raw
 * control character is refused here, as JSON.parse refuses it and json-c 0.16 does not.
 * Outside strings, and right after a backslash, bytes stay as they are for json-c to refuse.
 * text is valid UTF-8. Returns 1 and the ASCII text in *ret (NUL-terminated, its length in
 * *ret_length), 0 when text is ASCII with no control character in a string (nothing to do),
 * -EBADMSG for a control character in a string, -ENOMEM. */
static int json_text_to_ascii(const char *text, size_t length, char **ret, size_t *ret_length) {
        _cleanup_free_ char *out = NULL;
        bool in_string = false, escaped = false, ascii = true;
        char *p;

        for (size_t i = 0; i < length; i++) {
                if ((unsigned char) text[i] >= 0x80)
                        ascii = false;
                else if (in_string && (unsigned char) text[i] < 0x20)
                        return -EBADMSG;
                else
                        json_follow(&in_string, &escaped, text[i]);
        }
        if (ascii)
                return 0;

        /* 6 bytes for 2, or 12 (a surrogate pair) for 4: at most three times the text */
        p = out = malloc(length * 3 + 1);
        if (!out)
                return -ENOMEM;
        in_string = escaped = false;
        for (size_t i = 0, len; i < length; i += len) {
                uint32_t cp;

                len = utf8_char_length(text + i, length - i);
                if (len == 0)           /* checked before; be safe all the same */
                        return -EBADMSG;
                if (len == 1 || !in_string || escaped) {
                        p = mempcpy(p, text + i, len);
                        if (len == 1)
                                json_follow(&in_string, &escaped, text[i]);
                        else
                                escaped = false;
                        continue;
                }
                cp = utf8_code_point(text + i, len);
                if (cp > 0xffff) {
                        cp -= 0x10000;
                        p = append_u_escape(p, 0xd800 | cp >> 10);
                        cp = 0xdc00 | (cp & 0x3ff);
                }
                p = append_u_escape(p, cp);
        }
        *p = '\0';
        *ret_length = p - out;
        *ret = TAKE_PTR(out);
        return 1;
}

/* The JSON value of the whole text in *ret, NULL when it is not JSON (or more than one value);
 * -ENOMEM when out of memory. text is valid UTF-8. */
static int parse_strict(const char *text, size_t length, json_object **ret) {
        _cleanup_(json_tokener_freep) json_tokener *tok = NULL;
        _cleanup_json_ json_object *value = NULL;
        _cleanup_free_ char *ascii = NULL;
        size_t used;
        int r;

        *ret = NULL;
        r = json_text_to_ascii(text, length, &ascii, &length);
        if (r == -EBADMSG)
                return 0;
        if (r < 0)
                return r;
        if (r > 0)
                text = ascii;
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
