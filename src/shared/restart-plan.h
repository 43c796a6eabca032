/* SPDX-License-Identifier: MIT */
/* The decisions of a restart job, apart from the bus: which units it acts on, which step
 * starts next, and the order and rules of a replicated rollout over the peers. No bus types;
 * src/daemon/restart-engine.c carries the decisions out. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cluster-view.h"
#include "job.h"
#include "sysops-config.h"

/* The entries that are patterns (systemd is asked which running units they match), in order
 * and NULL-terminated in ret, which must hold one more pointer than entries has. Returns how
 * many there are. */
size_t restart_plan_patterns(char *const *entries, char **ret);

/* The units a job acts on: the entries in order, each pattern replaced by the running units it
 * matches (running is sorted), each explicit name kept as it is (systemd judges it: a typo is
 * an error, not a skip); a unit named twice is acted on once. The strings are borrowed from
 * entries and running; free only the array. A pattern that matches nothing: -ENOENT and
 * *ret_problem (to free) says so. */
int restart_plan_units(char *const *entries, char *const *running, char ***ret_units, char **ret_problem);

typedef enum PlanNext {
        PLAN_START_STEP,       /* start *ret_step now */
        PLAN_WAIT,             /* steps are running; the next decision comes when one ends */
        PLAN_STEPS_DONE,       /* nothing runs and nothing may start: the local part is over */
} PlanNext;

/* What the job does next. Rolling jobs run one step at a time, others all at once; after a
 * failure nothing new starts, and the job is over once its running steps are. */
PlanNext restart_plan_next(Job *j, bool rolling, bool failed, JobStep **ret_step);

/* The nodes a replicated job restarts after this one, in rollout order, each with how it is
 * reached (copies, to free with restart_plan_peers_free): with view (Harper's cluster), every
 * node of it, by name, as the configuration's entry of that name says (ssh, address, or left
 * out), else over ssh at the host of its replication URL; without (no Harper API), the
 * configuration's peers in their order. */
int restart_plan_peers(const Config *config, const ClusterView *view, PeerConfig **ret, size_t *ret_n);
void restart_plan_peers_free(PeerConfig *peers, size_t n);
/* A node that is done, or was left out by the configuration, lets the rollout go on; any
 * other (it could not be asked, its job failed, timed out or was lost) stops it: never two
 * nodes out of the cluster at once. */
bool restart_plan_goes_on_after(NodeState state);
