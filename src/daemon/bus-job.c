/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-args.h"
#include "bus-job.h"
#include "harper-watch.h"
#include "log.h"
#include "peer-client.h"
#include "sysops-names.h"
#include "text.h"

/* Getters for what is not stored as the bus shows it; the rest is read by offset. */
static int get_id(sd_bus *bus, const char *path, const char *interface, const char *property,
                  sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", ((const Job *) userdata)->id);
}

static int get_type(sd_bus *bus, const char *path, const char *interface, const char *property,
                    sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", job_type_to_string(((const Job *) userdata)->type));
}

static int get_service(sd_bus *bus, const char *path, const char *interface, const char *property,
                       sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const char *name = harper_service_to_string(((const Job *) userdata)->service);

        return sd_bus_message_append(reply, "s", name ? name : "");
}

static int get_status(sd_bus *bus, const char *path, const char *interface, const char *property,
                      sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", job_status_to_string(((const Job *) userdata)->status));
}

static int get_replicated(sd_bus *bus, const char *path, const char *interface, const char *property,
                          sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "b", (int) ((const Job *) userdata)->replicated);
}

static int get_steps(sd_bus *bus, const char *path, const char *interface, const char *property,
                     sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Job *j = userdata;
        int r = sd_bus_message_open_container(reply, 'a', SYSOPS_JOB_STEP);

        for (size_t i = 0; r >= 0 && i < j->n_steps; i++)
                r = sd_bus_message_append(reply, SYSOPS_JOB_STEP, j->steps[i].unit,
                                          step_state_to_string(j->steps[i].state));
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int get_nodes(sd_bus *bus, const char *path, const char *interface, const char *property,
                     sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Job *j = userdata;
        int r = sd_bus_message_open_container(reply, 'a', SYSOPS_JOB_NODE);

        for (size_t i = 0; r >= 0 && i < j->n_nodes; i++) {
                const JobNode *n = &j->nodes[i];
                r = sd_bus_message_append(reply, SYSOPS_JOB_NODE, n->name, node_state_to_string(n->state),
                                          n->message ? n->message : "", n->job_id ? n->job_id : "", n->start_ms,
                                          n->end_ms);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int get_current_node(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
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

void bus_job_abandon(Job *j, const char *why) {
        JobGlue *g = j->glue;

        log_warning("Job %s (%s) is left %s: %s", j->id, job_type_to_string(j->type), job_status_to_string(j->status),
                    why);
        if (g && g->call) {
                (void) sd_bus_reply_method_errorf(g->call, SYSOPS_ERROR_JOB_FAILED, "%s", why);
                g->call = sd_bus_message_unref(g->call);
        }
}

void bus_job_drop(Job *j) {
        JobGlue *g = j->glue;

        if (!g)
                return;
        peer_run_cancel(g->peer);
        harper_watch_cancel(g->harper);
        sd_bus_slot_unref(g->slot);
        sd_bus_message_unref(g->call);
        free(g->path);
        free(g->error);
        free(g);
        j->glue = NULL;
}

static int publish(Context *c, Job *j) {
        JobGlue *g = calloc(1, sizeof(JobGlue));
        int r;

        if (!g)
                return -ENOMEM;
        j->glue = g;
        g->context = c;
        g->job = j;
        if (asprintf(&g->path, SYSOPS_JOB_PATH_PREFIX "/%u", j->number) < 0) {
                g->path = NULL;
                return -ENOMEM;
        }
        r = sd_bus_add_object_vtable(c->bus, &g->slot, g->path, SYSOPS_JOB_INTERFACE, job_vtable, j);
        if (r < 0)
                log_error("Cannot publish job %s: %s", g->path, strerror(-r));
        return r;
}

Job *bus_job_new(Context *c, JobType type, HarperService service, bool replicated, uid_t uid) {
        Job *j = job_table_add(&c->jobs, type, service, replicated, uid, now_ms());
        JobGlue *g;
        int r;

        if (!j)
                return NULL;
        r = publish(c, j);
        if (r < 0) {
                job_table_remove(&c->jobs, j);
                bus_job_drop(j);
                job_free(j);
                return NULL;
        }
        g = j->glue;
        r = sd_bus_emit_object_added(c->bus, g->path);
        if (r < 0)
                log_warning("Cannot announce job %s: %s", g->path, strerror(-r));
        return j;
}

static void remove_from_bus(Context *c, Job *j) {
        JobGlue *g = j->glue;
        int r;

        if (g && g->slot) {
                r = sd_bus_emit_object_removed(c->bus, g->path);
                if (r < 0)
                        log_debug("Cannot announce the removal of %s: %s", g->path, strerror(-r));
        }
        bus_job_drop(j);
        job_free(j);
}

void bus_job_changed(Context *c, Job *j) {
        JobGlue *g = j->glue;
        Job *old;
        int r;

        /* no names: every property that emits changes */
        r = sd_bus_emit_properties_changed_strv(c->bus, g->path, SYSOPS_JOB_INTERFACE, NULL);
        if (r < 0)
                log_warning("Cannot announce the change of %s: %s", g->path, strerror(-r));
        if (!job_is_finished(j))
                return;

        log_info("Job %s (%s%s%s) asked by uid %u ended %s: %s", j->id, job_type_to_string(j->type),
                 j->type == JOB_RESTART_SERVICE ? " " : "",
                 j->type == JOB_RESTART_SERVICE ? harper_service_to_string(j->service) : "", (unsigned) j->uid,
                 job_status_to_string(j->status), j->message);
        while ((old = job_table_take_excess(&c->jobs)))
                remove_from_bus(c, old);
}

int bus_job_reply(sd_bus_message *call, const char *message, const Job *j) {
        const JobGlue *g = j->glue;

        return sd_bus_reply_method_return(call, SYSOPS_JOB_REPLY, message, j->id, g->path);
}

int method_get_job(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Context *c = userdata;
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
        return sd_bus_reply_method_return(m, "o", ((JobGlue *) j->glue)->path);
}
