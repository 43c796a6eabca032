/* SPDX-License-Identifier: MIT */
/* polkit-attack-bench: an admin's SetStatus (one call at a time, one polkit check each) with
 * and without a plain user's attack on polkit (issue 22), side by side in one run:
 *   none          nobody else calls
 *   row 4         the plain user keeps 32 SetStatus calls waiting for polkit
 *   row 4 prompt  the same, the calls allowing a password prompt (never answered from the
 *                 daemon's kept refusals: every one is asked of polkit)
 *   row 5         the plain user keeps 960 CheckAuthorization questions at polkitd itself
 * For each: the admin's p50 and p99 and its answers by kind (never AccessDenied).
 * The daemon must already run on $DBUS_SYSTEM_BUS_ADDRESS (bench/run.sh brings up the stack). */
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "bench.h"
#include "sysops-names.h"

#define MAX_SAMPLES 100000
#define ATTACK_CONNECTIONS 16

typedef enum Attack {
        ATTACK_NONE,
        ATTACK_ROW4,
        ATTACK_ROW4_PROMPT,
        ATTACK_ROW5,
        _ATTACK_MAX,
} Attack;

static const char *const attack_names[_ATTACK_MAX] = {
        [ATTACK_NONE] = "no attack",
        [ATTACK_ROW4] = "row 4: 32 calls kept waiting",
        [ATTACK_ROW4_PROMPT] = "row 4: 32 calls kept waiting, prompts allowed",
        [ATTACK_ROW5] = "row 5: 960 questions kept at polkitd",
};

/* What the admin got. */
typedef struct Answers {
        double p50_ms, p99_ms;
        unsigned calls, ok, denied, unavailable, other;
        double attacker_per_sec;   /* answers the attacker got */
} Answers;

#define USER_HINT "create it, or pass --admin/--attacker"

/* The admin's calls, one at a time, for the given time. */
static Answers admin_calls(double seconds) {
        static double samples[MAX_SAMPLES];
        double end = monotonic_sec() + seconds;
        Answers a = {};
        sd_bus *bus = NULL;

        if (sd_bus_open_system(&bus) < 0)
                _exit(1);
        while (monotonic_sec() < end && a.calls < MAX_SAMPLES) {
                sd_bus_error error = SD_BUS_ERROR_NULL;
                double t0 = monotonic_ms();
                int r = sd_bus_call_method(bus, SYSOPS_BUS_NAME, SYSOPS_OBJECT_PATH, SYSOPS_INTERFACE, "SetStatus",
                                           &error, NULL, "ss", "maintenance", "admin");

                samples[a.calls++] = monotonic_ms() - t0;
                if (r >= 0)
                        a.ok++;
                else if (sd_bus_error_has_name(&error, SD_BUS_ERROR_ACCESS_DENIED))
                        a.denied++;
                else if (sd_bus_error_has_name(&error, SYSOPS_ERROR_AUTHORIZATION_UNAVAILABLE))
                        a.unavailable++;
                else
                        a.other++;
                sd_bus_error_free(&error);
        }
        percentiles_p50_p99(samples, (int) a.calls, &a.p50_ms, &a.p99_ms);
        sd_bus_flush_close_unref(bus);
        return a;
}

static int send_attack(sd_bus *bus);

static Attack attack;
static double attack_end;
static unsigned long attack_answers;

static int on_attack_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        attack_answers++;
        if (monotonic_sec() < attack_end)
                (void) send_attack(sd_bus_message_get_bus(reply));
        return 0;
}

/* One call of the attack: a SetStatus, or a question straight to polkitd. */
static int send_attack(sd_bus *bus) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        const char *name;
        int r;

        if (attack == ATTACK_ROW5) {
                r = sd_bus_get_unique_name(bus, &name);
                if (r >= 0)
                        r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.PolicyKit1",
                                                           "/org/freedesktop/PolicyKit1/Authority",
                                                           "org.freedesktop.PolicyKit1.Authority",
                                                           "CheckAuthorization");
                if (r >= 0)
                        r = sd_bus_message_append(m, "(sa{sv})sa{ss}us", "system-bus-name", 1, "name", "s", name,
                                                  SYSOPS_ACTION_SET_STATUS, 0, 0u, "");
        } else {
                r = sd_bus_message_new_method_call(bus, &m, SYSOPS_BUS_NAME, SYSOPS_OBJECT_PATH, SYSOPS_INTERFACE,
                                                   "SetStatus");
                if (r >= 0)
                        r = sd_bus_message_append(m, "ss", "maintenance", "attack");
                if (r >= 0)
                        r = sd_bus_message_set_allow_interactive_authorization(m, attack == ATTACK_ROW4_PROMPT);
        }
        if (r < 0)
                return r;
        return sd_bus_call_async(bus, NULL, m, on_attack_reply, NULL, 60 * USEC_PER_SEC);
}

/* The attacker's child: the attack's calls kept out until the time is up; writes its answers
 * per second to fd. */
