/* SPDX-License-Identifier: MIT */
/* The callers' budget (call-budget.c) against a clock the test moves: token buckets fill at
 * their rate up to their burst; a call is charged to its connection and its uid, both or
 * neither; over budget it is refused while the uid's refusals last, then dropped; root is
 * never charged; remembered connections and uids are bounded. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "call-budget.h"
#include "time-util.h"

#define T0 (1000 * USEC_PER_SEC)

static const BudgetLimits limits = {
        .sender = { .rate = 10, .burst = 20 },
        .uid = { .rate = 20, .burst = 40 },
        .refusals = { .rate = 1, .burst = 2 },
        .max_senders = 4,
        .max_uids = 2,
        .log_interval_usec = 30 * USEC_PER_SEC,
};

static void test_bucket_fills_at_its_rate_up_to_its_burst(void **state) {
        BucketLimits l = { .rate = 10, .burst = 5 };
        TokenBucket b;

        bucket_init(&b, &l, T0);
        assert_true(bucket_take(&b, &l, 5, T0));
        assert_false(bucket_take(&b, &l, 1, T0));
        /* 10 a second: one unit per 100 ms, not before */
        assert_false(bucket_take(&b, &l, 1, T0 + 99 * USEC_PER_MSEC));
        assert_true(bucket_take(&b, &l, 1, T0 + 100 * USEC_PER_MSEC));
        /* an hour idle fills it to its burst, no more */
        assert_true(bucket_take(&b, &l, 5, T0 + 3600 * USEC_PER_SEC));
        assert_false(bucket_take(&b, &l, 1, T0 + 3600 * USEC_PER_SEC));
}

static void test_bucket_takes_nothing_when_short(void **state) {
        BucketLimits l = { .rate = 1, .burst = 10 };
        TokenBucket b;

        bucket_init(&b, &l, T0);
        assert_false(bucket_take(&b, &l, 11, T0));
        assert_true(bucket_take(&b, &l, 10, T0));
}

static void test_bucket_ignores_a_clock_going_back(void **state) {
        BucketLimits l = { .rate = 1, .burst = 1 };
        TokenBucket b;

        bucket_init(&b, &l, T0);
        assert_true(bucket_take(&b, &l, 1, T0));
        assert_false(bucket_take(&b, &l, 1, T0 - 10 * USEC_PER_SEC));
        assert_true(bucket_take(&b, &l, 1, T0 + USEC_PER_SEC));
}

static void test_unknown_sender_has_no_uid(void **state) {
        Budget *b = budget_new(&limits);
        uid_t uid;
        pid_t pid;

        assert_int_equal(budget_sender(b, ":1.1", &uid, NULL), -ENODATA);
        assert_int_equal(budget_set_sender(b, ":1.1", 1000, 42, T0), 0);
        assert_int_equal(budget_sender(b, ":1.1", &uid, &pid), 0);
        assert_int_equal(uid, 1000);
        assert_int_equal(pid, 42);
        budget_free(b);
}

static void test_root_is_never_charged(void **state) {
        Budget *b = budget_new(&limits);

        assert_int_equal(budget_set_sender(b, ":1.1", 0, 1, T0), 0);
        for (int i = 0; i < 10000; i++)
                assert_int_equal(budget_charge(b, ":1.1", 100, T0), BUDGET_PASS);
        assert_int_equal(budget_n_uids(b), 0);
        budget_free(b);
}

static void test_connection_budget_then_refusals_then_drops(void **state) {
        Budget *b = budget_new(&limits);

        assert_int_equal(budget_set_sender(b, ":1.1", 1000, 0, T0), 0);
        for (int i = 0; i < 20; i++)
                assert_int_equal(budget_charge(b, ":1.1", 1, T0), BUDGET_PASS);
        /* the connection's burst is spent: two refusals, then nothing */
        assert_int_equal(budget_charge(b, ":1.1", 1, T0), BUDGET_REFUSE);
        assert_int_equal(budget_charge(b, ":1.1", 1, T0), BUDGET_REFUSE);
        assert_int_equal(budget_charge(b, ":1.1", 1, T0), BUDGET_DROP);
        /* a second later: 10 calls and one refusal more */
        for (int i = 0; i < 10; i++)
                assert_int_equal(budget_charge(b, ":1.1", 1, T0 + USEC_PER_SEC), BUDGET_PASS);
        assert_int_equal(budget_charge(b, ":1.1", 1, T0 + USEC_PER_SEC), BUDGET_REFUSE);
        assert_int_equal(budget_charge(b, ":1.1", 1, T0 + USEC_PER_SEC), BUDGET_DROP);
        budget_free(b);
}

