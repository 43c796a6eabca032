/* SPDX-License-Identifier: MIT */
/* A text-mode polkit authentication agent (pkttyagent) for harper-ops on a terminal, as
 * systemctl starts one: when polkit wants a password for a call, it asks on this terminal. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* Starts pkttyagent for this login session, as systemctl does, and waits until it is
 * registered (or gave up). Returns its pid, or 0 when none could be started. polkit asks an
 * agent of the caller's session: without a logind session (containers, CI) there is none,
 * and polkit answers without asking. */
pid_t polkit_agent_open(void);
/* Whether the agent still runs (it gave up when it could not register); one that has exited is
 * reaped and *agent set to 0. */
bool polkit_agent_alive(pid_t *agent);
void polkit_agent_close(pid_t agent);
