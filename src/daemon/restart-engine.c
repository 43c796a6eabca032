/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "restart-engine.h"
#include "restart-plan.h"
#include "text.h"

#define REPLICATED_NO_PEERS_NOTE "no peer nodes are configured, so only this node was restarted"
#define REPLICATED_NO_NODES_NOTE "Harper knows no other node, so only this node was restarted"

struct RestartRun {
        RestartEngine *engine;
        Job *job;              /* NULL once the job has ended; the run is freed later (see sweep) */
        bool answer_call;      /* the job's caller waits until systemd has queued the first unit */
        int error;             /* the first step's failure, reported when the job ends */
        char *message;         /* its sentence */
        void *peer;            /* the peer being restarted (replicated restarts) */
        void *harper;          /* Harper's running step or question */
        ClusterView view;      /* Harper's cluster when the job began (empty: none, or not known) */
        bool view_known;
        bool rolling_out;      /* the local part is over: the peers' turn */
        PeerConfig *peers;     /* replicated: how each other node is reached, in rollout order */
        size_t n_peers;
        RestartRun *next;
};

struct RestartEngine {
        const Config *config;
        RestartDrivers drivers;
        RestartEvents events;
        RestartRun *runs;
};

static void advance(RestartRun *run);
static void roll_out(RestartRun *run);
static void start_local(RestartRun *run);
static void set_replicated_result(RestartRun *run, const char *local_failure);

int restart_engine_new(RestartEngine **ret, const Config *config, const RestartDrivers *drivers,
                       const RestartEvents *events) {
        RestartEngine *e;

        assert(ret);
        assert(config);
        assert(drivers);
        assert(events);

        e = calloc(1, sizeof(RestartEngine));
        if (!e)
                return -ENOMEM;
        *e = (RestartEngine) { .config = config, .drivers = *drivers, .events = *events };
        *ret = e;
        return 0;
}

static void run_free(RestartRun *run) {
        RestartEngine *e = run->engine;

        if (run->peer)
                e->drivers.peer.cancel(e->drivers.peer.userdata, run->peer);
        if (run->harper)
                e->drivers.harper.cancel(e->drivers.harper.userdata, run->harper);
        cluster_view_done(&run->view);
        restart_plan_peers_free(run->peers, run->n_peers);
        free(run->message);
        free(run);
}

RestartEngine *restart_engine_free(RestartEngine *e) {
        if (!e)
                return NULL;
        while (e->runs) {
                RestartRun *run = e->runs;
                e->runs = run->next;
                run_free(run);
        }
        free(e);
        return NULL;
}

/* A run is freed only after its job ended and the call chain that ended it has unwound: a
 * driver may report at once, from inside a start, and the starter still holds the run. */
static void sweep(RestartEngine *e) {
        for (RestartRun **p = &e->runs; *p;) {
                RestartRun *run = *p;
                if (run->job) {
                        p = &run->next;
                        continue;
                }
                *p = run->next;
                run_free(run);
        }
}

static void changed(RestartRun *run) {
        RestartEngine *e = run->engine;

        e->events.job_changed(run->job, e->events.userdata);
}

/* A Restart() caller hears once systemd has the job, or why it would not take it. */
static void answer_call(RestartRun *run, int error, const char *message) {
        RestartEngine *e = run->engine;

        if (!run->answer_call)
                return;
        run->answer_call = false;
        e->events.call_answer(run->job, error, message, e->events.userdata);
}

/* The job has ended: the last event about it. */
static void end(RestartRun *run) {
        Job *j = run->job;

        run->job = NULL;
        run->engine->events.job_changed(j, run->engine->events.userdata);
}

static void fail(RestartRun *run, int error, const char *message) {
        assert(error < 0);
        if (!message)
                message = "Out of memory.";
        if (job_fail(run->job, now_ms(), message) < 0)
                log_error("Out of memory while ending job %s.", run->job->id);
        answer_call(run, error, message);
        end(run);
}

static UnitAction job_action(const Config *config, const Job *j) {
        return j->type == JOB_RESTART ? UNIT_ACTION_RESTART : config->services[j->service].action;
}

