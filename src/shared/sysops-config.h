/* SPDX-License-Identifier: MIT */
/* The daemon's configuration, /etc/harper-sysops/sysops.json: which systemd units make up a
 * Harper installation and how each Harper service is restarted. Every key is optional; what is
 * missing keeps its compiled-in default. No bus types. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define SYSOPS_CONFIG_FILE "/etc/harper-sysops/sysops.json"

/* The services restart_service accepts, in Harper's names. */
typedef enum HarperService {
        HARPER_SERVICE_HTTP_WORKERS,
        HARPER_SERVICE_CLUSTERING,
        HARPER_SERVICE_CLUSTERING_CONFIG,
        _HARPER_SERVICE_MAX,
        _HARPER_SERVICE_INVALID = -EINVAL,
} HarperService;

typedef enum UnitAction {
        UNIT_ACTION_RESTART,
        UNIT_ACTION_RELOAD,
        UNIT_ACTION_RELOAD_OR_RESTART,
        _UNIT_ACTION_MAX,
        _UNIT_ACTION_INVALID = -EINVAL,
} UnitAction;

/* How the daemon reaches the systemd manager. */
typedef enum SystemdConnection {
        SYSTEMD_AUTO,          /* its private socket when the system bus's manager is PID 1 and we are
                                * root (as systemctl does), else the system bus */
        SYSTEMD_SYSTEM_BUS,
        SYSTEMD_BUS_ADDRESS,   /* the bus at systemd_address */
        SYSTEMD_PRIVATE,       /* straight to the manager's private socket at systemd_address */
} SystemdConnection;

/* How one Harper service is restarted: by Harper itself over its operations socket (Harper's own
 * restart_service, the default: the real Harper runs its workers as threads of one process),
 * or, for installations that run a process per service, as systemd jobs on units. */
typedef struct ServiceConfig {
        bool by_harper;        /* Harper's own restart_service; units, action, rolling do not apply */
        char **units;          /* NULL-terminated; an entry with * ? or [ is a pattern */
        UnitAction action;
        bool rolling;          /* one unit at a time, each active again before the next */
} ServiceConfig;

/* Where Harper is; unset fields are found from the instance unit (its ROOTPATH, else Harper's
 * boot properties in its user's home) and Harper's harperdb-config.yaml. */
typedef struct HarperConfig {
        char *root_path;       /* Harper's root directory */
        char *socket;          /* its operations API socket */
        bool api;              /* the instance speaks Harper's operations API: restarts wait for
                                * it, statuses are kept in it too (false: not the real Harper,
                                * e.g. a stand-in) */
        unsigned answer_timeout_sec; /* how long Harper may take to answer after a restart */
        unsigned query_timeout_ms;   /* how long system_information waits for Harper's figures */
} HarperConfig;

/* The ssh client configuration replicated restarts reach other nodes with, when it exists. */
#define SYSOPS_SSH_CONFIG_FILE "/etc/harper-sysops/ssh-peers.conf"

/* How a node of Harper's cluster is reached (by Harper's name of it): its system bus over ssh
 * (sd-bus's remote transport, as busctl -H uses) or at a D-Bus address; or left out of
 * replicated restarts. Without an entry, a node is reached over ssh at the host of its
 * replication URL. */
typedef struct PeerConfig {
        char *name;
        char *ssh;             /* [user@]host, or NULL */
        char *address;         /* D-Bus address, or NULL */
        bool exclude;          /* left out of replicated restarts */
} PeerConfig;

typedef struct Config {
        char *instance_unit;
        SystemdConnection systemd;   /* config key systemd_bus */
        char *systemd_address; /* SYSTEMD_BUS_ADDRESS: a D-Bus address; SYSTEMD_PRIVATE: a socket path */
        unsigned unit_timeout_sec;   /* longest wait for one unit's job before the job is ERROR */
        unsigned jobs_kept;    /* finished jobs kept for get_job */
        ServiceConfig services[_HARPER_SERVICE_MAX];
        HarperConfig harper;
        PeerConfig *peers;     /* Harper's nodes: how each is reached; without Harper's API, the
                                * nodes themselves, in rollout order */
        size_t n_peers;
        char *ssh_config;      /* ssh_config(5) file for reaching nodes */
        unsigned peer_timeout_sec;   /* longest wait for one peer's job */
        /* system_information */
        bool sysinfo_disk, sysinfo_network;
        char *data_dir;        /* Harper's root directory; NULL = unknown */
} Config;

/* Loads path over the defaults. A missing file is fine when it is the default path (not
 * required); any other problem returns a negative errno and *problem names the file, the
 * key and what is wrong, for the start-up log. */
int config_load(Config *config, const char *path, bool required, char **problem);
void config_defaults(Config *config);
/* Writes every key config_load() accepts to f, one dotted path a line ("harper.socket"; an
 * entry of an object keyed by name is "*", of a list "[]": "peers[].name"). For the check that
 * sysops.json(5) describes them all. */
int config_keys_print(FILE *f);
void config_done(Config *config);

/* Harper's name of a service ("http_workers"), NULL out of range; the service of a name,
 * _HARPER_SERVICE_INVALID for any other (or NULL). */
const char *harper_service_to_string(HarperService s);
HarperService harper_service_from_string(const char *s);
/* systemd's name of an action ("reload-or-restart"); the action of a name, _UNIT_ACTION_INVALID
 * for any other (or NULL). */
const char *unit_action_to_string(UnitAction a);
UnitAction unit_action_from_string(const char *s);

bool unit_name_is_pattern(const char *name);
/* A plausible unit name or pattern: non-empty, no '/', ends in a unit type suffix. */
bool unit_name_is_valid(const char *name);
