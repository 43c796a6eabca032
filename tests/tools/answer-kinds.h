/* SPDX-License-Identifier: MIT */
/* How the calls of a test tool ended: "ok" or the D-Bus error name, counted, then printed as
 * "COUNT NAME" lines sorted by name (the first 8 kinds seen). */
#pragma once

#include <systemd/sd-bus.h>

void answer_kinds_count(sd_bus_message *reply);
void answer_kinds_print(void);