/* A restart's steps come one after the other: the unit, then Harper answering again, then its
 * replication; so do Harper's: its restart_service, then its replication. */
static bool job_rolls(const Config *config, const Job *j) {
        return j->type == JOB_RESTART || config->services[j->service].by_harper || config->services[j->service].rolling;
}

static JobStep *find_step(Job *j, const char *unit, StepState state) {
        for (size_t i = 0; i < j->n_steps; i++)
                if (j->steps[i].state == state && strcmp(j->steps[i].unit, unit) == 0)
                        return &j->steps[i];
        return NULL;
}

static JobStep *running_harper_step(Job *j) {
        for (size_t i = 0; i < j->n_steps; i++)
                if (j->steps[i].kind != STEP_UNIT && j->steps[i].state == STEP_RUNNING)
                        return &j->steps[i];
        return NULL;
}

/* The first failure is the one the job ends with. */
static void record_failure(RestartRun *run, int error, char *message) {
        assert(error < 0);
        if (run->error < 0) {
                free(message);
                return;
        }
        run->error = error;
        run->message = message;
}

/* A step is over: record it and go on with the job. */
static void step_ended(RestartRun *run, JobStep *step, int error, const char *message) {
        step->state = error < 0 ? STEP_FAILED : STEP_DONE;
        if (error < 0)
                record_failure(run, error, message ? strdup(message) : NULL);
        changed(run);
        advance(run);
}

void restart_run_unit_queued(RestartRun *run, const char *unit) {
        assert(run);
        assert(unit);
        if (run->job && find_step(run->job, unit, STEP_RUNNING))
                answer_call(run, 0, NULL);
}

void restart_run_unit_finished(RestartRun *run, const char *unit, int error, const char *message) {
        JobStep *step;

        assert(run);
        assert(unit);
        if (!run->job)
                return;
        step = find_step(run->job, unit, STEP_RUNNING);
        if (step)
                step_ended(run, step, error, message);
}

void restart_run_harper_started(RestartRun *run, const char *harper_job_id) {
        assert(run);
        if (run->job)
                log_info("Job %s: Harper follows it as its job %s.", run->job->id, harper_job_id);
}

void restart_run_harper_finished(RestartRun *run, int error, const char *message) {
        JobStep *step;

        assert(run);
        run->harper = NULL;   /* over, and freed */
        if (!run->job)
                return;
        step = running_harper_step(run->job);
        if (step)
                step_ended(run, step, error, message);
}

/* The nodes Harper's replication was connected to when the job began, NULL-terminated and
 * borrowed from the view (free only the array); NULL when out of memory. */
static char **connected_nodes(const ClusterView *view) {
        char **names = calloc(view->n_nodes + 1, sizeof(char *));
        size_t n = 0;

        for (size_t i = 0; names && i < view->n_nodes; i++)
                if (view->nodes[i].connected)
                        names[n++] = view->nodes[i].name;
        return names;
}

static int start_harper_step(RestartRun *run, JobStep *step) {
        const RestartDrivers *d = &run->engine->drivers;
        _cleanup_free_ char **nodes = connected_nodes(&run->view);

        if (!nodes)
                return -ENOMEM;
        return d->harper.start(d->harper.userdata, step->kind, run->job->service, nodes, run, &run->harper);
}

static void start_step(RestartRun *run, JobStep *step) {
        const RestartDrivers *d = &run->engine->drivers;
        Job *j = run->job;
        int r;

        step->state = STEP_RUNNING;
        if (step->kind == STEP_UNIT)
                r = d->unit.run(d->unit.userdata, step->unit, job_action(run->engine->config, j), run);
        else
                r = start_harper_step(run, step);
        if (r < 0) {
                if (step->kind != STEP_UNIT)
                        run->harper = NULL;   /* a start that failed leaves nothing to cancel */
                step->state = STEP_FAILED;
                record_failure(run, r, text_printf("Cannot start %s: %s", step->unit, strerror(-r)));
        }
}

static void complete(RestartRun *run) {
        if (job_complete(run->job, now_ms(), NULL) < 0)
                log_error("Out of memory while ending job %s.", run->job->id);
        end(run);
}

/* Starts what may start now (restart_plan_next decides), and ends the job when nothing is
 * left, with the first failure as its message. */
