/* SPDX-License-Identifier: MIT */
/* status-fdstore: the statuses as systemd's fd store keeps them across restarts of the daemon.
 * A round trip keeps every record and its times; what comes back is untrusted, and any fault
 * in it takes nothing; save talks the sd_notify protocol (checked on a socket of our own) and
 * load takes a memfd as systemd passes it (LISTEN_FDS). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include <cmocka.h>

#include "log.h"
#include "macro.h"
#include "status-fdstore.h"

static void fill(StatusStore *store) {
        status_store_init(store);
        assert_non_null(status_store_restore(store, STATUS_PRIMARY, "active \"quoted\" ünïcödé", 1000, 2000));
        assert_non_null(status_store_restore(store, STATUS_AVAILABILITY, "Unavailable", 1621364589543, 1795797665159));
        store->complete = true;
}

static void assert_same(const StatusStore *a, const StatusStore *b) {
        for (int i = 0; i < _STATUS_ID_MAX; i++) {
                const StatusRecord *x = status_store_get(a, (StatusId) i), *y = status_store_get(b, (StatusId) i);

                assert_int_equal(!x, !y);
                if (!x)
                        continue;
                assert_string_equal(x->status, y->status);
                assert_int_equal(x->created_ms, y->created_ms);
                assert_int_equal(x->updated_ms, y->updated_ms);
        }
}

static void test_round_trip_keeps_every_record_and_its_times(void **state) {
        StatusStore store, back;
        _cleanup_free_ char *text = NULL, *problem = NULL;

        fill(&store);
        text = status_fdstore_serialize(&store);
        assert_non_null(text);
        status_store_init(&back);
        assert_int_equal(status_fdstore_parse(&back, text, strlen(text), &problem), 0);
        assert_null(problem);
        assert_true(back.complete);
        assert_same(&store, &back);
        /* taken over, not written here: nothing was set or cleared in this run */
        assert_false(back.written[STATUS_PRIMARY]);
        status_store_done(&store);
        status_store_done(&back);
}

static void test_an_empty_store_round_trips_complete(void **state) {
        StatusStore store, back;
        _cleanup_free_ char *text = NULL, *problem = NULL;

        status_store_init(&store);
        text = status_fdstore_serialize(&store);
        assert_string_equal(text, "{\"statuses\":[]}");
        status_store_init(&back);
        assert_int_equal(status_fdstore_parse(&back, text, strlen(text), &problem), 0);
        assert_true(back.complete);
        assert_null(status_store_get(&back, STATUS_PRIMARY));
}

#define REC(id, status) "{\"id\":\"" id "\",\"status\":\"" status "\",\"created\":1,\"updated\":2}"

static void test_bad_content_takes_nothing(void **state) {
        static const char *const bad[] = {
                "",
                "null",
                "[]",
                "{}",
                "{\"statuses\":{}}",
                "{\"statuses\":[],\"more\":1}",
                "{\"statuses\":[]} trailing",
                "{\"statuses\":[]}{\"statuses\":[]}",
                "{\"statuses\":[" REC("primary", "a") ",1]}",
                "{\"statuses\":[" REC("primary", "a") "," REC("nosuch", "b") "]}",
                "{\"statuses\":[" REC("primary", "a") "," REC("primary", "b") "]}",
                "{\"statuses\":[" REC("availability", "sometimes") "]}",
                "{\"statuses\":[" REC("primary", "a") "," REC("maintenance",
                                                              "b") "," REC("availability",
                                                                           "Available") "," REC("primary", "c") "]}",
                "{\"statuses\":[{\"id\":\"primary\",\"status\":\"a\",\"created\":-1,\"updated\":2}]}",
                "{\"statuses\":[{\"id\":\"primary\",\"status\":\"a\",\"created\":1.5,\"updated\":2}]}",
                "{\"statuses\":[{\"id\":\"primary\",\"status\":\"a\",\"created\":\"1\",\"updated\":2}]}",
                "{\"statuses\":[{\"id\":\"primary\",\"status\":\"a\",\"created\":1}]}",
                "{\"statuses\":[{\"id\":\"primary\",\"status\":\"a\",\"created\":1,\"updated\":2,\"x\":3}]}",
                "{\"statuses\":[{\"id\":\"primary\",\"status\":7,\"created\":1,\"updated\":2}]}",
                "{\"statuses\":[[[[[[]]]]]]}",
                "{\"statuses\":[" REC("primary", "a") ",",
        };

        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                _cleanup_free_ char *problem = NULL;
                StatusStore store;

                status_store_init(&store);
                assert_int_equal(status_fdstore_parse(&store, bad[i], strlen(bad[i]), &problem), -EBADMSG);
                assert_non_null(problem);
                assert_false(store.complete);
                assert_null(status_store_get(&store, STATUS_PRIMARY));
        }
}

static void test_a_nul_or_too_much_is_refused_before_parsing(void **state) {
        static const char with_nul[] = "{\"statuses\":[]}\0";
        _cleanup_free_ char *problem = NULL, *big = NULL, *problem2 = NULL;
        StatusStore store;

        status_store_init(&store);
        assert_int_equal(status_fdstore_parse(&store, with_nul, sizeof with_nul - 1, &problem), -EBADMSG);
        big = malloc(STATUS_FDSTORE_MAX_BYTES + 1);
        assert_non_null(big);
        memset(big, ' ', STATUS_FDSTORE_MAX_BYTES + 1);
        memcpy(big, "{\"statuses\":[]}", 15); /* spaces after it are fine, but not this many */
        assert_int_equal(status_fdstore_parse(&store, big, STATUS_FDSTORE_MAX_BYTES + 1, &problem2), -EBADMSG);
        assert_false(store.complete);
}