static pid_t attacker_start(const char *user, Attack a, double seconds, int fd) {
        unsigned per_connection = a == ATTACK_ROW5 ? 60 : 2;   /* 960, or 32, out at a time */
        sd_event *event = NULL;
        sd_bus *buses[ATTACK_CONNECTIONS];
        double rate;
        pid_t pid = fork();

        if (pid != 0)
                return pid;
        bench_become_user(user, USER_HINT);
        attack = a;
        attack_end = monotonic_sec() + seconds;
        if (sd_event_new(&event) < 0)
                _exit(1);
        for (unsigned i = 0; i < ATTACK_CONNECTIONS; i++) {
                if (sd_bus_open_system(&buses[i]) < 0 || sd_bus_attach_event(buses[i], event, 0) < 0)
                        _exit(1);
                for (unsigned k = 0; k < per_connection; k++)
                        if (send_attack(buses[i]) < 0)
                                _exit(1);
        }
        while (monotonic_sec() < attack_end)
                if (sd_event_run(event, 100 * 1000) < 0)
                        _exit(1);
        rate = (double) attack_answers / seconds;
        /* the calls still out need no answer */
        _exit(write(fd, &rate, sizeof rate) == (ssize_t) sizeof rate ? 0 : 1);
}

/* The admin's figures while the attack runs. */
static Answers measure(const char *admin, const char *attacker, Attack a, double seconds) {
        pid_t attacking = 0, measuring;
        Answers answers = {};
        double rate = 0;
        int fds[2], rate_fds[2];

        if (pipe(rate_fds) < 0)
                exit(1);
        if (a != ATTACK_NONE) {
                attacking = attacker_start(attacker, a, seconds + 1.5, rate_fds[1]);
                usleep(1000 * 1000);   /* the attack in full swing */
        }
        close(rate_fds[1]);
        if (pipe(fds) < 0)
                exit(1);
        measuring = fork();
        if (measuring == 0) {
                close(fds[0]);
                bench_become_user(admin, USER_HINT);
                answers = admin_calls(seconds);
                _exit(write(fds[1], &answers, sizeof answers) == (ssize_t) sizeof answers ? 0 : 1);
        }
        close(fds[1]);
        if (read(fds[0], &answers, sizeof answers) != (ssize_t) sizeof answers)
                fprintf(stderr, "the admin's client failed\n");
        close(fds[0]);
        waitpid(measuring, NULL, 0);
        if (attacking > 0) {
                if (read(rate_fds[0], &rate, sizeof rate) == (ssize_t) sizeof rate)
                        answers.attacker_per_sec = rate;
                waitpid(attacking, NULL, 0);
        }
        close(rate_fds[0]);
        return answers;
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "seconds", required_argument, NULL, 's' },
                { "admin", required_argument, NULL, 'a' },
                { "attacker", required_argument, NULL, 'u' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        const char *admin = "hsops-admin", *attacker = "hsops-user";
        Answers got[_ATTACK_MAX];
        double seconds = 3;
        int c;

        while ((c = getopt_long(argc, argv, "s:a:u:h", options, NULL)) >= 0)
                switch (c) {
                case 's':
                        seconds = atof(optarg);
                        break;
                case 'a':
                        admin = optarg;
                        break;
                case 'u':
                        attacker = optarg;
                        break;
                case 'h':
                        printf("Usage: polkit-attack-bench [--seconds=S] [--admin=HARPER_ADMIN_USER]\n"
                               "                           [--attacker=PLAIN_USER]\n");
                        return 0;
                default:
                        return 64;
                }
        if (seconds <= 0 || geteuid() != 0) {
                fprintf(stderr, "run as root (it becomes the two users), with --seconds positive\n");
                return 64;
        }

        for (Attack a = 0; a < _ATTACK_MAX; a++)
                got[a] = measure(admin, attacker, a, seconds);

        printf("%s's SetStatus, one call at a time, %.1f s each, while %s attacks polkit\n", admin, seconds, attacker);
        printf("%-48s %8s %8s %6s %6s %7s %12s %6s %12s\n", "", "p50 ms", "p99 ms", "calls", "ok", "denied",
               "unavailable", "other", "attacker/s");
        for (Attack a = 0; a < _ATTACK_MAX; a++)
                printf("%-48s %8.1f %8.1f %6u %6u %7u %12u %6u %12.0f\n", attack_names[a], got[a].p50_ms,
                       got[a].p99_ms, got[a].calls, got[a].ok, got[a].denied, got[a].unavailable, got[a].other,
                       got[a].attacker_per_sec);
        printf("row 4 / no attack p50 ratio:                %.2f  (goal <= 2)\n",
               got[ATTACK_ROW4].p50_ms / got[ATTACK_NONE].p50_ms);
        printf("row 4 prompts allowed / no attack p50 ratio: %.2f  (goal <= 2)\n",
               got[ATTACK_ROW4_PROMPT].p50_ms / got[ATTACK_NONE].p50_ms);
        /* an admin is never told "no" because polkit is busy */
        return got[ATTACK_ROW5].denied || got[ATTACK_ROW4].denied || got[ATTACK_ROW4_PROMPT].denied ? 1 : 0;
}
