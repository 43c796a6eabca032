/* The system_information collectors against fixture trees (tests/fixtures/sysinfo/<shape>/):
 * every section byte for byte against expected-<section>.json, the attribute rules and key
 * order (harper-behaviour.md §4.1), the switched-off disk and network shapes, and the CPU load
 * since the previous call. Fixture dir: $SYSINFO_FIXTURES, else $SRCDIR/tests/fixtures/sysinfo,
 * else next to this source file. SYSINFO_UPDATE=1 rewrites the expected files (review the diff). */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/sysinfo/sysinfo.h"

/* the fixtures' boot was at 1700000000 s; one-cpu's uptime is 1000.5 s */
#define NOW_USEC UINT64_C(1700001000500000)
#define U UINT64_MAX

static char fixtures[PATH_MAX - 256];

static const SysinfoUnit one_cpu_units[] = {
        { .name = "harperdb.service", .role = "instance", .control_group = "/system.slice/harperdb.service",
          .main_pid = 100, .active_state = "active", .cpu_usage_nsec = 123456789, .memory_current = 104857600,
          .memory_peak = 209715200, .tasks_current = 12, .io_read_bytes = 4096, .io_write_bytes = 8192,
          .ip_ingress_bytes = U, .ip_egress_bytes = U, .n_restarts = 2, .active_enter_usec = UINT64_C(1700000500000000) },
        { .name = "harperdb-http@1.service", .role = "worker", .control_group = "/system.slice/harperdb-http@1.service",
          .main_pid = 0, .active_state = "inactive", .cpu_usage_nsec = U, .memory_current = U, .memory_peak = U,
          .tasks_current = U, .io_read_bytes = U, .io_write_bytes = U, .ip_ingress_bytes = U, .ip_egress_bytes = U,
          .n_restarts = 0, .active_enter_usec = 0 },
};

static const SysinfoUnit many_units[] = {
        { .name = "harperdb.service", .role = "instance", .control_group = "/system.slice/harperdb.service",
          .main_pid = 200, .active_state = "active", .cpu_usage_nsec = U, .memory_current = U, .memory_peak = U,
          .tasks_current = U, .io_read_bytes = U, .io_write_bytes = U, .ip_ingress_bytes = U, .ip_egress_bytes = U,
          .n_restarts = U },
        { .name = "harperdb-nats.service", .role = "clustering", .control_group = "/system.slice/harperdb-nats.service",
          .main_pid = 300, .active_state = "activating", .cpu_usage_nsec = U, .memory_current = U, .memory_peak = U,
          .tasks_current = U, .io_read_bytes = U, .io_write_bytes = U, .ip_ingress_bytes = U, .ip_egress_bytes = U,
          .n_restarts = U },
};

static const SysinfoPeer one_cpu_peers[] = {
        { .name = "node-b", .address = "10.0.0.6" },
};

typedef struct Shape {
        const char *name;
        SysinfoSources src;
        char root[PATH_MAX], data_dir[PATH_MAX + 8];
} Shape;

static void shape_init(Shape *s, const char *name) {
        memset(s, 0, sizeof *s);
        s->name = name;
        snprintf(s->root, sizeof s->root, "%s/%s", fixtures, name);
        s->src = (SysinfoSources) { .root = s->root, .disk = true, .network = true, .now_usec = NOW_USEC };
        if (strcmp(name, "one-cpu") == 0) {
                snprintf(s->data_dir, sizeof s->data_dir, "%s/hdb", s->root);
                s->src.data_dir = s->data_dir;
                s->src.units = one_cpu_units;
                s->src.n_units = 2;
                s->src.peers = one_cpu_peers;
                s->src.n_peers = 1;
        } else if (strcmp(name, "many-cpus-swap") == 0) {
                s->src.units = many_units;
                s->src.n_units = 2;
        } else
                s->src.data_dir = "/nonexistent/harper";
}

static json_object *collect(const SysinfoSources *src, unsigned sections) {
        SysinfoState *state = NULL;
        json_object *o = NULL;

        assert_int_equal(sysinfo_state_new(&state), 0);
        assert_int_equal(sysinfo_collect(state, src, sections, &o), 0);
        assert_non_null(o);
        sysinfo_state_free(state);
        return o;
}

static const char *plain(json_object *o) {
        return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
}

