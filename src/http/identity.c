/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdbool.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "identity.h"
#include "macro.h"
#include "text.h"

/* The groups of user (primary group gid) as initgroups() would set them into *id. */
static int groups_of(const char *user, gid_t gid, Identity *id) {
        int n = 64;

        for (;;) {
                gid_t *groups = realloc(id->groups, sizeof(gid_t) * (size_t) n);
                int want = n;

                if (!groups)
                        return -ENOMEM;
                id->groups = groups;
                if (getgrouplist(user, gid, id->groups, &want) >= 0) {
                        id->n_groups = want;
                        return 0;
                }
                if (want <= n || want > 65536)   /* no progress, or absurd */
                        return -EIO;
                n = want;
        }
}

static int from_passwd(const struct passwd *pw, Identity *ret) {
        _cleanup_(identity_done) Identity id = { .uid = pw->pw_uid, .gid = pw->pw_gid };
        int r;

        id.name = strdup(pw->pw_name);
        if (!id.name)
                return -ENOMEM;
        r = groups_of(pw->pw_name, pw->pw_gid, &id);
        if (r < 0)
                return r;
        *ret = id;
        id = (Identity) {};   /* now *ret's */
        return 0;
}

/* getpw*_r with a buffer that grows as needed */
static int lookup(const char *name, uid_t uid, Identity *ret) {
        assert(ret);

        for (size_t size = 1024;; size *= 4) {
                _cleanup_free_ char *buf = malloc(size);
                struct passwd pw, *found = NULL;
                int r;

                if (!buf)
                        return -ENOMEM;
                r = name ? getpwnam_r(name, &pw, buf, size, &found) : getpwuid_r(uid, &pw, buf, size, &found);
                if (r == ERANGE && size < 1024 * 1024)
                        continue;
                if (r != 0)
                        return -r;
                if (!found)
                        return -ENOENT;
                return from_passwd(found, ret);
        }
}

int identity_from_uid(uid_t uid, Identity *ret) {
        return lookup(NULL, uid, ret);
}

int identity_from_name(const char *name, Identity *ret) {
        assert(name);

        return lookup(name, 0, ret);
}

void identity_done(Identity *id) {
        assert(id);

        free(id->name);
        free(id->groups);
        *id = (Identity) {};
}

const char *escape_for_log(const char *text, char *buf, size_t size) {
        size_t left, n = 0;

        assert(text);
        assert(buf);
        assert(size > 0);

        left = strlen(text);
        while (left > 0) {
                const unsigned char c = (unsigned char) *text;
                size_t length = utf8_char_length(text, left);
                bool plain = length > 1 || (length == 1 && c >= 0x20 && c != 0x7f && c != '\\');

                if (n + (plain ? length : 4) >= size)
                        break;
                if (plain) {
                        memcpy(buf + n, text, length);
                        n += length;
                } else {
                        length = 1;
                        snprintf(buf + n, 5, "\\x%02x", c);
                        n += 4;
                }
                text += length;
                left -= length;
        }
        buf[n] = 0;
        return buf;
}
