/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-journal.h>

#include "bus-refusals.h"
#include "log.h"
#include "macro.h"
#include "sysops-names.h"

/* At most this many refusal lines per window; then one line says how many were left out. */
#define LINES_PER_WINDOW 10
#define WINDOW_SEC 10

typedef struct RefusalKind {
        const char *error_name;   /* NULL: any other error */
        const char *message_id;
        const char *why;
} RefusalKind;

static const RefusalKind kinds[] = {
        { SD_BUS_ERROR_ACCESS_DENIED, "9b79730347cc4d3998b0f846be16b2a2", "denied" },
        { SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED, "b62cb5697bff4946bf71b2780d1d146f",
          "authentication required" },
        { SYSOPS_ERROR_AUTHORIZATION_CANCELLED, "4ec1455a23fe4728837a8e79b7f5e461", "authentication cancelled" },
        { SD_BUS_ERROR_INVALID_ARGS, "5f8fcee6607f48a38e6cc1e82db4ffbc", "invalid arguments" },
        { SYSOPS_ERROR_AUTHORIZATION_UNAVAILABLE, "239ecbfb401f447c8bdf7b23a7c958ac", "polkit did not answer" },
        { NULL, "bc74858e696d4747b72ca92f1fd0219d", "refused" },
};

static bool changes_state(const char *member) {
        static const char *const members[] = { "SetStatus", "ClearStatus", "Restart", "RestartInstance", "RestartService" };

        for (size_t i = 0; member && i < ELEMENTSOF(members); i++)
                if (strcmp(member, members[i]) == 0)
                        return true;
        return false;
}

static const RefusalKind *kind_of(const char *error_name) {
        size_t i = 0;

        while (kinds[i].error_name && (!error_name || strcmp(kinds[i].error_name, error_name) != 0))
                i++;
        return &kinds[i];
}

/* A new window lets LINES_PER_WINDOW lines through, after saying how many the last one left out. */
static bool rate_allows(void) {
        static time_t window;
        static unsigned lines, left_out;
        time_t now = time(NULL);

        if (now - window >= WINDOW_SEC) {
                if (left_out > 0)
                        log_notice("%u more refused calls were not logged in the last %d s.", left_out, WINDOW_SEC);
                window = now;
                lines = left_out = 0;
        }
        if (lines < LINES_PER_WINDOW) {
                lines++;
                return true;
        }
        left_out++;
        return false;
}

static void write_line(const RefusalKind *kind, const char *member, const char *who, long uid, pid_t pid,
                       const char *error_name, const char *text) {
        int r = sd_journal_send("MESSAGE_ID=%s", kind->message_id, "PRIORITY=%d", LOG_NOTICE,
                                "MESSAGE=Refused %s() from %s: %s: %.200s", member, who, kind->why, text,
                                "SYSOPS_METHOD=%s", member, "SYSOPS_UID=%ld", uid, "SYSOPS_PID=%ld", (long) pid,
                                "SYSOPS_ERROR=%s", error_name, "SYSLOG_IDENTIFIER=harper-sysopsd", NULL);

        /* no journal (tests, a terminal): the same line on stderr */
        if (r < 0 || !getenv("JOURNAL_STREAM"))
                log_notice("Refused %s() from %s: %s: %.200s", member, who, kind->why, text);
}

void bus_log_refusal(Context *c, sd_bus_message *m, int r, const sd_bus_error *error) {
        const char *member = sd_bus_message_get_member(m);
        const char *error_name = sd_bus_error_is_set(error) ? error->name : NULL;
        sd_bus_creds *creds = sd_bus_message_get_creds(m);
        char who[128], reason[256];
        const char *text;
        uid_t uid;
        pid_t pid = 0;
        bool known;

        assert(c);
        assert(m);

        if ((r >= 0 && !error_name) || !changes_state(member) || !rate_allows())
                return;
        if (error_name && error->message)
                text = error->message;
        else {
                /* what the errno means, in errno-style's words */
                errno = r < 0 ? -r : EIO;
                snprintf(reason, sizeof reason, "%m");
                text = reason;
        }
        /* from the bus, never from the call: the uid polkit was asked about, the pid if attached */
        known = authorizer_sender_uid(c->authorizer, m, &uid) >= 0;
        (void) sd_bus_creds_get_pid(creds, &pid);
        if (known)
                snprintf(who, sizeof who, "uid %u (%s)", (unsigned) uid, sd_bus_message_get_sender(m));
        else
                snprintf(who, sizeof who, "%s", sd_bus_message_get_sender(m) ? sd_bus_message_get_sender(m) : "?");
        write_line(kind_of(error_name), member, who, known ? (long) uid : -1, pid,
                   error_name ? error_name : "errno", text);
}
