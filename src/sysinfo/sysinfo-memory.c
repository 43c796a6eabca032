/* SPDX-License-Identifier: MIT */
/* Section "memory": si.mem()'s formulas over /proc/meminfo, plus the Harper process's RSS
 * (Node's process.memoryUsage().rss) from /proc/<pid>/status and V8's heap figures from Harper. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sysinfo-memory.h"
#include "sysinfo-harper-figures.h"
#include "sysinfo-json.h"
#include "sysinfo-macro.h"
#include "sysinfo-read.h"

static uint64_t or_zero(uint64_t v) {
        return v == UINT64_MAX ? 0 : v;
}

/* VmRSS of pid in bytes; UINT64_MAX when there is no such process (or a kernel thread) */
static uint64_t process_rss(const char *root, uint32_t pid) {
        _cleanup_free_ char *status = NULL;
        char path[64];
        const char *p;

        if (pid == 0)
                return UINT64_MAX;
        snprintf(path, sizeof path, "/proc/%" PRIu32 "/status", pid);
        if (si_read_file(root, path, &status) < 0)
                return UINT64_MAX;
        p = strstr(status, "\nVmRSS:");
        if (!p)
                return UINT64_MAX;
        return si_mul_u64(strtoull(p + strlen("\nVmRSS:"), NULL, 10), 1024);
}

int sysinfo_memory(SysinfoCall *c, void **state, json_object **ret) {
        _cleanup_json_ json_object *o = NULL;
        const SysinfoUnit *u = si_instance_unit(c->src);
        uint64_t total, free_, available, buffcache, swaptotal, swapfree;
        const char *m;
        int r;

        r = si_call_meminfo(c, &m);
        if (r < 0)
                return r;
        total = si_meminfo_bytes(m, "MemTotal");
        if (total == UINT64_MAX)
                return -EINVAL;
        free_ = or_zero(si_meminfo_bytes(m, "MemFree"));
        buffcache = si_add_u64(or_zero(si_meminfo_bytes(m, "Buffers")), or_zero(si_meminfo_bytes(m, "Cached")));
        buffcache = si_add_u64(buffcache, or_zero(si_meminfo_bytes(m, "Slab")));
        /* si: MemAvailable, or (kernels before 3.14) free + buffers + cache + slab */
        available = si_meminfo_bytes(m, "MemAvailable");
        if (available == UINT64_MAX || available == 0)
                available = si_add_u64(free_, buffcache);
        swaptotal = or_zero(si_meminfo_bytes(m, "SwapTotal"));
        swapfree = or_zero(si_meminfo_bytes(m, "SwapFree"));

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        /* si's formulas: used = total - free, active = total - available */
        if ((r = si_add(o, "total", si_json_u64(total))) < 0 ||
            (r = si_add(o, "free", si_json_u64(free_))) < 0 ||
            (r = si_add(o, "used", si_json_u64(free_ <= total ? total - free_ : UINT64_MAX))) < 0 ||
            (r = si_add(o, "active", si_json_u64(total > available ? total - available : 0))) < 0 ||
            (r = si_add(o, "available", si_json_u64(available))) < 0 ||
            (r = si_add(o, "reclaimable", si_json_u64(or_zero(si_meminfo_bytes(m, "SReclaimable"))))) < 0 ||
            (r = si_add(o, "swaptotal", si_json_u64(swaptotal))) < 0 ||
            (r = si_add(o, "swapused", si_json_u64(swaptotal > swapfree ? swaptotal - swapfree : 0))) < 0 ||
            (r = si_add(o, "swapfree", si_json_u64(swapfree))) < 0 ||
            (r = si_add(o, "writeback", si_json_u64(or_zero(si_meminfo_bytes(m, "Writeback"))))) < 0 ||
            (r = si_add(o, "dirty", si_json_u64(or_zero(si_meminfo_bytes(m, "Dirty"))))) < 0 ||
            (r = si_add(o, "rss", si_json_u64(process_rss(c->root, u ? u->main_pid : 0)))) < 0 ||
            /* V8's heap figures live inside Harper's process: only Harper can tell them */
            (r = si_add(o, "heapTotal", si_harper_value(c, "memory", "heapTotal"))) < 0 ||
            (r = si_add(o, "heapUsed", si_harper_value(c, "memory", "heapUsed"))) < 0 ||
            (r = si_add(o, "external", si_harper_value(c, "memory", "external"))) < 0 ||
            (r = si_add(o, "arrayBuffers", si_harper_value(c, "memory", "arrayBuffers"))) < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}
