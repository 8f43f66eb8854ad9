/*
 * zs_identity_session.c: sessions. A token is 32 random bytes in base64url, handed to the
 * client once; the node keeps only its BLAKE2b hash (hex in zs_sessions.token_hash), so a
 * copy of the database logs nobody in. A cache, hash -> (account, admin, expiry), answers
 * the check of a call without a database trip.
 *
 * Several nodes share one database, so a session made or ended on one must hold on all:
 * - a cache miss (a session another node made) is looked up in zs_sessions and cached;
 * - a cached entry last confirmed more than identity.session_recheck ago (5 s) is looked
 *   up again by the first call that finds it so, while the others go on with the cached
 *   entry: a logout (or a deleted account) on another node holds here within that time.
 * Chosen over LISTEN/NOTIFY, which needs a connection of its own held open outside the
 * pool and a thread listening on it, and loses notifications while it reconnects (so the
 * cache would need a re-check anyway). The re-check costs one primary-key lookup per
 * session in use, per node, every 5 s.
 */
#include <stdlib.h>
#include <string.h>

#include "zs/log.h"
#include "zs/clock.h"
#include "zs_identity_impl.h"

typedef struct cache_entry {
	struct cache_entry *next;
	unsigned char key[ZS_IDENTITY_KEY_BYTES];
	zs_identity_principal who;
	int64_t checked_ms;          /* zs_clock_ms when the database last confirmed it */
	bool refreshing;             /* a call is looking it up in the database again */
} cache_entry;

struct zs_identity_cache {
	pthread_mutex_t lock;
	cache_entry **buckets;
	size_t n_buckets;            /* a power of two */
	size_t len;
	uint64_t removals;           /* counts removals: a miss that raced one does not cache */
};

/* What the cache knew of a key. */
typedef enum session_hit {
	SESSION_MISS,                /* not cached */
	SESSION_HIT,                 /* cached and confirmed recently */
	SESSION_RECHECK,             /* cached; this caller looks it up again */
} session_hit;

int
zs_identity_cache_new(zs_identity_cache **out)
{
	zs_identity_cache *cache = calloc(1, sizeof *cache);
	if (cache == NULL)
		return -1;
	cache->n_buckets = 256;
	cache->buckets = calloc(cache->n_buckets, sizeof *cache->buckets);
	if (cache->buckets == NULL) {
		free(cache);
		return -1;
	}
	pthread_mutex_init(&cache->lock, NULL);
	*out = cache;
	return 0;
}

