/* Section "cpu": si.cpu() (static, parsed once from /proc/cpuinfo and kept in the state),
 * si.cpuCurrentSpeed() (cpufreq, else cpuinfo's "cpu MHz") and si.currentLoad() (/proc/stat
 * difference since the previous sample). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sysinfo-internal.h"

/* si's minimum interval between load samples: a call sooner compares with the older sample */
#define LOAD_SAMPLE_MIN_USEC (200 * 1000ULL)

void si_cpu_static_done(CpuStatic *s) {
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
        for (i = 0; i < sizeof table / sizeof table[0]; i++)
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

/* Appends src to dst replacing a with b. */
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

static int cpu_static_parse(const char *cpuinfo, CpuStatic *s) {
        /* distinct (physical id, core id) pairs and physical ids, for lscpu's core counts */
        struct { long pkg, core; } pairs[1024];
        long pkgs[64];
        unsigned n_pairs = 0, n_pkgs = 0;
        const char *end = cpuinfo + strlen(cpuinfo);
        const char *first = NULL, *first_end = NULL, *v;
        char model[256] = "", vendor[128] = "";
        size_t len;
        int r;

        /* one block per logical CPU, blank-line separated */
        for (const char *b = cpuinfo; b < end;) {
                const char *e = strstr(b, "\n\n");
                long pkg = -1, core = -1;

                e = e ? e + 1 : end;
                if (!si_cpuinfo_value(b, e, "processor", &len)) {
                        b = e + 1;
                        continue;
                }
                s->cores++;
                if (!first) {
                        first = b;
                        first_end = e;
                }
                if ((v = si_cpuinfo_value(b, e, "physical id", &len)))
                        pkg = strtol(v, NULL, 10);
                if ((v = si_cpuinfo_value(b, e, "core id", &len)))
                        core = strtol(v, NULL, 10);
                if (pkg >= 0) {
                        unsigned i;

                        for (i = 0; i < n_pkgs && pkgs[i] != pkg; i++)
                                ;
                        if (i == n_pkgs && n_pkgs < sizeof pkgs / sizeof pkgs[0])
                                pkgs[n_pkgs++] = pkg;
                }
                if (core >= 0) {
                        unsigned i;

                        for (i = 0; i < n_pairs && !(pairs[i].pkg == pkg && pairs[i].core == core); i++)
                                ;
                        if (i == n_pairs && n_pairs < sizeof pairs / sizeof pairs[0])
                                pairs[n_pairs++] = (typeof(pairs[0])) { pkg, core };
                }
                b = e + 1;
        }
        if (!first) {
                /* no "processor" lines (some ARM kernels): the whole text is one block */
                first = cpuinfo;
                first_end = end;
        }

        if ((v = si_cpuinfo_value(first, first_end, "model name", &len)) ||
            (v = si_cpuinfo_value(first, first_end, "cpu model", &len)) ||
            (v = si_cpuinfo_value(first, first_end, "cpu", &len)))
                snprintf(model, sizeof model, "%.*s", (int) len, v);
        r = brand_split(model, s);
        if (r < 0)
                return r;
        if ((v = si_cpuinfo_value(first, first_end, "uarch", &len)) && memchr(v, ',', len)) {
                /* RISC-V: "sifive,u74-mc" */
                const char *comma = memchr(v, ',', len);
                char maker[128];

                snprintf(maker, sizeof maker, "%.*s", (int) (comma - v), v);
                free(s->manufacturer);
                free(s->brand);
                s->manufacturer = strdup(cpu_manufacturer(maker));
                s->brand = strndup(comma + 1, len - (size_t) (comma - v) - 1);
                if (!s->manufacturer || !s->brand)
                        return -ENOMEM;
        }

        if ((v = si_cpuinfo_value(first, first_end, "vendor_id", &len)))
                snprintf(vendor, sizeof vendor, "%.*s", (int) len, v);
        else if ((v = si_cpuinfo_value(first, first_end, "CPU implementer", &len))) {
                const char *name = arm_implementer(strtoul(v, NULL, 0));
                if (name)
                        snprintf(vendor, sizeof vendor, "%s", name);
        }
        /* si takes lscpu's "Vendor ID" as is: GenuineIntel, AuthenticAMD, ARM */
        s->vendor = strdup(vendor);
        if (s->vendor && s->manufacturer && !s->manufacturer[0]) {
                /* no model name (ARM): the implementer is the best manufacturer there is */
                free(s->manufacturer);
                s->manufacturer = strdup(cpu_manufacturer(vendor));
        }

        if ((v = si_cpuinfo_value(first, first_end, "flags", &len)) ||
            (v = si_cpuinfo_value(first, first_end, "Features", &len))) {
                s->flags = strndup(v, len);
                if (s->flags)
                        for (char *p = s->flags; *p; p++)
                                *p = (char) tolower((unsigned char) *p);
        } else
                s->flags = strdup("");
        if (!s->vendor || !s->manufacturer || !s->flags)
                return -ENOMEM;
        /* si: flags.indexOf('vmx') > -1 || flags.indexOf('svm') > -1 */
        s->virtualization = strstr(s->flags, "vmx") || strstr(s->flags, "svm");

        s->processors = n_pkgs > 0 ? n_pkgs : 1;
        s->physical_cores = n_pairs > 0 ? n_pairs : s->cores;
        return 0;
}

/* cpufreq's current frequency per CPU (si via Node's os.cpus()), else cpuinfo's "cpu MHz" (si's
 * fallback). Fills speeds (GHz); returns how many. */
static int cpu_speeds(SysinfoCall *c, const char *cpuinfo, double *speeds, unsigned max) {
        _cleanup_free_ char *own = NULL;
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

        if (!cpuinfo) {
                r = si_read_file(c->root, "/proc/cpuinfo", &own);
                if (r < 0)
                        return r;
                cpuinfo = own;
        }
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
        r = si_add(o, "cores", cores);
        cores = NULL;
        if (r < 0)
                return r;
        *ret = o;
        o = NULL;
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

        for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
                r = si_add(o, per_cpu ? f[i].cpu : f[i].all, si_json_double((double) f[i].v / tick * 100.0));
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_proc_stat(const char *text, CpuTimes **ret, unsigned *ret_n, CpuTimes *total) {
        CpuTimes *cpus = NULL;
        unsigned n = 0, size = 0;

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
                if (n == size) {
                        CpuTimes *m = realloc(cpus, (size ? size * 2 : 8) * sizeof *cpus);
                        if (!m) {
                                free(cpus);
                                return -ENOMEM;
                        }
                        cpus = m;
                        size = size ? size * 2 : 8;
                }
                cpus[n++] = t;
                total->user += t.user;
                total->nice += t.nice;
                total->system += t.system;
                total->idle += t.idle;
                total->irq += t.irq;
                total->steal += t.steal;
                total->guest += t.guest;
        }
        if (n == 0) {
                free(cpus);
                return -EINVAL;
        }
        *ret = cpus;
        *ret_n = n;
        return 0;
}

static int current_load(SysinfoCall *c, unsigned cores, json_object **ret) {
        _cleanup_free_ char *stat = NULL, *loadavg = NULL;
        _cleanup_free_ CpuTimes *cpus = NULL;
        _cleanup_json_ json_object *o = NULL, *arr = NULL;
        SysinfoState *s = c->state;
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
                r = load_fields(cpu, &cpus[i], s->have_sample && i < s->n_cpus ? &s->cpus[i] : &zero, true);
                if (r < 0)
                        return r;
        }
        r = si_add(o, "cpus", arr);
        arr = NULL;
        if (r < 0)
                return r;
        /* the first call compares with boot (si's zeroed previous sample) */
        r = load_fields(o, &total, s->have_sample ? &s->total : &zero, false);
        if (r < 0)
                return r;

        /* keep the sample for the next call, unless this one came too soon after it */
        if (!s->have_sample || c->now_usec >= s->sample_usec + LOAD_SAMPLE_MIN_USEC || c->now_usec < s->sample_usec) {
                free(s->cpus);
                s->cpus = cpus;
                cpus = NULL;
                s->n_cpus = n;
                s->total = total;
                s->sample_usec = c->now_usec;
                s->have_sample = true;
        }
        *ret = o;
        o = NULL;
        return 0;
}

