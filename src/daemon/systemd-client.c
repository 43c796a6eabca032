/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <systemd/sd-bus.h>

#include "log.h"
#include "macro.h"
#include "systemd-client.h"
#include "text.h"

#define SYSTEMD_NAME "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"
/* How long systemd may take to take a job (or list units): a Restart() caller hears from us
 * before its own 25 s run out, also when the bus waits for a systemd that is gone */
#define SYSTEMD_CALL_USEC (10 * 1000000ULL)
/* a systemd that does not answer system_information's questions costs the caller this much,
 * then its units show null */
#define SYSTEMD_QUERY_USEC (5 * 1000000ULL)
/* systemd keeps its jobs across daemon-reexec (an upgrade of systemd runs it): a manager that
 * left is asked for again this often, for this long, before the runs end in ERROR */
#define RECONNECT_USEC (200 * 1000ULL)
#define MANAGER_GRACE_USEC (10 * 1000000ULL)
#define RECONNECT_ASK_USEC (1000 * 1000ULL)

typedef enum RunPhase {
        RUN_QUEUEING,          /* the Restart/ReloadUnit call is out */
        RUN_WAITING,           /* queued; waiting for JobRemoved of job_path */
        RUN_CHECKING,          /* job ended; asking the unit how it is */
} RunPhase;

typedef struct UnitRun {
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
        struct UnitRun *next;
} UnitRun;

/* A ListUnitsByPatterns question in flight. */
typedef struct UnitList {
        SystemdClient *client;
        sd_bus_slot *call;
        unit_list_callback_t callback;
        void *userdata;
        struct UnitList *next;
} UnitList;

