/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bus-authorize.h"
#include "log.h"
#include "macro.h"
#include "sysops-names.h"
#include "text.h"

#define INTERACTIVE_TIMEOUT_USEC (300ULL * 1000000ULL)
/* dbus-daemon lets a connection wait for at most 128 replies (max_replies_per_connection):
 * past that its questions to polkit would fail; stay under it, with room for the rest. (Its
 * own answers, GetConnectionUnixUser's, are not counted there, nor here.) */
#define MAX_PENDING_QUERIES 112u
/* one user's calls waiting for polkit (a stalled agent holds interactive ones 300 s) may not
 * use up everyone's room */
#define MAX_PENDING_PER_UID 32u
/* users with questions in line share this much of it (three users at their own cap); the
 * rest is kept for users with none in line yet, so no crowd shuts a newcomer out */
#define MAX_SHARED_QUERIES 96u
/* polkitd works through the questions it holds in the order they came: whatever we send it
 * waits there behind everything sent before. So only a few are out at a time, taken from our
 * line one per user in turn: a question waits behind at most one per other user. */
#define MAX_ASKED 8u
#define MAX_ASKED_PER_UID 1u
/* a question with less time left is not worth asking: it times out in line instead */
#define MIN_ASK_USEC (10ULL * 1000ULL)
/* A non-interactive call polkit refused (no, or a password needed) is refused again for this
 * long without asking: a user who will not be let in cannot keep polkitd busy. Never a yes. */
#define DENIAL_CACHE_USEC (5ULL * 1000000ULL)
#define DENIAL_CACHE_SIZE 64u
#define UID_CACHE_SIZE 64u
/* an answer slower than this is worth a line in the journal */
#define SLOW_ANSWER_USEC (5ULL * 1000000ULL)
/* at most one line per this long says that polkit did not answer */
#define UNAVAILABLE_LOG_INTERVAL_USEC (10ULL * 1000000ULL)
/* The "action" of a query for the uid alone; never sent to polkit. */
#define IDENTIFY_ACTION "(the caller's uid)"
#define RETRY_IS_FINE "Nothing was changed; trying again later is fine."

/* CheckAuthorization flag: polkit may ask an authentication agent. */
#define POLKIT_ALLOW_USER_INTERACTION 1u

typedef struct AuthQuery AuthQuery;

struct AuthQuery {
        Authorizer *owner;
        AuthQuery *next;
        sd_bus_message *request;   /* the call waiting for the verdict (a reference) */
        char *action;
        sd_bus_slot *slot;         /* the pending question (the caller's uid, then polkit's verdict) */
        sd_event_source *expiry;   /* while in line, not yet asked: the end of its wait */
        uid_t uid;
        bool uid_known;
        bool identify_only;        /* only the uid was wanted (authorizer_identify) */
        bool interactive;          /* the call allows a password prompt */
        bool in_line;              /* admitted: waits to be asked, or for polkit's answer */
        bool asked;                /* the question went to polkit */
        bool answered;
        uint64_t queued_usec;      /* CLOCK_MONOTONIC, when it joined the line */
        uint64_t deadline_usec;    /* CLOCK_MONOTONIC, when it is refused unanswered */
        uint64_t asked_usec;       /* CLOCK_MONOTONIC, when the question went to polkit */
        uint64_t answered_usec;    /* CLOCK_MONOTONIC, for the sweep of verdicts never collected */
        sd_bus_error refusal;      /* unset when the answer was yes */
};

typedef struct UidCacheEntry {
        char *name;
        uid_t uid;
} UidCacheEntry;

/* polkit's recent refusal of a non-interactive call of uid for action. */
typedef struct DenialEntry {
        char *action;
        uid_t uid;
        bool challenge;            /* a password would have done */
        uint64_t until_usec;       /* CLOCK_MONOTONIC */
} DenialEntry;

