/* SPDX-License-Identifier: MIT */
/* json-c's objects in macro.h's cleanup style: _cleanup_json_ json_object *o = NULL; drops the
 * reference at the end of the scope unless TAKE_PTR(o) handed it on. */
#pragma once

#include <json-c/json.h>

#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);
#define _cleanup_json_ _cleanup_(json_object_putp)

DEFINE_TRIVIAL_CLEANUP_FUNC(json_tokener *, json_tokener_free);
