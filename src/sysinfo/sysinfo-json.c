/* SPDX-License-Identifier: MIT */
/* JSON builders: numbers as Node prints them, adds that free what they could not add. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sysinfo-json.h"

json_object *si_json_u64(uint64_t v) {
        if (v == UINT64_MAX)
                return NULL;
        if (v <= INT64_MAX)
                return json_object_new_int64((int64_t) v);
        return json_object_new_uint64(v);
}

json_object *si_json_double(double d) {
        char buf[64];

        if (!isfinite(d))
                return NULL;
        if (d == 0)
                d = 0;   /* no "-0" */
        /* json-c prints doubles with %.17g (2.6 → 2.6000000000000001); Node prints the shortest
         * text that reads back as the same number: do that */
        for (int prec = 15; prec <= 17; prec++) {
                snprintf(buf, sizeof buf, "%.*g", prec, d);
                if (strtod(buf, NULL) == d)
                        break;
        }
        return json_object_new_double_s(d, buf);
}

json_object *si_json_string(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}

int si_add(json_object *o, const char *key, json_object *v) {
        if (json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

int si_append(json_object *a, json_object *v) {
        if (json_object_array_add(a, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

double si_round(double d, int decimals) {
        double m = pow(10, decimals);
        return round(d * m) / m;
}