struct SystemdClient {
        sd_event *event;
        char *address;
        bool direct;           /* address is the manager's private socket: a peer, not a bus */
        uint64_t unit_timeout_usec;
        sd_bus *bus;           /* NULL until needed, and again after it went away */
        UnitRun *runs;
        UnitList *lists;
        bool memory_peak_unknown;   /* systemd said it has no MemoryPeak (before 255) */
        uint64_t lost_usec;    /* CLOCK_MONOTONIC when the manager went away with runs; 0: not */
        char *lost_why;
        sd_event_source *reconnect;
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

static void run_free(UnitRun *run) {
        SystemdClient *c = run->client;

        for (UnitRun **p = &c->runs; *p; p = &(*p)->next)
                if (*p == run) {
                        *p = run->next;
                        break;
                }
        sd_bus_slot_unref(run->call);
        sd_event_source_disable_unref(run->timeout);
        free(run->unit);
        free(run->job_path);
        free(run->job_result);
        free(run);
}

/* Reports the end of run and forgets it. */
static void run_finish(UnitRun *run, const char *error) {
        unit_run_callback_t callback = run->callback;
        void *userdata = run->userdata;
        char *unit = run->unit;

        run->unit = NULL;
        if (error)
                log_warning("%s", error);
        else
                log_info("%s of %s done.", action_nouns[run->action], unit);
        run_free(run);
        callback(unit, UNIT_RUN_FINISHED, error, userdata);
        free(unit);
}

/* run_finish with a sentence made from a format */
#define run_finishf(run, ...) run_finish_owned(run, text_printf(__VA_ARGS__))
static void run_finish_owned(UnitRun *run, char *error) {
        run_finish(run, error ? error : "Out of memory while following a systemd job.");
        free(error);
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

/* The runs end: the manager is gone. They are taken off the client first, so work started
 * from a callback (on a fresh connection) is not ended with them. */
static void fail_runs(SystemdClient *c, const char *why) {
        UnitRun *runs = c->runs;

        c->runs = NULL;
        c->lost_usec = 0;
        free(c->lost_why);
        c->lost_why = NULL;
        c->reconnect = sd_event_source_disable_unref(c->reconnect);
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
        UnitList *lists = c->lists;

        c->lists = NULL;
        while (lists) {
                UnitList *l = lists;
                char *error = text_printf("Cannot list units from systemd: %s", why);

                lists = l->next;
                l->next = c->lists;
                c->lists = l;
                unit_list_callback_t callback = l->callback;
                void *userdata = l->userdata;
                list_free(l);
                callback(NULL, error ? error : "Cannot list units from systemd.", userdata);
                free(error);
        }
}

static int ensure_connected(SystemdClient *c);
static void run_job_removed(UnitRun *run, const char *result);

static int on_job_still_there(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        UnitRun *run = userdata;

        run->call = sd_bus_slot_unref(run->call);
        /* gone: it ended while we could not hear; the unit's state tells how */
        if (run->phase == RUN_WAITING && sd_bus_message_is_method_error(reply, NULL))
                run_job_removed(run, "done");
        return 0;
}

/* The manager is back and we are subscribed again: each run picks up where it was. */
static void resume_runs(SystemdClient *c) {
        UnitRun *next;

        log_info("The systemd manager is back; following its jobs again.");
        for (UnitRun *run = c->runs; run; run = next) {
                next = run->next;
                if (run->phase == RUN_CHECKING)
                        run_job_removed(run, run->job_result);
                else if (run->phase == RUN_WAITING &&
                         sd_bus_call_method_async(c->bus, &run->call, SYSTEMD_NAME, run->job_path,
                                                  "org.freedesktop.DBus.Properties", "Get", on_job_still_there,
                                                  run, "ss", "org.freedesktop.systemd1.Job", "State") < 0)
                        run_finishf(run, "%s of %s: its job cannot be asked about.", action_nouns[run->action],
                                    run->unit);
        }
}

static int on_reconnect(sd_event_source *s, uint64_t usec, void *userdata) {
        SystemdClient *c = userdata;

        if (monotonic_usec() - c->lost_usec > MANAGER_GRACE_USEC) {
                char *why = text_printf("%s (it did not come back within %llu s)", c->lost_why,
                                        (unsigned long long) (MANAGER_GRACE_USEC / 1000000));
                fail_runs(c, why ? why : "systemd went away");
                free(why);
                return 0;
        }
        /* Subscribe()'s answer says whether the manager is really there (on_subscribed) */
        if (ensure_connected(c) < 0)
                (void) sd_event_source_set_time_relative(s, RECONNECT_USEC),
                        (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

/* A connection is closed from the loop, never from inside one of its own callbacks (sd-bus
 * goes on processing it after the callback returns). */
typedef struct Closing {
        sd_event_source *source;
        sd_bus *bus;
} Closing;

static int on_close_later(sd_event_source *s, void *userdata) {
        Closing *closing = userdata;

        sd_bus_close_unref(closing->bus);
        sd_event_source_disable_unref(closing->source);
        free(closing);
        return 0;
}

static void close_later(SystemdClient *c, sd_bus *bus) {
        Closing *closing = bus ? malloc(sizeof(Closing)) : NULL;

        if (!bus)
                return;
        (void) sd_bus_detach_event(bus);
        if (closing) {
                closing->bus = bus;
                if (sd_event_add_defer(c->event, &closing->source, on_close_later, closing) >= 0)
                        return;
                free(closing);
        }
        sd_bus_close_unref(bus);
}

/* Forgets the connection. Lists and runs whose job was not queued yet end at once; runs whose
 * job systemd has wait for the manager to come back (a daemon-reexec) for a while. */
static void lose_manager(SystemdClient *c, const char *why) {
        sd_bus *old = c->bus;
        UnitRun *next;

        c->bus = NULL;
        fail_lists(c, why);
        for (UnitRun *run = c->runs; run; run = next) {
                next = run->next;
                run->call = sd_bus_slot_unref(run->call);
                if (run->phase == RUN_QUEUEING) {
                        run_finishf(run, "%s of %s failed: %s", action_nouns[run->action], run->unit, why);
                        next = c->runs;   /* the list may have changed under us */
                }
        }
        close_later(c, old);
        if (!c->runs)
                return;
        if (!c->lost_usec) {
                c->lost_usec = monotonic_usec();
                free(c->lost_why);
                c->lost_why = strdup(why);
                log_warning("Lost the systemd manager (%s); waiting up to %llu s for it to come back.", why,
                            (unsigned long long) (MANAGER_GRACE_USEC / 1000000));
        }
        if (!c->reconnect &&
            sd_event_add_time_relative(c->event, &c->reconnect, CLOCK_MONOTONIC, RECONNECT_USEC, 1000, on_reconnect, c) < 0)
                return fail_runs(c, why);
        (void) sd_event_source_set_time_relative(c->reconnect, RECONNECT_USEC);
        (void) sd_event_source_set_enabled(c->reconnect, SD_EVENT_ONESHOT);
}

static int on_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        SystemdClient *c = userdata;

        if (c->bus != sd_bus_message_get_bus(m))
                return 0;   /* a connection already given up */
        log_warning("Lost the connection to the systemd manager's bus.");
        lose_manager(userdata, "the connection to systemd was lost");
        return 0;
}

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 || strcmp(name, SYSTEMD_NAME) != 0 ||
            ((SystemdClient *) userdata)->bus != sd_bus_message_get_bus(m))
                return 0;
        if (*old_owner) {
                /* a new manager needs a new Subscribe(): connect afresh */
                log_warning("The systemd manager left the bus.");
                lose_manager(userdata, "systemd went away");
        }
        return 0;
}

static int on_unit_result(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        UnitRun *run = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        const char *value = NULL;

        run->call = sd_bus_slot_unref(run->call);
        if (!e)
                (void) sd_bus_message_read(reply, "v", "s", &value);

        if (strcmp(run->job_result, "done") == 0) {
                /* the unit must be running again before the caller goes on (rolling restarts);
                 * a state that cannot be read does not undo a job systemd says is done */
                if (!value || strcmp(value, "active") == 0 || strcmp(value, "reloading") == 0) {
                        if (e)
                                log_debug("Cannot read the state of %s after its job: %s", run->unit, e->message);
                        run_finish(run, NULL);
                } else
                        run_finishf(run, "%s of %s ended with the unit %s, not active.", action_nouns[run->action],
                                    run->unit, value);
        } else if (value && strcmp(value, "success") != 0)
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
        for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
                if (strcmp(result, reasons[i].result) == 0)
                        return reasons[i].reason;
        return NULL;
}

/* Asks for one property of the run's unit; the answer goes to on_unit_result. */
static int ask_unit(UnitRun *run, const char *interface, const char *property) {
        char *path = NULL;
        int r = sd_bus_path_encode("/org/freedesktop/systemd1/unit", run->unit, &path);

        if (r >= 0)
                r = sd_bus_call_method_async(run->client->bus, &run->call, SYSTEMD_NAME, path,
                                             "org.freedesktop.DBus.Properties", "Get", on_unit_result, run, "ss",
                                             interface, property);
        free(path);
        return r;
}

static void run_job_removed(UnitRun *run, const char *result) {
        const char *reason;
        bool is_service;
        int r;

        sd_event_source_set_enabled(run->timeout, SD_EVENT_OFF);
        char *copy = strdup(result);   /* result may be run->job_result itself (asked again) */
        free(run->job_result);
        run->job_result = copy;
        if (!run->job_result)
                return run_finish(run, "Out of memory while following a systemd job.");

        is_service = strlen(run->unit) > 8 && strcmp(run->unit + strlen(run->unit) - 8, ".service") == 0;
        if (strcmp(result, "done") == 0)
                r = ask_unit(run, "org.freedesktop.systemd1.Unit", "ActiveState");
        else if (strcmp(result, "failed") == 0 && is_service)
                r = ask_unit(run, "org.freedesktop.systemd1.Service", "Result");
        else if (strcmp(result, "failed") == 0)
                return run_finishf(run, "%s of %s failed.", action_nouns[run->action], run->unit);
        else {
                reason = job_result_reason(result);
                return run_finishf(run, "%s of %s failed: %s%s%s%s", action_nouns[run->action], run->unit, result,
                                   reason ? " (" : "", reason ? reason : "", reason ? ")" : "");
        }
        if (r < 0)
                return run_finishf(run, "%s of %s ended '%s', and its state cannot be read: %s",
                                   action_nouns[run->action], run->unit, result, strerror(-r));
        run->phase = RUN_CHECKING;
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        SystemdClient *c = userdata;
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
        UnitRun *run = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        const char *path;

        run->call = sd_bus_slot_unref(run->call);
        if (e)
                return run_finishf(run, "%s of %s failed: %s", action_nouns[run->action], run->unit,
                                   e->message ? e->message : e->name), 0;
        if (sd_bus_message_read(reply, "o", &path) < 0 || !(run->job_path = strdup(path)))
                return run_finishf(run, "%s of %s failed: systemd's answer could not be read.",
                                   action_nouns[run->action], run->unit), 0;
        run->phase = RUN_WAITING;
        log_info("%s of %s queued as systemd job %s.", action_nouns[run->action], run->unit, path);
        run->callback(run->unit, UNIT_RUN_QUEUED, NULL, run->userdata);
        return 0;
}

static int on_run_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        UnitRun *run = userdata;
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

static int on_subscribed(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        SystemdClient *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (c->bus != sd_bus_message_get_bus(reply))
                return 0;
        /* without the subscription no JobRemoved comes: nothing could finish */
        if (e) {
                char *why = text_printf("systemd did not take the subscription to its job signals: %s", e->message);
                log_warning("%s", why ? why : "Cannot subscribe to systemd's job signals.");
                lose_manager(c, why ? why : "systemd did not take the subscription to its job signals");
                free(why);
        } else if (c->lost_usec) {
                c->lost_usec = 0;
                c->reconnect = sd_event_source_disable_unref(c->reconnect);
                resume_runs(c);
        }
        return 0;
}

/* Asks for the job signals; while the manager is away (re-executing) the answer is awaited only
 * briefly, so that its absence is noticed and asked again. */
static int subscribe(SystemdClient *c, sd_bus *bus) {
        sd_bus_message *m = NULL;
        int r = sd_bus_message_new_method_call(bus, &m, SYSTEMD_NAME, SYSTEMD_PATH, SYSTEMD_MANAGER, "Subscribe");

        if (r >= 0)
                r = sd_bus_call_async(bus, NULL, m, on_subscribed, c, c->lost_usec ? RECONNECT_ASK_USEC : SYSTEMD_CALL_USEC);
        sd_bus_message_unref(m);
        return r;
}

/* Connects when needed. The matches and Subscribe() go out before any job request on the same
 * connection; the bus and systemd handle one sender's messages in order, so no JobRemoved can
 * be missed, and no call here waits. */
static int ensure_connected(SystemdClient *c) {
        /* on a direct connection messages carry no sender, and there is no bus to tell owners */
        const char *sender = c->direct ? NULL : SYSTEMD_NAME;
        sd_bus *bus = NULL;
        int r;

        if (c->bus)
                return 0;
        if (c->direct) {
                char *address = NULL;
                r = sd_bus_new(&bus);
                if (r >= 0 && asprintf(&address, "unix:path=%s", c->address) < 0)
                        r = -ENOMEM;
                if (r >= 0)
                        r = sd_bus_set_address(bus, address);
                free(address);
                if (r >= 0)
                        r = sd_bus_start(bus);
        } else if (c->address) {
                r = sd_bus_new(&bus);
                if (r >= 0)
                        r = sd_bus_set_address(bus, c->address);
                if (r >= 0)
                        r = sd_bus_set_bus_client(bus, 1);
                if (r >= 0)
                        r = sd_bus_start(bus);
        } else
                r = sd_bus_open_system(&bus);
        if (r >= 0)
                r = sd_bus_attach_event(bus, c->event, SD_EVENT_PRIORITY_NORMAL);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, "org.freedesktop.DBus.Local", "/org/freedesktop/DBus/Local",
                                        "org.freedesktop.DBus.Local", "Disconnected", on_disconnected, c);
        if (r >= 0)
                r = sd_bus_match_signal_async(bus, NULL, sender, SYSTEMD_PATH, SYSTEMD_MANAGER, "JobRemoved",
                                              on_job_removed, NULL, c);
        /* a direct connection ends when the manager does: Disconnected says it */
        if (r >= 0 && !c->direct)
                r = sd_bus_add_match_async(bus, NULL,
                                           "type='signal',sender='org.freedesktop.DBus',"
                                           "interface='org.freedesktop.DBus',member='NameOwnerChanged',"
                                           "arg0='" SYSTEMD_NAME "'",
                                           on_owner_changed, NULL, c);
        if (r >= 0)
                r = subscribe(c, bus);
        if (r < 0) {
                log_error("Cannot connect to the systemd manager at %s: %s",
                          c->address ? c->address : "the system bus", strerror(-r));
                sd_bus_close_unref(bus);
                return r;
        }
        c->bus = bus;
        return 0;
}

