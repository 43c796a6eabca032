/* SPDX-License-Identifier: MIT */
/* Finding Harper without configuration: ROOTPATH in the unit's environment, else the boot
 * properties file in the home; then Harper's harperdb-config.yaml, read with libyaml. The
 * fixtures in tests/fixtures/harper are a real `harperdb install` of 4.7.29's output. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "harper-settings.h"

static char dir[] = "/tmp/test-harper-settings.XXXXXX";

static int dir_setup(void **state) {
        return mkdtemp(dir) ? 0 : -1;
}

static int dir_teardown(void **state) {
        char *command = NULL;

        assert_true(asprintf(&command, "rm -rf '%s'", dir) > 0);
        assert_int_equal(system(command), 0);
        free(command);
        strcpy(dir, "/tmp/test-harper-settings.XXXXXX");
        return 0;
}

/* Writes text to <dir>/name; returns the path (the caller frees it). */
static char *write_file(const char *name, const char *text) {
        char *path = NULL;
        FILE *f;

        assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
        f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
        return path;
}

static void make_dir(const char *name) {
        char *path = NULL;

        assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
        assert_int_equal(mkdir(path, 0755), 0);
        free(path);
}

static char *fixture_path(const char *name) {
        const char *srcdir = getenv("SRCDIR");
        char *path = NULL;

        assert_true(asprintf(&path, "%s/tests/fixtures/harper/%s", srcdir ? srcdir : ".", name) > 0);
        return path;
}

static void assert_load_fails(const char *yaml_text, const char *problem_after_file) {
        char *path = write_file("harperdb-config.yaml", yaml_text), *error = NULL, *want = NULL;
        HarperSettings s;

        assert_true(harper_settings_load(&s, path, &error) < 0);
        assert_true(asprintf(&want, "%s: %s", path, problem_after_file) > 0);
        assert_string_equal(error, want);
        assert_null(s.config_path);
        free(want);
        free(error);
        free(path);
}

static void test_root_from_environment(void **state) {
        char *env[] = { "HOME=/home/harper", "ROOTPATH=/var/lib/harperdb", "HARPER_EXIT_ON_RESTART=1", NULL };
        char *twice[] = { "ROOTPATH=/old", "ROOTPATH=/new", NULL };
        char *none[] = { "ROOTPATHX=/x", "XROOTPATH=/y", "ROOTPATH=", NULL };
        char *root = harper_root_from_environment(env);

        assert_string_equal(root, "/var/lib/harperdb");
        free(root);
        root = harper_root_from_environment(twice);
        assert_string_equal(root, "/new");   /* as systemd: the later one wins */
        free(root);
        assert_null(harper_root_from_environment(none));
        assert_null(harper_root_from_environment(NULL));
}

static void test_boot_properties_as_harper_writes_them(void **state) {
        char *path = fixture_path("hdb_boot_properties.file"), *config = NULL, *error = NULL;

        assert_int_equal(harper_boot_properties_read(path, &config, &error), 0);
        assert_null(error);
        assert_string_equal(config, "/var/lib/harperdb/harperdb-config.yaml");
        free(config);
        free(path);
}

static void test_boot_properties_problems(void **state) {
        char *path = write_file("props", "# settings_path = /commented\ninstall_user = harper\n");
        char *config = NULL, *error = NULL, *want = NULL;

        assert_int_equal(harper_boot_properties_read(path, &config, &error), -ENOENT);
        assert_true(asprintf(&want, "%s: no settings_path in it", path) > 0);
        assert_string_equal(error, want);
        free(want);
        free(error);
        free(path);

        assert_true(harper_boot_properties_read("/nonexistent/props", &config, &error) < 0);
        assert_string_equal(error, "/nonexistent/props: No such file or directory");
        free(error);
}

