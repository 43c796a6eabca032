/* SPDX-License-Identifier: MIT */
/* Restart jobs on the bus: one object per job, PropertiesChanged on every change, listed by
 * the ObjectManager, found by id with GetJob(). Anyone may read jobs. The restart engine
 * (restart-engine.h) runs them; this is where its events become signals and replies. */
#pragma once

#include <systemd/sd-bus.h>

#include "context.h"
#include "job.h"

/* The bus side of one job (its object, and a Restart() caller waiting). */
typedef struct BusJob BusJob;

/* Creates the restart engine over the daemon's clients, its events told on the bus. */
int bus_jobs_setup(Context *c);
/* Frees the engine (its running Harper and peer steps end), every job and its bus side. After
 * the systemd client (whose runs then end silently), before the Harper client. */
void bus_jobs_done(Context *c);

/* Creates a job, publishes its object and announces it. NULL when out of memory. */
Job *bus_job_new(Context *c, JobType type, HarperService service, bool replicated, uid_t uid);
/* Starts j. call (may be NULL) is a Restart() caller, answered once systemd has queued the job,
 * or with the job's failure. */
void bus_job_start(Context *c, Job *j, sd_bus_message *call);
/* The daemon exits with j unfinished: log it and answer a caller still waiting (Restart()). */
void bus_job_abandon(Context *c, Job *j, const char *why);

/* Restart and RestartService's answer: message, the job's id and object. */
int bus_job_reply(sd_bus_message *call, const char *message, const Job *j);

int method_get_job(sd_bus_message *m, void *userdata, sd_bus_error *error);
