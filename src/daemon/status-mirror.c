/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harper-locator.h"
#include "harper-reply.h"
#include "harper-settings.h"
#include "log.h"
#include "macro.h"
#include "status-mirror.h"
#include "status-rules.h"
#include "text.h"

/* One question to Harper; Harper answers a status in a few ms. */
#define CALL_USEC (2 * 1000000ULL)
/* How often hdb.pid is looked at, to notice a Harper that restarted (it then has no statuses). */
#define PID_CHECK_USEC (500 * 1000ULL)
/* Harper unreachable: try again after this, doubling up to the most; while its hdb.pid names a
 * process Harper is starting or busy, and a change must reach it within 1 s once it answers. */
#define RETRY_FIRST_USEC (100 * 1000ULL)
#define RETRY_MOST_USEC (5 * 1000000ULL)
#define RETRY_RUNNING_MOST_USEC (200 * 1000ULL)
/* At most one change sent per gap: a flood of SetStatus calls becomes a few set_status for
 * Harper, whose work takes the host's CPU from polkitd and the callers; the newest value is the
 * one sent, and it reaches Harper well within a second. A lone change goes at once. */
#define SEND_GAP_USEC (100 * 1000ULL)

struct StatusMirror {
        sd_event *event;
        HarperLocator *locator;
        HarperClient *harper;
        StatusStore *store;
        statuses_known_callback_t known;
        void *userdata;
        HarperTarget target;   /* where Harper answers; socket NULL until found */
        char *pid_file;        /* the last found target's, kept while Harper is away */
        bool finding;
        HarperSearch *search;  /* while finding, unless it answered at once */
        bool read_back;        /* Harper's statuses were read once (at start), or need not be */
        bool dirty[_STATUS_ID_MAX];  /* to send to Harper */
        char *harper_pid;      /* Harper's process as hdb.pid last said; NULL: not running/unknown */
        HarperCall *call;      /* one question at a time */
        StatusId sending;      /* the status that call sends */
        uint64_t retry_usec;
        uint64_t last_send_usec;       /* CLOCK_MONOTONIC; 0: nothing sent yet */
        sd_event_source *retry, *pid_check, *pace;
};

static void next(StatusMirror *m);

/* for the retry and the pace timers */
static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        next(ASSERT_PTR(userdata));
        return 0;
}

/* Harper did not answer: forget where it was (the unit may have moved it) and try later. why
 * says why, or when NULL, error (a negative errno) does. */
static void retry_later(StatusMirror *m, int error, const char *why) {
        uint64_t most;

        if (m->retry_usec == RETRY_FIRST_USEC) {
                if (why)
                        log_debug("Statuses wait for Harper: %s", why);
                else
                        log_debug_errno(error, "Statuses wait for Harper: %m");
        }
        harper_target_done(&m->target);
        sd_event_source_disable_unref(m->retry);
        m->retry = NULL;
        if (sd_event_add_time_relative(m->event, &m->retry, CLOCK_MONOTONIC, m->retry_usec, 1000, on_timer, m) < 0)
                log_warning("Cannot schedule sending statuses to Harper again.");
        most = m->harper_pid ? RETRY_RUNNING_MOST_USEC : RETRY_MOST_USEC;
        m->retry_usec = m->retry_usec * 2 > most ? most : m->retry_usec * 2;
}

/* The store holds every status now: Harper's read back, or it never had any of its own. */
static void store_complete(StatusMirror *m) {
        if (m->store->complete)
                return;
        m->store->complete = true;
        m->known(m->userdata);
}

/* A Harper that appeared need not wait out the backoff meant for one that was away. */
static void hurry(StatusMirror *m) {
        m->retry_usec = RETRY_FIRST_USEC;
        m->retry = sd_event_source_disable_unref(m->retry);
        next(m);
}


/* A Harper that (re)started holds none of ours: all of them go to it again. */
static void on_harper_restarted(StatusMirror *m, const char *pid) {
        log_info("Harper runs as process %s now: setting its statuses again.", pid);
        for (int i = 0; i < _STATUS_ID_MAX; i++)
                m->dirty[i] = status_store_get(m->store, (StatusId) i) != NULL;
        m->read_back = true;   /* a fresh Harper has nothing to read back */
        store_complete(m);
}

