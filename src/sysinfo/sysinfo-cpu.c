/* SPDX-License-Identifier: MIT */
/* Section "cpu": si.cpu() (static, parsed once from /proc/cpuinfo and kept in the state),
 * si.cpuCurrentSpeed() (cpufreq, else cpuinfo's "cpu MHz") and si.currentLoad() (/proc/stat
 * difference since the previous sample). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sysinfo-cpu.h"
#include "sysinfo-json.h"
#include "sysinfo-macro.h"
#include "sysinfo-read.h"

/* si's minimum interval between load samples: a call sooner compares with the older sample */
#define LOAD_SAMPLE_MIN_USEC (200 * 1000ULL)

typedef struct CpuTimes {
        uint64_t user, nice, system, idle, irq, steal, guest;
} CpuTimes;

typedef struct CpuStatic {
        char *manufacturer, *brand, *vendor, *flags;
        double speed;                 /* GHz from the model name; 0 = not given there */
        unsigned cores, physical_cores, processors;
        bool virtualization;
} CpuStatic;

/* The previous /proc/stat sample, to compare the next call's with. */
typedef struct LoadSample {
        bool have;
        uint64_t usec;
        CpuTimes total;
        CpuTimes *cpus;
        unsigned n_cpus;
} LoadSample;

typedef struct CpuState {
        uint64_t static_generation;   /* the root generation info was read under; 0 = not read */
        CpuStatic info;
        LoadSample sample;            /* kept whatever the root */
} CpuState;

static void cpu_static_done(CpuStatic *s) {
        free(s->manufacturer);
        free(s->brand);
        free(s->vendor);
        free(s->flags);
        *s = (CpuStatic) {};
}

/* si's cpuManufacturer(): the last known name found in the lowercased text wins */
static const char *cpu_manufacturer(const char *str) {
        static const struct { const char *needle, *name; } table[] = {
                { "intel", "Intel" }, { "amd", "AMD" }, { "qemu", "QEMU" }, { "hygon", "Hygon" },
                { "centaur", "WinChip/Via" }, { "vmware", "VMware" }, { "tcg", "QEMU" }, { "apple", "Apple" },
                { "sifive", "SiFive" }, { "thead", "T-Head" }, { "andestech", "Andes Technology" },
        };
        char lower[256];
        const char *found = NULL;
        size_t i;

        for (i = 0; str[i] && i < sizeof lower - 1; i++)
                lower[i] = (char) tolower((unsigned char) str[i]);
        lower[i] = 0;
        for (i = 0; i < ELEMENTSOF(table); i++)
                if (strstr(lower, table[i].needle))
                        found = table[i].name;
        return found ?: str;
}

/* lscpu's names for ARM's "CPU implementer" codes (the vendor on ARM) */
static const char *arm_implementer(unsigned long code) {
        switch (code) {
        case 0x41: return "ARM";
        case 0x42: return "Broadcom";
        case 0x43: return "Cavium";
        case 0x46: return "Fujitsu";
        case 0x48: return "HiSilicon";
        case 0x4e: return "NVIDIA";
        case 0x50: return "APM";
        case 0x51: return "Qualcomm";
        case 0x61: return "Apple";
        case 0x69: return "Intel";
        case 0xc0: return "Ampere";
        default: return NULL;
        }
}

/* Replaces every a in s (a buffer of size bytes) with b. */
static void replace_all(char *s, size_t size, const char *a, const char *b) {
        char out[512];
        size_t o = 0, na = strlen(a), nb = strlen(b);

        for (const char *p = s; *p && o < sizeof out - 1;) {
                if (na > 0 && strncmp(p, a, na) == 0) {
                        if (o + nb >= sizeof out - 1)
                                break;
                        memcpy(out + o, b, nb);
                        o += nb;
                        p += na;
                } else
                        out[o++] = *p++;
        }
        out[o] = 0;
        snprintf(s, size, "%s", out);
}

static void collapse_spaces(char *s) {
        char *w = s;
        bool space = true;   /* drops leading blanks */

        for (char *p = s; *p; p++) {
                if (isspace((unsigned char) *p)) {
                        if (!space)
                                *w++ = ' ';
                        space = true;
                } else {
                        *w++ = *p;
                        space = false;
                }
        }
        if (w > s && w[-1] == ' ')
                w--;
        *w = 0;
}

/* si's cpuBrandManufacturer(): "Intel(R) Xeon(R) CPU @ 2.20GHz" → manufacturer "Intel",
 * brand "Xeon®", speed 2.2 */
