/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http-login.h"
#include "http-server.h"
#include "identity.h"
#include "log.h"
#include "login-throttle.h"
#include "macro.h"
#include "pam-login.h"
#include "text.h"
#include "time-util.h"

#define MSG_MUST_LOGIN "{\"error\":\"Must login\"}"
#define MSG_LOGIN_FAILED "{\"error\":\"Login failed\"}"
#define MSG_CANNOT_CHECK "{\"error\":\"Cannot check the login.\"}"
#define MSG_TRY_LATER "{\"error\":\"Cannot check the login now. Try again later.\"}"
#define MSG_HELD_OFF "{\"error\":\"Too many failed logins. Try again later.\"}"
/* pam_unix's fail delay: what a login refused without asking PAM waits too (randomized as PAM
 * does), so the answer's time does not tell which user names exist */
#define FAIL_DELAY_USEC 2000000u

/* The policy against guessing (harper-ops-http(8), LIMITS): 5 failures of a name from
 * one source and 20 from one source are free, then the backoff; past 20 failures of a name from
 * anywhere its checks from sources that failed before are one a second. */
#define PAIR_FREE_FAILURES 5
#define SOURCE_FREE_FAILURES 20
#define ACCOUNT_FREE_FAILURES 20
#define ACCOUNT_INTERVAL_USEC 1000000u

/* What MHD hands out: a user name, and a password to wipe. */
static void mhd_freep(char **p) {
        if (*p)
                MHD_free(*p);
}

static void mhd_password_freep(char **p) {
        if (!*p)
                return;
        explicit_bzero(*p, strlen(*p));
        MHD_free(*p);
}

int login_throttle_new(const HttpOptions *o, LoginThrottle **ret) {
        ThrottleConfig config;

        assert(o);
        assert(ret);

        config = (ThrottleConfig) {
                .records = o->login_records,
                .pair_free = PAIR_FREE_FAILURES,
                .source_free = SOURCE_FREE_FAILURES,
                .account_free = ACCOUNT_FREE_FAILURES,
                .backoff_max_usec = (uint64_t) o->login_backoff_max_sec * USEC_PER_SEC,
                .account_interval_usec = ACCOUNT_INTERVAL_USEC,
                /* long enough that waiting out the longest backoff does not reset it */
                .forget_usec = 15 * (uint64_t) o->login_backoff_max_sec * USEC_PER_SEC,
        };
        return throttle_new(&config, ret);
}

void login_forget(Conn *conn) {
        assert(conn);

        if (conn->authorization) {
                explicit_bzero(conn->authorization, strlen(conn->authorization));
                free(conn->authorization);
                conn->authorization = NULL;
        }
        identity_done(&conn->identity);
        conn->have_identity = false;
}

/* PAM's fail delay: base * (0.5 .. 1.5), the mean of three random numbers (see pam_delay.c) */
static unsigned fail_delay_usec(void) {
        uint64_t sum = 0;

        for (int i = 0; i < 3; i++)
                sum += arc4random_uniform(1000000);
        return (unsigned) ((uint64_t) FAIL_DELAY_USEC * (500000 + sum / 3) / 1000000);
}

/* One of s's --max-logins slots, waiting at most --queue-timeout: 0 or -EBUSY. */
static int login_slot_take(HttpServer *s) {
        struct timespec deadline;

        assert(s);

        deadline = timespec_from_usec(monotonic_usec() + (uint64_t) s->options.queue_timeout_sec * USEC_PER_SEC);
        while (sem_clockwait(&s->login_slots, CLOCK_MONOTONIC, &deadline) < 0)
                if (errno != EINTR)
                        return -EBUSY;
        return 0;
}

static unsigned identify_unix_peer(Conn *conn, const char **ret_json, unsigned *ret_retry_sec) {
        int r;

        assert(conn);
        assert(ret_json);
        assert(ret_retry_sec);

        if (conn->have_identity)
                return 0;
        r = conn->peer_known ? identity_from_uid(conn->peer_uid, &conn->identity) : -ENODATA;
        if (r == -ENOENT) {
                log_notice("A unix peer (uid %u) is not a user of this host.", (unsigned) conn->peer_uid);
                *ret_json = MSG_LOGIN_FAILED;
                return MHD_HTTP_UNAUTHORIZED;
        }
        if (r == -ENODATA) {   /* not the caller's fault: no credentials */
                log_error_errno(r, "Cannot tell who the unix peer %s is: %m", conn->remote);
                *ret_json = MSG_CANNOT_CHECK;
                return MHD_HTTP_INTERNAL_SERVER_ERROR;
        }
        if (r < 0) {   /* nor this: the user database failed */
                log_error_errno(r, "Cannot tell who the unix peer %s is: %m", conn->remote);
                *ret_json = MSG_TRY_LATER;
                *ret_retry_sec = 1;
                return MHD_HTTP_SERVICE_UNAVAILABLE;
        }
        conn->have_identity = true;
        return 0;
}

