/* SPDX-License-Identifier: MIT */
/* Restart jobs on the bus: one object per job, PropertiesChanged on every change, listed by
 * the ObjectManager, found by id with GetJob(). Anyone may read jobs. */
#pragma once

#include <systemd/sd-bus.h>

#include "context.h"
#include "job.h"

/* The bus side of one job. */
typedef struct JobGlue {
        Context *context;
        Job *job;
        char *path;
        sd_bus_slot *slot;
        sd_bus_message *call;  /* a Restart() call answered once systemd has queued the job */
        char *error;           /* the first step's failure, reported when the job ends */
        struct PeerRun *peer;  /* the peer being restarted (replicated restarts) */
        struct HarperWatch *harper;   /* Harper's running step */
} JobGlue;

/* Creates a job, publishes its object and announces it. NULL when out of memory. */
Job *bus_job_new(Context *c, JobType type, HarperService service, bool replicated, uid_t uid);
/* Announces a change of j (status, message, steps); a finished job is logged, and the oldest
 * finished jobs beyond the configured history are taken off the bus and freed. */
void bus_job_changed(Context *c, Job *j);
/* The daemon exits with j unfinished: log it and answer a caller still waiting (Restart()). */
void bus_job_abandon(Job *j, const char *why);
/* Frees a job's bus side (for job_table_done). */
void bus_job_drop(Job *j);

int bus_job_reply(sd_bus_message *call, const char *message, const Job *j);

int method_get_job(sd_bus_message *m, void *userdata, sd_bus_error *error);
