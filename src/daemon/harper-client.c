/* SPDX-License-Identifier: MIT */
#include <curl/curl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "config.h"
#include "harper-client.h"
#include "harper-reply.h"
#include "json-util.h"
#include "log.h"
#include "macro.h"
#include "text.h"

/* Over a unix socket the host is only what the Host: header says. */
#define SOCKET_URL "http://localhost/"
/* A probe wants the status; the body of whatever answered is not read beyond this. */
#define PROBE_ANSWER_MAX_BYTES (64u * 1024u)

/* One of curl's sockets, watched on the event loop for what curl wants to know. */
typedef struct SocketWatch {
        HarperClient *client;
        curl_socket_t fd;
        sd_event_source *source;
        struct SocketWatch *next;
} SocketWatch;

struct HarperCall {
        HarperClient *client;
        CURL *easy;
        bool in_multi;         /* added to the client's multi handle */
        struct curl_slist *headers;
        char *request;         /* the body's JSON text, which curl sends from here */
        char *operation;       /* the body's "operation", for the error sentences */
        char *endpoint;
        uint64_t timeout_usec;
        HarperAnswer answer;
        char curl_error[CURL_ERROR_SIZE];
        harper_reply_callback_t reply_callback;   /* one of these two */
        harper_probe_callback_t probe_callback;
        void *userdata;
        sd_event_source *deferred;   /* reports from the loop what failed before curl ran */
        char *deferred_error;
        struct HarperCall *next;
};

struct HarperClient {
        sd_event *event;
        CURLM *multi;
        sd_event_source *timer;      /* when curl wants to be called for its timeouts */
        SocketWatch *watches;
        HarperCall *calls;
};

