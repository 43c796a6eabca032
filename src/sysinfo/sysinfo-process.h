/* SPDX-License-Identifier: MIT */
/* Sections "harperdb_processes" (si.processes() entries for the Harper units' processes) and
 * "process_threads" (the tasks of the instance's main process, as the kernel sees them). */
#pragma once

#include "sysinfo-call.h"

int sysinfo_harperdb_processes(SysinfoCall *c, void **state, json_object **ret);
int sysinfo_process_threads(SysinfoCall *c, void **state, json_object **ret);