static int on_pid_check(sd_event_source *s, uint64_t usec, void *userdata) {
        StatusMirror *m = ASSERT_PTR(userdata);
        _cleanup_free_ char *pid = harper_pid_read(m->pid_file);

        if (pid && (!m->harper_pid || strcmp(pid, m->harper_pid) != 0)) {
                if (m->harper_pid || m->read_back)
                        on_harper_restarted(m, pid);
                free(m->harper_pid);
                m->harper_pid = TAKE_PTR(pid);
                hurry(m);
        } else if (!pid) {
                free(m->harper_pid);   /* stopped or restarting */
                m->harper_pid = NULL;
        }
        (void) sd_event_source_set_time_relative(s, PID_CHECK_USEC);
        (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

static void on_sent(json_object *reply, int error, const char *message, void *userdata);
static void on_read_back(json_object *reply, int error, const char *message, void *userdata);

static json_object *status_body(const StatusMirror *m, StatusId id) {
        const StatusRecord *r = status_store_get(m->store, id);
        json_object *body = json_object_new_object();

        if (!body)
                return NULL;
        json_object_object_add(body, "operation", json_object_new_string(r ? "set_status" : "clear_status"));
        json_object_object_add(body, "id", json_object_new_string(status_id_to_string(id)));
        if (r)
                json_object_object_add(body, "status", json_object_new_string(r->status));
        return body;
}

/* Whether a change may go to Harper now; if not, the pace timer calls next() when it may. */
static bool send_allowed(StatusMirror *m) {
        uint64_t now = 0;

        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        if (m->last_send_usec == 0 || now >= m->last_send_usec + SEND_GAP_USEC)
                return true;
        if (sd_event_source_get_enabled(m->pace, NULL) <= 0 &&
            (sd_event_source_set_time(m->pace, m->last_send_usec + SEND_GAP_USEC) < 0 ||
             sd_event_source_set_enabled(m->pace, SD_EVENT_ONESHOT) < 0))
                return true;   /* cannot wait: rather send now than never */
        return false;
}

/* Sends one status as the store has it now; a change while it is on its way sends it again. */
static void send_status(StatusMirror *m, StatusId id) {
        json_object *body = status_body(m, id);
        int r;

        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &m->last_send_usec);
        m->dirty[id] = false;
        m->sending = id;
        r = body ? harper_client_call(m->harper, m->target.socket, body, CALL_USEC, on_sent, m, &m->call) : -ENOMEM;
        json_object_put(body);
        if (r < 0) {
                m->dirty[id] = true;
                retry_later(m, r, NULL);
        }
}

static void on_found(const HarperTarget *t, const char *error, void *userdata) {
        StatusMirror *m = ASSERT_PTR(userdata);

        m->finding = false;
        m->search = NULL;
        if (error)
                return retry_later(m, 0, error);
        if (harper_target_copy(&m->target, t) < 0)
                return retry_later(m, -ENOMEM, "out of memory");
        if (t->pid_file && (!m->pid_file || strcmp(m->pid_file, t->pid_file) != 0)) {
                free(m->pid_file);
                m->pid_file = strdup(t->pid_file);   /* NULL: no watch, as without one */
                free(m->harper_pid);
                m->harper_pid = harper_pid_read(m->pid_file);
        }
        next(m);
}

static void find_harper(StatusMirror *m) {
        int r;

        m->finding = true;
        r = harper_locator_find(m->locator, HARPER_FIND_FRESH, on_found, m, &m->search);
        if (r < 0) {
                m->finding = false;
                retry_later(m, r, NULL);
        }
}

/* Asks Harper for the statuses it holds. */
static void ask_read_back(StatusMirror *m) {
        json_object *body = json_object_new_object();
        int r;

        json_object_object_add(body, "operation", json_object_new_string("get_status"));
        r = harper_client_call(m->harper, m->target.socket, body, CALL_USEC, on_read_back, m, &m->call);
        json_object_put(body);
        if (r < 0)
                retry_later(m, r, NULL);
}

/* The one place that decides what to ask Harper next: find it, read back, send what changed. */
static void next(StatusMirror *m) {
        assert(m);

        if (m->call || m->finding || (m->retry && sd_event_source_get_enabled(m->retry, NULL) > 0))
                return;
        if (!m->target.socket)
                return find_harper(m);
        if (!m->read_back)
                return ask_read_back(m);
        for (int i = 0; i < _STATUS_ID_MAX; i++)
                if (m->dirty[i]) {
                        if (send_allowed(m))
                                send_status(m, (StatusId) i);
                        return;
                }
}

static void on_sent(json_object *reply, int error, const char *message, void *userdata) {
        StatusMirror *m = ASSERT_PTR(userdata);

        m->call = NULL;
        if (error < 0 && !harper_error_is_refusal(error)) {
                m->dirty[m->sending] = true;
                return retry_later(m, error, message);
        }
        /* Harper checks as we do: a refusal is a difference of rules, not a reason to insist */
        if (error < 0)
                log_warning("Harper did not take status '%s': %s", status_id_to_string(m->sending), message);
        m->retry_usec = RETRY_FIRST_USEC;
        next(m);
}

/* A record of Harper's get_status, taken into the store unless ours is newer. */
static bool adopt_record(StatusMirror *m, json_object *record) {
        StatusId id = status_id_from_string(json_object_get_string(json_object_object_get(record, "id")));
        json_object *status = json_object_object_get(record, "status");
        uint64_t created = (uint64_t) json_object_get_int64(json_object_object_get(record, "__createdtime__"));
        uint64_t updated = (uint64_t) json_object_get_int64(json_object_object_get(record, "__updatedtime__"));
        _cleanup_free_ char *problem = NULL;

        /* what was set or cleared here since the start is newer than what Harper holds */
        if (id < 0 || status_store_knows(m->store, id) || !json_object_is_type(status, json_type_string))
                return false;
        problem = status_check_set(status_field_string(status_id_to_string(id)),
                                   status_field_string_len(json_object_get_string(status),
                                                           (size_t) json_object_get_string_len(status)));
        if (problem) {
                log_warning("Harper holds status '%s' that harper-sysops would refuse: %s", status_id_to_string(id),
                            problem);
                return false;
        }
        return status_store_restore(m->store, id, json_object_get_string(status), created, updated) != NULL;
}

static void on_read_back(json_object *reply, int error, const char *message, void *userdata) {
        StatusMirror *m = ASSERT_PTR(userdata);
        json_object *records = json_object_object_get(reply, "systemStatus");
        size_t adopted = 0;

        m->call = NULL;
        if (error < 0 && !harper_error_is_refusal(error))
                return retry_later(m, error, message);
        if (error < 0)
                log_warning("Cannot read Harper's statuses: %s", message);
        for (size_t i = 0; json_object_is_type(records, json_type_array) && i < json_object_array_length(records); i++)
                adopted += adopt_record(m, json_object_array_get_idx(records, i));
        if (adopted > 0)
                log_info("Read %zu status%s back from Harper.", adopted, adopted == 1 ? "" : "es");
        m->read_back = true;
        store_complete(m);
        m->retry_usec = RETRY_FIRST_USEC;
        next(m);
}

void status_mirror_changed(StatusMirror *m, StatusId id) {
        if (!m || id < 0 || id >= _STATUS_ID_MAX)
                return;
        m->dirty[id] = true;
        next(m);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(StatusMirror *, status_mirror_free);

/* A complete store is the daemon's to give: Harper (perhaps another one since a reload, or
 * restarted while the daemon was) gets every status, and nothing is read back. */
static void start_from_store(StatusMirror *m) {
        if (!m->store->complete)
                return;
        m->read_back = true;
        for (int i = 0; i < _STATUS_ID_MAX; i++)
                m->dirty[i] = status_store_get(m->store, (StatusId) i) != NULL;
}

int status_mirror_new(StatusMirror **ret, sd_event *event, HarperLocator *locator, HarperClient *harper,
                      StatusStore *store, statuses_known_callback_t known, void *userdata) {
        _cleanup_(status_mirror_freep) StatusMirror *m = NULL;
        int r;

        assert(ret);
        assert(event);
        assert(locator);
        assert(harper);
        assert(store);
        assert(known);

        m = calloc(1, sizeof(StatusMirror));
        if (!m)
                return -ENOMEM;
        *m = (StatusMirror) { .event = sd_event_ref(event), .locator = locator, .harper = harper,
                              .store = store, .known = known, .userdata = userdata,
                              .retry_usec = RETRY_FIRST_USEC };
        r = sd_event_add_time_relative(event, &m->pid_check, CLOCK_MONOTONIC, PID_CHECK_USEC, 0, on_pid_check, m);
        if (r < 0)
                return r;
        r = sd_event_add_time(event, &m->pace, CLOCK_MONOTONIC, 0, 1000, on_timer, m);
        if (r < 0)
                return r;
        r = sd_event_source_set_enabled(m->pace, SD_EVENT_OFF);
        if (r < 0)
                return r;
        start_from_store(m);
        next(m);   /* find Harper, read its statuses back or send ours */
        *ret = TAKE_PTR(m);
        return 0;
}

StatusMirror *status_mirror_free(StatusMirror *m) {
        if (!m)
                return NULL;
        harper_call_cancel(m->call);
        harper_search_cancel(m->search);
        sd_event_source_disable_unref(m->retry);
        sd_event_source_disable_unref(m->pid_check);
        sd_event_source_disable_unref(m->pace);
        sd_event_unref(m->event);
        harper_target_done(&m->target);
        free(m->harper_pid);
        free(m->pid_file);
        free(m);
        return NULL;
}
