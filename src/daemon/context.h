/* SPDX-License-Identifier: MIT */
/* All runtime state of harper-sysopsd, created in main() and freed in one place. */
#pragma once

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "bus-authorize.h"
#include "harper-client.h"
#include "harper-finder.h"
#include "status-mirror.h"
#include "sysops-config.h"
#include "job.h"
#include "restart-engine.h"
#include "status-store.h"
#include "sysinfo.h"
#include "systemd-client.h"

typedef struct Context {
        sd_event *event;
        sd_bus *bus;
        Config config;
        const char *config_path;
        bool config_required;
        char *config_problem;  /* the configuration is bad: every call is refused saying this */
        Authorizer *authorizer;
        SystemdClient *systemd;
        HarperClient *harper;  /* Harper's operations API */
        HarperPlace harper_place;  /* where system_information found Harper lately */
        StatusStore statuses;
        StatusMirror *mirror;  /* the same statuses in Harper; NULL without Harper's API */
        JobTable jobs;
        RestartEngine *engine;   /* runs the jobs */
        struct BusJob *bus_jobs; /* the jobs' bus side (bus-job.c) */
        SysinfoState *sysinfo;   /* the previous CPU sample, for load since the last call */
} Context;

/* Sets up the clients of systemd and Harper the configuration names (and the status mirror). */
int context_connect_clients(Context *c);
/* Keeps the statuses in Harper too when the configuration says Harper speaks its API. */
int context_start_mirror(Context *c);