void
zs_identity_cache_free(zs_identity_cache *cache)
{
	if (cache == NULL)
		return;
	for (size_t i = 0; i < cache->n_buckets; i++)
		for (cache_entry *e = cache->buckets[i], *next; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	pthread_mutex_destroy(&cache->lock);
	free(cache->buckets);
	free(cache);
}

/* The bucket of key: its first bytes, random already, pick it. Lock held. */
static cache_entry **
cache_bucket(cache_entry **buckets, size_t n_buckets, const unsigned char *key)
{
	uint64_t h;
	memcpy(&h, key, sizeof h);
	return &buckets[h & (n_buckets - 1)];
}

/* The link that points at key's entry (*link NULL when absent). Lock held. */
static cache_entry **
cache_link(zs_identity_cache *cache, const unsigned char *key)
{
	cache_entry **link = cache_bucket(cache->buckets, cache->n_buckets, key);
	while (*link != NULL && memcmp((*link)->key, key, ZS_IDENTITY_KEY_BYTES) != 0)
		link = &(*link)->next;
	return link;
}

/* Doubles the buckets when the table is full; stays as it is on no memory. Lock held. */
static void
cache_grow(zs_identity_cache *cache)
{
	if (cache->len < cache->n_buckets || cache->n_buckets > SIZE_MAX / 4)
		return;
	size_t n = cache->n_buckets * 2;
	cache_entry **buckets = calloc(n, sizeof *buckets);
	if (buckets == NULL)
		return;
	for (size_t i = 0; i < cache->n_buckets; i++)
		for (cache_entry *e = cache->buckets[i], *next; e != NULL; e = next) {
			next = e->next;
			cache_entry **b = cache_bucket(buckets, n, e->key);
			e->next = *b;
			*b = e;
		}
	free(cache->buckets);
	cache->buckets = buckets;
	cache->n_buckets = n;
}

/* Adds or replaces key's entry, confirmed now. Lock held. */
static void
cache_put(zs_identity_cache *cache, const unsigned char *key, const zs_identity_principal *who)
{
	cache_entry **link = cache_link(cache, key);
	cache_entry *e = *link;
	if (e == NULL) {
		if ((e = calloc(1, sizeof *e)) == NULL)
			return;   /* not cached: the next call looks it up again */
		memcpy(e->key, key, sizeof e->key);
		*link = e;
		cache->len++;
	}
	e->who = *who;
	e->checked_ms = zs_clock_ms();
	e->refreshing = false;
	cache_grow(cache);
}

/* Removes *link's entry. Lock held. */
static void
cache_unlink(zs_identity_cache *cache, cache_entry **link)
{
	cache_entry *e = *link;
	*link = e->next;
	free(e);
	cache->len--;
	cache->removals++;
}

/* Removes key's entry. Counts a removal even when there was none: a lookup of key racing
 * this one must not cache what the database said before it changed. */
static void
cache_remove(zs_identity_cache *cache, const unsigned char *key)
{
	pthread_mutex_lock(&cache->lock);
	cache_entry **link = cache_link(cache, key);
	if (*link != NULL)
		cache_unlink(cache, link);
	cache->removals++;
	pthread_mutex_unlock(&cache->lock);
}

/* Removes the entries of account (NULL: any) but keep's (NULL: none), and, when
 * expired_before > 0, only those expiring before it. */
static void
cache_remove_where(zs_identity_cache *cache, const char *account, const unsigned char *keep,
    int64_t expired_before)
{
	pthread_mutex_lock(&cache->lock);
	for (size_t i = 0; i < cache->n_buckets; i++)
		for (cache_entry **link = &cache->buckets[i]; *link != NULL;) {
			const cache_entry *e = *link;
			bool drop = (account == NULL || strcmp(e->who.account, account) == 0) &&
			    (keep == NULL || memcmp(e->key, keep, ZS_IDENTITY_KEY_BYTES) != 0) &&
			    (expired_before <= 0 || e->who.expires_wall_ms <= expired_before);
			if (drop)
				cache_unlink(cache, link);
			else
				link = &(*link)->next;
		}
	cache->removals++;
	pthread_mutex_unlock(&cache->lock);
}

/* Looks key up: a hit copies the entry to out; *removals is the removal count seen. */
static session_hit
cache_get(zs_identity *id, const unsigned char *key, zs_identity_principal *out,
    uint64_t *removals)
{
	zs_identity_cache *cache = id->cache;
	session_hit hit = SESSION_MISS;
	pthread_mutex_lock(&cache->lock);
	cache_entry *e = *cache_link(cache, key);
	*removals = cache->removals;
	if (e != NULL) {
		*out = e->who;
		hit = SESSION_HIT;
		if (!e->refreshing && zs_clock_ms() - e->checked_ms >= id->recheck_ms) {
			e->refreshing = true;
			hit = SESSION_RECHECK;
		}
	}
	pthread_mutex_unlock(&cache->lock);
	return hit;
}

/* After a database lookup: caches who (NULL: the session is gone), unless the entry went
 * meanwhile (a logout here) or, for a miss, any removal raced the lookup. */
static void
cache_settle(zs_identity_cache *cache, const unsigned char *key, session_hit hit,
    const zs_identity_principal *who, uint64_t removals)
{
	pthread_mutex_lock(&cache->lock);
	cache_entry **link = cache_link(cache, key);
	if (who == NULL) {
		if (*link != NULL)
			cache_unlink(cache, link);
	} else if (hit == SESSION_RECHECK ? *link != NULL : cache->removals == removals) {
		cache_put(cache, key, who);
	}
	pthread_mutex_unlock(&cache->lock);
}

/* The database could not say: keep the cached entry and try again after recheck_ms. */
static void
cache_recheck_later(zs_identity_cache *cache, const unsigned char *key)
{
	pthread_mutex_lock(&cache->lock);
	cache_entry *e = *cache_link(cache, key);
	if (e != NULL) {
		e->refreshing = false;
		e->checked_ms = zs_clock_ms();
	}
	pthread_mutex_unlock(&cache->lock);
}

/* A token as Login makes them: 43 characters of the base64url alphabet. */
static bool
session_token_ok(const char *token)
{
	size_t n = strlen(token);
	if (n != ZS_IDENTITY_TOKEN_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = token[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || ch == '_'))
			return false;
	}
	return true;
}

