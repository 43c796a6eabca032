/* SPDX-License-Identifier: MIT */
/* harper-ops without a bus: Harper's body checks (harper-behaviour.md §1 step 1), the 403
 * permission object (§1 step 4), bus error mapping, exit statuses and the exact JSON text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harper-request.h"
#include "harper-response.h"

#define BODY_INVALID_JSON "{\"error\":\"Invalid JSON.\"}"
#define BODY_NO_OPERATION "{\"error\":\"Request body must include an 'operation' property.\"}"
#define BODY_FORBIDDEN_SET_STATUS                                                               \
        "{\"error\":\"This operation is not authorized due to role restrictions and/or invalid database items\"," \
        "\"unauthorized_access\":[\"Operation 'setStatus' is restricted to 'super_user' roles\"]," \
        "\"invalid_schema_items\":[]}"

/* Parses length bytes of text and expects Harper's 400 with the given body. A macro so a
 * failure names the input's line. */
#define assert_parse_fails(text, length, expected_body) do {                    \
                json_object *_req = NULL;                                       \
                Response _err = {};                                             \
                assert_int_equal(request_parse((text), (length), &_req, &_err), -1); \
                assert_null(_req);                                              \
                assert_int_equal(_err.outcome, OUTCOME_BAD_REQUEST);            \
                assert_string_equal(response_body_text(&_err, 0), (expected_body)); \
                response_done(&_err);                                           \
        } while (0)

#define assert_parse_fails_str(text, expected_body) \
        assert_parse_fails((text), strlen(text), (expected_body))

/* Parses text, expects success and returns the request (caller puts it). */
static json_object *parse_ok(const char *text, size_t length) {
        json_object *request = NULL;
        Response error = {};

        if (request_parse(text, length, &request, &error) < 0) {
                fail_msg("rejected \"%s\": %s", text, response_body_text(&error, 0));
                response_done(&error);
        }
        assert_non_null(request);
        assert_null(error.body);
        return request;
}

static json_object *parse_value(const char *text) {
        json_object *value = json_tokener_parse(text);

        /* "null" parses to NULL, which is json-c's null */
        if (strcmp(text, "null") != 0)
                assert_non_null(value);
        return value;
}

static void test_parse_rejects_what_is_not_a_json_object_as_invalid_json(void **state) {
        assert_parse_fails("", 0, BODY_INVALID_JSON);
        assert_parse_fails_str("xx", BODY_INVALID_JSON);
        assert_parse_fails_str("[1]", BODY_INVALID_JSON);
        assert_parse_fails_str("[]", BODY_INVALID_JSON);
        assert_parse_fails_str("\"str\"", BODY_INVALID_JSON);
        assert_parse_fails_str("null", BODY_INVALID_JSON);
        assert_parse_fails_str("true", BODY_INVALID_JSON);
        assert_parse_fails_str("5", BODY_INVALID_JSON);
        assert_parse_fails_str("   \n", BODY_INVALID_JSON);
}

/* Harper treats an empty object like a missing body */
static void test_parse_rejects_empty_object_as_invalid_json(void **state) {
        assert_parse_fails_str("{}", BODY_INVALID_JSON);
        assert_parse_fails_str(" { } \n", BODY_INVALID_JSON);
}

static void test_parse_rejects_trailing_garbage(void **state) {
        assert_parse_fails_str("{\"operation\":\"a\"} x", BODY_INVALID_JSON);
        assert_parse_fails_str("{\"operation\":\"a\"}{}", BODY_INVALID_JSON);
        assert_parse_fails_str("{\"operation\":\"a\"}\n,", BODY_INVALID_JSON);
        /* json-c alone lets overlong forms, surrogates and leads past U+10FFFF through */
        assert_parse_fails_str("{\"operation\":\"a\xc0\xaf\"}", BODY_INVALID_JSON);
        assert_parse_fails_str("{\"operation\":\"a\xed\xa0\x80\"}", BODY_INVALID_JSON);
        assert_parse_fails_str("{\"operation\":\"a\xf5\x80\x80\x80\"}", BODY_INVALID_JSON);
}

static void test_parse_rejects_malformed_json(void **state) {
        assert_parse_fails_str("{\"operation\":\"a\"", BODY_INVALID_JSON);
        assert_parse_fails_str("{\"operation\":\"a\",}", BODY_INVALID_JSON);
        assert_parse_fails_str("{'operation':'a'}", BODY_INVALID_JSON);
        assert_parse_fails_str("{operation:\"a\"}", BODY_INVALID_JSON);
}