static int brand_split(const char *model, CpuStatic *s) {
        char brand[512], *at, *first_space;
        const char *manufacturer;

        snprintf(brand, sizeof brand, "%s", model);
        replace_all(brand, sizeof brand, "To Be Filled By O.E.M.", "");
        at = strchr(brand, '@');
        if (at) {
                s->speed = strtod(at + 1, NULL);
                *at = 0;
        }
        if (strstr(brand, "Unknown"))
                *strstr(brand, "Unknown") = 0;
        replace_all(brand, sizeof brand, "(R)", "®");
        replace_all(brand, sizeof brand, "(TM)", "™");
        replace_all(brand, sizeof brand, "(C)", "©");
        replace_all(brand, sizeof brand, "CPU", "");
        collapse_spaces(brand);
        manufacturer = cpu_manufacturer(brand);
        s->manufacturer = strdup(manufacturer);
        first_space = strchr(brand, ' ');
        s->brand = strdup(first_space ? first_space + 1 : "");
        if (!s->manufacturer || !s->brand)
                return -ENOMEM;
        return 0;
}

/* lscpu's counts: logical CPUs, distinct (physical id, core id) pairs, distinct physical ids.
 * Sets [*first, *first_end) to the first CPU's block, the whole text when there is none. */
static void cpu_topology(const char *cpuinfo, CpuStatic *s, const char **first, const char **first_end) {
        struct { long pkg, core; } pairs[1024];
        long pkgs[64];
        unsigned n_pairs = 0, n_pkgs = 0;
        const char *end = cpuinfo + strlen(cpuinfo), *pos = cpuinfo, *b, *e, *v;
        size_t len;

        *first = NULL;
        while (si_cpuinfo_next_cpu(&pos, end, &b, &e)) {
                long pkg = -1, core = -1;
                unsigned i;

                s->cores++;
                if (!*first) {
                        *first = b;
                        *first_end = e;
                }
                if ((v = si_cpuinfo_value(b, e, "physical id", &len)))
                        pkg = strtol(v, NULL, 10);
                if ((v = si_cpuinfo_value(b, e, "core id", &len)))
                        core = strtol(v, NULL, 10);
                if (pkg >= 0) {
                        for (i = 0; i < n_pkgs && pkgs[i] != pkg; i++)
                                ;
                        if (i == n_pkgs && n_pkgs < ELEMENTSOF(pkgs))
                                pkgs[n_pkgs++] = pkg;
                }
                if (core >= 0) {
                        for (i = 0; i < n_pairs && !(pairs[i].pkg == pkg && pairs[i].core == core); i++)
                                ;
                        if (i == n_pairs && n_pairs < ELEMENTSOF(pairs))
                                pairs[n_pairs++] = (typeof(pairs[0])) { pkg, core };
                }
        }
        if (!*first) {
                /* no "processor" lines (some ARM kernels): the whole text is one block */
                *first = cpuinfo;
                *first_end = end;
        }
        s->processors = n_pkgs > 0 ? n_pkgs : 1;
        s->physical_cores = n_pairs > 0 ? n_pairs : s->cores;
}

/* manufacturer, brand and speed from the model name; RISC-V's uarch names maker and core */
static int cpu_brand(const char *first, const char *first_end, CpuStatic *s) {
        char model[256] = "", maker[128];
        const char *v, *comma;
        size_t len;
        int r;

        if ((v = si_cpuinfo_value(first, first_end, "model name", &len)) ||
            (v = si_cpuinfo_value(first, first_end, "cpu model", &len)) ||
            (v = si_cpuinfo_value(first, first_end, "cpu", &len)))
                snprintf(model, sizeof model, "%.*s", (int) len, v);
        r = brand_split(model, s);
        if (r < 0)
                return r;
        v = si_cpuinfo_value(first, first_end, "uarch", &len);
        comma = v ? memchr(v, ',', len) : NULL;
        if (!comma)
                return 0;
        /* RISC-V: "sifive,u74-mc" */
        snprintf(maker, sizeof maker, "%.*s", (int) (comma - v), v);
        free(s->manufacturer);
        free(s->brand);
        s->manufacturer = strdup(cpu_manufacturer(maker));
        s->brand = strndup(comma + 1, len - (size_t) (comma - v) - 1);
        if (!s->manufacturer || !s->brand)
                return -ENOMEM;
        return 0;
}

