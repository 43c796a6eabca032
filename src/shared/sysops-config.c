/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fnmatch.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json-util.h"
#include "macro.h"
#include "string-table.h"
#include "sysops-config.h"
#include "text.h"

static const char *const harper_service_table[_HARPER_SERVICE_MAX] = {
        [HARPER_SERVICE_HTTP_WORKERS] = "http_workers",
        [HARPER_SERVICE_CLUSTERING] = "clustering",
        [HARPER_SERVICE_CLUSTERING_CONFIG] = "clustering_config",
};
DEFINE_STRING_TABLE_LOOKUP(harper_service, HarperService, _HARPER_SERVICE_MAX);

static const char *const unit_action_table[_UNIT_ACTION_MAX] = {
        [UNIT_ACTION_RESTART] = "restart",
        [UNIT_ACTION_RELOAD] = "reload",
        [UNIT_ACTION_RELOAD_OR_RESTART] = "reload-or-restart",
};
DEFINE_STRING_TABLE_LOOKUP(unit_action, UnitAction, _UNIT_ACTION_MAX);

bool unit_name_is_pattern(const char *name) {
        assert(name);
        return strpbrk(name, "*?[") != NULL;
}

bool unit_name_is_valid(const char *name) {
        static const char *const suffixes[] = {
                ".service", ".socket", ".target", ".mount", ".timer", ".path", ".slice", ".scope",
        };
        size_t n = strlen(name);

        if (n == 0 || n > 255 || strchr(name, '/'))
                return false;
        assert(name);

        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
                size_t k = strlen(suffixes[i]);
                if (n > k && strcmp(name + n - k, suffixes[i]) == 0)
                        return true;
        }
        return false;
}

void config_defaults(Config *config) {
        assert(config);

        *config = (Config) {
                .unit_timeout_sec = 600,
                .peer_timeout_sec = 600,   /* Harper polls a peer's job 2400 × 250 ms */
                .jobs_kept = 64,
                .sysinfo_disk = true,
                .sysinfo_network = true,
                /* Harper allows itself 60 s for a restart (its RESTART_TIMEOUT_MS) */
                /* Harper's figures: a busy host's Harper takes seconds; its callers wait 25 s */
                .harper = { .api = true, .answer_timeout_sec = 60, .query_timeout_ms = 10000 },
        };
        config->instance_unit = strdup("harperdb.service");
        config->ssh_config = strdup(SYSOPS_SSH_CONFIG_FILE);
        /* Harper restarts its own services; what applies once units are configured for one */
        config->services[HARPER_SERVICE_HTTP_WORKERS] = (ServiceConfig) {
                .by_harper = true, .action = UNIT_ACTION_RESTART, .rolling = true };
        config->services[HARPER_SERVICE_CLUSTERING] = (ServiceConfig) {
                .by_harper = true, .action = UNIT_ACTION_RESTART };
        config->services[HARPER_SERVICE_CLUSTERING_CONFIG] = (ServiceConfig) {
                .by_harper = true, .action = UNIT_ACTION_RELOAD };
}

static void peers_free(PeerConfig *peers, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(peers[i].name);
                free(peers[i].ssh);
                free(peers[i].address);
        }
        free(peers);
}

void config_done(Config *config) {
        assert(config);

        free(config->instance_unit);
        free(config->systemd_address);
        free(config->ssh_config);
        free(config->data_dir);
        for (int i = 0; i < _HARPER_SERVICE_MAX; i++)
                strv_free(config->services[i].units);
        peers_free(config->peers, config->n_peers);
        free(config->harper.root_path);
        free(config->harper.socket);
        *config = (Config) {};
}

/* Sets *problem to "<file>: '<key>' <what>" and returns -EINVAL. */
#define bad(problem, path, key, ...) bad_owned(problem, path, key, text_printf(__VA_ARGS__))
static int bad_owned(char **problem, const char *path, const char *key, char *what) {
        *problem = text_printf("%s: '%s' %s", path, key, what ? what : "is invalid");
        free(what);
        return -EINVAL;
}

