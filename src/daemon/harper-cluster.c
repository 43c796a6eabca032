/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harper-cluster.h"
#include "json-util.h"
#include "macro.h"
#include "text.h"

struct HarperClusterQuery {
        HarperClient *client;
        char *socket;
        uint64_t timeout_usec;
        bool all_nodes;        /* ask for system.hdb_nodes too */
        json_object *status;   /* cluster_status's answer, once it came */
        HarperCall *call;
        harper_cluster_callback_t callback;
        void *userdata;
};

void harper_cluster_query_cancel(HarperClusterQuery *q) {
        if (!q)
                return;
        harper_call_cancel(q->call);
        json_object_put(q->status);
        free(q->socket);
        free(q);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(HarperClusterQuery *, harper_cluster_query_cancel);

/* Calls back and frees q. */
static void query_end(HarperClusterQuery *q, ClusterView *view, int error, const char *message) {
        harper_cluster_callback_t callback = q->callback;
        void *userdata = q->userdata;
        _cleanup_free_ char *copy = message ? strdup(message) : NULL;

        q->call = NULL;
        harper_cluster_query_cancel(q);
        callback(view, error, copy ?: message ? "Out of memory." : NULL, userdata);
}

static void view_ready(HarperClusterQuery *q, json_object *node_records) {
        _cleanup_(cluster_view_done) ClusterView view = {};
        int r;

        r = cluster_view_from_harper(q->status, node_records, &view);
        if (r < 0) {
                _cleanup_free_ char *why = text_printf("Harper's cluster_status is not of Harper's shape: %s",
                                                       json_object_to_json_string(q->status));
                return query_end(q, NULL, r, why ?: "Harper's cluster_status is not of Harper's shape.");
        }
        query_end(q, &view, 0, NULL);
}

static void on_nodes(json_object *reply, int error, const char *message, void *userdata) {
        HarperClusterQuery *q = ASSERT_PTR(userdata);

        q->call = NULL;
        if (error == HARPER_ERROR_REFUSED)   /* no such table to search: the connections alone */
                return view_ready(q, NULL);
        if (error < 0)
                return query_end(q, NULL, error, message);
        view_ready(q, reply);
}

static void on_status(json_object *reply, int error, const char *message, void *userdata) {
        HarperClusterQuery *q = ASSERT_PTR(userdata);
        _cleanup_json_ json_object *body = NULL;
        int r;

        q->call = NULL;
        if (error < 0)
                return query_end(q, NULL, error, message);
        q->status = json_object_get(reply);
        if (!q->all_nodes)
                return view_ready(q, NULL);
        body = json_tokener_parse("{\"operation\":\"search_by_value\",\"database\":\"system\","
                                  "\"table\":\"hdb_nodes\",\"search_attribute\":\"name\",\"search_value\":\"*\","
                                  "\"get_attributes\":[\"name\",\"url\"]}");
        if (!body)
                return query_end(q, NULL, -ENOMEM, "Out of memory.");
        r = harper_client_call(q->client, q->socket, body, q->timeout_usec, on_nodes, q, &q->call);
        if (r < 0)
                query_end(q, NULL, r, "Cannot ask Harper for its nodes.");
}

int harper_cluster_ask(HarperClusterQuery **ret, HarperClient *client, const HarperTarget *t, bool all_nodes,
                       uint64_t timeout_usec, harper_cluster_callback_t callback, void *userdata) {
        _cleanup_(harper_cluster_query_cancelp) HarperClusterQuery *q = NULL;
        _cleanup_json_ json_object *body = NULL;
        int r;

        assert(ret);
        assert(client);
        assert(t);
        assert(callback);

        q = calloc(1, sizeof(HarperClusterQuery));
        if (!q)
                return -ENOMEM;
        *q = (HarperClusterQuery) { .client = client, .timeout_usec = timeout_usec, .all_nodes = all_nodes,
                                    .callback = callback,
                                    .userdata = userdata, .socket = strdup(t->socket) };
        body = json_tokener_parse("{\"operation\":\"cluster_status\"}");
        if (!q->socket || !body)
                return -ENOMEM;
        r = harper_client_call(client, q->socket, body, timeout_usec, on_status, q, &q->call);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(q);
        return 0;
}