static void test_a_uid_polkit_said_yes_to_goes_uncharged_until_then(void **state) {
        Budget *b = budget_new(&limits);

        assert_int_equal(budget_set_sender(b, ":1.1", 1000, 0, T0), 0);
        assert_int_equal(budget_set_sender(b, ":1.2", 1001, 0, T0), 0);
        budget_trust_uid(b, 1000, T0 + 60 * USEC_PER_SEC, T0);
        /* far past both bursts, as an admin's script may go */
        for (int i = 0; i < 1000; i++)
                assert_int_equal(budget_charge(b, ":1.1", 1, T0 + i * 1000), BUDGET_PASS);
        /* another uid is charged as before */
        for (int i = 0; i < 20; i++)
                assert_int_equal(budget_charge(b, ":1.2", 1, T0), BUDGET_PASS);
        assert_int_equal(budget_charge(b, ":1.2", 1, T0), BUDGET_REFUSE);
        /* the trust ends: charged again from a full bucket's worth of calls */
        for (int i = 0; i < 20; i++)
                assert_int_equal(budget_charge(b, ":1.1", 1, T0 + 61 * USEC_PER_SEC), BUDGET_PASS);
        assert_int_equal(budget_charge(b, ":1.1", 1, T0 + 61 * USEC_PER_SEC), BUDGET_REFUSE);
        budget_free(b);
}

static void test_uid_budget_spans_its_connections(void **state) {
        Budget *b = budget_new(&limits);

        assert_int_equal(budget_set_sender(b, ":1.1", 1000, 0, T0), 0);
        assert_int_equal(budget_set_sender(b, ":1.2", 1000, 0, T0), 0);
        assert_int_equal(budget_set_sender(b, ":1.3", 1000, 0, T0), 0);
        assert_int_equal(budget_set_sender(b, ":1.4", 1001, 0, T0), 0);
        /* 20 + 20 units from two connections are the uid's 40 */
        assert_int_equal(budget_charge(b, ":1.1", 20, T0), BUDGET_PASS);
        assert_int_equal(budget_charge(b, ":1.2", 20, T0), BUDGET_PASS);
        /* a third connection of the same uid has its own 20, but the uid has none left */
        assert_int_equal(budget_charge(b, ":1.3", 1, T0), BUDGET_REFUSE);
        /* another uid is not affected */
        assert_int_equal(budget_charge(b, ":1.4", 20, T0), BUDGET_PASS);
        budget_free(b);
}

static void test_refused_by_uid_costs_the_connection_nothing(void **state) {
        Budget *b = budget_new(&limits);

        assert_int_equal(budget_set_sender(b, ":1.1", 1000, 0, T0), 0);
        assert_int_equal(budget_set_sender(b, ":1.2", 1000, 0, T0), 0);
        assert_int_equal(budget_charge(b, ":1.1", 20, T0), BUDGET_PASS);
        assert_int_equal(budget_charge(b, ":1.2", 20, T0), BUDGET_PASS);
        /* 2 s later the uid has 40 again; :1.1 had 20 and would have none had the refusals
         * in between cost it */
        assert_int_equal(budget_charge(b, ":1.1", 5, T0 + USEC_PER_SEC / 10), BUDGET_REFUSE);
        assert_int_equal(budget_charge(b, ":1.1", 20, T0 + 2 * USEC_PER_SEC), BUDGET_PASS);
        budget_free(b);
}

static void test_a_call_dearer_than_the_burst_never_passes(void **state) {
        Budget *b = budget_new(&limits);

        assert_int_equal(budget_set_sender(b, ":1.1", 1000, 0, T0), 0);
        assert_int_equal(budget_charge(b, ":1.1", 21, T0 + 3600 * USEC_PER_SEC), BUDGET_REFUSE);
        budget_free(b);
}

