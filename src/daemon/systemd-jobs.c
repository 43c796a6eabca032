/* SPDX-License-Identifier: MIT */
/* Unit jobs: a restart or reload of one unit queued as a systemd job, followed by its job path
 * until JobRemoved, then the unit asked how it is; and the running units of patterns. A run
 * whose job systemd has survives the manager leaving for the grace period
 * (systemd-connection.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "systemd-client-internal.h"
#include "text.h"

typedef enum RunPhase {
        RUN_HELD,              /* asked for while the manager was away: the call goes once it is back */
        RUN_QUEUEING,          /* the Restart/ReloadUnit call is out */
        RUN_WAITING,           /* queued; waiting for JobRemoved of job_path */
        RUN_CHECKING,          /* job ended; asking the unit how it is */
} RunPhase;

struct UnitRun {
        SystemdClient *client;
        char *unit;
        UnitAction action;
        RunPhase phase;
        char *job_path;
        char *job_result;      /* systemd's word, e.g. "done", "failed" */
        sd_bus_slot *call;
        sd_event_source *timeout;
        unit_run_callback_t callback;
        void *userdata;
        UnitRun *next;
};

/* A ListUnitsByPatterns question in flight. */
struct UnitList {
        SystemdClient *client;
        sd_bus_slot *call;
        unit_list_callback_t callback;
        void *userdata;
        UnitList *next;
};

static const char *const action_methods[_UNIT_ACTION_MAX] = {
        [UNIT_ACTION_RESTART] = "RestartUnit",
        [UNIT_ACTION_RELOAD] = "ReloadUnit",
        [UNIT_ACTION_RELOAD_OR_RESTART] = "ReloadOrRestartUnit",
};

static const char *const action_nouns[_UNIT_ACTION_MAX] = {
        [UNIT_ACTION_RESTART] = "Restart",
        [UNIT_ACTION_RELOAD] = "Reload",
        [UNIT_ACTION_RELOAD_OR_RESTART] = "Reload-or-restart",
};

static void run_unlink(UnitRun *run) {
        for (UnitRun **p = &run->client->runs; *p; p = &(*p)->next)
                if (*p == run) {
                        *p = run->next;
                        return;
                }
}