static void advance(RestartRun *run) {
        Job *j = run->job;
        bool rolling = job_rolls(run->engine->config, j);
        JobStep *step;
        PlanNext next;

        while ((next = restart_plan_next(j, rolling, run->error < 0, &step)) == PLAN_START_STEP) {
                start_step(run, step);
                if (!run->job)
                        return;   /* a step that ended at once ended the job too */
                if (step->state == STEP_RUNNING)
                        changed(run);
        }
        if (next == PLAN_WAIT || job_is_finished(j))
                return;
        if (run->error < 0) {
                if (j->replicated)   /* this node failed: no other was touched */
                        set_replicated_result(run, run->message ?: "Out of memory.");
                return fail(run, run->error, run->message);
        }
        if (j->replicated)
                return roll_out(run);
        complete(run);
}

void restart_run_peer_started(RestartRun *run, const char *peer_job_id) {
        JobNode *node;

        assert(run);
        assert(peer_job_id);
        node = run->job ? job_current_node(run->job) : NULL;
        if (!node)
                return;
        if (job_node_set_job_id(node, peer_job_id) < 0)
                log_error("Out of memory while following %s.", node->name);
        changed(run);
}

/* Harper's result of the rollout, on COMPLETE and ERROR alike: this node (local_failure, or done),
 * then every other. */
static void set_replicated_result(RestartRun *run, const char *local_failure) {
        Job *j = run->job;
        _cleanup_free_ char *local = local_failure ? strdup(local_failure) :
                                     text_printf("Successfully completed job: %s", j->id);
        _cleanup_free_ char *result = local ? job_replicated_result(j, run->view.this_node, local) : NULL;

        if (!result || job_set_result(j, result) < 0)
                log_error("Out of memory while ending job %s.", j->id);
}

void restart_run_peer_finished(RestartRun *run, int error, const char *message) {
        JobNode *node;
        NodeState state;

        assert(run);
        run->peer = NULL;   /* the run is over and frees itself */
        node = run->job ? job_current_node(run->job) : NULL;
        if (!node)
                return;
        if (!message)
                message = "Out of memory.";
        state = error >= 0 ? NODE_DONE : NODE_FAILED;
        log_info("Job %s: %s %s: %s", run->job->id, node->name, node_state_to_string(state), message);
        if (job_node_finish(node, state, message, now_ms()) < 0)
                log_error("Out of memory while following %s.", node->name);
        if (restart_plan_goes_on_after(state))
                return roll_out(run);
        /* the rollout stops here: the job fails with the node's own words, naming it */
        set_replicated_result(run, NULL);
        _cleanup_free_ char *named = text_printf("%s: %s", node->name, message);
        fail(run, error, named ?: message);
}

static const PeerConfig *peer_of(RestartRun *run, const char *name) {
        for (size_t i = 0; i < run->n_peers; i++)
                if (streq(run->peers[i].name, name))
                        return &run->peers[i];
        return NULL;
}

/* Starts node's restart; <0 when the peer cannot be asked (no connection). */
static int start_peer(RestartRun *run, JobNode *node) {
        RestartEngine *e = run->engine;
        const PeerConfig *peer = ASSERT_PTR(peer_of(run, node->name));

        job_node_start(node, now_ms());
        return e->drivers.peer.start(e->drivers.peer.userdata, peer, run->job->service, run, &run->peer);
}

/* The other nodes, in rollout order: Harper's (the view), or without Harper's API the
 * configuration's. */
static int set_peer_nodes(RestartRun *run) {
        const Config *config = run->engine->config;
        _cleanup_free_ char **names = NULL;
        int r;

        r = restart_plan_peers(config, config->harper.api ? &run->view : NULL, &run->peers, &run->n_peers);
        if (r < 0)
                return r;
        names = calloc(run->n_peers + 1, sizeof(char *));
        if (!names)
                return -ENOMEM;
        for (size_t i = 0; i < run->n_peers; i++)
                names[i] = run->peers[i].name;
        return job_set_nodes(run->job, names);
}

