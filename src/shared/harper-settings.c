/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "harper-settings.h"
#include "macro.h"
#include "string-table.h"
#include "text.h"

#define BOOT_SETTINGS_PATH_KEY "settings_path"
/* What Harper's defaultConfig.yaml says before the installer fills in the root */
static const char *const harper_settings_key_table[_HARPER_KEY_MAX] = {
        [HARPER_KEY_ROOT_PATH] = "rootPath",
        [HARPER_KEY_DOMAIN_SOCKET] = "operationsApi.network.domainSocket",
        [HARPER_KEY_OPERATIONS_PORT] = "operationsApi.network.port",
};
DEFINE_STRING_TABLE_LOOKUP_TO_STRING(harper_settings_key, HarperSettingsKey, _HARPER_KEY_MAX);

#define DEFAULT_DOMAIN_SOCKET "hdb/operations-server"

char *harper_root_from_environment(char *const *environment) {
        const char *root = NULL;

        /* as systemd applies them: a later assignment wins */
        for (char *const *e = environment; e && *e; e++)
                if (strncmp(*e, "ROOTPATH=", 9) == 0)
                        root = *e + 9;
        return root && *root ? strdup(root) : NULL;
}

static const char *environment_get(char *const *environment, const char *key) {
        size_t n = strlen(key);
        const char *value = NULL;

        for (char *const *e = environment; e && *e; e++)
                if (strncmp(*e, key, n) == 0 && (*e)[n] == '=')
                        value = *e + n + 1;
        return value;
}

static char *trim(char *s) {
        char *end;

        while (isspace((unsigned char) *s))
                s++;
        end = s + strlen(s);
        while (end > s && isspace((unsigned char) end[-1]))
                *--end = '\0';
        return s;
}

/* Harper writes the file with the properties-reader package's syntax: "key = value" lines
 * (its second line indented), '#' and '!' comments. */
int harper_boot_properties_read(const char *path, char **ret_config_path, char **ret_error) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *line = NULL;
        size_t allocated = 0;

        assert(path);
        assert(ret_config_path);
        assert(ret_error);
        *ret_config_path = NULL;
        *ret_error = NULL;
        f = fopen(path, "re");
        if (!f)
                return text_error(ret_error, -errno, "%s: %s", path, strerror(errno));
        while (getline(&line, &allocated, f) >= 0) {
                char *key = trim(line), *value = strchr(key, '=');

                if (*key == '#' || *key == '!' || !value)
                        continue;
                *value++ = '\0';
                if (strcmp(trim(key), BOOT_SETTINGS_PATH_KEY) != 0 || !*trim(value))
                        continue;
                *ret_config_path = strdup(trim(value));
                return *ret_config_path ? 0 : -ENOMEM;
        }
        return text_error(ret_error, -ENOENT, "%s: no " BOOT_SETTINGS_PATH_KEY " in it", path);
}

int harper_locate_config(char *const *environment, const char *home, char **ret_config_path, char **ret_how,
                         char **ret_error) {
        _cleanup_free_ char *root = harper_root_from_environment(environment), *boot = NULL, *problem = NULL;
        const char *unit_home = environment_get(environment, "HOME");
        int r;

        assert(ret_config_path);
        assert(ret_how);
        assert(ret_error);
        *ret_config_path = *ret_how = *ret_error = NULL;
        if (root) {
                *ret_config_path = text_printf("%s/%s", root, HARPER_CONFIG_FILE_NAME);
                *ret_how = text_printf("ROOTPATH=%s in its environment", root);
                return *ret_config_path && *ret_how ? 0 : -ENOMEM;
        }
        if (unit_home && *unit_home)
                home = unit_home;
        if (!home || !*home)
                return text_error(ret_error, -ENOENT, "no ROOTPATH= in its environment and no home directory to "
                                                      "look in");
        boot = text_printf("%s/%s", home, HARPER_BOOT_PROPERTIES_PATH);
        if (!boot)
                return -ENOMEM;
        r = harper_boot_properties_read(boot, ret_config_path, &problem);
        if (r < 0)
                return text_error(ret_error, r, "no ROOTPATH= in its environment, and %s", problem ?: boot);
        *ret_how = text_printf("settings_path in %s", boot);
        return *ret_how ? 0 : -ENOMEM;
}

