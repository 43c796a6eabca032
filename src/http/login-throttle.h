/* SPDX-License-Identifier: MIT */
/* Failed logins over TCP remembered across connections, to hold guessers off: per (account,
 * source address) and per source, a few failures are free, then each one holds that pair or
 * source off for 1 s, doubling up to a maximum (429); per account from all sources together,
 * past a number of failures its checks are spaced out: slowed, not held off (a login waits
 * for its turn; 503 only when that is too far away). A fixed-size table, the least recently
 * failed record forgotten first. Thread-safe; no HTTP types. */
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

/* How long account's logins from source are still held off at now (µs; 0: not): asked before
 * a check, and again right before PAM is (attempts at the same time may have failed meanwhile). */
uint64_t throttle_held_off(LoginThrottle *t, const char *account, const char *source, uint64_t now);

/* When account's password may be checked: true with the time in *ret_usec (now, or its turn
 * when the account is under attack, which this reserves), or false when that turn is more than
 * max_wait_usec away, with the µs to wait before trying again in *ret_usec. */
bool throttle_account_turn(LoginThrottle *t, const char *account, uint64_t now, uint64_t max_wait_usec,
                           uint64_t *ret_usec);

/* The end of a check of account's password from source at now: accepted forgives the pair (the
 * source and the account keep their counts), else one more failure of each. Returns how long
 * the pair or the source is held off from now on (0: not). */
uint64_t throttle_end(LoginThrottle *t, const char *account, const char *source, uint64_t now, bool accepted);

/* The source a TCP peer's failed logins count against, as text into buf: its IPv4 address, or
 * its IPv6 /64 (a host usually has a whole /64 to pick addresses from; an IPv4-mapped address
 * counts as the IPv4 one); "" for other families or NULL. */
void throttle_source_of(const struct sockaddr *sa, char *buf, size_t size);

/* Records in use at now (for tests): at most config.records. */
unsigned throttle_records_used(LoginThrottle *t, uint64_t now);