int systemd_client_new(SystemdClient **ret, sd_event *event, const char *address, bool direct,
                       uint64_t unit_timeout_usec) {
        SystemdClient *c = calloc(1, sizeof(SystemdClient));

        if (!c)
                return -ENOMEM;
        c->event = sd_event_ref(event);
        c->direct = direct && address;
        c->unit_timeout_usec = unit_timeout_usec;
        if (address && !(c->address = strdup(address))) {
                systemd_client_free(c);
                return -ENOMEM;
        }
        *ret = c;
        return 0;
}

SystemdClient *systemd_client_free(SystemdClient *c) {
        if (!c)
                return NULL;
        /* on exit nobody is told: the runs just end */
        while (c->runs)
                run_free(c->runs);
        while (c->lists)
                list_free(c->lists);
        c->reconnect = sd_event_source_disable_unref(c->reconnect);
        c->bus = sd_bus_flush_close_unref(c->bus);
        sd_event_unref(c->event);
        free(c->lost_why);
        free(c->address);
        free(c);
        return NULL;
}

/* "replace", as systemctl does: a newer request supersedes a queued older one. */
static int queue_job(UnitRun *run) {
        SystemdClient *c = run->client;
        sd_bus_message *m = NULL;
        int r = ensure_connected(c);

        if (r >= 0)
                r = sd_bus_message_new_method_call(c->bus, &m, SYSTEMD_NAME, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                                   action_methods[run->action]);
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", run->unit, "replace");
        if (r >= 0)
                r = sd_bus_call_async(c->bus, &run->call, m, on_job_queued, run, SYSTEMD_CALL_USEC);
        sd_bus_message_unref(m);
        return r;
}