struct Authorizer {
        sd_bus *bus;
        uint64_t timeout_usec;
        AuthQuery *queries;
        unsigned n_queries;
        uid_t turn;                /* the uid whose question went to polkit last */
        /* Unique bus names are never reused during a bus's lifetime, so a name's uid never
         * goes stale; the ring only bounds memory. */
        UidCacheEntry uid_cache[UID_CACHE_SIZE];
        unsigned uid_cache_next;
        DenialEntry denials[DENIAL_CACHE_SIZE];
        unsigned denials_next;
        uint64_t slow_noted_usec;  /* when a slow answer was last logged */
        uint64_t unavailable_noted_usec;   /* when polkit's silence was last logged */
        unsigned unavailable_unlogged;     /* refusals since then */
        authorizer_allowed_t allowed;
        void *allowed_userdata;
};

bool authorizer_awaits(const Authorizer *a, sd_bus_message *call) {
        assert(a);
        for (const AuthQuery *q = a->queries; q; q = q->next)
                if (q->request == call)
                        return true;
        return false;
}

void authorizer_on_allowed(Authorizer *a, authorizer_allowed_t callback, void *userdata) {
        assert(a);
        a->allowed = callback;
        a->allowed_userdata = userdata;
}

int authorizer_new(Authorizer **ret, sd_bus *bus, uint64_t timeout_usec) {
        Authorizer *a;

        assert(ret);
        assert(bus);

        a = calloc(1, sizeof *a);
        if (!a)
                return -ENOMEM;
        a->bus = sd_bus_ref(bus);
        a->timeout_usec = timeout_usec;
        *ret = a;
        return 0;
}

static void query_free(AuthQuery *q) {
        Authorizer *a;

        assert(q);
        a = ASSERT_PTR(q->owner);
        assert(a->n_queries > 0);

        for (AuthQuery **p = &a->queries; *p; p = &(*p)->next)
                if (*p == q) {
                        *p = q->next;
                        break;
                }
        a->n_queries--;
        sd_bus_slot_unref(q->slot);
        sd_event_source_disable_unref(q->expiry);
        sd_bus_message_unref(q->request);
        sd_bus_error_free(&q->refusal);
        free(q->action);
        free(q);
}

Authorizer *authorizer_free(Authorizer *a) {
        if (!a)
                return NULL;
        if (a->n_queries > 0)
                log_debug("Dropping %u unanswered authorization queries.", a->n_queries);
        while (a->queries)
                query_free(a->queries);
        for (unsigned i = 0; i < UID_CACHE_SIZE; i++)
                free(a->uid_cache[i].name);
        for (unsigned i = 0; i < DENIAL_CACHE_SIZE; i++)
                free(a->denials[i].action);
        sd_bus_unref(a->bus);
        free(a);
        return NULL;
}

unsigned authorizer_pending(const Authorizer *a) {
        unsigned n = 0;

        assert(a);
        for (const AuthQuery *q = a->queries; q; q = q->next)
                n += !q->answered;
        return n;
}

static bool uid_cached(const Authorizer *a, const char *sender, uid_t *ret) {
        for (unsigned i = 0; i < UID_CACHE_SIZE; i++)
                if (a->uid_cache[i].name && strcmp(a->uid_cache[i].name, sender) == 0) {
                        *ret = a->uid_cache[i].uid;
                        return true;
                }
        return false;
}

static void uid_cache_put(Authorizer *a, const char *sender, uid_t uid) {
        UidCacheEntry *e;
        uid_t known;
        char *name;

        if (uid_cached(a, sender, &known))
                return;
        name = strdup(sender);
        if (!name)
                return;
        e = &a->uid_cache[a->uid_cache_next];
        free(e->name);
        *e = (UidCacheEntry) { .name = name, .uid = uid };
        a->uid_cache_next = (a->uid_cache_next + 1) % UID_CACHE_SIZE;
}

/* The sender's uid without asking anyone: from the call itself when the bus attached it,
 * else from the cache. */
static bool uid_at_hand(const Authorizer *a, sd_bus_message *call, uid_t *ret) {
        sd_bus_creds *creds = sd_bus_message_get_creds(call);
        const char *sender = sd_bus_message_get_sender(call);

        if (creds && (sd_bus_creds_get_mask(creds) & SD_BUS_CREDS_EUID) && sd_bus_creds_get_euid(creds, ret) >= 0)
                return true;
        return sender && uid_cached(a, sender, ret);
}

