/* SPDX-License-Identifier: MIT */
/* harper-client: libcurl's multi interface on an sd-event loop, against a fake server.
 *
 * The fake server here is a stand-in used only for the parsing and error paths (answers that
 * are not JSON or not HTTP, error statuses, silence, a connection cut mid-answer, a socket
 * that is missing or has nobody listening) that the real Harper will not produce on demand;
 * the integration tests talk to the real Harper (harperdb@4.7.29) over its socket. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
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
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake-http.h"
#include "harper-client.h"
#include "harper-reply.h"
#include "time-util.h"

#define LONG_TIMEOUT (5000 * USEC_PER_MSEC)

typedef enum FakeMode {
        FAKE_JSON,             /* 200 with Harper's JSON */
        FAKE_NOT_JSON,         /* 200 with HTML */
        FAKE_NOT_HTTP,         /* a line of text, no status line */
        FAKE_BAD_REQUEST,      /* 400 {"error":...} as Harper sends it */
        FAKE_UNAUTHORIZED,     /* 401, as Harper's TCP port without credentials */
        FAKE_SILENT,           /* reads the request, never answers */
        FAKE_HANG_UP,          /* reads the request, closes */
        FAKE_CUT_OFF,          /* promises 100 bytes, sends 10, closes */
        FAKE_HUGE,             /* a body past HARPER_ANSWER_MAX_BYTES */
        FAKE_PAIR,             /* answers only once two requests are in: proves they run at once */
} FakeMode;

typedef struct FakeServer {
        FakeMode mode;
        bool tcp;
        char path[sizeof(((struct sockaddr_un *) NULL)->sun_path)];
        char url[64];
        int listen_fd, stop[2];
        pthread_t thread;
        char request[4096];    /* the last request, as it arrived */
} FakeServer;

static char dir[] = "/tmp/test-harper-client.XXXXXX";

/* Waits until the test stops the server (for FAKE_SILENT). */
static void wait_for_stop(FakeServer *s) {
        struct pollfd p = { .fd = s->stop[0], .events = POLLIN };

        (void) poll(&p, 1, 10000);
}

static void answer(FakeServer *s, int fd) {
        static const char json[] = "{\"message\":\"Restarting http_workers\",\"job_id\":\"6f0c\"}";
        char head[256];

        switch (s->mode) {
        case FAKE_JSON:
                snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                             "Content-Length: %zu\r\n\r\n", strlen(json));
                fake_http_write_text(fd, head);
                fake_http_write_text(fd, json);
                break;
        case FAKE_NOT_JSON:
                fake_http_write_text(fd, "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\n<html></html>");
                break;
        case FAKE_NOT_HTTP:
                fake_http_write_text(fd, "hello there, this is not HTTP\r\n\r\n");
                break;
        case FAKE_BAD_REQUEST:
                fake_http_write_text(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 27\r\n\r\n{\"error\":\"Invalid service\"}");
                break;
        case FAKE_UNAUTHORIZED:
                fake_http_write_text(fd, "HTTP/1.1 401 Unauthorized\r\nContent-Length: 22\r\n\r\n{\"error\":\"Must login\"}");
                break;
        case FAKE_SILENT:
                wait_for_stop(s);
                break;
        case FAKE_CUT_OFF:
                fake_http_write_text(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"message\"");
                break;
        case FAKE_HUGE: {
                static char chunk[65536];
                fake_http_write_text(fd, "HTTP/1.1 200 OK\r\nContent-Length: 17825792\r\n\r\n");   /* 17 MiB */
                memset(chunk, ' ', sizeof(chunk));
                for (int i = 0; i < 17 * 16; i++)
                        fake_http_write_all(fd, chunk, sizeof(chunk));
                break;
        }
        case FAKE_HANG_UP:
        case FAKE_PAIR:
                break;
        }
}

/* Both requests in before either answer goes out, the second answered first. */
static void answer_pair(FakeServer *s, int first) {
        int second = accept(s->listen_fd, NULL, NULL);
        char buf[4096];

        assert_true(second >= 0);
        fake_http_read_request(second, buf, sizeof(buf));
        for (int i = 0; i < 2; i++) {
                const char *body = i == 0 ? "{\"n\":2}" : "{\"n\":1}";
                char head[128];
                snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", strlen(body));
                fake_http_write_text(i == 0 ? second : first, head);
                fake_http_write_text(i == 0 ? second : first, body);
        }
        close(second);
}

