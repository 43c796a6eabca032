/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harper-locator.h"
#include "harper-sysinfo.h"
#include "macro.h"
#include "text.h"

typedef struct Asking Asking;

/* The userdata of one question's call: which question it is. */
typedef struct QuestionSlot {
        Asking *asking;
        SysinfoHarperQuestion question;
} QuestionSlot;

struct Asking {
        HarperLocator *locator;
        HarperClient *client;
        unsigned sections;
        uint64_t timeout_usec;
        SysinfoHarper harper;          /* the answers are references of our own */
        char *error;                   /* the first reason an answer is missing */
        unsigned pending;              /* calls out, the search for Harper, and one while starting */
        QuestionSlot slots[_SYSINFO_HARPER_QUESTION_MAX];
        harper_sysinfo_callback_t callback;
        void *userdata;
};

static void asking_unref(Asking *a) {
        assert(a);
        assert(a->pending > 0);

        if (--a->pending > 0)
                return;
        a->harper.error = a->error;
        a->callback(&a->harper, a->userdata);
        for (unsigned q = 0; q < _SYSINFO_HARPER_QUESTION_MAX; q++)
                json_object_put(a->harper.answers[q]);
        free(a->error);
        free(a);
}

static void keep_error(Asking *a, char *error) {
        if (!a->error)
                a->error = error ? error : strdup("Out of memory while asking Harper.");
        else
                free(error);
}

static void on_answer(json_object *reply, int error, const char *message, void *userdata) {
        QuestionSlot *slot = ASSERT_PTR(userdata);
        Asking *a = ASSERT_PTR(slot->asking);

        if (error < 0) {
                keep_error(a, strdup(message));
                harper_locator_forget(a->locator);   /* Harper may have moved: the next call looks again */
        } else
                a->harper.answers[slot->question] = json_object_get(reply);
        asking_unref(a);
}

/* Asks question q when the sections need it: 1 when asked, 0 when not needed. */
static int ask_one(Asking *a, const char *socket, SysinfoHarperQuestion q) {
        json_object *body = NULL;
        int r;

        r = sysinfo_harper_question(q, a->sections, &body);
        if (r < 0 || !body) {
                json_object_put(body);
                return r < 0 ? r : 0;   /* 0: not needed */
        }
        a->slots[q] = (QuestionSlot) { a, q };
        r = harper_client_call(a->client, socket, body, a->timeout_usec, on_answer, &a->slots[q], NULL);
        json_object_put(body);
        return r < 0 ? r : 1;
}

static void ask_each(Asking *a, const char *socket) {
        for (unsigned q = 0; q < _SYSINFO_HARPER_QUESTION_MAX; q++) {
                int r = ask_one(a, socket, (SysinfoHarperQuestion) q);

                if (r < 0) {
                        errno = -r;   /* for %m */
                        keep_error(a, text_printf("Cannot ask Harper: %m"));
                } else
                        a->pending += (unsigned) r;
        }
}

static void on_found(const HarperTarget *t, const char *error, void *userdata) {
        Asking *a = ASSERT_PTR(userdata);

        if (!t)
                keep_error(a, strdup(error ? error : "Harper could not be found."));
        else
                ask_each(a, t->socket);
        asking_unref(a);
}

int harper_sysinfo_ask(HarperLocator *locator, HarperClient *client, unsigned sections, uint64_t timeout_usec,
                       harper_sysinfo_callback_t callback, void *userdata) {
        Asking *a;
        int r;

        assert(locator);
        assert(client);
        assert(callback);

        a = calloc(1, sizeof(Asking));
        if (!a)
                return -ENOMEM;
        *a = (Asking) { .locator = locator, .client = client, .sections = sections, .timeout_usec = timeout_usec,
                        .callback = callback, .userdata = userdata };
        /* ours while starting, and the search's until on_found */
        a->pending = 2;
        r = harper_locator_find(locator, HARPER_FIND_RECENT, on_found, a, NULL);
        if (r < 0) {
                errno = -r;   /* for %m */
                keep_error(a, text_printf("Cannot find Harper: %m"));
                a->pending--;
        }
        asking_unref(a);
        return 0;
}
