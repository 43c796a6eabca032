/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <security/pam_appl.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"
#include "log.h"
#include "macro.h"
#include "pam-login.h"

typedef struct Login {
        const char *password;
        unsigned fail_delay_usec;
} Login;

/* PAM's fail delay (PAM_FAIL_DELAY): remembered, not slept, so the caller can wait it out
 * without holding one of the few login slots. */
static void fail_delay(int retval, unsigned usec, void *data) {
        Login *login = ASSERT_PTR(data);

        if (retval != PAM_SUCCESS)
                login->fail_delay_usec = usec;
}

static void answers_free(struct pam_response *answers, int n) {
        if (!answers)
                return;
        for (int i = 0; i < n; i++)
                if (answers[i].resp) {
                        explicit_bzero(answers[i].resp, strlen(answers[i].resp));
                        free(answers[i].resp);
                }
        free(answers);
}

/* Answers the password prompt with the Basic password and nothing else: a module that asks
 * for more (a one-time code, a user name) cannot be satisfied over HTTP Basic. */
static int conversation(int n, const struct pam_message **messages, struct pam_response **ret, void *data) {
        const char *password = ((Login *) ASSERT_PTR(data))->password;
        struct pam_response *answers;

        assert(messages);
        assert(ret);

        if (n <= 0 || n > PAM_MAX_NUM_MSG)
                return PAM_CONV_ERR;
        answers = calloc((size_t) n, sizeof *answers);
        if (!answers)
                return PAM_BUF_ERR;
        for (int i = 0; i < n; i++) {
                char shown[ESCAPED_MAX];

                switch (messages[i]->msg_style) {
                case PAM_PROMPT_ECHO_OFF:
                        answers[i].resp = strdup(password);
                        if (answers[i].resp)
                                break;
                        /* fall through */
                case PAM_PROMPT_ECHO_ON:
                        answers_free(answers, i);
                        return PAM_CONV_ERR;
                default:   /* PAM_ERROR_MSG, PAM_TEXT_INFO: nobody to show them to */
                        log_debug("PAM says: %s", escape_for_log(messages[i]->msg ?: "", shown, sizeof shown));
                        break;
                }
        }
        *ret = answers;
        return PAM_SUCCESS;
}

/* Authenticates pamh's user with the conversation's password, checks the account, and on
 * success puts the user name PAM settled on in *ret_user: PAM's result. */
static int pam_check(pam_handle_t *pamh, const char *remote_host, char **ret_user) {
        const void *item = NULL;
        int r;

        if (remote_host)
                (void) pam_set_item(pamh, PAM_RHOST, remote_host);
        (void) pam_set_item(pamh, PAM_FAIL_DELAY, (const void *) fail_delay);
        /* PAM_DISALLOW_NULL_AUTHTOK: an account without a password never gets in (pam_unix's nullok) */
        r = pam_authenticate(pamh, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
        if (r != PAM_SUCCESS)
                return r;
        r = pam_acct_mgmt(pamh, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
        if (r != PAM_SUCCESS)
                return r;
        if (pam_get_item(pamh, PAM_USER, &item) != PAM_SUCCESS || !item)
                return PAM_USER_UNKNOWN;
        *ret_user = strdup(item);
        return *ret_user ? PAM_SUCCESS : PAM_BUF_ERR;
}

static int errno_from_pam(int r) {
        switch (r) {
        case PAM_SUCCESS:
                return 0;
        case PAM_BUF_ERR:
                return -ENOMEM;
        case PAM_AUTHINFO_UNAVAIL:   /* the password database cannot be reached (LDAP down, say) */
                return -EAGAIN;
        case PAM_SYSTEM_ERR:
        case PAM_ABORT:
                return -EIO;
        default:
                return -EACCES;
        }
}

int pam_login(const char *service, const char *confdir, const char *user, const char *password,
              const char *remote_host, char **ret_user, unsigned *ret_fail_delay_usec) {
        Login login = { .password = password };
        struct pam_conv conv = { .conv = conversation, .appdata_ptr = &login };
        char shown[ESCAPED_MAX];
        pam_handle_t *pamh = NULL;
        int r;

        assert(service);
        assert(user);
        assert(password);
        assert(ret_user);
        assert(ret_fail_delay_usec);

        r = confdir ? pam_start_confdir(service, user, &conv, confdir, &pamh) : pam_start(service, user, &conv, &pamh);
        if (r != PAM_SUCCESS) {
                log_error("PAM service %s cannot start: %s", service, pam_strerror(pamh, r));
                return -EIO;
        }
        r = pam_check(pamh, remote_host, ret_user);
        if (r != PAM_SUCCESS)
                log_notice("Login of '%s' from %s refused: %s", escape_for_log(user, shown, sizeof shown),
                           remote_host ?: "?", pam_strerror(pamh, r));
        pam_end(pamh, r);
        *ret_fail_delay_usec = login.fail_delay_usec;
        return errno_from_pam(r);
}
