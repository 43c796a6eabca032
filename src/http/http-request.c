#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harper-request.h"
#include "http-connection.h"
#include "http-login.h"
#include "http-options.h"
#include "http-request.h"
#include "log.h"
#include "worker-pool.h"

/* One per request (MHD's request context): the body as it arrives. */
typedef struct Request {
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

/* The whole request is in: its body checked, its caller known, run in one of their workers. */
static enum MHD_Result run_request(struct MHD_Connection *c, Conn *conn, Request *req) {
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

        status = login_identify(c, conn, &refusal);
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

/* The checks once the headers are in, before a byte of the body is read: MHD_YES to read on,
 * else the refusal is queued (and the request does nothing). */
static enum MHD_Result check_headers(struct MHD_Connection *c, const Conn *conn, const char *url,
                                     const char *method) {
        const char *length_text = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

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

        if (!conn)
                return MHD_NO;
        if (!req) {   /* the headers are in; the body (if any) comes next */
                req = calloc(1, sizeof *req);
                if (!req)
                        return MHD_NO;
                *req_cls = req;
                return check_headers(c, conn, url, method);
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

void on_completed(void *cls, struct MHD_Connection *c, void **req_cls, enum MHD_RequestTerminationCode toe) {
        Request *req = *req_cls;
        Conn *conn = conn_of(c);

        if (req) {
                free(req->body);
                free(req);
                *req_cls = NULL;
        }
        if (conn)
                conn_receiving(conn, true);   /* the next request's clock starts now */
}
