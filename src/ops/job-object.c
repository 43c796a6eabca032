/* SPDX-License-Identifier: MIT */
/* Reading a Job object of harper-sysopsd: all its properties in one GetAll. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "harper-response.h"
#include "job-object.h"
#include "macro.h"
#include "sysops-names.h"

/* r, with error saying the job could not be read. */
static int malformed_job(sd_bus_error *error, int r) {
        sd_bus_error_set(error, SD_BUS_ERROR_INCONSISTENT_MESSAGE, "harper-sysopsd sent a malformed job.");
        return r;
}

int job_read(sd_bus *bus, const char *path, JobState *s, sd_bus_message **reply, sd_bus_error *error) {
        int r;

        assert(bus);
        assert(path);
        assert(s);
        assert(reply);

        *s = (JobState) {};
        r = sd_bus_call_method(bus, SYSOPS_BUS_NAME, path, "org.freedesktop.DBus.Properties", "GetAll", error,
                               reply, "s", SYSOPS_JOB_INTERFACE);
        if (r < 0)
                return r;
        r = job_properties_read(*reply, s);
        if (r < 0)
                return malformed_job(error, r);
        if (!(s->id && s->type && s->status && s->message && s->result))
                return malformed_job(error, -EBADMSG);
        return r;
}

json_object *job_state_to_json(const JobState *s) {
        struct passwd *pw;
        char uid[16];

        assert(s);
        pw = getpwuid(s->uid);
        snprintf(uid, sizeof uid, "%u", s->uid);
        return job_record_to_json(s->id, s->type, s->status, s->message, s->result, pw ? pw->pw_name : uid,
                                  s->created_ms, s->start_ms, s->end_ms);
}
