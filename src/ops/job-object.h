/* SPDX-License-Identifier: MIT */
/* A Job object of harper-sysopsd as harper-ops and harper-ops-http read it, and Harper's
 * get_job record of it. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

/* A job's properties as read; the strings point into the GetAll reply they came from. */
typedef struct JobState {
        const char *id, *type, *status, *message, *result;
        uint32_t uid;
        uint64_t created_ms, start_ms, end_ms;
        unsigned steps_done, steps_total;
        const char *running_unit;   /* a step being acted on, if any */
        unsigned nodes_over, nodes_total;   /* replicated: peers done or skipped, of all */
        const char *current_node;   /* the peer being restarted, or "" */
} JobState;

/* Reads all properties of the job object at path into s; *reply holds them (the caller unrefs
 * it, also on failure). <0 with error set when the call fails or the job is malformed. */
int job_read(sd_bus *bus, const char *path, JobState *s, sd_bus_message **reply, sd_bus_error *error);

/* Harper's get_job record; the user is the login name of the job's uid (the number if none). */
json_object *job_state_to_json(const JobState *s);

/* Has the job ended (COMPLETE or ERROR)? */
bool job_state_finished(const JobState *s);
