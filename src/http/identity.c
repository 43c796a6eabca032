#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "identity.h"

static int from_passwd(const struct passwd *pw, Identity *ret) {
        Identity id = { .uid = pw->pw_uid, .gid = pw->pw_gid, .name = strdup(pw->pw_name) };
        int n = 64;

        if (!id.name)
                return -ENOMEM;
        for (;;) {
                gid_t *groups = realloc(id.groups, sizeof(gid_t) * (size_t) n);
                int want = n;
                if (!groups) {
                        identity_done(&id);
                        return -ENOMEM;
                }
                id.groups = groups;
                if (getgrouplist(pw->pw_name, pw->pw_gid, id.groups, &want) >= 0) {
                        id.n_groups = want;
                        break;
                }
                if (want <= n || want > 65536) {   /* no progress, or absurd */
                        identity_done(&id);
                        return -EIO;
                }
                n = want;
        }
        *ret = id;
        return 0;
}

/* getpw*_r with a buffer that grows as needed */
static int lookup(const char *name, uid_t uid, Identity *ret) {
        size_t size = 1024;
        int r;

        for (;;) {
                struct passwd pw, *found = NULL;
                char *buf = malloc(size);
                if (!buf)
                        return -ENOMEM;
                r = name ? getpwnam_r(name, &pw, buf, size, &found) : getpwuid_r(uid, &pw, buf, size, &found);
                if (r == ERANGE && size < 1024 * 1024) {
                        free(buf);
                        size *= 4;
                        continue;
                }
                r = r ? -r : found ? from_passwd(found, ret) : -ENOENT;
                free(buf);
                return r;
        }
}

int identity_from_uid(uid_t uid, Identity *ret) {
        return lookup(NULL, uid, ret);
}

int identity_from_name(const char *name, Identity *ret) {
        return lookup(name, 0, ret);
}

void identity_done(Identity *id) {
        free(id->name);
        free(id->groups);
        *id = (Identity) {};
}
