/* SPDX-License-Identifier: MIT */
/* The restart engine against fake drivers, no bus and no event loop: each test starts a job,
 * then plays what systemd, Harper and the peers report (restart_run_*()) in the order the real
 * clients report it, and checks the job as get_job shows it and what the Restart() caller
 * hears. The fakes only record what they were asked; nothing answers until the test says so. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "restart-engine.h"

#define MAX_CALLS 16

typedef enum CallKind {
        CALL_UNIT,
        CALL_LIST,
        CALL_HARPER,
        CALL_PEER,
        CALL_CLUSTER,
} CallKind;

/* One thing a driver was asked to do. */
typedef struct Call {
        CallKind kind;
        char what[64];         /* the unit, the first pattern, the peer's name (and how it is reached),
                                * or Harper's step (and the nodes a replication step waits for) */
        UnitAction action;
        HarperService service;
        RestartRun *run;
        bool canceled;
} Call;

typedef struct Test {
        Config config;
        JobTable jobs;
        RestartEngine *engine;
        Call calls[MAX_CALLS];
        size_t n_calls;
        int start_error;       /* what the next start returns */
        bool harper_at_once;   /* Harper's step ends before its start returns (Harper found in the
                                * configuration, and it fails to be asked) */
        /* Harper's cluster, as the fake answers a cluster question at once: this node's name
         * (NULL: in no cluster) and the other nodes as "name" or "name+" (connected) */
        const char *this_node;
        const char *cluster[8];
        bool cluster_later;    /* record the question instead; the test answers it */
        int all_nodes;         /* what the last question asked for: -1 none, else 0 or 1 */
        unsigned n_changed;
        unsigned n_answers;
        int answer_error;
        char answer_message[256];
} Test;

static Call *record(Test *t, CallKind kind, const char *what, RestartRun *run) {
        Call *c;

        assert_true(t->n_calls < MAX_CALLS);
        c = &t->calls[t->n_calls++];
        *c = (Call) { .kind = kind, .run = run };
        snprintf(c->what, sizeof c->what, "%s", what);
        return c;
}

static int take_start_error(Test *t) {
        int r = t->start_error;

        t->start_error = 0;
        return r;
}

static int fake_unit_run(void *userdata, const char *unit, UnitAction action, RestartRun *run) {
        Test *t = userdata;
        int r = take_start_error(t);

        if (r < 0)
                return r;
        record(t, CALL_UNIT, unit, run)->action = action;
        return 0;
}

static int fake_list_running(void *userdata, char *const *patterns, RestartRun *run) {
        Test *t = userdata;
        int r = take_start_error(t);

        if (r < 0)
                return r;
        record(t, CALL_LIST, patterns[0], run);
        return 0;
}

static const char *const step_names[] = {
        [STEP_HARPER_ANSWERING] = "answering",
        [STEP_HARPER_SERVICE] = "restart_service",
        [STEP_HARPER_REPLICATION] = "replication",
};

static int fake_harper_start(void *userdata, StepKind kind, HarperService service, char *const *nodes,
                             RestartRun *run, void **ret_handle) {
        Test *t = userdata;
        int r = take_start_error(t);
        char what[64];
        Call *c;

        if (r < 0)
                return r;
        snprintf(what, sizeof what, "%s", step_names[kind]);
        for (char *const *n = nodes; kind == STEP_HARPER_REPLICATION && *n; n++)
                snprintf(what + strlen(what), sizeof what - strlen(what), " %s", *n);
        c = record(t, CALL_HARPER, what, run);
        c->service = service;
        *ret_handle = c;
        if (t->harper_at_once)
                restart_run_harper_finished(run, -ECONNREFUSED, "Cannot ask Harper at /h/operations-server: refused");
        return 0;
}

static int fake_peer_start(void *userdata, const PeerConfig *peer, HarperService service, RestartRun *run,
                           void **ret_handle) {
        Test *t = userdata;
        int r = take_start_error(t);
        Call *c;

        if (r < 0)
                return r;
        c = record(t, CALL_PEER, peer->name, run);
        if (peer->ssh && strcmp(peer->ssh, peer->name) != 0)
                snprintf(c->what + strlen(c->what), sizeof c->what - strlen(c->what), " ssh:%s", peer->ssh);
        else if (peer->address)
                snprintf(c->what + strlen(c->what), sizeof c->what - strlen(c->what), " %s", peer->address);
        c->service = service;
        *ret_handle = c;
        return 0;
}

/* Harper's cluster as the test describes it, as cluster-view.h would read it. */
static void answer_cluster(Test *t, RestartRun *run) {
        ClusterView view = { .this_node = t->this_node ? strdup(t->this_node) : NULL };

        while (t->cluster[view.n_nodes])
                view.n_nodes++;
        view.nodes = calloc(view.n_nodes + 1, sizeof(ClusterNode));
        assert_non_null(view.nodes);
        for (size_t i = 0; i < view.n_nodes; i++) {
                const char *name = t->cluster[i];
                size_t len = strcspn(name, "+");

                view.nodes[i] = (ClusterNode) { .name = strndup(name, len), .connected = name[len] == '+' };
        }
        restart_run_cluster_found(run, &view, 0, NULL);
        cluster_view_done(&view);
}

