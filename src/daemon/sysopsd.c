/* SPDX-License-Identifier: MIT */
/* harper-sysopsd: Harper's system operations as a D-Bus system service. This file is the
 * program: options, event loop, bus connection, the interface's vtable. Each operation's
 * glue lives in bus-<operation>.c, its logic in src/shared. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "bus-job.h"
#include "bus-refusals.h"
#include "bus-restart.h"
#include "bus-status.h"
#include "bus-sysinfo.h"
#include "config.h"
#include "config-state.h"
#include "context.h"
#include "log.h"
#include "sysops-errors.h"
#include "sysops-names.h"

/* polkitd gives a rules script 15 s, and polkitd 122 (Debian 12) now and then waits all of
 * them for one that has finished: a denial before then would be false. 20 s is also the most
 * allowed, so that callers still hear before their own 25 s timeout. */
#define DEFAULT_POLKIT_TIMEOUT_SEC 20

typedef struct Options {
        unsigned polkit_timeout_sec;
        int log_level;
        const char *config_file;
        bool config_required;  /* given on the command line: it must exist */
        bool check_config;     /* only check the file */
} Options;

/* The calls that change state, logged when refused (bus-refusals.c); the handlers stay as
 * they are. */
#define LOGGED(handler)                                                                         \
        static int logged_##handler(sd_bus_message *m, void *userdata, sd_bus_error *error) {   \
                int r = handler(m, userdata, error);                                            \
                bus_log_refusal(userdata, m, r, error);                                         \
                return r;                                                                       \
        }
LOGGED(method_set_status)
LOGGED(method_clear_status)
LOGGED(method_restart)
LOGGED(method_restart_service)

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        /* Statuses are for super users: the property is left out of GetAll() and its change
         * signal says only "changed"; panels then call ListStatuses, which polkit guards */
        SD_BUS_PROPERTY("Statuses", "a" SYSOPS_STATUS_RECORD, property_get_statuses, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION | SD_BUS_VTABLE_PROPERTY_EXPLICIT),
        SD_BUS_METHOD_WITH_ARGS("SetStatus",
                                SD_BUS_ARGS("s", id, "s", status),
                                SD_BUS_RESULT(SYSOPS_STATUS_RECORD, record),
                                logged_method_set_status, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetStatus",
                                SD_BUS_ARGS("s", id),
                                SD_BUS_RESULT(SYSOPS_STATUS_RECORD, record),
                                method_get_status, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListStatuses",
                                SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("a" SYSOPS_STATUS_RECORD, records),
                                method_list_statuses, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ClearStatus",
                                SD_BUS_ARGS("s", id),
                                SD_BUS_NO_RESULT,
                                logged_method_clear_status, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Restart",
                                SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("s", message, "s", job_id, "o", job),
                                logged_method_restart, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RestartService",
                                SD_BUS_ARGS("s", service, "b", replicated),
                                SD_BUS_RESULT("s", message, "s", job_id, "o", job),
                                logged_method_restart_service, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SystemInformation",
                                SD_BUS_ARGS("as", attributes),
                                SD_BUS_RESULT("s", json),
                                method_system_information, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetJob",
                                SD_BUS_ARGS("s", id),
                                SD_BUS_RESULT("o", job),
                                method_get_job, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END
};

static void help(void) {
        printf("Usage: harper-sysopsd [OPTIONS]\n"
               "\n"
               "Harper's system operations (restarts as systemd jobs, system information,\n"
               "statuses) as the D-Bus service " SYSOPS_BUS_NAME " on the system bus.\n"
               "Callers are authorized by polkit; normally started by systemd or D-Bus activation.\n"
               "See harper-sysopsd(8), and sysops.json(5) for the configuration.\n"
               "\n"
               "  -h --help                 Show this help and exit\n"
               "     --version              Show the version and exit\n"
               "     --config=FILE          Read the configuration from FILE (default\n"
               "                            " SYSOPS_CONFIG_FILE ", optional)\n"
               "     --check-config         Check the configuration file and exit (1 when bad)\n"
               "     --polkit-timeout=SEC   Deny a call when polkit has not answered within SEC\n"
               "                            seconds (default %d; calls that allow interactive\n"
               "                            authentication wait up to 300 s)\n"
               "  -v --verbose              Log debug messages too\n"
               "\n"
               "The bus is the system bus, or $DBUS_SYSTEM_BUS_ADDRESS when set.\n",
               DEFAULT_POLKIT_TIMEOUT_SEC);
}

