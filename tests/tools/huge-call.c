/* SPDX-License-Identifier: MIT */
/* huge-call METHOD SIZE [TIMEOUT_SEC]: one call of io.harperdb.SystemOperations1.METHOD with an
 * oversized argument, for the tests of the argument bounds. SystemInformation gets SIZE attribute
 * names ("cpu"), SetStatus the id "maintenance" and a status of SIZE bytes, any other method
 * (GetStatus, ClearStatus, GetJob, RestartService) a first argument of SIZE bytes.
 * Prints "sent" once the call is on its way (the test may then send its own), then
 * "NAME MS LENGTH": the D-Bus error name (or "ok", or "timeout"), the ms from sending to the
 * answer, and the length of the error message in bytes; then the message itself. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <systemd/sd-bus.h>

#include "sysops-names.h"
#include "time-util.h"

static int append_attributes(sd_bus_message *m, size_t n) {
        int r = sd_bus_message_open_container(m, 'a', "s");

        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append_basic(m, 's', "cpu");
        return r < 0 ? r : sd_bus_message_close_container(m);
}

static int append_arguments(sd_bus_message *m, const char *method, size_t size) {
        char *text;
        int r;

        if (strcmp(method, "SystemInformation") == 0)
                return append_attributes(m, size);
        text = malloc(size + 1);
        if (!text)
                return -ENOMEM;
        memset(text, 'x', size);
        text[size] = '\0';
        if (strcmp(method, "SetStatus") == 0)
                r = sd_bus_message_append(m, "ss", "maintenance", text);
        else if (strcmp(method, "RestartService") == 0)
                r = sd_bus_message_append(m, "sb", text, 0);
        else
                r = sd_bus_message_append(m, "s", text);
        free(text);
        return r;
}

typedef struct Answer {
        bool done;
        char name[256];
        char *message;
        uint64_t usec;
} Answer;

static int on_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Answer *a = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        a->done = true;
        a->usec = monotonic_usec();
        snprintf(a->name, sizeof a->name, "%s", e ? e->name : "ok");
        a->message = strdup(e && e->message ? e->message : "");
        return 0;
}

/* the daemon may be too busy even to time out the call: the deadline is kept here */
static void on_timeout(Answer *a) {
        a->done = true;
        a->usec = monotonic_usec();
        snprintf(a->name, sizeof a->name, "timeout");
}

int main(int argc, char *argv[]) {
        sd_bus *bus = NULL;
        sd_bus_message *call = NULL;
        Answer answer = {};
        uint64_t start, deadline;
        int r;

        if (argc < 3) {
                fprintf(stderr, "usage: huge-call METHOD SIZE [TIMEOUT_SEC]\n");
                return 2;
        }
        r = sd_bus_open_system(&bus);
        if (r >= 0)
                r = sd_bus_message_new_method_call(bus, &call, SYSOPS_BUS_NAME, SYSOPS_OBJECT_PATH, SYSOPS_INTERFACE,
                                                   argv[1]);
        if (r >= 0)
                r = append_arguments(call, argv[1], strtoull(argv[2], NULL, 10));
        start = monotonic_usec();
        deadline = start + (argc > 3 ? strtoull(argv[3], NULL, 10) : 25) * 1000000u;
        if (r >= 0)
                r = sd_bus_call_async(bus, NULL, call, on_reply, &answer, deadline - start);
        /* the whole call is written before the test sends its next one */
        if (r >= 0)
                r = sd_bus_flush(bus);
        if (r < 0) {
                fprintf(stderr, "huge-call: cannot send the call: %s\n", strerror(-r));
                return 1;
        }
        printf("sent\n");
        fflush(stdout);
        while (r >= 0 && !answer.done) {
                r = sd_bus_process(bus, NULL);
                if (r == 0 && monotonic_usec() > deadline) {
                        on_timeout(&answer);
                        break;
                }
                if (r == 0)
                        r = sd_bus_wait(bus, deadline - monotonic_usec());
        }
        if (r < 0) {
                fprintf(stderr, "huge-call: lost the bus: %s\n", strerror(-r));
                return 1;
        }
        printf("%s %llu %zu\n%s\n", answer.name, (unsigned long long) ((answer.usec - start) / 1000),
               strlen(answer.message ? answer.message : ""), answer.message ? answer.message : "");
        free(answer.message);
        sd_bus_message_unref(call);
        sd_bus_flush_close_unref(bus);
        return 0;
}
