/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harper-request.h"
#include "http-connection.h"
#include "http-login.h"
#include "http-options.h"
#include "http-request.h"
#include "log.h"
#include "request-head.h"
#include "worker-pool.h"

/* One per request (MHD's request context): its target as sent, the body as it arrives. */
typedef struct Request {
        char *target;
        bool headers_checked;
        char *body;
        size_t length, allocated;
        bool too_big;
} Request;

static WorkerPool *pool;

int request_workers_start(int self_fd) {
        WorkerPoolConfig config = {
                .max_workers = options.max_workers,
                .per_identity = options.workers_per_user,
                .idle_usec = (uint64_t) options.worker_idle_sec * 1000000u,
                .queue_usec = (uint64_t) options.queue_timeout_sec * 1000000u,
                .reply_usec = (uint64_t) options.worker_timeout_sec * 1000000u,
                .self_fd = self_fd,
        };
        int r = worker_pool_new(&config, &pool);

        if (r < 0)
                log_error("Cannot set up the workers: %s", strerror(-r));
        return r;
}

void request_workers_stop(void) {
        worker_pool_free(pool);
}

static struct MHD_Response *response_new(unsigned status, const char *json, size_t length, bool owned,
                                         bool close) {
        struct MHD_Response *resp = MHD_create_response_from_buffer(
                length, (void *) json, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);

        if (!resp) {
                if (owned)
                        free((void *) json);
                return NULL;
        }
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json; charset=utf-8");
        if (status == MHD_HTTP_UNAUTHORIZED)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Basic realm=\"harper-ops\", charset=\"UTF-8\"");
        if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "POST");
        if (close)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
        return resp;
}

static enum MHD_Result queue(struct MHD_Connection *c, unsigned status, struct MHD_Response *resp) {
        enum MHD_Result r;

        if (!resp)
                return MHD_NO;
        r = MHD_queue_response(c, status, resp);
        MHD_destroy_response(resp);
        return r;
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, const char *json, size_t length,
                              bool owned, bool close) {
        struct MHD_Response *resp = response_new(status, json, length, owned, close);

        if (resp && status == MHD_HTTP_SERVICE_UNAVAILABLE)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
        return queue(c, status, resp);
}

static enum MHD_Result answer_static(struct MHD_Connection *c, unsigned status, const char *json) {
        return answer(c, status, json, strlen(json), false, false);
}

/* A refused login, with Retry-After when retry_sec is not 0. */
static enum MHD_Result answer_refusal(struct MHD_Connection *c, unsigned status, const char *json,
                                      unsigned retry_sec) {
        struct MHD_Response *resp = response_new(status, json, strlen(json), false, false);
        char seconds[16];

        if (resp && retry_sec) {
                snprintf(seconds, sizeof seconds, "%u", retry_sec);
                MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, seconds);
        }
        return queue(c, status, resp);
}

/* The whole request is in: its body checked, its caller known, run in one of their workers. */
static enum MHD_Result run_request(struct MHD_Connection *c, Conn *conn, Request *req) {
        Response bad;
        json_object *request = NULL;
        const char *refusal = NULL;
        char *out = NULL;
        size_t out_length = 0;
        unsigned status, retry_sec;
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

        status = login_identify(c, conn, &refusal, &retry_sec);
        if (status)
                return answer_refusal(c, status, refusal, retry_sec);

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

/* Counts the headers that say where the body ends (MHD_get_connection_values' iterator). */
static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
        RequestHead *head = cls;

        if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
                head->n_content_length++;
        else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
                head->n_transfer_encoding++;
        return MHD_YES;
}

/* The checks once the headers are in, before a byte of the body is read: MHD_YES to read on,
 * else the refusal is queued (and the request does nothing). */
static enum MHD_Result check_headers(struct MHD_Connection *c, const Conn *conn, const Request *req,
                                     const char *method) {
        RequestHead head = {
                .tcp = conn->listener->tcp,
                .method = method,
                .target = req->target,
                .host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST),
                .origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin"),
                .content_length = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH),
                .transfer_encoding = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING),
        };
        const char *refusal;
        unsigned status;
        bool close;

        MHD_get_connection_values(c, MHD_HEADER_KIND, count_framing, &head);
        status = request_head_check(&head, options.max_body, &refusal, &close);
        if (status == 0)
                return MHD_YES;
        return answer(c, status, refusal, strlen(refusal), false, close);
}

/* Adds n bytes of the body; beyond --max-body they are read and dropped. */
static enum MHD_Result append_body(Request *req, const char *data, size_t n) {
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
        memcpy(req->body + req->length, data, n);
        req->length += n;
        req->body[req->length] = 0;
        return MHD_YES;
}

enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                           const char *version, const char *upload_data, size_t *upload_data_size,
                           void **req_cls) {
        Conn *conn = conn_of(c);
        Request *req = *req_cls;

        if (!conn || !req)   /* no memory for them */
                return MHD_NO;
        if (!req->headers_checked) {   /* the headers are in; the body (if any) comes next */
                req->headers_checked = true;
                return check_headers(c, conn, req, method);
        }
        if (*upload_data_size > 0) {
                size_t n = *upload_data_size;
                *upload_data_size = 0;
                return append_body(req, upload_data, n);
        }

        conn_receiving(conn, false);   /* the whole request is in: no more deadline for the client */
        if (req->too_big)
                return answer_static(c, MHD_HTTP_CONTENT_TOO_LARGE, "{\"error\":\"Request body is too large\"}");
        return run_request(c, conn, req);
}

void *on_request_target(void *cls, const char *uri, struct MHD_Connection *c) {
        Request *req = calloc(1, sizeof *req);

        if (req && !(req->target = strdup(uri))) {   /* bounded by MHD's memory limit per connection */
                free(req);
                req = NULL;
        }
        return req;
}

void on_completed(void *cls, struct MHD_Connection *c, void **req_cls, enum MHD_RequestTerminationCode toe) {
        Request *req = *req_cls;
        Conn *conn = conn_of(c);

        if (req) {
                free(req->target);
                free(req->body);
                free(req);
                *req_cls = NULL;
        }
        if (conn)
                conn_receiving(conn, true);   /* the next request's clock starts now */
}