static void *serve(void *userdata) {
        FakeServer *s = userdata;

        for (;;) {
                struct pollfd p[2] = { { .fd = s->listen_fd, .events = POLLIN }, { .fd = s->stop[0], .events = POLLIN } };
                int fd;

                if (poll(p, 2, -1) < 0 || p[1].revents)
                        return NULL;
                fd = accept(s->listen_fd, NULL, NULL);
                if (fd < 0)
                        continue;
                fake_http_read_request(fd, s->request, sizeof(s->request));
                if (s->mode == FAKE_PAIR)
                        answer_pair(s, fd);
                else
                        answer(s, fd);
                close(fd);
        }
}

static int listen_on(FakeServer *s) {
        struct sockaddr_un un = { .sun_family = AF_UNIX };
        struct sockaddr_in in = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(in);
        int fd = socket(s->tcp ? AF_INET : AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        assert_true(fd >= 0);
        if (s->tcp) {
                assert_int_equal(bind(fd, (struct sockaddr *) &in, sizeof(in)), 0);
                assert_int_equal(getsockname(fd, (struct sockaddr *) &in, &len), 0);
                snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%u/", ntohs(in.sin_port));
        } else {
                strcpy(un.sun_path, s->path);
                assert_int_equal(bind(fd, (struct sockaddr *) &un, sizeof(un)), 0);
        }
        assert_int_equal(listen(fd, 8), 0);
        return fd;
}

static FakeServer *fake_start(FakeMode mode, bool tcp) {
        static unsigned n;
        FakeServer *s = calloc(1, sizeof(FakeServer));

        assert_non_null(s);
        s->mode = mode;
        s->tcp = tcp;
        snprintf(s->path, sizeof(s->path), "%s/operations-server-%u", dir, n++);
        s->listen_fd = listen_on(s);
        assert_int_equal(pipe(s->stop), 0);
        assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
        return s;
}

static const char *fake_endpoint(FakeServer *s) {
        return s->tcp ? s->url : s->path;
}

static void fake_stop(FakeServer *s) {
        fake_http_write_text(s->stop[1], "x");
        assert_int_equal(pthread_join(s->thread, NULL), 0);
        close(s->listen_fd);
        close(s->stop[0]);
        close(s->stop[1]);
        unlink(s->path);
        free(s);
}

/* What a callback was told. */
typedef struct Outcome {
        int calls;
        bool during_call;      /* it ran inside harper_client_call: must never happen */
        int code;              /* the error code: 0, or one of harper-reply.h */
        char *error;           /* the sentence */
        json_object *reply;
        long http_status;
} Outcome;

static bool in_client_call;

static void outcome_done(Outcome *o) {
        free(o->error);
        json_object_put(o->reply);
        *o = (Outcome) { 0 };
}

static void on_reply(json_object *reply, int error, const char *message, void *userdata) {
        Outcome *o = userdata;

        o->calls++;
        o->during_call = in_client_call;
        o->reply = json_object_get(reply);
        o->code = error;
        o->error = message ? strdup(message) : NULL;
        /* a code and a sentence, or an answer: never one without the other */
        assert_true(error <= 0);
        assert_true((error < 0) == (message != NULL));
        assert_true((error < 0) == (reply == NULL));
}

static void on_probe(long http_status, int error, const char *message, void *userdata) {
        Outcome *o = userdata;

        o->calls++;
        o->during_call = in_client_call;
        o->http_status = http_status;
        o->code = error;
        o->error = message ? strdup(message) : NULL;
        assert_true(error <= 0);
        assert_true((error < 0) == (message != NULL));
}

typedef struct TestState {
        sd_event *event;
        HarperClient *client;
} TestState;

static int setup(void **state) {
        TestState *t = calloc(1, sizeof(TestState));

        if (!t || !mkdtemp(dir) || sd_event_new(&t->event) < 0 || harper_client_new(&t->client, t->event) < 0)
                return -1;
        *state = t;
        return 0;
}

static int teardown(void **state) {
        TestState *t = *state;

        harper_client_free(t->client);
        sd_event_unref(t->event);
        free(t);
        rmdir(dir);
        strcpy(dir, "/tmp/test-harper-client.XXXXXX");
        return 0;
}

/* Runs the loop until *calls reaches want, for at most 5 s. */
static void run_until(TestState *t, const int *calls, int want) {
        for (int i = 0; i < 500 && *calls < want; i++)
                assert_true(sd_event_run(t->event, 10 * USEC_PER_MSEC) >= 0);
        assert_int_equal(*calls, want);
}

static void run_for(TestState *t, uint64_t usec) {
        for (uint64_t spent = 0; spent < usec; spent += 10 * USEC_PER_MSEC)
                assert_true(sd_event_run(t->event, 10 * USEC_PER_MSEC) >= 0);
}

/* Asks endpoint with a get_status body and runs the loop until the answer is in. */
static void ask(TestState *t, const char *endpoint, const char *operation, uint64_t timeout, Outcome *o) {
        json_object *body = json_object_new_object();

        json_object_object_add(body, "operation", json_object_new_string(operation));
        in_client_call = true;
        assert_int_equal(harper_client_call(t->client, endpoint, body, timeout, on_reply, o, NULL), 0);
        in_client_call = false;
        json_object_put(body);
        run_until(t, &o->calls, 1);
        assert_false(o->during_call);
}

/* The call against a fake in mode ends with exactly this error code and sentence (a trailing
 * '*' in want: starting so). */
static void assert_fake_error(TestState *t, FakeMode mode, uint64_t timeout, int want_code, const char *want) {
        FakeServer *s = fake_start(mode, false);
        Outcome o = { 0 };

        ask(t, s->path, "restart_service", timeout, &o);
        assert_null(o.reply);
        assert_int_equal(o.code, want_code);
        assert_non_null(o.error);
        if (want[strlen(want) - 1] == '*')
                assert_memory_equal(o.error, want, strlen(want) - 1);
        else
                assert_string_equal(o.error, want);
        outcome_done(&o);
        fake_stop(s);
}

static void test_json_answer_and_the_request_sent(void **state) {
        TestState *t = *state;
        FakeServer *s = fake_start(FAKE_JSON, false);
        json_object *message = NULL;
        Outcome o = { 0 };

        ask(t, s->path, "restart_service", LONG_TIMEOUT, &o);
        assert_null(o.error);
        assert_true(json_object_object_get_ex(o.reply, "message", &message));
        assert_string_equal(json_object_get_string(message), "Restarting http_workers");
        assert_memory_equal(s->request, "POST / HTTP/1.1\r\n", 17);
        assert_non_null(strstr(s->request, "\r\nContent-Type: application/json\r\n"));
        assert_null(strstr(s->request, "Expect:"));
        assert_non_null(strstr(s->request, "\r\n\r\n{\"operation\":\"restart_service\"}"));
        outcome_done(&o);
        fake_stop(s);
}

/* curl asks for its timer every few ms while a call runs: sd-event's default accuracy (250 ms)
 * would make a call to a server that answers at once take up to a quarter second. */
static void test_answer_comes_as_soon_as_the_server_answers(void **state) {
        TestState *t = *state;
        FakeServer *s = fake_start(FAKE_JSON, false);
        uint64_t slowest = 0;

        for (int i = 0; i < 5; i++) {
                json_object *body = json_tokener_parse("{\"operation\":\"get_status\"}");
                Outcome o = { 0 };
                uint64_t start = monotonic_usec(), took;

                assert_int_equal(harper_client_call(t->client, s->path, body, LONG_TIMEOUT, on_reply, &o, NULL), 0);
                json_object_put(body);
                /* as the daemon's loop runs: no wake-up of its own, only the sources' */
                while (o.calls == 0)
                        assert_true(sd_event_run(t->event, UINT64_MAX) >= 0);
                took = monotonic_usec() - start;
                slowest = took > slowest ? took : slowest;
                assert_null(o.error);
                outcome_done(&o);
        }
        if (slowest > 50 * USEC_PER_MSEC)
                fail_msg("the slowest of 5 calls took %llu ms", (unsigned long long) (slowest / USEC_PER_MSEC));
        fake_stop(s);
}

static void test_answers_that_are_not_harpers(void **state) {
        assert_fake_error(*state, FAKE_NOT_JSON, LONG_TIMEOUT, -EBADMSG, "Harper's answer is not JSON.");
        assert_fake_error(*state, FAKE_NOT_HTTP, LONG_TIMEOUT, -EPROTO, "Harper's answer is not HTTP (*");
        /* 17 MiB take a while under valgrind */
        assert_fake_error(*state, FAKE_HUGE, 6 * LONG_TIMEOUT, -EFBIG,
                          "Harper's answer to restart_service is larger than 16 MiB.");
}

static void test_error_status(void **state) {
        assert_fake_error(*state, FAKE_BAD_REQUEST, LONG_TIMEOUT, HARPER_ERROR_REFUSED,
                          "Harper refused restart_service: Invalid service (HTTP 400).");
}

static void test_time_bound(void **state) {
        assert_fake_error(*state, FAKE_SILENT, 200 * USEC_PER_MSEC, -ETIMEDOUT, "Harper did not answer within 200 ms.");
}

static void test_connection_closed(void **state) {
        assert_fake_error(*state, FAKE_HANG_UP, LONG_TIMEOUT, -ECONNRESET,
                          "Harper closed the connection without answering.");
        assert_fake_error(*state, FAKE_CUT_OFF, LONG_TIMEOUT, -ECONNRESET,
                          "Harper closed the connection before its answer was complete.");
}

static void test_socket_missing(void **state) {
        TestState *t = *state;
        char *path = NULL, *want = NULL;
        Outcome o = { 0 };

        assert_true(asprintf(&path, "%s/operations-server", dir) > 0);
        ask(t, path, "get_status", LONG_TIMEOUT, &o);
        assert_true(asprintf(&want, "Harper is not running: cannot connect to %s (No such file or directory).", path) > 0);
        assert_int_equal(o.code, -ECONNREFUSED);
        assert_string_equal(o.error, want);
        outcome_done(&o);
        free(want);
        free(path);
}

static void test_nobody_listening(void **state) {
        TestState *t = *state;
        struct sockaddr_un un = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        char *want = NULL;
        Outcome o = { 0 };

        /* a socket file left by a Harper that is gone */
        snprintf(un.sun_path, sizeof(un.sun_path), "%s/stale", dir);
        assert_int_equal(bind(fd, (struct sockaddr *) &un, sizeof(un)), 0);
        close(fd);
        ask(t, un.sun_path, "get_status", LONG_TIMEOUT, &o);
        assert_true(asprintf(&want, "Harper is not running: cannot connect to %s (Connection refused).", un.sun_path) > 0);
        assert_int_equal(o.code, -ECONNREFUSED);
        assert_string_equal(o.error, want);
        outcome_done(&o);
        free(want);
        unlink(un.sun_path);
}

static void test_probe_any_answer_counts(void **state) {
        TestState *t = *state;
        FakeServer *s = fake_start(FAKE_UNAUTHORIZED, true);   /* Harper's TCP port, no credentials */
        Outcome o = { 0 };

        in_client_call = true;
        assert_int_equal(harper_client_probe(t->client, fake_endpoint(s), LONG_TIMEOUT, on_probe, &o, NULL), 0);
        in_client_call = false;
        run_until(t, &o.calls, 1);
        assert_false(o.during_call);
        assert_int_equal(o.http_status, 401);
        assert_int_equal(o.code, 0);
        assert_null(o.error);
        assert_memory_equal(s->request, "POST / HTTP/1.1\r\n", 17);
        outcome_done(&o);
        fake_stop(s);

        assert_int_equal(harper_client_probe(t->client, "http://127.0.0.1:1/", LONG_TIMEOUT, on_probe, &o, NULL), 0);
        run_until(t, &o.calls, 1);
        assert_int_equal(o.http_status, 0);
        assert_int_equal(o.code, -ECONNREFUSED);
        assert_string_equal(o.error, "Harper is not running: cannot connect to http://127.0.0.1:1/ (Connection refused).");
        outcome_done(&o);
}

static int reply_number(const Outcome *o) {
        json_object *n = NULL;

        assert_true(json_object_object_get_ex(o->reply, "n", &n));
        return json_object_get_int(n);
}

static void test_calls_run_at_once_and_cancel_stops_the_callback(void **state) {
        TestState *t = *state;
        FakeServer *pair = fake_start(FAKE_PAIR, false), *silent = fake_start(FAKE_SILENT, false);
        json_object *body = json_object_new_object();
        Outcome a = { 0 }, b = { 0 }, cancelled = { 0 };
        HarperCall *call = NULL;

        assert_int_equal(harper_client_call(t->client, pair->path, body, LONG_TIMEOUT, on_reply, &a, NULL), 0);
        assert_int_equal(harper_client_call(t->client, silent->path, body, 300 * USEC_PER_MSEC, on_reply, &cancelled,
                                            &call), 0);
        run_for(t, 50 * USEC_PER_MSEC);
        /* the pair server answers neither until this one is in too */
        assert_int_equal(harper_client_call(t->client, pair->path, body, LONG_TIMEOUT, on_reply, &b, NULL), 0);
        harper_call_cancel(call);
        run_until(t, &a.calls, 1);
        run_until(t, &b.calls, 1);
        assert_null(a.error);
        assert_null(b.error);
        assert_int_equal(reply_number(&a) + reply_number(&b), 3);
        run_for(t, 400 * USEC_PER_MSEC);   /* past the cancelled call's time bound */
        assert_int_equal(cancelled.calls, 0);
        outcome_done(&a);
        outcome_done(&b);
        json_object_put(body);
        fake_stop(pair);
        fake_stop(silent);
}

/* A callback that starts the next call and cancels another one. */
typedef struct Chain {
        TestState *t;
        const char *endpoint;
        HarperCall *victim;
        Outcome first, second, victim_outcome;
} Chain;

static void on_first_reply(json_object *reply, int error, const char *message, void *userdata) {
        Chain *chain = userdata;
        json_object *body = json_object_new_object();

        on_reply(reply, error, message, &chain->first);
        harper_call_cancel(chain->victim);
        assert_int_equal(harper_client_call(chain->t->client, chain->endpoint, body, LONG_TIMEOUT, on_reply,
                                            &chain->second, NULL), 0);
        json_object_put(body);
}

static void test_callback_may_start_and_cancel_calls(void **state) {
        TestState *t = *state;
        FakeServer *s = fake_start(FAKE_JSON, false), *silent = fake_start(FAKE_SILENT, false);
        json_object *body = json_object_new_object();
        Chain chain = { .t = t, .endpoint = s->path };

        assert_int_equal(harper_client_call(t->client, silent->path, body, LONG_TIMEOUT, on_reply,
                                            &chain.victim_outcome, &chain.victim), 0);
        assert_int_equal(harper_client_call(t->client, s->path, body, LONG_TIMEOUT, on_first_reply, &chain, NULL), 0);
        run_until(t, &chain.first.calls, 1);
        run_until(t, &chain.second.calls, 1);
        assert_null(chain.second.error);
        assert_non_null(chain.second.reply);
        run_for(t, 50 * USEC_PER_MSEC);
        assert_int_equal(chain.victim_outcome.calls, 0);
        outcome_done(&chain.first);
        outcome_done(&chain.second);
        json_object_put(body);
        fake_stop(s);
        fake_stop(silent);
}

static void test_free_with_calls_running_calls_nobody(void **state) {
        TestState *t = *state;
        FakeServer *silent = fake_start(FAKE_SILENT, false);
        json_object *body = json_object_new_object();
        Outcome o = { 0 };

        assert_int_equal(harper_client_call(t->client, silent->path, body, LONG_TIMEOUT, on_reply, &o, NULL), 0);
        run_for(t, 50 * USEC_PER_MSEC);
        t->client = harper_client_free(t->client);
        assert_int_equal(o.calls, 0);
        json_object_put(body);
        fake_stop(silent);
}

static void test_bad_arguments(void **state) {
        TestState *t = *state;
        json_object *body = json_object_new_object();
        Outcome o = { 0 };

        assert_int_equal(harper_client_call(t->client, "operations-server", body, LONG_TIMEOUT, on_reply, &o, NULL),
                         -EINVAL);
        assert_int_equal(harper_client_call(t->client, "https://127.0.0.1:9925/", body, LONG_TIMEOUT, on_reply, &o,
                                            NULL), -EINVAL);
        assert_int_equal(harper_client_call(t->client, "/x", body, 0, on_reply, &o, NULL), -EINVAL);
        assert_int_equal(harper_client_call(t->client, "/x", NULL, LONG_TIMEOUT, on_reply, &o, NULL), -EINVAL);
        run_for(t, 20 * USEC_PER_MSEC);
        assert_int_equal(o.calls, 0);
        json_object_put(body);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_json_answer_and_the_request_sent, setup, teardown),
                cmocka_unit_test_setup_teardown(test_answer_comes_as_soon_as_the_server_answers, setup, teardown),
                cmocka_unit_test_setup_teardown(test_answers_that_are_not_harpers, setup, teardown),
                cmocka_unit_test_setup_teardown(test_error_status, setup, teardown),
                cmocka_unit_test_setup_teardown(test_time_bound, setup, teardown),
                cmocka_unit_test_setup_teardown(test_connection_closed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_socket_missing, setup, teardown),
                cmocka_unit_test_setup_teardown(test_nobody_listening, setup, teardown),
                cmocka_unit_test_setup_teardown(test_probe_any_answer_counts, setup, teardown),
                cmocka_unit_test_setup_teardown(test_calls_run_at_once_and_cancel_stops_the_callback, setup, teardown),
                cmocka_unit_test_setup_teardown(test_callback_may_start_and_cancel_calls, setup, teardown),
                cmocka_unit_test_setup_teardown(test_free_with_calls_running_calls_nobody, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
        };

        /* the fake server writes to connections the client has given up on */
        signal(SIGPIPE, SIG_IGN);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
