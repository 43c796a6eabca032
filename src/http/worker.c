/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <unistd.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-journal.h>

#include "frame.h"
#include "log.h"
#include "macro.h"
#include "operations.h"
#include "worker.h"
#include "worker-protocol.h"

/* How long the listener has to say whom the worker is for (it does so at once). */
#define IDENTITY_TIMEOUT_MSEC (10 * 1000)

static int capabilities_clear(void) {
        struct __user_cap_header_struct head = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};

        return syscall(SYS_capset, &head, data) < 0 ? -errno : 0;
}

/* Takes on id for good. Its user can never ptrace this process nor take its descriptors
 * (pidfd_getfd): the kernel lets a caller without CAP_SYS_PTRACE at a process only when the
 * caller's uid is its real, effective and saved uid alike and the process is dumpable. The
 * saved uid stays 0 until the process is not dumpable, whatever fs.suid_dumpable makes of the
 * euid change (commit_creds sets dumpability to it); changing the saved uid alone leaves
 * dumpability as it is (commit_creds looks at the euid, egid, fsuid, fsgid and a gain of
 * capabilities only). */
static int drop_privileges(const Identity *id) {
        assert(id);

        if (setgroups((size_t) id->n_groups, id->groups) < 0 ||
            setresgid(id->gid, id->gid, id->gid) < 0 ||
            setresuid(id->uid, id->uid, 0) < 0)
                return -errno;
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || setresuid(-1, -1, id->uid) < 0)
                return -errno;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -errno;
        /* root stays root (that is the caller), but needs no capability to make bus calls */
        return capabilities_clear();
}

/* The identity frame, the first the listener sends. */
static int identity_receive(int fd, Identity *ret) {
        _cleanup_free_ char *data = NULL;
        uint32_t tag, length;
        int r;

        r = frame_recv(fd, IDENTITY_TIMEOUT_MSEC, WORKER_MAX_IDENTITY, &tag, &data, &length);
        if (r < 0)
                return r;
        if (tag != WORKER_IDENTITY)
                return -EPROTO;
        return worker_identity_decode(data, length, ret);
}

/* stdin, stdout and stderr were the listener's (stderr its journal stream, where a line
 * written is the service's): /dev/null in their place before the user's uid is taken on. */
static int stdio_to_null(void) {
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);

        if (null < 0)
                return -errno;
        for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++)
                if (fd != null && dup2(null, fd) < 0)
                        return -errno;
        if (null > STDERR_FILENO)
                close(null);
        return 0;
}

/* Under systemd, a journal stream of the worker's own, opened as its user: the journal records
 * that user as the sender of whatever it writes. Without one its messages are lost. */
static void stderr_to_journal(void) {
        _cleanup_close_ int fd = -EBADF;
        char value[64];
        struct stat st;

        if (!getenv("JOURNAL_STREAM"))
                return;
        fd = sd_journal_stream_fd("harper-ops-http-worker", LOG_NOTICE, true);
        if (fd < 0 || dup2(fd, STDERR_FILENO) < 0 || fstat(STDERR_FILENO, &st) < 0) {
                unsetenv("JOURNAL_STREAM");
                return;
        }
        snprintf(value, sizeof value, "%llu:%llu", (unsigned long long) st.st_dev, (unsigned long long) st.st_ino);
        (void) setenv("JOURNAL_STREAM", value, true);
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
        if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1 || prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
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

/* As id for good, with nothing of the listener's but fd: 0 or -errno (logged). */
static int become(int fd, const Identity *id) {
        pid_t parent = getppid();
        int r;

        assert(id);

        r = stdio_to_null();
        if (r < 0)
                return log_error_errno(r, "Worker cannot close the listener's stdin, stdout and stderr: %m");
        r = drop_privileges(id);   /* from here on its messages go to /dev/null or its own stream */
        if (r < 0)
                return r;
        /* again: the credentials change cleared it; the listener may be gone already */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent)
                return -ESRCH;
        stderr_to_journal();
        r = check_dropped();
        if (r < 0)
                return log_error_errno(r, "Worker credentials are not dropped for good: %m");
        return frame_send(fd, WORKER_READY, NULL, 0);
}

int worker_main(int fd) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(identity_done) Identity id = {};
        int r;

        r = identity_receive(fd, &id);
        if (r < 0) {
                log_error_errno(r, "Worker got no identity: %m");
                return EXIT_FAILURE;
        }
        if (become(fd, &id) < 0)
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
