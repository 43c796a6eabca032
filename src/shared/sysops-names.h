/* The public names of the service: bus name, object, interface, polkit actions, errors.
 * They are the interface admins, panels and scripts rely on; keep them stable. */
#pragma once

#define SYSOPS_BUS_NAME "io.harperdb.SystemOperations1"
#define SYSOPS_OBJECT_PATH "/io/harperdb/SystemOperations1"
#define SYSOPS_INTERFACE "io.harperdb.SystemOperations1"

/* A status record: id, status, created and updated time in ms since the epoch. */
#define SYSOPS_STATUS_RECORD_FIELDS "sstt"
#define SYSOPS_STATUS_RECORD "(" SYSOPS_STATUS_RECORD_FIELDS ")"

#define SYSOPS_ACTION_RESTART "io.harperdb.SystemOperations1.restart"
#define SYSOPS_ACTION_RESTART_SERVICE "io.harperdb.SystemOperations1.restart-service"
#define SYSOPS_ACTION_SYSTEM_INFORMATION "io.harperdb.SystemOperations1.system-information"
#define SYSOPS_ACTION_SET_STATUS "io.harperdb.SystemOperations1.set-status"
#define SYSOPS_ACTION_GET_STATUS "io.harperdb.SystemOperations1.get-status"
#define SYSOPS_ACTION_CLEAR_STATUS "io.harperdb.SystemOperations1.clear-status"

/* Errors of our own; bad input is org.freedesktop.DBus.Error.InvalidArgs, a refusal
 * org.freedesktop.DBus.Error.AccessDenied, a needed password
 * org.freedesktop.DBus.Error.InteractiveAuthorizationRequired. */
#define SYSOPS_ERROR_NO_SUCH_STATUS "io.harperdb.SystemOperations1.Error.NoSuchStatus"
#define SYSOPS_ERROR_AUTHORIZATION_CANCELLED "io.harperdb.SystemOperations1.Error.AuthorizationCancelled"
