/* SPDX-License-Identifier: MIT */
/* The Harper locator: from the configuration's harper section at once, from the instance unit
 * as a fake systemd reports it (fake-systemd.h), kept for recent searches until forgotten, and
 * searches cancelled or outlived by their locator never calling back. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake-systemd.h"
#include "harper-locator.h"
#include "macro.h"
#include "text.h"

typedef struct Test {
        FakeSystemd *fake;
        Config config;
        SystemdClient *systemd;
        HarperLocator *locator;
} Test;

typedef struct Found {
        unsigned n;
        char *socket, *tcp_url, *pid_file, *found_by, *error;
} Found;

static void found_done(Found *f) {
        free(f->socket);
        free(f->tcp_url);
        free(f->pid_file);
        free(f->found_by);
        free(f->error);
        *f = (Found) {};
}

static void on_found(const HarperTarget *t, const char *error, void *userdata) {
        Found *f = userdata;

        found_done(f);
        f->n++;
        f->socket = t && t->socket ? strdup(t->socket) : NULL;
        f->tcp_url = t && t->tcp_url ? strdup(t->tcp_url) : NULL;
        f->pid_file = t && t->pid_file ? strdup(t->pid_file) : NULL;
        f->found_by = t && t->found_by ? strdup(t->found_by) : NULL;
        f->error = error ? strdup(error) : NULL;
}

static void write_harper_config(const char *dir) {
        _cleanup_free_ char *path = text_printf("%s/harperdb-config.yaml", dir);
        FILE *file = fopen(path, "we");

        assert_non_null(file);
        fprintf(file, "rootPath: %s\noperationsApi:\n  network:\n    port: 9925\n", dir);
        fclose(file);
}

static int setup(void **state) {
        Test *t = calloc(1, sizeof(Test));

        assert_non_null(t);
        t->fake = fake_systemd_new();
        write_harper_config(t->fake->dir);
        t->fake->environment[0] = text_printf("ROOTPATH=%s", t->fake->dir);
        config_defaults(&t->config);
        assert_int_equal(systemd_client_new(&t->systemd, t->fake->event, t->fake->path, true, 5000 * USEC_PER_MSEC), 0);
        assert_int_equal(harper_locator_new(&t->locator, &t->config, t->systemd), 0);
        *state = t;
        return 0;
}

static int teardown(void **state) {
        Test *t = *state;
        _cleanup_free_ char *config = text_printf("%s/harperdb-config.yaml", t->fake->dir);

        harper_locator_free(t->locator);
        systemd_client_free(t->systemd);
        config_done(&t->config);
        unlink(config);
        free(t->fake->environment[0]);
        fake_systemd_free(t->fake);
        free(t);
        return 0;
}

/* The configuration names Harper's root: its config file says the rest, no systemd asked. */
static void test_root_path_configured(void **state) {
        Test *t = *state;
        _cleanup_free_ char *socket = text_printf("%s/operations-server", t->fake->dir);
        _cleanup_free_ char *pid_file = text_printf("%s/hdb.pid", t->fake->dir);
        HarperSearch *search = (HarperSearch *) 1;
        Found f = {};

        t->config.harper.root_path = strdup(t->fake->dir);
        assert_int_equal(harper_locator_find(t->locator, HARPER_FIND_FRESH, on_found, &f, &search), 0);
        assert_null(search);   /* answered before returning */
        assert_int_equal(f.n, 1);
        assert_string_equal(f.socket, socket);
        assert_string_equal(f.tcp_url, "http://127.0.0.1:9925/");
        assert_string_equal(f.pid_file, pid_file);
        assert_true(strstr(f.found_by, "/harperdb-config.yaml, from harper.root_path in sysops.json"));
        assert_int_equal(t->fake->n_exec_asked, 0);
        found_done(&f);
}

static void test_socket_configured(void **state) {
        Test *t = *state;
        Found f = {};

        t->config.harper.socket = strdup("/run/harper/operations-server");
        assert_int_equal(harper_locator_find(t->locator, HARPER_FIND_FRESH, on_found, &f, NULL), 0);
        assert_int_equal(f.n, 1);
        assert_int_equal(t->fake->n_exec_asked, 0);
        assert_string_equal(f.socket, "/run/harper/operations-server");
        assert_null(f.tcp_url);
        assert_null(f.pid_file);
        assert_string_equal(f.found_by, "harper.socket in sysops.json");
        found_done(&f);
}

/* From the unit's ROOTPATH; a recent search then answers from what was kept, until forgotten. */
static void test_from_unit_kept_until_forgotten(void **state) {
        Test *t = *state;
        _cleanup_free_ char *socket = text_printf("%s/operations-server", t->fake->dir);
        _cleanup_free_ char *found_by = text_printf("%s/harperdb-config.yaml, from harperdb.service (user root): "
                                                    "ROOTPATH=%s in its environment", t->fake->dir, t->fake->dir);
        HarperSearch *search = NULL;
        Found f = {};

        assert_int_equal(harper_locator_find(t->locator, HARPER_FIND_RECENT, on_found, &f, &search), 0);
        assert_non_null(search);
        assert_int_equal(f.n, 0);
        fake_run_until(t->fake, &f.n, 20000);
        assert_null(f.error);
        assert_string_equal(f.socket, socket);
        assert_string_equal(f.found_by, found_by);
        assert_int_equal(t->fake->n_exec_asked, 2);

        assert_int_equal(harper_locator_find(t->locator, HARPER_FIND_RECENT, on_found, &f, &search), 0);
        assert_null(search);
        assert_int_equal(f.n, 1);
        assert_string_equal(f.socket, socket);
        assert_int_equal(t->fake->n_exec_asked, 2);

        harper_locator_forget(t->locator);
        f.n = 0;
        assert_int_equal(harper_locator_find(t->locator, HARPER_FIND_RECENT, on_found, &f, NULL), 0);
        fake_run_until(t->fake, &f.n, 20000);
        assert_int_equal(t->fake->n_exec_asked, 4);
        found_done(&f);
}

