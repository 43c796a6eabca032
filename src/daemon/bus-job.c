/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-args.h"
#include "bus-job.h"
#include "log.h"
#include "macro.h"
#include "restart-drivers.h"
#include "sysops-names.h"
#include "text.h"

struct BusJob {
        Job *job;
        sd_bus_slot *slot;
        sd_bus_message *call;  /* a Restart() call answered once systemd has queued the job */
        BusJob *next;
};

/* /io/harperdb/SystemOperations1/job/<n> */
#define JOB_PATH_MAX (sizeof(SYSOPS_JOB_PATH_PREFIX "/") + 10)

static const char *job_path(const Job *j, char buf[static JOB_PATH_MAX]) {
        snprintf(buf, JOB_PATH_MAX, SYSOPS_JOB_PATH_PREFIX "/%u", j->number);
        return buf;
}

/* ---- The job's properties: the one place that writes them for the bus ---- */

static int get_id(sd_bus *bus, const char *path, const char *interface, const char *property,
                  sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Job *j = ASSERT_PTR(userdata);

        return sd_bus_message_append(reply, "s", j->id);
}

static int get_type(sd_bus *bus, const char *path, const char *interface, const char *property,
                    sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Job *j = ASSERT_PTR(userdata);

        return sd_bus_message_append(reply, "s", job_type_to_string(j->type));
}

static int get_service(sd_bus *bus, const char *path, const char *interface, const char *property,
                       sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Job *j = ASSERT_PTR(userdata);
        const char *name = harper_service_to_string(j->service);

        return sd_bus_message_append(reply, "s", name ? name : "");
}

static int get_status(sd_bus *bus, const char *path, const char *interface, const char *property,
                      sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Job *j = ASSERT_PTR(userdata);

        return sd_bus_message_append(reply, "s", job_status_to_string(j->status));
}

static int get_replicated(sd_bus *bus, const char *path, const char *interface, const char *property,
                          sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Job *j = ASSERT_PTR(userdata);

        return sd_bus_message_append(reply, "b", (int) j->replicated);
}

