/* SPDX-License-Identifier: MIT */
/* Section "network": the default route's interface (/proc/net/route), every interface of
 * /sys/class/net with si.networkInterfaces()'s fields, counters from /proc/net/dev. Addresses
 * come from getifaddrs() on this machine; under a fixture root from <root>/sysinfo-ifaddrs
 * ("iface inet|inet6 address netmask" lines). Nothing is sent anywhere: latency stays {}. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sysinfo-network.h"
#include "sysinfo-json.h"
#include "sysinfo-macro.h"
#include "sysinfo-read.h"

typedef struct Iface {
        char name[IFNAMSIZ];
        uint64_t ifindex;
        char ip4[INET_ADDRSTRLEN], ip4subnet[INET_ADDRSTRLEN];
        char ip6[INET6_ADDRSTRLEN], ip6subnet[INET6_ADDRSTRLEN];
        bool ip4_link, ip6_link;   /* the address held is a link-local fallback */
} Iface;

static int iface_cmp(const void *a, const void *b) {
        const Iface *x = a, *y = b;
        return x->ifindex < y->ifindex ? -1 : x->ifindex > y->ifindex;
}

/* Puts addr and mask (size bytes each at most) into ip and subnet, unless these hold an address
 * already that is no link-local fallback (*held_link); link: addr is link-local. */
static void keep_address(char *ip, char *subnet, size_t size, bool *held_link, bool link, const char *addr,
                         const char *mask) {
        if (ip[0] && !(*held_link && !link))
                return;
        snprintf(ip, size, "%s", addr);
        snprintf(subnet, size, "%s", mask);
        *held_link = link;
}

/* si takes the first address, a link-local one only when there is no other */
static void iface_add_address(Iface *f, bool v6, const char *addr, const char *mask) {
        if (v6)
                keep_address(f->ip6, f->ip6subnet, sizeof f->ip6, &f->ip6_link, strncasecmp(addr, "fe80:", 5) == 0,
                             addr, mask);
        else
                keep_address(f->ip4, f->ip4subnet, sizeof f->ip4, &f->ip4_link, strncmp(addr, "169.254.", 8) == 0,
                             addr, mask);
}

static Iface *iface_find(Iface *list, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(list[i].name, name) == 0)
                        return &list[i];
        return NULL;
}

static int addresses(SysinfoCall *c, Iface *list, size_t n) {
        struct ifaddrs *ifa;

        if (c->root[0]) {
                _cleanup_free_ char *text = NULL;

                if (si_read_file(c->root, "/sysinfo-ifaddrs", &text) < 0)
                        return 0;
                for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
                        char name[64], family[8], addr[INET6_ADDRSTRLEN], mask[INET6_ADDRSTRLEN];
                        Iface *f;

                        if (sscanf(p, "%63s %7s %45s %45s", name, family, addr, mask) != 4)
                                continue;
                        f = iface_find(list, n, name);
                        if (f)
                                iface_add_address(f, strcmp(family, "inet6") == 0, addr, mask);
                }
                return 0;
        }

        if (getifaddrs(&ifa) < 0)
                return -errno;
        for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
                char addr[INET6_ADDRSTRLEN] = "", mask[INET6_ADDRSTRLEN] = "";
                Iface *f;
                int family;

                if (!i->ifa_addr || !i->ifa_name)
                        continue;
                family = i->ifa_addr->sa_family;
                if (family != AF_INET && family != AF_INET6)
                        continue;
                f = iface_find(list, n, i->ifa_name);
                if (!f)
                        continue;
                if (family == AF_INET) {
                        inet_ntop(AF_INET, &((struct sockaddr_in *) (void *) i->ifa_addr)->sin_addr, addr, sizeof addr);
                        if (i->ifa_netmask)
                                inet_ntop(AF_INET, &((struct sockaddr_in *) (void *) i->ifa_netmask)->sin_addr, mask, sizeof mask);
                } else {
                        inet_ntop(AF_INET6, &((struct sockaddr_in6 *) (void *) i->ifa_addr)->sin6_addr, addr, sizeof addr);
                        if (i->ifa_netmask)
                                inet_ntop(AF_INET6, &((struct sockaddr_in6 *) (void *) i->ifa_netmask)->sin6_addr, mask, sizeof mask);
                }
                iface_add_address(f, family == AF_INET6, addr, mask);
        }
        freeifaddrs(ifa);
        return 0;
}