/* Returns 1 to run, 0 to exit successfully (help, version), <0 on a bad option. */
static int parse_options(int argc, char *argv[], Options *o) {
        enum { OPT_VERSION = 0x100, OPT_POLKIT_TIMEOUT, OPT_CONFIG, OPT_CHECK_CONFIG };
        static const struct option long_options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, OPT_VERSION },
                { "polkit-timeout", required_argument, NULL, OPT_POLKIT_TIMEOUT },
                { "config", required_argument, NULL, OPT_CONFIG },
                { "check-config", no_argument, NULL, OPT_CHECK_CONFIG },
                { "verbose", no_argument, NULL, 'v' },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "hv", long_options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case OPT_VERSION:
                        printf("harper-sysopsd %s\n", PACKAGE_VERSION);
                        return 0;
                case OPT_POLKIT_TIMEOUT: {
                        char *end;
                        unsigned long v;
                        errno = 0;
                        v = strtoul(optarg, &end, 10);
                        if (errno || *end || end == optarg || v == 0 || v > 20) {
                                /* a caller waits 25 s by default: answer before it gives up */
                                log_error("--polkit-timeout wants whole seconds from 1 to 20, not '%s'.", optarg);
                                return -EINVAL;
                        }
                        o->polkit_timeout_sec = (unsigned) v;
                        break;
                }
                case OPT_CONFIG:
                        o->config_file = optarg;
                        o->config_required = true;
                        break;
                case OPT_CHECK_CONFIG:
                        o->check_config = true;
                        break;
                case 'v':
                        o->log_level = LOG_DEBUG;
                        break;
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                log_error("Unexpected argument '%s'; see --help.", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Context *c = userdata;

        log_info("Received %s, exiting.", strsignal((int) si->ssi_signo));
        (void) sd_notify(0, "STOPPING=1");
        return sd_event_exit(c->event, 0);
}

int context_start_mirror(Context *c) {
        int r;

        if (!c->config.harper.api)
                return 0;
        r = status_mirror_new(&c->mirror, c->event, &c->config, c->systemd, c->harper, &c->statuses,
                              bus_statuses_adopted, c);
        if (r < 0)
                log_error("Cannot keep the statuses in Harper: %s", strerror(-r));
        return r;
}

int context_connect_clients(Context *c) {
        const Config *cf = &c->config;
        bool direct = cf->systemd == SYSTEMD_PRIVATE;
        const char *address = cf->systemd_address;
        int r;

        if (cf->systemd == SYSTEMD_AUTO && systemd_client_pid1_has_private_socket(c->bus)) {
                direct = true;
                address = SYSTEMD_CLIENT_PRIVATE_SOCKET;
        }
        log_info("Talking to systemd %s%s.", direct ? "over its private socket " : "on ",
                 address ? address : "the system bus");
        r = systemd_client_new(&c->systemd, c->event, address, direct, (uint64_t) cf->unit_timeout_sec * 1000000ULL);
        if (r < 0)
                return r;
        r = harper_client_new(&c->harper, c->event);
        if (r < 0) {
                log_error("Cannot set up the client of Harper's operations API: %s", strerror(-r));
                return r;
        }
        return context_start_mirror(c);
}

