/* SPDX-License-Identifier: MIT */
/* What the systemd client's files share: the client's state, the manager's names, and the
 * hooks between the connection (systemd-connection.c) and the unit jobs it carries
 * (systemd-jobs.c). Not for users of the client; tests may include it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "systemd-client.h"

#define SYSTEMD_NAME "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"
#define SYSTEMD_UNIT_PATH_PREFIX "/org/freedesktop/systemd1/unit"
/* How long systemd may take to take a job (or list units): a Restart() caller hears from us
 * before its own 25 s run out, also when the bus waits for a systemd that is gone */
#define SYSTEMD_CALL_USEC (10 * 1000000ULL)
/* systemd keeps its jobs across daemon-reexec (an upgrade of systemd runs it): a manager that
 * left is waited for this long before the runs end in ERROR */
#define SYSTEMD_MANAGER_GRACE_USEC (10 * 1000000ULL)

typedef struct UnitRun UnitRun;
typedef struct UnitList UnitList;

struct SystemdClient {
        sd_event *event;
        char *address;
        bool direct;           /* address is the manager's private socket: a peer, not a bus */
        uint64_t unit_timeout_usec;
        uint64_t grace_usec;   /* SYSTEMD_MANAGER_GRACE_USEC; shorter in tests */
        sd_bus *bus;           /* NULL until needed, and again after it went away */
        UnitRun *runs;         /* systemd-jobs.c */
        UnitList *lists;       /* systemd-jobs.c */
        bool memory_peak_unknown;   /* systemd said it has no MemoryPeak (before 255) */
        uint64_t lost_usec;    /* CLOCK_MONOTONIC when the manager went away with runs; 0: not */
        char *lost_why;
        sd_event_source *reconnect;
};

/* Connects when needed (c->bus set); logs and returns a negative errno when it cannot. */
int systemd_client_connect(SystemdClient *c);

/* How long a manager that left is waited for (tests shorten it). */
void systemd_client_set_manager_grace(SystemdClient *c, uint64_t usec);

/* systemd-jobs.c, for the connection: */

/* JobRemoved's match callback (userdata: the client). */
int systemd_jobs_on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *error);
/* The connection is gone: lists in flight and runs whose job was not queued yet end with why;
 * runs with a job stop waiting for answers and wait for the manager to come back. */
void systemd_jobs_manager_lost(SystemdClient *c, const char *why);
/* The manager is back and we are subscribed again: each run picks up where it was. */
void systemd_jobs_resume(SystemdClient *c);
/* The manager did not come back: every run ends ("<Action> of <unit> did not finish: why"). */
void systemd_jobs_fail(SystemdClient *c, const char *why);
/* Forgets every run and list without calling back (the client is freed). */
void systemd_jobs_free_all(SystemdClient *c);
