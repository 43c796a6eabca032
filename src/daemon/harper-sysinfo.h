/* SPDX-License-Identifier: MIT */
/* system_information's questions to Harper: finds Harper (as restarts do), then asks it, all at
 * once over its socket, only what the sections need (sysinfo_harper_question), each within a
 * time bound. No bus types. */
#pragma once

#include "harper-client.h"
#include "harper-locator.h"
#include "sysinfo.h"

/* answers: Harper's answers and, when one is missing, why (valid during the callback only). */
typedef void (*harper_sysinfo_callback_t)(const SysinfoHarper *answers, void *userdata);

/* Asks Harper for the sections in the mask, where the locator found it lately (a failed
 * question forgets it); callback exactly once, possibly before this returns. Returns 0, or
 * -ENOMEM (no callback). */
int harper_sysinfo_ask(HarperLocator *locator, HarperClient *client, unsigned sections, uint64_t timeout_usec,
                       harper_sysinfo_callback_t callback, void *userdata);
