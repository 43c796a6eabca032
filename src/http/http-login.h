/* Who a caller of harper-ops-http is: on a unix socket the connecting process's user
 * (SO_PEERCRED), on TCP an HTTP Basic login checked through PAM. */
#pragma once

#include <microhttpd.h>

#include "http-connection.h"

/* Sets up the --max-logins PAM checks at once; before the first connection. */
void login_setup(void);

/* 0 with conn->identity set, or the HTTP status to refuse with (its body in *ret_json). A
 * refused login returns after PAM's fail delay. */
unsigned login_identify(struct MHD_Connection *c, Conn *conn, const char **ret_json);

/* Wipes the login conn remembers (its Authorization header) and its identity. */
void login_forget(Conn *conn);
