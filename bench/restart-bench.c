/* SPDX-License-Identifier: MIT */
/* restart-bench: what harper-sysopsd adds to a restart of the instance unit, measured side by side
 * in one run against the same systemd manager, the ways interleaved round by round (the order
 * flips every round) so that drift hits all alike:
 *   A  daemon     Restart() on harper-sysopsd until its job's PropertiesChanged says COMPLETE
 *   B  systemd    Manager.RestartUnit(unit, "replace") until JobRemoved of that job: what
 *                 systemctl restart does, without starting a process
 *   C  systemctl  the command given with --systemctl, plus "restart UNIT", as a child process
 *   D  harper-ops harper-ops --wait '{"operation":"restart"}' as a child process
 * A - B is the daemon's overhead; D against C is the command-line comparison. C and D run only
 * when their command is given. Run as root (no polkit check). The daemon and systemd must be on
 * $DBUS_SYSTEM_BUS_ADDRESS (bench/run.sh brings up the stack); a child inherits the environment
 * (XDG_RUNTIME_DIR for systemctl --user). Exits non-zero only when a restart fails, never on a
 * slow figure. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <systemd/sd-bus.h>

#include "bench.h"
#include "sysops-names.h"

#define SYSTEMD_NAME "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"

enum { WAY_DAEMON, WAY_SYSTEMD, WAY_SYSTEMCTL, WAY_HARPER_OPS, _WAY_MAX };

/* What the signal handlers look for: the path of the job in flight, and when it ended how. */
typedef struct Waiting {
        char *path;            /* NULL while no reply has named the job yet */
        bool ended;
        bool failed;
        double end_ms;
        char *why;             /* the job's Message or systemd's result, when failed */
        char *unit;            /* the first unit among a daemon job's Steps */
} Waiting;

static void waiting_reset(Waiting *w) {
        free(w->path);
        free(w->why);
        free(w->unit);
        *w = (Waiting) {};
}

static void waiting_end(Waiting *w, bool failed, const char *why) {
        w->end_ms = monotonic_ms();
        w->ended = true;
        w->failed = failed;
        w->why = why ? strdup(why) : NULL;
}

