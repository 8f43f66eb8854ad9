/*
 * zs/db.h: the node's PostgreSQL, as a service sees it: a pool of libpq connections.
 *
 *	zs_db_conn *c;
 *	zs_status *st = NULL;
 *	if (zs_db_acquire(db, 2000, &c, &st) != 0)
 *		return fail(st);
 *	const char *p[] = { uuid, name };
 *	PGresult *r = zs_db_exec(c, "INSERT INTO zone (uuid, name) VALUES ($1, $2)", 2, p, &st);
 *	zs_db_release(db, c);
 *	if (r == NULL)
 *		return fail(st);	// ALREADY_EXISTS on a duplicate uuid, ...
 *	PQclear(r);
 *
 * A service gets the pool from zs_node_db(). Every function returns 0 or a canonical code
 * and, where it takes a zs_status **st, fills it (caller frees) unless st is NULL. Any
 * thread may use the pool; a connection belongs to one thread at a time.
 *
 * Calls block (run them on worker threads) but never wait unbounded: connections carry
 * connect_timeout, TCP keepalives and a statement_timeout. Failures come back as a
 * status with a canonical code chosen from the SQLSTATE:
 *   cannot connect, connection lost (08*, 57P01..57P03)	UNAVAILABLE
 *   23505 unique_violation				ALREADY_EXISTS
 *   23503 foreign_key_violation			FAILED_PRECONDITION
 *   22* data exceptions, 23502 not null, 23514 check	INVALID_ARGUMENT
 *   40001 serialization, 40P01 deadlock		ABORTED (retry the transaction)
 *   57014 query_canceled (statement_timeout)		DEADLINE_EXCEEDED
 *   anything else					INTERNAL
 * The status message is PostgreSQL's primary message; its details hold
 * "sqlstate: XXXXX" and, when PostgreSQL gives them, "detail: ...", "hint: ...",
 * "constraint: ...", "table: ...".
 */
#ifndef ZS_DB_H
#define ZS_DB_H

#include <stdint.h>
#include <libpq-fe.h>

#include "google/protobuf/timestamp.pb-c.h"
#include "zs/api.h"
#include "zs/status.h"

typedef struct zs_db zs_db;
typedef struct zs_db_conn zs_db_conn;

/* Takes a connection from the pool, waiting up to timeout_ms for one to come free
 * (timeout_ms <= 0: no waiting). A connection that broke is remade here, which may take
 * up to the pool's connect_timeout more. *st is overwritten, not freed. 0, or
 * UNAVAILABLE with PostgreSQL's message when the server cannot be reached,
 * DEADLINE_EXCEEDED when none came free in time. */
ZS_API int zs_db_acquire(zs_db *db, int64_t timeout_ms, zs_db_conn **out, zs_status **st);

/* Gives c back. An open transaction is rolled back; a broken connection is dropped and
 * remade by a later acquire. Session settings (SET) are not reset: use SET LOCAL. */
ZS_API void zs_db_release(zs_db *db, zs_db_conn *c);

/* Runs one statement: parameters in text form ($1..$n, types inferred as PQexecParams
 * does; a NULL entry is SQL NULL), text results; one command only (as PQexecParams).
 * Returns the result (caller PQclear()s it) for a command or query that succeeded; NULL
 * (with *st) otherwise.
 * A text the connection runs a second time is prepared on it and from then on executed
 * by name, so the server parses and plans it once per connection (its SQL text is the
 * key: write values as parameters, not into the text). Each connection keeps a bounded
 * number of them (the least recently used is deallocated); they go with the connection
 * when it is remade. A prepared statement whose tables changed is prepared again: outside
 * a transaction the caller never sees it; inside one the statement fails with ABORTED
 * (retry the transaction), as the server aborts the transaction first. */
ZS_API PGresult *zs_db_exec(zs_db_conn *c, const char *sql, int nparams, const char *const *params,
    zs_status **st);

/* Row row, column col of r (a timestamptz, as PostgreSQL writes it with DateStyle ISO,
 * which the node's connections use) as a Timestamp allocated in r (PQresultAlloc: it
 * lives until PQclear, as r's strings do); NULL when the value is NULL or not a time. */
ZS_API Google__Protobuf__Timestamp *zs_db_time(const PGresult *r, int row, int col);

/* Transactions on c: 0 or a code. zs_db_commit fails with ABORTED when an earlier
 * statement failed (PostgreSQL then rolls the transaction back) or on a serialization
 * failure. */
ZS_API int zs_db_begin(zs_db_conn *c, zs_status **st);
ZS_API int zs_db_commit(zs_db_conn *c, zs_status **st);
ZS_API void zs_db_rollback(zs_db_conn *c);

/* Ends c's transaction: commits when rv is 0 (a failed commit gives its code and *st),
 * else rolls back. Returns rv or the commit's code. */
ZS_API int zs_db_end(zs_db_conn *c, int rv, zs_status **st);
/* Runs sql for its rows: 0 with the result in *rows (caller PQclear()s it; NULL rows:
 * dropped), or a canonical code with *st (st may be NULL: the status is dropped). */
ZS_API int zs_db_run(zs_db_conn *c, const char *sql, int nparams, const char *const *params,
    PGresult **rows, zs_status **st);
/* Runs a command (INSERT, UPDATE, DELETE): 0 with the number of rows it touched in
 * *affected (may be NULL), or a canonical code with *st. */
ZS_API int zs_db_cmd(zs_db_conn *c, const char *sql, int nparams, const char *const *params,
    int *affected, zs_status **st);
/* Runs sql, which must answer exactly one row, into *row (caller PQclears it); NOT_FOUND
 * "no WHAT with uuid UUID" when it answers none. 0 or a canonical code with *st. */
ZS_API int zs_db_exec_one(zs_db_conn *c, const char *sql, int nparams, const char *const *params,
    const char *what, const char *uuid, PGresult **row, zs_status **st);

/* For handlers: a pooled connection, waited for no longer than the call's deadline. 0,
 * or the code the call was failed with (UNAVAILABLE, DEADLINE_EXCEEDED): the call is then
 * answered. Give the connection back with zs_db_release. */
ZS_API int zs_db_acquire_for(zs_db *db, zs_call *call, zs_db_conn **out);

/* items[0..n) as one PostgreSQL text[] literal ("{\"a\",\"b\"}", "{}" when n is 0), each
 * element quoted, for one parameter of a query about all of them ("= ANY($1::text[])").
 * Caller frees; NULL when out of memory. Any thread. */
ZS_API char *zs_db_text_array(const char *const *items, size_t n);

#endif