static int parse_port_number(const char *text, unsigned *ret) {
        char *end;
        unsigned long n;

        if (!isdigit((unsigned char) *text))
                return -EINVAL;
        errno = 0;
        n = strtoul(text, &end, 10);
        if (errno || *end || n < 1 || n > 65535)
                return -EINVAL;
        *ret = (unsigned) n;
        return 0;
}

int harper_port_parse(const char *text, HarperPort *ret) {
        const char *colon = strrchr(text, ':');
        size_t host_len;
        unsigned port;

        *ret = (HarperPort) { 0 };
        if (!colon)
                return parse_port_number(text, &ret->port);
        if (parse_port_number(colon + 1, &port) < 0)
                return -EINVAL;
        host_len = (size_t) (colon - text);
        if (host_len >= 2 && text[0] == '[' && text[host_len - 1] == ']') {
                text++;       /* [::1]:9925 */
                host_len -= 2;
        } else if (memchr(text, ':', host_len))
                return -EINVAL;   /* an IPv6 address needs its brackets */
        if (host_len > 0 && !(ret->host = strndup(text, host_len)))
                return -ENOMEM;
        ret->port = port;
        return 0;
}

char *harper_port_url(const HarperPort *p) {
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

/* The parsed config file and where to put a problem. */
typedef struct ConfigReader {
        yaml_document_t document;
        const char *path;
        char **error;
} ConfigReader;

static yaml_node_t *mapping_get(yaml_document_t *d, yaml_node_t *mapping, const char *key) {
        for (yaml_node_pair_t *p = mapping->data.mapping.pairs.start; p < mapping->data.mapping.pairs.top; p++) {
                yaml_node_t *k = yaml_document_get_node(d, p->key);
                if (k && k->type == YAML_SCALAR_NODE && strcmp((const char *) k->data.scalar.value, key) == 0)
                        return yaml_document_get_node(d, p->value);
        }
        return NULL;
}

static bool node_is_null(const yaml_node_t *n) {
        static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };

        if (!n)
                return true;
        if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(nulls); i++)
                if (strcmp((const char *) n->data.scalar.value, nulls[i]) == 0)
                        return true;
        return false;
}

/* The node at a dotted key path, NULL when absent or null; an error when a step on the way is
 * not a mapping. */
static int lookup(ConfigReader *reader, const char *key_path, yaml_node_t **ret) {
        _cleanup_free_ char *copy = strdup(key_path);
        yaml_node_t *node = yaml_document_get_root_node(&reader->document);
        char *saveptr = NULL;

        *ret = NULL;
        if (!copy)
                return -ENOMEM;
        for (char *key = strtok_r(copy, ".", &saveptr); key && node; key = strtok_r(NULL, ".", &saveptr)) {
                if (node_is_null(node))
                        return 0;
                if (node->type != YAML_MAPPING_NODE) {
                        size_t prefix = (size_t) (key - copy) - 1;
                        return text_error(reader->error, -EINVAL, "%s: '%.*s' must be a mapping", reader->path,
                                          (int) prefix, key_path);
                }
                node = mapping_get(&reader->document, node, key);
        }
        *ret = node_is_null(node) ? NULL : node;
        return 0;
}

/* The scalar text at key_path, NULL when absent or null. */
static int lookup_scalar(ConfigReader *reader, const char *key_path, const char *what, const char **ret) {
        yaml_node_t *node;
        int r = lookup(reader, key_path, &node);

        *ret = NULL;
        if (r < 0 || !node)
                return r;
        if (node->type != YAML_SCALAR_NODE)
                return text_error(reader->error, -EINVAL, "%s: '%s' must be %s", reader->path, key_path, what);
        *ret = (const char *) node->data.scalar.value;
        return 0;
}

static int read_string(ConfigReader *reader, const char *key_path, char **ret) {
        const char *text;
        int r = lookup_scalar(reader, key_path, "a string", &text);

        if (r < 0 || !text)
                return r;
        *ret = strdup(text);
        return *ret ? 0 : -ENOMEM;
}

static int read_port(ConfigReader *reader, const char *key_path, HarperPort *ret) {
        static const char *const what = "a port number or host:port";
        const char *text;
        int r = lookup_scalar(reader, key_path, what, &text);

        if (r < 0 || !text)
                return r;
        r = harper_port_parse(text, ret);
        if (r == -EINVAL)
                return text_error(reader->error, r, "%s: '%s' must be %s, not '%s'", reader->path, key_path, what, text);
        return r;
}

