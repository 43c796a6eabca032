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

/* Where Harper was last found, for a caller that asks it often (system_information): one
 * search less per call (a question to systemd and a read of Harper's configuration, about
 * 1 ms). Kept until a call through it fails (harper_place_forget), the configuration changes,
 * or HARPER_PLACE_MAX_AGE_USEC pass; a Harper that moved costs one failed call at most. */
#define HARPER_PLACE_MAX_AGE_USEC (60ULL * 1000000ULL)
typedef struct HarperPlace {
        HarperTarget target;
        uint64_t found_usec;   /* CLOCK_MONOTONIC; 0: not known */
        unsigned forgotten;    /* how often it was forgotten: a search begun before is not kept */
} HarperPlace;

/* harper_find(), answered from place when it is recent; what a search finds is kept there.
 * place must outlive the search. */
int harper_find_recent(HarperPlace *place, const Config *config, SystemdClient *systemd,
                       harper_found_callback_t callback, void *userdata);
void harper_place_forget(HarperPlace *place);