/* The daemon's side of sd_notify: a datagram socket as NOTIFY_SOCKET. */
static int notify_socket(char *path, size_t size) {
        struct sockaddr_un un = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        assert_true(fd >= 0);
        snprintf(path, size, "/tmp/test-status-fdstore.%d", (int) getpid());
        strcpy(un.sun_path, path);
        unlink(path);
        assert_int_equal(bind(fd, (struct sockaddr *) &un, sizeof un), 0);
        assert_int_equal(setenv("NOTIFY_SOCKET", path, 1), 0);
        return fd;
}

/* One datagram: its text in buf, the fd it carried (or -1) returned. */
static int receive(int sock, char *buf, size_t size) {
        char control[CMSG_SPACE(sizeof(int))] = {};
        struct iovec iov = { .iov_base = buf, .iov_len = size - 1 };
        struct msghdr mh = {
                .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control
        };
        struct cmsghdr *c;
        ssize_t n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        int fd = -1;

        assert_true(n >= 0);
        buf[n] = 0;
        for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
                        memcpy(&fd, CMSG_DATA(c), sizeof fd);
        return fd;
}

static void test_save_replaces_the_copy_with_a_sealed_memfd(void **state) {
        char path[108], buf[256], text[4096];
        int sock = notify_socket(path, sizeof path), fd;
        StatusStore store, back;
        _cleanup_free_ char *problem = NULL;
        ssize_t n;

        fill(&store);
        assert_int_equal(status_fdstore_save(&store), 0);
        assert_int_equal(receive(sock, buf, sizeof buf), -1);
        assert_string_equal(buf, "FDSTOREREMOVE=1\nFDNAME=statuses");
        fd = receive(sock, buf, sizeof buf);
        assert_string_equal(buf, "FDSTORE=1\nFDNAME=statuses");
        assert_true(fd >= 0);
        assert_int_equal(fcntl(fd, F_GET_SEALS) & F_SEAL_WRITE, F_SEAL_WRITE);
        n = pread(fd, text, sizeof text, 0);
        assert_true(n > 0);
        status_store_init(&back);
        assert_int_equal(status_fdstore_parse(&back, text, (size_t) n, &problem), 0);
        assert_same(&store, &back);

        /* an incomplete store is not handed over: it would be taken as complete */
        store.complete = false;
        assert_int_equal(status_fdstore_save(&store), 0);
        assert_int_equal(recv(sock, buf, sizeof buf, MSG_DONTWAIT), -1);
        unsetenv("NOTIFY_SOCKET");
        close(fd);
        close(sock);
        unlink(path);
        status_store_done(&store);
        status_store_done(&back);
}

/* text in a memfd passed as systemd passes its fd store: fd 3, LISTEN_FDS, LISTEN_FDNAMES. */
static void pass_memfd(const char *text, size_t size) {
        char pid[16];
        int fd;

        assert_int_equal(fcntl(SD_LISTEN_FDS_START, F_GETFD), -1); /* ours to take */
        fd = memfd_create("statuses", MFD_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, size), (ssize_t) size);
        if (fd != SD_LISTEN_FDS_START) {
                assert_int_equal(dup2(fd, SD_LISTEN_FDS_START), SD_LISTEN_FDS_START);
                close(fd);
        }
        snprintf(pid, sizeof pid, "%d", (int) getpid());
        setenv("LISTEN_PID", pid, 1);
        setenv("LISTEN_FDS", "1", 1);
        setenv("LISTEN_FDNAMES", "statuses", 1);
}

static void test_load_takes_the_passed_copy(void **state) {
        const char *text = "{\"statuses\":[" REC("maintenance", "until 3") "]}";
        StatusStore store;

        status_store_init(&store);
        assert_int_equal(status_fdstore_load(&store), 0); /* nothing passed */
        pass_memfd(text, strlen(text));
        assert_int_equal(status_fdstore_load(&store), 1);
        assert_true(store.complete);
        assert_string_equal(status_store_get(&store, STATUS_MAINTENANCE)->status, "until 3");
        assert_int_equal(fcntl(SD_LISTEN_FDS_START, F_GETFD), -1); /* closed */
        assert_null(getenv("LISTEN_FDS"));
        status_store_done(&store);
}

static void test_load_refuses_a_bad_or_oversized_copy(void **state) {
        const char *text = "{\"statuses\":[" REC("availability", "sometimes") "]}";
        char *big = calloc(1, STATUS_FDSTORE_MAX_BYTES + 1);
        StatusStore store;

        status_store_init(&store);
        pass_memfd(text, strlen(text));
        assert_true(status_fdstore_load(&store) < 0);
        assert_false(store.complete);
        assert_int_equal(fcntl(SD_LISTEN_FDS_START, F_GETFD), -1);

        assert_non_null(big);
        pass_memfd(big, STATUS_FDSTORE_MAX_BYTES + 1);
        assert_true(status_fdstore_load(&store) < 0);
        assert_false(store.complete);
        assert_int_equal(fcntl(SD_LISTEN_FDS_START, F_GETFD), -1);
        free(big);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip_keeps_every_record_and_its_times),
                cmocka_unit_test(test_an_empty_store_round_trips_complete),
                cmocka_unit_test(test_bad_content_takes_nothing),
                cmocka_unit_test(test_a_nul_or_too_much_is_refused_before_parsing),
                cmocka_unit_test(test_save_replaces_the_copy_with_a_sealed_memfd),
                cmocka_unit_test(test_load_takes_the_passed_copy),
                cmocka_unit_test(test_load_refuses_a_bad_or_oversized_copy),
        };

        log_setup("test-status-fdstore", LOG_CRIT);
        unsetenv("NOTIFY_SOCKET");
        return cmocka_run_group_tests(tests, NULL, NULL);
}