static void test_unit_without_root(void **state) {
        Test *t = *state;
        Found f = {};

        free(t->fake->environment[0]);
        t->fake->environment[0] = strdup("HOME=/nonexistent");
        assert_int_equal(harper_locator_find(t->locator, HARPER_FIND_FRESH, on_found, &f, NULL), 0);
        fake_run_until(t->fake, &f.n, 20000);
        assert_null(f.socket);
        /* what was looked at: the unit, its user, its environment, the home */
        assert_string_equal(f.error, "Cannot find Harper from harperdb.service (user root): no ROOTPATH= in its "
                                     "environment, and /nonexistent/.harperdb/hdb_boot_properties.file: No such "
                                     "file or directory (harper.root_path or instance_unit in sysops.json(5) say "
                                     "where it is).");
        found_done(&f);
}

/* A unit name systemd has no file for: said so, with the key that names Harper's unit. */
static void test_unit_not_found(void **state) {
        Test *t = *state;
        Found f = {};

        t->fake->load_state = "not-found";
        assert_int_equal(harper_locator_find(t->locator, HARPER_FIND_FRESH, on_found, &f, NULL), 0);
        fake_run_until(t->fake, &f.n, 20000);
        assert_null(f.socket);
        assert_string_equal(f.error, "systemd has no unit harperdb.service (instance_unit in sysops.json(5) names "
                                     "Harper's unit).");
        found_done(&f);
}

/* A cancelled search never calls back; its answer from systemd is dropped. */
static void test_cancel(void **state) {
        Test *t = *state;
        HarperSearch *search = NULL;
        Found f = {};

        assert_int_equal(harper_locator_find(t->locator, HARPER_FIND_FRESH, on_found, &f, &search), 0);
        assert_non_null(search);
        harper_search_cancel(search);
        fake_run_until(t->fake, &t->fake->n_exec_asked, 20000);
        fake_run_for(t->fake, 50);
        assert_int_equal(f.n, 0);
        /* and nothing was kept from it */
        assert_int_equal(harper_locator_find(t->locator, HARPER_FIND_RECENT, on_found, &f, NULL), 0);
        assert_int_equal(f.n, 0);
        fake_run_until(t->fake, &f.n, 20000);
        found_done(&f);
}

/* Forgotten while a search was out (a failed call, a reload): what it finds is not kept. */
static void test_forget_during_search(void **state) {
        Test *t = *state;
        Found f = {};

        assert_int_equal(harper_locator_find(t->locator, HARPER_FIND_RECENT, on_found, &f, NULL), 0);
        harper_locator_forget(t->locator);
        fake_run_until(t->fake, &f.n, 20000);
        assert_non_null(f.socket);
        f.n = 0;
        assert_int_equal(harper_locator_find(t->locator, HARPER_FIND_RECENT, on_found, &f, NULL), 0);
        assert_int_equal(f.n, 0);   /* asked systemd again */
        fake_run_until(t->fake, &f.n, 20000);
        assert_int_equal(t->fake->n_exec_asked, 4);
        found_done(&f);
}

/* The locator freed with a search out: no callback, also when systemd answers later. */
static void test_free_with_search_out(void **state) {
        Test *t = *state;
        Found f = {};

        assert_int_equal(harper_locator_find(t->locator, HARPER_FIND_FRESH, on_found, &f, NULL), 0);
        t->locator = harper_locator_free(t->locator);
        fake_run_until(t->fake, &t->fake->n_exec_asked, 20000);
        fake_run_for(t->fake, 50);
        assert_int_equal(f.n, 0);
}

/* The systemd client freed with a search out (the daemon stopping): the search ends, saying so. */
static void test_systemd_gone_with_search_out(void **state) {
        Test *t = *state;
        Found f = {};

        assert_int_equal(harper_locator_find(t->locator, HARPER_FIND_FRESH, on_found, &f, NULL), 0);
        /* asked (a client still authenticating would wait for the fake in flush) but not answered */
        while (t->fake->n_exec_asked < 2)
                assert_true(sd_event_run(t->fake->event, 10 * USEC_PER_MSEC) >= 0);
        assert_int_equal(f.n, 0);
        t->systemd = systemd_client_free(t->systemd);
        assert_int_equal(f.n, 1);
        assert_null(f.socket);
        assert_string_equal(f.error, "systemd did not answer how the unit runs.");
        found_done(&f);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_root_path_configured, setup, teardown),
                cmocka_unit_test_setup_teardown(test_socket_configured, setup, teardown),
                cmocka_unit_test_setup_teardown(test_from_unit_kept_until_forgotten, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unit_without_root, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unit_not_found, setup, teardown),
                cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
                cmocka_unit_test_setup_teardown(test_forget_during_search, setup, teardown),
                cmocka_unit_test_setup_teardown(test_free_with_search_out, setup, teardown),
                cmocka_unit_test_setup_teardown(test_systemd_gone_with_search_out, setup, teardown),
        };

        return cmocka_run_group_tests_name("harper-locator", tests, NULL, NULL);
}