static int read_string(json_object *v, char **field, const char *path, const char *key, char **problem) {
        char *copy;

        assert(field);

        if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) == 0)
                return bad(problem, path, key, "must be a non-empty string");
        copy = strdup(json_object_get_string(v));
        if (!copy)
                return -ENOMEM;
        free(*field);
        *field = copy;
        return 0;
}

/* "auto", "system", "private" or "private:PATH" (systemd's private socket), or a D-Bus address
 * of a transport sd-bus speaks. */
static int read_systemd_connection(json_object *v, Config *config, const char *path, const char *key,
                                   char **problem) {
        static const char *const transports[] = { "unix:", "tcp:", "unixexec:", "x-machine-unix:", "x-machine-exec:" };
        const char *value = json_object_get_string(v);
        SystemdConnection how = SYSTEMD_BUS_ADDRESS;
        const char *address = value;
        bool known = false;

        if (!json_object_is_type(v, json_type_string))
                value = address = "";
        if (strcmp(value, "auto") == 0 || strcmp(value, "system") == 0) {
                how = value[0] == 'a' ? SYSTEMD_AUTO : SYSTEMD_SYSTEM_BUS;
                address = NULL;
                known = true;
        } else if (strcmp(value, "private") == 0 || strncmp(value, "private:/", 9) == 0) {
                how = SYSTEMD_PRIVATE;
                address = value[7] ? value + 8 : "/run/systemd/private";
                known = true;
        }
        for (size_t i = 0; !known && i < ELEMENTSOF(transports); i++)
                known = strncmp(value, transports[i], strlen(transports[i])) == 0 && value[strlen(transports[i])] != 0;
        if (!known)
                return bad(problem, path, key, "must be \"auto\", \"system\", \"private\", \"private:/PATH\" or a D-Bus "
                           "address such as unix:path=/run/dbus/system_bus_socket");
        free(config->systemd_address);
        config->systemd_address = NULL;
        if (address && !(config->systemd_address = strdup(address)))
                return -ENOMEM;
        config->systemd = how;
        return 0;
}

static int read_bool(json_object *v, bool *field, const char *path, const char *key, char **problem) {
        if (!json_object_is_type(v, json_type_boolean))
                return bad(problem, path, key, "must be true or false");
        *field = json_object_get_boolean(v);
        return 0;
}

/* A count or a number of seconds, 1 to max. */
static int read_whole_number(json_object *v, unsigned *field, unsigned max, const char *path, const char *key,
                             char **problem) {
        int64_t n;

        if (!json_object_is_type(v, json_type_int))
                return bad(problem, path, key, "must be a whole number");
        n = json_object_get_int64(v);
        if (n < 1 || n > max)
                return bad(problem, path, key, "must be between 1 and %u", max);
        *field = (unsigned) n;
        return 0;
}

static int read_unit(json_object *v, char **field, bool pattern_allowed, const char *path, const char *key,
                     char **problem) {
        const char *name;

        if (!json_object_is_type(v, json_type_string))
                return bad(problem, path, key, "must be a unit name such as harperdb.service");
        name = json_object_get_string(v);
        if (!unit_name_is_valid(name))
                return bad(problem, path, key, "is not a unit name: '%s'", name);
        if (!pattern_allowed && unit_name_is_pattern(name))
                return bad(problem, path, key, "must name one unit, not a pattern: '%s'", name);
        return read_string(v, field, path, key, problem);
}

