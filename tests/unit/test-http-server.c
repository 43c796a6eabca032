/* SPDX-License-Identifier: MIT */
/* harper-ops-http's HttpServer: two servers in one process, each on its own unix socket in a
 * temporary directory, talked to over those sockets by a plain socket client, keep separate
 * state: their limits (options), their connection accounting, their watchdogs, their login
 * records and login slots.
 *
 * No PAM, no TCP, no bus: a request that passed every check would go to a worker, which is
 * this program exec'd as the caller and needs root and the system bus; so the requests here
 * are those refused before any worker starts (405, 413, Harper's 400 on the body), and the
 * login records are driven directly (a TCP login would run PAM). */
#include <errno.h>
#include <poll.h>
#include <semaphore.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "http-server.h"
#include "log.h"
#include "text.h"

#define SEC 1000000ull
#define GET "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
#define POST_20 "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 20\r\n\r\nthis is not JSON at "

static char dir[] = "/tmp/test-http-server.XXXXXX";

typedef struct Answer {
        int status;
        char head[2048];
        char body[2048];
} Answer;

/* A server listening on dir/name, with the defaults but what tweak changes. */
static HttpServer *server_on(const char *name, void (*tweak)(HttpOptions *o)) {
        static char paths[2][sizeof(((struct sockaddr_un *) NULL)->sun_path)];
        static unsigned next;
        char *path = paths[next++ % 2];   /* the options point to it: it outlives the server */
        HttpServer *s = NULL;
        HttpOptions o;

        snprintf(path, sizeof paths[0], "%s/%s", dir, name);
        http_options_init(&o);
        o.listen[o.n_listen++] = path;
        if (tweak)
                tweak(&o);
        assert_int_equal(http_server_new(&s, &o), 0);
        assert_int_equal(http_server_start(s), 0);
        return s;
}

static int connect_to(const HttpServer *s) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct timeval tv = { .tv_sec = 5 };   /* no test waits longer for an answer */
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        assert_true(fd >= 0);
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", s->options.listen[0]);
        assert_int_equal(connect(fd, (struct sockaddr *) &sa, sizeof sa), 0);
        assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
        return fd;
}

static void send_text(int fd, const char *text) {
        assert_int_equal(send(fd, text, strlen(text), MSG_NOSIGNAL), (ssize_t) strlen(text));
}

/* Reads one answer (its head, then Content-Length bytes of body) from fd. */
static void read_answer(int fd, Answer *a) {
        char buf[4096];
        size_t got = 0;
        char *end, *length;
        size_t head_length, body_length;

        *a = (Answer) {};
        while (!(end = memmem(buf, got, "\r\n\r\n", 4))) {
                ssize_t n = recv(fd, buf + got, sizeof buf - got, 0);
                assert_true(n > 0);
                got += (size_t) n;
        }
        head_length = (size_t) (end - buf) + 4;
        assert_true(head_length < sizeof a->head);
        memcpy(a->head, buf, head_length);
        assert_int_equal(sscanf(a->head, "HTTP/1.1 %d ", &a->status), 1);
        length = strcasestr(a->head, "\r\nContent-Length: ");
        assert_non_null(length);
        body_length = strtoul(length + 18, NULL, 10);
        assert_true(body_length < sizeof a->body);
        while (got < head_length + body_length) {
                ssize_t n = recv(fd, buf + got, sizeof buf - got, 0);
                assert_true(n > 0);
                got += (size_t) n;
        }
        memcpy(a->body, buf + head_length, body_length);
}

static Answer ask(int fd, const char *request) {
        Answer a;

        send_text(fd, request);
        read_answer(fd, &a);
        return a;
}

/* Whether the server has ended fd's connection: the end of the stream within 5 s. */
static bool closed_by_server(int fd) {
        char c;
        ssize_t n = recv(fd, &c, 1, 0);

        return n == 0 || (n < 0 && errno == ECONNRESET);
}

static void wait_for_connections(HttpServer *s, unsigned n) {
        uint64_t deadline = monotonic_usec() + 5 * SEC;

        while (connections_count(s) != n && monotonic_usec() < deadline)
                usleep(5000);
        assert_int_equal(connections_count(s), n);
}

static void small_body(HttpOptions *o) {
        o->max_body = 16;
}

static void test_each_server_has_its_own_limits(void **state) {
        HttpServer *a = server_on("a.sock", small_body), *b = server_on("b.sock", NULL);
        int fa = connect_to(a), fb = connect_to(b);
        Answer answer;

        /* the same 20-byte body: over a's --max-body, within b's, where Harper's check says no */
        answer = ask(fa, POST_20);
        assert_int_equal(answer.status, 413);
        assert_string_equal(answer.body, "{\"error\":\"Request body is too large\"}");
        answer = ask(fb, POST_20);
        assert_int_equal(answer.status, 400);
        assert_non_null(strstr(answer.body, "\"error\""));

        close(fa);
        close(fb);

        /* both refuse what the other checks refuse, each on its own (on new connections: a
         * refusal before the body is read ends its connection) */
        for (int i = 0; i < 2; i++) {
                int fd = connect_to(i ? b : a);

                answer = ask(fd, GET);
                assert_int_equal(answer.status, 405);
                assert_non_null(strcasestr(answer.head, "\r\nAllow: POST\r\n"));
                assert_string_equal(answer.body, "{\"error\":\"Only POST is supported: POST / with a JSON body.\"}");
                close(fd);
        }
        http_server_free(a);
        http_server_free(b);
}

