/* SPDX-License-Identifier: MIT */
/* status-mirror: what reaches Harper, and when it is sent again, decided by the error code of
 * harper-client's callback (never by its sentence): a status Harper refused (HTTP 4xx) or could
 * not take (5xx) is not sent again; a Harper that cannot be reached, or whose answer cannot be
 * read, gets it again later. Against a fake Harper on a unix socket (the configuration's
 * harper.socket, so no systemd is asked); the integration test harper-statuses uses the real
 * one. */
#include <errno.h>
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
#include <unistd.h>

#include <cmocka.h>

#include "fake-http.h"
#include "log.h"
#include "status-mirror.h"
#include "text.h"

typedef enum SetAnswer {
        SET_OK,                /* 200 {"message":...} */
        SET_REFUSED,           /* 400 {"error":...} */
        SET_FAILED,            /* 500 {"error":...} */
        SET_NOT_JSON,          /* 200 with a text that reads like a refusal */
} SetAnswer;

typedef struct FakeHarper {
        char path[108];
        int listen_fd, stop[2];
        pthread_t thread;
        pthread_mutex_t lock;
        SetAnswer set_answer;
        unsigned get_status, set_status, clear_status;   /* requests seen */
        char last_status[256];             /* the body of the last set_status */
        char last_clear[256];              /* the body of the last clear_status */
        const char *held;                  /* get_status answers these records (JSON array) */
} FakeHarper;

static char dir[] = "/tmp/test-status-mirror.XXXXXX";

static void respond(int fd, int status, const char *body) {
        char head[160];

        snprintf(head, sizeof head, "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                 status, strlen(body));
        fake_http_write_text(fd, head);
        fake_http_write_text(fd, body);
}

static void answer(FakeHarper *h, int fd, const char *request) {
        SetAnswer set_answer;

        pthread_mutex_lock(&h->lock);
        set_answer = h->set_answer;
        if (strstr(request, "\"operation\":\"get_status\""))
                h->get_status++;
        else if (strstr(request, "\"operation\":\"set_status\"")) {
                h->set_status++;
                snprintf(h->last_status, sizeof h->last_status, "%s", strstr(request, "\r\n\r\n") + 4);
        } else if (strstr(request, "\"operation\":\"clear_status\"")) {
                h->clear_status++;
                snprintf(h->last_clear, sizeof h->last_clear, "%s", strstr(request, "\r\n\r\n") + 4);
        }
        pthread_mutex_unlock(&h->lock);

        if (strstr(request, "\"operation\":\"get_status\"")) {
                char body[1024];
                snprintf(body, sizeof body, "{\"systemStatus\":%s}", h->held ?: "[]");
                return respond(fd, 200, body);
        }
        if (!strstr(request, "\"operation\":\"set_status\""))
                return respond(fd, 200, "{\"message\":\"Status cleared\"}");
        switch (set_answer) {
        case SET_OK:
                return respond(fd, 200, "{\"message\":\"Status updated\"}");
        case SET_REFUSED:
                return respond(fd, 400, "{\"error\":\"Invalid status\"}");
        case SET_FAILED:
                return respond(fd, 500, "{\"error\":\"database is gone\"}");
        case SET_NOT_JSON:
                return respond(fd, 200, "Harper refused set_status: no (HTTP 400).");
        }
}

static void *serve(void *userdata) {
        FakeHarper *h = userdata;
        char request[4096];

        for (;;) {
                struct pollfd p[2] = { { .fd = h->listen_fd, .events = POLLIN }, { .fd = h->stop[0], .events = POLLIN } };
                int fd;

                if (poll(p, 2, -1) < 0 || p[1].revents)
                        return NULL;
                fd = accept(h->listen_fd, NULL, NULL);
                if (fd < 0)
                        continue;
                fake_http_read_request(fd, request, sizeof request);
                answer(h, fd, request);
                close(fd);
        }
}

/* The fake's place, before it listens. */
static FakeHarper *fake_new(SetAnswer set_answer) {
        FakeHarper *h = calloc(1, sizeof(FakeHarper));

        assert_non_null(h);
        h->set_answer = set_answer;
        h->listen_fd = -1;
        snprintf(h->path, sizeof h->path, "%s/operations-server", dir);
        pthread_mutex_init(&h->lock, NULL);
        return h;
}

static void fake_listen(FakeHarper *h) {
        struct sockaddr_un un = { .sun_family = AF_UNIX };

        h->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(h->listen_fd >= 0);
        strcpy(un.sun_path, h->path);
        assert_int_equal(bind(h->listen_fd, (struct sockaddr *) &un, sizeof(un)), 0);
        assert_int_equal(listen(h->listen_fd, 8), 0);
        assert_int_equal(pipe(h->stop), 0);
        assert_int_equal(pthread_create(&h->thread, NULL, serve, h), 0);
}

static void fake_free(FakeHarper *h) {
        if (h->listen_fd >= 0) {
                fake_http_write_text(h->stop[1], "x");
                assert_int_equal(pthread_join(h->thread, NULL), 0);
                close(h->listen_fd);
                close(h->stop[0]);
                close(h->stop[1]);
        }
        unlink(h->path);
        pthread_mutex_destroy(&h->lock);
        free(h);
}

static unsigned fake_count(FakeHarper *h, const unsigned *counter) {
        unsigned n;

        pthread_mutex_lock(&h->lock);
        n = *counter;
        pthread_mutex_unlock(&h->lock);
        return n;
}

typedef struct Fixture {
        sd_event *event;
        HarperClient *client;
        Config config;
        StatusStore store;
        HarperLocator *locator;
        StatusMirror *mirror;
        FakeHarper *harper;
        unsigned known;
} Fixture;

static void on_known(void *userdata) {
        Fixture *f = userdata;

        f->known++;
}

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(Fixture));

        if (!f || !mkdtemp(dir) || sd_event_new(&f->event) < 0 || harper_client_new(&f->client, f->event) < 0)
                return -1;
        config_defaults(&f->config);
        f->harper = fake_new(SET_OK);
        f->config.harper.socket = strdup(f->harper->path);
        f->config.harper.api = true;
        status_store_init(&f->store);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        status_mirror_free(f->mirror);
        harper_locator_free(f->locator);
        harper_client_free(f->client);
        sd_event_unref(f->event);
        fake_free(f->harper);
        status_store_done(&f->store);
        config_done(&f->config);
        free(f);
        rmdir(dir);
        strcpy(dir, "/tmp/test-status-mirror.XXXXXX");
        return 0;
}

