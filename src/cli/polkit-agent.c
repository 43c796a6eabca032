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
#include "polkit-agent.h"

#define PKTTYAGENT "/usr/bin/pkttyagent"
/* how long pkttyagent may take to register before the call goes out without it */
#define REGISTER_TIMEOUT_MS 5000

pid_t polkit_agent_open(void) {
        char notify[16];
        int pipe_fd[2];
        pid_t pid;

        if (access(PKTTYAGENT, X_OK) < 0) {
                log_debug("No %s: polkit cannot ask for a password here.", PKTTYAGENT);
                return 0;
        }
        if (pipe2(pipe_fd, O_CLOEXEC) < 0)
                return 0;
        pid = fork();
        if (pid < 0) {
                close(pipe_fd[0]);
                close(pipe_fd[1]);
                return 0;
        }
        if (pid == 0) {
                /* the write end stays open in the agent; it closes it once registered */
                if (fcntl(pipe_fd[1], F_SETFD, 0) < 0)
                        _exit(127);
                snprintf(notify, sizeof notify, "%d", pipe_fd[1]);
                /* an agent already there (a desktop's) is left in charge */
                execl(PKTTYAGENT, PKTTYAGENT, "--notify-fd", notify, "--fallback", (char *) NULL);
                _exit(127);
        }
        close(pipe_fd[1]);

        struct pollfd p = { .fd = pipe_fd[0], .events = POLLIN };
        int r;
        do
                r = poll(&p, 1, REGISTER_TIMEOUT_MS);
        while (r < 0 && errno == EINTR);
        close(pipe_fd[0]);
        /* the pipe also closes when pkttyagent gives up (no session): then it has exited */
        if (r == 0)
                log_warning("pkttyagent did not register within %d s; going on without it.", REGISTER_TIMEOUT_MS / 1000);
        else
                log_debug("pkttyagent (pid %d) started.", (int) pid);
        return pid;
}

bool polkit_agent_alive(pid_t *agent) {
        pid_t r;

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