int authorizer_sender_uid(Authorizer *a, sd_bus_message *call, uid_t *ret) {
        assert(a);
        assert(call);
        assert(ret);

        return uid_at_hand(a, call, ret) ? 0 : -ENODATA;
}

void authorizer_learn_sender_uid(Authorizer *a, const char *sender, uid_t uid) {
        assert(a);
        assert(sender);

        uid_cache_put(a, sender, uid);
}

/* The live cache entry of uid and action, or NULL. */
static DenialEntry *denial_find(Authorizer *a, uid_t uid, const char *action) {
        uint64_t now = monotonic_usec();

        for (unsigned i = 0; i < DENIAL_CACHE_SIZE; i++) {
                DenialEntry *e = &a->denials[i];
                if (e->action && e->uid == uid && e->until_usec > now && strcmp(e->action, action) == 0)
                        return e;
        }
        return NULL;
}

static void denial_put(Authorizer *a, uid_t uid, const char *action, bool challenge) {
        DenialEntry *e = denial_find(a, uid, action);
        char *copy;

        if (!e) {
                copy = strdup(action);
                if (!copy)
                        return;   /* only a cache: the next call asks polkit */
                e = &a->denials[a->denials_next];
                a->denials_next = (a->denials_next + 1) % DENIAL_CACHE_SIZE;
                free(e->action);
                *e = (DenialEntry) { .action = copy, .uid = uid };
        }
        e->challenge = challenge;
        e->until_usec = monotonic_usec() + DENIAL_CACHE_USEC;
}

/* polkit said yes to uid for action: a refusal it said before no longer holds. */
static void denial_forget(Authorizer *a, uid_t uid, const char *action) {
        DenialEntry *e = denial_find(a, uid, action);

        if (e)
                e->until_usec = 0;
}

/* The refusal polkit gave a non-interactive call of uid for action (a password needed, or
 * no), told again. */
static int set_refusal(sd_bus_error *error, bool challenge, const char *action) {
        if (challenge)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
                                         "Interactive authentication required for %s.", action);
        return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED, "Not authorized to perform %s.", action);
}

/* The refusal kept for a call of uid, or NULL: polkit may prompt on an interactive call, so it
 * is always asked. */
static DenialEntry *kept_refusal(Authorizer *a, uid_t uid, const char *action, bool interactive) {
        return interactive ? NULL : denial_find(a, uid, action);
}

/* The refusal is polkit's silence, not its no: say so, and that the call may be tried again. One
 * line in the journal now and then says how long callers waited. */
static void refuse_unavailable(AuthQuery *q, const char *why) {
        Authorizer *a = q->owner;
        uint64_t now = monotonic_usec(), waited = now - (q->queued_usec ?: now);

        sd_bus_error_setf(&q->refusal, SYSOPS_ERROR_AUTHORIZATION_UNAVAILABLE, "Authorization not possible: %s. %s",
                          why, RETRY_IS_FINE);
        if (a->unavailable_noted_usec && now - a->unavailable_noted_usec < UNAVAILABLE_LOG_INTERVAL_USEC) {
                a->unavailable_unlogged++;
                return;
        }
        log_warning("Refusing %s to uid %u after %.1f s: %s (and %u more such refusals since the last line).",
                    q->action, (unsigned) q->uid, (double) waited / 1e6, why, a->unavailable_unlogged);
        a->unavailable_noted_usec = now;
        a->unavailable_unlogged = 0;
}

static void refuse_timed_out(AuthQuery *q) {
        _cleanup_free_ char *why = NULL;

        why = text_printf("polkit did not answer within %.3g s", (double) q->owner->timeout_usec / 1e6);
        refuse_unavailable(q, why ?: "polkit did not answer in time");
}

/* polkit answered with an error: it is not there, it did not answer in time, or it could not
 * check. */
