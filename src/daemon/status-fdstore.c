/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "json-util.h"
#include "log.h"
#include "macro.h"
#include "status-fdstore.h"
#include "text.h"

/* {"statuses":[{"id":…,"status":…,"created":ms,"updated":ms},…]}: no deeper than this */
#define JSON_DEPTH 4

char *status_fdstore_serialize(const StatusStore *store) {
        const StatusRecord *records[_STATUS_ID_MAX];
        unsigned n = status_store_list(store, records);
        _cleanup_json_ json_object *top = json_object_new_object(), *list = json_object_new_array();

        if (!top || !list)
                return NULL;
        for (unsigned i = 0; i < n; i++) {
                json_object *o = json_object_new_object();

                if (!o || json_object_array_add(list, o) < 0) {
                        json_object_put(o);
                        return NULL;
                }
                json_object_object_add(o, "id", json_object_new_string(status_id_to_string(records[i]->id)));
                json_object_object_add(o, "status", json_object_new_string(records[i]->status));
                json_object_object_add(o, "created", json_object_new_uint64(records[i]->created_ms));
                json_object_object_add(o, "updated", json_object_new_uint64(records[i]->updated_ms));
        }
        if (json_object_object_add(top, "statuses", TAKE_PTR(list)) < 0)
                return NULL;
        return strdup(json_object_to_json_string_ext(top, JSON_C_TO_STRING_PLAIN));
}

/* A time as serialize writes it: a whole number, not negative. */
static bool read_ms(json_object *o, const char *key, uint64_t *ret) {
        json_object *v = json_object_object_get(o, key);

        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
                return false;
        *ret = (uint64_t) json_object_get_int64(v);
        return true;
}

/* Refuses the copy, saying why. */
static int bad(char **ret_problem, const char *why) {
        *ret_problem = strdup(why);
        return *ret_problem ? -EBADMSG : -ENOMEM;
}

/* One record into store. */
static int take_record(StatusStore *store, json_object *o, char **ret_problem) {
        json_object *id = json_object_object_get(o, "id"), *status = json_object_object_get(o, "status");
        uint64_t created, updated;
        StatusId sid;

        if (!json_object_is_type(o, json_type_object) || json_object_object_length(o) != 4 ||
            !json_object_is_type(id, json_type_string) || !json_object_is_type(status, json_type_string) ||
            !read_ms(o, "created", &created) || !read_ms(o, "updated", &updated))
                return bad(ret_problem, "a record is not {\"id\",\"status\",\"created\",\"updated\"}");
        sid = status_id_from_string(json_object_get_string(id));
        if (sid < 0 || status_store_get(store, sid))
                return bad(ret_problem, "an id is unknown or repeated");
        *ret_problem = status_check_set(status_field_string(json_object_get_string(id)),
                                        status_field_string_len(json_object_get_string(status),
                                                                (size_t) json_object_get_string_len(status)));
        if (*ret_problem)
                return -EBADMSG;
        return status_store_restore(store, sid, json_object_get_string(status), created, updated) ? 0 : -ENOMEM;
}

static int parse_records(StatusStore *store, json_object *top, char **ret_problem) {
        json_object *list = json_object_object_get(top, "statuses");
        int r;

        if (!json_object_is_type(top, json_type_object) || json_object_object_length(top) != 1 ||
            !json_object_is_type(list, json_type_array))
                return bad(ret_problem, "not {\"statuses\":[…]}");
        if (json_object_array_length(list) > _STATUS_ID_MAX)
                return bad(ret_problem, "more records than status ids");
        for (size_t i = 0; i < json_object_array_length(list); i++) {
                r = take_record(store, json_object_array_get_idx(list, i), ret_problem);
                if (r < 0)
                        return r;
        }
        return 0;
}

