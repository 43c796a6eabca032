/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "login-throttle.h"
#include "macro.h"
#include "time-util.h"

/* Longer keys are cut: two names that share a record are only held off sooner. */
#define ACCOUNT_KEY_MAX 64
#define SOURCE_KEY_MAX 48

typedef enum RecordKind { RECORD_FREE, RECORD_PAIR, RECORD_SOURCE, RECORD_ACCOUNT } RecordKind;

typedef struct Record {
        RecordKind kind;
        char account[ACCOUNT_KEY_MAX];   /* "" in a source's record */
        char source[SOURCE_KEY_MAX];     /* "" in an account's record */
        unsigned failures;
        unsigned pending;        /* checks under way (throttle_begin() to throttle_end()) */
        uint64_t last_failure;
        uint64_t until;   /* a pair or source: held off until; an account: its next check's turn */
} Record;

struct LoginThrottle {
        ThrottleConfig config;
        pthread_mutex_t lock;
        pthread_cond_t ended;   /* a check ended: the checks waiting for their turn look again */
        Record *records;
};

int throttle_new(const ThrottleConfig *config, LoginThrottle **ret) {
        _cleanup_(throttle_freep) LoginThrottle *t = NULL;
        pthread_condattr_t attr;

        assert(config);
        assert(ret);

        t = calloc(1, sizeof *t);
        if (!t)
                return -ENOMEM;
        pthread_mutex_init(&t->lock, NULL);
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);   /* monotonic_usec()'s */
        pthread_cond_init(&t->ended, &attr);
        pthread_condattr_destroy(&attr);
        t->config = *config;
        if (t->config.records < 3)   /* one attempt touches three records */
                t->config.records = 3;
        t->records = calloc(t->config.records, sizeof *t->records);
        if (!t->records)
                return -ENOMEM;
        *ret = TAKE_PTR(t);
        return 0;
}

void throttle_free(LoginThrottle *t) {
        if (!t)
                return;
        pthread_cond_destroy(&t->ended);
        pthread_mutex_destroy(&t->lock);
        free(t->records);
        free(t);
}

static bool record_live(const LoginThrottle *t, const Record *r, uint64_t now) {
        return r->kind != RECORD_FREE &&
               (r->pending > 0 || (r->failures > 0 && r->last_failure + t->config.forget_usec > now));
}

static bool record_is(const Record *r, RecordKind kind, const char *account, const char *source) {
        return r->kind == kind && strncmp(r->account, account, ACCOUNT_KEY_MAX - 1) == 0 &&
               strncmp(r->source, source, SOURCE_KEY_MAX - 1) == 0;
}

/* The live record of a key, or NULL; with create, a new one in a free slot (or its own stale
 * one, or else the least recently failed one's, one with checks under way only when all have). */
static Record *record_get(LoginThrottle *t, RecordKind kind, const char *account, const char *source, uint64_t now,
                          bool create) {
        Record *unused = NULL, *oldest = NULL, *oldest_busy = NULL, *r;

        assert(t);
        assert(account);
        assert(source);

        for (unsigned i = 0; i < t->config.records; i++) {
                r = &t->records[i];
                if (record_is(r, kind, account, source)) {
                        if (record_live(t, r, now))
                                return r;
                        unused = r;
                        break;
                }
                if (!record_live(t, r, now)) {
                        if (!unused)
                                unused = r;
                } else if (r->pending > 0) {
                        if (!oldest_busy || r->last_failure < oldest_busy->last_failure)
                                oldest_busy = r;
                } else if (!oldest || r->last_failure < oldest->last_failure)
                        oldest = r;
        }
        if (!create)
                return NULL;
        r = unused ?: oldest ?: oldest_busy;
        *r = (Record) { .kind = kind };
        snprintf(r->account, sizeof r->account, "%s", account);
        snprintf(r->source, sizeof r->source, "%s", source);
        return r;
}

/* One more failure of a record (it is then the newest, so the next record_get does not take
 * its slot). */
static Record *count_failure(Record *r, uint64_t now) {
        r->failures++;
        r->last_failure = now;
        return r;
}

