/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <systemd/sd-id128.h>

#include <cmocka.h>

#include "fake-systemd.h"
#include "macro.h"
#include "text.h"

static int reply_string(sd_bus_message *m, const char *value) {
        if (!value)
                return sd_bus_reply_method_errorf(m, "org.freedesktop.DBus.Error.UnknownObject", "No such job.");
        return sd_bus_reply_method_return(m, "v", "s", value);
}

static int reply_strv(sd_bus_message *m, char **values) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

        assert_true(sd_bus_message_new_method_return(m, &reply) >= 0);
        assert_true(sd_bus_message_open_container(reply, 'v', "as") >= 0);
        assert_true(sd_bus_message_append_strv(reply, values) >= 0);
        assert_true(sd_bus_message_close_container(reply) >= 0);
        return sd_bus_send(NULL, reply, NULL);
}

static int fake_get(FakeSystemd *f, sd_bus_message *m) {
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
        if (strcmp(property, "Environment") == 0) {
                f->n_exec_asked++;
                return reply_strv(m, f->environment);
        }
        if (strcmp(property, "LoadState") == 0)
                return reply_string(m, f->load_state ?: "loaded");
        if (strcmp(property, "User") == 0) {
                f->n_exec_asked++;
                return reply_string(m, f->user);
        }
        return 0;
}

int fake_systemd_job_removed(FakeSystemd *f, const char *result) {
        return sd_bus_emit_signal(f->bus, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                                  "JobRemoved", "uoss", 42, FAKE_JOB_PATH, FAKE_UNIT, result);
}

static int fake_filter(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        FakeSystemd *f = userdata;

        if (sd_bus_message_is_method_call(m, "org.freedesktop.systemd1.Manager", "Subscribe")) {
                f->n_subscribes++;
                return sd_bus_reply_method_return(m, NULL) < 0 ? -EIO : 1;
        }
        if (sd_bus_message_is_method_call(m, "org.freedesktop.systemd1.Manager", "RestartUnit")) {
                f->n_queued++;
                if (f->silent_queue)
                        return 1;
                assert_true(sd_bus_reply_method_return(m, "o", FAKE_JOB_PATH) >= 0);
                if (f->job_result)
                        assert_true(fake_systemd_job_removed(f, f->job_result) >= 0);
                return 1;
        }
        if (sd_bus_message_is_method_call(m, "org.freedesktop.DBus.Properties", "Get"))
                return fake_get(f, m) < 0 ? -EIO : 1;
        return 0;
}

static int on_connection(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        FakeSystemd *f = userdata;
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

void fake_systemd_listen(FakeSystemd *f) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        f->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        assert_true(f->listen_fd >= 0);
        strcpy(sa.sun_path, f->path);
        assert_int_equal(bind(f->listen_fd, (struct sockaddr *) &sa, sizeof sa), 0);
        assert_int_equal(listen(f->listen_fd, 8), 0);
        assert_true(sd_event_add_io(f->event, &f->listening, f->listen_fd, EPOLLIN, on_connection, f) >= 0);
}

void fake_systemd_leave(FakeSystemd *f) {
        f->bus = sd_bus_flush_close_unref(f->bus);
        f->listening = sd_event_source_disable_unref(f->listening);
        if (f->listen_fd >= 0)
                close(f->listen_fd);
        f->listen_fd = -EBADF;
        unlink(f->path);
}

FakeSystemd *fake_systemd_new(void) {
        FakeSystemd *f = calloc(1, sizeof(FakeSystemd));

        assert_non_null(f);
        strcpy(f->dir, "/tmp/test-fake-systemd.XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        snprintf(f->path, sizeof f->path, "%s/private", f->dir);
        assert_true(sd_event_new(&f->event) >= 0);
        f->active_state = "active";
        f->job_state = "running";
        f->user = "";
        fake_systemd_listen(f);
        return f;
}

void fake_systemd_free(FakeSystemd *f) {
        fake_systemd_leave(f);
        sd_event_unref(f->event);
        rmdir(f->dir);
        free(f);
}

void fake_run_until(FakeSystemd *f, const unsigned *done, unsigned timeout_ms) {
        uint64_t end = monotonic_usec() + timeout_ms * USEC_PER_MSEC;

        while (!*done) {
                assert_true(monotonic_usec() < end);
                assert_true(sd_event_run(f->event, 10 * USEC_PER_MSEC) >= 0);
        }
}

void fake_run_for(FakeSystemd *f, unsigned ms) {
        uint64_t end = monotonic_usec() + ms * USEC_PER_MSEC;

        while (monotonic_usec() < end)
                assert_true(sd_event_run(f->event, 10 * USEC_PER_MSEC) >= 0);
}