static UnitRun *run_free(UnitRun *run) {
        if (!run)
                return NULL;
        run_unlink(run);
        sd_bus_slot_unref(run->call);
        sd_event_source_disable_unref(run->timeout);
        free(run->unit);
        free(run->job_path);
        free(run->job_result);
        free(run);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(UnitRun *, run_free);

/* Reports the end of run and forgets it. */
static void run_finish(UnitRun *run, const char *error) {
        unit_run_callback_t callback = run->callback;
        void *userdata = run->userdata;
        _cleanup_free_ char *unit = TAKE_PTR(run->unit);

        if (error)
                log_warning("%s", error);
        else
                log_info("%s of %s done.", action_nouns[run->action], unit);
        run_free(run);
        callback(unit, UNIT_RUN_FINISHED, error, userdata);
}

/* run_finish with a sentence made from a format */
#define run_finishf(run, ...) run_finish_owned(run, text_printf(__VA_ARGS__))
static void run_finish_owned(UnitRun *run, char *error) {
        _cleanup_free_ char *e = error;

        run_finish(run, e ?: "Out of memory while following a systemd job.");
}

static void list_free(UnitList *l) {
        for (UnitList **p = &l->client->lists; *p; p = &(*p)->next)
                if (*p == l) {
                        *p = l->next;
                        break;
                }
        sd_bus_slot_unref(l->call);
        free(l);
}

/* Reports a list's failure and forgets it. */
static void list_fail(UnitList *l, const char *why) {
        unit_list_callback_t callback = l->callback;
        void *userdata = l->userdata;
        _cleanup_free_ char *error = text_printf("Cannot list units from systemd: %s", why);

        list_free(l);
        callback(NULL, error ?: "Cannot list units from systemd.", userdata);
}

/* The runs end: the manager is gone. They are taken off the client first, so work started
 * from a callback (on a fresh connection) is not ended with them. */
void systemd_jobs_fail(SystemdClient *c, const char *why) {
        UnitRun *runs = TAKE_PTR(c->runs);

        while (runs) {
                UnitRun *run = runs;
                runs = run->next;
                run->next = c->runs;   /* back on the list for run_finish to take off */
                c->runs = run;
                run_finishf(run, "%s of %s did not finish: %s", action_nouns[run->action], run->unit, why);
        }
}

/* The unit lists in flight end: their answers are lost with the connection. */
static void fail_lists(SystemdClient *c, const char *why) {
        UnitList *lists = TAKE_PTR(c->lists);

        while (lists) {
                UnitList *l = lists;
                lists = l->next;
                l->next = c->lists;
                c->lists = l;
                list_fail(l, why);
        }
}

void systemd_jobs_manager_lost(SystemdClient *c, const char *why) {
        UnitRun *next;

        fail_lists(c, why);
        for (UnitRun *run = c->runs; run; run = next) {
                next = run->next;
                run->call = sd_bus_slot_unref(run->call);
                if (run->phase == RUN_QUEUEING) {
                        run_finishf(run, "%s of %s failed: %s", action_nouns[run->action], run->unit, why);
                        next = c->runs;   /* the list may have changed under us */
                }
        }
}

void systemd_jobs_free_all(SystemdClient *c) {
        while (c->runs)
                run_free(c->runs);
        while (c->lists)
                list_free(c->lists);
}

static void run_job_removed(UnitRun *run, const char *result);
static int queue_job(UnitRun *run);

static int on_job_still_there(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        UnitRun *run = ASSERT_PTR(userdata);

        run->call = sd_bus_slot_unref(run->call);
        /* gone: it ended while we could not hear; the unit's state tells how */
        if (run->phase == RUN_WAITING && sd_bus_message_is_method_error(reply, NULL))
                run_job_removed(run, "done");
        return 0;
}

void systemd_jobs_resume(SystemdClient *c) {
        UnitRun *next;

        log_info("The systemd manager is back; following its jobs again.");
        for (UnitRun *run = c->runs; run; run = next) {
                next = run->next;
                if (run->phase == RUN_CHECKING)
                        run_job_removed(run, run->job_result);
                else if (run->phase == RUN_HELD) {
                        run->phase = RUN_QUEUEING;
                        if (queue_job(run) < 0)
                                run_finishf(run, "%s of %s: systemd could not be asked.", action_nouns[run->action],
                                            run->unit);
                } else if (run->phase == RUN_WAITING &&
                         sd_bus_call_method_async(c->bus, &run->call, SYSTEMD_NAME, run->job_path,
                                                  "org.freedesktop.DBus.Properties", "Get", on_job_still_there,
                                                  run, "ss", "org.freedesktop.systemd1.Job", "State") < 0)
                        run_finishf(run, "%s of %s: its job cannot be asked about.", action_nouns[run->action],
                                    run->unit);
        }
}

/* After "done": the unit must be running again before the caller goes on (rolling restarts);
 * a state that cannot be read does not undo a job systemd says is done. */
static void run_check_active(UnitRun *run, const char *state, const sd_bus_error *e) {
        if (state && strcmp(state, "active") != 0 && strcmp(state, "reloading") != 0)
                return run_finishf(run, "%s of %s ended with the unit %s, not active.", action_nouns[run->action],
                                   run->unit, state);
        if (e)
                log_debug("Cannot read the state of %s after its job: %s", run->unit, e->message);
        run_finish(run, NULL);
}

static int on_unit_result(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        UnitRun *run = ASSERT_PTR(userdata);
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        const char *value = NULL;

        run->call = sd_bus_slot_unref(run->call);
        if (!e)
                (void) sd_bus_message_read(reply, "v", "s", &value);

        if (strcmp(run->job_result, "done") == 0)
                run_check_active(run, value, e);
        else if (value && strcmp(value, "success") != 0)
                /* "failed": the service's own Result says why, e.g. exit-code, signal, timeout */
                run_finishf(run, "%s of %s failed: %s", action_nouns[run->action], run->unit, value);
        else
                run_finishf(run, "%s of %s failed.", action_nouns[run->action], run->unit);
        return 0;
}

static const char *job_result_reason(const char *result) {
        static const struct { const char *result, *reason; } reasons[] = {
                { "timeout", "the job timed out" },
                { "canceled", "the job was canceled" },
                { "dependency", "a dependency failed" },
                { "skipped", "the job was skipped" },
                { "invalid", "the job is invalid for this unit" },
                { "unsupported", "the unit does not support it" },
                { "once", "the unit may be started only once" },
                { "frozen", "the unit is frozen" },
        };
        for (size_t i = 0; i < ELEMENTSOF(reasons); i++)
                if (strcmp(result, reasons[i].result) == 0)
                        return reasons[i].reason;
        return NULL;
}

/* Asks for one property of the run's unit; the answer goes to on_unit_result. */
static int ask_unit(UnitRun *run, const char *interface, const char *property) {
        _cleanup_free_ char *path = NULL;
        int r;

        r = sd_bus_path_encode(SYSTEMD_UNIT_PATH_PREFIX, run->unit, &path);
        if (r < 0)
                return r;
        return sd_bus_call_method_async(run->client->bus, &run->call, SYSTEMD_NAME, path,
                                        "org.freedesktop.DBus.Properties", "Get", on_unit_result, run, "ss",
                                        interface, property);
}

static bool is_service(const char *unit) {
        size_t n = strlen(unit);

        return n > 8 && strcmp(unit + n - 8, ".service") == 0;
}

static void run_job_removed(UnitRun *run, const char *result) {
        const char *reason;
        int r;

        sd_event_source_set_enabled(run->timeout, SD_EVENT_OFF);
        char *copy = strdup(result);   /* result may be run->job_result itself (asked again) */
        free(run->job_result);
        run->job_result = copy;
        if (!run->job_result)
                return run_finish(run, "Out of memory while following a systemd job.");

        if (strcmp(result, "done") == 0)
                r = ask_unit(run, "org.freedesktop.systemd1.Unit", "ActiveState");
        else if (strcmp(result, "failed") == 0 && is_service(run->unit))
                r = ask_unit(run, "org.freedesktop.systemd1.Service", "Result");
        else if (strcmp(result, "failed") == 0)
                return run_finishf(run, "%s of %s failed.", action_nouns[run->action], run->unit);
        else {
                reason = job_result_reason(result);
                return run_finishf(run, "%s of %s failed: %s%s%s%s", action_nouns[run->action], run->unit, result,
                                   reason ? " (" : "", reason ?: "", reason ? ")" : "");
        }
        if (r < 0)
                return run_finishf(run, "%s of %s ended '%s', and its state cannot be read: %s",
                                   action_nouns[run->action], run->unit, result, strerror(-r));
        run->phase = RUN_CHECKING;
}

int systemd_jobs_on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        SystemdClient *c = ASSERT_PTR(userdata);
        const char *path, *unit, *result;
        uint32_t id;
        UnitRun *next;

        if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
                return 0;
        /* several runs may wait on one systemd job when systemd merged their requests */
        for (UnitRun *run = c->runs; run; run = next) {
                next = run->next;
                if (run->phase == RUN_WAITING && strcmp(run->job_path, path) == 0) {
                        log_debug("systemd job %s (%s) ended: %s", path, unit, result);
                        run_job_removed(run, result);
                        next = c->runs;   /* the list may have changed under us */
                }
        }
        return 0;
}

