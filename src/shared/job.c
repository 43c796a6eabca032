/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-id128.h>

#include "job.h"
#include "json-util.h"
#include "macro.h"
#include "string-table.h"
#include "text.h"

static const char *const job_status_table[_JOB_STATUS_MAX] = {
        [JOB_CREATED] = "CREATED",
        [JOB_IN_PROGRESS] = "IN_PROGRESS",
        [JOB_COMPLETE] = "COMPLETE",
        [JOB_ERROR] = "ERROR",
};

static const char *const job_type_table[_JOB_TYPE_MAX] = {
        [JOB_RESTART] = "restart",
        [JOB_RESTART_SERVICE] = "restart_service",
};

static const char *const step_state_table[_STEP_STATE_MAX] = {
        [STEP_PENDING] = "pending",
        [STEP_RUNNING] = "running",
        [STEP_DONE] = "done",
        [STEP_FAILED] = "failed",
};

static const char *const node_state_table[_NODE_STATE_MAX] = {
        [NODE_PENDING] = "pending",
        [NODE_RUNNING] = "running",
        [NODE_DONE] = "done",
        [NODE_SKIPPED] = "skipped",
        [NODE_FAILED] = "failed",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(job_status, JobStatus, _JOB_STATUS_MAX)
DEFINE_STRING_TABLE_LOOKUP_TO_STRING(job_type, JobType, _JOB_TYPE_MAX)
DEFINE_STRING_TABLE_LOOKUP_TO_STRING(step_state, StepState, _STEP_STATE_MAX)
DEFINE_STRING_TABLE_LOOKUP_TO_STRING(node_state, NodeState, _NODE_STATE_MAX)

void job_table_init(JobTable *t, unsigned max_finished) {
        *t = (JobTable) { .next_number = 1, .max_finished = max_finished };
}

static void steps_free(JobStep *steps, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(steps[i].unit);
        free(steps);
}

static void nodes_free(JobNode *nodes, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(nodes[i].name);
                free(nodes[i].message);
                free(nodes[i].job_id);
        }
        free(nodes);
}

void job_free(Job *j) {
        if (!j)
                return;
        steps_free(j->steps, j->n_steps);
        nodes_free(j->nodes, j->n_nodes);
        free(j->message);
        free(j->result);
        free(j);
}

static size_t strv_length(char *const *l) {
        size_t n = 0;

        while (l[n])
                n++;
        return n;
}

void job_table_done(JobTable *t) {
        assert(t);
        while (t->first) {
                Job *j = t->first;
                t->first = j->next;
                job_free(j);
        }
}

/* A random (version 4) uuid in its usual text form. */
static int new_uuid(char out[37]) {
        sd_id128_t id;
        int r = sd_id128_randomize(&id);
        const uint8_t *b = id.bytes;

        if (r < 0)
                return r;
        snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
        return 0;
}

Job *job_table_add(JobTable *t, JobType type, HarperService service, bool replicated, uid_t uid, uint64_t now_ms) {
        _cleanup_free_ Job *j = NULL;
        Job **tail;

        assert(t);
        j = calloc(1, sizeof(Job));
        if (!j || new_uuid(j->id) < 0)
                return NULL;
        j->number = t->next_number++;
        j->type = type;
        j->service = type == JOB_RESTART_SERVICE ? service : _HARPER_SERVICE_INVALID;
        j->replicated = replicated;
        j->uid = uid;
        j->status = JOB_CREATED;
        j->created_ms = now_ms;
        for (tail = &t->first; *tail; tail = &(*tail)->next)
                ;
        *tail = TAKE_PTR(j);
        return *tail;
}

Job *job_table_find(const JobTable *t, const char *id) {
        for (Job *j = t->first; j; j = j->next)
                if (strcmp(j->id, id) == 0)
                        return j;
        return NULL;
}

Job *job_table_find_running(const JobTable *t, JobType type, HarperService service) {
        for (Job *j = t->first; j; j = j->next)
                if (!job_is_finished(j) && j->type == type && (type != JOB_RESTART_SERVICE || j->service == service))
                        return j;
        return NULL;
}

void job_table_remove(JobTable *t, Job *j) {
        for (Job **p = &t->first; *p; p = &(*p)->next)
                if (*p == j) {
                        *p = j->next;
                        j->next = NULL;
                        return;
                }
}

Job *job_table_take_excess(JobTable *t) {
        unsigned finished = 0;
        Job **oldest = NULL;

        /* the one that finished first goes (not the one created first: a long rolling restart
         * that just ended must stay readable) */
        for (Job **p = &t->first; *p; p = &(*p)->next)
                if (job_is_finished(*p)) {
                        finished++;
                        if (!oldest || (*p)->end_ms < (*oldest)->end_ms)
                                oldest = p;
                }
        if (finished <= t->max_finished || !oldest)
                return NULL;

        Job *j = *oldest;
        *oldest = j->next;
        j->next = NULL;
        return j;
}

int job_set_units(Job *j, char *const *units) {
        size_t n;
        JobStep *steps;

        assert(j);
        assert(units);
        n = strv_length(units);
        steps = calloc(n ? n : 1, sizeof(JobStep));
        if (!steps)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                steps[i].unit = strdup(units[i]);
                if (!steps[i].unit) {
                        steps_free(steps, i);
                        return -ENOMEM;
                }
        }
        steps_free(j->steps, j->n_steps);
        j->steps = steps;
        j->n_steps = n;
        return 0;
}

