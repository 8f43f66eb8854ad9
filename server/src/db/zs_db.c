/*
 * zs_db.c: the connection pool of zs/db.h: a fixed array of libpq connections behind a
 * mutex and a condvar, statements prepared once per connection (zs_db_prep.c), failures
 * turned into statuses by SQLSTATE. Connections are made lazily and remade after they
 * break; an idle one is checked (a poll, no round trip) before it is handed out, so a
 * server restart costs the calls in flight, not the next ones. A connection's prepared
 * statements go with it: they are freed whenever it is finished.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zs/clock.h"
#include "zs_db.h"
#include "zs_db_prep.h"

struct zs_db_conn {
	PGconn *pg;        /* NULL: not connected yet, or dropped after it broke */
	zs_db_prep *prep;  /* pg's prepared statements (NULL: none are made); owned */
	bool in_use;
	void (*after_commit)(void *arg);   /* zs_db_after_commit's, for the open transaction */
	void *after_commit_arg;
};

struct zs_db {
	pthread_mutex_t mu;
	pthread_cond_t freed;        /* signalled when a connection goes back */
	int size;
	zs_db_conn *conns;           /* size of them */
	PQconninfoOption *parsed;    /* the conninfo as given (owns the strings) */
	char *options;               /* its options, with our defaults added */
	const char **keys, **values; /* NULL-terminated, for PQconnectdbParams */
	uint32_t query_limit;        /* query.limit.max; 0: the default */
	uint32_t prepared_max;       /* statements each connection keeps prepared; 0: none */
};

/* Defaults for what the conninfo does not say; see zs_db_open in zs_db.h. */
static const char *const db_defaults[][2] = {
	{ "connect_timeout", "5" },
	{ "keepalives", "1" },
	{ "keepalives_idle", "30" },
	{ "keepalives_interval", "10" },
	{ "keepalives_count", "3" },
	{ "tcp_user_timeout", "30000" },
	{ "application_name", "zsnode" },
};
static const char *const db_default_options[][2] = {
	{ "statement_timeout", "-c statement_timeout=30s" },
	{ "idle_in_transaction_session_timeout", "-c idle_in_transaction_session_timeout=60s" },
	/* timestamptz answered as "2026-01-01 00:00:00.123456+00", which zs_query_fill reads */
	{ "DateStyle", "-c DateStyle=ISO" },
};
#define DB_NDEFAULTS (sizeof db_defaults / sizeof db_defaults[0])

/* ---- statuses ---- */

int
zs_db_sqlstate_code(const char *s)
{
	if (s == NULL || strlen(s) != 5)
		return ZS_INTERNAL;
	if (strncmp(s, "08", 2) == 0 || strcmp(s, "57P01") == 0 || strcmp(s, "57P02") == 0 ||
	    strcmp(s, "57P03") == 0)
		return ZS_UNAVAILABLE;
	if (strcmp(s, "23505") == 0)
		return ZS_ALREADY_EXISTS;
	if (strcmp(s, "23503") == 0)
		return ZS_FAILED_PRECONDITION;
	if (strncmp(s, "22", 2) == 0 || strcmp(s, "23502") == 0 || strcmp(s, "23514") == 0)
		return ZS_INVALID_ARGUMENT;
	if (strcmp(s, "40001") == 0 || strcmp(s, "40P01") == 0)
		return ZS_ABORTED;
	if (strcmp(s, "57014") == 0)
		return ZS_DEADLINE_EXCEEDED;
	return ZS_INTERNAL;
}

/* Copies libpq's message (often "line\n\tline\n") into buf as one trimmed line. */
static const char *
db_one_line(const char *msg, char *buf, size_t len)
{
	size_t n = 0;
	bool space = false;
	for (; msg != NULL && *msg != '\0' && n + 1 < len; msg++) {
		bool ws = *msg == '\n' || *msg == '\t' || *msg == '\r' || *msg == ' ';
		if (ws) {
			space = n > 0;
			continue;
		}
		if (space && n + 2 < len)
			buf[n++] = ' ';
		space = false;
		buf[n++] = *msg;
	}
	buf[n] = '\0';
	return buf;
}

