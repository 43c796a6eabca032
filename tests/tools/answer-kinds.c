/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer-kinds.h"

#define MAX_KINDS 8

static struct { char name[128]; unsigned long count; } kinds[MAX_KINDS];

void answer_kinds_count(sd_bus_message *reply) {
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        const char *name = e ? e->name : "ok";
        unsigned i = 0;

        while (i < MAX_KINDS && kinds[i].count && strcmp(kinds[i].name, name) != 0)
                i++;
        if (i < MAX_KINDS) {
                snprintf(kinds[i].name, sizeof kinds[i].name, "%s", name);
                kinds[i].count++;
        }
}

static int by_name(const void *a, const void *b) {
        return strcmp((const char *) a, (const char *) b);
}

void answer_kinds_print(void) {
        qsort(kinds, MAX_KINDS, sizeof kinds[0], by_name);
        for (unsigned i = 0; i < MAX_KINDS; i++)
                if (kinds[i].count)
                        printf("%lu %s\n", kinds[i].count, kinds[i].name);
}
