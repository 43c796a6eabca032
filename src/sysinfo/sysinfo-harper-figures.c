/* SPDX-License-Identifier: MIT */
/* Harper's own figures merged into system_information: which questions the sections need, and
 * Harper's answers (harper-behaviour.md §4.2, measured with Harper 4.7.29) in the answer's
 * shapes. A figure Harper did not give is null; nothing here waits or reads a file. */
#include <errno.h>
#include <string.h>

#include "cluster-view.h"
#include "macro.h"
#include "string-table.h"
#include "sysinfo-harper-figures.h"
#include "sysinfo-json.h"
#include "sysinfo-macro.h"
#include "text.h"

/* The sections of Harper's own system_information that hold what only Harper knows. */
static const SysinfoSection from_system_information[] = {
        SYSINFO_SYSTEM, SYSINFO_MEMORY, SYSINFO_METRICS, SYSINFO_THREADS,
};

static unsigned sections_needing(SysinfoHarperQuestion q) {
        unsigned mask = 0;

        switch (q) {
        case SYSINFO_HARPER_SYSTEM_INFORMATION:
                for (size_t i = 0; i < ELEMENTSOF(from_system_information); i++)
                        mask |= 1u << from_system_information[i];
                return mask;
        case SYSINFO_HARPER_DESCRIBE_ALL:
                return 1u << SYSINFO_TABLE_SIZE;
        case SYSINFO_HARPER_CLUSTER_STATUS:
                return 1u << SYSINFO_REPLICATION;
        default:
                return 0;
        }
}

static const char *const harper_operation_table[_SYSINFO_HARPER_QUESTION_MAX] = {
        [SYSINFO_HARPER_SYSTEM_INFORMATION] = "system_information",
        [SYSINFO_HARPER_DESCRIBE_ALL] = "describe_all",
        [SYSINFO_HARPER_CLUSTER_STATUS] = "cluster_status",
};
DEFINE_PRIVATE_STRING_TABLE_LOOKUP_TO_STRING(harper_operation, SysinfoHarperQuestion, _SYSINFO_HARPER_QUESTION_MAX);

/* Harper's system_information with only the attributes the sections need. */
static int add_attributes(json_object *body, unsigned sections) {
        json_object *attributes = json_object_new_array();
        int r = si_add(body, "attributes", attributes);

        if (r < 0 || !attributes)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(from_system_information); i++)
                if (sections & (1u << from_system_information[i]) &&
                    si_append(attributes, json_object_new_string(sysinfo_section_name(from_system_information[i]))) < 0)
                        return -ENOMEM;
        return 0;
}