/* The interface of the first IPv4 default route with the lowest metric (si asks `ip route`). */
static void default_interface(const char *root, char *buf, size_t size) {
        _cleanup_free_ char *route = NULL;
        unsigned long best = ULONG_MAX;

        buf[0] = 0;
        if (si_read_file(root, "/proc/net/route", &route) < 0)
                return;
        for (const char *p = strchr(route, '\n'); p && p[1]; p = strchr(p + 1, '\n')) {
                char name[64];
                unsigned long dest, gw, flags, refcnt, use, metric, mask;

                if (sscanf(p + 1, "%63s %lx %lx %lx %lu %lu %lu %lx", name, &dest, &gw, &flags, &refcnt, &use, &metric, &mask) != 8)
                        continue;
                if (dest != 0 || mask != 0 || !(flags & 1 /* RTF_UP */))
                        continue;
                if (metric < best) {
                        best = metric;
                        snprintf(buf, size, "%s", name);
                }
        }
}

static int sysfs_string(const char *root, const char *iface, const char *attr, char *buf, size_t size) {
        _cleanup_free_ char *s = NULL;
        char path[PATH_MAX];
        int r;

        buf[0] = 0;
        snprintf(path, sizeof path, "/sys/class/net/%s/%s", iface, attr);
        r = si_read_line(root, path, &s);
        if (r < 0)
                return r;
        snprintf(buf, size, "%s", s);
        return 0;
}

static int interface_json(SysinfoCall *c, const Iface *f, const char *def, const char *wireless,
                          json_object *interfaces, char *operstate, size_t operstate_size) {
        char mac[64], duplex[32], speed_s[32], mtu_s[32], key[72];
        _cleanup_json_ json_object *speed = NULL, *mtu = NULL;
        json_object *o;
        const char *type;
        int r;

        (void) sysfs_string(c->root, f->name, "operstate", operstate, operstate_size);
        (void) sysfs_string(c->root, f->name, "address", mac, sizeof mac);
        /* reading duplex or speed of a link without them fails with EINVAL: "" and null */
        (void) sysfs_string(c->root, f->name, "duplex", duplex, sizeof duplex);
        if (sysfs_string(c->root, f->name, "speed", speed_s, sizeof speed_s) >= 0 && speed_s[0] && speed_s[0] != '-')
                speed = json_object_new_int64(strtoll(speed_s, NULL, 10));
        if (sysfs_string(c->root, f->name, "mtu", mtu_s, sizeof mtu_s) >= 0 && mtu_s[0])
                mtu = json_object_new_int64(strtoll(mtu_s, NULL, 10));

        /* si: up → wireless when /proc/net/wireless lists it, else wired; down → unknown;
         * lo and bonds are virtual */
        snprintf(key, sizeof key, " %s:", f->name);
        if (strcmp(f->name, "lo") == 0 || strncmp(f->name, "bond", 4) == 0)
                type = "virtual";
        else if (strcmp(operstate, "up") != 0)
                type = "unknown";
        else
                type = wireless && strstr(wireless, key) ? "wireless" : "wired";

        o = json_object_new_object();
        if (!o || si_append(interfaces, o) < 0)
                return -ENOMEM;
        if ((r = si_add(o, "iface", json_object_new_string(f->name))) < 0 ||
            (r = si_add(o, "ifaceName", json_object_new_string(f->name))) < 0 ||
            (r = si_add(o, "default", json_object_new_boolean(streq_ptr(f->name, def)))) < 0 ||
            (r = si_add(o, "ip4", json_object_new_string(f->ip4))) < 0 ||
            (r = si_add(o, "ip4subnet", json_object_new_string(f->ip4subnet))) < 0 ||
            (r = si_add(o, "ip6", json_object_new_string(f->ip6))) < 0 ||
            (r = si_add(o, "ip6subnet", json_object_new_string(f->ip6subnet))) < 0 ||
            (r = si_add(o, "mac", json_object_new_string(mac))) < 0 ||
            (r = si_add(o, "operstate", json_object_new_string(operstate))) < 0 ||
            (r = si_add(o, "type", json_object_new_string(type))) < 0 ||
            (r = si_add(o, "duplex", json_object_new_string(duplex))) < 0 ||
            (r = si_add(o, "speed", TAKE_PTR(speed))) < 0)
                return r;
        return si_add(o, "mtu", TAKE_PTR(mtu));
}

