/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-job.h"
#include "bus-restart.h"
#include "harper-finder.h"
#include "harper-watch.h"
#include "log.h"
#include "macro.h"
#include "peer-client.h"
#include "restart-plan.h"
#include "sysops-names.h"
#include "text.h"

static void advance(Job *j);
static void roll_out(Job *j);
static void step_ended(Job *j, JobStep *step, const char *error);

static UnitAction job_action(const Context *c, const Job *j) {
        return j->type == JOB_RESTART ? UNIT_ACTION_RESTART : c->config.services[j->service].action;
}

/* A restart's steps come one after the other: the unit, then Harper answering again. */
static bool job_rolls(const Context *c, const Job *j) {
        return j->type == JOB_RESTART || c->config.services[j->service].rolling;
}

static JobStep *find_step(Job *j, const char *unit, StepState state) {
        for (size_t i = 0; i < j->n_steps; i++)
                if (j->steps[i].state == state && strcmp(j->steps[i].unit, unit) == 0)
                        return &j->steps[i];
        return NULL;
}

/* A Restart() caller hears once systemd has the job, or why it would not take it. */
static void answer_restart_call(JobGlue *g, const char *error) {
        int r;

        if (!g->call)
                return;
        if (error)
                r = sd_bus_reply_method_errorf(g->call, SYSOPS_ERROR_JOB_FAILED, "%s", error);
        else
                r = bus_job_reply(g->call, SYSOPS_RESTART_MESSAGE, g->job);
        if (r < 0)
                log_warning("Cannot answer the restart call: %s", strerror(-r));
        g->call = sd_bus_message_unref(g->call);
}

static void fail(Job *j, const char *message) {
        JobGlue *g = j->glue;

        if (job_fail(j, now_ms(), message) < 0)
                log_error("Out of memory while ending job %s.", j->id);
        answer_restart_call(g, message);
        bus_job_changed(g->context, j);
}

static void on_unit_event(const char *unit, UnitRunEvent event, const char *error, void *userdata) {
        Job *j = userdata;
        JobGlue *g = j->glue;
        JobStep *step = find_step(j, unit, STEP_RUNNING);

        if (!step)
                return;
        if (event == UNIT_RUN_QUEUED) {
                answer_restart_call(g, NULL);
                return;
        }
        step_ended(j, step, error);
}

/* A step is over: record it and go on with the job. */
static void step_ended(Job *j, JobStep *step, const char *error) {
        JobGlue *g = j->glue;

        step->state = error ? STEP_FAILED : STEP_DONE;
        if (error && !g->error)
                g->error = strdup(error);
        bus_job_changed(g->context, j);
        advance(j);
}

static JobStep *running_harper_step(Job *j) {
        for (size_t i = 0; i < j->n_steps; i++)
                if (j->steps[i].kind != STEP_UNIT && j->steps[i].state == STEP_RUNNING)
                        return &j->steps[i];
        return NULL;
}

static void on_harper_event(HarperWatchEvent event, const char *text, void *userdata) {
        Job *j = userdata;
        JobGlue *g = j->glue;
        JobStep *step = running_harper_step(j);

        if (event == HARPER_WATCH_STARTED) {
                log_info("Job %s: Harper follows it as its job %s.", j->id, text);
                return;
        }
        g->harper = NULL;   /* over, and freed */
        if (step)
                step_ended(j, step, event == HARPER_WATCH_FAILED ? text : NULL);
}

/* Harper is found: wait for it to answer, or have it restart the job's service. */
static void on_harper_found(const HarperTarget *t, const char *error, void *userdata) {
        Job *j = userdata;
        JobGlue *g = j->glue;
        Context *c = g->context;
        JobStep *step = running_harper_step(j);
        int r;

        if (!step)
                return;
        if (error)
                return step_ended(j, step, error);
        if (step->kind == STEP_HARPER_ANSWERING)
                r = harper_watch_answering(&g->harper, c->harper, c->event, t,
                                           (uint64_t) c->config.harper.answer_timeout_sec * 1000000ULL,
                                           on_harper_event, j);
        else
                r = harper_watch_restart_service(&g->harper, c->harper, c->event, t,
                                                 harper_service_to_string(j->service),
                                                 (uint64_t) c->config.unit_timeout_sec * 1000000ULL,
                                                 on_harper_event, j);
        if (r < 0) {
                char *why = text_printf("Cannot ask Harper at %s: %s", t->socket, strerror(-r));
                step_ended(j, step, why ? why : "Cannot ask Harper.");
                free(why);
        }
}

static void start_step(Job *j, JobStep *step) {
        JobGlue *g = j->glue;
        Context *c = g->context;
        int r;

        step->state = STEP_RUNNING;
        if (step->kind == STEP_UNIT)
                r = systemd_client_run(c->systemd, step->unit, job_action(c, j), on_unit_event, j);
        else
                r = harper_find(&c->config, c->systemd, on_harper_found, j);
        if (r < 0) {
                step->state = STEP_FAILED;
                if (!g->error)
                        g->error = text_printf("Cannot start %s: %s", step->unit, strerror(-r));
        }
}

