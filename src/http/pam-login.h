/* SPDX-License-Identifier: MIT */
/* Checking a user name and password through PAM (pam_authenticate, then pam_acct_mgmt), as a
 * login for harper-ops-http's TCP listener. Blocks the calling thread while the modules work,
 * but not for their fail delay (about 2 s with pam_unix): that is returned for the caller to
 * wait out. */
#pragma once

/* Returns 0 and the user name PAM settled on in *ret_user (caller frees), -EACCES when PAM
 * refuses the login, -EAGAIN when it cannot check it now (PAM_AUTHINFO_UNAVAIL), or another
 * -errno when PAM itself fails; *ret_fail_delay_usec is the delay PAM asked for after a
 * failure (0 if none). confdir NULL: /etc/pam.d. */
int pam_login(const char *service, const char *confdir, const char *user, const char *password,
              const char *remote_host, char **ret_user, unsigned *ret_fail_delay_usec);
