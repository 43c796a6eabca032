/* SPDX-License-Identifier: MIT */
/* Restart jobs as Harper's get_job shows them (CREATED → IN_PROGRESS → COMPLETE | ERROR), and
 * the table that keeps the running ones and a bounded history of finished ones. A job is a
 * list of steps, one per systemd unit to act on. No bus types; the restart engine drives the
 * steps (src/daemon/restart-engine.h) and the daemon publishes each job as an object. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sysops-config.h"

typedef enum JobStatus {
        JOB_CREATED,
        JOB_IN_PROGRESS,
        JOB_COMPLETE,
        JOB_ERROR,
        _JOB_STATUS_MAX,
} JobStatus;

typedef enum JobType {
        JOB_RESTART,           /* the instance unit */
        JOB_RESTART_SERVICE,   /* one Harper service's units */
        _JOB_TYPE_MAX,
} JobType;

typedef enum StepState {
        STEP_PENDING,
        STEP_RUNNING,
        STEP_DONE,
        STEP_FAILED,
        _STEP_STATE_MAX,
} StepState;

/* A peer node of a replicated restart. */
typedef enum NodeState {
        NODE_PENDING,
        NODE_RUNNING,          /* its restart job is running */
        NODE_DONE,             /* its job is COMPLETE */
        NODE_SKIPPED,          /* left out by the configuration: recorded, the rollout goes on */
        NODE_FAILED,           /* it could not be asked (unreachable, refused), its job ended in ERROR,
                                * timed out, or it was lost mid-job: the rollout stops */
        _NODE_STATE_MAX,
} NodeState;

typedef struct JobNode {
        char *name;
        NodeState state;
        char *message;         /* the peer job's message, or why it was skipped or failed */
        char *job_id;          /* the peer's job id, once it has one */
        uint64_t start_ms, end_ms;
} JobNode;

typedef enum StepKind {
        STEP_UNIT,             /* a systemd job on the unit */
        STEP_HARPER_ANSWERING, /* Harper answers again (after its unit restarted) */
        STEP_HARPER_SERVICE,   /* Harper restarts the job's service itself, as a Harper job */
        STEP_HARPER_REPLICATION, /* Harper's replication to the nodes it was connected to is back */
} StepKind;

/* The names Steps shows for Harper's own steps. */
#define STEP_NAME_HARPER_ANSWERING "harper:answering"
#define STEP_NAME_HARPER_SERVICE_PREFIX "harper:restart_service:"
#define STEP_NAME_HARPER_REPLICATION "harper:replication"

/* A step's name in words for people ("Harper answering"; a unit stays its name), in buf. */
const char *step_display_name(const char *step, char *buf, size_t size);

typedef struct JobStep {
        char *unit;            /* the unit, or what Harper does (the names above) */
        StepKind kind;
        StepState state;
} JobStep;

typedef struct Job {
        unsigned number;       /* the n in /io/harperdb/SystemOperations1/job/<n> */
        char id[37];           /* uuid, as Harper's job ids */
        JobType type;
        HarperService service; /* JOB_RESTART_SERVICE only */
        bool replicated;
        uid_t uid;             /* who asked, from the bus */
        JobStatus status;
        char *message;
        char *result;          /* JSON text, NULL = none */
        uint64_t created_ms, start_ms, end_ms;   /* ms since the epoch, 0 = not yet */
        JobStep *steps;
        size_t n_steps;
        JobNode *nodes;        /* replicated restarts: the peers, in rollout order */
        size_t n_nodes;
        struct Job *next;
} Job;

typedef struct JobTable {
        Job *first;            /* oldest first */
        unsigned next_number;
        unsigned max_finished;
} JobTable;

void job_table_init(JobTable *t, unsigned max_finished);
/* Frees every job. */
void job_table_done(JobTable *t);

/* A new CREATED job, appended to the table; NULL when out of memory. */
Job *job_table_add(JobTable *t, JobType type, HarperService service, bool replicated, uid_t uid, uint64_t now_ms);
Job *job_table_find(const JobTable *t, const char *id);
/* The running (not finished) job that acts on the same thing, if any: the instance for
 * JOB_RESTART, the same service for JOB_RESTART_SERVICE. */
Job *job_table_find_running(const JobTable *t, JobType type, HarperService service);
/* Takes j out of the table (the caller frees it). */
void job_table_remove(JobTable *t, Job *j);
/* Takes the job that finished first out when more than max_finished are kept; NULL when none.
 * The caller unpublishes and frees it. */
Job *job_table_take_excess(JobTable *t);
void job_free(Job *j);

int job_set_units(Job *j, char *const *units);
/* Appends one step of kind and name. */
int job_add_step(Job *j, StepKind kind, const char *name);
void job_start(Job *j, uint64_t now_ms);
/* COMPLETE with Harper's message "Successfully completed job: <id>"; note (may be NULL) is
 * appended after "; " to say something the caller should know. */
int job_complete(Job *j, uint64_t now_ms, const char *note);
/* Messages come from elsewhere too (systemd, Harper, a peer): each is kept to
 * JOB_MESSAGE_MAX_BYTES, cut with "…", whatever the other side sent. */
#define JOB_MESSAGE_MAX_BYTES 1024
int job_fail(Job *j, uint64_t now_ms, const char *message);
int job_set_result(Job *j, const char *json);
bool job_is_finished(const Job *j);

/* The first step not yet started, for "which step is next". */
JobStep *job_next_pending(Job *j);

int job_set_nodes(Job *j, char *const *names);
/* The peer being restarted, or the next one to restart; NULL when none is left. */
JobNode *job_current_node(Job *j);
void job_node_start(JobNode *n, uint64_t now_ms);
int job_node_set_job_id(JobNode *n, const char *job_id);
int job_node_finish(JobNode *n, NodeState state, const char *message, uint64_t now_ms);
/* Harper's result of a replicated restart: {"replicated":[{"node","message"},…]}, this node first
 * (when this_node is not NULL: it is in a cluster), then every other node in rollout order, on
 * COMPLETE and on ERROR alike; a node the rollout did not reach says JOB_NODE_NOT_REACHED. NULL
 * when out of memory. */
#define JOB_NODE_NOT_REACHED "Not restarted: the rollout stopped before this node."
char *job_replicated_result(const Job *j, const char *this_node, const char *this_message);

const char *job_status_to_string(JobStatus s);
const char *node_state_to_string(NodeState s);
const char *job_type_to_string(JobType t);
const char *step_state_to_string(StepState s);
