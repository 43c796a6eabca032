/* SPDX-License-Identifier: MIT */
/* Jobs as get_job shows them: ids, the CREATED → IN_PROGRESS → COMPLETE | ERROR lifecycle with
 * Harper's messages, one running job per target, and a history that stays bounded. */
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "job.h"

static int table_setup(void **state) {
        JobTable *t = malloc(sizeof *t);

        if (!t)
                return -1;
        job_table_init(t, 2);
        *state = t;
        return 0;
}

static int table_teardown(void **state) {
        job_table_done(*state);
        free(*state);
        return 0;
}

static void test_new_jobs_are_created_with_uuid_and_number(void **state) {
        JobTable *t = *state;
        Job *a = job_table_add(t, JOB_RESTART, _HARPER_SERVICE_INVALID, false, 0, 1000);
        Job *b = job_table_add(t, JOB_RESTART_SERVICE, HARPER_SERVICE_HTTP_WORKERS, true, 1000, 2000);
        regex_t uuid;

        assert_int_equal(regcomp(&uuid, "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
                                 REG_EXTENDED | REG_NOSUB), 0);
        assert_int_equal(regexec(&uuid, a->id, 0, NULL, 0), 0);
        assert_int_equal(regexec(&uuid, b->id, 0, NULL, 0), 0);
        regfree(&uuid);
        assert_string_not_equal(a->id, b->id);
        assert_int_equal(a->number, 1);
        assert_int_equal(b->number, 2);
        assert_int_equal(a->status, JOB_CREATED);
        assert_int_equal(a->created_ms, 1000);
        assert_int_equal(a->start_ms, 0);
        assert_int_equal(a->service, _HARPER_SERVICE_INVALID);
        assert_int_equal(b->service, HARPER_SERVICE_HTTP_WORKERS);
        assert_true(b->replicated);
        assert_int_equal(b->uid, 1000);
        assert_ptr_equal(job_table_find(t, b->id), b);
        assert_null(job_table_find(t, "00000000-0000-4000-8000-000000000000"));
}

static void test_lifecycle_and_harper_messages(void **state) {
        JobTable *t = *state;
        Job *j = job_table_add(t, JOB_RESTART_SERVICE, HARPER_SERVICE_CLUSTERING, false, 0, 1000);
        char want[128];

        job_start(j, 1500);
        assert_int_equal(j->status, JOB_IN_PROGRESS);
        assert_int_equal(j->start_ms, 1500);
        job_start(j, 9999);   /* a second start changes nothing */
        assert_int_equal(j->start_ms, 1500);
        assert_false(job_is_finished(j));
        assert_int_equal(job_complete(j, 2000, NULL), 0);
        assert_int_equal(j->status, JOB_COMPLETE);
        assert_int_equal(j->end_ms, 2000);
        snprintf(want, sizeof want, "Successfully completed job: %s", j->id);
        assert_string_equal(j->message, want);
        assert_true(job_is_finished(j));

        Job *k = job_table_add(t, JOB_RESTART, _HARPER_SERVICE_INVALID, false, 0, 3000);
        assert_int_equal(job_fail(k, 3100, "Restart of x.service failed: exit-code"), 0);
        assert_int_equal(k->status, JOB_ERROR);
        assert_int_equal(k->start_ms, 3100);   /* a job that failed before it started still has a start */
        assert_string_equal(k->message, "Restart of x.service failed: exit-code");

        Job *n = job_table_add(t, JOB_RESTART, _HARPER_SERVICE_INVALID, true, 0, 4000);
        assert_int_equal(job_complete(n, 4100, "only this node"), 0);
        snprintf(want, sizeof want, "Successfully completed job: %s; only this node", n->id);
        assert_string_equal(n->message, want);
        assert_int_equal(job_set_result(n, "{\"replicated\":[]}"), 0);
        assert_string_equal(n->result, "{\"replicated\":[]}");
}

