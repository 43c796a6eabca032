/* SPDX-License-Identifier: MIT */
/* The decisions of a restart job without a bus: which units a job acts on (patterns against
 * the running units, explicit names kept), which step starts next (rolling or all at once,
 * nothing new after a failure), and the peers' order and rules. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "restart-plan.h"

static void assert_strv_equal(char **actual, const char *const *expected) {
        size_t i = 0;

        for (; expected[i]; i++) {
                assert_non_null(actual[i]);
                assert_string_equal(actual[i], expected[i]);
        }
        assert_null(actual[i]);
}

static void test_patterns_are_picked_in_order(void **state) {
        char *entries[] = { "a.service", "w@*.service", "b.service", "x-?.service", NULL };
        char *patterns[5];

        assert_int_equal(restart_plan_patterns(entries, patterns), 2);
        assert_strv_equal(patterns, (const char *[]) { "w@*.service", "x-?.service", NULL });

        char *plain[] = { "a.service", NULL };
        assert_int_equal(restart_plan_patterns(plain, patterns), 0);
        assert_null(patterns[0]);
}

static void test_pattern_expands_to_every_running_match_in_order(void **state) {
        char *entries[] = { "w@*.service", NULL };
        char *running[] = { "w@1.service", "w@2.service", "w@3.service", NULL };
        char **units = NULL, *problem = NULL;

        assert_int_equal(restart_plan_units(entries, running, &units, &problem), 0);
        assert_null(problem);
        assert_strv_equal(units, (const char *[]) { "w@1.service", "w@2.service", "w@3.service", NULL });
        free(units);
}

static void test_pattern_matches_go_in_instance_number_order(void **state) {
        /* systemd lists units in no particular order; strcmp would put @10 before @2 */
        char *entries[] = { "w@*.service", NULL };
        char *running[] = { "w@10.service", "w@2.service", "w@1.service", "w@b.service", "w@a.service", NULL };
        char **units = NULL, *problem = NULL;

        assert_int_equal(restart_plan_units(entries, running, &units, &problem), 0);
        assert_strv_equal(units, (const char *[]) { "w@1.service", "w@2.service", "w@10.service", "w@a.service",
                                                    "w@b.service", NULL });
        free(units);
}

static void test_pattern_that_matches_none_is_an_error(void **state) {
        char *entries[] = { "a.service", "w@*.service", NULL };
        char *running[] = { "other.service", NULL };
        char **units = NULL, *problem = NULL;

        assert_int_equal(restart_plan_units(entries, running, &units, &problem), -ENOENT);
        assert_string_equal(problem, "No running unit matches w@*.service.");
        assert_null(units);
        free(problem);
}

static void test_explicit_names_are_kept_next_to_a_pattern_and_once_only(void **state) {
        /* an explicit name need not be running (systemd judges it); a unit named by the
         * pattern and by name is acted on once, where it first appears */
        char *entries[] = { "first.service", "w@*.service", "w@2.service", "stopped.service", NULL };
        char *running[] = { "first.service", "w@1.service", "w@2.service", NULL };
        char **units = NULL, *problem = NULL;

        assert_int_equal(restart_plan_units(entries, running, &units, &problem), 0);
        assert_strv_equal(units, (const char *[]) { "first.service", "w@1.service", "w@2.service",
                                                    "stopped.service", NULL });
        free(units);
}

static Job *job_with_units(JobTable *t, char **units) {
        Job *j = job_table_add(t, JOB_RESTART_SERVICE, HARPER_SERVICE_HTTP_WORKERS, false, 0, 1);

        assert_non_null(j);
        assert_int_equal(job_set_units(j, units), 0);
        return j;
}

static void test_rolling_starts_one_step_at_a_time(void **state) {
        char *units[] = { "w@1.service", "w@2.service", NULL };
        JobTable t;
        JobStep *step;

        job_table_init(&t, 4);
        Job *j = job_with_units(&t, units);
        assert_int_equal(restart_plan_next(j, true, false, &step), PLAN_START_STEP);
        assert_ptr_equal(step, &j->steps[0]);
        step->state = STEP_RUNNING;
        assert_int_equal(restart_plan_next(j, true, false, &step), PLAN_WAIT);
        assert_null(step);
        j->steps[0].state = STEP_DONE;
        assert_int_equal(restart_plan_next(j, true, false, &step), PLAN_START_STEP);
        assert_ptr_equal(step, &j->steps[1]);
        step->state = STEP_DONE;
        assert_int_equal(restart_plan_next(j, true, false, &step), PLAN_STEPS_DONE);
        job_table_done(&t);
}

