/* SPDX-License-Identifier: MIT */
/* harper-ops: Harper operation bodies in, Harper's JSON answers out. It maps the body to one
 * method call of harper-sysopsd on the system bus and translates structure only: the rules
 * live in the daemon, which also decides (through polkit) who may do what. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-login.h>

#include "config.h"
#include "job-follow.h"
#include "log.h"
#include "macro.h"
#include "operations.h"
#include "polkit-agent.h"
#include "text.h"

#define MAX_BODY_BYTES (16u * 1024u * 1024u)

typedef enum AskPassword { ASK_AUTO, ASK_YES, ASK_NO } AskPassword;

typedef struct Options {
        const char *body;        /* the body as an argument */
        const char *file;        /* or a file to read it from ("-": stdin) */
        AskPassword ask_password;
        bool show_status;
        bool pretty;
        bool wait;
        unsigned timeout_sec;    /* --wait gives up after this long; 0 = never */
        bool verbose;
} Options;

static void help(void) {
        printf("Usage: harper-ops [OPTIONS] [BODY]\n"
               "\n"
               "Runs one Harper system operation through harper-sysopsd and prints Harper's JSON\n"
               "answer. The body is BODY, the file given with --file, or standard input.\n"
               "See harper-ops(1) for every operation, its fields and answers.\n"
               "\n"
               "  -f --file=PATH         Read the body from PATH (- for standard input)\n"
               "  -s --status            Print the HTTP status Harper would send on a line first\n"
               "  -p --pretty            Indent the JSON answer\n"
               "  -w --wait              For restart and restart_service: follow the job to its\n"
               "                         end (progress on a terminal) and print its final record\n"
               "     --timeout=SEC       With --wait: give up after SEC seconds (exit 1); the\n"
               "                         job goes on (default: wait as long as it runs)\n"
               "     --ask-password      Let polkit ask for a password through an authentication\n"
               "                         agent (a desktop's, or pkttyagent); default on a terminal\n"
               "     --no-ask-password   Never let polkit ask for a password\n"
               "  -v --verbose           Log each D-Bus call made\n"
               "  -h --help              Show this help and exit\n"
               "     --version           Show the version and exit\n"
               "\n"
               "Operations: restart, restart_service, get_job, system_information, set_status,\n"
               "get_status, clear_status.\n"
               "  harper-ops '{\"operation\":\"set_status\",\"id\":\"primary\",\"status\":\"active\"}'\n"
               "  echo '{\"operation\":\"get_status\"}' | harper-ops\n"
               "  harper-ops --wait '{\"operation\":\"restart_service\",\"service\":\"http_workers\"}'\n"
               "\n"
               "Exit status: 0 success (200), 1 internal error (500), 2 bad request (400),\n"
               "3 denied (403), 4 authentication required (403), 5 the job followed with --wait\n"
               "ended in ERROR, 6 the same restart is already running (409), 7 polkit did not answer\n"
               "(503; trying again is fine), 64 bad command line.\n");
}

/* --timeout's whole seconds, 1 to a week. */
static int parse_timeout(const char *text, unsigned *ret) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(text, &end, 10);
        if (errno || *end || end == text || v == 0 || v > 7 * 24 * 3600) {
                log_error("--timeout wants whole seconds from 1 to 604800, not '%s'.", text);
                return -EINVAL;
        }
        *ret = (unsigned) v;
        return 0;
}

