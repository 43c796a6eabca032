/* SPDX-License-Identifier: MIT */
/* Harper's set_status/get_status/clear_status rules: the three status ids and the checks
 * with Harper's exact messages. No bus types: the daemon enforces these rules, and the JSON
 * bridge reuses them only for inputs that D-Bus cannot carry (non-string JSON values). */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include "text.h"   /* utf8_count_chars, which the rules count with */

typedef enum StatusId {
        STATUS_PRIMARY,
        STATUS_MAINTENANCE,
        STATUS_AVAILABILITY,
        _STATUS_ID_MAX,
        _STATUS_ID_INVALID = -EINVAL,
} StatusId;

#define STATUS_MAX_CHARS 512

/* Maps "primary", "maintenance", "availability" to their id; anything else (or NULL) to _STATUS_ID_INVALID. */
StatusId status_id_from_string(const char *s);
/* The id's name, or NULL for a value out of range. */
const char *status_id_to_string(StatusId id);

/* How a request field arrived: D-Bus callers always send strings; JSON callers may omit a field
 * or send another JSON type. */
typedef enum FieldKind {
        FIELD_STRING,
        FIELD_MISSING,
        FIELD_NOT_STRING,
} FieldKind;

typedef struct StatusField {
        FieldKind kind;
        const char *value;   /* FIELD_STRING only */
        size_t length;       /* bytes in value; may exceed strlen() when the text holds a NUL */
} StatusField;

StatusField status_field_string(const char *s);
StatusField status_field_string_len(const char *s, size_t length);
StatusField status_field_of_kind(FieldKind kind);

/* Checks a set_status request. Returns NULL when it is valid, else Harper's message, every
 * problem joined with ". " in Harper's order (id first). The caller frees the message. */
char *status_check_set(StatusField id, StatusField status);

/* Checks the id of a clear_status request: NULL when valid, else the message (caller frees). */
char *status_check_clear(StatusField id);
