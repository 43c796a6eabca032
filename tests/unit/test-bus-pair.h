/* SPDX-License-Identifier: MIT */
/* Two sd-bus connections on the ends of a socketpair, with no bus daemon between them: one end
 * plays harper-sysopsd, the other whoever it talks to (callers, the bus, polkit). A message
 * sent on one end arrives on the other with its sender as the sender set it
 * (sd_bus_message_set_sender), and without credentials: the daemon end asks for a caller's uid,
 * as it does on the system bus. Both ends run on one sd-event loop. For cmocka tests. */
#pragma once

#include <sys/socket.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <systemd/sd-id128.h>
#include <time.h>

#include "time-util.h"

typedef struct BusPair {
        sd_event *event;
        sd_bus *daemon;        /* the server end */
        sd_bus *peer;          /* the client end */
} BusPair;

static inline void bus_pair_open(BusPair *p) {
        sd_id128_t id;
        int fds[2];

        assert_int_equal(sd_event_new(&p->event), 0);
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds), 0);
        assert_int_equal(sd_id128_randomize(&id), 0);

        assert_int_equal(sd_bus_new(&p->daemon), 0);
        assert_int_equal(sd_bus_set_fd(p->daemon, fds[0], fds[0]), 0);
        assert_int_equal(sd_bus_set_server(p->daemon, 1, id), 0);
        assert_int_equal(sd_bus_start(p->daemon), 0);
        assert_int_equal(sd_bus_attach_event(p->daemon, p->event, 0), 0);

        assert_int_equal(sd_bus_new(&p->peer), 0);
        assert_int_equal(sd_bus_set_fd(p->peer, fds[1], fds[1]), 0);
        assert_int_equal(sd_bus_start(p->peer), 0);
        assert_int_equal(sd_bus_attach_event(p->peer, p->event, 0), 0);
}

static inline void bus_pair_close(BusPair *p) {
        p->daemon = sd_bus_flush_close_unref(p->daemon);
        p->peer = sd_bus_flush_close_unref(p->peer);
        p->event = sd_event_unref(p->event);
}

/* Runs the loop until *counter reaches want or max_ms pass; returns the ms it took. */
static inline unsigned bus_pair_run_until(BusPair *p, const unsigned *counter, unsigned want, unsigned max_ms) {
        uint64_t start = monotonic_usec(), deadline = start + max_ms * 1000ull;

        while (*counter < want && monotonic_usec() < deadline)
                assert_true(sd_event_run(p->event, 5000) >= 0);
        return (unsigned) ((monotonic_usec() - start) / 1000u);
}

/* Runs the loop for ms, whatever happens. */
static inline void bus_pair_run_for(BusPair *p, unsigned ms) {
        uint64_t deadline = monotonic_usec() + ms * 1000ull;

        while (monotonic_usec() < deadline)
                assert_true(sd_event_run(p->event, 5000) >= 0);
}
