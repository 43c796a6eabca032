/* SPDX-License-Identifier: MIT */
/* A fake systemd manager for the unit tests, in the test's own event loop: the client reaches
 * it as it reaches PID 1's private socket (a peer connection to a unix socket at path, no bus
 * daemon). It answers Subscribe, RestartUnit and the Properties the client asks, sends
 * JobRemoved when told, and can leave (its connection and its socket go away, as when systemd
 * re-executes) and come back (fake_systemd_listen). Failures are cmocka assertions. */
#pragma once

#include <stdbool.h>
#include <sys/un.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "time-util.h"

#define FAKE_UNIT "test.service"
#define FAKE_JOB_PATH "/org/freedesktop/systemd1/job/42"

typedef struct FakeSystemd {
        sd_event *event;
        char dir[64];          /* a temporary directory of the test's, removed at the end */
        char path[sizeof(((struct sockaddr_un *) NULL)->sun_path)];
        int listen_fd;
        sd_event_source *listening;
        sd_bus *bus;           /* the client's connection, our side */
        unsigned n_connections, n_subscribes, n_queued, n_job_asked, n_exec_asked;
        bool silent_queue;     /* RestartUnit gets no answer */
        const char *job_result;        /* sent as JobRemoved right after queuing; NULL: not */
        const char *active_state;      /* the unit's ActiveState ("active") */
        const char *service_result;    /* the service's Result */
        const char *job_state;         /* Job.State ("running"); NULL: the job is gone */
        char *environment[4];          /* the unit's Environment= */
        const char *user;              /* the unit's User= ("") */
        const char *load_state;        /* the unit's LoadState ("loaded") */
} FakeSystemd;

/* A fake listening in a new temporary directory, with its own event loop. */
FakeSystemd *fake_systemd_new(void);
void fake_systemd_free(FakeSystemd *f);

void fake_systemd_listen(FakeSystemd *f);
/* The manager goes away: its connection and its socket. */
void fake_systemd_leave(FakeSystemd *f);
/* Sends JobRemoved for FAKE_JOB_PATH. */
int fake_systemd_job_removed(FakeSystemd *f, const char *result);

/* Runs the loop until *done is not 0 (the test fails after timeout_ms). */
void fake_run_until(FakeSystemd *f, const unsigned *done, unsigned timeout_ms);
/* Runs the loop for ms. */
void fake_run_for(FakeSystemd *f, unsigned ms);