int systemd_client_run(SystemdClient *c, const char *unit, UnitAction action, unit_run_callback_t callback,
                       void *userdata) {
        UnitRun *run;
        int r;

        r = ensure_connected(c);
        if (r < 0)
                return r;
        run = calloc(1, sizeof(UnitRun));
        if (!run || !(run->unit = strdup(unit))) {
                free(run);
                return -ENOMEM;
        }
        run->client = c;
        run->action = action;
        run->callback = callback;
        run->userdata = userdata;
        run->phase = RUN_QUEUEING;
        run->next = c->runs;
        c->runs = run;

        r = sd_event_add_time_relative(c->event, &run->timeout, CLOCK_MONOTONIC, c->unit_timeout_usec, 0,
                                       on_run_timeout, run);
        if (r >= 0)
                r = queue_job(run);
        if (r < 0) {
                run_free(run);
                return r;
        }
        return 0;
}

static int cmp_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static int on_units_listed(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        UnitList *l = userdata;
        unit_list_callback_t callback = l->callback;
        void *callback_data = l->userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        char **units = NULL;
        size_t n = 0;
        const char *name;
        int r;

        list_free(l);
        if (e) {
                char *error = NULL;
                if (asprintf(&error, "Cannot list units from systemd: %s", e->message ? e->message : e->name) < 0)
                        error = NULL;
                callback(NULL, error ? error : "Cannot list units from systemd.", callback_data);
                free(error);
                return 0;
        }
        r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
        while (r > 0) {
                char **grown;
                r = sd_bus_message_read(reply, "(ssssssouso)", &name, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                                        NULL);
                if (r <= 0)
                        break;
                grown = realloc(units, (n + 2) * sizeof(char *));
                if (!grown || !(grown[n] = strdup(name))) {
                        units = grown ? grown : units;
                        r = -ENOMEM;
                        break;
                }
                units = grown;
                units[++n] = NULL;
        }
        if (r < 0) {
                callback(NULL, "Cannot read systemd's list of units.", callback_data);
        } else {
                if (units)
                        qsort(units, n, sizeof(char *), cmp_names);
                else
                        units = calloc(1, sizeof(char *));
                callback(units, units ? NULL : "Out of memory.", callback_data);
        }
        for (size_t i = 0; units && i < n; i++)
                free(units[i]);
        free(units);
        return 0;
}

