/* SPDX-License-Identifier: MIT */
/* worker-snatch USER PARENT SECONDS: as USER (it drops to USER itself), for SECONDS or until
 * SIGTERM, spots every new child of PARENT (harper-ops-http's workers) as soon as its pid
 * exists and tries, in a tight loop for as long as it lives, PTRACE_SEIZE and pidfd_getfd of
 * its stdin, stdout, stderr and socket: what a local user would do to catch its own worker
 * between exec and its protection. Prints "workers=N tries=N successes=N" (and each success
 * on stderr); exit 0.
 * Test helper, not installed. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_WATCHED 256
#define LOOKBEHIND 64   /* a pid may show up after a higher one */

typedef struct Watched {
        pid_t pid;
        int pidfd;
        bool attached;
} Watched;

static Watched watched[MAX_WATCHED];
static size_t n_watched;
static unsigned char *classified;   /* a bit per pid: known to be a worker or not */
static long pid_max;
static unsigned long workers, tries, successes;
static volatile sig_atomic_t terminated;

static void on_term(int sig) {
        terminated = 1;
}

static double now_sec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* The parent of pid (from /proc/PID/stat, readable for any process), or -1. */
static pid_t parent_of(pid_t pid) {
        char path[64], line[512], *close_paren;
        FILE *f;
        int ppid = -1;

        snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return -1;
        if (fgets(line, sizeof line, f) && (close_paren = strrchr(line, ')')))
                (void) !sscanf(close_paren + 1, " %*c %d", &ppid);
        fclose(f);
        return ppid;
}

static void try_one(Watched *w) {
        int fd;

        if (!w->attached) {
                tries++;
                if (ptrace(PTRACE_SEIZE, w->pid, 0, 0) == 0) {
                        successes++;
                        w->attached = true;   /* detached when this program exits */
                        fprintf(stderr, "worker-snatch: PTRACE_SEIZE of %d succeeded\n", (int) w->pid);
                }
        }
        for (int target = 0; target <= 3; target++) {
                tries++;
                fd = (int) syscall(SYS_pidfd_getfd, w->pidfd, target, 0);
                if (fd >= 0) {
                        char link[64], what[256] = "";

                        successes++;
                        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
                        (void) !readlink(link, what, sizeof what - 1);
                        fprintf(stderr, "worker-snatch: took fd %d of %d: %s\n", target, (int) w->pid, what);
                        close(fd);
                }
        }
}

/* Watches pid if it is a child of parent not seen before. */
static void consider(pid_t pid, pid_t parent) {
        pid_t ppid;
        int pidfd;

        pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        if (pidfd < 0)
                return;
        ppid = parent_of(pid);
        if (ppid >= 0)
                classified[pid / 8] |= (unsigned char) (1u << (pid % 8));
        if (ppid != parent || n_watched == MAX_WATCHED) {
                close(pidfd);
                return;
        }
        watched[n_watched++] = (Watched) { .pid = pid, .pidfd = pidfd };
        workers++;
}

static bool is_classified(pid_t pid) {
        return pid >= pid_max || (classified[pid / 8] & (1u << (pid % 8)));
}

/* The pid the kernel gave last, in this pid namespace. */
static pid_t last_pid(void) {
        char buf[32] = "";
        ssize_t n;
        int fd;

        fd = open("/proc/sys/kernel/ns_last_pid", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        n = read(fd, buf, sizeof buf - 1);
        close(fd);
        return n > 0 ? (pid_t) atoi(buf) : -1;
}

/* Looks at every pid given since the last look (from a little before it). */
static void discover(pid_t parent, pid_t *scanned) {
        pid_t last = last_pid();

        if (last < 0)
                return;
        if (last < *scanned)   /* wrapped around */
                *scanned = 1;
        for (pid_t pid = *scanned > LOOKBEHIND ? *scanned - LOOKBEHIND : 1; pid <= last; pid++)
                if (!is_classified(pid) && !(kill(pid, 0) < 0 && errno == ESRCH))
                        consider(pid, parent);
        *scanned = last;
}

/* Forgets the workers that are gone (their pidfd polls readable when they exit). */
static void forget_gone(void) {
        for (size_t i = 0; i < n_watched;) {
                if (kill(watched[i].pid, 0) < 0 && errno == ESRCH) {
                        close(watched[i].pidfd);
                        watched[i] = watched[--n_watched];
                } else
                        i++;
        }
}

static int drop_to(const char *user) {
        struct passwd *pw = getpwnam(user);

        if (!pw)
                return -1;
        if (setgroups(0, NULL) < 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
            setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
                return -1;
        return 0;
}

int main(int argc, char *argv[]) {
        pid_t parent, scanned;
        double end;

        if (argc != 4) {
                fprintf(stderr, "usage: worker-snatch USER PARENT SECONDS\n");
                return 2;
        }
        parent = (pid_t) atoi(argv[2]);
        end = now_sec() + atof(argv[3]);
        if (drop_to(argv[1]) < 0) {
                perror("worker-snatch: cannot become the user");
                return 1;
        }
        FILE *f = fopen("/proc/sys/kernel/pid_max", "re");
        if (!f || fscanf(f, "%ld", &pid_max) != 1 || pid_max <= 0)
                pid_max = 4194304;
        if (f)
                fclose(f);
        classified = calloc((size_t) pid_max / 8 + 1, 1);
        if (!classified)
                return 1;
        scanned = getpid();
        signal(SIGTERM, on_term);
        while (now_sec() < end && !terminated) {
                discover(parent, &scanned);
                if (n_watched == 0)
                        sched_yield();   /* only the new workers need this loop to be tight */
                for (int round = 0; round < 50; round++)
                        for (size_t i = 0; i < n_watched; i++)
                                try_one(&watched[i]);
                forget_gone();
        }
        printf("workers=%lu tries=%lu successes=%lu\n", workers, tries, successes);
        return 0;
}
