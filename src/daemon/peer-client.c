/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "job-properties.h"
#include "log.h"
#include "macro.h"
#include "peer-client.h"
#include "sysops-names.h"
#include "text.h"

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
        run_free(ASSERT_PTR(userdata));
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
                log_error_errno(r, "Cannot schedule the end of the run on %s: %m", run->node);
        run->callback(event, text, run->userdata);
}

/* run_end with a sentence made from a format */
#define run_endf(run, event, ...) run_end_owned(run, event, text_printf(__VA_ARGS__))
static void run_end_owned(PeerRun *run, PeerRunEvent event, char *text) {
        run_end(run, event, text ? text : "Out of memory while following a peer.");
        free(text);
}

/* The peer's job as its properties (all of them, or those that changed) say. */
static void job_changed(PeerRun *run, sd_bus_message *properties) {
        JobState job = {};

        if (job_properties_read(properties, &job) < 0 || !job.status)
                return;
        if (streq(job.status, "COMPLETE"))
                run_end(run, PEER_RUN_DONE, job.message ?: "");
        else if (streq(job.status, "ERROR"))
                /* Harper fails the whole rollout with the peer's own message */
                run_end(run, PEER_RUN_FAILED, job.message && *job.message ? job.message : "The peer's restart job failed.");
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        PeerRun *run = ASSERT_PTR(userdata);
        const char *interface;

        if (run->over)   /* it timed out meanwhile */
                return 0;
        if (!run->job_path || !streq(sd_bus_message_get_path(m), run->job_path))
                return 0;
        if (sd_bus_message_read(m, "s", &interface) < 0 || !streq(interface, SYSOPS_JOB_INTERFACE))
                return 0;
        job_changed(run, m);
        return 0;
}

static int on_job_read(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PeerRun *run = ASSERT_PTR(userdata);
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (run->over)   /* it timed out meanwhile */
                return 0;
        run->call = sd_bus_slot_unref(run->call);
        if (e) {
                run_endf(run, PEER_RUN_FAILED, "Cannot read its restart job %s: %s", run->job_id, e->message);
                return 0;
        }
        job_changed(run, reply);
        return 0;
}

static int on_started(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PeerRun *run = ASSERT_PTR(userdata);
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        const char *message, *id, *path;
        int r;

        if (run->over)   /* it timed out meanwhile */
                return 0;
        run->call = sd_bus_slot_unref(run->call);
        if (e) {
                run_endf(run, PEER_RUN_UNREACHABLE, "%s", e->message ?: e->name);
                return 0;
        }
        if (sd_bus_message_read(reply, SYSOPS_JOB_REPLY, &message, &id, &path) < 0 ||
            !(run->job_id = strdup(id)) || !(run->job_path = strdup(path))) {
                run_end(run, PEER_RUN_UNREACHABLE, "harper-sysopsd sent a malformed answer.");
                return 0;
        }
        log_info("%s started restart job %s.", run->node, id);
        run->callback(PEER_RUN_STARTED, id, run->userdata);

        /* the job may be over already: its signals came before we knew its path */
        r = sd_bus_call_method_async(run->bus, &run->call, SYSOPS_BUS_NAME, run->job_path,
                                     "org.freedesktop.DBus.Properties", "GetAll", on_job_read, run, "s",
                                     SYSOPS_JOB_INTERFACE);
        if (r < 0)
                run_endf(run, PEER_RUN_FAILED, "Cannot follow its restart job %s: %s", id, strerror(-r));
        return 0;
}

static void lost(PeerRun *run, const char *what) {
        if (run->job_id)
                run_endf(run, PEER_RUN_FAILED, "%s while its restart job %s ran.", what, run->job_id);
        /* before the answer: the pending call gets an error reply, which says it */
}

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        PeerRun *run = ASSERT_PTR(userdata);
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 || *new_owner)
                return 0;
        lost(run, "harper-sysopsd went away");
        return 0;
}

static int on_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        lost(ASSERT_PTR(userdata), "Lost the connection");
        return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        /* Harper's words for a peer that does not finish in time */
        run_end(ASSERT_PTR(userdata), PEER_RUN_FAILED, "Timed out waiting for restart job to complete");
        return 0;
}

/* s escaped for a D-Bus address value: every byte but [-_/.a-zA-Z0-9] as %XX. */
static char *address_escape(const char *s) {
        char *escaped = malloc(strlen(s) * 3 + 1), *p = escaped;

        if (!escaped)
                return NULL;
        for (; *s; s++)
                if (strchr("-_/.", *s) || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                    (*s >= '0' && *s <= '9'))
                        *p++ = *s;
                else
                        p += sprintf(p, "%%%02x", (unsigned char) *s);
        *p = 0;
        return escaped;
}

/* ssh to host, then systemd-stdio-bridge there: the node's system bus, as busctl -H, but never
 * asking anyone anything (BatchMode), checking the host key, bounded, with the admin's ssh
 * configuration (its identity, known hosts, user, port) when there is one. */
