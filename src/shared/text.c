/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "text.h"

char *text_printf(const char *format, ...) {
        char *text = NULL;
        va_list ap;

        va_start(ap, format);
        if (vasprintf(&text, format, ap) < 0)
                text = NULL;
        va_end(ap);
        return text;
}

int text_error(char **ret_error, int r, const char *format, ...) {
        va_list ap;

        assert(ret_error);
        assert(format);

        va_start(ap, format);
        if (vasprintf(ret_error, format, ap) < 0)
                *ret_error = NULL;
        va_end(ap);
        return *ret_error ? r : -ENOMEM;
}

size_t utf8_char_length(const char *s, size_t left) {
        const unsigned char *p = (const unsigned char *) s;
        size_t len;
        unsigned cp;

        assert(s || left == 0);
        if (left == 0 || p[0] == 0)
                return 0;
        if (p[0] < 0x80)
                return 1;
        if (p[0] >= 0xc2 && p[0] <= 0xdf) {
                len = 2;
                cp = p[0] & 0x1f;
        } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
                len = 3;
                cp = p[0] & 0x0f;
        } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
                len = 4;
                cp = p[0] & 0x07;
        } else
                return 0;   /* a continuation byte, an overlong lead or beyond U+10FFFF */
        if (left < len)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (p[i] & 0x3f);
        }
        /* overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8 */
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return len;
}

long utf8_count_chars(const char *s, size_t length) {
        long n = 0;

        assert(s || length == 0);
        for (size_t used = 0; used < length; n++) {
                size_t len = utf8_char_length(s + used, length - used);

                if (len == 0)
                        return -1;
                used += len;
        }
        return n;
}

/* Writes the escaped form of the character (or stray byte) at s into out; returns its length. */
static size_t escape_char(const char *s, size_t len, char out[5]) {
        static const char named[] = { ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't', ['\\'] = '\\', ['\''] = '\'' };
        unsigned char c = (unsigned char) s[0];

        if (len > 1) {
                memcpy(out, s, len);
                return len;
        }
        if (c < sizeof named && named[c]) {
                out[0] = '\\';
                out[1] = named[c];
                return 2;
        }
        if (len == 1 && c >= 0x20 && c != 0x7f) {
                out[0] = (char) c;
                return 1;
        }
        snprintf(out, 5, "\\x%02x", c);
        return 4;
}

/* How many bytes of s (n long) fit in max_bytes without cutting a character in two; a stray
 * byte counts as one of its own. */
static size_t fitting_prefix(const char *s, size_t n, size_t max_bytes) {
        size_t used = 0;

        while (used < n) {
                size_t len = utf8_char_length(s + used, n - used);
                size_t take = len ? len : 1;

                if (used + take > max_bytes)
                        break;
                used += take;
        }
        return used;
}

char *text_quote(const char *s, size_t max_bytes) {
        size_t n, fit, used = 0, out_len = 0;
        char *out;

        assert(s);
        n = strlen(s);
        fit = fitting_prefix(s, n, max_bytes);
        /* each input byte becomes at most 4 output bytes; then "…" and the NUL */
        out = malloc(fit * 4 + sizeof("…"));
        if (!out)
                return NULL;
        while (used < fit) {
                size_t len = utf8_char_length(s + used, n - used);

                out_len += escape_char(s + used, len, out + out_len);
                used += len ? len : 1;   /* a stray byte is escaped on its own */
        }
        if (fit < n) {
                memcpy(out + out_len, "…", sizeof("…") - 1);
                out_len += sizeof("…") - 1;
        }
        out[out_len] = '\0';
        return out;
}

char *text_cut(const char *s, size_t max_bytes) {
        size_t n;

        assert(s);
        n = strlen(s);

        if (n <= max_bytes)
                return strdup(s);
        return text_printf("%.*s…", (int) fitting_prefix(s, n, max_bytes), s);
}
