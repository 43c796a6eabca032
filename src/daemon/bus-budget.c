/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-event.h>

#include "bus-budget.h"
#include "call-budget.h"
#include "log.h"
#include "macro.h"
#include "sysops-names.h"
#include "time-util.h"

/* A connection's calls held while its uid is asked: dbus-daemon lets a connection wait for 128
 * replies, so a client that waits for its answers never has more in flight. */
#define MAX_HELD_PER_SENDER 128u
/* all connections' held calls (32 new connections with all they may send at once) ... */
#define MAX_HELD 4096u
/* ... beyond which a connection still gets its first few held: a crowd of new connections
 * does not turn away root's, whose uid is not known either */
#define HELD_ALWAYS 4u
/* a call is held only when it is as small as ours are (its handler refuses a bigger one at
 * once, without reading it in full: bus-args.c) */
#define MAX_HELD_STRING_BYTES 4096u
#define MAX_HELD_ENTRIES 64u
/* calls let through that may come back (polkit's answer dispatches them again) */
#define PASSED_RING 512u
/* how long a uid polkit said yes to goes uncharged: an admin's script is served at full speed;
 * every action is auth_admin_keep, so a plain user never gets there */
#define TRUSTED_USEC (60ULL * USEC_PER_SEC)
/* messages read in one turn of the event loop while calls are being dropped */
#define DRAIN_BATCH 256u
/* more of our messages than this waiting to be written: dbus-daemon no longer reads them */
#define MAX_QUEUED_WRITE 1024u
/* errors for calls that cannot be held, of callers not known yet */
static const BucketLimits held_refusal_limits = { .rate = 20, .burst = 50 };

typedef struct Identification Identification;

struct Identification {
        BusBudget *owner;
        Identification *next;
        char *sender;
        sd_bus_slot *slot;           /* GetConnectionCredentials */
        sd_bus_message *held[MAX_HELD_PER_SENDER];
        unsigned n_held;
};

typedef struct PassedCall {
        const sd_bus_message *call;  /* only compared, never followed */
        uint64_t cookie;
} PassedCall;

struct BusBudget {
        sd_bus *bus;
        const JobTable *jobs;
        Budget *budget;
        sd_bus_slot *filter;
        sd_event_source *drain;        /* reads on while calls are dropped (drain()) */
        Identification *identifications;
        unsigned n_held;
        PassedCall passed[PASSED_RING];
        unsigned passed_next;
        uint64_t unanswered_dropped;   /* NO_REPLY_EXPECTED calls that change nothing */
        uint64_t over_refused, over_dropped;
        TokenBucket held_refusals;     /* LimitsExceeded when MAX_HELD is reached (no uid to charge) */
        bus_budget_returning_t returning;
        void *returning_userdata;
        bus_budget_identified_t identified;
        void *identified_userdata;
        uint64_t held_logged_usec;
};

/* ---- Which call is which ---- */

static bool is_ours(sd_bus_message *m) {
        const char *interface = sd_bus_message_get_interface(m);

        return interface && streq(interface, SYSOPS_INTERFACE);
}

static bool changes_state(sd_bus_message *m) {
        static const char *const members[] = { "SetStatus", "ClearStatus", "Restart", "RestartInstance",
                                                "RestartService" };
        const char *member = sd_bus_message_get_member(m);

        if (!is_ours(m) || !member)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(members); i++)
                if (streq(member, members[i]))
                        return true;
        return false;
}

static unsigned count_jobs(const JobTable *jobs) {
        unsigned n = 0;

        for (const Job *j = jobs->first; j; j = j->next)
                n++;
        return n;
}

/* What a call costs, in units of about a KiB of answer or one call's work: the object
 * manager's answer holds every job (about 0.6 KiB each), Introspect a page of XML. */
