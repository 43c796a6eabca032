/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <systemd/sd-daemon.h>

#include "config-state.h"
#include "log.h"
#include "sysops-names.h"
#include "text.h"

static int load(Config *config, const char *path, bool required, char **ret_problem) {
        char *problem = NULL;
        int r;

        config_defaults(config);
        r = config_load(config, path, required, &problem);
        if (r < 0) {
                config_done(config);
                *ret_problem = problem ? problem : text_printf("%s: %s", path, strerror(-r));
                return *ret_problem ? r : -ENOMEM;
        }
        return 0;
}

int config_state_check(const char *path, bool required) {
        Config config;
        char *problem = NULL;

        if (load(&config, path, required, &problem) < 0) {
                fprintf(stderr, "%s\n", problem ? problem : "Out of memory.");
                free(problem);
                return 1;
        }
        config_done(&config);
        printf("%s: OK\n", path);
        return 0;
}

int config_state_load(Context *c, const char *path, bool required) {
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
        Context *c = userdata;
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
        char *status = c->config_problem ? text_printf("STATUS=Bad configuration: %s", c->config_problem) :
                text_printf("STATUS=Serving %s", SYSOPS_BUS_NAME);

        (void) sd_notifyf(0, "READY=1\n%s", status ? status : "STATUS=");
        free(status);
}

/* The new configuration takes over; running jobs go on with it, statuses stay. */
static int apply(Context *c, Config *fresh) {
        bool was_bad = c->config_problem != NULL;
        int r;

        if (!was_bad && (c->config.systemd != fresh->systemd ||
                         (c->config.systemd_address && fresh->systemd_address &&
                          strcmp(c->config.systemd_address, fresh->systemd_address) != 0)))
                log_warning("systemd_bus changes only when harper-sysopsd restarts.");
        c->mirror = status_mirror_free(c->mirror);
        harper_place_forget(&c->harper_place);   /* the harper section may say otherwise now */
        config_done(&c->config);
        c->config = *fresh;
        c->jobs.max_finished = c->config.jobs_kept;
        free(c->config_problem);
        c->config_problem = NULL;
        r = was_bad ? context_connect_clients(c) : context_start_mirror(c);
        return r;
}

static int on_reload(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Context *c = userdata;
        Config fresh;
        char *problem = NULL;
        struct timespec now;

        clock_gettime(CLOCK_MONOTONIC, &now);
        (void) sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
                          (unsigned long long) now.tv_sec * 1000000ULL + (unsigned long long) now.tv_nsec / 1000);
        if (load(&fresh, c->config_path, c->config_required, &problem) < 0) {
                log_error("Reload refused, the running configuration stays: %s", problem ? problem : "out of memory");
                free(problem);
        } else if (apply(c, &fresh) < 0)
                log_error("The new configuration is read, but its clients could not be set up.");
        else
                log_info("Configuration reloaded from %s.", c->config_path);
        notify_ready(c);
        return 0;
}

int config_state_attach(Context *c) {
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGHUP);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        r = sd_event_add_signal(c->event, NULL, SIGHUP, on_reload, c);
        if (r >= 0)
                r = sd_bus_add_filter(c->bus, NULL, refuse_while_bad, c);
        if (r >= 0)
                notify_ready(c);
        return r;
}
