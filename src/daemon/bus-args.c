/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "bus-args.h"
#include "macro.h"
#include "text.h"

/* How much of an oversized argument its refusal quotes. */
#define QUOTED_PREFIX_BYTES 64

int bus_refuse_too_long(sd_bus_error *error, const char *what, const char *value, size_t max_bytes) {
        _cleanup_free_ char *prefix = NULL;

        assert(what);
        assert(value);

        prefix = text_quote(value, QUOTED_PREFIX_BYTES);
        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "%s is too long (at most %zu bytes): '%s'", what,
                                 max_bytes, prefix ? prefix : "…");
}

int bus_refuse_unknown(sd_bus_error *error, const char *name, const char *sentence, const char *value) {
        _cleanup_free_ char *quoted = NULL;

        assert(name);
        assert(sentence);
        assert(value);

        quoted = text_quote(value, QUOTED_PREFIX_BYTES);
        return sd_bus_error_setf(error, name, "%s '%s'.", sentence, quoted ? quoted : "…");
}

/* InvalidArgs for an entry of argument longer than max_bytes. */
static int refuse_long_entry(sd_bus_error *error, const char *argument, const char *name, size_t max_bytes) {
        _cleanup_free_ char *what = text_printf("An entry of '%s'", argument);

        return bus_refuse_too_long(error, what ? what : "An entry", name, max_bytes);
}

int bus_read_names(sd_bus_message *m, const char *argument, const char **names, size_t max_names,
                   size_t max_bytes, sd_bus_error *error) {
        size_t n = 0;
        const char *name;
        int r;

        assert(m);
        assert(argument);
        assert(names);

        /* entered and read one by one: sd_bus_message_read_strv() grows its list one entry at a
         * time, quadratic in the entries (a million took minutes) */
        r = sd_bus_message_enter_container(m, 'a', "s");
        if (r < 0)
                return r;
        while (r > 0) {
                r = sd_bus_message_read_basic(m, 's', &name);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                if (n == max_names)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "'%s' has more than %zu entries.",
                                                 argument, max_names);
                if (strlen(name) > max_bytes)
                        return refuse_long_entry(error, argument, name, max_bytes);
                names[n++] = name;
        }
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        return (int) n;
}