/* Harper puts a relative or unset socket path under its root. */
static int resolve_domain_socket(HarperSettings *s, char *configured_owned) {
        _cleanup_free_ char *configured = configured_owned;

        if (configured && configured[0] == '/')
                s->domain_socket = TAKE_PTR(configured);
        else if (!configured || !*configured || strcmp(configured, DEFAULT_DOMAIN_SOCKET) == 0)
                s->domain_socket = text_printf("%s/operations-server", s->root_path);
        else
                s->domain_socket = text_printf("%s/%s", s->root_path, configured);
        return s->domain_socket ? 0 : -ENOMEM;
}

/* rootPath when absolute, else the config file's directory. */
static int resolve_root(HarperSettings *s, char *configured_owned) {
        _cleanup_free_ char *configured = configured_owned, *copy = NULL;

        if (configured && configured[0] == '/') {
                s->root_path = TAKE_PTR(configured);
                return 0;
        }
        copy = strdup(s->config_path);
        if (!copy)
                return -ENOMEM;
        s->root_path = strdup(dirname(copy));
        return s->root_path ? 0 : -ENOMEM;
}

static int read_settings(ConfigReader *reader, HarperSettings *s) {
        char *root = NULL, *socket = NULL;
        int r;

        r = read_string(reader, harper_settings_key_to_string(HARPER_KEY_ROOT_PATH), &root);
        if (r < 0)
                return r;
        r = resolve_root(s, root);
        if (r < 0)
                return r;
        r = read_string(reader, harper_settings_key_to_string(HARPER_KEY_DOMAIN_SOCKET), &socket);
        if (r < 0)
                return r;
        r = resolve_domain_socket(s, socket);
        if (r < 0)
                return r;
        return read_port(reader, harper_settings_key_to_string(HARPER_KEY_OPERATIONS_PORT), &s->operations_port);
}

/* The YAML document in reader->path into reader->document. */
static int parse_document(ConfigReader *reader) {
        _cleanup_fclose_ FILE *f = fopen(reader->path, "re");
        yaml_parser_t parser;
        int r = 0;

        if (!f)
                return text_error(reader->error, -errno, "%s: %s", reader->path, strerror(errno));
        if (!yaml_parser_initialize(&parser))
                return -ENOMEM;
        yaml_parser_set_input_file(&parser, f);
        if (!yaml_parser_load(&parser, &reader->document))
                r = text_error(reader->error, -EBADMSG, "%s: not YAML: %s at line %zu", reader->path,
                               parser.problem ?: "unreadable", parser.problem_mark.line + 1);
        yaml_parser_delete(&parser);
        return r;
}

static int load_document(ConfigReader *reader) {
        yaml_node_t *root;
        int r;

        r = parse_document(reader);
        if (r < 0)
                return r;
        root = yaml_document_get_root_node(&reader->document);
        if (!root || root->type != YAML_MAPPING_NODE) {
                yaml_document_delete(&reader->document);
                return text_error(reader->error, -EBADMSG, "%s: not a Harper configuration (no mapping at the top)",
                             reader->path);
        }
        return 0;
}

int harper_settings_load(HarperSettings *s, const char *config_path, char **ret_error) {
        ConfigReader reader = { .path = config_path, .error = ret_error };
        int r;

        assert(s);
        assert(config_path);
        assert(ret_error);
        *s = (HarperSettings) { 0 };
        *ret_error = NULL;
        r = load_document(&reader);
        if (r < 0)
                return r;
        s->config_path = strdup(config_path);
        r = s->config_path ? read_settings(&reader, s) : -ENOMEM;
        yaml_document_delete(&reader.document);
        if (r < 0)
                harper_settings_done(s);
        return r;
}

static void port_done(HarperPort *p) {
        free(p->host);
        *p = (HarperPort) { 0 };
}

void harper_settings_done(HarperSettings *s) {
        free(s->config_path);
        free(s->root_path);
        free(s->domain_socket);
        port_done(&s->operations_port);
        *s = (HarperSettings) { 0 };
}

char *harper_pid_read(const char *pid_file) {
        _cleanup_fclose_ FILE *f = pid_file ? fopen(pid_file, "re") : NULL;
        char buffer[32] = "";
        size_t n;

        if (!f)
                return NULL;
        n = fread(buffer, 1, sizeof buffer - 1, f);
        buffer[n] = 0;
        buffer[strcspn(buffer, " \n")] = 0;
        return buffer[0] ? strdup(buffer) : NULL;
}
