/* SPDX-License-Identifier: MIT */
/* harper-ops --wait: instead of answering at once, a restart follows its job to the end and
 * answers with the job's final record, showing its progress on a terminal. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "operations.h"

typedef struct JobFollow {
        uint64_t timeout_usec;   /* give up following after this long; 0 = as long as the job runs */
        bool progress;           /* show the job's progress on stderr (a terminal) */
} JobFollow;

/* CallHooks.job_started with a JobFollow as userdata: the job's final record (OUTCOME_JOB_ERROR
 * when it ended in ERROR), or Harper's 500 when it could not be followed to its end. */
Response job_follow_started(const CallContext *ctx, const Operation *op, const char *message, const char *job_id,
                            const char *job_path, void *userdata);
