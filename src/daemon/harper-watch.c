/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster-view.h"
#include "harper-settings.h"
#include "harper-watch.h"
#include "log.h"
#include "macro.h"
#include "text.h"

/* How often Harper is asked: readiness closely (the job ends at most this long after Harper
 * answers), a Harper job less often (a rolling restart of workers takes seconds). */
#define ANSWERING_RETRY_USEC (10 * 1000ULL)
#define JOB_POLL_USEC (100 * 1000ULL)
/* replication reconnects within seconds; each question costs Harper a round to every worker */
#define REPLICATION_POLL_USEC (250 * 1000ULL)
/* one question to Harper; the watch's own deadline bounds the whole */
#define CALL_USEC (5 * 1000000ULL)
#define RETRY_ACCURACY_USEC 1000ULL

typedef enum WatchPhase {
        PHASE_ANSWERING,       /* waiting for the socket and the TCP port, asked side by side */
        PHASE_ASK_RESTART,     /* restart_service: asking Harper */
        PHASE_FOLLOW_JOB,      /* restart_service: get_job until it ends */
        PHASE_REPLICATION,     /* cluster_status until the replication to every node is connected */
} WatchPhase;

struct HarperWatch {
        HarperClient *client;
        sd_event *event;
        HarperTarget target;
        char *service;
        char **nodes;          /* replication: the nodes to be connected to */
        char *harper_job;      /* Harper's job id */
        char *pid_at_start;    /* hdb.pid when the watch began */
        WatchPhase phase;
        uint64_t timeout_usec;
        sd_event_source *deadline, *retry;
        HarperCall *call;      /* the socket's question */
        HarperCall *tcp_call;  /* answering: the TCP port's */
        bool socket_answered, tcp_answered;
        char *last_error;      /* the latest reason Harper did not answer */
        harper_watch_callback_t callback;
        void *userdata;
};

