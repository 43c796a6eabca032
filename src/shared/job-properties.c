/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <errno.h>

#include "job-properties.h"
#include "macro.h"
#include "sysops-names.h"

static int read_steps(sd_bus_message *m, JobState *s) {
        const char *unit, *state;
        int r;

        r = sd_bus_message_enter_container(m, 'a', SYSOPS_JOB_STEP);
        if (r < 0)
                return r;
        for (;;) {
                r = sd_bus_message_read(m, SYSOPS_JOB_STEP, &unit, &state);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                s->steps_total++;
                s->steps_done += streq(state, "done");
                if (streq(state, "running"))
                        s->running_unit = unit;
        }
        return sd_bus_message_exit_container(m);
}

static int read_nodes(sd_bus_message *m, JobState *s) {
        const char *name, *state, *message, *job_id;
        uint64_t start, end;
        int r;

        r = sd_bus_message_enter_container(m, 'a', SYSOPS_JOB_NODE);
        if (r < 0)
                return r;
        for (;;) {
                r = sd_bus_message_read(m, SYSOPS_JOB_NODE, &name, &state, &message, &job_id, &start, &end);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                s->nodes_total++;
                s->nodes_over += streq(state, "done") || streq(state, "skipped");
        }
        return sd_bus_message_exit_container(m);
}

/* The array property (Steps or Nodes) in its variant, read by read_array. */
static int read_variant_array(sd_bus_message *m, const char *contents, JobState *s,
                              int (*read_array)(sd_bus_message *m, JobState *s)) {
        int r;

        r = sd_bus_message_enter_container(m, 'v', contents);
        if (r < 0)
                return r;
        r = read_array(m, s);
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

/* The value of the property called name, at the variant of one dict entry of GetAll's answer. */
static int read_property(sd_bus_message *m, const char *name, JobState *s) {
        const char **string = streq(name, "Id") ? &s->id :
                streq(name, "Type") ? &s->type :
                streq(name, "Status") ? &s->status :
                streq(name, "Message") ? &s->message :
                streq(name, "Result") ? &s->result : NULL;
        uint64_t *time = streq(name, "CreatedTime") ? &s->created_ms :
                streq(name, "StartTime") ? &s->start_ms :
                streq(name, "EndTime") ? &s->end_ms : NULL;

        if (string)
                return sd_bus_message_read(m, "v", "s", string);
        if (time)
                return sd_bus_message_read(m, "v", "t", time);
        if (streq(name, "UserId"))
                return sd_bus_message_read(m, "v", "u", &s->uid);
        if (streq(name, "Steps"))
                return read_variant_array(m, "a" SYSOPS_JOB_STEP, s, read_steps);
        if (streq(name, "Nodes"))
                return read_variant_array(m, "a" SYSOPS_JOB_NODE, s, read_nodes);
        if (streq(name, "CurrentNode"))
                return sd_bus_message_read(m, "v", "s", &s->current_node);
        return sd_bus_message_skip(m, "v");
}

int job_properties_read(sd_bus_message *m, JobState *s) {
        const char *name;
        int r;

        assert(m);
        assert(s);

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        for (;;) {
                r = sd_bus_message_enter_container(m, 'e', "sv");
                if (r <= 0)
                        return r;
                r = sd_bus_message_read(m, "s", &name);
                if (r < 0)
                        return r;
                r = read_property(m, name, s);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
}

bool job_state_finished(const JobState *s) {
        assert(s);
        return streq(s->status, "COMPLETE") || streq(s->status, "ERROR");
}