/* Past free failures: held off for 1 s, doubling with each further one, up to the maximum. */
static void hold_off(const LoginThrottle *t, Record *r, unsigned free_failures, uint64_t now) {
        unsigned over;
        uint64_t usec;

        if (r->failures <= free_failures)
                return;
        over = r->failures - free_failures;
        usec = over > 40 ? t->config.backoff_max_usec : (uint64_t) USEC_PER_SEC << (over - 1);
        if (usec > t->config.backoff_max_usec)
                usec = t->config.backoff_max_usec;
        r->until = now + usec;
}

/* How long key's backoff holds a check off at now (0: not). */
static uint64_t backoff_left(LoginThrottle *t, RecordKind kind, const char *account, const char *source,
                             uint64_t now) {
        const Record *r = record_get(t, kind, account, source, now, false);

        return r && r->until > now ? r->until - now : 0;
}

/* Whether key's checks in flight fill its bound: past its free failures (those in flight
 * counted as failures) one check at a time, or checks at the same time would all pass. */
static bool in_flight_full(LoginThrottle *t, RecordKind kind, const char *account, const char *source,
                           unsigned free_failures, uint64_t now) {
        const Record *r = record_get(t, kind, account, source, now, false);

        return r && r->pending > 0 && r->failures + r->pending > free_failures;
}

static uint64_t pair_or_source_held_for(LoginThrottle *t, const char *account, const char *source, uint64_t now) {
        uint64_t pair = backoff_left(t, RECORD_PAIR, account, source, now),
                 from = backoff_left(t, RECORD_SOURCE, "", source, now);

        return pair > from ? pair : from;
}

static bool pair_or_source_full(LoginThrottle *t, const char *account, const char *source, uint64_t now) {
        return in_flight_full(t, RECORD_PAIR, account, source, t->config.pair_free, now) ||
               in_flight_full(t, RECORD_SOURCE, "", source, t->config.source_free, now);
}

/* When account's password may be checked from source: now, unless the account is under attack
 * and source has failed before; then its turn, reserved unless more than max_wait_usec away
 * (false). */
static bool account_turn(LoginThrottle *t, const char *account, const char *source, uint64_t now,
                         uint64_t max_wait_usec, uint64_t *ret_turn) {
        Record *a = record_get(t, RECORD_ACCOUNT, account, "", now, false);
        const Record *from = record_get(t, RECORD_SOURCE, "", source, now, false);

        *ret_turn = now;
        if (!a || a->failures < t->config.account_free || !from || from->failures == 0)
                return true;
        *ret_turn = a->until > now ? a->until : now;
        if (*ret_turn - now > max_wait_usec)
                return false;
        a->until = *ret_turn + t->config.account_interval_usec;
        return true;
}

/* throttle_begin() with the lock held. */
static ThrottleVerdict begin_locked(LoginThrottle *t, const char *account, const char *source, uint64_t now,
                                    uint64_t max_wait_usec, uint64_t *ret_usec) {
        uint64_t held = pair_or_source_held_for(t, account, source, now), turn;

        if (held) {
                *ret_usec = held;
                return THROTTLE_HELD_OFF;
        }
        if (pair_or_source_full(t, account, source, now)) {
                *ret_usec = USEC_PER_SEC;
                return THROTTLE_WAIT;
        }
        if (!account_turn(t, account, source, now, max_wait_usec, &turn)) {
                *ret_usec = turn - now;
                return THROTTLE_BUSY;
        }
        record_get(t, RECORD_PAIR, account, source, now, true)->pending++;
        record_get(t, RECORD_SOURCE, "", source, now, true)->pending++;
        *ret_usec = turn;
        return THROTTLE_GO;
}

ThrottleVerdict throttle_begin(LoginThrottle *t, const char *account, const char *source, uint64_t now,
                               uint64_t max_wait_usec, uint64_t *ret_usec) {
        ThrottleVerdict verdict;

        assert(t);
        assert(account);
        assert(source);
        assert(ret_usec);

        pthread_mutex_lock(&t->lock);
        verdict = begin_locked(t, account, source, now, max_wait_usec, ret_usec);
        pthread_mutex_unlock(&t->lock);
        return verdict;
}

