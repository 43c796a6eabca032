/* SPDX-License-Identifier: MIT */
/* What the listener and a worker say to each other (frame.h): the listener's first frame is
 * WORKER_IDENTITY, whom the worker (exec'd as root) becomes; the worker's first frame is
 * WORKER_READY; then each request frame (tag 0, the body) gets one answer frame (tag: the
 * HTTP status, the JSON text). */
#pragma once

#include <stdint.h>

#include "identity.h"

#define WORKER_REQUEST 0u
#define WORKER_READY 1u
#define WORKER_IDENTITY 2u
/* no body the listener accepts comes near this; answers (system_information) stay well under */
#define WORKER_MAX_FRAME (64u * 1024u * 1024u)
/* the kernel's NGROUPS_MAX, as identity.c bounds a user's groups */
#define WORKER_MAX_GROUPS 65536u
#define WORKER_MAX_IDENTITY ((3u + WORKER_MAX_GROUPS) * (uint32_t) sizeof(uint32_t))

/* The identity frame's bytes: uid, gid, the number of groups, the groups, 32 bits each in
 * host order (*ret malloc'd). 0, -E2BIG for too many groups, -ENOMEM. */
int worker_identity_encode(const Identity *id, void **ret, uint32_t *ret_length);
/* Reads an identity frame into *ret (no name; groups malloc'd): 0, or -EBADMSG when it is not
 * one or names -1 (to setresuid() and setgroups() that means "unchanged" or nothing). */
int worker_identity_decode(const void *data, uint32_t length, Identity *ret);