static void
db_add_field(zs_status *st, const PGresult *res, int field, const char *name)
{
	const char *v = res != NULL ? PQresultErrorField(res, field) : NULL;
	if (v != NULL && *v != '\0')
		zs_status_add_detail(st, "%s: %s", name, v);
}

zs_status *
zs_db_status_from(PGconn *pg, const PGresult *res)
{
	const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	bool lost = pg == NULL || PQstatus(pg) != CONNECTION_OK;
	int code = lost ? ZS_UNAVAILABLE : zs_db_sqlstate_code(state);
	char line[1024];
	if (primary != NULL)
		db_one_line(primary, line, sizeof line);
	else if (res != NULL && *PQresultErrorMessage(res) != '\0')
		db_one_line(PQresultErrorMessage(res), line, sizeof line);
	else if (pg != NULL && *PQerrorMessage(pg) != '\0')
		db_one_line(PQerrorMessage(pg), line, sizeof line);
	else
		snprintf(line, sizeof line, "unexpected result %s",
		    PQresStatus(res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR));
	zs_status *st = zs_status_new(code, NULL, "%s%s", lost ? "database unavailable: " : "", line);
	if (st == NULL)
		return NULL;
	if (state != NULL)
		zs_status_add_detail(st, "sqlstate: %s", state);
	db_add_field(st, res, PG_DIAG_MESSAGE_DETAIL, "detail");
	db_add_field(st, res, PG_DIAG_MESSAGE_HINT, "hint");
	db_add_field(st, res, PG_DIAG_CONSTRAINT_NAME, "constraint");
	db_add_field(st, res, PG_DIAG_TABLE_NAME, "table");
	return st;
}

/* ---- connections ---- */

static int64_t
db_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Notices ("relation already exists, skipping", a FATAL sent before the server closes an
 * idle connection) would go to stderr by default; the pool has no use for them. */
static void
db_drop_notice(void *arg, const char *message)
{
	(void) arg;
	(void) message;
}

/* Connects c. 0, or -1 with *st UNAVAILABLE carrying libpq's message. */
static int
db_connect(zs_db *db, zs_db_conn *c, zs_status **st)
{
	c->pg = PQconnectdbParams(db->keys, db->values, 0);
	if (c->pg != NULL && PQstatus(c->pg) == CONNECTION_OK) {
		PQsetNoticeProcessor(c->pg, db_drop_notice, NULL);
		return 0;
	}
	char line[1024];
	*st = zs_status_new(ZS_UNAVAILABLE, NULL, "database unavailable: %s",
	    c->pg != NULL ? db_one_line(PQerrorMessage(c->pg), line, sizeof line) : "out of memory");
	PQfinish(c->pg);
	c->pg = NULL;
	return -1;
}

/* Finishes c's connection; its prepared statements go with it. */
static void
db_drop(zs_db_conn *c)
{
	PQfinish(c->pg);
	c->pg = NULL;
	zs_db_prep_free(c->prep);
	c->prep = NULL;
}

/* True if an idle connection still looks usable. An idle connection has nothing to read
 * unless the server closed it (with a FATAL first) or sent a notification: read what is
 * there and let libpq find out which. */
static bool
db_idle_ok(PGconn *pg)
{
	if (PQstatus(pg) != CONNECTION_OK || PQtransactionStatus(pg) != PQTRANS_IDLE)
		return false;
	for (int i = 0; i < 4; i++) {
		struct pollfd p = { .fd = PQsocket(pg), .events = POLLIN };
		int n = poll(&p, 1, 0);
		if (n == 0)
			return true;
		if (n < 0 || (p.revents & (POLLERR | POLLNVAL)) != 0)
			return false;
		if (!PQconsumeInput(pg) || PQisBusy(pg) || PQstatus(pg) != CONNECTION_OK)
			return false;
	}
	return false;
}

/* True if c may go back to the pool as it is: connected, outside any transaction. */
static bool
db_reusable(PGconn *pg)
{
	if (PQstatus(pg) != CONNECTION_OK)
		return false;
	switch (PQtransactionStatus(pg)) {
	case PQTRANS_IDLE:
		return true;
	case PQTRANS_INTRANS:
	case PQTRANS_INERROR: {
		PGresult *r = PQexec(pg, "ROLLBACK");
		bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
		return ok && PQtransactionStatus(pg) == PQTRANS_IDLE;
	}
	default: /* a statement still running (COPY) or an unknown state */
		return false;
	}
}

