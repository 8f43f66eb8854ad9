/*
 * zs_dedupe.h: request-id dedupe. nng's REQ resends a request whose reply did not come
 * in time; a request id seen again must not run the call twice. An id belongs to its
 * caller (the key is a scope, the caller's session or connection, plus the id). An
 * identical frame under a key that is in flight waits for the first one's answer; one
 * already answered gets the stored answer again; a different frame under a used key is
 * refused.
 *
 * Memory: calls in flight are always known (their number is bounded by the transport's
 * slots). Answered keys are known for window_ms, at most max_ids of them: past that the
 * oldest are forgotten early (counted). Each is an 80-byte entry; an answer is kept with
 * it when no larger than answer_max, and all answers kept are held under answer_bytes by
 * dropping the oldest (the key stays known: a resend then learns it ran, not its answer).
 * A key made with keep false (calls without a request id) is forgotten once answered.
 */
#ifndef ZS_DEDUPE_H
#define ZS_DEDUPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <nng/nng.h>

typedef struct zs_dedupe zs_dedupe;

typedef struct zs_dedupe_limits {
	int64_t window_ms;      /* answered keys are known this long */
	size_t max_ids;         /* answered keys known at once, all callers */
	size_t answer_max;      /* largest answer kept, in bytes */
	size_t answer_bytes;    /* answer bytes kept, all answers */
} zs_dedupe_limits;

typedef struct zs_dedupe_key {
	uint64_t scope;         /* who: a hash of the session token, or of the connection */
	uint64_t id;            /* the request id, or the frame's hash */
	bool keep;              /* keep after the answer, for the window (false: in flight only) */
} zs_dedupe_key;

typedef enum zs_dedupe_verdict {
	ZS_DEDUPE_NEW,        /* first time: run the call, then zs_dedupe_finish() */
	ZS_DEDUPE_WAITING,    /* in flight: the waiter is handed back by zs_dedupe_finish */
	ZS_DEDUPE_REPLAY,     /* answered before: *replay is a copy of the answer */
	ZS_DEDUPE_CONFLICT,   /* the id was used for a different request */
	ZS_DEDUPE_GONE,       /* answered before, but the answer was not kept */
} zs_dedupe_verdict;

typedef struct zs_dedupe_stats {
	size_t ids;             /* keys known: in flight and answered */
	size_t answer_bytes;    /* bytes of answers kept */
	uint64_t early;         /* answered keys forgotten before their window ended */
} zs_dedupe_stats;

int zs_dedupe_new(zs_dedupe **out, const zs_dedupe_limits *limits);
void zs_dedupe_free(zs_dedupe *d);
zs_dedupe_verdict zs_dedupe_begin(zs_dedupe *d, const zs_dedupe_key *key, uint64_t fingerprint,
    void *waiter, nng_msg **replay);
/* Stores a copy of answer for key. Returns how many waiters (given to zs_dedupe_begin
 * with ZS_DEDUPE_WAITING) waited on it, in *waiters (caller frees the array): they are
 * the caller's to answer. The table never calls out. answer NULL (none could be made)
 * forgets the key. */
size_t zs_dedupe_finish(zs_dedupe *d, const zs_dedupe_key *key, const nng_msg *answer,
    void ***waiters);
size_t zs_dedupe_len(zs_dedupe *d);
void zs_dedupe_stats_get(zs_dedupe *d, zs_dedupe_stats *out);

#endif