static void query_judge_error(AuthQuery *q, const sd_bus_error *e) {
        _cleanup_free_ char *why = NULL;
        const char *detail = e->message ?: e->name;

        if (sd_bus_error_has_names(e, SD_BUS_ERROR_NO_REPLY, SD_BUS_ERROR_TIMEOUT))
                return refuse_timed_out(q);
        if (sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER,
                                        SD_BUS_ERROR_DISCONNECTED))
                why = text_printf("polkit is unavailable (%s)", detail);
        else
                why = text_printf("polkit could not check the caller (%s)", detail);
        refuse_unavailable(q, why ?: "polkit did not answer");
}

/* CheckAuthorization's answer, (bba{ss}): authorized, challenge, and whether the details say
 * the person dismissed the dialog. */
static int read_polkit_answer(sd_bus_message *reply, int *authorized, int *challenge, bool *dismissed) {
        const char *key, *value;
        int r;

        *dismissed = false;
        r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "bb", authorized, challenge);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "{ss}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(reply, "{ss}", &key, &value)) > 0)
                if (strcmp(key, "polkit.dismissed") == 0 && strcmp(value, "true") == 0)
                        *dismissed = true;
        return r;
}

/* Turns polkit's reply into the verdict stored in q->refusal (left unset for yes); a refusal
 * of a non-interactive call is kept for the calls after it. */
static void query_judge(AuthQuery *q, sd_bus_message *reply) {
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        int authorized, challenge, r;
        bool dismissed;

        if (e)
                return query_judge_error(q, e);
        r = read_polkit_answer(reply, &authorized, &challenge, &dismissed);
        if (r < 0) {
                log_warning_errno(r, "Cannot parse polkit's answer about %s: %m", q->action);
                return refuse_unavailable(q, "polkit's answer could not be read");
        }

        if (authorized) {
                if (q->owner->allowed)
                        q->owner->allowed(q->uid, q->owner->allowed_userdata);
                return denial_forget(q->owner, q->uid, q->action);
        }
        if (dismissed)
                sd_bus_error_setf(&q->refusal, SYSOPS_ERROR_AUTHORIZATION_CANCELLED,
                                  "Authentication for %s was cancelled.", q->action);
        else if (!q->interactive) {
                set_refusal(&q->refusal, challenge, q->action);
                denial_put(q->owner, q->uid, q->action, challenge);
        } else
                sd_bus_error_setf(&q->refusal, SD_BUS_ERROR_ACCESS_DENIED,
                                  "Not authorized to perform %s.", q->action);
}

/* The verdict is in (q->refusal unset for yes): run the handler again; it finds the answered
 * query and carries on. */
static void query_answered(AuthQuery *q) {
        _cleanup_free_ char *why = NULL;
        int r;

        q->slot = sd_bus_slot_unref(q->slot);
        q->expiry = sd_event_source_disable_unref(q->expiry);
        q->answered = true;
        q->answered_usec = monotonic_usec();
        r = sd_bus_enqueue_for_read(q->owner->bus, q->request);
        if (r >= 0)
                return;
        log_error_errno(r, "Cannot re-dispatch a call after authorization: %m");
        errno = -r;   /* for %m */
        why = text_printf("Cannot complete the call after authorization: %m");
        (void) sd_bus_reply_method_errorf(q->request, SD_BUS_ERROR_FAILED, "%s",
                                          why ?: "Cannot complete the call after authorization.");
        query_free(q);
}

/* polkitd 122 (Debian 12) now and then waits out its 15 s limit for a rules script that has
 * long finished (a lost wakeup), answering no one meanwhile: log such a stall once, when its
 * first answer comes. */
static void note_slow_answer(AuthQuery *q) {
        Authorizer *a = q->owner;
        uint64_t now = monotonic_usec(), took = now - q->asked_usec;

        if (took < SLOW_ANSWER_USEC || now - a->slow_noted_usec < took)
                return;   /* quick, or this stall was logged already */
        a->slow_noted_usec = now;
        log_warning("polkit took %.1f s to answer whether uid %u may %s; callers waited meanwhile.",
                    (double) took / 1e6, (unsigned) q->uid, q->action);
}

static void dispatch(Authorizer *a);

