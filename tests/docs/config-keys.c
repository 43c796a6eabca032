/* SPDX-License-Identifier: MIT */
/* Prints, from the parsers' own tables, every key of sysops.json the daemon accepts and every
 * key of Harper's harperdb-config.yaml it reads, for tests/docs/man-pages.py:
 * "sysops.json KEY" and "harperdb-config.yaml KEY" lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harper-settings.h"
#include "macro.h"
#include "sysops-config.h"

int main(void) {
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        if (!f || config_keys_print(f) < 0 || fclose(f) != 0)
                return EXIT_FAILURE;
        for (char *line = text, *end; *line; line = end + 1) {
                end = strchrnul(line, '\n');
                printf("sysops.json %.*s\n", (int) (end - line), line);
                if (!*end)
                        break;
        }
        for (HarperSettingsKey k = 0; k < _HARPER_KEY_MAX; k++)
                printf("harperdb-config.yaml %s\n", harper_settings_key_to_string(k));
        return EXIT_SUCCESS;
}