static void check_shape(const char *name) {
        Shape shape;
        json_object *all;
        bool update = getenv("SYSINFO_UPDATE") != NULL;

        shape_init(&shape, name);
        all = collect(&shape.src, SYSINFO_ALL);
        for (unsigned s = 0; s < _SYSINFO_SECTION_MAX; s++) {
                const char *section = sysinfo_section_name(s);
                json_object *got = json_object_object_get(all, section), *want;
                char path[PATH_MAX + 64];

                snprintf(path, sizeof path, "%s/expected-%s.json", shape.root, section);
                if (update)
                        json_object_to_file_ext(path, got, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                JSON_C_TO_STRING_NOSLASHESCAPE);
                want = json_object_from_file(path);
                if (!want)
                        fail_msg("%s: cannot read %s", name, path);
                if (strcmp(plain(got), plain(want)) != 0)
                        fail_msg("%s: section %s differs\n got: %s\nwant: %s", name, section, plain(got), plain(want));
                json_object_put(want);
        }
        json_object_put(all);
}

static void test_one_cpu_no_swap(void **state) {
        check_shape("one-cpu");
}

static void test_many_cpus_with_swap(void **state) {
        check_shape("many-cpus-swap");
}

static void test_container_without_devices(void **state) {
        check_shape("container");
}

static void test_section_names_in_harper_order(void **state) {
        static const char *const names[] = { "system", "time", "cpu", "memory", "disk", "network",
                "harperdb_processes", "table_size", "metrics", "threads", "replication" };

        for (unsigned s = 0; s < _SYSINFO_SECTION_MAX; s++)
                assert_string_equal(sysinfo_section_name(s), names[s]);
        assert_null(sysinfo_section_name(_SYSINFO_SECTION_MAX));
}

static unsigned mask_of(const char *json) {
        json_object *a = json ? json_tokener_parse(json) : NULL;
        unsigned m = sysinfo_sections_from_json(a);

        json_object_put(a);
        return m;
}

static void test_attributes_rules(void **state) {
        assert_int_equal(mask_of(NULL), SYSINFO_ALL);
        assert_int_equal(mask_of("[]"), SYSINFO_ALL);
        assert_int_equal(mask_of("\"memory\""), SYSINFO_ALL);            /* not an array */
        assert_int_equal(mask_of("{\"memory\":true}"), SYSINFO_ALL);
        assert_int_equal(mask_of("[\"foo\"]"), 0);                       /* unknown only: {} */
        assert_int_equal(mask_of("[1, null, true, {}, \"cpu\"]"), 1u << SYSINFO_CPU);
        assert_int_equal(mask_of("[\"time\",\"time\"]"), 1u << SYSINFO_TIME);
        assert_int_equal(mask_of("[\"database_metrics\"]"), 1u << SYSINFO_METRICS);
        assert_int_equal(mask_of("[\"Memory\"]"), 0);                    /* names are case-sensitive */
        assert_int_equal(mask_of("[\"replication\",\"threads\"]"), (1u << SYSINFO_REPLICATION) | (1u << SYSINFO_THREADS));
}

static void test_keys_in_harper_order_whatever_was_asked(void **state) {
        Shape shape;
        json_object *o;
        const char *keys[3];
        int n = 0;

        shape_init(&shape, "one-cpu");
        o = collect(&shape.src, mask_of("[\"memory\",\"system\"]"));
        json_object_object_foreach(o, k, v) {
                (void) v;
                assert_true(n < 3);
                keys[n++] = k;
        }
        assert_int_equal(n, 2);
        assert_string_equal(keys[0], "system");
        assert_string_equal(keys[1], "memory");
        json_object_put(o);

        o = collect(&shape.src, mask_of("[\"foo\"]"));
        assert_string_equal(plain(o), "{}");
        json_object_put(o);

        o = collect(&shape.src, mask_of("42"));
        n = 0;
        json_object_object_foreach(o, k2, v2) {
                (void) v2;
                assert_string_equal(k2, sysinfo_section_name(n));
                n++;
        }
        assert_int_equal(n, _SYSINFO_SECTION_MAX);
        json_object_put(o);
}

static void test_disk_and_network_switched_off(void **state) {
        Shape shape;
        json_object *o;

        shape_init(&shape, "one-cpu");
        shape.src.disk = shape.src.network = false;
        o = collect(&shape.src, (1u << SYSINFO_DISK) | (1u << SYSINFO_NETWORK));
        assert_string_equal(plain(o),
                "{\"disk\":{\"free_space_basis\":\"filesystem\"},"
                "\"network\":{\"default_interface\":null,\"latency\":{},\"interfaces\":[],\"stats\":[],\"connections\":[]}}");
        json_object_put(o);
}