static int on_polkit_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        AuthQuery *q = ASSERT_PTR(userdata);
        Authorizer *a = q->owner;

        if (!sd_bus_message_is_method_error(reply, NULL))
                note_slow_answer(q);
        query_judge(q, reply);
        query_answered(q);
        dispatch(a);
        return 0;
}

/* How many questions are in line (waiting to be asked, or asked) and how many were asked, of
 * all and of uid's. */
typedef struct LineCount {
        unsigned all, mine, asked, asked_mine;
} LineCount;

static LineCount count_in_line(const Authorizer *a, uid_t uid) {
        LineCount n = {};

        for (const AuthQuery *q = a->queries; q; q = q->next)
                if (q->in_line && !q->answered) {
                        n.all++;
                        n.mine += q->uid == uid;
                        n.asked += q->asked;
                        n.asked_mine += q->asked && q->uid == uid;
                }
        return n;
}

/* Why uid's question may not join the line now, or NULL when it may. */
static const char *line_is_full(const Authorizer *a, uid_t uid) {
        LineCount n = count_in_line(a, uid);

        if (n.mine >= MAX_PENDING_PER_UID)
                return "Too many of your requests are waiting for authorization; try again later.";
        if (n.all >= MAX_PENDING_QUERIES || (n.mine > 0 && n.all >= MAX_SHARED_QUERIES))
                return "Too many authorization requests are pending; try again later.";
        return NULL;
}

/* CheckAuthorization of q's action for its caller's bus name, asynchronously, answered by
 * q's deadline. */
static int polkit_ask_async(AuthQuery *q, uint64_t now) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *question = NULL;
        Authorizer *a = q->owner;
        int r;

        r = sd_bus_message_new_method_call(a->bus, &question, "org.freedesktop.PolicyKit1",
                                           "/org/freedesktop/PolicyKit1/Authority",
                                           "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization");
        if (r < 0)
                return r;
        r = sd_bus_message_append(question, "(sa{sv})sa{ss}us",
                                  "system-bus-name", 1, "name", "s", sd_bus_message_get_sender(q->request),
                                  q->action, 0,
                                  q->interactive ? POLKIT_ALLOW_USER_INTERACTION : 0u, "");
        if (r < 0)
                return r;
        return sd_bus_call_async(a->bus, &q->slot, question, on_polkit_reply, q, q->deadline_usec - now);
}

/* The question of q's uid that waited longest to be asked, or NULL. (The list is newest
 * first.) */
static AuthQuery *oldest_waiting(Authorizer *a, uid_t uid) {
        AuthQuery *oldest = NULL;

        for (AuthQuery *q = a->queries; q; q = q->next)
                if (q->in_line && !q->asked && !q->answered && q->uid == uid)
                        oldest = q;
        return oldest;
}

/* The question to ask next: the oldest of the first uid after the last one asked about (in
 * the order of uids, round and round) that has one waiting and fewer than its share asked. */
static AuthQuery *next_in_turn(Authorizer *a) {
        AuthQuery *best = NULL;
        uid_t best_key = 0;

        for (AuthQuery *q = a->queries; q; q = q->next) {
                uid_t key = q->uid - a->turn - 1;   /* 0 for the uid right after the last one */

                if (!q->in_line || q->asked || q->answered || (best && key >= best_key))
                        continue;
                if (count_in_line(a, q->uid).asked_mine >= MAX_ASKED_PER_UID)
                        continue;
                best = q;
                best_key = key;
        }
        return best ? oldest_waiting(a, best->uid) : NULL;
}

/* A non-interactive call of a user polkit refused the same a moment ago is refused again, and
 * polkit is not asked: true when q is so answered. */
static bool refused_from_cache(AuthQuery *q) {
        DenialEntry *denied = kept_refusal(q->owner, q->uid, q->action, q->interactive);

        if (!denied)
                return false;
        log_debug("Refusing uid %u %s as polkit did a moment ago.", (unsigned) q->uid, q->action);
        set_refusal(&q->refusal, denied->challenge, q->action);
        query_answered(q);
        return true;
}

