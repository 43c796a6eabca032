/* SPDX-License-Identifier: MIT */
/* How a unit runs: its Environment= and User=, for finding Harper from its unit, and whether
 * systemd has the unit at all. Three Get()s at once; the question is answered when every slot is
 * gone (answered, or the connection closed). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "systemd-client-internal.h"
#include "text.h"

typedef struct ExecQuestion {
        SystemdClient *client;
        char *unit;
        char **environment;
        char *user;
        char *error;
        unsigned pending;
        unsigned n_asked, n_answered;
        unit_exec_callback_t callback;
        void *userdata;
} ExecQuestion;

static void keep_error(ExecQuestion *q, char *error) {
        if (q->error)
                free(error);
        else
                q->error = error;
}

static void exec_question_unref(void *userdata) {
        ExecQuestion *q = ASSERT_PTR(userdata);

        if (--q->pending > 0)
                return;
        /* the client was freed with the questions out: no answer is not an empty answer */
        if (q->n_answered < q->n_asked)
                keep_error(q, strdup("systemd did not answer how the unit runs."));
        q->callback(q->error ? NULL : q->environment ?: (char *[]) { NULL },
                    q->user && *q->user ? q->user : "root", q->error, q->userdata);
        strv_free(q->environment);
        free(q->user);
        free(q->error);
        free(q->unit);
        free(q);
}

/* The variant's value: Environment's list or User's name. */
static int read_exec_answer(ExecQuestion *q, sd_bus_message *reply) {
        const char *user;
        int r;

        r = sd_bus_message_enter_container(reply, 'v', NULL);
        if (r < 0)
                return r;
        if (strcmp(sd_bus_message_get_signature(reply, 0), "as") == 0)
                return sd_bus_message_read_strv(reply, &q->environment);
        r = sd_bus_message_read(reply, "s", &user);
        if (r < 0)
                return 0;      /* not a string: as if User= were not set */
        q->user = strdup(user);
        return q->user ? 0 : -ENOMEM;
}

static int on_exec_answer(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        ExecQuestion *q = ASSERT_PTR(userdata);
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        int r;

        q->n_answered++;
        if (e) {
                keep_error(q, text_printf("systemd cannot tell how the unit runs: %s", e->message ?: e->name));
                return 0;
        }
        r = read_exec_answer(q, reply);
        if (r < 0)
                keep_error(q, text_printf("Cannot read systemd's answer: %s", strerror(-r)));
        return 0;
}

/* A unit systemd has no file for has an empty environment and runs as root: say that instead,
 * and which key names Harper's unit. */
static int on_load_state(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        ExecQuestion *q = ASSERT_PTR(userdata);
        const char *state;

        q->n_answered++;
        if (sd_bus_message_is_method_error(reply, NULL) ||
            sd_bus_message_read(reply, "v", "s", &state) < 0 || !streq(state, "not-found"))
                return 0;   /* the other two questions tell what went wrong, if anything */
        keep_error(q, text_printf("systemd has no unit %s (instance_unit in sysops.json(5) names Harper's unit).",
                                  q->unit));
        return 0;
}

/* Sends the Get() of one property; the slot holds a reference of q until it is gone. */
static int ask_property(ExecQuestion *q, const char *path, const char *interface, const char *property,
                        sd_bus_message_handler_t callback) {
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        int r;

        r = sd_bus_call_method_async(q->client->bus, &slot, SYSTEMD_NAME, path, "org.freedesktop.DBus.Properties",
                                     "Get", callback, q, "ss", interface, property);
        if (r < 0)
                return r;
        q->pending++;
        q->n_asked++;
        (void) sd_bus_slot_set_destroy_callback(slot, exec_question_unref);
        (void) sd_bus_slot_set_floating(slot, 1);
        return 0;
}

static int ask_all(ExecQuestion *q, const char *path) {
        int r;

        /* first: its answer comes first, and a missing unit is the error to tell */
        r = ask_property(q, path, "org.freedesktop.systemd1.Unit", "LoadState", on_load_state);
        if (r < 0)
                return r;
        r = ask_property(q, path, "org.freedesktop.systemd1.Service", "Environment", on_exec_answer);
        if (r < 0)
                return r;
        return ask_property(q, path, "org.freedesktop.systemd1.Service", "User", on_exec_answer);
}

int systemd_client_unit_exec(SystemdClient *c, const char *unit, unit_exec_callback_t callback, void *userdata) {
        _cleanup_free_ char *path = NULL;
        ExecQuestion *q;
        int r;

        assert(c);
        assert(unit);
        assert(callback);
        r = systemd_client_connect(c);
        if (r < 0)
                return r;
        r = sd_bus_path_encode(SYSTEMD_UNIT_PATH_PREFIX, unit, &path);
        if (r < 0)
                return r;
        q = calloc(1, sizeof(ExecQuestion));
        if (!q)
                return -ENOMEM;
        /* our own reference while asking: answered once both slots are gone */
        *q = (ExecQuestion) { .client = c, .callback = callback, .userdata = userdata, .pending = 1,
                              .unit = strdup(unit) };
        r = q->unit ? ask_all(q, path) : -ENOMEM;
        if (r < 0)
                keep_error(q, text_printf("Cannot ask systemd about %s: %s", unit, strerror(-r)));
        exec_question_unref(q);
        return 0;
}
