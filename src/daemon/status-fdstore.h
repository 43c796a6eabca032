/* SPDX-License-Identifier: MIT */
/* The statuses kept across restarts of harper-sysopsd without a file: a sealed memfd named
 * "statuses" in systemd's file descriptor store (FileDescriptorStoreMax= in the unit), replaced
 * on every change and handed back by systemd at the next start. What comes back is read as
 * untrusted input: bounded, parsed by json-c, every record checked by the status rules; any
 * fault and none of it is taken (the daemon then reads Harper's back). No bus types. */
#pragma once

#include <stddef.h>

#include "status-store.h"

#define STATUS_FDSTORE_NAME "statuses"
/* three records of at most 2 KiB of status each, and their JSON: far below this */
#define STATUS_FDSTORE_MAX_BYTES (64U * 1024U)

/* store's records as the fd store keeps them (JSON text; caller frees); NULL: out of memory. */
char *status_fdstore_serialize(const StatusStore *store);

/* Takes the records of text (size bytes, untrusted) into store, which holds none, and marks it
 * complete. -EBADMSG with a sentence in *ret_problem, and store unchanged, when any of it is
 * not what status_fdstore_serialize() writes; -ENOMEM. */
int status_fdstore_parse(StatusStore *store, const char *text, size_t size, char **ret_problem);

/* Hands a complete store to systemd in place of the copy there (nothing when incomplete, or
 * when not run by systemd: 0). Errors are logged and returned. */
int status_fdstore_save(const StatusStore *store);

/* At start: takes the statuses from the descriptors systemd passed (sd_listen_fds_with_names)
 * into store, closing them all. 1: taken (store complete); 0: none passed; <0: none taken, a
 * bad copy is logged and dropped from the fd store. */
int status_fdstore_load(StatusStore *store);