static int fake_cluster(void *userdata, bool all_nodes, RestartRun *run, void **ret_handle) {
        Test *t = userdata;
        Call *c;

        t->all_nodes = all_nodes;
        if (t->cluster_later) {
                c = record(t, CALL_CLUSTER, "cluster", run);
                *ret_handle = c;
                return 0;
        }
        *ret_handle = t;   /* reported at once: the engine forgets it */
        answer_cluster(t, run);
        return 0;
}

static void fake_cancel(void *userdata, void *handle) {
        ((Call *) handle)->canceled = true;
}

static void on_job_changed(Job *j, void *userdata) {
        ((Test *) userdata)->n_changed++;
}

static void on_call_answer(Job *j, int error, const char *message, void *userdata) {
        Test *t = userdata;

        t->n_answers++;
        t->answer_error = error;
        snprintf(t->answer_message, sizeof t->answer_message, "%s", message ? message : "");
}

static char *instance_unit = "harperdb.service";
static char *units_ab[] = { "a.service", "b.service", NULL };
static char *units_abc[] = { "a.service", "b.service", "c.service", NULL };
static char *units_pattern[] = { "w@*.service", "x.service", NULL };
static PeerConfig peers[] = { { .name = "n1" }, { .name = "n2" }, { .name = "n3" } };

static int setup(void **state) {
        Test *t = calloc(1, sizeof(Test));
        RestartDrivers drivers = {
                .unit = { .run = fake_unit_run, .list_running = fake_list_running, .userdata = t },
                .harper = { .start = fake_harper_start, .cluster = fake_cluster, .cancel = fake_cancel,
                            .userdata = t },
                .peer = { .start = fake_peer_start, .cancel = fake_cancel, .userdata = t },
        };
        RestartEvents events = { .job_changed = on_job_changed, .call_answer = on_call_answer, .userdata = t };

        if (!t)
                return -1;
        t->config.instance_unit = instance_unit;
        t->config.harper.api = true;
        for (size_t i = 0; i < _HARPER_SERVICE_MAX; i++)
                t->config.services[i] = (ServiceConfig) { .units = units_ab, .action = UNIT_ACTION_RESTART };
        job_table_init(&t->jobs, 8);
        if (restart_engine_new(&t->engine, &t->config, &drivers, &events) < 0)
                return -1;
        *state = t;
        return 0;
}

static int teardown(void **state) {
        Test *t = *state;

        restart_engine_free(t->engine);
        job_table_done(&t->jobs);
        free(t);
        return 0;
}

static Job *start(Test *t, JobType type, bool replicated) {
        HarperService service = type == JOB_RESTART ? _HARPER_SERVICE_INVALID : HARPER_SERVICE_HTTP_WORKERS;
        Job *j = job_table_add(&t->jobs, type, service, replicated, 1000, 1);

        assert_non_null(j);
        restart_engine_start(t->engine, j, type == JOB_RESTART);
        return j;
}

/* The job's steps as "unit:state unit:state". */
static void assert_steps(const Job *j, const char *expected) {
        char text[512] = "";

        for (size_t i = 0; i < j->n_steps; i++)
                snprintf(text + strlen(text), sizeof text - strlen(text), "%s%s:%s", i ? " " : "", j->steps[i].unit,
                         step_state_to_string(j->steps[i].state));
        assert_string_equal(text, expected);
}

/* The job's peers as "node:state node:state". */
static void assert_nodes(const Job *j, const char *expected) {
        char text[512] = "";

        for (size_t i = 0; i < j->n_nodes; i++)
                snprintf(text + strlen(text), sizeof text - strlen(text), "%s%s:%s", i ? " " : "", j->nodes[i].name,
                         node_state_to_string(j->nodes[i].state));
        assert_string_equal(text, expected);
}

static void assert_call(const Test *t, size_t i, CallKind kind, const char *what) {
        assert_true(i < t->n_calls);
        assert_int_equal(t->calls[i].kind, kind);
        assert_string_equal(t->calls[i].what, what);
}

static void assert_completed(const Job *j) {
        char expected[128];

        snprintf(expected, sizeof expected, "Successfully completed job: %s", j->id);
        assert_int_equal(j->status, JOB_COMPLETE);
        assert_string_equal(j->message, expected);
        assert_true(j->end_ms > 0);
}

static void assert_error(const Job *j, const char *message) {
        assert_int_equal(j->status, JOB_ERROR);
        assert_string_equal(j->message, message);
}

/* ---- restart: the instance unit, then Harper answering again ---- */