/* json-c's VALIDATE_UTF8 checks the byte pattern only; overlongs, surrogates and F5..F7
 * leads get through request_parse (see the report), so only pattern errors are tested. */
static void test_parse_rejects_invalid_utf8_in_a_string(void **state) {
        assert_parse_fails_str("{\"operation\":\"set_status\",\"status\":\"\xff\"}", BODY_INVALID_JSON);
        assert_parse_fails_str("{\"operation\":\"a\x80\"}", BODY_INVALID_JSON);
        assert_parse_fails_str("{\"operation\":\"a\xc3\"}", BODY_INVALID_JSON);
        assert_parse_fails_str("{\"op\x80\":\"a\",\"operation\":\"a\"}", BODY_INVALID_JSON);
        assert_parse_fails_str("{\"operation\":\"a\"}\xff", BODY_INVALID_JSON);
}

/* Harper (JSON.parse) takes any valid UTF-8 in strings, keys included; json-c 0.18's strict
 * mode alone refused every byte above 0x7f (see harper-request.c) */
static void test_parse_accepts_non_ascii_in_strings(void **state) {
        static const struct {
                const char *text, *key, *value;
        } cases[] = {
                { "{\"operation\":\"set_status\",\"status\":\"\xc3\xa9\"}", "status", "\xc3\xa9" },
                { "{\"operation\":\"a\",\"s\":\"\xe2\x82\xac \xf0\x9f\x98\x80 \xef\xbf\xbf\"}", "s",
                  "\xe2\x82\xac \xf0\x9f\x98\x80 \xef\xbf\xbf" },
                { "{\"operation\":\"a\",\"k\xc3\xa9\":\"v\"}", "k\xc3\xa9", "v" },
                /* an escaped backslash, then a character: still in the string */
                { "{\"operation\":\"a\",\"s\":\"\\\\\xc3\xa9\\\"\xc3\xa9\"}", "s", "\\\xc3\xa9\"\xc3\xa9" },
                { "{\"operation\":\"a\",\"s\":\"\\u00e9\xc3\xa9\"}", "s", "\xc3\xa9\xc3\xa9" },
        };

        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                json_object *request = parse_ok(cases[i].text, strlen(cases[i].text)), *value;

                assert_true(json_object_object_get_ex(request, cases[i].key, &value));
                assert_string_equal(json_object_get_string(value), cases[i].value);
                json_object_put(request);
        }
}

/* what JSON.parse refuses, refused whatever json-c's version: raw control characters in a
 * string (json-c 0.16 takes them), a character that is not an escape after a backslash, and
 * non-ASCII outside strings */
static void test_parse_rejects_control_characters_and_bad_non_ascii(void **state) {
        assert_parse_fails_str("{\"operation\":\"a\tb\"}", BODY_INVALID_JSON);
        assert_parse_fails_str("{\"operation\":\"\xc3\xa9\x01\"}", BODY_INVALID_JSON);
        assert_parse_fails_str("{\"operation\":\"a\",\"s\":\"\\\xc3\xa9\"}", BODY_INVALID_JSON);
        assert_parse_fails_str("{\"operation\":\"a\"\xc2\xa0}", BODY_INVALID_JSON);
        assert_parse_fails_str("{\"operation\":\"a\",\"n\":1\xc3\xa9}", BODY_INVALID_JSON);
        assert_parse_fails_str("{\"operation\":\"\xc3\xa9}", BODY_INVALID_JSON);
}

static void test_parse_requires_an_operation(void **state) {
        assert_parse_fails_str("{\"id\":\"primary\"}", BODY_NO_OPERATION);
        assert_parse_fails_str("{\"Operation\":\"get_status\"}", BODY_NO_OPERATION);
}

static void test_parse_treats_null_operation_as_missing(void **state) {
        assert_parse_fails_str("{\"operation\":null}", BODY_NO_OPERATION);
        assert_parse_fails_str("{\"operation\":null,\"id\":\"primary\"}", BODY_NO_OPERATION);
}

static void test_parse_accepts_trailing_white_space(void **state) {
        const char *texts[] = {
                "{\"operation\":\"get_status\"}\n",
                "{\"operation\":\"get_status\"}\r\n",
                " \t{\"operation\":\"get_status\"} \t\n\n",
        };

        for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
                json_object *request = parse_ok(texts[i], strlen(texts[i]));

                assert_string_equal(request_operation_name(request), "get_status");
                json_object_put(request);
        }
}

