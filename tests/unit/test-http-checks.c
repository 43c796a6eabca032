/* harper-ops-http's checks that need no server: the checks of a request's head (framing,
 * target, origin, host, method, size). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "request-head.h"

/* A POST to / unless said otherwise. */
static RequestHead post(RequestHead head) {
        head.method = head.method ?: "POST";
        head.target = head.target ?: "/";
        return head;
}
#define HEAD(...) post((RequestHead) { __VA_ARGS__ })

static unsigned check(RequestHead head, bool *close) {
        const char *json = NULL;
        unsigned status = request_head_check(&head, 65536, &json, close);

        assert_true(status == 0 ? json == NULL : json != NULL);
        return status;
}

static void test_framing_must_be_plain(void **state) {
        bool close;

        assert_int_equal(check(HEAD(.content_length = "26", .n_content_length = 1, .transfer_encoding = "chunked",
                                    .n_transfer_encoding = 1), &close), 400);
        assert_true(close);
        assert_int_equal(check(HEAD(.content_length = "26", .n_content_length = 2), &close), 400);
        assert_true(close);
        assert_int_equal(check(HEAD(.transfer_encoding = "chunked", .n_transfer_encoding = 2), &close), 400);
        assert_int_equal(check(HEAD(.transfer_encoding = "gzip", .n_transfer_encoding = 1), &close), 400);
        assert_int_equal(check(HEAD(.transfer_encoding = "gzip, chunked", .n_transfer_encoding = 1), &close), 400);
        /* before the other checks, which would leave the body to be read */
        assert_int_equal(check(HEAD(.origin = "https://evil.example", .content_length = "1", .n_content_length = 1,
                                    .transfer_encoding = "chunked", .n_transfer_encoding = 1), &close), 400);
        assert_true(close);
        assert_int_equal(check(HEAD(.transfer_encoding = "Chunked", .n_transfer_encoding = 1), &close), 0);
        assert_false(close);
        assert_int_equal(check(HEAD(.content_length = "26", .n_content_length = 1), &close), 0);
        assert_int_equal(check(HEAD(), &close), 0);
}

static void test_target_must_be_exactly_root(void **state) {
        bool close;

        assert_int_equal(check(HEAD(.target = "/?a=b"), &close), 404);
        assert_int_equal(check(HEAD(.target = "/?"), &close), 404);
        assert_int_equal(check(HEAD(.target = "/other"), &close), 404);
        assert_int_equal(check(HEAD(.target = "http://localhost/"), &close), 404);
        assert_int_equal(check((RequestHead) { .method = "POST" }, &close), 404);
        assert_false(close);
}

static void test_other_refusals(void **state) {
        bool close;

        assert_int_equal(check(HEAD(.origin = "http://localhost"), &close), 403);
        assert_int_equal(check(HEAD(.tcp = true, .host = "evil.example:9925"), &close), 400);
        assert_false(close);
        assert_int_equal(check(HEAD(.tcp = true, .host = "localhost:9925"), &close), 0);
        assert_int_equal(check(HEAD(.tcp = true, .host = "localhost:"), &close), 400);
        assert_int_equal(check(HEAD(.tcp = false, .host = "evil.example"), &close), 0);
        assert_int_equal(check(HEAD(.method = "GET"), &close), 405);
        assert_int_equal(check(HEAD(.content_length = "65537", .n_content_length = 1), &close), 413);
        assert_int_equal(check(HEAD(.content_length = "65536", .n_content_length = 1), &close), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_framing_must_be_plain),
                cmocka_unit_test(test_target_must_be_exactly_root),
                cmocka_unit_test(test_other_refusals),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