static void test_restart_unit_then_harper_answering_completes(void **state) {
        Test *t = *state;
        Job *j = start(t, JOB_RESTART, false);

        assert_int_equal(j->status, JOB_IN_PROGRESS);
        assert_steps(j, "harperdb.service:running harper:answering:pending");
        assert_call(t, 0, CALL_UNIT, "harperdb.service");
        assert_int_equal(t->calls[0].action, UNIT_ACTION_RESTART);
        assert_int_equal(t->n_answers, 0);

        /* Harper answers at once; here "at once" is when systemd has queued the restart */
        restart_run_unit_queued(t->calls[0].run, "harperdb.service");
        assert_int_equal(t->n_answers, 1);
        assert_int_equal(t->answer_error, 0);

        restart_run_unit_finished(t->calls[0].run, "harperdb.service", 0, NULL);
        assert_steps(j, "harperdb.service:done harper:answering:running");
        assert_call(t, 1, CALL_HARPER, "answering");
        assert_int_equal(j->status, JOB_IN_PROGRESS);

        restart_run_harper_started(t->calls[1].run, "ignored");   /* only restart_service has one */
        restart_run_harper_finished(t->calls[1].run, 0, NULL);
        assert_steps(j, "harperdb.service:done harper:answering:done");
        assert_completed(j);
        assert_null(j->result);
        assert_int_equal(t->n_answers, 1);
}

static void test_restart_without_harper_api_is_the_unit_only(void **state) {
        Test *t = *state;
        Job *j;

        t->config.harper.api = false;   /* a stand-in, not the real Harper */
        j = start(t, JOB_RESTART, false);
        assert_steps(j, "harperdb.service:running");
        restart_run_unit_queued(t->calls[0].run, "harperdb.service");
        restart_run_unit_finished(t->calls[0].run, "harperdb.service", 0, NULL);
        assert_completed(j);
        assert_int_equal(t->n_calls, 1);
}

static void test_restart_refused_by_systemd_answers_the_call_with_why(void **state) {
        Test *t = *state;
        Job *j = start(t, JOB_RESTART, false);
        const char *why = "Restart of harperdb.service failed: Unit harperdb.service not found.";

        restart_run_unit_finished(t->calls[0].run, "harperdb.service", -EIO, why);
        assert_error(j, why);
        assert_steps(j, "harperdb.service:failed harper:answering:pending");
        assert_int_equal(t->n_answers, 1);
        assert_int_equal(t->answer_error, -EIO);
        assert_string_equal(t->answer_message, why);
        assert_int_equal(t->n_calls, 1);   /* Harper is not waited for */
}

static void test_restart_harper_not_answering_is_an_error(void **state) {
        Test *t = *state;
        Job *j = start(t, JOB_RESTART, false);
        const char *why = "Harper did not answer within 60 s: connection refused";

        restart_run_unit_queued(t->calls[0].run, "harperdb.service");
        restart_run_unit_finished(t->calls[0].run, "harperdb.service", 0, NULL);
        restart_run_harper_finished(t->calls[1].run, -ETIMEDOUT, why);
        assert_error(j, why);
        assert_int_equal(t->answer_error, 0);   /* the caller heard long before */
}

static void test_harper_step_that_ends_at_once(void **state) {
        Test *t = *state;
        Job *j = start(t, JOB_RESTART, false);

        t->harper_at_once = true;
        restart_run_unit_queued(t->calls[0].run, "harperdb.service");
        restart_run_unit_finished(t->calls[0].run, "harperdb.service", 0, NULL);
        assert_error(j, "Cannot ask Harper at /h/operations-server: refused");
        assert_steps(j, "harperdb.service:done harper:answering:failed");
}

static void test_unit_job_that_cannot_be_queued(void **state) {
        Test *t = *state;
        Job *j;

        t->start_error = -ENOTCONN;
        j = start(t, JOB_RESTART, false);
        assert_error(j, "Cannot start harperdb.service: Transport endpoint is not connected");
        assert_int_equal(t->n_answers, 1);
        assert_int_equal(t->answer_error, -ENOTCONN);
        assert_string_equal(t->answer_message, j->message);
}

/* ---- the systemd manager going away ---- */

static void test_manager_that_leaves_and_comes_back(void **state) {
        /* systemd-client keeps a queued run through a manager's absence (daemon-reexec) for up to
         * 10 s, telling nobody, and follows the job again when the manager is back: the engine
         * only hears the run end as usual */
        Test *t = *state;
        Job *j = start(t, JOB_RESTART_SERVICE, false);

        restart_run_unit_queued(t->calls[0].run, "a.service");
        restart_run_unit_queued(t->calls[1].run, "b.service");
        restart_run_unit_finished(t->calls[0].run, "a.service", 0, NULL);
        restart_run_unit_finished(t->calls[1].run, "b.service", 0, NULL);
        assert_completed(j);
}

static void test_manager_that_does_not_come_back(void **state) {
        /* after the grace the runs end in error; a run not queued yet when it left ends at once */
        Test *t = *state;
        Job *j = start(t, JOB_RESTART_SERVICE, false);
        const char *gone = "Restart of a.service did not finish: systemd went away (it did not come back within 10 s)";

        restart_run_unit_queued(t->calls[0].run, "a.service");
        restart_run_unit_finished(t->calls[1].run, "b.service", -ECONNRESET,
                                  "Restart of b.service failed: systemd went away");
        assert_int_equal(j->status, JOB_IN_PROGRESS);   /* a.service may still come through */
        restart_run_unit_finished(t->calls[0].run, "a.service", -ECONNRESET, gone);
        assert_error(j, "Restart of b.service failed: systemd went away");
}

