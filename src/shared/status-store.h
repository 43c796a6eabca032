/* SPDX-License-Identifier: MIT */
/* The in-memory status table: one record per status id, as Harper's hdb_status table holds
 * them (per node, never persisted). No bus types; the daemon wraps it.
 *
 * What the table knows: an id set or cleared here is known from then on; the rest only once the
 * table is complete (read back from Harper, or taken over from the previous run of the daemon).
 * Before that an empty record may still be one Harper holds: readers must not say "none". */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "status-rules.h"

typedef struct StatusRecord {
        StatusId id;
        char *status;          /* NULL when this id has never been set (or was cleared) */
        uint64_t created_ms;   /* ms since the epoch; kept when the record is overwritten */
        uint64_t updated_ms;   /* ms since the epoch; refreshed on every set */
} StatusRecord;

typedef struct StatusStore {
        StatusRecord records[_STATUS_ID_MAX];
        bool written[_STATUS_ID_MAX];  /* set or cleared here, so known whatever Harper holds */
        bool complete;                 /* every record is known */
} StatusStore;

void status_store_init(StatusStore *store);
void status_store_done(StatusStore *store);

/* Sets id to a copy of status at time now_ms (the caller has validated both). Returns the
 * stored record, or NULL when out of memory (the store is then unchanged). */
const StatusRecord *status_store_set(StatusStore *store, StatusId id, const char *status, uint64_t now_ms);

/* Sets id as another copy had it, with its times (statuses read back from Harper, or taken over
 * from the previous run); not a write of ours. NULL when out of memory. */
const StatusRecord *status_store_restore(StatusStore *store, StatusId id, const char *status, uint64_t created_ms,
                                         uint64_t updated_ms);

/* The record of id, or NULL when it has not been set. */
const StatusRecord *status_store_get(const StatusStore *store, StatusId id);

/* Removes the record of id; returns whether there was one. */
bool status_store_clear(StatusStore *store, StatusId id);

/* Fills out with the set records sorted by id name, as Harper lists them; returns how many. */
unsigned status_store_list(const StatusStore *store, const StatusRecord *out[_STATUS_ID_MAX]);

/* Whether the record of id (set or not) is known: the table is complete or id was written. */
bool status_store_knows(const StatusStore *store, StatusId id);
