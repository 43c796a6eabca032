/* SPDX-License-Identifier: MIT */
/* Reading a Job object of harper-sysopsd: all its properties in one GetAll. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "harper-response.h"
#include "job-object.h"
#include "sysops-names.h"

static int read_steps(sd_bus_message *m, JobState *s) {
        const char *unit, *state;
        int r;

        r = sd_bus_message_enter_container(m, 'a', SYSOPS_JOB_STEP);
        while (r > 0) {
                r = sd_bus_message_read(m, SYSOPS_JOB_STEP, &unit, &state);
                if (r <= 0)
                        break;
                s->steps_total++;
                s->steps_done += strcmp(state, "done") == 0;
                if (strcmp(state, "running") == 0)
                        s->running_unit = unit;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        return r;
}

static int read_nodes(sd_bus_message *m, JobState *s) {
        const char *name, *state, *message, *job_id;
        uint64_t start, end;
        int r;

        r = sd_bus_message_enter_container(m, 'a', SYSOPS_JOB_NODE);
        while (r > 0) {
                r = sd_bus_message_read(m, SYSOPS_JOB_NODE, &name, &state, &message, &job_id, &start, &end);
                if (r <= 0)
                        break;
                s->nodes_total++;
                s->nodes_over += strcmp(state, "done") == 0 || strcmp(state, "skipped") == 0;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        return r;
}

int job_read(sd_bus *bus, const char *path, JobState *s, sd_bus_message **reply, sd_bus_error *error) {
        const char *name;
        int r;

        *s = (JobState) {};
        r = sd_bus_call_method(bus, SYSOPS_BUS_NAME, path, "org.freedesktop.DBus.Properties", "GetAll", error,
                               reply, "s", SYSOPS_JOB_INTERFACE);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(*reply, 'a', "{sv}");
        while (r > 0) {
                r = sd_bus_message_enter_container(*reply, 'e', "sv");
                if (r <= 0)
                        break;
                r = sd_bus_message_read(*reply, "s", &name);
                if (r < 0)
                        break;
                const char **string = strcmp(name, "Id") == 0 ? &s->id :
                        strcmp(name, "Type") == 0 ? &s->type :
                        strcmp(name, "Status") == 0 ? &s->status :
                        strcmp(name, "Message") == 0 ? &s->message :
                        strcmp(name, "Result") == 0 ? &s->result : NULL;
                uint64_t *time = strcmp(name, "CreatedTime") == 0 ? &s->created_ms :
                        strcmp(name, "StartTime") == 0 ? &s->start_ms :
                        strcmp(name, "EndTime") == 0 ? &s->end_ms : NULL;
                if (string)
                        r = sd_bus_message_read(*reply, "v", "s", string);
                else if (time)
                        r = sd_bus_message_read(*reply, "v", "t", time);
                else if (strcmp(name, "UserId") == 0)
                        r = sd_bus_message_read(*reply, "v", "u", &s->uid);
                else if (strcmp(name, "Steps") == 0) {
                        r = sd_bus_message_enter_container(*reply, 'v', "a" SYSOPS_JOB_STEP);
                        if (r >= 0)
                                r = read_steps(*reply, s);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(*reply);
                } else if (strcmp(name, "Nodes") == 0) {
                        r = sd_bus_message_enter_container(*reply, 'v', "a" SYSOPS_JOB_NODE);
                        if (r >= 0)
                                r = read_nodes(*reply, s);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(*reply);
                } else if (strcmp(name, "CurrentNode") == 0)
                        r = sd_bus_message_read(*reply, "v", "s", &s->current_node);
                else
                        r = sd_bus_message_skip(*reply, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(*reply);
        }
        if (r >= 0 && !(s->id && s->type && s->status && s->message && s->result))
                r = -EBADMSG;
        if (r < 0)
                sd_bus_error_set(error, SD_BUS_ERROR_INCONSISTENT_MESSAGE, "harper-sysopsd sent a malformed job.");
        return r;
}

json_object *job_state_to_json(const JobState *s) {
        struct passwd *pw = getpwuid(s->uid);
        char uid[16];

        snprintf(uid, sizeof uid, "%u", s->uid);
        return job_record_to_json(s->id, s->type, s->status, s->message, s->result, pw ? pw->pw_name : uid,
                                  s->created_ms, s->start_ms, s->end_ms);
}

bool job_state_finished(const JobState *s) {
        return strcmp(s->status, "COMPLETE") == 0 || strcmp(s->status, "ERROR") == 0;
}
