/* SPDX-License-Identifier: MIT */
/* The configuration file: compiled-in defaults, a file laid over them key by key, and a
 * message naming the file, the key and the problem for every bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sysops-config.h"

static char path[] = "/tmp/test-sysops-config.XXXXXX";

static int file_setup(void **state) {
        int fd = mkstemp(path);

        if (fd < 0)
                return -1;
        close(fd);
        return 0;
}

static int file_teardown(void **state) {
        unlink(path);
        strcpy(path, "/tmp/test-sysops-config.XXXXXX");
        return 0;
}

static void write_file(const char *text) {
        FILE *f = fopen(path, "w");

        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

/* Loads text over the defaults; returns the loader's result, the problem in *problem. */
static int load(Config *c, const char *text, char **problem) {
        write_file(text);
        config_defaults(c);
        return config_load(c, path, true, problem);
}

/* Loading text fails, and the problem is "<file>: <problem>". */
static void assert_load_fails(const char *text, const char *problem_after_file) {
        Config c;
        char *problem = NULL, *want = NULL;

        assert_true(load(&c, text, &problem) < 0);
        assert_true(asprintf(&want, "%s: %s", path, problem_after_file) > 0);
        assert_string_equal(problem, want);
        free(want);
        free(problem);
        config_done(&c);
}

static void test_defaults_are_the_documented_ones(void **state) {
        Config c;

        config_defaults(&c);
        assert_string_equal(c.instance_unit, "harperdb.service");
        assert_int_equal(c.systemd, SYSTEMD_AUTO);
        assert_null(c.systemd_address);
        /* the real Harper restarts its own services; what applies once units are configured */
        for (int s = 0; s < _HARPER_SERVICE_MAX; s++) {
                assert_true(c.services[s].by_harper);
                assert_null(c.services[s].units);
        }
        assert_int_equal(c.services[HARPER_SERVICE_HTTP_WORKERS].action, UNIT_ACTION_RESTART);
        assert_true(c.services[HARPER_SERVICE_HTTP_WORKERS].rolling);
        assert_int_equal(c.services[HARPER_SERVICE_CLUSTERING].action, UNIT_ACTION_RESTART);
        assert_false(c.services[HARPER_SERVICE_CLUSTERING].rolling);
        assert_int_equal(c.services[HARPER_SERVICE_CLUSTERING_CONFIG].action, UNIT_ACTION_RELOAD);
        assert_null(c.harper.root_path);
        assert_null(c.harper.socket);
        assert_int_equal(c.harper.query_timeout_ms, 10000);
        assert_int_equal(c.unit_timeout_sec, 600);
        assert_int_equal(c.jobs_kept, 64);
        assert_true(c.sysinfo_disk);
        assert_true(c.sysinfo_network);
        assert_null(c.data_dir);
        config_done(&c);
}

static void test_missing_default_file_keeps_defaults(void **state) {
        Config c;
        char *problem = (char *) "unset";

        config_defaults(&c);
        assert_int_equal(config_load(&c, "/nonexistent/sysops.json", false, &problem), 0);
        assert_null(problem);
        assert_string_equal(c.instance_unit, "harperdb.service");
        config_done(&c);
}

static void test_missing_required_file_is_an_error(void **state) {
        Config c;
        char *problem = NULL;

        config_defaults(&c);
        assert_true(config_load(&c, "/nonexistent/sysops.json", true, &problem) < 0);
        assert_string_equal(problem, "/nonexistent/sysops.json: cannot read: No such file or directory");
        free(problem);
        config_done(&c);
}

