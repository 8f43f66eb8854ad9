/* db_test.c: unit tests for the database layer (server/src/zs_db*.c) against a real
 * embedded PostgreSQL started in a temporary folder (as the postgres user when run as
 * root): socket only, statements and the SQLSTATE mapping, transactions, prepared
 * statements (prepared once per connection, bounded, remade with their connection, after
 * failed transactions and changed tables), migrations
 * (tests/unit/db_migrations/), the pool under threads, the server restarted and killed
 * under load, a server left over by a crashed run, and a clean stop.
 * Usage: db_test [migrations-folder]. Prints `db: N passed, M failed`; exits non-zero on
 * any failure; a watchdog fails the run if it takes over 100 s (ctest allows 120) or a
 * call hangs; a case taking a second or more says how long. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "zst_check.h"
#include "zs_db.h"

#ifndef DB_MIGRATIONS_DIR
#define DB_MIGRATIONS_DIR NULL /* default: db_migrations beside this file */
#endif

#define CALL_BOUND_MS 15000 /* a call taking longer than this counts as hung */

/* Each test function is one case of the shared checks (zst_check.h). */
typedef zst_case T;

/* What the tests share: the folders, the running server and the pool. */
typedef struct {
	char root[64];        /* mkdtemp folder holding the others */
	char dir[128];        /* the main data folder */
	char pgdata[160];     /* its cluster: dir/pg */
	char mig[1024];       /* the migrations of the test */
	zs_pg *pg;
	char *conninfo;
	zs_db *db;            /* pool of 4 on conninfo */
} ctx;

/* ---- helpers ---- */

static int64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void
on_alarm(int sig)
{
	static const char msg[] = "FAIL db_test: still running after 100 s\n";
	(void) sig;
	if (write(2, msg, sizeof msg - 1) < 0)
		_exit(2);
	_exit(2);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void) st;
	(void) ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void
rm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static bool
has_detail(const zs_status *st, const char *want)
{
	for (size_t i = 0; st != NULL && i < st->n_details; i++)
		if (strstr(st->details[i], want) != NULL)
			return true;
	return false;
}

/* Runs sql on a connection of db, expecting success; the result or NULL (a failure). */
static PGresult *
query(T *t, zs_db *db, const char *sql, int n, const char *const *params)
{
	zs_db_conn *c;
	zs_status *st = NULL;
	PGresult *r = NULL;
	if (zs_db_acquire(db, 5000, &c, &st) == 0) {
		r = zs_db_exec(c, sql, n, params, &st);
		zs_db_release(db, c);
	}
	if (r == NULL) {
		ZST_FAIL_IN(t, "%s: %s", sql, st ? st->message : "?");
	}
	zs_status_free(st);
	return r;
}

/* The one value sql returns, into buf ("" on failure). */
static const char *
value(T *t, zs_db *db, const char *sql, int n, const char *const *params, char *buf,
    size_t len)
{
	PGresult *r = query(t, db, sql, n, params);
	snprintf(buf, len, "%s", r != NULL && PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	return buf;
}

/* The code sql fails with (ZS_OK if it does not fail); the status into *out if wanted. */
static int
code_of(zs_db *db, const char *sql, int n, const char *const *params, zs_status **out)
{
	zs_db_conn *c;
	zs_status *st = NULL;
	PGresult *r = NULL;
	if (zs_db_acquire(db, 5000, &c, &st) == 0) {
		r = zs_db_exec(c, sql, n, params, &st);
		zs_db_release(db, c);
	}
	PQclear(r);
	int code = st != NULL ? (int) st->code : ZS_OK;
	if (out != NULL)
		*out = st;
	else
		zs_status_free(st);
	return code;
}

/* Number of live processes whose working folder is pgdata (a server's processes). */
static int
procs_in(const char *pgdata)
{
	char real[PATH_MAX], link[PATH_MAX], buf[PATH_MAX];
	if (realpath(pgdata, real) == NULL)
		snprintf(real, sizeof real, "%s", pgdata);
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;
	while (d != NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(link, sizeof link, "/proc/%s/cwd", e->d_name);
		ssize_t k = readlink(link, buf, sizeof buf - 1);
		if (k < 0)
			continue;
		buf[k] = '\0';
		n += strcmp(buf, real) == 0;
	}
	if (d != NULL)
		closedir(d);
	return n;
}

static long
postmaster_pid(const char *pgdata)
{
	char path[PATH_MAX], line[32] = "";
	snprintf(path, sizeof path, "%s/postmaster.pid", pgdata);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return 0;
	if (fgets(line, sizeof line, f) == NULL)
		line[0] = '\0';
	fclose(f);
	return strtol(line, NULL, 10);
}

/* The socket folder of a conninfo made by zs_pg_start ("host='...' ..."). */
static void
host_of(const char *conninfo, char *buf, size_t len)
{
	const char *h = strstr(conninfo, "host='");
	snprintf(buf, len, "%s", h != NULL ? h + 6 : "");
	buf[strcspn(buf, "'")] = '\0';
}

static bool
file_exists(const char *dir, const char *name)
{
	char p[PATH_MAX + 64];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	return access(p, F_OK) == 0;
}

static int
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* ---- start, socket, statements ---- */

static void
test_start(T *t, ctx *x)
{
	char err[1024];
	const char *pgdata = x->pgdata;
	int64_t t0 = now_ms();
	if (zs_pg_start(x->dir, &x->pg, &x->conninfo, err, sizeof err) != 0) {
		ZST_FAIL_IN(t, "zs_pg_start: %s", err);
		return;
	}
	ZST_EXPECT_IN(t, file_exists(pgdata, "PG_VERSION"));
	ZST_EXPECT_IN(t, file_exists(pgdata, "postmaster.pid"));
	ZST_EXPECT_IN(t, strstr(x->conninfo, pgdata) != NULL);
	struct stat st;
	ZST_EXPECT_IN(t, stat(pgdata, &st) == 0 && (geteuid() != 0 || st.st_uid != 0));
	ZST_EXPECT_IN(t, (st.st_mode & 077) == 0);
	ZST_EXPECT_IN(t, zs_db_open(&x->db, x->conninfo, 4, err, sizeof err) == 0);
	if (x->db == NULL)
		ZST_FAIL_IN(t, "zs_db_open: %s", err);
	fprintf(stderr, "db_test: embedded PostgreSQL up in %lld ms (%s)\n",
	    (long long) (now_ms() - t0), x->conninfo);
}

static void
test_bad_url(T *t, ctx *x)
{
	(void) x;
	char err[512] = "";
	zs_db *db = NULL;
	ZST_EXPECT_IN(t, zs_db_open(&db, "host=/nonexistent/zsdb port=5432 connect_timeout=2", 2, err,
	    sizeof err) != 0 && db == NULL);
	ZST_EXPECT_IN(t, strstr(err, "unavailable") != NULL && strstr(err, "/nonexistent/zsdb") != NULL);
	ZST_EXPECT_IN(t, zs_db_open(&db, "nonsense-without-equals", 2, err, sizeof err) != 0);
	ZST_EXPECT_IN(t, strstr(err, "database URL") != NULL);
	ZST_EXPECT_IN(t, zs_db_open(&db, x->conninfo, 0, err, sizeof err) != 0);
}

static void
test_socket_only(T *t, ctx *x)
{
	char buf[PATH_MAX];
	const char *pgdata = x->pgdata;
	ZST_EXPECT_IN(t, strcmp(value(t, x->db, "SHOW listen_addresses", 0, NULL, buf, sizeof buf), "") == 0);
	ZST_EXPECT_IN(t, strcmp(value(t, x->db, "SHOW unix_socket_directories", 0, NULL, buf, sizeof buf),
	    pgdata) == 0);
	ZST_EXPECT_IN(t, strcmp(value(t, x->db, "SELECT current_database()", 0, NULL, buf, sizeof buf),
	    "zsnode") == 0);
	ZST_EXPECT_IN(t, strcmp(value(t, x->db, "SELECT inet_server_addr() IS NULL", 0, NULL, buf,
	    sizeof buf), "t") == 0);
	PGconn *tcp = PQconnectdb("host=127.0.0.1 port=5432 user=zsnode dbname=zsnode "
	    "connect_timeout=2");
	ZST_EXPECT_IN(t, PQstatus(tcp) != CONNECTION_OK);
	PQfinish(tcp);
}

static void
test_defaults(T *t, ctx *x)
{
	char buf[256], err[512], conninfo[PATH_MAX + 128];
	ZST_EXPECT_IN(t, strcmp(value(t, x->db, "SHOW statement_timeout", 0, NULL, buf, sizeof buf),
	    "30s") == 0);
	ZST_EXPECT_IN(t, strcmp(value(t, x->db, "SHOW idle_in_transaction_session_timeout", 0, NULL, buf,
	    sizeof buf), "1min") == 0);
	ZST_EXPECT_IN(t, strcmp(value(t, x->db, "SHOW application_name", 0, NULL, buf, sizeof buf),
	    "zsnode") == 0);
	/* a statement_timeout given in the conninfo wins over the default */
	snprintf(conninfo, sizeof conninfo, "%s options='-c statement_timeout=200'", x->conninfo);
	zs_db *db = NULL;
	ZST_EXPECT_IN(t, zs_db_open(&db, conninfo, 1, err, sizeof err) == 0);
	if (db == NULL)
		return;
	ZST_EXPECT_IN(t, strcmp(value(t, db, "SHOW statement_timeout", 0, NULL, buf, sizeof buf),
	    "200ms") == 0);
	ZST_EXPECT_IN(t, strcmp(value(t, db, "SHOW idle_in_transaction_session_timeout", 0, NULL, buf,
	    sizeof buf), "1min") == 0);
	zs_status *st = NULL;
	int64_t t0 = now_ms();
	ZST_EXPECT_IN(t, code_of(db, "SELECT pg_sleep(5)", 0, NULL, &st) == ZS_DEADLINE_EXCEEDED);
	ZST_EXPECT_IN(t, now_ms() - t0 < 3000);
	ZST_EXPECT_IN(t, has_detail(st, "sqlstate: 57014"));
	zs_status_free(st);
	zs_db_close(db);
}

static void
test_round_trip(T *t, ctx *x)
{
	PQclear(query(t, x->db, "CREATE TABLE t_item (id int PRIMARY KEY, name text UNIQUE NOT NULL,"
	    " qty int CHECK (qty >= 0), parent int REFERENCES t_item (id), note text)", 0, NULL));
	const char *a[] = { "1", "zone 'a'; DROP TABLE t_item; --", "5", NULL, "区域 ünï" };
	const char *b[] = { "2", "b\\\"x", "0", "1", NULL };
	PQclear(query(t, x->db, "INSERT INTO t_item VALUES ($1, $2, $3, $4, $5)", 5, a));
	PQclear(query(t, x->db, "INSERT INTO t_item VALUES ($1, $2, $3, $4, $5)", 5, b));
	const char *id[] = { "1" };
	PGresult *r = query(t, x->db, "SELECT name, qty, parent, note FROM t_item WHERE id = $1",
	    1, id);
	ZST_EXPECT_IN(t, r != NULL && PQntuples(r) == 1);
	if (r != NULL && PQntuples(r) == 1) {
		ZST_EXPECT_IN(t, strcmp(PQgetvalue(r, 0, 0), a[1]) == 0);
		ZST_EXPECT_IN(t, strcmp(PQgetvalue(r, 0, 1), "5") == 0);
		ZST_EXPECT_IN(t, PQgetisnull(r, 0, 2));
		ZST_EXPECT_IN(t, strcmp(PQgetvalue(r, 0, 3), a[4]) == 0);
	}
	PQclear(r);
	const char *parent[] = { "1" };
	r = query(t, x->db, "SELECT name FROM t_item WHERE parent = $1", 1, parent);
	ZST_EXPECT_IN(t, r != NULL && PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), b[1]) == 0);
	PQclear(r);
}

