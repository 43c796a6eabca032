/* SPDX-License-Identifier: MIT */
/* bus-authorize: polkit's line is fair, in milliseconds, against a fake bus and a fake polkit on
 * the other end of a socketpair (tests/integration/polkit-fairness.sh checks the same with the
 * real polkitd stopped, in seconds).
 *
 * What bus-authorize.h promises: at most 32 calls per user wait in line, 112 in all, of which
 * the last 16 only for users with none in line; a call over its limit is refused at once with
 * LimitsExceeded; polkit is asked at most 8 questions at once, one per user, the users in turn,
 * so a question waits behind at most one per other user; a non-interactive call polkit refused is
 * refused again for 5 s without asking it, a yes is never kept; root is never asked about; a
 * call polkit has not answered by the timeout (counted from joining the line) is refused with
 * AuthorizationUnavailable (an interactive one waits longer); every call gets its own verdict,
 * in whatever order polkit answers.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bus-authorize.h"
#include "log.h"
#include "sysops-names.h"
#include "test-bus-pair.h"

#define ACTION SYSOPS_ACTION_SET_STATUS
#define TEST_PATH "/io/harperdb/test"
#define TEST_INTERFACE "io.harperdb.Test"
#define LONG_TIMEOUT_USEC (20 * 1000000ULL)   /* no question times out unless a test wants it */
#define MAX_CALLS 1024
#define MAX_HELD 256

#define PER_UID 32u
#define IN_ALL 112u
#define SHARED 96u
#define ASKED 8u
#define DENIAL_KEPT_MS 5000u

#define MSG_MINE_FULL "Too many of your requests are waiting for authorization; try again later."
#define MSG_ALL_FULL "Too many authorization requests are pending; try again later."

typedef enum PolkitMode {
        POLKIT_STALLED,        /* holds every question until the test answers it */
        POLKIT_YES,            /* answers yes at once */
        POLKIT_CHALLENGE,      /* answers at once: a password would do (a plain user, here) */
        POLKIT_GONE,           /* its name has no owner */
        POLKIT_BROKEN,         /* answers with an error of its own */
} PolkitMode;

typedef enum Verdict {
        VERDICT_YES,
        VERDICT_NO,
        VERDICT_CHALLENGE,     /* not authorized, but a password would do */
        VERDICT_DISMISSED,     /* the person dismissed the password dialog */
} Verdict;

typedef struct Fixture Fixture;

/* One caller's call and what it got. */
typedef struct Call {
        Fixture *f;
        unsigned uid;
        bool answered;
        char *error;           /* the error name, NULL for yes */
        char *message;
} Call;

/* A question polkit holds. */
typedef struct Question {
        sd_bus_message *message;
        char *subject;         /* the caller's bus name */
        uint32_t flags;
} Question;

struct Fixture {
        BusPair p;
        Authorizer *a;
        PolkitMode polkit;
        Question held[MAX_HELD];
        unsigned n_held;
        unsigned polkit_asked, uid_asked;
        unsigned asked_uid[MAX_CALLS];   /* whose questions polkit got, in order */
        Call calls[MAX_CALLS];
        unsigned n_calls, n_answered;
};

