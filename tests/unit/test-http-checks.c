/* SPDX-License-Identifier: MIT */
/* harper-ops-http's checks that need no server: the failed-login records (backoff per pair and
 * per source, spacing per account, waiting for the checks in flight, forgiving, forgetting, a
 * bounded table) and the checks of a request's head (framing, target, origin, host, method,
 * size). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "login-throttle.h"
#include "request-head.h"
#include "time-util.h"

#define SEC 1000000ull
#define T0 (1000 * SEC)

static LoginThrottle *throttle_with(unsigned records, unsigned pair_free, unsigned source_free,
                                    unsigned account_free) {
        ThrottleConfig config = {
                .records = records, .pair_free = pair_free, .source_free = source_free,
                .account_free = account_free, .backoff_max_usec = 8 * SEC,
                .account_interval_usec = SEC, .forget_usec = 120 * SEC,
        };
        LoginThrottle *t = NULL;

        assert_int_equal(throttle_new(&config, &t), 0);
        return t;
}

/* A wrong password from source at now, checked at once: what throttle_end() says. */
static uint64_t refuse(LoginThrottle *t, const char *account, const char *source, uint64_t now) {
        uint64_t at = 0;

        assert_int_equal(throttle_begin(t, account, source, now, 0, &at), THROTTLE_GO);
        assert_int_equal(at, now);
        return throttle_end(t, account, source, now, THROTTLE_REFUSED);
}

/* How long a check from source is held off at now (0: it would go; then it is not made). */
static uint64_t held(LoginThrottle *t, const char *account, const char *source, uint64_t now) {
        uint64_t usec = 0;

        switch (throttle_begin(t, account, source, now, UINT64_MAX / 2, &usec)) {
        case THROTTLE_GO:
                throttle_end(t, account, source, now, THROTTLE_UNCHECKED);
                return 0;
        case THROTTLE_HELD_OFF:
                assert_true(usec > 0);
                return usec;
        default:
                fail_msg("held off by the account's spacing, not the pair or source");
                return 0;
        }
}

static void test_pair_backoff_doubles_up_to_the_maximum(void **state) {
        LoginThrottle *t = throttle_with(64, 5, 100, 100);
        const uint64_t expected[] = { 0, 0, 0, 0, 0, 1 * SEC, 2 * SEC, 4 * SEC, 8 * SEC, 8 * SEC };
        uint64_t now = T0;

        for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
                assert_int_equal(held(t, "alice", "192.0.2.1", now), 0);
                assert_int_equal(refuse(t, "alice", "192.0.2.1", now), expected[i]);
                assert_int_equal(held(t, "alice", "192.0.2.1", now + 1), expected[i] ? expected[i] - 1 : 0);
                now += expected[i];
        }
        /* another source, another name: not held off */
        assert_int_equal(held(t, "alice", "192.0.2.2", now), 0);
        assert_int_equal(held(t, "bob", "192.0.2.1", now), 0);
        throttle_free(t);
}

static void test_accepted_login_forgives_the_pair_only(void **state) {
        LoginThrottle *t = throttle_with(64, 2, 5, 100);
        uint64_t at;

        for (int i = 0; i < 3; i++)
                refuse(t, "alice", "192.0.2.1", T0);
        assert_int_equal(held(t, "alice", "192.0.2.1", T0), 1 * SEC);
        assert_int_equal(throttle_begin(t, "alice", "192.0.2.1", T0 + SEC, 0, &at), THROTTLE_GO);
        assert_int_equal(throttle_end(t, "alice", "192.0.2.1", T0 + SEC, THROTTLE_ACCEPTED), 0);
        /* the pair starts over (two free failures) but the source keeps its three */
        assert_int_equal(refuse(t, "alice", "192.0.2.1", T0 + SEC), 0);
        assert_int_equal(refuse(t, "alice", "192.0.2.1", T0 + SEC), 0);
        assert_int_equal(refuse(t, "alice", "192.0.2.1", T0 + SEC), 1 * SEC);   /* the source's 6th */
        throttle_free(t);
}