static void
test_error_codes(T *t, ctx *x)
{
	zs_status *st = NULL;
	const char *dup[] = { "3", "b\\\"x", "1", NULL, NULL };
	ZST_EXPECT_IN(t, code_of(x->db, "INSERT INTO t_item VALUES ($1, $2, $3, $4, $5)", 5, dup, &st) ==
	    ZS_ALREADY_EXISTS);
	ZST_EXPECT_IN(t, st != NULL && strstr(st->message, "duplicate key") != NULL);
	ZST_EXPECT_IN(t, has_detail(st, "sqlstate: 23505") && has_detail(st, "constraint: t_item_name_key"));
	ZST_EXPECT_IN(t, has_detail(st, "table: t_item"));
	zs_status_free(st);
	const char *fk[] = { "4", "d", "1", "99", NULL };
	ZST_EXPECT_IN(t, code_of(x->db, "INSERT INTO t_item VALUES ($1, $2, $3, $4, $5)", 5, fk, NULL) ==
	    ZS_FAILED_PRECONDITION);
	const char *check[] = { "5", "e", "-1", NULL, NULL };
	ZST_EXPECT_IN(t, code_of(x->db, "INSERT INTO t_item VALUES ($1, $2, $3, $4, $5)", 5, check, NULL) ==
	    ZS_INVALID_ARGUMENT);
	const char *notnull[] = { "6", NULL, "1", NULL, NULL };
	ZST_EXPECT_IN(t, code_of(x->db, "INSERT INTO t_item VALUES ($1, $2, $3, $4, $5)", 5, notnull,
	    NULL) == ZS_INVALID_ARGUMENT);
	const char *text[] = { "abc" };
	ZST_EXPECT_IN(t, code_of(x->db, "SELECT $1::int", 1, text, &st) == ZS_INVALID_ARGUMENT);
	ZST_EXPECT_IN(t, has_detail(st, "sqlstate: 22P02"));
	zs_status_free(st);
	ZST_EXPECT_IN(t, code_of(x->db, "SELECT 1 / 0", 0, NULL, NULL) == ZS_INVALID_ARGUMENT);
	ZST_EXPECT_IN(t, code_of(x->db, "SELEC 1", 0, NULL, &st) == ZS_INTERNAL);
	ZST_EXPECT_IN(t, has_detail(st, "sqlstate: 42601"));
	zs_status_free(st);
	ZST_EXPECT_IN(t, code_of(x->db, "SELECT * FROM no_such_table", 0, NULL, NULL) == ZS_INTERNAL);
	/* one statement per call: PQexecParams refuses two */
	ZST_EXPECT_IN(t, code_of(x->db, "SELECT 1; SELECT 2", 0, NULL, NULL) == ZS_INTERNAL);
	/* the table for what is hard to provoke */
	ZST_EXPECT_IN(t, zs_db_sqlstate_code("40001") == ZS_ABORTED);
	ZST_EXPECT_IN(t, zs_db_sqlstate_code("40P01") == ZS_ABORTED);
	ZST_EXPECT_IN(t, zs_db_sqlstate_code("08006") == ZS_UNAVAILABLE);
	ZST_EXPECT_IN(t, zs_db_sqlstate_code("08001") == ZS_UNAVAILABLE);
	ZST_EXPECT_IN(t, zs_db_sqlstate_code("57P01") == ZS_UNAVAILABLE);
	ZST_EXPECT_IN(t, zs_db_sqlstate_code("57P03") == ZS_UNAVAILABLE);
	ZST_EXPECT_IN(t, zs_db_sqlstate_code("57014") == ZS_DEADLINE_EXCEEDED);
	ZST_EXPECT_IN(t, zs_db_sqlstate_code("23514") == ZS_INVALID_ARGUMENT);
	ZST_EXPECT_IN(t, zs_db_sqlstate_code("22001") == ZS_INVALID_ARGUMENT);
	ZST_EXPECT_IN(t, zs_db_sqlstate_code("XX000") == ZS_INTERNAL);
	ZST_EXPECT_IN(t, zs_db_sqlstate_code(NULL) == ZS_INTERNAL);
	ZST_EXPECT_IN(t, zs_db_sqlstate_code("") == ZS_INTERNAL);
}

/* A real deadlock between two transactions comes back as ABORTED. */
typedef struct {
	zs_db *db;
	const char *first, *second;
	pthread_barrier_t *both_locked;
	int code;
} locker;

