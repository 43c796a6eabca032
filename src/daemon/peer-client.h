/* SPDX-License-Identifier: MIT */
/* One peer's part of a replicated restart: connect to the peer node's system bus (over ssh, as
 * busctl -H does, or at a D-Bus address), ask its harper-sysopsd for the same restart with
 * replicated false, and follow the peer's job by its signals until it ends. The peer's polkit
 * judges us as any caller. Nothing here blocks the event loop. */
#pragma once

#include <stdint.h>
#include <systemd/sd-event.h>

#include "sysops-config.h"

typedef struct PeerRun PeerRun;

typedef enum PeerRunEvent {
        PEER_RUN_STARTED,      /* the peer created its job; text is its job id */
        PEER_RUN_DONE,         /* its job is COMPLETE; text is the job's message */
        PEER_RUN_UNREACHABLE,  /* it could not be asked (no connection, no daemon, refused); text says why */
        PEER_RUN_FAILED,       /* its job ended in ERROR (text: the job's message), timed out, or was lost */
} PeerRunEvent;

/* After DONE, UNREACHABLE or FAILED the run is over and frees itself: forget the pointer. */
typedef void (*peer_run_callback_t)(PeerRunEvent event, const char *text, void *userdata);

/* How long ssh may take to reach a node before the node counts as unreachable. */
#define PEER_SSH_CONNECT_TIMEOUT_SEC 10U

/* An ssh peer is reached with ssh_config (ssh_config(5); NULL: ssh's own defaults); service
 * NULL restarts the peer's instance (Restart()). Texts of the events do not name the peer: the
 * caller knows which it asked. */
int peer_run_start(PeerRun **ret, sd_event *event, const PeerConfig *peer, const char *ssh_config,
                   const char *service, uint64_t timeout_usec, peer_run_callback_t callback, void *userdata);

/* Ends a run that is not over, without calling back (the daemon exits). Not from its callback. */
void peer_run_cancel(PeerRun *run);
