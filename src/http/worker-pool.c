/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "log.h"
#include "worker.h"
#include "worker-pool.h"
#include "worker-protocol.h"

typedef enum SlotState { SLOT_FREE, SLOT_BUSY, SLOT_IDLE } SlotState;

typedef struct Slot {
        SlotState state;
        uid_t uid;
        pid_t pid;             /* 0 while being started */
        int fd;                /* the listener's end; -1 while being started */
        uint64_t idle_since;   /* CLOCK_MONOTONIC usec */
} Slot;

/* A worker to fork, asked of the manager thread by a request's thread. */
typedef struct SpawnJob {
        struct SpawnJob *next;
        const Identity *id;
        bool done;
        int r;
        pid_t pid;
        int fd;
} SpawnJob;

struct WorkerPool {
        WorkerPoolConfig config;
        pthread_mutex_t lock;
        pthread_cond_t changed;   /* a slot became free or idle, a spawn job came or was done */
        Slot *slots;
        pid_t *exited;            /* let go, not yet reaped */
        size_t n_exited, n_exited_max;
        SpawnJob *jobs;
        char *environment[3];     /* the workers' whole environment */
        bool stopping;
        pthread_t manager;
};

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

/* Reaps pid within usec; false if it is still there. Never waits without a bound: a worker
 * may be stopped or stuck, and the caller may hold the pool's lock. */
static bool reap_within(pid_t pid, uint64_t usec) {
        uint64_t deadline = now_usec() + usec;

        for (;;) {
                if (waitpid(pid, NULL, WNOHANG) != 0)   /* reaped, or not ours (ECHILD) */
                        return true;
                if (now_usec() >= deadline)
                        return false;
                usleep(10 * 1000);
        }
}

/* Under the lock: pid is on its way out (or killed); the manager thread reaps it. */
static void reap_later(WorkerPool *p, pid_t pid) {
        if (p->n_exited == p->n_exited_max) {
                pid_t *more = realloc(p->exited, sizeof(pid_t) * p->n_exited_max * 2);
                if (more) {
                        p->exited = more;
                        p->n_exited_max *= 2;
                }
        }
        if (p->n_exited < p->n_exited_max)
                p->exited[p->n_exited++] = pid;
        else if (kill(pid, SIGKILL) < 0 || !reap_within(pid, 1000000u))   /* out of memory */
                log_warning("Cannot reap worker %d.", (int) pid);
}

/* Under the lock: closes the worker's socket (it exits on the end of the stream) and
 * remembers its pid for reaping. */
static void slot_retire(WorkerPool *p, Slot *s) {
        if (s->fd >= 0)
                close(s->fd);
        if (s->pid > 0)
                reap_later(p, s->pid);
        *s = (Slot) { .state = SLOT_FREE, .fd = -1 };
}

static void reap(WorkerPool *p) {
        for (size_t i = 0; i < p->n_exited;) {
                if (waitpid(p->exited[i], NULL, WNOHANG) != 0)   /* reaped, or not ours (ECHILD) */
                        p->exited[i] = p->exited[--p->n_exited];
                else
                        i++;
        }
}

/* In the child (async-signal-safe): closes every descriptor from 3 up but keep_a and keep_b,
 * so nothing the listener, PAM or NSS opened reaches the user's process. */
static int close_from_to(unsigned first, unsigned last) {
        return first > last ? 0 : close_range(first, last, 0);
}

static void close_all_but(int keep_a, int keep_b, int max_fd) {
        unsigned lo = (unsigned) (keep_a < keep_b ? keep_a : keep_b), hi = (unsigned) (keep_a < keep_b ? keep_b : keep_a);

        if (close_from_to(3, lo - 1) == 0 && close_from_to(lo + 1, hi - 1) == 0 && close_from_to(hi + 1, ~0U) == 0)
                return;
        for (int fd = 3; fd < max_fd; fd++)   /* no close_range() (Linux < 5.9) */
                if (fd != keep_a && fd != keep_b)
                        close(fd);
}

/* Forks a worker as id and execs it. Runs in the manager thread only: PR_SET_PDEATHSIG fires
 * when the thread that forked ends, and MHD's connection threads end with their connection. */
