/* SPDX-License-Identifier: MIT */
/* What the listener and a worker say to each other (frame.h): the worker's first frame is
 * WORKER_READY; then each request frame (tag 0, the body) gets one answer frame (tag: the
 * HTTP status, the JSON text). */
#pragma once

#define WORKER_READY 1u
#define WORKER_REQUEST 0u
/* no body the listener accepts comes near this; answers (system_information) stay well under */
#define WORKER_MAX_FRAME (64u * 1024u * 1024u)
