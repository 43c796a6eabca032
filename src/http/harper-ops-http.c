/* harper-ops-http: Harper's operations API shape (POST / with a JSON body) over HTTP/1.1 on
 * unix sockets and loopback TCP, in front of harper-sysopsd.
 *
 * Processes: the listener (this program, as root) speaks HTTP (libmicrohttpd, one thread per
 * connection) and decides who the caller is: the peer's credentials on a unix socket, an
 * HTTP Basic login checked through PAM on TCP. It never calls the bus itself. Each request
 * goes, as its body, to a worker: a process started for that one user that has dropped to
 * the user's uid, gid and groups for good (worker.c), with its own bus connection; the
 * answer comes back the same way. The operations and their answers are harper-ops's own
 * (operation_run_body in src/ops). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "harper-request.h"
#include "http-listen.h"
#include "http-options.h"
#include "identity.h"
#include "log.h"
#include "pam-login.h"
#include "worker.h"
#include "worker-pool.h"

#define MSG_MUST_LOGIN "{\"error\":\"Must login\"}"
#define MSG_LOGIN_FAILED "{\"error\":\"Login failed\"}"
#define MSG_CANNOT_CHECK "{\"error\":\"Cannot check the login.\"}"
#define MSG_TRY_LATER "{\"error\":\"Cannot check the login now. Try again later.\"}"
/* pam_unix's fail delay: what a login refused without asking PAM waits too (randomized as PAM
 * does), so the answer's time does not tell which user names exist */
#define FAIL_DELAY_USEC 2000000u

/* One per connection (MHD's socket context). */
typedef struct Conn {
        struct Conn *prev, *next;
        const Listener *listener;
        int watch_fd;             /* our own dup of the socket: shutdown() here ends it */
        bool receiving;           /* reading a request (or idle between two) */
        uint64_t phase_start;     /* when that began, CLOCK_MONOTONIC usec */
        bool peer_known;
        uid_t peer_uid;
        bool refused;             /* over --max-connections-per-user: being closed, not counted */
        char remote[INET6_ADDRSTRLEN + 8];
        Identity identity;        /* who the caller is, once known */
        bool have_identity;
        char *authorization;      /* the Authorization header PAM accepted on this connection */
        uint64_t login_time;      /* when, CLOCK_MONOTONIC usec */
} Conn;

/* One per request (MHD's request context): the body as it arrives. */
typedef struct Request {
        char *body;
        size_t length, allocated;
        bool too_big;
} Request;

static WorkerPool *pool;
static sem_t logins;   /* PAM checks at once: each may hash a password for a while */
static pthread_mutex_t conns_lock = PTHREAD_MUTEX_INITIALIZER;
static Conn *conns;

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

/* ------------------------------------------------------------------ answers */

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, const char *json, size_t length,
                              bool owned, bool close) {
        struct MHD_Response *resp = MHD_create_response_from_buffer(
                length, (void *) json, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
        enum MHD_Result r;

        if (!resp) {
                if (owned)
                        free((void *) json);
                return MHD_NO;
        }
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json; charset=utf-8");
        if (status == MHD_HTTP_UNAUTHORIZED)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Basic realm=\"harper-ops\", charset=\"UTF-8\"");
        if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "POST");
        if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
        if (close)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
        r = MHD_queue_response(c, status, resp);
        MHD_destroy_response(resp);
        return r;
}

static enum MHD_Result answer_static(struct MHD_Connection *c, unsigned status, const char *json) {
        return answer(c, status, json, strlen(json), false, false);
}

/* ------------------------------------------------------------------ who is asking */

/* PAM's fail delay: base * (0.5 .. 1.5), the mean of three random numbers (see pam_delay.c) */
static unsigned fail_delay_usec(void) {
        uint64_t sum = 0;

        for (int i = 0; i < 3; i++)
                sum += arc4random_uniform(1000000);
        return (unsigned) ((uint64_t) FAIL_DELAY_USEC * (500000 + sum / 3) / 1000000);
}

