/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <systemd/sd-bus.h>

#include "frame.h"
#include "log.h"
#include "macro.h"
#include "operations.h"
#include "worker.h"
#include "worker-protocol.h"

static int capabilities_clear(void) {
        struct __user_cap_header_struct head = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};

        return syscall(SYS_capset, &head, data) < 0 ? -errno : 0;
}

int worker_drop_privileges(const Identity *id) {
        /* no assert(): this runs between fork() and exec, where only async-signal-safe calls may */
        if (setgroups((size_t) id->n_groups, id->groups) < 0 ||
            setresgid(id->gid, id->gid, id->gid) < 0 ||
            setresuid(id->uid, id->uid, id->uid) < 0)
                return -errno;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -errno;
        /* root stays root (that is the caller), but needs no capability to make bus calls */
        return capabilities_clear();
}

/* The credentials are one uid and one gid, no capability is left, and nothing gives them back. */
static int check_dropped(void) {
        struct __user_cap_header_struct head = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
        uid_t ruid, euid, suid;
        gid_t rgid, egid, sgid;

        if (getresuid(&ruid, &euid, &suid) < 0 || getresgid(&rgid, &egid, &sgid) < 0)
                return -errno;
        if (ruid != euid || euid != suid || rgid != egid || egid != sgid)
                return -EPERM;
        if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
                return -EPERM;
        if (syscall(SYS_capget, &head, data) < 0)
                return -errno;
        for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
                if (data[i].effective || data[i].permitted || data[i].inheritable)
                        return -EPERM;
        if (ruid != 0 && (setresuid(0, 0, 0) == 0 || errno != EPERM))
                return -EPERM;
        if (rgid != 0 && (setresgid(0, 0, 0) == 0 || errno != EPERM))
                return -EPERM;
        return 0;
}

/* Runs one request body on *bus (opened, or opened again, as needed) and sends the answer
 * frame: 0 or -errno. */
static int answer_one(int fd, sd_bus **bus, const char *body, uint32_t length) {
        _cleanup_(response_done) Response ret = {};
        const char *text;

        assert(bus);
        assert(body);

        /* its own connection, kept across requests; a new one if the bus went away */
        if (*bus && !sd_bus_is_open(*bus))
                *bus = sd_bus_flush_close_unref(*bus);
        if (!*bus && sd_bus_open_system(bus) < 0)
                *bus = NULL;   /* operation_run_body then answers Harper's 500 */

        /* no agent over HTTP: a caller who would need a password is told so (403) */
        CallContext ctx = { .bus = *bus, .interactive = false };
        ret = operation_run_body(&ctx, body, length);
        text = response_body_text(&ret, 0);
        return frame_send(fd, (uint32_t) outcome_http_status(ret.outcome), text, (uint32_t) strlen(text));
}

int worker_main(int fd) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        r = check_dropped();
        if (r < 0) {
                log_error_errno(r, "Worker credentials are not dropped for good: %m");
                return EXIT_FAILURE;
        }
        if (frame_send(fd, WORKER_READY, NULL, 0) < 0)
                return EXIT_FAILURE;

        for (;;) {
                _cleanup_free_ char *body = NULL;
                uint32_t tag, length;

                r = frame_recv(fd, -1, WORKER_MAX_FRAME, &tag, &body, &length);
                if (r == -EPIPE)
                        return EXIT_SUCCESS;   /* the listener let this worker go */
                if (r < 0) {
                        log_error_errno(r, "Worker cannot read a request: %m");
                        return EXIT_FAILURE;
                }
                if (answer_one(fd, &bus, body, length) < 0)
                        return EXIT_SUCCESS;
        }
}