static int get_steps(sd_bus *bus, const char *path, const char *interface, const char *property,
                     sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Job *j = ASSERT_PTR(userdata);
        int r;

        r = sd_bus_message_open_container(reply, 'a', SYSOPS_JOB_STEP);
        if (r < 0)
                return r;
        for (size_t i = 0; i < j->n_steps; i++) {
                r = sd_bus_message_append(reply, SYSOPS_JOB_STEP, j->steps[i].unit,
                                          step_state_to_string(j->steps[i].state));
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static int get_nodes(sd_bus *bus, const char *path, const char *interface, const char *property,
                     sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Job *j = ASSERT_PTR(userdata);
        int r;

        r = sd_bus_message_open_container(reply, 'a', SYSOPS_JOB_NODE);
        if (r < 0)
                return r;
        for (size_t i = 0; i < j->n_nodes; i++) {
                const JobNode *n = &j->nodes[i];
                r = sd_bus_message_append(reply, SYSOPS_JOB_NODE, n->name, node_state_to_string(n->state),
                                          n->message ? n->message : "", n->job_id ? n->job_id : "", n->start_ms,
                                          n->end_ms);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static int get_current_node(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Job *j = ASSERT_PTR(userdata);
        JobNode *n = job_current_node(j);

        return sd_bus_message_append(reply, "s", n && n->state == NODE_RUNNING ? n->name : "");
}

static const sd_bus_vtable job_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Id", "s", get_id, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Type", "s", get_type, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Service", "s", get_service, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Replicated", "b", get_replicated, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("UserId", "u", NULL, offsetof(Job, uid), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("CreatedTime", "t", NULL, offsetof(Job, created_ms), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Status", "s", get_status, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        /* NULL strings go out as "" */
        SD_BUS_PROPERTY("Message", "s", NULL, offsetof(Job, message), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Result", "s", NULL, offsetof(Job, result), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("StartTime", "t", NULL, offsetof(Job, start_ms), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("EndTime", "t", NULL, offsetof(Job, end_ms), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Steps", "a" SYSOPS_JOB_STEP, get_steps, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Nodes", "a" SYSOPS_JOB_NODE, get_nodes, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("CurrentNode", "s", get_current_node, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END
};

/* ---- Each job's bus side ---- */

static BusJob *bus_job_find(Context *c, const Job *j) {
        for (BusJob *b = c->bus_jobs; b; b = b->next)
                if (b->job == j)
                        return b;
        return NULL;
}

/* Takes j's bus side off the bus and frees it (not j). */
static void bus_job_drop(Context *c, const Job *j) {
        for (BusJob **p = &c->bus_jobs; *p; p = &(*p)->next) {
                BusJob *b = *p;
                if (b->job != j)
                        continue;
                *p = b->next;
                sd_bus_slot_unref(b->slot);
                sd_bus_message_unref(b->call);
                free(b);
                return;
        }
}

static int publish(Context *c, Job *j) {
        char path[JOB_PATH_MAX];
        BusJob *b;
        int r;

        b = calloc(1, sizeof(BusJob));
        if (!b)
                return -ENOMEM;
        *b = (BusJob) { .job = j, .next = c->bus_jobs };
        c->bus_jobs = b;
        r = sd_bus_add_object_vtable(c->bus, &b->slot, job_path(j, path), SYSOPS_JOB_INTERFACE, job_vtable, j);
        if (r < 0)
                return log_error_errno(r, "Cannot publish job %s: %m", path);
        return 0;
}

Job *bus_job_new(Context *c, JobType type, HarperService service, bool replicated, uid_t uid) {
        char path[JOB_PATH_MAX];
        Job *j;
        int r;

        assert(c);
        j = job_table_add(&c->jobs, type, service, replicated, uid, now_ms());
        if (!j)
                return NULL;
        r = publish(c, j);
        if (r < 0) {
                job_table_remove(&c->jobs, j);
                bus_job_drop(c, j);
                job_free(j);
                return NULL;
        }
        r = sd_bus_emit_object_added(c->bus, job_path(j, path));
        if (r < 0)
                log_warning_errno(r, "Cannot announce job %s: %m", path);
        return j;
}

static void remove_from_bus(Context *c, Job *j) {
        char path[JOB_PATH_MAX];
        int r;

        r = sd_bus_emit_object_removed(c->bus, job_path(j, path));
        if (r < 0)
                log_debug_errno(r, "Cannot announce the removal of %s: %m", path);
        bus_job_drop(c, j);
        job_free(j);
}

/* The engine's events: a change is announced (a finished job logged, the oldest finished ones
 * beyond the configured history taken off the bus and freed); a waiting caller is answered. */
static void on_job_changed(Job *j, void *userdata) {
        Context *c = ASSERT_PTR(userdata);
        char path[JOB_PATH_MAX];
        Job *old;
        int r;

        /* no names: every property that emits changes */
        r = sd_bus_emit_properties_changed_strv(c->bus, job_path(j, path), SYSOPS_JOB_INTERFACE, NULL);
        if (r < 0)
                log_warning_errno(r, "Cannot announce the change of %s: %m", path);
        if (!job_is_finished(j))
                return;

        log_info("Job %s (%s%s%s) asked by uid %u ended %s: %s", j->id, job_type_to_string(j->type),
                 j->type == JOB_RESTART_SERVICE ? " " : "",
                 j->type == JOB_RESTART_SERVICE ? harper_service_to_string(j->service) : "", (unsigned) j->uid,
                 job_status_to_string(j->status), j->message);
        while ((old = job_table_take_excess(&c->jobs)))
                remove_from_bus(c, old);
}

static void on_call_answer(Job *j, int error, const char *message, void *userdata) {
        Context *c = ASSERT_PTR(userdata);
        BusJob *b = bus_job_find(c, j);
        int r;

        if (!b || !b->call)
                return;
        if (error < 0)
                r = sd_bus_reply_method_errorf(b->call, SYSOPS_ERROR_JOB_FAILED, "%s", message);
        else
                r = bus_job_reply(b->call, SYSOPS_RESTART_MESSAGE, j);
        if (r < 0)
                log_warning_errno(r, "Cannot answer the restart call: %m");
        b->call = sd_bus_message_unref(b->call);
}

int bus_jobs_setup(Context *c) {
        RestartDrivers drivers;
        const RestartEvents events = {
                .job_changed = on_job_changed,
                .call_answer = on_call_answer,
                .userdata = c,
        };

        assert(c);
        restart_drivers_init(&drivers, c);
        return restart_engine_new(&c->engine, &c->config, &drivers, &events);
}

void bus_jobs_done(Context *c) {
        assert(c);
        c->engine = restart_engine_free(c->engine);
        while (c->bus_jobs)
                bus_job_drop(c, c->bus_jobs->job);
        job_table_done(&c->jobs);
}

void bus_job_start(Context *c, Job *j, sd_bus_message *call) {
        BusJob *b;

        assert(c);
        assert(j);
        b = bus_job_find(c, j);
        if (call && b)
                b->call = sd_bus_message_ref(call);
        restart_engine_start(c->engine, j, call != NULL);
}

void bus_job_abandon(Context *c, Job *j, const char *why) {
        BusJob *b;

        assert(c);
        assert(j);
        log_warning("Job %s (%s) is left %s: %s", j->id, job_type_to_string(j->type), job_status_to_string(j->status),
                    why);
        b = bus_job_find(c, j);
        if (!b || !b->call)
                return;
        (void) sd_bus_reply_method_errorf(b->call, SYSOPS_ERROR_JOB_FAILED, "%s", why);
        b->call = sd_bus_message_unref(b->call);
}

int bus_job_reply(sd_bus_message *call, const char *message, const Job *j) {
        char path[JOB_PATH_MAX];

        assert(call);
        assert(j);
        return sd_bus_reply_method_return(call, SYSOPS_JOB_REPLY, message, j->id, job_path(j, path));
}

int method_get_job(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Context *c = ASSERT_PTR(userdata);
        char path[JOB_PATH_MAX];
        const char *id;
        Job *j;
        int r;

        r = sd_bus_message_read(m, "s", &id);
        if (r < 0)
                return r;
        if (strlen(id) > SYSOPS_MAX_JOB_ID_BYTES)
                return bus_refuse_too_long(error, "'id'", id, SYSOPS_MAX_JOB_ID_BYTES);
        /* jobs are readable by anyone (Harper's get_job needs no super user) */
        j = job_table_find(&c->jobs, id);
        if (!j)
                return bus_refuse_unknown(error, SYSOPS_ERROR_NO_SUCH_JOB, "No job with id", id);
        return sd_bus_reply_method_return(m, "o", job_path(j, path));
}
