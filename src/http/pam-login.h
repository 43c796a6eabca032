/* Checking a user name and password through PAM (pam_authenticate, then pam_acct_mgmt), as a
 * login for harper-ops-http's TCP listener. Blocks the calling thread (a failed attempt takes
 * the modules' fail delay, about 2 s with pam_unix). */
#pragma once

/* Returns 0 and the user name PAM settled on in *ret_user (caller frees), -EACCES when PAM
 * refuses the login, or another -errno when PAM itself fails. confdir NULL: /etc/pam.d. */
int pam_login(const char *service, const char *confdir, const char *user, const char *password,
              const char *remote_host, char **ret_user);
