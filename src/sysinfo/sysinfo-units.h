/* SPDX-License-Identifier: MIT */
/* Sections "unit_metrics" (systemd's accounting of the Harper units) and "database_files"
 * (the sizes of the files in Harper's data directory). */
#pragma once

#include "sysinfo-call.h"

int sysinfo_unit_metrics(SysinfoCall *c, void **state, json_object **ret);
int sysinfo_database_files(SysinfoCall *c, void **state, json_object **ret);
