/* SPDX-License-Identifier: MIT */
/* Asynchronous polkit checks for incoming method calls, after systemd's bus-polkit: the
 * handler asks, the question goes to polkitd without blocking the loop, and when the answer
 * arrives the original call is put back into the bus's read queue, so the handler runs again
 * and this time gets the verdict. The caller is identified by its unique bus name only; its
 * uid comes from the bus (attached to the call, or asked without waiting). */
#pragma once

#include <stdint.h>
#include <sys/types.h>
#include <stdbool.h>
#include <systemd/sd-bus.h>

typedef struct Authorizer Authorizer;

/* timeout_usec bounds each non-interactive call's wait for polkit, in line and asked; a call
 * that allows interactive authorization waits longer, since a person may be typing a password.
 * bus must be attached to an event loop before the first check. */
int authorizer_new(Authorizer **ret, sd_bus *bus, uint64_t timeout_usec);
Authorizer *authorizer_free(Authorizer *a);
/* Called with the uid each time polkit says yes to one (every action is auth_admin_keep: a yes
 * means an admin, or one who just authenticated as one). */
typedef void (*authorizer_allowed_t)(uid_t uid, void *userdata);
void authorizer_on_allowed(Authorizer *a, authorizer_allowed_t callback, void *userdata);
/* Whether call waits here for polkit's verdict (it is dispatched again once there is one). */
bool authorizer_awaits(const Authorizer *a, sd_bus_message *call);

/* May the sender of call perform action? Returns 1 when yes; 0 when the answer is pending
 * (the handler returns 1 without replying: the call is dispatched again once polkit answers);
 * a negative errno when not, with error set to: AccessDenied (denied),
 * InteractiveAuthorizationRequired (a password would do, but the call did not allow
 * interaction), AuthorizationCancelled (the person dismissed the password dialog),
 * AuthorizationUnavailable (polkit did not answer by the timeout, is not running, or failed),
 * LimitsExceeded (the line is full: at most 32 calls per user, 112 in all, of which the last 16
 * only for users with none in line). Calls wait in line and polkit is asked at most 8 questions
 * at once, one per user, the users in turn. A non-interactive call is refused without asking
 * when polkit refused the same user the same action in a non-interactive call in the last 5 s
 * (a yes is never kept). Root is never asked about, so never refused. */
int authorizer_check(Authorizer *a, sd_bus_message *call, const char *action, sd_bus_error *error);

/* The uid of the call's sender when it is at hand (attached to the call, or cached per unique
 * name), never asking anyone: 0, or -ENODATA. After authorizer_check() said yes, or
 * authorizer_identify() returned 1, it is at hand. */
int authorizer_sender_uid(Authorizer *a, sd_bus_message *call, uid_t *ret);
/* The bus told sender's uid elsewhere (bus-budget.c): keep it, so that it is at hand. */
void authorizer_learn_sender_uid(Authorizer *a, const char *sender, uid_t uid);

/* For a handler that cannot wait (a property getter), in a filter in front of it: 1 when the
 * sender's uid is at hand (or the bus could not tell it: the handler then refuses); 0 when it
 * is being asked of the bus without waiting (the filter takes the call, which is dispatched
 * again once the answer is in); a negative errno when it cannot be asked. */
int authorizer_identify(Authorizer *a, sd_bus_message *call);

/* How many questions to polkit are unanswered, for logs and leak checks. */
unsigned authorizer_pending(const Authorizer *a);
