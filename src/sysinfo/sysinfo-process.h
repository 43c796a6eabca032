/* Sections "harperdb_processes" (si.processes() entries for the Harper units' processes) and
 * "threads" (the tasks of the instance's main process). */
#pragma once

#include "sysinfo-call.h"

int sysinfo_harperdb_processes(SysinfoCall *c, void **state, json_object **ret);
int sysinfo_threads(SysinfoCall *c, void **state, json_object **ret);