static int fork_worker(WorkerPool *p, const Identity *id, pid_t *ret_pid, int *ret_fd) {
        long max_fd = sysconf(_SC_OPEN_MAX);
        pid_t parent = getpid(), pid;
        char fd_arg[32];
        int sv[2], r;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return -errno;
        snprintf(fd_arg, sizeof fd_arg, "--worker-fd=%d", sv[1]);
        char *argv[] = { (char *) "harper-ops-http", fd_arg, NULL };

        pid = fork();
        if (pid < 0) {
                r = -errno;
                close(sv[0]);
                close(sv[1]);
                return r;
        }
        if (pid == 0) {
                /* the child of a threaded process: async-signal-safe calls only, until exec */
                sigset_t none;

                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);   /* the listener blocks SIGTERM and SIGINT */
                close_all_but(sv[1], p->config.self_fd, max_fd > 0 && max_fd < INT_MAX ? (int) max_fd : 65536);
                if (fcntl(sv[1], F_SETFD, 0) < 0 || worker_drop_privileges(id) < 0)
                        _exit(126);
                /* after the credentials change, which clears it; the listener may be gone already */
                if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent)
                        _exit(126);
                fexecve(p->config.self_fd, argv, p->environment);
                _exit(127);
        }
        close(sv[1]);
        *ret_pid = pid;
        *ret_fd = sv[0];
        return 0;
}

/* Starts a worker as id (through the manager thread); waits for it to say it is ready.
 * Called without the lock. */