static void test_parse_reads_only_the_given_length(void **state) {
        const char *text = "{\"operation\":\"a\"}garbage";
        json_object *request = parse_ok(text, strlen("{\"operation\":\"a\"}"));

        assert_string_equal(request_operation_name(request), "a");
        json_object_put(request);
}

/* An empty name is not caught by the body check: Harper answers "Operation '' not found" later. */
static void test_parse_lets_an_empty_operation_through(void **state) {
        json_object *request = parse_ok("{\"operation\":\"\"}", strlen("{\"operation\":\"\"}"));

        assert_string_equal(request_operation_name(request), "");
        json_object_put(request);
}

static void test_operation_name_of_non_string_is_its_json_text(void **state) {
        json_object *request = parse_ok("{\"operation\":5}", strlen("{\"operation\":5}"));

        assert_string_equal(request_operation_name(request), "5");
        json_object_put(request);

        /* false is not undefined/null, so it passes the body check too */
        request = parse_ok("{\"operation\":false}", strlen("{\"operation\":false}"));
        assert_string_equal(request_operation_name(request), "false");
        json_object_put(request);
}

static void test_request_field_tells_absent_from_null(void **state) {
        const char *text = "{\"operation\":\"get_status\",\"id\":null,\"status\":\"Running\"}";
        json_object *request = parse_ok(text, strlen(text)), *value;
        int present = -1;

        value = request_field(request, "id", &present);
        assert_true(present);
        assert_null(value);

        value = request_field(request, "status", &present);
        assert_true(present);
        assert_string_equal(json_object_get_string(value), "Running");

        value = request_field(request, "attributes", &present);
        assert_false(present);
        assert_null(value);
        json_object_put(request);
}

static void test_json_is_falsy_follows_javascript(void **state) {
        const char *falsy[] = { "null", "false", "0", "-0", "0.0", "\"\"" };
        const char *truthy[] = { "\"x\"", "\"0\"", "\"false\"", "1", "-1", "0.5", "true", "{}", "[]", "[0]" };

        for (size_t i = 0; i < sizeof falsy / sizeof falsy[0]; i++) {
                json_object *v = parse_value(falsy[i]);
                if (!json_is_falsy(v))
                        fail_msg("%s should be falsy", falsy[i]);
                json_object_put(v);
        }
        for (size_t i = 0; i < sizeof truthy / sizeof truthy[0]; i++) {
                json_object *v = parse_value(truthy[i]);
                if (json_is_falsy(v))
                        fail_msg("%s should be truthy", truthy[i]);
                json_object_put(v);
        }
}

static void test_forbidden_body_is_harpers_permission_object(void **state) {
        Response r = response_forbidden(OUTCOME_DENIED, "setStatus");

        assert_int_equal(r.outcome, OUTCOME_DENIED);
        assert_string_equal(response_body_text(&r, 0), BODY_FORBIDDEN_SET_STATUS);
        response_done(&r);
        assert_null(r.body);
}

static void test_forbidden_names_the_given_function(void **state) {
        Response r = response_forbidden(OUTCOME_AUTH_REQUIRED, "systemInformation");

        assert_int_equal(r.outcome, OUTCOME_AUTH_REQUIRED);
        assert_non_null(strstr(response_body_text(&r, 0),
                               "\"unauthorized_access\":[\"Operation 'systemInformation' is restricted to 'super_user' roles\"]"));
        response_done(&r);
}

#define assert_bus_error_maps(name, message, outcome_, body) do {               \
                Response _r = response_from_bus_error((name), (message), "setStatus"); \
                assert_int_equal(_r.outcome, (outcome_));                       \
                assert_string_equal(response_body_text(&_r, 0), (body));        \
                response_done(&_r);                                             \
        } while (0)

static void test_bus_invalid_args_is_400_with_the_message(void **state) {
        assert_bus_error_maps("org.freedesktop.DBus.Error.InvalidArgs",
                              "Status \"availability\" only accepts these values: Available, Unavailable",
                              OUTCOME_BAD_REQUEST,
                              "{\"error\":\"Status \\\"availability\\\" only accepts these values: Available, Unavailable\"}");
        assert_bus_error_maps("org.freedesktop.DBus.Error.InvalidArgs",
                              "'id' must be one of [primary, maintenance, availability]",
                              OUTCOME_BAD_REQUEST,
                              "{\"error\":\"'id' must be one of [primary, maintenance, availability]\"}");
}

