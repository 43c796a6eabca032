/* SPDX-License-Identifier: MIT */
/* The restart engine: carries a restart job out, step by step, with no bus in sight. A job's
 * steps are systemd unit jobs (restart or reload one unit), Harper's own part (Harper answering
 * again after its unit restarted, or Harper restarting one of its services as a Harper job; then,
 * on a node of a cluster, Harper's replication to the nodes it was connected to before connected
 * again), and for a replicated restart the same restart on each other node of Harper's cluster
 * in turn. restart-plan.h decides
 * what comes next; the engine starts it through three small driver interfaces (systemd units,
 * Harper, peers) and hears back through the restart_run_*() reports below. The daemon fills the
 * drivers with adapters over its clients (restart-drivers.h), unit tests with fakes.
 *
 * Errors are codes: every report carries error (0 or a negative errno) and a sentence for
 * people; the engine decides by the code alone and keeps the sentence as the job's message. */
#pragma once

#include <errno.h>
#include <stdbool.h>

#include "cluster-view.h"
#include "job.h"
#include "sysops-config.h"

typedef struct RestartEngine RestartEngine;

/* One job's run: the token a driver reports to. It stays valid until the driver has reported the
 * end of what it was asked to do (or was canceled). */
typedef struct RestartRun RestartRun;

/* systemd: unit jobs, and which units run. Unit runs cannot be canceled: systemd finishes a
 * queued job on its own, and the daemon frees its systemd client (whose runs then end without
 * a report) before the engine. */
typedef struct RestartUnitDriver {
        /* Queues action on unit; reports restart_run_unit_queued() once systemd has the job and
         * restart_run_unit_finished() exactly once. <0: nothing was queued, no report. */
        int (*run)(void *userdata, const char *unit, UnitAction action, RestartRun *run);
        /* The running units that match patterns, sorted by name: restart_run_units_found() once. */
        int (*list_running)(void *userdata, char *const *patterns, RestartRun *run);
        void *userdata;
} RestartUnitDriver;

/* Harper over its operations socket: found anew for each step (a restart may have moved it). */
typedef struct RestartHarperDriver {
        /* kind STEP_HARPER_ANSWERING: wait until Harper answers again; STEP_HARPER_SERVICE: have
         * Harper restart service itself and follow its job (restart_run_harper_started() with
         * Harper's job id); STEP_HARPER_REPLICATION: wait until Harper's replication to each node
         * of nodes (NULL-terminated, borrowed for the call) is connected again.
         * restart_run_harper_finished() exactly once, possibly before this returns; *ret_handle
         * is set before any report. <0: no report. */
        int (*start)(void *userdata, StepKind kind, HarperService service, char *const *nodes, RestartRun *run,
                     void **ret_handle);
        /* Asks Harper for its cluster (all_nodes: every node it knows, else those it is connected
         * to): restart_run_cluster_found() exactly once, as start. */
        int (*cluster)(void *userdata, bool all_nodes, RestartRun *run, void **ret_handle);
        /* Ends a step or question that has not finished, without a report. */
        void (*cancel)(void *userdata, void *handle);
        void *userdata;
} RestartHarperDriver;

/* A peer node's harper-sysopsd, asked for the same restart_service (not replicated). */
typedef struct RestartPeerDriver {
        /* restart_run_peer_started() with the peer's job id, restart_run_peer_finished() exactly
         * once, never before this returns; its message names the peer. <0: no report. */
        int (*start)(void *userdata, const PeerConfig *peer, HarperService service, RestartRun *run,
                     void **ret_handle);
        void (*cancel)(void *userdata, void *handle);
        void *userdata;
} RestartPeerDriver;

typedef struct RestartDrivers {
        RestartUnitDriver unit;
        RestartHarperDriver harper;
        RestartPeerDriver peer;
} RestartDrivers;

/* What the engine tells its owner. */
typedef struct RestartEvents {
        /* j changed (status, message, steps, nodes). A finished job is not touched by the engine
         * after this, so the owner may free it here. */
        void (*job_changed)(Job *j, void *userdata);
        /* The caller of a job started with answer_call may hear now: error 0 once systemd has
         * queued the job's first unit, else the job's failure (error <0 and message). Once. */
        void (*call_answer)(Job *j, int error, const char *message, void *userdata);
        void *userdata;
} RestartEvents;

/* config is read when each step starts (a reload applies to running jobs); it must outlive the
 * engine, as must the drivers' userdata. */
int restart_engine_new(RestartEngine **ret, const Config *config, const RestartDrivers *drivers,
                       const RestartEvents *events);
/* Cancels the peer and Harper steps still running, without reports or events. */
RestartEngine *restart_engine_free(RestartEngine *e);

/* Starts j (CREATED): settles its steps (asking systemd which units run when the configuration
 * gives a pattern) and runs them; everything after is told through the events. */
void restart_engine_start(RestartEngine *e, Job *j, bool answer_call);

/* The drivers' reports: error is 0 or a negative errno, message a sentence for people (the
 * job's message when it fails; may be NULL on success). Strings are borrowed for the call. A
 * report for a job that has ended is ignored. */
void restart_run_unit_queued(RestartRun *run, const char *unit);
void restart_run_unit_finished(RestartRun *run, const char *unit, int error, const char *message);
/* units: NULL-terminated, sorted by name; NULL when error < 0. */
void restart_run_units_found(RestartRun *run, char *const *units, int error, const char *message);
void restart_run_harper_started(RestartRun *run, const char *harper_job_id);
void restart_run_harper_finished(RestartRun *run, int error, const char *message);
/* view: Harper's cluster when error is 0 (the engine takes what it holds and leaves it empty),
 * else NULL. */
void restart_run_cluster_found(RestartRun *run, ClusterView *view, int error, const char *message);
void restart_run_peer_started(RestartRun *run, const char *peer_job_id);
void restart_run_peer_finished(RestartRun *run, int error, const char *message);
