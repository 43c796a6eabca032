/* SPDX-License-Identifier: MIT */
/* Restart(), RestartInstance() and RestartService(): polkit, validation, then a job whose steps
 * are systemd jobs (restart-engine.h). */
#pragma once

#include <systemd/sd-bus.h>

int method_restart(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_restart_instance(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_restart_service(sd_bus_message *m, void *userdata, sd_bus_error *error);