static void *
lock_two(void *arg)
{
	locker *l = arg;
	zs_db_conn *c;
	zs_status *st = NULL;
	l->code = -1;
	if (zs_db_acquire(l->db, 5000, &c, &st) != 0)
		goto out;
	const char *p1[] = { l->first }, *p2[] = { l->second };
	PGresult *r = NULL;
	if (zs_db_begin(c, &st) == 0 &&
	    (r = zs_db_exec(c, "UPDATE t_item SET qty = qty + 1 WHERE id = $1", 1, p1, &st)) != NULL) {
		PQclear(r);
		pthread_barrier_wait(l->both_locked);
		r = zs_db_exec(c, "UPDATE t_item SET qty = qty + 1 WHERE id = $1", 1, p2, &st);
		PQclear(r);
		if (r != NULL)
			zs_db_commit(c, &st);
	} else {
		pthread_barrier_wait(l->both_locked);
	}
	zs_db_release(l->db, c);
out:
	l->code = st != NULL ? (int) st->code : ZS_OK;
	zs_status_free(st);
	return NULL;
}

static void
test_deadlock(T *t, ctx *x)
{
	pthread_barrier_t b;
	pthread_barrier_init(&b, NULL, 2);
	locker l[2] = { { x->db, "1", "2", &b, 0 }, { x->db, "2", "1", &b, 0 } };
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, lock_two, &l[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&b);
	ZST_EXPECT_IN(t, (l[0].code == ZS_OK && l[1].code == ZS_ABORTED) ||
	    (l[0].code == ZS_ABORTED && l[1].code == ZS_OK));
}

/* ---- transactions and the pool's bookkeeping ---- */

static void
test_transactions(T *t, ctx *x)
{
	char buf[64];
	zs_db_conn *c;
	zs_status *st = NULL;
	PQclear(query(t, x->db, "CREATE TABLE t_tx (v text PRIMARY KEY)", 0, NULL));
	const char *one[] = { "rolled back" }, *two[] = { "committed" }, *three[] = { "released" };
	if (zs_db_acquire(x->db, 1000, &c, &st) != 0) {
		ZST_EXPECT_IN(t, !"acquire");
		zs_status_free(st);
		return;
	}
	ZST_EXPECT_IN(t, zs_db_begin(c, &st) == 0);
	PQclear(zs_db_exec(c, "INSERT INTO t_tx VALUES ($1)", 1, one, &st));
	zs_db_rollback(c);
	ZST_EXPECT_IN(t, zs_db_begin(c, &st) == 0);
	PQclear(zs_db_exec(c, "INSERT INTO t_tx VALUES ($1)", 1, two, &st));
	ZST_EXPECT_IN(t, zs_db_commit(c, &st) == 0);
	/* a failed statement dooms the transaction: COMMIT says ABORTED */
	ZST_EXPECT_IN(t, zs_db_begin(c, &st) == 0);
	PQclear(zs_db_exec(c, "INSERT INTO t_tx VALUES ($1)", 1, one, &st));
	ZST_EXPECT_IN(t, zs_db_exec(c, "INSERT INTO t_tx VALUES ($1)", 1, two, &st) == NULL);
	ZST_EXPECT_IN(t, st != NULL && (int) st->code == ZS_ALREADY_EXISTS);
	zs_status_free(st);
	st = NULL;
	ZST_EXPECT_IN(t, zs_db_commit(c, &st) != 0 && st != NULL && (int) st->code == ZS_ABORTED);
	zs_status_free(st);
	st = NULL;
	/* released inside a transaction: rolled back */
	ZST_EXPECT_IN(t, zs_db_begin(c, &st) == 0);
	PQclear(zs_db_exec(c, "INSERT INTO t_tx VALUES ($1)", 1, three, &st));
	zs_db_release(x->db, c);
	ZST_EXPECT_IN(t, strcmp(value(t, x->db, "SELECT string_agg(v, ',' ORDER BY v) FROM t_tx", 0, NULL,
	    buf, sizeof buf), "committed") == 0);
	zs_status_free(st);
}

static void
test_acquire_timeout(T *t, ctx *x)
{
	char err[512];
	zs_db *db = NULL;
	ZST_EXPECT_IN(t, zs_db_open(&db, x->conninfo, 1, err, sizeof err) == 0);
	if (db == NULL)
		return;
	zs_db_conn *c, *c2 = NULL;
	zs_status *st = NULL;
	ZST_EXPECT_IN(t, zs_db_acquire(db, 1000, &c, &st) == 0);
	int64_t t0 = now_ms();
	ZST_EXPECT_IN(t, zs_db_acquire(db, 150, &c2, &st) != 0 && c2 == NULL);
	int64_t took = now_ms() - t0;
	ZST_EXPECT_IN(t, took >= 140 && took < 2000);
	ZST_EXPECT_IN(t, st != NULL && (int) st->code == ZS_DEADLINE_EXCEEDED);
	zs_status_free(st);
	st = NULL;
	ZST_EXPECT_IN(t, zs_db_acquire(db, 0, &c2, &st) != 0 && st != NULL &&
	    (int) st->code == ZS_DEADLINE_EXCEEDED);
	zs_status_free(st);
	zs_db_release(db, c);
	zs_db_close(db);
}

/* A connection the server ends: the call on it fails UNAVAILABLE, the next works; an idle
 * connection the server ended is remade before anyone uses it. */
static void
test_broken_connection(T *t, ctx *x)
{
	char err[512], pid[32];
	zs_db *db = NULL;
	ZST_EXPECT_IN(t, zs_db_open(&db, x->conninfo, 1, err, sizeof err) == 0);
	if (db == NULL)
		return;
	zs_db_conn *c;
	zs_status *st = NULL;
	/* in use */
	ZST_EXPECT_IN(t, zs_db_acquire(db, 1000, &c, &st) == 0);
	PGresult *r = zs_db_exec(c, "SELECT pg_backend_pid()", 0, NULL, &st);
	snprintf(pid, sizeof pid, "%s", r != NULL ? PQgetvalue(r, 0, 0) : "0");
	PQclear(r);
	const char *p[] = { pid };
	PQclear(query(t, x->db, "SELECT pg_terminate_backend($1::int)", 1, p));
	ZST_EXPECT_IN(t, zs_db_exec(c, "SELECT 1", 0, NULL, &st) == NULL);
	ZST_EXPECT_IN(t, st != NULL && (int) st->code == ZS_UNAVAILABLE);
	zs_status_free(st);
	st = NULL;
	zs_db_release(db, c);
	ZST_EXPECT_IN(t, code_of(db, "SELECT 1", 0, NULL, NULL) == ZS_OK);
	/* idle */
	char buf[32];
	value(t, db, "SELECT pg_backend_pid()", 0, NULL, pid, sizeof pid);
	PQclear(query(t, x->db, "SELECT pg_terminate_backend($1::int)", 1, p));
	sleep_ms(100);
	ZST_EXPECT_IN(t, code_of(db, "SELECT 1", 0, NULL, NULL) == ZS_OK);
	ZST_EXPECT_IN(t, strcmp(value(t, db, "SELECT pg_backend_pid()", 0, NULL, buf, sizeof buf), pid) != 0);
	zs_db_close(db);
}

/* ---- prepared statements: each connection prepares a text it runs again ---- */

/* A pool of one connection of its own (its session's prepared statements are its own),
 * keeping prepared_max statements (< 0: the default), and its connection in *c unless c
 * is NULL; NULL (a failed check) if either cannot be had. */
static zs_db *
pool_of_one(T *t, ctx *x, int prepared_max, zs_db_conn **c)
{
	char err[512];
	zs_db *db = NULL;
	zs_status *st = NULL;
	if (zs_db_open(&db, x->conninfo, 1, err, sizeof err) != 0) {
		ZST_FAIL_IN(t, "zs_db_open: %s", err);
		return NULL;
	}
	if (prepared_max >= 0)
		zs_db_set_prepared_max(db, (uint32_t) prepared_max);
	if (c != NULL && zs_db_acquire(db, 2000, c, &st) != 0) {
		ZST_FAIL_IN(t, "acquire: %s", st != NULL ? st->message : "?");
		zs_status_free(st);
		zs_db_close(db);
		return NULL;
	}
	return db;
}

/* How many statements c's session holds prepared with a text like pattern: asked with
 * libpq directly, past the pool's cache, so the asking is not counted. -1 on failure. */
