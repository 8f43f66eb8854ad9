/*
 * zs_db_migrate.c: schema migrations. Each service lists its SQL files in order; file i
 * is version i + 1 of that service's schema. zs_schema_migrations records what ran, with
 * an md5 of the file. A file runs in one transaction together with its record, under a
 * cluster-wide advisory lock (nodes that start together apply it once, in turn): it is
 * applied whole or not at all.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zs_db.h"

/* Key of the advisory lock that serializes migrations across nodes ("zsdm"). */
#define MIGRATE_LOCK_SQL "SELECT pg_advisory_xact_lock(2054382701)"
/* A migration may rewrite a big table: it gets more time than a request does. */
#define MIGRATE_TIMEOUT_SQL "SET LOCAL statement_timeout = '10min'"
/* How long to wait for a connection to run migrations on. */
#define MIGRATE_ACQUIRE_MS 30000

static const char migrate_table_sql[] =
    "CREATE TABLE IF NOT EXISTS zs_schema_migrations ("
    " service text NOT NULL,"
    " version int NOT NULL,"
    " file text NOT NULL,"
    " checksum text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now(),"
    " PRIMARY KEY (service, version))";

/* What one migration is about. */
typedef struct {
	const char *service;
	const char *path;
	const char *name; /* the file name, without its folder */
	int version;
	char *sql;        /* the file's text (owned) */
} migration;

/* Reads a whole text file (caller frees). NULL with err on failure. */
static char *
migrate_read(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	size_t len = 0, cap = 4096;
	char *text = malloc(cap);
	while (text != NULL) {
		len += fread(text + len, 1, cap - len - 1, f);
		if (len < cap - 1)
			break;
		char *more = realloc(text, cap *= 2);
		if (more == NULL)
			free(text);
		text = more;
	}
	bool bad = text == NULL || ferror(f) || memchr(text, '\0', len) != NULL;
	fclose(f);
	if (bad) {
		snprintf(err, errlen, "cannot read %s%s", path,
		    text != NULL ? ": it is not a text file" : "");
		free(text);
		return NULL;
	}
	text[len] = '\0';
	return text;
}

/* Line and column of a 1-based character (not byte) position in UTF-8 text. */
static void
migrate_where(const char *text, long pos, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (long ch = 1; *text != '\0' && ch < pos; text++) {
		if (((unsigned char) *text & 0xC0) == 0x80)
			continue; /* a continuation byte is not a new character */
		ch++;
		if (*text == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

/* Runs sql on c; on failure fills err and returns -1. */
static int
migrate_run(zs_db_conn *c, const migration *m, const char *what, const char *sql,
    int nparams, const char *const *params, PGresult **out, char *err, size_t errlen)
{
	zs_status *st = NULL;
	PGresult *r = zs_db_exec(c, sql, nparams, params, &st);
	if (r == NULL) {
		snprintf(err, errlen, "service %s: migration %s (version %d): %s: %s", m->service,
		    m->name, m->version, what, st != NULL ? st->message : "out of memory");
		zs_status_free(st);
		return -1;
	}
	if (out != NULL)
		*out = r;
	else
		PQclear(r);
	return 0;
}

/* Creates zs_schema_migrations if needed (under the lock: CREATE TABLE IF NOT EXISTS
 * races with itself). */
static int
migrate_table(zs_db_conn *c, const char *service, char *err, size_t errlen)
{
	migration m = { .service = service, .name = "zs_schema_migrations", .version = 0 };
	const char *steps[] = { "BEGIN", MIGRATE_LOCK_SQL, migrate_table_sql, "COMMIT" };
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		if (migrate_run(c, &m, "creating the table", steps[i], 0, NULL, NULL, err, errlen) != 0) {
			zs_db_rollback(c);
			return -1;
		}
	}
	return 0;
}

/* Describes a failed file into err: service, file, line, PostgreSQL's message. */
static void
migrate_failed(const migration *m, PGconn *pg, const PGresult *r, char *err, size_t errlen)
{
	zs_status *st = zs_db_status_from(pg, r);
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	const char *pos = PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION);
	const char *context = PQresultErrorField(r, PG_DIAG_CONTEXT);
	char where[64] = "";
	if (pos != NULL) {
		int line, col;
		migrate_where(m->sql, strtol(pos, NULL, 10), &line, &col);
		snprintf(where, sizeof where, " at line %d, column %d", line, col);
	}
	int clen = context != NULL ? (int) strcspn(context, "\n") : 0;
	snprintf(err, errlen, "service %s: migration %s (version %d) failed%s: %s%s%s%s%s%.*s; "
	    "nothing of it was applied", m->service, m->name, m->version, where,
	    st != NULL ? st->message : "out of memory", state != NULL ? " (SQLSTATE " : "",
	    state != NULL ? state : "", state != NULL ? ")" : "", context != NULL ? ", in " : "",
	    clen < 200 ? clen : 200, context != NULL ? context : "");
	zs_status_free(st);
}

/* Runs the file's text as one simple query (it may hold many statements). */
static int
migrate_body(zs_db_conn *c, const migration *m, char *err, size_t errlen)
{
	PGconn *pg = zs_db_conn_pg(c);
	PGresult *r = PQexec(pg, m->sql);
	ExecStatusType s = PQresultStatus(r);
	int rv = 0;
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK && s != PGRES_EMPTY_QUERY) {
		migrate_failed(m, pg, r, err, errlen);
		rv = -1;
	} else if (PQtransactionStatus(pg) != PQTRANS_INTRANS) {
		snprintf(err, errlen, "service %s: migration %s (version %d) ended the transaction "
		    "itself (COMMIT or ROLLBACK in the file?): it may be half applied", m->service,
		    m->name, m->version);
		rv = -1;
	}
	PQclear(r);
	return rv;
}