static void watch_free(HarperWatch *w) {
        harper_call_cancel(w->call);
        harper_call_cancel(w->tcp_call);
        sd_event_source_disable_unref(w->deadline);
        sd_event_source_disable_unref(w->retry);
        sd_event_unref(w->event);
        harper_target_done(&w->target);
        free(w->service);
        strv_free(w->nodes);
        free(w->harper_job);
        free(w->pid_at_start);
        free(w->last_error);
        free(w);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(HarperWatch *, watch_free);

void harper_watch_cancel(HarperWatch *w) {
        if (w)
                watch_free(w);
}

static void watch_end(HarperWatch *w, HarperWatchEvent event, const char *text) {
        harper_watch_callback_t callback = w->callback;
        void *userdata = w->userdata;
        _cleanup_free_ char *copy = text ? strdup(text) : NULL;

        watch_free(w);
        callback(event, copy ? copy : text ? "Out of memory." : NULL, userdata);
}

static void watch_fail_owned(HarperWatch *w, char *why) {
        _cleanup_free_ char *owned = why;

        watch_end(w, HARPER_WATCH_FAILED, owned ? owned : "Out of memory while following Harper.");
}


static int ask(HarperWatch *w);

/* Asks again from the loop: a failure to ask ends the watch. */
static void ask_or_fail(HarperWatch *w) {
        int r = ask(w);

        if (r < 0) {
                errno = -r;   /* for %m */
                watch_fail_owned(w, text_printf("Cannot ask Harper: %m"));
        }
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        ask_or_fail(ASSERT_PTR(userdata));
        return 0;
}

static void retry_later(HarperWatch *w, const char *why, uint64_t usec) {
        int r;

        if (why && (!w->last_error || strcmp(w->last_error, why) != 0)) {
                free(w->last_error);
                w->last_error = strdup(why);
        }
        sd_event_source_disable_unref(w->retry);
        w->retry = NULL;
        /* 1 ms accuracy: sd-event's default (250 ms) would hold each question that long */
        r = sd_event_add_time_relative(w->event, &w->retry, CLOCK_MONOTONIC, usec, RETRY_ACCURACY_USEC, on_retry, w);
        if (r < 0) {
                errno = -r;   /* for %m */
                watch_fail_owned(w, text_printf("Cannot wait to ask Harper again: %m"));
        }
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *userdata) {
        HarperWatch *w = ASSERT_PTR(userdata);
        unsigned secs = (unsigned) (w->timeout_usec / 1000000);

        if (w->phase == PHASE_FOLLOW_JOB)
                watch_fail_owned(w, text_printf("Harper's job %s (restart_service %s) did not end within %u s.",
                                                w->harper_job, w->service, secs));
        else if (w->phase == PHASE_REPLICATION)
                watch_fail_owned(w, text_printf("Harper's replication did not connect again within %u s: %s.",
                                                secs, w->last_error ?: "Harper did not answer"));
        else
                watch_fail_owned(w, text_printf("Harper did not answer %s within %u s%s%s",
                                                w->socket_answered ? "on its TCP operations port" : "again",
                                                secs, w->last_error ? ": " : ".",
                                                w->last_error ? w->last_error : ""));
        return 0;
}

/* Harper is back when it answers on its socket and, when it has one, on its TCP port: a
 * Harper whose port failed still answers on its socket, and its TCP clients need the port. */
static void probe_answered(HarperWatch *w, bool *answered, int error, const char *message) {
        if (error < 0)
                return retry_later(w, message, ANSWERING_RETRY_USEC);
        *answered = true;
        if (w->socket_answered && (w->tcp_answered || !w->target.tcp_url))
                watch_end(w, HARPER_WATCH_DONE, NULL);
}

static void on_socket_probe(long http_status, int error, const char *message, void *userdata) {
        HarperWatch *w = ASSERT_PTR(userdata);

        w->call = NULL;
        probe_answered(w, &w->socket_answered, error, message);
}

static void on_tcp_probe(long http_status, int error, const char *message, void *userdata) {
        HarperWatch *w = ASSERT_PTR(userdata);

        w->tcp_call = NULL;
        probe_answered(w, &w->tcp_answered, error, message);
}

/* Harper went away under its job: its PID file is gone or names another process. */
static bool harper_restarted(HarperWatch *w) {
        _cleanup_free_ char *pid = harper_pid_read(w->target.pid_file);

        return w->pid_at_start && (!pid || strcmp(pid, w->pid_at_start) != 0);
}

static void on_job_answer(json_object *reply, int error, const char *message, void *userdata) {
        HarperWatch *w = ASSERT_PTR(userdata);
        json_object *record = json_object_is_type(reply, json_type_array) ? json_object_array_get_idx(reply, 0) : NULL;
        const char *status = json_object_get_string(json_object_object_get(record, "status"));
        const char *said = json_object_get_string(json_object_object_get(record, "message"));

        w->call = NULL;
        if (harper_restarted(w))
                return watch_fail_owned(w, text_printf("Harper stopped while its job %s (restart_service %s) ran.",
                                                       w->harper_job, w->service));
        if (error < 0)   /* Harper re-creates its socket while its workers restart: ask again */
                return retry_later(w, message, JOB_POLL_USEC);
        if (!record)
                return watch_fail_owned(w, text_printf("Harper has no job %s.", w->harper_job));
        if (status && strcmp(status, "COMPLETE") == 0)
                return watch_end(w, HARPER_WATCH_DONE, said);
        if (status && strcmp(status, "ERROR") == 0)
                return watch_fail_owned(w, said && *said ? strdup(said) :
                                        text_printf("Harper's job %s ended in ERROR.", w->harper_job));
        retry_later(w, NULL, JOB_POLL_USEC);
}

/* The first node whose replication is not connected, NULL when none. */
static const char *first_disconnected(HarperWatch *w, json_object *status) {
        for (char **n = w->nodes; *n; n++)
                if (!cluster_status_connected_to(status, *n))
                        return *n;
        return NULL;
}

static void on_cluster_status(json_object *reply, int error, const char *message, void *userdata) {
        HarperWatch *w = ASSERT_PTR(userdata);
        const char *waiting;

        w->call = NULL;
        if (error < 0)   /* its workers may be restarting still */
                return retry_later(w, message, REPLICATION_POLL_USEC);
        waiting = first_disconnected(w, reply);
        if (!waiting)
                return watch_end(w, HARPER_WATCH_DONE, NULL);
        _cleanup_free_ char *why = text_printf("the replication to %s is not connected", waiting);
        retry_later(w, why, REPLICATION_POLL_USEC);
}

static void on_restart_answer(json_object *reply, int error, const char *message, void *userdata) {
        HarperWatch *w = ASSERT_PTR(userdata);
        json_object *id = json_object_object_get(reply, "job_id");

        w->call = NULL;
        if (error < 0)
                return watch_fail_owned(w, strdup(message));
        if (!json_object_is_type(id, json_type_string))
                return watch_fail_owned(w, text_printf("Harper's answer to restart_service %s has no job_id: %s",
                                                       w->service, json_object_to_json_string(reply)));
        w->harper_job = strdup(json_object_get_string(id));
        if (!w->harper_job)
                return watch_fail_owned(w, NULL);
        log_info("Harper took restart_service %s as its job %s.", w->service, w->harper_job);
        w->phase = PHASE_FOLLOW_JOB;
        w->callback(HARPER_WATCH_STARTED, w->harper_job, w->userdata);
        retry_later(w, NULL, JOB_POLL_USEC);
}

static json_object *operation_body(HarperWatch *w) {
        json_object *body = json_object_new_object();

        if (!body)
                return NULL;
        if (w->phase == PHASE_ASK_RESTART) {
                json_object_object_add(body, "operation", json_object_new_string("restart_service"));
                json_object_object_add(body, "service", json_object_new_string(w->service));
        } else if (w->phase == PHASE_REPLICATION)
                json_object_object_add(body, "operation", json_object_new_string("cluster_status"));
        else {
                json_object_object_add(body, "operation", json_object_new_string("get_job"));
                json_object_object_add(body, "id", json_object_new_string(w->harper_job));
        }
        return body;
}

/* Answering: the socket and the TCP port, each asked again only when it has not answered and
 * is not being asked. */
static int ask_answering(HarperWatch *w) {
        int r;

        if (!w->socket_answered && !w->call) {
                r = harper_client_probe(w->client, w->target.socket, CALL_USEC, on_socket_probe, w, &w->call);
                if (r < 0)
                        return r;
        }
        if (w->target.tcp_url && !w->tcp_answered && !w->tcp_call)
                return harper_client_probe(w->client, w->target.tcp_url, CALL_USEC, on_tcp_probe, w, &w->tcp_call);
        return 0;
}

static int ask(HarperWatch *w) {
        json_object *body;
        int r;

        if (w->phase == PHASE_ANSWERING)
                return ask_answering(w);
        body = operation_body(w);
        if (!body)
                return -ENOMEM;
        r = harper_client_call(w->client, w->target.socket, body, CALL_USEC,
                               w->phase == PHASE_ASK_RESTART ? on_restart_answer :
                               w->phase == PHASE_REPLICATION ? on_cluster_status : on_job_answer, w, &w->call);
        json_object_put(body);
        return r;
}

static int watch_new(HarperWatch **ret, HarperClient *client, sd_event *event, const HarperTarget *t,
                     uint64_t timeout_usec, harper_watch_callback_t callback, void *userdata) {
        _cleanup_(watch_freep) HarperWatch *w = NULL;
        int r;

        assert(ret);
        assert(client);
        assert(event);
        assert(t);
        assert(callback);

        w = calloc(1, sizeof(HarperWatch));
        if (!w)
                return -ENOMEM;
        *w = (HarperWatch) { .client = client, .event = sd_event_ref(event), .timeout_usec = timeout_usec,
                             .callback = callback, .userdata = userdata };
        r = harper_target_copy(&w->target, t);
        if (r < 0)
                return r;
        r = sd_event_add_time_relative(event, &w->deadline, CLOCK_MONOTONIC, timeout_usec, 0, on_deadline, w);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(w);
        return 0;
}

/* The first question; when it cannot even be asked, no callback and an error. Takes w. */
static int watch_begin(HarperWatch **ret, HarperWatch *w) {
        _cleanup_(watch_freep) HarperWatch *owned = w;
        int r;

        r = ask(owned);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(owned);
        return 0;
}

int harper_watch_answering(HarperWatch **ret, HarperClient *client, sd_event *event, const HarperTarget *t,
                           uint64_t timeout_usec, harper_watch_callback_t callback, void *userdata) {
        HarperWatch *w = NULL;
        int r;

        r = watch_new(&w, client, event, t, timeout_usec, callback, userdata);
        if (r < 0)
                return r;
        w->phase = PHASE_ANSWERING;
        return watch_begin(ret, w);
}

int harper_watch_restart_service(HarperWatch **ret, HarperClient *client, sd_event *event, const HarperTarget *t,
                                 const char *service, uint64_t timeout_usec, harper_watch_callback_t callback,
                                 void *userdata) {
        _cleanup_(watch_freep) HarperWatch *w = NULL;
        int r;

        assert(service);

        r = watch_new(&w, client, event, t, timeout_usec, callback, userdata);
        if (r < 0)
                return r;
        w->phase = PHASE_ASK_RESTART;
        w->service = strdup(service);
        if (!w->service)
                return -ENOMEM;
        w->pid_at_start = harper_pid_read(t->pid_file);
        return watch_begin(ret, TAKE_PTR(w));
}

int harper_watch_replication(HarperWatch **ret, HarperClient *client, sd_event *event, const HarperTarget *t,
                             char *const *nodes, uint64_t timeout_usec, harper_watch_callback_t callback,
                             void *userdata) {
        _cleanup_(watch_freep) HarperWatch *w = NULL;
        int r;

        assert(nodes);

        r = watch_new(&w, client, event, t, timeout_usec, callback, userdata);
        if (r < 0)
                return r;
        w->phase = PHASE_REPLICATION;
        r = strv_copy(nodes, &w->nodes);
        if (r < 0)
                return r;
        return watch_begin(ret, TAKE_PTR(w));
}