/* One of the --max-logins slots, waiting at most --queue-timeout: 0 or -EBUSY. */
static int login_slot_take(void) {
        struct timespec deadline;

        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_sec += options.queue_timeout_sec;
        while (sem_clockwait(&logins, CLOCK_MONOTONIC, &deadline) < 0)
                if (errno != EINTR)
                        return -EBUSY;
        return 0;
}

/* 0 with conn->identity set, or the HTTP status to refuse with (its body in *ret_json). */
static unsigned identify(struct MHD_Connection *c, Conn *conn, const char **ret_json) {
        const char *authorization;
        char *user = NULL, *password = NULL, *pam_user = NULL, shown[ESCAPED_MAX];
        unsigned delay = 0;
        Identity id = {};
        int r;

        if (!conn->listener->tcp) {
                if (conn->have_identity)
                        return 0;
                r = conn->peer_known ? identity_from_uid(conn->peer_uid, &conn->identity) : -ENODATA;
                if (r == -ENOENT) {
                        log_notice("A unix peer (uid %u) is not a user of this host.", (unsigned) conn->peer_uid);
                        *ret_json = MSG_LOGIN_FAILED;
                        return MHD_HTTP_UNAUTHORIZED;
                }
                if (r < 0) {   /* not the caller's fault: no credentials, or the user database failed */
                        log_error("Cannot tell who the unix peer %s is: %s", conn->remote, strerror(-r));
                        *ret_json = r == -ENODATA ? MSG_CANNOT_CHECK : MSG_TRY_LATER;
                        return r == -ENODATA ? MHD_HTTP_INTERNAL_SERVER_ERROR : MHD_HTTP_SERVICE_UNAVAILABLE;
                }
                conn->have_identity = true;
                return 0;
        }

        authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
        if (!authorization) {
                *ret_json = MSG_MUST_LOGIN;
                return MHD_HTTP_UNAUTHORIZED;
        }
        /* the same credentials again on this connection: PAM said yes a moment ago. Not for
         * longer, or a changed password or a locked account would not end a kept-alive login. */
        if (conn->have_identity && conn->authorization && strcmp(conn->authorization, authorization) == 0 &&
            now_usec() - conn->login_time < (uint64_t) options.login_recheck_sec * 1000000u)
                return 0;

        user = MHD_basic_auth_get_username_password(c, &password);
        if (!user || !password || !*user || !*password) {   /* not Basic, or an empty password */
                r = -EACCES;
                goto finish;
        }
        escape_for_log(user, shown, sizeof shown);
        r = identity_from_name(user, &id);
        if (r == -ENOENT) {
                log_notice("Login of unknown user '%s' from %s refused.", shown, conn->remote);
                r = -EACCES;
                goto finish;
        }
        if (r < 0) {
                log_error("Cannot look up user '%s': %s", shown, strerror(-r));
                r = -EAGAIN;
                goto finish;
        }
        /* root's password is never even tried over the network unless allowed */
        if (id.uid == 0 && !options.allow_root_tcp) {
                log_notice("Login of '%s' (uid 0) over TCP from %s refused: root is not allowed over TCP.", shown,
                           conn->remote);
                r = -EACCES;
                goto finish;
        }
        r = login_slot_take();
        if (r < 0) {
                log_warning("Login of '%s' from %s refused: %u logins in progress for %u s.", shown, conn->remote,
                            options.max_logins, options.queue_timeout_sec);
                goto finish;
        }
        r = pam_login(options.pam_service, options.pam_dir, user, password, conn->remote, &pam_user, &delay);
        sem_post(&logins);
        /* a module may have changed the user name: the identity is the one PAM settled on */
        if (r >= 0 && strcmp(pam_user, id.name) != 0) {
                identity_done(&id);
                r = identity_from_name(pam_user, &id);
                if (r >= 0 && id.uid == 0 && !options.allow_root_tcp)
                        r = -EACCES;
                r = r < 0 ? -EACCES : 0;
        }
        if (r >= 0) {
                char *copy = strdup(authorization);
                if (!copy)
                        r = -ENOMEM;
                else {
                        if (conn->authorization) {
                                explicit_bzero(conn->authorization, strlen(conn->authorization));
                                free(conn->authorization);
                        }
                        conn->authorization = copy;
                        conn->login_time = now_usec();
                        identity_done(&conn->identity);
                        conn->identity = id;
                        conn->have_identity = true;
                        id = (Identity) {};
                }
        }
finish:
        identity_done(&id);
        free(pam_user);
        if (password) {
                explicit_bzero(password, strlen(password));
                MHD_free(password);
        }
        if (user)
                MHD_free(user);
        switch (r) {
        case 0:
                return 0;
        case -EACCES:
                /* after the login slot is given back: a failed caller waits, the others do not */
                usleep(delay ?: fail_delay_usec());
                *ret_json = MSG_LOGIN_FAILED;
                return MHD_HTTP_UNAUTHORIZED;
        case -EBUSY:
        case -EAGAIN:
                *ret_json = MSG_TRY_LATER;
                return MHD_HTTP_SERVICE_UNAVAILABLE;
        default:
                *ret_json = MSG_CANNOT_CHECK;
                return MHD_HTTP_INTERNAL_SERVER_ERROR;
        }
}

