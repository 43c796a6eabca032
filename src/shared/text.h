/* Small helpers for the daemon's sentences and clock. No bus types. */
#pragma once

#include <stdint.h>

/* A newly allocated formatted string; NULL when out of memory. */
char *text_printf(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* The wall clock in ms since the epoch (Harper's time stamps). */
uint64_t now_ms(void);
