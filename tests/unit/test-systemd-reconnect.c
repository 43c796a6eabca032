/* SPDX-License-Identifier: MIT */
/* The systemd client's unit jobs and reconnection, against a fake manager in the same event
 * loop: the client reaches it as it reaches PID 1's private socket (a peer connection to a
 * unix socket, no bus daemon), and the fake answers Subscribe, RestartUnit and the Properties
 * the client asks, and sends JobRemoved when told. The fake can leave (its connection and its
 * socket go away, as when systemd re-executes) and come back. No root, milliseconds. */
#include <errno.h>
#include <setjmp.h>
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
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <systemd/sd-id128.h>

#include <cmocka.h>

#include "macro.h"
#include "systemd-client-internal.h"
#include "text.h"

#define USEC_PER_MSEC 1000ULL
#define UNIT "test.service"
#define JOB_PATH "/org/freedesktop/systemd1/job/42"

typedef struct Fake {
        sd_event *event;
        char dir[64];
        char path[sizeof(((struct sockaddr_un *) NULL)->sun_path)];
        int listen_fd;
        sd_event_source *listening;
        sd_bus *bus;           /* the client's connection, our side */
        unsigned n_connections, n_subscribes, n_queued, n_job_asked;
        bool silent_queue;     /* RestartUnit gets no answer */
        const char *job_result;        /* sent as JobRemoved right after queuing; NULL: not */
        const char *active_state;      /* the unit's ActiveState */
        const char *service_result;    /* the service's Result */
        const char *job_state;         /* Job.State; NULL: the job is gone */
} Fake;

typedef struct Outcome {
        unsigned n_queued, n_finished;
        char *error;
} Outcome;

static void on_run(const char *unit, UnitRunEvent event, const char *error, void *userdata) {
        Outcome *o = userdata;

        assert_string_equal(unit, UNIT);
        if (event == UNIT_RUN_QUEUED) {
                o->n_queued++;
                return;
        }
        o->n_finished++;
        o->error = error ? strdup(error) : NULL;
}

static int reply_string(sd_bus_message *m, const char *value) {
        if (!value)
                return sd_bus_reply_method_errorf(m, "org.freedesktop.DBus.Error.UnknownObject", "No such job.");
        return sd_bus_reply_method_return(m, "v", "s", value);
}

static int fake_get(Fake *f, sd_bus_message *m) {
        const char *interface, *property;

        assert_int_equal(sd_bus_message_read(m, "ss", &interface, &property), 1);
        if (strcmp(property, "State") == 0) {
                f->n_job_asked++;
                return reply_string(m, f->job_state);
        }
        if (strcmp(property, "ActiveState") == 0)
                return reply_string(m, f->active_state);
        if (strcmp(property, "Result") == 0)
                return reply_string(m, f->service_result);
        return 0;
}

static int fake_job_removed(Fake *f, const char *result) {
        return sd_bus_emit_signal(f->bus, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                                  "JobRemoved", "uoss", 42, JOB_PATH, UNIT, result);
}

static int fake_filter(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Fake *f = userdata;

        if (sd_bus_message_is_method_call(m, "org.freedesktop.systemd1.Manager", "Subscribe")) {
                f->n_subscribes++;
                return sd_bus_reply_method_return(m, NULL) < 0 ? -EIO : 1;
        }
        if (sd_bus_message_is_method_call(m, "org.freedesktop.systemd1.Manager", "RestartUnit")) {
                f->n_queued++;
                if (f->silent_queue)
                        return 1;
                assert_true(sd_bus_reply_method_return(m, "o", JOB_PATH) >= 0);
                if (f->job_result)
                        assert_true(fake_job_removed(f, f->job_result) >= 0);
                return 1;
        }
        if (sd_bus_message_is_method_call(m, "org.freedesktop.DBus.Properties", "Get"))
                return fake_get(f, m) < 0 ? -EIO : 1;
        return 0;
}

static int on_connection(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Fake *f = userdata;
        _cleanup_(sd_bus_unrefp) sd_bus *bus = NULL;
        sd_id128_t id;
        int conn;

        conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        assert_true(conn >= 0);
        assert_null(f->bus);   /* one client at a time */
        assert_int_equal(sd_bus_new(&bus), 0);
        assert_int_equal(sd_bus_set_fd(bus, conn, conn), 0);
        assert_int_equal(sd_id128_randomize(&id), 0);
        assert_int_equal(sd_bus_set_server(bus, 1, id), 0);
        assert_true(sd_bus_add_filter(bus, NULL, fake_filter, f) >= 0);
        assert_true(sd_bus_start(bus) >= 0);
        assert_true(sd_bus_attach_event(bus, f->event, SD_EVENT_PRIORITY_NORMAL) >= 0);
        f->bus = TAKE_PTR(bus);
        f->n_connections++;
        return 0;
}