static void one_connection_per_user(HttpOptions *o) {
        o->max_connections_per_user = 1;
}

static void test_each_server_counts_its_own_connections(void **state) {
        HttpServer *a = server_on("a.sock", one_connection_per_user), *b = server_on("b.sock", one_connection_per_user);
        int first = connect_to(a), second, other;

        wait_for_connections(a, 1);
        assert_int_equal(connections_count(b), 0);

        /* this user's second connection to a is over a's limit: closed at once */
        second = connect_to(a);
        assert_true(closed_by_server(second));
        close(second);

        /* b has none of this user's connections: its first is served (Harper's 400 on the
         * body, after which the connection stays open) */
        other = connect_to(b);
        assert_int_equal(ask(other, POST_20).status, 400);
        assert_int_equal(connections_count(b), 1);
        /* and a still serves the one it counted */
        assert_int_equal(ask(first, POST_20).status, 400);
        assert_int_equal(connections_count(a), 1);

        close(first);
        close(other);
        wait_for_connections(a, 0);
        wait_for_connections(b, 0);
        http_server_free(a);
        http_server_free(b);
}

static void quick_timeout(HttpOptions *o) {
        o->request_timeout_sec = 1;
}

static void test_each_server_has_its_own_watchdog(void **state) {
        HttpServer *a = server_on("a.sock", quick_timeout), *b = server_on("b.sock", NULL);
        int fa = connect_to(a), fb = connect_to(b);
        struct pollfd p = { .fd = fb, .events = POLLIN };

        /* half a request on each: a's watchdog ends its connection after 1 s (--request-timeout) */
        send_text(fa, "GET / HTTP/1.1\r\n");
        send_text(fb, "GET / HTTP/1.1\r\n");
        assert_true(closed_by_server(fa));
        /* b's, with b's 10 s, is still open, and its request is answered once it is complete */
        assert_int_equal(poll(&p, 1, 0), 0);
        assert_int_equal(ask(fb, "Host: localhost\r\n\r\n").status, 405);

        close(fa);
        close(fb);
        http_server_free(a);
        http_server_free(b);
}

static void two_logins(HttpOptions *o) {
        o->max_logins = 2;
}

static void test_each_server_has_its_own_login_records(void **state) {
        HttpServer *a = server_on("a.sock", two_logins), *b = server_on("b.sock", NULL);
        uint64_t now = monotonic_usec(), at;
        int slots;

        /* guesses at a's TCP logins (as PAM's refusals would count them) hold the name off at a */
        for (int i = 0; i < 6; i++) {
                assert_int_equal(throttle_begin(a->throttle, "alice", "192.0.2.1", now, 0, &at), THROTTLE_GO);
                throttle_end(a->throttle, "alice", "192.0.2.1", now, THROTTLE_REFUSED);
        }
        assert_int_equal(throttle_begin(a->throttle, "alice", "192.0.2.1", now, 0, &at), THROTTLE_HELD_OFF);
        assert_int_equal(throttle_records_used(b->throttle, now), 0);
        assert_int_equal(throttle_begin(b->throttle, "alice", "192.0.2.1", now, 0, &at), THROTTLE_GO);

        /* and each has its own --max-logins slots */
        assert_int_equal(sem_getvalue(&a->login_slots, &slots), 0);
        assert_int_equal(slots, 2);
        assert_int_equal(sem_getvalue(&b->login_slots, &slots), 0);
        assert_int_equal(slots, 4);
        http_server_free(a);
        http_server_free(b);
}

/* A server that is freed removes its socket and leaves the other serving. */
static void test_freeing_one_leaves_the_other(void **state) {
        HttpServer *a = server_on("a.sock", NULL), *b = server_on("b.sock", NULL);
        char path[sizeof(((struct sockaddr_un *) NULL)->sun_path)];
        int fb;

        snprintf(path, sizeof path, "%s", a->options.listen[0]);
        assert_int_equal(access(path, F_OK), 0);
        http_server_free(a);
        assert_int_equal(access(path, F_OK), -1);

        fb = connect_to(b);
        assert_int_equal(ask(fb, GET).status, 405);
        close(fb);
        http_server_free(b);
}

static int setup(void **state) {
        signal(SIGPIPE, SIG_IGN);   /* as harper-ops-http's main: process-wide */
        log_setup("test-http-server", LOG_WARNING);
        return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
        return rmdir(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_each_server_has_its_own_limits),
                cmocka_unit_test(test_each_server_counts_its_own_connections),
                cmocka_unit_test(test_each_server_has_its_own_watchdog),
                cmocka_unit_test(test_each_server_has_its_own_login_records),
                cmocka_unit_test(test_freeing_one_leaves_the_other),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