/* Returns 1 to run, 0 to exit successfully, <0 on a bad command line. */
static int parse_options(int argc, char *argv[], Options *o) {
        enum { OPT_VERSION = 0x100, OPT_ASK_PASSWORD, OPT_NO_ASK_PASSWORD, OPT_TIMEOUT };
        static const struct option long_options[] = {
                { "file", required_argument, NULL, 'f' },
                { "status", no_argument, NULL, 's' },
                { "pretty", no_argument, NULL, 'p' },
                { "wait", no_argument, NULL, 'w' },
                { "timeout", required_argument, NULL, OPT_TIMEOUT },
                { "ask-password", no_argument, NULL, OPT_ASK_PASSWORD },
                { "no-ask-password", no_argument, NULL, OPT_NO_ASK_PASSWORD },
                { "verbose", no_argument, NULL, 'v' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, OPT_VERSION },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "f:spwvh", long_options, NULL)) >= 0)
                switch (c) {
                case 'f':
                        o->file = optarg;
                        break;
                case 's':
                        o->show_status = true;
                        break;
                case 'p':
                        o->pretty = true;
                        break;
                case 'w':
                        o->wait = true;
                        break;
                case OPT_TIMEOUT:
                        if (parse_timeout(optarg, &o->timeout_sec) < 0)
                                return -EINVAL;
                        break;
                case OPT_ASK_PASSWORD:
                        o->ask_password = ASK_YES;
                        break;
                case OPT_NO_ASK_PASSWORD:
                        o->ask_password = ASK_NO;
                        break;
                case 'v':
                        o->verbose = true;
                        break;
                case 'h':
                        help();
                        return 0;
                case OPT_VERSION:
                        printf("harper-ops %s\n", PACKAGE_VERSION);
                        return 0;
                default:
                        return -EINVAL;
                }

        if (optind < argc)
                o->body = argv[optind++];
        if (optind < argc) {
                log_error("Only one body, please: unexpected '%s'. See --help.", argv[optind]);
                return -EINVAL;
        }
        if (o->body && o->file) {
                log_error("Give the body as an argument or with --file, not both.");
                return -EINVAL;
        }
        if (!o->body && !o->file) {
                if (isatty(STDIN_FILENO)) {
                        log_error("No operation body given. See --help.");
                        return -EINVAL;
                }
                o->file = "-";
        }
        return 1;
}

/* Reads all of f into *ret (NUL-terminated, caller frees); path names it in the log. */
static int read_all(FILE *f, const char *path, char **ret, size_t *ret_length) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, cap = 4096;

        buf = malloc(cap);
        if (!buf)
                return -EIO;
        for (;;) {
                size_t n = fread(buf + size, 1, cap - size - 1, f);
                char *bigger;

                size += n;
                if (n == 0)
                        break;
                if (size + 1 < cap)
                        continue;
                bigger = cap >= MAX_BODY_BYTES ? NULL : realloc(buf, cap * 2);
                if (!bigger) {
                        log_error("The body in %s is larger than %u bytes.", path, MAX_BODY_BYTES);
                        return -EIO;
                }
                buf = bigger;
                cap *= 2;
        }
        if (ferror(f)) {
                log_error_errno(errno, "Cannot read %s: %m", path);
                return -EIO;
        }
        buf[size] = 0;
        *ret = TAKE_PTR(buf);
        *ret_length = size;
        return 0;
}

/* Reads the whole body from path ("-": stdin) into *ret (NUL-terminated, caller frees). */
static int read_body(const char *path, char **ret, size_t *ret_length) {
        _cleanup_fclose_ FILE *file = NULL;

        assert(path);
        assert(ret);
        assert(ret_length);

        if (streq(path, "-"))
                return read_all(stdin, path, ret, ret_length);
        file = fopen(path, "re");
        if (!file)
                return log_error_errno(errno, "Cannot open %s: %m", path);
        return read_all(file, path, ret, ret_length);
}

/* What one run keeps for the hooks: the job to follow, the agent harper-ops started (0: none) */
typedef struct CliCall {
        JobFollow follow;
        pid_t agent;
} CliCall;

static Response job_started(const CallContext *ctx, const Operation *op, const char *message, const char *job_id,
                            const char *job_path, void *userdata) {
        CliCall *call = ASSERT_PTR(userdata);

        return job_follow_started(ctx, op, message, job_id, job_path, &call->follow);
}