ThrottleVerdict throttle_begin_in_turn(LoginThrottle *t, const char *account, const char *source, uint64_t deadline,
                                       uint64_t max_wait_usec, uint64_t *ret_usec) {
        struct timespec until = timespec_from_usec(deadline);
        ThrottleVerdict verdict;
        uint64_t now;

        assert(t);
        assert(account);
        assert(source);
        assert(ret_usec);

        /* the waiter holds nothing of the table: whatever ended meanwhile, it asks again */
        pthread_mutex_lock(&t->lock);
        for (;;) {
                now = monotonic_usec();
                verdict = begin_locked(t, account, source, now, max_wait_usec, ret_usec);
                if (verdict != THROTTLE_WAIT || now >= deadline)
                        break;
                (void) pthread_cond_timedwait(&t->ended, &t->lock, &until);
        }
        pthread_mutex_unlock(&t->lock);
        return verdict;
}

/* The reservation of key by throttle_begin() ends (its record may have been taken meanwhile
 * when the table was full of checks under way: then a new one). */
static Record *record_done(LoginThrottle *t, RecordKind kind, const char *account, const char *source,
                           uint64_t now) {
        Record *r = record_get(t, kind, account, source, now, true);

        if (r->pending > 0)
                r->pending--;
        return r;
}

uint64_t throttle_end(LoginThrottle *t, const char *account, const char *source, uint64_t now,
                      ThrottleOutcome outcome) {
        Record *pair, *from;
        uint64_t usec;

        assert(t);

        /* one record at a time: getting the next may take the slot of one no longer live */
        pthread_mutex_lock(&t->lock);
        pair = record_done(t, RECORD_PAIR, account, source, now);
        if (outcome == THROTTLE_ACCEPTED) {
                pair->failures = 0;
                pair->until = 0;
        } else if (outcome == THROTTLE_REFUSED)
                hold_off(t, count_failure(pair, now), t->config.pair_free, now);
        from = record_done(t, RECORD_SOURCE, "", source, now);
        if (outcome == THROTTLE_REFUSED) {
                hold_off(t, count_failure(from, now), t->config.source_free, now);
                count_failure(record_get(t, RECORD_ACCOUNT, account, "", now, true), now);
        }
        usec = pair_or_source_held_for(t, account, source, now);
        pthread_cond_broadcast(&t->ended);
        pthread_mutex_unlock(&t->lock);
        return usec;
}

unsigned throttle_records_used(LoginThrottle *t, uint64_t now) {
        unsigned n = 0;

        assert(t);

        pthread_mutex_lock(&t->lock);
        for (unsigned i = 0; i < t->config.records; i++)
                n += record_live(t, &t->records[i], now);
        pthread_mutex_unlock(&t->lock);
        return n;
}

void throttle_source_of(const struct sockaddr *sa, char *buf, size_t size) {
        char text[INET6_ADDRSTRLEN] = "";
        struct in_addr v4;
        struct in6_addr v6;

        assert(buf);

        if (sa && sa->sa_family == AF_INET)
                v4 = ((const struct sockaddr_in *) sa)->sin_addr;
        else if (sa && sa->sa_family == AF_INET6) {
                v6 = ((const struct sockaddr_in6 *) sa)->sin6_addr;
                if (IN6_IS_ADDR_V4MAPPED(&v6))
                        memcpy(&v4, v6.s6_addr + 12, sizeof v4);
                else {
                        memset(v6.s6_addr + 8, 0, 8);
                        inet_ntop(AF_INET6, &v6, text, sizeof text);
                        snprintf(buf, size, "%s/64", text);
                        return;
                }
        } else {
                snprintf(buf, size, "%s", "");
                return;
        }
        if ((ntohl(v4.s_addr) >> 24) == 127) {
                snprintf(buf, size, "127.0.0.0/8");
                return;
        }
        inet_ntop(AF_INET, &v4, text, sizeof text);
        snprintf(buf, size, "%s", text);
}