/* Starts what may start now (restart_plan_next decides), and ends the job when nothing is
 * left, with the first failure as its message. */
static void advance(Job *j) {
        JobGlue *g = j->glue;
        Context *c = g->context;
        bool rolling = job_rolls(c, j);
        JobStep *step;
        PlanNext next;

        while ((next = restart_plan_next(j, rolling, g->error != NULL, &step)) == PLAN_START_STEP) {
                start_step(j, step);
                if (step->state == STEP_RUNNING)
                        bus_job_changed(c, j);
        }
        if (next == PLAN_WAIT || job_is_finished(j))
                return;
        if (g->error)
                return fail(j, g->error);
        if (j->replicated && c->config.n_peers > 0)
                return roll_out(j);
        /* replicated with no peers configured: say so rather than pretend */
        if (j->replicated && job_set_result(j, "{\"replicated\":[]}") < 0)
                log_error("Out of memory while ending job %s.", j->id);
        if (job_complete(j, now_ms(), j->replicated ?
                         "no peer nodes are configured, so only this node was restarted" : NULL) < 0)
                log_error("Out of memory while ending job %s.", j->id);
        bus_job_changed(c, j);
}

static void on_peer_event(PeerRunEvent event, const char *text, void *userdata) {
        Job *j = userdata;
        JobGlue *g = j->glue;
        JobNode *node = job_current_node(j);
        NodeState state;
        int r = 0;

        if (!node)
                return;
        if (event == PEER_RUN_STARTED) {
                if (job_node_set_job_id(node, text) < 0)
                        log_error("Out of memory while following %s.", node->name);
                bus_job_changed(g->context, j);
                return;
        }
        g->peer = NULL;   /* the run is over and frees itself */
        log_info("Job %s: %s %s: %s", j->id, node->name,
                 event == PEER_RUN_DONE ? "done" : event == PEER_RUN_UNREACHABLE ? "skipped" : "failed", text);
        state = event == PEER_RUN_DONE ? NODE_DONE : event == PEER_RUN_UNREACHABLE ? NODE_SKIPPED : NODE_FAILED;
        r = job_node_finish(node, state, text, now_ms());
        if (r < 0)
                log_error("Out of memory while following %s.", node->name);
        /* Harper: a peer whose job fails stops the rollout and fails the whole job with its message */
        if (!restart_plan_goes_on_after(state))
                return fail(j, text);
        roll_out(j);
}

/* After the local restart: each peer in configuration order, one at a time, each fully done
 * before the next; a peer that cannot be asked is recorded and skipped. */
static void roll_out(Job *j) {
        JobGlue *g = j->glue;
        Context *c = g->context;
        JobNode *node;
        char *result;
        int r;

        if (!j->nodes) {
                _cleanup_free_ char **names = calloc(c->config.n_peers + 1, sizeof(char *));
                if (!names)
                        return fail(j, "Out of memory.");
                restart_plan_peer_names(&c->config, names);
                if (job_set_nodes(j, names) < 0)
                        return fail(j, "Out of memory.");
        }
        while ((node = job_current_node(j))) {
                const PeerConfig *peer = restart_plan_find_peer(&c->config, node->name);

                if (node->state == NODE_RUNNING)
                        return;
                job_node_start(node, now_ms());
                r = peer ? peer_run_start(&g->peer, c->event, peer, harper_service_to_string(j->service),
                                          (uint64_t) c->config.peer_timeout_sec * 1000000ULL, on_peer_event, j) :
                        -ENOENT;
                if (r >= 0) {
                        log_info("Job %s: restarting %s on %s.", j->id, harper_service_to_string(j->service),
                                 node->name);
                        bus_job_changed(c, j);
                        return;
                }
                char *why = NULL;
                if (asprintf(&why, "Cannot connect to %s: %s", node->name, strerror(-r)) < 0)
                        why = NULL;
                if (job_node_finish(node, NODE_SKIPPED, why ? why : "Cannot connect.", now_ms()) < 0)
                        log_error("Out of memory while following %s.", node->name);
                free(why);
        }

        result = job_replicated_result(j);
        if (!result || job_set_result(j, result) < 0 || job_complete(j, now_ms(), NULL) < 0)
                log_error("Out of memory while ending job %s.", j->id);
        free(result);
        bus_job_changed(c, j);
}

/* The units found for the job's patterns: now its steps can be settled (restart_plan_units). */
static void on_units_found(char **running, const char *error, void *userdata) {
        Job *j = userdata;
        char **entries = ((JobGlue *) j->glue)->context->config.services[j->service].units;
        char **units = NULL, *problem = NULL;
        int r;

        if (error)
                return fail(j, error);
        r = restart_plan_units(entries, running, &units, &problem);
        if (r >= 0)
                r = job_set_units(j, units);
        free(units);
        if (r < 0) {
                fail(j, problem ? problem : "Out of memory.");
                free(problem);
                return;
        }
        advance(j);
}

