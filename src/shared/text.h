/* SPDX-License-Identifier: MIT */
/* Small helpers for the daemon's sentences (and, through time-util.h, its clocks). No bus types. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "time-util.h"

/* A newly allocated formatted string; NULL when out of memory. */
char *text_printf(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* Sets *ret_error to a newly allocated sentence and returns r (a negative errno); -ENOMEM with
 * *ret_error NULL when out of memory. For functions that fail with a sentence. */
int text_error(char **ret_error, int r, const char *format, ...) __attribute__((format(printf, 3, 4)));


/* The byte length of the valid UTF-8 character at s (at most left bytes there); 0 when the
 * bytes there are not one (a NUL, a stray byte, an overlong form, a surrogate, past U+10FFFF). */
size_t utf8_char_length(const char *s, size_t left);

/* Counts the characters (Unicode code points) of valid UTF-8 text of the given byte length;
 * returns -1 when the text is not valid UTF-8 or contains a NUL. */
long utf8_count_chars(const char *s, size_t length);

/* Caller input fit to quote in a message: at most max_bytes of s, cut at a character, with
 * control characters, quotes, backslashes and invalid UTF-8 escaped C-style, and "…" when
 * cut. Always valid UTF-8. Newly allocated; NULL when out of memory. */
char *text_quote(const char *s, size_t max_bytes);

/* Text from someone else (a peer's or Harper's message) fit to keep: s itself when it has at
 * most max_bytes, else its first max_bytes cut at a character and "…". Newly allocated; NULL
 * when out of memory. */
char *text_cut(const char *s, size_t max_bytes);