static void call_free(HarperCall *call) {
        HarperClient *c;

        assert(call);
        c = ASSERT_PTR(call->client);

        for (HarperCall **p = &c->calls; *p; p = &(*p)->next)
                if (*p == call) {
                        *p = call->next;
                        break;
                }
        if (call->in_multi)
                curl_multi_remove_handle(c->multi, call->easy);
        curl_easy_cleanup(call->easy);
        curl_slist_free_all(call->headers);
        sd_event_source_disable_unref(call->deferred);
        harper_answer_done(&call->answer);
        free(call->deferred_error);
        free(call->request);
        free(call->operation);
        free(call->endpoint);
        free(call);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(HarperCall *, call_free);

/* Forgets call, then tells its caller: the callback may start or cancel other calls. error is
 * 0 (and message NULL) or a code of harper-reply.h with its sentence. */
static void call_finish(HarperCall *call, json_object *reply, long http_status, int error, const char *message) {
        harper_reply_callback_t reply_callback = call->reply_callback;
        harper_probe_callback_t probe_callback = call->probe_callback;
        void *userdata = call->userdata;

        assert(error <= 0);
        assert(error == 0 || message);
        assert(reply_callback || probe_callback);

        call_free(call);
        if (reply_callback)
                reply_callback(reply, error, message, userdata);
        else
                probe_callback(error < 0 ? 0 : http_status, error, message, userdata);
}

/* Fails call with error and a sentence made from a format (which may say "%m" of errno). */
#define call_failf(call, error, ...) call_fail_owned(call, error, text_printf(__VA_ARGS__))
static void call_fail_owned(HarperCall *call, int error, char *message) {
        _cleanup_free_ char *m = message;

        if (!m)
                return call_finish(call, NULL, 0, -ENOMEM, "Out of memory while asking Harper.");
        call_finish(call, NULL, 0, error, m);
}

/* curl's reason, its own detailed words when it has them */
static const char *curl_reason(HarperCall *call, CURLcode result) {
        return call->curl_error[0] ? call->curl_error : curl_easy_strerror(result);
}

/* The connection failed: Harper is not running (no socket, or nobody listening), or it cannot
 * be reached for another reason. */
static void call_not_connected(HarperCall *call, CURLcode result) {
        long os_errno = 0;

        (void) curl_easy_getinfo(call->easy, CURLINFO_OS_ERRNO, &os_errno);
        if (os_errno == 0)
                return call_failf(call, -EHOSTUNREACH, "Cannot connect to Harper at %s (%s).", call->endpoint,
                                  curl_reason(call, result));
        errno = (int) os_errno;   /* for %m */
        if (os_errno == ENOENT || os_errno == ECONNREFUSED)
                return call_failf(call, -ECONNREFUSED, "Harper is not running: cannot connect to %s (%m).",
                                  call->endpoint);
        return call_failf(call, -EHOSTUNREACH, "Cannot connect to Harper at %s (%m).", call->endpoint);
}

static void call_failed(HarperCall *call, CURLcode result) {
        char duration[32];

        switch (result) {
        case CURLE_COULDNT_CONNECT:
                return call_not_connected(call, result);
        case CURLE_OPERATION_TIMEDOUT:
                harper_format_duration(duration, sizeof(duration), call->timeout_usec);
                return call_failf(call, -ETIMEDOUT, "Harper did not answer within %s.", duration);
        case CURLE_GOT_NOTHING:
                return call_failf(call, -ECONNRESET, "Harper closed the connection without answering.");
        case CURLE_PARTIAL_FILE:
        case CURLE_RECV_ERROR:
                return call_failf(call, -ECONNRESET, "Harper closed the connection before its answer was complete.");
        case CURLE_WEIRD_SERVER_REPLY:
        case CURLE_UNSUPPORTED_PROTOCOL:
                return call_failf(call, -EPROTO, "Harper's answer is not HTTP (%s).", curl_reason(call, result));
        default:
                return call_failf(call, -EIO, "Cannot ask Harper at %s: %s.", call->endpoint,
                                  curl_reason(call, result));
        }
}

static void call_done(HarperCall *call, CURLcode result) {
        _cleanup_(json_object_putp) json_object *reply = NULL;
        _cleanup_free_ char *message = NULL;
        long http_status = 0;
        int r;

        (void) curl_easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE, &http_status);
        /* an answer cut off at its size bound still has its status and says so below */
        if (result != CURLE_OK && !(result == CURLE_WRITE_ERROR && call->answer.too_large))
                return call_failed(call, result);
        if (call->probe_callback)
                return call_finish(call, NULL, http_status, 0, NULL);

        r = harper_answer_parse(&call->answer, call->operation, http_status, &reply, &message);
        if (r >= 0)
                return call_finish(call, reply, http_status, 0, NULL);
        if (!message)
                return call_finish(call, NULL, http_status, r, "Out of memory while reading Harper's answer.");
        log_debug("Harper at %s: %s", call->endpoint, message);
        call_finish(call, NULL, http_status, r, message);
}

/* Hands every finished transfer to its call, one at a time: a callback may end other calls,
 * and curl then drops their messages from the queue. */
static void process_finished(HarperClient *c) {
        CURLMsg *msg;
        int left;

        while ((msg = curl_multi_info_read(c->multi, &left))) {
                HarperCall *call = NULL;
                CURLcode result = msg->data.result;

                if (msg->msg != CURLMSG_DONE)
                        continue;
                if (curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &call) != CURLE_OK || !call)
                        continue;
                call_done(call, result);
        }
}

static int on_socket_event(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        SocketWatch *watch = ASSERT_PTR(userdata);
        HarperClient *c = ASSERT_PTR(watch->client);   /* the watch may be gone after curl ran */
        int action = 0, running;
        CURLMcode mr;

        if (revents & (EPOLLIN | EPOLLHUP))
                action |= CURL_CSELECT_IN;
        if (revents & EPOLLOUT)
                action |= CURL_CSELECT_OUT;
        if (revents & EPOLLERR)
                action |= CURL_CSELECT_ERR;
        mr = curl_multi_socket_action(c->multi, fd, action, &running);
        if (mr != CURLM_OK)
                log_debug("curl on socket %d: %s", fd, curl_multi_strerror(mr));
        process_finished(c);
        return 0;
}