/* A module may have changed the user name: the identity is the one PAM settled on (in *id),
 * 0 or -EACCES. */
static int settle_on_pam_user(const HttpServer *s, const char *pam_user, Identity *id) {
        int r;

        assert(s);
        assert(pam_user);
        assert(id);

        if (strcmp(pam_user, id->name) == 0)
                return 0;
        identity_done(id);
        r = identity_from_name(pam_user, id);
        if (r < 0)
                return -EACCES;
        if (id->uid == 0 && !s->options.allow_root_tcp)
                return -EACCES;
        return 0;
}

/* user's password, through PAM: 0 with the user's identity in *id (the caller frees it either
 * way), -EACCES when refused, -EBUSY or -EAGAIN when it cannot be checked now, or -errno;
 * *delay is the fail delay PAM asked for. */
static int check_password(const Conn *conn, const char *user, const char *shown, const char *password,
                          Identity *id, unsigned *delay) {
        HttpServer *s = conn->server;
        _cleanup_free_ char *pam_user = NULL;
        int r;

        r = identity_from_name(user, id);
        if (r == -ENOENT) {
                log_notice("Login of unknown user '%s' from %s refused.", shown, conn->remote);
                return -EACCES;
        }
        if (r < 0) {
                log_error_errno(r, "Cannot look up user '%s': %m", shown);
                return -EAGAIN;
        }
        /* root's password is never even tried over the network unless allowed */
        if (id->uid == 0 && !s->options.allow_root_tcp) {
                log_notice("Login of '%s' (uid 0) over TCP from %s refused: root is not allowed over TCP.", shown,
                           conn->remote);
                return -EACCES;
        }
        r = login_slot_take(s);
        if (r < 0) {
                log_warning("Login of '%s' from %s refused: %u logins in progress for %u s.", shown, conn->remote,
                            s->options.max_logins, s->options.queue_timeout_sec);
                return r;
        }
        r = pam_login(s->options.pam_service, s->options.pam_dir, user, password, conn->remote, &pam_user, delay);
        sem_post(&s->login_slots);
        if (r < 0)
                return r;
        return settle_on_pam_user(s, pam_user, id);
}

/* Keeps an accepted login on conn: its identity (taken from *id), and its Authorization header
 * to know it again. 0 or -ENOMEM. */
static int remember_login(Conn *conn, const char *authorization, Identity *id) {
        char *copy;

        assert(conn);
        assert(authorization);
        assert(id);

        copy = strdup(authorization);
        if (!copy)
                return -ENOMEM;
        login_forget(conn);
        conn->authorization = copy;
        conn->login_time = monotonic_usec();
        conn->identity = *id;
        conn->have_identity = true;
        *id = (Identity) {};
        return 0;
}

/* For Retry-After: whole seconds, rounded up, at least 1. */
static unsigned seconds_from(uint64_t usec) {
        return (unsigned) ((usec + USEC_PER_SEC - 1) / USEC_PER_SEC) ?: 1;
}

static void sleep_until(uint64_t when) {
        uint64_t now = monotonic_usec();

        if (when > now)
                usleep((useconds_t) (when - now));
}

/* user's password, unless the throttle holds it off (-ETOOMANYREFS, also when its turn among the
 * checks in flight of its name or source did not come within --queue-timeout; -EBUSY when the
 * account's turn is too far away; *retry_usec says how long to wait), else as check_password. */
