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

typedef struct ConfigKey ConfigKey;

/* Reads v, the value of key (its dotted path), into the object at base: a Config, or the
 * ServiceConfig or PeerConfig of an entry. */
typedef int (*ConfigKeyReader)(json_object *v, void *base, const ConfigKey *k, const char *path, const char *key,
                               char **problem);

/* One key of sysops.json. The tables below are both what the parser accepts and what
 * config_keys_print() lists for the check that sysops.json(5) describes every key. */
struct ConfigKey {
        const char *name;
        ConfigKeyReader read;
        size_t offset;           /* of the field in base */
        unsigned max;            /* a whole number's largest value */
        const ConfigKey *keys;   /* the keys of an object, or of each entry; the last has no name */
        const char *entries;     /* how config_keys_print() writes an entry: ".*" for an object keyed by
                                  * name, "[]" for a list, NULL for a plain key or object */
};

#define FIELD(base, k, type) ((type *) ((char *) (base) + (k)->offset))

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

static int key_string(json_object *v, void *base, const ConfigKey *k, const char *path, const char *key,
                      char **problem) {
        return read_string(v, FIELD(base, k, char *), path, key, problem);
}

/* "auto", "system", "private" or "private:PATH" (systemd's private socket), or a D-Bus address
 * of a transport sd-bus speaks. */
