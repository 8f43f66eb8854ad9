/* zs_dedupe.c: sharded hash of request keys (caller scope + id). Calls in flight sit in
 * the hash only; answered keys also join their shard's list in answer order, from which
 * they leave when their window ends, or early when the shard holds too many. */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "zs/clock.h"
#include "zs_dedupe.h"

#define DD_SHARDS 16

typedef struct dd_entry {
	uint64_t scope, id, fingerprint;
	int64_t time_ms;               /* answered: when */
	struct dd_entry *hnext;        /* bucket chain */
	union {
		struct { void **v; size_t n; } waiters;            /* in flight */
		struct { struct dd_entry *older, *newer; } list;   /* answered */
	} u;
	uint8_t *answer;               /* a copy of the answer frame, NULL when not kept */
	uint32_t answer_len;
	bool answered, keep;
} dd_entry;

typedef struct dd_shard {
	pthread_mutex_t lock;
	dd_entry **buckets;
	size_t mask;
	dd_entry *oldest, *newest;     /* answered entries, by answer time */
	dd_entry *kept;                /* from here on, answers may still be kept */
	size_t n_answered, n_inflight, answer_bytes;
	uint64_t early;
} dd_shard;

struct zs_dedupe {
	zs_dedupe_limits lim;
	size_t max_per_shard, bytes_per_shard;
	dd_shard shards[DD_SHARDS];
};

static uint64_t
dd_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

static uint64_t
dd_hash(uint64_t scope, uint64_t id)
{
	return dd_mix(scope ^ dd_mix(id + 0x9E3779B97F4A7C15ull));
}

int
zs_dedupe_new(zs_dedupe **out, const zs_dedupe_limits *lim)
{
	zs_dedupe *d = calloc(1, sizeof *d);
	if (d == NULL)
		return -1;
	d->lim = *lim;
	d->max_per_shard = lim->max_ids / DD_SHARDS + 1;
	d->bytes_per_shard = lim->answer_bytes / DD_SHARDS;
	/* about two answered keys a bucket when full; at least 256 buckets a shard */
	size_t nb = 256;
	while (nb < d->max_per_shard / 2 && nb < ((size_t) 1 << 24))
		nb <<= 1;
	for (size_t i = 0; i < DD_SHARDS; i++) {
		dd_shard *s = &d->shards[i];
		pthread_mutex_init(&s->lock, NULL);
		s->mask = nb - 1;
		if ((s->buckets = calloc(nb, sizeof *s->buckets)) == NULL) {
			zs_dedupe_free(d);
			return -1;
		}
	}
	*out = d;
	return 0;
}

static void
dd_entry_free(dd_entry *e)
{
	free(e->answer);
	if (!e->answered)
		free(e->u.waiters.v);
	free(e);
}

void
zs_dedupe_free(zs_dedupe *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < DD_SHARDS; i++) {
		dd_shard *s = &d->shards[i];
		for (size_t b = 0; s->buckets != NULL && b <= s->mask; b++) {
			dd_entry *e = s->buckets[b];
			while (e != NULL) {
				dd_entry *next = e->hnext;
				dd_entry_free(e);
				e = next;
			}
		}
		free(s->buckets);
		pthread_mutex_destroy(&s->lock);
	}
	free(d);
}

static dd_shard *
dd_shard_of(zs_dedupe *d, uint64_t h)
{
	return &d->shards[h >> 60];
}

static dd_entry **
dd_slot_of(dd_shard *s, uint64_t h, uint64_t scope, uint64_t id)
{
	dd_entry **p = &s->buckets[h & s->mask];
	while (*p != NULL && ((*p)->id != id || (*p)->scope != scope))
		p = &(*p)->hnext;
	return p;
}

/* Drops the answer held by e (the key stays known). */
static void
dd_drop_answer(dd_shard *s, dd_entry *e)
{
	if (e->answer != NULL) {
		s->answer_bytes -= e->answer_len;
		free(e->answer);
		e->answer = NULL;
	}
}

/* Takes an answered entry off its shard's list and out of the hash, and frees it. */
static void
dd_forget(dd_shard *s, dd_entry *e)
{
	dd_entry **p = dd_slot_of(s, dd_hash(e->scope, e->id), e->scope, e->id);
	*p = e->hnext;
	if (s->kept == e)
		s->kept = e->u.list.newer;
	if (e->u.list.older)
		e->u.list.older->u.list.newer = e->u.list.newer;
	else
		s->oldest = e->u.list.newer;
	if (e->u.list.newer)
		e->u.list.newer->u.list.older = e->u.list.older;
	else
		s->newest = e->u.list.older;
	s->n_answered--;
	dd_drop_answer(s, e);
	dd_entry_free(e);
}

