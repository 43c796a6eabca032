/* SPDX-License-Identifier: MIT */
/* harper-ops --wait: follows the job a restart started until it ends, on the daemon's signals. */
#include <stdio.h>
#include <string.h>

#include "job-follow.h"
#include "job.h"
#include "job-object.h"
#include "log.h"
#include "macro.h"
#include "sysops-names.h"
#include "time-util.h"

static void show_progress(const JobFollow *follow, const JobState *s) {
        char step[128];

        if (!follow->progress)
                return;
        /* one line, rewritten in place */
        fprintf(stderr, "\r\033[K%s: %u/%u steps done%s%s", s->status, s->steps_done, s->steps_total,
                s->running_unit ? ", now " : "",
                s->running_unit ? step_display_name(s->running_unit, step, sizeof step) : "");
        if (s->nodes_total > 0)
                fprintf(stderr, "; other nodes %u/%u%s%s", s->nodes_over, s->nodes_total,
                        s->current_node && *s->current_node ? ", now " : "",
                        s->current_node && *s->current_node ? s->current_node : "");
        if (job_state_finished(s))
                fputc('\n', stderr);
        fflush(stderr);
}

static int on_job_signal(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        bool *changed = ASSERT_PTR(userdata);

        *changed = true;
        return 0;
}

static int on_daemon_gone(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        bool *gone = ASSERT_PTR(userdata);
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) >= 0 && !*new_owner)
                *gone = true;
        return 0;
}

/* Listens for the job's PropertiesChanged (setting *changed) and for the daemon leaving the bus
 * (setting *gone). */
static int listen_to_job(sd_bus *bus, const char *path, bool *changed, bool *gone) {
        int r;

        r = sd_bus_match_signal(bus, NULL, SYSOPS_BUS_NAME, path, "org.freedesktop.DBus.Properties",
                                "PropertiesChanged", on_job_signal, changed);
        if (r < 0)
                return r;
        return sd_bus_add_match(bus, NULL,
                                "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
                                "member='NameOwnerChanged',arg0='" SYSOPS_BUS_NAME "'",
                                on_daemon_gone, gone);
}

/* Reads the job again into *s (its strings in *reply) and shows it. Returns 1 with *ret set when
 * the follow is over (the job ended, or could not be read), 0 while the job runs. */
static int reread_job(const CallContext *ctx, const Operation *op, const char *path, const JobFollow *follow,
                      JobState *s, sd_bus_message **reply, Response *ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

        *reply = sd_bus_message_unref(*reply);
        if (job_read(ctx->bus, path, s, reply, &error) < 0) {
                if (sd_bus_error_has_name(&error, SD_BUS_ERROR_UNKNOWN_OBJECT)) {
                        log_error("Job %s is gone: it left the daemon's history (jobs_kept) "
                                  "before it could be read.", path);
                        *ret = response_error(OUTCOME_INTERNAL_ERROR,
                                              "The job left the daemon's history before it could be read.");
                } else
                        *ret = failed_call(ctx, op, &error);
                return 1;
        }
        show_progress(follow, s);
        if (!job_state_finished(s))
                return 0;
        *ret = response_ok(job_state_to_json(s));
        if (streq(s->status, "ERROR"))
                ret->outcome = OUTCOME_JOB_ERROR;
        return 1;
}

/* Waits for the job at path to end: the job's own PropertiesChanged wake us, no polling. The
 * answer is the final job record; a job that ended in ERROR gives exit status 5. */
static Response follow_job(const CallContext *ctx, const Operation *op, const char *path,
                           const JobFollow *follow) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        bool changed = true, gone = false;
        uint64_t deadline = follow->timeout_usec ? monotonic_usec() + follow->timeout_usec : UINT64_MAX;
        JobState s = {};
        Response ret;
        int r;

        /* listen first, then read: a change in between wakes us anyway */
        r = listen_to_job(ctx->bus, path, &changed, &gone);
        if (r < 0)
                return response_error(OUTCOME_INTERNAL_ERROR, "Cannot listen for the job's progress.");

        for (;;) {
                if (changed) {
                        changed = false;
                        if (reread_job(ctx, op, path, follow, &s, &reply, &ret) > 0)
                                return ret;
                }
                if (gone) {
                        log_error("harper-sysopsd went away while job %s ran.", path);
                        return response_error(OUTCOME_INTERNAL_ERROR, "harper-sysopsd went away while the job ran.");
                }
                if (monotonic_usec() >= deadline) {
                        log_error("Gave up waiting after %llu s: job %s is still %s.",
                                  (unsigned long long) (follow->timeout_usec / 1000000), s.id, s.status);
                        return response_error(OUTCOME_INTERNAL_ERROR, "Gave up waiting for the job (--timeout).");
                }
                r = sd_bus_process(ctx->bus, NULL);
                if (r == 0)
                        r = sd_bus_wait(ctx->bus, deadline == UINT64_MAX ? UINT64_MAX : deadline - monotonic_usec());
                if (r < 0) {
                        log_error_errno(r, "Lost the bus while following the job: %m");
                        return response_error(OUTCOME_INTERNAL_ERROR, "Lost the bus while following the job.");
                }
        }
}

Response job_follow_started(const CallContext *ctx, const Operation *op, const char *message, const char *job_id,
                            const char *job_path, void *userdata) {
        const JobFollow *follow = ASSERT_PTR(userdata);

        assert(ctx);
        assert(op);
        assert(message);
        assert(job_id);
        assert(job_path);

        if (follow->progress)
                fprintf(stderr, "%s (job %s)\n", message, job_id);
        return follow_job(ctx, op, job_path, follow);
}
