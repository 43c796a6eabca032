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

/* Length of the UTF-8 character at s, or 0 if it is not one (overlong, surrogate, too big). */
static size_t utf8_length(const unsigned char *s) {
        size_t n;

        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                n = 2;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                n = 3;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                n = 4;
        else
                return 0;
        if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) || (s[0] == 0xf0 && s[1] < 0x90) ||
            (s[0] == 0xf4 && s[1] >= 0x90))
                return 0;
        for (size_t i = 1; i < n; i++)
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
        return n;
}

const char *escape_for_log(const char *text, char *buf, size_t size) {
        const unsigned char *s = (const unsigned char *) text;
        size_t n = 0;

        while (*s) {
                size_t length = utf8_length(s);
                bool plain = length > 1 || (length == 1 && *s >= 0x20 && *s != 0x7f && *s != '\\');

                if (n + (plain ? length : 4) >= size)
                        break;
                if (plain) {
                        memcpy(buf + n, s, length);
                        n += length;
                        s += length;
                } else {
                        snprintf(buf + n, 5, "\\x%02x", *s++);
                        n += 4;
                }
        }
        buf[n] = 0;
        return buf;
}
