#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

struct WorkerPool {
        WorkerPoolConfig config;
        pthread_mutex_t lock;
        pthread_cond_t changed;   /* a slot became free or idle */
        Slot *slots;
        pid_t *exited;            /* let go, not yet reaped */
        size_t n_exited, n_exited_max;
        bool stopping;
        pthread_t reaper;
};

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

/* Under the lock: closes the worker's socket (it exits on the end of the stream) and
 * remembers its pid for reaping. */
static void slot_retire(WorkerPool *p, Slot *s) {
        if (s->fd >= 0)
                close(s->fd);
        if (s->pid > 0) {
                if (p->n_exited == p->n_exited_max) {
                        pid_t *more = realloc(p->exited, sizeof(pid_t) * p->n_exited_max * 2);
                        if (more) {
                                p->exited = more;
                                p->n_exited_max *= 2;
                        }
                }
                if (p->n_exited < p->n_exited_max)
                        p->exited[p->n_exited++] = s->pid;
                else
                        waitpid(s->pid, NULL, 0);   /* out of memory: it is on its way out anyway */
        }
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

static void *reaper_thread(void *userdata) {
        WorkerPool *p = userdata;

        pthread_mutex_lock(&p->lock);
        while (!p->stopping) {
                struct timespec deadline;
                uint64_t now = now_usec();

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
                pthread_cond_timedwait(&p->changed, &p->lock, &deadline);
        }
        pthread_mutex_unlock(&p->lock);
        return NULL;
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
        if (pthread_create(&p->reaper, NULL, reaper_thread, p) != 0) {
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
        pthread_join(p->reaper, NULL);
        for (size_t i = 0; i < p->n_exited; i++) {   /* they saw the end of their stream */
                for (int tries = 0; tries < 50 && waitpid(p->exited[i], NULL, WNOHANG) == 0; tries++)
                        usleep(100 * 1000);
                if (waitpid(p->exited[i], NULL, WNOHANG) == 0) {
                        kill(p->exited[i], SIGKILL);
                        waitpid(p->exited[i], NULL, 0);
                }
        }
        pthread_cond_destroy(&p->changed);
        pthread_mutex_destroy(&p->lock);
        free(p->slots);
        free(p->exited);
        free(p);
}

/* Starts a worker as id; waits for it to say it is ready. Called without the lock. */
static int spawn(WorkerPool *p, const Identity *id, pid_t *ret_pid, int *ret_fd) {
        char fd_arg[32];
        int sv[2], r;
        pid_t pid;

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
                if (worker_drop_privileges(id) < 0 || fcntl(sv[1], F_SETFD, 0) < 0)
                        _exit(126);
                fexecve(p->config.self_fd, argv, environ);
                _exit(127);
        }
        close(sv[1]);

        uint32_t tag, length;
        char *nothing = NULL;
        r = frame_recv(sv[0], 10 * 1000, 0, &tag, &nothing, &length);
        free(nothing);
        if (r < 0 || tag != WORKER_READY) {
                log_error("A worker for uid %u did not start: %s", (unsigned) id->uid,
                          r < 0 ? strerror(-r) : "unexpected first frame");
                close(sv[0]);
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                return r < 0 ? r : -EPROTO;
        }
        /* a worker silent this long on a request is given up (saves a poll() per read) */
        struct timeval tv = { .tv_sec = (time_t) (p->config.reply_usec / 1000000u) };
        if (setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0)
                log_warning("Cannot bound the wait for worker %d: %s", (int) pid, strerror(errno));
        log_debug("Worker %d runs as %s (uid %u).", (int) pid, id->name, (unsigned) id->uid);
        *ret_pid = pid;
        *ret_fd = sv[0];
        return 0;
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

        char *answer = NULL;
        r = frame_send(fd, WORKER_REQUEST, body, (uint32_t) length);
        if (r >= 0)
                r = frame_recv(fd, -1, WORKER_MAX_FRAME, &tag, &answer, &answer_length);   /* SO_RCVTIMEO */
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