static void
session_key(const char *token, unsigned char key[ZS_IDENTITY_KEY_BYTES])
{
	crypto_generichash(key, ZS_IDENTITY_KEY_BYTES, (const unsigned char *) token, strlen(token),
	    NULL, 0);
}

static void
session_key_hex(const unsigned char key[ZS_IDENTITY_KEY_BYTES], char hex[2 * ZS_IDENTITY_KEY_BYTES + 1])
{
	sodium_bin2hex(hex, 2 * ZS_IDENTITY_KEY_BYTES + 1, key, ZS_IDENTITY_KEY_BYTES);
}

/* Looks the session of key up in zs_sessions: *found tells, who gets it. */
static int
session_db_find(zs_identity *id, const unsigned char *key, int64_t timeout_ms, bool *found,
    zs_identity_principal *who, zs_status **st)
{
	char hex[2 * ZS_IDENTITY_KEY_BYTES + 1];
	session_key_hex(key, hex);
	zs_db_conn *c;
	if (zs_db_acquire(id->db, timeout_ms < ZS_IDENTITY_DB_WAIT_MS ? timeout_ms :
	    ZS_IDENTITY_DB_WAIT_MS, &c, st) != 0)
		return zs_identity_code(*st);
	const char *params[1] = { hex };
	PGresult *r = zs_db_exec(c, "SELECT s.account_uuid, a.admin, "
	    "(extract(epoch FROM s.expires_at) * 1000)::bigint "
	    "FROM zs_sessions s JOIN zs_accounts a ON a.uuid = s.account_uuid "
	    "WHERE s.token_hash = $1", 1, params, st);
	zs_db_release(id->db, c);
	if (r == NULL)
		return zs_identity_code(*st);
	*found = PQntuples(r) == 1;
	if (*found) {
		memset(who, 0, sizeof *who);
		snprintf(who->account, sizeof who->account, "%s", PQgetvalue(r, 0, 0));
		who->admin = strcmp(PQgetvalue(r, 0, 1), "t") == 0;
		who->expires_wall_ms = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
	}
	PQclear(r);
	return 0;
}

/* Asks the database about key for resolve; 0 with *found and who, or a failure. */
static int
session_lookup(zs_identity *id, const unsigned char *key, session_hit hit, uint64_t removals,
    int64_t timeout_ms, bool *found, zs_identity_principal *who, zs_status **st)
{
	zs_status *why = NULL;
	if (session_db_find(id, key, timeout_ms, found, who, &why) != 0) {
		if (hit == SESSION_RECHECK) {
			/* who still holds the cached entry: serve it, look again later */
			zs_log(ZS_LOG_WARN, "identity", "cannot re-check a cached session: %s",
			    why != NULL ? why->message : "out of memory");
			zs_status_free(why);
			cache_recheck_later(id->cache, key);
			*found = true;
			return 0;
		}
		*st = zs_status_new(ZS_UNAVAILABLE, ZS_IDENTITY_E_STORE,
		    "cannot check the session: the session store (database) did not answer");
		if (*st != NULL && why != NULL)
			zs_status_set_cause(*st, why);
		else
			zs_status_free(why);
		return ZS_UNAVAILABLE;
	}
	cache_settle(id->cache, key, hit, *found ? who : NULL, removals);
	return 0;
}

int
zs_identity_session_resolve(zs_identity *id, const char *token, int64_t timeout_ms,
    zs_identity_principal *out, zs_status **st)
{
	if (!session_token_ok(token)) {
		*st = zs_status_new(ZS_UNAUTHENTICATED, ZS_IDENTITY_E_NO_SESSION,
		    "the session token is malformed: a token is the %d characters Login gives",
		    ZS_IDENTITY_TOKEN_LEN);
		return ZS_UNAUTHENTICATED;
	}
	unsigned char key[ZS_IDENTITY_KEY_BYTES];
	session_key(token, key);
	uint64_t removals;
	session_hit hit = cache_get(id, key, out, &removals);
	bool found = true;
	if (hit != SESSION_HIT) {
		int rv = session_lookup(id, key, hit, removals, timeout_ms, &found, out, st);
		if (rv != 0)
			return rv;
	}
	if (!found) {
		*st = zs_status_new(ZS_UNAUTHENTICATED, ZS_IDENTITY_E_NO_SESSION,
		    "unknown session: it was logged out, or expired and was cleaned up, or was "
		    "never issued; log in again");
		return ZS_UNAUTHENTICATED;
	}
	int64_t now = zs_identity_wall_ms();
	if (out->expires_wall_ms <= now) {
		cache_remove(id->cache, key);
		*st = zs_status_new(ZS_UNAUTHENTICATED, ZS_IDENTITY_E_EXPIRED,
		    "the session expired %lld s ago; log in again",
		    (long long) ((now - out->expires_wall_ms) / 1000));
		return ZS_UNAUTHENTICATED;
	}
	return 0;
}

