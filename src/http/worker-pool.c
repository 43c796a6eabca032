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
#include "macro.h"
#include "text.h"
#include "time-util.h"
#include "worker-pool.h"
#include "worker-protocol.h"
#include "worker.h"

/* How often the manager thread looks for idle workers and exited ones. */
#define MANAGER_PERIOD_USEC (250 * 1000u)
/* How long a new worker has to say it is ready. */
#define READY_TIMEOUT_MSEC (10 * 1000)

typedef enum SlotState { SLOT_FREE, SLOT_BUSY, SLOT_IDLE } SlotState;

typedef struct Slot {
        SlotState state;
        uid_t uid;
        pid_t pid;             /* 0 while being started */
        int fd;                /* the listener's end; -EBADF while being started */
        uint64_t idle_since;   /* CLOCK_MONOTONIC usec */
} Slot;

#define SLOT_NONE ((Slot) { .state = SLOT_FREE, .fd = -EBADF })

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
        bool manager_running;
        pthread_t manager;
};

/* Reaps pid within usec; false if it is still there. Never waits without a bound: a worker
 * may be stopped or stuck, and the caller may hold the pool's lock. */
static bool reap_within(pid_t pid, uint64_t usec) {
        uint64_t deadline = monotonic_usec() + usec;

        for (;;) {
                if (waitpid(pid, NULL, WNOHANG) != 0)   /* reaped, or not ours (ECHILD) */
                        return true;
                if (monotonic_usec() >= deadline)
                        return false;
                usleep(10 * 1000);
        }
}

/* Under the lock: pid is on its way out (or killed); the manager thread reaps it. */
static void reap_later(WorkerPool *p, pid_t pid) {
        assert(p);

        if (p->n_exited == p->n_exited_max) {
                pid_t *more = realloc(p->exited, sizeof(pid_t) * p->n_exited_max * 2);
                if (more) {
                        p->exited = more;
                        p->n_exited_max *= 2;
                }
        }
        if (p->n_exited < p->n_exited_max)
                p->exited[p->n_exited++] = pid;
        else if (kill(pid, SIGKILL) < 0 || !reap_within(pid, USEC_PER_SEC))   /* out of memory */
                log_warning("Cannot reap worker %d.", (int) pid);
}

/* Under the lock: closes the worker's socket (it exits on the end of the stream) and
 * remembers its pid for reaping. */
static void slot_retire(WorkerPool *p, Slot *s) {
        assert(p);
        assert(s);

        if (s->fd >= 0)
                close(s->fd);
        if (s->pid > 0)
                reap_later(p, s->pid);
        *s = SLOT_NONE;
}

static void reap(WorkerPool *p) {
        assert(p);

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
        if (first > last)
                return 0;
        return close_range(first, last, 0);
}

static void close_all_but(int keep_a, int keep_b, int max_fd) {
        unsigned lo = (unsigned) (keep_a < keep_b ? keep_a : keep_b), hi = (unsigned) (keep_a < keep_b ? keep_b : keep_a);

        if (close_from_to(3, lo - 1) == 0 && close_from_to(lo + 1, hi - 1) == 0 && close_from_to(hi + 1, ~0U) == 0)
                return;
        for (int fd = 3; fd < max_fd; fd++)   /* no close_range() (Linux < 5.9) */
                if (fd != keep_a && fd != keep_b)
                        close(fd);
}

/* The child of fork_worker, a child of a threaded process: async-signal-safe calls only, until
 * it execs the worker as id with fd (its end of the socketpair) as argv says. */
static _Noreturn void exec_worker(const WorkerPool *p, const Identity *id, int fd, pid_t parent, int max_fd,
                                  char **argv) {
        sigset_t none;

        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);   /* the listener blocks SIGTERM and SIGINT */
        close_all_but(fd, p->config.self_fd, max_fd);
        if (fcntl(fd, F_SETFD, 0) < 0 || worker_drop_privileges(id) < 0)
                _exit(126);
        /* after the credentials change, which clears it; the listener may be gone already */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent)
                _exit(126);
        fexecve(p->config.self_fd, argv, p->environment);
        _exit(127);
}

