/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "http-options.h"
#include "log.h"
#include "macro.h"

static const HttpOptions defaults = {
        .max_body = 64 * 1024,
        .max_connections = 256,
        .max_connections_per_user = 32,
        .max_connections_per_source = 32,
        .request_timeout_sec = 10,
        .max_workers = 32,
        .workers_per_user = 4,
        .worker_idle_sec = 30,
        .queue_timeout_sec = 10,
        .worker_timeout_sec = 120,   /* the bus call's own timeout is 25 s */
        .max_logins = 4,   /* a yescrypt check takes about 16 MiB: 64 MiB at most */
        .login_recheck_sec = 60,
        .login_records = 4096,   /* about 600 KiB */
        .login_backoff_max_sec = 60,
        .pam_service = "harper-ops",
};

enum {
        OPT_VERSION = 0x100, OPT_MAX_BODY, OPT_MAX_CONNECTIONS, OPT_REQUEST_TIMEOUT, OPT_WORKERS,
        OPT_WORKERS_PER_USER, OPT_WORKER_IDLE, OPT_QUEUE_TIMEOUT, OPT_MAX_LOGINS, OPT_ALLOW_ROOT_TCP,
        OPT_PAM_SERVICE, OPT_PAM_DIR, OPT_MAX_CONNECTIONS_PER_USER, OPT_LOGIN_RECHECK,
        OPT_WORKER_TIMEOUT, OPT_LOGIN_RECORDS, OPT_LOGIN_BACKOFF_MAX, OPT_MAX_CONNECTIONS_PER_SOURCE,
};

static const struct option long_options[] = {
        { "listen", required_argument, NULL, 'l' },
        { "max-body", required_argument, NULL, OPT_MAX_BODY },
        { "max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS },
        { "max-connections-per-user", required_argument, NULL, OPT_MAX_CONNECTIONS_PER_USER },
        { "max-connections-per-source", required_argument, NULL, OPT_MAX_CONNECTIONS_PER_SOURCE },
        { "request-timeout", required_argument, NULL, OPT_REQUEST_TIMEOUT },
        { "workers", required_argument, NULL, OPT_WORKERS },
        { "workers-per-user", required_argument, NULL, OPT_WORKERS_PER_USER },
        { "worker-idle", required_argument, NULL, OPT_WORKER_IDLE },
        { "queue-timeout", required_argument, NULL, OPT_QUEUE_TIMEOUT },
        { "worker-timeout", required_argument, NULL, OPT_WORKER_TIMEOUT },
        { "max-logins", required_argument, NULL, OPT_MAX_LOGINS },
        { "login-recheck", required_argument, NULL, OPT_LOGIN_RECHECK },
        { "login-records", required_argument, NULL, OPT_LOGIN_RECORDS },
        { "login-backoff-max", required_argument, NULL, OPT_LOGIN_BACKOFF_MAX },
        { "allow-root-tcp", no_argument, NULL, OPT_ALLOW_ROOT_TCP },
        { "pam-service", required_argument, NULL, OPT_PAM_SERVICE },
        { "pam-dir", required_argument, NULL, OPT_PAM_DIR },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, OPT_VERSION },
        {}
};

void http_options_init(HttpOptions *o) {
        assert(o);
        *o = defaults;
}

/* The options that take a whole number from 1 to max, and where in HttpOptions it goes. */
static const struct NumberOption {
        int id;
        const char *name;
        unsigned long max;
        size_t offset;
} number_options[] = {
#define NUMBER(id, name, max, field) { id, name, max, offsetof(HttpOptions, field) }
        NUMBER(OPT_MAX_BODY, "max-body", 16ul * 1024 * 1024, max_body),
        NUMBER(OPT_MAX_CONNECTIONS, "max-connections", 4096, max_connections),
        NUMBER(OPT_MAX_CONNECTIONS_PER_USER, "max-connections-per-user", 4096, max_connections_per_user),
        NUMBER(OPT_MAX_CONNECTIONS_PER_SOURCE, "max-connections-per-source", 4096, max_connections_per_source),
        NUMBER(OPT_REQUEST_TIMEOUT, "request-timeout", 3600, request_timeout_sec),
        NUMBER(OPT_WORKERS, "workers", 1024, max_workers),
        NUMBER(OPT_WORKERS_PER_USER, "workers-per-user", 1024, workers_per_user),
        NUMBER(OPT_WORKER_IDLE, "worker-idle", 86400, worker_idle_sec),
        NUMBER(OPT_QUEUE_TIMEOUT, "queue-timeout", 600, queue_timeout_sec),
        NUMBER(OPT_WORKER_TIMEOUT, "worker-timeout", 3600, worker_timeout_sec),
        NUMBER(OPT_MAX_LOGINS, "max-logins", 256, max_logins),
        NUMBER(OPT_LOGIN_RECHECK, "login-recheck", 86400, login_recheck_sec),
        NUMBER(OPT_LOGIN_RECORDS, "login-records", 1u << 16, login_records),
        NUMBER(OPT_LOGIN_BACKOFF_MAX, "login-backoff-max", 86400, login_backoff_max_sec),
#undef NUMBER
};

