/* SPDX-License-Identifier: MIT */
/* Section "network": the interfaces, their counters and the default route's interface (Harper's
 * empty shape when switched off). */
#pragma once

#include "sysinfo-call.h"

int sysinfo_network(SysinfoCall *c, void **state, json_object **ret);
