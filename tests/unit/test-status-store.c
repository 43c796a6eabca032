/* SPDX-License-Identifier: MIT */
/* The in-memory status table: records, timestamps (harper-behaviour.md §5.4), listing order
 * (§5.3, Harper's test T4) and ownership of the strings. Run under valgrind to check frees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "status-store.h"
#include "text.h"

/* Each test gets a fresh store and frees it, so valgrind sees every record released. */
static int store_setup(void **state) {
        StatusStore *store = malloc(sizeof *store);

        if (!store)
                return -1;
        status_store_init(store);
        *state = store;
        return 0;
}

static int store_teardown(void **state) {
        StatusStore *store = *state;

        status_store_done(store);
        free(store);
        return 0;
}

static void test_new_store_has_no_records(void **state) {
        StatusStore *store = *state;

        for (int i = 0; i < _STATUS_ID_MAX; i++)
                assert_null(status_store_get(store, (StatusId) i));
}

static void test_set_then_get_returns_the_record(void **state) {
        StatusStore *store = *state;
        const StatusRecord *set, *got;

        set = status_store_set(store, STATUS_PRIMARY, "active", 1621364589543);
        assert_non_null(set);
        assert_int_equal(set->id, STATUS_PRIMARY);
        assert_string_equal(set->status, "active");
        assert_int_equal(set->created_ms, 1621364589543);
        assert_int_equal(set->updated_ms, 1621364589543);

        got = status_store_get(store, STATUS_PRIMARY);
        assert_ptr_equal(got, set);
        assert_string_equal(got->status, "active");

        /* the other ids stay unset */
        assert_null(status_store_get(store, STATUS_MAINTENANCE));
        assert_null(status_store_get(store, STATUS_AVAILABILITY));
}

static void test_ids_are_stored_independently(void **state) {
        StatusStore *store = *state;

        assert_non_null(status_store_set(store, STATUS_PRIMARY, "running", 10));
        assert_non_null(status_store_set(store, STATUS_MAINTENANCE, "testing will continue", 20));
        assert_non_null(status_store_set(store, STATUS_AVAILABILITY, "Available", 30));

        assert_string_equal(status_store_get(store, STATUS_PRIMARY)->status, "running");
        assert_string_equal(status_store_get(store, STATUS_MAINTENANCE)->status, "testing will continue");
        assert_string_equal(status_store_get(store, STATUS_AVAILABILITY)->status, "Available");
        assert_int_equal(status_store_get(store, STATUS_MAINTENANCE)->created_ms, 20);
        assert_int_equal(status_store_get(store, STATUS_AVAILABILITY)->id, STATUS_AVAILABILITY);
}

/* Harper's put keeps __createdtime__ and refreshes __updatedtime__ */
static void test_overwrite_keeps_created_and_refreshes_updated(void **state) {
        StatusStore *store = *state;
        const StatusRecord *r;

        assert_non_null(status_store_set(store, STATUS_MAINTENANCE, "Scheduled", 1000));
        r = status_store_set(store, STATUS_MAINTENANCE, "In Progress", 2000);
        assert_non_null(r);
        assert_string_equal(r->status, "In Progress");
        assert_int_equal(r->created_ms, 1000);
        assert_int_equal(r->updated_ms, 2000);

        r = status_store_get(store, STATUS_MAINTENANCE);
        assert_string_equal(r->status, "In Progress");
        assert_int_equal(r->created_ms, 1000);
        assert_int_equal(r->updated_ms, 2000);
}

static void test_overwrite_with_the_same_value_still_refreshes_updated(void **state) {
        StatusStore *store = *state;
        const StatusRecord *r;

        assert_non_null(status_store_set(store, STATUS_PRIMARY, "Running", 1000));
        r = status_store_set(store, STATUS_PRIMARY, "Running", 3000);
        assert_int_equal(r->created_ms, 1000);
        assert_int_equal(r->updated_ms, 3000);
}

static void test_clear_returns_true_then_false(void **state) {
        StatusStore *store = *state;

        assert_non_null(status_store_set(store, STATUS_PRIMARY, "active", 1000));
        assert_true(status_store_clear(store, STATUS_PRIMARY));
        assert_null(status_store_get(store, STATUS_PRIMARY));
        assert_false(status_store_clear(store, STATUS_PRIMARY));
}

