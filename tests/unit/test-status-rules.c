/* SPDX-License-Identifier: MIT */
/* Harper's set_status/clear_status rules: every check, its boundaries and its exact message
 * (harper-behaviour.md §5.2, statusValidator tests S3–S9, status tests T5/T7). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "status-rules.h"

#define MSG_ID_NOT_ALLOWED "'id' must be one of [primary, maintenance, availability]"
#define MSG_ID_EMPTY "'id' is not allowed to be empty"
#define MSG_ID_NOT_STRING "'id' must be a string"
#define MSG_ID_REQUIRED "'id' is required"
#define MSG_STATUS_REQUIRED "'status' is required"
#define MSG_STATUS_NOT_STRING "'status' must be a string"
#define MSG_STATUS_EMPTY "'status' is not allowed to be empty"
#define MSG_STATUS_TOO_LONG "'status' length must be less than or equal to 512 characters long"
#define MSG_STATUS_NOT_UTF8 "'status' must be UTF-8 text without NUL characters"
#define MSG_AVAILABILITY "Status \"availability\" only accepts these values: Available, Unavailable"

#define STR(s) status_field_string(s)
#define MISSING status_field_of_kind(FIELD_MISSING)
#define NOT_STRING status_field_of_kind(FIELD_NOT_STRING)

/* Macros rather than functions so a failure points at the case, not at a helper. */
#define assert_valid(problem) do {                                              \
                char *_m = (problem);                                           \
                if (_m)                                                         \
                        fail_msg("expected valid, got \"%s\"", _m);             \
        } while (0)

#define assert_problem(problem, expected) do {                                  \
                char *_m = (problem);                                           \
                assert_non_null(_m);                                            \
                assert_string_equal(_m, (expected));                            \
                free(_m);                                                       \
        } while (0)

#define assert_set_valid(id, status) assert_valid(status_check_set(STR(id), STR(status)))
#define assert_set_problem(id, status, expected) \
        assert_problem(status_check_set((id), (status)), (expected))

/* n copies of unit (one character, any byte length), NUL-terminated. */
static char *repeat(const char *unit, size_t n) {
        size_t len = strlen(unit);
        char *s = malloc(len * n + 1);

        assert_non_null(s);
        for (size_t i = 0; i < n; i++)
                memcpy(s + i * len, unit, len);
        s[len * n] = '\0';
        return s;
}

static void test_id_from_string_maps_the_three_ids(void **state) {
        assert_int_equal(status_id_from_string("primary"), STATUS_PRIMARY);
        assert_int_equal(status_id_from_string("maintenance"), STATUS_MAINTENANCE);
        assert_int_equal(status_id_from_string("availability"), STATUS_AVAILABILITY);
        /* Harper's order is part of the message: primary, maintenance, availability */
        assert_int_equal(STATUS_PRIMARY, 0);
        assert_int_equal(STATUS_MAINTENANCE, 1);
        assert_int_equal(STATUS_AVAILABILITY, 2);
}

static void test_id_from_string_rejects_everything_else(void **state) {
        const char *bad[] = { "Primary", "PRIMARY", "Availability", "", "primary ", " primary",
                              "prim", "primaryx", "test", "unknown", "restart-needed" };

        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
                assert_int_equal(status_id_from_string(bad[i]), _STATUS_ID_INVALID);
        assert_int_equal(status_id_from_string(NULL), _STATUS_ID_INVALID);
}

static void test_id_to_string_round_trips_and_rejects_out_of_range(void **state) {
        for (int i = 0; i < _STATUS_ID_MAX; i++)
                assert_int_equal(status_id_from_string(status_id_to_string((StatusId) i)), i);
        assert_null(status_id_to_string(_STATUS_ID_INVALID));
        assert_null(status_id_to_string(_STATUS_ID_MAX));
}

