/* SPDX-License-Identifier: MIT */
/* What a caller may cost harper-sysopsd, with no bus in the interface: token buckets per sender
 * (a bus connection, by its unique name) and per uid, filled at a steady rate up to a burst, in
 * cost units (about a KiB of reply each, or one call's work). A call is let through when both
 * its sender's and its uid's buckets hold its cost; past that it is refused with a short error
 * while the uid's bucket of refusals lasts, and dropped after that. Root (uid 0) is never
 * charged. The clock is the caller's (monotonic µs), so that tests can move it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* A bucket's refill rate (units per second) and capacity (units). */
typedef struct BucketLimits {
        uint32_t rate;
        uint32_t burst;
} BucketLimits;

typedef struct TokenBucket {
        uint64_t micro_tokens;   /* units × 10⁶, so that a µs of refill is a whole number */
        uint64_t filled_usec;    /* when it was last filled up to now */
} TokenBucket;

typedef struct BudgetLimits {
        BucketLimits sender;     /* one connection */
        BucketLimits uid;        /* all connections of one uid */
        BucketLimits refusals;   /* short errors for one uid's calls over budget */
        unsigned max_senders;    /* connections remembered (least recently seen forgotten first) */
        unsigned max_uids;       /* uids remembered (likewise) */
        uint64_t log_interval_usec;   /* at most one line per uid in this long */
} BudgetLimits;

/* The numbers harper-sysopsd runs with (io.harperdb.SystemOperations1(5) lists them). */
extern const BudgetLimits budget_default_limits;

typedef enum BudgetVerdict {
        BUDGET_PASS,     /* within budget: serve it */
        BUDGET_REFUSE,   /* over budget: answer LimitsExceeded */
        BUDGET_DROP,     /* over budget, and so are its refusals: no answer at all */
} BudgetVerdict;

typedef struct Budget Budget;

/* A full bucket at now. */
void bucket_init(TokenBucket *b, const BucketLimits *l, uint64_t now_usec);
/* Fills b up to now; true when it holds cost units (they are taken), false when not (nothing is
 * taken). */
bool bucket_take(TokenBucket *b, const BucketLimits *l, uint32_t cost, uint64_t now_usec);

/* NULL when out of memory; the limits are copied. */
Budget *budget_new(const BudgetLimits *limits);
Budget *budget_free(Budget *b);

/* The uid (and the pid, for logs) of sender when it has been told (budget_set_sender): 0, or
 * -ENODATA. ret_pid may be NULL. */
int budget_sender(Budget *b, const char *sender, uid_t *ret_uid, pid_t *ret_pid);
/* Remembers who sender is (pid 0: not known); 0, or -ENOMEM. */
int budget_set_sender(Budget *b, const char *sender, uid_t uid, pid_t pid, uint64_t now_usec);

/* uid's calls are not charged until until_usec (as root's never are): polkit said yes to it. */
void budget_trust_uid(Budget *b, uid_t uid, uint64_t until_usec, uint64_t now_usec);

/* Charges a call of sender (whose uid is told) cost units at now. */
BudgetVerdict budget_charge(Budget *b, const char *sender, uint32_t cost, uint64_t now_usec);

/* True when a line about uid's calls over budget is due (at most one per log_interval_usec);
 * *ret_over gets how many were over budget since the last line, and the count starts again. */
bool budget_log_due(Budget *b, uid_t uid, uint64_t now_usec, uint64_t *ret_over);

/* How many senders and uids are remembered, for tests and leak checks. */
unsigned budget_n_senders(const Budget *b);
unsigned budget_n_uids(const Budget *b);
