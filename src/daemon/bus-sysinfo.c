/* SPDX-License-Identifier: MIT */
/* SystemInformation(): polkit, then what systemd knows about Harper's units and what only Harper
 * knows (its own figures, within harper.query_timeout_ms), both asked at the same time and
 * asynchronously. The collectors in src/sysinfo run for the sections that do not need Harper as
 * soon as systemd has answered, while Harper still works, and for the rest when Harper has; the
 * answer is one JSON string (as hostnamed's Describe() does). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-args.h"
#include "bus-sysinfo.h"
#include "context.h"
#include "harper-sysinfo.h"
#include "json-util.h"
#include "log.h"
#include "macro.h"
#include "sysinfo.h"
#include "sysops-names.h"
#include "systemd-units.h"

/* Sections that need the instance's main process or the units' cgroups. */

#define NEEDS_UNITS ((1u << SYSINFO_TIME) | (1u << SYSINFO_MEMORY) | (1u << SYSINFO_HARPERDB_PROCESSES) | \
                     (1u << SYSINFO_PROCESS_THREADS) | (1u << SYSINFO_UNIT_METRICS))

typedef struct Request {
        Context *context;
        sd_bus_message *call;
        unsigned sections;
        unsigned pending;      /* systemd's and Harper's parts still out, plus one while starting */
        SysinfoUnit *units;    /* systemd's answer, copied: it is valid during its callback only */
        size_t n_units;
        SysinfoHarper harper;  /* Harper's answers (references of our own) */
        char *harper_error;
        bool harper_asked, harper_answered;
        json_object *early;    /* the sections collected while Harper still worked, or NULL */
        unsigned early_sections;
} Request;

/* The sections in the mask, from what has come in so far. */
static int collect(Request *r, unsigned sections, json_object **ret) {
        Context *c = ASSERT_PTR(r->context);
        SysinfoSources src = {
                .disk = c->config.sysinfo_disk,
                .network = c->config.sysinfo_network,
                .data_dir = c->config.data_dir,
                .units = r->units,
                .n_units = r->n_units,
                .harper = r->harper_asked ? &r->harper : NULL,
        };
        size_t n_peers = c->config.n_peers;
        _cleanup_free_ SysinfoPeer *peers = calloc(n_peers ? n_peers : 1, sizeof(SysinfoPeer));
        _cleanup_free_ char **ssh = calloc(n_peers ? n_peers : 1, sizeof(char *));
        int k;

        if (!peers || !ssh)
                return -ENOMEM;

        /* replication: how the configuration reaches nodes, an ssh one as ssh:HOST */
        for (size_t i = 0; i < n_peers; i++) {
                const PeerConfig *p = &c->config.peers[i];
                ssh[i] = NULL;
                if (p->ssh && asprintf(&ssh[i], "ssh:%s", p->ssh) < 0)
                        ssh[i] = NULL;
                peers[i] = (SysinfoPeer) { .name = p->name, .address = p->address ?: ssh[i], .exclude = p->exclude };
        }
        src.peers = peers;
        src.n_peers = n_peers;
        k = sysinfo_collect(c->sysinfo, &src, sections, ret);
        for (size_t i = 0; i < n_peers; i++)
                free(ssh[i]);
        return k;
}

/* What needs no Harper, collected while Harper still works (its answer takes milliseconds). */
static void collect_early(Request *r) {
        unsigned early = 0;

        if (!r->harper_asked || r->harper_answered)
                return;
        for (unsigned s = 0; s < _SYSINFO_SECTION_MAX; s++)
                if ((r->sections & (1u << s)) && !sysinfo_harper_needed(1u << s))
                        early |= 1u << s;
        if (early && collect(r, early, &r->early) >= 0)
                r->early_sections = early;
}

/* The sections still missing, joined to those collected early. */
static int collect_rest(Request *r, json_object **ret) {
        _cleanup_(json_object_putp) json_object *late = NULL;
        int k;

        k = collect(r, r->sections & ~r->early_sections, &late);
        if (k < 0)
                return k;
        if (r->early)
                return sysinfo_join(r->early, late, ret);
        *ret = TAKE_PTR(late);
        return 0;
}

static void answer(Request *r) {
        _cleanup_(json_object_putp) json_object *result = NULL;
        int k;

        k = collect_rest(r, &result);
        if (k < 0)
                k = sd_bus_reply_method_errnof(r->call, -k, "Cannot collect system information: %m");
        else
                k = sd_bus_reply_method_return(r->call, "s",
                                               json_object_to_json_string_ext(result, JSON_C_TO_STRING_PLAIN |
                                                                              JSON_C_TO_STRING_NOSLASHESCAPE));
        if (k < 0)
                log_warning_errno(k, "Cannot answer SystemInformation: %m");
}

static void units_free(SysinfoUnit *units, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free((char *) units[i].name);
                free((char *) units[i].control_group);
                free((char *) units[i].active_state);
        }
        free(units);
}

static char *strdup_or_null(const char *s) {
        return s ? strdup(s) : NULL;
}