/* Keeps the unit of the first step: the bench is only fair when it is the unit B restarts. */
static int read_first_step(sd_bus_message *m, Waiting *w) {
        const char *unit, *state;
        int r;

        r = sd_bus_message_enter_container(m, 'v', "a" SYSOPS_JOB_STEP);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(m, 'a', SYSOPS_JOB_STEP);
        if (r < 0)
                return r;
        if (sd_bus_message_read(m, SYSOPS_JOB_STEP, &unit, &state) > 0 && !w->unit)
                w->unit = strdup(unit);
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

/* PropertiesChanged of a daemon job: the new Status (and Message) come in the changed dict. */
/* One entry of the changed dict: Status and Message into *status and *message, Steps into w. */
static int read_changed(sd_bus_message *m, Waiting *w, const char **status, const char **message) {
        const char *name;
        int r;

        r = sd_bus_message_read(m, "s", &name);
        if (r < 0)
                return r;
        if (streq(name, "Status"))
                r = sd_bus_message_read(m, "v", "s", status);
        else if (streq(name, "Message"))
                r = sd_bus_message_read(m, "v", "s", message);
        else if (streq(name, "Steps"))
                r = read_first_step(m, w);
        else
                r = sd_bus_message_skip(m, "v");
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int on_job_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Waiting *w = ASSERT_PTR(userdata);
        const char *interface, *status = NULL, *message = NULL;
        int r;

        if (!w->path || w->ended || strcmp(sd_bus_message_get_path(m), w->path) != 0)
                return 0;
        r = sd_bus_message_read(m, "s", &interface);
        if (r < 0 || strcmp(interface, SYSOPS_JOB_INTERFACE) != 0)
                return 0;
        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        while (r > 0) {
                r = sd_bus_message_enter_container(m, 'e', "sv");
                if (r <= 0)
                        break;
                r = read_changed(m, w, &status, &message);
        }
        if (status && strcmp(status, "COMPLETE") == 0)
                waiting_end(w, false, NULL);
        else if (status && strcmp(status, "ERROR") == 0)
                waiting_end(w, true, message ? message : "the job ended in ERROR");
        return 0;
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Waiting *w = userdata;
        const char *path, *unit, *result;
        uint32_t id;

        if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
                return 0;
        if (w->path && !w->ended && strcmp(path, w->path) == 0)
                waiting_end(w, strcmp(result, "done") != 0, result);
        return 0;
}

/* Dispatches until the job has ended or the deadline has passed. Signals that came in while a
 * synchronous call waited for its reply were queued by sd-bus and are dispatched here. */
static int wait_for_end(sd_bus *bus, Waiting *w, double deadline_ms) {
        int r;

        while (!w->ended) {
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                if (monotonic_ms() >= deadline_ms)
                        return -ETIMEDOUT;
                r = sd_bus_wait(bus, (uint64_t) ((deadline_ms - monotonic_ms()) * 1000) + 1);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Keeps a copy of the job's path in w. */
static int keep_path(Waiting *w, const char *path) {
        w->path = strdup(path);
        return w->path ? 0 : -ENOMEM;
}

/* Restart() of the daemon; the job's path in w. */
static int start_daemon_job(sd_bus *bus, Waiting *w, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *message, *id, *path;
        int r;

        r = sd_bus_call_method(bus, SYSOPS_BUS_NAME, SYSOPS_OBJECT_PATH, SYSOPS_INTERFACE, "Restart", error, &reply,
                               "");
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, SYSOPS_JOB_REPLY, &message, &id, &path);
        if (r < 0)
                return r;
        return keep_path(w, path);
}

/* systemd's RestartUnit(unit, "replace"); the job's path in w. */
static int start_systemd_job(sd_bus *bus, Waiting *w, const char *unit, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *path;
        int r;

        r = sd_bus_call_method(bus, SYSTEMD_NAME, SYSTEMD_PATH, SYSTEMD_MANAGER, "RestartUnit", error, &reply, "ss",
                               unit, "replace");
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;
        return keep_path(w, path);
}

/* Returns the time in ms, or a negative value after printing why it failed. */
static double restart_via_daemon(sd_bus *bus, Waiting *w, const char *unit, double timeout_ms) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        double start = monotonic_ms();
        int r;

        waiting_reset(w);
        r = start_daemon_job(bus, w, &error);
        if (r < 0) {
                fprintf(stderr, "Restart() failed: %s\n", error.message ? error.message : strerror(-r));
                return -1;
        }
        r = wait_for_end(bus, w, start + timeout_ms);
        if (r < 0 || w->failed) {
                fprintf(stderr, "daemon job %s: %s\n", w->path,
                        r == -ETIMEDOUT ? "no COMPLETE within the timeout" : r < 0 ? strerror(-r) : w->why);
                return -1;
        }
        if (!w->unit || strcmp(w->unit, unit) != 0) {
                fprintf(stderr, "the daemon restarted %s, not %s: pass --unit=%s\n", w->unit ? w->unit : "no unit",
                        unit, w->unit ? w->unit : "UNIT");
                return -1;
        }
        return w->end_ms - start;
}

static double restart_via_systemd(sd_bus *bus, Waiting *w, const char *unit, double timeout_ms) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        double start = monotonic_ms();
        int r;

        waiting_reset(w);
        r = start_systemd_job(bus, w, unit, &error);
        if (r < 0) {
                fprintf(stderr, "RestartUnit(%s) failed: %s\n", unit, error.message ? error.message : strerror(-r));
                return -1;
        }
        r = wait_for_end(bus, w, start + timeout_ms);
        if (r < 0 || w->failed) {
                _cleanup_free_ char *unit_path = NULL, *result = NULL;

                /* as systemctl does: the service's Result says why (exit-code, start-limit-hit, ...) */
                if (r >= 0 && sd_bus_path_encode("/org/freedesktop/systemd1/unit", unit, &unit_path) >= 0)
                        (void) sd_bus_get_property_string(bus, SYSTEMD_NAME, unit_path,
                                                          "org.freedesktop.systemd1.Service", "Result", NULL,
                                                          &result);
                fprintf(stderr, "systemd job %s (restart of %s): %s%s%s\n", w->path, unit,
                        r == -ETIMEDOUT ? "no JobRemoved within the timeout" : r < 0 ? strerror(-r) : w->why,
                        result ? ", unit result " : "", result ? result : "");
                return -1;
        }
        return w->end_ms - start;
}

