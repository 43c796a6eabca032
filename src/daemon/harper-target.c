/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harper-target.h"

void harper_target_done(HarperTarget *t) {
        assert(t);

        free(t->socket);
        free(t->tcp_url);
        free(t->pid_file);
        free(t->found_by);
        *t = (HarperTarget) {};
}

int harper_target_copy(HarperTarget *to, const HarperTarget *from) {
        assert(to);
        assert(from);

        *to = (HarperTarget) {
                .socket = strdup(from->socket),
                .tcp_url = from->tcp_url ? strdup(from->tcp_url) : NULL,
                .pid_file = from->pid_file ? strdup(from->pid_file) : NULL,
                .found_by = from->found_by ? strdup(from->found_by) : NULL,
        };
        if (to->socket && (!from->tcp_url || to->tcp_url) && (!from->pid_file || to->pid_file) &&
            (!from->found_by || to->found_by))
                return 0;
        harper_target_done(to);
        return -ENOMEM;
}
