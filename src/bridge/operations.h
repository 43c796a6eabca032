/* Harper's operations as harper-ops knows them: each maps a request body to one
 * harper-sysopsd method call and the reply to Harper's response. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "harper-response.h"

typedef struct CallContext {
        sd_bus *bus;
        bool interactive;   /* let polkit ask for a password */
} CallContext;

typedef struct Operation {
        const char *name;       /* "set_status" */
        const char *function;   /* "setStatus": the name Harper's 403 body quotes */
        Response (*run)(const CallContext *ctx, json_object *request, const struct Operation *op);
} Operation;

/* The operation called name, or NULL. */
const Operation *operation_find(const char *name);
