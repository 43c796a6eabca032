/* SPDX-License-Identifier: MIT */
/* The service's own error names map to errno values (sysops-errors.h): a client's sd_bus_call()
 * returns the mapped code, the name and message arrive unchanged, and errno values still map to
 * sd-bus's standard names (the daemon's replies do not change). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sysops-errors.h"
#include "sysops-names.h"
#include "test-bus-pair.h"

static const struct {
        const char *name;
        int code;
} expected[] = {
        { SYSOPS_ERROR_NO_SUCH_STATUS, ENOENT },
        { SYSOPS_ERROR_NO_SUCH_JOB, ENOENT },
        { SYSOPS_ERROR_AUTHORIZATION_CANCELLED, ECANCELED },
        { SYSOPS_ERROR_AUTHORIZATION_UNAVAILABLE, EHOSTUNREACH },
        { SYSOPS_ERROR_ALREADY_RUNNING, EALREADY },
        { SYSOPS_ERROR_JOB_FAILED, EREMOTEIO },
        { SYSOPS_ERROR_BAD_CONFIGURATION, ENOEXEC },
        { SYSOPS_ERROR_STATUSES_UNKNOWN, EAGAIN },
};

#define N_EXPECTED (sizeof expected / sizeof expected[0])

/* Before the map is added (the first test), every name of ours is just EIO to sd-bus. */
static void test_unmapped_names_are_eio(void **state) {
        for (size_t i = 0; i < N_EXPECTED; i++) {
                sd_bus_error e = SD_BUS_ERROR_NULL;

                assert_int_equal(sd_bus_error_set(&e, expected[i].name, "x"), -EIO);
                assert_int_equal(sd_bus_error_get_errno(&e), EIO);
                sd_bus_error_free(&e);
        }
}

static void test_each_name_gives_its_errno(void **state) {
        size_t n = 0;

        assert_true(sd_bus_error_add_map(sysops_error_map) >= 0);
        assert_int_equal(sd_bus_error_add_map(sysops_error_map), 0);   /* once is enough; twice is harmless */
        for (size_t i = 0; i < N_EXPECTED; i++) {
                sd_bus_error e = SD_BUS_ERROR_NULL;

                assert_int_equal(sd_bus_error_set(&e, expected[i].name, "message"), -expected[i].code);
                assert_int_equal(sd_bus_error_get_errno(&e), expected[i].code);
                assert_string_equal(e.name, expected[i].name);
                assert_string_equal(e.message, "message");
                sd_bus_error_free(&e);
        }
        /* every name of the map is checked above, and nothing else is in it */
        for (const sd_bus_error_map *m = sysops_error_map; m->name; m++, n++) {
                bool found = false;
                for (size_t i = 0; i < N_EXPECTED; i++)
                        found = found || strcmp(m->name, expected[i].name) == 0;
                assert_true(found);
        }
        assert_int_equal(n, N_EXPECTED);
}

/* The daemon's errno replies keep sd-bus's standard names: the map goes one way only. */
static void test_errno_still_gives_standard_names(void **state) {
        sd_bus_error e = SD_BUS_ERROR_NULL;

        assert_int_equal(sd_bus_error_set_errno(&e, ENOENT), -ENOENT);
        assert_string_equal(e.name, SD_BUS_ERROR_FILE_NOT_FOUND);
        sd_bus_error_free(&e);
        assert_int_equal(sd_bus_error_set_errno(&e, ECANCELED), -ECANCELED);
        assert_string_not_equal(e.name, SYSOPS_ERROR_AUTHORIZATION_CANCELLED);
        sd_bus_error_free(&e);
}

static int method_fail(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *name;

        assert_true(sd_bus_message_read(m, "s", &name) > 0);
        return sd_bus_reply_method_errorf(m, name, "It went wrong: %s.", name);
}

static const sd_bus_vtable test_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("Fail", "s", "", method_fail, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

typedef struct Answer {
        unsigned calls;
        int code;
        char *name, *message;
} Answer;

static int on_answer(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Answer *a = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        a->calls++;
        a->code = sd_bus_message_get_errno(reply);
        a->name = e ? strdup(e->name) : NULL;
        a->message = e ? strdup(e->message) : NULL;
        return 0;
}

/* Over a connection, as a client sees it: the reply's errno, name and message. */
static void test_client_gets_the_errno_name_and_message(void **state) {
        BusPair p = { 0 };

        bus_pair_open(&p);
        assert_true(sd_bus_error_add_map(sysops_error_map) >= 0);
        assert_true(sd_bus_add_object_vtable(p.daemon, NULL, SYSOPS_OBJECT_PATH, SYSOPS_INTERFACE, test_vtable,
                                             NULL) >= 0);
        for (size_t i = 0; i < N_EXPECTED; i++) {
                Answer a = { 0 };
                char *want = NULL;

                assert_true(sd_bus_call_method_async(p.peer, NULL, SYSOPS_BUS_NAME, SYSOPS_OBJECT_PATH,
                                                     SYSOPS_INTERFACE, "Fail", on_answer, &a, "s",
                                                     expected[i].name) >= 0);
                bus_pair_run_until(&p, &a.calls, 1, 2000);
                assert_int_equal(a.calls, 1);
                assert_int_equal(a.code, expected[i].code);
                assert_string_equal(a.name, expected[i].name);
                assert_true(asprintf(&want, "It went wrong: %s.", expected[i].name) > 0);
                assert_string_equal(a.message, want);
                free(want);
                free(a.name);
                free(a.message);
        }
        bus_pair_close(&p);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_unmapped_names_are_eio),
                cmocka_unit_test(test_each_name_gives_its_errno),
                cmocka_unit_test(test_errno_still_gives_standard_names),
                cmocka_unit_test(test_client_gets_the_errno_name_and_message),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