/* ---- the pool ---- */

/* Picks a free connection, a connected one first; NULL if none. Called locked. */
static zs_db_conn *
db_pick(zs_db *db)
{
	zs_db_conn *empty = NULL;
	for (int i = 0; i < db->size; i++) {
		zs_db_conn *c = &db->conns[i];
		if (c->in_use)
			continue;
		if (c->pg != NULL)
			return c;
		if (empty == NULL)
			empty = c;
	}
	return empty;
}

/* Takes a free connection, waiting until deadline (monotonic ms); NULL when none came. */
static zs_db_conn *
db_take(zs_db *db, int64_t timeout_ms)
{
	int64_t deadline = db_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	struct timespec ts = { .tv_sec = deadline / 1000, .tv_nsec = (deadline % 1000) * 1000000 };
	pthread_mutex_lock(&db->mu);
	zs_db_conn *c;
	while ((c = db_pick(db)) == NULL) {
		if (timeout_ms <= 0 || pthread_cond_timedwait(&db->freed, &db->mu, &ts) == ETIMEDOUT) {
			c = db_pick(db);
			break;
		}
	}
	if (c != NULL)
		c->in_use = true;
	pthread_mutex_unlock(&db->mu);
	return c;
}

static void
db_put(zs_db *db, zs_db_conn *c)
{
	pthread_mutex_lock(&db->mu);
	c->in_use = false;
	pthread_cond_signal(&db->freed);
	pthread_mutex_unlock(&db->mu);
}

/* Hands made to the caller through st (or frees it when st is NULL); returns its code. */
static int
db_give(zs_status **st, zs_status *made)
{
	int code = made != NULL ? (int) made->code : ZS_RESOURCE_EXHAUSTED;
	if (st != NULL)
		*st = made;
	else
		zs_status_free(made);
	return code;
}

int
zs_db_acquire(zs_db *db, int64_t timeout_ms, zs_db_conn **out, zs_status **st)
{
	*out = NULL;
	zs_db_conn *c = db_take(db, timeout_ms);
	if (c == NULL)
		return db_give(st, zs_status_new(ZS_DEADLINE_EXCEEDED, NULL,
		    "no database connection came free in %lld ms (pool of %d)", (long long) timeout_ms,
		    db->size));
	if (c->pg != NULL && !db_idle_ok(c->pg))
		db_drop(c);
	zs_status *why = NULL;
	if (c->pg == NULL) {
		if (db_connect(db, c, &why) != 0) {
			db_put(db, c);
			return db_give(st, why);
		}
		c->prep = zs_db_prep_new(db->prepared_max); /* NULL: runs unprepared */
	}
	*out = c;
	return ZS_OK;
}

void
zs_db_release(zs_db *db, zs_db_conn *c)
{
	if (c == NULL)
		return;
	c->after_commit = NULL;
	if (c->pg != NULL && !db_reusable(c->pg))
		db_drop(c);
	db_put(db, c);
}

PGconn *
zs_db_conn_pg(zs_db_conn *c)
{
	return c->pg;
}

PGconn *
zs_db_connect_own(zs_db *db, zs_status **st)
{
	zs_db_conn c = { .pg = NULL };
	return db_connect(db, &c, st) == 0 ? c.pg : NULL;
}

/* ---- statements ---- */

PGresult *
zs_db_exec(zs_db_conn *c, const char *sql, int nparams, const char *const *params, zs_status **st)
{
	return zs_db_exec_params(c, sql, nparams, params, NULL, NULL, st);
}