/* Forgets answered keys whose window has ended, and the oldest while there are too many. */
static void
dd_evict(zs_dedupe *d, dd_shard *s, int64_t now)
{
	while (s->oldest != NULL) {
		bool expired = zs_sub_sat(now, s->oldest->time_ms) > d->lim.window_ms;
		if (!expired && s->n_answered <= d->max_per_shard)
			break;
		s->early += !expired;
		dd_forget(s, s->oldest);
	}
}

zs_dedupe_verdict
zs_dedupe_begin(zs_dedupe *d, const zs_dedupe_key *key, uint64_t fingerprint, void *waiter,
    nng_msg **replay)
{
	uint64_t h = dd_hash(key->scope, key->id);
	dd_shard *s = dd_shard_of(d, h);
	zs_dedupe_verdict v = ZS_DEDUPE_NEW;
	pthread_mutex_lock(&s->lock);
	dd_evict(d, s, zs_clock_ms());
	dd_entry **p = dd_slot_of(s, h, key->scope, key->id), *e = *p;
	if (e != NULL) {
		if (e->fingerprint != fingerprint) {
			v = ZS_DEDUPE_CONFLICT;
		} else if (e->answered && e->answer == NULL) {
			v = ZS_DEDUPE_GONE;
		} else if (e->answered) {
			v = nng_msg_alloc(replay, e->answer_len) == 0 ? ZS_DEDUPE_REPLAY : ZS_DEDUPE_GONE;
			if (v == ZS_DEDUPE_REPLAY)
				memcpy(nng_msg_body(*replay), e->answer, e->answer_len);
		} else {
			void **w = realloc(e->u.waiters.v, (e->u.waiters.n + 1) * sizeof *w);
			if (w != NULL) {
				w[e->u.waiters.n++] = waiter;
				e->u.waiters.v = w;
				v = ZS_DEDUPE_WAITING;
			} else {
				v = ZS_DEDUPE_CONFLICT;
			}
		}
	} else if ((e = calloc(1, sizeof *e)) != NULL) {
		e->scope = key->scope;
		e->id = key->id;
		e->fingerprint = fingerprint;
		e->keep = key->keep;
		*p = e;
		s->n_inflight++;
	}
	pthread_mutex_unlock(&s->lock);
	return v;
}

size_t
zs_dedupe_finish(zs_dedupe *d, const zs_dedupe_key *key, const nng_msg *answer,
    void ***waiters_out)
{
	uint64_t h = dd_hash(key->scope, key->id);
	dd_shard *s = dd_shard_of(d, h);
	void **waiters = NULL;
	size_t n = 0;
	pthread_mutex_lock(&s->lock);
	dd_entry **p = dd_slot_of(s, h, key->scope, key->id), *e = *p;
	if (e != NULL && !e->answered) {
		waiters = e->u.waiters.v;
		n = e->u.waiters.n;
		s->n_inflight--;
		if (!e->keep || answer == NULL) {
			*p = e->hnext;
			free(e);
		} else {
			size_t len = nng_msg_len((nng_msg *) answer);
			e->answered = true;
			e->time_ms = zs_clock_ms();
			e->answer_len = len > UINT32_MAX ? UINT32_MAX : (uint32_t) len;
			if (len <= d->lim.answer_max && len <= d->bytes_per_shard &&
			    (e->answer = malloc(len ? len : 1)) != NULL) {
				memcpy(e->answer, nng_msg_body((nng_msg *) answer), len);
				s->answer_bytes += len;
			}
			e->u.list.older = s->newest;
			e->u.list.newer = NULL;
			if (s->newest)
				s->newest->u.list.newer = e;
			else
				s->oldest = e;
			s->newest = e;
			if (s->kept == NULL)
				s->kept = e;
			s->n_answered++;
			/* over the byte budget: the oldest answers go, their keys stay */
			dd_entry *k = s->kept;
			while (k != NULL && s->answer_bytes > d->bytes_per_shard) {
				dd_drop_answer(s, k);
				k = k->u.list.newer;
			}
			s->kept = k;
			dd_evict(d, s, e->time_ms);
		}
	}
	pthread_mutex_unlock(&s->lock);
	*waiters_out = waiters;
	return n;
}

void
zs_dedupe_stats_get(zs_dedupe *d, zs_dedupe_stats *out)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < DD_SHARDS; i++) {
		dd_shard *s = &d->shards[i];
		pthread_mutex_lock(&s->lock);
		out->ids += s->n_answered + s->n_inflight;
		out->answer_bytes += s->answer_bytes;
		out->early += s->early;
		pthread_mutex_unlock(&s->lock);
	}
}

size_t
zs_dedupe_len(zs_dedupe *d)
{
	zs_dedupe_stats st;
	zs_dedupe_stats_get(d, &st);
	return st.ids;
}