static void test_remembered_connections_and_uids_are_bounded(void **state) {
        Budget *b = budget_new(&limits);
        char name[16];
        uid_t uid;

        for (int i = 0; i < 100; i++) {
                snprintf(name, sizeof name, ":1.%d", i);
                assert_int_equal(budget_set_sender(b, name, 1000 + (uid_t) i, 0, T0 + (uint64_t) i), 0);
                assert_int_equal(budget_charge(b, name, 1, T0 + (uint64_t) i), BUDGET_PASS);
        }
        assert_int_equal(budget_n_senders(b), 4);
        assert_int_equal(budget_n_uids(b), 2);
        /* the least recently seen were forgotten, the latest kept */
        assert_int_equal(budget_sender(b, ":1.0", &uid, NULL), -ENODATA);
        assert_int_equal(budget_sender(b, ":1.99", &uid, NULL), 0);
        assert_int_equal(uid, 1099);
        budget_free(b);
}

static void test_a_forgotten_uid_does_not_reuse_another_ones_budget(void **state) {
        Budget *b = budget_new(&limits);

        assert_int_equal(budget_set_sender(b, ":1.1", 1000, 0, T0), 0);
        assert_int_equal(budget_set_sender(b, ":1.2", 1001, 0, T0), 0);
        assert_int_equal(budget_set_sender(b, ":1.3", 1002, 0, T0), 0);
        assert_int_equal(budget_charge(b, ":1.1", 20, T0), BUDGET_PASS);
        assert_int_equal(budget_charge(b, ":1.2", 20, T0 + 1), BUDGET_PASS);
        /* 1002 takes 1000's place with full buckets of its own */
        assert_int_equal(budget_charge(b, ":1.3", 20, T0 + 2), BUDGET_PASS);
        assert_int_equal(budget_n_uids(b), 2);
        budget_free(b);
}

static void test_log_is_due_once_per_interval_with_the_count(void **state) {
        Budget *b = budget_new(&limits);
        uint64_t over = 0;

        assert_int_equal(budget_set_sender(b, ":1.1", 1000, 0, T0), 0);
        assert_false(budget_log_due(b, 1000, T0, &over));
        assert_int_equal(budget_charge(b, ":1.1", 30, T0), BUDGET_REFUSE);
        assert_true(budget_log_due(b, 1000, T0, &over));
        assert_int_equal(over, 1);
        for (int i = 0; i < 5; i++)
                (void) budget_charge(b, ":1.1", 30, T0 + 1);
        assert_false(budget_log_due(b, 1000, T0 + 29 * USEC_PER_SEC, &over));
        assert_true(budget_log_due(b, 1000, T0 + 30 * USEC_PER_SEC, &over));
        assert_int_equal(over, 5);
        /* nothing over budget since: nothing to say */
        assert_false(budget_log_due(b, 1000, T0 + 90 * USEC_PER_SEC, &over));
        budget_free(b);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bucket_fills_at_its_rate_up_to_its_burst),
                cmocka_unit_test(test_bucket_takes_nothing_when_short),
                cmocka_unit_test(test_bucket_ignores_a_clock_going_back),
                cmocka_unit_test(test_unknown_sender_has_no_uid),
                cmocka_unit_test(test_root_is_never_charged),
                cmocka_unit_test(test_connection_budget_then_refusals_then_drops),
                cmocka_unit_test(test_a_uid_polkit_said_yes_to_goes_uncharged_until_then),
                cmocka_unit_test(test_uid_budget_spans_its_connections),
                cmocka_unit_test(test_refused_by_uid_costs_the_connection_nothing),
                cmocka_unit_test(test_a_call_dearer_than_the_burst_never_passes),
                cmocka_unit_test(test_remembered_connections_and_uids_are_bounded),
                cmocka_unit_test(test_a_forgotten_uid_does_not_reuse_another_ones_budget),
                cmocka_unit_test(test_log_is_due_once_per_interval_with_the_count),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
