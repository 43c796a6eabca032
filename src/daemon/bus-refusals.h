/* SPDX-License-Identifier: MIT */
/* Refused state-changing calls in the journal: who (uid, else the bus name, and the process),
 * what (the method) and why (the D-Bus error), with a MESSAGE_ID per kind of refusal so that
 * admins can filter them (journalctl MESSAGE_ID=…), rate-limited so that a flood of refusals
 * costs a few lines. Reads are not logged. */
#pragma once

#include <systemd/sd-bus.h>

#include "context.h"

/* Logs the outcome of a method call when it was refused: r < 0 or error set. */
void bus_log_refusal(Context *c, sd_bus_message *m, int r, const sd_bus_error *error);