static int
prepared_like(zs_db_conn *c, const char *pattern)
{
	const char *p[] = { pattern };
	PGresult *r = PQexecParams(zs_db_conn_pg(c), "SELECT count(*) FROM pg_prepared_statements "
	    "WHERE statement LIKE $1 AND name LIKE 'zs\\_%' AND NOT from_sql", 1, NULL, p, NULL, NULL, 0);
	int n = PQresultStatus(r) == PGRES_TUPLES_OK ? atoi(PQgetvalue(r, 0, 0)) : -1;
	PQclear(r);
	return n;
}

/* Runs sql on c: the code (0 when it worked) and the first value into buf ("" if none). */
static int
run_on(zs_db_conn *c, const char *sql, int n, const char *const *params, char *buf, size_t len)
{
	zs_status *st = NULL;
	PGresult *r = zs_db_exec(c, sql, n, params, &st);
	snprintf(buf, len, "%s", r != NULL && PQntuples(r) > 0 && PQnfields(r) > 0 ?
	    PQgetvalue(r, 0, 0) : "");
	int code = r != NULL ? ZS_OK : st != NULL ? (int) st->code : ZS_INTERNAL;
	if (r != NULL && PQnfields(r) > 1)
		snprintf(buf, len, "%d columns", PQnfields(r));
	PQclear(r);
	zs_status_free(st);
	return code;
}

/* A statement run once is not prepared; run again it is, once, and executed by name from
 * then on with whatever values it is given (through the server's switch to a generic
 * plan after five runs). */
static void
test_prepared_once(T *t, ctx *x)
{
	zs_db_conn *c;
	zs_status *st = NULL;
	zs_db *db = pool_of_one(t, x, -1, &c);
	if (db == NULL)
		return;
	const char *sql = "SELECT $1::int + 1 AS next", *untyped = "SELECT $1 || '-x'";
	char buf[64], v[16];
	const char *p[] = { v };
	snprintf(v, sizeof v, "1");
	ZST_EXPECT_IN(t, run_on(c, sql, 1, p, buf, sizeof buf) == 0 && strcmp(buf, "2") == 0);
	ZST_EXPECT_IN(t, prepared_like(c, sql) == 0);
	for (int i = 2; i <= 12; i++) {
		snprintf(v, sizeof v, "%d", i * 10);
		char want[16];
		snprintf(want, sizeof want, "%d", i * 10 + 1);
		ZST_EXPECT_IN(t, run_on(c, sql, 1, p, buf, sizeof buf) == 0 && strcmp(buf, want) == 0);
		ZST_EXPECT_IN(t, prepared_like(c, sql) == 1);
	}
	/* parameter types are inferred as before (unknown: text here) */
	for (int i = 0; i < 3; i++)
		ZST_EXPECT_IN(t, run_on(c, untyped, 1, p, buf, sizeof buf) == 0 &&
		    strcmp(buf, "120-x") == 0);
	ZST_EXPECT_IN(t, prepared_like(c, untyped) == 1);
	/* a failure keeps its code and message on the prepared path */
	const char *bad[] = { "abc" };
	for (int i = 0; i < 3; i++) {
		ZST_EXPECT_IN(t, zs_db_exec(c, sql, 1, bad, &st) == NULL);
		ZST_EXPECT_IN(t, st != NULL && (int) st->code == ZS_INVALID_ARGUMENT &&
		    has_detail(st, "sqlstate: 22P02"));
		zs_status_free(st);
		st = NULL;
	}
	/* two commands in one text: refused the same way, prepared or not */
	for (int i = 0; i < 3; i++) {
		ZST_EXPECT_IN(t, zs_db_exec(c, "SELECT 1; SELECT 2", 0, NULL, &st) == NULL);
		ZST_EXPECT_IN(t, st != NULL && (int) st->code == ZS_INTERNAL &&
		    strstr(st->message, "multiple commands") != NULL);
		zs_status_free(st);
		st = NULL;
	}
	ZST_EXPECT_IN(t, prepared_like(c, "SELECT 1; SELECT 2") == 0);
	/* a caller's DEALLOCATE ALL: the cache forgets, the statement is prepared again */
	ZST_EXPECT_IN(t, run_on(c, "DEALLOCATE ALL", 0, NULL, buf, sizeof buf) == 0);
	ZST_EXPECT_IN(t, prepared_like(c, "%") == 0);
	for (int i = 0; i < 3; i++)
		ZST_EXPECT_IN(t, run_on(c, sql, 1, p, buf, sizeof buf) == 0 && strcmp(buf, "121") == 0);
	ZST_EXPECT_IN(t, prepared_like(c, sql) == 1);
	/* dropped behind the cache's back (libpq directly): prepared again, the caller sees
	 * nothing outside a transaction, and ABORTED (retry) inside one */
	PQclear(PQexec(zs_db_conn_pg(c), "DEALLOCATE ALL"));
	ZST_EXPECT_IN(t, run_on(c, sql, 1, p, buf, sizeof buf) == 0 && strcmp(buf, "121") == 0);
	ZST_EXPECT_IN(t, prepared_like(c, sql) == 1);
	PQclear(PQexec(zs_db_conn_pg(c), "DEALLOCATE ALL"));
	ZST_EXPECT_IN(t, zs_db_begin(c, &st) == 0);
	ZST_EXPECT_IN(t, run_on(c, sql, 1, p, buf, sizeof buf) == ZS_ABORTED);
	zs_db_rollback(c);
	for (int i = 0; i < 2; i++)
		ZST_EXPECT_IN(t, run_on(c, sql, 1, p, buf, sizeof buf) == 0 && strcmp(buf, "121") == 0);
	ZST_EXPECT_IN(t, prepared_like(c, sql) == 1);
	zs_db_release(db, c);
	zs_db_close(db);
}

/* The cache is bounded: past its size the least recently used statement is
 * deallocated, whatever number of distinct texts comes. */
static void
test_prepared_bound(T *t, ctx *x)
{
	zs_db_conn *c;
	zs_status *st = NULL;
	zs_db *db = pool_of_one(t, x, 4, &c);
	if (db == NULL)
		return;
	char sql[64], buf[32], want[32];
	const char *p[] = { "100" };
	for (int k = 0; k < 6; k++) {
		snprintf(sql, sizeof sql, "SELECT $1::int + %d AS bound_%d", k, k);
		snprintf(want, sizeof want, "%d", 100 + k);
		for (int i = 0; i < 2; i++)
			ZST_EXPECT_IN(t, run_on(c, sql, 1, p, buf, sizeof buf) == 0 &&
			    strcmp(buf, want) == 0);
	}
	ZST_EXPECT_IN(t, prepared_like(c, "SELECT $1::int + % AS bound_%") == 4);
	ZST_EXPECT_IN(t, prepared_like(c, "% bound_0") == 0 && prepared_like(c, "% bound_1") == 0);
	ZST_EXPECT_IN(t, prepared_like(c, "% bound_5") == 1);
	/* an evicted one still runs, and is prepared again */
	for (int i = 0; i < 2; i++)
		ZST_EXPECT_IN(t, run_on(c, "SELECT $1::int + 0 AS bound_0", 1, p, buf, sizeof buf) == 0 &&
		    strcmp(buf, "100") == 0);
	ZST_EXPECT_IN(t, prepared_like(c, "% bound_0") == 1);
	ZST_EXPECT_IN(t, prepared_like(c, "% bound_2") == 0);
	/* many texts, each twice: the session never holds more than the bound */
	for (int k = 0; k < 300; k++) {
		snprintf(sql, sizeof sql, "SELECT %d AS many", k);
		for (int i = 0; i < 2; i++)
			ZST_EXPECT_IN(t, run_on(c, sql, 0, NULL, buf, sizeof buf) == 0);
	}
	ZST_EXPECT_IN(t, prepared_like(c, "%") == 4);
	/* 0: nothing is prepared */
	zs_db_release(db, c);
	zs_db_set_prepared_max(db, 0);
	if (zs_db_acquire(db, 2000, &c, &st) == 0) {
		for (int i = 0; i < 3; i++)
			ZST_EXPECT_IN(t, run_on(c, "SELECT $1::int + 0 AS bound_0", 1, p, buf, sizeof buf) == 0);
		ZST_EXPECT_IN(t, prepared_like(c, "%") == 0);
		zs_db_release(db, c);
	}
	zs_status_free(st);
	zs_db_close(db);
}

/* The cache goes with its connection: a statement works after the connection is remade,
 * whether the server ended it in use or idle. */
