/* SPDX-License-Identifier: MIT */
/* Where the real Harper answers, found without configuration: the configuration's harper
 * section when it has one, else the instance unit as systemd reports it (its ROOTPATH, else
 * Harper's boot properties in the unit user's home) and Harper's own harperdb-config.yaml
 * (read by harper-settings.h, no bus types).
 *
 * One locator, owned by the Context, keeps where Harper was found last, for a caller that asks
 * often (system_information: one search less per call, a question to systemd and a read of
 * Harper's configuration, about 1 ms). What it keeps is forgotten when a call there fails or
 * the configuration changes (harper_locator_forget), or after HARPER_LOCATOR_MAX_AGE_USEC; a
 * Harper that moved costs one failed call at most. A search can be cancelled: its caller is
 * then never called back. */
#pragma once

#include "harper-target.h"
#include "macro.h"
#include "sysops-config.h"
#include "systemd-client.h"

#define HARPER_LOCATOR_MAX_AGE_USEC (60ULL * 1000000ULL)

typedef struct HarperLocator HarperLocator;
typedef struct HarperSearch HarperSearch;

typedef enum HarperFreshness {
        HARPER_FIND_FRESH,     /* look again: a restart may have moved Harper */
        HARPER_FIND_RECENT,    /* where it was found lately will do */
} HarperFreshness;

/* t is valid during the callback only; on error t is NULL and error says why. */
typedef void (*harper_found_callback_t)(const HarperTarget *t, const char *error, void *userdata);

/* config (changed in place on reload: then harper_locator_forget) and systemd must outlive the
 * locator's searches; without systemd (NULL) only a configured harper section is found. */
int harper_locator_new(HarperLocator **ret, const Config *config, SystemdClient *systemd);
/* Cancels the searches still out (no callbacks); NULL is fine. */
HarperLocator *harper_locator_free(HarperLocator *l);
DEFINE_TRIVIAL_CLEANUP_FUNC(HarperLocator *, harper_locator_free);

/* Finds Harper; what a search finds is kept for HARPER_FIND_RECENT. callback exactly once
 * unless the search is cancelled, possibly before this returns (then *ret is NULL). ret may be
 * NULL for a search nobody cancels. A negative errno: no callback. */
int harper_locator_find(HarperLocator *l, HarperFreshness how, harper_found_callback_t callback, void *userdata,
                        HarperSearch **ret);

/* Ends a search that has not called back yet, without calling back; NULL is fine. */
void harper_search_cancel(HarperSearch *s);

/* Forgets where Harper was found; a search begun before does not keep what it finds. */
void harper_locator_forget(HarperLocator *l);