static void test_clear_of_a_never_set_id_returns_false(void **state) {
        StatusStore *store = *state;

        assert_non_null(status_store_set(store, STATUS_PRIMARY, "active", 1000));
        assert_false(status_store_clear(store, STATUS_AVAILABILITY));
        /* and leaves the other records alone */
        assert_string_equal(status_store_get(store, STATUS_PRIMARY)->status, "active");
}

/* §5.4: after clear_status the next set_status gets a fresh __createdtime__ */
static void test_set_after_clear_gets_fresh_created(void **state) {
        StatusStore *store = *state;
        const StatusRecord *r;

        assert_non_null(status_store_set(store, STATUS_AVAILABILITY, "Available", 1000));
        assert_non_null(status_store_set(store, STATUS_AVAILABILITY, "Unavailable", 2000));
        assert_true(status_store_clear(store, STATUS_AVAILABILITY));
        r = status_store_set(store, STATUS_AVAILABILITY, "Available", 5000);
        assert_non_null(r);
        assert_string_equal(r->status, "Available");
        assert_int_equal(r->created_ms, 5000);
        assert_int_equal(r->updated_ms, 5000);
}

static void test_list_of_empty_store_is_zero(void **state) {
        StatusStore *store = *state;
        const StatusRecord *out[_STATUS_ID_MAX] = {};

        assert_int_equal(status_store_list(store, out), 0);
        assert_null(out[0]);
}

static void test_list_after_clearing_everything_is_zero(void **state) {
        StatusStore *store = *state;
        const StatusRecord *out[_STATUS_ID_MAX];

        for (int i = 0; i < _STATUS_ID_MAX; i++)
                assert_non_null(status_store_set(store, (StatusId) i, "x", 1));
        for (int i = 0; i < _STATUS_ID_MAX; i++)
                assert_true(status_store_clear(store, (StatusId) i));
        assert_int_equal(status_store_list(store, out), 0);
}

/* Harper sorts by id name (availability, maintenance, primary), not by the enum order. */
static void test_list_is_sorted_by_id_name_whatever_the_insertion_order(void **state) {
        static const StatusId orders[][3] = {
                { STATUS_PRIMARY, STATUS_MAINTENANCE, STATUS_AVAILABILITY },
                { STATUS_PRIMARY, STATUS_AVAILABILITY, STATUS_MAINTENANCE },
                { STATUS_MAINTENANCE, STATUS_PRIMARY, STATUS_AVAILABILITY },
                { STATUS_MAINTENANCE, STATUS_AVAILABILITY, STATUS_PRIMARY },
                { STATUS_AVAILABILITY, STATUS_PRIMARY, STATUS_MAINTENANCE },
                { STATUS_AVAILABILITY, STATUS_MAINTENANCE, STATUS_PRIMARY },
        };

        for (size_t o = 0; o < sizeof orders / sizeof orders[0]; o++) {
                StatusStore store;
                const StatusRecord *out[_STATUS_ID_MAX];

                status_store_init(&store);
                for (int i = 0; i < 3; i++)
                        assert_non_null(status_store_set(&store, orders[o][i], "Available", 100 + i));
                assert_int_equal(status_store_list(&store, out), 3);
                assert_int_equal(out[0]->id, STATUS_AVAILABILITY);
                assert_int_equal(out[1]->id, STATUS_MAINTENANCE);
                assert_int_equal(out[2]->id, STATUS_PRIMARY);
                status_store_done(&store);
        }
}

/* Harper's T4: primary and maintenance list as [maintenance, primary] */
static void test_list_holds_only_set_records(void **state) {
        StatusStore *store = *state;
        const StatusRecord *out[_STATUS_ID_MAX];

        assert_non_null(status_store_set(store, STATUS_PRIMARY, "testing", 1000));
        assert_non_null(status_store_set(store, STATUS_MAINTENANCE, "testing will continue", 2000));
        assert_int_equal(status_store_list(store, out), 2);
        assert_int_equal(out[0]->id, STATUS_MAINTENANCE);
        assert_string_equal(out[0]->status, "testing will continue");
        assert_int_equal(out[1]->id, STATUS_PRIMARY);
        assert_string_equal(out[1]->status, "testing");

        assert_true(status_store_clear(store, STATUS_MAINTENANCE));
        assert_int_equal(status_store_list(store, out), 1);
        assert_int_equal(out[0]->id, STATUS_PRIMARY);
        assert_int_equal(out[0]->created_ms, 1000);
}