static int read_units(json_object *v, char ***field, const char *path, const char *key, char **problem) {
        _cleanup_strv_free_ char **units = NULL;
        size_t n;
        int r;

        if (json_object_is_type(v, json_type_string)) {
                units = calloc(2, sizeof(char *));
                if (!units)
                        return -ENOMEM;
                r = read_unit(v, &units[0], true, path, key, problem);
                if (r < 0)
                        return r;
        } else {
                if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0)
                        return bad(problem, path, key, "must be a unit name, a pattern, or a non-empty list of them");
                n = json_object_array_length(v);
                units = calloc(n + 1, sizeof(char *));
                if (!units)
                        return -ENOMEM;
                for (size_t i = 0; i < n; i++) {
                        r = read_unit(json_object_array_get_idx(v, i), &units[i], true, path, key, problem);
                        if (r < 0)
                                return r;
                }
        }
        strv_free(*field);
        *field = TAKE_PTR(units);
        return 0;
}

static int read_action(json_object *v, ServiceConfig *s, const char *path, const char *key, char **problem) {
        UnitAction a = unit_action_from_string(json_object_get_string(v));

        if (!json_object_is_type(v, json_type_string) || (a < 0 && strcmp(json_object_get_string(v), "harper") != 0))
                return bad(problem, path, key, "must be harper, restart, reload or reload-or-restart");
        s->by_harper = a < 0;
        if (a >= 0)
                s->action = a;
        return 0;
}

/* Units without an action mean the service's default systemd action; "harper" takes no units,
 * a systemd action needs them. */
static int read_service(json_object *v, ServiceConfig *s, const char *path, const char *service, char **problem) {
        json_object *action = NULL;
        char key[128];
        int r = 0;

        snprintf(key, sizeof key, "services.%s", service);
        if (!json_object_is_type(v, json_type_object))
                return bad(problem, path, key, "must be an object with action, units and rolling");
        json_object_object_foreach(v, name, value) {
                snprintf(key, sizeof key, "services.%s.%s", service, name);
                if (strcmp(name, "units") == 0)
                        r = read_units(value, &s->units, path, key, problem);
                else if (strcmp(name, "rolling") == 0)
                        r = read_bool(value, &s->rolling, path, key, problem);
                else if (strcmp(name, "action") == 0)
                        r = read_action(action = value, s, path, key, problem);
                else
                        return bad(problem, path, key, "is not a known key (action, units, rolling)");
                if (r < 0)
                        return r;
        }
        if (!action)
                s->by_harper = !s->units;
        snprintf(key, sizeof key, "services.%s", service);
        if (s->by_harper && s->units)
                return bad(problem, path, key, "has units, which action harper does not use");
        if (!s->by_harper && !s->units)
                return bad(problem, path, key, "needs units for action %s", unit_action_to_string(s->action));
        return 0;
}

static int read_absolute_path(json_object *v, char **field, const char *path, const char *key, char **problem) {
        if (!json_object_is_type(v, json_type_string) || json_object_get_string(v)[0] != '/')
                return bad(problem, path, key, "must be an absolute path");
        return read_string(v, field, path, key, problem);
}

static int read_harper(json_object *v, Config *config, const char *path, char **problem) {
        if (!json_object_is_type(v, json_type_object))
                return bad(problem, path, "harper", "must be an object with root_path and socket");
        json_object_object_foreach(v, name, value) {
                char key[128];
                int r;

                snprintf(key, sizeof key, "harper.%s", name);
                if (strcmp(name, "root_path") == 0)
                        r = read_absolute_path(value, &config->harper.root_path, path, key, problem);
                else if (strcmp(name, "socket") == 0)
                        r = read_absolute_path(value, &config->harper.socket, path, key, problem);
                else if (strcmp(name, "api") == 0)
                        r = read_bool(value, &config->harper.api, path, key, problem);
                else if (strcmp(name, "answer_timeout_sec") == 0)
                        r = read_whole_number(value, &config->harper.answer_timeout_sec, 3600, path, key, problem);
                else if (strcmp(name, "query_timeout_ms") == 0)
                        r = read_whole_number(value, &config->harper.query_timeout_ms, 60000, path, key, problem);
                else
                        return bad(problem, path, key, "is not a known key (root_path, socket, api, "
                                   "answer_timeout_sec, query_timeout_ms)");
                if (r < 0)
                        return r;
        }
        return 0;
}