static void test_restart_call_refused_when_the_manager_leaves_while_queueing(void **state) {
        Test *t = *state;
        Job *j = start(t, JOB_RESTART, false);

        restart_run_unit_finished(t->calls[0].run, "harperdb.service", -ECONNRESET,
                                  "Restart of harperdb.service failed: the connection to systemd was lost");
        assert_error(j, "Restart of harperdb.service failed: the connection to systemd was lost");
        assert_int_equal(t->answer_error, -ECONNRESET);
}

/* ---- restart_service by units ---- */

static void test_not_rolling_starts_every_unit_at_once(void **state) {
        Test *t = *state;
        Job *j;

        t->config.services[HARPER_SERVICE_HTTP_WORKERS].action = UNIT_ACTION_RELOAD;
        j = start(t, JOB_RESTART_SERVICE, false);
        assert_steps(j, "a.service:running b.service:running");
        assert_int_equal(t->calls[1].action, UNIT_ACTION_RELOAD);
        restart_run_unit_queued(t->calls[0].run, "a.service");
        assert_int_equal(t->n_answers, 0);   /* RestartService() was answered before */
        restart_run_unit_finished(t->calls[1].run, "b.service", 0, NULL);
        restart_run_unit_finished(t->calls[0].run, "a.service", 0, NULL);
        assert_steps(j, "a.service:done b.service:done");
        assert_completed(j);
}

static void test_rolling_restarts_one_unit_at_a_time(void **state) {
        Test *t = *state;
        Job *j;

        t->config.services[HARPER_SERVICE_HTTP_WORKERS].rolling = true;
        t->config.services[HARPER_SERVICE_HTTP_WORKERS].units = units_abc;
        j = start(t, JOB_RESTART_SERVICE, false);
        assert_steps(j, "a.service:running b.service:pending c.service:pending");
        assert_int_equal(t->n_calls, 1);
        restart_run_unit_finished(t->calls[0].run, "a.service", 0, NULL);
        assert_steps(j, "a.service:done b.service:running c.service:pending");
        restart_run_unit_finished(t->calls[1].run, "b.service", 0, NULL);
        restart_run_unit_finished(t->calls[2].run, "c.service", 0, NULL);
        assert_completed(j);
}

static void test_failure_mid_roll_stops_the_rollout(void **state) {
        Test *t = *state;
        Job *j;

        t->config.services[HARPER_SERVICE_HTTP_WORKERS].rolling = true;
        t->config.services[HARPER_SERVICE_HTTP_WORKERS].units = units_abc;
        j = start(t, JOB_RESTART_SERVICE, false);
        restart_run_unit_finished(t->calls[0].run, "a.service", 0, NULL);
        restart_run_unit_finished(t->calls[1].run, "b.service", -EIO, "Restart of b.service failed: exit-code");
        assert_error(j, "Restart of b.service failed: exit-code");
        assert_steps(j, "a.service:done b.service:failed c.service:pending");
        assert_int_equal(t->n_calls, 2);
}

static void test_not_rolling_failure_waits_for_the_others_and_keeps_the_first(void **state) {
        Test *t = *state;
        Job *j;

        t->config.services[HARPER_SERVICE_HTTP_WORKERS].units = units_abc;
        j = start(t, JOB_RESTART_SERVICE, false);
        restart_run_unit_finished(t->calls[1].run, "b.service", -EIO, "Restart of b.service failed: exit-code");
        assert_int_equal(j->status, JOB_IN_PROGRESS);
        restart_run_unit_finished(t->calls[0].run, "a.service", -EIO, "Restart of a.service failed: signal");
        restart_run_unit_finished(t->calls[2].run, "c.service", 0, NULL);
        assert_error(j, "Restart of b.service failed: exit-code");
        assert_steps(j, "a.service:failed b.service:failed c.service:done");
}

static void test_unit_timeout_is_an_error(void **state) {
        Test *t = *state;
        Job *j = start(t, JOB_RESTART_SERVICE, false);
        const char *why = "Restart of a.service did not finish within 90 s; its systemd job was canceled.";

        restart_run_unit_finished(t->calls[1].run, "b.service", 0, NULL);
        restart_run_unit_finished(t->calls[0].run, "a.service", -ETIMEDOUT, why);
        assert_error(j, why);
}

static void test_patterns_are_expanded_by_the_running_units(void **state) {
        Test *t = *state;
        char *running[] = { "w@10.service", "w@1.service", "w@2.service", NULL };
        Job *j;

        t->config.services[HARPER_SERVICE_HTTP_WORKERS].units = units_pattern;
        t->config.services[HARPER_SERVICE_HTTP_WORKERS].rolling = true;
        j = start(t, JOB_RESTART_SERVICE, false);
        assert_call(t, 0, CALL_LIST, "w@*.service");
        assert_int_equal(j->n_steps, 0);
        restart_run_units_found(t->calls[0].run, running, 0, NULL);
        assert_steps(j, "w@1.service:running w@2.service:pending w@10.service:pending x.service:pending");
        for (size_t i = 1; i <= 4; i++)
                restart_run_unit_finished(t->calls[i].run, t->calls[i].what, 0, NULL);
        assert_call(t, 3, CALL_UNIT, "w@10.service");
        assert_completed(j);
}

