/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "harper-finder.h"
#include "harper-locate.h"
#include "text.h"

typedef struct FindRequest {
        const Config *config;
        harper_found_callback_t callback;
        void *userdata;
} FindRequest;

/* Harper's operations port as a URL a client on this host can reach: a wildcard listener is
 * asked on loopback. */
static char *tcp_url(const HarperPort *p) {
        const char *host = p->host;

        if (p->port == 0)
                return NULL;
        if (!host || !*host || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "*") == 0)
                host = "127.0.0.1";
        else if (strcmp(host, "::") == 0 || strcmp(host, "[::]") == 0)
                host = "[::1]";
        if (strchr(host, ':') && host[0] != '[')
                return text_printf("http://[%s]:%u/", host, p->port);
        return text_printf("http://%s:%u/", host, p->port);
}

/* From Harper's config file: its socket, TCP port and PID file; the configuration's socket
 * (may be NULL) wins. */
static void found_in_file(FindRequest *f, const char *config_path) {
        HarperSettings settings = {};
        HarperTarget t = {};
        char *error = NULL;

        if (harper_settings_load(&settings, config_path, &error) < 0) {
                f->callback(NULL, error ? error : "Cannot read Harper's configuration.", f->userdata);
                free(error);
                return;
        }
        t.socket = strdup(f->config->harper.socket ? f->config->harper.socket : settings.domain_socket);
        t.tcp_url = tcp_url(&settings.operations_port);
        t.pid_file = text_printf("%s/hdb.pid", settings.root_path);
        if (t.socket && t.pid_file && (t.tcp_url || settings.operations_port.port == 0))
                f->callback(&t, NULL, f->userdata);
        else
                f->callback(NULL, "Out of memory while finding Harper.", f->userdata);
        harper_target_done(&t);
        harper_settings_done(&settings);
}

static void on_unit_exec(char **environment, const char *user, const char *error, void *userdata) {
        FindRequest *f = userdata;
        struct passwd *pw;
        char *config_path = NULL, *problem = NULL;

        if (error) {
                f->callback(NULL, error, f->userdata);
                free(f);
                return;
        }
        /* the unit's user is a local system account: NSS answers from /etc at once */
        pw = getpwnam(user);
        if (harper_locate_config(environment, pw ? pw->pw_dir : NULL, &config_path, &problem) < 0)
                f->callback(NULL, problem ? problem : "Cannot find Harper's root directory.", f->userdata);
        else
                found_in_file(f, config_path);
        free(config_path);
        free(problem);
        free(f);
}

int harper_find(const Config *config, SystemdClient *systemd, harper_found_callback_t callback, void *userdata) {
        FindRequest *f = malloc(sizeof(FindRequest));
        int r;

        if (!f)
                return -ENOMEM;
        *f = (FindRequest) { config, callback, userdata };
        if (config->harper.root_path) {
                char *path = text_printf("%s/" HARPER_CONFIG_FILE_NAME, config->harper.root_path);
                if (path)
                        found_in_file(f, path);
                free(path);
                free(f);
                return path ? 0 : -ENOMEM;
        }
        if (config->harper.socket) {
                HarperTarget t = { .socket = config->harper.socket };
                callback(&t, NULL, userdata);
                free(f);
                return 0;
        }
        r = systemd_client_unit_exec(systemd, config->instance_unit, on_unit_exec, f);
        if (r < 0)
                free(f);
        return r;
}

typedef struct RecentRequest {
        HarperPlace *place;
        unsigned forgotten;
        harper_found_callback_t callback;
        void *userdata;
} RecentRequest;

void harper_place_forget(HarperPlace *place) {
        harper_target_done(&place->target);
        place->found_usec = 0;
        place->forgotten++;
}

static void on_found_to_keep(const HarperTarget *t, const char *error, void *userdata) {
        RecentRequest *q = userdata;

        if (t && q->forgotten == q->place->forgotten) {
                harper_target_done(&q->place->target);   /* what an earlier search found */
                q->place->found_usec = harper_target_copy(&q->place->target, t) >= 0 ? monotonic_usec() : 0;
        }
        q->callback(t, error, q->userdata);
        free(q);
}

int harper_find_recent(HarperPlace *place, const Config *config, SystemdClient *systemd,
                       harper_found_callback_t callback, void *userdata) {
        RecentRequest *q;
        int r;

        if (place->found_usec > 0 && monotonic_usec() - place->found_usec < HARPER_PLACE_MAX_AGE_USEC) {
                callback(&place->target, NULL, userdata);
                return 0;
        }
        q = malloc(sizeof(RecentRequest));
        if (!q)
                return -ENOMEM;
        *q = (RecentRequest) { place, place->forgotten, callback, userdata };
        r = harper_find(config, systemd, on_found_to_keep, q);
        if (r < 0)
                free(q);
        return r;
}