static int spawn(WorkerPool *p, const Identity *id, pid_t *ret_pid, int *ret_fd) {
        SpawnJob job = { .id = id };
        uint32_t tag, length;
        char *nothing = NULL;
        int r;

        pthread_mutex_lock(&p->lock);
        job.next = p->jobs;
        p->jobs = &job;
        pthread_cond_broadcast(&p->changed);
        while (!job.done)
                pthread_cond_wait(&p->changed, &p->lock);
        pthread_mutex_unlock(&p->lock);
        if (job.r < 0)
                return job.r;

        r = frame_recv(job.fd, 10 * 1000, 0, &tag, &nothing, &length);
        free(nothing);
        if (r < 0 || tag != WORKER_READY) {
                log_error("A worker for uid %u did not start: %s", (unsigned) id->uid,
                          r < 0 ? strerror(-r) : "unexpected first frame");
                close(job.fd);
                kill(job.pid, SIGKILL);
                pthread_mutex_lock(&p->lock);
                reap_later(p, job.pid);
                pthread_mutex_unlock(&p->lock);
                return r < 0 ? r : -EPROTO;
        }
        /* a worker that does not take a request this long is given up, as one that does not answer */
        struct timeval tv = { .tv_sec = (time_t) (p->config.reply_usec / 1000000u) };
        if (setsockopt(job.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0)
                log_warning("Cannot bound the wait for worker %d: %s", (int) job.pid, strerror(errno));
        log_debug("Worker %d runs as %s (uid %u).", (int) job.pid, id->name, (unsigned) id->uid);
        *ret_pid = job.pid;
        *ret_fd = job.fd;
        return 0;
}

/* Forks the workers (fork_worker), lets idle ones go, reaps those that exited. */
static void *manager_thread(void *userdata) {
        WorkerPool *p = userdata;
        SpawnJob *job;

        pthread_mutex_lock(&p->lock);
        while (!p->stopping) {
                struct timespec deadline;
                uint64_t now;

                while ((job = p->jobs)) {
                        p->jobs = job->next;
                        pthread_mutex_unlock(&p->lock);
                        job->r = fork_worker(p, job->id, &job->pid, &job->fd);
                        pthread_mutex_lock(&p->lock);
                        job->done = true;
                        pthread_cond_broadcast(&p->changed);
                }
                now = now_usec();

                for (unsigned i = 0; i < p->config.max_workers; i++)
                        if (p->slots[i].state == SLOT_IDLE && now - p->slots[i].idle_since >= p->config.idle_usec) {
                                log_debug("Worker %d (uid %u) idle, letting it go.", (int) p->slots[i].pid,
                                          (unsigned) p->slots[i].uid);
                                slot_retire(p, &p->slots[i]);
                                pthread_cond_broadcast(&p->changed);
                        }
                reap(p);
                clock_gettime(CLOCK_MONOTONIC, &deadline);
                deadline.tv_nsec += 250 * 1000000L;
                if (deadline.tv_nsec >= 1000000000L) {
                        deadline.tv_sec++;
                        deadline.tv_nsec -= 1000000000L;
                }
                if (!p->jobs)
                        pthread_cond_timedwait(&p->changed, &p->lock, &deadline);
        }
        for (job = p->jobs; job; job = job->next) {
                job->r = -ESHUTDOWN;
                job->done = true;
        }
        p->jobs = NULL;
        pthread_cond_broadcast(&p->changed);
        pthread_mutex_unlock(&p->lock);
        return NULL;   /* the workers it forked get their SIGKILL (PR_SET_PDEATHSIG) */
}

int worker_pool_new(const WorkerPoolConfig *config, WorkerPool **ret) {
        WorkerPool *p = calloc(1, sizeof *p);
        pthread_condattr_t attr;

        if (!p)
                return -ENOMEM;
        p->config = *config;
        p->slots = calloc(config->max_workers, sizeof *p->slots);
        p->n_exited_max = config->max_workers * 2u + 1u;
        p->exited = calloc(p->n_exited_max, sizeof *p->exited);
        if (!p->slots || !p->exited) {
                free(p->slots);
                free(p->exited);
                free(p);
                return -ENOMEM;
        }
        for (unsigned i = 0; i < config->max_workers; i++)
                p->slots[i] = (Slot) { .state = SLOT_FREE, .fd = -1 };
        pthread_mutex_init(&p->lock, NULL);
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&p->changed, &attr);
        pthread_condattr_destroy(&attr);
        /* what a worker needs of the listener's environment: where the system bus is, and
         * whether its stderr is the journal; nothing else reaches the user's process */
        for (size_t i = 0, n = 0; i < 2; i++) {
                const char *name = i == 0 ? "DBUS_SYSTEM_BUS_ADDRESS" : "JOURNAL_STREAM", *value = getenv(name);
                if (value && asprintf(&p->environment[n], "%s=%s", name, value) >= 0)
                        n++;
        }
        if (pthread_create(&p->manager, NULL, manager_thread, p) != 0) {
                for (size_t i = 0; p->environment[i]; i++)
                        free(p->environment[i]);
                pthread_cond_destroy(&p->changed);
                pthread_mutex_destroy(&p->lock);
                free(p->slots);
                free(p->exited);
                free(p);
                return -EAGAIN;
        }
        *ret = p;
        return 0;
}

void worker_pool_free(WorkerPool *p) {
        if (!p)
                return;
        pthread_mutex_lock(&p->lock);
        p->stopping = true;
        for (unsigned i = 0; i < p->config.max_workers; i++)
                if (p->slots[i].state != SLOT_FREE)
                        slot_retire(p, &p->slots[i]);
        pthread_cond_broadcast(&p->changed);
        pthread_mutex_unlock(&p->lock);
        pthread_join(p->manager, NULL);
        for (size_t i = 0; i < p->n_exited; i++)   /* they saw the end of their stream, and got SIGKILL */
                if (!reap_within(p->exited[i], 5000000u) &&
                    (kill(p->exited[i], SIGKILL) < 0 || !reap_within(p->exited[i], 1000000u)))
                        log_warning("Worker %d did not exit.", (int) p->exited[i]);
        pthread_cond_destroy(&p->changed);
        pthread_mutex_destroy(&p->lock);
        free(p->slots);
        free(p->exited);
        for (size_t i = 0; p->environment[i]; i++)
                free(p->environment[i]);
        free(p);
}

/* Under the lock: a slot for id that the caller now owns (state BUSY), or NULL to wait. A slot
 * with pid 0 has no worker yet: the caller starts one. */