/* Issue 22, row 7: made-up names from one source hold that source off, not the others. */
static void test_source_is_held_off_across_names(void **state) {
        LoginThrottle *t = throttle_with(64, 5, 3, 100);
        char name[16];

        for (int i = 0; i < 4; i++) {
                snprintf(name, sizeof name, "user%d", i);
                refuse(t, name, "2001:db8:1:2::/64", T0);
        }
        assert_int_equal(held(t, "someone-else", "2001:db8:1:2::/64", T0), 1 * SEC);
        assert_int_equal(held(t, "user0", "2001:db8:1:3::/64", T0), 0);
        throttle_free(t);
}

/* Issue 22, row 8: past account_free failures of a name, its checks from sources that failed
 * before are spaced (and 503 when the turn is too far), those from a clean source are not. */
static void test_account_under_attack_is_spaced_for_failed_sources_only(void **state) {
        LoginThrottle *t = throttle_with(64, 5, 5, 2);
        uint64_t at = 0;

        refuse(t, "alice", "192.0.2.1", T0);
        refuse(t, "alice", "192.0.2.2", T0);
        assert_int_equal(throttle_begin(t, "alice", "192.0.2.1", T0, 1500000, &at), THROTTLE_GO);
        assert_int_equal(at, T0);
        assert_int_equal(throttle_begin(t, "alice", "192.0.2.2", T0, 1500000, &at), THROTTLE_GO);
        assert_int_equal(at, T0 + SEC);
        assert_int_equal(throttle_begin(t, "alice", "192.0.2.1", T0, 1500000, &at), THROTTLE_BUSY);
        assert_int_equal(at, 2 * SEC);   /* 2 s away: 503 */
        /* a source with no failure: at once, however many turns are taken */
        for (int i = 0; i < 10; i++) {
                assert_int_equal(throttle_begin(t, "alice", "198.51.100.7", T0, 0, &at), THROTTLE_GO);
                assert_int_equal(at, T0);
                throttle_end(t, "alice", "198.51.100.7", T0, THROTTLE_ACCEPTED);
        }
        assert_int_equal(throttle_begin(t, "bob", "192.0.2.1", T0, 0, &at), THROTTLE_GO);
        assert_int_equal(at, T0);
        throttle_free(t);
}

/* Issue 22, row 8: checks at the same time are counted before they run: with 5 free failures
 * 6 may run at once, a 7th waits until they end, and the 6th failure starts the backoff. */
static void test_concurrent_checks_are_reserved(void **state) {
        LoginThrottle *t = throttle_with(64, 5, 20, 100);
        uint64_t at;

        for (int i = 0; i < 6; i++)
                assert_int_equal(throttle_begin(t, "alice", "192.0.2.1", T0, 0, &at), THROTTLE_GO);
        assert_int_equal(throttle_begin(t, "alice", "192.0.2.1", T0, 0, &at), THROTTLE_WAIT);
        assert_int_equal(at, 1 * SEC);
        for (int i = 0; i < 5; i++)
                assert_int_equal(throttle_end(t, "alice", "192.0.2.1", T0, THROTTLE_REFUSED), 0);
        assert_int_equal(throttle_end(t, "alice", "192.0.2.1", T0, THROTTLE_REFUSED), 1 * SEC);
        /* a check that never reached PAM gives its place back */
        assert_int_equal(throttle_begin(t, "bob", "192.0.2.9", T0, 0, &at), THROTTLE_GO);
        throttle_end(t, "bob", "192.0.2.9", T0, THROTTLE_UNCHECKED);
        assert_int_equal(throttle_records_used(t, T0), 3);   /* alice's pair, her source, her account */
        /* past the free failures of a source, one check at a time however many names */
        for (int i = 0; i < 21; i++) {
                char name[16];
                snprintf(name, sizeof name, "user%d", i);
                assert_int_equal(throttle_begin(t, name, "192.0.2.3", T0, 0, &at), THROTTLE_GO);
        }
        assert_int_equal(throttle_begin(t, "user99", "192.0.2.3", T0, 0, &at), THROTTLE_WAIT);
        throttle_free(t);
}

typedef struct Waiter {
        LoginThrottle *t;
        uint64_t wait_usec;
        ThrottleVerdict verdict;
        uint64_t usec, took_usec;
        bool done;
} Waiter;

/* alice's login from 192.0.2.1 in turn, waiting up to w->wait_usec. */
static void *login_in_turn(void *userdata) {
        Waiter *w = userdata;
        uint64_t start = monotonic_usec();

        w->verdict = throttle_begin_in_turn(w->t, "alice", "192.0.2.1", start + w->wait_usec, 0, &w->usec);
        w->took_usec = monotonic_usec() - start;
        __atomic_store_n(&w->done, true, __ATOMIC_RELEASE);
        return NULL;
}

