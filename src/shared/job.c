#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-id128.h>

#include "job.h"

static const char *const status_names[_JOB_STATUS_MAX] = {
        [JOB_CREATED] = "CREATED",
        [JOB_IN_PROGRESS] = "IN_PROGRESS",
        [JOB_COMPLETE] = "COMPLETE",
        [JOB_ERROR] = "ERROR",
};

static const char *const type_names[_JOB_TYPE_MAX] = {
        [JOB_RESTART] = "restart",
        [JOB_RESTART_SERVICE] = "restart_service",
};

static const char *const step_names[_STEP_STATE_MAX] = {
        [STEP_PENDING] = "pending",
        [STEP_RUNNING] = "running",
        [STEP_DONE] = "done",
        [STEP_FAILED] = "failed",
};

const char *job_status_to_string(JobStatus s) {
        return s >= 0 && s < _JOB_STATUS_MAX ? status_names[s] : NULL;
}

const char *job_type_to_string(JobType t) {
        return t >= 0 && t < _JOB_TYPE_MAX ? type_names[t] : NULL;
}

const char *step_state_to_string(StepState s) {
        return s >= 0 && s < _STEP_STATE_MAX ? step_names[s] : NULL;
}

void job_table_init(JobTable *t, unsigned max_finished) {
        *t = (JobTable) { .next_number = 1, .max_finished = max_finished };
}

void job_free(Job *j) {
        if (!j)
                return;
        for (size_t i = 0; i < j->n_steps; i++)
                free(j->steps[i].unit);
        free(j->steps);
        free(j->message);
        free(j->result);
        free(j);
}

void job_table_done(JobTable *t, void (*drop)(Job *j)) {
        while (t->first) {
                Job *j = t->first;
                t->first = j->next;
                if (drop)
                        drop(j);
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
        Job *j = calloc(1, sizeof(Job)), **tail;

        if (!j)
                return NULL;
        if (new_uuid(j->id) < 0) {
                free(j);
                return NULL;
        }
        j->number = t->next_number++;
        j->type = type;
        j->service = type == JOB_RESTART_SERVICE ? service : _HARPER_SERVICE_INVALID;
        j->replicated = replicated;
        j->uid = uid;
        j->status = JOB_CREATED;
        j->created_ms = now_ms;
        for (tail = &t->first; *tail; tail = &(*tail)->next)
                ;
        *tail = j;
        return j;
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

        for (Job **p = &t->first; *p; p = &(*p)->next)
                if (job_is_finished(*p)) {
                        finished++;
                        if (!oldest)
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
        size_t n = 0;
        JobStep *steps;

        while (units[n])
                n++;
        steps = calloc(n ? n : 1, sizeof(JobStep));
        if (!steps)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                steps[i].unit = strdup(units[i]);
                if (!steps[i].unit) {
                        while (i > 0)
                                free(steps[--i].unit);
                        free(steps);
                        return -ENOMEM;
                }
        }
        for (size_t i = 0; i < j->n_steps; i++)
                free(j->steps[i].unit);
        free(j->steps);
        j->steps = steps;
        j->n_steps = n;
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
        char *message;

        if (asprintf(&message, "Successfully completed job: %s%s%s", j->id, note ? "; " : "", note ? note : "") < 0)
                message = NULL;
        return finish(j, JOB_COMPLETE, now_ms, message);
}

int job_fail(Job *j, uint64_t now_ms, const char *message) {
        return finish(j, JOB_ERROR, now_ms, strdup(message));
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

bool job_all_steps_done(const Job *j) {
        for (size_t i = 0; i < j->n_steps; i++)
                if (j->steps[i].state != STEP_DONE)
                        return false;
        return true;
}
