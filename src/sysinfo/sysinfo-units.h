/* Sections from what the daemon knows ("metrics": systemd's accounting of the Harper units;
 * "replication": the configured peers) and "table_size" (sizes of Harper's database files). */
#pragma once

#include "sysinfo-call.h"

int sysinfo_metrics(SysinfoCall *c, void **state, json_object **ret);
int sysinfo_table_size(SysinfoCall *c, void **state, json_object **ret);
int sysinfo_replication(SysinfoCall *c, void **state, json_object **ret);
