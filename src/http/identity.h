/* Who a caller of harper-ops-http is: a user of this host with its groups, the
 * credentials its worker process takes on. */
#pragma once

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
