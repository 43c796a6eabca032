/* SPDX-License-Identifier: MIT */
/* Sections "system" (si.osInfo) and "time" (si.time plus the Harper process's uptime). */
#pragma once

#include "sysinfo-call.h"

/* Its state: os-release, kernel and arch, read once per root. */
int sysinfo_system(SysinfoCall *c, void **state, json_object **ret);
void sysinfo_system_state_free(void *state);
int sysinfo_time(SysinfoCall *c, void **state, json_object **ret);