int systemd_client_list_running(SystemdClient *c, char *const *patterns, unit_list_callback_t callback,
                                void *userdata) {
        static const char *const running_states[] = { "active", "activating", "reloading", NULL };
        sd_bus_message *m = NULL;
        UnitList *l;
        int r;

        r = ensure_connected(c);
        if (r < 0)
                return r;
        l = calloc(1, sizeof(UnitList));
        if (!l)
                return -ENOMEM;
        *l = (UnitList) { .client = c, .callback = callback, .userdata = userdata, .next = c->lists };

        r = sd_bus_message_new_method_call(c->bus, &m, SYSTEMD_NAME, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                           "ListUnitsByPatterns");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, (char **) running_states);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, (char **) patterns);
        if (r >= 0)
                r = sd_bus_call_async(c->bus, &l->call, m, on_units_listed, l, SYSTEMD_CALL_USEC);
        sd_bus_message_unref(m);
        if (r < 0) {
                free(l);
                return r;
        }
        c->lists = l;
        return 0;
}

/* ---- What system_information asks about Harper's units ---- */

/* The properties asked, one Get() each: systemd answers a single property in a fraction of
 * the time a GetAll() of the Service interface (a few hundred properties) takes, and all the
 * questions go out at once. */
typedef enum Field {
        FIELD_MAIN_PID,
        FIELD_CONTROL_GROUP,
        FIELD_ACTIVE_ENTER,
        FIELD_N_RESTARTS,
        FIELD_CPU,
        FIELD_MEMORY,
        FIELD_MEMORY_PEAK,     /* systemd ≥ 255; older ones answer UnknownProperty: null */
        FIELD_TASKS,
        FIELD_IO_READ,
        FIELD_IO_WRITE,
        FIELD_IP_IN,
        FIELD_IP_OUT,
        _FIELD_MAX,
        /* not properties: one list call answers ActiveState for many units */
        FIELD_WORKERS = _FIELD_MAX,   /* ListUnitsByPatterns: the running workers */
        FIELD_STATES,                 /* ListUnitsByNames: the named units */
} Field;

static const struct {
        const char *interface, *name;
} unit_properties[_FIELD_MAX] = {
        [FIELD_MAIN_PID] = { "Service", "MainPID" },
        [FIELD_CONTROL_GROUP] = { "Service", "ControlGroup" },
        [FIELD_ACTIVE_ENTER] = { "Unit", "ActiveEnterTimestamp" },
        [FIELD_N_RESTARTS] = { "Service", "NRestarts" },
        [FIELD_CPU] = { "Service", "CPUUsageNSec" },
        [FIELD_MEMORY] = { "Service", "MemoryCurrent" },
        [FIELD_MEMORY_PEAK] = { "Service", "MemoryPeak" },
        [FIELD_TASKS] = { "Service", "TasksCurrent" },
        [FIELD_IO_READ] = { "Service", "IOReadBytes" },
        [FIELD_IO_WRITE] = { "Service", "IOWriteBytes" },
        [FIELD_IP_IN] = { "Service", "IPIngressBytes" },
        [FIELD_IP_OUT] = { "Service", "IPEgressBytes" },
};

static const Field metrics_fields[] = {
        FIELD_ACTIVE_ENTER, FIELD_N_RESTARTS, FIELD_CPU, FIELD_MEMORY, FIELD_MEMORY_PEAK, FIELD_TASKS,
        FIELD_IO_READ, FIELD_IO_WRITE, FIELD_IP_IN, FIELD_IP_OUT,
};

typedef struct UnitFacts {
        SysinfoUnit u;         /* the strings below are its own */
        char *name, *control_group, *active_state;
} UnitFacts;

/* One describe_units question: answered when its last systemd question is. */
typedef struct UnitsQuestion {
        SystemdClient *client;
        bool accounting;
        UnitFacts *units;
        size_t n_units;
        unsigned pending;      /* systemd questions not yet answered, plus one while sending */
        units_described_callback_t callback;
        void *userdata;
} UnitsQuestion;

