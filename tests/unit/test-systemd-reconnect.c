/* SPDX-License-Identifier: MIT */
/* The systemd client's unit jobs and reconnection, against a fake manager in the same event
 * loop (fake-systemd.h) that can leave and come back. No root, milliseconds. */
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

#include "fake-systemd.h"
#include "macro.h"
#include "systemd-client-internal.h"
#include "text.h"

#define UNIT FAKE_UNIT

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

static int setup(void **state) {
        *state = fake_systemd_new();
        return 0;
}

static int teardown(void **state) {
        fake_systemd_free(*state);
        return 0;
}

static SystemdClient *client_new(FakeSystemd *f, uint64_t grace_ms) {
        SystemdClient *c = NULL;

        assert_int_equal(systemd_client_new(&c, f->event, f->path, true, 5000 * USEC_PER_MSEC), 0);
        systemd_client_set_manager_grace(c, grace_ms * USEC_PER_MSEC);
        return c;
}

static void test_done(void **state) {
        FakeSystemd *f = *state;
        _cleanup_(systemd_client_freep) SystemdClient *c = client_new(f, 1000);
        Outcome o = {};

        f->job_result = "done";
        assert_int_equal(systemd_client_run(c, UNIT, UNIT_ACTION_RESTART, on_run, &o), 0);
        fake_run_until(f, &o.n_finished, 20000);
        assert_int_equal(o.n_queued, 1);
        assert_null(o.error);
        assert_int_equal(f->n_subscribes, 1);
        assert_int_equal(f->n_connections, 1);
}

static void test_failed(void **state) {
        FakeSystemd *f = *state;
        _cleanup_(systemd_client_freep) SystemdClient *c = client_new(f, 1000);
        Outcome o = {};

        f->job_result = "failed";
        f->service_result = "exit-code";
        assert_int_equal(systemd_client_run(c, UNIT, UNIT_ACTION_RESTART, on_run, &o), 0);
        fake_run_until(f, &o.n_finished, 20000);
        assert_string_equal(o.error, "Restart of test.service failed: exit-code");
        free(o.error);
}

/* done, but the unit did not stay up */
static void test_done_not_active(void **state) {
        FakeSystemd *f = *state;
        _cleanup_(systemd_client_freep) SystemdClient *c = client_new(f, 1000);
        Outcome o = {};

        f->job_result = "done";
        f->active_state = "failed";
        assert_int_equal(systemd_client_run(c, UNIT, UNIT_ACTION_RESTART, on_run, &o), 0);
        fake_run_until(f, &o.n_finished, 20000);
        assert_string_equal(o.error, "Restart of test.service ended with the unit failed, not active.");
        free(o.error);
}

/* A manager gone before it queued the job: nothing to wait for, the run fails at once (sd-bus
 * answers the call in flight itself, before Disconnected comes). */
static void test_lost_while_queueing(void **state) {
        FakeSystemd *f = *state;
        _cleanup_(systemd_client_freep) SystemdClient *c = client_new(f, 1000);
        Outcome o = {};

        f->silent_queue = true;
        assert_int_equal(systemd_client_run(c, UNIT, UNIT_ACTION_RESTART, on_run, &o), 0);
        fake_run_until(f, &f->n_queued, 20000);
        fake_systemd_leave(f);
        fake_run_until(f, &o.n_finished, 20000);
        assert_int_equal(o.n_queued, 0);
        assert_string_equal(o.error, "Restart of test.service failed: Connection terminated");
        free(o.error);
}

/* The manager leaves with the job queued and comes back within the grace period (a
 * daemon-reexec): the client connects again, subscribes again, asks whether the job is still
 * there, and the run finishes on the new connection's JobRemoved. */
static void test_comes_back(void **state) {
        FakeSystemd *f = *state;
        _cleanup_(systemd_client_freep) SystemdClient *c = client_new(f, 3000);
        Outcome o = {};

        assert_int_equal(systemd_client_run(c, UNIT, UNIT_ACTION_RESTART, on_run, &o), 0);
        fake_run_until(f, &o.n_queued, 20000);
        fake_systemd_leave(f);
        fake_run_for(f, 450);       /* the client asks again every 200 ms, in vain */
        assert_int_equal(o.n_finished, 0);
        fake_systemd_listen(f);
        fake_run_until(f, &f->n_job_asked, 20000);
        assert_int_equal(f->n_connections, 2);
        assert_int_equal(f->n_subscribes, 2);
        assert_int_equal(o.n_finished, 0);   /* the job is still running */
        assert_true(fake_systemd_job_removed(f, "done") >= 0);
        fake_run_until(f, &o.n_finished, 20000);
        assert_null(o.error);
        assert_int_equal(f->n_queued, 1);   /* not queued twice */
}

/* Back, but the job ended while nobody listened: the unit's state says how it went. */
static void test_comes_back_job_gone(void **state) {
        FakeSystemd *f = *state;
        _cleanup_(systemd_client_freep) SystemdClient *c = client_new(f, 3000);
        Outcome o = {};

        assert_int_equal(systemd_client_run(c, UNIT, UNIT_ACTION_RESTART, on_run, &o), 0);
        fake_run_until(f, &o.n_queued, 20000);
        fake_systemd_leave(f);
        f->job_state = NULL;
        fake_systemd_listen(f);
        fake_run_until(f, &o.n_finished, 20000);
        assert_int_equal(f->n_job_asked, 1);
        assert_null(o.error);
}

/* A run asked for while the manager is away (a rolling restart's next unit during a
 * daemon-reexec) waits for it, and its job is queued on the new connection. */
static void test_asked_while_away(void **state) {
        FakeSystemd *f = *state;
        _cleanup_(systemd_client_freep) SystemdClient *c = client_new(f, 3000);
        Outcome first = {}, second = {};

        assert_int_equal(systemd_client_run(c, UNIT, UNIT_ACTION_RESTART, on_run, &first), 0);
        fake_run_until(f, &first.n_queued, 20000);
        fake_systemd_leave(f);
        fake_run_for(f, 100);
        assert_int_equal(systemd_client_run(c, UNIT, UNIT_ACTION_RESTART, on_run, &second), 0);
        fake_run_for(f, 300);
        assert_int_equal(second.n_finished, 0);
        assert_int_equal(f->n_queued, 1);
        fake_systemd_listen(f);
        fake_run_until(f, &second.n_queued, 20000);
        assert_int_equal(f->n_queued, 2);
        assert_true(fake_systemd_job_removed(f, "done") >= 0);
        fake_run_until(f, &second.n_finished, 20000);
        fake_run_until(f, &first.n_finished, 20000);
        assert_null(first.error);
        assert_null(second.error);
}

/* A manager that does not come back within the grace period fails the run. */
static void test_does_not_come_back(void **state) {
        static const char prefix[] = "Restart of test.service did not finish: the connection to systemd was lost "
                                     "(it did not come back within ";
        FakeSystemd *f = *state;
        _cleanup_(systemd_client_freep) SystemdClient *c = client_new(f, 500);
        Outcome o = {};
        uint64_t lost;

        assert_int_equal(systemd_client_run(c, UNIT, UNIT_ACTION_RESTART, on_run, &o), 0);
        fake_run_until(f, &o.n_queued, 20000);
        fake_systemd_leave(f);
        lost = monotonic_usec();
        fake_run_until(f, &o.n_finished, 20000);
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
                cmocka_unit_test_setup_teardown(test_asked_while_away, setup, teardown),
                cmocka_unit_test_setup_teardown(test_does_not_come_back, setup, teardown),
        };

        return cmocka_run_group_tests_name("systemd-reconnect", tests, NULL, NULL);
}
