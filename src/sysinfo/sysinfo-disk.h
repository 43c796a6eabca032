/* SPDX-License-Identifier: MIT */
/* Section "disk": si.disksIO(), si.fsStats() and si.fsSize() (only the basis when switched off). */
#pragma once

#include "sysinfo-call.h"

int sysinfo_disk(SysinfoCall *c, void **state, json_object **ret);
