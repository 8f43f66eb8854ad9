/*
 * zs_http_impl.h: making and stopping the facility of zs/http.h, and the entry of the
 * agents' callbacks. Only the composition root (and tests) use these.
 */
#ifndef ZS_HTTP_IMPL_H
#define ZS_HTTP_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "zs/http.h"

/* What the facility is made with. */
typedef struct zs_http_env {
	const char *node_id;         /* named in the User-Agent */
	const char *callback_url;    /* "http://127.0.0.1:5580/asyncrest/callback"; NULL or "": async off */
	size_t sync_level;           /* commands in flight per host (0: 10) */
	size_t max_connections;      /* idle connections kept for reuse (0: 1024) */
	/* The facility's own receiver of answers (zs_http_srv.h), on its thread: NULL: none
	 * (answers come through zs_http_callback); else its IPv4 address and port (0: any),
	 * and callback_url, when NULL or "", becomes http://ADDR:PORT/asyncrest/callback. */
	const char *listen_addr;
	int listen_port;
} zs_http_env;

/* Starts the facility's thread (and its receiver of answers). 0 or -1 with err. */
int zs_http_new(zs_http **out, const zs_http_env *env, char *err, size_t errlen);
/* Fails every command not done yet with UNAVAILABLE (HTTP.1006) and stops the thread;
 * zs_http_post answers UNAVAILABLE from then on. Idempotent. */
void zs_http_stop(zs_http *h);
/* Stops (if needed) and frees. */
void zs_http_free(zs_http *h);

/* An agent's answer to an asynchronous command arrived (POST /asyncrest/callback with
 * header taskuuid): completes the command. Returns the HTTP status to answer: 200, 404
 * for a task uuid nobody waits for (unknown, done, or past its deadline), 400 without a
 * task uuid. Any thread (the HTTP server's). */
int zs_http_callback(zs_http *h, const char *task_uuid, const char *body, size_t len);

/* Where agents are told to POST their answers ("" when asynchronous commands are off). */
const char *zs_http_callback_url(const zs_http *h);

/* The error codes of zs/http.h, for the node to declare ({code, description}, NULL-ended). */
extern const char *const zs_http_error_codes[][2];

/* Counters since start (tests, /metrics). */
typedef struct zs_http_stats {
	uint64_t posted, done, failed, callbacks, unknown_callbacks, queued_now, inflight_now;
} zs_http_stats;
void zs_http_get_stats(zs_http *h, zs_http_stats *out);

#endif