static void test_no_units_no_processes(void **state) {
        Shape shape;
        json_object *o;

        shape_init(&shape, "one-cpu");
        shape.src.units = NULL;
        shape.src.n_units = 0;
        shape.src.peers = NULL;
        shape.src.n_peers = 0;
        shape.src.data_dir = NULL;
        o = collect(&shape.src, mask_of("[\"harperdb_processes\",\"threads\",\"metrics\",\"table_size\",\"replication\"]"));
        assert_string_equal(plain(o),
                "{\"harperdb_processes\":{\"core\":[]},\"table_size\":[],\"metrics\":{},\"threads\":[],"
                "\"replication\":{\"peers\":[]}}");
        json_object_put(o);

        o = collect(&shape.src, mask_of("[\"time\",\"memory\"]"));
        assert_true(json_object_object_get_ex(json_object_object_get(o, "time"), "process_uptime", NULL));
        assert_null(json_object_object_get(json_object_object_get(o, "time"), "process_uptime"));
        assert_null(json_object_object_get(json_object_object_get(o, "memory"), "rss"));
        json_object_put(o);
}

/* one-cpu's task 106 has spent LLONG_MAX user ticks and 92233720368547758 system ticks: ms
 * computed as ticks * 1000 overflow (undefined behaviour, wrapping negative in practice) */
static void test_huge_tick_counts_stay_sane(void **state) {
        Shape shape;
        json_object *o, *threads, *busy = NULL;

        if (sysconf(_SC_CLK_TCK) != 100)
                skip();   /* the fixture's ms assume 100 ticks a second, as everywhere on Linux */
        shape_init(&shape, "one-cpu");
        o = collect(&shape.src, 1u << SYSINFO_THREADS);
        threads = json_object_object_get(o, "threads");
        for (size_t i = 0; i < json_object_array_length(threads); i++) {
                json_object *t = json_object_array_get_idx(threads, i);
                if (json_object_get_int64(json_object_object_get(t, "threadId")) == 106)
                        busy = t;
        }
        assert_non_null(busy);
        /* saturated where the ms do not fit, exact where only the naive product overflows */
        assert_true(json_object_get_int64(json_object_object_get(busy, "cpu_user_ms")) == INT64_MAX);
        assert_true(json_object_get_int64(json_object_object_get(busy, "cpu_system_ms")) == INT64_C(922337203685477580));
        json_object_put(o);
}

static void test_unreadable_section_is_null(void **state) {
        SysinfoSources src = { .root = "/nonexistent/fixture", .now_usec = NOW_USEC };
        json_object *o = collect(&src, mask_of("[\"memory\",\"cpu\",\"table_size\"]"));

        /* Harper 5 answers null for a section it could not collect; the rest still comes */
        assert_string_equal(plain(o), "{\"cpu\":null,\"memory\":null,\"table_size\":[]}");
        json_object_put(o);
}

static double load_of(json_object *o, const char *key) {
        return json_object_get_double(json_object_object_get(json_object_object_get(json_object_object_get(o, "cpu"),
                                                                                   "current_load"), key));
}

static void test_cpu_load_since_previous_call(void **state) {
        Shape first, later;
        SysinfoState *st = NULL;
        json_object *a = NULL, *b = NULL, *c = NULL;
        unsigned cpu = 1u << SYSINFO_CPU;

        shape_init(&first, "one-cpu");
        shape_init(&later, "one-cpu-later");
        assert_int_equal(sysinfo_state_new(&st), 0);

        /* since boot: user 1000 sys 500 nice 0 idle 8000 irq 50 steal 30 → 9580 ticks */
        assert_int_equal(sysinfo_collect(st, &first.src, cpu, &a), 0);
        assert_float_equal(load_of(a, "currentLoad"), 1580.0 / 9580 * 100, 1e-9);
        assert_float_equal(load_of(a, "currentLoadIdle"), 8000.0 / 9580 * 100, 1e-9);

        /* one second later: user +300 sys +100 idle +500 irq +10 steal +10 → 920 ticks */
        later.src.now_usec = NOW_USEC + 1000000;
        assert_int_equal(sysinfo_collect(st, &later.src, cpu, &b), 0);
        assert_float_equal(load_of(b, "currentLoad"), 420.0 / 920 * 100, 1e-9);
        assert_float_equal(load_of(b, "currentLoadUser"), 300.0 / 920 * 100, 1e-9);
        assert_float_equal(load_of(b, "currentLoadSystem"), 100.0 / 920 * 100, 1e-9);
        assert_float_equal(load_of(b, "currentLoadIrq"), 10.0 / 920 * 100, 1e-9);
        assert_float_equal(load_of(b, "currentLoadIdle"), 500.0 / 920 * 100, 1e-9);
        assert_float_equal(load_of(b, "avgLoad"), 1.0, 1e-9);
        {
                json_object *cpus = json_object_object_get(json_object_object_get(json_object_object_get(b, "cpu"),
                                                                                  "current_load"), "cpus");
                assert_int_equal(json_object_array_length(cpus), 1);
                assert_float_equal(json_object_get_double(json_object_object_get(json_object_array_get_idx(cpus, 0), "load")),
                                   420.0 / 920 * 100, 1e-9);
        }

        /* the same counters again: nothing happened since, the tick count falls back to 1 */
        later.src.now_usec = NOW_USEC + 2000000;
        assert_int_equal(sysinfo_collect(st, &later.src, cpu, &c), 0);
        assert_float_equal(load_of(c, "currentLoad"), 0, 0);
        assert_float_equal(load_of(c, "currentLoadIdle"), 0, 0);

        json_object_put(a);
        json_object_put(b);
        json_object_put(c);
        sysinfo_state_free(st);
}

