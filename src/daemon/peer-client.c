/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "log.h"
#include "peer-client.h"
#include "text.h"
#include "sysops-names.h"

struct PeerRun {
        sd_event *event;
        sd_bus *bus;
        char *node;
        char *job_id, *job_path;   /* the peer's job, once it answered */
        sd_bus_slot *call, *properties_match, *owner_match, *disconnected_match;
        sd_event_source *timeout, *release;
        uint64_t timeout_usec;
        peer_run_callback_t callback;
        void *userdata;
        bool over;
};

static void run_free(PeerRun *run) {
        sd_bus_slot_unref(run->call);
        sd_bus_slot_unref(run->properties_match);
        sd_bus_slot_unref(run->owner_match);
        sd_bus_slot_unref(run->disconnected_match);
        sd_bus_flush_close_unref(run->bus);
        sd_event_source_disable_unref(run->timeout);
        sd_event_source_disable_unref(run->release);
        sd_event_unref(run->event);
        free(run->node);
        free(run->job_id);
        free(run->job_path);
        free(run);
}

static int on_release(sd_event_source *s, void *userdata) {
        run_free(userdata);
        return 0;
}

/* Tells the owner how it ended, once, and frees the run after this dispatch (the run's own bus
 * callbacks may be on the stack). */
static void run_end(PeerRun *run, PeerRunEvent event, const char *text) {
        int r;

        if (run->over)
                return;
        run->over = true;
        sd_event_source_set_enabled(run->timeout, SD_EVENT_OFF);
        r = sd_event_add_defer(run->event, &run->release, on_release, run);
        if (r < 0)
                log_error("Cannot schedule the end of the run on %s: %s", run->node, strerror(-r));
        run->callback(event, text, run->userdata);
}

/* run_end with a sentence made from a format */
#define run_endf(run, event, ...) run_end_owned(run, event, text_printf(__VA_ARGS__))
static void run_end_owned(PeerRun *run, PeerRunEvent event, char *text) {
        run_end(run, event, text ? text : "Out of memory while following a peer.");
        free(text);
}

/* A Status and Message from a{sv} (GetAll's answer, or PropertiesChanged's changes). */
static int read_status(sd_bus_message *m, const char **status, const char **message) {
        const char *name;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        while (r > 0) {
                r = sd_bus_message_enter_container(m, 'e', "sv");
                if (r <= 0)
                        break;
                r = sd_bus_message_read(m, "s", &name);
                if (r >= 0 && strcmp(name, "Status") == 0)
                        r = sd_bus_message_read(m, "v", "s", status);
                else if (r >= 0 && strcmp(name, "Message") == 0)
                        r = sd_bus_message_read(m, "v", "s", message);
                else if (r >= 0)
                        r = sd_bus_message_skip(m, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        return r;
}

static void job_status(PeerRun *run, const char *status, const char *message) {
        if (!status)
                return;
        if (strcmp(status, "COMPLETE") == 0)
                run_end(run, PEER_RUN_DONE, message ? message : "");
        else if (strcmp(status, "ERROR") == 0)
                /* Harper fails the whole rollout with the peer's own message */
                run_end(run, PEER_RUN_FAILED, message && *message ? message : "The peer's restart job failed.");
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        PeerRun *run = userdata;
        const char *interface, *status = NULL, *message = NULL;

        if (run->over)   /* it timed out meanwhile */
                return 0;
        if (!run->job_path || strcmp(sd_bus_message_get_path(m), run->job_path) != 0)
                return 0;
        if (sd_bus_message_read(m, "s", &interface) < 0 || strcmp(interface, SYSOPS_JOB_INTERFACE) != 0)
                return 0;
        if (read_status(m, &status, &message) >= 0)
                job_status(run, status, message);
        return 0;
}

static int on_job_read(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PeerRun *run = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        const char *status = NULL, *message = NULL;

        if (run->over)   /* it timed out meanwhile */
                return 0;
        run->call = sd_bus_slot_unref(run->call);
        if (e)
                return run_endf(run, PEER_RUN_FAILED, "Cannot read the restart job %s on %s: %s", run->job_id,
                                run->node, e->message), 0;
        if (read_status(reply, &status, &message) >= 0)
                job_status(run, status, message);
        return 0;
}

static int on_started(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PeerRun *run = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        const char *message, *id, *path;
        int r;

        if (run->over)   /* it timed out meanwhile */
                return 0;
        run->call = sd_bus_slot_unref(run->call);
        if (e)
                return run_endf(run, PEER_RUN_UNREACHABLE, "%s", e->message ? e->message : e->name), 0;
        if (sd_bus_message_read(reply, SYSOPS_JOB_REPLY, &message, &id, &path) < 0 ||
            !(run->job_id = strdup(id)) || !(run->job_path = strdup(path)))
                return run_endf(run, PEER_RUN_UNREACHABLE, "harper-sysopsd on %s sent a malformed answer.",
                                run->node), 0;
        log_info("%s started restart job %s.", run->node, id);
        run->callback(PEER_RUN_STARTED, id, run->userdata);

        /* the job may be over already: its signals came before we knew its path */
        r = sd_bus_call_method_async(run->bus, &run->call, SYSOPS_BUS_NAME, run->job_path,
                                     "org.freedesktop.DBus.Properties", "GetAll", on_job_read, run, "s",
                                     SYSOPS_JOB_INTERFACE);
        if (r < 0)
                run_endf(run, PEER_RUN_FAILED, "Cannot follow the restart job %s on %s: %s", id, run->node,
                         strerror(-r));
        return 0;
}

static void lost(PeerRun *run, const char *what) {
        if (run->job_id)
                run_endf(run, PEER_RUN_FAILED, "%s while its restart job %s ran.", what, run->job_id);
        /* before the answer: the pending call gets an error reply, which says it */
}

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        PeerRun *run = userdata;
        const char *name, *old_owner, *new_owner;
        char *what = NULL;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 || *new_owner)
                return 0;
        if (asprintf(&what, "harper-sysopsd on %s went away", run->node) < 0)
                what = NULL;
        lost(run, what ? what : "The peer's harper-sysopsd went away");
        free(what);
        return 0;
}

