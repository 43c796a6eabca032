/* SPDX-License-Identifier: MIT */
/* The Context's life: new (configuration, state, event loop), serve (bus, clients, objects,
 * name), apply a new configuration (SIGHUP), free. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "bus-budget.h"
#include "bus-job.h"
#include "bus-status.h"
#include "context.h"
#include "log.h"
#include "status-fdstore.h"
#include "sysops-names.h"
#include "text.h"

/* ---- The configuration ---- */

/* Reads path into *config; a problem is a sentence in *ret_problem (-ENOMEM: none). */
static int load(Config *config, const char *path, bool required, char **ret_problem) {
        _cleanup_free_ char *problem = NULL;
        int r;

        config_defaults(config);
        r = config_load(config, path, required, &problem);
        if (r >= 0)
                return 0;
        config_done(config);
        *ret_problem = problem ? TAKE_PTR(problem) : text_printf("%s: %s", path, strerror(-r));
        return *ret_problem ? r : -ENOMEM;
}

/* Where the systemd manager is as cf says (NULL: the system bus), and whether it is reached
 * directly: "auto" goes to PID 1's private socket when bus's manager is PID 1 and we are root. */
static const char *systemd_address(const Config *cf, sd_bus *bus, bool *ret_direct) {
        if (cf->systemd == SYSTEMD_AUTO && systemd_client_pid1_has_private_socket(bus)) {
                *ret_direct = true;
                return SYSTEMD_CLIENT_PRIVATE_SOCKET;
        }
        *ret_direct = cf->systemd == SYSTEMD_PRIVATE;
        return cf->systemd_address;
}

typedef struct HarperCheck {
        bool done;
        HarperTarget target;
        char *error;
} HarperCheck;

static void on_harper_checked(const HarperTarget *t, const char *error, void *userdata) {
        HarperCheck *check = ASSERT_PTR(userdata);

        check->done = true;
        if (t && harper_target_copy(&check->target, t) >= 0)
                return;
        check->error = strdup(error ?: "Out of memory.");
}

/* Finds Harper as the next restart will (a question to the systemd manager cf names). */
static int check_harper(const Config *cf, HarperCheck *check) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(systemd_client_freep) SystemdClient *systemd = NULL;
        _cleanup_(harper_locator_freep) HarperLocator *locator = NULL;
        const char *address;
        bool direct;
        int r;

        r = sd_event_new(&event);
        if (r < 0)
                return r;
        r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        address = systemd_address(cf, bus, &direct);
        r = systemd_client_new(&systemd, event, address, direct, (uint64_t) cf->unit_timeout_sec * 1000000ULL);
        if (r < 0)
                return r;
        r = harper_locator_new(&locator, cf, systemd);
        if (r < 0)
                return r;
        r = harper_locator_find(locator, HARPER_FIND_FRESH, on_harper_checked, check, NULL);
        /* bounded by the systemd client's call timeout */
        while (r >= 0 && !check->done)
                r = sd_event_run(event, UINT64_MAX);
        return r < 0 ? r : 0;
}

/* --check-config: where Harper is and how it was found, or what was looked at and which key
 * says where it is; so an admin knows before a restart needs it. */
static void print_harper(const Config *cf) {
        HarperCheck check = {};
        int r;

        if (!cf->harper.api) {
                printf("Harper: not looked for (harper.api is false).\n");
                return;
        }
        r = check_harper(cf, &check);
        if (r < 0)
                printf("Harper: not looked for: cannot ask the systemd manager: %s.\n", strerror(-r));
        else if (check.error)
                printf("Harper: not found: %s\n", check.error);
        else
                printf("Harper: %s\n"
                       "Harper's operations socket: %s\n"
                       "Harper's operations port: %s\n",
                       check.target.found_by ?: "found", check.target.socket,
                       check.target.tcp_url ?: "none (operationsApi.network.port is not set)");
        harper_target_done(&check.target);
        free(check.error);
}

int context_check_config(const char *path, bool required) {
        _cleanup_free_ char *problem = NULL;
        Config config;

        assert(path);
        if (load(&config, path, required, &problem) < 0) {
                fprintf(stderr, "%s\n", problem ?: "Out of memory.");
                return 1;
        }
        printf("%s: OK\n", path);
        print_harper(&config);
        config_done(&config);
        return 0;
}

/* At start: a bad file is logged and kept in c->config_problem. Fails only when out of memory. */
static int load_config(Context *c, const char *path, bool required) {
        c->config_path = path;
        c->config_required = required;
        if (load(&c->config, path, required, &c->config_problem) < 0) {
                if (!c->config_problem)
                        return -ENOMEM;
                log_error("Bad configuration: %s", c->config_problem);
                config_defaults(&c->config);   /* only so that what is freed is defined */
        }
        job_table_init(&c->jobs, c->config.jobs_kept);
        return 0;
}

