/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "call-budget.h"
#include "macro.h"
#include "time-util.h"

/* io.harperdb.SystemOperations1(5), "WHO MAY READ WHAT, AND WHAT IT COSTS", explains them. */
const BudgetLimits budget_default_limits = {
        .sender = { .rate = 32, .burst = 128 },
        .uid = { .rate = 64, .burst = 256 },
        .refusals = { .rate = 5, .burst = 20 },
        .max_senders = 1024,
        .max_uids = 256,
        .log_interval_usec = 30 * USEC_PER_SEC,
};

typedef struct SenderEntry {
        char *name;
        uid_t uid;
        pid_t pid;               /* for logs; 0 when the bus did not tell */
        TokenBucket calls;
        uint64_t seen_usec;
} SenderEntry;

typedef struct UidEntry {
        uid_t uid;
        TokenBucket calls;
        TokenBucket refusals;
        uint64_t seen_usec;
        uint64_t logged_usec;
        uint64_t over;           /* calls over budget since the last line */
        uint64_t trusted_until_usec;   /* polkit said yes to it: not charged until then */
        bool logged;
} UidEntry;

struct Budget {
        BudgetLimits limits;
        SenderEntry *senders;
        unsigned n_senders;
        UidEntry *uids;
        unsigned n_uids;
};

void bucket_init(TokenBucket *b, const BucketLimits *l, uint64_t now_usec) {
        assert(b);
        assert(l);
        *b = (TokenBucket) { .micro_tokens = (uint64_t) l->burst * USEC_PER_SEC, .filled_usec = now_usec };
}

bool bucket_take(TokenBucket *b, const BucketLimits *l, uint32_t cost, uint64_t now_usec) {
        uint64_t full = (uint64_t) l->burst * USEC_PER_SEC, want = (uint64_t) cost * USEC_PER_SEC;

        assert(b);
        assert(l);
        /* a clock that went back (a test) fills nothing */
        if (now_usec > b->filled_usec) {
                uint64_t elapsed = now_usec - b->filled_usec;
                /* µs × units/s = micro-units; capped first, so that a long idle time cannot overflow */
                uint64_t added = elapsed >= full ? full : elapsed * l->rate;

                b->micro_tokens = full - b->micro_tokens <= added ? full : b->micro_tokens + added;
                b->filled_usec = now_usec;
        }
        if (b->micro_tokens < want)
                return false;
        b->micro_tokens -= want;
        return true;
}

Budget *budget_new(const BudgetLimits *limits) {
        _cleanup_free_ Budget *b = NULL;

        assert(limits);
        assert(limits->max_senders > 0 && limits->max_uids > 0);
        b = calloc(1, sizeof *b);
        if (!b)
                return NULL;
        b->limits = *limits;
        b->senders = calloc(limits->max_senders, sizeof *b->senders);
        b->uids = calloc(limits->max_uids, sizeof *b->uids);
        if (!b->senders || !b->uids) {
                free(b->senders);
                free(b->uids);
                return NULL;
        }
        return TAKE_PTR(b);
}

Budget *budget_free(Budget *b) {
        if (!b)
                return NULL;
        for (unsigned i = 0; i < b->n_senders; i++)
                free(b->senders[i].name);
        free(b->senders);
        free(b->uids);
        free(b);
        return NULL;
}

unsigned budget_n_senders(const Budget *b) {
        return ASSERT_PTR(b)->n_senders;
}

unsigned budget_n_uids(const Budget *b) {
        return ASSERT_PTR(b)->n_uids;
}

static SenderEntry *sender_find(Budget *b, const char *sender) {
        for (unsigned i = 0; i < b->n_senders; i++)
                if (streq(b->senders[i].name, sender))
                        return &b->senders[i];
        return NULL;
}

/* Unique names are never reused, so a connection forgotten to make room is gone or the one
 * idle longest; it is only asked about again. */
static SenderEntry *sender_slot(Budget *b) {
        SenderEntry *oldest;

        if (b->n_senders < b->limits.max_senders)
                return &b->senders[b->n_senders++];
        oldest = &b->senders[0];
        for (unsigned i = 1; i < b->n_senders; i++)
                if (b->senders[i].seen_usec < oldest->seen_usec)
                        oldest = &b->senders[i];
        free(oldest->name);
        return oldest;
}