/* Forks a worker as id and execs it. Runs in the manager thread only: PR_SET_PDEATHSIG fires
 * when the thread that forked ends, and MHD's connection threads end with their connection. */
static int fork_worker(WorkerPool *p, const Identity *id, pid_t *ret_pid, int *ret_fd) {
        _cleanup_close_ int ours = -EBADF, theirs = -EBADF;
        long max_fd = sysconf(_SC_OPEN_MAX);
        pid_t parent = getpid(), pid;
        char fd_arg[32];
        int sv[2];

        assert(p);
        assert(id);
        assert(ret_pid);
        assert(ret_fd);

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return -errno;
        ours = sv[0];
        theirs = sv[1];
        snprintf(fd_arg, sizeof fd_arg, "--worker-fd=%d", theirs);
        char *argv[] = { (char *) "harper-ops-http", fd_arg, NULL };

        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0)
                exec_worker(p, id, theirs, parent, max_fd > 0 && max_fd < INT_MAX ? (int) max_fd : 65536, argv);
        *ret_pid = pid;
        *ret_fd = TAKE_FD(ours);
        return 0;
}

/* Asks the manager thread to fork a worker as id, and waits for it to: 0 with the worker's
 * pid and socket, or -errno. Called without the lock. */
static int spawn_through_manager(WorkerPool *p, const Identity *id, pid_t *ret_pid, int *ret_fd) {
        SpawnJob job = { .id = id };

        pthread_mutex_lock(&p->lock);
        job.next = p->jobs;
        p->jobs = &job;
        pthread_cond_broadcast(&p->changed);
        while (!job.done)
                pthread_cond_wait(&p->changed, &p->lock);
        pthread_mutex_unlock(&p->lock);
        if (job.r < 0)
                return job.r;
        *ret_pid = job.pid;
        *ret_fd = job.fd;
        return 0;
}

/* Starts a worker as id; waits for it to say it is ready. Called without the lock. */
static int spawn(WorkerPool *p, const Identity *id, pid_t *ret_pid, int *ret_fd) {
        _cleanup_free_ char *nothing = NULL;
        _cleanup_close_ int fd = -EBADF;
        uint32_t tag, length;
        pid_t pid;
        int r;

        r = spawn_through_manager(p, id, &pid, &fd);
        if (r < 0)
                return r;
        r = frame_recv(fd, READY_TIMEOUT_MSEC, 0, &tag, &nothing, &length);
        if (r < 0)
                log_error_errno(r, "A worker for uid %u did not start: %m", (unsigned) id->uid);
        else if (tag != WORKER_READY) {
                log_error("A worker for uid %u did not start: unexpected first frame", (unsigned) id->uid);
                r = -EPROTO;
        }
        if (r < 0) {
                kill(pid, SIGKILL);
                pthread_mutex_lock(&p->lock);
                reap_later(p, pid);
                pthread_mutex_unlock(&p->lock);
                return r;
        }
        /* a worker that does not take a request this long is given up, as one that does not answer */
        struct timeval tv = { .tv_sec = (time_t) (p->config.reply_usec / USEC_PER_SEC) };
        if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0)
                log_warning_errno(errno, "Cannot bound the wait for worker %d: %m", (int) pid);
        log_debug("Worker %d runs as %s (uid %u).", (int) pid, id->name, (unsigned) id->uid);
        *ret_pid = pid;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* Under the lock: forks the workers asked for (fork_worker), without the lock meanwhile. */
static void run_spawn_jobs(WorkerPool *p) {
        SpawnJob *job;

        while ((job = p->jobs)) {
                p->jobs = job->next;
                pthread_mutex_unlock(&p->lock);
                job->r = fork_worker(p, job->id, &job->pid, &job->fd);
                pthread_mutex_lock(&p->lock);
                job->done = true;
                pthread_cond_broadcast(&p->changed);
        }
}

