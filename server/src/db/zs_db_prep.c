/*
 * zs_db_prep.c: one connection's prepared statements, keyed by their SQL text.
 *
 * Why the shapes below:
 * - A text is prepared the second time the connection runs it, not the first: texts
 *   built at run time (the query engine's, or a value written into the text) often come
 *   once, and preparing those would cost a round trip more and push hot statements out.
 *   The texts seen once are remembered only as hashes, in a fixed table (a collision
 *   merely prepares a text one run early or late).
 * - The cache is bounded (count, and length of a text): the least recently used
 *   statement is DEALLOCATEd to make room, so any number of distinct texts costs bounded
 *   memory here and in the server's session.
 * - Nothing is prepared or deallocated in a failed transaction (the server refuses all
 *   but its end there): statements then run unprepared and fail as they would anyway.
 * - Lookup: a hash table of entries by 64-bit hash of the text, confirmed by comparing
 *   the whole text; use order in a doubly linked list of indexes.
 * - Server names are "zs_<n>", n counting up per connection, so a statement prepared
 *   again after a change never meets its old name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <xxhash.h>

#include "zs_db_prep.h"

#define PREP_SEEN_SLOTS 1024 /* hashes of texts run once; a power of 2 */
#define PREP_NAME_LEN 16

typedef struct prep_entry {
	uint64_t hash;
	char *sql;             /* owned copy; NULL when the entry is free */
	uint32_t id;           /* its server name is "zs_<id>" */
	bool prepared;         /* the server has it (set once PQprepare succeeded) */
	bool stale;            /* to be deallocated and prepared again at its next use */
	int32_t chain;         /* next entry in its bucket (or in the free list); -1 */
	int32_t older, newer;  /* use order; -1 at the ends */
} prep_entry;

struct zs_db_prep {
	uint32_t max;          /* entries */
	uint32_t n;            /* entries in use */
	prep_entry *e;
	int32_t *bucket;       /* heads, mask + 1 of them */
	uint32_t mask;
	int32_t newest, oldest, free_head;
	uint32_t next_id;
	uint64_t seen[PREP_SEEN_SLOTS];
	zs_db_prep_stats stats;
};

zs_db_prep *
zs_db_prep_new(uint32_t max)
{
	if (max == 0)
		return NULL;
	if (max > ZS_DB_PREP_MAX_LIMIT)
		max = ZS_DB_PREP_MAX_LIMIT;
	uint32_t nb = 16;
	while (nb < 2 * max)
		nb *= 2;
	zs_db_prep *p = calloc(1, sizeof *p);
	if (p == NULL)
		return NULL;
	p->e = calloc(max, sizeof *p->e);
	p->bucket = malloc(nb * sizeof *p->bucket);
	if (p->e == NULL || p->bucket == NULL) {
		zs_db_prep_free(p);
		return NULL;
	}
	p->max = max;
	p->mask = nb - 1;
	for (uint32_t i = 0; i < nb; i++)
		p->bucket[i] = -1;
	for (uint32_t i = 0; i < max; i++)
		p->e[i].chain = i + 1 < max ? (int32_t) i + 1 : -1;
	p->free_head = 0;
	p->newest = p->oldest = -1;
	return p;
}

void
zs_db_prep_free(zs_db_prep *p)
{
	if (p == NULL)
		return;
	for (uint32_t i = 0; p->e != NULL && i < p->max; i++)
		free(p->e[i].sql);
	free(p->e);
	free(p->bucket);
	free(p);
}

void
zs_db_prep_get_stats(const zs_db_prep *p, zs_db_prep_stats *out)
{
	if (p == NULL) {
		memset(out, 0, sizeof *out);
		return;
	}
	*out = p->stats;
	out->held = p->n;
}

/* ---- the table ---- */

static void
prep_name(const zs_db_prep *p, int32_t i, char name[PREP_NAME_LEN])
{
	snprintf(name, PREP_NAME_LEN, "zs_%u", p->e[i].id);
}