int budget_sender(Budget *b, const char *sender, uid_t *ret_uid, pid_t *ret_pid) {
        SenderEntry *s;

        assert(b);
        assert(sender);
        assert(ret_uid);
        s = sender_find(b, sender);
        if (!s)
                return -ENODATA;
        *ret_uid = s->uid;
        if (ret_pid)
                *ret_pid = s->pid;
        return 0;
}

int budget_set_sender(Budget *b, const char *sender, uid_t uid, pid_t pid, uint64_t now_usec) {
        SenderEntry *s;
        char *name;

        assert(b);
        assert(sender);
        s = sender_find(b, sender);
        if (s) {
                s->uid = uid;
                s->pid = pid;
                return 0;
        }
        name = strdup(sender);
        if (!name)
                return -ENOMEM;
        s = sender_slot(b);
        *s = (SenderEntry) { .name = name, .uid = uid, .pid = pid, .seen_usec = now_usec };
        bucket_init(&s->calls, &b->limits.sender, now_usec);
        return 0;
}

static UidEntry *uid_find(Budget *b, uid_t uid) {
        for (unsigned i = 0; i < b->n_uids; i++)
                if (b->uids[i].uid == uid)
                        return &b->uids[i];
        return NULL;
}

/* uid's entry, new when there was none; a uid forgotten to make room (the one idle longest)
 * starts again with full buckets. */
static UidEntry *uid_get(Budget *b, uid_t uid, uint64_t now_usec) {
        UidEntry *u = uid_find(b, uid);

        if (u)
                return u;
        if (b->n_uids < b->limits.max_uids)
                u = &b->uids[b->n_uids++];
        else {
                u = &b->uids[0];
                for (unsigned i = 1; i < b->n_uids; i++)
                        if (b->uids[i].seen_usec < u->seen_usec)
                                u = &b->uids[i];
        }
        *u = (UidEntry) { .uid = uid, .seen_usec = now_usec };
        bucket_init(&u->calls, &b->limits.uid, now_usec);
        bucket_init(&u->refusals, &b->limits.refusals, now_usec);
        return u;
}

void budget_trust_uid(Budget *b, uid_t uid, uint64_t until_usec, uint64_t now_usec) {
        UidEntry *u;

        assert(b);
        u = uid_get(b, uid, now_usec);
        u->seen_usec = now_usec;
        if (until_usec > u->trusted_until_usec)
                u->trusted_until_usec = until_usec;
}

BudgetVerdict budget_charge(Budget *b, const char *sender, uint32_t cost, uint64_t now_usec) {
        SenderEntry *s;
        UidEntry *u;
        TokenBucket sender_before;

        assert(b);
        assert(sender);
        s = ASSERT_PTR(sender_find(b, sender));   /* the caller told its uid first */
        s->seen_usec = now_usec;
        if (s->uid == 0)
                return BUDGET_PASS;
        u = uid_get(b, s->uid, now_usec);
        u->seen_usec = now_usec;
        if (u->trusted_until_usec > now_usec)
                return BUDGET_PASS;

        /* both or neither: a call refused by its uid's budget costs its connection nothing */
        sender_before = s->calls;
        if (bucket_take(&s->calls, &b->limits.sender, cost, now_usec)) {
                if (bucket_take(&u->calls, &b->limits.uid, cost, now_usec))
                        return BUDGET_PASS;
                s->calls = sender_before;
        }
        u->over++;
        return bucket_take(&u->refusals, &b->limits.refusals, 1, now_usec) ? BUDGET_REFUSE : BUDGET_DROP;
}

bool budget_log_due(Budget *b, uid_t uid, uint64_t now_usec, uint64_t *ret_over) {
        UidEntry *u;

        assert(b);
        assert(ret_over);
        u = uid_find(b, uid);
        if (!u || u->over == 0 || (u->logged && now_usec - u->logged_usec < b->limits.log_interval_usec))
                return false;
        *ret_over = u->over;
        u->over = 0;
        u->logged = true;
        u->logged_usec = now_usec;
        return true;
}