/* si takes lscpu's "Vendor ID" as is: GenuineIntel, AuthenticAMD, ARM */
static int cpu_vendor(const char *first, const char *first_end, CpuStatic *s) {
        char vendor[128] = "";
        const char *v;
        size_t len;

        if ((v = si_cpuinfo_value(first, first_end, "vendor_id", &len)))
                snprintf(vendor, sizeof vendor, "%.*s", (int) len, v);
        else if ((v = si_cpuinfo_value(first, first_end, "CPU implementer", &len))) {
                const char *name = arm_implementer(strtoul(v, NULL, 0));
                if (name)
                        snprintf(vendor, sizeof vendor, "%s", name);
        }
        s->vendor = strdup(vendor);
        if (s->vendor && s->manufacturer && !s->manufacturer[0]) {
                /* no model name (ARM): the implementer is the best manufacturer there is */
                free(s->manufacturer);
                s->manufacturer = strdup(cpu_manufacturer(vendor));
        }
        if (!s->vendor || !s->manufacturer)
                return -ENOMEM;
        return 0;
}

static int cpu_flags(const char *first, const char *first_end, CpuStatic *s) {
        const char *v;
        size_t len;

        if ((v = si_cpuinfo_value(first, first_end, "flags", &len)) ||
            (v = si_cpuinfo_value(first, first_end, "Features", &len))) {
                s->flags = strndup(v, len);
                if (s->flags)
                        for (char *p = s->flags; *p; p++)
                                *p = (char) tolower((unsigned char) *p);
        } else
                s->flags = strdup("");
        if (!s->flags)
                return -ENOMEM;
        /* si: flags.indexOf('vmx') > -1 || flags.indexOf('svm') > -1 */
        s->virtualization = strstr(s->flags, "vmx") || strstr(s->flags, "svm");
        return 0;
}

static int cpu_static_parse(const char *cpuinfo, CpuStatic *s) {
        const char *first, *first_end;
        int r;

        cpu_topology(cpuinfo, s, &first, &first_end);
        r = cpu_brand(first, first_end, s);
        if (r < 0)
                return r;
        r = cpu_vendor(first, first_end, s);
        if (r < 0)
                return r;
        return cpu_flags(first, first_end, s);
}

/* cpufreq's current frequency per CPU (si via Node's os.cpus()), else cpuinfo's "cpu MHz" (si's
 * fallback). Fills speeds (GHz); returns how many. */
static int cpu_speeds(SysinfoCall *c, double *speeds, unsigned max) {
        const char *cpuinfo;
        unsigned n = 0;
        int r;

        for (unsigned i = 0; i < max; i++) {
                char path[128];
                uint64_t khz;

                snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%u/cpufreq/scaling_cur_freq", i);
                if (si_read_u64(c->root, path, &khz) < 0)
                        break;
                /* libuv gives whole MHz; si: (MHz + 1) / 1000 GHz, two decimals */
                speeds[n++] = si_round((double) (khz / 1000 + 1) / 1000.0, 2);
        }
        if (n > 0)
                return (int) n;

        r = si_call_cpuinfo(c, &cpuinfo);
        if (r < 0)
                return r;
        for (const char *p = strstr(cpuinfo, "cpu MHz"); p && n < max; p = strstr(p + 1, "cpu MHz")) {
                const char *colon = strchr(p, ':');
                if (!colon)
                        break;
                /* si: Math.floor(parseInt(MHz) / 10) / 100 */
                speeds[n++] = floor((double) strtol(colon + 1, NULL, 10) / 10.0) / 100.0;
        }
        return (int) n;
}

