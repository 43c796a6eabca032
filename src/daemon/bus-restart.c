#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-job.h"
#include "bus-restart.h"
#include "log.h"
#include "sysops-names.h"

static void advance(Job *j);

static UnitAction job_action(const Context *c, const Job *j) {
        return j->type == JOB_RESTART ? UNIT_ACTION_RESTART : c->config.services[j->service].action;
}

static bool job_rolls(const Context *c, const Job *j) {
        return j->type == JOB_RESTART_SERVICE && c->config.services[j->service].rolling;
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
        step->state = error ? STEP_FAILED : STEP_DONE;
        if (error && !g->error)
                g->error = strdup(error);
        bus_job_changed(g->context, j);
        advance(j);
}

static void start_step(Job *j, JobStep *step) {
        JobGlue *g = j->glue;
        Context *c = g->context;
        int r;

        step->state = STEP_RUNNING;
        r = systemd_client_run(c->systemd, step->unit, job_action(c, j), on_unit_event, j);
        if (r < 0) {
                step->state = STEP_FAILED;
                if (!g->error && asprintf(&g->error, "Cannot ask systemd to act on %s: %s", step->unit,
                                          strerror(-r)) < 0)
                        g->error = NULL;
        }
}

/* Starts what may start now, and ends the job when nothing is left: rolling jobs one step at a
 * time, others all at once. A failure starts nothing new; the job ends when the running steps
 * are through, with the first failure as its message. */
static void advance(Job *j) {
        JobGlue *g = j->glue;
        Context *c = g->context;
        bool rolling = job_rolls(c, j);
        size_t running;
        JobStep *step;

        for (;;) {
                running = 0;
                for (size_t i = 0; i < j->n_steps; i++)
                        running += j->steps[i].state == STEP_RUNNING;

                if (g->error || !(step = job_next_pending(j)) || (rolling && running > 0))
                        break;
                start_step(j, step);
                if (step->state == STEP_RUNNING) {
                        bus_job_changed(c, j);
                        if (rolling)
                                return;
                }
        }
        if (running > 0 || job_is_finished(j))
                return;
        if (g->error)
                return fail(j, g->error);
        /* the cross-node rollout does not exist yet: say so rather than pretend */
        if (j->replicated && job_set_result(j, "{\"replicated\":[]}") < 0)
                log_error("Out of memory while ending job %s.", j->id);
        if (job_complete(j, now_ms(), j->replicated ?
                         "no peer nodes are configured, so only this node was restarted" : NULL) < 0)
                log_error("Out of memory while ending job %s.", j->id);
        bus_job_changed(c, j);
}

static void on_units_found(char **units, const char *error, void *userdata) {
        Job *j = userdata;
        char **patterns;
        char *problem = NULL;
        int r;

        if (error)
                return fail(j, error);
        if (!units[0]) {
                patterns = ((JobGlue *) j->glue)->context->config.services[j->service].units;
                if (asprintf(&problem, "No running unit matches %s.", patterns[0]) < 0)
                        problem = NULL;
                fail(j, problem ? problem : "No running unit matches the configured pattern.");
                free(problem);
                return;
        }
        r = job_set_units(j, units);
        if (r < 0)
                return fail(j, "Out of memory.");
        advance(j);
}

/* Settles the job's units (asking systemd which ones run when the config gives a pattern) and
 * starts it. */
static void start(Context *c, Job *j) {
        char *instance[] = { c->config.instance_unit, NULL };
        char **units = j->type == JOB_RESTART ? instance : c->config.services[j->service].units;
        bool patterns = false;
        int r;

        job_start(j, now_ms());
        for (char **u = units; *u; u++)
                patterns = patterns || unit_name_is_pattern(*u);
        if (patterns) {
                bus_job_changed(c, j);
                r = systemd_client_list_running(c->systemd, units, on_units_found, j);
                if (r < 0) {
                        char *problem = NULL;
                        if (asprintf(&problem, "Cannot ask systemd for the units: %s", strerror(-r)) < 0)
                                problem = NULL;
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

        j = bus_job_new(c, JOB_RESTART_SERVICE, service, replicated, uid);
        if (!j)
                return -ENOMEM;
        log_info("uid %u asked to restart %s%s (job %s).", (unsigned) uid, name, replicated ? " (replicated)" : "",
                 j->id);
        if (asprintf(&message, "Restarting %s", name) < 0)
                return -ENOMEM;
        /* Harper answers once the job is launched, long before it completes */
        r = bus_job_reply(m, message, j);
        free(message);
        start(c, j);
        return r < 0 ? r : 1;
}
