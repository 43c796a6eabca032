/* SPDX-License-Identifier: MIT */
/* All runtime state of harper-sysopsd, and its life (context.c): created with the configuration
 * loaded, then serving on the bus with its clients connected, a new configuration applied on
 * SIGHUP, and freed in one place.
 *
 * The configuration is read at start and again on SIGHUP (systemctl reload harper-sysopsd). A
 * bad file at start does not leave callers waiting for D-Bus activation to time out, and
 * nothing runs on a half-read file: the daemon serves its name and answers every call with
 * BadConfiguration, naming the file and the problem, until a reload brings a good file. A bad
 * file on reload keeps the running configuration, statuses and jobs. */
#pragma once

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "bus-authorize.h"
#include "harper-client.h"
#include "harper-locator.h"
#include "job.h"
#include "macro.h"
#include "restart-engine.h"
#include "status-mirror.h"
#include "status-store.h"
#include "sysinfo.h"
#include "sysops-config.h"
#include "systemd-client.h"

typedef struct Context {
        sd_event *event;
        sd_bus *bus;
        Config config;
        const char *config_path;
        bool config_required;
        char *config_problem;  /* the configuration is bad: every call is refused saying this */
        Authorizer *authorizer;
        struct BusBudget *budget;   /* what a plain user's calls may cost (bus-budget.c) */
        SystemdClient *systemd;
        HarperClient *harper;  /* Harper's operations API */
        HarperLocator *locator;        /* where Harper is; NULL while the configuration is bad */
        StatusStore statuses;
        StatusMirror *mirror;  /* the same statuses in Harper; NULL without Harper's API */
        JobTable jobs;
        RestartEngine *engine;   /* runs the jobs */
        struct BusJob *bus_jobs; /* the jobs' bus side (bus-job.c) */
        SysinfoState *sysinfo;   /* the previous CPU sample, for load since the last call */
} Context;

/* The Context with the configuration at path loaded (a bad file is logged and kept in
 * config_problem), its state and its event loop (with systemd's watchdog); nothing connected
 * yet. Fails when out of memory or without an event loop. */
int context_new(Context **ret, const char *config_path, bool config_required);

/* Serves on the system bus: the clients of systemd and Harper (not while the configuration is
 * bad), polkit, the objects (vtable at SYSOPS_OBJECT_PATH, the Context its userdata), the name
 * last; then reloads on SIGHUP and tells systemd it is ready. Errors are logged. */
int context_serve(Context *c, const sd_bus_vtable *vtable, uint64_t polkit_timeout_usec);

/* Ends the jobs still running (saying so), then frees everything; NULL is fine. */
Context *context_free(Context *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Context *, context_free);

/* Checks a file as the daemon would load it (--check-config): prints the problem or
 * "<path>: OK", returns the exit status. */
int context_check_config(const char *path, bool required);
