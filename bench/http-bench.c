/* SPDX-License-Identifier: MIT */
/* http-bench: get_status through harper-ops-http against the same call made straight over
 * the bus, side by side in one run on one stack.
 *   D-Bus only     GetStatus("primary") as root, one connection, one call at a time (the
 *                  figure sysops-bench prints as "GetStatus (root, 1 connection)")
 *   HTTP           POST / {"operation":"get_status","id":"primary"} on keep-alive connections
 *                  over harper-ops-http's unix socket (root: no polkit round trip, as above),
 *                  one request in flight per connection; 1 connection, then N
 *   Harper         with --harper-unix: the same request to the real Harper on its operations
 *                  socket, one connection, in rounds alternating with ours (A B A B A B); the
 *                  target is 5 times Harper's rate */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <systemd/sd-bus.h>

#include "bench.h"
#include "sysops-names.h"

#define ROUNDS 3
#define BODY "{\"operation\":\"get_status\",\"id\":\"primary\"}"

typedef struct Client {
        const char *path;
        double seconds;
        unsigned long ok, errors;
        pthread_t thread;
} Client;

/* The Content-Length of a head of head bytes (any case: Harper sends it in lower case). */
static size_t content_length(const char *buf, size_t head) {
        static const char name[] = "\r\ncontent-length:";
        const size_t n = sizeof name - 1;

        for (size_t i = 0; i + n <= head; i++)
                if (strncasecmp(buf + i, name, n) == 0)
                        return strtoul(buf + i + n, NULL, 10);
        return 0;
}

/* One answer: reads the head, then Content-Length bytes. The status, or -1. */
static int read_answer(int fd, char *buf, size_t size, size_t *have) {
        for (;;) {
                char *end = memmem(buf, *have, "\r\n\r\n", 4);
                if (end) {
                        size_t head = (size_t) (end - buf) + 4, length = content_length(buf, head);
                        int status = atoi(buf + 9);
                        while (*have < head + length) {
                                ssize_t n = read(fd, buf + *have, size - *have);
                                if (n <= 0)
                                        return -1;
                                *have += (size_t) n;
                        }
                        memmove(buf, buf + head + length, *have - head - length);
                        *have -= head + length;
                        return status;
                }
                if (*have == size)
                        return -1;
                ssize_t n = read(fd, buf + *have, size - *have);
                if (n <= 0)
                        return -1;
                *have += (size_t) n;
        }
}

static void *client(void *userdata) {
        Client *c = userdata;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        static const char request[] = "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                                      "Content-Length: %zu\r\n\r\n%s";
        char out[512], buf[65536];
        size_t have = 0;
        int fd, len;

        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", c->path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                c->errors++;
                return NULL;
        }
        len = snprintf(out, sizeof out, request, strlen(BODY), BODY);
        for (double end = monotonic_sec() + c->seconds; monotonic_sec() < end;) {
                if (write(fd, out, (size_t) len) != len)
                        break;
                int status = read_answer(fd, buf, sizeof buf, &have);
                if (status < 0)
                        break;
                if (status == 200)
                        c->ok++;
                else
                        c->errors++;
        }
        close(fd);
        return NULL;
}

static double http_rate(const char *path, unsigned connections, double seconds, unsigned long *errors) {
        Client *clients = calloc(connections, sizeof *clients);
        unsigned long ok = 0;
        double start = monotonic_sec(), took;

        for (unsigned i = 0; i < connections; i++) {
                clients[i] = (Client) { .path = path, .seconds = seconds };
                pthread_create(&clients[i].thread, NULL, client, &clients[i]);
        }
        *errors = 0;
        for (unsigned i = 0; i < connections; i++) {
                pthread_join(clients[i].thread, NULL);
                ok += clients[i].ok;
                *errors += clients[i].errors;
        }
        took = monotonic_sec() - start;
        free(clients);
        return (double) ok / took;
}

static double bus_rate(sd_bus *bus, double seconds, unsigned long *errors) {
        unsigned long calls = 0;
        double start = monotonic_sec(), end = start + seconds;

        *errors = 0;
        while (monotonic_sec() < end) {
                sd_bus_error error = SD_BUS_ERROR_NULL;
                sd_bus_message *reply = NULL;
                if (sd_bus_call_method(bus, SYSOPS_BUS_NAME, SYSOPS_OBJECT_PATH, SYSOPS_INTERFACE, "GetStatus", &error,
                                       &reply, "s", "primary") < 0)
                        (*errors)++;
                else
                        calls++;
                sd_bus_error_free(&error);
                sd_bus_message_unref(reply);
        }
        return (double) calls / (monotonic_sec() - start);
}