static void test_bus_access_denied_is_403_denied(void **state) {
        assert_bus_error_maps("org.freedesktop.DBus.Error.AccessDenied", "Permission denied",
                              OUTCOME_DENIED, BODY_FORBIDDEN_SET_STATUS);
}

static void test_bus_interactive_authorization_required_is_403_auth_required(void **state) {
        assert_bus_error_maps("org.freedesktop.DBus.Error.InteractiveAuthorizationRequired",
                              "Interactive authentication required.",
                              OUTCOME_AUTH_REQUIRED, BODY_FORBIDDEN_SET_STATUS);
}

static void test_bus_authorization_cancelled_is_403_denied(void **state) {
        assert_bus_error_maps("io.harperdb.SystemOperations1.Error.AuthorizationCancelled",
                              "Authorization request cancelled",
                              OUTCOME_DENIED, BODY_FORBIDDEN_SET_STATUS);
}

/* polkit did not answer: not Harper's refusal, but 503 with the daemon's sentence */
static void test_bus_authorization_unavailable_is_503(void **state) {
        assert_bus_error_maps("io.harperdb.SystemOperations1.Error.AuthorizationUnavailable",
                              "Authorization not possible: polkit did not answer within 20 s. Nothing was changed; "
                              "trying again later is fine.",
                              OUTCOME_UNAVAILABLE,
                              "{\"error\":\"Authorization not possible: polkit did not answer within 20 s. Nothing "
                              "was changed; trying again later is fine.\"}");
}

static void test_bus_daemon_not_running_is_500(void **state) {
        const char *body = "{\"error\":\"harper-sysopsd is not running: "
                "io.harperdb.SystemOperations1 is not on the system bus\"}";

        assert_bus_error_maps("org.freedesktop.DBus.Error.ServiceUnknown",
                              "The name io.harperdb.SystemOperations1 was not provided by any .service files",
                              OUTCOME_INTERNAL_ERROR, body);
        assert_bus_error_maps("org.freedesktop.DBus.Error.NameHasNoOwner", "no owner",
                              OUTCOME_INTERNAL_ERROR, body);
}

static void test_bus_unknown_error_is_500_with_its_message(void **state) {
        assert_bus_error_maps("org.freedesktop.DBus.Error.NoReply", "Method call timed out",
                              OUTCOME_INTERNAL_ERROR, "{\"error\":\"Method call timed out\"}");
        /* without a message the error name is all there is to show */
        assert_bus_error_maps("org.example.Weird", "", OUTCOME_INTERNAL_ERROR,
                              "{\"error\":\"org.example.Weird\"}");
        assert_bus_error_maps("org.example.Weird", NULL, OUTCOME_INTERNAL_ERROR,
                              "{\"error\":\"org.example.Weird\"}");
}

static void test_bus_already_running_is_409_with_the_message(void **state) {
        assert_bus_error_maps("io.harperdb.SystemOperations1.Error.AlreadyRunning",
                              "A restart of http_workers is already in progress (job x).", OUTCOME_CONFLICT,
                              "{\"error\":\"A restart of http_workers is already in progress (job x).\"}");
}

static void test_bus_limits_exceeded_is_429_with_the_message(void **state) {
        assert_bus_error_maps("org.freedesktop.DBus.Error.LimitsExceeded",
                              "Too many calls from this user; try again in a few seconds.", OUTCOME_LIMITS_EXCEEDED,
                              "{\"error\":\"Too many calls from this user; try again in a few seconds.\"}");
}

static void test_bus_statuses_unknown_is_503_with_the_message(void **state) {
        assert_bus_error_maps("io.harperdb.SystemOperations1.Error.StatusesUnknown", "not known yet.",
                              OUTCOME_STATUSES_UNKNOWN, "{\"error\":\"not known yet.\"}");
}

/* get_job's record: Harper's field names in the documented (sorted) order */
static void test_job_record_json_text(void **state) {
        Response r = response_ok(job_record_to_json("j1", "restart_service", "COMPLETE", "Successfully completed job: j1",
                                                    "", "root", 1000, 1001, 1002));

        assert_string_equal(response_body_text(&r, 0),
                            "{\"created_datetime\":1000,\"end_datetime\":1002,\"id\":\"j1\","
                            "\"message\":\"Successfully completed job: j1\",\"start_datetime\":1001,"
                            "\"status\":\"COMPLETE\",\"type\":\"restart_service\",\"user\":\"root\"}");
        response_done(&r);
}

