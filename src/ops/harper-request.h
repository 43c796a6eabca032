/* SPDX-License-Identifier: MIT */
/* Reading a Harper operation body: Harper's first checks, before any operation runs. */
#pragma once

#include <json-c/json.h>
#include <stddef.h>

#include "harper-response.h"

/* Parses text as a Harper request body: a non-empty JSON object with an "operation". On
 * success stores the object in *ret_request (caller puts it) and returns 0; otherwise fills
 * *ret_error with Harper's 400 answer and returns -1. */
int request_parse(const char *text, size_t length, json_object **ret_request, Response *ret_error);

/* The operation's name as Harper quotes it in "Operation 'x' not found" (JSON text for a
 * non-string value). Valid while the request lives. */
const char *request_operation_name(json_object *request);

/* A field of the request, or NULL when absent. Harper treats JSON null like a value here. */
json_object *request_field(json_object *request, const char *name, int *present);

/* Is this value falsy in JavaScript's sense (null, false, 0, "")? */
int json_is_falsy(json_object *value);
