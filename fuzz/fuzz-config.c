/* SPDX-License-Identifier: MIT */
/* The daemon's configuration parser (src/shared/sysops-config.c) on a file of fuzzed bytes. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz-util.h"
#include "macro.h"
#include "sysops-config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *dir = fuzz_temp_dir();
        char path[PATH_MAX];
        _cleanup_free_ char *problem = NULL;
        Config config;
        int r;

        fuzz_write_file(dir, "sysops.json", data, size);
        snprintf(path, sizeof path, "%s/sysops.json", dir);
        config_defaults(&config);
        r = config_load(&config, path, true, &problem);
        if (r < 0 && !problem)
                abort();   /* every refusal names the problem for the start-up log */
        config_done(&config);
        return 0;
}