static int key_systemd_bus(json_object *v, void *base, const ConfigKey *k, const char *path, const char *key,
                           char **problem) {
        static const char *const transports[] = { "unix:", "tcp:", "unixexec:", "x-machine-unix:", "x-machine-exec:" };
        const char *value = json_object_get_string(v);
        SystemdConnection how = SYSTEMD_BUS_ADDRESS;
        Config *config = ASSERT_PTR(base);
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

static int key_bool(json_object *v, void *base, const ConfigKey *k, const char *path, const char *key,
                    char **problem) {
        if (!json_object_is_type(v, json_type_boolean))
                return bad(problem, path, key, "must be true or false");
        *FIELD(base, k, bool) = json_object_get_boolean(v);
        return 0;
}

/* A count or a number of seconds, 1 to k->max. */
static int key_whole_number(json_object *v, void *base, const ConfigKey *k, const char *path, const char *key,
                            char **problem) {
        int64_t n;

        if (!json_object_is_type(v, json_type_int))
                return bad(problem, path, key, "must be a whole number");
        n = json_object_get_int64(v);
        if (n < 1 || n > k->max)
                return bad(problem, path, key, "must be between 1 and %u", k->max);
        *FIELD(base, k, unsigned) = (unsigned) n;
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

static int key_one_unit(json_object *v, void *base, const ConfigKey *k, const char *path, const char *key,
                        char **problem) {
        return read_unit(v, FIELD(base, k, char *), false, path, key, problem);
}

static int key_units(json_object *v, void *base, const ConfigKey *k, const char *path, const char *key,
                     char **problem) {
        _cleanup_strv_free_ char **units = NULL;
        char ***field = FIELD(base, k, char **);
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

static int key_action(json_object *v, void *base, const ConfigKey *k, const char *path, const char *key,
                      char **problem) {
        UnitAction a = unit_action_from_string(json_object_get_string(v));
        ServiceConfig *s = ASSERT_PTR(base);

        if (!json_object_is_type(v, json_type_string) || (a < 0 && strcmp(json_object_get_string(v), "harper") != 0))
                return bad(problem, path, key, "must be harper, restart, reload or reload-or-restart");
        s->by_harper = a < 0;
        if (a >= 0)
                s->action = a;
        return 0;
}

static int key_absolute_path(json_object *v, void *base, const ConfigKey *k, const char *path, const char *key,
                             char **problem) {
        if (!json_object_is_type(v, json_type_string) || json_object_get_string(v)[0] != '/')
                return bad(problem, path, key, "must be an absolute path");
        return key_string(v, base, k, path, key, problem);
}

/* "a, b, c": the names of keys, for messages. */
static char *key_names(const ConfigKey *keys) {
        _cleanup_free_ char *names = strdup("");

        for (const ConfigKey *k = keys; names && k->name; k++) {
                char *more = text_printf("%s%s%s", names, k == keys ? "" : ", ", k->name);
                free(names);
                names = more;
        }
        return TAKE_PTR(names);
}

/* Each member of the object v by the table keys into base; prefix is the object's dotted path
 * (NULL at the top). */
static int read_object(json_object *v, void *base, const ConfigKey *keys, const char *path, const char *prefix,
                       char **problem) {
        assert(json_object_is_type(v, json_type_object));

        json_object_object_foreach(v, name, value) {
                _cleanup_free_ char *key = prefix ? text_printf("%s.%s", prefix, name) : strdup(name);
                const ConfigKey *k = keys;
                int r;

                if (!key)
                        return -ENOMEM;
                while (k->name && strcmp(k->name, name) != 0)
                        k++;
                if (!k->name) {
                        _cleanup_free_ char *known = key_names(keys);
                        if (!known)
                                return -ENOMEM;
                        return bad(problem, path, key, "is not a known key (%s)", known);
                }
                r = k->read(value, base, k, path, key, problem);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* An object of keys of its own, read into the same base (harper, system_information). */
static int key_section(json_object *v, void *base, const ConfigKey *k, const char *path, const char *key,
                       char **problem) {
        if (!json_object_is_type(v, json_type_object)) {
                _cleanup_free_ char *known = key_names(k->keys);
                if (!known)
                        return -ENOMEM;
                return bad(problem, path, key, "must be an object (%s)", known);
        }
        return read_object(v, base, k->keys, path, key, problem);
}

/* Units without an action mean the service's default systemd action; "harper" takes no units,
 * a systemd action needs them. */
static int read_service(json_object *v, ServiceConfig *s, const ConfigKey *keys, const char *path, const char *key,
                        char **problem) {
        int r;

        if (!json_object_is_type(v, json_type_object))
                return bad(problem, path, key, "must be an object with action, units and rolling");
        r = read_object(v, s, keys, path, key, problem);
        if (r < 0)
                return r;
        if (!json_object_object_get_ex(v, "action", NULL))
                s->by_harper = !s->units;
        if (s->by_harper && s->units)
                return bad(problem, path, key, "has units, which action harper does not use");
        if (!s->by_harper && !s->units)
                return bad(problem, path, key, "needs units for action %s", unit_action_to_string(s->action));
        return 0;
}

static int key_services(json_object *v, void *base, const ConfigKey *k, const char *path, const char *key,
                        char **problem) {
        Config *config = ASSERT_PTR(base);

        if (!json_object_is_type(v, json_type_object))
                return bad(problem, path, key, "must be an object keyed by Harper service name");
        json_object_object_foreach(v, name, value) {
                _cleanup_free_ char *service_key = text_printf("%s.%s", key, name);
                HarperService s = harper_service_from_string(name);
                int r;

                if (!service_key)
                        return -ENOMEM;
                if (s < 0)
                        return bad(problem, path, service_key,
                                   "is not a Harper service (http_workers, clustering, clustering_config)");
                r = read_service(value, &config->services[s], k->keys, path, service_key, problem);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int read_peer(json_object *v, PeerConfig *peer, const ConfigKey *keys, const char *path, const char *key,
                     char **problem) {
        int r;

        if (!json_object_is_type(v, json_type_object))
                return bad(problem, path, key, "must be an object with name and ssh, address or exclude");
        r = read_object(v, peer, keys, path, key, problem);
        if (r < 0)
                return r;
        if (!peer->name)
                return bad(problem, path, key, "needs a name");
        if (peer->ssh && peer->address)
                return bad(problem, path, key, "needs either ssh (a host) or address (a D-Bus address), not both");
        if (!peer->ssh && !peer->address && !peer->exclude)
                return bad(problem, path, key, "needs ssh (a host), address (a D-Bus address) or exclude");
        return 0;
}

static int key_peers(json_object *v, void *base, const ConfigKey *k, const char *path, const char *key,
                     char **problem) {
        Config *config = ASSERT_PTR(base);
        size_t n;

        if (!json_object_is_type(v, json_type_array))
                return bad(problem, path, key, "must be a list of {name, ssh, address or exclude}");
        n = json_object_array_length(v);
        peers_free(config->peers, config->n_peers);
        config->n_peers = 0;
        config->peers = calloc(n ? n : 1, sizeof(PeerConfig));
        if (!config->peers)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *peer_key = text_printf("%s[%zu]", key, i);
                int r;

                if (!peer_key)
                        return -ENOMEM;
                config->n_peers++;
                r = read_peer(json_object_array_get_idx(v, i), &config->peers[i], k->keys, path, peer_key, problem);
                if (r < 0)
                        return r;
                for (size_t j = 0; j < i; j++)
                        if (strcmp(config->peers[j].name, config->peers[i].name) == 0) {
                                _cleanup_free_ char *name_key = text_printf("%s.name", peer_key);
                                if (!name_key)
                                        return -ENOMEM;
                                return bad(problem, path, name_key, "repeats '%s'", config->peers[i].name);
                        }
        }
        return 0;
}

#define KEY(n, reader, ...) { .name = n, .read = reader, __VA_ARGS__ }

static const ConfigKey service_keys[] = {
        KEY("action", key_action),
        KEY("units", key_units, .offset = offsetof(ServiceConfig, units)),
        KEY("rolling", key_bool, .offset = offsetof(ServiceConfig, rolling)),
        {},
};

static const ConfigKey harper_keys[] = {
        KEY("root_path", key_absolute_path, .offset = offsetof(Config, harper.root_path)),
        KEY("socket", key_absolute_path, .offset = offsetof(Config, harper.socket)),
        KEY("api", key_bool, .offset = offsetof(Config, harper.api)),
        KEY("answer_timeout_sec", key_whole_number, .offset = offsetof(Config, harper.answer_timeout_sec),
            .max = 3600),
        KEY("query_timeout_ms", key_whole_number, .offset = offsetof(Config, harper.query_timeout_ms),
            .max = 60000),
        {},
};

static const ConfigKey sysinfo_keys[] = {
        KEY("disk", key_bool, .offset = offsetof(Config, sysinfo_disk)),
        KEY("network", key_bool, .offset = offsetof(Config, sysinfo_network)),
        KEY("data_dir", key_string, .offset = offsetof(Config, data_dir)),
        {},
};

static const ConfigKey peer_keys[] = {
        KEY("name", key_string, .offset = offsetof(PeerConfig, name)),
        KEY("ssh", key_string, .offset = offsetof(PeerConfig, ssh)),
        KEY("address", key_string, .offset = offsetof(PeerConfig, address)),
        KEY("exclude", key_bool, .offset = offsetof(PeerConfig, exclude)),
        {},
};

static const ConfigKey config_keys[] = {
        KEY("instance_unit", key_one_unit, .offset = offsetof(Config, instance_unit)),
        KEY("systemd_bus", key_systemd_bus),
        KEY("unit_timeout_sec", key_whole_number, .offset = offsetof(Config, unit_timeout_sec), .max = 24 * 3600),
        KEY("jobs_kept", key_whole_number, .offset = offsetof(Config, jobs_kept), .max = 10000),
        KEY("services", key_services, .keys = service_keys, .entries = ".*"),
        KEY("harper", key_section, .keys = harper_keys),
        KEY("system_information", key_section, .keys = sysinfo_keys),
        KEY("peers", key_peers, .keys = peer_keys, .entries = "[]"),
        KEY("ssh_config", key_absolute_path, .offset = offsetof(Config, ssh_config)),
        KEY("peer_timeout_sec", key_whole_number, .offset = offsetof(Config, peer_timeout_sec), .max = 24 * 3600),
        {},
};

static int apply(json_object *root, Config *config, const char *path, char **problem) {
        if (!json_object_is_type(root, json_type_object))
                return bad(problem, path, "(top level)", "must be a JSON object");
        return read_object(root, config, config_keys, path, NULL, problem);
}

static int keys_print(FILE *f, const ConfigKey *keys, const char *prefix) {
        for (const ConfigKey *k = keys; k->name; k++) {
                _cleanup_free_ char *sub = NULL;
                int r;

                fprintf(f, "%s%s\n", prefix, k->name);
                if (!k->keys)
                        continue;
                sub = text_printf("%s%s%s.", prefix, k->name, k->entries ?: "");
                if (!sub)
                        return -ENOMEM;
                r = keys_print(f, k->keys, sub);
                if (r < 0)
                        return r;
        }
        return 0;
}

int config_keys_print(FILE *f) {
        assert(f);
        return keys_print(f, config_keys, "");
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
