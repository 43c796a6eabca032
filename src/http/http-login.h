/* SPDX-License-Identifier: MIT */
/* Who a caller of harper-ops-http is: on a unix socket the connecting process's user
 * (SO_PEERCRED), on TCP an HTTP Basic login checked through PAM, at most --max-logins at once
 * per server and held off after repeated failures (its LoginThrottle). */
#pragma once

#include <microhttpd.h>

#include "http-connection.h"
#include "http-options.h"
#include "login-throttle.h"

/* The failed-login records for o (--login-records, --login-backoff-max) and the policy against
 * guessing: 0 or -ENOMEM. */
int login_throttle_new(const HttpOptions *o, LoginThrottle **ret);

/* 0 with conn->identity set, or the HTTP status to refuse with (its body in *ret_json, and in
 * *ret_retry_sec the seconds for Retry-After, 0 for none). A refused login returns after PAM's
 * fail delay; one held off after repeated failures (429), at once; one past the checks in flight
 * of its name and source waits its turn first (429 when it does not come in --queue-timeout). */
unsigned login_identify(struct MHD_Connection *c, Conn *conn, const char **ret_json, unsigned *ret_retry_sec);

/* Wipes the login conn remembers (its Authorization header) and its identity. */
void login_forget(Conn *conn);
