/* SPDX-License-Identifier: MIT */
/* Finding the real Harper without configuration: its root directory from the instance unit's
 * environment (ROOTPATH=) or from the boot properties file Harper's installer writes in its
 * user's home, then what harper-sysops needs from Harper's own harperdb-config.yaml. No bus
 * types: the daemon asks systemd for the unit's Environment= and its user's home. */
#pragma once

#include <stdbool.h>

#define HARPER_CONFIG_FILE_NAME "harperdb-config.yaml"
/* <home>/.harperdb/hdb_boot_properties.file: "settings_path = <root>/harperdb-config.yaml" */
#define HARPER_BOOT_PROPERTIES_PATH ".harperdb/hdb_boot_properties.file"

/* The keys of Harper's harperdb-config.yaml that harper-sysops reads, as dotted paths
 * (sysops.json(5) describes each). */
typedef enum HarperSettingsKey {
        HARPER_KEY_ROOT_PATH,
        HARPER_KEY_DOMAIN_SOCKET,
        HARPER_KEY_OPERATIONS_PORT,
        _HARPER_KEY_MAX,
} HarperSettingsKey;

const char *harper_settings_key_to_string(HarperSettingsKey k);

/* A TCP listener as Harper's config names it: a number, or "host:port" (the installer writes
 * what it was given, e.g. 127.0.0.1:9925). */
typedef struct HarperPort {
        char *host;            /* NULL: all interfaces */
        unsigned port;         /* 0: no listener (null or absent) */
} HarperPort;

typedef struct HarperSettings {
        char *config_path;
        char *root_path;       /* rootPath, else the config file's directory */
        char *domain_socket;   /* operationsApi.network.domainSocket, default <root>/operations-server */
        HarperPort operations_port;          /* operationsApi.network.port */
} HarperSettings;

/* The value of ROOTPATH in a unit's Environment= list ("KEY=value" strings, NULL-terminated),
 * or NULL when it is not there; the caller frees it. */
char *harper_root_from_environment(char *const *environment);

/* The settings_path in a boot properties file: 0 and *ret_config_path, or a negative errno and
 * *ret_error ("<file>: <problem>"). */
int harper_boot_properties_read(const char *path, char **ret_config_path, char **ret_error);

/* Where Harper's harperdb-config.yaml is: <ROOTPATH>/harperdb-config.yaml when the unit's
 * environment names ROOTPATH, else the boot properties file in HOME from the environment or
 * in home (the unit user's home). 0 with *ret_config_path and *ret_how (how it was found, "ROOTPATH=/x
 * in its environment"), or a negative errno and *ret_error saying what was looked at ("no
 * ROOTPATH= in its environment, and <file>: <problem>"). */
int harper_locate_config(char *const *environment, const char *home, char **ret_config_path, char **ret_how,
                         char **ret_error);

/* Reads Harper's config file into *s (zeroed first). On error a negative errno and *ret_error
 * ("<file>: <problem>": missing, not YAML, a key of the wrong type), and *s is empty. */
int harper_settings_load(HarperSettings *s, const char *config_path, char **ret_error);
void harper_settings_done(HarperSettings *s);

/* Parses a port value as Harper's config writes it: "9925", "127.0.0.1:9925", "[::1]:9925".
 * -EINVAL when it is none of these. */
int harper_port_parse(const char *text, HarperPort *ret);

/* The operations port as a URL a client on this host can reach ("http://host:port/"): a
 * wildcard listener (none, "0.0.0.0", "*", "::") is asked on loopback, an IPv6 host gets its
 * brackets. NULL when p has no port, or out of memory; the caller frees it. */
char *harper_port_url(const HarperPort *p);

/* Harper's process id as its PID file (<root>/hdb.pid) says, or NULL when the file is absent
 * (Harper stopped or restarting) or empty; the caller frees it. */
char *harper_pid_read(const char *pid_file);
