/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "worker-protocol.h"

int worker_identity_encode(const Identity *id, void **ret, uint32_t *ret_length) {
        uint32_t *words;
        size_t n;

        assert(id);
        assert(id->groups || id->n_groups == 0);
        assert(ret);
        assert(ret_length);

        if (id->n_groups < 0 || (unsigned) id->n_groups > WORKER_MAX_GROUPS)
                return -E2BIG;
        n = 3 + (size_t) id->n_groups;
        words = malloc(n * sizeof *words);
        if (!words)
                return -ENOMEM;
        words[0] = (uint32_t) id->uid;
        words[1] = (uint32_t) id->gid;
        words[2] = (uint32_t) id->n_groups;
        for (int i = 0; i < id->n_groups; i++)
                words[3 + i] = (uint32_t) id->groups[i];
        *ret = words;
        *ret_length = (uint32_t) (n * sizeof *words);
        return 0;
}

int worker_identity_decode(const void *data, uint32_t length, Identity *ret) {
        _cleanup_free_ gid_t *groups = NULL;
        uint32_t head[3];

        assert(data || length == 0);
        assert(ret);

        if (length < sizeof head)
                return -EBADMSG;
        memcpy(head, data, sizeof head);
        if (head[2] > WORKER_MAX_GROUPS || length != (3u + head[2]) * sizeof(uint32_t))
                return -EBADMSG;
        if (head[0] == UINT32_MAX || head[1] == UINT32_MAX)
                return -EBADMSG;
        groups = malloc(((size_t) head[2] + 1) * sizeof *groups);   /* + 1: never malloc(0) */
        if (!groups)
                return -ENOMEM;
        for (uint32_t i = 0; i < head[2]; i++) {
                uint32_t g;

                memcpy(&g, (const char *) data + (3 + i) * sizeof g, sizeof g);
                if (g == UINT32_MAX)
                        return -EBADMSG;
                groups[i] = (gid_t) g;
        }
        *ret = (Identity) {
                .uid = (uid_t) head[0],
                .gid = (gid_t) head[1],
                .groups = TAKE_PTR(groups),
                .n_groups = (int) head[2],
        };
        return 0;
}
