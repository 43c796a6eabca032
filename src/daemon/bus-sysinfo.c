/* SystemInformation(): polkit, then what systemd knows about Harper's units (asked all at once,
 * asynchronously), then the collectors in src/sysinfo, answered as one JSON string (as
 * hostnamed's Describe() does). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-sysinfo.h"
#include "context.h"
#include "log.h"
#include "sysinfo.h"
#include "sysops-names.h"

#define SYSTEMD_NAME "org.freedesktop.systemd1"
/* a systemd that does not answer costs the caller this much, then its units show null */
#define SYSTEMD_QUERY_USEC (5 * 1000000ULL)

/* Sections that need the instance's main process or the units' cgroups. */
#define NEEDS_UNITS ((1u << SYSINFO_TIME) | (1u << SYSINFO_MEMORY) | (1u << SYSINFO_HARPERDB_PROCESSES) | \
                     (1u << SYSINFO_THREADS) | (1u << SYSINFO_METRICS))

typedef struct UnitInfo {
        SysinfoUnit u;         /* the strings below are its own */
        char *name, *control_group, *active_state;
} UnitInfo;

typedef struct Request {
        Context *context;
        sd_bus_message *call;
        unsigned sections;
        UnitInfo *units;
        size_t n_units;
        unsigned pending;      /* systemd questions not yet answered */
} Request;

typedef enum QueryKind {
        QUERY_SERVICE,         /* GetAll of the Service interface: cgroup, MainPID, accounting */
        QUERY_UNIT,            /* GetAll of the Unit interface: ActiveState, ActiveEnterTimestamp */
        QUERY_WORKERS,         /* ListUnitsByPatterns for the running workers */
} QueryKind;

typedef struct Query {
        Request *request;
        QueryKind kind;
        size_t unit;           /* index into request->units */
} Query;

static void request_free(Request *r) {
        for (size_t i = 0; i < r->n_units; i++) {
                free(r->units[i].name);
                free(r->units[i].control_group);
                free(r->units[i].active_state);
        }
        free(r->units);
        sd_bus_message_unref(r->call);
        free(r);
}

static void answer(Request *r) {
        Context *c = r->context;
        SysinfoUnit units[r->n_units ? r->n_units : 1];
        SysinfoSources src = {
                .disk = c->config.sysinfo_disk,
                .network = c->config.sysinfo_network,
                .data_dir = c->config.data_dir,
        };
        json_object *result = NULL;
        int k;

        for (size_t i = 0; i < r->n_units; i++)
                units[i] = r->units[i].u;
        src.units = units;
        src.n_units = r->n_units;

        k = sysinfo_collect(c->sysinfo, &src, r->sections, &result);
        if (k < 0)
                k = sd_bus_reply_method_errnof(r->call, -k, "Cannot collect system information: %m");
        else
                k = sd_bus_reply_method_return(r->call, "s",
                                               json_object_to_json_string_ext(result, JSON_C_TO_STRING_PLAIN |
                                                                              JSON_C_TO_STRING_NOSLASHESCAPE));
        if (k < 0)
                log_warning("Cannot answer SystemInformation: %s", strerror(-k));
        json_object_put(result);
}

/* Each query's slot frees it; the last one answers the call. */
static void query_done(void *userdata) {
        Query *q = userdata;
        Request *r = q->request;

        free(q);
        if (--r->pending > 0)
                return;
        answer(r);
        request_free(r);
}

static int add_unit(Request *r, const char *name, const char *role) {
        UnitInfo *grown = realloc(r->units, (r->n_units + 1) * sizeof(UnitInfo));
        UnitInfo *info;

        if (!grown)
                return -ENOMEM;
        r->units = grown;
        info = &r->units[r->n_units];
        *info = (UnitInfo) {};
        info->name = strdup(name);
        if (!info->name)
                return -ENOMEM;
        r->n_units++;
        info->u = (SysinfoUnit) {
                .name = info->name,
                .role = role,
                .cpu_usage_nsec = UINT64_MAX, .memory_current = UINT64_MAX, .memory_peak = UINT64_MAX,
                .tasks_current = UINT64_MAX, .io_read_bytes = UINT64_MAX, .io_write_bytes = UINT64_MAX,
                .ip_ingress_bytes = UINT64_MAX, .ip_egress_bytes = UINT64_MAX, .n_restarts = UINT64_MAX,
        };
        return 0;
}