static void test_one_running_job_per_target(void **state) {
        JobTable *t = *state;
        Job *workers = job_table_add(t, JOB_RESTART_SERVICE, HARPER_SERVICE_HTTP_WORKERS, false, 0, 1);
        Job *instance = job_table_add(t, JOB_RESTART, _HARPER_SERVICE_INVALID, false, 0, 1);

        assert_ptr_equal(job_table_find_running(t, JOB_RESTART_SERVICE, HARPER_SERVICE_HTTP_WORKERS), workers);
        assert_null(job_table_find_running(t, JOB_RESTART_SERVICE, HARPER_SERVICE_CLUSTERING));
        assert_ptr_equal(job_table_find_running(t, JOB_RESTART, _HARPER_SERVICE_INVALID), instance);
        job_fail(workers, 2, "x");
        assert_null(job_table_find_running(t, JOB_RESTART_SERVICE, HARPER_SERVICE_HTTP_WORKERS));
}

static void test_history_keeps_running_jobs_and_the_newest_finished(void **state) {
        JobTable *t = *state;   /* max_finished 2 */
        Job *jobs[5];

        for (int i = 0; i < 5; i++)
                jobs[i] = job_table_add(t, JOB_RESTART, _HARPER_SERVICE_INVALID, false, 0, i);
        assert_null(job_table_take_excess(t));   /* none finished */
        job_complete(jobs[0], 10, NULL);
        job_complete(jobs[2], 10, NULL);
        assert_null(job_table_take_excess(t));   /* two finished: kept */
        job_complete(jobs[3], 10, NULL);
        char oldest_id[37];
        strcpy(oldest_id, jobs[0]->id);
        Job *old = job_table_take_excess(t);
        assert_ptr_equal(old, jobs[0]);   /* the oldest finished one goes, running ones stay */
        job_free(old);
        assert_null(job_table_take_excess(t));
        assert_null(job_table_find(t, oldest_id));
        assert_ptr_equal(job_table_find(t, jobs[1]->id), jobs[1]);

        /* jobs[1], created long ago, finishes last: it stays, jobs[2] (finished first) goes */
        job_complete(jobs[1], 30, NULL);
        old = job_table_take_excess(t);
        assert_ptr_equal(old, jobs[2]);
        job_free(old);
        assert_ptr_equal(job_table_find(t, jobs[1]->id), jobs[1]);
}

static void test_steps(void **state) {
        JobTable *t = *state;
        Job *j = job_table_add(t, JOB_RESTART_SERVICE, HARPER_SERVICE_HTTP_WORKERS, false, 0, 1);
        char *units[] = { (char *) "a@1.service", (char *) "a@2.service", NULL };

        assert_int_equal(job_set_units(j, units), 0);
        assert_int_equal(j->n_steps, 2);
        assert_string_equal(j->steps[0].unit, "a@1.service");
        assert_ptr_equal(job_next_pending(j), &j->steps[0]);
        j->steps[0].state = STEP_DONE;
        assert_ptr_equal(job_next_pending(j), &j->steps[1]);
        j->steps[1].state = STEP_DONE;
        assert_null(job_next_pending(j));
        assert_string_equal(step_state_to_string(STEP_RUNNING), "running");
        assert_string_equal(job_status_to_string(JOB_IN_PROGRESS), "IN_PROGRESS");
        assert_string_equal(job_type_to_string(JOB_RESTART_SERVICE), "restart_service");
}