static void test_a_file_overrides_only_what_it_names(void **state) {
        Config c;
        char *problem = NULL;

        assert_int_equal(load(&c,
                "{\"instance_unit\":\"harper.service\",\"systemd_bus\":\"unix:path=/run/x\","
                "\"unit_timeout_sec\":30,\"jobs_kept\":5,"
                "\"services\":{\"http_workers\":{\"units\":[\"w1.service\",\"w2.service\"],\"rolling\":false},"
                "\"clustering_config\":{\"action\":\"reload-or-restart\",\"units\":\"nats.service\"},"
                "\"clustering\":{\"action\":\"harper\"}},"
                "\"harper\":{\"root_path\":\"/srv/hdb\",\"socket\":\"/run/hdb/ops.sock\",\"query_timeout_ms\":250},"
                "\"system_information\":{\"disk\":false,\"data_dir\":\"/var/lib/harper\"}}\n", &problem), 0);
        assert_string_equal(c.instance_unit, "harper.service");
        assert_int_equal(c.systemd, SYSTEMD_BUS_ADDRESS);
        assert_string_equal(c.systemd_address, "unix:path=/run/x");
        assert_int_equal(c.unit_timeout_sec, 30);
        assert_int_equal(c.jobs_kept, 5);
        assert_string_equal(c.services[HARPER_SERVICE_HTTP_WORKERS].units[0], "w1.service");
        assert_string_equal(c.services[HARPER_SERVICE_HTTP_WORKERS].units[1], "w2.service");
        assert_null(c.services[HARPER_SERVICE_HTTP_WORKERS].units[2]);
        assert_false(c.services[HARPER_SERVICE_HTTP_WORKERS].rolling);
        assert_int_equal(c.services[HARPER_SERVICE_HTTP_WORKERS].action, UNIT_ACTION_RESTART);   /* kept */
        assert_false(c.services[HARPER_SERVICE_HTTP_WORKERS].by_harper);   /* units: systemd jobs */
        assert_false(c.services[HARPER_SERVICE_CLUSTERING_CONFIG].by_harper);
        assert_int_equal(c.services[HARPER_SERVICE_CLUSTERING_CONFIG].action, UNIT_ACTION_RELOAD_OR_RESTART);
        assert_string_equal(c.services[HARPER_SERVICE_CLUSTERING_CONFIG].units[0], "nats.service");
        assert_true(c.services[HARPER_SERVICE_CLUSTERING].by_harper);
        assert_string_equal(c.harper.root_path, "/srv/hdb");
        assert_string_equal(c.harper.socket, "/run/hdb/ops.sock");
        assert_int_equal(c.harper.query_timeout_ms, 250);
        assert_false(c.sysinfo_disk);
        assert_true(c.sysinfo_network);
        assert_string_equal(c.data_dir, "/var/lib/harper");
        config_done(&c);
}

static void test_peers_in_rollout_order(void **state) {
        Config c;
        char *problem = NULL;

        assert_int_equal(load(&c, "{\"peer_timeout_sec\":30,\"peers\":[{\"name\":\"node-b\",\"ssh\":\"admin@b.example\"},"
                                  "{\"name\":\"node-c\",\"address\":\"unix:path=/run/c.sock\"}]}", &problem), 0);
        assert_int_equal(c.n_peers, 2);
        assert_string_equal(c.peers[0].name, "node-b");
        assert_string_equal(c.peers[0].ssh, "admin@b.example");
        assert_null(c.peers[0].address);
        assert_string_equal(c.peers[1].name, "node-c");
        assert_string_equal(c.peers[1].address, "unix:path=/run/c.sock");
        assert_null(c.peers[1].ssh);
        assert_int_equal(c.peer_timeout_sec, 30);
        config_done(&c);

        assert_int_equal(load(&c, "{\"ssh_config\":\"/etc/x/ssh.conf\",\"peers\":[{\"name\":\"127.0.0.13\",\"exclude\":true}]}",
                              &problem), 0);
        assert_true(c.peers[0].exclude);
        assert_null(c.peers[0].ssh);
        assert_string_equal(c.ssh_config, "/etc/x/ssh.conf");
        config_done(&c);

        config_defaults(&c);
        assert_int_equal(c.n_peers, 0);
        assert_int_equal(c.peer_timeout_sec, 600);
        assert_string_equal(c.ssh_config, SYSOPS_SSH_CONFIG_FILE);
        config_done(&c);
}

static void test_units_may_be_one_string_and_the_ways_to_systemd(void **state) {
        static const struct { const char *value; SystemdConnection how; const char *address; } ways[] = {
                { "auto", SYSTEMD_AUTO, NULL },
                { "system", SYSTEMD_SYSTEM_BUS, NULL },
                { "private", SYSTEMD_PRIVATE, "/run/systemd/private" },
                { "private:/tmp/x/private", SYSTEMD_PRIVATE, "/tmp/x/private" },
                { "unix:path=/run/y", SYSTEMD_BUS_ADDRESS, "unix:path=/run/y" },
        };
        Config c;
        char *problem = NULL, *text = NULL;

        assert_int_equal(load(&c, "{\"services\":{\"clustering\":{\"units\":\"nats.service\"}}}", &problem), 0);
        assert_string_equal(c.services[HARPER_SERVICE_CLUSTERING].units[0], "nats.service");
        assert_null(c.services[HARPER_SERVICE_CLUSTERING].units[1]);
        config_done(&c);

        for (size_t i = 0; i < sizeof ways / sizeof ways[0]; i++) {
                assert_true(asprintf(&text, "{\"systemd_bus\":\"%s\"}", ways[i].value) > 0);
                assert_int_equal(load(&c, text, &problem), 0);
                assert_int_equal(c.systemd, ways[i].how);
                if (ways[i].address)
                        assert_string_equal(c.systemd_address, ways[i].address);
                else
                        assert_null(c.systemd_address);
                config_done(&c);
                free(text);
        }
}