int sysinfo_harper_question(SysinfoHarperQuestion q, unsigned sections, json_object **ret) {
        _cleanup_json_ json_object *body = NULL;

        assert(ret);

        *ret = NULL;
        if ((unsigned) q >= _SYSINFO_HARPER_QUESTION_MAX || !(sections & sections_needing(q)))
                return 0;
        body = json_object_new_object();
        if (!body || si_add(body, "operation", json_object_new_string(harper_operation_to_string(q))) < 0)
                return -ENOMEM;
        if (q == SYSINFO_HARPER_SYSTEM_INFORMATION && add_attributes(body, sections) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(body);
        return 0;
}

bool sysinfo_harper_needed(unsigned sections) {
        for (unsigned q = 0; q < _SYSINFO_HARPER_QUESTION_MAX; q++)
                if (sections & sections_needing(q))
                        return true;
        return false;
}

static json_object *answer_of(SysinfoCall *c, SysinfoHarperQuestion q) {
        return c->src->harper ? c->src->harper->answers[q] : NULL;
}

/* A new reference to Harper's value of key in o when it has the type, else NULL. */
static json_object *typed(json_object *o, const char *key, json_type type) {
        json_object *v = json_object_object_get(o, key);

        return json_object_is_type(v, type) ? json_object_get(v) : NULL;
}

json_object *si_harper_value(SysinfoCall *c, const char *section, const char *key) {
        json_object *s = json_object_object_get(answer_of(c, SYSINFO_HARPER_SYSTEM_INFORMATION), section);

        return json_object_is_type(s, json_type_object) ? json_object_get(json_object_object_get(s, key)) : NULL;
}

int sysinfo_harper_threads(SysinfoCall *c, void **state, json_object **ret) {
        *ret = typed(answer_of(c, SYSINFO_HARPER_SYSTEM_INFORMATION), "threads", json_type_array);
        return 0;
}

int sysinfo_harper_metrics(SysinfoCall *c, void **state, json_object **ret) {
        *ret = typed(answer_of(c, SYSINFO_HARPER_SYSTEM_INFORMATION), "metrics", json_type_object);
        return 0;
}

/* One table of describe_all ({"schema","name","record_count","table_size","db_size",…}). */
static int table_entry(json_object *arr, const char *database, const char *table, json_object *t) {
        static const char *const figures[] = { "record_count", "table_size", "db_size", "db_audit_size" };
        json_object *o = json_object_new_object();
        int r;

        if (!o || si_append(arr, o) < 0)
                return -ENOMEM;
        if ((r = si_add(o, "database", json_object_new_string(database))) < 0 ||
            (r = si_add(o, "table", json_object_new_string(table))) < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(figures); i++) {
                json_object *v = json_object_object_get(t, figures[i]);

                r = si_add(o, figures[i], json_object_is_type(v, json_type_int) ? json_object_get(v) : NULL);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* describe_all is {database: {table: {...}}}, in Harper's order. */
int sysinfo_harper_table_size(SysinfoCall *c, void **state, json_object **ret) {
        _cleanup_json_ json_object *arr = NULL;
        json_object *all = answer_of(c, SYSINFO_HARPER_DESCRIBE_ALL);

        *ret = NULL;
        if (!json_object_is_type(all, json_type_object))
                return 0;
        arr = json_object_new_array();
        if (!arr)
                return -ENOMEM;
        json_object_object_foreach(all, database, tables) {
                if (!json_object_is_type(tables, json_type_object))
                        continue;
                json_object_object_foreach(tables, table, t)
                        if (json_object_is_type(t, json_type_object) && table_entry(arr, database, table, t) < 0)
                                return -ENOMEM;
        }
        *ret = TAKE_PTR(arr);
        return 0;
}

static int add_peer(json_object *peers, const char *name, const char *address, json_object *url, json_object *connected) {
        json_object *p = json_object_new_object();
        int r;

        if (!p || (r = si_append(peers, p)) < 0)
                return -ENOMEM;
        if ((r = si_add(p, "name", si_json_string(name))) < 0 || (r = si_add(p, "address", si_json_string(address))) < 0)
                return r;
        if (url && ((r = si_add(p, "url", url)) < 0 || (r = si_add(p, "connected", connected)) < 0))
                return r;
        return 0;
}

static const SysinfoPeer *configured_peer(const SysinfoSources *src, const char *name) {
        for (size_t i = 0; i < src->n_peers; i++)
                if (streq(src->peers[i].name, name))
                        return &src->peers[i];
        return NULL;
}

/* Harper's nodes (its cluster_status), each with how a replicated restart reaches it: as the
 * configuration says, else ssh to the host of its URL; null when it is left out. */
static int add_harper_nodes(json_object *peers, const SysinfoSources *src, json_object *status) {
        _cleanup_(cluster_view_done) ClusterView view = {};
        int r;

        r = cluster_view_from_harper(status, NULL, &view);
        if (r < 0)
                return r == -EBADMSG ? 0 : r;
        for (size_t i = 0; i < view.n_nodes; i++) {
                const ClusterNode *n = &view.nodes[i];
                const SysinfoPeer *how = configured_peer(src, n->name);
                _cleanup_free_ char *host = cluster_node_ssh_host(n->name, n->url);
                _cleanup_free_ char *ssh = host ? text_printf("ssh:%s", host) : NULL;

                if (!ssh)
                        return -ENOMEM;
                r = add_peer(peers, n->name, how ? how->address : ssh, si_json_string(n->url),
                             json_object_new_boolean(n->connected));
                if (r < 0)
                        return r;
        }
        return 0;
}

static int add_peers(json_object *o, const SysinfoSources *src, json_object *status) {
        json_object *peers = json_object_new_array();
        int r;

        if ((r = si_add(o, "peers", peers)) < 0 || !peers)
                return -ENOMEM;
        if (json_object_is_type(status, json_type_object))
                return add_harper_nodes(peers, src, status);
        /* without Harper's answer: the nodes the configuration names */
        for (size_t i = 0; i < src->n_peers; i++)
                if ((r = add_peer(peers, src->peers[i].name, src->peers[i].address, NULL, NULL)) < 0)
                        return r;
        return 0;
}

int sysinfo_harper_replication(SysinfoCall *c, void **state, json_object **ret) {
        _cleanup_json_ json_object *o = json_object_new_object();
        json_object *status = answer_of(c, SYSINFO_HARPER_CLUSTER_STATUS);

        if (!o)
                return -ENOMEM;
        if (si_add(o, "cluster_status", json_object_is_type(status, json_type_object) ? json_object_get(status) : NULL) < 0 ||
            add_peers(o, c->src, status) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(o);
        return 0;
}

json_object *si_harper_status(const SysinfoHarper *harper) {
        _cleanup_json_ json_object *o = json_object_new_object();
        const char *error = harper ? harper->error : "Harper was not asked.";

        if (!o || si_add(o, "answered", json_object_new_boolean(!error)) < 0 ||
            (error && si_add(o, "error", json_object_new_string(error)) < 0))
                return NULL;
        return json_object_get(o);   /* the cleanup drops the other reference */
}