/* A copy of systemd's answer; the roles are static strings. */
static int units_copy(Request *r, const SysinfoUnit *units, size_t n) {
        r->units = calloc(n ? n : 1, sizeof(SysinfoUnit));
        if (!r->units)
                return -ENOMEM;
        r->n_units = n;
        for (size_t i = 0; i < n; i++) {
                r->units[i] = units[i];
                r->units[i].name = strdup_or_null(units[i].name);
                r->units[i].control_group = strdup_or_null(units[i].control_group);
                r->units[i].active_state = strdup_or_null(units[i].active_state);
                if ((units[i].name && !r->units[i].name) || (units[i].control_group && !r->units[i].control_group) ||
                    (units[i].active_state && !r->units[i].active_state))
                        return -ENOMEM;
        }
        return 0;
}

/* The last part in answers and ends the request. */
static void request_unref(Request *r) {
        assert(r);
        assert(r->pending > 0);

        if (--r->pending > 0)
                return;
        answer(r);
        sd_bus_message_unref(r->call);
        units_free(r->units, r->n_units);
        for (unsigned q = 0; q < _SYSINFO_HARPER_QUESTION_MAX; q++)
                json_object_put(r->harper.answers[q]);
        free(r->harper_error);
        json_object_put(r->early);
        free(r);
}

static void on_units_described(const SysinfoUnit *units, size_t n_units, void *userdata) {
        Request *r = ASSERT_PTR(userdata);

        if (units_copy(r, units, n_units) < 0) {
                log_warning("Out of memory while keeping systemd's answer about Harper's units.");
                units_free(r->units, r->n_units);
                r->units = NULL;
                r->n_units = 0;
        }
        collect_early(r);
        request_unref(r);
}

static void on_harper_answers(const SysinfoHarper *harper, void *userdata) {
        Request *r = ASSERT_PTR(userdata);

        assert(harper);

        for (unsigned q = 0; q < _SYSINFO_HARPER_QUESTION_MAX; q++)
                r->harper.answers[q] = json_object_get(harper->answers[q]);
        r->harper_error = harper->error ? strdup(harper->error) : NULL;
        r->harper.error = harper->error ? (r->harper_error ?: "Out of memory while asking Harper.") : NULL;
        r->harper_answered = true;
        request_unref(r);
}

/* The instance and the clustering units by name, the workers by pattern (for their
 * accounting only). */
static int ask_about_units(Request *r) {
        Context *c = r->context;
        /* services Harper restarts itself have no units of their own */
        char **clustering = c->config.services[HARPER_SERVICE_CLUSTERING].units;
        char **workers = c->config.services[HARPER_SERVICE_HTTP_WORKERS].units;
        size_t n = 0, n_clustering = 0;

        while (clustering && clustering[n_clustering])
                n_clustering++;
        _cleanup_free_ UnitRole *units = calloc(n_clustering + 1, sizeof(UnitRole));
        if (!units)
                return -ENOMEM;
        units[n++] = (UnitRole) { c->config.instance_unit, "instance" };
        for (char **u = clustering; u && *u; u++)
                if (!unit_name_is_pattern(*u))
                        units[n++] = (UnitRole) { *u, "clustering" };
        return systemd_client_describe_units(c->systemd, units, n, workers, r->sections & (1u << SYSINFO_UNIT_METRICS),
                                             on_units_described, r);
}

/* systemd and Harper at once, each only when a section needs it; either may answer at once. */
static void ask_everyone(Request *r) {
        Context *c = r->context;
        uint64_t harper_usec = (uint64_t) c->config.harper.query_timeout_ms * 1000;

        r->pending = 1;
        if (r->sections & NEEDS_UNITS) {
                r->pending++;
                if (ask_about_units(r) < 0)
                        request_unref(r);
        }
        r->harper_asked = sysinfo_harper_needed(r->sections);
        if (r->harper_asked) {
                r->pending++;
                if (harper_sysinfo_ask(c->locator, c->harper, r->sections, harper_usec, on_harper_answers, r) < 0) {
                        r->harper.error = "Out of memory while asking Harper.";
                        request_unref(r);
                }
        }
        request_unref(r);
}

static unsigned sections_from_names(const char **names, size_t n) {
        json_object *array = json_object_new_array();
        unsigned sections;

        for (size_t i = 0; array && i < n; i++)
                json_object_array_add(array, json_object_new_string(names[i]));
        sections = sysinfo_sections_from_json(array);
        json_object_put(array);
        return sections;
}

int method_system_information(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Context *c = ASSERT_PTR(userdata);
        const char *names[SYSOPS_MAX_ATTRIBUTES];
        unsigned sections;
        Request *r;
        int k;

        /* bounded, so cheap to read again when the call comes back with polkit's answer */
        k = bus_read_names(m, "attributes", names, SYSOPS_MAX_ATTRIBUTES, SYSOPS_MAX_ATTRIBUTE_BYTES, error);
        if (k < 0)
                return k;
        sections = sections_from_names(names, (size_t) k);

        k = authorizer_check(c->authorizer, m, SYSOPS_ACTION_SYSTEM_INFORMATION, error);
        if (k <= 0)
                return k < 0 ? k : 1;

        r = calloc(1, sizeof(Request));
        if (!r)
                return -ENOMEM;
        r->context = c;
        r->call = sd_bus_message_ref(m);
        r->sections = sections;
        ask_everyone(r);
        return 1;
}