typedef struct Query {
        UnitsQuestion *question;
        Field field;
        size_t unit;           /* index into question->units */
} Query;

static void question_answer(UnitsQuestion *q) {
        _cleanup_free_ SysinfoUnit *units = calloc(q->n_units ? q->n_units : 1, sizeof(SysinfoUnit));

        /* out of memory: every figure stays unknown */
        for (size_t i = 0; units && i < q->n_units; i++)
                units[i] = q->units[i].u;
        q->callback(units, units ? q->n_units : 0, q->userdata);
        for (size_t i = 0; i < q->n_units; i++) {
                free(q->units[i].name);
                free(q->units[i].control_group);
                free(q->units[i].active_state);
        }
        free(q->units);
        free(q);
}

/* Each query's slot frees it; the last one answers. */
static void query_done(void *userdata) {
        Query *query = userdata;
        UnitsQuestion *q = query->question;

        free(query);
        if (--q->pending == 0)
                question_answer(q);
}

static bool has_unit(UnitsQuestion *q, const char *name) {
        for (size_t i = 0; i < q->n_units; i++)
                if (strcmp(q->units[i].name, name) == 0)
                        return true;
        return false;
}

static int add_unit(UnitsQuestion *q, const char *name, const char *role) {
        UnitFacts *grown = realloc(q->units, (q->n_units + 1) * sizeof(UnitFacts));
        UnitFacts *info;

        if (!grown)
                return -ENOMEM;
        q->units = grown;
        info = &q->units[q->n_units];
        *info = (UnitFacts) {};
        info->name = strdup(name);
        if (!info->name)
                return -ENOMEM;
        q->n_units++;
        info->u = (SysinfoUnit) {
                .name = info->name,
                .role = role,
                .cpu_usage_nsec = UINT64_MAX, .memory_current = UINT64_MAX, .memory_peak = UINT64_MAX,
                .tasks_current = UINT64_MAX, .io_read_bytes = UINT64_MAX, .io_write_bytes = UINT64_MAX,
                .ip_ingress_bytes = UINT64_MAX, .ip_egress_bytes = UINT64_MAX, .n_restarts = UINT64_MAX,
        };
        return 0;
}

static int set_string(char **field, const char *value) {
        char *copy = strdup(value);

        if (!copy)
                return -ENOMEM;
        free(*field);
        *field = copy;
        return 0;
}

static uint64_t *counter(UnitFacts *info, Field f) {
        switch (f) {
        case FIELD_ACTIVE_ENTER: return &info->u.active_enter_usec;
        case FIELD_CPU: return &info->u.cpu_usage_nsec;
        case FIELD_MEMORY: return &info->u.memory_current;
        case FIELD_MEMORY_PEAK: return &info->u.memory_peak;
        case FIELD_TASKS: return &info->u.tasks_current;
        case FIELD_IO_READ: return &info->u.io_read_bytes;
        case FIELD_IO_WRITE: return &info->u.io_write_bytes;
        case FIELD_IP_IN: return &info->u.ip_ingress_bytes;
        case FIELD_IP_OUT: return &info->u.ip_egress_bytes;
        default: return NULL;
        }
}

static int read_property(sd_bus_message *m, UnitFacts *info, Field f) {
        const char *s;
        uint32_t n;
        int k;

        switch (f) {
        case FIELD_MAIN_PID:
                return sd_bus_message_read(m, "v", "u", &info->u.main_pid);
        case FIELD_N_RESTARTS:
                k = sd_bus_message_read(m, "v", "u", &n);
                if (k >= 0)
                        info->u.n_restarts = n;
                return k;
        case FIELD_CONTROL_GROUP:
                k = sd_bus_message_read(m, "v", "s", &s);
                if (k >= 0)
                        k = set_string(&info->control_group, s);
                info->u.control_group = info->control_group;
                return k;
        default:
                return sd_bus_message_read(m, "v", "t", counter(info, f));
        }
}

static int ask(UnitsQuestion *q, Field field, size_t unit, sd_bus_message *m);

/* Asks for each of a unit's accounting figures. */
static int ask_metrics(UnitsQuestion *q, size_t unit) {
        int k = 0;

        for (size_t i = 0; k >= 0 && i < sizeof metrics_fields / sizeof metrics_fields[0]; i++)
                if (metrics_fields[i] != FIELD_MEMORY_PEAK || !q->client->memory_peak_unknown)
                        k = ask(q, metrics_fields[i], unit, NULL);
        return k;
}

/* A list of units (name, …, ActiveState, …): the states of units we know; with add, the
 * units are workers we did not know, and their accounting is asked for. */
static int read_unit_list(UnitsQuestion *q, sd_bus_message *reply, bool add) {
        const char *name, *active_state;
        int k;

        k = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
        while (k > 0) {
                size_t i = 0;

                k = sd_bus_message_read(reply, "(ssssssouso)", &name, NULL, NULL, &active_state, NULL, NULL, NULL,
                                        NULL, NULL, NULL);
                if (k <= 0)
                        break;
                while (i < q->n_units && strcmp(q->units[i].name, name) != 0)
                        i++;
                if (i == q->n_units && !add)
                        continue;
                int done = i < q->n_units ? 0 : add_unit(q, name, "worker");
                UnitFacts *info = &q->units[i];
                if (done >= 0 && (done = set_string(&info->active_state, active_state)) >= 0)
                        info->u.active_state = info->active_state;
                if (done >= 0 && add)
                        done = ask_metrics(q, i);
                if (done < 0)
                        k = done;
        }
        return k;
}

