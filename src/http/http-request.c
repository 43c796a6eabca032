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
#include "http-request.h"
#include "http-server.h"
#include "json-util.h"
#include "log.h"
#include "macro.h"
#include "request-head.h"
#include "worker-pool.h"

#define MSG_TOO_LARGE "{\"error\":\"Request body is too large\"}"
#define MSG_BUSY "{\"error\":\"Too many requests in progress. Try again later.\"}"
#define MSG_FAILED "{\"error\":\"There was an error processing your request. Check logs and try again.\"}"

/* One per request (MHD's request context): its target as sent, the body as it arrives. */
typedef struct Request {
        char *target;
        bool headers_checked;
        char *body;
        size_t length, allocated;
        bool too_big;
} Request;

static Request *request_free(Request *req) {
        if (!req)
                return NULL;
        free(req->target);
        free(req->body);
        free(req);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(Request *, request_free);

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

/* Answers json (length bytes; with owned, malloc'd and taken); a 503 says when to come back. */
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

/* Harper's first checks on the body, before the login (and then nothing is done): true with
 * *ret_close (answers to "restart" and "restart_service" close the connection, as Harper's
 * do), else false with Harper's answer queued (MHD's result in *ret_result). */
static bool body_checked(struct MHD_Connection *c, const Request *req, bool *ret_close,
                         enum MHD_Result *ret_result) {
        _cleanup_(response_done) Response bad = {};
        _cleanup_(json_object_putp) json_object *request = NULL;
        const char *text;
        char *copy;

        if (request_parse(req->body ?: "", req->length, &request, &bad) >= 0) {
                *ret_close = strncmp(request_operation_name(request), "restart", 7) == 0;
                return true;
        }
        text = response_body_text(&bad, 0);
        copy = strdup(text);
        *ret_result = copy ? answer(c, (unsigned) outcome_http_status(bad.outcome), copy, strlen(copy), true, false)
                           : MHD_NO;
        return false;
}

/* The whole request is in: its body checked, its caller known, run in one of their workers. */
static enum MHD_Result run_request(struct MHD_Connection *c, Conn *conn, Request *req) {
        const char *refusal = NULL;
        enum MHD_Result m;
        char *out = NULL;
        size_t out_length = 0;
        unsigned status, retry_sec;
        bool close;
        int code, r;

        if (!body_checked(c, req, &close, &m))
                return m;

        status = login_identify(c, conn, &refusal, &retry_sec);
        if (status)
                return answer_refusal(c, status, refusal, retry_sec);

        r = worker_pool_run(conn->server->pool, &conn->identity, req->body ?: "", req->length, &code, &out,
                            &out_length);
        if (r == -EBUSY)
                return answer_static(c, MHD_HTTP_SERVICE_UNAVAILABLE, MSG_BUSY);
        if (r < 0)
                return answer_static(c, MHD_HTTP_INTERNAL_SERVER_ERROR, MSG_FAILED);
        log_debug("%s %s: %d", conn->identity.name, conn->listener->name, code);
        return answer(c, (unsigned) code, out, out_length, true, close);
}

/* Counts the headers that say where the body ends, and notes a name with whitespace before its
 * colon (MHD_get_connection_values' iterator). */
static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
        RequestHead *head = ASSERT_PTR(cls);
        size_t n = strlen(key);

        if (n > 0 && strchr(" \t", key[n - 1]))
                head->space_before_colon = true;
        if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
                head->n_content_length++;
        else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
                head->n_transfer_encoding++;
        return MHD_YES;
}

/* The checks once the headers are in, before a byte of the body is read: MHD_YES to read on,
 * else the refusal is queued (and the request does nothing). */
static enum MHD_Result check_headers(struct MHD_Connection *c, const Conn *conn, const Request *req,
                                     const char *method, const char *version) {
        RequestHead head = {
                .tcp = conn->listener->tcp,
                .method = method,
                .http11_or_later = version && strcmp(version, MHD_HTTP_VERSION_1_0) != 0,
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
        status = request_head_check(&head, conn->server->options.max_body, &refusal, &close);
        if (status == 0)
                return MHD_YES;
        return answer(c, status, refusal, strlen(refusal), false, close);
}

/* Adds n bytes of the body; beyond max_body they are read and dropped. */
static enum MHD_Result append_body(Request *req, const char *data, size_t n, size_t max_body) {
        assert(req);
        assert(data);

        if (req->too_big || req->length + n > max_body) {
                req->too_big = true;   /* chunked, no Content-Length: read and dropped */
                return MHD_YES;
        }
        if (req->length + n + 1 > req->allocated) {
                size_t want = req->allocated ? req->allocated : 1024;
                char *bigger;

                while (want < req->length + n + 1)
                        want *= 2;
                bigger = realloc(req->body, want);
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
        Request *req = *ASSERT_PTR(req_cls);

        assert(upload_data_size);

        if (!conn || !req)   /* no memory for them */
                return MHD_NO;
        if (!req->headers_checked) {   /* the headers are in; the body (if any) comes next */
                req->headers_checked = true;
                return check_headers(c, conn, req, method, version);
        }
        if (*upload_data_size > 0) {
                size_t n = *upload_data_size;

                *upload_data_size = 0;
                return append_body(req, upload_data, n, conn->server->options.max_body);
        }

        conn_receiving(conn, false);   /* the whole request is in: no more deadline for the client */
        if (req->too_big)
                return answer_static(c, MHD_HTTP_CONTENT_TOO_LARGE, MSG_TOO_LARGE);
        return run_request(c, conn, req);
}

void *on_request_target(void *cls, const char *uri, struct MHD_Connection *c) {
        _cleanup_(request_freep) Request *req = NULL;

        req = calloc(1, sizeof *req);
        if (!req)
                return NULL;
        req->target = strdup(uri);   /* bounded by MHD's memory limit per connection */
        if (!req->target)
                return NULL;
        return TAKE_PTR(req);
}

void on_completed(void *cls, struct MHD_Connection *c, void **req_cls, enum MHD_RequestTerminationCode toe) {
        Conn *conn = conn_of(c);

        assert(req_cls);

        *req_cls = request_free(*req_cls);
        if (conn)
                conn_receiving(conn, true);   /* the next request's clock starts now */
}
