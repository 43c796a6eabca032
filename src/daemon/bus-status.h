/* SPDX-License-Identifier: MIT */
/* Bus glue of set_status, get_status and clear_status: read arguments, authorize, call the
 * status store, announce the change, reply. The rules live in status-rules.c. */
#pragma once

#include <systemd/sd-bus.h>

int method_set_status(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_get_status(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_list_statuses(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_clear_status(sd_bus_message *m, void *userdata, sd_bus_error *error);
/* A filter for every incoming message: a Properties.Get of Statuses waits here, without
 * blocking, until its sender's uid is known, since the getter cannot wait (the others pass). */
int bus_statuses_get_filter(sd_bus_message *m, void *userdata, sd_bus_error *error);
int property_get_statuses(sd_bus *bus, const char *path, const char *interface, const char *property,
                          sd_bus_message *reply, void *userdata, sd_bus_error *error);

/* The statuses are known now (read back from Harper): keep them in systemd's fd store and
 * announce the change (a statuses_known_callback_t). */
void bus_statuses_known(void *userdata);
