/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "restart-plan.h"
#include "text.h"

static size_t count(char *const *strv) {
        size_t n = 0;

        while (strv && strv[n])
                n++;
        return n;
}

size_t restart_plan_patterns(char *const *entries, char **ret) {
        size_t n = 0;

        assert(entries);
        assert(ret);
        for (size_t i = 0; entries[i]; i++)
                if (unit_name_is_pattern(entries[i]))
                        ret[n++] = entries[i];
        ret[n] = NULL;
        return n;
}

static bool listed(char **units, size_t n, const char *unit) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(units[i], unit) == 0)
                        return true;
        return false;
}

/* A pattern's units in the order of their instance numbers (w@2 before w@10), whatever order
 * systemd lists them in: a rolling restart goes through the workers as an admin counts them. */
static int natural_order(const void *a, const void *b) {
        return strverscmp(*(char *const *) a, *(char *const *) b);
}

int restart_plan_units(char *const *entries, char *const *running, char ***ret_units, char **ret_problem) {
        _cleanup_free_ char **units = NULL;
        size_t n = 0;

        assert(entries);
        assert(ret_units);
        assert(ret_problem);
        *ret_problem = NULL;
        units = calloc(count(entries) + count(running) + 1, sizeof(char *));
        if (!units)
                return -ENOMEM;
        for (size_t e = 0; entries[e]; e++) {
                size_t first_match = n;
                bool matched = false;

                if (!unit_name_is_pattern(entries[e])) {
                        if (!listed(units, n, entries[e]))
                                units[n++] = entries[e];
                        continue;
                }
                for (size_t u = 0; running && running[u]; u++) {
                        if (fnmatch(entries[e], running[u], 0) != 0)
                                continue;
                        matched = true;
                        if (!listed(units, n, running[u]))
                                units[n++] = running[u];
                }
                if (!matched)
                        return text_error(ret_problem, -ENOENT, "No running unit matches %s.", entries[e]);
                qsort(units + first_match, n - first_match, sizeof(char *), natural_order);
        }
        *ret_units = TAKE_PTR(units);
        return 0;
}

PlanNext restart_plan_next(Job *j, bool rolling, bool failed, JobStep **ret_step) {
        size_t running = 0;
        JobStep *step;

        assert(j);
        assert(ret_step);
        for (size_t i = 0; i < j->n_steps; i++)
                running += j->steps[i].state == STEP_RUNNING;
        if (!failed && (!rolling || running == 0) && (step = job_next_pending(j))) {
                *ret_step = step;
                return PLAN_START_STEP;
        }
        *ret_step = NULL;
        return running > 0 ? PLAN_WAIT : PLAN_STEPS_DONE;
}

void restart_plan_peers_free(PeerConfig *peers, size_t n) {
        for (size_t i = 0; peers && i < n; i++) {
                free(peers[i].name);
                free(peers[i].ssh);
                free(peers[i].address);
        }
        free(peers);
}

static const PeerConfig *configured_peer(const Config *config, const char *name) {
        for (size_t i = 0; i < config->n_peers; i++)
                if (streq(config->peers[i].name, name))
                        return &config->peers[i];
        return NULL;
}

/* A copy of how the configuration reaches name, else ssh to the host of url (else to name). */
static int peer_for_node(const Config *config, const char *name, const char *url, PeerConfig *ret) {
        const PeerConfig *entry = configured_peer(config, name);

        *ret = (PeerConfig) { .name = strdup(name), .exclude = entry && entry->exclude };
        if (!ret->name)
                return -ENOMEM;
        if (entry && entry->address)
                ret->address = strdup(entry->address);
        else if (entry && entry->ssh)
                ret->ssh = strdup(entry->ssh);
        else
                ret->ssh = cluster_node_ssh_host(name, url);
        return ret->ssh || ret->address ? 0 : -ENOMEM;
}

int restart_plan_peers(const Config *config, const ClusterView *view, PeerConfig **ret, size_t *ret_n) {
        size_t n = view ? view->n_nodes : config->n_peers;
        PeerConfig *peers;
        int r = 0;

        assert(ret);
        assert(ret_n);

        peers = calloc(n + 1, sizeof(PeerConfig));
        if (!peers)
                return -ENOMEM;
        for (size_t i = 0; i < n && r >= 0; i++)
                r = view ? peer_for_node(config, view->nodes[i].name, view->nodes[i].url, &peers[i]) :
                           peer_for_node(config, config->peers[i].name, NULL, &peers[i]);
        if (r < 0) {
                restart_plan_peers_free(peers, n);
                return r;
        }
        *ret = peers;
        *ret_n = n;
        return 0;
}

bool restart_plan_goes_on_after(NodeState state) {
        return state == NODE_DONE || state == NODE_SKIPPED;
}
