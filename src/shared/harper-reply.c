/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harper-reply.h"
#include "json-util.h"
#include "macro.h"
#include "text.h"

/* Harper's answers nest a few levels (system_information's metrics: database, table, stats);
 * json-c's default of 32 is near enough to be worth doubling. */
#define ANSWER_JSON_DEPTH 64
/* A text error body longer than this is not a message meant for people. */
#define ERROR_TEXT_MAX 300

static size_t answer_max(const HarperAnswer *a) {
        assert(a);
        return a->max ? a->max : HARPER_ANSWER_MAX_BYTES;
}

int harper_answer_append(HarperAnswer *a, const void *bytes, size_t n) {
        assert(a);
        assert(bytes || n == 0);

        if (a->too_large || n > answer_max(a) - a->size) {
                a->too_large = true;
                return -EFBIG;
        }
        if (a->size + n + 1 > a->allocated) {
                /* doubling: curl hands over 16 KiB at a time, and answers can be MiBs */
                size_t want = a->allocated ? a->allocated : 4096;
                char *grown;

                while (want < a->size + n + 1)
                        want *= 2;
                if (want > answer_max(a) + 1)
                        want = answer_max(a) + 1;
                grown = realloc(a->data, want);
                if (!grown)
                        return -ENOMEM;
                a->data = grown;
                a->allocated = want;
        }
        memcpy(a->data + a->size, bytes, n);
        a->size += n;
        a->data[a->size] = '\0';
        return 0;
}

void harper_answer_done(HarperAnswer *a) {
        assert(a);

        free(a->data);
        a->data = NULL;
        a->size = 0;
        a->allocated = 0;
        a->too_large = false;
}

void harper_format_duration(char *buf, size_t size, unsigned long long usec) {
        assert(buf);

        if (usec >= 1000000ULL && usec % 1000000ULL == 0)
                snprintf(buf, size, "%llu s", usec / 1000000ULL);
        else
                snprintf(buf, size, "%llu ms", (usec + 999) / 1000);
}

static void format_size(char *buf, size_t size, size_t bytes) {
        if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0)
                snprintf(buf, size, "%zu MiB", bytes / (1024 * 1024));
        else
                snprintf(buf, size, "%zu bytes", bytes);
}

/* The whole answer as JSON (trailing white space allowed): true and *ret (NULL for JSON's
 * null), or false when it is not JSON. */
static bool parse_json(const HarperAnswer *a, json_object **ret) {
        _cleanup_(json_tokener_freep) json_tokener *tok = NULL;
        json_object *json;
        size_t used;

        assert(a);
        assert(ret);

        *ret = NULL;
        if (!a->data || a->size == 0)
                return false;
        tok = json_tokener_new_ex(ANSWER_JSON_DEPTH);
        if (!tok)
                return false;
        /* with its NUL: the end of the input also ends a bare number */
        json = json_tokener_parse_ex(tok, a->data, (int) a->size + 1);
        if (json_tokener_get_error(tok) != json_tokener_success)
                return false;
        used = json_tokener_get_parse_end(tok);
        while (used < a->size && isspace((unsigned char) a->data[used]))
                used++;
        if (used < a->size) {
                json_object_put(json);
                return false;
        }
        *ret = json;
        return true;
}

/* Harper's error text: {"error":...} or {"message":...}; else a short one-line text body. */
/* A short text body on one line, with what is not printable as '?'. */
static char *error_text_plain(const HarperAnswer *a) {
        char *text;

        if (a->size == 0 || a->size > ERROR_TEXT_MAX || strpbrk(a->data, "\r\n"))
                return NULL;
        text = strdup(a->data);
        for (char *p = text; p && *p; p++)
                if (!isprint((unsigned char) *p))
                        *p = '?';
        return text;
}

static char *error_text(const HarperAnswer *a) {
        _cleanup_(json_object_putp) json_object *json = NULL;
        json_object *field = NULL;

        if (!parse_json(a, &json))
                return error_text_plain(a);
        if (!json_object_is_type(json, json_type_object) ||
            !(json_object_object_get_ex(json, "error", &field) || json_object_object_get_ex(json, "message", &field)))
                return NULL;
        if (json_object_is_type(field, json_type_string))
                return strdup(json_object_get_string(field));
        return strdup(json_object_to_json_string_ext(field, JSON_C_TO_STRING_PLAIN));
}

static int parse_error_status(const HarperAnswer *a, const char *operation, long http_status, char **ret_error) {
        _cleanup_free_ char *text = error_text(a);
        const char *verb = http_status >= 500 ? "could not carry out" : http_status >= 400 ? "refused" : "answered";
        /* 1xx and 3xx are no answer Harper gives: not a refusal, something in between speaks */
        int code = http_status >= 400 ? HARPER_ERROR_REFUSED : -EPROTO;

        if (text)
                return text_error(ret_error, code, "Harper %s %s: %s (HTTP %ld).", verb, operation, text, http_status);
        return text_error(ret_error, code, "Harper %s %s with HTTP %ld.", verb, operation, http_status);
}

int harper_answer_parse(const HarperAnswer *a, const char *operation, long http_status, json_object **ret_reply,
                        char **ret_error) {
        json_object *json;
        char size[32];

        assert(a);
        assert(ret_reply);
        assert(ret_error);

        *ret_reply = NULL;
        *ret_error = NULL;
        if (!operation)
                operation = "the request";
        if (a->too_large) {
                format_size(size, sizeof(size), answer_max(a));
                return text_error(ret_error, -EFBIG, "Harper's answer to %s is larger than %s.", operation, size);
        }
        if (http_status < 200 || http_status > 299)
                return parse_error_status(a, operation, http_status, ret_error);
        if (a->size == 0)
                return text_error(ret_error, -EBADMSG, "Harper's answer is empty.");
        if (!parse_json(a, &json))
                return text_error(ret_error, -EBADMSG, "Harper's answer is not JSON.");
        if (!json_object_is_type(json, json_type_object) && !json_object_is_type(json, json_type_array)) {
                json_object_put(json);
                return text_error(ret_error, -EBADMSG, "Harper's answer is not a JSON object or array.");
        }
        *ret_reply = json;
        return 0;
}

bool harper_error_is_refusal(int error) {
        return error == HARPER_ERROR_REFUSED;
}