int job_add_step(Job *j, StepKind kind, const char *name) {
        _cleanup_free_ char *unit = NULL;
        JobStep *steps;

        assert(j);
        assert(name);
        unit = strdup(name);
        if (!unit)
                return -ENOMEM;
        steps = realloc(j->steps, (j->n_steps + 1) * sizeof(JobStep));
        if (!steps)
                return -ENOMEM;
        j->steps = steps;
        steps[j->n_steps++] = (JobStep) { .unit = TAKE_PTR(unit), .kind = kind };
        return 0;
}

bool job_is_finished(const Job *j) {
        return j->status == JOB_COMPLETE || j->status == JOB_ERROR;
}

void job_start(Job *j, uint64_t now_ms) {
        if (j->status != JOB_CREATED)
                return;
        j->status = JOB_IN_PROGRESS;
        j->start_ms = now_ms;
}

static int finish(Job *j, JobStatus status, uint64_t now_ms, char *message) {
        if (!message)
                return -ENOMEM;
        free(j->message);
        j->message = message;
        if (j->start_ms == 0)
                j->start_ms = now_ms;
        j->status = status;
        j->end_ms = now_ms;
        return 0;
}

int job_complete(Job *j, uint64_t now_ms, const char *note) {
        assert(j);
        return finish(j, JOB_COMPLETE, now_ms,
                      text_printf("Successfully completed job: %s%s%s", j->id, note ? "; " : "", note ? note : ""));
}

int job_fail(Job *j, uint64_t now_ms, const char *message) {
        assert(j);
        assert(message);
        return finish(j, JOB_ERROR, now_ms, text_cut(message, JOB_MESSAGE_MAX_BYTES));
}

int job_set_result(Job *j, const char *json) {
        char *copy = json ? strdup(json) : NULL;

        if (json && !copy)
                return -ENOMEM;
        free(j->result);
        j->result = copy;
        return 0;
}

JobStep *job_next_pending(Job *j) {
        for (size_t i = 0; i < j->n_steps; i++)
                if (j->steps[i].state == STEP_PENDING)
                        return &j->steps[i];
        return NULL;
}


int job_set_nodes(Job *j, char *const *names) {
        size_t n;
        JobNode *nodes;

        assert(j);
        assert(names);
        n = strv_length(names);
        nodes = calloc(n ? n : 1, sizeof(JobNode));
        if (!nodes)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                nodes[i].name = strdup(names[i]);
                if (!nodes[i].name) {
                        nodes_free(nodes, i);
                        return -ENOMEM;
                }
        }
        nodes_free(j->nodes, j->n_nodes);
        j->nodes = nodes;
        j->n_nodes = n;
        return 0;
}

JobNode *job_current_node(Job *j) {
        for (size_t i = 0; i < j->n_nodes; i++)
                if (j->nodes[i].state == NODE_PENDING || j->nodes[i].state == NODE_RUNNING)
                        return &j->nodes[i];
        return NULL;
}

void job_node_start(JobNode *n, uint64_t now_ms) {
        n->state = NODE_RUNNING;
        n->start_ms = now_ms;
}

int job_node_set_job_id(JobNode *n, const char *job_id) {
        char *copy;

        assert(n);
        assert(job_id);
        copy = strdup(job_id);
        if (!copy)
                return -ENOMEM;
        free(n->job_id);
        n->job_id = copy;
        return 0;
}

int job_node_finish(JobNode *n, NodeState state, const char *message, uint64_t now_ms) {
        char *copy;

        assert(n);
        assert(message);
        copy = text_cut(message, JOB_MESSAGE_MAX_BYTES);
        if (!copy)
                return -ENOMEM;
        free(n->message);
        n->message = copy;
        n->state = state;
        if (n->start_ms == 0)
                n->start_ms = now_ms;
        n->end_ms = now_ms;
        return 0;
}

static int add_result_entry(json_object *list, const char *node, const char *message) {
        json_object *entry = json_object_new_object();

        if (!entry || json_object_array_add(list, entry) < 0) {
                json_object_put(entry);
                return -ENOMEM;
        }
        if (json_object_object_add(entry, "node", json_object_new_string(node)) < 0 ||
            json_object_object_add(entry, "message", json_object_new_string(message ?: "")) < 0)
                return -ENOMEM;
        return 0;
}

const char *step_display_name(const char *step, char *buf, size_t size) {
        assert(step);
        assert(buf);

        if (streq(step, STEP_NAME_HARPER_ANSWERING))
                return "Harper answering";
        if (streq(step, STEP_NAME_HARPER_REPLICATION))
                return "Harper's replication connected again";
        if (strncmp(step, STEP_NAME_HARPER_SERVICE_PREFIX, strlen(STEP_NAME_HARPER_SERVICE_PREFIX)) == 0) {
                snprintf(buf, size, "Harper restarting %s", step + strlen(STEP_NAME_HARPER_SERVICE_PREFIX));
                return buf;
        }
        return step;
}

char *job_replicated_result(const Job *j, const char *this_node, const char *this_message) {
        _cleanup_(json_object_putp) json_object *result = json_object_new_object();
        json_object *list;

        assert(j);
        if (!result)
                return NULL;
        list = json_object_new_array();
        if (!list || json_object_object_add(result, "replicated", list) < 0) {
                json_object_put(list);
                return NULL;
        }
        if (this_node && add_result_entry(list, this_node, this_message) < 0)
                return NULL;
        for (size_t i = 0; i < j->n_nodes; i++) {
                const JobNode *n = &j->nodes[i];

                if (add_result_entry(list, n->name, n->state == NODE_PENDING ? JOB_NODE_NOT_REACHED : n->message) < 0)
                        return NULL;
        }
        return strdup(json_object_to_json_string_ext(result, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}