static int connect_bus(Context *c, const Options *o) {
        int r;

        r = sd_bus_open_system(&c->bus);
        if (r < 0) {
                log_error("Cannot connect to the system bus: %s", strerror(-r));
                return r;
        }
        /* with a bad configuration nothing runs: no clients, every call is refused */
        r = c->config_problem ? 0 : context_connect_clients(c);
        if (r < 0)
                return r;
        r = authorizer_new(&c->authorizer, c->bus, (uint64_t) o->polkit_timeout_sec * 1000000ULL);
        if (r < 0)
                return r;
        r = sd_bus_add_object_vtable(c->bus, NULL, SYSOPS_OBJECT_PATH, SYSOPS_INTERFACE, manager_vtable, c);
        if (r < 0) {
                log_error("Cannot register %s: %s", SYSOPS_OBJECT_PATH, strerror(-r));
                return r;
        }
        r = sd_bus_add_filter(c->bus, NULL, bus_statuses_get_filter, c);
        if (r < 0) {
                log_error("Cannot add the filter for Statuses: %s", strerror(-r));
                return r;
        }
        r = sd_bus_add_object_manager(c->bus, NULL, "/");
        if (r < 0) {
                log_error("Cannot register the object manager: %s", strerror(-r));
                return r;
        }
        r = sd_bus_attach_event(c->bus, c->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return r;
        /* the bus going away ends the loop: systemd restarts us, statuses are in memory only */
        r = sd_bus_set_exit_on_disconnect(c->bus, 1);
        if (r < 0)
                return r;
        /* last, so nobody calls before the objects exist */
        r = sd_bus_request_name(c->bus, SYSOPS_BUS_NAME, 0);
        if (r < 0) {
                log_error("Cannot own %s on the system bus: %s%s", SYSOPS_BUS_NAME, strerror(-r),
                          r == -EACCES ? " (not root, or the bus policy file is not installed?)" :
                          r == -EEXIST ? " (another instance runs)" : "");
                return r;
        }
        return 0;
}

static void context_done(Context *c) {
        for (Job *j = c->jobs.first; j; j = j->next)
                if (!job_is_finished(j))
                        bus_job_abandon(c, j, "harper-sysopsd is stopping; systemd finishes the units' jobs on its own.");
        /* before the sysinfo state: freeing the systemd client answers SystemInformation calls
         * still waiting for systemd, and those use it */
        c->mirror = status_mirror_free(c->mirror);
        c->systemd = systemd_client_free(c->systemd);
        c->sysinfo = sysinfo_state_free(c->sysinfo);
        bus_jobs_done(c);
        /* after the jobs: their Harper watches hold calls of the client */
        c->harper = harper_client_free(c->harper);
        c->authorizer = authorizer_free(c->authorizer);
        c->bus = sd_bus_flush_close_unref(c->bus);
        c->event = sd_event_unref(c->event);
        status_store_done(&c->statuses);
        harper_place_forget(&c->harper_place);
        config_done(&c->config);
        free(c->config_problem);
}

int main(int argc, char *argv[]) {
        Options o = { .polkit_timeout_sec = DEFAULT_POLKIT_TIMEOUT_SEC, .log_level = LOG_INFO,
                      .config_file = SYSOPS_CONFIG_FILE };
        Context c = {};
        sigset_t mask;
        int r;

        log_setup("harper-sysopsd", LOG_INFO);
        (void) sd_bus_error_add_map(sysops_error_map);
        r = parse_options(argc, argv, &o);
        if (r <= 0)
                return r < 0 ? 2 : 0;
        log_setup("harper-sysopsd", o.log_level);
        if (o.check_config)
                return config_state_check(o.config_file, o.config_required);
        status_store_init(&c.statuses);
        r = config_state_load(&c, o.config_file, o.config_required);
        if (r >= 0)
                r = sysinfo_state_new(&c.sysinfo);
        if (r < 0)
                goto finish;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        r = sd_event_default(&c.event);
        if (r >= 0)     /* pings systemd's watchdog (WatchdogSec=) from the loop, when asked to */
                r = sd_event_set_watchdog(c.event, true);
        if (r >= 0)
                r = sd_event_add_signal(c.event, NULL, SIGTERM, on_exit_signal, &c);
        if (r >= 0)
                r = sd_event_add_signal(c.event, NULL, SIGINT, on_exit_signal, &c);
        if (r >= 0)
                r = bus_jobs_setup(&c);
        if (r < 0) {
                log_error("Cannot set up the event loop: %s", strerror(-r));
                goto finish;
        }

        r = connect_bus(&c, &o);
        if (r < 0)
                goto finish;

        r = config_state_attach(&c);
        if (r < 0) {
                log_error("Cannot set up reloading: %s", strerror(-r));
                goto finish;
        }
        log_info("Serving %s (version %s)%s.", SYSOPS_BUS_NAME, PACKAGE_VERSION,
                 c.config_problem ? ", refusing every call until the configuration is fixed" : "");

        r = sd_event_loop(c.event);
        if (r < 0)
                log_error("Event loop failed: %s", strerror(-r));
        else if (r > 0)
                log_warning("Event loop ended with code %d (the bus went away?).", r);
        if (c.authorizer && authorizer_pending(c.authorizer) > 0)
                log_info("Exiting with %u authorization queries unanswered.", authorizer_pending(c.authorizer));

finish:
        context_done(&c);
        return r != 0 ? 1 : 0;
}
