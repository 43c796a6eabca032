/* SPDX-License-Identifier: MIT */
/* Asks Harper which nodes make up its cluster and whether its replication to each is connected
 * (cluster-view.h): its cluster_status, then its system.hdb_nodes records (every node add_node
 * joined, connected or not). On the event loop; no bus types. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "cluster-view.h"
#include "harper-client.h"
#include "harper-target.h"

typedef struct HarperClusterQuery HarperClusterQuery;

/* view: what Harper said when error is 0 (the callee may take what it holds), else NULL, with
 * error a code of harper-client.h and message a sentence. */
typedef void (*harper_cluster_callback_t)(ClusterView *view, int error, const char *message, void *userdata);

/* callback exactly once, from the event loop, unless cancelled; each question within
 * timeout_usec. Without all_nodes only cluster_status is asked (the nodes it is connected to,
 * a question less). A negative errno: no callback. */
int harper_cluster_ask(HarperClusterQuery **ret, HarperClient *client, const HarperTarget *t, bool all_nodes,
                       uint64_t timeout_usec, harper_cluster_callback_t callback, void *userdata);

/* Ends a query without calling back; NULL is fine. */
void harper_cluster_query_cancel(HarperClusterQuery *q);