static void help(void) {
        printf("Usage: harper-ops-http [OPTIONS]\n"
               "\n"
               "Serves Harper's operations API shape over HTTP/1.1: POST / with a Harper operation\n"
               "body, answered as harper-ops answers it, by harper-sysopsd, with the caller's own\n"
               "rights. On a unix socket the caller is the connecting process's user; on TCP an HTTP\n"
               "Basic login checked through PAM (service harper-ops). Without --listen it takes its\n"
               "sockets from systemd (harper-ops-http.socket). See harper-ops-http(8).\n"
               "\n"
               "  -l --listen=ADDRESS          /PATH (unix socket) or HOST:PORT (TCP); repeatable\n"
               "     --max-body=BYTES          Largest request body, else 413 (default 65536)\n"
               "     --max-connections=N       Connections at once per listening socket (default 256)\n"
               "     --max-connections-per-user=N\n"
               "                               Unix socket connections at once of one user (default 32)\n"
               "     --max-connections-per-source=N\n"
               "                               TCP connections at once from one source: an IPv4 address,\n"
               "                               127.0.0.0/8, an IPv6 /64 (default 32)\n"
               "     --request-timeout=SEC     A request's headers and body must arrive within SEC of\n"
               "                               the connection's start or the previous answer (default 10)\n"
               "     --workers=N               Worker processes at most (default 32)\n"
               "     --workers-per-user=N      Of which for one user at most (default 4)\n"
               "     --worker-idle=SEC         A worker unused this long exits (default 30)\n"
               "     --queue-timeout=SEC       Wait this long for a worker or a login check, then 503\n"
               "                               (default 10)\n"
               "     --worker-timeout=SEC      A worker that has not answered a request within SEC is\n"
               "                               killed, 500 (default 120)\n"
               "     --max-logins=N            PAM checks at once (default 4)\n"
               "     --login-recheck=SEC       Check a kept-alive connection's login through PAM again\n"
               "                               after SEC (default 60)\n"
               "     --login-backoff-max=SEC   Failed TCP logins hold their source off for 1 s,\n"
               "                               doubling up to SEC (default 60)\n"
               "     --login-records=N         Failed-login records kept, the oldest forgotten\n"
               "                               first (default 4096)\n"
               "     --allow-root-tcp          Let root log in over TCP (refused by default)\n"
               "     --pam-service=NAME        PAM service for TCP logins (default harper-ops)\n"
               "     --pam-dir=DIR             Read the PAM service from DIR, not /etc/pam.d\n"
               "  -v --verbose                 Log each request\n"
               "  -h --help                    Show this help and exit\n"
               "     --version                 Show the version and exit\n");
}

static int parse_unsigned(const char *name, const char *text, unsigned long max, unsigned long *ret) {
        char *end;
        unsigned long v;

        assert(name);
        assert(text);
        assert(ret);

        errno = 0;
        v = strtoul(text, &end, 10);
        if (errno || *end || end == text || v < 1 || v > max) {
                log_error("--%s wants a whole number from 1 to %lu, not '%s'.", name, max, text);
                return -EINVAL;
        }
        *ret = v;
        return 0;
}

/* The option id of number_options into *o, if it is one: 0, -EINVAL (logged), or -ENOENT for
 * none. */
static int set_number_option(HttpOptions *o, int id, const char *text) {
        assert(o);

        for (size_t i = 0; i < ELEMENTSOF(number_options); i++) {
                const struct NumberOption *n = &number_options[i];
                unsigned long v;
                int r;

                if (n->id != id)
                        continue;
                r = parse_unsigned(n->name, text, n->max, &v);
                if (r < 0)
                        return r;
                *(unsigned *) ((char *) o + n->offset) = (unsigned) v;
                return 0;
        }
        return -ENOENT;
}

int http_options_parse(HttpOptions *o, int argc, char *argv[]) {
        int c;

        assert(o);
        assert(argv);

        while ((c = getopt_long(argc, argv, "l:vh", long_options, NULL)) >= 0) {
                switch (c) {
                case 'l':
                        if (o->n_listen == MAX_LISTENERS) {
                                log_error("At most %d --listen addresses.", MAX_LISTENERS);
                                return -EINVAL;
                        }
                        o->listen[o->n_listen++] = optarg;
                        break;
                case OPT_ALLOW_ROOT_TCP:
                        o->allow_root_tcp = true;
                        break;
                case OPT_PAM_SERVICE:
                        o->pam_service = optarg;
                        break;
                case OPT_PAM_DIR:
                        o->pam_dir = optarg;
                        break;
                case 'v':
                        o->verbose = true;
                        break;
                case 'h':
                        help();
                        return 0;
                case OPT_VERSION:
                        printf("harper-ops-http %s\n", PACKAGE_VERSION);
                        return 0;
                default:   /* a number, or getopt's '?' for an unknown option */
                        if (set_number_option(o, c, optarg) < 0)
                                return -EINVAL;
                }
        }
        if (optind < argc) {
                log_error("Unexpected argument '%s'. See --help.", argv[optind]);
                return -EINVAL;
        }
        return 1;
}
