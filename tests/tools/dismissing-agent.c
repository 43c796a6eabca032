/* SPDX-License-Identifier: MIT */
/* dismissing-agent: a polkit authentication agent that dismisses every request, as a person
 * closing the password dialog does: BeginAuthentication answers
 * org.freedesktop.PolicyKit1.Error.Cancelled, which polkit reports as polkit.dismissed.
 * (pkttyagent cannot be dismissed: its errors are plain failures.) It registers for the login
 * session it runs in, prints "registered" and serves until it is killed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-login.h>

#define AGENT_PATH "/io/harperdb/test/DismissingAgent"

static int begin_authentication(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return sd_bus_error_set(error, "org.freedesktop.PolicyKit1.Error.Cancelled", "Dismissed by the test agent.");
}

static int cancel_authentication(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return sd_bus_reply_method_return(m, NULL);
}

static const sd_bus_vtable agent_vtable[] = {
        SD_BUS_VTABLE_START(0),
        /* polkitd calls as its own user (the bus policy lets only it send this interface) */
        SD_BUS_METHOD("BeginAuthentication", "sssa{ss}sa(sa{sv})", "", begin_authentication, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("CancelAuthentication", "s", "", cancel_authentication, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END
};

static int register_agent(sd_bus *bus, const char *session, sd_bus_error *error) {
        int r = sd_bus_add_object_vtable(bus, NULL, AGENT_PATH, "org.freedesktop.PolicyKit1.AuthenticationAgent",
                                         agent_vtable, NULL);
        if (r < 0)
                return r;
        return sd_bus_call_method(bus, "org.freedesktop.PolicyKit1", "/org/freedesktop/PolicyKit1/Authority",
                                  "org.freedesktop.PolicyKit1.Authority", "RegisterAuthenticationAgent", error,
                                  NULL, "(sa{sv})ss", "unix-session", 1, "session-id", "s", session, "C",
                                  AGENT_PATH);
}

int main(void) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus *bus = NULL;
        char *session = NULL;
        int r;

        r = sd_pid_get_session(0, &session);
        if (r < 0) {
                fprintf(stderr, "dismissing-agent: not in a login session: %s\n", strerror(-r));
                return 1;
        }
        r = sd_bus_open_system(&bus);
        if (r >= 0)
                r = register_agent(bus, session, &error);
        if (r < 0) {
                fprintf(stderr, "dismissing-agent: cannot register: %s\n", error.message ?: strerror(-r));
                return 1;
        }
        printf("registered\n");
        fflush(stdout);
        while ((r = sd_bus_process(bus, NULL)) >= 0)
                if (r == 0 && sd_bus_wait(bus, UINT64_MAX) < 0)
                        break;
        return 1;
}