/* Sends q's question to polkit. */
static void ask_polkit(AuthQuery *q) {
        Authorizer *a = q->owner;
        uint64_t now = monotonic_usec();
        int r;

        if (q->deadline_usec < now + MIN_ASK_USEC) {
                refuse_timed_out(q);
                return query_answered(q);
        }
        a->turn = q->uid;
        q->expiry = sd_event_source_disable_unref(q->expiry);   /* the call's timeout takes over */
        r = polkit_ask_async(q, now);
        if (r < 0) {
                _cleanup_free_ char *why = NULL;

                errno = -r;   /* for %m */
                why = text_printf("polkit could not be asked (%m)");
                refuse_unavailable(q, why ?: "polkit could not be asked");
                return query_answered(q);
        }
        q->asked = true;
        q->asked_usec = now;
        log_debug("Asked polkit whether uid %u may %s (%u questions out).", (unsigned) q->uid, q->action,
                  count_in_line(a, q->uid).asked);
}

/* Asks polkit the next questions in turn while fewer than MAX_ASKED are out. */
static void dispatch(Authorizer *a) {
        AuthQuery *q;

        while (count_in_line(a, 0).asked < MAX_ASKED && (q = next_in_turn(a)))
                if (!refused_from_cache(q))
                        ask_polkit(q);
}

/* A question still in line at its deadline: polkit is too slow to get to it. */
static int on_expiry(sd_event_source *s, uint64_t usec, void *userdata) {
        AuthQuery *q = ASSERT_PTR(userdata);

        refuse_timed_out(q);
        query_answered(q);
        return 0;
}

/* q joins the line (or is refused at once when it is full, or answered from the denial cache),
 * and polkit is asked in turn. */
static void query_enqueue(AuthQuery *q) {
        Authorizer *a = q->owner;
        const char *full;
        LineCount n;
        int r;

        if (refused_from_cache(q))
                return;   /* taking no room in line */
        full = line_is_full(a, q->uid);
        if (full) {
                sd_bus_error_set(&q->refusal, SD_BUS_ERROR_LIMITS_EXCEEDED, full);
                return query_answered(q);
        }
        q->queued_usec = monotonic_usec();
        q->deadline_usec = q->queued_usec + (q->interactive ? INTERACTIVE_TIMEOUT_USEC : a->timeout_usec);
        r = sd_event_add_time(sd_bus_get_event(a->bus), &q->expiry, CLOCK_MONOTONIC, q->deadline_usec, 0,
                              on_expiry, q);
        if (r < 0) {
                log_error_errno(r, "Cannot time a wait for polkit: %m");
                refuse_unavailable(q, "the wait for polkit could not be timed");
                return query_answered(q);
        }
        q->in_line = true;
        n = count_in_line(a, q->uid);
        log_debug("Whether uid %u may %s waits in line (%u of %u questions in line are theirs).",
                  (unsigned) q->uid, q->action, n.mine, n.all);
        dispatch(a);
}

static int on_uid_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        AuthQuery *q = ASSERT_PTR(userdata);
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        uint32_t uid;

        q->slot = sd_bus_slot_unref(q->slot);
        if (e || sd_bus_message_read(reply, "u", &uid) < 0) {
                sd_bus_error_setf(&q->refusal, SD_BUS_ERROR_ACCESS_DENIED, "Cannot determine the caller's identity: %s",
                                  e ? e->message : "the bus's answer could not be read");
                query_answered(q);
                return 0;
        }
        q->uid = uid;
        q->uid_known = true;
        uid_cache_put(q->owner, sd_bus_message_get_sender(q->request), uid);
        if (uid == 0 || q->identify_only)
                query_answered(q);   /* polkit would say yes to root anyway */
        else
                query_enqueue(q);
        return 0;
}
static AuthQuery *query_find(Authorizer *a, sd_bus_message *call, const char *action) {
        for (AuthQuery *q = a->queries; q; q = q->next)
                if (q->request == call && strcmp(q->action, action) == 0)
                        return q;
        return NULL;
}