int status_fdstore_parse(StatusStore *store, const char *text, size_t size, char **ret_problem) {
        _cleanup_(json_tokener_freep) json_tokener *tok = NULL;
        _cleanup_json_ json_object *top = NULL;
        StatusStore parsed;
        int r;

        assert(store);
        assert(text);
        assert(ret_problem);

        *ret_problem = NULL;
        if (size > STATUS_FDSTORE_MAX_BYTES || memchr(text, 0, size))
                return bad(ret_problem, "too long, or a NUL in it");
        tok = json_tokener_new_ex(JSON_DEPTH);
        if (!tok)
                return -ENOMEM;
        top = json_tokener_parse_ex(tok, text, (int) size);
        if (!top || json_tokener_get_error(tok) != json_tokener_success || json_tokener_get_parse_end(tok) != size)
                return bad(ret_problem, "not one whole JSON text");
        status_store_init(&parsed);
        r = parse_records(&parsed, top, ret_problem);
        if (r < 0) {
                status_store_done(&parsed);
                return r;
        }
        parsed.complete = true;
        *store = parsed; /* store held nothing */
        return 0;
}

/* A sealed memfd holding text: what is handed to systemd cannot change afterwards. */
static int sealed_memfd(const char *text) {
        _cleanup_close_ int fd = memfd_create(STATUS_FDSTORE_NAME, MFD_CLOEXEC | MFD_ALLOW_SEALING);
        size_t size = strlen(text), done = 0;

        if (fd < 0)
                return -errno;
        while (done < size) {
                ssize_t n = write(fd, text + done, size - done);
                if (n < 0)
                        return -errno;
                done += (size_t) n;
        }
        if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
                return -errno;
        return TAKE_FD(fd);
}

int status_fdstore_save(const StatusStore *store) {
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        assert(store);
        if (!store->complete || !getenv("NOTIFY_SOCKET"))
                return 0;
        text = status_fdstore_serialize(store);
        if (!text)
                return log_oom();
        fd = sealed_memfd(text);
        if (fd < 0)
                return log_warning_errno(fd, "Cannot keep the statuses for a restart (memfd): %m");
        /* one copy, the newest: systemd keeps every descriptor pushed until told otherwise */
        r = sd_pid_notify(0, 0, "FDSTOREREMOVE=1\nFDNAME=" STATUS_FDSTORE_NAME);
        if (r >= 0)
                r = sd_pid_notify_with_fds(0, 0, "FDSTORE=1\nFDNAME=" STATUS_FDSTORE_NAME, &fd, 1);
        if (r < 0)
                return log_warning_errno(r, "Cannot keep the statuses for a restart (systemd's fd store): %m");
        return 0;
}

/* The statuses in fd, as status_fdstore_parse() takes them. */
static int load_fd(StatusStore *store, int fd, char **ret_problem) {
        _cleanup_free_ char *text = NULL;
        struct stat st;
        ssize_t n;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode) || st.st_size < 0 || (uint64_t) st.st_size > STATUS_FDSTORE_MAX_BYTES)
                return bad(ret_problem, "not a file of at most 64 KiB");
        text = malloc((size_t) st.st_size + 1);
        if (!text)
                return -ENOMEM;
        n = pread(fd, text, (size_t) st.st_size + 1, 0); /* + 1: it must not have grown */
        if (n < 0)
                return -errno;
        if (n != st.st_size)
                return bad(ret_problem, "changed while read");
        return status_fdstore_parse(store, text, (size_t) n, ret_problem);
}

int status_fdstore_load(StatusStore *store) {
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_free_ char *problem = NULL;
        const StatusRecord *records[_STATUS_ID_MAX];
        int n, r = 0;

        assert(store);
        n = sd_listen_fds_with_names(true, &names);
        if (n < 0)
                return log_warning_errno(n, "Cannot take the statuses kept by systemd: %m");
        for (int i = 0; i < n; i++) {
                _cleanup_close_ int fd = SD_LISTEN_FDS_START + i;

                if (r == 0 && names && streq_ptr(names[i], STATUS_FDSTORE_NAME))
                        r = load_fd(store, fd, &problem) ?: 1;
        }
        if (r < 0) {
                (void) sd_pid_notify(0, 0, "FDSTOREREMOVE=1\nFDNAME=" STATUS_FDSTORE_NAME);
                if (problem)
                        log_warning("The statuses kept by systemd are not taken: %s.", problem);
                else
                        log_warning_errno(r, "The statuses kept by systemd are not taken: %m");
        } else if (r > 0)
                log_info("Took over the statuses of the previous run, %u set, kept by systemd.",
                         status_store_list(store, records));
        return r;
}
