/* SPDX-License-Identifier: MIT */
/* Harper's answers: the HTTP status and body bytes become Harper's JSON, or an error code and
 * one sentence that says what went wrong (Harper's own error text when it gave one). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harper-reply.h"

/* Parses text answered with http_status for operation; returns the result, fills the rest. */
static int parse(const char *text, long http_status, json_object **reply, char **error) {
        HarperAnswer a = { 0 };
        int r;

        assert_int_equal(harper_answer_append(&a, text, strlen(text)), 0);
        r = harper_answer_parse(&a, "restart_service", http_status, reply, error);
        harper_answer_done(&a);
        return r;
}

/* text answered with http_status gives the code want_code and the sentence want. */
static void assert_error(const char *text, long http_status, int want_code, const char *want) {
        json_object *reply = NULL;
        char *error = NULL;

        assert_int_equal(parse(text, http_status, &reply, &error), want_code);
        assert_null(reply);
        assert_string_equal(error, want);
        free(error);
}

static void test_ok_json_object(void **state) {
        json_object *reply = NULL, *message;
        char *error = NULL;

        assert_int_equal(parse("{\"message\":\"Restarting http_workers\",\"job_id\":\"x\"}\n", 200, &reply, &error), 0);
        assert_null(error);
        assert_true(json_object_object_get_ex(reply, "message", &message));
        assert_string_equal(json_object_get_string(message), "Restarting http_workers");
        json_object_put(reply);
}

static void test_ok_json_array(void **state) {
        json_object *reply = NULL;
        char *error = NULL;

        /* get_job answers a list */
        assert_int_equal(parse("[{\"id\":\"x\",\"status\":\"COMPLETE\"}]", 200, &reply, &error), 0);
        assert_true(json_object_is_type(reply, json_type_array));
        json_object_put(reply);
}

static void test_ok_but_not_json(void **state) {
        assert_error("<html>hello</html>", 200, -EBADMSG, "Harper's answer is not JSON.");
        assert_error("{\"a\":1} trailing", 200, -EBADMSG, "Harper's answer is not JSON.");
}

static void test_truncated_json(void **state) {
        assert_error("{\"message\":\"Restar", 200, -EBADMSG, "Harper's answer is not JSON.");
        assert_error("[1,2", 200, -EBADMSG, "Harper's answer is not JSON.");
}

static void test_empty_body(void **state) {
        assert_error("", 200, -EBADMSG, "Harper's answer is empty.");
        assert_error("", 500, HARPER_ERROR_REFUSED, "Harper could not carry out restart_service with HTTP 500.");
}

static void test_not_an_object(void **state) {
        assert_error("42", 200, -EBADMSG, "Harper's answer is not a JSON object or array.");
        assert_error("\"text\"", 200, -EBADMSG, "Harper's answer is not a JSON object or array.");
        assert_error("null", 200, -EBADMSG, "Harper's answer is not a JSON object or array.");
}

static void test_bad_request_with_error(void **state) {
        assert_error("{\"error\":\"Invalid service\"}", 400, HARPER_ERROR_REFUSED,
                     "Harper refused restart_service: Invalid service (HTTP 400).");
}

static void test_server_error_with_message(void **state) {
        assert_error("{\"message\":\"database is gone\"}", 500, HARPER_ERROR_REFUSED,
                     "Harper could not carry out restart_service: database is gone (HTTP 500).");
}

static void test_unauthorized(void **state) {
        assert_error("{\"error\":\"Must login\"}", 401, HARPER_ERROR_REFUSED,
                     "Harper refused restart_service: Must login (HTTP 401).");
        assert_error("Unauthorized", 401, HARPER_ERROR_REFUSED,
                     "Harper refused restart_service: Unauthorized (HTTP 401).");
}

static void test_error_without_text(void **state) {
        assert_error("{\"code\":7}", 403, HARPER_ERROR_REFUSED, "Harper refused restart_service with HTTP 403.");
        assert_error("line one\nline two", 502, HARPER_ERROR_REFUSED,
                     "Harper could not carry out restart_service with HTTP 502.");
        assert_error("", 302, -EPROTO, "Harper answered restart_service with HTTP 302.");
}

