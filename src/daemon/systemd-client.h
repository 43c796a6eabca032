/* SPDX-License-Identifier: MIT */
/* The daemon's client of the systemd manager, the one place that talks to systemd: queue a
 * restart or reload of one unit as a systemd job, follow it by its job path until JobRemoved,
 * and say in one sentence why it did not work when it did not; list the running units of a
 * pattern; tell how a unit runs (for finding Harper). What system_information asks is in
 * systemd-units.h. All calls are asynchronous; nothing here blocks the event loop.
 *
 * Files: systemd-connection.c (connecting, the manager leaving and coming back),
 * systemd-jobs.c (unit jobs, unit lists), systemd-units.c (unit facts), systemd-exec.c (a
 * unit's Environment= and User=); systemd-client-internal.h is what they share. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "macro.h"
#include "sysops-config.h"

typedef struct SystemdClient SystemdClient;

#define SYSTEMD_CLIENT_PRIVATE_SOCKET "/run/systemd/private"

/* For "auto": whether the manager on bus is PID 1 with its private socket there and we are
 * root, so that it can be reached directly, as systemctl does (no bus daemon between us:
 * systemd answers ~5 times faster). */
bool systemd_client_pid1_has_private_socket(sd_bus *bus);

typedef enum UnitRunEvent {
        UNIT_RUN_QUEUED,       /* systemd accepted the job */
        UNIT_RUN_FINISHED,     /* error == NULL: the job is done and the unit is active again */
} UnitRunEvent;

/* error is a sentence naming the unit and the reason, e.g. "Restart of x.service failed:
 * exit-code"; a run whose job could not even be queued gets only UNIT_RUN_FINISHED. */
typedef void (*unit_run_callback_t)(const char *unit, UnitRunEvent event, const char *error, void *userdata);

/* Units found for patterns; error != NULL when the question failed. */
typedef void (*unit_list_callback_t)(char **units, const char *error, void *userdata);

/* address: the manager's bus (NULL = the system bus), or with direct, the path of the manager's
 * private socket (no bus daemon in between: systemd answers ~5 times faster that way).
 * unit_timeout_usec bounds the wait for one unit's job. */
int systemd_client_new(SystemdClient **ret, sd_event *event, const char *address, bool direct,
                       uint64_t unit_timeout_usec);
SystemdClient *systemd_client_free(SystemdClient *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(SystemdClient *, systemd_client_free);

/* Queues action of unit; callback gets UNIT_RUN_QUEUED, then UNIT_RUN_FINISHED exactly once
 * (never before this returns). While the manager is away (a daemon-reexec) the action is asked
 * for once it is back. A negative errno: no callback. */
int systemd_client_run(SystemdClient *c, const char *unit, UnitAction action, unit_run_callback_t callback,
                       void *userdata);

/* The loaded units matching patterns that are running (active, activating or reloading),
 * sorted by name. */
int systemd_client_list_running(SystemdClient *c, char *const *patterns, unit_list_callback_t callback,
                                void *userdata);

/* A unit's Environment= list and User= ("root" when it sets none), or error (a sentence; the
 * others NULL). Valid during the callback only. */
typedef void (*unit_exec_callback_t)(char **environment, const char *user, const char *error, void *userdata);

/* Asks systemd how unit runs; callback exactly once, possibly before this returns. */
int systemd_client_unit_exec(SystemdClient *c, const char *unit, unit_exec_callback_t callback, void *userdata);