/* Under the lock: lets the workers nobody used for idle_usec go. */
static void retire_idle(WorkerPool *p) {
        uint64_t now = monotonic_usec();

        for (unsigned i = 0; i < p->config.max_workers; i++) {
                Slot *s = &p->slots[i];

                if (s->state != SLOT_IDLE || now - s->idle_since < p->config.idle_usec)
                        continue;
                log_debug("Worker %d (uid %u) idle, letting it go.", (int) s->pid, (unsigned) s->uid);
                slot_retire(p, s);
                pthread_cond_broadcast(&p->changed);
        }
}

/* Forks the workers (fork_worker), lets idle ones go, reaps those that exited. */
static void *manager_thread(void *userdata) {
        WorkerPool *p = ASSERT_PTR(userdata);

        pthread_mutex_lock(&p->lock);
        while (!p->stopping) {
                struct timespec deadline;

                run_spawn_jobs(p);
                retire_idle(p);
                reap(p);
                deadline = timespec_from_usec(monotonic_usec() + MANAGER_PERIOD_USEC);
                if (!p->jobs)
                        pthread_cond_timedwait(&p->changed, &p->lock, &deadline);
        }
        for (SpawnJob *job = p->jobs; job; job = job->next) {
                job->r = -ESHUTDOWN;
                job->done = true;
        }
        p->jobs = NULL;
        pthread_cond_broadcast(&p->changed);
        pthread_mutex_unlock(&p->lock);
        return NULL;   /* the workers it forked get their SIGKILL (PR_SET_PDEATHSIG) */
}

/* What a worker needs of the listener's environment: where the system bus is, and whether its
 * stderr is the journal; nothing else reaches the user's process. */
static void environment_set(WorkerPool *p) {
        static const char *const names[] = { "DBUS_SYSTEM_BUS_ADDRESS", "JOURNAL_STREAM" };
        size_t n = 0;

        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                const char *value = getenv(names[i]);

                if (value && asprintf(&p->environment[n], "%s=%s", names[i], value) >= 0)
                        n++;
        }
}

int worker_pool_new(const WorkerPoolConfig *config, WorkerPool **ret) {
        _cleanup_(worker_pool_freep) WorkerPool *p = NULL;
        pthread_condattr_t attr;

        assert(config);
        assert(ret);

        p = calloc(1, sizeof *p);
        if (!p)
                return -ENOMEM;
        p->config = *config;
        pthread_mutex_init(&p->lock, NULL);
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&p->changed, &attr);
        pthread_condattr_destroy(&attr);
        p->slots = calloc(config->max_workers, sizeof *p->slots);
        p->n_exited_max = config->max_workers * 2u + 1u;
        p->exited = calloc(p->n_exited_max, sizeof *p->exited);
        if (!p->slots || !p->exited)
                return -ENOMEM;
        for (unsigned i = 0; i < config->max_workers; i++)
                p->slots[i] = SLOT_NONE;
        environment_set(p);
        if (pthread_create(&p->manager, NULL, manager_thread, p) != 0)
                return -EAGAIN;
        p->manager_running = true;
        *ret = TAKE_PTR(p);
        return 0;
}

/* Ends the manager thread, then every worker, waiting a bounded time for each. */
static void workers_stop(WorkerPool *p) {
        pthread_mutex_lock(&p->lock);
        p->stopping = true;
        for (unsigned i = 0; i < p->config.max_workers; i++)
                if (p->slots[i].state != SLOT_FREE)
                        slot_retire(p, &p->slots[i]);
        pthread_cond_broadcast(&p->changed);
        pthread_mutex_unlock(&p->lock);
        pthread_join(p->manager, NULL);
        for (size_t i = 0; i < p->n_exited; i++)   /* they saw the end of their stream, and got SIGKILL */
                if (!reap_within(p->exited[i], 5 * USEC_PER_SEC) &&
                    (kill(p->exited[i], SIGKILL) < 0 || !reap_within(p->exited[i], USEC_PER_SEC)))
                        log_warning("Worker %d did not exit.", (int) p->exited[i]);
}