static void test_error_that_is_not_a_string(void **state) {
        assert_error("{\"error\":{\"why\":\"x\"}}", 400, HARPER_ERROR_REFUSED,
                     "Harper refused restart_service: {\"why\":\"x\"} (HTTP 400).");
}

static void test_oversize(void **state) {
        HarperAnswer a = { .max = 8 };
        json_object *reply = NULL;
        char *error = NULL;

        assert_int_equal(harper_answer_append(&a, "{\"a\":", 5), 0);
        assert_int_equal(harper_answer_append(&a, "123}", 4), -EFBIG);
        assert_int_equal(harper_answer_append(&a, "}", 1), -EFBIG);   /* stays refused */
        assert_int_equal(a.size, 5);
        assert_int_equal(harper_answer_parse(&a, "system_information", 200, &reply, &error), -EFBIG);
        assert_string_equal(error, "Harper's answer to system_information is larger than 8 bytes.");
        free(error);
        harper_answer_done(&a);
}

static void test_oversize_default_bound(void **state) {
        HarperAnswer a = { .too_large = true };
        json_object *reply = NULL;
        char *error = NULL;

        assert_int_equal(harper_answer_parse(&a, NULL, 200, &reply, &error), -EFBIG);
        assert_string_equal(error, "Harper's answer to the request is larger than 16 MiB.");
        free(error);
}

static void test_embedded_nul_is_not_json(void **state) {
        HarperAnswer a = { 0 };
        json_object *reply = NULL;
        char *error = NULL;

        assert_int_equal(harper_answer_append(&a, "{}\0{}", 5), 0);
        assert_int_equal(harper_answer_parse(&a, NULL, 200, &reply, &error), -EBADMSG);
        assert_string_equal(error, "Harper's answer is not JSON.");
        free(error);
        harper_answer_done(&a);
}

static void test_durations(void **state) {
        char buf[32];

        harper_format_duration(buf, sizeof(buf), 10 * 1000000ULL);
        assert_string_equal(buf, "10 s");
        harper_format_duration(buf, sizeof(buf), 200 * 1000ULL);
        assert_string_equal(buf, "200 ms");
        harper_format_duration(buf, sizeof(buf), 1500 * 1000ULL);
        assert_string_equal(buf, "1500 ms");
}

/* The status mirror retries what could not reach Harper, never what Harper refused: the code
 * tells them apart, whatever the sentence says. */
static void test_refusals_are_told_from_unreachable(void **state) {
        json_object *reply = NULL;
        char *error = NULL;

        assert_true(harper_error_is_refusal(parse("{\"error\":\"Invalid status\"}", 400, &reply, &error)));
        free(error);
        assert_true(harper_error_is_refusal(parse("", 500, &reply, &error)));
        free(error);
        /* Harper's own text may say anything, "Harper refused" included: the status decides */
        assert_false(harper_error_is_refusal(parse("Harper refused x (HTTP 400).", 200, &reply, &error)));
        free(error);
        assert_false(harper_error_is_refusal(parse("", 302, &reply, &error)));
        free(error);
        assert_false(harper_error_is_refusal(-ECONNREFUSED));
        assert_false(harper_error_is_refusal(-ETIMEDOUT));
        assert_false(harper_error_is_refusal(-EBADMSG));
        assert_false(harper_error_is_refusal(-ENOMEM));
        assert_false(harper_error_is_refusal(0));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ok_json_object),
                cmocka_unit_test(test_ok_json_array),
                cmocka_unit_test(test_ok_but_not_json),
                cmocka_unit_test(test_truncated_json),
                cmocka_unit_test(test_empty_body),
                cmocka_unit_test(test_not_an_object),
                cmocka_unit_test(test_bad_request_with_error),
                cmocka_unit_test(test_server_error_with_message),
                cmocka_unit_test(test_unauthorized),
                cmocka_unit_test(test_error_without_text),
                cmocka_unit_test(test_error_that_is_not_a_string),
                cmocka_unit_test(test_oversize),
                cmocka_unit_test(test_oversize_default_bound),
                cmocka_unit_test(test_embedded_nul_is_not_json),
                cmocka_unit_test(test_durations),
                cmocka_unit_test(test_refusals_are_told_from_unreachable),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