static void test_timezone_token(void **state) {
        Shape shape;
        json_object *o;

        shape_init(&shape, "one-cpu");
        setenv("TZ", "<+0530>-5:30", 1);
        o = collect(&shape.src, 1u << SYSINFO_TIME);
        assert_string_equal(json_object_get_string(json_object_object_get(json_object_object_get(o, "time"), "timezone")),
                            "GMT+0530");
        json_object_put(o);
        setenv("TZ", "EST5", 1);
        o = collect(&shape.src, 1u << SYSINFO_TIME);
        assert_string_equal(json_object_get_string(json_object_object_get(json_object_object_get(o, "time"), "timezone")),
                            "GMT-0500");
        json_object_put(o);
        setenv("TZ", "UTC0", 1);
        tzset();
}

static void test_live_machine_answers_every_section(void **state) {
        SysinfoSources src = { .root = "", .disk = true, .network = true };
        SysinfoState *st = NULL;
        json_object *o = NULL;

        assert_int_equal(sysinfo_state_new(&st), 0);
        for (int i = 0; i < 2; i++) {
                json_object_put(o);
                o = NULL;
                assert_int_equal(sysinfo_collect(st, &src, SYSINFO_ALL, &o), 0);
        }
        for (unsigned s = 0; s < _SYSINFO_SECTION_MAX; s++)
                if (!json_object_object_get(o, sysinfo_section_name(s)))
                        fail_msg("live section %s is null", sysinfo_section_name(s));
        json_object_put(o);
        sysinfo_state_free(st);
}

static void find_fixtures(void) {
        const char *env = getenv("SYSINFO_FIXTURES"), *srcdir = getenv("SRCDIR");
        char file[PATH_MAX];

        if (env)
                snprintf(fixtures, sizeof fixtures, "%s", env);
        else if (srcdir)
                snprintf(fixtures, sizeof fixtures, "%s/tests/fixtures/sysinfo", srcdir);
        else {
                /* meson runs the test in the build root, which __FILE__ is relative to */
                snprintf(file, sizeof file, "%s", __FILE__);
                snprintf(fixtures, sizeof fixtures, "%s/../fixtures/sysinfo", dirname(file));
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_one_cpu_no_swap),
                cmocka_unit_test(test_many_cpus_with_swap),
                cmocka_unit_test(test_container_without_devices),
                cmocka_unit_test(test_section_names_in_harper_order),
                cmocka_unit_test(test_attributes_rules),
                cmocka_unit_test(test_keys_in_harper_order_whatever_was_asked),
                cmocka_unit_test(test_disk_and_network_switched_off),
                cmocka_unit_test(test_no_units_no_processes),
                cmocka_unit_test(test_huge_tick_counts_stay_sane),
                cmocka_unit_test(test_unreadable_section_is_null),
                cmocka_unit_test(test_cpu_load_since_previous_call),
                cmocka_unit_test(test_timezone_token),
                cmocka_unit_test(test_live_machine_answers_every_section),
        };

        find_fixtures();
        /* local times in the expected files are UTC */
        setenv("TZ", "UTC0", 1);
        tzset();
        return cmocka_run_group_tests_name("sysinfo", tests, NULL, NULL);
}