/* Harper's S3–S5 and T6 */
static void test_set_accepts_harper_valid_cases(void **state) {
        assert_set_valid("primary", "Any Value");
        assert_set_valid("primary", "Running");
        assert_set_valid("primary", "Stopped");
        assert_set_valid("maintenance", "Any Value");
        assert_set_valid("maintenance", "Scheduled");
        assert_set_valid("maintenance", "In Progress");
        assert_set_valid("availability", "Available");
        assert_set_valid("availability", "Unavailable");
}

static void test_set_accepts_one_character_and_white_space_status(void **state) {
        assert_set_valid("primary", "x");
        /* Joi does not trim: white space is a non-empty string */
        assert_set_valid("primary", " ");
        assert_set_valid("maintenance", "\t");
}

static void test_set_rejects_unknown_id(void **state) {
        assert_set_problem(STR("unknown"), STR("Value"), MSG_ID_NOT_ALLOWED);
        assert_set_problem(STR("test"), STR("really testing"), MSG_ID_NOT_ALLOWED);
        assert_set_problem(STR("foo"), STR("x"), MSG_ID_NOT_ALLOWED);
}

static void test_set_ids_are_case_sensitive(void **state) {
        assert_set_problem(STR("Primary"), STR("Running"), MSG_ID_NOT_ALLOWED);
        assert_set_problem(STR("MAINTENANCE"), STR("Scheduled"), MSG_ID_NOT_ALLOWED);
        /* an id that is not availability gets no availability message */
        assert_set_problem(STR("Availability"), STR("Partial"), MSG_ID_NOT_ALLOWED);
}

static void test_set_rejects_empty_id(void **state) {
        assert_set_problem(STR(""), STR("Running"), MSG_ID_NOT_ALLOWED ". " MSG_ID_EMPTY);
}

static void test_set_rejects_non_string_id(void **state) {
        assert_set_problem(NOT_STRING, STR("Running"), MSG_ID_NOT_ALLOWED ". " MSG_ID_NOT_STRING);
}

static void test_set_rejects_missing_id(void **state) {
        /* only reachable when calling the validator directly (S6): HTTP defaults the id */
        assert_set_problem(MISSING, STR("Value"), MSG_ID_REQUIRED);
}

static void test_set_rejects_id_with_embedded_nul(void **state) {
        assert_set_problem(status_field_string_len("primary\0", 8), STR("Running"), MSG_ID_NOT_ALLOWED);
        assert_set_problem(status_field_string_len("\0primary", 8), STR("Running"), MSG_ID_NOT_ALLOWED);
}

static void test_set_rejects_missing_status(void **state) {
        assert_set_problem(STR("primary"), MISSING, MSG_STATUS_REQUIRED);
        /* a missing status is only "required", even for availability */
        assert_set_problem(STR("availability"), MISSING, MSG_STATUS_REQUIRED);
}

static void test_set_rejects_non_string_status(void **state) {
        assert_set_problem(STR("primary"), NOT_STRING, MSG_STATUS_NOT_STRING);
        assert_set_problem(STR("maintenance"), NOT_STRING, MSG_STATUS_NOT_STRING);
}

static void test_set_rejects_empty_status(void **state) {
        assert_set_problem(STR("primary"), STR(""), MSG_STATUS_EMPTY);
        assert_set_problem(STR("maintenance"), STR(""), MSG_STATUS_EMPTY);
}

static void test_set_status_of_512_ascii_is_valid_513_too_long(void **state) {
        char *s512 = repeat("a", 512), *s513 = repeat("a", 513);

        assert_set_valid("primary", s512);
        assert_set_valid("maintenance", s512);
        assert_set_problem(STR("primary"), STR(s513), MSG_STATUS_TOO_LONG);
        assert_set_problem(STR("maintenance"), STR(s513), MSG_STATUS_TOO_LONG);
        free(s512);
        free(s513);
}

/* The limit counts characters, not bytes: 512 multibyte characters are more than 512 bytes. */
static void check_multibyte_limit(const char *unit, size_t unit_bytes) {
        char *s512 = repeat(unit, 512), *s513 = repeat(unit, 513);

        assert_int_equal(strlen(unit), unit_bytes);
        assert_int_equal(strlen(s512), 512 * unit_bytes);
        assert_int_equal(utf8_count_chars(s512, strlen(s512)), 512);
        assert_int_equal(utf8_count_chars(s513, strlen(s513)), 513);
        assert_set_valid("primary", s512);
        assert_set_problem(STR("primary"), STR(s513), MSG_STATUS_TOO_LONG);
        free(s512);
        free(s513);
}