static int method_do(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Fixture *f = userdata;
        int r;

        /* as every handler of the daemon does */
        r = authorizer_check(f->a, m, ACTION, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        return sd_bus_reply_method_return(m, NULL);
}

static const sd_bus_vtable test_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("Do", "", "", method_do, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

/* The subject's bus name and the flags of a CheckAuthorization. */
static void read_question(sd_bus_message *m, Question *q) {
        const char *kind, *key, *name = NULL, *action;

        assert_true(sd_bus_message_enter_container(m, 'r', "sa{sv}") > 0);
        assert_true(sd_bus_message_read(m, "s", &kind) > 0);
        assert_string_equal(kind, "system-bus-name");
        assert_true(sd_bus_message_enter_container(m, 'a', "{sv}") > 0);
        while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                assert_true(sd_bus_message_read(m, "s", &key) > 0);
                if (strcmp(key, "name") == 0)
                        assert_true(sd_bus_message_read(m, "v", "s", &name) > 0);
                else
                        assert_true(sd_bus_message_skip(m, "v") >= 0);
                assert_true(sd_bus_message_exit_container(m) >= 0);
        }
        assert_true(sd_bus_message_exit_container(m) >= 0);
        assert_true(sd_bus_message_exit_container(m) >= 0);
        assert_true(sd_bus_message_read(m, "s", &action) > 0);
        assert_string_equal(action, ACTION);
        assert_true(sd_bus_message_skip(m, "a{ss}") >= 0);
        assert_true(sd_bus_message_read(m, "u", &q->flags) > 0);
        assert_non_null(name);
        q->subject = strdup(name);
}

static void polkit_answer(sd_bus_message *question, Verdict v) {
        if (v == VERDICT_DISMISSED)
                assert_true(sd_bus_reply_method_return(question, "(bba{ss})", 0, 0, 1, "polkit.dismissed", "true") >= 0);
        else
                assert_true(sd_bus_reply_method_return(question, "(bba{ss})", v == VERDICT_YES, v == VERDICT_CHALLENGE,
                                                       0) >= 0);
}

/* The other end: the bus (GetConnectionUnixUser of ":<uid>.<n>" is uid) and polkit. */
static int on_fake_message(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Fixture *f = userdata;
        Question q = { 0 };
        const char *name;
        unsigned uid;

        if (sd_bus_message_is_method_call(m, "org.freedesktop.DBus", "GetConnectionUnixUser")) {
                f->uid_asked++;
                assert_true(sd_bus_message_read(m, "s", &name) > 0);
                assert_int_equal(sscanf(name, ":%u.", &uid), 1);
                assert_true(sd_bus_reply_method_return(m, "u", (uint32_t) uid) >= 0);
                return 1;
        }
        if (!sd_bus_message_is_method_call(m, "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization"))
                return 0;
        assert_true(f->polkit_asked < MAX_CALLS);
        read_question(m, &q);
        assert_int_equal(sscanf(q.subject, ":%u.", &f->asked_uid[f->polkit_asked]), 1);
        f->polkit_asked++;
        switch (f->polkit) {
        case POLKIT_STALLED:
                assert_true(f->n_held < MAX_HELD);
                q.message = sd_bus_message_ref(m);
                f->held[f->n_held++] = q;
                return 1;
        case POLKIT_YES:
                polkit_answer(m, VERDICT_YES);
                break;
        case POLKIT_CHALLENGE:
                polkit_answer(m, VERDICT_CHALLENGE);
                break;
        case POLKIT_GONE:
                assert_true(sd_bus_reply_method_errorf(m, SD_BUS_ERROR_SERVICE_UNKNOWN,
                                                       "The name is not activatable") >= 0);
                break;
        case POLKIT_BROKEN:
                assert_true(sd_bus_reply_method_errorf(m, "org.freedesktop.PolicyKit1.Error.Failed",
                                                       "Action %s is not registered", ACTION) >= 0);
                break;
        }
        free(q.subject);
        return 1;
}

/* polkit answers the held question i (the others stay held, in order). */
static void polkit_answer_held(Fixture *f, unsigned i, Verdict v) {
        assert_true(i < f->n_held);
        polkit_answer(f->held[i].message, v);
        sd_bus_message_unref(f->held[i].message);
        free(f->held[i].subject);
        memmove(&f->held[i], &f->held[i + 1], (f->n_held - i - 1) * sizeof(Question));
        f->n_held--;
}

static void polkit_answer_all(Fixture *f, Verdict v) {
        while (f->n_held > 0)
                polkit_answer_held(f, 0, v);
}

/* polkit answers every question, those asked later too, until no call waits. */
static void polkit_answer_everything(Fixture *f, Verdict v) {
        uint64_t deadline = monotonic_usec() + 20 * USEC_PER_SEC;

        while (authorizer_pending(f->a) > 0 && monotonic_usec() < deadline) {
                polkit_answer_all(f, v);
                assert_true(sd_event_run(f->p.event, 5000) >= 0);
        }
        assert_int_equal(authorizer_pending(f->a), 0);
}

static int on_verdict(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Call *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        assert_false(c->answered);   /* exactly one reply per call */
        c->answered = true;
        c->error = e ? strdup(e->name) : NULL;
        c->message = e && e->message ? strdup(e->message) : NULL;
        c->f->n_answered++;
        return 0;
}

/* A call from connection ":<uid>.<connection>". */
static Call *call_from(Fixture *f, unsigned uid, unsigned connection, bool interactive) {
        sd_bus_message *m = NULL;
        char sender[32];
        Call *c;

        assert_true(f->n_calls < MAX_CALLS);
        c = &f->calls[f->n_calls++];
        *c = (Call) { .f = f, .uid = uid };
        snprintf(sender, sizeof sender, ":%u.%u", uid, connection);
        assert_true(sd_bus_message_new_method_call(f->p.peer, &m, SYSOPS_BUS_NAME, TEST_PATH, TEST_INTERFACE, "Do") >= 0);
        assert_true(sd_bus_message_set_sender(m, sender) >= 0);
        assert_true(sd_bus_message_set_allow_interactive_authorization(m, interactive) >= 0);
        assert_true(sd_bus_call_async(f->p.peer, NULL, m, on_verdict, c, 0) >= 0);
        sd_bus_message_unref(m);
        return c;
}

/* n calls of uid from one connection. */
static void flood(Fixture *f, unsigned uid, unsigned n) {
        for (unsigned i = 0; i < n; i++)
                call_from(f, uid, 1, false);
}

static void run_until_answered(Fixture *f, unsigned n_answered, unsigned max_ms) {
        bus_pair_run_until(&f->p, &f->n_answered, n_answered, max_ms);
        assert_int_equal(f->n_answered, n_answered);
}

/* Runs the loop until polkit holds n questions (and nothing more happens for 20 ms). */
static void run_until_held(Fixture *f, unsigned n) {
        bus_pair_run_until(&f->p, &f->n_held, n, 20000);
        bus_pair_run_for(&f->p, 20);
        assert_int_equal(f->n_held, n);
}

/* Runs the loop until n calls wait in line (asked or not) and polkit holds held of them. */
static void run_until_in_line(Fixture *f, unsigned n, unsigned held) {
        uint64_t deadline = monotonic_usec() + 20 * USEC_PER_SEC;

        while ((authorizer_pending(f->a) != n || f->n_held != held) && monotonic_usec() < deadline)
                assert_true(sd_event_run(f->p.event, 5000) >= 0);
        bus_pair_run_for(&f->p, 20);
        assert_int_equal(authorizer_pending(f->a), n);
        assert_int_equal(f->n_held, held);
}

/* The index of the question polkit holds from uid. */
static unsigned held_index(const Fixture *f, unsigned uid) {
        unsigned u;

        for (unsigned i = 0; i < f->n_held; i++)
                if (sscanf(f->held[i].subject, ":%u.", &u) == 1 && u == uid)
                        return i;
        fail_msg("polkit holds no question of uid %u", uid);
        return 0;
}

static unsigned count(const Fixture *f, unsigned uid, const char *error, const char *message) {
        unsigned n = 0;

        for (unsigned i = 0; i < f->n_calls; i++) {
                const Call *c = &f->calls[i];
                if (c->answered && c->uid == uid && (error ? c->error && strcmp(c->error, error) == 0 : !c->error) &&
                    (!message || (c->message && strcmp(c->message, message) == 0)))
                        n++;
        }
        return n;
}

static unsigned held_of(const Fixture *f, unsigned uid) {
        unsigned n = 0, u;

        for (unsigned i = 0; i < f->n_held; i++)
                n += sscanf(f->held[i].subject, ":%u.", &u) == 1 && u == uid;
        return n;
}

static Fixture *fixture_new(uint64_t polkit_timeout_usec) {
        Fixture *f = calloc(1, sizeof(Fixture));

        assert_non_null(f);
        bus_pair_open(&f->p);
        assert_int_equal(authorizer_new(&f->a, f->p.daemon, polkit_timeout_usec), 0);
        assert_true(sd_bus_add_object_vtable(f->p.daemon, NULL, TEST_PATH, TEST_INTERFACE, test_vtable, f) >= 0);
        assert_true(sd_bus_add_filter(f->p.peer, NULL, on_fake_message, f) >= 0);
        return f;
}

static int setup(void **state) {
        *state = fixture_new(LONG_TIMEOUT_USEC);
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        f->a = authorizer_free(f->a);
        for (unsigned i = 0; i < f->n_held; i++) {
                sd_bus_message_unref(f->held[i].message);
                free(f->held[i].subject);
        }
        bus_pair_close(&f->p);
        for (unsigned i = 0; i < f->n_calls; i++) {
                free(f->calls[i].error);
                free(f->calls[i].message);
        }
        free(f);
        return 0;
}

/* One user's flood: 32 in line, one of them asked, the rest refused at once; answers make room
 * again. */
static void test_one_user_has_32_in_line(void **state) {
        Fixture *f = *state;

        flood(f, 1000, 40);
        run_until_answered(f, 8, 20000);
        run_until_in_line(f, PER_UID, 1);
        assert_int_equal(count(f, 1000, SD_BUS_ERROR_LIMITS_EXCEEDED, MSG_MINE_FULL), 8);

        /* polkit answers 10, one after the other: 10 more may join the line, the 11th is refused */
        for (unsigned i = 0; i < 10; i++) {
                run_until_held(f, 1);
                polkit_answer_held(f, 0, VERDICT_YES);
        }
        run_until_answered(f, 18, 20000);
        assert_int_equal(count(f, 1000, NULL, NULL), 10);
        flood(f, 1000, 11);
        run_until_answered(f, 19, 20000);
        run_until_in_line(f, PER_UID, 1);
        assert_int_equal(count(f, 1000, SD_BUS_ERROR_LIMITS_EXCEEDED, MSG_MINE_FULL), 9);

        polkit_answer_everything(f, VERDICT_YES);
        run_until_answered(f, 51, 20000);
        assert_int_equal(count(f, 1000, NULL, NULL), 42);
        assert_int_equal(f->polkit_asked, 42);
}

/* Three users at their limit and a fourth one's flood leave room for users not yet in line,
 * up to 112 calls; past that, everyone waits for an answer to make room. */
static void test_a_crowd_leaves_room_for_newcomers(void **state) {
        Fixture *f = *state;
        unsigned answered, newcomers = IN_ALL - SHARED - 1;

        for (unsigned uid = 1001; uid <= 1003; uid++)
                flood(f, uid, 40);
        run_until_answered(f, 24, 20000);
        run_until_in_line(f, 3 * PER_UID, 3);
        for (unsigned uid = 1001; uid <= 1003; uid++)
                assert_int_equal(count(f, uid, SD_BUS_ERROR_LIMITS_EXCEEDED, MSG_MINE_FULL), 8);

        /* the line holds 96: a fourth user gets one call in, no more */
        flood(f, 1004, 40);
        run_until_answered(f, 24 + 39, 1000);
        run_until_in_line(f, SHARED + 1, 4);
        assert_int_equal(held_of(f, 1004), 1);
        assert_int_equal(count(f, 1004, SD_BUS_ERROR_LIMITS_EXCEEDED, MSG_ALL_FULL), 39);

        /* users with none in line get one each, up to 112 in all; polkit holds 8 at most */
        for (unsigned uid = 1005; uid < 1005 + newcomers; uid++)
                call_from(f, uid, 1, false);
        run_until_in_line(f, IN_ALL, ASKED);
        answered = f->n_answered;
        assert_int_equal(answered, 24 + 39);

        /* a full line: a newcomer is refused too, and so is a crowd member */
        call_from(f, 2000, 1, false);
        call_from(f, 1001, 1, false);
        run_until_answered(f, answered + 2, 1000);
        assert_int_equal(count(f, 2000, SD_BUS_ERROR_LIMITS_EXCEEDED, MSG_ALL_FULL), 1);
        assert_int_equal(count(f, 1001, SD_BUS_ERROR_LIMITS_EXCEEDED, MSG_MINE_FULL), 9);

        /* one of 1001's calls answered: a newcomer fits again, 1001 itself does not (the line
         * is past the shared part) */
        polkit_answer_held(f, held_index(f, 1001), VERDICT_YES);
        run_until_answered(f, answered + 3, 1000);
        call_from(f, 1001, 2, false);
        run_until_answered(f, answered + 4, 1000);
        assert_int_equal(count(f, 1001, SD_BUS_ERROR_LIMITS_EXCEEDED, MSG_ALL_FULL), 1);
        call_from(f, 2000, 1, false);
        run_until_in_line(f, IN_ALL, ASKED);

        polkit_answer_everything(f, VERDICT_YES);
        run_until_answered(f, f->n_calls, 2000);
        assert_int_equal(count(f, 2000, NULL, NULL), 1);
}

/* Users with calls in line share 96 places: past that, one under its own limit is refused
 * too, while a user with none in line still gets in. */
static void test_users_in_line_share_96(void **state) {
        Fixture *f = *state;

        flood(f, 1001, PER_UID);
        flood(f, 1002, PER_UID);
        flood(f, 1003, PER_UID - 1);
        call_from(f, 1004, 1, false);
        run_until_in_line(f, SHARED, 4);
        assert_int_equal(f->n_answered, 0);

        call_from(f, 1003, 1, false);   /* 31 of its own in line, but 96 in all */
        run_until_answered(f, 1, 20000);
        assert_int_equal(count(f, 1003, SD_BUS_ERROR_LIMITS_EXCEEDED, MSG_ALL_FULL), 1);
        call_from(f, 1005, 1, false);
        run_until_in_line(f, SHARED + 1, 5);
        assert_int_equal(held_of(f, 1005), 1);
}

/* Root never joins the line, however long it is, from fresh connections or not. */
static void test_root_never_waits(void **state) {
        Fixture *f = *state;

        for (unsigned uid = 1001; uid <= 1003; uid++)
                flood(f, uid, PER_UID);
        for (unsigned uid = 1004; uid < 1004 + IN_ALL - 3 * PER_UID; uid++)
                call_from(f, uid, 1, false);
        run_until_in_line(f, IN_ALL, ASKED);

        for (unsigned i = 0; i < 200; i++)
                call_from(f, 0, i, false);     /* a connection each */
        for (unsigned i = 0; i < 200; i++)
                call_from(f, 0, 1000, false);  /* one connection */
        /* answered while the line stays full: none waited for polkit */
        bus_pair_run_until(&f->p, &f->n_answered, 400, 20000);
        assert_int_equal(count(f, 0, NULL, NULL), 400);
        assert_int_equal(f->polkit_asked, ASKED);   /* none of root's */
        assert_int_equal(authorizer_pending(f->a), IN_ALL);
}

/* polkit gets the users' questions in turn, one per user at a time: a user's question waits
 * behind at most one of each other user, however many those have in line. */
static void test_users_are_asked_in_turn(void **state) {
        Fixture *f = *state;
        unsigned admin_asked = 0, seen[12] = {};

        /* 12 users, 8 calls each (interactive: polkit asks them all), and then one admin call */
        for (unsigned uid = 1000; uid < 1012; uid++)
                for (unsigned i = 0; i < 8; i++)
                        call_from(f, uid, 1, true);
        run_until_in_line(f, 12 * 8, ASKED);
        call_from(f, 5000, 1, false);
        run_until_in_line(f, 12 * 8 + 1, ASKED);
        for (unsigned i = 0; i < ASKED; i++)
                assert_int_equal(f->asked_uid[i], 1000 + i);

        /* polkit answers the oldest question each time; the next goes out at once */
        while (!admin_asked) {
                unsigned before = f->polkit_asked;

                polkit_answer_held(f, 0, VERDICT_NO);
                bus_pair_run_until(&f->p, &f->polkit_asked, before + 1, 20000);
                assert_int_equal(f->polkit_asked, before + 1);
                if (f->asked_uid[before] == 5000)
                        admin_asked = before;
                else
                        seen[f->asked_uid[before] - 1000]++;
        }
        /* the four users not asked yet went first, then the admin: behind one of each */
        assert_int_equal(admin_asked, 12);
        for (unsigned i = 0; i < 12; i++)
                assert_true(seen[i] <= 1);
        polkit_answer_held(f, held_index(f, 5000), VERDICT_YES);
        run_until_answered(f, 6, 20000);   /* five no, then the admin's yes */
        assert_null(f->calls[12 * 8].error);
        /* the turn goes on past the admin: the next question is user 1000's */
        assert_int_equal(f->asked_uid[f->polkit_asked - 1], 1000);
        polkit_answer_everything(f, VERDICT_NO);
        assert_int_equal(count(f, 1000, SD_BUS_ERROR_ACCESS_DENIED, "Not authorized to perform " ACTION "."), 8);
}

/* Each call gets its own verdict, whatever order polkit answers in. */
static void test_each_call_gets_its_own_verdict(void **state) {
        Fixture *f = *state;
        Call *yes = call_from(f, 1001, 1, false);
        Call *no = call_from(f, 1002, 1, false);
        Call *challenge = call_from(f, 1003, 1, false);
        Call *challenge_interactive = call_from(f, 1004, 1, true);
        Call *dismissed = call_from(f, 1005, 1, true);

        run_until_held(f, 5);
        /* the subjects, in the order asked; only interactive calls allow polkit's dialog */
        for (unsigned i = 0; i < 5; i++) {
                char want[32];
                snprintf(want, sizeof want, ":%u.1", 1001 + i);
                assert_string_equal(f->held[i].subject, want);
                assert_int_equal(f->held[i].flags, i >= 3 ? 1 : 0);
        }
        polkit_answer_held(f, 4, VERDICT_DISMISSED);
        polkit_answer_held(f, 3, VERDICT_CHALLENGE);
        polkit_answer_held(f, 2, VERDICT_CHALLENGE);
        polkit_answer_held(f, 1, VERDICT_NO);
        polkit_answer_held(f, 0, VERDICT_YES);
        run_until_answered(f, 5, 20000);

        assert_null(yes->error);
        assert_string_equal(no->error, SD_BUS_ERROR_ACCESS_DENIED);
        assert_string_equal(no->message, "Not authorized to perform " ACTION ".");
        assert_string_equal(challenge->error, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED);
        assert_string_equal(challenge->message, "Interactive authentication required for " ACTION ".");
        assert_string_equal(challenge_interactive->error, SD_BUS_ERROR_ACCESS_DENIED);
        assert_string_equal(dismissed->error, SYSOPS_ERROR_AUTHORIZATION_CANCELLED);
        assert_string_equal(dismissed->message, "Authentication for " ACTION " was cancelled.");
        assert_int_equal(authorizer_pending(f->a), 0);
}

/* A caller's uid is asked of the bus once per connection, not once per call; a yes is never
 * kept: every call is asked. */
static void test_uid_asked_once_per_connection(void **state) {
        Fixture *f = *state;

        f->polkit = POLKIT_YES;
        call_from(f, 1000, 1, false);
        run_until_answered(f, 1, 20000);
        for (unsigned i = 0; i < 10; i++)
                call_from(f, 1000, 1, false);
        call_from(f, 1000, 2, false);
        run_until_answered(f, 12, 20000);
        assert_int_equal(count(f, 1000, NULL, NULL), 12);
        assert_int_equal(f->uid_asked, 2);
        assert_int_equal(f->polkit_asked, 12);
}

/* polkit refused a user's non-interactive call: the user's calls that wait in line, and those
 * for the next 5 s, get the same answer without polkit being asked; its other users and
 * interactive calls are asked as ever. */
static void test_a_refusal_is_kept_for_seconds(void **state) {
        Fixture *f = *state;
        Call *interactive;

        flood(f, 1000, PER_UID);
        call_from(f, 1001, 1, false);
        run_until_in_line(f, PER_UID + 1, 2);
        polkit_answer_held(f, held_index(f, 1000), VERDICT_CHALLENGE);
        run_until_answered(f, PER_UID, 20000);
        assert_int_equal(count(f, 1000, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
                               "Interactive authentication required for " ACTION "."), PER_UID);
        assert_int_equal(f->polkit_asked, 2);

        /* the answer at once from now on, taking no room in line */
        f->polkit = POLKIT_CHALLENGE;
        flood(f, 1000, 2 * PER_UID);
        run_until_answered(f, 3 * PER_UID, 20000);
        assert_int_equal(count(f, 1000, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED, NULL), 3 * PER_UID);
        assert_int_equal(f->polkit_asked, 2);

        /* an interactive call is asked: polkit may prompt; its yes ends the kept refusal */
        f->polkit = POLKIT_STALLED;
        interactive = call_from(f, 1000, 2, true);
        run_until_held(f, 2);
        polkit_answer_held(f, held_index(f, 1000), VERDICT_YES);
        run_until_answered(f, 3 * PER_UID + 1, 20000);
        assert_null(interactive->error);
        call_from(f, 1000, 1, false);
        run_until_held(f, 2);
        assert_int_equal(f->polkit_asked, 4);
        polkit_answer_held(f, held_index(f, 1000), VERDICT_NO);
        polkit_answer_held(f, held_index(f, 1001), VERDICT_NO);
        run_until_answered(f, 3 * PER_UID + 3, 20000);
        call_from(f, 1000, 1, false);
        call_from(f, 1001, 1, false);
        run_until_answered(f, 3 * PER_UID + 5, 20000);
        assert_int_equal(f->polkit_asked, 4);
        assert_int_equal(count(f, 1001, SD_BUS_ERROR_ACCESS_DENIED, "Not authorized to perform " ACTION "."), 2);

        /* 5 s later polkit is asked again */
        bus_pair_run_for(&f->p, DENIAL_KEPT_MS + 100);
        call_from(f, 1000, 1, false);
        run_until_held(f, 1);
        assert_int_equal(f->polkit_asked, 5);
}

/* polkit silent: every call in line, asked or not, is refused with AuthorizationUnavailable
 * at the timeout from joining the line, and the line is free again. */
static void test_a_silent_polkit_times_out(void **state) {
        Fixture *f = fixture_new(100 * 1000);
        Call *interactive;
        unsigned took;

        *state = f;
        flood(f, 1000, PER_UID);
        interactive = call_from(f, 1001, 1, true);
        run_until_in_line(f, PER_UID + 1, 2);

        took = bus_pair_run_until(&f->p, &f->n_answered, PER_UID, 20000);
        assert_int_equal(f->n_answered, PER_UID);
        assert_true(took >= 50);   /* counted from joining the line, ~20 ms before */
        assert_int_equal(count(f, 1000, SYSOPS_ERROR_AUTHORIZATION_UNAVAILABLE,
                               "Authorization not possible: polkit did not answer within 0.1 s. Nothing was "
                               "changed; trying again later is fine."), PER_UID);
        assert_true(f->polkit_asked < PER_UID / 2);   /* most timed out in line, not asked */

        /* an interactive question waits longer: a person may be typing */
        bus_pair_run_for(&f->p, 200);
        assert_false(interactive->answered);
        assert_int_equal(authorizer_pending(f->a), 1);

        /* the timed-out calls left the line: the user gets 32 in again */
        flood(f, 1000, PER_UID + 1);
        run_until_answered(f, PER_UID + 1, 1000);
        assert_int_equal(count(f, 1000, SD_BUS_ERROR_LIMITS_EXCEEDED, MSG_MINE_FULL), 1);
        polkit_answer_held(f, held_index(f, 1001), VERDICT_YES);
        run_until_answered(f, PER_UID + 2, 1000);
        assert_true(interactive->answered);
        assert_null(interactive->error);
}

/* polkit not on the bus, or failing: a refusal that says so, never a yes, never a "no". */
static void test_polkit_unavailable_or_failing_refuses(void **state) {
        Fixture *f = *state;

        f->polkit = POLKIT_GONE;
        call_from(f, 1000, 1, false);
        run_until_answered(f, 1, 20000);
        assert_string_equal(f->calls[0].error, SYSOPS_ERROR_AUTHORIZATION_UNAVAILABLE);
        assert_string_equal(f->calls[0].message, "Authorization not possible: polkit is unavailable (The name is "
                                                 "not activatable). Nothing was changed; trying again later is fine.");

        f->polkit = POLKIT_BROKEN;
        call_from(f, 1000, 1, false);
        run_until_answered(f, 2, 20000);
        assert_string_equal(f->calls[1].error, SYSOPS_ERROR_AUTHORIZATION_UNAVAILABLE);
        assert_string_equal(f->calls[1].message, "Authorization not possible: polkit could not check the caller "
                                                 "(Action " ACTION " is not registered). Nothing was changed; "
                                                 "trying again later is fine.");
        /* neither is kept: the next call asks again */
        call_from(f, 1000, 1, false);
        run_until_answered(f, 3, 20000);
        assert_int_equal(f->polkit_asked, 3);
        assert_int_equal(authorizer_pending(f->a), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_one_user_has_32_in_line, setup, teardown),
                cmocka_unit_test_setup_teardown(test_a_crowd_leaves_room_for_newcomers, setup, teardown),
                cmocka_unit_test_setup_teardown(test_users_in_line_share_96, setup, teardown),
                cmocka_unit_test_setup_teardown(test_root_never_waits, setup, teardown),
                cmocka_unit_test_setup_teardown(test_users_are_asked_in_turn, setup, teardown),
                cmocka_unit_test_setup_teardown(test_each_call_gets_its_own_verdict, setup, teardown),
                cmocka_unit_test_setup_teardown(test_uid_asked_once_per_connection, setup, teardown),
                cmocka_unit_test_setup_teardown(test_a_refusal_is_kept_for_seconds, setup, teardown),
                cmocka_unit_test_teardown(test_a_silent_polkit_times_out, teardown),
                cmocka_unit_test_setup_teardown(test_polkit_unavailable_or_failing_refuses, setup, teardown),
        };

        log_setup("test-bus-authorize", LOG_ERR);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