static void
test_prepared_reconnect(T *t, ctx *x)
{
	zs_db *db = pool_of_one(t, x, -1, NULL);
	zs_db_conn *c;
	zs_status *st = NULL;
	char buf[32], pid[32], pid2[32];
	const char *sql = "SELECT $1::int * 2 AS twice";
	const char *p[] = { "21" }, *pp[] = { pid };
	for (int round = 0; db != NULL && round < 2; round++) {
		if (zs_db_acquire(db, 2000, &c, &st) != 0)
			break;
		for (int i = 0; i < 2; i++)
			ZST_EXPECT_IN(t, run_on(c, sql, 1, p, buf, sizeof buf) == 0 && strcmp(buf, "42") == 0);
		ZST_EXPECT_IN(t, prepared_like(c, sql) == 1);
		run_on(c, "SELECT pg_backend_pid()", 0, NULL, pid, sizeof pid);
		PQclear(query(t, x->db, "SELECT pg_terminate_backend($1::int)", 1, pp));
		if (round == 0) { /* in use: the call fails, the next acquire reconnects */
			ZST_EXPECT_IN(t, run_on(c, sql, 1, p, buf, sizeof buf) == ZS_UNAVAILABLE);
			zs_db_release(db, c);
		} else {          /* idle: remade before it is handed out */
			zs_db_release(db, c);
			sleep_ms(100);
		}
		if (zs_db_acquire(db, 2000, &c, &st) != 0)
			break;
		run_on(c, "SELECT pg_backend_pid()", 0, NULL, pid2, sizeof pid2);
		ZST_EXPECT_IN(t, strcmp(pid, pid2) != 0);
		ZST_EXPECT_IN(t, prepared_like(c, sql) == 0);
		for (int i = 0; i < 3; i++)
			ZST_EXPECT_IN(t, run_on(c, sql, 1, p, buf, sizeof buf) == 0 && strcmp(buf, "42") == 0);
		ZST_EXPECT_IN(t, prepared_like(c, sql) == 1);
		zs_db_release(db, c);
	}
	ZST_EXPECT_IN(t, st == NULL);
	zs_status_free(st);
	zs_db_close(db);
}

/* In a failed transaction statements fail as before, nothing is prepared there, and
 * after the rollback the same statement works. */
static void
test_prepared_failed_tx(T *t, ctx *x)
{
	zs_db_conn *c;
	zs_status *st = NULL;
	char buf[64];
	zs_db *db = pool_of_one(t, x, -1, &c);
	if (db == NULL)
		return;
	PQclear(query(t, x->db, "CREATE TABLE t_ptx (v text PRIMARY KEY)", 0, NULL));
	const char *ins = "INSERT INTO t_ptx VALUES ($1)", *fresh = "SELECT count(*) FROM t_ptx";
	const char *a[] = { "a" }, *b[] = { "b" }, *c1[] = { "c" }, *d[] = { "d" };
	ZST_EXPECT_IN(t, run_on(c, ins, 1, a, buf, sizeof buf) == 0);
	ZST_EXPECT_IN(t, run_on(c, ins, 1, b, buf, sizeof buf) == 0);
	ZST_EXPECT_IN(t, prepared_like(c, ins) == 1);
	ZST_EXPECT_IN(t, zs_db_begin(c, &st) == 0);
	ZST_EXPECT_IN(t, run_on(c, ins, 1, c1, buf, sizeof buf) == 0);
	ZST_EXPECT_IN(t, run_on(c, ins, 1, a, buf, sizeof buf) == ZS_ALREADY_EXISTS);
	ZST_EXPECT_IN(t, run_on(c, ins, 1, d, buf, sizeof buf) == ZS_INTERNAL); /* 25P02 */
	ZST_EXPECT_IN(t, run_on(c, fresh, 0, NULL, buf, sizeof buf) == ZS_INTERNAL);
	ZST_EXPECT_IN(t, run_on(c, fresh, 0, NULL, buf, sizeof buf) == ZS_INTERNAL);
	ZST_EXPECT_IN(t, zs_db_commit(c, &st) == ZS_ABORTED);
	zs_status_free(st);
	st = NULL;
	ZST_EXPECT_IN(t, run_on(c, ins, 1, d, buf, sizeof buf) == 0);
	ZST_EXPECT_IN(t, run_on(c, fresh, 0, NULL, buf, sizeof buf) == 0 && strcmp(buf, "3") == 0);
	/* the same with an explicit rollback, the statement prepared in the transaction */
	ZST_EXPECT_IN(t, zs_db_begin(c, &st) == 0);
	ZST_EXPECT_IN(t, run_on(c, fresh, 0, NULL, buf, sizeof buf) == 0 && strcmp(buf, "3") == 0);
	ZST_EXPECT_IN(t, prepared_like(c, fresh) == 1);
	ZST_EXPECT_IN(t, run_on(c, "SELEC broken", 0, NULL, buf, sizeof buf) == ZS_INTERNAL);
	zs_db_rollback(c);
	ZST_EXPECT_IN(t, run_on(c, ins, 1, c1, buf, sizeof buf) == 0);
	ZST_EXPECT_IN(t, run_on(c, fresh, 0, NULL, buf, sizeof buf) == 0 && strcmp(buf, "4") == 0);
	ZST_EXPECT_IN(t, prepared_like(c, ins) == 1 && prepared_like(c, fresh) == 1);
	zs_db_release(db, c);
	ZST_EXPECT_IN(t, strcmp(value(t, x->db, "SELECT string_agg(v, ',' ORDER BY v) FROM t_ptx", 0,
	    NULL, buf, sizeof buf), "a,b,c,d") == 0);
	zs_db_close(db);
}

/* A table changed under a prepared statement (a migration on another connection): the
 * statement is prepared again and answers the new columns; in a transaction the first
 * try fails ABORTED (retry) and the retry works. */
static void
test_prepared_changed_table(T *t, ctx *x)
{
	zs_db_conn *c;
	zs_status *st = NULL;
	char buf[64];
	zs_db *db = pool_of_one(t, x, -1, &c);
	if (db == NULL)
		return;
	PQclear(query(t, x->db, "CREATE TABLE t_chg (a int)", 0, NULL));
	PQclear(query(t, x->db, "INSERT INTO t_chg VALUES (1)", 0, NULL));
	const char *sel = "SELECT * FROM t_chg";
	for (int i = 0; i < 2; i++)
		ZST_EXPECT_IN(t, run_on(c, sel, 0, NULL, buf, sizeof buf) == 0 && strcmp(buf, "1") == 0);
	ZST_EXPECT_IN(t, prepared_like(c, sel) == 1);
	/* outside a transaction: the caller sees only the new result */
	PQclear(query(t, x->db, "ALTER TABLE t_chg ADD COLUMN b text DEFAULT 'x'", 0, NULL));
	ZST_EXPECT_IN(t, run_on(c, sel, 0, NULL, buf, sizeof buf) == 0 &&
	    strcmp(buf, "2 columns") == 0);
	ZST_EXPECT_IN(t, prepared_like(c, sel) == 1);
	/* inside one: ABORTED, then the transaction again works */
	PQclear(query(t, x->db, "ALTER TABLE t_chg ADD COLUMN c int DEFAULT 7", 0, NULL));
	ZST_EXPECT_IN(t, zs_db_begin(c, &st) == 0);
	ZST_EXPECT_IN(t, zs_db_exec(c, sel, 0, NULL, &st) == NULL);
	ZST_EXPECT_IN(t, st != NULL && (int) st->code == ZS_ABORTED &&
	    strstr(st->message, "result type") != NULL && has_detail(st, "sqlstate: 0A000"));
	zs_status_free(st);
	st = NULL;
	zs_db_rollback(c);
	ZST_EXPECT_IN(t, zs_db_begin(c, &st) == 0);
	ZST_EXPECT_IN(t, run_on(c, sel, 0, NULL, buf, sizeof buf) == 0 &&
	    strcmp(buf, "3 columns") == 0);
	ZST_EXPECT_IN(t, zs_db_commit(c, &st) == 0);
	/* dropped and made again with other columns */
	PQclear(query(t, x->db, "DROP TABLE t_chg", 0, NULL));
	PQclear(query(t, x->db, "CREATE TABLE t_chg (z text)", 0, NULL));
	PQclear(query(t, x->db, "INSERT INTO t_chg VALUES ('new')", 0, NULL));
	for (int i = 0; i < 2; i++)
		ZST_EXPECT_IN(t, run_on(c, sel, 0, NULL, buf, sizeof buf) == 0 && strcmp(buf, "new") == 0);
	ZST_EXPECT_IN(t, prepared_like(c, sel) == 1);
	/* gone: the error is the table's; back: the statement works again */
	PQclear(query(t, x->db, "DROP TABLE t_chg", 0, NULL));
	ZST_EXPECT_IN(t, zs_db_exec(c, sel, 0, NULL, &st) == NULL);
	ZST_EXPECT_IN(t, st != NULL && has_detail(st, "sqlstate: 42P01"));
	zs_status_free(st);
	st = NULL;
	PQclear(query(t, x->db, "CREATE TABLE t_chg (z text, n int DEFAULT 5)", 0, NULL));
	PQclear(query(t, x->db, "INSERT INTO t_chg VALUES ('again')", 0, NULL));
	ZST_EXPECT_IN(t, run_on(c, sel, 0, NULL, buf, sizeof buf) == 0 &&
	    strcmp(buf, "2 columns") == 0);
	ZST_EXPECT_IN(t, prepared_like(c, sel) == 1);
	zs_db_release(db, c);
	zs_db_close(db);
}