/* A node left out by the configuration is recorded as such; true when node was. */
static bool skip_excluded(RestartRun *run, JobNode *node) {
        if (!ASSERT_PTR(peer_of(run, node->name))->exclude)
                return false;
        log_info("Job %s: %s is left out by the configuration.", run->job->id, node->name);
        if (job_node_finish(node, NODE_SKIPPED, "Left out of replicated restarts by the configuration.", now_ms()) < 0)
                log_error("Out of memory while following %s.", node->name);
        return true;
}

/* Only this node: say so rather than pretend. */
static void complete_alone(RestartRun *run) {
        Job *j = run->job;
        bool api = run->engine->config->harper.api;

        set_replicated_result(run, NULL);
        if (job_complete(j, now_ms(), api ? REPLICATED_NO_NODES_NOTE : REPLICATED_NO_PEERS_NOTE) < 0)
                log_error("Out of memory while ending job %s.", j->id);
        end(run);
}

static void ask_cluster(RestartRun *run);

/* After the local restart: each other node in turn, each fully done (back in the cluster)
 * before the next; any node that is not done stops the rollout. */
static void roll_out(RestartRun *run) {
        Job *j = run->job;
        JobNode *node;
        int r;

        run->rolling_out = true;
        if (!j->nodes && run->engine->config->harper.api && !run->view_known)
                return ask_cluster(run);   /* Harper did not answer when the job began */
        if (!j->nodes && (r = set_peer_nodes(run)) < 0)
                return fail(run, r, "Out of memory.");
        if (j->n_nodes == 0)
                return complete_alone(run);
        while ((node = job_current_node(j)) && skip_excluded(run, node))
                ;
        if (!node) {
                set_replicated_result(run, NULL);
                return complete(run);
        }
        if (node->state == NODE_RUNNING)
                return;
        r = start_peer(run, node);
        if (r < 0) {
                _cleanup_free_ char *why = text_printf("Cannot connect: %s", strerror(-r));
                return restart_run_peer_finished(run, r, why ?: "Cannot connect.");
        }
        log_info("Job %s: restarting %s on %s.", j->id, j->type == JOB_RESTART ? "the instance" :
                 harper_service_to_string(j->service), node->name);
        changed(run);
}

/* The units found for the job's patterns: now its steps can be settled (restart_plan_units). */
void restart_run_units_found(RestartRun *run, char *const *running, int error, const char *message) {
        _cleanup_free_ char **units = NULL;
        _cleanup_free_ char *problem = NULL;
        Job *j;
        int r;

        assert(run);
        j = run->job;
        if (!j)
                return;
        if (error < 0)
                return fail(run, error, message);
        r = restart_plan_units(run->engine->config->services[j->service].units, running, &units, &problem);
        if (r < 0)
                return fail(run, r, problem);
        r = job_set_units(j, units);
        if (r < 0)
                return fail(run, r, NULL);
        advance(run);
}

/* On a node of a cluster, the restart is over when Harper's replication to the nodes it was
 * connected to before is connected again. */
static int add_replication_step(RestartRun *run) {
        for (size_t i = 0; i < run->view.n_nodes; i++)
                if (run->view.nodes[i].connected)
                        return job_add_step(run->job, STEP_HARPER_REPLICATION, STEP_NAME_HARPER_REPLICATION);
        return 0;
}

/* The instance unit, then (for the real Harper) Harper answering again. */
static void start_restart(RestartRun *run) {
        const Config *config = run->engine->config;
        char *instance[] = { config->instance_unit, NULL };
        int r;

        r = job_set_units(run->job, instance);
        if (r >= 0 && config->harper.api)
                r = job_add_step(run->job, STEP_HARPER_ANSWERING, STEP_NAME_HARPER_ANSWERING);
        if (r >= 0)
                r = add_replication_step(run);
        if (r < 0)
                return fail(run, r, NULL);
        advance(run);
}

/* One step: Harper restarts the service itself, as a job of its own. */
static void start_by_harper(RestartRun *run) {
        Job *j = run->job;
        _cleanup_free_ char *name = text_printf(STEP_NAME_HARPER_SERVICE_PREFIX "%s",
                                                harper_service_to_string(j->service));

        if (!name || job_add_step(j, STEP_HARPER_SERVICE, name) < 0 || add_replication_step(run) < 0)
                return fail(run, -ENOMEM, NULL);
        advance(run);
}