static void test_locate_prefers_rootpath_then_unit_home(void **state) {
        char *with_root[] = { "ROOTPATH=/srv/harper", NULL }, *home_env[] = { NULL, NULL };
        char *config = NULL, *how = NULL, *error = NULL, *props, *want;

        assert_int_equal(harper_locate_config(with_root, "/home/none", &config, &how, &error), 0);
        assert_string_equal(config, "/srv/harper/harperdb-config.yaml");
        assert_string_equal(how, "ROOTPATH=/srv/harper in its environment");
        free(config);
        free(how);

        make_dir(".harperdb");
        props = write_file(".harperdb/hdb_boot_properties.file", "settings_path=/opt/h/harperdb-config.yaml\n");
        assert_true(asprintf(&home_env[0], "HOME=%s", dir) > 0);
        assert_true(asprintf(&want, "settings_path in %s", props) > 0);
        /* HOME= in the unit wins over the user's home from the password database */
        assert_int_equal(harper_locate_config(home_env, "/home/none", &config, &how, &error), 0);
        assert_string_equal(config, "/opt/h/harperdb-config.yaml");
        assert_string_equal(how, want);
        free(config);
        free(how);
        assert_int_equal(harper_locate_config(NULL, dir, &config, &how, &error), 0);
        assert_string_equal(config, "/opt/h/harperdb-config.yaml");
        free(config);
        free(how);

        /* what was looked at, for the caller to name the unit and the keys */
        assert_true(harper_locate_config(NULL, NULL, &config, &how, &error) < 0);
        assert_string_equal(error, "no ROOTPATH= in its environment and no home directory to look in");
        assert_null(config);
        assert_null(how);
        free(error);
        assert_true(harper_locate_config(NULL, "/nonexistent", &config, &how, &error) < 0);
        assert_string_equal(error, "no ROOTPATH= in its environment, and /nonexistent/.harperdb/"
                                   "hdb_boot_properties.file: No such file or directory");
        free(error);
        free(home_env[0]);
        free(props);
        free(want);
}

static void test_installed_config(void **state) {
        char *path = fixture_path("harperdb-config-4.7.29.yaml"), *error = NULL;
        HarperSettings s;

        assert_int_equal(harper_settings_load(&s, path, &error), 0);
        assert_null(error);
        assert_string_equal(s.root_path, "/var/lib/harperdb");
        assert_string_equal(s.domain_socket, "/var/lib/harperdb/operations-server");
        assert_string_equal(s.operations_port.host, "127.0.0.1");
        assert_int_equal(s.operations_port.port, 39925);
        harper_settings_done(&s);
        free(path);
}

static void test_defaults_when_keys_are_missing(void **state) {
        char *path = write_file("harperdb-config.yaml", "operationsApi:\n  network:\n    domainSocket: hdb/operations-server\n"
                                                       "threads: ~\nclustering: null\n");
        char *error = NULL, *want = NULL;
        HarperSettings s;

        assert_int_equal(harper_settings_load(&s, path, &error), 0);
        assert_string_equal(s.root_path, dir);    /* no rootPath: the config file's directory */
        assert_true(asprintf(&want, "%s/operations-server", dir) > 0);
        assert_string_equal(s.domain_socket, want);
        assert_int_equal(s.operations_port.port, 0);
        harper_settings_done(&s);
        free(want);
        free(path);
}

static void test_root_socket_and_port_forms(void **state) {
        char *path = write_file("harperdb-config.yaml",
                                "rootPath: /data/h\n"
                                "operationsApi: {network: {port: '[::1]:9935', domainSocket: sock}}\n");
        char *error = NULL;
        HarperSettings s;

        assert_int_equal(harper_settings_load(&s, path, &error), 0);
        assert_string_equal(s.root_path, "/data/h");
        assert_string_equal(s.domain_socket, "/data/h/sock");   /* relative: under the root */
        assert_string_equal(s.operations_port.host, "::1");
        assert_int_equal(s.operations_port.port, 9935);
        harper_settings_done(&s);
        free(path);
}

static void test_keys_it_does_not_use_are_not_judged(void **state) {
        /* Harper's own business: a value the daemon would not understand must not hide Harper */
        char *path = write_file("harperdb-config.yaml",
                                "operationsApi: {network: {port: 9925, securePort: [1]}}\n"
                                "threads:\n  count: many\nclustering:\n  enabled: maybe\n"
                                "replication:\n  hostname: {a: 1}\n");
        char *error = NULL;
        HarperSettings s;

        assert_int_equal(harper_settings_load(&s, path, &error), 0);
        assert_null(error);
        assert_int_equal(s.operations_port.port, 9925);
        harper_settings_done(&s);
        free(path);
}