/* Applies m unless recorded. 1 applied, 0 already there, -1 error (rolled back). */
static int
migrate_one(zs_db_conn *c, migration *m, char *err, size_t errlen)
{
	char version[16];
	snprintf(version, sizeof version, "%d", m->version);
	const char *look[] = { m->service, version, m->sql };
	PGresult *r = NULL;
	if (migrate_run(c, m, "begin", "BEGIN", 0, NULL, NULL, err, errlen) != 0)
		return -1;
	if (migrate_run(c, m, "timeout", MIGRATE_TIMEOUT_SQL, 0, NULL, NULL, err, errlen) != 0 ||
	    migrate_run(c, m, "lock", MIGRATE_LOCK_SQL, 0, NULL, NULL, err, errlen) != 0 ||
	    migrate_run(c, m, "reading zs_schema_migrations",
	    "SELECT md5($3::text), m.checksum FROM (SELECT 1) AS one LEFT JOIN zs_schema_migrations m "
	    "ON m.service = $1 AND m.version = $2::int", 3, look, &r, err, errlen) != 0)
		goto fail;
	char sum[40];
	snprintf(sum, sizeof sum, "%s", PQgetvalue(r, 0, 0));
	bool recorded = !PQgetisnull(r, 0, 1), same = recorded && strcmp(PQgetvalue(r, 0, 1), sum) == 0;
	PQclear(r);
	if (recorded) {
		zs_db_rollback(c);
		if (same)
			return 0;
		snprintf(err, errlen, "service %s: migration %s (version %d) was applied before with "
		    "other content (checksum differs): it is not run again; restore the file and put "
		    "the change in a new migration", m->service, m->name, m->version);
		return -1;
	}
	const char *rec[] = { m->service, version, m->name, sum };
	if (migrate_body(c, m, err, errlen) != 0 ||
	    migrate_run(c, m, "recording it", "INSERT INTO zs_schema_migrations "
	    "(service, version, file, checksum) VALUES ($1, $2::int, $3, $4)", 4, rec, NULL, err,
	    errlen) != 0)
		goto fail;
	zs_status *st = NULL;
	if (zs_db_commit(c, &st) != 0) {
		snprintf(err, errlen, "service %s: migration %s (version %d): commit: %s", m->service,
		    m->name, m->version, st != NULL ? st->message : "out of memory");
		zs_status_free(st);
		return -1;
	}
	return 1;
fail:
	zs_db_rollback(c);
	return -1;
}

int
zs_db_migrate(zs_db *db, const char *service, const char *const *files, size_t n, char *err,
    size_t errlen)
{
	zs_db_conn *c;
	zs_status *st = NULL;
	if (zs_db_acquire(db, MIGRATE_ACQUIRE_MS, &c, &st) != 0) {
		snprintf(err, errlen, "service %s: migrations: %s", service,
		    st != NULL ? st->message : "out of memory");
		zs_status_free(st);
		return -1;
	}
	int applied = 0, rv = migrate_table(c, service, err, errlen);
	for (size_t i = 0; i < n && rv >= 0; i++) {
		const char *slash = strrchr(files[i], '/');
		migration m = { .service = service, .path = files[i], .version = (int) i + 1,
		    .name = slash != NULL ? slash + 1 : files[i] };
		char why[512];
		m.sql = migrate_read(m.path, why, sizeof why);
		if (m.sql == NULL) {
			snprintf(err, errlen, "service %s: migration %s (version %d): %s", service,
			    m.name, m.version, why);
			rv = -1;
			break;
		}
		rv = migrate_one(c, &m, err, errlen);
		applied += rv > 0;
		free(m.sql);
	}
	zs_db_release(db, c);
	return rv < 0 ? -1 : applied;
}
