/* restart, restart_service and get_job: the calls that start jobs, and following a job until
 * it ends (--wait). job-object.c reads the job. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harper-request.h"
#include "job-object.h"
#include "log.h"
#include "operations.h"
#include "sysops-names.h"

static void show_progress(const CallContext *ctx, const JobState *s) {
        if (!ctx->progress)
                return;
        /* one line, rewritten in place */
        fprintf(stderr, "\r\033[K%s: %u/%u units done%s%s", s->status, s->steps_done, s->steps_total,
                s->running_unit ? ", now " : "", s->running_unit ? s->running_unit : "");
        if (s->nodes_total > 0)
                fprintf(stderr, "; peers %u/%u%s%s", s->nodes_over, s->nodes_total,
                        s->current_node && *s->current_node ? ", now " : "",
                        s->current_node && *s->current_node ? s->current_node : "");
        if (job_state_finished(s))
                fputc('\n', stderr);
        fflush(stderr);
}

static int on_job_signal(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        *(bool *) userdata = true;
        return 0;
}

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}

static int on_daemon_gone(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) >= 0 && !*new_owner)
                *(bool *) userdata = true;
        return 0;
}

/* Waits for the job at path to end: the job's own PropertiesChanged wake us, no polling. The
 * answer is the final job record; a job that ended in ERROR gives exit status 5. */
static Response follow_job(const CallContext *ctx, const Operation *op, const char *path) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        bool changed = true, gone = false;
        uint64_t deadline = ctx->wait_usec ? now_usec() + ctx->wait_usec : UINT64_MAX;
        JobState s = {};
        Response ret;
        int r;

        /* listen first, then read: a change in between wakes us anyway */
        r = sd_bus_match_signal(ctx->bus, NULL, SYSOPS_BUS_NAME, path, "org.freedesktop.DBus.Properties",
                                "PropertiesChanged", on_job_signal, &changed);
        if (r >= 0)
                r = sd_bus_add_match(ctx->bus, NULL,
                                     "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
                                     "member='NameOwnerChanged',arg0='" SYSOPS_BUS_NAME "'",
                                     on_daemon_gone, &gone);
        if (r < 0)
                return response_error(OUTCOME_INTERNAL_ERROR, "Cannot listen for the job's progress.");

        for (;;) {
                if (changed) {
                        changed = false;
                        reply = sd_bus_message_unref(reply);
                        if (job_read(ctx->bus, path, &s, &reply, &error) < 0) {
                                if (sd_bus_error_has_name(&error, SD_BUS_ERROR_UNKNOWN_OBJECT)) {
                                        log_error("Job %s is gone: it left the daemon's history (jobs_kept) "
                                                  "before it could be read.", path);
                                        sd_bus_error_free(&error);
                                        ret = response_error(OUTCOME_INTERNAL_ERROR,
                                                             "The job left the daemon's history before it could be read.");
                                } else
                                        ret = failed_call(ctx, op, &error);
                                break;
                        }
                        show_progress(ctx, &s);
                        if (job_state_finished(&s)) {
                                ret = response_ok(job_state_to_json(&s));
                                if (strcmp(s.status, "ERROR") == 0)
                                        ret.outcome = OUTCOME_JOB_ERROR;
                                break;
                        }
                }
                if (gone) {
                        log_error("harper-sysopsd went away while job %s ran.", path);
                        ret = response_error(OUTCOME_INTERNAL_ERROR, "harper-sysopsd went away while the job ran.");
                        break;
                }
                if (now_usec() >= deadline) {
                        log_error("Gave up waiting after %llu s: job %s is still %s.",
                                  (unsigned long long) (ctx->wait_usec / 1000000), s.id, s.status);
                        ret = response_error(OUTCOME_INTERNAL_ERROR, "Gave up waiting for the job (--timeout).");
                        break;
                }
                r = sd_bus_process(ctx->bus, NULL);
                if (r == 0)
                        r = sd_bus_wait(ctx->bus, deadline == UINT64_MAX ? UINT64_MAX : deadline - now_usec());
                if (r < 0) {
                        log_error("Lost the bus while following the job: %s", strerror(-r));
                        ret = response_error(OUTCOME_INTERNAL_ERROR, "Lost the bus while following the job.");
                        break;
                }
        }
        sd_bus_message_unref(reply);
        return ret;
}