/* A verdict is collected by the handler when the call comes back; one that never is (a
 * handler that returned before asking again) would stay forever: drop it after a minute. */
static void sweep_uncollected(Authorizer *a) {
        uint64_t limit = monotonic_usec() - 60 * 1000000ULL;
        AuthQuery *next;

        for (AuthQuery *q = a->queries; q; q = next) {
                next = q->next;
                if (q->answered && q->answered_usec < limit) {
                        log_warning("Dropping the uncollected authorization of %s for %s.", q->action,
                                    sd_bus_message_get_member(q->request));
                        query_free(q);
                }
        }
}

/* A new query for call: the caller's uid at hand, else asked of the bus (without waiting),
 * then polkit's verdict unless the caller is root. Only polkit's line is limited: the bus
 * answers for the uid at once. */
/* A query for call in a's list, or NULL when out of memory. */
static AuthQuery *query_new(Authorizer *a, sd_bus_message *call, const char *action, bool identify_only) {
        _cleanup_free_ AuthQuery *q = NULL;

        q = calloc(1, sizeof *q);
        if (!q)
                return NULL;
        q->action = strdup(action);
        if (!q->action)
                return NULL;
        q->owner = a;
        q->identify_only = identify_only;
        q->interactive = sd_bus_message_get_allow_interactive_authorization(call) > 0;
        q->request = sd_bus_message_ref(call);
        q->next = a->queries;
        a->queries = q;
        a->n_queries++;
        return TAKE_PTR(q);
}

static int query_start(Authorizer *a, sd_bus_message *call, const char *action, bool identify_only,
                       sd_bus_error *error) {
        const char *sender = sd_bus_message_get_sender(call);
        AuthQuery *q;
        int r;

        if (!sender)
                return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED, "Cannot determine the caller's identity.");
        sweep_uncollected(a);

        q = query_new(a, call, action, identify_only);
        if (!q)
                return -ENOMEM;

        if (uid_at_hand(a, call, &q->uid)) {
                q->uid_known = true;
                if (identify_only)
                        query_answered(q);
                else
                        query_enqueue(q);
                return 0;
        }
        r = sd_bus_call_method_async(a->bus, &q->slot, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                     "org.freedesktop.DBus", "GetConnectionUnixUser", on_uid_reply, q, "s", sender);
        if (r < 0) {
                query_free(q);
                return r;
        }
        return 0;
}

int authorizer_check(Authorizer *a, sd_bus_message *call, const char *action, sd_bus_error *error) {
        AuthQuery *q;
        uid_t uid;
        int r;

        assert(a);
        assert(call);
        assert(action);

        q = query_find(a, call, action);
        if (q) {
                if (!q->answered)
                        return 0;
                r = 1;
                if (sd_bus_error_is_set(&q->refusal))
                        r = sd_bus_error_copy(error, &q->refusal);
                else if (q->uid_known)
                        /* the handler asks for the uid next: keep it at hand */
                        uid_cache_put(a, sd_bus_message_get_sender(call), q->uid);
                query_free(q);
                return r;
        }

        if (uid_at_hand(a, call, &uid)) {
                DenialEntry *denied;

                if (uid == 0)
                        return 1;   /* polkit would say yes to root anyway; spare the round trip */
                denied = kept_refusal(a, uid, action, sd_bus_message_get_allow_interactive_authorization(call) > 0);
                if (denied)   /* a refused user's calls cost no more than their answer */
                        return set_refusal(error, denied->challenge, action);
        }
        r = query_start(a, call, action, false, error);
        return r < 0 ? r : 0;
}

int authorizer_identify(Authorizer *a, sd_bus_message *call) {
        AuthQuery *q;
        uid_t uid;
        int r;

        assert(a);
        assert(call);

        q = query_find(a, call, IDENTIFY_ACTION);
        if (q) {
                if (!q->answered)
                        return 0;
                query_free(q);   /* its uid, when the bus told it, is in the cache */
                return 1;
        }
        if (uid_at_hand(a, call, &uid))
                return 1;
        r = query_start(a, call, IDENTIFY_ACTION, true, NULL);
        return r < 0 ? r : 0;
}
