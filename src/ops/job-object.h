/* SPDX-License-Identifier: MIT */
/* A Job object of harper-sysopsd as harper-ops and harper-ops-http read it, and Harper's
 * get_job record of it. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "job-properties.h"

/* Reads all properties of the job object at path into s; *reply holds them (the caller unrefs
 * it, also on failure). <0 with error set when the call fails or the job is malformed. */
int job_read(sd_bus *bus, const char *path, JobState *s, sd_bus_message **reply, sd_bus_error *error);

/* Harper's get_job record; the user is the login name of the job's uid (the number if none). */
json_object *job_state_to_json(const JobState *s);
