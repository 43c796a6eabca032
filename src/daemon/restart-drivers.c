/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "harper-cluster.h"
#include "harper-locator.h"
#include "harper-watch.h"
#include "log.h"
#include "macro.h"
#include "peer-client.h"
#include "restart-drivers.h"
#include "text.h"

/* The clients report failures as sentences only; to the engine each is an error. */
#define FAILED_CODE (-EIO)

/* ---- systemd unit jobs ---- */

static void on_unit_run(const char *unit, UnitRunEvent event, const char *error, void *userdata) {
        RestartRun *run = ASSERT_PTR(userdata);

        if (event == UNIT_RUN_QUEUED)
                return restart_run_unit_queued(run, unit);
        restart_run_unit_finished(run, unit, error ? FAILED_CODE : 0, error);
}

static int unit_run(void *userdata, const char *unit, UnitAction action, RestartRun *run) {
        Context *c = ASSERT_PTR(userdata);

        return systemd_client_run(c->systemd, unit, action, on_unit_run, run);
}

static void on_units_listed(char **units, const char *error, void *userdata) {
        restart_run_units_found(ASSERT_PTR(userdata), units, error ? FAILED_CODE : 0, error);
}

static int units_list_running(void *userdata, char *const *patterns, RestartRun *run) {
        Context *c = ASSERT_PTR(userdata);

        return systemd_client_list_running(c->systemd, patterns, on_units_listed, run);
}

/* ---- Harper's own steps: find Harper, then watch it ---- */

typedef struct HarperStep {
        Context *context;
        RestartRun *run;
        bool cluster;          /* a question about Harper's cluster, not a step */
        bool all_nodes;        /* cluster: every node Harper knows */
        StepKind kind;
        HarperService service;
        char **nodes;          /* STEP_HARPER_REPLICATION */
        HarperWatch *watch;    /* once Harper is found */
        HarperClusterQuery *query;   /* once Harper is found (cluster) */
        HarperSearch *search;  /* while Harper is being found */
} HarperStep;

