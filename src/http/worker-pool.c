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

/* How often the manager thread looks for idle workers; while a worker is on its way out, how
 * often it looks whether it exited (its slot is taken until then). */
#define MANAGER_PERIOD_USEC (250 * 1000u)
#define DYING_PERIOD_USEC (20 * 1000u)
/* How long a new worker has to say it is ready. */
#define READY_TIMEOUT_MSEC (10 * 1000)

/* A worker let go (its socket closed) and still there this long gets SIGKILL: its user may
 * have stopped it (SIGSTOP), and it keeps its slot until it is reaped. */
#define WORKER_EXIT_GRACE_USEC (5 * USEC_PER_SEC)

/* DYING: let go, not yet reaped; it still counts as one of its user's workers and of all. */
typedef enum SlotState { SLOT_FREE, SLOT_BUSY, SLOT_IDLE, SLOT_DYING } SlotState;

typedef struct Slot {
        SlotState state;
        uid_t uid;
        pid_t pid;             /* 0 while being started */
        int fd;                /* the listener's end; -EBADF while being started, and when dying */
        uint64_t idle_since;   /* CLOCK_MONOTONIC usec */
        uint64_t kill_at;      /* DYING: SIGKILL then, if not reaped */
        bool killed;           /* DYING: SIGKILL sent */
} Slot;

#define SLOT_NONE ((Slot) { .state = SLOT_FREE, .fd = -EBADF })