#define SYSTEMD_BUS_PROBLEM "'systemd_bus' must be \"auto\", \"system\", \"private\", \"private:/PATH\" or a " \
        "D-Bus address such as unix:path=/run/dbus/system_bus_socket"

/* Each bad file: the problem names the file, the key and what is wrong. */
static void test_bad_files_are_refused_with_file_key_and_problem(void **state) {
        static const struct { const char *text, *problem; } cases[] = {
                { "{\"services\":{\"http_workers\":{\"action\":\"bounce\"}}}",
                  "'services.http_workers.action' must be harper, restart, reload or reload-or-restart" },
                { "{\"services\":{\"http_workers\":{\"action\":\"restart\"}}}",
                  "'services.http_workers' needs units for action restart" },
                { "{\"services\":{\"http_workers\":{\"action\":\"harper\",\"units\":\"w.service\"}}}",
                  "'services.http_workers' has units, which action harper does not use" },
                { "{\"harper\":{\"root_path\":\"relative/hdb\"}}",
                  "'harper.root_path' must be an absolute path" },
                { "{\"harper\":{\"socket\":7}}",
                  "'harper.socket' must be an absolute path" },
                { "{\"harper\":{\"port\":9925}}",
                  "'harper.port' is not a known key (root_path, socket, api, answer_timeout_sec, "
                  "query_timeout_ms)" },
                { "{\"harper\":{\"query_timeout_ms\":0}}", "'harper.query_timeout_ms' must be between 1 and 60000" },
                { "{\"services\":{\"http\":{}}}",
                  "'services.http' is not a Harper service (http_workers, clustering, clustering_config)" },
                { "{\"services\":{\"clustering\":{\"unit\":\"x.service\"}}}",
                  "'services.clustering.unit' is not a known key (action, units, rolling)" },
                { "{\"services\":{\"clustering\":{\"units\":[]}}}",
                  "'services.clustering.units' must be a unit name, a pattern, or a non-empty list of them" },
                { "{\"services\":{\"clustering\":{\"units\":[\"../etc/passwd\"]}}}",
                  "'services.clustering.units' is not a unit name: '../etc/passwd'" },
                { "{\"services\":{\"clustering\":{\"rolling\":\"yes\"}}}",
                  "'services.clustering.rolling' must be true or false" },
                { "{\"instance_unit\":\"harperdb\"}", "'instance_unit' is not a unit name: 'harperdb'" },
                { "{\"instance_unit\":\"harperdb@*.service\"}",
                  "'instance_unit' must name one unit, not a pattern: 'harperdb@*.service'" },
                { "{\"instance_unit\":7}", "'instance_unit' must be a unit name such as harperdb.service" },
                { "{\"unit_timeout_sec\":0}", "'unit_timeout_sec' must be between 1 and 86400" },
                { "{\"unit_timeout_sec\":\"60\"}", "'unit_timeout_sec' must be a whole number" },
                { "{\"jobs_kept\":100000}", "'jobs_kept' must be between 1 and 10000" },
                { "{\"systemd_bus\":\"\"}",
                  SYSTEMD_BUS_PROBLEM },
                { "{\"systemd_bus\":\"sytem\"}",
                  SYSTEMD_BUS_PROBLEM },
                { "{\"systemd_bus\":\"unix:\"}",
                  SYSTEMD_BUS_PROBLEM },
                { "{\"systemd_bus\":\"private:relative\"}",
                  SYSTEMD_BUS_PROBLEM },
                { "{\"system_information\":{\"cpu\":true}}",
                  "'system_information.cpu' is not a known key (disk, network, data_dir)" },
                { "{\"restart_timeout\":5}", "'restart_timeout' is not a known key (instance_unit, systemd_bus, "
                  "unit_timeout_sec, jobs_kept, services, harper, system_information, peers, ssh_config, "
                  "peer_timeout_sec)" },
                { "{\"harper\":[]}", "'harper' must be an object (root_path, socket, api, answer_timeout_sec, "
                  "query_timeout_ms)" },
                { "[1]", "'(top level)' must be a JSON object" },
                { "{\"peers\":{}}", "'peers' must be a list of {name, ssh, address or exclude}" },
                { "{\"peers\":[\"b\"]}", "'peers[0]' must be an object with name and ssh, address or exclude" },
                { "{\"peers\":[{\"ssh\":\"b\"}]}", "'peers[0]' needs a name" },
                { "{\"peers\":[{\"name\":\"b\"}]}", "'peers[0]' needs ssh (a host), address (a D-Bus address) or exclude" },
                { "{\"peers\":[{\"name\":\"b\",\"exclude\":false}]}",
                  "'peers[0]' needs ssh (a host), address (a D-Bus address) or exclude" },
                { "{\"peers\":[{\"name\":\"b\",\"exclude\":\"yes\"}]}", "'peers[0].exclude' must be true or false" },
                { "{\"peers\":[{\"name\":\"b\",\"ssh\":\"b\",\"address\":\"unix:path=/x\"}]}",
                  "'peers[0]' needs either ssh (a host) or address (a D-Bus address), not both" },
                { "{\"ssh_config\":\"ssh-peers.conf\"}", "'ssh_config' must be an absolute path" },
                { "{\"peers\":[{\"name\":\"b\",\"ssh\":\"b\"},{\"name\":\"b\",\"ssh\":\"c\"}]}",
                  "'peers[1].name' repeats 'b'" },
                { "{\"peers\":[{\"name\":\"b\",\"host\":\"b\"}]}",
                  "'peers[0].host' is not a known key (name, ssh, address, exclude)" },
                { "{\"peer_timeout_sec\":0}", "'peer_timeout_sec' must be between 1 and 86400" },
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
                assert_load_fails(cases[i].text, cases[i].problem);
}

static void test_text_that_is_not_json_is_refused(void **state) {
        static const struct { const char *text, *problem; } cases[] = {
                { "{\"instance_unit\":", "not valid JSON (unexpected end at byte 17)" },
                { "{} x", "not valid JSON (unexpected text at byte 3)" },
                { "{,}", "not valid JSON (quoted object property name expected at byte 1)" },
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
                assert_load_fails(cases[i].text, cases[i].problem);
}

static void test_names_map_both_ways(void **state) {
        for (int i = 0; i < _HARPER_SERVICE_MAX; i++)
                assert_int_equal(harper_service_from_string(harper_service_to_string(i)), i);
        for (int i = 0; i < _UNIT_ACTION_MAX; i++)
                assert_int_equal(unit_action_from_string(unit_action_to_string(i)), i);
        assert_int_equal(harper_service_from_string("htp_workerz"), _HARPER_SERVICE_INVALID);
        assert_int_equal(harper_service_from_string(""), _HARPER_SERVICE_INVALID);
        assert_true(unit_name_is_pattern("harperdb-http@*.service"));
        assert_false(unit_name_is_pattern("harperdb-http@1.service"));
        assert_true(unit_name_is_valid("harperdb-http@1.service"));
        assert_false(unit_name_is_valid(".service"));
        assert_false(unit_name_is_valid("a/b.service"));
}

/* The list the man-page check compares sysops.json(5) with: nested keys by dotted path. */
static void test_keys_are_listed_by_dotted_path(void **state) {
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        assert_non_null(f);
        assert_int_equal(config_keys_print(f), 0);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(strncmp(text, "instance_unit\n", 14), 0);
        assert_non_null(strstr(text, "\nharper\nharper.root_path\n"));
        assert_non_null(strstr(text, "\nharper.query_timeout_ms\n"));
        assert_non_null(strstr(text, "\nservices\nservices.*.action\n"));
        assert_non_null(strstr(text, "\npeers\npeers[].name\n"));
        assert_non_null(strstr(text, "\nsystem_information.data_dir\n"));
        free(text);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults_are_the_documented_ones),
                cmocka_unit_test(test_missing_default_file_keeps_defaults),
                cmocka_unit_test(test_missing_required_file_is_an_error),
                cmocka_unit_test_setup_teardown(test_a_file_overrides_only_what_it_names, file_setup, file_teardown),
                cmocka_unit_test_setup_teardown(test_peers_in_rollout_order, file_setup, file_teardown),
                cmocka_unit_test_setup_teardown(test_units_may_be_one_string_and_the_ways_to_systemd,
                                                file_setup, file_teardown),
                cmocka_unit_test_setup_teardown(test_bad_files_are_refused_with_file_key_and_problem, file_setup,
                                                file_teardown),
                cmocka_unit_test_setup_teardown(test_text_that_is_not_json_is_refused, file_setup, file_teardown),
                cmocka_unit_test(test_names_map_both_ways),
                cmocka_unit_test(test_keys_are_listed_by_dotted_path),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
