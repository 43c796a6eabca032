/* SPDX-License-Identifier: MIT */
/* Where Harper answers: what the Harper locator finds (harper-locator.h) and the watches and
 * the status mirror talk to. */
#pragma once

typedef struct HarperTarget {
        char *socket;          /* its operations API socket */
        char *tcp_url;         /* its TCP operations API (http://host:port/), or NULL */
        char *pid_file;        /* <root>/hdb.pid: tells a Harper that restarted under a job; or NULL */
        char *found_by;        /* where and how it was found, for people ("/x/harperdb-config.yaml, from
                                * ROOTPATH=/x in harperdb.service's environment"); or NULL */
} HarperTarget;

void harper_target_done(HarperTarget *t);
/* A copy of from in *to (which holds nothing); -ENOMEM leaves *to empty. */
int harper_target_copy(HarperTarget *to, const HarperTarget *from);
