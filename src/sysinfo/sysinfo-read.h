/* SPDX-License-Identifier: MIT */
/* Pure readers: files under a root prefix ("" = this machine) and parsers of their text. No
 * state, no JSON. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Reads root+path whole into a NUL-terminated buffer. Returns the length or -errno. */
int si_read_file(const char *root, const char *path, char **ret);
/* Reads the first line of root+path (trailing newline cut) into a new string. */
int si_read_line(const char *root, const char *path, char **ret);
/* Reads an unsigned decimal (first word) from root+path. */
int si_read_u64(const char *root, const char *path, uint64_t *ret);

/* a * b and a + b, or UINT64_MAX (unknown, null in the answer) when an operand is unknown or
 * the result does not fit: a figure beyond 64 bits must not wrap into a small wrong one. */
uint64_t si_mul_u64(uint64_t a, uint64_t b);
uint64_t si_add_u64(uint64_t a, uint64_t b);

/* The kB value of "key:" in /proc/meminfo text, as bytes; UINT64_MAX when missing or too big. */
uint64_t si_meminfo_bytes(const char *meminfo, const char *key);

/* The fields of /proc/<pid>/stat we use (proc(5) numbering in si_proc_stat()). */
typedef struct ProcStat {
        char comm[64];
        char state;
        long long ppid, tty_nr, utime, stime, priority, nice, starttime, vsize, rss;
} ProcStat;
/* Parses root+path (/proc/<pid>/stat or a task's). Returns 0 or -errno. */
int si_proc_stat(const char *root, const char *path, ProcStat *ret);

/* The next logical CPU of /proc/cpuinfo text (a blank-line separated block with a "processor"
 * line) at or after *pos: sets [*block, *block_end) and moves *pos on; false when none is left. */
bool si_cpuinfo_next_cpu(const char **pos, const char *end, const char **block, const char **block_end);
/* The value of a "key\t: value" line in [block, end), not terminated, its length in *len; NULL
 * when the key is not there. */
const char *si_cpuinfo_value(const char *block, const char *end, const char *key, size_t *len);
/* The number of logical CPUs in /proc/cpuinfo text (0 when it has no "processor" lines). */
unsigned si_cpuinfo_processors(const char *cpuinfo);