/* While the configuration is bad every call of ours gets the same answer, at once. */
static int refuse_while_bad(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Context *c = ASSERT_PTR(userdata);
        const char *interface = sd_bus_message_get_interface(m);

        if (!c->config_problem || !sd_bus_message_is_method_call(m, NULL, NULL) || !interface ||
            (strcmp(interface, SYSOPS_INTERFACE) != 0 && strcmp(interface, SYSOPS_JOB_INTERFACE) != 0))
                return 0;
        (void) sd_bus_reply_method_errorf(m, SYSOPS_ERROR_BAD_CONFIGURATION,
                                          "harper-sysopsd does not run: bad configuration: %s (fix it, then "
                                          "systemctl reload harper-sysopsd; journalctl -u harper-sysopsd)",
                                          c->config_problem);
        return 1;
}

static void notify_ready(const Context *c) {
        _cleanup_free_ char *status = c->config_problem ?
                text_printf("STATUS=Bad configuration: %s", c->config_problem) :
                text_printf("STATUS=Serving %s", SYSOPS_BUS_NAME);

        (void) sd_notifyf(0, "READY=1\n%s", status ?: "STATUS=");
}

/* ---- The clients: of systemd, of Harper, the Harper locator and the status mirror ---- */

/* Keeps the statuses in Harper too when the configuration says Harper speaks its API. */
static int start_mirror(Context *c) {
        int r;

        if (!c->config.harper.api) {
                c->statuses.complete = true;   /* no other copy to read */
                return 0;
        }
        r = status_mirror_new(&c->mirror, c->event, c->locator, c->harper, &c->statuses,
                              bus_statuses_known, c);
        if (r < 0)
                return log_error_errno(r, "Cannot keep the statuses in Harper: %m");
        return 0;
}

static int connect_clients(Context *c) {
        const Config *cf = &c->config;
        bool direct;
        const char *address = systemd_address(cf, c->bus, &direct);
        int r;

        log_info("Talking to systemd %s%s.", direct ? "over its private socket " : "on ",
                 address ?: "the system bus");
        r = systemd_client_new(&c->systemd, c->event, address, direct, (uint64_t) cf->unit_timeout_sec * 1000000ULL);
        if (r < 0)
                return r;
        r = harper_locator_new(&c->locator, &c->config, c->systemd);
        if (r < 0)
                return r;
        r = harper_client_new(&c->harper, c->event);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the client of Harper's operations API: %m");
        return start_mirror(c);
}

/* ---- A new configuration ---- */

/* The new configuration takes over; running jobs go on with it, statuses stay. */
static int apply(Context *c, Config *fresh) {
        bool was_bad = c->config_problem != NULL;

        if (!was_bad && (c->config.systemd != fresh->systemd ||
                         (c->config.systemd_address && fresh->systemd_address &&
                          strcmp(c->config.systemd_address, fresh->systemd_address) != 0)))
                log_warning("systemd_bus changes only when harper-sysopsd restarts.");
        c->mirror = status_mirror_free(c->mirror);
        if (c->locator)
                harper_locator_forget(c->locator);   /* the harper section may say otherwise now */
        config_done(&c->config);
        c->config = *fresh;
        c->jobs.max_finished = c->config.jobs_kept;
        free(c->config_problem);
        c->config_problem = NULL;
        return was_bad ? connect_clients(c) : start_mirror(c);
}

static int on_reload(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Context *c = ASSERT_PTR(userdata);
        _cleanup_free_ char *problem = NULL;
        Config fresh;

        (void) sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu", (unsigned long long) monotonic_usec());
        if (load(&fresh, c->config_path, c->config_required, &problem) < 0)
                log_error("Reload refused, the running configuration stays: %s", problem ?: "out of memory");
        else if (apply(c, &fresh) < 0)
                log_error("The new configuration is read, but its clients could not be set up.");
        else
                log_info("Configuration reloaded from %s.", c->config_path);
        notify_ready(c);
        return 0;
}

/* ---- On the bus ---- */

static int add_objects(Context *c, const sd_bus_vtable *vtable) {
        int r;

        r = sd_bus_add_object_vtable(c->bus, NULL, SYSOPS_OBJECT_PATH, SYSOPS_INTERFACE, vtable, c);
        if (r < 0)
                return log_error_errno(r, "Cannot register %s: %m", SYSOPS_OBJECT_PATH);
        r = sd_bus_add_filter(c->bus, NULL, bus_statuses_get_filter, c);
        if (r < 0)
                return log_error_errno(r, "Cannot add the filter for Statuses: %m");
        r = sd_bus_add_object_manager(c->bus, NULL, "/");
        if (r < 0)
                return log_error_errno(r, "Cannot register the object manager: %m");
        return 0;
}

static int own_name(Context *c) {
        int r;

        r = sd_bus_request_name(c->bus, SYSOPS_BUS_NAME, 0);
        if (r < 0)
                return log_error_errno(r, "Cannot own %s on the system bus: %m%s", SYSOPS_BUS_NAME,
                                       r == -EACCES ? " (not root, or the bus policy file is not installed?)" :
                                       r == -EEXIST ? " (another instance runs)" : "");
        return 0;
}