void worker_pool_free(WorkerPool *p) {
        if (!p)
                return;
        if (p->manager_running)
                workers_stop(p);
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
        *free_slot = (Slot) { .state = SLOT_BUSY, .uid = uid, .fd = -EBADF };
        return free_slot;
}

/* A slot for uid (BUSY: the caller's), waiting for one up to queue_usec; NULL when none came
 * free in time or the pool is stopping. */
static Slot *slot_wait(WorkerPool *p, uid_t uid) {
        struct timespec deadline = timespec_from_usec(monotonic_usec() + p->config.queue_usec);
        Slot *s;

        pthread_mutex_lock(&p->lock);
        while (!(s = slot_take(p, uid))) {
                if (p->stopping)
                        break;
                if (pthread_cond_timedwait(&p->changed, &p->lock, &deadline) == ETIMEDOUT) {
                        s = p->stopping ? NULL : slot_take(p, uid);
                        break;
                }
        }
        pthread_mutex_unlock(&p->lock);
        return s;
}

/* Starts a worker as id in s, a slot just taken that has none: 0, or -errno with s free again. */
static int slot_start(WorkerPool *p, Slot *s, const Identity *id) {
        pid_t pid = 0;
        int fd = -EBADF, r;

        r = spawn(p, id, &pid, &fd);
        pthread_mutex_lock(&p->lock);
        if (r < 0) {
                *s = SLOT_NONE;
                pthread_cond_broadcast(&p->changed);
        } else {
                s->pid = pid;
                s->fd = fd;
        }
        pthread_mutex_unlock(&p->lock);
        return r;
}

/* One request and its answer on a worker's socket, the whole exchange within reply_usec
 * (sending is bounded by SO_SNDTIMEO, the answer by what is left): 0 with the answer's HTTP
 * status and text, -EPROTO when the status is none, or -errno. */
static int exchange(const WorkerPool *p, int fd, const char *body, size_t length, int *ret_status,
                    char **ret_body, size_t *ret_length) {
        uint64_t deadline = monotonic_usec() + p->config.reply_usec, now;
        _cleanup_free_ char *answer = NULL;
        uint32_t tag, answer_length;
        int r;

        r = frame_send(fd, WORKER_REQUEST, body, (uint32_t) length);
        if (r < 0)
                return r;
        now = monotonic_usec();
        r = frame_recv(fd, now < deadline ? (int) ((deadline - now) / 1000u) : 0, WORKER_MAX_FRAME, &tag, &answer,
                       &answer_length);
        if (r < 0)
                return r;
        if (tag < 100 || tag > 599)
                return -EPROTO;
        *ret_status = (int) tag;
        *ret_body = TAKE_PTR(answer);
        *ret_length = answer_length;
        return 0;
}

/* Gives s back after a request that ended with r: idle, for the next one; after a failure,
 * its worker killed (it may be stuck) and reaped later. */
static void slot_give_back(WorkerPool *p, Slot *s, int r) {
        pthread_mutex_lock(&p->lock);
        if (r < 0) {
                log_error_errno(r, "Worker %d (uid %u) failed on a request: %m", (int) s->pid, (unsigned) s->uid);
                if (s->pid > 0)
                        kill(s->pid, SIGKILL);
                slot_retire(p, s);
        } else {
                s->state = SLOT_IDLE;
                s->idle_since = monotonic_usec();
        }
        pthread_cond_broadcast(&p->changed);
        pthread_mutex_unlock(&p->lock);
}

int worker_pool_run(WorkerPool *p, const Identity *id, const char *body, size_t length, int *ret_status,
                    char **ret_body, size_t *ret_length) {
        Slot *s;
        int r;

        assert(p);
        assert(id);
        assert(body);
        assert(ret_status);
        assert(ret_body);
        assert(ret_length);

        s = slot_wait(p, id->uid);
        if (!s)
                return -EBUSY;
        if (s->pid == 0) {
                r = slot_start(p, s, id);
                if (r < 0)
                        return r;
        }
        /* a BUSY slot is this thread's alone until it gives it back */
        r = exchange(p, s->fd, body, length, ret_status, ret_body, ret_length);
        slot_give_back(p, s, r);
        return r;
}
