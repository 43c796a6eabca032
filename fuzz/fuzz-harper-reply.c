/* SPDX-License-Identifier: MIT */
/* Harper's answers as the daemon's client collects them (src/shared/harper-reply.c): two bytes
 * of HTTP status, one of the chunk size curl hands over, then the body. */
#include <stdlib.h>

#include "harper-reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        HarperAnswer answer = { .max = 64 * 1024 };
        json_object *reply = NULL;
        char *error = NULL;
        size_t chunk;
        long status;
        int r;

        if (size < 3)
                return 0;
        status = (long) (data[0] | data[1] << 8) % 1000;
        chunk = data[2] + 1u;
        data += 3;
        size -= 3;
        for (size_t at = 0; at < size; at += chunk)
                if (harper_answer_append(&answer, data + at, size - at < chunk ? size - at : chunk) < 0)
                        break;
        r = harper_answer_parse(&answer, status & 1 ? "restart_service" : NULL, status, &reply, &error);
        if ((r < 0) != !reply || (r < 0) != !!error)
                abort();   /* either a reply or one sentence, never both or neither */
        json_object_put(reply);
        free(error);
        harper_answer_done(&answer);
        return 0;
}