/* Ours and Harper's, one connection each, in alternating rounds (a noisy moment hits both
 * alike): the median rate of each in *ours and *theirs. */
static void side_by_side(const char *path, const char *harper, double seconds, double *ours, double *theirs,
                         unsigned long *errors) {
        double a[ROUNDS], b[ROUNDS];
        unsigned long e;

        *errors = 0;
        for (unsigned i = 0; i < ROUNDS; i++) {
                a[i] = http_rate(path, 1, seconds, &e);
                *errors += e;
                b[i] = http_rate(harper, 1, seconds, &e);
                *errors += e;
        }
        qsort(a, ROUNDS, sizeof *a, compare_double);
        qsort(b, ROUNDS, sizeof *b, compare_double);
        *ours = a[ROUNDS / 2];
        *theirs = b[ROUNDS / 2];
}

static void print_rates(double seconds, unsigned connections, double bus, double one, double many,
                        unsigned long e_bus, unsigned long e_one, unsigned long e_many) {
        printf("harper-ops-http, get_status as root over its unix socket, %.1f s per figure\n", seconds);
        printf("%-46s %8.0f calls/s     (%lu errors)\n", "D-Bus only: GetStatus (root, 1 connection)", bus, e_bus);
        printf("%-46s %8.0f requests/s  (%lu errors)\n", "HTTP: 1 keep-alive connection", one, e_one);
        printf("%-46s %8.0f requests/s  (%lu errors)\n",
               connections == 16 ? "HTTP: 16 keep-alive connections" : "HTTP: N keep-alive connections", many, e_many);
        printf("HTTP 1 connection / D-Bus only:                %.2f\n", one / bus);
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "unix", required_argument, NULL, 'u' },
                { "harper-unix", required_argument, NULL, 'H' },
                { "seconds", required_argument, NULL, 's' },
                { "connections", required_argument, NULL, 'c' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        const char *path = NULL, *harper = NULL;
        double seconds = 2, bus, one, many, ours, theirs;
        unsigned connections = 16;
        unsigned long e_bus, e_one, e_many, e_side = 0;
        sd_bus *b = NULL;
        int c;

        while ((c = getopt_long(argc, argv, "u:H:s:c:h", options, NULL)) >= 0)
                switch (c) {
                case 'u':
                        path = optarg;
                        break;
                case 'H':
                        harper = optarg;
                        break;
                case 's':
                        seconds = atof(optarg);
                        break;
                case 'c':
                        connections = (unsigned) atoi(optarg);
                        break;
                default:
                        printf("Usage: http-bench --unix=SOCKET [--harper-unix=HARPER_SOCKET] [--seconds=S] "
                               "[--connections=N]\n");
                        return c == 'h' ? 0 : 64;
                }
        if (!path || seconds <= 0 || connections == 0) {
                fprintf(stderr, "http-bench: --unix=SOCKET is required; --seconds and --connections positive\n");
                return 64;
        }
        if (geteuid() != 0) {
                fprintf(stderr, "http-bench: run as root (both figures are for a root caller, no polkit)\n");
                return 1;
        }
        if (sd_bus_open_system(&b) < 0) {
                fprintf(stderr, "http-bench: cannot connect to the system bus\n");
                return 1;
        }
        /* something to read, as Harper's clients would */
        sd_bus_call_method(b, SYSOPS_BUS_NAME, SYSOPS_OBJECT_PATH, SYSOPS_INTERFACE, "SetStatus", NULL, NULL, "ss",
                           "primary", "benchmark");
        http_rate(path, 1, 0.2, &e_one);   /* warm up: the worker starts */

        bus = bus_rate(b, seconds, &e_bus);
        one = http_rate(path, 1, seconds, &e_one);
        many = http_rate(path, connections, seconds, &e_many);
        sd_bus_flush_close_unref(b);
        print_rates(seconds, connections, bus, one, many, e_bus, e_one, e_many);
        if (harper) {
                side_by_side(path, harper, seconds, &ours, &theirs, &e_side);
                printf("-- against the real Harper on its operations socket, 1 connection each, medians of %u "
                       "rounds A B A B (%lu errors)\n", ROUNDS, e_side);
                printf("%-46s %8.0f requests/s\n", "A harper-ops-http", ours);
                printf("%-46s %8.0f requests/s\n", "B Harper", theirs);
                printf("HTTP 1 connection / Harper:                    %.1fx  (target >= 5x)\n",
                       theirs > 0 ? ours / theirs : 0);
        } else
                printf("(no Harper to compare with: --harper-unix=SOCKET, as bench/harper-bench.sh gives)\n");
        return e_bus || e_one || e_many || e_side ? 1 : 0;
}
