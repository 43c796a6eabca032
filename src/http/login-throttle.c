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
        uint64_t last_failure;
        uint64_t until;   /* a pair or source: held off until; an account: its next check's turn */
} Record;

struct LoginThrottle {
        ThrottleConfig config;
        pthread_mutex_t lock;
        Record *records;
};

int throttle_new(const ThrottleConfig *config, LoginThrottle **ret) {
        _cleanup_(throttle_freep) LoginThrottle *t = NULL;

        assert(config);
        assert(ret);

        t = calloc(1, sizeof *t);
        if (!t)
                return -ENOMEM;
        pthread_mutex_init(&t->lock, NULL);
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
        pthread_mutex_destroy(&t->lock);
        free(t->records);
        free(t);
}

static bool record_live(const LoginThrottle *t, const Record *r, uint64_t now) {
        return r->kind != RECORD_FREE && r->failures > 0 && r->last_failure + t->config.forget_usec > now;
}

static bool record_is(const Record *r, RecordKind kind, const char *account, const char *source) {
        return r->kind == kind && strncmp(r->account, account, ACCOUNT_KEY_MAX - 1) == 0 &&
               strncmp(r->source, source, SOURCE_KEY_MAX - 1) == 0;
}

/* The live record of a key, or NULL; with create, a new one in a free slot (or its own stale
 * one, or else the least recently failed one's). */
static Record *record_get(LoginThrottle *t, RecordKind kind, const char *account, const char *source, uint64_t now,
                          bool create) {
        Record *unused = NULL, *oldest = NULL, *r;

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
                } else if (!oldest || r->last_failure < oldest->last_failure)
                        oldest = r;
        }
        if (!create)
                return NULL;
        r = unused ?: oldest;
        *r = (Record) { .kind = kind };
        snprintf(r->account, sizeof r->account, "%s", account);
        snprintf(r->source, sizeof r->source, "%s", source);
        return r;
}

/* One more failure of a key (the record is then the newest, so the next record_get does not
 * take its slot). */
static Record *count_failure(LoginThrottle *t, RecordKind kind, const char *account, const char *source,
                             uint64_t now) {
        Record *r = record_get(t, kind, account, source, now, true);

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

/* How long key is still held off at now: 0 if not. */
static uint64_t held_for(LoginThrottle *t, RecordKind kind, const char *account, const char *source, uint64_t now) {
        const Record *r = record_get(t, kind, account, source, now, false);

        return r && r->until > now ? r->until - now : 0;
}

static uint64_t pair_or_source_held_for(LoginThrottle *t, const char *account, const char *source, uint64_t now) {
        uint64_t pair = held_for(t, RECORD_PAIR, account, source, now), from = held_for(t, RECORD_SOURCE, "", source, now);

        return pair > from ? pair : from;
}

uint64_t throttle_held_off(LoginThrottle *t, const char *account, const char *source, uint64_t now) {
        uint64_t usec;

        assert(t);

        pthread_mutex_lock(&t->lock);
        usec = pair_or_source_held_for(t, account, source, now);
        pthread_mutex_unlock(&t->lock);
        return usec;
}

bool throttle_account_turn(LoginThrottle *t, const char *account, uint64_t now, uint64_t max_wait_usec,
                           uint64_t *ret_usec) {
        Record *a;
        uint64_t turn = now;
        bool go = true;

        assert(t);
        assert(ret_usec);

        pthread_mutex_lock(&t->lock);
        a = record_get(t, RECORD_ACCOUNT, account, "", now, false);
        if (a && a->failures >= t->config.account_free) {
                if (a->until > now)
                        turn = a->until;
                go = turn - now <= max_wait_usec;
                if (go)
                        a->until = turn + t->config.account_interval_usec;
        }
        pthread_mutex_unlock(&t->lock);
        *ret_usec = go ? turn : turn - now;
        return go;
}

uint64_t throttle_end(LoginThrottle *t, const char *account, const char *source, uint64_t now, bool accepted) {
        Record *pair;
        uint64_t usec;

        assert(t);

        pthread_mutex_lock(&t->lock);
        if (accepted) {
                pair = record_get(t, RECORD_PAIR, account, source, now, false);
                if (pair)
                        pair->kind = RECORD_FREE;
        } else {
                hold_off(t, count_failure(t, RECORD_PAIR, account, source, now), t->config.pair_free, now);
                hold_off(t, count_failure(t, RECORD_SOURCE, "", source, now), t->config.source_free, now);
                count_failure(t, RECORD_ACCOUNT, account, "", now);
        }
        usec = pair_or_source_held_for(t, account, source, now);
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

        assert(buf);

        if (sa && sa->sa_family == AF_INET)
                inet_ntop(AF_INET, &((const struct sockaddr_in *) sa)->sin_addr, text, sizeof text);
        else if (sa && sa->sa_family == AF_INET6) {
                struct in6_addr a = ((const struct sockaddr_in6 *) sa)->sin6_addr;
                if (IN6_IS_ADDR_V4MAPPED(&a))
                        inet_ntop(AF_INET, a.s6_addr + 12, text, sizeof text);
                else {
                        memset(a.s6_addr + 8, 0, 8);
                        inet_ntop(AF_INET6, &a, text, sizeof text);
                        snprintf(buf, size, "%s/64", text);
                        return;
                }
        }
        snprintf(buf, size, "%s", text);
}
