/* SPDX-License-Identifier: MIT */
/* harper-sysinfo-bench: system_information with the real Harper, side by side in one run, the
 * four interleaved in each round: the full SystemInformation([]) over the bus (as root, so
 * polkitd is not asked), Harper's own full system_information over its socket, Harper's own
 * system_information for just the sections harper-sysops asks it for (system, memory, metrics,
 * threads), and everything harper-sysops asks Harper (that call, describe_all and
 * cluster_status, at once). Each Harper request on a new connection, as harper-sysopsd makes
 * them. p50 and p99 in ms, and the ratios the goals are about.
 *   harper-sysinfo-bench --socket=PATH [-n ROUNDS]      (uses $DBUS_SYSTEM_BUS_ADDRESS) */
#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "bench.h"
#include "sysops-names.h"

#define FULL "{\"operation\":\"system_information\"}"
#define SECTIONS "{\"operation\":\"system_information\",\"attributes\":[\"system\",\"memory\",\"metrics\",\"threads\"]}"

static const char *const asked[] = {
        SECTIONS, "{\"operation\":\"describe_all\"}", "{\"operation\":\"cluster_status\"}",
};

enum { BUS_FULL, HARPER_FULL, HARPER_SECTIONS, HARPER_ASKED, _MEASURE_MAX };

static const char *const labels[_MEASURE_MAX] = {
        "harper-sysops full answer (D-Bus)",
        "Harper's own full call",
        "Harper: the 4 sections asked",
        "Harper: all 3 questions asked",
};

static size_t discard(char *data, size_t size, size_t n, void *userdata) {
        return size * n;
}

static CURL *request(const char *socket, const char *body, struct curl_slist *headers) {
        CURL *easy = curl_easy_init();

        if (!easy)
                return NULL;
        curl_easy_setopt(easy, CURLOPT_URL, "http://localhost/");
        curl_easy_setopt(easy, CURLOPT_UNIX_SOCKET_PATH, socket);
        curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, 1L);
        curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 60000L);
        curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard);
        return easy;
}

/* The bodies at once, each on its own connection; 0 when every one got a 200. */
static int harper_at_once(const char *socket, const char *const *bodies, size_t n, struct curl_slist *headers) {
        CURLM *multi = curl_multi_init();
        CURL *easy[3] = {};
        int running = 1, failed = 0;

        for (size_t i = 0; i < n; i++) {
                easy[i] = request(socket, bodies[i], headers);
                curl_multi_add_handle(multi, easy[i]);
        }
        while (running && curl_multi_perform(multi, &running) == CURLM_OK && running)
                curl_multi_poll(multi, NULL, 0, 1000, NULL);
        for (size_t i = 0; i < n; i++) {
                long status = 0;
                curl_easy_getinfo(easy[i], CURLINFO_RESPONSE_CODE, &status);
                failed |= status != 200;
                curl_multi_remove_handle(multi, easy[i]);
                curl_easy_cleanup(easy[i]);
        }
        curl_multi_cleanup(multi);
        return failed ? -1 : 0;
}

static int full_failed(const char *why) {
        fprintf(stderr, "harper-sysinfo-bench: SystemInformation: %s\n", why);
        return -1;
}

/* The full SystemInformation([]); 0 when Harper answered in it ("harper":{"answered":true}). */
static int bus_full(sd_bus *bus) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *json = NULL;
        int r;

        r = sd_bus_call_method(bus, SYSOPS_BUS_NAME, SYSOPS_OBJECT_PATH, SYSOPS_INTERFACE, "SystemInformation", &error,
                               &reply, "as", 0);
        if (r < 0)
                return full_failed(error.message ?: strerror(-r));
        r = sd_bus_message_read(reply, "s", &json);
        if (r < 0)
                return full_failed(strerror(-r));
        if (!strstr(json, "\"harper\":{\"answered\":true}"))
                return full_failed("Harper did not answer in it");
        return 0;
}

static int measure_once(int which, sd_bus *bus, const char *socket, struct curl_slist *headers) {
        static const char *const full[] = { FULL }, *const sections[] = { SECTIONS };

        switch (which) {
        case BUS_FULL: return bus_full(bus);
        case HARPER_FULL: return harper_at_once(socket, full, 1, headers);
        case HARPER_SECTIONS: return harper_at_once(socket, sections, 1, headers);
        default: return harper_at_once(socket, asked, 3, headers);
        }
}

static void report(double *t[_MEASURE_MAX], int n) {
        double p50[_MEASURE_MAX], p99;

        printf("system_information with the real Harper, %d rounds, the four interleaved (ms)\n", n);
        printf("%-36s %8s %8s\n", "", "p50", "p99");
        for (int m = 0; m < _MEASURE_MAX; m++) {
                percentiles_p50_p99(t[m], n, &p50[m], &p99);
                printf("%-36s %8.2f %8.2f\n", labels[m], p50[m], p99);
        }
        printf("full answer / Harper's 4 sections:     %5.2f  (goal <= 1.2)\n", p50[BUS_FULL] / p50[HARPER_SECTIONS]);
        printf("full answer / Harper's 3 questions:    %5.2f  (goal <= 1.2)\n", p50[BUS_FULL] / p50[HARPER_ASKED]);
        printf("Harper's full call / full answer:      %5.1f  (goal >= 3)\n", p50[HARPER_FULL] / p50[BUS_FULL]);
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "socket", required_argument, NULL, 's' },
                {}
        };
        const char *socket = NULL;
        double *t[_MEASURE_MAX];
        struct curl_slist *headers;
        sd_bus *bus = NULL;
        int n = 30, c, r = 0;

        while ((c = getopt_long(argc, argv, "n:", options, NULL)) >= 0)
                switch (c) {
                case 'n':
                        n = atoi(optarg);
                        break;
                case 's':
                        socket = optarg;
                        break;
                default:
                        return 64;
                }
        if (!socket || n < 1) {
                fprintf(stderr, "Usage: harper-sysinfo-bench --socket=HARPER_SOCKET [-n ROUNDS]\n");
                return 64;
        }
        if (sd_bus_open_system(&bus) < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                fprintf(stderr, "harper-sysinfo-bench: cannot connect to the system bus\n");
                return 1;
        }
        headers = curl_slist_append(NULL, "Content-Type: application/json");
        for (int m = 0; m < _MEASURE_MAX; m++)
                t[m] = calloc((size_t) n, sizeof(double));
        /* one round unmeasured: Harper caches its system section on first use */
        for (int m = 0; m < _MEASURE_MAX && r >= 0; m++)
                r = measure_once(m, bus, socket, headers);
        for (int i = 0; i < n && r >= 0; i++)
                for (int m = 0; m < _MEASURE_MAX && r >= 0; m++) {
                        double start = monotonic_ms();
                        r = measure_once(m, bus, socket, headers);
                        t[m][i] = monotonic_ms() - start;
                }
        if (r >= 0)
                report(t, n);
        for (int m = 0; m < _MEASURE_MAX; m++)
                free(t[m]);
        curl_slist_free_all(headers);
        sd_bus_unref(bus);
        curl_global_cleanup();
        return r < 0 ? 1 : 0;
}
