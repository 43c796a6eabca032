/* SystemInformation(): polkit, then what systemd knows about Harper's units (asked all at once,
 * asynchronously), then the collectors in src/sysinfo, answered as one JSON string (as
 * hostnamed's Describe() does). */
#include <errno.h>
#include <stdio.h>
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

/* The properties asked, one Get() each: systemd answers a single property in a fraction of
 * the time a GetAll() of the Service interface (a few hundred properties) takes, and all the
 * questions go out at once. */
typedef enum Field {
        FIELD_MAIN_PID,
        FIELD_CONTROL_GROUP,
        FIELD_ACTIVE_ENTER,
        FIELD_N_RESTARTS,
        FIELD_CPU,
        FIELD_MEMORY,
        FIELD_MEMORY_PEAK,     /* systemd ≥ 255; older ones answer UnknownProperty: null */
        FIELD_TASKS,
        FIELD_IO_READ,
        FIELD_IO_WRITE,
        FIELD_IP_IN,
        FIELD_IP_OUT,
        _FIELD_MAX,
        /* not properties: one list call answers ActiveState for many units */
        FIELD_WORKERS = _FIELD_MAX,   /* ListUnitsByPatterns: the running workers */
        FIELD_STATES,                 /* ListUnitsByNames: the instance and clustering units */
} Field;

static const struct {
        const char *interface, *name;
} properties[_FIELD_MAX] = {
        [FIELD_MAIN_PID] = { "Service", "MainPID" },
        [FIELD_CONTROL_GROUP] = { "Service", "ControlGroup" },
        [FIELD_ACTIVE_ENTER] = { "Unit", "ActiveEnterTimestamp" },
        [FIELD_N_RESTARTS] = { "Service", "NRestarts" },
        [FIELD_CPU] = { "Service", "CPUUsageNSec" },
        [FIELD_MEMORY] = { "Service", "MemoryCurrent" },
        [FIELD_MEMORY_PEAK] = { "Service", "MemoryPeak" },
        [FIELD_TASKS] = { "Service", "TasksCurrent" },
        [FIELD_IO_READ] = { "Service", "IOReadBytes" },
        [FIELD_IO_WRITE] = { "Service", "IOWriteBytes" },
        [FIELD_IP_IN] = { "Service", "IPIngressBytes" },
        [FIELD_IP_OUT] = { "Service", "IPEgressBytes" },
};

/* systemd before 255 has no MemoryPeak; once it said so, it is not asked again (a newer
 * systemd is noticed when harper-sysopsd restarts) */
static bool memory_peak_unknown;