static int throttled_check(const Conn *conn, const char *user, const char *password, Identity *id,
                           unsigned *delay, uint64_t *retry_usec) {
        HttpServer *s = conn->server;
        uint64_t held, max_wait = (uint64_t) s->options.queue_timeout_sec * USEC_PER_SEC;
        char shown[ESCAPED_MAX];
        int r;

        escape_for_log(user, shown, sizeof shown);
        switch (throttle_begin_in_turn(s->throttle, user, conn->source, monotonic_usec() + max_wait, max_wait,
                                       retry_usec)) {
        case THROTTLE_HELD_OFF:
                return -ETOOMANYREFS;
        case THROTTLE_WAIT:
                log_debug("Login of '%s' from %s refused: its turn among the checks in flight did not come in %u s.",
                          shown, conn->remote, s->options.queue_timeout_sec);
                return -ETOOMANYREFS;
        case THROTTLE_BUSY:
                /* not a warning each time: an attack from many addresses would flood the log */
                log_debug("Login of '%s' from %s refused: the name is under attack, its turn is %" PRIu64 " s away.",
                          shown, conn->remote, (uint64_t) (*retry_usec / USEC_PER_SEC));
                return -EBUSY;
        case THROTTLE_GO:
                break;
        }
        sleep_until(*retry_usec);
        *retry_usec = 0;
        r = check_password(conn, user, shown, password, id, delay);
        if (r == -EACCES && !*delay)
                *delay = fail_delay_usec();
        /* the backoff runs from the refusal's answer, after the fail delay */
        held = throttle_end(s->throttle, user, conn->source, monotonic_usec() + (r == -EACCES ? *delay : 0),
                            r >= 0 ? THROTTLE_ACCEPTED : r == -EACCES ? THROTTLE_REFUSED : THROTTLE_UNCHECKED);
        if (r == -EACCES && held)
                log_notice("Logins of '%s' from %s held off for %u s after repeated failures.", shown, conn->source,
                           seconds_from(held));
        return r;
}

/* Checks the request's Basic credentials and remembers them on conn: 0, or as throttled_check. */
static int check_basic_login(struct MHD_Connection *c, Conn *conn, const char *authorization, unsigned *delay,
                             uint64_t *retry_usec) {
        _cleanup_(mhd_password_freep) char *password = NULL;
        _cleanup_(mhd_freep) char *user = NULL;
        _cleanup_(identity_done) Identity id = {};
        int r;

        user = MHD_basic_auth_get_username_password(c, &password);
        if (!user || !password || !*user || !*password) {   /* not Basic, or an empty password */
                *delay = fail_delay_usec();
                return -EACCES;
        }
        r = throttled_check(conn, user, password, &id, delay, retry_usec);
        if (r < 0)
                return r;
        return remember_login(conn, authorization, &id);
}

/* The answer to a login that failed with r (*ret_retry_sec: for Retry-After, 0 for none). */
static unsigned login_refusal(int r, unsigned delay, uint64_t retry_usec, const char **ret_json,
                              unsigned *ret_retry_sec) {
        switch (r) {
        case -EACCES:
                /* after the login slot is given back: a failed caller waits, the others do not */
                usleep(delay);
                *ret_json = MSG_LOGIN_FAILED;
                return MHD_HTTP_UNAUTHORIZED;
        case -ETOOMANYREFS:
                *ret_retry_sec = seconds_from(retry_usec);
                *ret_json = MSG_HELD_OFF;
                return MHD_HTTP_TOO_MANY_REQUESTS;
        case -EBUSY:
        case -EAGAIN:
                *ret_retry_sec = seconds_from(retry_usec);
                *ret_json = MSG_TRY_LATER;
                return MHD_HTTP_SERVICE_UNAVAILABLE;
        default:
                *ret_json = MSG_CANNOT_CHECK;
                return MHD_HTTP_INTERNAL_SERVER_ERROR;
        }
}

static unsigned identify_tcp(struct MHD_Connection *c, Conn *conn, const char **ret_json, unsigned *ret_retry_sec) {
        const char *authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
        uint64_t recheck_usec = (uint64_t) conn->server->options.login_recheck_sec * USEC_PER_SEC;
        uint64_t retry_usec = 0;
        unsigned delay = 0;
        int r;

        if (!authorization) {
                *ret_json = MSG_MUST_LOGIN;
                return MHD_HTTP_UNAUTHORIZED;
        }
        /* the same credentials again on this connection: PAM said yes a moment ago. Not for
         * longer, or a changed password or a locked account would not end a kept-alive login. */
        if (conn->have_identity && conn->authorization && strcmp(conn->authorization, authorization) == 0 &&
            monotonic_usec() - conn->login_time < recheck_usec)
                return 0;
        r = check_basic_login(c, conn, authorization, &delay, &retry_usec);
        if (r < 0)
                return login_refusal(r, delay, retry_usec, ret_json, ret_retry_sec);
        return 0;
}

unsigned login_identify(struct MHD_Connection *c, Conn *conn, const char **ret_json, unsigned *ret_retry_sec) {
        assert(conn);
        assert(ret_json);
        assert(ret_retry_sec);

        *ret_retry_sec = 0;
        if (conn->listener->tcp)
                return identify_tcp(c, conn, ret_json, ret_retry_sec);
        return identify_unix_peer(conn, ret_json, ret_retry_sec);
}