static int read_string_into(sd_bus_message *m, char **field) {
        const char *s;
        int k = sd_bus_message_read(m, "v", "s", &s);

        if (k < 0)
                return k;
        free(*field);
        *field = strdup(s);
        return *field ? 0 : -ENOMEM;
}

/* Reads the properties we know from a GetAll answer into info; the rest is skipped. */
static int read_properties(sd_bus_message *m, UnitInfo *info) {
        static const struct { const char *name; size_t offset; } counters[] = {
                { "CPUUsageNSec", offsetof(SysinfoUnit, cpu_usage_nsec) },
                { "MemoryCurrent", offsetof(SysinfoUnit, memory_current) },
                { "MemoryPeak", offsetof(SysinfoUnit, memory_peak) },
                { "TasksCurrent", offsetof(SysinfoUnit, tasks_current) },
                { "IOReadBytes", offsetof(SysinfoUnit, io_read_bytes) },
                { "IOWriteBytes", offsetof(SysinfoUnit, io_write_bytes) },
                { "IPIngressBytes", offsetof(SysinfoUnit, ip_ingress_bytes) },
                { "IPEgressBytes", offsetof(SysinfoUnit, ip_egress_bytes) },
                { "ActiveEnterTimestamp", offsetof(SysinfoUnit, active_enter_usec) },
        };
        const char *name;
        int k;

        k = sd_bus_message_enter_container(m, 'a', "{sv}");
        while (k > 0) {
                k = sd_bus_message_enter_container(m, 'e', "sv");
                if (k <= 0)
                        break;
                k = sd_bus_message_read(m, "s", &name);
                if (k < 0)
                        break;
                size_t i = 0;
                while (i < sizeof counters / sizeof counters[0] && strcmp(name, counters[i].name) != 0)
                        i++;
                if (i < sizeof counters / sizeof counters[0])
                        k = sd_bus_message_read(m, "v", "t", (uint8_t *) &info->u + counters[i].offset);
                else if (strcmp(name, "MainPID") == 0)
                        k = sd_bus_message_read(m, "v", "u", &info->u.main_pid);
                else if (strcmp(name, "NRestarts") == 0) {
                        uint32_t n;
                        k = sd_bus_message_read(m, "v", "u", &n);
                        info->u.n_restarts = n;
                } else if (strcmp(name, "ControlGroup") == 0)
                        k = read_string_into(m, &info->control_group);
                else if (strcmp(name, "ActiveState") == 0)
                        k = read_string_into(m, &info->active_state);
                else
                        k = sd_bus_message_skip(m, "v");
                if (k >= 0)
                        k = sd_bus_message_exit_container(m);
        }
        info->u.control_group = info->control_group;
        info->u.active_state = info->active_state;
        return k;
}

static int ask(Request *r, sd_bus *bus, QueryKind kind, size_t unit, sd_bus_message *m);

static int on_answer(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Query *q = userdata;
        Request *r = q->request;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        const char *name;
        int k;

        /* an error leaves the unit's values unknown (null), it does not fail the call */
        if (e) {
                log_debug("systemd did not answer a system information question: %s", e->message);
                return 0;
        }
        if (q->kind != QUERY_WORKERS) {
                k = read_properties(reply, &r->units[q->unit]);
                if (k < 0)
                        log_debug("Cannot read the properties of %s: %s", r->units[q->unit].name, strerror(-k));
                return 0;
        }

        k = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
        while (k > 0) {
                k = sd_bus_message_read(reply, "(ssssssouso)", &name, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                                        NULL, NULL);
                if (k <= 0)
                        break;
                int asked = add_unit(r, name, "worker");
                if (asked >= 0)
                        asked = ask(r, sd_bus_message_get_bus(reply), QUERY_SERVICE, r->n_units - 1, NULL);
                if (asked >= 0)
                        asked = ask(r, sd_bus_message_get_bus(reply), QUERY_UNIT, r->n_units - 1, NULL);
                if (asked < 0)
                        k = asked;
        }
        if (k < 0)
                log_warning("Cannot ask systemd about the workers: %s", strerror(-k));
        return 0;
}