static int32_t
prep_find(const zs_db_prep *p, uint64_t hash, const char *sql)
{
	for (int32_t i = p->bucket[hash & p->mask]; i >= 0; i = p->e[i].chain)
		if (p->e[i].hash == hash && strcmp(p->e[i].sql, sql) == 0)
			return i;
	return -1;
}

static void
prep_unlink_use(zs_db_prep *p, int32_t i)
{
	prep_entry *e = &p->e[i];
	if (e->older >= 0)
		p->e[e->older].newer = e->newer;
	else
		p->oldest = e->newer;
	if (e->newer >= 0)
		p->e[e->newer].older = e->older;
	else
		p->newest = e->older;
	e->older = e->newer = -1;
}

/* Puts i (not in the use list) at its newest end. */
static void
prep_link_newest(zs_db_prep *p, int32_t i)
{
	p->e[i].older = p->newest;
	p->e[i].newer = -1;
	if (p->newest >= 0)
		p->e[p->newest].newer = i;
	p->newest = i;
	if (p->oldest < 0)
		p->oldest = i;
}

/* Makes i (in the use list) the most recently used. */
static void
prep_touch(zs_db_prep *p, int32_t i)
{
	if (p->newest == i)
		return;
	prep_unlink_use(p, i);
	prep_link_newest(p, i);
}

/* Takes i out of the table (the server's statement is the caller's business). */
static void
prep_remove(zs_db_prep *p, int32_t i)
{
	prep_entry *e = &p->e[i];
	int32_t *link = &p->bucket[e->hash & p->mask];
	while (*link != i)
		link = &p->e[*link].chain;
	*link = e->chain;
	prep_unlink_use(p, i);
	free(e->sql);
	e->sql = NULL;
	e->prepared = e->stale = false;
	e->chain = p->free_head;
	p->free_head = i;
	p->n--;
}

/* Forgets every statement without telling the server (a caller's DISCARD or DEALLOCATE
 * ALL dropped them there). */
static void
prep_forget_all(zs_db_prep *p)
{
	while (p->oldest >= 0)
		prep_remove(p, p->oldest);
}

/* DEALLOCATE of i's statement; the result is not wanted (it fails only when the
 * connection does, which the caller's statement then reports). */
static void
prep_deallocate(const zs_db_prep *p, PGconn *pg, int32_t i)
{
	char name[PREP_NAME_LEN], sql[PREP_NAME_LEN + 16];
	prep_name(p, i, name);
	snprintf(sql, sizeof sql, "DEALLOCATE %s", name);
	PQclear(PQexec(pg, sql));
}

/* A new entry for sql (the oldest deallocated when the table is full); -1 out of memory. */
static int32_t
prep_add(zs_db_prep *p, PGconn *pg, uint64_t hash, const char *sql, size_t len)
{
	char *copy = malloc(len + 1);
	if (copy == NULL)
		return -1;
	memcpy(copy, sql, len + 1);
	if (p->n == p->max) {
		int32_t old = p->oldest;
		if (p->e[old].prepared)
			prep_deallocate(p, pg, old);
		prep_remove(p, old);
		p->stats.evicted++;
	}
	int32_t i = p->free_head;
	prep_entry *e = &p->e[i];
	p->free_head = e->chain;
	e->hash = hash;
	e->sql = copy;
	e->id = ++p->next_id;
	e->prepared = e->stale = false;
	e->chain = p->bucket[hash & p->mask];
	p->bucket[hash & p->mask] = i;
	prep_link_newest(p, i);
	p->n++;
	return i;
}

/* ---- running ---- */

static PGresult *
prep_plain(zs_db_prep *p, PGconn *pg, const char *sql, int nparams, const char *const *params,
    const int *lengths, const int *formats)
{
	if (p != NULL)
		p->stats.unprepared++;
	return PQexecParams(pg, sql, nparams, NULL, params, lengths, formats, 0);
}

