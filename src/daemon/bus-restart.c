/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-job.h"
#include "bus-restart.h"
#include "log.h"
#include "macro.h"
#include "sysops-names.h"
#include "text.h"

static int refuse_if_running(Context *c, JobType type, HarperService service, sd_bus_error *error) {
        Job *running = job_table_find_running(&c->jobs, type, service);

        if (!running)
                return 0;
        return sd_bus_error_setf(error, SYSOPS_ERROR_ALREADY_RUNNING, "A restart of %s is already in progress (job %s).",
                                 type == JOB_RESTART ? c->config.instance_unit : harper_service_to_string(service),
                                 running->id);
}

/* Restart() and RestartInstance(replicated): the instance unit, then (replicated) every other
 * node of Harper's cluster in turn. */
static int restart_instance(sd_bus_message *m, Context *c, bool replicated, sd_bus_error *error) {
        uid_t uid;
        Job *j;
        int r;

        r = authorizer_check(c->authorizer, m, SYSOPS_ACTION_RESTART, error);
        if (r < 0)
                return r;
        if (r == 0)
                return 1;   /* asked polkit; called again with its answer */
        r = refuse_if_running(c, JOB_RESTART, _HARPER_SERVICE_INVALID, error);
        if (r < 0)
                return r;
        r = authorizer_sender_uid(c->authorizer, m, &uid);
        if (r < 0)
                return r;

        j = bus_job_new(c, JOB_RESTART, _HARPER_SERVICE_INVALID, replicated, uid);
        if (!j)
                return -ENOMEM;
        log_info("uid %u asked to restart %s%s (job %s).", (unsigned) uid, c->config.instance_unit,
                 replicated ? " (replicated)" : "", j->id);
        /* Harper answers at once; here "at once" is when systemd has queued the restart */
        bus_job_start(c, j, m);
        return 1;
}

int method_restart(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return restart_instance(m, ASSERT_PTR(userdata), false, error);
}

int method_restart_instance(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        int replicated, r;

        r = sd_bus_message_read(m, "b", &replicated);
        if (r < 0)
                return r;
        return restart_instance(m, ASSERT_PTR(userdata), replicated, error);
}

int method_restart_service(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Context *c = ASSERT_PTR(userdata);
        _cleanup_free_ char *message = NULL;
        HarperService service;
        const char *name;
        int replicated;
        uid_t uid;
        Job *j;
        int r;

        r = sd_bus_message_read(m, "sb", &name, &replicated);
        if (r < 0)
                return r;
        /* longer than any service name: refused before polkit, as an unknown one is after it */
        if (strlen(name) > SYSOPS_MAX_SERVICE_BYTES)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid service");

        r = authorizer_check(c->authorizer, m, SYSOPS_ACTION_RESTART_SERVICE, error);
        if (r < 0)
                return r;
        if (r == 0)
                return 1;   /* asked polkit; called again with its answer */

        service = harper_service_from_string(name);
        if (service < 0)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid service");
        r = refuse_if_running(c, JOB_RESTART_SERVICE, service, error);
        if (r < 0)
                return r;
        r = authorizer_sender_uid(c->authorizer, m, &uid);
        if (r < 0)
                return r;

        message = text_printf("Restarting %s", name);
        if (!message)
                return -ENOMEM;
        j = bus_job_new(c, JOB_RESTART_SERVICE, service, replicated, uid);
        if (!j)
                return -ENOMEM;
        log_info("uid %u asked to restart %s%s (job %s).", (unsigned) uid, name, replicated ? " (replicated)" : "",
                 j->id);
        /* Harper answers once the job is launched, long before it completes; a caller that
         * has gone meanwhile does not stop the restart it asked for */
        r = bus_job_reply(m, message, j);
        bus_job_start(c, j, NULL);
        return r < 0 ? r : 1;
}