PGresult *
zs_db_exec_params(zs_db_conn *c, const char *sql, int nparams, const char *const *params,
    const int *lengths, const int *formats, zs_status **st)
{
	if (c->pg == NULL) {
		db_give(st, zs_status_new(ZS_UNAVAILABLE, NULL, "database unavailable: not connected"));
		return NULL;
	}
	bool retry_tx;
	PGresult *r = zs_db_prep_exec(c->prep, c->pg, sql, nparams, params, lengths, formats,
	    &retry_tx);
	switch (PQresultStatus(r)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
	case PGRES_EMPTY_QUERY:
		return r;
	default:
		break;
	}
	zs_status *why = zs_db_status_from(c->pg, r);
	PQclear(r);
	if (retry_tx && why != NULL && (int) why->code != ZS_UNAVAILABLE) {
		/* the plan was made for tables that changed since (a migration): the statement
		 * is prepared afresh at its next use, so the transaction may be run again */
		why->code = (Zs__Rpc__V1__Code) ZS_ABORTED;
		zs_status_add_detail(why, "retry: the statement's tables changed since it was "
		    "prepared on this connection");
	}
	db_give(st, why);
	return NULL;
}

/* Runs a statement whose result is not wanted: 0 or its failure's code. */
static int
db_run(zs_db_conn *c, const char *sql, zs_status **st)
{
	zs_status *why = NULL;
	PGresult *r = zs_db_exec(c, sql, 0, NULL, &why);
	PQclear(r);
	return r != NULL ? ZS_OK : db_give(st, why);
}

Google__Protobuf__Timestamp *
zs_db_time(const PGresult *r, int row, int col)
{
	int64_t secs;
	int32_t nanos;
	if (PQgetisnull(r, row, col) || zs_time_parse(PQgetvalue(r, row, col), &secs, &nanos) != 0)
		return NULL;
	Google__Protobuf__Timestamp *ts = PQresultAlloc((PGresult *) r, sizeof *ts);
	if (ts == NULL)
		return NULL;
	google__protobuf__timestamp__init(ts);
	ts->seconds = secs;
	ts->nanos = nanos;
	return ts;
}

int
zs_db_begin(zs_db_conn *c, zs_status **st)
{
	return db_run(c, "BEGIN", st);
}

int
zs_db_commit(zs_db_conn *c, zs_status **st)
{
	void (*after)(void *) = c->after_commit;
	c->after_commit = NULL;
	zs_status *why = NULL;
	PGresult *r = zs_db_exec(c, "COMMIT", 0, NULL, &why);
	if (r == NULL)
		return db_give(st, why);
	/* COMMIT of a failed transaction "succeeds" as ROLLBACK */
	bool rolled_back = strcmp(PQcmdStatus(r), "ROLLBACK") == 0;
	PQclear(r);
	if (rolled_back)
		return db_give(st, zs_status_new(ZS_ABORTED, NULL,
		    "transaction rolled back: a statement in it failed earlier"));
	if (after != NULL)
		after(c->after_commit_arg);
	return ZS_OK;
}

void
zs_db_after_commit(zs_db_conn *c, void (*fn)(void *arg), void *arg)
{
	c->after_commit = fn;
	c->after_commit_arg = arg;
}

void
zs_db_rollback(zs_db_conn *c)
{
	c->after_commit = NULL;
	if (c->pg != NULL)
		PQclear(PQexec(c->pg, "ROLLBACK"));
}

/* ---- open and close ---- */

static const char *
db_param(const PQconninfoOption *o, const char *key)
{
	for (; o->keyword != NULL; o++)
		if (strcmp(o->keyword, key) == 0)
			return o->val;
	return NULL;
}

/* Builds options: the given ones plus a default for each setting they do not name. */
static int
db_options(zs_db *db, const char *given)
{
	size_t len = (given != NULL ? strlen(given) : 0) + 1;
	for (size_t i = 0; i < sizeof db_default_options / sizeof db_default_options[0]; i++)
		len += strlen(db_default_options[i][1]) + 1;
	db->options = malloc(len);
	if (db->options == NULL)
		return -1;
	snprintf(db->options, len, "%s", given != NULL ? given : "");
	for (size_t i = 0; i < sizeof db_default_options / sizeof db_default_options[0]; i++) {
		if (given != NULL && strstr(given, db_default_options[i][0]) != NULL)
			continue;
		if (db->options[0] != '\0')
			strcat(db->options, " ");
		strcat(db->options, db_default_options[i][1]);
	}
	return 0;
}

