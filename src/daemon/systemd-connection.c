/* SPDX-License-Identifier: MIT */
/* The connection to the systemd manager: made when first needed, subscribed to the job
 * signals before any job is asked for, and when the manager leaves (daemon-reexec, a crash, a
 * bus that went away) asked for again every RECONNECT_USEC for the grace period, while the
 * runs that have a systemd job wait for it (systemd-jobs.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "systemd-client-internal.h"
#include "text.h"

/* A manager that left is asked for again this often; while it is away, Subscribe()'s answer
 * is awaited only this long, so that its absence is noticed and asked again. */
#define RECONNECT_USEC (200 * 1000ULL)
#define RECONNECT_ASK_USEC (1000 * 1000ULL)

/* Every run ends: the manager did not come back. */
static void give_up(SystemdClient *c, const char *why) {
        c->lost_usec = 0;
        free(c->lost_why);
        c->lost_why = NULL;
        c->reconnect = sd_event_source_disable_unref(c->reconnect);
        systemd_jobs_fail(c, why);
}

static int on_reconnect(sd_event_source *s, uint64_t usec, void *userdata) {
        SystemdClient *c = ASSERT_PTR(userdata);

        if (monotonic_usec() - c->lost_usec > c->grace_usec) {
                _cleanup_free_ char *why = text_printf("%s (it did not come back within %llu s)", c->lost_why,
                                                       (unsigned long long) (c->grace_usec / 1000000));
                give_up(c, why ?: "systemd went away");
                return 0;
        }
        /* Subscribe()'s answer says whether the manager is really there (on_subscribed) */
        if (systemd_client_connect(c) >= 0)
                return 0;
        (void) sd_event_source_set_time_relative(s, RECONNECT_USEC);
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
        Closing *closing = ASSERT_PTR(userdata);

        sd_bus_close_unref(closing->bus);
        sd_event_source_disable_unref(closing->source);
        free(closing);
        return 0;
}

static void close_later(SystemdClient *c, sd_bus *bus) {
        _cleanup_free_ Closing *closing = NULL;

        if (!bus)
                return;
        (void) sd_bus_detach_event(bus);
        closing = malloc(sizeof(Closing));
        if (closing) {
                closing->bus = bus;
                if (sd_event_add_defer(c->event, &closing->source, on_close_later, closing) >= 0) {
                        TAKE_PTR(closing);
                        return;
                }
        }
        sd_bus_close_unref(bus);
}

/* Forgets the connection. Lists and runs whose job was not queued yet end at once; runs whose
 * job systemd has wait for the manager to come back (a daemon-reexec) for a while. */
static void lose_manager(SystemdClient *c, const char *why) {
        sd_bus *old = TAKE_PTR(c->bus);

        systemd_jobs_manager_lost(c, why);
        close_later(c, old);
        if (!c->runs)
                return;
        if (!c->lost_usec) {
                c->lost_usec = monotonic_usec();
                free(c->lost_why);
                c->lost_why = strdup(why);
                log_warning("Lost the systemd manager (%s); waiting up to %llu s for it to come back.", why,
                            (unsigned long long) (c->grace_usec / 1000000));
        }
        if (!c->reconnect &&
            sd_event_add_time_relative(c->event, &c->reconnect, CLOCK_MONOTONIC, RECONNECT_USEC, 1000, on_reconnect, c) < 0)
                return give_up(c, why);
        (void) sd_event_source_set_time_relative(c->reconnect, RECONNECT_USEC);
        (void) sd_event_source_set_enabled(c->reconnect, SD_EVENT_ONESHOT);
}

static int on_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        SystemdClient *c = ASSERT_PTR(userdata);

        if (c->bus != sd_bus_message_get_bus(m))
                return 0;   /* a connection already given up */
        log_warning("Lost the connection to the systemd manager's bus.");
        lose_manager(c, "the connection to systemd was lost");
        return 0;
}

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        SystemdClient *c = ASSERT_PTR(userdata);
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 || strcmp(name, SYSTEMD_NAME) != 0 ||
            c->bus != sd_bus_message_get_bus(m))
                return 0;
        if (!*old_owner)
                return 0;
        /* a new manager needs a new Subscribe(): connect afresh */
        log_warning("The systemd manager left the bus.");
        lose_manager(c, "systemd went away");
        return 0;
}

static int on_subscribed(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        SystemdClient *c = ASSERT_PTR(userdata);
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (c->bus != sd_bus_message_get_bus(reply))
                return 0;
        /* without the subscription no JobRemoved comes: nothing could finish */
        if (e) {
                _cleanup_free_ char *why = text_printf("systemd did not take the subscription to its job signals: %s",
                                                       e->message);
                log_warning("%s", why ?: "Cannot subscribe to systemd's job signals.");
                lose_manager(c, why ?: "systemd did not take the subscription to its job signals");
                return 0;
        }
        if (!c->lost_usec)
                return 0;
        c->lost_usec = 0;
        c->reconnect = sd_event_source_disable_unref(c->reconnect);
        systemd_jobs_resume(c);
        return 0;
}