/* ---- migrations ---- */

typedef struct {
	zs_db *db;
	const char *file;
	int applied;
	char err[512];
} migrator;

static void *
migrate_race(void *arg)
{
	migrator *m = arg;
	const char *files[] = { m->file };
	m->applied = zs_db_migrate(m->db, "race", files, 1, m->err, sizeof m->err);
	return NULL;
}

static void
test_migrations(T *t, ctx *x)
{
	char f[4][1100], err[1024], buf[256];
	const char *names[] = { "001_create.sql", "002_alter.sql", "003_bad.sql" };
	for (int i = 0; i < 3; i++)
		snprintf(f[i], sizeof f[i], "%s/%s", x->mig, names[i]);
	const char *files[] = { f[0], f[1], f[2] };
	int n = zs_db_migrate(x->db, "dbtest", files, 2, err, sizeof err);
	ZST_EXPECT_IN(t, n == 2);
	if (n != 2)
		fprintf(stderr, "  %s\n", err);
	PGresult *r = query(t, x->db, "SELECT version, file, length(checksum) FROM "
	    "zs_schema_migrations WHERE service = 'dbtest' ORDER BY version", 0, NULL);
	ZST_EXPECT_IN(t, r != NULL && PQntuples(r) == 2);
	if (r != NULL && PQntuples(r) == 2) {
		ZST_EXPECT_IN(t, strcmp(PQgetvalue(r, 0, 0), "1") == 0 && strcmp(PQgetvalue(r, 0, 1), names[0]) == 0);
		ZST_EXPECT_IN(t, strcmp(PQgetvalue(r, 1, 0), "2") == 0 && strcmp(PQgetvalue(r, 1, 1), names[1]) == 0);
		ZST_EXPECT_IN(t, strcmp(PQgetvalue(r, 0, 2), "32") == 0);
	}
	PQclear(r);
	ZST_EXPECT_IN(t, strcmp(value(t, x->db, "SELECT count(*) FROM m_zone", 0, NULL, buf, sizeof buf), "1") == 0);
	/* again: nothing to do */
	ZST_EXPECT_IN(t, zs_db_migrate(x->db, "dbtest", files, 2, err, sizeof err) == 0);
	ZST_EXPECT_IN(t, strcmp(value(t, x->db, "SELECT count(*) FROM m_zone", 0, NULL, buf, sizeof buf), "1") == 0);
	/* the third fails at its second statement: nothing of it stays */
	err[0] = '\0';
	ZST_EXPECT_IN(t, zs_db_migrate(x->db, "dbtest", files, 3, err, sizeof err) == -1);
	ZST_EXPECT_IN(t, strstr(err, "dbtest") != NULL && strstr(err, "003_bad.sql") != NULL);
	ZST_EXPECT_IN(t, strstr(err, "line 4, column 13") != NULL);
	ZST_EXPECT_IN(t, strstr(err, "\"m_missing\" does not exist") != NULL);
	fprintf(stderr, "db_test: (expected) %s\n", err);
	ZST_EXPECT_IN(t, strcmp(value(t, x->db, "SELECT to_regclass('m_first') IS NULL", 0, NULL, buf,
	    sizeof buf), "t") == 0);
	ZST_EXPECT_IN(t, strcmp(value(t, x->db, "SELECT max(version) FROM zs_schema_migrations WHERE "
	    "service = 'dbtest'", 0, NULL, buf, sizeof buf), "2") == 0);
	/* an applied file that changed is refused, not run */
	snprintf(f[3], sizeof f[3], "%s/001_create.sql", x->root);
	ZST_EXPECT_IN(t, write_file(f[3], "CREATE TABLE m_zone2 (uuid text);\n") == 0);
	const char *changed[] = { f[3], f[1] };
	ZST_EXPECT_IN(t, zs_db_migrate(x->db, "dbtest", changed, 2, err, sizeof err) == -1);
	ZST_EXPECT_IN(t, strstr(err, "001_create.sql") != NULL && strstr(err, "checksum") != NULL);
	ZST_EXPECT_IN(t, strcmp(value(t, x->db, "SELECT to_regclass('m_zone2') IS NULL", 0, NULL, buf,
	    sizeof buf), "t") == 0);
	/* a missing file is named */
	snprintf(f[3], sizeof f[3], "%s/nope.sql", x->root);
	const char *missing[] = { f[0], f[1], f[3] };
	ZST_EXPECT_IN(t, zs_db_migrate(x->db, "dbtest", missing, 3, err, sizeof err) == -1);
	ZST_EXPECT_IN(t, strstr(err, "nope.sql") != NULL);
	/* two nodes at once: applied once */
	snprintf(f[3], sizeof f[3], "%s/001_race.sql", x->root);
	ZST_EXPECT_IN(t, write_file(f[3], "CREATE TABLE race_t (id int);\nSELECT pg_sleep(0.2);\n"
	    "INSERT INTO race_t VALUES (1);\n") == 0);
	migrator m[2] = { { x->db, f[3], 0, "" }, { x->db, f[3], 0, "" } };
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, migrate_race, &m[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	ZST_EXPECT_IN(t, m[0].applied >= 0 && m[1].applied >= 0 && m[0].applied + m[1].applied == 1);
	if (m[0].applied < 0 || m[1].applied < 0)
		fprintf(stderr, "  %s / %s\n", m[0].err, m[1].err);
	ZST_EXPECT_IN(t, strcmp(value(t, x->db, "SELECT count(*) FROM race_t", 0, NULL, buf, sizeof buf), "1") == 0);
}

/* ---- the pool under threads ---- */

typedef struct {
	zs_db *db;
	int id;
	atomic_int *in_use, *max_in_use;
	int failures;
} worker;

static void *
work(void *arg)
{
	worker *w = arg;
	for (int i = 0; i < 100; i++) {
		zs_db_conn *c;
		zs_status *st = NULL;
		if (zs_db_acquire(w->db, 10000, &c, &st) != 0) {
			w->failures++;
			zs_status_free(st);
			continue;
		}
		int now = atomic_fetch_add(w->in_use, 1) + 1, max = atomic_load(w->max_in_use);
		while (now > max && !atomic_compare_exchange_weak(w->max_in_use, &max, now))
			;
		char v[32];
		snprintf(v, sizeof v, "%d", w->id * 1000 + i);
		const char *p[] = { v };
		PGresult *r = zs_db_exec(c, "INSERT INTO t_pool VALUES ($1::int)", 1, p, &st);
		w->failures += r == NULL;
		PQclear(r);
		r = zs_db_exec(c, "SELECT count(*) FROM t_pool WHERE v = $1::int", 1, p, &st);
		w->failures += r == NULL || strcmp(PQgetvalue(r, 0, 0), "1") != 0;
		PQclear(r);
		atomic_fetch_sub(w->in_use, 1);
		zs_db_release(w->db, c);
		zs_status_free(st);
	}
	return NULL;
}

static void
test_pool_threads(T *t, ctx *x)
{
	char buf[32];
	PQclear(query(t, x->db, "CREATE TABLE t_pool (v int PRIMARY KEY)", 0, NULL));
	atomic_int in_use = 0, max_in_use = 0;
	worker w[8];
	pthread_t th[8];
	for (int i = 0; i < 8; i++) {
		w[i] = (worker) { x->db, i, &in_use, &max_in_use, 0 };
		pthread_create(&th[i], NULL, work, &w[i]);
	}
	int failures = 0;
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		failures += w[i].failures;
	}
	ZST_EXPECT_IN(t, failures == 0);
	ZST_EXPECT_IN(t, atomic_load(&max_in_use) <= 4 && atomic_load(&max_in_use) >= 2);
	ZST_EXPECT_IN(t, strcmp(value(t, x->db, "SELECT count(*) FROM t_pool", 0, NULL, buf, sizeof buf),
	    "800") == 0);
}

