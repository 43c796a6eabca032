/* SPDX-License-Identifier: MIT */
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
 * org.freedesktop.DBus.Error.InteractiveAuthorizationRequired. The errno each stands for is in
 * sysops-errors.h. */
/* GetStatus() of an id never set */
#define SYSOPS_ERROR_NO_SUCH_STATUS "io.harperdb.SystemOperations1.Error.NoSuchStatus"
/* the person dismissed the password dialog */
#define SYSOPS_ERROR_AUTHORIZATION_CANCELLED "io.harperdb.SystemOperations1.Error.AuthorizationCancelled"
/* polkit did not answer (too slow, not running, or failing): the call was refused without a
 * verdict and nothing was done; trying again is fine */
#define SYSOPS_ERROR_AUTHORIZATION_UNAVAILABLE "io.harperdb.SystemOperations1.Error.AuthorizationUnavailable"
/* GetJob() of an unknown id */
#define SYSOPS_ERROR_NO_SUCH_JOB "io.harperdb.SystemOperations1.Error.NoSuchJob"
/* a restart of the same thing is already running; the message names its job */
#define SYSOPS_ERROR_ALREADY_RUNNING "io.harperdb.SystemOperations1.Error.AlreadyRunning"
/* the daemon's configuration file is bad: every call gets this until a reload brings a good one;
 * the message names the file and the problem */
#define SYSOPS_ERROR_BAD_CONFIGURATION "io.harperdb.SystemOperations1.Error.BadConfiguration"
/* GetStatus()/ListStatuses()/Statuses before the daemon knows the statuses: Harper's have not
 * been read back since the daemon started (nor kept by systemd); the message says why */
#define SYSOPS_ERROR_STATUSES_UNKNOWN "io.harperdb.SystemOperations1.Error.StatusesUnknown"
/* systemd would not take the job (unknown unit, systemd unreachable); the message says why */
#define SYSOPS_ERROR_JOB_FAILED "io.harperdb.SystemOperations1.Error.JobFailed"

/* Restart jobs: one object per job under this path, with this interface. */
#define SYSOPS_JOB_PATH_PREFIX "/io/harperdb/SystemOperations1/job"
#define SYSOPS_JOB_INTERFACE "io.harperdb.SystemOperations1.Job"
/* Restart and RestartService answer: Harper's message, the job id and the job object. */
#define SYSOPS_JOB_REPLY "sso"
/* A job's steps: unit name and its state (pending, running, done, failed). */
#define SYSOPS_JOB_STEP "(ss)"
/* A replicated job's peer nodes: name, state (pending, running, done, skipped, failed),
 * message, the peer's job id, start and end time (ms since the epoch, 0 = not yet). */
#define SYSOPS_JOB_NODE "(sssstt)"

#define SYSOPS_RESTART_MESSAGE "Restarting HarperDB. This may take up to 60 seconds."

/* Bounds on arguments, the operations' real limits: a longer argument is refused with
 * InvalidArgs before anything else (polkit included). A status is at most 512 characters of at
 * most 4 bytes each; SystemInformation knows 14 section names, repeats and unknown ones allowed. */
#define SYSOPS_MAX_STATUS_ID_BYTES 32
#define SYSOPS_MAX_STATUS_BYTES 2048
#define SYSOPS_MAX_SERVICE_BYTES 64
#define SYSOPS_MAX_JOB_ID_BYTES 64
#define SYSOPS_MAX_ATTRIBUTES 32
#define SYSOPS_MAX_ATTRIBUTE_BYTES 64