static void test_set_status_limit_counts_two_byte_characters(void **state) {
        check_multibyte_limit("\xc3\xa9", 2);           /* é */
}

static void test_set_status_limit_counts_three_byte_characters(void **state) {
        check_multibyte_limit("\xe2\x82\xac", 3);       /* € */
}

static void test_set_status_limit_counts_four_byte_characters(void **state) {
        check_multibyte_limit("\xf0\x9f\x98\x80", 4);   /* 😀 */
}

/* S9 and T7 */
static void test_set_availability_accepts_only_available_and_unavailable(void **state) {
        const char *bad[] = { "Partial", "Partially Available", "available", "unavailable",
                              "AVAILABLE", " Available", "Available ", "Available\n", "Unavailable.",
                              "true", "1" };

        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
                assert_set_problem(STR("availability"), STR(bad[i]), MSG_AVAILABILITY);
}

static void test_set_availability_joins_empty_and_length_messages(void **state) {
        char *s513 = repeat("a", 513);

        assert_set_problem(STR("availability"), STR(""), MSG_AVAILABILITY ". " MSG_STATUS_EMPTY);
        assert_set_problem(STR("availability"), STR(s513), MSG_AVAILABILITY ". " MSG_STATUS_TOO_LONG);
        assert_set_problem(STR("availability"), NOT_STRING, MSG_AVAILABILITY ". " MSG_STATUS_NOT_STRING);
        free(s513);
}

static void test_set_joins_messages_id_first(void **state) {
        assert_set_problem(STR("foo"), MISSING, MSG_ID_NOT_ALLOWED ". " MSG_STATUS_REQUIRED);
        assert_set_problem(NOT_STRING, NOT_STRING,
                           MSG_ID_NOT_ALLOWED ". " MSG_ID_NOT_STRING ". " MSG_STATUS_NOT_STRING);
        assert_set_problem(STR(""), STR(""), MSG_ID_NOT_ALLOWED ". " MSG_ID_EMPTY ". " MSG_STATUS_EMPTY);
        assert_set_problem(MISSING, MISSING, MSG_ID_REQUIRED ". " MSG_STATUS_REQUIRED);
        assert_set_problem(STR("foo"), STR("\xff"), MSG_ID_NOT_ALLOWED ". " MSG_STATUS_NOT_UTF8);
}

static void test_set_joins_every_problem_at_once(void **state) {
        char *s513 = repeat("\xf0\x9f\x98\x80", 513);

        /* the longest joined message still fits the internal buffer intact */
        assert_set_problem(NOT_STRING, STR(s513),
                           MSG_ID_NOT_ALLOWED ". " MSG_ID_NOT_STRING ". " MSG_STATUS_TOO_LONG);
        assert_set_problem(STR(""), NOT_STRING,
                           MSG_ID_NOT_ALLOWED ". " MSG_ID_EMPTY ". " MSG_STATUS_NOT_STRING);
        free(s513);
}

static void test_utf8_count_chars_counts_code_points(void **state) {
        static const struct {
                const char *text;
                long chars;
        } cases[] = {
                { "", 0 },
                { "a", 1 },
                { "In Progress", 11 },
                { "\x7f", 1 },                          /* U+007F, last one-byte */
                { "\xc2\x80", 1 },                      /* U+0080, first two-byte */
                { "\xdf\xbf", 1 },                      /* U+07FF */
                { "\xe0\xa0\x80", 1 },                  /* U+0800, first three-byte */
                { "\xed\x9f\xbf", 1 },                  /* U+D7FF, just below the surrogates */
                { "\xee\x80\x80", 1 },                  /* U+E000, just above them */
                { "\xef\xbf\xbf", 1 },                  /* U+FFFF */
                { "\xf0\x90\x80\x80", 1 },              /* U+10000, first four-byte */
                { "\xf4\x8f\xbf\xbf", 1 },              /* U+10FFFF, the last code point */
                { "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z", 5 },
        };

        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
                assert_int_equal(utf8_count_chars(cases[i].text, strlen(cases[i].text)), cases[i].chars);
}

