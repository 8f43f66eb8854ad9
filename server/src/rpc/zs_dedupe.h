/*
 * zs_dedupe.h: request-id dedupe. nng's REQ resends a request whose reply did not come
 * in time; a request id seen again must not run the call twice. An identical frame
 * with an id that is in flight waits for the first one's answer; one already answered
 * gets the stored answer again; a different frame under a used id is refused.
 * Answers are kept for rpc.dedupe_window, at most rpc.dedupe_max of them.
 */
#ifndef ZS_DEDUPE_H
#define ZS_DEDUPE_H

#include <stddef.h>
#include <stdint.h>
#include <nng/nng.h>

typedef struct zs_dedupe zs_dedupe;

typedef enum zs_dedupe_verdict {
	ZS_DEDUPE_NEW,        /* first time: run the call, then zs_dedupe_finish() */
	ZS_DEDUPE_WAITING,    /* in flight: the waiter is handed back by zs_dedupe_finish */
	ZS_DEDUPE_REPLAY,     /* answered before: *replay is a copy of the answer */
	ZS_DEDUPE_CONFLICT,   /* the id was used for a different request */
} zs_dedupe_verdict;

int zs_dedupe_new(zs_dedupe **out, int64_t window_ms, size_t max_entries);
void zs_dedupe_free(zs_dedupe *d);
zs_dedupe_verdict zs_dedupe_begin(zs_dedupe *d, uint64_t id, uint64_t fingerprint,
    void *waiter, nng_msg **replay);
/* Stores a copy of answer for id. Returns how many waiters (given to zs_dedupe_begin
 * with ZS_DEDUPE_WAITING) waited on it, in *waiters (caller frees the array): they are
 * the caller's to answer. The table never calls out. */
size_t zs_dedupe_finish(zs_dedupe *d, uint64_t id, const nng_msg *answer, void ***waiters);
size_t zs_dedupe_len(zs_dedupe *d);

#endif