/* ---- the server restarted and killed under load ---- */

typedef struct {
	zs_db *db;
	atomic_int *phase;          /* which server incarnation; -1: stop */
	atomic_llong started;       /* when the current call began (ms), 0 between calls */
	long ok, unavailable, other, max_ms;
	int last_ok_phase;
	char other_msg[256];
} loader;

static void *
load(void *arg)
{
	loader *l = arg;
	for (int phase; (phase = atomic_load(l->phase)) >= 0;) {
		int64_t t0 = now_ms();
		atomic_store(&l->started, t0);
		zs_db_conn *c;
		zs_status *st = NULL;
		if (zs_db_acquire(l->db, 2000, &c, &st) == 0) {
			const char *p[] = { "41" };
			PQclear(zs_db_exec(c, "SELECT $1::int + 1", 1, p, &st));
			zs_db_release(l->db, c);
		}
		atomic_store(&l->started, 0);
		long took = (long) (now_ms() - t0);
		l->max_ms = took > l->max_ms ? took : l->max_ms;
		if (st == NULL) {
			l->ok++;
			l->last_ok_phase = phase;
		} else if ((int) st->code == ZS_UNAVAILABLE) {
			l->unavailable++;
		} else {
			l->other++;
			snprintf(l->other_msg, sizeof l->other_msg, "%s: %s",
			    zs_status_code_name((int) st->code), st->message);
		}
		zs_status_free(st);
		sleep_ms(1);
	}
	return NULL;
}

typedef struct {
	loader *l;
	int n;
	atomic_int *done;
} watchdog;

/* Fails the run if a call has been going on for more than CALL_BOUND_MS. */
static void *
watch(void *arg)
{
	watchdog *w = arg;
	while (!atomic_load(w->done)) {
		for (int i = 0; i < w->n; i++) {
			long long s = atomic_load(&w->l[i].started);
			if (s != 0 && now_ms() - s > CALL_BOUND_MS) {
				fprintf(stderr, "FAIL restart: a call hangs for over %d ms\n", CALL_BOUND_MS);
				_exit(1);
			}
		}
		sleep_ms(50);
	}
	return NULL;
}

static void
test_restart(T *t, ctx *x)
{
	char err[1024], *conninfo = NULL;
	const char *pgdata = x->pgdata;
	atomic_int phase = 0, done = 0;
	loader l[4];
	pthread_t th[4], wt;
	for (int i = 0; i < 4; i++) {
		memset(&l[i], 0, sizeof l[i]);
		l[i].db = x->db;
		l[i].phase = &phase;
		l[i].last_ok_phase = -1;
		pthread_create(&th[i], NULL, load, &l[i]);
	}
	watchdog w = { l, 4, &done };
	pthread_create(&wt, NULL, watch, &w);
	sleep_ms(300);

	/* 1: a clean restart (pg_ctl stop -m fast, start) */
	zs_pg_stop(x->pg);
	x->pg = NULL;
	if (zs_pg_start(x->dir, &x->pg, &conninfo, err, sizeof err) != 0)
		ZST_FAIL_IN(t, "restart: %s", err);
	ZST_EXPECT_IN(t, x->pg != NULL && conninfo != NULL && strcmp(conninfo, x->conninfo) == 0);
	free(conninfo);
	atomic_store(&phase, 1);
	sleep_ms(500);

	/* 2: the postmaster killed, then started again over its stale postmaster.pid */
	long pid = postmaster_pid(pgdata);
	ZST_EXPECT_IN(t, pid > 0 && kill((pid_t) pid, SIGKILL) == 0);
	for (int i = 0; i < 200 && kill((pid_t) pid, 0) == 0; i++) {
		char stat[64], s[512] = "";
		snprintf(stat, sizeof stat, "/proc/%ld/stat", pid);
		FILE *f = fopen(stat, "r");
		if (f != NULL && fgets(s, sizeof s, f) != NULL && strstr(s, ") Z") != NULL)
			i = 200; /* a zombie nobody reaps is gone enough */
		if (f != NULL)
			fclose(f);
		sleep_ms(10);
	}
	sleep_ms(100);
	zs_pg_stop(x->pg); /* clears what the killed server left */
	x->pg = NULL;
	ZST_EXPECT_IN(t, !file_exists(pgdata, "postmaster.pid"));
	conninfo = NULL;
	if (zs_pg_start(x->dir, &x->pg, &conninfo, err, sizeof err) != 0)
		ZST_FAIL_IN(t, "start after kill: %s", err);
	ZST_EXPECT_IN(t, x->pg != NULL && conninfo != NULL);
	free(conninfo);
	atomic_store(&phase, 2);
	sleep_ms(500);

	atomic_store(&phase, -1);
	long ok = 0, unavailable = 0, other = 0, max_ms = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ok += l[i].ok;
		unavailable += l[i].unavailable;
		other += l[i].other;
		max_ms = l[i].max_ms > max_ms ? l[i].max_ms : max_ms;
		ZST_EXPECT_IN(t, l[i].last_ok_phase == 2);
		if (l[i].other > 0)
			fprintf(stderr, "  thread %d: %s\n", i, l[i].other_msg);
	}
	atomic_store(&done, 1);
	pthread_join(wt, NULL);
	fprintf(stderr, "db_test: under restarts: %ld ok, %ld unavailable, %ld other; slowest "
	    "call %ld ms\n", ok, unavailable, other, max_ms);
	ZST_EXPECT_IN(t, other == 0);
	ZST_EXPECT_IN(t, unavailable > 0);
	ZST_EXPECT_IN(t, code_of(x->db, "SELECT 1", 0, NULL, NULL) == ZS_OK);
}

/* ---- a server left over by a crashed run; a long data path ---- */