static void run_for(Fixture *f, unsigned ms) {
        uint64_t deadline = monotonic_usec() + ms * 1000ull;

        while (monotonic_usec() < deadline)
                assert_true(sd_event_run(f->event, 5000) >= 0);
}

/* Runs the loop until *counter of the fake reaches want, for at most max_ms. */
static void run_until(Fixture *f, const unsigned *counter, unsigned want, unsigned max_ms) {
        uint64_t deadline = monotonic_usec() + max_ms * 1000ull;

        while (fake_count(f->harper, counter) < want && monotonic_usec() < deadline)
                assert_true(sd_event_run(f->event, 5000) >= 0);
        assert_int_equal(fake_count(f->harper, counter), want);
}

/* Harper is where the configuration's harper section says: no systemd to ask */
static void start_mirror(Fixture *f) {
        assert_int_equal(harper_locator_new(&f->locator, &f->config, NULL), 0);
        assert_int_equal(status_mirror_new(&f->mirror, f->event, f->locator, f->client, &f->store, on_known, f), 0);
}

static void set_status(Fixture *f, StatusId id, const char *status) {
        assert_non_null(status_store_set(&f->store, id, status, now_ms()));
        status_mirror_changed(f->mirror, id);
}

static void test_a_status_reaches_harper(void **state) {
        Fixture *f = *state;

        fake_listen(f->harper);
        start_mirror(f);
        run_until(f, &f->harper->get_status, 1, 20000);
        set_status(f, STATUS_PRIMARY, "active");
        run_until(f, &f->harper->set_status, 1, 20000);
        assert_non_null(strstr(f->harper->last_status, "\"id\":\"primary\""));
        assert_non_null(strstr(f->harper->last_status, "\"status\":\"active\""));
        run_for(f, 300);
        assert_int_equal(fake_count(f->harper, &f->harper->set_status), 1);
}

/* Harper refused it (4xx) or could not take it (5xx): a difference of rules, not a reason to
 * insist. */
static void test_a_refused_status_is_not_sent_again(void **state) {
        Fixture *f = *state;

        f->harper->set_answer = SET_REFUSED;
        fake_listen(f->harper);
        start_mirror(f);
        run_until(f, &f->harper->get_status, 1, 20000);
        set_status(f, STATUS_PRIMARY, "active");
        run_until(f, &f->harper->set_status, 1, 20000);
        run_for(f, 300);   /* past the first retry, due after 100 ms */
        assert_int_equal(fake_count(f->harper, &f->harper->set_status), 1);

        pthread_mutex_lock(&f->harper->lock);
        f->harper->set_answer = SET_FAILED;
        pthread_mutex_unlock(&f->harper->lock);
        set_status(f, STATUS_MAINTENANCE, "off");
        run_until(f, &f->harper->set_status, 2, 20000);
        run_for(f, 300);
        assert_int_equal(fake_count(f->harper, &f->harper->set_status), 2);
}

/* An answer that cannot be read is not a refusal, whatever its text says: sent again. */
static void test_an_unreadable_answer_is_retried(void **state) {
        Fixture *f = *state;

        f->harper->set_answer = SET_NOT_JSON;
        fake_listen(f->harper);
        start_mirror(f);
        run_until(f, &f->harper->get_status, 1, 20000);
        set_status(f, STATUS_PRIMARY, "active");
        run_until(f, &f->harper->set_status, 2, 20000);

        /* once Harper takes it, that is the end of it */
        pthread_mutex_lock(&f->harper->lock);
        f->harper->set_answer = SET_OK;
        pthread_mutex_unlock(&f->harper->lock);
        run_until(f, &f->harper->set_status, 3, 20000);
        run_for(f, 300);
        assert_int_equal(fake_count(f->harper, &f->harper->set_status), 3);
}

