/* SPDX-License-Identifier: MIT */
/* Failed logins over TCP remembered across connections, to hold guessers off, after OpenSSH's
 * PerSourcePenalties: per (account, source) and per source, a few failures are free, then each
 * one holds that pair or source off for 1 s, doubling up to a maximum (429). A check is counted
 * before it runs (reserved), so checks at the same time cannot pass more guesses than that: past
 * the free failures (those in flight counted as failures) one runs at a time, the others wait
 * for their turn (throttle_begin_in_turn()). Per
 * account from all sources together, past a number of failures the checks from sources that
 * failed before are spaced out (slowed, not held off); a source with no failure is never slowed,
 * so guessing at a name cannot lock its owner out. A fixed-size table, the least recently failed
 * record forgotten first. Thread-safe; no HTTP types. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "macro.h"

typedef struct ThrottleConfig {
        unsigned records;               /* table size */
        unsigned pair_free, source_free;   /* failures before the backoff starts */
        unsigned account_free;          /* an account's failures (all sources) before spacing */
        uint64_t backoff_max_usec;      /* the backoff doubles from 1 s up to this */
        uint64_t account_interval_usec; /* an account under attack: one check per interval */
        uint64_t forget_usec;           /* a record without failures for this long is forgotten */
} ThrottleConfig;

typedef struct LoginThrottle LoginThrottle;

/* A throttle with config's table allocated: 0 or -ENOMEM. */
int throttle_new(const ThrottleConfig *config, LoginThrottle **ret);
/* NULL is fine. */
void throttle_free(LoginThrottle *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(LoginThrottle *, throttle_free);

typedef enum ThrottleVerdict {
        THROTTLE_GO,        /* check it (at its turn); reserved until throttle_end() */
        THROTTLE_HELD_OFF,  /* the pair or the source is held off: 429 */
        THROTTLE_WAIT,      /* the pair's or the source's checks in flight fill its bound: wait */
        THROTTLE_BUSY,      /* the account's turn for this source is too far away: 503 */
} ThrottleVerdict;

typedef enum ThrottleOutcome {
        THROTTLE_ACCEPTED,   /* the right password */
        THROTTLE_REFUSED,    /* a failure */
        THROTTLE_UNCHECKED,  /* PAM was not asked after all */
} ThrottleOutcome;

/* Before a check of account's password from source at now: GO with the time of its turn in
 * *ret_usec (now, or later when the account is under attack and source failed before), the check
 * counted against the pair and the source until throttle_end(); HELD_OFF with the µs left in
 * *ret_usec; WAIT (1 s in *ret_usec) until a check in flight of the pair or the source ends;
 * BUSY when the turn is more than max_wait_usec away, the µs to wait in *ret_usec. */
ThrottleVerdict throttle_begin(LoginThrottle *t, const char *account, const char *source, uint64_t now,
                               uint64_t max_wait_usec, uint64_t *ret_usec);

/* throttle_begin() at monotonic_usec(), asked again each time a check ends while it says WAIT,
 * until deadline (monotonic µs): then WAIT still. The waiter holds no record, so the table stays
 * bounded; the waiters are bounded by whoever calls (one per connection). */
ThrottleVerdict throttle_begin_in_turn(LoginThrottle *t, const char *account, const char *source, uint64_t deadline,
                                       uint64_t max_wait_usec, uint64_t *ret_usec);

/* The end of a check throttle_begin() let go: accepted forgives the pair (the source and the
 * account keep their counts), refused is one more failure of each; the checks waiting for their
 * turn look again. Returns how long the pair or the source is held off from now on (0: not). */
uint64_t throttle_end(LoginThrottle *t, const char *account, const char *source, uint64_t now,
                      ThrottleOutcome outcome);

/* The source a TCP peer's failed logins and connections count against, as text into buf: its
 * IPv4 address; 127.0.0.0/8 as one (every address in it is this host, a client may bind any);
 * its IPv6 /64 (a host usually has a whole /64 to pick addresses from); an IPv4-mapped address
 * as the IPv4 one; "" for other families or NULL. */
void throttle_source_of(const struct sockaddr *sa, char *buf, size_t size);

/* Records in use at now (for tests): at most config.records. */
unsigned throttle_records_used(LoginThrottle *t, uint64_t now);