static int on_curl_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        HarperClient *c = ASSERT_PTR(userdata);
        int running;
        CURLMcode mr = curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);

        if (mr != CURLM_OK)
                log_debug("curl on its timer: %s", curl_multi_strerror(mr));
        process_finished(c);
        return 0;
}

static void watch_free(SocketWatch *watch) {
        for (SocketWatch **p = &watch->client->watches; *p; p = &(*p)->next)
                if (*p == watch) {
                        *p = watch->next;
                        break;
                }
        sd_event_source_disable_unref(watch->source);
        free(watch);
}

static int watch_new(HarperClient *c, curl_socket_t fd, uint32_t events) {
        _cleanup_free_ SocketWatch *watch = NULL;
        int r;

        watch = calloc(1, sizeof(SocketWatch));
        if (!watch)
                return -ENOMEM;
        *watch = (SocketWatch) { .client = c, .fd = fd, .next = c->watches };
        r = sd_event_add_io(c->event, &watch->source, fd, events, on_socket_event, watch);
        if (r < 0)
                return r;
        c->watches = watch;
        if (curl_multi_assign(c->multi, fd, watch) != CURLM_OK) {
                watch_free(TAKE_PTR(watch));
                return -EIO;
        }
        TAKE_PTR(watch);
        return 0;
}

static int watch_update(SocketWatch *watch, uint32_t events) {
        int r;

        r = sd_event_source_set_io_events(watch->source, events);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(watch->source, SD_EVENT_ON);
}

/* curl says which of its sockets to watch, and for what. */
static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userdata, void *socketp) {
        HarperClient *c = ASSERT_PTR(userdata);
        SocketWatch *watch = socketp;
        uint32_t events = 0;
        int r;

        if (what == CURL_POLL_REMOVE) {
                if (watch) {
                        curl_multi_assign(c->multi, fd, NULL);
                        watch_free(watch);
                }
                return 0;
        }
        if (what & CURL_POLL_IN)
                events |= EPOLLIN;
        if (what & CURL_POLL_OUT)
                events |= EPOLLOUT;
        r = watch ? watch_update(watch, events) : watch_new(c, fd, events);
        if (r < 0) {
                log_warning_errno(r, "Cannot watch a socket to Harper: %m");
                return -1;
        }
        return 0;
}

static int timer_set(HarperClient *c, long timeout_ms) {
        uint64_t now;
        int r;

        r = sd_event_now(c->event, CLOCK_MONOTONIC, &now);
        if (r < 0)
                return r;
        r = sd_event_source_set_time(c->timer, now + (uint64_t) timeout_ms * 1000);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT);
}

/* curl says when it wants on_curl_timer: -1 never, 0 at once (on the next loop iteration). */
static int on_curl_timeout_changed(CURLM *multi, long timeout_ms, void *userdata) {
        HarperClient *c = ASSERT_PTR(userdata);
        int r;

        if (timeout_ms < 0)
                return sd_event_source_set_enabled(c->timer, SD_EVENT_OFF) < 0 ? -1 : 0;
        r = timer_set(c, timeout_ms);
        if (r < 0) {
                log_warning_errno(r, "Cannot set the timer for calls to Harper: %m");
                return -1;
        }
        return 0;
}