static HarperStep *harper_step_free(HarperStep *s) {
        if (!s)
                return NULL;
        harper_search_cancel(s->search);
        harper_watch_cancel(s->watch);
        harper_cluster_query_cancel(s->query);
        strv_free(s->nodes);
        free(s);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(HarperStep *, harper_step_free);

static void on_harper_watch(HarperWatchEvent event, const char *text, void *userdata) {
        HarperStep *s = ASSERT_PTR(userdata);
        RestartRun *run = s->run;

        if (event == HARPER_WATCH_STARTED)
                return restart_run_harper_started(run, text);
        s->watch = NULL;   /* over and freed */
        harper_step_free(s);
        restart_run_harper_finished(run, event == HARPER_WATCH_FAILED ? FAILED_CODE : 0, text);
}

static void on_cluster(ClusterView *view, int error, const char *message, void *userdata) {
        HarperStep *s = ASSERT_PTR(userdata);
        RestartRun *run = s->run;

        s->query = NULL;   /* over and freed */
        harper_step_free(s);
        restart_run_cluster_found(run, view, error, message);
}

/* Asked before a restart, whose reason may be a Harper that does not answer: a short bound. */
#define CLUSTER_QUESTION_MAX_USEC (2 * USEC_PER_SEC)
static uint64_t cluster_question_usec(const Context *c) {
        uint64_t usec = (uint64_t) c->config.harper.query_timeout_ms * USEC_PER_MSEC;

        return usec < CLUSTER_QUESTION_MAX_USEC ? usec : CLUSTER_QUESTION_MAX_USEC;
}

static int watch(HarperStep *s, const HarperTarget *t) {
        Context *c = s->context;

        if (s->cluster)
                return harper_cluster_ask(&s->query, c->harper, t, s->all_nodes, cluster_question_usec(c), on_cluster, s);
        if (s->kind == STEP_HARPER_REPLICATION)
                return harper_watch_replication(&s->watch, c->harper, c->event, t, s->nodes,
                                                (uint64_t) c->config.peer_timeout_sec * USEC_PER_SEC,
                                                on_harper_watch, s);
        if (s->kind == STEP_HARPER_ANSWERING)
                return harper_watch_answering(&s->watch, c->harper, c->event, t,
                                              (uint64_t) c->config.harper.answer_timeout_sec * USEC_PER_SEC,
                                              on_harper_watch, s);
        return harper_watch_restart_service(&s->watch, c->harper, c->event, t, harper_service_to_string(s->service),
                                            (uint64_t) c->config.unit_timeout_sec * USEC_PER_SEC, on_harper_watch,
                                            s);
}

/* Harper's step or question ends before it began: say why to the engine. */
static void harper_step_failed(HarperStep *s, int error, const char *why) {
        RestartRun *run = s->run;
        bool cluster = s->cluster;

        harper_step_free(s);
        if (cluster)
                restart_run_cluster_found(run, NULL, error, why);
        else
                restart_run_harper_finished(run, error, why);
}

/* Harper is found: wait for it, have it restart the job's service, or ask about its cluster. */
static void on_harper_found(const HarperTarget *t, const char *error, void *userdata) {
        HarperStep *s = ASSERT_PTR(userdata);
        int r;

        s->search = NULL;      /* over */
        if (error)
                return harper_step_failed(s, FAILED_CODE, error);
        r = watch(s, t);
        if (r >= 0)
                return;
        _cleanup_free_ char *why = text_printf("Cannot ask Harper at %s: %s", t->socket, strerror(-r));
        harper_step_failed(s, r, why ?: "Cannot ask Harper.");
}

static int harper_begin(Context *c, HarperStep *step, void **ret_handle) {
        _cleanup_(harper_step_freep) HarperStep *s = step;
        int r;

        *ret_handle = s;   /* before Harper may be found, at once */
        r = harper_locator_find(c->locator, HARPER_FIND_FRESH, on_harper_found, s, &s->search);
        if (r < 0) {
                *ret_handle = NULL;
                return r;
        }
        TAKE_PTR(s);   /* the search has it now */
        return 0;
}

static int harper_start(void *userdata, StepKind kind, HarperService service, char *const *nodes, RestartRun *run,
                        void **ret_handle) {
        Context *c = ASSERT_PTR(userdata);
        _cleanup_(harper_step_freep) HarperStep *s = NULL;

        assert(ret_handle);
        s = calloc(1, sizeof(HarperStep));
        if (!s)
                return -ENOMEM;
        *s = (HarperStep) { .context = c, .run = run, .kind = kind, .service = service };
        if (kind == STEP_HARPER_REPLICATION && strv_copy(nodes, &s->nodes) < 0)
                return -ENOMEM;
        return harper_begin(c, TAKE_PTR(s), ret_handle);
}

static int harper_cluster(void *userdata, bool all_nodes, RestartRun *run, void **ret_handle) {
        Context *c = ASSERT_PTR(userdata);
        HarperStep *s;

        assert(ret_handle);
        s = calloc(1, sizeof(HarperStep));
        if (!s)
                return -ENOMEM;
        *s = (HarperStep) { .context = c, .run = run, .cluster = true, .all_nodes = all_nodes };
        return harper_begin(c, s, ret_handle);
}

static void harper_cancel(void *userdata, void *handle) {
        harper_step_free(ASSERT_PTR(handle));
}

/* ---- peer nodes ---- */

static void on_peer_run(PeerRunEvent event, const char *text, void *userdata) {
        RestartRun *run = ASSERT_PTR(userdata);

        switch (event) {
        case PEER_RUN_STARTED:
                return restart_run_peer_started(run, text);
        case PEER_RUN_DONE:
                return restart_run_peer_finished(run, 0, text);
        case PEER_RUN_UNREACHABLE:
                return restart_run_peer_finished(run, -EHOSTUNREACH, text);
        case PEER_RUN_FAILED:
                return restart_run_peer_finished(run, FAILED_CODE, text);
        }
}

static int peer_start(void *userdata, const PeerConfig *peer, HarperService service, RestartRun *run,
                      void **ret_handle) {
        Context *c = ASSERT_PTR(userdata);
        const char *ssh_config;
        PeerRun *p = NULL;
        int r;

        assert(ret_handle);
        /* the admin's ssh configuration when there is one (sysops.json(5), ssh_config) */
        ssh_config = c->config.ssh_config && access(c->config.ssh_config, F_OK) == 0 ? c->config.ssh_config : NULL;
        r = peer_run_start(&p, c->event, peer, ssh_config, harper_service_to_string(service),
                           (uint64_t) c->config.peer_timeout_sec * USEC_PER_SEC, on_peer_run, run);
        if (r < 0)
                return r;
        *ret_handle = p;
        return 0;
}

static void peer_cancel(void *userdata, void *handle) {
        peer_run_cancel(handle);
}

void restart_drivers_init(RestartDrivers *ret, Context *c) {
        assert(ret);
        assert(c);
        *ret = (RestartDrivers) {
                .unit = { .run = unit_run, .list_running = units_list_running, .userdata = c },
                .harper = { .start = harper_start, .cluster = harper_cluster, .cancel = harper_cancel,
                            .userdata = c },
                .peer = { .start = peer_start, .cancel = peer_cancel, .userdata = c },
        };
}
