/* SPDX-License-Identifier: MIT */
/* The status rules (src/shared/status-rules.c) and the store behind them. Input: one byte of
 * field kinds (bits 0-1 the id's, 2-3 the status's: string, missing, not a string), then the
 * id, 0xff, the status (0xff is never UTF-8, so it cannot hide a case). */
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "macro.h"
#include "status-rules.h"
#include "status-store.h"

static StatusField field_of(unsigned kind, const char *text, size_t length) {
        if (kind % 3 == FIELD_STRING)
                return status_field_string_len(text, length);
        return status_field_of_kind((FieldKind) (kind % 3));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 1)
                return 0;
        unsigned kinds = data[0];
        _cleanup_free_ char *text = fuzz_strndup(data + 1, size - 1);
        size_t length = size - 1;
        char *split = memchr(text, 0xff, length);
        size_t id_length = split ? (size_t) (split - text) : length;
        const char *status = split ? split + 1 : "";
        size_t status_length = split ? length - id_length - 1 : 0;

        if (split)
                *split = 0;
        StatusField id = field_of(kinds & 3, text, id_length);
        StatusField value = field_of((kinds >> 2) & 3, status, status_length);
        _cleanup_free_ char *problem = status_check_set(id, value);
        free(status_check_clear(id));   /* the same id through clear_status's rule */
        utf8_count_chars(text, id_length);

        /* what the rules let through, the store keeps (as the daemon does) */
        if (!problem && id.kind == FIELD_STRING && value.kind == FIELD_STRING) {
                StatusStore store;
                const StatusRecord *listed[_STATUS_ID_MAX];
                StatusId sid = status_id_from_string(text);

                if (sid == _STATUS_ID_INVALID || !status_id_to_string(sid))
                        abort();   /* the rules accepted an id the store cannot hold */
                status_store_init(&store);
                status_store_set(&store, sid, status, 1);
                status_store_list(&store, listed);
                status_store_clear(&store, sid);
                status_store_done(&store);
        }
        return 0;
}