static int on_unit_answer(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Query *query = userdata;
        UnitsQuestion *q = query->question;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        int k;

        /* an error leaves the value unknown (null), it does not fail the question */
        if (e) {
                /* systemd before 255 has no MemoryPeak; once it said so, it is not asked again
                 * (a newer systemd is noticed when harper-sysopsd restarts) */
                if (query->field == FIELD_MEMORY_PEAK && sd_bus_error_has_name(e, SD_BUS_ERROR_UNKNOWN_PROPERTY))
                        q->client->memory_peak_unknown = true;
                else
                        log_debug("systemd did not answer a system information question: %s", e->message);
                return 0;
        }
        k = query->field >= _FIELD_MAX ? read_unit_list(q, reply, query->field == FIELD_WORKERS) :
                read_property(reply, &q->units[query->unit], query->field);
        if (k < 0)
                log_warning("Cannot read systemd's answer about %s: %s",
                            query->field >= _FIELD_MAX ? "the units" : q->units[query->unit].name, strerror(-k));
        return 0;
}

/* Sends one question to systemd; m is the prepared call for the list fields. */
static int ask(UnitsQuestion *q, Field field, size_t unit, sd_bus_message *m) {
        sd_bus *bus = q->client->bus;
        sd_bus_message *call = sd_bus_message_ref(m);
        sd_bus_slot *slot = NULL;
        char *path = NULL, interface[64];
        Query *query;
        int k = 0;

        if (field < _FIELD_MAX) {
                snprintf(interface, sizeof interface, "org.freedesktop.systemd1.%s", unit_properties[field].interface);
                k = sd_bus_path_encode("/org/freedesktop/systemd1/unit", q->units[unit].name, &path);
                if (k >= 0)
                        k = sd_bus_message_new_method_call(bus, &call, SYSTEMD_NAME, path,
                                                           "org.freedesktop.DBus.Properties", "Get");
                if (k >= 0)
                        k = sd_bus_message_append(call, "ss", interface, unit_properties[field].name);
                free(path);
        }
        query = k >= 0 ? malloc(sizeof(Query)) : NULL;
        if (k >= 0 && !query)
                k = -ENOMEM;
        if (k >= 0) {
                *query = (Query) { q, field, unit };
                k = sd_bus_call_async(bus, &slot, call, on_unit_answer, query, SYSTEMD_QUERY_USEC);
                if (k < 0)
                        free(query);
        }
        sd_bus_message_unref(call);
        if (k < 0)
                return k;
        /* the bus owns the question from here; its slot frees query, also when the bus closes */
        q->pending++;
        (void) sd_bus_slot_set_destroy_callback(slot, query_done);
        (void) sd_bus_slot_set_floating(slot, 1);
        sd_bus_slot_unref(slot);
        return 0;
}

/* ListUnitsByPatterns(running states, patterns) or ListUnitsByNames(names). */
static int ask_list(UnitsQuestion *q, Field field, char *const *names) {
        static const char *const running[] = { "active", "activating", "reloading", NULL };
        sd_bus_message *list = NULL;
        int k;

        k = sd_bus_message_new_method_call(q->client->bus, &list, SYSTEMD_NAME, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                           field == FIELD_WORKERS ? "ListUnitsByPatterns" : "ListUnitsByNames");
        if (k >= 0 && field == FIELD_WORKERS)
                k = sd_bus_message_append_strv(list, (char **) running);
        if (k >= 0)
                k = sd_bus_message_append_strv(list, (char **) names);
        if (k >= 0)
                k = ask(q, field, 0, list);
        sd_bus_message_unref(list);
        return k;
}

/* Every question at once: the worker list first (it takes a round trip more), then the named
 * units' states, then each unit's main process, cgroup and accounting. */
static int ask_all(UnitsQuestion *q, char *const *worker_patterns) {
        int k = 0;

        if (q->accounting && worker_patterns && *worker_patterns)
                k = ask_list(q, FIELD_WORKERS, worker_patterns);
        if (k >= 0 && q->accounting) {
                _cleanup_free_ char **names = calloc(q->n_units + 1, sizeof(char *));
                if (!names)
                        return -ENOMEM;
                for (size_t i = 0; i < q->n_units; i++)
                        names[i] = q->units[i].name;
                names[q->n_units] = NULL;
                k = ask_list(q, FIELD_STATES, names);
        }
        for (size_t i = 0; k >= 0 && i < q->n_units; i++) {
                k = ask(q, FIELD_MAIN_PID, i, NULL);
                if (k >= 0)
                        k = ask(q, FIELD_CONTROL_GROUP, i, NULL);
                if (k >= 0 && q->accounting)
                        k = ask_metrics(q, i);
        }
        return k;
}

