/* SPDX-License-Identifier: MIT */
/* SystemInformation(): Harper's system_information as one JSON string. */
#pragma once

#include <systemd/sd-bus.h>

int method_system_information(sd_bus_message *m, void *userdata, sd_bus_error *error);
