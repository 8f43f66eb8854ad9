/*
 * zs_db_prep.h: one pooled connection's prepared statements (zs_db_prep.c), used by
 * zs_db_exec: a text the connection runs a second time is prepared once (PQprepare) and
 * from then on executed by name (PQexecPrepared), so PostgreSQL parses and plans it once
 * per connection instead of at every call. Not a public header.
 */
#ifndef ZS_DB_PREP_H
#define ZS_DB_PREP_H

#include <stdbool.h>
#include <stdint.h>
#include <libpq-fe.h>

/* Statements kept per connection when the pool is not told otherwise
 * (zs_db_set_prepared_max), and the longest text that is prepared (longer ones run
 * unprepared, so the cache holds at most max * ZS_DB_PREP_TEXT_MAX bytes of text). */
#define ZS_DB_PREP_MAX_DEFAULT 256
#define ZS_DB_PREP_MAX_LIMIT 4096
#define ZS_DB_PREP_TEXT_MAX 16384

typedef struct zs_db_prep zs_db_prep;

/* A cache of at most max statements for one connection; NULL when max is 0 (statements
 * then run unprepared) or out of memory (likewise). */
zs_db_prep *zs_db_prep_new(uint32_t max);

/* Frees p. Its statements live in the connection's server session and go with it: free
 * p when the connection is finished or remade, never keep it for another. NULL: nothing. */
void zs_db_prep_free(zs_db_prep *p);

/* Runs sql on pg as PQexecParams would (text parameters, lengths and formats as
 * PQexecParams takes them, text results) and returns its result (never NULL unless
 * libpq is out of memory). With p NULL, in a failed transaction, or for a text seen for
 * the first time, it runs unprepared; a text seen before is prepared once (the oldest
 * statement is DEALLOCATEd when the cache is full) and executed by name. A statement
 * whose plan no longer fits its tables ("cached plan must not change result type") or
 * that the server no longer has is dropped and, outside a transaction, prepared and run
 * again once; inside one it cannot be (the transaction failed): *retry_tx is then set,
 * and the next use prepares it again. */
PGresult *zs_db_prep_exec(zs_db_prep *p, PGconn *pg, const char *sql, int nparams,
    const char *const *params, const int *lengths, const int *formats, bool *retry_tx);

/* What p did so far (for tests and logs). */
typedef struct zs_db_prep_stats {
	uint64_t prepared;    /* PQprepare calls that succeeded */
	uint64_t executed;    /* executions by name */
	uint64_t unprepared;  /* statements run with PQexecParams */
	uint64_t evicted;     /* statements DEALLOCATEd to make room */
	uint64_t replanned;   /* statements dropped and prepared again (changed table, lost) */
	uint32_t held;        /* statements prepared now */
} zs_db_prep_stats;
void zs_db_prep_get_stats(const zs_db_prep *p, zs_db_prep_stats *out);

#endif