static int on_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        PeerRun *run = userdata;
        char *what = NULL;

        if (asprintf(&what, "Lost the connection to %s", run->node) < 0)
                what = NULL;
        lost(run, what ? what : "Lost the connection to the peer");
        free(what);
        return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        /* Harper's words for a peer that does not finish in time */
        run_end(userdata, PEER_RUN_FAILED, "Timed out waiting for restart job to complete");
        return 0;
}

static int connect_peer(PeerRun *run, const PeerConfig *peer) {
        int r;

        if (peer->ssh)
                /* ssh HOST systemd-stdio-bridge: the peer's system bus, as busctl -H */
                return sd_bus_open_system_remote(&run->bus, peer->ssh);
        r = sd_bus_new(&run->bus);
        if (r >= 0)
                r = sd_bus_set_address(run->bus, peer->address);
        if (r >= 0)
                r = sd_bus_set_bus_client(run->bus, 1);
        if (r >= 0)
                r = sd_bus_start(run->bus);
        return r;
}

int peer_run_start(PeerRun **ret, sd_event *event, const PeerConfig *peer, const char *service,
                   uint64_t timeout_usec, peer_run_callback_t callback, void *userdata) {
        PeerRun *run = calloc(1, sizeof(PeerRun));
        sd_bus_message *call = NULL;
        int r;

        if (!run || !(run->node = strdup(peer->name))) {
                free(run);
                return -ENOMEM;
        }
        run->event = sd_event_ref(event);
        run->callback = callback;
        run->userdata = userdata;
        run->timeout_usec = timeout_usec;

        r = connect_peer(run, peer);
        if (r >= 0)
                r = sd_bus_attach_event(run->bus, event, SD_EVENT_PRIORITY_NORMAL);
        /* the matches go out before the call: the peer's signals about its job cannot be missed */
        if (r >= 0)
                r = sd_bus_match_signal(run->bus, &run->disconnected_match, "org.freedesktop.DBus.Local",
                                        "/org/freedesktop/DBus/Local", "org.freedesktop.DBus.Local", "Disconnected",
                                        on_disconnected, run);
        if (r >= 0)
                r = sd_bus_add_match_async(run->bus, &run->properties_match,
                                           "type='signal',sender='" SYSOPS_BUS_NAME "',"
                                           "interface='org.freedesktop.DBus.Properties',member='PropertiesChanged',"
                                           "path_namespace='" SYSOPS_JOB_PATH_PREFIX "'",
                                           on_properties_changed, NULL, run);
        if (r >= 0)
                r = sd_bus_add_match_async(run->bus, &run->owner_match,
                                           "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
                                           "member='NameOwnerChanged',arg0='" SYSOPS_BUS_NAME "'",
                                           on_owner_changed, NULL, run);
        if (r >= 0)
                r = sd_bus_message_new_method_call(run->bus, &call, SYSOPS_BUS_NAME, SYSOPS_OBJECT_PATH,
                                                   SYSOPS_INTERFACE, "RestartService");
        /* replicated false: the peer restarts itself only, it does not fan out again */
        if (r >= 0)
                r = sd_bus_message_append(call, "sb", service, 0);
        if (r >= 0)
                r = sd_bus_call_async(run->bus, &run->call, call, on_started, run, 0);
        sd_bus_message_unref(call);
        if (r >= 0)
                r = sd_event_add_time_relative(event, &run->timeout, CLOCK_MONOTONIC, timeout_usec, 0, on_timeout, run);
        if (r < 0) {
                log_warning("Cannot reach %s: %s", peer->name, strerror(-r));
                run_free(run);
                return r;
        }
        *ret = run;
        return 0;
}

void peer_run_cancel(PeerRun *run) {
        if (run && !run->over)
                run_free(run);
}