/* True for a text that drops prepared statements (DEALLOCATE, DISCARD). */
static bool
prep_drops_statements(const char *sql)
{
	while (*sql == ' ' || *sql == '\t' || *sql == '\n' || *sql == '\r')
		sql++;
	return strncasecmp(sql, "DEALLOCATE", 10) == 0 || strncasecmp(sql, "DISCARD", 7) == 0;
}

static bool
prep_state_is(const PGresult *r, const char *state)
{
	const char *s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	return s != NULL && strcmp(s, state) == 0;
}

/* True for the error of a statement whose result columns changed with its tables. */
static bool
prep_result_changed(const PGresult *r)
{
	const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
	return prep_state_is(r, "0A000") && msg != NULL &&
	    strstr(msg, "cached plan must not change result type") != NULL;
}

/* Prepares entry i (new, or stale: deallocated and renamed first). NULL when it is
 * prepared; else the failed result (the entry is gone) for the caller to return. */
static PGresult *
prep_make(zs_db_prep *p, PGconn *pg, int32_t i, int nparams)
{
	prep_entry *e = &p->e[i];
	if (e->stale) {
		prep_deallocate(p, pg, i);
		e->id = ++p->next_id;
		e->stale = false;
		e->prepared = false;
	}
	char name[PREP_NAME_LEN];
	prep_name(p, i, name);
	PGresult *r = PQprepare(pg, name, e->sql, nparams, NULL);
	if (PQresultStatus(r) == PGRES_COMMAND_OK) {
		PQclear(r);
		e->prepared = true;
		p->stats.prepared++;
		return NULL;
	}
	prep_remove(p, i);
	return r;
}

PGresult *
zs_db_prep_exec(zs_db_prep *p, PGconn *pg, const char *sql, int nparams,
    const char *const *params, const int *lengths, const int *formats, bool *retry_tx)
{
	*retry_tx = false;
	PGTransactionStatusType ts = PQtransactionStatus(pg);
	size_t len = strlen(sql);
	if (p == NULL || (ts != PQTRANS_IDLE && ts != PQTRANS_INTRANS) || len > ZS_DB_PREP_TEXT_MAX)
		return prep_plain(p, pg, sql, nparams, params, lengths, formats);
	if (prep_drops_statements(sql)) {
		PGresult *r = prep_plain(p, pg, sql, nparams, params, lengths, formats);
		if (PQresultStatus(r) == PGRES_COMMAND_OK)
			prep_forget_all(p);
		return r;
	}
	uint64_t hash = XXH3_64bits(sql, len);
	int32_t i = prep_find(p, hash, sql);
	if (i < 0) {
		uint64_t *seen = &p->seen[hash & (PREP_SEEN_SLOTS - 1)];
		if (*seen != hash) {
			*seen = hash;
			return prep_plain(p, pg, sql, nparams, params, lengths, formats);
		}
		*seen = 0;
	}
	for (int attempt = 0;; attempt++) {
		if (i < 0 && (i = prep_add(p, pg, hash, sql, len)) < 0)
			return prep_plain(p, pg, sql, nparams, params, lengths, formats);
		if (!p->e[i].prepared || p->e[i].stale) {
			PGresult *failed = prep_make(p, pg, i, nparams);
			if (failed != NULL)
				return failed;
		}
		prep_touch(p, i);
		bool idle = PQtransactionStatus(pg) == PQTRANS_IDLE;
		char name[PREP_NAME_LEN];
		prep_name(p, i, name);
		PGresult *r = PQexecPrepared(pg, name, nparams, params, lengths, formats, 0);
		p->stats.executed++;
		bool lost = prep_state_is(r, "26000"), changed = prep_state_is(r, "0A000");
		if (!lost && !changed)
			return r;
		/* gone from the session, or planned for tables that changed since */
		p->stats.replanned++;
		if (lost) {
			prep_remove(p, i);
			i = -1;
		} else {
			p->e[i].stale = true;
		}
		if (!idle || attempt > 0) {
			*retry_tx = !idle && (lost || prep_result_changed(r));
			return r;
		}
		PQclear(r); /* nothing was done: the statement failed alone, outside a transaction */
	}
}