/* Six checks of alice from 192.0.2.1 in flight (real time, as throttle_begin_in_turn's), and a
 * seventh waiting its turn in a thread that has not come back after 100 ms. */
static void start_waiter_behind_six(LoginThrottle *t, Waiter *w, pthread_t *thread) {
        uint64_t at;

        for (int i = 0; i < 6; i++)
                assert_int_equal(throttle_begin(t, "alice", "192.0.2.1", monotonic_usec(), 0, &at), THROTTLE_GO);
        assert_int_equal(pthread_create(thread, NULL, login_in_turn, w), 0);
        usleep(100 * 1000);
        assert_false(__atomic_load_n(&w->done, __ATOMIC_ACQUIRE));
}

/* A login past the checks in flight waits for one to end and then goes (a right password
 * ended), is held off (the failure that starts the backoff ended: the five before it leave the
 * waiter waiting, so no seventh guess runs), or gives up at its deadline (WAIT, retry in 1 s). */
static void test_login_waits_its_turn(void **state) {
        LoginThrottle *t = throttle_with(64, 5, 20, 100);
        Waiter w = { .t = t, .wait_usec = 600 * SEC };
        pthread_t thread;

        start_waiter_behind_six(t, &w, &thread);
        throttle_end(t, "alice", "192.0.2.1", monotonic_usec(), THROTTLE_ACCEPTED);
        assert_int_equal(pthread_join(thread, NULL), 0);
        assert_int_equal(w.verdict, THROTTLE_GO);
        throttle_free(t);

        t = throttle_with(64, 5, 20, 100);
        w = (Waiter) { .t = t, .wait_usec = 600 * SEC };
        start_waiter_behind_six(t, &w, &thread);
        for (int i = 0; i < 5; i++) {
                throttle_end(t, "alice", "192.0.2.1", monotonic_usec(), THROTTLE_REFUSED);
                usleep(10 * 1000);
                assert_false(__atomic_load_n(&w.done, __ATOMIC_ACQUIRE));
        }
        assert_true(throttle_end(t, "alice", "192.0.2.1", monotonic_usec(), THROTTLE_REFUSED) > 0);
        assert_int_equal(pthread_join(thread, NULL), 0);
        assert_int_equal(w.verdict, THROTTLE_HELD_OFF);
        assert_true(w.usec > 0 && w.usec <= SEC);
        throttle_free(t);

        t = throttle_with(64, 5, 20, 100);
        w = (Waiter) { .t = t, .wait_usec = 300 * 1000 };
        start_waiter_behind_six(t, &w, &thread);
        assert_int_equal(pthread_join(thread, NULL), 0);
        assert_int_equal(w.verdict, THROTTLE_WAIT);
        assert_int_equal(w.usec, SEC);
        assert_true(w.took_usec >= 300 * 1000);
        throttle_free(t);
}

/* A source key of an IPv4 address (host order). */
static const char *source_of_v4(uint32_t address) {
        static char buf[64];
        struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(address) };

        throttle_source_of((struct sockaddr *) &sin, buf, sizeof buf);
        return buf;
}

/* Issue 22, row 8: addresses rotated through 127.0.0.0/8 are one source: its 21st failure holds
 * every other loopback address off too. */
static void test_loopback_rotation_is_one_source(void **state) {
        LoginThrottle *t = throttle_with(256, 100, 20, 100);

        for (uint32_t i = 0; i < 21; i++)
                assert_int_equal(refuse(t, "alice", source_of_v4(0x7f000000u | (i * 7919u + 1)), T0), i == 20 ? SEC : 0);
        assert_int_equal(held(t, "alice", source_of_v4(0x7fabcdefu), T0), SEC);
        assert_int_equal(held(t, "alice", source_of_v4(0x7f000001u), T0), SEC);
        assert_int_equal(held(t, "alice", source_of_v4(0xc0000201u), T0), 0);   /* 192.0.2.1 */
        throttle_free(t);
}

