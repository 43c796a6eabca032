/* SPDX-License-Identifier: MIT */
/* Section "cpu": si.cpu(), si.cpuCurrentSpeed() and si.currentLoad(). */
#pragma once

#include "sysinfo-call.h"

/* Its state: the static CPU data (per root) and the previous /proc/stat sample (whatever the root). */
int sysinfo_cpu(SysinfoCall *c, void **state, json_object **ret);
void sysinfo_cpu_state_free(void *state);
