/* SPDX-License-Identifier: MIT */
/* Who a caller of harper-ops-http is: a user of this host with its groups, the
 * credentials its worker process takes on. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

typedef struct Identity {
        uid_t uid;
        gid_t gid;            /* the user's primary group */
        char *name;           /* login name */
        gid_t *groups;        /* supplementary groups, as initgroups() would set them */
        int n_groups;
} Identity;

/* Looks the user up (passwd and group databases): 0, -ENOENT for no such user, -errno. */
int identity_from_uid(uid_t uid, Identity *ret);
int identity_from_name(const char *name, Identity *ret);
void identity_done(Identity *id);

/* text from a client (a user name, say) made safe to log: control characters, backslashes and
 * bytes that are not UTF-8 become \xNN, so nobody can start a line of their own (the journal's
 * <N> prefix). Cut to fit size; returns buf. */
#define ESCAPED_MAX 256
const char *escape_for_log(const char *text, char *buf, size_t size);