/* A call that allowed a password prompt was denied: polkit asks through an agent of the caller's
 * login session, so say which of these was missing, or that the password was refused. */
static const char *denied_hint(void *userdata) {
        CliCall *call = ASSERT_PTR(userdata);
        _cleanup_free_ char *session = NULL;

        if (sd_pid_get_session(0, &session) < 0)
                return "harper-ops runs outside a login session, so polkit has no agent to ask for a password "
                       "(su, sudo, cron, a container's shell): log in on a console or over ssh, or run as a member "
                       "of the group harper-admin.";
        if (!polkit_agent_alive(&call->agent))
                return "No polkit agent asked for a password: harper-ops starts pkttyagent only on a terminal, "
                       "and no other agent of this session answered. Run it on a terminal or in a desktop "
                       "session with a polkit agent, or as a member of the group harper-admin.";
        return "polkit asked for a password and did not accept it: try again, or run as a member of the group "
               "harper-admin.";
}

/* A body of nothing but white space is a command line that gave no operation (often an empty
 * pipe), not a JSON mistake: say where the body was looked for and where to read how. */
static bool body_missing(const Options *o, const char *text, size_t length, Response *ret) {
        _cleanup_free_ char *message = NULL;

        if (strspn(text, " \t\r\n") < length)
                return false;
        message = text_printf("No operation given: %s%s is empty; see harper-ops --help.",
                              !o->file ? "the argument" : streq(o->file, "-") ? "standard input" : "the file ",
                              o->file && !streq(o->file, "-") ? o->file : "");
        *ret = response_error(OUTCOME_BAD_REQUEST, message ?: "No operation given; see harper-ops --help.");
        return true;
}

static Response run(const Options *o, const char *text, size_t length) {
        CliCall call = {
                .follow = {
                        .timeout_usec = (uint64_t) o->timeout_sec * 1000000ULL,
                        .progress = o->wait && isatty(STDERR_FILENO),
                },
        };
        const CallHooks hooks = {
                .job_started = o->wait ? job_started : NULL,
                .auth_hint = "Authenticate with --ask-password on a terminal (harper-ops starts pkttyagent) or "
                             "through a desktop's polkit agent, or run as a member of the group harper-admin.",
                .denied_hint = denied_hint,
                .userdata = &call,
        };
        CallContext ctx = {
                .interactive = o->ask_password == ASK_YES || (o->ask_password == ASK_AUTO && isatty(STDIN_FILENO)),
                .hooks = &hooks,
        };
        Response ret;

        /* a password can only be typed on a terminal */
        if (ctx.interactive && isatty(STDIN_FILENO))
                call.agent = polkit_agent_open();
        ret = operation_run_body(&ctx, text, length);   /* ctx.bus NULL: the system bus, for this call */
        polkit_agent_close(call.agent);
        return ret;
}

int main(int argc, char *argv[]) {
        Options o = {};
        _cleanup_free_ char *owned_body = NULL;
        const char *text;
        size_t length = 0;
        Response ret;
        int r, status;

        log_setup("harper-ops", LOG_NOTICE);
        r = parse_options(argc, argv, &o);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : EXIT_OK;
        log_setup("harper-ops", o.verbose ? LOG_DEBUG : LOG_NOTICE);

        if (o.file) {
                if (read_body(o.file, &owned_body, &length) < 0)
                        return EXIT_USAGE;
                text = owned_body;
        } else {
                text = o.body;
                length = strlen(text);
        }

        if (!body_missing(&o, text, length, &ret))
                ret = run(&o, text, length);
        if (o.show_status)
                printf("%d\n", outcome_http_status(ret.outcome));
        printf("%s\n", response_body_text(&ret, o.pretty));
        status = outcome_exit_status(ret.outcome);

        response_done(&ret);
        return fflush(stdout) == 0 ? status : EXIT_INTERNAL_ERROR;
}
