/* SPDX-License-Identifier: MIT */
/* The configuration's life in the daemon: read at start and again on SIGHUP (systemctl reload
 * harper-sysopsd). A bad file at start does not leave callers waiting for D-Bus activation to
 * time out, and nothing runs on a half-read file: the daemon serves its name and answers every
 * call with BadConfiguration, naming the file and the problem, until a reload brings a good
 * file. A bad file on reload keeps the running configuration, statuses and jobs. */
#pragma once

#include "context.h"

/* Loads the configuration at start; a bad file is logged and kept in c->config_problem. Fails
 * only when out of memory. */
int config_state_load(Context *c, const char *path, bool required);

/* Installs what refuses calls while the configuration is bad, and the SIGHUP handler. */
int config_state_attach(Context *c);

/* Checks a file as the daemon would load it (--check-config): prints the problem, returns
 * the exit status. */
int config_state_check(const char *path, bool required);
