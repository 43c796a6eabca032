/* SPDX-License-Identifier: MIT */
/* The restart engine's drivers in the daemon: adapters over the systemd client (unit jobs),
 * harper-locator + harper-watch (Harper's own steps) and peer-client (peer nodes). They turn
 * the clients' sentences into error codes for the engine; the sentences go along for people. */
#pragma once

#include "context.h"
#include "restart-engine.h"

/* Drivers that use c's clients as they are when a step starts (a reload may replace them). */
void restart_drivers_init(RestartDrivers *ret, Context *c);