static int read_services(json_object *v, Config *config, const char *path, char **problem) {
        if (!json_object_is_type(v, json_type_object))
                return bad(problem, path, "services", "must be an object keyed by Harper service name");
        json_object_object_foreach(v, name, value) {
                HarperService s = harper_service_from_string(name);
                char key[128];
                int r;

                snprintf(key, sizeof key, "services.%s", name);
                if (s < 0)
                        return bad(problem, path, key, "is not a Harper service (http_workers, clustering, clustering_config)");
                r = read_service(value, &config->services[s], path, name, problem);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int read_sysinfo(json_object *v, Config *config, const char *path, char **problem) {
        if (!json_object_is_type(v, json_type_object))
                return bad(problem, path, "system_information", "must be an object");
        json_object_object_foreach(v, name, value) {
                char key[128];
                int r;

                snprintf(key, sizeof key, "system_information.%s", name);
                if (strcmp(name, "disk") == 0)
                        r = read_bool(value, &config->sysinfo_disk, path, key, problem);
                else if (strcmp(name, "network") == 0)
                        r = read_bool(value, &config->sysinfo_network, path, key, problem);
                else if (strcmp(name, "data_dir") == 0)
                        r = read_string(value, &config->data_dir, path, key, problem);
                else
                        return bad(problem, path, key, "is not a known key (disk, network, data_dir)");
                if (r < 0)
                        return r;
        }
        return 0;
}

static int read_peer(json_object *v, PeerConfig *peer, const char *path, size_t index, char **problem) {
        char key[64];
        int r = 0;

        snprintf(key, sizeof key, "peers[%zu]", index);
        if (!json_object_is_type(v, json_type_object))
                return bad(problem, path, key, "must be an object with name and ssh, address or exclude");
        json_object_object_foreach(v, name, value) {
                snprintf(key, sizeof key, "peers[%zu].%s", index, name);
                if (strcmp(name, "name") == 0)
                        r = read_string(value, &peer->name, path, key, problem);
                else if (strcmp(name, "ssh") == 0)
                        r = read_string(value, &peer->ssh, path, key, problem);
                else if (strcmp(name, "address") == 0)
                        r = read_string(value, &peer->address, path, key, problem);
                else if (strcmp(name, "exclude") == 0)
                        r = read_bool(value, &peer->exclude, path, key, problem);
                else
                        return bad(problem, path, key, "is not a known key (name, ssh, address, exclude)");
                if (r < 0)
                        return r;
        }
        snprintf(key, sizeof key, "peers[%zu]", index);
        if (!peer->name)
                return bad(problem, path, key, "needs a name");
        if (peer->ssh && peer->address)
                return bad(problem, path, key, "needs either ssh (a host) or address (a D-Bus address), not both");
        if (!peer->ssh && !peer->address && !peer->exclude)
                return bad(problem, path, key, "needs ssh (a host), address (a D-Bus address) or exclude");
        return 0;
}

static int read_peers(json_object *v, Config *config, const char *path, char **problem) {
        size_t n;
        int r;

        if (!json_object_is_type(v, json_type_array))
                return bad(problem, path, "peers", "must be a list of {name, ssh, address or exclude}");
        n = json_object_array_length(v);
        peers_free(config->peers, config->n_peers);
        config->n_peers = 0;
        config->peers = calloc(n ? n : 1, sizeof(PeerConfig));
        if (!config->peers)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                config->n_peers++;
                r = read_peer(json_object_array_get_idx(v, i), &config->peers[i], path, i, problem);
                if (r < 0)
                        return r;
                for (size_t k = 0; k < i; k++)
                        if (strcmp(config->peers[k].name, config->peers[i].name) == 0) {
                                char key[64];
                                snprintf(key, sizeof key, "peers[%zu].name", i);
                                return bad(problem, path, key, "repeats '%s'", config->peers[i].name);
                        }
        }
        return 0;
}

static int apply(json_object *root, Config *config, const char *path, char **problem) {
        if (!json_object_is_type(root, json_type_object))
                return bad(problem, path, "(top level)", "must be a JSON object");
        json_object_object_foreach(root, name, value) {
                int r;

                if (strcmp(name, "instance_unit") == 0)
                        r = read_unit(value, &config->instance_unit, false, path, name, problem);
                else if (strcmp(name, "systemd_bus") == 0)
                        r = read_systemd_connection(value, config, path, name, problem);
                else if (strcmp(name, "unit_timeout_sec") == 0)
                        r = read_whole_number(value, &config->unit_timeout_sec, 24 * 3600, path, name, problem);
                else if (strcmp(name, "peer_timeout_sec") == 0)
                        r = read_whole_number(value, &config->peer_timeout_sec, 24 * 3600, path, name, problem);
                else if (strcmp(name, "peers") == 0)
                        r = read_peers(value, config, path, problem);
                else if (strcmp(name, "ssh_config") == 0)
                        r = read_absolute_path(value, &config->ssh_config, path, name, problem);
                else if (strcmp(name, "jobs_kept") == 0)
                        r = read_whole_number(value, &config->jobs_kept, 10000, path, name, problem);
                else if (strcmp(name, "services") == 0)
                        r = read_services(value, config, path, problem);
                else if (strcmp(name, "system_information") == 0)
                        r = read_sysinfo(value, config, path, problem);
                else if (strcmp(name, "harper") == 0)
                        r = read_harper(value, config, path, problem);
                else
                        return bad(problem, path, name, "is not a known key");
                if (r < 0)
                        return r;
        }
        return 0;
}

/* A configuration file is small: anything larger is clearly not one. */
#define CONFIG_FILE_MAX (1024 * 1024)

static int read_file(const char *path, char **ret, size_t *ret_size) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *text = NULL;
        size_t size;

        f = fopen(path, "re");
        if (!f)
                return -errno;
        text = malloc(CONFIG_FILE_MAX + 1);
        if (!text)
                return -ENOMEM;
        size = fread(text, 1, CONFIG_FILE_MAX + 1, f);
        if (size > CONFIG_FILE_MAX)
                return -EFBIG;
        text[size] = 0;
        *ret = TAKE_PTR(text);
        *ret_size = size;
        return 0;
}

