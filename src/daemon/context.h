/* All runtime state of harper-sysopsd, created in main() and freed in one place. */
#pragma once

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "bus-authorize.h"
#include "harper-client.h"
#include "status-mirror.h"
#include "sysops-config.h"
#include "job.h"
#include "status-store.h"
#include "sysinfo.h"
#include "systemd-client.h"

typedef struct Context {
        sd_event *event;
        sd_bus *bus;
        Config config;
        Authorizer *authorizer;
        SystemdClient *systemd;
        HarperClient *harper;  /* Harper's operations API */
        StatusStore statuses;
        StatusMirror *mirror;  /* the same statuses in Harper; NULL without Harper's API */
        JobTable jobs;
        SysinfoState *sysinfo;   /* the previous CPU sample, for load since the last call */
} Context;