static void test_pattern_that_matches_no_running_unit(void **state) {
        Test *t = *state;
        char *running[] = { "other.service", NULL };
        Job *j;

        t->config.services[HARPER_SERVICE_HTTP_WORKERS].units = units_pattern;
        j = start(t, JOB_RESTART_SERVICE, false);
        restart_run_units_found(t->calls[0].run, running, 0, NULL);
        assert_error(j, "No running unit matches w@*.service.");
        assert_int_equal(t->n_calls, 1);
}

static void test_units_that_cannot_be_listed(void **state) {
        Test *t = *state;
        Job *j;

        t->config.services[HARPER_SERVICE_HTTP_WORKERS].units = units_pattern;
        j = start(t, JOB_RESTART_SERVICE, false);
        restart_run_units_found(t->calls[0].run, NULL, -EIO, "Cannot list units from systemd: systemd went away");
        assert_error(j, "Cannot list units from systemd: systemd went away");

        t->start_error = -ENOTCONN;
        j = start(t, JOB_RESTART_SERVICE, false);
        assert_error(j, "Cannot ask systemd for the units: Transport endpoint is not connected");
}

/* ---- restart_service by Harper ---- */

static void test_harper_restarts_its_service_itself(void **state) {
        Test *t = *state;
        Job *j;

        t->config.services[HARPER_SERVICE_HTTP_WORKERS].by_harper = true;
        j = start(t, JOB_RESTART_SERVICE, false);
        assert_steps(j, "harper:restart_service:http_workers:running");
        assert_call(t, 0, CALL_HARPER, "restart_service");
        assert_int_equal(t->calls[0].service, HARPER_SERVICE_HTTP_WORKERS);
        restart_run_harper_started(t->calls[0].run, "harper-job-1");
        restart_run_harper_finished(t->calls[0].run, 0, "Successfully completed job: harper-job-1");
        assert_completed(j);

        j = start(t, JOB_RESTART_SERVICE, false);
        restart_run_harper_finished(t->calls[1].run, -EIO, "Harper's job harper-job-2 ended in ERROR: worker died");
        assert_error(j, "Harper's job harper-job-2 ended in ERROR: worker died");
}

/* ---- replicated without Harper's API: the configured peers, one after the other ---- */

static Job *start_replicated_past_local_part(Test *t, size_t n_peers) {
        Job *j;

        t->config.harper.api = false;   /* stand-ins: the configuration names the nodes */
        t->config.peers = peers;
        t->config.n_peers = n_peers;
        j = start(t, JOB_RESTART_SERVICE, true);
        restart_run_unit_finished(t->calls[0].run, "a.service", 0, NULL);
        restart_run_unit_finished(t->calls[1].run, "b.service", 0, NULL);
        return j;
}

static void test_replicated_all_peers_done(void **state) {
        Test *t = *state;
        Job *j = start_replicated_past_local_part(t, 2);

        assert_int_equal(j->status, JOB_IN_PROGRESS);
        assert_nodes(j, "n1:running n2:pending");
        assert_call(t, 2, CALL_PEER, "n1");
        assert_int_equal(t->calls[2].service, HARPER_SERVICE_HTTP_WORKERS);
        restart_run_peer_started(t->calls[2].run, "peer-job-1");
        assert_string_equal(j->nodes[0].job_id, "peer-job-1");
        restart_run_peer_finished(t->calls[2].run, 0, "Successfully completed job: peer-job-1");
        assert_nodes(j, "n1:done n2:running");
        restart_run_peer_finished(t->calls[3].run, 0, "Successfully completed job: peer-job-2");
        assert_nodes(j, "n1:done n2:done");
        assert_completed(j);
        assert_string_equal(j->result, "{\"replicated\":[{\"node\":\"n1\",\"message\":\"Successfully completed job: "
                                       "peer-job-1\"},{\"node\":\"n2\",\"message\":\"Successfully completed job: "
                                       "peer-job-2\"}]}");
}

static void test_replicated_unreachable_peer_stops_the_rollout(void **state) {
        Test *t = *state;
        Job *j = start_replicated_past_local_part(t, 3);

        restart_run_peer_finished(t->calls[2].run, 0, "Successfully completed job: p1");
        restart_run_peer_finished(t->calls[3].run, -EHOSTUNREACH, "Cannot connect: no route");
        assert_nodes(j, "n1:done n2:failed n3:pending");
        assert_error(j, "n2: Cannot connect: no route");
        assert_int_equal(t->n_calls, 4);   /* n3 not asked */
        /* Harper's result on the error too: every node, the one not reached saying so */
        assert_string_equal(j->result, "{\"replicated\":[{\"node\":\"n1\",\"message\":\"Successfully completed job: p1\"},"
                                       "{\"node\":\"n2\",\"message\":\"Cannot connect: no route\"},"
                                       "{\"node\":\"n3\",\"message\":\"" JOB_NODE_NOT_REACHED "\"}]}");
}