static void fake_listen(Fake *f) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        f->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        assert_true(f->listen_fd >= 0);
        strcpy(sa.sun_path, f->path);
        assert_int_equal(bind(f->listen_fd, (struct sockaddr *) &sa, sizeof sa), 0);
        assert_int_equal(listen(f->listen_fd, 8), 0);
        assert_true(sd_event_add_io(f->event, &f->listening, f->listen_fd, EPOLLIN, on_connection, f) >= 0);
}

/* The manager goes away, as systemd does while it re-executes: its connection and socket. */
static void fake_leave(Fake *f) {
        f->bus = sd_bus_flush_close_unref(f->bus);
        f->listening = sd_event_source_disable_unref(f->listening);
        close(f->listen_fd);
        f->listen_fd = -EBADF;
        unlink(f->path);
}

static int setup(void **state) {
        Fake *f = calloc(1, sizeof(Fake));

        assert_non_null(f);
        strcpy(f->dir, "/tmp/test-systemd-reconnect.XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        snprintf(f->path, sizeof f->path, "%s/private", f->dir);
        assert_true(sd_event_new(&f->event) >= 0);
        f->active_state = "active";
        f->job_state = "running";
        fake_listen(f);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fake *f = *state;

        if (f->listen_fd >= 0)
                fake_leave(f);
        f->bus = sd_bus_flush_close_unref(f->bus);
        sd_event_unref(f->event);
        rmdir(f->dir);
        free(f);
        return 0;
}

/* Runs the loop until *done (or timeout_ms pass: the test then fails). */
static void run_until(Fake *f, const unsigned *done, unsigned timeout_ms) {
        uint64_t end = monotonic_usec() + timeout_ms * USEC_PER_MSEC;

        while (!*done) {
                assert_true(monotonic_usec() < end);
                assert_true(sd_event_run(f->event, 10 * USEC_PER_MSEC) >= 0);
        }
}

/* Runs the loop for ms. */
static void run_for(Fake *f, unsigned ms) {
        uint64_t end = monotonic_usec() + ms * USEC_PER_MSEC;

        while (monotonic_usec() < end)
                assert_true(sd_event_run(f->event, 10 * USEC_PER_MSEC) >= 0);
}

static SystemdClient *client_new(Fake *f, uint64_t grace_ms) {
        SystemdClient *c = NULL;

        assert_int_equal(systemd_client_new(&c, f->event, f->path, true, 5000 * USEC_PER_MSEC), 0);
        systemd_client_set_manager_grace(c, grace_ms * USEC_PER_MSEC);
        return c;
}

static void test_done(void **state) {
        Fake *f = *state;
        _cleanup_(systemd_client_freep) SystemdClient *c = client_new(f, 1000);
        Outcome o = {};

        f->job_result = "done";
        assert_int_equal(systemd_client_run(c, UNIT, UNIT_ACTION_RESTART, on_run, &o), 0);
        run_until(f, &o.n_finished, 2000);
        assert_int_equal(o.n_queued, 1);
        assert_null(o.error);
        assert_int_equal(f->n_subscribes, 1);
        assert_int_equal(f->n_connections, 1);
}

static void test_failed(void **state) {
        Fake *f = *state;
        _cleanup_(systemd_client_freep) SystemdClient *c = client_new(f, 1000);
        Outcome o = {};

        f->job_result = "failed";
        f->service_result = "exit-code";
        assert_int_equal(systemd_client_run(c, UNIT, UNIT_ACTION_RESTART, on_run, &o), 0);
        run_until(f, &o.n_finished, 2000);
        assert_string_equal(o.error, "Restart of test.service failed: exit-code");
        free(o.error);
}

/* done, but the unit did not stay up */
static void test_done_not_active(void **state) {
        Fake *f = *state;
        _cleanup_(systemd_client_freep) SystemdClient *c = client_new(f, 1000);
        Outcome o = {};

        f->job_result = "done";
        f->active_state = "failed";
        assert_int_equal(systemd_client_run(c, UNIT, UNIT_ACTION_RESTART, on_run, &o), 0);
        run_until(f, &o.n_finished, 2000);
        assert_string_equal(o.error, "Restart of test.service ended with the unit failed, not active.");
        free(o.error);
}

/* A manager gone before it queued the job: nothing to wait for, the run fails at once (sd-bus
 * answers the call in flight itself, before Disconnected comes). */
static void test_lost_while_queueing(void **state) {
        Fake *f = *state;
        _cleanup_(systemd_client_freep) SystemdClient *c = client_new(f, 1000);
        Outcome o = {};

        f->silent_queue = true;
        assert_int_equal(systemd_client_run(c, UNIT, UNIT_ACTION_RESTART, on_run, &o), 0);
        run_until(f, &f->n_queued, 2000);
        fake_leave(f);
        run_until(f, &o.n_finished, 2000);
        assert_int_equal(o.n_queued, 0);
        assert_string_equal(o.error, "Restart of test.service failed: Connection terminated");
        free(o.error);
}

/* The manager leaves with the job queued and comes back within the grace period (a
 * daemon-reexec): the client connects again, subscribes again, asks whether the job is still
 * there, and the run finishes on the new connection's JobRemoved. */
static void test_comes_back(void **state) {
        Fake *f = *state;
        _cleanup_(systemd_client_freep) SystemdClient *c = client_new(f, 3000);
        Outcome o = {};

        assert_int_equal(systemd_client_run(c, UNIT, UNIT_ACTION_RESTART, on_run, &o), 0);
        run_until(f, &o.n_queued, 2000);
        fake_leave(f);
        run_for(f, 450);       /* the client asks again every 200 ms, in vain */
        assert_int_equal(o.n_finished, 0);
        fake_listen(f);
        run_until(f, &f->n_job_asked, 2000);
        assert_int_equal(f->n_connections, 2);
        assert_int_equal(f->n_subscribes, 2);
        assert_int_equal(o.n_finished, 0);   /* the job is still running */
        assert_true(fake_job_removed(f, "done") >= 0);
        run_until(f, &o.n_finished, 2000);
        assert_null(o.error);
        assert_int_equal(f->n_queued, 1);   /* not queued twice */
}

/* Back, but the job ended while nobody listened: the unit's state says how it went. */
static void test_comes_back_job_gone(void **state) {
        Fake *f = *state;
        _cleanup_(systemd_client_freep) SystemdClient *c = client_new(f, 3000);
        Outcome o = {};

        assert_int_equal(systemd_client_run(c, UNIT, UNIT_ACTION_RESTART, on_run, &o), 0);
        run_until(f, &o.n_queued, 2000);
        fake_leave(f);
        f->job_state = NULL;
        fake_listen(f);
        run_until(f, &o.n_finished, 2000);
        assert_int_equal(f->n_job_asked, 1);
        assert_null(o.error);
}

/* A manager that does not come back within the grace period fails the run. */
static void test_does_not_come_back(void **state) {
        static const char prefix[] = "Restart of test.service did not finish: the connection to systemd was lost "
                                     "(it did not come back within ";
        Fake *f = *state;
        _cleanup_(systemd_client_freep) SystemdClient *c = client_new(f, 500);
        Outcome o = {};
        uint64_t lost;

        assert_int_equal(systemd_client_run(c, UNIT, UNIT_ACTION_RESTART, on_run, &o), 0);
        run_until(f, &o.n_queued, 2000);
        fake_leave(f);
        lost = monotonic_usec();
        run_until(f, &o.n_finished, 2000);
        assert_true(monotonic_usec() - lost >= 500 * USEC_PER_MSEC);
        assert_non_null(o.error);
        assert_int_equal(strncmp(o.error, prefix, strlen(prefix)), 0);
        assert_string_equal(o.error + strlen(prefix), "0 s)");
        free(o.error);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_done, setup, teardown),
                cmocka_unit_test_setup_teardown(test_failed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_done_not_active, setup, teardown),
                cmocka_unit_test_setup_teardown(test_lost_while_queueing, setup, teardown),
                cmocka_unit_test_setup_teardown(test_comes_back, setup, teardown),
                cmocka_unit_test_setup_teardown(test_comes_back_job_gone, setup, teardown),
                cmocka_unit_test_setup_teardown(test_does_not_come_back, setup, teardown),
        };

        return cmocka_run_group_tests_name("systemd-reconnect", tests, NULL, NULL);
}