/* Parses /proc/cpuinfo once per state; *ret_text (if given) gets the text when it was read now. */
static int cpu_static_load(SysinfoCall *c, char **ret_text) {
        _cleanup_free_ char *cpuinfo = NULL;
        SysinfoState *s = c->state;
        int r;

        if (s->have_cpu)
                return 0;
        r = si_read_file(c->root, "/proc/cpuinfo", &cpuinfo);
        if (r < 0)
                return r;
        r = cpu_static_parse(cpuinfo, &s->cpu);
        if (r < 0) {
                si_cpu_static_done(&s->cpu);
                return r;
        }
        s->have_cpu = true;
        if (ret_text) {
                *ret_text = cpuinfo;
                cpuinfo = NULL;
        }
        return 0;
}

int si_cpu_count(SysinfoCall *c, unsigned *ret) {
        int r = cpu_static_load(c, NULL);
        if (r < 0)
                return r;
        *ret = c->state->cpu.cores ?: 1;
        return 0;
}

int sysinfo_cpu(SysinfoCall *c, json_object **ret) {
        _cleanup_free_ char *cpuinfo = NULL;
        _cleanup_json_ json_object *o = NULL;
        json_object *speed = NULL, *load = NULL;
        SysinfoState *s = c->state;
        double speeds[1024], static_speed;
        int n, r;

        r = cpu_static_load(c, &cpuinfo);
        if (r < 0)
                return r;

        /* the first call reuses the cpuinfo just read */
        n = cpu_speeds(c, cpuinfo, speeds, s->cpu.cores < 1024 ? s->cpu.cores : 1024);
        if (n < 0)
                return n;
        r = cpu_speed_json(speeds, n, s->cpu.speed, &speed);
        if (r < 0)
                return r;
        /* si: no speed in the model name → the current average */
        static_speed = s->cpu.speed != 0 ? s->cpu.speed : json_object_get_double(json_object_object_get(speed, "avg"));

        r = current_load(c, s->cpu.cores, &load);
        if (r < 0) {
                json_object_put(speed);
                return r;
        }

        o = json_object_new_object();
        if (!o) {
                json_object_put(speed);
                json_object_put(load);
                return -ENOMEM;
        }
        if ((r = si_add(o, "manufacturer", si_json_string(s->cpu.manufacturer))) < 0 ||
            (r = si_add(o, "brand", si_json_string(s->cpu.brand))) < 0 ||
            (r = si_add(o, "vendor", si_json_string(s->cpu.vendor))) < 0 ||
            (r = si_add(o, "speed", si_json_double(static_speed))) < 0 ||
            (r = si_add(o, "cores", json_object_new_int((int) s->cpu.cores))) < 0 ||
            (r = si_add(o, "physicalCores", json_object_new_int((int) s->cpu.physical_cores))) < 0) {
                json_object_put(speed);
                json_object_put(load);
                return r;
        }
        {
                /* si: threads per core > 1 → "performance" cores = cores - physical cores */
                unsigned tpc = s->cpu.physical_cores ? s->cpu.cores / s->cpu.physical_cores : 1;
                unsigned perf = tpc > 1 ? s->cpu.cores - s->cpu.physical_cores : s->cpu.cores;
                unsigned eff = tpc > 1 && s->cpu.cores > tpc * perf ? s->cpu.cores - tpc * perf : 0;

                if ((r = si_add(o, "performanceCores", json_object_new_int((int) perf))) < 0 ||
                    (r = si_add(o, "efficiencyCores", json_object_new_int((int) eff))) < 0 ||
                    (r = si_add(o, "processors", json_object_new_int((int) s->cpu.processors))) < 0 ||
                    (r = si_add(o, "flags", si_json_string(s->cpu.flags))) < 0 ||
                    (r = si_add(o, "virtualization", json_object_new_boolean(s->cpu.virtualization))) < 0) {
                        json_object_put(speed);
                        json_object_put(load);
                        return r;
                }
        }
        r = si_add(o, "cpu_speed", speed);
        if (r < 0) {
                json_object_put(load);
                return r;
        }
        r = si_add(o, "current_load", load);
        if (r < 0)
                return r;
        *ret = o;
        o = NULL;
        return 0;
}