/* ------------------------------------------------------------------ HTTP */

static Conn *conn_of(struct MHD_Connection *c) {
        const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        return info ? info->socket_context : NULL;
}

static void receiving(Conn *conn, bool yes) {
        pthread_mutex_lock(&conns_lock);
        conn->receiving = yes;
        conn->phase_start = now_usec();
        pthread_mutex_unlock(&conns_lock);
}

static enum MHD_Result handle(struct MHD_Connection *c, Conn *conn, Request *req) {
        Response bad;
        json_object *request = NULL;
        const char *refusal = NULL;
        char *out = NULL;
        size_t out_length = 0;
        unsigned status;
        bool close;
        int code, r;

        /* Harper checks the body before the login (and then nothing is done) */
        if (request_parse(req->body ?: "", req->length, &request, &bad) < 0) {
                const char *text = response_body_text(&bad, 0);
                enum MHD_Result m = answer(c, (unsigned) outcome_http_status(bad.outcome), strdup(text), strlen(text),
                                           true, false);
                response_done(&bad);
                return m;
        }
        /* Harper: answers to "restart" and "restart_service" close the connection */
        close = strncmp(request_operation_name(request), "restart", 7) == 0;
        json_object_put(request);

        status = identify(c, conn, &refusal);
        if (status)
                return answer_static(c, status, refusal);

        r = worker_pool_run(pool, &conn->identity, req->body ?: "", req->length, &code, &out, &out_length);
        if (r == -EBUSY)
                return answer_static(c, MHD_HTTP_SERVICE_UNAVAILABLE,
                                     "{\"error\":\"Too many requests in progress. Try again later.\"}");
        if (r < 0)
                return answer_static(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                     "{\"error\":\"There was an error processing your request. Check logs and try again.\"}");
        log_debug("%s %s: %d", conn->identity.name, conn->listener->name, code);
        return answer(c, (unsigned) code, out, out_length, true, close);
}

/* The Host of a request to the TCP port: a loopback name or address, with or without a port.
 * Else a web page (DNS rebinding) could be talking to it through the browser. */
