/* SPDX-License-Identifier: MIT */
/* What systemd knows of Harper's units, for system_information: each unit's main process,
 * cgroup, state and accounting figures, asked all at once. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "sysinfo.h"
#include "systemd-client.h"

/* A unit system_information asks about, and its role there ("instance", "clustering"). */
typedef struct UnitRole {
        const char *name, *role;
} UnitRole;

/* What systemd said; a figure it did not give stays unknown (UINT64_MAX, NULL, 0). The array
 * and its strings are valid during the callback only. */
typedef void (*units_described_callback_t)(const SysinfoUnit *units, size_t n_units, void *userdata);

/* Asks systemd, all at once, for each unit's main process and cgroup (a unit named twice is
 * asked once, in its first role); with accounting also its state and accounting figures, and
 * the same for the running units matching worker_patterns (role "worker"). callback is called
 * exactly once, when every answer is in, possibly before this returns (no systemd: the figures
 * stay unknown). */
int systemd_client_describe_units(SystemdClient *c, const UnitRole *units, size_t n_units,
                                  char *const *worker_patterns, bool accounting,
                                  units_described_callback_t callback, void *userdata);
