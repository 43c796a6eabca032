/* SPDX-License-Identifier: MIT */
/* harper-sysopsd: Harper's system operations as a D-Bus system service. This file is the
 * program: options, signals, the interface's vtable; the daemon's state and its life are the
 * Context's (context.c). Each operation's glue lives in bus-<operation>.c, its logic in
 * src/shared. */
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
LOGGED(method_restart_instance)
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
        SD_BUS_METHOD_WITH_ARGS("RestartInstance",
                                SD_BUS_ARGS("b", replicated),
                                SD_BUS_RESULT("s", message, "s", job_id, "o", job),
                                logged_method_restart_instance, SD_BUS_VTABLE_UNPRIVILEGED),
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
               "     --check-config         Check the configuration file, show where Harper is\n"
               "                            found, and exit (1 when the file is bad)\n"
               "     --polkit-timeout=SEC   Refuse a call as unanswered when polkit has not answered\n"
               "                            it within SEC seconds of its arrival (default %d;\n"
               "                            calls that allow interactive authentication wait up\n"
               "                            to 300 s)\n"
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
        Context *c = ASSERT_PTR(userdata);

        log_info("Received %s, exiting.", strsignal((int) si->ssi_signo));
        (void) sd_notify(0, "STOPPING=1");
        return sd_event_exit(c->event, 0);
}

/* SIGTERM and SIGINT end the loop. */
static int add_exit_signals(Context *c) {
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        r = sd_event_add_signal(c->event, NULL, SIGTERM, on_exit_signal, c);
        if (r < 0)
                return r;
        return sd_event_add_signal(c->event, NULL, SIGINT, on_exit_signal, c);
}

int main(int argc, char *argv[]) {
        Options o = { .polkit_timeout_sec = DEFAULT_POLKIT_TIMEOUT_SEC, .log_level = LOG_INFO,
                      .config_file = SYSOPS_CONFIG_FILE };
        _cleanup_(context_freep) Context *c = NULL;
        int r;

        log_setup("harper-sysopsd", LOG_INFO);
        (void) sd_bus_error_add_map(sysops_error_map);
        r = parse_options(argc, argv, &o);
        if (r <= 0)
                return r < 0 ? 2 : 0;
        log_setup("harper-sysopsd", o.log_level);
        if (o.check_config)
                return context_check_config(o.config_file, o.config_required);

        r = context_new(&c, o.config_file, o.config_required);
        if (r < 0)
                return 1;
        r = add_exit_signals(c);
        if (r < 0) {
                log_error_errno(r, "Cannot set up the event loop: %m");
                return 1;
        }
        r = context_serve(c, manager_vtable, (uint64_t) o.polkit_timeout_sec * 1000000ULL);
        if (r < 0)
                return 1;
        log_info("Serving %s (version %s)%s.", SYSOPS_BUS_NAME, PACKAGE_VERSION,
                 c->config_problem ? ", refusing every call until the configuration is fixed" : "");

        r = sd_event_loop(c->event);
        if (r < 0)
                log_error_errno(r, "Event loop failed: %m");
        else if (r > 0)
                log_warning("Event loop ended with code %d (the bus went away?).", r);
        if (c->authorizer && authorizer_pending(c->authorizer) > 0)
                log_info("Exiting with %u authorization queries unanswered.", authorizer_pending(c->authorizer));
        return r != 0 ? 1 : 0;
}
