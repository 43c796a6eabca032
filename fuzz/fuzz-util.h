/* SPDX-License-Identifier: MIT */
/* Helpers shared by the fuzz targets: inputs that the code under test reads from files. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* A directory of this process's own under $TMPDIR (or /tmp), made on the first call and
 * removed at exit; aborts when it cannot be made. */
const char *fuzz_temp_dir(void);

/* Writes size bytes to dir/name (creating the parent directories), replacing what was there;
 * aborts on failure (the target cannot go on without its input). */
void fuzz_write_file(const char *dir, const char *name, const uint8_t *data, size_t size);

/* A NUL-terminated copy of the input (caller frees). */
char *fuzz_strndup(const uint8_t *data, size_t size);