static void test_quiet_records_are_forgotten(void **state) {
        LoginThrottle *t = throttle_with(64, 1, 100, 100);

        refuse(t, "alice", "192.0.2.1", T0);
        refuse(t, "alice", "192.0.2.1", T0);
        assert_int_equal(throttle_records_used(t, T0), 3);
        assert_int_equal(throttle_records_used(t, T0 + 120 * SEC), 0);
        /* counted from one again: the first failure is free */
        assert_int_equal(refuse(t, "alice", "192.0.2.1", T0 + 120 * SEC), 0);
        throttle_free(t);
}

static void test_table_is_bounded_oldest_forgotten_first(void **state) {
        LoginThrottle *t = throttle_with(16, 1, 100, 100);
        char source[32];

        refuse(t, "alice", "192.0.2.1", T0);
        refuse(t, "alice", "192.0.2.1", T0);
        assert_true(held(t, "alice", "192.0.2.1", T0) > 0);
        for (unsigned i = 0; i < 100000; i++) {
                snprintf(source, sizeof source, "10.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);
                refuse(t, "mallory", source, T0 + 1 + i);
                assert_true(throttle_records_used(t, T0 + 1 + i) <= 16);
        }
        assert_int_equal(held(t, "alice", "192.0.2.1", T0 + 100000), 0);   /* forgotten */
        /* the newest are kept: the last source's second failure holds it off */
        assert_true(refuse(t, "mallory", source, T0 + 100000) > 0);
        throttle_free(t);
}

static void test_long_keys_are_cut_not_overflowed(void **state) {
        LoginThrottle *t = throttle_with(16, 0, 100, 100);
        char name[300];

        memset(name, 'a', sizeof name - 1);
        name[sizeof name - 1] = 0;
        assert_true(refuse(t, name, name, T0) > 0);
        assert_true(held(t, name, name, T0) > 0);
        throttle_free(t);
}

static const char *source_of(int family, const char *address) {
        static char buf[64];
        struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
        struct sockaddr_in sin = { .sin_family = AF_INET };

        if (family == AF_INET) {
                assert_int_equal(inet_pton(AF_INET, address, &sin.sin_addr), 1);
                throttle_source_of((struct sockaddr *) &sin, buf, sizeof buf);
        } else {
                assert_int_equal(inet_pton(AF_INET6, address, &sin6.sin6_addr), 1);
                throttle_source_of((struct sockaddr *) &sin6, buf, sizeof buf);
        }
        return buf;
}

static void test_source_of_an_address(void **state) {
        assert_string_equal(source_of(AF_INET, "192.0.2.7"), "192.0.2.7");
        assert_string_equal(source_of(AF_INET6, "2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
        assert_string_equal(source_of(AF_INET6, "2001:db8:1:2::1"), "2001:db8:1:2::/64");
        assert_string_equal(source_of(AF_INET6, "::ffff:192.0.2.7"), "192.0.2.7");
        assert_string_equal(source_of(AF_INET6, "::1"), "::/64");
        assert_string_equal(source_of(AF_INET, "127.0.0.1"), "127.0.0.0/8");
        assert_string_equal(source_of(AF_INET, "127.200.3.4"), "127.0.0.0/8");
        assert_string_equal(source_of(AF_INET6, "::ffff:127.9.9.9"), "127.0.0.0/8");
        assert_string_equal(source_of(AF_INET, "128.0.0.1"), "128.0.0.1");
        assert_string_equal(source_of(AF_INET, "10.1.2.3"), "10.1.2.3");
        char none[8] = "x";
        throttle_source_of(NULL, none, sizeof none);
        assert_string_equal(none, "");
}

/* ---------------------------------------------------------------- request heads */

/* A POST to / unless said otherwise. */
static RequestHead post(RequestHead head) {
        head.method = head.method ?: "POST";
        head.target = head.target ?: "/";
        return head;
}
#define HEAD(...) post((RequestHead) { __VA_ARGS__ })

static unsigned check(RequestHead head, bool *close) {
        const char *json = NULL;
        unsigned status = request_head_check(&head, 65536, &json, close);

        assert_true(status == 0 ? json == NULL : json != NULL);
        return status;
}

static void test_framing_must_be_plain(void **state) {
        bool close;

        assert_int_equal(check(HEAD(.content_length = "26", .n_content_length = 1, .transfer_encoding = "chunked",
                                    .n_transfer_encoding = 1), &close), 400);
        assert_true(close);
        assert_int_equal(check(HEAD(.content_length = "26", .n_content_length = 2), &close), 400);
        assert_true(close);
        assert_int_equal(check(HEAD(.transfer_encoding = "chunked", .n_transfer_encoding = 2), &close), 400);
        assert_int_equal(check(HEAD(.transfer_encoding = "gzip", .n_transfer_encoding = 1), &close), 400);
        assert_int_equal(check(HEAD(.transfer_encoding = "gzip, chunked", .n_transfer_encoding = 1), &close), 400);
        /* before the other checks, which would leave the body to be read */
        assert_int_equal(check(HEAD(.origin = "https://evil.example", .content_length = "1", .n_content_length = 1,
                                    .transfer_encoding = "chunked", .n_transfer_encoding = 1), &close), 400);
        assert_true(close);
        /* issue 22, row 13: "Transfer-Encoding : chunked", or any name before whitespace */
        assert_int_equal(check(HEAD(.space_before_colon = true), &close), 400);
        assert_true(close);
        assert_int_equal(check(HEAD(.space_before_colon = true, .origin = "https://evil.example"), &close), 400);
        assert_int_equal(check(HEAD(.transfer_encoding = "Chunked", .n_transfer_encoding = 1), &close), 0);
        assert_false(close);
        assert_int_equal(check(HEAD(.content_length = "26", .n_content_length = 1), &close), 0);
        assert_int_equal(check(HEAD(), &close), 0);
}

/* as libmicrohttpd 1.0 answers by itself (0.9 does not): before any other check, and closed */
static void test_http11_must_name_its_host(void **state) {
        bool close;

        assert_int_equal(check(HEAD(.http11_or_later = true, .method = "BREW", .origin = "https://evil.example"),
                               &close), 400);
        assert_true(close);
        assert_int_equal(check(HEAD(.http11_or_later = true, .host = "x"), &close), 0);
        assert_int_equal(check(HEAD(.method = "BREW"), &close), 405);   /* HTTP/1.0 */
        assert_false(close);
}

static void test_target_must_be_exactly_root(void **state) {
        bool close;

        assert_int_equal(check(HEAD(.target = "/?a=b"), &close), 404);
        assert_int_equal(check(HEAD(.target = "/?"), &close), 404);
        assert_int_equal(check(HEAD(.target = "/other"), &close), 404);
        assert_int_equal(check(HEAD(.target = "http://localhost/"), &close), 404);
        assert_int_equal(check((RequestHead) { .method = "POST" }, &close), 404);
        assert_false(close);
}

static void test_other_refusals(void **state) {
        bool close;

        assert_int_equal(check(HEAD(.origin = "http://localhost"), &close), 403);
        assert_int_equal(check(HEAD(.tcp = true, .host = "evil.example:9925"), &close), 400);
        assert_false(close);
        assert_int_equal(check(HEAD(.tcp = true, .host = "localhost:9925"), &close), 0);
        assert_int_equal(check(HEAD(.tcp = true, .host = "localhost:"), &close), 400);
        assert_int_equal(check(HEAD(.tcp = false, .host = "evil.example"), &close), 0);
        assert_int_equal(check(HEAD(.method = "GET"), &close), 405);
        assert_int_equal(check(HEAD(.content_length = "65537", .n_content_length = 1), &close), 413);
        assert_int_equal(check(HEAD(.content_length = "65536", .n_content_length = 1), &close), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_pair_backoff_doubles_up_to_the_maximum),
                cmocka_unit_test(test_accepted_login_forgives_the_pair_only),
                cmocka_unit_test(test_source_is_held_off_across_names),
                cmocka_unit_test(test_account_under_attack_is_spaced_for_failed_sources_only),
                cmocka_unit_test(test_concurrent_checks_are_reserved),
                cmocka_unit_test(test_login_waits_its_turn),
                cmocka_unit_test(test_loopback_rotation_is_one_source),
                cmocka_unit_test(test_quiet_records_are_forgotten),
                cmocka_unit_test(test_table_is_bounded_oldest_forgotten_first),
                cmocka_unit_test(test_long_keys_are_cut_not_overflowed),
                cmocka_unit_test(test_source_of_an_address),
                cmocka_unit_test(test_framing_must_be_plain),
                cmocka_unit_test(test_http11_must_name_its_host),
                cmocka_unit_test(test_target_must_be_exactly_root),
                cmocka_unit_test(test_other_refusals),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
