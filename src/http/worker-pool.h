/* SPDX-License-Identifier: MIT */
/* The listener's side of the workers: at most max_workers processes, at most per_identity of
 * them for one user; a request waits for a free worker of its user, or a free slot, or an
 * idle worker of another user to retire, up to queue_usec (then -EBUSY: 503). Workers
 * nobody used for idle_usec are let go. Thread-safe. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "identity.h"
#include "macro.h"

typedef struct WorkerPoolConfig {
        unsigned max_workers;
        unsigned per_identity;
        uint64_t idle_usec;
        uint64_t queue_usec;
        uint64_t reply_usec;   /* a worker that has not answered a request this long is killed (500) */
        int self_fd;           /* this program, opened at start, exec'd as the worker */
} WorkerPoolConfig;

typedef struct WorkerPool WorkerPool;

/* Workers get a clean start: only their socket (and stdin, stdout, stderr), no blocked signals,
 * an environment of DBUS_SYSTEM_BUS_ADDRESS and JOURNAL_STREAM (when set) alone, and SIGKILL
 * when the listener dies (PR_SET_PDEATHSIG). */
int worker_pool_new(const WorkerPoolConfig *config, WorkerPool **ret);
/* Ends every worker and waits for them (a bounded time). NULL is fine. */
void worker_pool_free(WorkerPool *pool);
DEFINE_TRIVIAL_CLEANUP_FUNC(WorkerPool *, worker_pool_free);

/* Runs one request body as id in one of id's workers: 0 with the HTTP status and the JSON
 * answer (*ret_body malloc'd), -EBUSY when no worker became free in time, or -errno when
 * the worker could not be started or failed. */
int worker_pool_run(WorkerPool *pool, const Identity *id, const char *body, size_t length, int *ret_status,
                    char **ret_body, size_t *ret_length);