static void test_replicated_peer_that_cannot_be_connected_to(void **state) {
        Test *t = *state;
        Job *j;

        t->start_error = 0;
        j = start_replicated_past_local_part(t, 2);
        t->start_error = -ECONNREFUSED;   /* the next start: n2's */
        restart_run_peer_finished(t->calls[2].run, 0, "Successfully completed job: p1");
        assert_nodes(j, "n1:done n2:failed");
        assert_error(j, "n2: Cannot connect: Connection refused");
}

static void test_replicated_left_out_peer_is_skipped(void **state) {
        Test *t = *state;
        PeerConfig with_excluded[] = { { .name = "n1", .exclude = true }, { .name = "n2", .address = "unix:path=/b" } };
        Job *j;

        t->config.harper.api = false;
        t->config.peers = with_excluded;
        t->config.n_peers = 2;
        j = start(t, JOB_RESTART_SERVICE, true);
        restart_run_unit_finished(t->calls[0].run, "a.service", 0, NULL);
        restart_run_unit_finished(t->calls[1].run, "b.service", 0, NULL);
        assert_nodes(j, "n1:skipped n2:running");
        assert_call(t, 2, CALL_PEER, "n2 unix:path=/b");
        restart_run_peer_finished(t->calls[2].run, 0, "Successfully completed job: p2");
        assert_completed(j);
        assert_string_equal(j->nodes[0].message, "Left out of replicated restarts by the configuration.");
}

static void test_replicated_failed_peer_stops_the_rollout(void **state) {
        Test *t = *state;
        Job *j = start_replicated_past_local_part(t, 3);

        restart_run_peer_finished(t->calls[2].run, -EIO, "Restart of w.service failed: exit-code");
        assert_error(j, "n1: Restart of w.service failed: exit-code");
        assert_nodes(j, "n1:failed n2:pending n3:pending");
        assert_int_equal(t->n_calls, 3);
}

static void test_replicated_peer_timeout_is_an_error(void **state) {
        Test *t = *state;
        Job *j = start_replicated_past_local_part(t, 2);

        restart_run_peer_finished(t->calls[2].run, -ETIMEDOUT, "Timed out waiting for restart job to complete");
        assert_error(j, "n1: Timed out waiting for restart job to complete");
        assert_nodes(j, "n1:failed n2:pending");
}

static void test_replicated_local_failure_reaches_no_peer(void **state) {
        Test *t = *state;
        Job *j;

        t->config.harper.api = false;
        t->config.peers = peers;
        t->config.n_peers = 2;
        j = start(t, JOB_RESTART_SERVICE, true);
        restart_run_unit_finished(t->calls[0].run, "a.service", -EIO, "Restart of a.service failed.");
        restart_run_unit_finished(t->calls[1].run, "b.service", 0, NULL);
        assert_error(j, "Restart of a.service failed.");
        assert_nodes(j, "n1:pending n2:pending");
        assert_int_equal(t->n_calls, 2);
        /* Harper's result on the error too: every node, none reached (no Harper: this node unnamed) */
        assert_string_equal(j->result, "{\"replicated\":[{\"node\":\"n1\",\"message\":\"" JOB_NODE_NOT_REACHED "\"},"
                                       "{\"node\":\"n2\",\"message\":\"" JOB_NODE_NOT_REACHED "\"}]}");
}

static void test_replicated_without_peers_says_so(void **state) {
        Test *t = *state;
        Job *j = start_replicated_past_local_part(t, 0);
        char expected[160];

        snprintf(expected, sizeof expected,
                 "Successfully completed job: %s; no peer nodes are configured, so only this node was restarted",
                 j->id);
        assert_int_equal(j->status, JOB_COMPLETE);
        assert_string_equal(j->message, expected);
        assert_string_equal(j->result, "{\"replicated\":[]}");
}

/* ---- with Harper: its cluster's nodes, each back in the cluster before the next ---- */

/* replicated http_workers restarted by Harper on node a of a, b, c */
static Job *start_in_cluster(Test *t, JobType type) {
        Job *j;

        t->config.services[HARPER_SERVICE_HTTP_WORKERS].by_harper = true;
        t->this_node = "a";
        t->cluster[0] = "b+";
        t->cluster[1] = "c+";
        j = start(t, type, true);
        return j;
}