static int stats_json(const char *netdev, const char *name, const char *operstate, json_object *stats) {
        size_t n = strlen(name);
        json_object *o;
        int r;

        for (const char *p = netdev; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
                unsigned long long v[16];
                const char *q = p + strspn(p, " ");

                if (strncmp(q, name, n) != 0 || q[n] != ':')
                        continue;
                if (sscanf(q + n + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
                           &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10], &v[11]) != 12)
                        return 0;
                o = json_object_new_object();
                if (!o || (r = si_append(stats, o)) < 0)
                        return -ENOMEM;
                /* /proc/net/dev: rx bytes packets errs drop ... (8 columns), then tx the same way */
                if ((r = si_add(o, "iface", json_object_new_string(name))) < 0 ||
                    (r = si_add(o, "operstate", json_object_new_string(operstate))) < 0 ||
                    (r = si_add(o, "rx_bytes", si_json_u64(v[0]))) < 0 ||
                    (r = si_add(o, "rx_dropped", si_json_u64(v[3]))) < 0 ||
                    (r = si_add(o, "rx_errors", si_json_u64(v[2]))) < 0 ||
                    (r = si_add(o, "tx_bytes", si_json_u64(v[8]))) < 0 ||
                    (r = si_add(o, "tx_dropped", si_json_u64(v[11]))) < 0 ||
                    (r = si_add(o, "tx_errors", si_json_u64(v[10]))) < 0)
                        return r;
                return 0;
        }
        return 0;
}

/* The interfaces of /sys/class/net by ifindex, without addresses yet. */
static int interface_list(SysinfoCall *c, Iface **ret, size_t *ret_n) {
        _cleanup_free_ Iface *list = NULL;
        char path[PATH_MAX];
        size_t n = 0, size = 0;
        _cleanup_closedir_ DIR *d = NULL;

        snprintf(path, sizeof path, "%s/sys/class/net", c->root);
        d = opendir(path);
        if (!d)
                return -errno;
        for (struct dirent *de; (de = readdir(d));) {
                char p[PATH_MAX];
                Iface *f;

                if (de->d_name[0] == '.' || strlen(de->d_name) >= IFNAMSIZ)
                        continue;
                if (SI_GROW(list, n, size, 8) < 0)
                        return -ENOMEM;
                f = &list[n++];
                *f = (Iface) {};
                snprintf(f->name, sizeof f->name, "%s", de->d_name);
                snprintf(p, sizeof p, "/sys/class/net/%s/ifindex", de->d_name);
                if (si_read_u64(c->root, p, &f->ifindex) < 0)
                        f->ifindex = UINT64_MAX;
        }
        if (n > 0)
                qsort(list, n, sizeof *list, iface_cmp);
        *ret = TAKE_PTR(list);
        *ret_n = n;
        return 0;
}

/* Harper's shape with empty lists (all there is when switched off); *interfaces and *stats are
 * the lists inside o to fill. */
static int network_shape(const char *def, json_object *o, json_object **interfaces, json_object **stats) {
        json_object *latency, *connections;
        int r;

        r = si_add(o, "default_interface", def[0] ? json_object_new_string(def) : NULL);
        if (r < 0)
                return r;
        latency = json_object_new_object();            /* never probe the internet */
        if ((r = si_add(o, "latency", latency)) < 0 || !latency)
                return -ENOMEM;
        *interfaces = json_object_new_array();
        if ((r = si_add(o, "interfaces", *interfaces)) < 0 || !*interfaces)
                return -ENOMEM;
        *stats = json_object_new_array();
        if ((r = si_add(o, "stats", *stats)) < 0 || !*stats)
                return -ENOMEM;
        connections = json_object_new_array();         /* Harper never fills it either */
        if ((r = si_add(o, "connections", connections)) < 0 || !connections)
                return -ENOMEM;
        return 0;
}

int sysinfo_network(SysinfoCall *c, void **state, json_object **ret) {
        _cleanup_json_ json_object *o = NULL;
        _cleanup_free_ Iface *list = NULL;
        _cleanup_free_ char *netdev = NULL, *wireless = NULL;
        json_object *interfaces, *stats;
        char def[64] = "";
        size_t n = 0;
        int r;

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        if (c->src->network)
                default_interface(c->root, def, sizeof def);
        r = network_shape(def, o, &interfaces, &stats);
        if (r < 0)
                return r;
        /* off (Harper's default): exactly the empty shape */
        if (!c->src->network) {
                *ret = TAKE_PTR(o);
                return 0;
        }

        r = interface_list(c, &list, &n);
        if (r < 0)
                return r;
        r = addresses(c, list, n);
        if (r < 0)
                return r;
        (void) si_read_file(c->root, "/proc/net/dev", &netdev);
        (void) si_read_file(c->root, "/proc/net/wireless", &wireless);

        for (size_t i = 0; i < n; i++) {
                char operstate[32];

                r = interface_json(c, &list[i], def, wireless, interfaces, operstate, sizeof operstate);
                if (r < 0)
                        return r;
                if (netdev) {
                        r = stats_json(netdev, list[i].name, operstate, stats);
                        if (r < 0)
                                return r;
                }
        }
        *ret = TAKE_PTR(o);
        return 0;
}
