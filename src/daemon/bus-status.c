/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-args.h"
#include "bus-status.h"
#include "context.h"
#include "log.h"
#include "macro.h"
#include "status-fdstore.h"
#include "status-rules.h"
#include "sysops-names.h"
#include "text.h"

static int append_record(sd_bus_message *reply, const StatusRecord *r) {
        return sd_bus_message_append(reply, SYSOPS_STATUS_RECORD_FIELDS, status_id_to_string(r->id), r->status,
                                     r->created_ms, r->updated_ms);
}

/* One record as a struct of its own. */
static int append_record_struct(sd_bus_message *reply, const StatusRecord *r) {
        int k;

        k = sd_bus_message_open_container(reply, 'r', SYSOPS_STATUS_RECORD_FIELDS);
        if (k < 0)
                return k;
        k = append_record(reply, r);
        if (k < 0)
                return k;
        return sd_bus_message_close_container(reply);
}

static int reply_record(sd_bus_message *call, const StatusRecord *r) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int k;

        k = sd_bus_message_new_method_return(call, &reply);
        if (k < 0)
                return k;
        k = append_record_struct(reply, r);
        if (k < 0)
                return k;
        return sd_bus_send(NULL, reply, NULL);
}

static int append_all_records(sd_bus_message *reply, const StatusStore *store) {
        const StatusRecord *records[_STATUS_ID_MAX];
        unsigned n = status_store_list(store, records);
        int r;

        r = sd_bus_message_open_container(reply, 'a', SYSOPS_STATUS_RECORD);
        if (r < 0)
                return r;
        for (unsigned i = 0; i < n; i++) {
                r = append_record_struct(reply, records[i]);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

/* Statuses the daemon does not know are not answered as "none": StatusesUnknown, saying why. */
static int refuse_unknown(sd_bus_error *error) {
        return sd_bus_error_set(error, SYSOPS_ERROR_STATUSES_UNKNOWN,
                                "harper-sysopsd does not know the statuses yet: it started without those of its "
                                "previous run and Harper has not answered since, so Harper's could not be read "
                                "back (journalctl -u harper-sysopsd). Statuses set or cleared since are known.");
}

static bool knows_all(const Context *c) {
        return c->statuses.complete;
}

static void announce_change(Context *c, sd_bus_message *m, const char *what, StatusId id) {
        uid_t uid = (uid_t) -1;
        int r;

        (void) authorizer_sender_uid(c->authorizer, m, &uid);
        log_info("Status '%s' %s by uid %d.", status_id_to_string(id), what, (int) uid);
        status_mirror_changed(c->mirror, id);
        (void) status_fdstore_save(&c->statuses);
        r = sd_bus_emit_properties_changed(c->bus, SYSOPS_OBJECT_PATH, SYSOPS_INTERFACE, "Statuses", NULL);
        if (r < 0)
                log_warning_errno(r, "Cannot announce the change of Statuses: %m");
}

/* InvalidArgs with a status rule's message (never NULL here: NULL is out of memory). */
static int refuse(sd_bus_error *error, char *problem) {
        _cleanup_free_ char *owned = problem;

        if (!owned)
                return -ENOMEM;
        return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, owned);
}

int method_set_status(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Context *c = ASSERT_PTR(userdata);
        const char *id, *status;
        const StatusRecord *record;
        char *problem;
        int r;

        r = sd_bus_message_read(m, "ss", &id, &status);
        if (r < 0)
                return r;
        /* beyond any valid value: refused before polkit, with the message an authorized caller gets */
        if (strlen(id) > SYSOPS_MAX_STATUS_ID_BYTES || strlen(status) > SYSOPS_MAX_STATUS_BYTES)
                return refuse(error, status_check_set(status_field_string(id), status_field_string(status)));

        /* Harper checks the caller before the input: a plain user learns nothing about it */
        r = authorizer_check(c->authorizer, m, SYSOPS_ACTION_SET_STATUS, error);
        if (r <= 0)
                return r < 0 ? r : 1;   /* 0: polkit is asked, the call comes back */

        problem = status_check_set(status_field_string(id), status_field_string(status));
        if (problem)
                return refuse(error, problem);

        record = status_store_set(&c->statuses, status_id_from_string(id), status, now_ms());
        if (!record)
                return -ENOMEM;
        announce_change(c, m, "set", record->id);
        return reply_record(m, record);
}

int method_get_status(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Context *c = ASSERT_PTR(userdata);
        const StatusRecord *record = NULL;
        const char *id;
        StatusId sid;
        int r;

        r = sd_bus_message_read(m, "s", &id);
        if (r < 0)
                return r;
        if (strlen(id) > SYSOPS_MAX_STATUS_ID_BYTES)
                return bus_refuse_too_long(error, "'id'", id, SYSOPS_MAX_STATUS_ID_BYTES);

        r = authorizer_check(c->authorizer, m, SYSOPS_ACTION_GET_STATUS, error);
        if (r <= 0)
                return r < 0 ? r : 1;

        /* Harper looks any id up and finds nothing for unknown ones: no validation here */
        sid = status_id_from_string(id);
        if (sid >= 0 && !status_store_knows(&c->statuses, sid))
                return refuse_unknown(error);
        if (sid >= 0)
                record = status_store_get(&c->statuses, sid);
        if (!record)
                return bus_refuse_unknown(error, SYSOPS_ERROR_NO_SUCH_STATUS, "No status has been set for", id);
        return reply_record(m, record);
}

int method_list_statuses(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Context *c = ASSERT_PTR(userdata);
        int r;

        r = authorizer_check(c->authorizer, m, SYSOPS_ACTION_GET_STATUS, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        if (!knows_all(c))
                return refuse_unknown(error);

        r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0)
                return r;
        r = append_all_records(reply, &c->statuses);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

int method_clear_status(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Context *c = ASSERT_PTR(userdata);
        const char *id;
        char *problem;
        int r;

        r = sd_bus_message_read(m, "s", &id);
        if (r < 0)
                return r;
        if (strlen(id) > SYSOPS_MAX_STATUS_ID_BYTES)
                return refuse(error, status_check_clear(status_field_string(id)));

        r = authorizer_check(c->authorizer, m, SYSOPS_ACTION_CLEAR_STATUS, error);
        if (r <= 0)
                return r < 0 ? r : 1;

        problem = status_check_clear(status_field_string(id));
        if (problem)
                return refuse(error, problem);

        if (status_store_clear(&c->statuses, status_id_from_string(id)))
                announce_change(c, m, "cleared", status_id_from_string(id));
        else if (!knows_all(c))   /* Harper may hold it: the clear goes there too */
                status_mirror_changed(c->mirror, status_id_from_string(id));
        return sd_bus_reply_method_return(m, NULL);
}

int bus_statuses_get_filter(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Context *c = ASSERT_PTR(userdata);
        const char *path = sd_bus_message_get_path(m), *interface, *property;
        int r;

        if (!sd_bus_message_is_method_call(m, "org.freedesktop.DBus.Properties", "Get") || !path ||
            strcmp(path, SYSOPS_OBJECT_PATH) != 0)
                return 0;
        r = sd_bus_message_read(m, "ss", &interface, &property);
        (void) sd_bus_message_rewind(m, true);
        if (r < 0 || strcmp(property, "Statuses") != 0)
                return 0;   /* sd-bus answers it, or says what is wrong with it */
        r = authorizer_identify(c->authorizer, m);
        if (r < 0) {
                (void) sd_bus_reply_method_errnof(m, -r, "Cannot determine the caller's identity: %m");
                return 1;
        }
        return r == 0;      /* 1: taken; it comes back once the uid is known */
}

int property_get_statuses(sd_bus *bus, const char *path, const char *interface, const char *property,
                          sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Context *c = ASSERT_PTR(userdata);
        sd_bus_message *call = sd_bus_get_current_message(bus);
        uid_t uid;

        /* a getter cannot wait for polkit: only root reads it here, everyone else asks ListStatuses
         * (the uid is at hand: bus_statuses_get_filter saw to it without blocking) */
        if (!call || authorizer_sender_uid(c->authorizer, call, &uid) < 0 || uid != 0)
                return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED,
                                        "Statuses may be read by root only; call ListStatuses.");
        if (!knows_all(c))
                return refuse_unknown(error);
        return append_all_records(reply, &c->statuses);
}

void bus_statuses_known(void *userdata) {
        Context *c = ASSERT_PTR(userdata);
        int r;

        (void) status_fdstore_save(&c->statuses);
        r = sd_bus_emit_properties_changed(c->bus, SYSOPS_OBJECT_PATH, SYSOPS_INTERFACE, "Statuses", NULL);
        if (r < 0)
                log_warning_errno(r, "Cannot announce the change of Statuses: %m");
}
