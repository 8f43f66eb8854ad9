/* zs_dedupe.c: sharded hash of recent request ids, evicted oldest first. */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "zs/clock.h"
#include "zs_dedupe.h"

#define DD_SHARDS 16
#define DD_BUCKETS 4096   /* per shard, a power of two */

typedef struct dd_entry {
	uint64_t id;
	uint64_t fingerprint;
	int64_t time_ms;
	uint8_t *answer;            /* NULL while in flight; a copy of the answer frame */
	size_t answer_len;
	void **waiters;             /* whoever waits for the answer (opaque here) */
	size_t n_waiters;
	struct dd_entry *hnext;     /* bucket chain */
	struct dd_entry *older, *newer;
} dd_entry;

typedef struct dd_shard {
	pthread_mutex_t lock;
	dd_entry *buckets[DD_BUCKETS];
	dd_entry *oldest, *newest;
	size_t len;
} dd_shard;

struct zs_dedupe {
	int64_t window_ms;
	size_t max_per_shard;
	dd_shard shards[DD_SHARDS];
};

int
zs_dedupe_new(zs_dedupe **out, int64_t window_ms, size_t max_entries)
{
	zs_dedupe *d = calloc(1, sizeof *d);
	if (d == NULL)
		return -1;
	d->window_ms = window_ms;
	d->max_per_shard = max_entries / DD_SHARDS + 1;
	for (size_t i = 0; i < DD_SHARDS; i++)
		pthread_mutex_init(&d->shards[i].lock, NULL);
	*out = d;
	return 0;
}

static void
dd_entry_free(dd_entry *e)
{
	free(e->answer);
	free(e->waiters);
	free(e);
}

void
zs_dedupe_free(zs_dedupe *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < DD_SHARDS; i++) {
		dd_entry *e = d->shards[i].oldest;
		while (e != NULL) {
			dd_entry *next = e->newer;
			dd_entry_free(e);
			e = next;
		}
		pthread_mutex_destroy(&d->shards[i].lock);
	}
	free(d);
}

static dd_shard *
dd_shard_of(zs_dedupe *d, uint64_t id)
{
	return &d->shards[(id * 0x9E3779B97F4A7C15ull) >> 60];
}

static dd_entry **
dd_slot_of(dd_shard *s, uint64_t id)
{
	dd_entry **p = &s->buckets[(id ^ (id >> 29)) & (DD_BUCKETS - 1)];
	while (*p != NULL && (*p)->id != id)
		p = &(*p)->hnext;
	return p;
}

static void
dd_unlink(dd_shard *s, dd_entry *e)
{
	dd_entry **p = dd_slot_of(s, e->id);
	*p = e->hnext;
	if (e->older)
		e->older->newer = e->newer;
	else
		s->oldest = e->newer;
	if (e->newer)
		e->newer->older = e->older;
	else
		s->newest = e->older;
	s->len--;
}

/* Drops answered entries that are too old or too many; in-flight ones stay. */
static void
dd_evict(zs_dedupe *d, dd_shard *s, int64_t now)
{
	while (s->oldest != NULL && s->oldest->answer != NULL &&
	    (s->len > d->max_per_shard || now - s->oldest->time_ms > d->window_ms)) {
		dd_entry *e = s->oldest;
		dd_unlink(s, e);
		dd_entry_free(e);
	}
}

zs_dedupe_verdict
zs_dedupe_begin(zs_dedupe *d, uint64_t id, uint64_t fingerprint, void *waiter, nng_msg **replay)
{
	dd_shard *s = dd_shard_of(d, id);
	int64_t now = zs_clock_ms();
	zs_dedupe_verdict v = ZS_DEDUPE_NEW;
	pthread_mutex_lock(&s->lock);
	dd_evict(d, s, now);
	dd_entry **p = dd_slot_of(s, id), *e = *p;
	if (e != NULL) {
		if (e->fingerprint != fingerprint) {
			v = ZS_DEDUPE_CONFLICT;
		} else if (e->answer != NULL) {
			v = nng_msg_alloc(replay, e->answer_len) == 0 ? ZS_DEDUPE_REPLAY : ZS_DEDUPE_CONFLICT;
			if (v == ZS_DEDUPE_REPLAY)
				memcpy(nng_msg_body(*replay), e->answer, e->answer_len);
		} else {
			void **w = realloc(e->waiters, (e->n_waiters + 1) * sizeof *w);
			if (w != NULL) {
				w[e->n_waiters++] = waiter;
				e->waiters = w;
				v = ZS_DEDUPE_WAITING;
			} else {
				v = ZS_DEDUPE_CONFLICT;
			}
		}
	} else if ((e = calloc(1, sizeof *e)) != NULL) {
		e->id = id;
		e->fingerprint = fingerprint;
		e->time_ms = now;
		*p = e;
		e->older = s->newest;
		if (s->newest)
			s->newest->newer = e;
		else
			s->oldest = e;
		s->newest = e;
		s->len++;
	}
	pthread_mutex_unlock(&s->lock);
	return v;
}

size_t
zs_dedupe_finish(zs_dedupe *d, uint64_t id, const nng_msg *answer, void ***waiters_out)
{
	dd_shard *s = dd_shard_of(d, id);
	void **waiters = NULL;
	size_t n = 0;
	pthread_mutex_lock(&s->lock);
	dd_entry *e = *dd_slot_of(s, id);
	if (e != NULL && e->answer == NULL) {
		size_t len = nng_msg_len((nng_msg *) answer);
		if ((e->answer = malloc(len ? len : 1)) != NULL) {
			memcpy(e->answer, nng_msg_body((nng_msg *) answer), len);
			e->answer_len = len;
		}
		if (e->answer == NULL) {
			/* cannot keep it: forget the id rather than leave it in flight forever */
			dd_unlink(s, e);
			waiters = e->waiters;
			n = e->n_waiters;
			free(e);
		} else {
			e->time_ms = zs_clock_ms();
			waiters = e->waiters;
			n = e->n_waiters;
			e->waiters = NULL;
			e->n_waiters = 0;
		}
	}
	pthread_mutex_unlock(&s->lock);
	*waiters_out = waiters;
	return n;
}

size_t
zs_dedupe_len(zs_dedupe *d)
{
	size_t n = 0;
	for (size_t i = 0; i < DD_SHARDS; i++) {
		pthread_mutex_lock(&d->shards[i].lock);
		n += d->shards[i].len;
		pthread_mutex_unlock(&d->shards[i].lock);
	}
	return n;
}
