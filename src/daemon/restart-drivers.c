/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>

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
        StepKind kind;
        HarperService service;
        HarperWatch *watch;    /* once Harper is found */
        HarperSearch *search;  /* while Harper is being found */
} HarperStep;

static void on_harper_watch(HarperWatchEvent event, const char *text, void *userdata) {
        HarperStep *s = ASSERT_PTR(userdata);
        RestartRun *run = s->run;

        if (event == HARPER_WATCH_STARTED)
                return restart_run_harper_started(run, text);
        free(s);   /* the watch is over and freed */
        restart_run_harper_finished(run, event == HARPER_WATCH_FAILED ? FAILED_CODE : 0, text);
}

static int watch(HarperStep *s, const HarperTarget *t) {
        Context *c = s->context;

        if (s->kind == STEP_HARPER_ANSWERING)
                return harper_watch_answering(&s->watch, c->harper, c->event, t,
                                              (uint64_t) c->config.harper.answer_timeout_sec * USEC_PER_SEC,
                                              on_harper_watch, s);
        return harper_watch_restart_service(&s->watch, c->harper, c->event, t, harper_service_to_string(s->service),
                                            (uint64_t) c->config.unit_timeout_sec * USEC_PER_SEC, on_harper_watch,
                                            s);
}

/* Harper is found: wait for it to answer, or have it restart the job's service. */
static void on_harper_found(const HarperTarget *t, const char *error, void *userdata) {
        _cleanup_free_ HarperStep *s = ASSERT_PTR(userdata);
        int r;

        s->search = NULL;      /* over */
        if (error)
                return restart_run_harper_finished(s->run, FAILED_CODE, error);
        r = watch(s, t);
        if (r >= 0) {
                TAKE_PTR(s);   /* the watch has it now */
                return;
        }
        _cleanup_free_ char *why = text_printf("Cannot ask Harper at %s: %s", t->socket, strerror(-r));
        restart_run_harper_finished(s->run, r, why ? why : "Cannot ask Harper.");
}

static int harper_start(void *userdata, StepKind kind, HarperService service, RestartRun *run, void **ret_handle) {
        Context *c = ASSERT_PTR(userdata);
        HarperStep *s;
        int r;

        assert(ret_handle);
        s = calloc(1, sizeof(HarperStep));
        if (!s)
                return -ENOMEM;
        *s = (HarperStep) { .context = c, .run = run, .kind = kind, .service = service };
        *ret_handle = s;   /* before Harper may be found, at once */
        r = harper_locator_find(c->locator, HARPER_FIND_FRESH, on_harper_found, s, &s->search);
        if (r < 0) {
                *ret_handle = NULL;
                free(s);
        }
        return r;
}

static void harper_cancel(void *userdata, void *handle) {
        HarperStep *s = ASSERT_PTR(handle);

        if (!s->watch) {
                harper_search_cancel(s->search);
                free(s);
                return;
        }
        harper_watch_cancel(s->watch);
        free(s);
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
                return restart_run_peer_finished(run, RESTART_PEER_UNREACHABLE, text);
        case PEER_RUN_FAILED:
                return restart_run_peer_finished(run, FAILED_CODE, text);
        }
}

static int peer_start(void *userdata, const PeerConfig *peer, HarperService service, RestartRun *run,
                      void **ret_handle) {
        Context *c = ASSERT_PTR(userdata);
        PeerRun *p = NULL;
        int r;

        assert(ret_handle);
        r = peer_run_start(&p, c->event, peer, harper_service_to_string(service),
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
                .harper = { .start = harper_start, .cancel = harper_cancel, .userdata = c },
                .peer = { .start = peer_start, .cancel = peer_cancel, .userdata = c },
        };
}