/* Parses conninfo into the keyword/value arrays PQconnectdbParams takes. */
static int
db_params(zs_db *db, const char *conninfo, char *err, size_t errlen)
{
	char *why = NULL, line[512];
	db->parsed = PQconninfoParse(conninfo, &why);
	if (db->parsed == NULL) {
		snprintf(err, errlen, "database URL: %s",
		    why != NULL ? db_one_line(why, line, sizeof line) : "out of memory");
		PQfreemem(why);
		return -1;
	}
	size_t n = 0, max = DB_NDEFAULTS + 2;
	for (const PQconninfoOption *o = db->parsed; o->keyword != NULL; o++)
		max++;
	db->keys = calloc(max, sizeof *db->keys);
	db->values = calloc(max, sizeof *db->values);
	if (db->keys == NULL || db->values == NULL ||
	    db_options(db, db_param(db->parsed, "options")) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (const PQconninfoOption *o = db->parsed; o->keyword != NULL; o++) {
		if (o->val != NULL && strcmp(o->keyword, "options") != 0) {
			db->keys[n] = o->keyword;
			db->values[n++] = o->val;
		}
	}
	for (size_t i = 0; i < DB_NDEFAULTS; i++) {
		if (db_param(db->parsed, db_defaults[i][0]) == NULL) {
			db->keys[n] = db_defaults[i][0];
			db->values[n++] = db_defaults[i][1];
		}
	}
	db->keys[n] = "options";
	db->values[n] = db->options;
	return 0;
}

static int
db_init_sync(zs_db *db)
{
	pthread_condattr_t ca;
	if (pthread_condattr_init(&ca) != 0)
		return -1;
	int rv = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (rv == 0)
		rv = pthread_cond_init(&db->freed, &ca);
	pthread_condattr_destroy(&ca);
	if (rv != 0)
		return -1;
	if (pthread_mutex_init(&db->mu, NULL) != 0) {
		pthread_cond_destroy(&db->freed);
		return -1;
	}
	return 0;
}

int
zs_db_open(zs_db **out, const char *conninfo, int pool_size, char *err, size_t errlen)
{
	*out = NULL;
	if (pool_size < 1) {
		snprintf(err, errlen, "database pool size %d: must be at least 1", pool_size);
		return -1;
	}
	if (!PQisthreadsafe()) {
		snprintf(err, errlen, "this libpq is not thread-safe");
		return -1;
	}
	zs_db *db = calloc(1, sizeof *db);
	if (db == NULL || db_init_sync(db) != 0) {
		free(db);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	db->size = pool_size;
	db->prepared_max = ZS_DB_PREP_MAX_DEFAULT;
	db->conns = calloc((size_t) pool_size, sizeof *db->conns);
	if (db->conns == NULL) {
		snprintf(err, errlen, "out of memory");
		zs_db_close(db);
		return -1;
	}
	zs_status *st = NULL;
	if (db_params(db, conninfo, err, errlen) != 0 || db_connect(db, &db->conns[0], &st) != 0) {
		if (st != NULL)
			snprintf(err, errlen, "%s", st->message);
		zs_status_free(st);
		zs_db_close(db);
		return -1;
	}
	db->conns[0].prep = zs_db_prep_new(db->prepared_max);
	*out = db;
	return 0;
}

void
zs_db_close(zs_db *db)
{
	if (db == NULL)
		return;
	for (int i = 0; db->conns != NULL && i < db->size; i++)
		db_drop(&db->conns[i]);
	free(db->conns);
	PQconninfoFree(db->parsed);
	free(db->keys);
	free(db->values);
	free(db->options);
	pthread_cond_destroy(&db->freed);
	pthread_mutex_destroy(&db->mu);
	free(db);
}

void
zs_db_set_query_limit(zs_db *db, uint32_t max)
{
	db->query_limit = max;
}

uint32_t
zs_db_query_limit(const zs_db *db)
{
	return db->query_limit;
}

void
zs_db_set_prepared_max(zs_db *db, uint32_t max)
{
	pthread_mutex_lock(&db->mu);
	db->prepared_max = max > ZS_DB_PREP_MAX_LIMIT ? ZS_DB_PREP_MAX_LIMIT : max;
	for (int i = 0; i < db->size; i++)
		if (!db->conns[i].in_use && db->conns[i].pg != NULL)
			db_drop(&db->conns[i]);
	pthread_mutex_unlock(&db->mu);
}
