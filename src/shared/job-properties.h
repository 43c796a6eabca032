/* SPDX-License-Identifier: MIT */
/* A Job object's properties as every client of a job reads them (harper-ops, harper-ops-http,
 * and harper-sysopsd following a peer's job): the one reader of what bus-job.c publishes. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

/* A job's properties as read; the strings point into the message they came from. A property
 * the message does not carry stays as it was. */
typedef struct JobState {
        const char *id, *type, *status, *message, *result;
        uint32_t uid;
        uint64_t created_ms, start_ms, end_ms;
        unsigned steps_done, steps_total;
        const char *running_unit;   /* a step being acted on, if any */
        unsigned nodes_over, nodes_total;   /* replicated: peers done or skipped, of all */
        const char *current_node;   /* the peer being restarted, or "" */
} JobState;

/* The properties in m's a{sv} (GetAll's answer, or the changes of PropertiesChanged, m read up
 * to them) into s; unknown ones are skipped. */
int job_properties_read(sd_bus_message *m, JobState *s);

/* Has the job ended (COMPLETE or ERROR)? */
bool job_state_finished(const JobState *s);