static Slot *slot_take(WorkerPool *p, uid_t uid) {
        Slot *free_slot = NULL, *oldest_idle = NULL;
        unsigned mine = 0;

        for (unsigned i = 0; i < p->config.max_workers; i++) {
                Slot *s = &p->slots[i];
                if (s->state == SLOT_IDLE && s->uid == uid) {
                        s->state = SLOT_BUSY;
                        return s;
                }
                if (s->state != SLOT_FREE && s->uid == uid)
                        mine++;
                else if (s->state == SLOT_FREE && !free_slot)
                        free_slot = s;
                else if (s->state == SLOT_IDLE && (!oldest_idle || s->idle_since < oldest_idle->idle_since))
                        oldest_idle = s;
        }
        if (mine >= p->config.per_identity)
                return NULL;   /* wait for one of this user's own workers */
        if (!free_slot && oldest_idle) {
                log_debug("All worker slots in use: retiring the idle worker %d (uid %u).", (int) oldest_idle->pid,
                          (unsigned) oldest_idle->uid);
                slot_retire(p, oldest_idle);
                free_slot = oldest_idle;
        }
        if (!free_slot)
                return NULL;
        *free_slot = (Slot) { .state = SLOT_BUSY, .uid = uid, .fd = -1 };
        return free_slot;
}

int worker_pool_run(WorkerPool *p, const Identity *id, const char *body, size_t length, int *ret_status,
                    char **ret_body, size_t *ret_length) {
        uint64_t deadline = now_usec() + p->config.queue_usec;
        struct timespec ts = { .tv_sec = (time_t) (deadline / 1000000u), .tv_nsec = (long) (deadline % 1000000u) * 1000 };
        uint32_t tag, answer_length;
        Slot *s;
        int r, fd = -1;

        pthread_mutex_lock(&p->lock);
        while (!(s = slot_take(p, id->uid))) {
                if (p->stopping || pthread_cond_timedwait(&p->changed, &p->lock, &ts) == ETIMEDOUT) {
                        s = p->stopping ? NULL : slot_take(p, id->uid);
                        break;
                }
        }
        pthread_mutex_unlock(&p->lock);
        if (!s)
                return -EBUSY;

        if (s->pid == 0) {
                pid_t pid = 0;
                r = spawn(p, id, &pid, &fd);
                pthread_mutex_lock(&p->lock);
                if (r < 0) {
                        *s = (Slot) { .state = SLOT_FREE, .fd = -1 };
                        pthread_cond_broadcast(&p->changed);
                        pthread_mutex_unlock(&p->lock);
                        return r;
                }
                s->pid = pid;
                s->fd = fd;
                pthread_mutex_unlock(&p->lock);
        }
        fd = s->fd;   /* a BUSY slot is this thread's alone until it gives it back */

        /* the whole exchange within reply_usec: sending is bounded by SO_SNDTIMEO, the answer by what is left */
        uint64_t reply_deadline = now_usec() + p->config.reply_usec;
        char *answer = NULL;
        r = frame_send(fd, WORKER_REQUEST, body, (uint32_t) length);
        if (r >= 0) {
                uint64_t now = now_usec();
                r = frame_recv(fd, now < reply_deadline ? (int) ((reply_deadline - now) / 1000u) : 0, WORKER_MAX_FRAME,
                               &tag, &answer, &answer_length);
        }
        if (r >= 0 && (tag < 100 || tag > 599)) {
                free(answer);
                r = -EPROTO;
        }

        pthread_mutex_lock(&p->lock);
        if (r < 0) {
                log_error("Worker %d (uid %u) failed on a request: %s", (int) s->pid, (unsigned) s->uid, strerror(-r));
                if (s->pid > 0)
                        kill(s->pid, SIGKILL);   /* it may be stuck; it gets reaped */
                slot_retire(p, s);
        } else {
                s->state = SLOT_IDLE;
                s->idle_since = now_usec();
        }
        pthread_cond_broadcast(&p->changed);
        pthread_mutex_unlock(&p->lock);
        if (r < 0)
                return r;
        *ret_status = (int) tag;
        *ret_body = answer;
        *ret_length = answer_length;
        return 0;
}