static void test_job_record_of_a_running_job_has_nulls_and_a_result_is_json(void **state) {
        Response r = response_ok(job_record_to_json("j2", "restart", "CREATED", "", "", "hsops-admin", 1000, 0, 0));

        assert_string_equal(response_body_text(&r, 0),
                            "{\"created_datetime\":1000,\"end_datetime\":null,\"id\":\"j2\",\"message\":null,"
                            "\"start_datetime\":null,\"status\":\"CREATED\",\"type\":\"restart\",\"user\":\"hsops-admin\"}");
        response_done(&r);
        r = response_ok(job_record_to_json("j3", "restart_service", "COMPLETE", "m", "{\"replicated\":[]}", "root", 1,
                                           2, 3));
        assert_string_equal(response_body_text(&r, 0),
                            "{\"created_datetime\":1,\"end_datetime\":3,\"id\":\"j3\",\"message\":\"m\","
                            "\"result\":{\"replicated\":[]},\"start_datetime\":2,\"status\":\"COMPLETE\","
                            "\"type\":\"restart_service\",\"user\":\"root\"}");
        response_done(&r);
}

static void test_outcomes_map_to_http_and_exit_statuses(void **state) {
        static const struct {
                Outcome outcome;
                int http, exit;
        } cases[] = {
                { OUTCOME_OK, 200, 0 },
                { OUTCOME_BAD_REQUEST, 400, 2 },
                { OUTCOME_DENIED, 403, 3 },
                { OUTCOME_AUTH_REQUIRED, 403, 4 },
                { OUTCOME_INTERNAL_ERROR, 500, 1 },
                { OUTCOME_CONFLICT, 409, 6 },
                { OUTCOME_JOB_ERROR, 200, 5 },
                { OUTCOME_UNAVAILABLE, 503, 7 },
                { OUTCOME_LIMITS_EXCEEDED, 429, 9 },
                { OUTCOME_STATUSES_UNKNOWN, 503, 8 },
        };

        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                assert_int_equal(outcome_http_status(cases[i].outcome), cases[i].http);
                assert_int_equal(outcome_exit_status(cases[i].outcome), cases[i].exit);
        }
        /* the named constants are the documented numbers */
        assert_int_equal(EXIT_OK, 0);
        assert_int_equal(EXIT_INTERNAL_ERROR, 1);
        assert_int_equal(EXIT_BAD_REQUEST, 2);
        assert_int_equal(EXIT_DENIED, 3);
        assert_int_equal(EXIT_AUTH_REQUIRED, 4);
        assert_int_equal(EXIT_JOB_ERROR, 5);
        assert_int_equal(EXIT_CONFLICT, 6);
        assert_int_equal(EXIT_UNAVAILABLE, 7);
        assert_int_equal(EXIT_LIMITS_EXCEEDED, 9);
        assert_int_equal(EXIT_STATUSES_UNKNOWN, 8);
        assert_int_equal(EXIT_USAGE, 64);
}

static void test_error_body_is_an_error_object(void **state) {
        Response r = response_error(OUTCOME_BAD_REQUEST, "Operation 'foo' not found");

        assert_int_equal(r.outcome, OUTCOME_BAD_REQUEST);
        assert_string_equal(response_body_text(&r, 0), "{\"error\":\"Operation 'foo' not found\"}");
        response_done(&r);
}

/* the documented set_status/get_status record, keys in Harper's order */
static void test_status_record_json_text(void **state) {
        Response r = response_ok(status_record_to_json("primary", "active", 1621364589543, 1621364589543));

        assert_int_equal(r.outcome, OUTCOME_OK);
        assert_string_equal(response_body_text(&r, 0),
                            "{\"id\":\"primary\",\"status\":\"active\","
                            "\"__createdtime__\":1621364589543,\"__updatedtime__\":1621364589543}");
        response_done(&r);
}

static void test_status_record_keeps_large_timestamps_exact(void **state) {
        Response r = response_ok(status_record_to_json("maintenance", "x", UINT64_C(1000), UINT64_MAX));

        assert_string_equal(response_body_text(&r, 0),
                            "{\"id\":\"maintenance\",\"status\":\"x\","
                            "\"__createdtime__\":1000,\"__updatedtime__\":18446744073709551615}");
        response_done(&r);
}

static void test_message_body_wraps_the_text(void **state) {
        Response r = response_message("Status successfully cleared");

        assert_int_equal(r.outcome, OUTCOME_OK);
        assert_string_equal(response_body_text(&r, 0), "{\"message\":\"Status successfully cleared\"}");
        response_done(&r);
}