static void test_not_rolling_starts_every_step_at_once(void **state) {
        char *units[] = { "a.service", "b.service", NULL };
        JobTable t;
        JobStep *step;

        job_table_init(&t, 4);
        Job *j = job_with_units(&t, units);
        assert_int_equal(restart_plan_next(j, false, false, &step), PLAN_START_STEP);
        step->state = STEP_RUNNING;
        assert_int_equal(restart_plan_next(j, false, false, &step), PLAN_START_STEP);
        assert_ptr_equal(step, &j->steps[1]);
        step->state = STEP_RUNNING;
        assert_int_equal(restart_plan_next(j, false, false, &step), PLAN_WAIT);
        job_table_done(&t);
}

static void test_after_a_failure_nothing_starts_and_running_steps_finish(void **state) {
        char *units[] = { "a.service", "b.service", "c.service", NULL };
        JobTable t;
        JobStep *step;

        job_table_init(&t, 4);
        Job *j = job_with_units(&t, units);
        j->steps[0].state = STEP_FAILED;
        j->steps[1].state = STEP_RUNNING;
        assert_int_equal(restart_plan_next(j, false, true, &step), PLAN_WAIT);
        j->steps[1].state = STEP_DONE;
        assert_int_equal(restart_plan_next(j, false, true, &step), PLAN_STEPS_DONE);
        assert_int_equal(j->steps[2].state, STEP_PENDING);
        job_table_done(&t);
}

static void test_peers_without_harper_roll_out_in_configuration_order(void **state) {
        PeerConfig peers[] = { { .name = "node-c", .ssh = "c" }, { .name = "node-a", .address = "unix:path=/a" },
                               { .name = "node-b", .exclude = true } };
        Config config = { .peers = peers, .n_peers = 3 };
        PeerConfig *plan = NULL;
        size_t n = 0;

        assert_int_equal(restart_plan_peers(&config, NULL, &plan, &n), 0);
        assert_int_equal(n, 3);
        assert_string_equal(plan[0].name, "node-c");
        assert_string_equal(plan[0].ssh, "c");
        assert_string_equal(plan[1].address, "unix:path=/a");
        assert_null(plan[1].ssh);
        assert_true(plan[2].exclude);
        restart_plan_peers_free(plan, n);
}

static void test_harper_nodes_are_reached_over_ssh_unless_configured(void **state) {
        PeerConfig peers[] = { { .name = "127.0.0.13", .address = "unix:path=/c" },
                               { .name = "127.0.0.14", .exclude = true },
                               { .name = "not-in-harper", .ssh = "x" } };
        ClusterNode nodes[] = { { .name = "127.0.0.12", .url = "wss://127.0.0.12:12023" },
                                { .name = "127.0.0.13", .url = "wss://127.0.0.13:12033" },
                                { .name = "127.0.0.14" }, { .name = "named", .url = "wss://[::1]:9933/" } };
        ClusterView view = { .this_node = "127.0.0.11", .nodes = nodes, .n_nodes = 4 };
        Config config = { .peers = peers, .n_peers = 3 };
        PeerConfig *plan = NULL;
        size_t n = 0;

        assert_int_equal(restart_plan_peers(&config, &view, &plan, &n), 0);
        /* Harper's nodes, in the view's order; a configured name Harper does not know is not one */
        assert_int_equal(n, 4);
        assert_string_equal(plan[0].name, "127.0.0.12");
        assert_string_equal(plan[0].ssh, "127.0.0.12");       /* the host of its URL */
        assert_string_equal(plan[1].address, "unix:path=/c"); /* the configuration's way */
        assert_null(plan[1].ssh);
        assert_true(plan[2].exclude);
        assert_string_equal(plan[3].ssh, "::1");
        restart_plan_peers_free(plan, n);
}

static void test_rollout_goes_on_past_done_and_left_out_nodes_only(void **state) {
        assert_true(restart_plan_goes_on_after(NODE_DONE));
        assert_true(restart_plan_goes_on_after(NODE_SKIPPED));
        assert_false(restart_plan_goes_on_after(NODE_FAILED));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_patterns_are_picked_in_order),
                cmocka_unit_test(test_pattern_expands_to_every_running_match_in_order),
                cmocka_unit_test(test_pattern_matches_go_in_instance_number_order),
                cmocka_unit_test(test_pattern_that_matches_none_is_an_error),
                cmocka_unit_test(test_explicit_names_are_kept_next_to_a_pattern_and_once_only),
                cmocka_unit_test(test_rolling_starts_one_step_at_a_time),
                cmocka_unit_test(test_not_rolling_starts_every_step_at_once),
                cmocka_unit_test(test_after_a_failure_nothing_starts_and_running_steps_finish),
                cmocka_unit_test(test_peers_without_harper_roll_out_in_configuration_order),
                cmocka_unit_test(test_harper_nodes_are_reached_over_ssh_unless_configured),
                cmocka_unit_test(test_rollout_goes_on_past_done_and_left_out_nodes_only),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
