/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cluster-view.h"
#include "json-util.h"
#include "macro.h"

void cluster_view_done(ClusterView *v) {
        assert(v);

        for (size_t i = 0; i < v->n_nodes; i++) {
                free(v->nodes[i].name);
                free(v->nodes[i].url);
        }
        free(v->nodes);
        free(v->this_node);
        *v = (ClusterView) {};
}

static const char *string_field(json_object *o, const char *key) {
        json_object *v = json_object_object_get(o, key);

        return json_object_is_type(v, json_type_string) && json_object_get_string_len(v) > 0 ?
               json_object_get_string(v) : NULL;
}

static json_object *connection_named(json_object *status, const char *name) {
        json_object *connections = json_object_object_get(status, "connections");
        size_t n = json_object_is_type(connections, json_type_array) ? json_object_array_length(connections) : 0;

        for (size_t i = 0; i < n; i++) {
                json_object *c = json_object_array_get_idx(connections, i);

                if (streq_ptr(string_field(c, "name"), name))
                        return c;
        }
        return NULL;
}

bool cluster_status_connected_to(json_object *status, const char *name) {
        json_object *sockets = json_object_object_get(connection_named(status, name), "database_sockets");
        size_t n = json_object_is_type(sockets, json_type_array) ? json_object_array_length(sockets) : 0;

        assert(name);

        for (size_t i = 0; i < n; i++)
                if (!json_object_get_boolean(json_object_object_get(json_object_array_get_idx(sockets, i),
                                                                    "connected")))
                        return false;
        return n > 0;
}

const ClusterNode *cluster_view_find(const ClusterView *v, const char *name) {
        assert(v);

        for (size_t i = 0; i < v->n_nodes; i++)
                if (streq(v->nodes[i].name, name))
                        return &v->nodes[i];
        return NULL;
}

static int add_node(ClusterView *v, const char *name, const char *url, json_object *status) {
        ClusterNode *nodes;

        if (!name || streq_ptr(name, v->this_node) || cluster_view_find(v, name))
                return 0;
        nodes = reallocarray(v->nodes, v->n_nodes + 1, sizeof(ClusterNode));
        if (!nodes)
                return -ENOMEM;
        v->nodes = nodes;
        nodes[v->n_nodes] = (ClusterNode) { .name = strdup(name), .url = url ? strdup(url) : NULL,
                                            .connected = cluster_status_connected_to(status, name) };
        v->n_nodes++;
        if (!nodes[v->n_nodes - 1].name || (url && !nodes[v->n_nodes - 1].url))
                return -ENOMEM;
        return 0;
}

static int compare_nodes(const void *a, const void *b) {
        return strcmp(((const ClusterNode *) a)->name, ((const ClusterNode *) b)->name);
}

/* Each element of list that is an object, by its name and URL. */
static int add_nodes(ClusterView *v, json_object *list, json_object *status) {
        size_t n;
        int r;

        if (!json_object_is_type(list, json_type_array))
                return -EBADMSG;
        n = json_object_array_length(list);
        for (size_t i = 0; i < n; i++) {
                json_object *o = json_object_array_get_idx(list, i);

                if (!json_object_is_type(o, json_type_object))
                        return -EBADMSG;
                r = add_node(v, string_field(o, "name"), string_field(o, "url"), status);
                if (r < 0)
                        return r;
        }
        return 0;
}

int cluster_view_from_harper(json_object *status, json_object *node_records, ClusterView *ret) {
        _cleanup_(cluster_view_done) ClusterView v = {};
        const char *this_node;
        int r;

        assert(ret);

        if (!json_object_is_type(status, json_type_object))
                return -EBADMSG;
        this_node = string_field(status, "node_name");
        if (this_node && !(v.this_node = strdup(this_node)))
                return -ENOMEM;
        r = add_nodes(&v, node_records ?: json_object_object_get(status, "connections"), status);
        if (r < 0)
                return r;
        if (v.n_nodes > 0)
                qsort(v.nodes, v.n_nodes, sizeof(ClusterNode), compare_nodes);
        *ret = v;
        v = (ClusterView) {};
        return 0;
}

char *cluster_node_ssh_host(const char *name, const char *url) {
        assert(name);
        return cluster_url_host(url) ?: strdup(name);
}

char *cluster_url_host(const char *url) {
        const char *host, *end;

        if (!url)
                return NULL;
        host = strstr(url, "://");
        host = host ? host + 3 : url;
        if (*host == '[') {
                end = strchr(++host, ']');
                if (!end)
                        return NULL;
        } else
                end = host + strcspn(host, ":/");
        return end > host ? strndup(host, end - host) : NULL;
}