static void test_nodes_and_harpers_replicated_result(void **state) {
        JobTable *t = *state;
        Job *j = job_table_add(t, JOB_RESTART_SERVICE, HARPER_SERVICE_HTTP_WORKERS, true, 0, 1);
        char *names[] = { (char *) "b", (char *) "ghost", (char *) "c", (char *) "d", NULL };
        char *result;

        assert_int_equal(job_set_nodes(j, names), 0);
        assert_ptr_equal(job_current_node(j), &j->nodes[0]);
        job_node_start(&j->nodes[0], 10);
        assert_int_equal(j->nodes[0].state, NODE_RUNNING);
        assert_ptr_equal(job_current_node(j), &j->nodes[0]);   /* still the running one */
        assert_int_equal(job_node_set_job_id(&j->nodes[0], "peer-job"), 0);
        assert_int_equal(job_node_finish(&j->nodes[0], NODE_DONE, "Successfully completed job: peer-job", 20), 0);
        assert_int_equal(j->nodes[0].end_ms, 20);
        assert_ptr_equal(job_current_node(j), &j->nodes[1]);
        /* never started: recorded with its start time set */
        assert_int_equal(job_node_finish(&j->nodes[1], NODE_SKIPPED, "Left out", 30), 0);
        assert_int_equal(j->nodes[1].start_ms, 30);
        job_node_start(&j->nodes[2], 40);
        assert_int_equal(job_node_finish(&j->nodes[2], NODE_FAILED, "Timed out waiting for restart job to complete", 50), 0);

        /* every node is in Harper's result, in order, this node first: each with its message, a
         * node not reached saying so */
        result = job_replicated_result(j, "a", "Successfully completed job: this");
        assert_string_equal(result, "{\"replicated\":[{\"node\":\"a\",\"message\":\"Successfully completed job: this\"},"
                                    "{\"node\":\"b\",\"message\":\"Successfully completed job: peer-job\"},"
                                    "{\"node\":\"ghost\",\"message\":\"Left out\"},"
                                    "{\"node\":\"c\",\"message\":\"Timed out waiting for restart job to complete\"},"
                                    "{\"node\":\"d\",\"message\":\"" JOB_NODE_NOT_REACHED "\"}]}");
        free(result);
        /* a node in no cluster has no name: the others only */
        result = job_replicated_result(j, NULL, NULL);
        assert_non_null(strstr(result, "{\"replicated\":[{\"node\":\"b\""));
        free(result);
        assert_string_equal(node_state_to_string(NODE_SKIPPED), "skipped");
        assert_ptr_equal(job_current_node(j), &j->nodes[3]);
}

static void test_step_names_in_words(void **state) {
        char buf[64];

        assert_string_equal(step_display_name(STEP_NAME_HARPER_ANSWERING, buf, sizeof buf), "Harper answering");
        assert_string_equal(step_display_name(STEP_NAME_HARPER_REPLICATION, buf, sizeof buf),
                            "Harper's replication connected again");
        assert_string_equal(step_display_name(STEP_NAME_HARPER_SERVICE_PREFIX "http_workers", buf, sizeof buf),
                            "Harper restarting http_workers");
        assert_string_equal(step_display_name("harperdb-http@2.service", buf, sizeof buf), "harperdb-http@2.service");
}

static void test_messages_from_elsewhere_are_bounded(void **state) {
        JobTable *t = *state;
        Job *j = job_table_add(t, JOB_RESTART_SERVICE, HARPER_SERVICE_HTTP_WORKERS, true, 0, 1);
        char *names[] = { (char *) "peer", NULL };
        char big[64 * 1024];

        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        assert_int_equal(job_set_nodes(j, names), 0);
        assert_int_equal(job_node_finish(&j->nodes[0], NODE_FAILED, big, 10), 0);
        assert_int_equal(strlen(j->nodes[0].message), JOB_MESSAGE_MAX_BYTES + strlen("…"));
        assert_int_equal(job_fail(j, 20, big), 0);
        assert_int_equal(strlen(j->message), JOB_MESSAGE_MAX_BYTES + strlen("…"));
        assert_string_equal(j->message + JOB_MESSAGE_MAX_BYTES, "…");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_new_jobs_are_created_with_uuid_and_number, table_setup,
                                                table_teardown),
                cmocka_unit_test_setup_teardown(test_lifecycle_and_harper_messages, table_setup, table_teardown),
                cmocka_unit_test_setup_teardown(test_one_running_job_per_target, table_setup, table_teardown),
                cmocka_unit_test_setup_teardown(test_history_keeps_running_jobs_and_the_newest_finished, table_setup,
                                                table_teardown),
                cmocka_unit_test_setup_teardown(test_steps, table_setup, table_teardown),
                cmocka_unit_test_setup_teardown(test_nodes_and_harpers_replicated_result, table_setup, table_teardown),
                cmocka_unit_test(test_step_names_in_words),
                cmocka_unit_test_setup_teardown(test_messages_from_elsewhere_are_bounded, table_setup, table_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
