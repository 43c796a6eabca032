/* SPDX-License-Identifier: MIT */
/* Harper holds the same statuses as harper-sysopsd: load balancers and Harper applications read
 * them from Harper. The daemon's store stays the copy that answers (no waiting on Harper); each
 * change is sent to Harper in the background (set_status / clear_status over its socket; at
 * most one per 100 ms, the newest value), a
 * change while Harper is down reaches it once it answers again, a Harper that restarted (its
 * hdb.pid changed) gets all of them again, and at start the daemon reads back what Harper
 * holds unless the store is complete already (then Harper gets the store's). A status set or
 * cleared before the read-back wins over what Harper held. Once Harper runs (its hdb.pid names
 * a process), a change reaches it within 1 s of its answering. No bus types. */
#pragma once

#include <systemd/sd-event.h>

#include "harper-client.h"
#include "harper-locator.h"
#include "status-store.h"
#include "sysops-config.h"

typedef struct StatusMirror StatusMirror;

/* Called when the store became complete (status_store_knows every id): Harper's statuses were
 * read back into it, or Harper restarted fresh before they could be. */
typedef void (*statuses_known_callback_t)(void *userdata);

/* locator and harper must outlive the mirror. */
int status_mirror_new(StatusMirror **ret, sd_event *event, HarperLocator *locator, HarperClient *harper,
                      StatusStore *store, statuses_known_callback_t known, void *userdata);
StatusMirror *status_mirror_free(StatusMirror *m);

/* id changed in the store (set or cleared): Harper hears of it soon, without waiting here. */
void status_mirror_changed(StatusMirror *m, StatusId id);