static void test_cluster_nodes_come_from_harper_in_its_order(void **state) {
        Test *t = *state;
        Job *j = start_in_cluster(t, JOB_RESTART_SERVICE);

        /* asked before the restart (every node Harper knows: they are to be restarted); the
         * replication step waits for the nodes connected then */
        assert_int_equal(t->all_nodes, 1);
        assert_steps(j, "harper:restart_service:http_workers:running harper:replication:pending");
        restart_run_harper_finished(t->calls[0].run, 0, "Successfully completed job: h1");
        assert_call(t, 1, CALL_HARPER, "replication b c");
        assert_nodes(j, "b:pending c:pending");   /* known from the start; none before this node is back */
        restart_run_harper_finished(t->calls[1].run, 0, NULL);
        assert_nodes(j, "b:running c:pending");
        assert_call(t, 2, CALL_PEER, "b");   /* over ssh to its name (the fake has no URLs) */
        restart_run_peer_finished(t->calls[2].run, 0, "Successfully completed job: pb");
        assert_call(t, 3, CALL_PEER, "c");
        restart_run_peer_finished(t->calls[3].run, 0, "Successfully completed job: pc");
        assert_completed(j);
        /* this node first, named as Harper names it */
        char expected[512];
        snprintf(expected, sizeof expected,
                 "{\"replicated\":[{\"node\":\"a\",\"message\":\"Successfully completed job: %s\"},"
                 "{\"node\":\"b\",\"message\":\"Successfully completed job: pb\"},"
                 "{\"node\":\"c\",\"message\":\"Successfully completed job: pc\"}]}", j->id);
        assert_string_equal(j->result, expected);
}

static void test_cluster_configuration_says_how_and_whether(void **state) {
        Test *t = *state;
        PeerConfig how[] = { { .name = "b", .exclude = true }, { .name = "c", .ssh = "admin@c.example" },
                             { .name = "z", .ssh = "z" } };
        Job *j;

        t->config.peers = how;
        t->config.n_peers = 3;
        j = start_in_cluster(t, JOB_RESTART_SERVICE);
        restart_run_harper_finished(t->calls[0].run, 0, NULL);
        restart_run_harper_finished(t->calls[1].run, 0, NULL);
        /* z is not Harper's: not a node; b left out; c as configured */
        assert_nodes(j, "b:skipped c:running");
        assert_call(t, 2, CALL_PEER, "c ssh:admin@c.example");
        restart_run_peer_finished(t->calls[2].run, 0, "Successfully completed job: pc");
        assert_completed(j);
}

static void test_cluster_only_connected_nodes_are_waited_for(void **state) {
        Test *t = *state;
        Job *j;

        t->this_node = "a";
        t->cluster[0] = "b";    /* down when the restart began */
        t->cluster[1] = "c+";
        j = start(t, JOB_RESTART, false);
        assert_int_equal(t->all_nodes, 0);   /* only which it is connected to */
        assert_steps(j, "harperdb.service:running harper:answering:pending harper:replication:pending");
        restart_run_unit_finished(t->calls[0].run, "harperdb.service", 0, NULL);
        restart_run_harper_finished(t->calls[1].run, 0, NULL);
        assert_call(t, 2, CALL_HARPER, "replication c");
        restart_run_harper_finished(t->calls[2].run, -EIO,
                                    "Harper's replication did not connect again within 600 s: the replication to c is not connected.");
        assert_error(j, "Harper's replication did not connect again within 600 s: the replication to c is not connected.");
}

static void test_cluster_unknown_at_start_does_not_stop_a_restart(void **state) {
        Test *t = *state;
        Job *j;

        t->cluster_later = true;
        j = start(t, JOB_RESTART, false);
        assert_call(t, 0, CALL_CLUSTER, "cluster");
        assert_int_equal(j->n_steps, 0);   /* nothing restarts before Harper said */
        restart_run_cluster_found(t->calls[0].run, NULL, -ECONNREFUSED, "Harper is not running.");
        /* Harper down is a reason to restart it: no replication to wait for */
        assert_steps(j, "harperdb.service:running harper:answering:pending");
        restart_run_unit_queued(t->calls[1].run, "harperdb.service");
        assert_int_equal(t->answer_error, 0);
}

static void test_cluster_unknown_at_rollout_is_an_error(void **state) {
        Test *t = *state;
        Job *j;

        t->cluster_later = true;
        j = start(t, JOB_RESTART, true);
        restart_run_cluster_found(t->calls[0].run, NULL, -ECONNREFUSED, "Harper is not running.");
        restart_run_unit_finished(t->calls[1].run, "harperdb.service", 0, NULL);
        restart_run_harper_finished(t->calls[2].run, 0, NULL);
        /* asked again now that Harper answers */
        assert_call(t, 3, CALL_CLUSTER, "cluster");
        restart_run_cluster_found(t->calls[3].run, NULL, -ETIMEDOUT, "Harper did not answer within 2 s.");
        assert_error(j, "Cannot learn the nodes of Harper's cluster: Harper did not answer within 2 s.");
}

static void test_cluster_of_one_says_so(void **state) {
        Test *t = *state;
        Job *j;
        char expected[160];

        t->config.services[HARPER_SERVICE_HTTP_WORKERS].by_harper = true;
        j = start(t, JOB_RESTART_SERVICE, true);
        assert_steps(j, "harper:restart_service:http_workers:running");   /* in no cluster: no wait */
        restart_run_harper_finished(t->calls[0].run, 0, NULL);
        snprintf(expected, sizeof expected,
                 "Successfully completed job: %s; Harper knows no other node, so only this node was restarted", j->id);
        assert_string_equal(j->message, expected);
        assert_string_equal(j->result, "{\"replicated\":[]}");
}

