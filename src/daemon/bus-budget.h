/* SPDX-License-Identifier: MIT */
/* What a caller may cost on the bus: a filter in front of every object (ours, and the object
 * manager, Properties, Introspectable and Peer that sd-bus answers itself) that
 *  - drops a call nobody will read the answer of (NO_REPLY_EXPECTED) unless it changes state;
 *  - learns each sender's uid once, from the bus, without waiting (its calls are held
 *    meanwhile and dispatched again once it is known);
 *  - charges every call of a plain user to its connection's and its uid's budgets
 *    (call-budget.c): over budget, a short LimitsExceeded while that is itself within budget,
 *    then nothing at all. Root is never charged.
 * io.harperdb.SystemOperations1(5), "WHO MAY READ WHAT, AND WHAT IT COSTS", has the numbers. */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "job.h"

typedef struct BusBudget BusBudget;

/* Installs the filter on bus (attached to event), in front of the filters added before it; jobs
 * are counted for what the object manager's answer costs. */
int bus_budget_new(BusBudget **ret, sd_bus *bus, sd_event *event, const JobTable *jobs);
/* Tells whether a call is one the daemon dispatches again (it waited for polkit's verdict): it
 * was charged when it came, and is not charged twice. */
typedef bool (*bus_budget_returning_t)(sd_bus_message *m, void *userdata);
void bus_budget_on_returning(BusBudget *bb, bus_budget_returning_t callback, void *userdata);
/* The bus told a sender's uid (asked once per connection); the authorizer keeps it, so that it
 * does not ask again. */
typedef void (*bus_budget_identified_t)(const char *sender, uid_t uid, void *userdata);
void bus_budget_on_identified(BusBudget *bb, bus_budget_identified_t callback, void *userdata);
/* polkit said yes to uid: its calls are not charged for a while (TRUSTED_USEC in bus-budget.c). */
void bus_budget_trust_uid(BusBudget *bb, uid_t uid);
/* Logs what was dropped and refused, answers nobody held (the bus is going away), frees. */
BusBudget *bus_budget_free(BusBudget *bb);
