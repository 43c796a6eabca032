/* SPDX-License-Identifier: MIT */
/* Harper's cluster as cluster-view.h reads it from Harper 4.7's answers: the nodes add_node
 * joined (system.hdb_nodes), which of them this node's replication is connected to
 * (cluster_status), the rollout order, and the host of a replication URL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "cluster-view.h"
#include "json-util.h"

/* cluster_status on node 127.0.0.11 of three, as Harper 4.7.29 answers it (fields it adds but
 * that play no part here left out): connected to .13 on both databases, to .12 on one only */
static const char STATUS[] =
        "{\"connections\":["
        "{\"url\":\"wss://127.0.0.13:12033\",\"name\":\"127.0.0.13\",\"database_sockets\":["
        "{\"database\":\"system\",\"connected\":true},{\"database\":\"dev\",\"connected\":true}]},"
        "{\"url\":\"wss://127.0.0.12:12023\",\"name\":\"127.0.0.12\",\"database_sockets\":["
        "{\"database\":\"system\",\"connected\":true},{\"database\":\"dev\",\"connected\":false}]}],"
        "\"node_name\":\"127.0.0.11\",\"url\":\"wss://127.0.0.11:12013\",\"is_enabled\":true}";

/* its hdb_nodes: itself too, and .14, which it has no connection to (yet) */
static const char NODES[] =
        "[{\"name\":\"127.0.0.13\",\"url\":\"wss://127.0.0.13:12033\"},"
        "{\"name\":\"127.0.0.11\",\"url\":\"wss://127.0.0.11:12013\"},"
        "{\"name\":\"127.0.0.14\",\"url\":\"wss://127.0.0.14:12043\"},"
        "{\"name\":\"127.0.0.12\",\"url\":\"wss://127.0.0.12:12023\"},{\"url\":\"nameless\"}]";

static void test_nodes_are_harpers_sorted_by_name_without_this_one(void **state) {
        _cleanup_json_ json_object *status = json_tokener_parse(STATUS), *nodes = json_tokener_parse(NODES);
        ClusterView v = {};

        assert_int_equal(cluster_view_from_harper(status, nodes, &v), 0);
        assert_string_equal(v.this_node, "127.0.0.11");
        assert_int_equal(v.n_nodes, 3);
        assert_string_equal(v.nodes[0].name, "127.0.0.12");
        assert_string_equal(v.nodes[0].url, "wss://127.0.0.12:12023");
        assert_string_equal(v.nodes[1].name, "127.0.0.13");
        assert_string_equal(v.nodes[2].name, "127.0.0.14");
        /* connected: every database socket, and at least one */
        assert_false(v.nodes[0].connected);
        assert_true(v.nodes[1].connected);
        assert_false(v.nodes[2].connected);
        assert_ptr_equal(cluster_view_find(&v, "127.0.0.13"), &v.nodes[1]);
        assert_null(cluster_view_find(&v, "127.0.0.11"));
        cluster_view_done(&v);
        assert_int_equal(v.n_nodes, 0);
}

static void test_without_node_records_the_connections_are_the_nodes(void **state) {
        _cleanup_json_ json_object *status = json_tokener_parse(STATUS);
        ClusterView v = {};

        assert_int_equal(cluster_view_from_harper(status, NULL, &v), 0);
        assert_int_equal(v.n_nodes, 2);
        assert_string_equal(v.nodes[0].name, "127.0.0.12");
        assert_string_equal(v.nodes[1].name, "127.0.0.13");
        cluster_view_done(&v);
}

static void test_a_harper_in_no_cluster_has_no_nodes(void **state) {
        /* what Harper 4.7.29 answers without add_node: no node_name at all */
        _cleanup_json_ json_object *status = json_tokener_parse("{\"connections\":[]}");
        _cleanup_json_ json_object *nodes = json_tokener_parse("[]");
        ClusterView v = {};

        assert_int_equal(cluster_view_from_harper(status, nodes, &v), 0);
        assert_null(v.this_node);
        assert_int_equal(v.n_nodes, 0);
        cluster_view_done(&v);
}

static void test_answers_not_of_harpers_shape_are_refused(void **state) {
        _cleanup_json_ json_object *array = json_tokener_parse("[]"), *status = json_tokener_parse(STATUS);
        _cleanup_json_ json_object *bad_nodes = json_tokener_parse("[1]"), *object = json_tokener_parse("{}");
        ClusterView v = {};

        assert_int_equal(cluster_view_from_harper(array, NULL, &v), -EBADMSG);
        assert_int_equal(cluster_view_from_harper(status, bad_nodes, &v), -EBADMSG);
        assert_int_equal(cluster_view_from_harper(status, object, &v), -EBADMSG);
        assert_int_equal(cluster_view_from_harper(NULL, NULL, &v), -EBADMSG);
}

static void test_connected_to_asks_every_database_socket(void **state) {
        _cleanup_json_ json_object *status = json_tokener_parse(STATUS);
        _cleanup_json_ json_object *no_sockets = json_tokener_parse(
                "{\"connections\":[{\"name\":\"b\",\"database_sockets\":[]}]}");

        assert_true(cluster_status_connected_to(status, "127.0.0.13"));
        assert_false(cluster_status_connected_to(status, "127.0.0.12"));
        assert_false(cluster_status_connected_to(status, "127.0.0.99"));
        assert_false(cluster_status_connected_to(no_sockets, "b"));
}

static void test_url_host(void **state) {
        const struct { const char *url, *host; } cases[] = {
                { "wss://127.0.0.12:12023", "127.0.0.12" },
                { "wss://node-b.example/", "node-b.example" },
                { "wss://[::1]:9933", "::1" },
                { "node-c", "node-c" },
                { "wss://[::1", NULL },
                { "wss://:9933", NULL },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *host = cluster_url_host(cases[i].url);

                if (cases[i].host)
                        assert_string_equal(host, cases[i].host);
                else
                        assert_null(host);
                free(host);
        }
        assert_null(cluster_url_host(NULL));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_nodes_are_harpers_sorted_by_name_without_this_one),
                cmocka_unit_test(test_without_node_records_the_connections_are_the_nodes),
                cmocka_unit_test(test_a_harper_in_no_cluster_has_no_nodes),
                cmocka_unit_test(test_answers_not_of_harpers_shape_are_refused),
                cmocka_unit_test(test_connected_to_asks_every_database_socket),
                cmocka_unit_test(test_url_host),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