/* Parses text (size bytes) into *ret: one JSON value and at most white space after it; else
 * -EINVAL with *problem saying where. */
static int parse(const char *text, size_t size, const char *path, json_object **ret, char **problem) {
        _cleanup_(json_tokener_freep) json_tokener *tok = NULL;
        _cleanup_json_ json_object *root = NULL;
        size_t end;

        tok = json_tokener_new();
        if (!tok)
                return -ENOMEM;
        root = json_tokener_parse_ex(tok, text, (int) size);
        end = json_tokener_get_parse_end(tok);
        /* trailing whitespace is fine, anything else after the object is not */
        if (root)
                end += strspn(text + end, " \t\r\n");
        if (!root || text[end] != 0) {
                *problem = text_printf("%s: not valid JSON (%s at byte %zu)", path,
                                       root ? "unexpected text" :
                                       json_tokener_get_error(tok) == json_tokener_continue ? "unexpected end" :
                                       json_tokener_error_desc(json_tokener_get_error(tok)),
                                       end);
                return -EINVAL;
        }
        *ret = TAKE_PTR(root);
        return 0;
}

int config_load(Config *config, const char *path, bool required, char **problem) {
        _cleanup_json_ json_object *root = NULL;
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        int r;

        assert(config);
        assert(path);
        assert(problem);

        *problem = NULL;
        r = read_file(path, &text, &size);
        if (r == -ENOENT && !required)
                return 0;
        if (r < 0) {
                *problem = text_printf("%s: cannot read: %s", path, strerror(-r));
                return r;
        }
        r = parse(text, size, path, &root, problem);
        if (r < 0)
                return r;
        return apply(root, config, path, problem);
}