int
zs_identity_session_create(zs_identity *id, zs_db_conn *c, const char *account, bool admin,
    int64_t ttl_ms, char token[ZS_IDENTITY_TOKEN_LEN + 1], int64_t *expires_wall_ms,
    zs_status **st)
{
	unsigned char raw[ZS_IDENTITY_TOKEN_BYTES], key[ZS_IDENTITY_KEY_BYTES];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(token, ZS_IDENTITY_TOKEN_LEN + 1, raw, sizeof raw,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
	session_key(token, key);
	char hex[2 * ZS_IDENTITY_KEY_BYTES + 1], expires[24];
	session_key_hex(key, hex);
	zs_identity_principal who = { .admin = admin, .expires_wall_ms = zs_identity_wall_ms() + ttl_ms };
	snprintf(who.account, sizeof who.account, "%s", account);
	snprintf(expires, sizeof expires, "%lld", (long long) who.expires_wall_ms);
	const char *params[3] = { hex, account, expires };
	PGresult *r = zs_db_exec(c, "INSERT INTO zs_sessions (token_hash, account_uuid, expires_at) "
	    "VALUES ($1, $2, to_timestamp($3::bigint / 1000.0))", 3, params, st);
	if (r == NULL) {
		sodium_memzero(token, ZS_IDENTITY_TOKEN_LEN + 1);
		return zs_identity_code(*st);
	}
	PQclear(r);
	pthread_mutex_lock(&id->cache->lock);
	cache_put(id->cache, key, &who);
	pthread_mutex_unlock(&id->cache->lock);
	*expires_wall_ms = who.expires_wall_ms;
	return 0;
}

int
zs_identity_session_revoke(zs_identity *id, zs_db_conn *c, const char *token, zs_status **st)
{
	unsigned char key[ZS_IDENTITY_KEY_BYTES];
	char hex[2 * ZS_IDENTITY_KEY_BYTES + 1];
	session_key(token, key);
	session_key_hex(key, hex);
	const char *params[1] = { hex };
	PGresult *r = zs_db_exec(c, "DELETE FROM zs_sessions WHERE token_hash = $1", 1, params, st);
	/* after the database: a lookup racing this one then cannot cache the row it read */
	cache_remove(id->cache, key);
	if (r == NULL)
		return zs_identity_code(*st);
	PQclear(r);
	return 0;
}

int
zs_identity_session_revoke_account(zs_identity *id, zs_db_conn *c, const char *account,
    const char *keep_token, zs_status **st)
{
	unsigned char keep[ZS_IDENTITY_KEY_BYTES];
	char hex[2 * ZS_IDENTITY_KEY_BYTES + 1];
	if (keep_token != NULL) {
		session_key(keep_token, keep);
		session_key_hex(keep, hex);
	}
	const char *params[2] = { account, keep_token != NULL ? hex : NULL };
	PGresult *r = zs_db_exec(c, "DELETE FROM zs_sessions WHERE account_uuid = $1 "
	    "AND token_hash IS DISTINCT FROM $2", 2, params, st);
	cache_remove_where(id->cache, account, keep_token != NULL ? keep : NULL, 0);
	if (r == NULL)
		return zs_identity_code(*st);
	PQclear(r);
	return 0;
}

int
zs_identity_session_sweep(zs_identity *id, zs_status **st)
{
	cache_remove_where(id->cache, NULL, NULL, zs_identity_wall_ms());
	zs_db_conn *c;
	if (zs_db_acquire(id->db, ZS_IDENTITY_DB_WAIT_MS, &c, st) != 0)
		return zs_identity_code(*st);
	PGresult *r = zs_db_exec(c, "DELETE FROM zs_sessions WHERE expires_at <= now()", 0, NULL, st);
	zs_db_release(id->db, c);
	if (r == NULL)
		return zs_identity_code(*st);
	const char *n = PQcmdTuples(r);
	if (strcmp(n, "0") != 0)
		zs_log(ZS_LOG_DEBUG, "identity", "cleaned up %s expired sessions", n);
	PQclear(r);
	return 0;
}