static int cpu_speed_json(double *speeds, int n, double static_speed, json_object **ret) {
        _cleanup_json_ json_object *o = NULL, *cores = NULL;
        double min = 0, max = 0, sum = 0, avg;
        int r;

        cores = json_object_new_array();
        if (!cores)
                return -ENOMEM;
        for (int i = 0; i < n; i++) {
                if (i == 0 || speeds[i] < min)
                        min = speeds[i];
                if (speeds[i] > max)
                        max = speeds[i];
                sum += speeds[i];
                r = si_append(cores, si_json_double(speeds[i]));
                if (r < 0)
                        return r;
        }
        avg = n > 0 ? si_round(sum / n, 2) : 0;
        if (avg == 0 && static_speed != 0) {
                /* si: nothing measured → the model name's speed, no per-core list */
                min = max = avg = static_speed;
                json_object_put(cores);
                cores = json_object_new_array();
                if (!cores)
                        return -ENOMEM;
        }
        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        if ((r = si_add(o, "min", si_json_double(si_round(min, 2)))) < 0 ||
            (r = si_add(o, "max", si_json_double(si_round(max, 2)))) < 0 ||
            (r = si_add(o, "avg", si_json_double(avg))) < 0)
                return r;
        r = si_add(o, "cores", TAKE_PTR(cores));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

static uint64_t times_total(const CpuTimes *t) {
        return t->user + t->system + t->nice + t->irq + t->steal + t->guest + t->idle;
}

/* si's percentages: (x - previous x) / (total ticks - previous total ticks || 1) * 100 */
static int load_fields(json_object *o, const CpuTimes *now, const CpuTimes *prev, bool per_cpu) {
        uint64_t dt = times_total(now) - times_total(prev);
        double tick = dt > 0 ? (double) dt : 1;
        uint64_t load = times_total(now) - now->idle - (times_total(prev) - prev->idle);
        const struct { const char *cpu, *all; uint64_t v; } f[] = {
                { "load", "currentLoad", load },
                { "loadUser", "currentLoadUser", now->user - prev->user },
                { "loadSystem", "currentLoadSystem", now->system - prev->system },
                { "loadNice", "currentLoadNice", now->nice - prev->nice },
                { "loadIdle", "currentLoadIdle", now->idle - prev->idle },
                { "loadIrq", "currentLoadIrq", now->irq - prev->irq },
        };
        int r;

        for (size_t i = 0; i < ELEMENTSOF(f); i++) {
                r = si_add(o, per_cpu ? f[i].cpu : f[i].all, si_json_double((double) f[i].v / tick * 100.0));
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_proc_stat(const char *text, CpuTimes **ret, unsigned *ret_n, CpuTimes *total) {
        _cleanup_free_ CpuTimes *cpus = NULL;
        size_t n = 0, size = 0;

        *total = (CpuTimes) {};
        for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
                unsigned long long v[10] = {};
                CpuTimes t;

                if (strncmp(p, "cpu", 3) != 0 || !isdigit((unsigned char) p[3]))
                        continue;
                if (sscanf(p + 3, "%*u %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
                           &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]) < 4)
                        continue;
                /* libuv's times (user, nice, sys, idle, irq) plus si's steal and guest; iowait and
                 * softirq are in neither */
                t = (CpuTimes) { .user = v[0], .nice = v[1], .system = v[2], .idle = v[3],
                                 .irq = v[5], .steal = v[7], .guest = v[8] };
                if (SI_GROW(cpus, n, size, 8) < 0)
                        return -ENOMEM;
                cpus[n++] = t;
                total->user += t.user;
                total->nice += t.nice;
                total->system += t.system;
                total->idle += t.idle;
                total->irq += t.irq;
                total->steal += t.steal;
                total->guest += t.guest;
        }
        if (n == 0)
                return -EINVAL;
        *ret = TAKE_PTR(cpus);
        *ret_n = (unsigned) n;
        return 0;
}

static int current_load(SysinfoCall *c, LoadSample *prev, unsigned cores, json_object **ret) {
        _cleanup_free_ char *stat = NULL, *loadavg = NULL;
        _cleanup_free_ CpuTimes *cpus = NULL;
        _cleanup_json_ json_object *o = NULL, *arr = NULL;
        static const CpuTimes zero;
        double l[3] = {}, avg = 0;
        CpuTimes total;
        unsigned n;
        int r;

        r = si_read_file(c->root, "/proc/stat", &stat);
        if (r < 0)
                return r;
        r = parse_proc_stat(stat, &cpus, &n, &total);
        if (r < 0)
                return r;
        r = si_read_file(c->root, "/proc/loadavg", &loadavg);
        if (r < 0)
                return r;
        if (sscanf(loadavg, "%lf %lf %lf", &l[0], &l[1], &l[2]) != 3)
                return -EINVAL;
        /* si: the largest of the 1, 5 and 15 minute averages per core, two decimals */
        for (int i = 0; i < 3; i++)
                if (l[i] / (cores ?: 1) > avg)
                        avg = l[i] / (cores ?: 1);

        o = json_object_new_object();
        arr = json_object_new_array();
        if (!o || !arr)
                return -ENOMEM;
        /* Harper's key order: avgLoad, cpus, then the totals */
        r = si_add(o, "avgLoad", si_json_double(si_round(avg, 2)));
        if (r < 0)
                return r;
        for (unsigned i = 0; i < n; i++) {
                json_object *cpu = json_object_new_object();

                if (!cpu)
                        return -ENOMEM;
                r = si_append(arr, cpu);
                if (r < 0)
                        return r;
                r = load_fields(cpu, &cpus[i], prev->have && i < prev->n_cpus ? &prev->cpus[i] : &zero, true);
                if (r < 0)
                        return r;
        }
        r = si_add(o, "cpus", TAKE_PTR(arr));
        if (r < 0)
                return r;
        /* the first call compares with boot (si's zeroed previous sample) */
        r = load_fields(o, &total, prev->have ? &prev->total : &zero, false);
        if (r < 0)
                return r;

        /* keep the sample for the next call, unless this one came too soon after it */
        if (!prev->have || c->realtime_usec >= prev->usec + LOAD_SAMPLE_MIN_USEC || c->realtime_usec < prev->usec) {
                free(prev->cpus);
                *prev = (LoadSample) { .have = true, .usec = c->realtime_usec, .total = total, .cpus = TAKE_PTR(cpus),
                                       .n_cpus = n };
        }
        *ret = TAKE_PTR(o);
        return 0;
}

/* Parses /proc/cpuinfo once per root. */
static int cpu_static_load(SysinfoCall *c, CpuState *s) {
        const char *cpuinfo;
        int r;

        if (s->static_generation == c->root_generation)
                return 0;
        cpu_static_done(&s->info);
        s->static_generation = 0;
        r = si_call_cpuinfo(c, &cpuinfo);
        if (r < 0)
                return r;
        r = cpu_static_parse(cpuinfo, &s->info);
        if (r < 0) {
                cpu_static_done(&s->info);
                return r;
        }
        s->static_generation = c->root_generation;
        return 0;
}

void sysinfo_cpu_state_free(void *state) {
        CpuState *s = state;

        cpu_static_done(&s->info);
        free(s->sample.cpus);
        free(s);
}

/* The fields from /proc/cpuinfo, in Harper's order; speed is the model name's, else the average. */
static int cpu_static_json(const CpuStatic *info, double speed, json_object *o) {
        /* si: threads per core > 1 → "performance" cores = cores - physical cores */
        unsigned tpc = info->physical_cores ? info->cores / info->physical_cores : 1;
        unsigned perf = tpc > 1 ? info->cores - info->physical_cores : info->cores;
        unsigned eff = tpc > 1 && info->cores > tpc * perf ? info->cores - tpc * perf : 0;
        int r;

        if ((r = si_add(o, "manufacturer", si_json_string(info->manufacturer))) < 0 ||
            (r = si_add(o, "brand", si_json_string(info->brand))) < 0 ||
            (r = si_add(o, "vendor", si_json_string(info->vendor))) < 0 ||
            (r = si_add(o, "speed", si_json_double(speed))) < 0 ||
            (r = si_add(o, "cores", json_object_new_int((int) info->cores))) < 0 ||
            (r = si_add(o, "physicalCores", json_object_new_int((int) info->physical_cores))) < 0 ||
            (r = si_add(o, "performanceCores", json_object_new_int((int) perf))) < 0 ||
            (r = si_add(o, "efficiencyCores", json_object_new_int((int) eff))) < 0 ||
            (r = si_add(o, "processors", json_object_new_int((int) info->processors))) < 0 ||
            (r = si_add(o, "flags", si_json_string(info->flags))) < 0 ||
            (r = si_add(o, "virtualization", json_object_new_boolean(info->virtualization))) < 0)
                return r;
        return 0;
}

int sysinfo_cpu(SysinfoCall *c, void **state, json_object **ret) {
        _cleanup_json_ json_object *o = NULL, *speed = NULL, *load = NULL;
        CpuState *s = si_state(state, sizeof(CpuState));
        double speeds[1024], static_speed;
        int n, r;

        if (!s)
                return -ENOMEM;
        r = cpu_static_load(c, s);
        if (r < 0)
                return r;

        n = cpu_speeds(c, speeds, s->info.cores < 1024 ? s->info.cores : 1024);
        if (n < 0)
                return n;
        r = cpu_speed_json(speeds, n, s->info.speed, &speed);
        if (r < 0)
                return r;
        /* si: no speed in the model name → the current average */
        static_speed = s->info.speed != 0 ? s->info.speed : json_object_get_double(json_object_object_get(speed, "avg"));

        r = current_load(c, &s->sample, s->info.cores, &load);
        if (r < 0)
                return r;

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        r = cpu_static_json(&s->info, static_speed, o);
        if (r < 0)
                return r;
        r = si_add(o, "cpu_speed", TAKE_PTR(speed));
        if (r < 0)
                return r;
        r = si_add(o, "current_load", TAKE_PTR(load));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}
