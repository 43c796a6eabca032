/* SPDX-License-Identifier: MIT */
/* Where the real Harper answers, found without configuration: the configuration's harper
 * section when it has one, else the instance unit as systemd reports it (its ROOTPATH, else
 * Harper's boot properties in the unit user's home) and Harper's own harperdb-config.yaml. */
#pragma once

#include "harper-watch.h"
#include "sysops-config.h"
#include "systemd-client.h"

/* t is valid during the callback only; on error t is NULL and error says why. */
typedef void (*harper_found_callback_t)(const HarperTarget *t, const char *error, void *userdata);

/* Finds Harper anew (a restart may have moved it); callback exactly once, possibly before this
 * returns. */
int harper_find(const Config *config, SystemdClient *systemd, harper_found_callback_t callback, void *userdata);