static size_t on_answer_bytes(char *bytes, size_t size, size_t n, void *userdata) {
        HarperCall *call = ASSERT_PTR(userdata);

        /* a short count makes curl stop reading: CURLE_WRITE_ERROR */
        return harper_answer_append(&call->answer, bytes, size * n) < 0 ? 0 : size * n;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(HarperClient *, harper_client_free);

int harper_client_new(HarperClient **ret, sd_event *event) {
        _cleanup_(harper_client_freep) HarperClient *c = NULL;
        int r;

        assert(ret);
        assert(event);

        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return -EIO;
        c = calloc(1, sizeof(HarperClient));
        if (!c) {
                curl_global_cleanup();   /* from here on, harper_client_free() does */
                return -ENOMEM;
        }
        c->event = sd_event_ref(event);
        c->multi = curl_multi_init();
        if (!c->multi)
                return -ENOMEM;
        /* accuracy 1 µs: curl's timers drive its connection's steps, and sd-event's default
         * (0 = 250 ms of slack) would hold each call up to a quarter second */
        r = sd_event_add_time(event, &c->timer, CLOCK_MONOTONIC, UINT64_MAX, 1, on_curl_timer, c);
        if (r < 0)
                return r;
        r = sd_event_source_set_enabled(c->timer, SD_EVENT_OFF);
        if (r < 0)
                return r;
        if (curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket) != CURLM_OK ||
            curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c) != CURLM_OK ||
            curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_curl_timeout_changed) != CURLM_OK ||
            curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c) != CURLM_OK)
                return -EIO;
        *ret = TAKE_PTR(c);
        return 0;
}

HarperClient *harper_client_free(HarperClient *c) {
        if (!c)
                return NULL;
        while (c->calls)
                call_free(c->calls);
        if (c->multi)
                curl_multi_cleanup(c->multi);
        /* curl may keep a socket it no longer reports */
        while (c->watches)
                watch_free(c->watches);
        sd_event_source_disable_unref(c->timer);
        sd_event_unref(c->event);
        free(c);
        curl_global_cleanup();
        return NULL;
}

static int on_deferred_failure(sd_event_source *s, void *userdata) {
        HarperCall *call = ASSERT_PTR(userdata);
        _cleanup_free_ char *message = TAKE_PTR(call->deferred_error);

        call_finish(call, NULL, 0, -EIO, message);
        return 0;
}

static bool endpoint_is_socket(const char *endpoint) {
        return endpoint[0] == '/';
}

static bool endpoint_is_valid(const char *endpoint) {
        return endpoint && (endpoint_is_socket(endpoint) || strncmp(endpoint, "http://", 7) == 0);
}

/* The transfer: POST / with the JSON body, HTTP/1.1, no proxy, within the time bound. */
static CURLcode call_set_options(HarperCall *call) {
        long timeout_ms = (long) ((call->timeout_usec + 999) / 1000);
        CURLcode ok = CURLE_OK;

/* curl_easy_setopt's result, kept from the first failure on */
#define SET(option, value) do { if (ok == CURLE_OK) ok = curl_easy_setopt(call->easy, option, value); } while (0)
        SET(CURLOPT_PRIVATE, call);
        SET(CURLOPT_ERRORBUFFER, call->curl_error);
        if (endpoint_is_socket(call->endpoint)) {
                SET(CURLOPT_URL, SOCKET_URL);
                SET(CURLOPT_UNIX_SOCKET_PATH, call->endpoint);
        } else
                SET(CURLOPT_URL, call->endpoint);
        SET(CURLOPT_PROTOCOLS_STR, "http");
        SET(CURLOPT_PROXY, "");              /* never through an http_proxy from the environment */
        SET(CURLOPT_HTTP_VERSION, (long) CURL_HTTP_VERSION_1_1);
        SET(CURLOPT_NOSIGNAL, 1L);
        /* Harper re-creates its socket when its workers restart: a fresh connection per call
         * never talks to a listener that is gone */
        SET(CURLOPT_FORBID_REUSE, 1L);
        SET(CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 1L);
        SET(CURLOPT_HTTPHEADER, call->headers);
        SET(CURLOPT_POSTFIELDS, call->request);
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) strlen(call->request));
        SET(CURLOPT_USERAGENT, "harper-sysops/" PACKAGE_VERSION);
        SET(CURLOPT_WRITEFUNCTION, on_answer_bytes);
        SET(CURLOPT_WRITEDATA, call);
#undef SET
        return ok;
}

static struct curl_slist *request_headers(void) {
        /* "Expect:" keeps curl from waiting for a 100 Continue on larger bodies */
        static const char *const lines[] = { "Content-Type: application/json", "Accept: application/json", "Expect:" };
        struct curl_slist *headers = NULL;

