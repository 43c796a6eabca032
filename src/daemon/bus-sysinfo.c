/* SystemInformation(): polkit, then what systemd knows about Harper's units (asked all at once,
 * asynchronously), then the collectors in src/sysinfo, answered as one JSON string (as
 * hostnamed's Describe() does). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-args.h"
#include "bus-sysinfo.h"
#include "context.h"
#include "log.h"
#include "sysinfo.h"
#include "sysops-names.h"

/* Sections that need the instance's main process or the units' cgroups. */
#define NEEDS_UNITS ((1u << SYSINFO_TIME) | (1u << SYSINFO_MEMORY) | (1u << SYSINFO_HARPERDB_PROCESSES) | \
                     (1u << SYSINFO_THREADS) | (1u << SYSINFO_METRICS))

typedef struct Request {
        Context *context;
        sd_bus_message *call;
        unsigned sections;
} Request;

static void answer(Request *r, const SysinfoUnit *units, size_t n_units) {
        Context *c = r->context;
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

        src.units = units;
        src.n_units = n_units;
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

static void on_units_described(const SysinfoUnit *units, size_t n_units, void *userdata) {
        Request *r = userdata;

        answer(r, units, n_units);
        sd_bus_message_unref(r->call);
        free(r);
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
        UnitRole units[n_clustering + 1];
        units[n++] = (UnitRole) { c->config.instance_unit, "instance" };
        for (char **u = clustering; u && *u; u++)
                if (!unit_name_is_pattern(*u))
                        units[n++] = (UnitRole) { *u, "clustering" };
        return systemd_client_describe_units(c->systemd, units, n, workers, r->sections & (1u << SYSINFO_METRICS),
                                             on_units_described, r);
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
        Context *c = userdata;
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

        if (!(r->sections & NEEDS_UNITS) || ask_about_units(r) < 0)
                on_units_described(NULL, 0, r);
        return 1;
}