/* Runs argv to its end; its output is kept aside and shown only when it fails. */
static double run_command(char *const argv[]) {
        FILE *out = tmpfile();
        double start = monotonic_ms(), took;
        int status;
        pid_t pid;

        if (!out) {
                perror("tmpfile");
                return -1;
        }
        pid = fork();
        if (pid < 0) {
                perror("fork");
                fclose(out);
                return -1;
        }
        if (pid == 0) {
                dup2(fileno(out), STDOUT_FILENO);
                dup2(fileno(out), STDERR_FILENO);
                execvp(argv[0], argv);
                fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
                _exit(127);
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        perror("waitpid");
                        fclose(out);
                        return -1;
                }
        took = monotonic_ms() - start;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                char buf[4096];
                size_t n;

                fprintf(stderr, "%s", argv[0]);
                for (size_t i = 1; argv[i]; i++)
                        fprintf(stderr, " %s", argv[i]);
                if (WIFEXITED(status))
                        fprintf(stderr, ": exit status %d\n", WEXITSTATUS(status));
                else
                        fprintf(stderr, ": killed by signal %d\n", WTERMSIG(status));
                rewind(out);
                while ((n = fread(buf, 1, sizeof buf, out)) > 0)
                        fwrite(buf, 1, n, stderr);
                took = -1;
        }
        fclose(out);
        return took;
}

/* "systemctl --user" and "restart UNIT" as one argv (split at spaces; no quoting). */
static char **systemctl_argv(const char *command, const char *unit) {
        char *copy = strdup(command), *save = NULL;
        char **argv = calloc(strlen(command) + 4, sizeof(char *));
        size_t n = 0;

        if (!copy || !argv) {
                fprintf(stderr, "Out of memory.\n");
                exit(1);
        }
        for (char *word = strtok_r(copy, " \t", &save); word; word = strtok_r(NULL, " \t", &save))
                argv[n++] = word;
        if (n == 0) {
                fprintf(stderr, "--systemctl is empty\n");
                exit(64);
        }
        argv[n++] = (char *) "restart";
        argv[n++] = (char *) unit;
        return argv;
}

/* Nearest rank of sorted values. */
static double percentile(const double *sorted, unsigned n, unsigned percent) {
        unsigned rank = (percent * n + 99) / 100;
        return sorted[rank ? rank - 1 : 0];
}

typedef struct Figures {
        double p50, p90;
} Figures;

static Figures figures(const double *samples, unsigned n) {
        double *sorted = malloc(n * sizeof(double));
        Figures f;

        if (!sorted) {
                fprintf(stderr, "Out of memory.\n");
                exit(1);
        }
        memcpy(sorted, samples, n * sizeof(double));
        qsort(sorted, n, sizeof(double), compare_double);
        f = (Figures) { percentile(sorted, n, 50), percentile(sorted, n, 90) };
        free(sorted);
        return f;
}

static void help(void) {
        printf("Usage: restart-bench [OPTIONS]\n"
               "\n"
               "  -n --runs=N            Restarts per way, interleaved (default 30; one more each to warm up)\n"
               "  -u --unit=UNIT         The daemon's instance unit (default harperdb.service)\n"
               "     --systemctl=CMD     Also time CMD restart UNIT, e.g. \"systemctl --user\" (split at spaces)\n"
               "     --harper-ops=PATH   Also time PATH --wait '{\"operation\":\"restart\"}'\n"
               "     --timeout=SECS      Longest wait for one restart (default 120)\n"
               "  -h --help              Show this help\n");
}

static const char *const labels[_WAY_MAX] = {
        [WAY_DAEMON] = "A daemon: Restart() -> job COMPLETE",
        [WAY_SYSTEMD] = "B systemd: RestartUnit -> JobRemoved",
        [WAY_SYSTEMCTL] = "C systemctl restart",
        [WAY_HARPER_OPS] = "D harper-ops --wait restart",
};

