/*
 * zs_identity_throttle.c: failed logins, counted per account name and per source address.
 * After `free` failures in a row (identity.login_free_failures per name,
 * identity.login_source_free_failures per source) each further failure makes that name
 * or source wait before the next try: identity.login_delay, doubling each time, up to
 * identity.login_delay_max. A login refused for waiting runs no password check and does
 * not lengthen the wait; a good login clears its name's count; counts not touched for
 * IDENTITY_THROTTLE_FORGET_MS are forgotten. Names are counted whether they exist or not,
 * so the answers tell nothing about which do.
 *
 * The table is fixed (THR_SETS sets of THR_WAYS entries, keyed by a keyed BLAKE2-based
 * short hash of the name or address), so no flood of names can grow it; a full set gives
 * up its entry touched longest ago.
 */
#include <string.h>

#include "zs_identity_impl.h"

#define THR_SETS 1024
#define THR_WAYS 4
#define IDENTITY_THROTTLE_FORGET_MS (3600 * 1000)

typedef struct thr_entry {
	uint64_t key;              /* 0: free */
	uint32_t fails;
	int64_t until_ms;          /* monotonic: no try before */
	int64_t last_ms;
} thr_entry;

struct zs_identity_throttle {
	pthread_mutex_t lock;
	zs_identity_throttle_cfg cfg;
	unsigned char hkey[crypto_shorthash_KEYBYTES];
	thr_entry sets[THR_SETS][THR_WAYS];
};

int
zs_identity_throttle_new(zs_identity_throttle **out, const zs_identity_throttle_cfg *cfg)
{
	zs_identity_throttle *t = calloc(1, sizeof *t);
	if (t == NULL)
		return -1;
	pthread_mutex_init(&t->lock, NULL);
	t->cfg = *cfg;
	crypto_shorthash_keygen(t->hkey);
	*out = t;
	return 0;
}

void
zs_identity_throttle_free(zs_identity_throttle *t)
{
	if (t == NULL)
		return;
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static uint64_t
thr_key(const zs_identity_throttle *t, char kind, const char *s)
{
	unsigned char h[crypto_shorthash_BYTES];
	size_t n = strlen(s);
	unsigned char buf[2 + 256];
	if (n > 256)
		n = 256;
	buf[0] = (unsigned char) kind;
	buf[1] = 0;
	memcpy(buf + 2, s, n);
	crypto_shorthash(h, buf, n + 2, t->hkey);
	uint64_t k;
	memcpy(&k, h, sizeof k);
	return k != 0 ? k : 1;
}

/* The entry of key; made (in place of the stalest of its set) when make. Holds lock. */
static thr_entry *
thr_find(zs_identity_throttle *t, uint64_t key, bool make, int64_t now)
{
	thr_entry *set = t->sets[key % THR_SETS], *victim = &set[0];
	for (int i = 0; i < THR_WAYS; i++) {
		if (set[i].key == key) {
			if (now - set[i].last_ms > IDENTITY_THROTTLE_FORGET_MS && now >= set[i].until_ms)
				set[i].fails = 0;
			return &set[i];
		}
		if (set[i].key == 0 || set[i].last_ms < victim->last_ms)
			victim = &set[i];
	}
	if (!make)
		return NULL;
	*victim = (thr_entry) { .key = key, .last_ms = now };
	return victim;
}

int64_t
zs_identity_throttle_wait(zs_identity_throttle *t, const char *name, const char *peer,
    int64_t now, bool *by_source)
{
	int64_t wait = 0;
	*by_source = false;
	pthread_mutex_lock(&t->lock);
	thr_entry *e = thr_find(t, thr_key(t, 'a', name), false, now);
	if (e != NULL && e->until_ms > now)
		wait = e->until_ms - now;
	if (peer[0] != '\0' && (e = thr_find(t, thr_key(t, 's', peer), false, now)) != NULL &&
	    e->until_ms - now > wait) {
		wait = e->until_ms - now;
		*by_source = true;
	}
	pthread_mutex_unlock(&t->lock);
	return wait;
}

/* One more failure on e, free ones allowed before the waits start. */
static void
thr_fail(const zs_identity_throttle *t, thr_entry *e, uint32_t free_fails, int64_t now)
{
	e->fails++;
	e->last_ms = now;
	if (e->fails < free_fails)
		return;
	uint32_t doublings = e->fails - free_fails;
	int64_t delay = t->cfg.delay_ms;
	while (doublings-- > 0 && delay < t->cfg.delay_max_ms)
		delay *= 2;
	e->until_ms = now + (delay < t->cfg.delay_max_ms ? delay : t->cfg.delay_max_ms);
}

void
zs_identity_throttle_record(zs_identity_throttle *t, const char *name, const char *peer,
    bool ok, int64_t now)
{
	pthread_mutex_lock(&t->lock);
	thr_entry *e = thr_find(t, thr_key(t, 'a', name), !ok, now);
	if (ok && e != NULL)
		memset(e, 0, sizeof *e);
	else if (!ok)
		thr_fail(t, e, t->cfg.free_per_name, now);
	if (!ok && peer[0] != '\0')
		thr_fail(t, thr_find(t, thr_key(t, 's', peer), true, now), t->cfg.free_per_source, now);
	pthread_mutex_unlock(&t->lock);
}