static void test_status_strings_are_copied(void **state) {
        StatusStore *store = *state;
        char buffer[] = "Running";
        const StatusRecord *r;

        r = status_store_set(store, STATUS_PRIMARY, buffer, 1000);
        assert_ptr_not_equal(r->status, buffer);
        memcpy(buffer, "Stopped", sizeof buffer);
        assert_string_equal(status_store_get(store, STATUS_PRIMARY)->status, "Running");
}

static void test_multibyte_status_is_stored_byte_for_byte(void **state) {
        StatusStore *store = *state;
        const char *text = "Pr\xc3\xbc" "fung \xe2\x82\xac \xf0\x9f\x98\x80";

        assert_non_null(status_store_set(store, STATUS_MAINTENANCE, text, 1));
        assert_memory_equal(status_store_get(store, STATUS_MAINTENANCE)->status, text, strlen(text) + 1);
}

/* valgrind --leak-check=full proves nothing is left; here the records must read as unset */
static void test_done_frees_every_record(void **state) {
        StatusStore store;

        status_store_init(&store);
        assert_non_null(status_store_set(&store, STATUS_PRIMARY, "a", 1));
        assert_non_null(status_store_set(&store, STATUS_PRIMARY, "b", 2));
        assert_non_null(status_store_set(&store, STATUS_MAINTENANCE, "c", 3));
        assert_non_null(status_store_set(&store, STATUS_AVAILABILITY, "Available", 4));
        status_store_done(&store);
        for (int i = 0; i < _STATUS_ID_MAX; i++) {
                assert_null(store.records[i].status);
                assert_null(status_store_get(&store, (StatusId) i));
        }
        /* a second done must not double free */
        status_store_done(&store);
}

static void test_now_ms_is_wall_clock_milliseconds(void **state) {
        uint64_t a = now_ms(), b = now_ms();

        /* later than 2020-09-13 and earlier than 2100: ms, not s or µs */
        assert_true(a > UINT64_C(1600000000000));
        assert_true(a < UINT64_C(4102444800000));
        assert_true(b >= a);
}

static void test_restore_keeps_the_other_copy_s_times(void **state) {
        StatusStore *store = *state;
        const StatusRecord *r = status_store_restore(store, STATUS_PRIMARY, "from harper", 1000, 2000);

        assert_non_null(r);
        assert_string_equal(r->status, "from harper");
        assert_int_equal(r->created_ms, 1000);
        assert_int_equal(r->updated_ms, 2000);
        /* a creation time after the update is not believed */
        r = status_store_restore(store, STATUS_MAINTENANCE, "odd", 5000, 3000);
        assert_int_equal(r->created_ms, 3000);
        assert_int_equal(r->updated_ms, 3000);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_new_store_has_no_records, store_setup, store_teardown),
                cmocka_unit_test_setup_teardown(test_set_then_get_returns_the_record, store_setup, store_teardown),
                cmocka_unit_test_setup_teardown(test_ids_are_stored_independently, store_setup, store_teardown),
                cmocka_unit_test_setup_teardown(test_overwrite_keeps_created_and_refreshes_updated, store_setup, store_teardown),
                cmocka_unit_test_setup_teardown(test_overwrite_with_the_same_value_still_refreshes_updated, store_setup, store_teardown),
                cmocka_unit_test_setup_teardown(test_clear_returns_true_then_false, store_setup, store_teardown),
                cmocka_unit_test_setup_teardown(test_clear_of_a_never_set_id_returns_false, store_setup, store_teardown),
                cmocka_unit_test_setup_teardown(test_set_after_clear_gets_fresh_created, store_setup, store_teardown),
                cmocka_unit_test_setup_teardown(test_list_of_empty_store_is_zero, store_setup, store_teardown),
                cmocka_unit_test_setup_teardown(test_list_after_clearing_everything_is_zero, store_setup, store_teardown),
                cmocka_unit_test(test_list_is_sorted_by_id_name_whatever_the_insertion_order),
                cmocka_unit_test_setup_teardown(test_list_holds_only_set_records, store_setup, store_teardown),
                cmocka_unit_test_setup_teardown(test_status_strings_are_copied, store_setup, store_teardown),
                cmocka_unit_test_setup_teardown(test_multibyte_status_is_stored_byte_for_byte, store_setup, store_teardown),
                cmocka_unit_test(test_done_frees_every_record),
                cmocka_unit_test(test_now_ms_is_wall_clock_milliseconds),
                cmocka_unit_test_setup_teardown(test_restore_keeps_the_other_copy_s_times, store_setup, store_teardown),
        };

        return cmocka_run_group_tests_name("status-store", tests, NULL, NULL);
}