static bool host_is_loopback(const char *host) {
        static const char *const names[] = { "localhost", "127.0.0.1", "[::1]" };

        if (!host)
                return true;   /* HTTP/1.0 without Host: not a browser */
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
                size_t n = strlen(names[i]);
                if (strncasecmp(host, names[i], n) != 0)
                        continue;
                if (host[n] == 0 || (host[n] == ':' && host[n + 1] && strspn(host + n + 1, "0123456789") == strlen(host + n + 1)))
                        return true;
        }
        return false;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **req_cls) {
        Conn *conn = conn_of(c);
        Request *req = *req_cls;

        if (!conn)
                return MHD_NO;
        if (!req) {   /* the headers are in; the body (if any) comes next */
                const char *length_text = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

                req = calloc(1, sizeof *req);
                if (!req)
                        return MHD_NO;
                *req_cls = req;
                /* browsers send Origin on every cross-origin POST, so a web page cannot use a
                 * login the browser has cached; curl and the SDKs send none */
                if (MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin"))
                        return answer_static(c, MHD_HTTP_FORBIDDEN, "{\"error\":\"Cross-origin requests are not accepted\"}");
                if (conn->listener->tcp &&
                    !host_is_loopback(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST)))
                        return answer_static(c, MHD_HTTP_BAD_REQUEST,
                                             "{\"error\":\"Host must be localhost, 127.0.0.1 or [::1]\"}");
                if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
                        return answer_static(c, MHD_HTTP_METHOD_NOT_ALLOWED,
                                             "{\"error\":\"Only POST is supported: POST / with a JSON body.\"}");
                if (strcmp(url, "/") != 0)
                        return answer_static(c, MHD_HTTP_NOT_FOUND, "{\"error\":\"Not found: POST to / only.\"}");
                /* refused before a byte of the body is read (curl's Expect: 100-continue never gets the 100) */
                if (length_text && strtoull(length_text, NULL, 10) > options.max_body)
                        return answer_static(c, MHD_HTTP_CONTENT_TOO_LARGE, "{\"error\":\"Request body is too large\"}");
                return MHD_YES;
        }

        if (*upload_data_size > 0) {
                size_t n = *upload_data_size;
                *upload_data_size = 0;
                if (req->too_big || req->length + n > options.max_body) {
                        req->too_big = true;   /* chunked, no Content-Length: read and dropped */
                        return MHD_YES;
                }
                if (req->length + n + 1 > req->allocated) {
                        size_t want = req->allocated ? req->allocated : 1024;
                        while (want < req->length + n + 1)
                                want *= 2;
                        char *bigger = realloc(req->body, want);
                        if (!bigger)
                                return MHD_NO;
                        req->body = bigger;
                        req->allocated = want;
                }
                memcpy(req->body + req->length, upload_data, n);
                req->length += n;
                req->body[req->length] = 0;
                return MHD_YES;
        }

        receiving(conn, false);   /* the whole request is in: no more deadline for the client */
        if (req->too_big)
                return answer_static(c, MHD_HTTP_CONTENT_TOO_LARGE, "{\"error\":\"Request body is too large\"}");
        return handle(c, conn, req);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls, enum MHD_RequestTerminationCode toe) {
        Request *req = *req_cls;
        Conn *conn = conn_of(c);

        if (req) {
                free(req->body);
                free(req);
                *req_cls = NULL;
        }
        if (conn)
                receiving(conn, true);   /* the next request's clock starts now */
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
        const Listener *listener = cls;
        Conn *conn = *socket_context;

        if (code == MHD_CONNECTION_NOTIFY_STARTED) {
                const union MHD_ConnectionInfo *fd_info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
                const union MHD_ConnectionInfo *addr = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

                conn = calloc(1, sizeof *conn);
                if (!conn)
                        return;   /* on_request answers nothing: the connection is closed */
                conn->listener = listener;
                conn->receiving = true;
                conn->phase_start = now_usec();
                conn->watch_fd = fd_info ? fcntl(fd_info->connect_fd, F_DUPFD_CLOEXEC, 3) : -1;
                if (listener->tcp) {
                        const struct sockaddr *sa = addr ? addr->client_addr : NULL;
                        if (sa && sa->sa_family == AF_INET)
                                inet_ntop(AF_INET, &((const struct sockaddr_in *) sa)->sin_addr, conn->remote,
                                          sizeof conn->remote);
                        else if (sa && sa->sa_family == AF_INET6)
                                inet_ntop(AF_INET6, &((const struct sockaddr_in6 *) sa)->sin6_addr, conn->remote,
                                          sizeof conn->remote);
                } else if (fd_info) {
                        struct ucred cred;
                        socklen_t len = sizeof cred;
                        if (getsockopt(fd_info->connect_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
                                conn->peer_known = true;
                                conn->peer_uid = cred.uid;
                        }
                        snprintf(conn->remote, sizeof conn->remote, "unix:%d", conn->peer_known ? (int) cred.uid : -1);
                }
                pthread_mutex_lock(&conns_lock);
                if (conn->peer_known) {   /* one local user must not take every connection */
                        unsigned same = 0;
                        for (Conn *o = conns; o; o = o->next)
                                same += o->peer_known && !o->refused && o->peer_uid == conn->peer_uid;
                        if (same >= options.max_connections_per_user) {
                                log_debug("Closing a connection of uid %u: %u open already.", (unsigned) conn->peer_uid, same);
                                conn->refused = true;
                                shutdown(fd_info->connect_fd, SHUT_RDWR);   /* MHD sees the end and drops it */
                        }
                }
                conn->next = conns;
                if (conns)
                        conns->prev = conn;
                conns = conn;
                pthread_mutex_unlock(&conns_lock);
                *socket_context = conn;
        } else if (conn) {   /* MHD_CONNECTION_NOTIFY_CLOSED */
                pthread_mutex_lock(&conns_lock);
                if (conn->prev)
                        conn->prev->next = conn->next;
                else
                        conns = conn->next;
                if (conn->next)
                        conn->next->prev = conn->prev;
                pthread_mutex_unlock(&conns_lock);
                if (conn->watch_fd >= 0)
                        close(conn->watch_fd);
                if (conn->authorization) {
                        explicit_bzero(conn->authorization, strlen(conn->authorization));
                        free(conn->authorization);
                }
                identity_done(&conn->identity);
                free(conn);
                *socket_context = NULL;
        }
}

/* A request's headers and body must arrive within --request-timeout of the connection's start
 * or of the previous answer (which also bounds idle keep-alive connections): MHD's own timeout
 * only counts silence, so a client trickling a byte at a time would hold its connection. */
static void *watchdog(void *userdata) {
        for (;;) {
                uint64_t now = now_usec(), limit = (uint64_t) options.request_timeout_sec * 1000000u;

                pthread_mutex_lock(&conns_lock);
                for (Conn *conn = conns; conn; conn = conn->next)
                        if (conn->receiving && conn->watch_fd >= 0 && now - conn->phase_start > limit) {
                                log_debug("Closing %s: no complete request within %u s.", conn->remote,
                                          options.request_timeout_sec);
                                shutdown(conn->watch_fd, SHUT_RDWR);
                                conn->receiving = false;
                        }
                pthread_mutex_unlock(&conns_lock);
                usleep(250 * 1000);
        }
        return NULL;
}

static void mhd_log(void *cls, const char *format, va_list ap) {
        char text[512], shown[4 * 512];
        size_t n;

        vsnprintf(text, sizeof text, format, ap);
        n = strlen(text);
        if (n > 0 && text[n - 1] == '\n')
                text[n - 1] = 0;
        log_debug("libmicrohttpd: %s", escape_for_log(text, shown, sizeof shown));   /* it may quote the client */
}

static int listener_start(Listener *l) {
        l->mhd = MHD_start_daemon(
                MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG,
                0, NULL, NULL, on_request, l,
                MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,   /* first, or MHD logs the rest itself */
                MHD_OPTION_LISTEN_SOCKET, (MHD_socket) l->fd,
                MHD_OPTION_CONNECTION_LIMIT, (unsigned) options.max_connections,
                /* silence between bytes; the whole request is bounded by the watchdog, and an
                 * answer may take as long as the daemon (polkit) needs */
                MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) 120,
                MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) (32 * 1024),
                MHD_OPTION_THREAD_STACK_SIZE, (size_t) (512 * 1024),
                MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                MHD_OPTION_NOTIFY_CONNECTION, on_connection, l,
                MHD_OPTION_END);
        if (!l->mhd) {
                log_error("Cannot serve HTTP on %s.", l->name);
                return -EIO;
        }
        log_info("Serving Harper's operations API on %s (%s).", l->name, l->tcp ? "HTTP Basic through PAM" :
                 "callers identified by their credentials");
        return 0;
}

