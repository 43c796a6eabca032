/* SPDX-License-Identifier: MIT */
/* What only Harper knows, from its own answers (SysinfoSources.harper): the sections "threads",
 * "metrics", "table_size" and "replication", the heap figures of "memory" and the versions of
 * "system", and the key "harper" that says whether Harper answered. Pure: no I/O. */
#pragma once

#include "sysinfo-call.h"

/* Harper's worker threads, as its system_information lists them. */
int sysinfo_harper_threads(SysinfoCall *c, void **state, json_object **ret);
/* Harper's own metrics (its database statistics, keyed by database). */
int sysinfo_harper_metrics(SysinfoCall *c, void **state, json_object **ret);
/* One entry per table of describe_all: database, table, record_count and its sizes. */
int sysinfo_harper_table_size(SysinfoCall *c, void **state, json_object **ret);
/* {"cluster_status": Harper's cluster_status, "peers": the configured peers}. */
int sysinfo_harper_replication(SysinfoCall *c, void **state, json_object **ret);

/* A new reference to key of section in Harper's system_information answer ("memory",
 * "heapUsed"), NULL (JSON null) when Harper did not give it. */
json_object *si_harper_value(SysinfoCall *c, const char *section, const char *key);

/* The value of the key "harper": {"answered":true}, or {"answered":false,"error":"…"}; NULL
 * when out of memory. */
json_object *si_harper_status(const SysinfoHarper *harper);
