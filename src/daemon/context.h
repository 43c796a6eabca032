/* All runtime state of harper-sysopsd, created in main() and freed in one place. */
#pragma once

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "bus-authorize.h"
#include "status-store.h"

typedef struct Context {
        sd_event *event;
        sd_bus *bus;
        Authorizer *authorizer;
        StatusStore statuses;
} Context;