/* The configured units; when some are patterns, systemd is asked first which units they are. */
static void start_by_units(RestartRun *run) {
        RestartEngine *e = run->engine;
        Job *j = run->job;
        char **units = e->config->services[j->service].units;
        size_t n_units = 0;
        int r;

        while (units[n_units])
                n_units++;
        _cleanup_free_ char **patterns = calloc(n_units + 1, sizeof(char *));
        if (!patterns)
                return fail(run, -ENOMEM, NULL);
        if (restart_plan_patterns(units, patterns) == 0) {
                r = job_set_units(j, units);
                if (r < 0)
                        return fail(run, r, NULL);
                return advance(run);
        }
        changed(run);
        r = e->drivers.unit.list_running(e->drivers.unit.userdata, patterns, run);
        if (r < 0) {
                _cleanup_free_ char *problem = text_printf("Cannot ask systemd for the units: %s", strerror(-r));
                fail(run, r, problem ? problem : "Cannot ask systemd for the units.");
        }
}

static void start_local(RestartRun *run) {
        Job *j = run->job;
        int r;

        /* the other nodes are known now (Harper said, or the configuration names them): shown as
         * pending from the start */
        if (j->replicated && (!run->engine->config->harper.api || run->view_known) && (r = set_peer_nodes(run)) < 0)
                return fail(run, r, "Out of memory.");

        if (j->type == JOB_RESTART)   /* no service: j->service is _HARPER_SERVICE_INVALID */
                return start_restart(run);
        if (run->engine->config->services[j->service].by_harper)
                return start_by_harper(run);
        start_by_units(run);
}

static void ask_cluster(RestartRun *run) {
        const RestartHarperDriver *d = &run->engine->drivers.harper;
        int r;

        /* every node Harper knows only when they are to be restarted */
        r = d->cluster(d->userdata, run->job->replicated, run, &run->harper);
        if (r < 0) {
                run->harper = NULL;
                _cleanup_free_ char *why = text_printf("Cannot ask Harper: %s", strerror(-r));
                restart_run_cluster_found(run, NULL, r, why ?: "Cannot ask Harper.");
        }
}

/* Before the job's own steps, what Harper's replication was connected to (not knowing is no
 * reason not to restart: Harper may be down, and that is why); before the rollout, the nodes. */
void restart_run_cluster_found(RestartRun *run, ClusterView *view, int error, const char *message) {
        Job *j;

        assert(run);
        run->harper = NULL;   /* over, and freed */
        j = run->job;
        if (!j)
                return;
        if (error >= 0) {
                cluster_view_done(&run->view);
                run->view = *ASSERT_PTR(view);
                *view = (ClusterView) {};
                run->view_known = true;
        } else if (run->rolling_out) {
                _cleanup_free_ char *why = text_printf("Cannot learn the nodes of Harper's cluster: %s", message);
                return fail(run, error, why ?: message);
        } else
                log_info("Job %s: Harper did not say which nodes it replicates to (%s); the restart does not "
                         "wait for replication.", j->id, message);
        if (run->rolling_out)
                return roll_out(run);
        start_local(run);
}

static void fail_unstarted(RestartEngine *e, Job *j, bool answer) {
        if (job_fail(j, now_ms(), "Out of memory.") < 0)
                log_error("Out of memory while ending job %s.", j->id);
        if (answer)
                e->events.call_answer(j, -ENOMEM, "Out of memory.", e->events.userdata);
        e->events.job_changed(j, e->events.userdata);
}

void restart_engine_start(RestartEngine *e, Job *j, bool answer) {
        RestartRun *run;

        assert(e);
        assert(j);
        sweep(e);
        run = calloc(1, sizeof(RestartRun));
        if (!run)
                return fail_unstarted(e, j, answer);
        *run = (RestartRun) { .engine = e, .job = j, .answer_call = answer, .next = e->runs };
        e->runs = run;

        job_start(j, now_ms());
        if (e->config->harper.api && (j->type == JOB_RESTART || e->config->services[j->service].by_harper))
                return ask_cluster(run);   /* first: which nodes it is connected to now */
        start_local(run);
}
