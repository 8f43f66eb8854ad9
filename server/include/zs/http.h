/*
 * zs/http.h: commands to host agents over HTTP, the way ZStack's KVM agent speaks: POST a
 * JSON command to a path, get a JSON answer with `success` and `error`.
 *
 * One facility per node (zs_node_http), driven by one thread on libcurl's multi
 * interface: no thread per request, no worker blocked on a socket. Connections to an
 * agent are kept alive and reused. At most sync_level commands (property
 * kvm.host.syncLevel, default 10) are in flight per host; more wait in a queue, in order.
 *
 * Synchronous commands (connect, echo) are answered in the response body. Asynchronous
 * ones (async = true) carry the headers `taskuuid` and `callbackurl`; the agent answers
 * 200 at once and POSTs the result later to the node's HTTP server
 * (/asyncrest/callback, same taskuuid header), which completes the command. A command
 * whose deadline passes first fails with DEADLINE_EXCEEDED naming the path and the host.
 *
 * Error codes (declared by the node, `zsctl errors HTTP`):
 *   HTTP.1001 UNAVAILABLE        the agent cannot be reached (refused, reset, closed)
 *   HTTP.1002 DEADLINE_EXCEEDED  no answer (or no callback) before the deadline
 *   HTTP.1003 UNAVAILABLE        the agent answered an HTTP error status (5xx, 408, 429;
 *             UNIMPLEMENTED      404 and 405: no such path; INTERNAL: any other)
 *   HTTP.1004 INTERNAL           the answer is not a JSON object
 *   HTTP.1005 ABORTED            the agent reported a failure (success: false); its
 *                                `error` text is the cause
 *   HTTP.1006 UNAVAILABLE        the facility is stopping
 * Every failure's message names the host, the path and the HTTP status when there was one;
 * the agent's own `error` text, when it sent one, is the root of the cause chain.
 *
 * Any thread may post. done runs exactly once, on the facility's thread or on the node's
 * HTTP server thread (for callbacks), never inside zs_http_post: it must be quick and
 * must not block (hand slow work to zs_work).
 */
#ifndef ZS_HTTP_H
#define ZS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "zs/api.h"
#include "zs/status.h"

typedef struct zs_http zs_http;

/* One command. Only what zs_http_post needs while it runs: everything is copied. */
typedef struct zs_http_req {
	const char *host;         /* the host's key (uuid or address): the per-host queue, errors */
	const char *url;          /* "http://127.0.1.7:7070/vm/start" */
	const json_t *json;       /* the command; or */
	const char *body;         /* the command as JSON text, when json is NULL ("{}" if both NULL) */
	const zs_call *call;      /* may be NULL; its deadline bounds the command's */
	int64_t deadline_ms;      /* 0: none of its own; else on zs_clock_ms()'s clock */
	int64_t timeout_ms;       /* 0: none of its own; else at most this long from now */
	bool async;               /* send taskuuid/callbackurl and wait for the callback */
} zs_http_req;

/* The outcome, given to done; everything in it is the facility's and valid only during
 * done (json_incref the reply or zs_status_copy the status to keep them). */
typedef struct zs_http_res {
	int code;                 /* 0, or the canonical code of status */
	const zs_status *status;  /* NULL on success */
	long http_status;         /* of the POST (for async: of the agent's first answer); 0: none */
	json_t *reply;            /* the agent's answer (async: the callback's body); NULL on failure
	                           * unless it was a JSON object with success: false */
	const char *task_uuid;    /* async only, else NULL */
	int64_t elapsed_ms;       /* from zs_http_post to done */
} zs_http_res;

typedef void (*zs_http_done_fn)(const zs_http_res *res, void *arg);

/* Posts req; its deadline is the earliest of the call's, deadline_ms and now + timeout_ms
 * (none of them: no deadline). 0 when accepted (done then runs exactly once, later, on another thread).
 * Otherwise done never runs and the code says why: DEADLINE_EXCEEDED (the call's deadline
 * has passed), INVALID_ARGUMENT (no host or url), FAILED_PRECONDITION (async without a
 * callback URL: http.url is off), UNAVAILABLE (stopping), RESOURCE_EXHAUSTED. */
ZS_API int zs_http_post(zs_http *h, const zs_http_req *req, zs_http_done_fn done, void *arg,
    zs_status **st);

/* Commands of host in flight and queued behind its cap; any thread. */
ZS_API void zs_http_host_load(zs_http *h, const char *host, size_t *inflight, size_t *queued);

/* The decoder of an agent's answer, on its own so it can be fuzzed: bytes of a body with the
 * HTTP status it came with -> the JSON object (*reply, caller decrefs; also set for an
 * object with success: false) and 0, or a code with *st (may be NULL) naming host and path
 * (either may be NULL). Never reads past len; body need not be NUL-terminated. */
ZS_API int zs_http_decode(long http_status, const char *body, size_t len, const char *host,
    const char *path, json_t **reply, zs_status **st);

#endif
