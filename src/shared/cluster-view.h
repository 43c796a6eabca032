/* SPDX-License-Identifier: MIT */
/* Harper's cluster as harper-sysops sees it: the other nodes Harper knows (its system.hdb_nodes
 * records, what add_node wrote) and whether this node's replication to each is connected (its
 * cluster_status). Harper names each node (replication.hostname, or the host of its URL); those
 * names are the cluster's vocabulary everywhere in harper-sysops. No bus types. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct ClusterNode {
        char *name;            /* Harper's name of the node */
        char *url;             /* its replication URL (wss://host:port), NULL when Harper has none */
        bool connected;        /* cluster_status has a connection to it, every database socket connected */
} ClusterNode;

typedef struct ClusterView {
        char *this_node;       /* Harper's name of this node, NULL when it is in no cluster */
        ClusterNode *nodes;    /* the other nodes, sorted by name (the rollout order) */
        size_t n_nodes;
} ClusterView;

/* From Harper's answers to cluster_status and to a search of system.hdb_nodes (node_records: its
 * array of records; NULL to take the nodes from cluster_status's connections alone). Records
 * without a name and this node's own record are left out. -EBADMSG when an answer is not of
 * Harper's shape. */
int cluster_view_from_harper(json_object *status, json_object *node_records, ClusterView *ret);
void cluster_view_done(ClusterView *v);

const ClusterNode *cluster_view_find(const ClusterView *v, const char *name);

/* Whether cluster_status (Harper's answer) shows a connected replication to the node named
 * name: a connection of that name whose database sockets are all connected, and at least one. */
bool cluster_status_connected_to(json_object *status, const char *name);

/* Where a node is reached over ssh when the configuration says nothing: the host of its
 * replication URL, else its name. NULL when out of memory. */
char *cluster_node_ssh_host(const char *name, const char *url);

/* The host of a URL ("wss://127.0.0.12:9933" → "127.0.0.12", "wss://[::1]:9933/" → "::1"),
 * NULL when it has none (or out of memory). */
char *cluster_url_host(const char *url);