/* Asks for the job signals; while the manager is away (re-executing) the answer is awaited only
 * briefly, so that its absence is noticed and asked again. */
static int subscribe(SystemdClient *c, sd_bus *bus) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, SYSTEMD_NAME, SYSTEMD_PATH, SYSTEMD_MANAGER, "Subscribe");
        if (r < 0)
                return r;
        return sd_bus_call_async(bus, NULL, m, on_subscribed, c, c->lost_usec ? RECONNECT_ASK_USEC : SYSTEMD_CALL_USEC);
}

/* The system bus, a bus at c->address, or the manager's private socket (a peer: no Hello). */
static int open_bus(SystemdClient *c, sd_bus **ret) {
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *address = NULL;
        int r;

        if (!c->address)
                return sd_bus_open_system(ret);
        address = c->direct ? text_printf("unix:path=%s", c->address) : strdup(c->address);
        if (!address)
                return -ENOMEM;
        r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        r = sd_bus_set_address(bus, address);
        if (r < 0)
                return r;
        r = sd_bus_set_bus_client(bus, !c->direct);
        if (r < 0)
                return r;
        r = sd_bus_start(bus);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(bus);
        return 0;
}

/* The matches and Subscribe() go out before any job request on the same connection; the bus
 * and systemd handle one sender's messages in order, so no JobRemoved can be missed. */
static int watch_manager(SystemdClient *c, sd_bus *bus) {
        /* on a direct connection messages carry no sender, and there is no bus to tell owners */
        const char *sender = c->direct ? NULL : SYSTEMD_NAME;
        int r;

        r = sd_bus_attach_event(bus, c->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return r;
        r = sd_bus_match_signal(bus, NULL, "org.freedesktop.DBus.Local", "/org/freedesktop/DBus/Local",
                                "org.freedesktop.DBus.Local", "Disconnected", on_disconnected, c);
        if (r < 0)
                return r;
        r = sd_bus_match_signal_async(bus, NULL, sender, SYSTEMD_PATH, SYSTEMD_MANAGER, "JobRemoved",
                                      systemd_jobs_on_job_removed, NULL, c);
        if (r < 0)
                return r;
        /* a direct connection ends when the manager does: Disconnected says it */
        if (!c->direct) {
                r = sd_bus_add_match_async(bus, NULL,
                                           "type='signal',sender='org.freedesktop.DBus',"
                                           "interface='org.freedesktop.DBus',member='NameOwnerChanged',"
                                           "arg0='" SYSTEMD_NAME "'",
                                           on_owner_changed, NULL, c);
                if (r < 0)
                        return r;
        }
        return subscribe(c, bus);
}

static int connect_manager(SystemdClient *c, sd_bus **ret) {
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        int r;

        r = open_bus(c, &bus);
        if (r < 0)
                return r;
        r = watch_manager(c, bus);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(bus);
        return 0;
}

/* Connects when needed; no call here waits. */
int systemd_client_connect(SystemdClient *c) {
        int r;

        assert(c);
        if (c->bus)
                return 0;
        r = connect_manager(c, &c->bus);
        if (r < 0)
                return log_error_errno(r, "Cannot connect to the systemd manager at %s: %m",
                                       c->address ?: "the system bus");
        return 0;
}

void systemd_client_set_manager_grace(SystemdClient *c, uint64_t usec) {
        assert(c);
        c->grace_usec = usec;
}

int systemd_client_new(SystemdClient **ret, sd_event *event, const char *address, bool direct,
                       uint64_t unit_timeout_usec) {
        _cleanup_(systemd_client_freep) SystemdClient *c = NULL;

        assert(ret);
        assert(event);
        c = calloc(1, sizeof(SystemdClient));
        if (!c)
                return -ENOMEM;
        c->event = sd_event_ref(event);
        c->direct = direct && address;
        c->unit_timeout_usec = unit_timeout_usec;
        c->grace_usec = SYSTEMD_MANAGER_GRACE_USEC;
        if (address) {
                c->address = strdup(address);
                if (!c->address)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(c);
        return 0;
}

SystemdClient *systemd_client_free(SystemdClient *c) {
        if (!c)
                return NULL;
        /* on exit nobody is told: the runs just end */
        systemd_jobs_free_all(c);
        c->reconnect = sd_event_source_disable_unref(c->reconnect);
        c->bus = sd_bus_flush_close_unref(c->bus);
        sd_event_unref(c->event);
        free(c->lost_why);
        free(c->address);
        free(c);
        return NULL;
}

/* Asked once, at start (a synchronous question, before anyone is served). */
bool systemd_client_pid1_has_private_socket(sd_bus *bus) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        pid_t pid = 0;

        assert(bus);
        if (geteuid() != 0 || access(SYSTEMD_CLIENT_PRIVATE_SOCKET, F_OK) < 0)
                return false;
        if (sd_bus_get_name_creds(bus, SYSTEMD_NAME, SD_BUS_CREDS_PID, &creds) >= 0)
                (void) sd_bus_creds_get_pid(creds, &pid);
        return pid == 1;
}