static void test_cluster_local_failure_lists_every_node(void **state) {
        Test *t = *state;
        Job *j = start_in_cluster(t, JOB_RESTART_SERVICE);

        restart_run_harper_finished(t->calls[0].run, -EIO, "Harper's job h ended in ERROR: worker died");
        assert_error(j, "Harper's job h ended in ERROR: worker died");
        assert_string_equal(j->result, "{\"replicated\":[{\"node\":\"a\",\"message\":\"Harper's job h ended in ERROR: worker died\"},"
                                       "{\"node\":\"b\",\"message\":\"" JOB_NODE_NOT_REACHED "\"},"
                                       "{\"node\":\"c\",\"message\":\"" JOB_NODE_NOT_REACHED "\"}]}");
        assert_int_equal(t->n_calls, 1);
}

static void test_cluster_failed_node_names_it_and_lists_all(void **state) {
        Test *t = *state;
        Job *j = start_in_cluster(t, JOB_RESTART);
        char expected[512];

        restart_run_unit_finished(t->calls[0].run, "harperdb.service", 0, NULL);
        restart_run_harper_finished(t->calls[1].run, 0, NULL);
        restart_run_harper_finished(t->calls[2].run, 0, NULL);
        assert_call(t, 3, CALL_PEER, "b");
        restart_run_peer_finished(t->calls[3].run, 0, "Successfully completed job: pb");
        restart_run_peer_finished(t->calls[4].run, -EIO, "Harper is not running: connection refused.");
        assert_error(j, "c: Harper is not running: connection refused.");
        snprintf(expected, sizeof expected,
                 "{\"replicated\":[{\"node\":\"a\",\"message\":\"Successfully completed job: %s\"},"
                 "{\"node\":\"b\",\"message\":\"Successfully completed job: pb\"},"
                 "{\"node\":\"c\",\"message\":\"Harper is not running: connection refused.\"}]}", j->id);
        assert_string_equal(j->result, expected);
}

/* ---- the daemon exits ---- */

static void test_free_cancels_running_peer_and_harper_steps(void **state) {
        Test *t = *state;
        Job *peer_job = start_replicated_past_local_part(t, 1);
        Job *harper_job;

        t->config.harper.api = true;
        harper_job = start(t, JOB_RESTART, false);

        restart_run_unit_finished(t->calls[3].run, "harperdb.service", 0, NULL);
        assert_call(t, 2, CALL_PEER, "n1");
        assert_call(t, 4, CALL_HARPER, "answering");
        t->engine = restart_engine_free(t->engine);
        assert_true(t->calls[2].canceled);
        assert_true(t->calls[4].canceled);
        assert_int_equal(peer_job->status, JOB_IN_PROGRESS);
        assert_int_equal(harper_job->status, JOB_IN_PROGRESS);
}

int main(void) {
        const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
                T(test_restart_unit_then_harper_answering_completes),
                T(test_restart_without_harper_api_is_the_unit_only),
                T(test_restart_refused_by_systemd_answers_the_call_with_why),
                T(test_restart_harper_not_answering_is_an_error),
                T(test_harper_step_that_ends_at_once),
                T(test_unit_job_that_cannot_be_queued),
                T(test_manager_that_leaves_and_comes_back),
                T(test_manager_that_does_not_come_back),
                T(test_restart_call_refused_when_the_manager_leaves_while_queueing),
                T(test_not_rolling_starts_every_unit_at_once),
                T(test_rolling_restarts_one_unit_at_a_time),
                T(test_failure_mid_roll_stops_the_rollout),
                T(test_not_rolling_failure_waits_for_the_others_and_keeps_the_first),
                T(test_unit_timeout_is_an_error),
                T(test_patterns_are_expanded_by_the_running_units),
                T(test_pattern_that_matches_no_running_unit),
                T(test_units_that_cannot_be_listed),
                T(test_harper_restarts_its_service_itself),
                T(test_replicated_all_peers_done),
                T(test_replicated_unreachable_peer_stops_the_rollout),
                T(test_replicated_peer_that_cannot_be_connected_to),
                T(test_replicated_left_out_peer_is_skipped),
                T(test_replicated_failed_peer_stops_the_rollout),
                T(test_replicated_peer_timeout_is_an_error),
                T(test_replicated_local_failure_reaches_no_peer),
                T(test_replicated_without_peers_says_so),
                T(test_cluster_nodes_come_from_harper_in_its_order),
                T(test_cluster_configuration_says_how_and_whether),
                T(test_cluster_only_connected_nodes_are_waited_for),
                T(test_cluster_unknown_at_start_does_not_stop_a_restart),
                T(test_cluster_unknown_at_rollout_is_an_error),
                T(test_cluster_of_one_says_so),
                T(test_cluster_failed_node_names_it_and_lists_all),
                T(test_cluster_local_failure_lists_every_node),
                T(test_free_cancels_running_peer_and_harper_steps),
#undef T
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