int systemd_client_describe_units(SystemdClient *c, const UnitRole *units, size_t n_units,
                                  char *const *worker_patterns, bool accounting,
                                  units_described_callback_t callback, void *userdata) {
        UnitsQuestion *q = calloc(1, sizeof(UnitsQuestion));
        int k = 0;

        if (!q)
                return -ENOMEM;
        *q = (UnitsQuestion) { .client = c, .accounting = accounting, .callback = callback, .userdata = userdata };
        for (size_t i = 0; k >= 0 && i < n_units; i++)
                if (!has_unit(q, units[i].name))   /* each unit once, in its first role */
                        k = add_unit(q, units[i].name, units[i].role);
        /* one reference of our own while the questions go out, so none can answer early */
        q->pending = 1;
        if (k >= 0 && ensure_connected(c) >= 0)
                k = ask_all(q, worker_patterns);   /* no systemd: the units' values stay unknown */
        if (k < 0)
                log_warning("Cannot ask systemd about Harper's units: %s", strerror(-k));
        if (--q->pending == 0)
                question_answer(q);
        return 0;
}

/* ---- How a unit runs: its Environment= and User=, to find Harper from its unit ---- */

typedef struct ExecQuestion {
        SystemdClient *client;
        char **environment;
        char *user;
        char *error;
        unsigned pending;
        unit_exec_callback_t callback;
        void *userdata;
} ExecQuestion;

static void exec_question_done(void *userdata) {
        ExecQuestion *q = userdata;

        if (--q->pending > 0)
                return;
        q->callback(q->error ? NULL : q->environment ? q->environment : (char *[]) { NULL },
                    q->user && *q->user ? q->user : "root", q->error, q->userdata);
        for (char **e = q->environment; e && *e; e++)
                free(*e);
        free(q->environment);
        free(q->user);
        free(q->error);
        free(q);
}

static int on_exec_answer(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        ExecQuestion *q = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        const char *user;
        int r;

        if (e) {
                if (!q->error)
                        q->error = text_printf("systemd cannot tell how the unit runs: %s",
                                               e->message ? e->message : e->name);
                return 0;
        }
        r = sd_bus_message_enter_container(reply, 'v', NULL);
        if (r >= 0 && strcmp(sd_bus_message_get_signature(reply, 0), "as") == 0)
                r = sd_bus_message_read_strv(reply, &q->environment);
        else if (r >= 0 && sd_bus_message_read(reply, "s", &user) >= 0)
                r = (q->user = strdup(user)) ? 0 : -ENOMEM;
        if (r < 0 && !q->error)
                q->error = text_printf("Cannot read systemd's answer: %s", strerror(-r));
        return 0;
}

int systemd_client_unit_exec(SystemdClient *c, const char *unit, unit_exec_callback_t callback, void *userdata) {
        static const char *const properties[] = { "Environment", "User" };
        ExecQuestion *q;
        char *path = NULL;
        int r;

        r = ensure_connected(c);
        if (r < 0)
                return r;
        r = sd_bus_path_encode("/org/freedesktop/systemd1/unit", unit, &path);
        if (r < 0)
                return r;
        q = calloc(1, sizeof(ExecQuestion));
        if (!q) {
                free(path);
                return -ENOMEM;
        }
        *q = (ExecQuestion) { .client = c, .callback = callback, .userdata = userdata, .pending = 1 };
        for (size_t i = 0; r >= 0 && i < 2; i++) {
                sd_bus_slot *slot = NULL;
                r = sd_bus_call_method_async(c->bus, &slot, SYSTEMD_NAME, path, "org.freedesktop.DBus.Properties", "Get",
                                             on_exec_answer, q, "ss", "org.freedesktop.systemd1.Service",
                                             properties[i]);
                if (r < 0)
                        break;
                q->pending++;
                (void) sd_bus_slot_set_destroy_callback(slot, exec_question_done);
                (void) sd_bus_slot_set_floating(slot, 1);
                sd_bus_slot_unref(slot);
        }
        free(path);
        if (r < 0 && !q->error)
                q->error = text_printf("Cannot ask systemd about %s: %s", unit, strerror(-r));
        /* our own reference: answered once both slots are gone */
        exec_question_done(q);
        return 0;
}

/* Asked once, at start (a synchronous question, before anyone is served). */
bool systemd_client_pid1_has_private_socket(sd_bus *bus) {
        sd_bus_creds *creds = NULL;
        pid_t pid = 0;

        if (geteuid() != 0 || access(SYSTEMD_CLIENT_PRIVATE_SOCKET, F_OK) < 0)
                return false;
        if (sd_bus_get_name_creds(bus, SYSTEMD_NAME, SD_BUS_CREDS_PID, &creds) >= 0)
                (void) sd_bus_creds_get_pid(creds, &pid);
        sd_bus_creds_unref(creds);
        return pid == 1;
}
