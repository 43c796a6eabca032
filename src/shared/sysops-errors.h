/* SPDX-License-Identifier: MIT */
/* The errno each of the service's own error names (sysops-names.h) stands for, so that a client
 * gets a telling code from sd_bus_call() and sd_bus_error_get_errno() rather than EIO. Both ends
 * register it once, before their first call: (void) sd_bus_error_add_map(sysops_error_map).
 * Only names map to codes: the daemon's replies keep their names and messages.
 *   NoSuchStatus            ENOENT     (as systemd's NoSuchUnit)
 *   NoSuchJob               ENOENT     (as systemd's NoSuchJob)
 *   AuthorizationCancelled  ECANCELED
 *   AuthorizationUnavailable EHOSTUNREACH (polkit could not be reached; not ETIMEDOUT, which
 *                           sd_bus_call() returns when the daemon itself does not answer)
 *   AlreadyRunning          EALREADY
 *   JobFailed               EREMOTEIO  (as systemd's JobFailed)
 *   BadConfiguration        ENOEXEC    (as systemd's BadUnitSetting)
 *   StatusesUnknown         EAGAIN     (ask again once Harper answers) */
#pragma once

#include <systemd/sd-bus.h>

extern const sd_bus_error_map sysops_error_map[];