typedef struct Query {
        Request *request;
        Field field;
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

        size_t n_peers = c->config.n_peers;
        SysinfoPeer peers[n_peers ? n_peers : 1];
        char *ssh[n_peers ? n_peers : 1];

        for (size_t i = 0; i < r->n_units; i++)
                units[i] = r->units[i].u;
        src.units = units;
        src.n_units = r->n_units;
        /* replication: the configured peers, an ssh one as ssh:HOST */
        for (size_t i = 0; i < n_peers; i++) {
                const PeerConfig *p = &c->config.peers[i];
                ssh[i] = NULL;
                if (p->ssh && asprintf(&ssh[i], "ssh:%s", p->ssh) < 0)
                        ssh[i] = NULL;
                peers[i] = (SysinfoPeer) { p->name, p->address ? p->address : ssh[i] };
        }
        src.peers = peers;
        src.n_peers = n_peers;

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
        for (size_t i = 0; i < n_peers; i++)
                free(ssh[i]);
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

static int set_string(char **field, const char *value) {
        char *copy = strdup(value);

        if (!copy)
                return -ENOMEM;
        free(*field);
        *field = copy;
        return 0;
}

static uint64_t *counter(UnitInfo *info, Field f) {
        switch (f) {
        case FIELD_ACTIVE_ENTER: return &info->u.active_enter_usec;
        case FIELD_CPU: return &info->u.cpu_usage_nsec;
        case FIELD_MEMORY: return &info->u.memory_current;
        case FIELD_MEMORY_PEAK: return &info->u.memory_peak;
        case FIELD_TASKS: return &info->u.tasks_current;
        case FIELD_IO_READ: return &info->u.io_read_bytes;
        case FIELD_IO_WRITE: return &info->u.io_write_bytes;
        case FIELD_IP_IN: return &info->u.ip_ingress_bytes;
        case FIELD_IP_OUT: return &info->u.ip_egress_bytes;
        default: return NULL;
        }
}

static int read_property(sd_bus_message *m, UnitInfo *info, Field f) {
        const char *s;
        uint32_t n;
        int k;

        switch (f) {
        case FIELD_MAIN_PID:
                return sd_bus_message_read(m, "v", "u", &info->u.main_pid);
        case FIELD_N_RESTARTS:
                k = sd_bus_message_read(m, "v", "u", &n);
                if (k >= 0)
                        info->u.n_restarts = n;
                return k;
        case FIELD_CONTROL_GROUP:
                k = sd_bus_message_read(m, "v", "s", &s);
                if (k >= 0)
                        k = set_string(&info->control_group, s);
                info->u.control_group = info->control_group;
                return k;
        default:
                return sd_bus_message_read(m, "v", "t", counter(info, f));
        }
}

static int ask(Request *r, sd_bus *bus, Field field, size_t unit, sd_bus_message *m);

static const Field metrics_fields[] = {
        FIELD_ACTIVE_ENTER, FIELD_N_RESTARTS, FIELD_CPU, FIELD_MEMORY, FIELD_MEMORY_PEAK, FIELD_TASKS,
        FIELD_IO_READ, FIELD_IO_WRITE, FIELD_IP_IN, FIELD_IP_OUT,
};

/* Asks for each of a unit's accounting figures. */
static int ask_metrics(Request *r, sd_bus *bus, size_t unit) {
        int k = 0;

        for (size_t i = 0; k >= 0 && i < sizeof metrics_fields / sizeof metrics_fields[0]; i++)
                if (metrics_fields[i] != FIELD_MEMORY_PEAK || !memory_peak_unknown)
                        k = ask(r, bus, metrics_fields[i], unit, NULL);
        return k;
}

/* A list of units (name, …, ActiveState, …): the states of units we know; with add, the
 * units are workers we did not know, and their accounting is asked for. */
static int read_unit_list(Request *r, sd_bus_message *reply, bool add) {
        const char *name, *active_state;
        int k;

        k = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
        while (k > 0) {
                size_t i = 0;

                k = sd_bus_message_read(reply, "(ssssssouso)", &name, NULL, NULL, &active_state, NULL, NULL, NULL,
                                        NULL, NULL, NULL);
                if (k <= 0)
                        break;
                while (i < r->n_units && strcmp(r->units[i].name, name) != 0)
                        i++;
                if (i == r->n_units && !add)
                        continue;
                int done = i < r->n_units ? 0 : add_unit(r, name, "worker");
                UnitInfo *info = &r->units[i];
                if (done >= 0 && (done = set_string(&info->active_state, active_state)) >= 0)
                        info->u.active_state = info->active_state;
                if (done >= 0 && add)
                        done = ask_metrics(r, sd_bus_message_get_bus(reply), i);
                if (done < 0)
                        k = done;
        }
        return k;
}

static int on_answer(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Query *q = userdata;
        Request *r = q->request;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        int k;

        /* an error leaves the value unknown (null), it does not fail the call */
        if (e) {
                if (q->field == FIELD_MEMORY_PEAK && sd_bus_error_has_name(e, SD_BUS_ERROR_UNKNOWN_PROPERTY))
                        memory_peak_unknown = true;
                else
                        log_debug("systemd did not answer a system information question: %s", e->message);
                return 0;
        }
        k = q->field >= _FIELD_MAX ? read_unit_list(r, reply, q->field == FIELD_WORKERS) :
                read_property(reply, &r->units[q->unit], q->field);
        if (k < 0)
                log_warning("Cannot read systemd's answer about %s: %s",
                            q->field >= _FIELD_MAX ? "the units" : r->units[q->unit].name, strerror(-k));
        return 0;
}

/* Sends one question to systemd; m is the prepared call for the list fields. */
static int ask(Request *r, sd_bus *bus, Field field, size_t unit, sd_bus_message *m) {
        sd_bus_message *call = sd_bus_message_ref(m);
        sd_bus_slot *slot = NULL;
        char *path = NULL, interface[64];
        Query *q;
        int k = 0;

        if (field < _FIELD_MAX) {
                snprintf(interface, sizeof interface, "org.freedesktop.systemd1.%s", properties[field].interface);
                k = sd_bus_path_encode("/org/freedesktop/systemd1/unit", r->units[unit].name, &path);
                if (k >= 0)
                        k = sd_bus_message_new_method_call(bus, &call, SYSTEMD_NAME, path,
                                                           "org.freedesktop.DBus.Properties", "Get");
                if (k >= 0)
                        k = sd_bus_message_append(call, "ss", interface, properties[field].name);
                free(path);
        }
        q = k >= 0 ? malloc(sizeof(Query)) : NULL;
        if (k >= 0 && !q)
                k = -ENOMEM;
        if (k >= 0) {
                *q = (Query) { r, field, unit };
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

/* ListUnitsByPatterns(running states, patterns) or ListUnitsByNames(names). */
static int ask_list(Request *r, sd_bus *bus, Field field, char **names) {
        static const char *const running[] = { "active", "activating", "reloading", NULL };
        sd_bus_message *list = NULL;
        int k;

        k = sd_bus_message_new_method_call(bus, &list, SYSTEMD_NAME, "/org/freedesktop/systemd1",
                                           "org.freedesktop.systemd1.Manager",
                                           field == FIELD_WORKERS ? "ListUnitsByPatterns" : "ListUnitsByNames");
        if (k >= 0 && field == FIELD_WORKERS)
                k = sd_bus_message_append_strv(list, (char **) running);
        if (k >= 0)
                k = sd_bus_message_append_strv(list, names);
        if (k >= 0)
                k = ask(r, bus, field, 0, list);
        sd_bus_message_unref(list);
        return k;
}

static int ask_about_units(Request *r) {
        Context *c = r->context;
        char **clustering = c->config.services[HARPER_SERVICE_CLUSTERING].units;
        char **workers = c->config.services[HARPER_SERVICE_HTTP_WORKERS].units;
        bool metrics = r->sections & (1u << SYSINFO_METRICS);
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

        /* worker units only matter for their accounting: the list first, it takes a round trip more */
        if (k >= 0 && metrics)
                k = ask_list(r, bus, FIELD_WORKERS, workers);
        if (k >= 0 && metrics) {
                char *names[r->n_units + 1];
                for (size_t i = 0; i < r->n_units; i++)
                        names[i] = r->units[i].name;
                names[r->n_units] = NULL;
                k = ask_list(r, bus, FIELD_STATES, names);
        }
        for (size_t i = 0; k >= 0 && i < r->n_units; i++) {
                k = ask(r, bus, FIELD_MAIN_PID, i, NULL);
                if (k >= 0)
                        k = ask(r, bus, FIELD_CONTROL_GROUP, i, NULL);
                if (k >= 0 && metrics)
                        k = ask_metrics(r, bus, i);
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