typedef struct Options {
        const char *unit, *systemctl, *harper_ops;
        unsigned runs;
        double timeout_ms;
        bool enabled[_WAY_MAX];
        char **systemctl_args;       /* C's command line, when enabled */
        char *harper_ops_args[5];    /* D's command line, when enabled */
} Options;

/* Reads the command line into o. Returns -1 to go on, or the exit status (--help, bad usage). */
static int parse_options(int argc, char *argv[], Options *o) {
        enum { OPT_SYSTEMCTL = 0x100, OPT_HARPER_OPS, OPT_TIMEOUT };
        static const struct option options[] = {
                { "runs", required_argument, NULL, 'n' },
                { "unit", required_argument, NULL, 'u' },
                { "systemctl", required_argument, NULL, OPT_SYSTEMCTL },
                { "harper-ops", required_argument, NULL, OPT_HARPER_OPS },
                { "timeout", required_argument, NULL, OPT_TIMEOUT },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        int c;

        *o = (Options) { .unit = "harperdb.service", .runs = 30, .timeout_ms = 120e3,
                         .enabled = { true, true, false, false } };
        while ((c = getopt_long(argc, argv, "n:u:h", options, NULL)) >= 0)
                switch (c) {
                case 'n':
                        o->runs = (unsigned) atoi(optarg);
                        break;
                case 'u':
                        o->unit = optarg;
                        break;
                case OPT_SYSTEMCTL:
                        o->systemctl = optarg;
                        break;
                case OPT_HARPER_OPS:
                        o->harper_ops = optarg;
                        break;
                case OPT_TIMEOUT:
                        o->timeout_ms = atof(optarg) * 1e3;
                        break;
                case 'h':
                        help();
                        return 0;
                default:
                        return 64;
                }
        if (o->runs == 0 || o->timeout_ms <= 0 || optind < argc) {
                fprintf(stderr, "--runs and --timeout must be positive; no other arguments\n");
                return 64;
        }
        return -1;
}

/* The command lines of C and D, for the ways whose command was given. */
static void prepare_commands(Options *o) {
        if (o->systemctl) {
                o->systemctl_args = systemctl_argv(o->systemctl, o->unit);
                o->enabled[WAY_SYSTEMCTL] = true;
        }
        if (o->harper_ops) {
                char *args[] = { (char *) o->harper_ops, (char *) "--wait", (char *) "--no-ask-password",
                                 (char *) "{\"operation\":\"restart\"}", NULL };

                memcpy(o->harper_ops_args, args, sizeof args);
                o->enabled[WAY_HARPER_OPS] = true;
        }
}

/* The system bus, listening to the daemon's jobs and systemd's JobRemoved for w. */
static int listen_for_jobs(sd_bus *bus, Waiting *w) {
        int r;

        /* the job path is known only from Restart()'s reply: listen to every job beforehand */
        r = sd_bus_add_match(bus, NULL,
                             "type='signal',sender='" SYSOPS_BUS_NAME "',"
                             "interface='org.freedesktop.DBus.Properties',member='PropertiesChanged',"
                             "path_namespace='" SYSOPS_JOB_PATH_PREFIX "'",
                             on_job_changed, w);
        if (r < 0)
                return r;
        r = sd_bus_match_signal(bus, NULL, SYSTEMD_NAME, SYSTEMD_PATH, SYSTEMD_MANAGER, "JobRemoved",
                                on_job_removed, w);
        if (r < 0)
                return r;
        return sd_bus_call_method(bus, SYSTEMD_NAME, SYSTEMD_PATH, SYSTEMD_MANAGER, "Subscribe", NULL, NULL, "");
}

static int cannot_reach_systemd(int r) {
        fprintf(stderr, "cannot reach systemd on the system bus: %s\n", strerror(-r));
        return r;
}

static int connect_bus(sd_bus **ret, Waiting *w) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return cannot_reach_systemd(r);
        r = listen_for_jobs(bus, w);
        if (r < 0)
                return cannot_reach_systemd(r);
        *ret = TAKE_PTR(bus);
        return 0;
}