static void
test_leftover(T *t, ctx *x)
{
	char dir[256], pgdata[300], err[1024], old_host[PATH_MAX], host[PATH_MAX];
	snprintf(dir, sizeof dir, "%s/a-data-folder-whose-path-is-too-long-for-a-unix-socket-"
	    "so-the-socket-goes-to-tmp-instead-of-here", x->root);
	snprintf(pgdata, sizeof pgdata, "%s/pg", dir);
	int fds[2];
	if (pipe(fds) != 0)
		return;
	pid_t child = fork();
	if (child == 0) { /* a node that starts its PostgreSQL and dies */
		zs_pg *pg;
		char *conninfo = NULL;
		close(fds[0]);
		char msg[1100];
		if (zs_pg_start(dir, &pg, &conninfo, err, sizeof err) != 0)
			snprintf(msg, sizeof msg, "!%s", err);
		else
			host_of(conninfo, msg, sizeof msg);
		if (write(fds[1], msg, strlen(msg) + 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	ssize_t n = read(fds[0], old_host, sizeof old_host - 1);
	close(fds[0]);
	old_host[n > 0 ? n : 0] = '\0';
	waitpid(child, NULL, 0);
	ZST_EXPECT_IN(t, n > 0 && old_host[0] == '/');
	if (n <= 0 || old_host[0] != '/') {
		fprintf(stderr, "  child: %s\n", old_host);
		return;
	}
	ZST_EXPECT_IN(t, strncmp(old_host, "/tmp/zsnode-pg-", 15) == 0);
	long pid = postmaster_pid(pgdata);
	ZST_EXPECT_IN(t, pid > 0 && kill((pid_t) pid, 0) == 0 && procs_in(pgdata) > 0);

	zs_pg *pg = NULL;
	char *conninfo = NULL;
	if (zs_pg_start(dir, &pg, &conninfo, err, sizeof err) != 0) {
		ZST_FAIL_IN(t, "zs_pg_start over a leftover: %s", err);
		return;
	}
	host_of(conninfo, host, sizeof host);
	ZST_EXPECT_IN(t, strncmp(host, "/tmp/zsnode-pg-", 15) == 0 && strcmp(host, old_host) != 0);
	ZST_EXPECT_IN(t, access(old_host, F_OK) != 0); /* the dead run's socket folder is gone */
	ZST_EXPECT_IN(t, postmaster_pid(pgdata) != pid);
	zs_db *db = NULL;
	ZST_EXPECT_IN(t, zs_db_open(&db, conninfo, 1, err, sizeof err) == 0);
	char buf[32];
	if (db != NULL)
		ZST_EXPECT_IN(t, strcmp(value(t, db, "SELECT 40 + 2", 0, NULL, buf, sizeof buf), "42") == 0);
	zs_db_close(db);
	zs_pg_stop(pg);
	free(conninfo);
	ZST_EXPECT_IN(t, procs_in(pgdata) == 0);
	ZST_EXPECT_IN(t, !file_exists(pgdata, "postmaster.pid"));
	ZST_EXPECT_IN(t, access(host, F_OK) != 0);

	/* a server that cannot start: the error quotes its log */
	char conf[400];
	snprintf(conf, sizeof conf, "%s/postgresql.conf", pgdata);
	FILE *f = fopen(conf, "a");
	ZST_EXPECT_IN(t, f != NULL && fputs("zs_bogus_setting = on\n", f) >= 0 && fclose(f) == 0);
	conninfo = NULL;
	pg = NULL;
	ZST_EXPECT_IN(t, zs_pg_start(dir, &pg, &conninfo, err, sizeof err) != 0 && pg == NULL &&
	    conninfo == NULL);
	ZST_EXPECT_IN(t, strstr(err, "did not come up") != NULL && strstr(err, "pg.log") != NULL);
	ZST_EXPECT_IN(t, strstr(err, "zs_bogus_setting") != NULL);
	fprintf(stderr, "db_test: (expected) %s\n", err);
	ZST_EXPECT_IN(t, procs_in(pgdata) == 0 && !file_exists(pgdata, "postmaster.pid"));
}

/* As root, a data folder the postgres user cannot reach: the cluster goes to /var/tmp. */
static void
test_unreachable(T *t, ctx *x)
{
	if (geteuid() != 0)
		return;
	char dir[PATH_MAX], err[1024], host[PATH_MAX], buf[32];
	snprintf(dir, sizeof dir, "%s/private", x->root);
	ZST_EXPECT_IN(t, mkdir(dir, 0755) == 0 && chmod(x->root, 0700) == 0);
	zs_pg *pg = NULL;
	char *conninfo = NULL;
	int rv = zs_pg_start(dir, &pg, &conninfo, err, sizeof err);
	chmod(x->root, 0755);
	if (rv != 0) {
		ZST_FAIL_IN(t, "%s", err);
		return;
	}
	host_of(conninfo, host, sizeof host);
	ZST_EXPECT_IN(t, strncmp(host, "/var/tmp/zsnode-pg-", 19) == 0);
	ZST_EXPECT_IN(t, file_exists(host, "PG_VERSION"));
	zs_db *db = NULL;
	ZST_EXPECT_IN(t, zs_db_open(&db, conninfo, 1, err, sizeof err) == 0);
	if (db != NULL)
		ZST_EXPECT_IN(t, strcmp(value(t, db, "SELECT 6 * 7", 0, NULL, buf, sizeof buf), "42") == 0);
	zs_db_close(db);
	zs_pg_stop(pg);
	free(conninfo);
	ZST_EXPECT_IN(t, procs_in(host) == 0 && !file_exists(host, "postmaster.pid"));
	rm_rf(host);
}

/* ---- stop ---- */

static void
test_stop(T *t, ctx *x)
{
	const char *pgdata = x->pgdata;
	long pid = postmaster_pid(pgdata);
	ZST_EXPECT_IN(t, pid > 0 && procs_in(pgdata) > 0);
	zs_db_close(x->db);
	x->db = NULL;
	zs_pg_stop(x->pg);
	x->pg = NULL;
	ZST_EXPECT_IN(t, procs_in(pgdata) == 0);
	ZST_EXPECT_IN(t, !file_exists(pgdata, "postmaster.pid"));
	ZST_EXPECT_IN(t, !file_exists(pgdata, ".s.PGSQL.5432"));
	ZST_EXPECT_IN(t, !file_exists(pgdata, ".s.PGSQL.5432.lock"));
	char stat[64], s[512] = "";
	snprintf(stat, sizeof stat, "/proc/%ld/stat", pid);
	FILE *f = fopen(stat, "r");
	if (f != NULL && fgets(s, sizeof s, f) != NULL) /* only a zombie may remain */
		ZST_EXPECT_IN(t, strstr(s, ") Z") != NULL);
	if (f != NULL)
		fclose(f);
}

int
main(int argc, char **argv)
{
	zst_check_init("db");
	signal(SIGALRM, on_alarm);
	alarm(100);
	ctx x = { .root = "/tmp/zsdbt-XXXXXX" };
	const char *mig = argc > 1 ? argv[1] : DB_MIGRATIONS_DIR;
	if (mig != NULL) {
		snprintf(x.mig, sizeof x.mig, "%s", mig);
	} else {
		const char *slash = strrchr(__FILE__, '/');
		snprintf(x.mig, sizeof x.mig, "%.*s/db_migrations",
		    slash != NULL ? (int) (slash - __FILE__) : 1, slash != NULL ? __FILE__ : ".");
	}
	char probe[1100];
	snprintf(probe, sizeof probe, "%s/001_create.sql", x.mig);
	if (access(probe, R_OK) != 0) {
		fprintf(stderr, "db_test: no migrations in %s: pass the folder as argument\n", x.mig);
		return 1;
	}
	if (mkdtemp(x.root) == NULL || chmod(x.root, 0755) != 0) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(x.dir, sizeof x.dir, "%s/data", x.root);
	snprintf(x.pgdata, sizeof x.pgdata, "%s/pg", x.dir);

	static const struct {
		const char *name;
		void (*fn)(T *, ctx *);
		bool needs_db;
	} tests[] = {
		{ "start", test_start, false },
		{ "bad_url", test_bad_url, true },
		{ "socket_only", test_socket_only, true },
		{ "defaults", test_defaults, true },
		{ "round_trip", test_round_trip, true },
		{ "error_codes", test_error_codes, true },
		{ "deadlock", test_deadlock, true },
		{ "transactions", test_transactions, true },
		{ "acquire_timeout", test_acquire_timeout, true },
		{ "broken_connection", test_broken_connection, true },
		{ "prepared_once", test_prepared_once, true },
		{ "prepared_bound", test_prepared_bound, true },
		{ "prepared_reconnect", test_prepared_reconnect, true },
		{ "prepared_failed_tx", test_prepared_failed_tx, true },
		{ "prepared_changed_table", test_prepared_changed_table, true },
		{ "migrations", test_migrations, true },
		{ "pool_threads", test_pool_threads, true },
		{ "leftover", test_leftover, false },
		{ "unreachable", test_unreachable, false },
		{ "restart", test_restart, true },
		{ "stop", test_stop, true },
	};
	int passed = 0, failed = 0;
	int64_t t0 = now_ms();
	for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
		T t = { tests[i].name, 0 };
		int64_t c0 = now_ms();
		if (tests[i].needs_db && (x.db == NULL || x.pg == NULL)) {
			ZST_FAIL_IN(&t, "no database");
		} else {
			tests[i].fn(&t, &x);
		}
		if (now_ms() - c0 >= 1000) /* where the time of a slow run went */
			fprintf(stderr, "db_test: %s took %lld ms\n", tests[i].name,
			    (long long) (now_ms() - c0));
		if (atomic_load(&t.failures) == 0)
			passed++;
		else
			failed++;
	}
	zs_db_close(x.db);
	zs_pg_stop(x.pg);
	free(x.conninfo);
	rm_rf(x.root);
	fprintf(stderr, "db_test: %lld ms\n", (long long) (now_ms() - t0));
	printf("db: %d cases passed, %d failed\n", passed, failed);
	return zst_check_summary() != 0 || failed ? 1 : 0;
}