int main(int argc, char *argv[]) {
        Listener listeners[MAX_LISTENERS];
        unsigned n_listeners = 0;
        WorkerPoolConfig config;
        pthread_t watchdog_thread;
        sigset_t stop;
        struct rlimit fds;
        int r, sig, self_fd;

        /* a worker: this program again, exec'd by the listener with one user's credentials */
        if (argc == 2 && strncmp(argv[1], "--worker-fd=", 12) == 0) {
                /* before anything else: exec made it dumpable again (its euid is its uid), and its
                 * user must not ptrace a process that holds the listener's stderr and socket */
                if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                        return EXIT_FAILURE;
                log_setup("harper-ops-http[worker]", LOG_NOTICE);
                signal(SIGPIPE, SIG_IGN);
                return worker_main(atoi(argv[1] + 12));
        }

        log_setup("harper-ops-http", LOG_INFO);
        r = options_parse(argc, argv);
        if (r <= 0)
                return r < 0 ? 64 : 0;
        log_setup("harper-ops-http", options.verbose ? LOG_DEBUG : LOG_INFO);
        if (geteuid() != 0) {
                log_error("harper-ops-http runs as root: it starts each user's worker with that user's credentials.");
                return 1;
        }

        /* two descriptors a connection (MHD's and the watchdog's) */
        if (getrlimit(RLIMIT_NOFILE, &fds) == 0 && fds.rlim_cur < fds.rlim_max) {
                fds.rlim_cur = fds.rlim_max;
                setrlimit(RLIMIT_NOFILE, &fds);
        }
        signal(SIGPIPE, SIG_IGN);
        sigemptyset(&stop);
        sigaddset(&stop, SIGTERM);
        sigaddset(&stop, SIGINT);
        pthread_sigmask(SIG_BLOCK, &stop, NULL);   /* before any thread: only sigwait() below sees them */

        self_fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        if (self_fd < 0) {
                log_error("Cannot open this program to start workers: %s", strerror(errno));
                return 1;
        }

        r = listeners_open(listeners, &n_listeners);
        if (r < 0)
                return 1;

        sem_init(&logins, 0, options.max_logins);
        config = (WorkerPoolConfig) {
                .max_workers = options.max_workers,
                .per_identity = options.workers_per_user,
                .idle_usec = (uint64_t) options.worker_idle_sec * 1000000u,
                .queue_usec = (uint64_t) options.queue_timeout_sec * 1000000u,
                .reply_usec = (uint64_t) options.worker_timeout_sec * 1000000u,
                .self_fd = self_fd,
        };
        r = worker_pool_new(&config, &pool);
        if (r < 0) {
                log_error("Cannot set up the workers: %s", strerror(-r));
                return 1;
        }
        if (pthread_create(&watchdog_thread, NULL, watchdog, NULL) != 0) {
                log_error("Cannot start the watchdog thread.");
                return 1;
        }
        pthread_detach(watchdog_thread);
        for (unsigned i = 0; i < n_listeners; i++)
                if (listener_start(&listeners[i]) < 0)
                        return 1;

        sd_notify(0, "READY=1\nSTATUS=Serving Harper's operations API");
        do
                r = sigwait(&stop, &sig);
        while (r == EINTR);
        sd_notify(0, "STOPPING=1");
        log_info("Stopping on signal %d.", sig);

        listeners_stop(listeners, n_listeners);   /* waits for the requests in progress */
        worker_pool_free(pool);
        listeners_remove_sockets();
        return 0;
}