static double restart_one_way(sd_bus *bus, Waiting *w, const Options *o, int way) {
        switch (way) {
        case WAY_DAEMON:
                return restart_via_daemon(bus, w, o->unit, o->timeout_ms);
        case WAY_SYSTEMD:
                return restart_via_systemd(bus, w, o->unit, o->timeout_ms);
        case WAY_SYSTEMCTL:
                return run_command(o->systemctl_args);
        default:
                return run_command(o->harper_ops_args);
        }
}

/* The enabled ways, round by round, the order flipped every round; stops at the first failure.
 * Returns the number of failures (0 or 1). */
static int run_rounds(sd_bus *bus, Waiting *w, const Options *o, double *samples[]) {
        int failures = 0;

        /* round 0 warms up (the daemon connects to systemd on its first restart) and is not kept */
        for (unsigned round = 0; round <= o->runs && failures == 0; round++)
                for (int k = 0; k < _WAY_MAX && failures == 0; k++) {
                        int way = round % 2 ? _WAY_MAX - 1 - k : k;
                        double took;

                        if (!o->enabled[way])
                                continue;
                        took = restart_one_way(bus, w, o, way);
                        if (took < 0)
                                failures++;
                        else if (round > 0)
                                samples[way][round - 1] = took;
                }
        return failures;
}

/* p50 and p90 per way, then the daemon's overhead and harper-ops against systemctl. */
static void print_figures(const Options *o, double *samples[]) {
        Figures f[_WAY_MAX] = {};

        printf("restart of %s, %u runs per way, interleaved\n", o->unit, o->runs);
        printf("%-44s %8s %8s\n", "", "p50 ms", "p90 ms");
        for (int w = 0; w < _WAY_MAX; w++) {
                if (!o->enabled[w]) {
                        printf("%-44s %17s\n", labels[w], "(not run)");
                        continue;
                }
                f[w] = figures(samples[w], o->runs);
                printf("%-44s %8.1f %8.1f\n", labels[w], f[w].p50, f[w].p90);
        }
        /* the median of the per-round differences is less sensitive to a slow moment */
        for (unsigned i = 0; i < o->runs; i++)
                samples[WAY_DAEMON][i] -= samples[WAY_SYSTEMD][i];
        printf("%-44s %8.1f ms  (paired median %.1f; target <= 5 ms)\n", "daemon overhead A - B (p50)",
               f[WAY_DAEMON].p50 - f[WAY_SYSTEMD].p50, figures(samples[WAY_DAEMON], o->runs).p50);
        if (o->enabled[WAY_SYSTEMCTL] && o->enabled[WAY_HARPER_OPS])
                printf("%-44s %8.1f ms  (ratio %.2f)\n", "harper-ops vs systemctl D - C (p50)",
                       f[WAY_HARPER_OPS].p50 - f[WAY_SYSTEMCTL].p50, f[WAY_HARPER_OPS].p50 / f[WAY_SYSTEMCTL].p50);
}

int main(int argc, char *argv[]) {
        double *samples[_WAY_MAX] = {};
        Waiting waiting = {};
        Options o;
        sd_bus *bus = NULL;
        int r, failures;

        r = parse_options(argc, argv, &o);
        if (r >= 0)
                return r;
        if (geteuid() != 0) {
                fprintf(stderr, "run as root: the daemon figure must not include a polkit check\n");
                return 1;
        }
        prepare_commands(&o);
        if (connect_bus(&bus, &waiting) < 0)
                return 1;
        for (int w = 0; w < _WAY_MAX; w++)
                if (!(samples[w] = calloc(o.runs, sizeof(double)))) {
                        fprintf(stderr, "Out of memory.\n");
                        return 1;
                }

        failures = run_rounds(bus, &waiting, &o, samples);
        waiting_reset(&waiting);
        sd_bus_flush_close_unref(bus);
        if (failures) {
                fprintf(stderr, "a restart failed; no figures\n");
                return 1;
        }
        print_figures(&o, samples);
        for (int w = 0; w < _WAY_MAX; w++)
                free(samples[w]);
        free(o.systemctl_args ? o.systemctl_args[0] : NULL);
        free(o.systemctl_args);
        return 0;
}