/* {"message", "job_id"} from a Restart/RestartService reply, or the followed job's end. */
static Response job_started(const CallContext *ctx, const Operation *op, sd_bus_message *reply) {
        const char *message, *id, *path;
        json_object *body;

        if (sd_bus_message_read(reply, SYSOPS_JOB_REPLY, &message, &id, &path) < 0)
                return response_error(OUTCOME_INTERNAL_ERROR, "harper-sysopsd sent a malformed job reply.");
        if (ctx->wait) {
                if (ctx->progress)
                        fprintf(stderr, "%s (job %s)\n", message, id);
                return follow_job(ctx, op, path);
        }
        body = json_object_new_object();
        json_object_object_add(body, "message", json_object_new_string(message));
        json_object_object_add(body, "job_id", json_object_new_string(id));
        return response_ok(body);
}

Response run_restart(const CallContext *ctx, json_object *request, const Operation *op) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        Response ret;

        /* Harper reads nothing but the operation */
        if (call_method(ctx, "Restart", &error, &reply, "") < 0)
                return failed_call(ctx, op, &error);
        ret = job_started(ctx, op, reply);
        sd_bus_message_unref(reply);
        return ret;
}

Response run_restart_service(const CallContext *ctx, json_object *request, const Operation *op) {
        int service_present, replicated_present;
        json_object *service = request_field(request, "service", &service_present);
        json_object *replicated = request_field(request, "replicated", &replicated_present);
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        Response ret;

        /* a name D-Bus cannot carry is no service; known names are the daemon's to judge */
        if (!json_object_is_type(service, json_type_string) ||
            (size_t) json_object_get_string_len(service) != strlen(json_object_get_string(service)))
                return response_error(OUTCOME_BAD_REQUEST, "Invalid service");
        /* stricter than Harper, which takes any truthy value: "false" would restart peers */
        if (replicated_present && !json_object_is_type(replicated, json_type_boolean))
                return response_error(OUTCOME_BAD_REQUEST, "'replicated' must be true or false");

        if (call_method(ctx, "RestartService", &error, &reply, "sb", json_object_get_string(service),
                        (int) (replicated_present && json_object_get_boolean(replicated))) < 0)
                return failed_call(ctx, op, &error);
        ret = job_started(ctx, op, reply);
        sd_bus_message_unref(reply);
        return ret;
}

Response run_get_job(const CallContext *ctx, json_object *request, const Operation *op) {
        int present;
        json_object *id = request_field(request, "id", &present), *list;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL, *properties = NULL;
        const char *path;
        JobState s;

        if (!present)
                return response_error(OUTCOME_BAD_REQUEST, "'id' is required");
        list = json_object_new_array();
        /* Harper searches by the value; what is not a job id finds nothing */
        if (!json_object_is_type(id, json_type_string) ||
            (size_t) json_object_get_string_len(id) != strlen(json_object_get_string(id)))
                return response_ok(list);

        if (call_method(ctx, "GetJob", &error, &reply, "s", json_object_get_string(id)) < 0) {
                if (sd_bus_error_has_name(&error, SYSOPS_ERROR_NO_SUCH_JOB)) {
                        sd_bus_error_free(&error);
                        return response_ok(list);
                }
                json_object_put(list);
                return failed_call(ctx, op, &error);
        }
        if (sd_bus_message_read(reply, "o", &path) < 0 || job_read(ctx->bus, path, &s, &properties, &error) < 0) {
                sd_bus_message_unref(properties);
                sd_bus_message_unref(reply);
                json_object_put(list);
                /* the job may have left the history between the two calls */
                if (sd_bus_error_has_name(&error, SD_BUS_ERROR_UNKNOWN_OBJECT)) {
                        sd_bus_error_free(&error);
                        return response_ok(json_object_new_array());
                }
                return sd_bus_error_is_set(&error) ? failed_call(ctx, op, &error) :
                        response_error(OUTCOME_INTERNAL_ERROR, "harper-sysopsd sent a malformed job reply.");
        }
        json_object_array_add(list, job_state_to_json(&s));
        sd_bus_message_unref(properties);
        sd_bus_message_unref(reply);
        return response_ok(list);
}
