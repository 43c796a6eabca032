/* SPDX-License-Identifier: MIT */
/* How the daemon finds Harper (src/shared/harper-settings.c): the same fuzzed bytes as Harper's
 * harperdb-config.yaml, as a boot properties file, as a unit's Environment= (one entry a line)
 * and as a port value. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "harper-settings.h"

static void environment(char *text) {
        char *entries[64];
        size_t n = 0;

        for (char *line = strtok(text, "\n"); line && n < 63; line = strtok(NULL, "\n"))
                entries[n++] = line;
        entries[n] = NULL;
        free(harper_root_from_environment(entries));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *dir = fuzz_temp_dir();
        char path[PATH_MAX];
        char *config_path = NULL, *error = NULL, *text;
        HarperSettings settings;
        HarperPort port = {};

        fuzz_write_file(dir, HARPER_CONFIG_FILE_NAME, data, size);
        snprintf(path, sizeof path, "%s/%s", dir, HARPER_CONFIG_FILE_NAME);
        if (harper_settings_load(&settings, path, &error) < 0 && !error)
                abort();
        harper_settings_done(&settings);
        free(error);
        error = NULL;

        if (harper_boot_properties_read(path, &config_path, &error) < 0 && !error)
                abort();
        free(config_path);
        free(error);

        text = fuzz_strndup(data, size);
        if (harper_port_parse(text, &port) == 0)
                free(port.host);
        environment(text);
        free(text);
        return 0;
}
