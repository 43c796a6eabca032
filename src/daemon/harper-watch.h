/* SPDX-License-Identifier: MIT */
/* Harper's part of a restart, over its operations socket: wait until Harper answers again after
 * its unit restarted (on its socket, then on its TCP operations port when it has one), have
 * Harper restart one of its services itself (its own restart_service, a Harper job) and follow
 * that job to its end, or wait until Harper's replication to other nodes is connected again. No bus types; everything runs on the event loop. */
#pragma once

#include <stdint.h>
#include <systemd/sd-event.h>

#include "harper-client.h"
#include "harper-target.h"

typedef enum HarperWatchEvent {
        HARPER_WATCH_STARTED,  /* text: Harper's job id (restart_service only) */
        HARPER_WATCH_DONE,     /* text: what Harper said, or NULL */
        HARPER_WATCH_FAILED,   /* text: why, in one sentence */
} HarperWatchEvent;

/* After DONE or FAILED the watch is over and frees itself. */
typedef void (*harper_watch_callback_t)(HarperWatchEvent event, const char *text, void *userdata);

typedef struct HarperWatch HarperWatch;

/* Asks Harper every few ms until it answers on t's socket and TCP port, for at most
 * timeout_usec. */
int harper_watch_answering(HarperWatch **ret, HarperClient *client, sd_event *event, const HarperTarget *t,
                           uint64_t timeout_usec, harper_watch_callback_t callback, void *userdata);

/* Harper's restart_service of service, followed with get_job until Harper's job is COMPLETE or
 * ERROR, for at most timeout_usec; a moment without an answer while Harper re-creates its
 * socket is retried, a Harper that restarted meanwhile (a new hdb.pid) fails the watch. */
int harper_watch_restart_service(HarperWatch **ret, HarperClient *client, sd_event *event, const HarperTarget *t,
                                 const char *service, uint64_t timeout_usec, harper_watch_callback_t callback,
                                 void *userdata);

/* Asks Harper's cluster_status every few hundred ms until its replication to every node of
 * nodes (Harper's names, NULL-terminated) is connected, for at most timeout_usec. */
int harper_watch_replication(HarperWatch **ret, HarperClient *client, sd_event *event, const HarperTarget *t,
                             char *const *nodes, uint64_t timeout_usec, harper_watch_callback_t callback,
                             void *userdata);

/* Ends a watch without calling back; NULL is fine. */
void harper_watch_cancel(HarperWatch *w);