        for (size_t i = 0; i < ELEMENTSOF(lines); i++) {
                struct curl_slist *grown = curl_slist_append(headers, lines[i]);
                if (!grown) {
                        curl_slist_free_all(headers);
                        return NULL;
                }
                headers = grown;
        }
        return headers;
}

static HarperCall *call_new(HarperClient *c, const char *endpoint, json_object *body, uint64_t timeout_usec) {
        _cleanup_(call_freep) HarperCall *call = NULL;
        json_object *operation = NULL;

        call = calloc(1, sizeof(HarperCall));
        if (!call)
                return NULL;
        *call = (HarperCall) { .client = c, .timeout_usec = timeout_usec, .next = c->calls };
        c->calls = call;
        if (json_object_object_get_ex(body, "operation", &operation) &&
            json_object_is_type(operation, json_type_string)) {
                call->operation = strdup(json_object_get_string(operation));
                if (!call->operation)
                        return NULL;
        }
        call->endpoint = strdup(endpoint);
        call->request = strdup(body ? json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN) : "{}");
        call->headers = request_headers();
        call->easy = curl_easy_init();
        if (!call->endpoint || !call->request || !call->headers || !call->easy)
                return NULL;
        return TAKE_PTR(call);
}

/* What failed before curl ran is told from the loop, never from in here. */
static int call_defer_failure(HarperCall *call, const char *reason) {
        int r;

        call->deferred_error = text_printf("Cannot ask Harper at %s: %s.", call->endpoint, reason);
        if (!call->deferred_error)
                return -ENOMEM;
        r = sd_event_add_defer(call->client->event, &call->deferred, on_deferred_failure, call);
        return r < 0 ? r : 0;
}

/* Hands the call to curl. */
static int call_start(HarperCall *call) {
        CURLcode ok;
        CURLMcode mr;

        ok = call_set_options(call);
        if (ok != CURLE_OK)
                return call_defer_failure(call, curl_easy_strerror(ok));
        mr = curl_multi_add_handle(call->client->multi, call->easy);
        if (mr != CURLM_OK)
                return call_defer_failure(call, curl_multi_strerror(mr));
        call->in_multi = true;
        return 0;
}

static int client_start(HarperClient *c, const char *endpoint, json_object *body, uint64_t timeout_usec,
                        HarperCall **ret) {
        _cleanup_(call_freep) HarperCall *call = NULL;
        int r;

        assert(ret);

        if (!c || !endpoint_is_valid(endpoint) || timeout_usec == 0)
                return -EINVAL;
        call = call_new(c, endpoint, body, timeout_usec);
        if (!call)
                return -ENOMEM;
        r = call_start(call);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(call);
        return 0;
}

int harper_client_call(HarperClient *c, const char *endpoint, json_object *body, uint64_t timeout_usec,
                       harper_reply_callback_t cb, void *userdata, HarperCall **ret_call) {
        HarperCall *call;
        int r;

        if (!cb || !body)
                return -EINVAL;
        r = client_start(c, endpoint, body, timeout_usec, &call);
        if (r < 0)
                return r;
        call->reply_callback = cb;
        call->userdata = userdata;
        if (ret_call)
                *ret_call = call;
        return 0;
}

int harper_client_probe(HarperClient *c, const char *endpoint, uint64_t timeout_usec, harper_probe_callback_t cb,
                        void *userdata, HarperCall **ret_call) {
        HarperCall *call;
        int r;

        if (!cb)
                return -EINVAL;
        r = client_start(c, endpoint, NULL, timeout_usec, &call);
        if (r < 0)
                return r;
        call->probe_callback = cb;
        call->userdata = userdata;
        call->answer.max = PROBE_ANSWER_MAX_BYTES;
        if (ret_call)
                *ret_call = call;
        return 0;
}

void harper_call_cancel(HarperCall *call) {
        if (call)
                call_free(call);
}