/* The instance unit, then (for the real Harper) Harper answering again. */
static void start_restart(Context *c, Job *j) {
        char *instance[] = { c->config.instance_unit, NULL };
        int r = job_set_units(j, instance);

        if (r >= 0 && c->config.harper.api)
                r = job_add_step(j, STEP_HARPER_ANSWERING, STEP_NAME_HARPER_ANSWERING);
        if (r < 0)
                return fail(j, "Out of memory.");
        advance(j);
}

/* One step: Harper restarts the service itself, as a job of its own. */
static void start_by_harper(Context *c, Job *j) {
        char *name = text_printf(STEP_NAME_HARPER_SERVICE_PREFIX "%s", harper_service_to_string(j->service));
        int r = name ? job_add_step(j, STEP_HARPER_SERVICE, name) : -ENOMEM;

        free(name);
        if (r < 0)
                return fail(j, "Out of memory.");
        advance(j);
}

/* Settles the job's steps (asking systemd which units run when the config gives a pattern) and
 * starts it. */
static void start(Context *c, Job *j) {
        char **units;
        size_t n_units = 0;
        int r;

        job_start(j, now_ms());
        if (j->type == JOB_RESTART)   /* no service: j->service is _HARPER_SERVICE_INVALID */
                return start_restart(c, j);
        if (c->config.services[j->service].by_harper)
                return start_by_harper(c, j);
        units = c->config.services[j->service].units;
        while (units[n_units])
                n_units++;
        _cleanup_free_ char **patterns = calloc(n_units + 1, sizeof(char *));
        if (!patterns)
                return fail(j, "Out of memory.");
        if (restart_plan_patterns(units, patterns) > 0) {
                bus_job_changed(c, j);
                r = systemd_client_list_running(c->systemd, patterns, on_units_found, j);
                if (r < 0) {
                        char *problem = text_printf("Cannot ask systemd for the units: %s", strerror(-r));
                        fail(j, problem ? problem : "Cannot ask systemd for the units.");
                        free(problem);
                }
                return;
        }
        r = job_set_units(j, units);
        if (r < 0)
                return fail(j, "Out of memory.");
        advance(j);
}

static int refuse_if_running(Context *c, JobType type, HarperService service, sd_bus_error *error) {
        Job *running = job_table_find_running(&c->jobs, type, service);

        if (!running)
                return 0;
        return sd_bus_error_setf(error, SYSOPS_ERROR_ALREADY_RUNNING, "A restart of %s is already in progress (job %s).",
                                 type == JOB_RESTART ? c->config.instance_unit : harper_service_to_string(service),
                                 running->id);
}

int method_restart(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Context *c = userdata;
        uid_t uid;
        Job *j;
        int r;

        r = authorizer_check(c->authorizer, m, SYSOPS_ACTION_RESTART, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = refuse_if_running(c, JOB_RESTART, _HARPER_SERVICE_INVALID, error);
        if (r < 0)
                return r;
        r = authorizer_sender_uid(c->authorizer, m, &uid);
        if (r < 0)
                return r;

        j = bus_job_new(c, JOB_RESTART, _HARPER_SERVICE_INVALID, false, uid);
        if (!j)
                return -ENOMEM;
        log_info("uid %u asked to restart %s (job %s).", (unsigned) uid, c->config.instance_unit, j->id);
        /* Harper answers at once; here "at once" is when systemd has queued the restart */
        ((JobGlue *) j->glue)->call = sd_bus_message_ref(m);
        start(c, j);
        return 1;
}

int method_restart_service(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Context *c = userdata;
        const char *name;
        int replicated;
        HarperService service;
        char *message;
        uid_t uid;
        Job *j;
        int r;

        r = sd_bus_message_read(m, "sb", &name, &replicated);
        if (r < 0)
                return r;
        /* longer than any service name: refused before polkit, as an unknown one is after it */
        if (strlen(name) > SYSOPS_MAX_SERVICE_BYTES)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid service");

        r = authorizer_check(c->authorizer, m, SYSOPS_ACTION_RESTART_SERVICE, error);
        if (r <= 0)
                return r < 0 ? r : 1;

        service = harper_service_from_string(name);
        if (service < 0)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid service");
        r = refuse_if_running(c, JOB_RESTART_SERVICE, service, error);
        if (r < 0)
                return r;
        r = authorizer_sender_uid(c->authorizer, m, &uid);
        if (r < 0)
                return r;

        if (asprintf(&message, "Restarting %s", name) < 0)
                return -ENOMEM;
        j = bus_job_new(c, JOB_RESTART_SERVICE, service, replicated, uid);
        if (!j) {
                free(message);
                return -ENOMEM;
        }
        log_info("uid %u asked to restart %s%s (job %s).", (unsigned) uid, name, replicated ? " (replicated)" : "",
                 j->id);
        /* Harper answers once the job is launched, long before it completes; a caller that
         * has gone meanwhile does not stop the restart it asked for */
        r = bus_job_reply(m, message, j);
        free(message);
        start(c, j);
        return r < 0 ? r : 1;
}