/* A Harper not running yet: its statuses are read back and sent once it listens. */
static void test_an_unreachable_harper_gets_it_later(void **state) {
        Fixture *f = *state;

        start_mirror(f);
        set_status(f, STATUS_AVAILABILITY, "up");
        run_for(f, 150);   /* a try or two, to a socket that is not there */
        fake_listen(f->harper);
        run_until(f, &f->harper->get_status, 1, 20000);
        run_until(f, &f->harper->set_status, 1, 20000);
        assert_non_null(strstr(f->harper->last_status, "\"id\":\"availability\""));
        run_for(f, 300);
        assert_int_equal(fake_count(f->harper, &f->harper->set_status), 1);
}

/* Harper holds three statuses; before they are read back primary is set and maintenance
 * cleared here. Until the read-back only those two are known; after it they are as set here,
 * and availability is Harper's. Harper gets ours. */
static void test_writes_before_the_read_back_win(void **state) {
        Fixture *f = *state;

        f->harper->held = "[{\"id\":\"primary\",\"status\":\"harper's\",\"__createdtime__\":1,\"__updatedtime__\":2},"
                          "{\"id\":\"maintenance\",\"status\":\"harper's\",\"__createdtime__\":1,\"__updatedtime__\":2},"
                          "{\"id\":\"availability\",\"status\":\"Unavailable\",\"__createdtime__\":1,\"__updatedtime__\":2}]";
        start_mirror(f);   /* Harper does not listen yet */
        for (int i = 0; i < _STATUS_ID_MAX; i++)
                assert_false(status_store_knows(&f->store, (StatusId) i));
        set_status(f, STATUS_PRIMARY, "ours");
        assert_false(status_store_clear(&f->store, STATUS_MAINTENANCE));
        status_mirror_changed(f->mirror, STATUS_MAINTENANCE);   /* as bus-status does, unknown */
        run_for(f, 150);
        assert_true(status_store_knows(&f->store, STATUS_PRIMARY));
        assert_true(status_store_knows(&f->store, STATUS_MAINTENANCE));
        assert_false(status_store_knows(&f->store, STATUS_AVAILABILITY));
        assert_false(f->store.complete);
        assert_int_equal(f->known, 0);

        fake_listen(f->harper);
        run_until(f, &f->harper->get_status, 1, 20000);
        run_until(f, &f->harper->clear_status, 1, 20000);
        run_until(f, &f->harper->set_status, 1, 20000);
        assert_true(f->store.complete);
        assert_int_equal(f->known, 1);
        assert_non_null(status_store_get(&f->store, STATUS_PRIMARY));
        assert_string_equal(status_store_get(&f->store, STATUS_PRIMARY)->status, "ours");
        assert_null(status_store_get(&f->store, STATUS_MAINTENANCE));
        assert_non_null(status_store_get(&f->store, STATUS_AVAILABILITY));
        assert_string_equal(status_store_get(&f->store, STATUS_AVAILABILITY)->status, "Unavailable");
        assert_non_null(strstr(f->harper->last_status, "\"status\":\"ours\""));
        assert_non_null(strstr(f->harper->last_clear, "\"id\":\"maintenance\""));
}

/* A store complete at start (taken over from the previous run) is not read back: Harper gets it. */
static void test_a_complete_store_is_sent_not_read_back(void **state) {
        Fixture *f = *state;

        assert_non_null(status_store_restore(&f->store, STATUS_MAINTENANCE, "kept", 1, 2));
        f->store.complete = true;
        fake_listen(f->harper);
        start_mirror(f);
        run_until(f, &f->harper->set_status, 1, 20000);
        assert_non_null(strstr(f->harper->last_status, "\"status\":\"kept\""));
        run_for(f, 300);
        assert_int_equal(fake_count(f->harper, &f->harper->get_status), 0);
        assert_int_equal(fake_count(f->harper, &f->harper->set_status), 1);
        assert_int_equal(f->known, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_a_status_reaches_harper, setup, teardown),
                cmocka_unit_test_setup_teardown(test_a_refused_status_is_not_sent_again, setup, teardown),
                cmocka_unit_test_setup_teardown(test_an_unreadable_answer_is_retried, setup, teardown),
                cmocka_unit_test_setup_teardown(test_an_unreachable_harper_gets_it_later, setup, teardown),
                cmocka_unit_test_setup_teardown(test_writes_before_the_read_back_win, setup, teardown),
                cmocka_unit_test_setup_teardown(test_a_complete_store_is_sent_not_read_back, setup, teardown),
        };

        log_setup("test-status-mirror", LOG_ERR);
        signal(SIGPIPE, SIG_IGN);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