/* Sends one question to systemd; m is the prepared call for QUERY_WORKERS. */
static int ask(Request *r, sd_bus *bus, QueryKind kind, size_t unit, sd_bus_message *m) {
        sd_bus_message *call = sd_bus_message_ref(m);
        sd_bus_slot *slot = NULL;
        char *path = NULL;
        Query *q;
        int k = 0;

        if (kind != QUERY_WORKERS) {
                k = sd_bus_path_encode("/org/freedesktop/systemd1/unit", r->units[unit].name, &path);
                if (k >= 0)
                        k = sd_bus_message_new_method_call(bus, &call, SYSTEMD_NAME, path,
                                                           "org.freedesktop.DBus.Properties", "GetAll");
                if (k >= 0)
                        k = sd_bus_message_append(call, "s", kind == QUERY_SERVICE ?
                                                  "org.freedesktop.systemd1.Service" : "org.freedesktop.systemd1.Unit");
                free(path);
        }
        q = k >= 0 ? malloc(sizeof(Query)) : NULL;
        if (k >= 0 && !q)
                k = -ENOMEM;
        if (k >= 0) {
                *q = (Query) { r, kind, unit };
                k = sd_bus_call_async(bus, &slot, call, on_answer, q, SYSTEMD_QUERY_USEC);
                if (k < 0)
                        free(q);
        }
        sd_bus_message_unref(call);
        if (k < 0)
                return k;
        /* the bus owns the question from here; its slot frees q, also when the bus closes */
        r->pending++;
        (void) sd_bus_slot_set_destroy_callback(slot, query_done);
        (void) sd_bus_slot_set_floating(slot, 1);
        sd_bus_slot_unref(slot);
        return 0;
}

static int ask_about_units(Request *r) {
        Context *c = r->context;
        char **clustering = c->config.services[HARPER_SERVICE_CLUSTERING].units;
        char **workers = c->config.services[HARPER_SERVICE_HTTP_WORKERS].units;
        bool metrics = r->sections & (1u << SYSINFO_METRICS);
        sd_bus_message *list = NULL;
        sd_bus *bus;
        int k;

        k = add_unit(r, c->config.instance_unit, "instance");
        for (char **u = clustering; k >= 0 && *u; u++)
                if (!unit_name_is_pattern(*u))
                        k = add_unit(r, *u, "clustering");
        if (k < 0)
                return k;

        k = systemd_client_bus(c->systemd, &bus);
        if (k < 0)
                return 0;   /* no systemd: the units' values stay unknown */

        for (size_t i = 0; k >= 0 && i < r->n_units; i++) {
                k = ask(r, bus, QUERY_SERVICE, i, NULL);
                if (k >= 0 && metrics)
                        k = ask(r, bus, QUERY_UNIT, i, NULL);
        }
        /* worker units only matter for their accounting */
        if (k >= 0 && metrics) {
                static const char *const running[] = { "active", "activating", "reloading", NULL };
                k = sd_bus_message_new_method_call(bus, &list, SYSTEMD_NAME, "/org/freedesktop/systemd1",
                                                   "org.freedesktop.systemd1.Manager", "ListUnitsByPatterns");
                if (k >= 0)
                        k = sd_bus_message_append_strv(list, (char **) running);
                if (k >= 0)
                        k = sd_bus_message_append_strv(list, workers);
                if (k >= 0)
                        k = ask(r, bus, QUERY_WORKERS, 0, list);
                sd_bus_message_unref(list);
        }
        return k;
}

static unsigned sections_from_strv(char **attributes) {
        json_object *array = json_object_new_array();
        unsigned sections;

        for (char **a = attributes; array && a && *a; a++)
                json_object_array_add(array, json_object_new_string(*a));
        sections = sysinfo_sections_from_json(array);
        json_object_put(array);
        return sections;
}

int method_system_information(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Context *c = userdata;
        char **attributes = NULL;
        unsigned sections;
        Request *r;
        int k;

        k = sd_bus_message_read_strv(m, &attributes);
        if (k < 0)
                return k;
        sections = sections_from_strv(attributes);
        for (char **a = attributes; a && *a; a++)
                free(*a);
        free(attributes);

        k = authorizer_check(c->authorizer, m, SYSOPS_ACTION_SYSTEM_INFORMATION, error);
        if (k <= 0)
                return k < 0 ? k : 1;

        r = calloc(1, sizeof(Request));
        if (!r)
                return -ENOMEM;
        r->context = c;
        r->call = sd_bus_message_ref(m);
        r->sections = sections;

        /* one reference of our own, so the request outlives the questions sent below */
        r->pending = 1;
        if (r->sections & NEEDS_UNITS) {
                k = ask_about_units(r);
                if (k < 0)
                        log_warning("Cannot ask systemd about Harper's units: %s", strerror(-k));
        }
        if (--r->pending == 0) {
                answer(r);
                request_free(r);
        }
        return 1;
}
