/* SPDX-License-Identifier: MIT */
/* Section "memory": si.mem() plus the Harper process's RSS. */
#pragma once

#include "sysinfo-call.h"

int sysinfo_memory(SysinfoCall *c, void **state, json_object **ret);