static int on_job_queued(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        UnitRun *run = ASSERT_PTR(userdata);
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        const char *path;

        run->call = sd_bus_slot_unref(run->call);
        if (e) {
                run_finishf(run, "%s of %s failed: %s", action_nouns[run->action], run->unit, e->message ?: e->name);
                return 0;
        }
        if (sd_bus_message_read(reply, "o", &path) < 0 || !(run->job_path = strdup(path))) {
                run_finishf(run, "%s of %s failed: systemd's answer could not be read.", action_nouns[run->action],
                            run->unit);
                return 0;
        }
        run->phase = RUN_WAITING;
        log_info("%s of %s queued as systemd job %s.", action_nouns[run->action], run->unit, path);
        run->callback(run->unit, UNIT_RUN_QUEUED, NULL, run->userdata);
        return 0;
}

static int on_run_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        UnitRun *run = ASSERT_PTR(userdata);
        bool cancel = run->job_path && run->client->bus;

        /* a retry must not pile a second job on top of this one */
        if (cancel && sd_bus_call_method_async(run->client->bus, NULL, SYSTEMD_NAME, run->job_path,
                                               "org.freedesktop.systemd1.Job", "Cancel", NULL, NULL, "") < 0)
                cancel = false;
        run_finishf(run, "%s of %s did not finish within %llu s%s.", action_nouns[run->action], run->unit,
                    (unsigned long long) (run->client->unit_timeout_usec / 1000000),
                    cancel ? "; its systemd job was canceled" : "");
        return 0;
}