static char *ssh_address(const char *host, const char *ssh_config) {
        _cleanup_free_ char *h = address_escape(host);
        _cleanup_free_ char *f = ssh_config ? address_escape(ssh_config) : NULL;

        if (!h || (ssh_config && !f))
                return NULL;
        if (!f)
                return text_printf("unixexec:path=ssh,argv1=-xT,argv2=-oBatchMode%%3dyes,"
                                   "argv3=-oStrictHostKeyChecking%%3dyes,argv4=-oConnectTimeout%%3d%u,argv5=--,"
                                   "argv6=%s,argv7=systemd-stdio-bridge", PEER_SSH_CONNECT_TIMEOUT_SEC, h);
        return text_printf("unixexec:path=ssh,argv1=-xT,argv2=-oBatchMode%%3dyes,"
                           "argv3=-oStrictHostKeyChecking%%3dyes,argv4=-oConnectTimeout%%3d%u,argv5=-F,argv6=%s,"
                           "argv7=--,argv8=%s,argv9=systemd-stdio-bridge", PEER_SSH_CONNECT_TIMEOUT_SEC, f, h);
}

static int connect_peer(PeerRun *run, const PeerConfig *peer, const char *ssh_config) {
        _cleanup_free_ char *ssh = NULL;
        int r;

        if (peer->ssh) {
                ssh = ssh_address(peer->ssh, ssh_config);
                if (!ssh)
                        return -ENOMEM;
        }
        r = sd_bus_new(&run->bus);
        if (r < 0)
                return r;
        r = sd_bus_set_address(run->bus, ssh ?: peer->address);
        if (r < 0)
                return r;
        r = sd_bus_set_bus_client(run->bus, 1);
        if (r < 0)
                return r;
        return sd_bus_start(run->bus);
}

/* The matches go out before the call: the peer's signals about its job cannot be missed. */
static int add_matches(PeerRun *run) {
        int r;

        r = sd_bus_match_signal(run->bus, &run->disconnected_match, "org.freedesktop.DBus.Local",
                                "/org/freedesktop/DBus/Local", "org.freedesktop.DBus.Local", "Disconnected",
                                on_disconnected, run);
        if (r < 0)
                return r;
        r = sd_bus_add_match_async(run->bus, &run->properties_match,
                                   "type='signal',sender='" SYSOPS_BUS_NAME "',"
                                   "interface='org.freedesktop.DBus.Properties',member='PropertiesChanged',"
                                   "path_namespace='" SYSOPS_JOB_PATH_PREFIX "'",
                                   on_properties_changed, NULL, run);
        if (r < 0)
                return r;
        return sd_bus_add_match_async(run->bus, &run->owner_match,
                                      "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
                                      "member='NameOwnerChanged',arg0='" SYSOPS_BUS_NAME "'",
                                      on_owner_changed, NULL, run);
}

static int ask_restart(PeerRun *run, const char *service) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        int r;

        r = sd_bus_message_new_method_call(run->bus, &call, SYSOPS_BUS_NAME, SYSOPS_OBJECT_PATH, SYSOPS_INTERFACE,
                                           service ? "RestartService" : "Restart");
        if (r < 0)
                return r;
        /* replicated false: the peer restarts itself only, it does not fan out again */
        r = service ? sd_bus_message_append(call, "sb", service, 0) : 0;
        if (r < 0)
                return r;
        return sd_bus_call_async(run->bus, &run->call, call, on_started, run, 0);
}

/* Connects, listens, asks the peer and sets the time bound. */
static int run_begin(PeerRun *run, const PeerConfig *peer, const char *ssh_config, const char *service) {
        int r;

        r = connect_peer(run, peer, ssh_config);
        if (r < 0)
                return r;
        r = sd_bus_attach_event(run->bus, run->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return r;
        r = add_matches(run);
        if (r < 0)
                return r;
        r = ask_restart(run, service);
        if (r < 0)
                return r;
        return sd_event_add_time_relative(run->event, &run->timeout, CLOCK_MONOTONIC, run->timeout_usec, 0,
                                          on_timeout, run);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(PeerRun *, run_free);

int peer_run_start(PeerRun **ret, sd_event *event, const PeerConfig *peer, const char *ssh_config,
                   const char *service, uint64_t timeout_usec, peer_run_callback_t callback, void *userdata) {
        _cleanup_(run_freep) PeerRun *run = NULL;
        int r;

        assert(ret);
        assert(event);
        assert(peer);
        assert(callback);

        run = calloc(1, sizeof(PeerRun));
        if (!run)
                return -ENOMEM;
        *run = (PeerRun) { .event = sd_event_ref(event), .callback = callback, .userdata = userdata,
                           .timeout_usec = timeout_usec, .node = strdup(peer->name) };
        if (!run->node)
                return -ENOMEM;
        r = run_begin(run, peer, ssh_config, service);
        if (r < 0)
                return log_warning_errno(r, "Cannot reach %s: %m", peer->name);
        *ret = TAKE_PTR(run);
        return 0;
}

void peer_run_cancel(PeerRun *run) {
        if (run && !run->over)
                run_free(run);
}
