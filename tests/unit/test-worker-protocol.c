/* SPDX-License-Identifier: MIT */
/* harper-ops-http's identity frame, the first the listener sends a worker (exec'd as root):
 * what is encoded is read back, and nothing else is read as an identity, above all not -1,
 * which setresuid() and setgroups() would take as "leave it as it is" (root). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "worker-protocol.h"

static void test_identity_round_trip(void **state) {
        gid_t groups[] = { 1000, 27, 100 };
        Identity in = { .uid = 1000, .gid = 1000, .groups = groups, .n_groups = 3 }, out = {};
        void *data = NULL;
        uint32_t length;

        assert_int_equal(worker_identity_encode(&in, &data, &length), 0);
        assert_int_equal(length, 6 * sizeof(uint32_t));
        assert_int_equal(worker_identity_decode(data, length, &out), 0);
        assert_int_equal(out.uid, 1000);
        assert_int_equal(out.gid, 1000);
        assert_int_equal(out.n_groups, 3);
        assert_memory_equal(out.groups, groups, sizeof groups);
        assert_null(out.name);
        identity_done(&out);
        free(data);
}

static void test_identity_without_groups(void **state) {
        Identity in = { .uid = 0, .gid = 0 }, out = { .n_groups = 7 };
        void *data = NULL;
        uint32_t length;

        assert_int_equal(worker_identity_encode(&in, &data, &length), 0);
        assert_int_equal(worker_identity_decode(data, length, &out), 0);
        assert_int_equal(out.uid, 0);
        assert_int_equal(out.n_groups, 0);
        assert_non_null(out.groups);
        identity_done(&out);
        free(data);
}

static void test_identity_too_many_groups(void **state) {
        Identity in = { .uid = 1, .gid = 1, .groups = calloc(WORKER_MAX_GROUPS + 1, sizeof(gid_t)),
                        .n_groups = WORKER_MAX_GROUPS + 1 };
        void *data = NULL;
        uint32_t length;

        assert_int_equal(worker_identity_encode(&in, &data, &length), -E2BIG);
        in.n_groups = WORKER_MAX_GROUPS;   /* the most there are is fine */
        assert_int_equal(worker_identity_encode(&in, &data, &length), 0);
        assert_int_equal(length, WORKER_MAX_IDENTITY);
        free(data);
        free(in.groups);
}

static void assert_refused(const uint32_t *words, uint32_t length) {
        Identity out = {};

        assert_int_equal(worker_identity_decode(words, length, &out), -EBADMSG);
        assert_null(out.groups);
}

static void test_identity_refused(void **state) {
        uint32_t ok[] = { 1000, 1000, 1, 27 };
        uint32_t minus_one_uid[] = { UINT32_MAX, 1000, 0 };
        uint32_t minus_one_gid[] = { 1000, UINT32_MAX, 0 };
        uint32_t minus_one_group[] = { 1000, 1000, 1, UINT32_MAX };
        uint32_t too_many[] = { 1000, 1000, WORKER_MAX_GROUPS + 1 };
        Identity out = {};

        assert_int_equal(worker_identity_decode(ok, sizeof ok, &out), 0);
        identity_done(&out);
        assert_refused(ok, 0);
        assert_refused(ok, 2 * sizeof(uint32_t));        /* no group count */
        assert_refused(ok, 3 * sizeof(uint32_t));        /* one group said, none sent */
        assert_refused(ok, sizeof ok - 1);               /* cut mid-word */
        assert_refused(minus_one_uid, sizeof minus_one_uid);
        assert_refused(minus_one_gid, sizeof minus_one_gid);
        assert_refused(minus_one_group, sizeof minus_one_group);
        assert_refused(too_many, sizeof too_many);
}

static void test_identity_longer_than_said(void **state) {
        uint32_t words[] = { 1000, 1000, 0, 27 };

        assert_refused(words, sizeof words);   /* a group more than its count */
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_identity_round_trip),
                cmocka_unit_test(test_identity_without_groups),
                cmocka_unit_test(test_identity_too_many_groups),
                cmocka_unit_test(test_identity_refused),
                cmocka_unit_test(test_identity_longer_than_said),
        };

        return cmocka_run_group_tests_name("worker-protocol", tests, NULL, NULL);
}
