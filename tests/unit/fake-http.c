/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake-http.h"

void fake_http_write_all(int fd, const char *text, size_t n) {
        while (n > 0) {
                ssize_t k = write(fd, text, n);
                if (k <= 0)
                        return;
                text += k;
                n -= (size_t) k;
        }
}

void fake_http_write_text(int fd, const char *text) {
        fake_http_write_all(fd, text, strlen(text));
}

void fake_http_read_request(int fd, char *buf, size_t size) {
        size_t have = 0;
        char *end = NULL, *length;

        buf[0] = '\0';
        while (have < size - 1) {
                ssize_t k = read(fd, buf + have, size - 1 - have);
                if (k <= 0)
                        return;
                have += (size_t) k;
                buf[have] = '\0';
                if (!end && (end = strstr(buf, "\r\n\r\n")))
                        end += 4;
                length = end ? strcasestr(buf, "Content-Length:") : NULL;
                if (end && (!length || have >= (size_t) (end - buf) + strtoul(length + 15, NULL, 10)))
                        return;
        }
}
