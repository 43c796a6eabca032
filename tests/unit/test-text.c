/* SPDX-License-Identifier: MIT */
/* text_quote: caller input in messages is short, escaped and valid UTF-8 (issue 14: error
 * texts that copied a 1 MiB argument whole). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "status-rules.h"
#include "text.h"

#define assert_quoted(input, max, expected) do {                                \
                char *_q = text_quote((input), (max));                          \
                assert_non_null(_q);                                            \
                assert_string_equal(_q, (expected));                            \
                assert_true(utf8_count_chars(_q, strlen(_q)) >= 0);             \
                free(_q);                                                       \
        } while (0)

static void test_quote_keeps_short_text(void **state) {
        assert_quoted("primary", 64, "primary");
        assert_quoted("", 64, "");
        assert_quoted("exactly8", 8, "exactly8");
}

static void test_quote_cuts_long_text_with_an_ellipsis(void **state) {
        assert_quoted("abcdefghij", 4, "abcd…");
        assert_quoted("abcdefghij", 0, "…");
}

static void test_quote_escapes_control_characters_quotes_and_backslashes(void **state) {
        assert_quoted("a\nb\tc\rd", 64, "a\\nb\\tc\\rd");
        assert_quoted("it's", 64, "it\\'s");
        assert_quoted("back\\slash", 64, "back\\\\slash");
        assert_quoted("\x1b[2J\x7f", 64, "\\x1b[2J\\x7f");
}

static void test_quote_never_cuts_a_character_in_two(void **state) {
        /* "é" is two bytes, "😀" four: a cut inside them drops the whole character */
        assert_quoted("aé", 2, "a…");
        assert_quoted("aé", 3, "aé");
        assert_quoted("\xf0\x9f\x98\x80!", 3, "…");
}

static void test_quote_escapes_invalid_utf8(void **state) {
        assert_quoted("a\xff" "b", 64, "a\\xffb");
        assert_quoted("\xc3(", 64, "\\xc3(");
        assert_quoted("\xed\xa0\x80", 64, "\\xed\\xa0\\x80");   /* a UTF-16 surrogate */
}

static void test_cut_keeps_short_text_and_cuts_long_text_at_a_character(void **state) {
        char *c;

        assert_non_null(c = text_cut("Unit \"x\" failed.", 64));
        assert_string_equal(c, "Unit \"x\" failed.");   /* kept as it is, quotes and all */
        free(c);
        assert_non_null(c = text_cut("abcdefghij", 4));
        assert_string_equal(c, "abcd…");
        free(c);
        assert_non_null(c = text_cut("aé", 2));   /* the cut would fall inside "é" */
        assert_string_equal(c, "a…");
        free(c);
}

static void test_quote_of_a_mebibyte_is_short(void **state) {
        size_t n = 1024 * 1024;
        char *big = malloc(n + 1);
        char *q;

        assert_non_null(big);
        memset(big, '\n', n);
        big[n] = '\0';
        q = text_quote(big, 64);
        assert_non_null(q);
        /* 64 escaped newlines and the ellipsis */
        assert_int_equal(strlen(q), 64 * 2 + strlen("…"));
        free(q);
        free(big);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_quote_keeps_short_text),
                cmocka_unit_test(test_quote_cuts_long_text_with_an_ellipsis),
                cmocka_unit_test(test_quote_escapes_control_characters_quotes_and_backslashes),
                cmocka_unit_test(test_quote_never_cuts_a_character_in_two),
                cmocka_unit_test(test_quote_escapes_invalid_utf8),
                cmocka_unit_test(test_quote_of_a_mebibyte_is_short),
                cmocka_unit_test(test_cut_keeps_short_text_and_cuts_long_text_at_a_character),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