static void test_bad_config_files(void **state) {
        assert_load_fails("operationsApi: [1, 2\n", "not YAML: did not find expected ',' or ']' at line 2");
        assert_load_fails("", "not a Harper configuration (no mapping at the top)");
        assert_load_fails("- a\n- b\n", "not a Harper configuration (no mapping at the top)");
        assert_load_fails("operationsApi: 5\n", "'operationsApi' must be a mapping");
        assert_load_fails("operationsApi:\n  network: yes\n", "'operationsApi.network' must be a mapping");
        assert_load_fails("operationsApi:\n  network:\n    port: [1]\n",
                          "'operationsApi.network.port' must be a port number or host:port");
        assert_load_fails("operationsApi:\n  network:\n    port: 99999\n",
                          "'operationsApi.network.port' must be a port number or host:port, not '99999'");
        assert_load_fails("operationsApi:\n  network:\n    domainSocket: {a: 1}\n",
                          "'operationsApi.network.domainSocket' must be a string");
}

static void test_missing_config_file(void **state) {
        char *error = NULL;
        HarperSettings s;

        assert_int_equal(harper_settings_load(&s, "/nonexistent/harperdb-config.yaml", &error), -ENOENT);
        assert_string_equal(error, "/nonexistent/harperdb-config.yaml: No such file or directory");
        free(error);
}

static void test_ports(void **state) {
        HarperPort p;

        assert_int_equal(harper_port_parse("9925", &p), 0);
        assert_null(p.host);
        assert_int_equal(p.port, 9925);
        assert_int_equal(harper_port_parse("localhost:1", &p), 0);
        assert_string_equal(p.host, "localhost");
        free(p.host);
        assert_int_equal(harper_port_parse(":9925", &p), 0);
        assert_null(p.host);
        assert_int_equal(harper_port_parse("::1:9925", &p), -EINVAL);
        assert_int_equal(harper_port_parse("0", &p), -EINVAL);
        assert_int_equal(harper_port_parse("-1", &p), -EINVAL);
        assert_int_equal(harper_port_parse("host:", &p), -EINVAL);
        assert_int_equal(harper_port_parse("", &p), -EINVAL);
}

static void check_url(const char *host, unsigned port, const char *expected) {
        HarperPort p = { .host = (char *) host, .port = port };
        char *url = harper_port_url(&p);

        if (expected)
                assert_string_equal(url, expected);
        else
                assert_null(url);
        free(url);
}

static void test_port_urls(void **state) {
        check_url(NULL, 9925, "http://127.0.0.1:9925/");
        check_url("", 9925, "http://127.0.0.1:9925/");
        check_url("0.0.0.0", 9925, "http://127.0.0.1:9925/");
        check_url("*", 9925, "http://127.0.0.1:9925/");
        check_url("::", 9925, "http://[::1]:9925/");
        check_url("[::]", 9925, "http://[::1]:9925/");
        check_url("::1", 9925, "http://[::1]:9925/");
        check_url("10.0.0.7", 1, "http://10.0.0.7:1/");
        check_url("harper.local", 9925, "http://harper.local:9925/");
        check_url("127.0.0.1", 0, NULL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_root_from_environment),
                cmocka_unit_test(test_boot_properties_as_harper_writes_them),
                cmocka_unit_test_setup_teardown(test_boot_properties_problems, dir_setup, dir_teardown),
                cmocka_unit_test_setup_teardown(test_locate_prefers_rootpath_then_unit_home, dir_setup, dir_teardown),
                cmocka_unit_test(test_installed_config),
                cmocka_unit_test_setup_teardown(test_defaults_when_keys_are_missing, dir_setup, dir_teardown),
                cmocka_unit_test_setup_teardown(test_root_socket_and_port_forms, dir_setup, dir_teardown),
                cmocka_unit_test_setup_teardown(test_keys_it_does_not_use_are_not_judged, dir_setup, dir_teardown),
                cmocka_unit_test_setup_teardown(test_bad_config_files, dir_setup, dir_teardown),
                cmocka_unit_test(test_missing_config_file),
                cmocka_unit_test(test_ports),
                cmocka_unit_test(test_port_urls),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
