/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status-rules.h"
#include "string-table.h"
#include "text.h"

static const char *const status_id_table[_STATUS_ID_MAX] = {
        [STATUS_PRIMARY] = "primary",
        [STATUS_MAINTENANCE] = "maintenance",
        [STATUS_AVAILABILITY] = "availability",
};
DEFINE_STRING_TABLE_LOOKUP(status_id, StatusId, _STATUS_ID_MAX);

/* Joi's wording, labels in single quotes, as Harper's validator produces them. */
#define MSG_ID_NOT_ALLOWED "'id' must be one of [primary, maintenance, availability]"
#define MSG_ID_EMPTY "'id' is not allowed to be empty"
#define MSG_ID_NOT_STRING "'id' must be a string"
#define MSG_ID_REQUIRED "'id' is required"
#define MSG_STATUS_REQUIRED "'status' is required"
#define MSG_STATUS_NOT_STRING "'status' must be a string"
#define MSG_STATUS_EMPTY "'status' is not allowed to be empty"
#define MSG_STATUS_TOO_LONG "'status' length must be less than or equal to 512 characters long"
#define MSG_STATUS_NOT_UTF8 "'status' must be UTF-8 text without NUL characters"
#define MSG_AVAILABILITY "Status \"availability\" only accepts these values: Available, Unavailable"

StatusField status_field_string_len(const char *s, size_t length) {
        return (StatusField) { .kind = FIELD_STRING, .value = s, .length = length };
}

StatusField status_field_string(const char *s) {
        assert(s);
        return status_field_string_len(s, strlen(s));
}

StatusField status_field_of_kind(FieldKind kind) {
        return (StatusField) { .kind = kind };
}

/* Messages collect in a fixed buffer: at most five short texts, so 512 bytes is plenty. */
typedef struct Problems {
        char text[512];
        size_t used;
} Problems;

static void add_problem(Problems *p, const char *message) {
        int n;

        assert(p->used < sizeof p->text);
        n = snprintf(p->text + p->used, sizeof p->text - p->used, "%s%s",
                     p->used > 0 ? ". " : "", message);
        if (n > 0)
                p->used += (size_t) n;
        if (p->used >= sizeof p->text)
                p->used = sizeof p->text - 1;   /* truncated; never past the end */
}

static char *problems_result(const Problems *p) {
        return p->used > 0 ? strdup(p->text) : NULL;
}

static void check_id(Problems *p, StatusField id, StatusId *ret) {
        *ret = _STATUS_ID_INVALID;
        switch (id.kind) {
        case FIELD_MISSING:
                add_problem(p, MSG_ID_REQUIRED);
                return;
        case FIELD_NOT_STRING:
                add_problem(p, MSG_ID_NOT_ALLOWED);
                add_problem(p, MSG_ID_NOT_STRING);
                return;
        case FIELD_STRING:
                if (id.length == strlen(id.value))
                        *ret = status_id_from_string(id.value);
                if (*ret >= 0)
                        return;
                add_problem(p, MSG_ID_NOT_ALLOWED);
                if (id.length == 0)
                        add_problem(p, MSG_ID_EMPTY);
                return;
        }
}

char *status_check_set(StatusField id, StatusField status) {
        Problems p = {};
        StatusId sid;
        long chars;

        check_id(&p, id, &sid);

        if (status.kind == FIELD_MISSING) {
                add_problem(&p, MSG_STATUS_REQUIRED);
                return problems_result(&p);
        }

        bool allowed_availability = status.kind == FIELD_STRING && status.length == strlen(status.value) &&
                (strcmp(status.value, "Available") == 0 || strcmp(status.value, "Unavailable") == 0);
        if (sid == STATUS_AVAILABILITY && !allowed_availability)
                add_problem(&p, MSG_AVAILABILITY);

        if (status.kind == FIELD_NOT_STRING) {
                add_problem(&p, MSG_STATUS_NOT_STRING);
                return problems_result(&p);
        }

        chars = utf8_count_chars(status.value, status.length);
        if (chars < 0)
                add_problem(&p, MSG_STATUS_NOT_UTF8);
        else if (chars == 0)
                add_problem(&p, MSG_STATUS_EMPTY);
        else if (chars > STATUS_MAX_CHARS)
                add_problem(&p, MSG_STATUS_TOO_LONG);

        return problems_result(&p);
}

char *status_check_clear(StatusField id) {
        Problems p = {};
        StatusId sid;

        check_id(&p, id, &sid);
        return problems_result(&p);
}