static void test_utf8_count_chars_reads_only_the_given_length(void **state) {
        assert_int_equal(utf8_count_chars("abc", 2), 2);
        assert_int_equal(utf8_count_chars("abc", 0), 0);
        /* a length that cuts a character in two leaves a truncated sequence */
        assert_int_equal(utf8_count_chars("\xc3\xa9", 1), -1);
        assert_int_equal(utf8_count_chars("\xf0\x9f\x98\x80", 3), -1);
}

static const struct {
        const char *name;
        const char *bytes;
        size_t length;
} invalid_utf8[] = {
        { "lone continuation byte", "\x80", 1 },
        { "lone continuation byte after ASCII", "ab\xbf", 3 },
        { "overlong slash C0 AF", "\xc0\xaf", 2 },
        { "overlong C1 BF", "\xc1\xbf", 2 },
        { "overlong three-byte E0 80 AF", "\xe0\x80\xaf", 3 },
        { "overlong four-byte F0 80 80 AF", "\xf0\x80\x80\xaf", 4 },
        { "high surrogate ED A0 80", "\xed\xa0\x80", 3 },
        { "low surrogate ED BF BF", "\xed\xbf\xbf", 3 },
        { "past U+10FFFF F4 90 80 80", "\xf4\x90\x80\x80", 4 },
        { "F5 lead", "\xf5\x80\x80\x80", 4 },
        { "FE byte", "\xfe", 1 },
        { "FF byte", "\xff", 1 },
        { "truncated two-byte", "\xc3", 1 },
        { "truncated three-byte", "\xe2\x82", 2 },
        { "truncated four-byte", "ok\xf0\x9f\x98", 5 },
        { "lead followed by ASCII", "\xc3\x41", 2 },
        { "three-byte lead with a bad third byte", "\xe2\x82\x41", 3 },
        { "embedded NUL", "ab\0cd", 5 },
        { "leading NUL", "\0", 1 },
        { "trailing NUL", "Running\0", 8 },
};

static void test_utf8_count_chars_rejects_invalid_utf8(void **state) {
        for (size_t i = 0; i < sizeof invalid_utf8 / sizeof invalid_utf8[0]; i++)
                if (utf8_count_chars(invalid_utf8[i].bytes, invalid_utf8[i].length) != -1)
                        fail_msg("accepted as UTF-8: %s", invalid_utf8[i].name);
}

static void test_set_rejects_invalid_utf8_status(void **state) {
        for (size_t i = 0; i < sizeof invalid_utf8 / sizeof invalid_utf8[0]; i++) {
                StatusField status = status_field_string_len(invalid_utf8[i].bytes, invalid_utf8[i].length);
                char *m = status_check_set(STR("primary"), status);

                if (!m || strcmp(m, MSG_STATUS_NOT_UTF8) != 0)
                        fail_msg("%s: got \"%s\"", invalid_utf8[i].name, m ? m : "(valid)");
                free(m);
        }
}

static void test_set_availability_with_invalid_utf8_gets_both_messages(void **state) {
        assert_set_problem(STR("availability"), STR("Avail\xc0\xaf" "ble"), MSG_AVAILABILITY ". " MSG_STATUS_NOT_UTF8);
        /* a NUL after an allowed value does not make it allowed */
        assert_set_problem(STR("availability"), status_field_string_len("Available\0", 10),
                           MSG_AVAILABILITY ". " MSG_STATUS_NOT_UTF8);
}

