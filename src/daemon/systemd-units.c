/* SPDX-License-Identifier: MIT */
/* Unit facts for system_information: one Get() per property, all at once; a question is
 * answered when its last systemd question is (or the connection closes). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "systemd-client-internal.h"
#include "systemd-units.h"

/* a systemd that does not answer system_information's questions costs the caller this much,
 * then its units show null */
#define SYSTEMD_QUERY_USEC (5 * 1000000ULL)

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
        FIELD_STATES,                 /* ListUnitsByNames: the named units */
} Field;

static const struct {
        const char *interface, *name;
} unit_properties[_FIELD_MAX] = {
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

static const Field metrics_fields[] = {
        FIELD_ACTIVE_ENTER, FIELD_N_RESTARTS, FIELD_CPU, FIELD_MEMORY, FIELD_MEMORY_PEAK, FIELD_TASKS,
        FIELD_IO_READ, FIELD_IO_WRITE, FIELD_IP_IN, FIELD_IP_OUT,
};

typedef struct UnitFacts {
        SysinfoUnit u;         /* the strings below are its own */
        char *name, *control_group, *active_state;
} UnitFacts;

/* One describe_units question: answered when its last systemd question is. */
typedef struct UnitsQuestion {
        SystemdClient *client;
        bool accounting;
        UnitFacts *units;
        size_t n_units;
        unsigned pending;      /* systemd questions not yet answered, plus one while sending */
        units_described_callback_t callback;
        void *userdata;
} UnitsQuestion;

typedef struct Query {
        UnitsQuestion *question;
        Field field;
        size_t unit;           /* index into question->units */
} Query;

static void question_answer(UnitsQuestion *q) {
        _cleanup_free_ SysinfoUnit *units = calloc(q->n_units ?: 1, sizeof(SysinfoUnit));

        /* out of memory: every figure stays unknown */
        for (size_t i = 0; units && i < q->n_units; i++)
                units[i] = q->units[i].u;
        q->callback(units, units ? q->n_units : 0, q->userdata);
        for (size_t i = 0; i < q->n_units; i++) {
                free(q->units[i].name);
                free(q->units[i].control_group);
                free(q->units[i].active_state);
        }
        free(q->units);
        free(q);
}

static void question_unref(UnitsQuestion *q) {
        if (--q->pending == 0)
                question_answer(q);
}

/* Each query's slot frees it; the last one answers. */
static void query_done(void *userdata) {
        Query *query = ASSERT_PTR(userdata);
        UnitsQuestion *q = query->question;

        free(query);
        question_unref(q);
}

/* The index of name in q, or q->n_units. */
static size_t find_unit(const UnitsQuestion *q, const char *name) {
        size_t i = 0;

        while (i < q->n_units && strcmp(q->units[i].name, name) != 0)
                i++;
        return i;
}

static int add_unit(UnitsQuestion *q, const char *name, const char *role) {
        UnitFacts *grown = realloc(q->units, (q->n_units + 1) * sizeof(UnitFacts));
        UnitFacts *info;

        if (!grown)
                return -ENOMEM;
        q->units = grown;
        info = &q->units[q->n_units];
        *info = (UnitFacts) {};
        info->name = strdup(name);
        if (!info->name)
                return -ENOMEM;
        q->n_units++;
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

static uint64_t *counter(UnitFacts *info, Field f) {
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

static int read_property(sd_bus_message *m, UnitFacts *info, Field f) {
        const char *s;
        uint32_t n;
        int r;

        switch (f) {
        case FIELD_MAIN_PID:
                return sd_bus_message_read(m, "v", "u", &info->u.main_pid);
        case FIELD_N_RESTARTS:
                r = sd_bus_message_read(m, "v", "u", &n);
                if (r < 0)
                        return r;
                info->u.n_restarts = n;
                return r;
        case FIELD_CONTROL_GROUP:
                r = sd_bus_message_read(m, "v", "s", &s);
                if (r < 0)
                        return r;
                r = set_string(&info->control_group, s);
                info->u.control_group = info->control_group;
                return r;
        default:
                return sd_bus_message_read(m, "v", "t", counter(info, f));
        }
}

static int ask(UnitsQuestion *q, Field field, size_t unit, sd_bus_message *prepared);

/* Asks for each of a unit's accounting figures. */
static int ask_metrics(UnitsQuestion *q, size_t unit) {
        for (size_t i = 0; i < ELEMENTSOF(metrics_fields); i++) {
                if (metrics_fields[i] == FIELD_MEMORY_PEAK && q->client->memory_peak_unknown)
                        continue;
                int r = ask(q, metrics_fields[i], unit, NULL);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* One unit of a list: its state, when we know it; with add, a worker we did not know, and its
 * accounting is asked for. */
static int note_listed_unit(UnitsQuestion *q, const char *name, const char *active_state, bool add) {
        size_t i = find_unit(q, name);
        int r;

        if (i == q->n_units) {
                if (!add)
                        return 0;
                r = add_unit(q, name, "worker");
                if (r < 0)
                        return r;
        }
        r = set_string(&q->units[i].active_state, active_state);
        if (r < 0)
                return r;
        q->units[i].u.active_state = q->units[i].active_state;
        return add ? ask_metrics(q, i) : 0;
}

/* A list of units (name, …, ActiveState, …). */
static int read_unit_list(UnitsQuestion *q, sd_bus_message *reply, bool add) {
        const char *name, *active_state;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
        if (r <= 0)
                return r;
        for (;;) {
                r = sd_bus_message_read(reply, "(ssssssouso)", &name, NULL, NULL, &active_state, NULL, NULL, NULL,
                                        NULL, NULL, NULL);
                if (r <= 0)
                        return r;
                r = note_listed_unit(q, name, active_state, add);
                if (r < 0)
                        return r;
        }
}

static int on_unit_answer(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Query *query = ASSERT_PTR(userdata);
        UnitsQuestion *q = query->question;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        bool list = query->field >= _FIELD_MAX;
        int r;

        /* an error leaves the value unknown (null), it does not fail the question */
        if (e) {
                /* systemd before 255 has no MemoryPeak; once it said so, it is not asked again
                 * (a newer systemd is noticed when harper-sysopsd restarts) */
                if (query->field == FIELD_MEMORY_PEAK && sd_bus_error_has_name(e, SD_BUS_ERROR_UNKNOWN_PROPERTY))
                        q->client->memory_peak_unknown = true;
                else
                        log_debug("systemd did not answer a system information question: %s", e->message);
                return 0;
        }
        r = list ? read_unit_list(q, reply, query->field == FIELD_WORKERS) :
                read_property(reply, &q->units[query->unit], query->field);
        if (r < 0)
                log_warning_errno(r, "Cannot read systemd's answer about %s: %m",
                                  list ? "the units" : q->units[query->unit].name);
        return 0;
}

/* Properties.Get of field of the unit. */
static int new_property_call(UnitsQuestion *q, Field field, size_t unit, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        _cleanup_free_ char *path = NULL;
        char interface[64];
        int r;

        snprintf(interface, sizeof interface, "org.freedesktop.systemd1.%s", unit_properties[field].interface);
        r = sd_bus_path_encode(SYSTEMD_UNIT_PATH_PREFIX, q->units[unit].name, &path);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_call(q->client->bus, &call, SYSTEMD_NAME, path,
                                           "org.freedesktop.DBus.Properties", "Get");
        if (r < 0)
                return r;
        r = sd_bus_message_append(call, "ss", interface, unit_properties[field].name);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(call);
        return 0;
}

/* Sends one question to systemd; prepared is the call for the list fields. */
static int ask(UnitsQuestion *q, Field field, size_t unit, sd_bus_message *prepared) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = sd_bus_message_ref(prepared);
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        _cleanup_free_ Query *query = NULL;
        int r;

        if (field < _FIELD_MAX) {
                r = new_property_call(q, field, unit, &call);
                if (r < 0)
                        return r;
        }
        query = malloc(sizeof(Query));
        if (!query)
                return -ENOMEM;
        *query = (Query) { q, field, unit };
        r = sd_bus_call_async(q->client->bus, &slot, call, on_unit_answer, query, SYSTEMD_QUERY_USEC);
        if (r < 0)
                return r;
        /* the bus owns the question from here; its slot frees query, also when the bus closes */
        TAKE_PTR(query);
        q->pending++;
        (void) sd_bus_slot_set_destroy_callback(slot, query_done);
        (void) sd_bus_slot_set_floating(slot, 1);
        return 0;
}

/* ListUnitsByPatterns(running states, patterns) or ListUnitsByNames(names). */
static int ask_list(UnitsQuestion *q, Field field, char *const *names) {
        static const char *const running[] = { "active", "activating", "reloading", NULL };
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *list = NULL;
        int r;

        r = sd_bus_message_new_method_call(q->client->bus, &list, SYSTEMD_NAME, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                           field == FIELD_WORKERS ? "ListUnitsByPatterns" : "ListUnitsByNames");
        if (r < 0)
                return r;
        if (field == FIELD_WORKERS) {
                r = sd_bus_message_append_strv(list, (char **) running);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_append_strv(list, (char **) names);
        if (r < 0)
                return r;
        return ask(q, field, 0, list);
}

/* The named units' states, in one question. */
static int ask_states(UnitsQuestion *q) {
        _cleanup_free_ char **names = calloc(q->n_units + 1, sizeof(char *));

        if (!names)
                return -ENOMEM;
        for (size_t i = 0; i < q->n_units; i++)
                names[i] = q->units[i].name;
        return ask_list(q, FIELD_STATES, names);
}

/* Every question at once: the worker list first (it takes a round trip more), then the named
 * units' states, then each unit's main process, cgroup and accounting. */
static int ask_all(UnitsQuestion *q, char *const *worker_patterns) {
        size_t n_named = q->n_units;   /* workers are added as their list comes */
        int r;

        if (q->accounting && worker_patterns && *worker_patterns) {
                r = ask_list(q, FIELD_WORKERS, worker_patterns);
                if (r < 0)
                        return r;
        }
        if (q->accounting) {
                r = ask_states(q);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < n_named; i++) {
                r = ask(q, FIELD_MAIN_PID, i, NULL);
                if (r < 0)
                        return r;
                r = ask(q, FIELD_CONTROL_GROUP, i, NULL);
                if (r < 0)
                        return r;
                if (q->accounting) {
                        r = ask_metrics(q, i);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int add_and_ask(UnitsQuestion *q, const UnitRole *units, size_t n_units, char *const *worker_patterns) {
        int r;

        for (size_t i = 0; i < n_units; i++) {
                if (find_unit(q, units[i].name) < q->n_units)
                        continue;      /* each unit once, in its first role */
                r = add_unit(q, units[i].name, units[i].role);
                if (r < 0)
                        return r;
        }
        if (systemd_client_connect(q->client) < 0)
                return 0;      /* no systemd: the units' values stay unknown */
        return ask_all(q, worker_patterns);
}

int systemd_client_describe_units(SystemdClient *c, const UnitRole *units, size_t n_units,
                                  char *const *worker_patterns, bool accounting,
                                  units_described_callback_t callback, void *userdata) {
        UnitsQuestion *q;
        int r;

        assert(c);
        assert(units || n_units == 0);
        assert(callback);
        q = calloc(1, sizeof(UnitsQuestion));
        if (!q)
                return -ENOMEM;
        *q = (UnitsQuestion) { .client = c, .accounting = accounting, .callback = callback, .userdata = userdata };
        /* one reference of our own while the questions go out, so none can answer early */
        q->pending = 1;
        r = add_and_ask(q, units, n_units, worker_patterns);
        if (r < 0)
                log_warning_errno(r, "Cannot ask systemd about Harper's units: %m");
        question_unref(q);
        return 0;
}
