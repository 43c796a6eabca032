/* SPDX-License-Identifier: MIT */
/* Restart() and RestartService(): polkit, validation, then a job whose steps are systemd jobs. */
#pragma once

#include <systemd/sd-bus.h>

int method_restart(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_restart_service(sd_bus_message *m, void *userdata, sd_bus_error *error);