/* "replace", as systemctl does: a newer request supersedes a queued older one. */
static int queue_job(UnitRun *run) {
        SystemdClient *c = run->client;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = systemd_client_connect(c);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_call(c->bus, &m, SYSTEMD_NAME, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                           action_methods[run->action]);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "ss", run->unit, "replace");
        if (r < 0)
                return r;
        return sd_bus_call_async(c->bus, &run->call, m, on_job_queued, run, SYSTEMD_CALL_USEC);
}

int systemd_client_run(SystemdClient *c, const char *unit, UnitAction action, unit_run_callback_t callback,
                       void *userdata) {
        _cleanup_(run_freep) UnitRun *run = NULL;
        bool held;
        int r;

        assert(c);
        assert(unit);
        assert(action >= 0 && action < _UNIT_ACTION_MAX);
        assert(callback);
        /* the manager is away (a daemon-reexec) or its connection is closing: the run waits for
         * it, as runs whose job systemd has do */
        held = c->lost_usec || (c->bus && sd_bus_is_open(c->bus) <= 0);
        if (!held) {
                r = systemd_client_connect(c);
                if (r < 0)
                        return r;
        }
        run = calloc(1, sizeof(UnitRun));
        if (!run)
                return -ENOMEM;
        *run = (UnitRun) { .client = c, .action = action, .phase = held ? RUN_HELD : RUN_QUEUEING, .callback = callback,
                           .userdata = userdata, .next = c->runs };
        c->runs = run;
        run->unit = strdup(unit);
        if (!run->unit)
                return -ENOMEM;
        r = sd_event_add_time_relative(c->event, &run->timeout, CLOCK_MONOTONIC, c->unit_timeout_usec, 0,
                                       on_run_timeout, run);
        if (r < 0)
                return r;
        if (!held) {
                r = queue_job(run);
                if (r < 0)
                        return r;
        }
        TAKE_PTR(run);
        return 0;
}

static int cmp_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The names in a ListUnits answer, sorted, in *ret. */
static int read_unit_names(sd_bus_message *reply, char ***ret) {
        _cleanup_strv_free_ char **units = calloc(1, sizeof(char *));
        size_t n = 0;
        const char *name;
        int r;

        if (!units)
                return -ENOMEM;
        r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
        if (r < 0)
                return r;
        for (;;) {
                r = sd_bus_message_read(reply, "(ssssssouso)", &name, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                                        NULL);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                char **grown = realloc(units, (n + 2) * sizeof(char *));
                if (!grown)
                        return -ENOMEM;
                units = grown;
                units[n + 1] = NULL;
                units[n] = strdup(name);
                if (!units[n])
                        return -ENOMEM;
                n++;
        }
        qsort(units, n, sizeof(char *), cmp_names);
        *ret = TAKE_PTR(units);
        return 0;
}

static int on_units_listed(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        UnitList *l = ASSERT_PTR(userdata);
        unit_list_callback_t callback = l->callback;
        void *callback_data = l->userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        _cleanup_strv_free_ char **units = NULL;
        int r;

        if (e) {
                list_fail(l, e->message ?: e->name);
                return 0;
        }
        list_free(l);
        r = read_unit_names(reply, &units);
        if (r < 0)
                callback(NULL, "Cannot read systemd's list of units.", callback_data);
        else
                callback(units, NULL, callback_data);
        return 0;
}

int systemd_client_list_running(SystemdClient *c, char *const *patterns, unit_list_callback_t callback,
                                void *userdata) {
        static const char *const running_states[] = { "active", "activating", "reloading", NULL };
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_free_ UnitList *l = NULL;
        int r;

        assert(c);
        assert(patterns);
        assert(callback);
        r = systemd_client_connect(c);
        if (r < 0)
                return r;
        l = calloc(1, sizeof(UnitList));
        if (!l)
                return -ENOMEM;
        *l = (UnitList) { .client = c, .callback = callback, .userdata = userdata, .next = c->lists };

        r = sd_bus_message_new_method_call(c->bus, &m, SYSTEMD_NAME, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                           "ListUnitsByPatterns");
        if (r < 0)
                return r;
        r = sd_bus_message_append_strv(m, (char **) running_states);
        if (r < 0)
                return r;
        r = sd_bus_message_append_strv(m, (char **) patterns);
        if (r < 0)
                return r;
        r = sd_bus_call_async(c->bus, &l->call, m, on_units_listed, l, SYSTEMD_CALL_USEC);
        if (r < 0)
                return r;
        c->lists = TAKE_PTR(l);
        return 0;
}