static uint32_t call_cost(BusBudget *bb, sd_bus_message *m) {
        if (sd_bus_message_is_method_call(m, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects"))
                return 1 + count_jobs(bb->jobs);
        if (sd_bus_message_is_method_call(m, "org.freedesktop.DBus.Introspectable", "Introspect"))
                return 4 + count_jobs(bb->jobs) / 16;
        if (sd_bus_message_is_method_call(m, "org.freedesktop.DBus.Properties", "GetAll"))
                return 2;
        if (sd_bus_message_is_method_call(m, SYSOPS_INTERFACE, "SystemInformation"))
                return 8;
        return 1;
}

/* ---- Calls that come back ---- */

/* polkit's answer (bus-authorize.c) dispatches a call again: it was charged once already */
static bool may_come_back(sd_bus_message *m) {
        return is_ours(m) || sd_bus_message_is_method_call(m, "org.freedesktop.DBus.Properties", "Get");
}

static void remember_passed(BusBudget *bb, sd_bus_message *m) {
        uint64_t cookie = 0;

        (void) sd_bus_message_get_cookie(m, &cookie);
        bb->passed[bb->passed_next] = (PassedCall) { .call = m, .cookie = cookie };
        bb->passed_next = (bb->passed_next + 1) % PASSED_RING;
}

/* Whether m was let through before (and forgets it: it comes back once). */
static bool passed_before(BusBudget *bb, sd_bus_message *m) {
        uint64_t cookie = 0;

        (void) sd_bus_message_get_cookie(m, &cookie);
        for (unsigned i = 0; i < PASSED_RING; i++)
                if (bb->passed[i].call == m && bb->passed[i].cookie == cookie) {
                        bb->passed[i] = (PassedCall) {};
                        return true;
                }
        return false;
}

/* ---- Logs: one line per uid now and then, not one per call ---- */

static void log_over_budget(BusBudget *bb, const char *sender) {
        char comm[64] = "?", path[64];
        uint64_t over;
        uid_t uid;
        pid_t pid = 0;
        FILE *f;

        if (budget_sender(bb->budget, sender, &uid, &pid) < 0 || !budget_log_due(bb->budget, uid, monotonic_usec(), &over))
                return;
        snprintf(path, sizeof path, "/proc/%ld/comm", (long) pid);
        f = pid > 0 ? fopen(path, "re") : NULL;
        if (f) {
                if (fgets(comm, sizeof comm, f))
                        comm[strcspn(comm, "\n")] = 0;
                fclose(f);
        }
        log_notice("Throttling uid %u (pid %ld, %s, %s): %llu calls over its budget since the last such line.",
                   (unsigned) uid, (long) pid, comm, sender, (unsigned long long) over);
}

/* ---- Who a sender is: asked once per connection, its calls held meanwhile ---- */

static void identification_free(Identification *id) {
        BusBudget *bb = id->owner;

        for (Identification **p = &bb->identifications; *p; p = &(*p)->next)
                if (*p == id) {
                        *p = id->next;
                        break;
                }
        for (unsigned i = 0; i < id->n_held; i++)
                sd_bus_message_unref(id->held[i]);
        assert(bb->n_held >= id->n_held);
        bb->n_held -= id->n_held;
        sd_bus_slot_unref(id->slot);
        free(id->sender);
        free(id);
}

/* GetConnectionCredentials' a{sv}: UnixUserID, and ProcessID for logs. */
static int read_credentials(sd_bus_message *reply, uid_t *ret_uid, pid_t *ret_pid) {
        const char *key;
        bool have_uid = false;
        uint32_t v;
        int r;

        *ret_pid = 0;
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                r = sd_bus_message_read(reply, "s", &key);
                if (r < 0)
                        return r;
                if (streq(key, "UnixUserID") || streq(key, "ProcessID")) {
                        r = sd_bus_message_read(reply, "v", "u", &v);
                        if (r < 0)
                                return r;
                        if (key[0] == 'U') {
                                *ret_uid = v;
                                have_uid = true;
                        } else
                                *ret_pid = (pid_t) v;
                } else if ((r = sd_bus_message_skip(reply, "v")) < 0)
                        return r;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return have_uid ? 0 : -ENODATA;
}

/* The bus told who the sender is: its held calls are dispatched again, and this time charged.
 * When it could not tell (the sender is gone, most likely), they are answered with why. */
static int on_credentials(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Identification *id = ASSERT_PTR(userdata);
        BusBudget *bb = id->owner;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        uid_t uid = 0;
        pid_t pid = 0;
        int r = e ? -sd_bus_error_get_errno(e) : read_credentials(reply, &uid, &pid);

        if (r >= 0)
                r = budget_set_sender(bb->budget, id->sender, uid, pid, monotonic_usec());
        if (r >= 0 && bb->identified)
                bb->identified(id->sender, uid, bb->identified_userdata);
        for (unsigned i = 0; i < id->n_held; i++) {
                if (r >= 0 && sd_bus_enqueue_for_read(bb->bus, id->held[i]) >= 0)
                        continue;
                (void) sd_bus_reply_method_errorf(id->held[i], SD_BUS_ERROR_ACCESS_DENIED,
                                                  "Cannot determine the caller's identity: %s",
                                                  e ? e->message : "the bus's answer could not be read");
        }
        identification_free(id);
        return 0;
}

static Identification *identification_find(BusBudget *bb, const char *sender) {
        for (Identification *id = bb->identifications; id; id = id->next)
                if (streq(id->sender, sender))
                        return id;
        return NULL;
}

static int identification_start(BusBudget *bb, const char *sender, Identification **ret) {
        _cleanup_free_ Identification *id = NULL;
        int r;

        id = calloc(1, sizeof *id);
        if (!id)
                return -ENOMEM;
        id->sender = strdup(sender);
        if (!id->sender)
                return -ENOMEM;
        r = sd_bus_call_method_async(bb->bus, &id->slot, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                     "org.freedesktop.DBus", "GetConnectionCredentials", on_credentials, id, "s",
                                     sender);
        if (r < 0) {
                free(id->sender);
                return r;
        }
        id->owner = bb;
        id->next = bb->identifications;
        bb->identifications = id;
        *ret = TAKE_PTR(id);
        return 0;
}

/* At most MAX_HELD_STRING_BYTES of strings in at most MAX_HELD_ENTRIES strings, and nothing
 * but strings, string arrays and fixed-size values: what our calls take. */
static bool small_call(sd_bus_message *m) {
        size_t bytes = 0;
        unsigned entries = 0;
        const char *contents, *s;
        char type;
        int r;

        while ((r = sd_bus_message_peek_type(m, &type, &contents)) > 0 && bytes <= MAX_HELD_STRING_BYTES &&
               entries <= MAX_HELD_ENTRIES) {
                if (type == 'a' && streq(contents, "s")) {
                        if (sd_bus_message_enter_container(m, 'a', "s") < 0)
                                break;
                        while (entries++ <= MAX_HELD_ENTRIES && sd_bus_message_read_basic(m, 's', &s) > 0)
                                bytes += strlen(s);
                        if (entries > MAX_HELD_ENTRIES || sd_bus_message_exit_container(m) < 0)
                                break;
                } else if (type == 's' || type == 'o' || type == 'g') {
                        if (sd_bus_message_read_basic(m, type, &s) < 0)
                                break;
                        bytes += strlen(s);
                        entries++;
                } else if (!strchr("ybnqiuxtd", type) || sd_bus_message_skip(m, (char[]) { type, 0 }) < 0)
                        break;
        }
        (void) sd_bus_message_rewind(m, true);
        return r == 0 && bytes <= MAX_HELD_STRING_BYTES && entries <= MAX_HELD_ENTRIES;
}

/* Holds m until its sender's uid is known. 1: taken (held, or refused); 0: let through
 * uncharged (too big to hold: its handler refuses it at once). */
static int hold(BusBudget *bb, sd_bus_message *m, const char *sender) {
        Identification *id = identification_find(bb, sender);
        int r;

        if (!small_call(m))
                return 0;
        if ((id && id->n_held >= MAX_HELD_PER_SENDER) ||
            (bb->n_held >= MAX_HELD && (id ? id->n_held : 0) >= HELD_ALWAYS)) {
                uint64_t now = monotonic_usec();
                if (now - bb->held_logged_usec >= 30 * USEC_PER_SEC) {
                        bb->held_logged_usec = now;
                        log_notice("Refusing calls of new connections: %u calls wait for their callers' uids.", bb->n_held);
                }
                if (!bucket_take(&bb->held_refusals, &held_refusal_limits, 1, now)) {
                        bb->over_dropped++;
                        return 1;
                }
                bb->over_refused++;
                (void) sd_bus_reply_method_errorf(m, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                                  "Too many calls from new connections; try again later.");
                return 1;
        }
        if (!id) {
                r = identification_start(bb, sender, &id);
                if (r < 0) {
                        (void) sd_bus_reply_method_errnof(m, -r, "Cannot determine the caller's identity: %m");
                        return 1;
                }
        }
        id->held[id->n_held++] = sd_bus_message_ref(m);
        bb->n_held++;
        return 1;
}

/* ---- The filter ---- */

/* sd-bus reads one message per turn of the event loop; a flood of calls dropped for next to
 * nothing would still cost a turn each, and root's call would wait behind all of them. While
 * calls are being dropped, a turn reads DRAIN_BATCH of them. */
static int on_drain(sd_event_source *s, void *userdata) {
        BusBudget *bb = ASSERT_PTR(userdata);

        /* an error is the bus's own source's to handle */
        for (unsigned i = 0; i < DRAIN_BATCH && sd_bus_process(bb->bus, NULL) > 0; i++)
                ;
        return 0;
}

/* Taken: dropped or answered at once; the next calls are read in a batch. */
static int taken(BusBudget *bb) {
        (void) sd_event_source_set_enabled(bb->drain, SD_EVENT_ONESHOT);
        return 1;
}

/* A call of a known plain user: charged; 1 when taken (refused or dropped), 0 when let through. */
static int charge(BusBudget *bb, sd_bus_message *m, const char *sender) {
        switch (budget_charge(bb->budget, sender, call_cost(bb, m), monotonic_usec())) {
        case BUDGET_PASS:
                if (may_come_back(m))
                        remember_passed(bb, m);
                return 0;
        case BUDGET_REFUSE:
                bb->over_refused++;
                log_over_budget(bb, sender);
                (void) sd_bus_reply_method_errorf(m, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                                  "Too many calls from this user; try again in a few seconds.");
                return taken(bb);
        case BUDGET_DROP:
                break;
        }
        /* not even an error: the caller's own pending call times out, and dbus-daemon lets it
         * have only so many (128 a connection) */
        bb->over_dropped++;
        log_over_budget(bb, sender);
        return taken(bb);
}

static int on_message(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusBudget *bb = ASSERT_PTR(userdata);
        const char *sender = sd_bus_message_get_sender(m);
        uint64_t queued = 0;
        uid_t uid;

        if (!sd_bus_message_is_method_call(m, NULL, NULL) || !sender)
                return 0;
        /* nobody reads the answer and nothing changes: no work at all, whoever calls */
        if (!sd_bus_message_get_expect_reply(m) && !changes_state(m)) {
                bb->unanswered_dropped++;
                return taken(bb);
        }
        /* the ring may have forgotten a call that waited long under a flood; the authorizer knows */
        if (may_come_back(m) && (passed_before(bb, m) || (bb->returning && bb->returning(m, bb->returning_userdata))))
                return 0;
        if (budget_sender(bb->budget, sender, &uid, NULL) < 0)
                return hold(bb, m, sender);
        if (uid == 0)
                return 0;
        /* dbus-daemon no longer reads us: a plain user's answer would only lengthen the queue */
        if (sd_bus_get_n_queued_write(bb->bus, &queued) >= 0 && queued > MAX_QUEUED_WRITE) {
                bb->over_dropped++;
                return taken(bb);
        }
        return charge(bb, m, sender);
}

void bus_budget_on_returning(BusBudget *bb, bus_budget_returning_t callback, void *userdata) {
        assert(bb);
        bb->returning = callback;
        bb->returning_userdata = userdata;
}

void bus_budget_on_identified(BusBudget *bb, bus_budget_identified_t callback, void *userdata) {
        assert(bb);
        bb->identified = callback;
        bb->identified_userdata = userdata;
}

void bus_budget_trust_uid(BusBudget *bb, uid_t uid) {
        uint64_t now = monotonic_usec();

        assert(bb);
        budget_trust_uid(bb->budget, uid, now + TRUSTED_USEC, now);
}

int bus_budget_new(BusBudget **ret, sd_bus *bus, sd_event *event, const JobTable *jobs) {
        _cleanup_free_ BusBudget *bb = NULL;
        int r;

        assert(ret);
        assert(bus);
        assert(jobs);
        bb = calloc(1, sizeof *bb);
        if (!bb)
                return -ENOMEM;
        bb->budget = budget_new(&budget_default_limits);
        if (!bb->budget)
                return -ENOMEM;
        r = sd_event_add_defer(event, &bb->drain, on_drain, bb);
        if (r >= 0)
                r = sd_event_source_set_enabled(bb->drain, SD_EVENT_OFF);
        if (r >= 0)
                r = sd_bus_add_filter(bus, &bb->filter, on_message, bb);
        if (r < 0) {
                sd_event_source_unref(bb->drain);
                budget_free(bb->budget);
                return r;
        }
        bb->bus = sd_bus_ref(bus);
        bb->jobs = jobs;
        bucket_init(&bb->held_refusals, &held_refusal_limits, monotonic_usec());
        *ret = TAKE_PTR(bb);
        return 0;
}

BusBudget *bus_budget_free(BusBudget *bb) {
        if (!bb)
                return NULL;
        if (bb->unanswered_dropped + bb->over_refused + bb->over_dropped > 0)
                log_info("Calls not served: %llu dropped unread (no answer wanted, nothing to change), "
                         "%llu refused over budget, %llu dropped over budget.",
                         (unsigned long long) bb->unanswered_dropped, (unsigned long long) bb->over_refused,
                         (unsigned long long) bb->over_dropped);
        while (bb->identifications)
                identification_free(bb->identifications);
        sd_bus_slot_unref(bb->filter);
        sd_event_source_disable_unref(bb->drain);
        budget_free(bb->budget);
        sd_bus_unref(bb->bus);
        free(bb);
        return NULL;
}
