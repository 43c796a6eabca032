/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "polkit-agent.h"

#define PKTTYAGENT "/usr/bin/pkttyagent"
/* how long pkttyagent may take to register before the call goes out without it */
#define REGISTER_TIMEOUT_MS 5000

/* Waits until pkttyagent closes its end of the pipe (it has registered, or given up and exited),
 * at most REGISTER_TIMEOUT_MS; 0 when it took longer. */
static int wait_registered(int fd) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int r;

        do
                r = poll(&p, 1, REGISTER_TIMEOUT_MS);
        while (r < 0 && errno == EINTR);
        return r;
}

pid_t polkit_agent_open(void) {
        _cleanup_close_ int read_fd = -EBADF, write_fd = -EBADF;
        char notify[16];
        int pipe_fd[2];
        pid_t pid;

        if (access(PKTTYAGENT, X_OK) < 0) {
                log_debug("No %s: polkit cannot ask for a password here.", PKTTYAGENT);
                return 0;
        }
        if (pipe2(pipe_fd, O_CLOEXEC) < 0)
                return 0;
        read_fd = pipe_fd[0];
        write_fd = pipe_fd[1];
        pid = fork();
        if (pid < 0)
                return 0;
        if (pid == 0) {
                /* the write end stays open in the agent; it closes it once registered */
                if (fcntl(write_fd, F_SETFD, 0) < 0)
                        _exit(127);
                snprintf(notify, sizeof notify, "%d", write_fd);
                /* an agent already there (a desktop's) is left in charge */
                execl(PKTTYAGENT, PKTTYAGENT, "--notify-fd", notify, "--fallback", (char *) NULL);
                _exit(127);
        }
        close(TAKE_FD(write_fd));

        /* the pipe also closes when pkttyagent gives up (no session): then it has exited */
        if (wait_registered(read_fd) == 0)
                log_warning("pkttyagent did not register within %d s; going on without it.", REGISTER_TIMEOUT_MS / 1000);
        else
                log_debug("pkttyagent (pid %d) started.", (int) pid);
        return pid;
}

bool polkit_agent_alive(pid_t *agent) {
        pid_t r;

        assert(agent);
        if (*agent <= 0)
                return false;
        do
                r = waitpid(*agent, NULL, WNOHANG);
        while (r < 0 && errno == EINTR);
        if (r == 0)
                return true;
        *agent = 0;
        return false;
}

void polkit_agent_close(pid_t agent) {
        if (agent <= 0)
                return;
        (void) kill(agent, SIGTERM);
        while (waitpid(agent, NULL, 0) < 0 && errno == EINTR)
                ;
}
