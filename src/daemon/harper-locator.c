/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "harper-locator.h"
#include "harper-settings.h"
#include "text.h"

struct HarperLocator {
        const Config *config;
        SystemdClient *systemd;
        HarperTarget target;   /* where Harper was found last */
        uint64_t found_usec;   /* CLOCK_MONOTONIC; 0: not known */
        unsigned forgotten;    /* how often it was forgotten: a search begun before is not kept */
        HarperSearch *searches;        /* the searches waiting for systemd */
};

/* A search lives until it answers; one waiting for systemd's answer stays until that answer
 * comes (or the systemd client goes), also when cancelled. */
struct HarperSearch {
        HarperLocator *locator;        /* NULL: none, cancelled, or the locator is gone */
        const Config *config;
        unsigned forgotten;    /* the locator's count when the search began */
        harper_found_callback_t callback;      /* NULL: cancelled */
        void *userdata;
        HarperSearch *next;
};

static void search_detach(HarperSearch *s) {
        if (!s->locator)
                return;
        for (HarperSearch **p = &s->locator->searches; *p; p = &(*p)->next)
                if (*p == s) {
                        *p = s->next;
                        break;
                }
        s->locator = NULL;
}

static HarperSearch *search_free(HarperSearch *s) {
        if (!s)
                return NULL;
        search_detach(s);
        free(s);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(HarperSearch *, search_free);

static void keep(HarperLocator *l, const HarperTarget *t) {
        harper_target_done(&l->target);   /* what an earlier search found */
        l->found_usec = harper_target_copy(&l->target, t) >= 0 ? monotonic_usec() : 0;
}

/* Tells the caller (unless cancelled), keeps what was found, and ends the search. */
static void search_answer(HarperSearch *s, const HarperTarget *t, const char *error) {
        harper_found_callback_t callback = s->callback;
        void *userdata = s->userdata;

        if (t && s->locator && s->forgotten == s->locator->forgotten)
                keep(s->locator, t);
        search_free(s);
        if (callback)
                callback(t, error, userdata);
}

/* From Harper's config file: its socket, TCP port and PID file; the configuration's socket
 * (may be NULL) wins. how says how the file was found. */
static void found_in_file(HarperSearch *s, const char *config_path, const char *how) {
        HarperSettings settings = {};
        HarperTarget t = {};
        _cleanup_free_ char *error = NULL;

        if (harper_settings_load(&settings, config_path, &error) < 0)
                return search_answer(s, NULL, error ?: "Cannot read Harper's configuration.");
        t.socket = strdup(s->config->harper.socket ?: settings.domain_socket);
        t.tcp_url = harper_port_url(&settings.operations_port);
        t.pid_file = text_printf("%s/hdb.pid", settings.root_path);
        t.found_by = text_printf("%s, from %s", config_path, how);
        if (t.socket && t.pid_file && t.found_by && (t.tcp_url || settings.operations_port.port == 0))
                search_answer(s, &t, NULL);
        else
                search_answer(s, NULL, "Out of memory while finding Harper.");
        harper_target_done(&t);
        harper_settings_done(&settings);
}

static void on_unit_exec(char **environment, const char *user, const char *error, void *userdata) {
        HarperSearch *s = ASSERT_PTR(userdata);
        _cleanup_free_ char *config_path = NULL, *how = NULL, *problem = NULL, *found_by = NULL;
        const char *unit = s->config->instance_unit;
        struct passwd *pw;

        if (error)
                return search_answer(s, NULL, error);
        /* the unit's user is a local system account: NSS answers from /etc at once */
        pw = getpwnam(user);
        if (harper_locate_config(environment, pw ? pw->pw_dir : NULL, &config_path, &how, &problem) < 0) {
                /* what was looked at (the unit, its environment, its user's home), and the keys
                 * that say where Harper is instead */
                _cleanup_free_ char *why = text_printf("Cannot find Harper from %s (user %s): %s (harper.root_path "
                                                       "or instance_unit in sysops.json(5) say where it is).",
                                                       unit, user, problem ?: "no root directory");
                return search_answer(s, NULL, why ?: "Cannot find Harper's root directory.");
        }
        found_by = text_printf("%s (user %s): %s", unit, user, how);
        if (!found_by)
                return search_answer(s, NULL, "Out of memory while finding Harper.");
        found_in_file(s, config_path, found_by);
}

/* Starts s: 0 when it has answered already (and is gone), 1 when it waits for systemd, or a
 * negative errno (s not answered, still the caller's). */
static int search_start(HarperSearch *s, SystemdClient *systemd) {
        const Config *config = s->config;
        int r;

        if (config->harper.root_path) {
                _cleanup_free_ char *path = text_printf("%s/" HARPER_CONFIG_FILE_NAME, config->harper.root_path);
                if (!path)
                        return -ENOMEM;
                found_in_file(s, path, "harper.root_path in sysops.json");
                return 0;
        }
        if (config->harper.socket) {
                HarperTarget t = { .socket = config->harper.socket, .found_by = (char *) "harper.socket in sysops.json" };
                search_answer(s, &t, NULL);
                return 0;
        }
        if (!systemd)
                return -ENOTCONN;
        r = systemd_client_unit_exec(systemd, config->instance_unit, on_unit_exec, s);
        if (r < 0)
                return r;
        return 1;
}

static int search_new(HarperSearch **ret, HarperLocator *l, const Config *config, harper_found_callback_t callback,
                      void *userdata) {
        HarperSearch *s = calloc(1, sizeof(HarperSearch));

        if (!s)
                return -ENOMEM;
        *s = (HarperSearch) { .config = config, .callback = callback, .userdata = userdata };
        if (l) {
                s->locator = l;
                s->forgotten = l->forgotten;
                s->next = l->searches;
                l->searches = s;
        }
        *ret = s;
        return 0;
}

int harper_locator_find(HarperLocator *l, HarperFreshness how, harper_found_callback_t callback, void *userdata,
                        HarperSearch **ret) {
        _cleanup_(search_freep) HarperSearch *s = NULL;
        int r;

        assert(l);
        assert(callback);
        if (ret)
                *ret = NULL;
        if (how == HARPER_FIND_RECENT && l->found_usec > 0 &&
            monotonic_usec() - l->found_usec < HARPER_LOCATOR_MAX_AGE_USEC) {
                callback(&l->target, NULL, userdata);
                return 0;
        }
        r = search_new(&s, l, l->config, callback, userdata);
        if (r < 0)
                return r;
        r = search_start(s, l->systemd);
        if (r < 0)
                return r;
        if (r > 0 && ret)
                *ret = s;
        TAKE_PTR(s);   /* answered and gone, or the systemd question's */
        return 0;
}

void harper_search_cancel(HarperSearch *s) {
        if (!s)
                return;
        search_detach(s);
        s->callback = NULL;
}

void harper_locator_forget(HarperLocator *l) {
        assert(l);
        harper_target_done(&l->target);
        l->found_usec = 0;
        l->forgotten++;
}

int harper_locator_new(HarperLocator **ret, const Config *config, SystemdClient *systemd) {
        HarperLocator *l;

        assert(ret);
        assert(config);
        l = calloc(1, sizeof(HarperLocator));
        if (!l)
                return -ENOMEM;
        *l = (HarperLocator) { .config = config, .systemd = systemd };
        *ret = l;
        return 0;
}

HarperLocator *harper_locator_free(HarperLocator *l) {
        if (!l)
                return NULL;
        while (l->searches)
                harper_search_cancel(l->searches);
        harper_target_done(&l->target);
        free(l);
        return NULL;
}