/* JSON.stringify neither escapes non-ASCII nor "/" */
static void test_non_ascii_and_slash_are_printed_raw(void **state) {
        Response r = response_ok(status_record_to_json("primary", "Pr\xc3\xbc" "fung 1/2 \xe2\x82\xac \xf0\x9f\x98\x80", 1, 2));

        assert_string_equal(response_body_text(&r, 0),
                            "{\"id\":\"primary\",\"status\":\"Pr\xc3\xbc" "fung 1/2 \xe2\x82\xac \xf0\x9f\x98\x80\","
                            "\"__createdtime__\":1,\"__updatedtime__\":2}");
        response_done(&r);

        r = response_message("see http://localhost:9925/");
        assert_string_equal(response_body_text(&r, 0), "{\"message\":\"see http://localhost:9925/\"}");
        response_done(&r);
}

static void test_quotes_backslashes_and_controls_are_escaped(void **state) {
        Response r = response_message("a\"b\\c\nd\te");

        assert_string_equal(response_body_text(&r, 0), "{\"message\":\"a\\\"b\\\\c\\nd\\te\"}");
        response_done(&r);
}

static void test_pretty_text_is_indented(void **state) {
        Response r = response_message("Status successfully cleared");
        const char *text = response_body_text(&r, 1);

        assert_non_null(strchr(text, '\n'));
        assert_non_null(strstr(text, "\"message\": \"Status successfully cleared\""));
        response_done(&r);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_rejects_what_is_not_a_json_object_as_invalid_json),
                cmocka_unit_test(test_parse_rejects_empty_object_as_invalid_json),
                cmocka_unit_test(test_parse_rejects_trailing_garbage),
                cmocka_unit_test(test_parse_rejects_malformed_json),
                cmocka_unit_test(test_parse_rejects_invalid_utf8_in_a_string),
                cmocka_unit_test(test_parse_accepts_non_ascii_in_strings),
                cmocka_unit_test(test_parse_rejects_control_characters_and_bad_non_ascii),
                cmocka_unit_test(test_parse_requires_an_operation),
                cmocka_unit_test(test_parse_treats_null_operation_as_missing),
                cmocka_unit_test(test_parse_accepts_trailing_white_space),
                cmocka_unit_test(test_parse_reads_only_the_given_length),
                cmocka_unit_test(test_parse_lets_an_empty_operation_through),
                cmocka_unit_test(test_operation_name_of_non_string_is_its_json_text),
                cmocka_unit_test(test_request_field_tells_absent_from_null),
                cmocka_unit_test(test_json_is_falsy_follows_javascript),
                cmocka_unit_test(test_forbidden_body_is_harpers_permission_object),
                cmocka_unit_test(test_forbidden_names_the_given_function),
                cmocka_unit_test(test_bus_invalid_args_is_400_with_the_message),
                cmocka_unit_test(test_bus_access_denied_is_403_denied),
                cmocka_unit_test(test_bus_interactive_authorization_required_is_403_auth_required),
                cmocka_unit_test(test_bus_authorization_cancelled_is_403_denied),
                cmocka_unit_test(test_bus_authorization_unavailable_is_503),
                cmocka_unit_test(test_bus_daemon_not_running_is_500),
                cmocka_unit_test(test_bus_unknown_error_is_500_with_its_message),
                cmocka_unit_test(test_bus_already_running_is_409_with_the_message),
                cmocka_unit_test(test_bus_limits_exceeded_is_429_with_the_message),
                cmocka_unit_test(test_bus_statuses_unknown_is_503_with_the_message),
                cmocka_unit_test(test_job_record_json_text),
                cmocka_unit_test(test_job_record_of_a_running_job_has_nulls_and_a_result_is_json),
                cmocka_unit_test(test_outcomes_map_to_http_and_exit_statuses),
                cmocka_unit_test(test_error_body_is_an_error_object),
                cmocka_unit_test(test_status_record_json_text),
                cmocka_unit_test(test_status_record_keeps_large_timestamps_exact),
                cmocka_unit_test(test_message_body_wraps_the_text),
                cmocka_unit_test(test_non_ascii_and_slash_are_printed_raw),
                cmocka_unit_test(test_quotes_backslashes_and_controls_are_escaped),
                cmocka_unit_test(test_pretty_text_is_indented),
        };

        return cmocka_run_group_tests_name("harper-response", tests, NULL, NULL);
}