/* SIGHUP reloads; the refusing filter answers while the configuration is bad. */
static int attach_reload(Context *c) {
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGHUP);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        r = sd_event_add_signal(c->event, NULL, SIGHUP, on_reload, c);
        if (r < 0)
                return r;
        return sd_bus_add_filter(c->bus, NULL, refuse_while_bad, c);
}

static bool awaits_polkit(sd_bus_message *m, void *userdata) {
        Context *c = ASSERT_PTR(userdata);

        return c->authorizer && authorizer_awaits(c->authorizer, m);
}

static void on_allowed(uid_t uid, void *userdata) {
        Context *c = ASSERT_PTR(userdata);

        if (c->budget)
                bus_budget_trust_uid(c->budget, uid);
}

static void on_identified(const char *sender, uid_t uid, void *userdata) {
        Context *c = ASSERT_PTR(userdata);

        if (c->authorizer)
                authorizer_learn_sender_uid(c->authorizer, sender, uid);
}

int context_serve(Context *c, const sd_bus_vtable *vtable, uint64_t polkit_timeout_usec) {
        int r;

        assert(c);
        assert(vtable);
        r = sd_bus_open_system(&c->bus);
        if (r < 0)
                return log_error_errno(r, "Cannot connect to the system bus: %m");
        /* with a bad configuration nothing runs: no clients, every call is refused */
        if (!c->config_problem) {
                r = connect_clients(c);
                if (r < 0)
                        return r;
        }
        r = authorizer_new(&c->authorizer, c->bus, polkit_timeout_usec);
        if (r < 0)
                return r;
        r = add_objects(c, vtable);
        if (r < 0)
                return r;
        r = sd_bus_attach_event(c->bus, c->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return r;
        /* the bus going away ends the loop: systemd restarts us, statuses are in memory only */
        r = sd_bus_set_exit_on_disconnect(c->bus, 1);
        if (r < 0)
                return r;
        /* last, so nobody calls before the objects exist */
        r = own_name(c);
        if (r < 0)
                return r;
        r = attach_reload(c);
        if (r < 0)
                return log_error_errno(r, "Cannot set up reloading: %m");
        /* last: the newest filter runs first, so that it sees every call before the others */
        r = bus_budget_new(&c->budget, c->bus, c->event, &c->jobs);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the callers' budget: %m");
        authorizer_on_allowed(c->authorizer, on_allowed, c);
        bus_budget_on_returning(c->budget, awaits_polkit, c);
        bus_budget_on_identified(c->budget, on_identified, c);
        notify_ready(c);
        return 0;
}

/* ---- New and free ---- */

int context_new(Context **ret, const char *config_path, bool config_required) {
        _cleanup_(context_freep) Context *c = NULL;
        int r;

        assert(ret);
        assert(config_path);
        c = calloc(1, sizeof(Context));
        if (!c)
                return log_oom();
        status_store_init(&c->statuses);
        (void) status_fdstore_load(&c->statuses);   /* a restart keeps them; else Harper's are read back */
        r = load_config(c, config_path, config_required);
        if (r < 0)
                return r;
        r = sysinfo_state_new(&c->sysinfo);
        if (r < 0)
                return r;
        r = sd_event_default(&c->event);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the event loop: %m");
        /* pings systemd's watchdog (WatchdogSec=) from the loop, when asked to */
        r = sd_event_set_watchdog(c->event, true);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the event loop: %m");
        r = bus_jobs_setup(c);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the event loop: %m");
        *ret = TAKE_PTR(c);
        return 0;
}

/* Running jobs end in ERROR, saying why; systemd finishes their units' jobs. */
static void abandon_jobs(Context *c) {
        for (Job *j = c->jobs.first; j; j = j->next)
                if (!job_is_finished(j))
                        bus_job_abandon(c, j, "harper-sysopsd is stopping; systemd finishes the units' jobs on its own.");
}

Context *context_free(Context *c) {
        if (!c)
                return NULL;
        abandon_jobs(c);
        /* freeing the systemd client answers the questions still out to it: the Harper searches
         * (of the mirror and the jobs too) and the SystemInformation calls waiting for them use
         * the mirror, the locator and the sysinfo state */
        c->systemd = systemd_client_free(c->systemd);
        c->mirror = status_mirror_free(c->mirror);
        c->sysinfo = sysinfo_state_free(c->sysinfo);
        /* the engine's Harper steps hold searches of the locator and calls of the Harper client */
        bus_jobs_done(c);
        c->locator = harper_locator_free(c->locator);
        c->harper = harper_client_free(c->harper);
        c->authorizer = authorizer_free(c->authorizer);
        c->budget = bus_budget_free(c->budget);
        c->bus = sd_bus_flush_close_unref(c->bus);
        c->event = sd_event_unref(c->event);
        status_store_done(&c->statuses);
        config_done(&c->config);
        free(c->config_problem);
        free(c);
        return NULL;
}