static void test_field_constructors_record_kind_and_length(void **state) {
        StatusField f = status_field_string("Running");

        assert_int_equal(f.kind, FIELD_STRING);
        assert_string_equal(f.value, "Running");
        assert_int_equal(f.length, 7);
        f = status_field_string_len("a\0b", 3);
        assert_int_equal(f.kind, FIELD_STRING);
        assert_int_equal(f.length, 3);
        assert_int_equal(status_field_of_kind(FIELD_MISSING).kind, FIELD_MISSING);
        assert_int_equal(status_field_of_kind(FIELD_NOT_STRING).kind, FIELD_NOT_STRING);
}

static void test_clear_accepts_the_three_ids(void **state) {
        assert_valid(status_check_clear(STR("primary")));
        assert_valid(status_check_clear(STR("maintenance")));
        assert_valid(status_check_clear(STR("availability")));
}

static void test_clear_rejects_missing_id(void **state) {
        assert_problem(status_check_clear(MISSING), MSG_ID_REQUIRED);
}

static void test_clear_rejects_non_string_id(void **state) {
        assert_problem(status_check_clear(NOT_STRING), MSG_ID_NOT_ALLOWED ". " MSG_ID_NOT_STRING);
}

static void test_clear_rejects_bad_ids(void **state) {
        assert_problem(status_check_clear(STR("")), MSG_ID_NOT_ALLOWED ". " MSG_ID_EMPTY);
        assert_problem(status_check_clear(STR("foo")), MSG_ID_NOT_ALLOWED);
        assert_problem(status_check_clear(STR("test")), MSG_ID_NOT_ALLOWED);
        assert_problem(status_check_clear(STR("Primary")), MSG_ID_NOT_ALLOWED);
        assert_problem(status_check_clear(status_field_string_len("primary\0", 8)), MSG_ID_NOT_ALLOWED);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_id_from_string_maps_the_three_ids),
                cmocka_unit_test(test_id_from_string_rejects_everything_else),
                cmocka_unit_test(test_id_to_string_round_trips_and_rejects_out_of_range),
                cmocka_unit_test(test_set_accepts_harper_valid_cases),
                cmocka_unit_test(test_set_accepts_one_character_and_white_space_status),
                cmocka_unit_test(test_set_rejects_unknown_id),
                cmocka_unit_test(test_set_ids_are_case_sensitive),
                cmocka_unit_test(test_set_rejects_empty_id),
                cmocka_unit_test(test_set_rejects_non_string_id),
                cmocka_unit_test(test_set_rejects_missing_id),
                cmocka_unit_test(test_set_rejects_id_with_embedded_nul),
                cmocka_unit_test(test_set_rejects_missing_status),
                cmocka_unit_test(test_set_rejects_non_string_status),
                cmocka_unit_test(test_set_rejects_empty_status),
                cmocka_unit_test(test_set_status_of_512_ascii_is_valid_513_too_long),
                cmocka_unit_test(test_set_status_limit_counts_two_byte_characters),
                cmocka_unit_test(test_set_status_limit_counts_three_byte_characters),
                cmocka_unit_test(test_set_status_limit_counts_four_byte_characters),
                cmocka_unit_test(test_set_availability_accepts_only_available_and_unavailable),
                cmocka_unit_test(test_set_availability_joins_empty_and_length_messages),
                cmocka_unit_test(test_set_joins_messages_id_first),
                cmocka_unit_test(test_set_joins_every_problem_at_once),
                cmocka_unit_test(test_utf8_count_chars_counts_code_points),
                cmocka_unit_test(test_utf8_count_chars_reads_only_the_given_length),
                cmocka_unit_test(test_utf8_count_chars_rejects_invalid_utf8),
                cmocka_unit_test(test_set_rejects_invalid_utf8_status),
                cmocka_unit_test(test_set_availability_with_invalid_utf8_gets_both_messages),
                cmocka_unit_test(test_field_constructors_record_kind_and_length),
                cmocka_unit_test(test_clear_accepts_the_three_ids),
                cmocka_unit_test(test_clear_rejects_missing_id),
                cmocka_unit_test(test_clear_rejects_non_string_id),
                cmocka_unit_test(test_clear_rejects_bad_ids),
        };

        return cmocka_run_group_tests_name("status-rules", tests, NULL, NULL);
}
