/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "status-store.h"

void status_store_init(StatusStore *store) {
        assert(store);
        *store = (StatusStore) {};
        for (int i = 0; i < _STATUS_ID_MAX; i++)
                store->records[i] = (StatusRecord) { .id = (StatusId) i };
}

void status_store_done(StatusStore *store) {
        assert(store);
        for (int i = 0; i < _STATUS_ID_MAX; i++) {
                free(store->records[i].status);
                store->records[i].status = NULL;
        }
}

static StatusRecord *put(StatusStore *store, StatusId id, const char *status, uint64_t now) {
        StatusRecord *r;
        char *copy;

        assert(store);
        assert(id >= 0 && id < _STATUS_ID_MAX);
        assert(status);

        r = &store->records[id];
        copy = strdup(status);
        if (!copy)
                return NULL;
        if (!r->status)
                r->created_ms = now;   /* a new record; an overwrite keeps its creation time */
        free(r->status);
        r->status = copy;
        r->updated_ms = now;
        return r;
}

const StatusRecord *status_store_set(StatusStore *s, StatusId id, const char *status, uint64_t now) {
        StatusRecord *r = put(s, id, status, now);

        if (r)
                s->written[id] = true;
        return r;
}

const StatusRecord *status_store_restore(StatusStore *s, StatusId id, const char *status, uint64_t created_ms,
                                         uint64_t updated_ms) {
        StatusRecord *r = put(s, id, status, updated_ms);

        if (r)
                r->created_ms = created_ms && created_ms <= updated_ms ? created_ms : updated_ms;
        return r;
}

const StatusRecord *status_store_get(const StatusStore *store, StatusId id) {
        const StatusRecord *r;

        assert(store);
        assert(id >= 0 && id < _STATUS_ID_MAX);
        r = &store->records[id];
        return r->status ? r : NULL;
}

bool status_store_clear(StatusStore *store, StatusId id) {
        StatusRecord *r;
        bool had;

        assert(store);
        assert(id >= 0 && id < _STATUS_ID_MAX);
        r = &store->records[id];
        had = r->status != NULL;

        free(r->status);
        *r = (StatusRecord) { .id = id };
        store->written[id] = true;
        return had;
}

static int compare_by_name(const void *a, const void *b) {
        const StatusRecord *x = *(const StatusRecord *const *) a, *y = *(const StatusRecord *const *) b;
        return strcmp(status_id_to_string(x->id), status_id_to_string(y->id));
}

unsigned status_store_list(const StatusStore *store, const StatusRecord *out[_STATUS_ID_MAX]) {
        unsigned n = 0;

        assert(store);
        assert(out);
        for (int i = 0; i < _STATUS_ID_MAX; i++)
                if (store->records[i].status)
                        out[n++] = &store->records[i];
        qsort(out, n, sizeof out[0], compare_by_name);
        return n;
}

bool status_store_knows(const StatusStore *store, StatusId id) {
        assert(store);
        assert(id >= 0 && id < _STATUS_ID_MAX);
        return store->complete || store->written[id];
}