/* A worker to fork, asked of the manager thread by a request's thread. */
typedef struct SpawnJob {
        struct SpawnJob *next;
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

/* Under the lock: lets s's worker go. Its socket is closed (it exits at the end of the
 * stream); its slot stays taken (DYING) until it is reaped, and it gets SIGKILL if it is still
 * there WORKER_EXIT_GRACE_USEC later. A slot with no worker is free at once. */
static void slot_retire(WorkerPool *p, Slot *s) {
        assert(p);
        assert(s);

        if (s->fd >= 0)
                close(s->fd);
        s->fd = -EBADF;
        if (s->pid <= 0) {
                *s = SLOT_NONE;
                return;
        }
        s->state = SLOT_DYING;
        s->kill_at = monotonic_usec() + WORKER_EXIT_GRACE_USEC;
        s->killed = false;
}

/* Under the lock: lets s's worker go with SIGKILL at once (it failed, or its slot is wanted). */
static void slot_kill(WorkerPool *p, Slot *s) {
        slot_retire(p, s);
        if (s->state != SLOT_DYING)
                return;
        (void) kill(s->pid, SIGKILL);
        s->killed = true;
}

/* Under the lock: frees the slots of the workers that exited, kills those past their grace.
 * Whether any worker is still on its way out. */
static bool reap(WorkerPool *p) {
        uint64_t now = monotonic_usec();
        bool dying = false;

        assert(p);

        for (unsigned i = 0; i < p->config.max_workers; i++) {
                Slot *s = &p->slots[i];

                if (s->state != SLOT_DYING)
                        continue;
                if (waitpid(s->pid, NULL, WNOHANG) != 0) {   /* reaped, or not ours (ECHILD) */
                        *s = SLOT_NONE;
                        pthread_cond_broadcast(&p->changed);
                        continue;
                }
                if (!s->killed && now >= s->kill_at) {
                        log_warning("Worker %d (uid %u) did not exit within %u s of being let go: killing it.",
                                    (int) s->pid, (unsigned) s->uid,
                                    (unsigned) (WORKER_EXIT_GRACE_USEC / USEC_PER_SEC));
                        (void) kill(s->pid, SIGKILL);
                        s->killed = true;
                }
                dying = true;
        }
        return dying;
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
 * it execs the worker, still as root (so that exec leaves it out of its user's reach; it takes
 * on its user's credentials itself, worker.c), with fd (its end of the socketpair) as argv says. */
static _Noreturn void exec_worker(const WorkerPool *p, int fd, pid_t parent, int max_fd, char **argv) {
        sigset_t none;

        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);   /* the listener blocks SIGTERM and SIGINT */
        close_all_but(fd, p->config.self_fd, max_fd);
        if (fcntl(fd, F_SETFD, 0) < 0)
                _exit(126);
        /* kept across exec (the credentials do not change); the listener may be gone already */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent)
                _exit(126);
        fexecve(p->config.self_fd, argv, p->environment);
        _exit(127);
}

/* Forks a worker and execs it. Runs in the manager thread only: PR_SET_PDEATHSIG fires when
 * the thread that forked ends, and MHD's connection threads end with their connection. */
static int fork_worker(WorkerPool *p, pid_t *ret_pid, int *ret_fd) {
        _cleanup_close_ int ours = -EBADF, theirs = -EBADF;
        long max_fd = sysconf(_SC_OPEN_MAX);
        pid_t parent = getpid(), pid;
        char fd_arg[32];
        int sv[2];

        assert(p);
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
                exec_worker(p, theirs, parent, max_fd > 0 && max_fd < INT_MAX ? (int) max_fd : 65536, argv);
        *ret_pid = pid;
        *ret_fd = TAKE_FD(ours);
        return 0;
}

/* Asks the manager thread to fork a worker, and waits for it to: 0 with the worker's pid and
 * socket, or -errno. Called without the lock. */
static int spawn_through_manager(WorkerPool *p, pid_t *ret_pid, int *ret_fd) {
        SpawnJob job = {};

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

static int set_send_timeout(int fd, uint64_t usec) {
        struct timeval tv = {
                .tv_sec = (time_t) (usec / USEC_PER_SEC),
                .tv_usec = (suseconds_t) (usec % USEC_PER_SEC),
        };

        return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0 ? -errno : 0;
}

/* Tells a new worker whom it is for and waits for it to say it is ready: 0, or -errno. */
static int handshake(const WorkerPool *p, int fd, const Identity *id) {
        _cleanup_free_ void *identity = NULL;
        _cleanup_free_ char *nothing = NULL;
        uint32_t tag, length;
        int r;

        r = worker_identity_encode(id, &identity, &length);
        if (r < 0)
                return r;
        r = set_send_timeout(fd, (uint64_t) READY_TIMEOUT_MSEC * 1000u);
        if (r < 0)
                return r;
        r = frame_send(fd, WORKER_IDENTITY, identity, length);
        if (r < 0)
                return r;
        r = frame_recv(fd, READY_TIMEOUT_MSEC, 0, &tag, &nothing, &length);
        if (r < 0)
                return r;
        if (tag != WORKER_READY)
                return -EPROTO;
        /* a worker that does not take a request this long is given up, as one that does not answer */
        return set_send_timeout(fd, p->config.reply_usec);
}

/* Under the lock: forks the workers asked for (fork_worker), without the lock meanwhile. */
static void run_spawn_jobs(WorkerPool *p) {
        SpawnJob *job;

        while ((job = p->jobs)) {
                p->jobs = job->next;
                pthread_mutex_unlock(&p->lock);
                job->r = fork_worker(p, &job->pid, &job->fd);
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

/* Forks the workers (fork_worker), lets idle ones go, reaps those that exited and kills those
 * that did not in time. */
static void *manager_thread(void *userdata) {
        WorkerPool *p = ASSERT_PTR(userdata);

        pthread_mutex_lock(&p->lock);
        while (!p->stopping) {
                struct timespec deadline;
                bool dying;

                run_spawn_jobs(p);
                retire_idle(p);
                dying = reap(p);
                deadline = timespec_from_usec(monotonic_usec() + (dying ? DYING_PERIOD_USEC : MANAGER_PERIOD_USEC));
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
        if (!p->slots)
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
                if (p->slots[i].state != SLOT_FREE && p->slots[i].state != SLOT_DYING)
                        slot_retire(p, &p->slots[i]);
        pthread_cond_broadcast(&p->changed);
        pthread_mutex_unlock(&p->lock);
        pthread_join(p->manager, NULL);
        for (unsigned i = 0; i < p->config.max_workers; i++) {   /* they saw the end of their stream, and got SIGKILL */
                pid_t pid = p->slots[i].pid;

                if (p->slots[i].state == SLOT_DYING && !reap_within(pid, 5 * USEC_PER_SEC) &&
                    (kill(pid, SIGKILL) < 0 || !reap_within(pid, USEC_PER_SEC)))
                        log_warning("Worker %d did not exit.", (int) pid);
        }
}

void worker_pool_free(WorkerPool *p) {
        if (!p)
                return;
        if (p->manager_running)
                workers_stop(p);
        pthread_cond_destroy(&p->changed);
        pthread_mutex_destroy(&p->lock);
        free(p->slots);
        for (size_t i = 0; p->environment[i]; i++)
                free(p->environment[i]);
        free(p);
}

/* Under the lock: a slot for id that the caller now owns (state BUSY), or NULL to wait. A slot
 * with pid 0 has no worker yet: the caller starts one. A user's dying workers count among its
 * workers until they are reaped, so stopping them gets the user no more. */
static Slot *slot_take(WorkerPool *p, uid_t uid) {
        Slot *free_slot = NULL, *oldest_idle = NULL;
        bool reclaiming = false;
        unsigned mine = 0;

        for (unsigned i = 0; i < p->config.max_workers; i++) {
                Slot *s = &p->slots[i];
                if (s->state == SLOT_IDLE && s->uid == uid) {
                        s->state = SLOT_BUSY;
                        return s;
                }
                if (s->state == SLOT_DYING && s->killed)
                        reclaiming = true;
                if (s->state != SLOT_FREE && s->uid == uid)
                        mine++;
                else if (s->state == SLOT_FREE && !free_slot)
                        free_slot = s;
                else if (s->state == SLOT_IDLE && (!oldest_idle || s->idle_since < oldest_idle->idle_since))
                        oldest_idle = s;
        }
        if (mine >= p->config.per_identity)
                return NULL;   /* wait for one of this user's own workers */
        if (!free_slot) {
                /* make room: one killed idle worker at a time (gone within milliseconds, even
                 * a stopped one), so that waiting requests do not kill one each */
                if (oldest_idle && !reclaiming) {
                        log_debug("All worker slots in use: killing the idle worker %d (uid %u).",
                                  (int) oldest_idle->pid, (unsigned) oldest_idle->uid);
                        slot_kill(p, oldest_idle);
                        pthread_cond_broadcast(&p->changed);   /* the manager thread reaps it */
                }
                return NULL;
        }
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

/* Starts a worker as id in s, a slot just taken that has none: 0, or -errno with s free
 * again or its worker killed. Called without the lock. */
static int slot_start(WorkerPool *p, Slot *s, const Identity *id) {
        pid_t pid;
        int fd, r;

        r = spawn_through_manager(p, &pid, &fd);
        if (r >= 0) {
                pthread_mutex_lock(&p->lock);
                s->pid = pid;
                s->fd = fd;
                pthread_mutex_unlock(&p->lock);
                r = handshake(p, fd, id);
        }
        if (r < 0) {   /* with no worker yet, the slot is free at once */
                log_error_errno(r, "A worker for uid %u did not start: %m", (unsigned) id->uid);
                pthread_mutex_lock(&p->lock);
                slot_kill(p, s);
                pthread_cond_broadcast(&p->changed);
                pthread_mutex_unlock(&p->lock);
                return r;
        }
        log_debug("Worker %d runs as %s (uid %u).", (int) pid, id->name, (unsigned) id->uid);
        return 0;
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
                slot_kill(p, s);
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
