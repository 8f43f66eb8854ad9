/*
 * zs_db.h: the node's side of the database: opening and closing the connection pool,
 * schema migrations, and the embedded PostgreSQL that runs when no database URL is set.
 * Services see only zs/db.h.
 */
#ifndef ZS_DB_H_INTERNAL
#define ZS_DB_H_INTERNAL

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zs/db.h"

/* --- pool (zs_db.c) --- */

/* Opens a pool of pool_size (>= 1) connections to conninfo (a libpq "key=value" string or
 * a postgresql:// URI). One connection is made at once, so a wrong URL fails here; the
 * others are made when first needed. Defaults are added for what conninfo leaves out:
 * connect_timeout=5, keepalives (idle 30 s, interval 10 s, count 3), tcp_user_timeout=30 s,
 * application_name=zsnode, and in options "-c statement_timeout=30s
 * -c idle_in_transaction_session_timeout=60s" (each only if options does not name it,
 * e.g. conninfo "... options='-c statement_timeout=5s'"). 0, or -1 with err. */
int zs_db_open(zs_db **out, const char *conninfo, int pool_size, char *err, size_t errlen);

/* The most rows a Query call answers (property query.limit.max; 0: ZS_QUERY_LIMIT_MAX),
 * read by zs_query_call. Set before calls come. */
void zs_db_set_query_limit(zs_db *db, uint32_t max);
uint32_t zs_db_query_limit(const zs_db *db);

/* How many statements each connection keeps prepared (zs_db_exec prepares a text the
 * second time a connection runs it, and DEALLOCATEs the least recently used past max):
 * ZS_DB_PREP_MAX_DEFAULT (256) unless set; 0 runs every statement unprepared; at most
 * 4096. Idle connections are finished, to be made again with the new bound: set it
 * before the pool is used. */
void zs_db_set_prepared_max(zs_db *db, uint32_t max);

/* Closes every connection. All connections must have been released. */
void zs_db_close(zs_db *db);

/* The code for a SQLSTATE (NULL or "": INTERNAL), as the table in zs/db.h says. */
int zs_db_sqlstate_code(const char *sqlstate);

/* zs_db_exec with binary parameters: lengths and formats as PQexecParams takes them
 * (NULL: all text), prepared on c as zs_db_exec prepares. */
PGresult *zs_db_exec_params(zs_db_conn *c, const char *sql, int nparams,
    const char *const *params, const int *lengths, const int *formats, zs_status **st);

/* The libpq connection under c, for the node's own use (migrations run whole files). */
PGconn *zs_db_conn_pg(zs_db_conn *c);

/* Has fn(arg) run once, on the committing thread, right after c's open transaction
 * commits through zs_db_commit (or zs_db_end); a rollback, a failed commit or the release
 * of c drops it. One per connection: a second call replaces the first (the event log's
 * writer is its one user, zs_outbox_write.c). */
void zs_db_after_commit(zs_db_conn *c, void (*fn)(void *arg), void *arg);

/* A new connection with the pool's parameters, outside the pool, for a session of its
 * own (a LISTEN); caller PQfinish()es it. NULL with *st (UNAVAILABLE) when it fails. */
PGconn *zs_db_connect_own(zs_db *db, zs_status **st);

/* A connection of its own (as zs_db_connect_own) that LISTENs on channel; NULL with *st
 * (UNAVAILABLE) when it cannot connect or LISTEN. Caller PQfinish()es it. */
PGconn *zs_db_listen_connect(zs_db *db, const char *channel, zs_status **st);
/* Waits for pg's socket (pg NULL: only the pipe) or a byte on wake_fd: 1 readable, 0 the
 * timeout passed, -1 stop (the pipe). */
int zs_db_listen_wait(int wake_fd, PGconn *pg, int timeout_ms);

/* A status (caller frees) for a failed result (res may be NULL) on pg. */
zs_status *zs_db_status_from(PGconn *pg, const PGresult *res);

/* --- migrations (zs_db_migrate.c) --- */

/* Applies the service's migrations: files[i] (a path) is version i + 1. Versions already
 * recorded in zs_schema_migrations are skipped after their checksum (md5 of the file) is
 * compared: a changed file is an error and is not run again. Each new file runs in its
 * own transaction with its record, under a cluster-wide advisory lock, so nodes starting
 * together apply it once; a failing file leaves nothing behind. Versions recorded beyond
 * n (written by a newer build) are left alone. A file must not COMMIT or ROLLBACK itself.
 * Returns the number of files applied, or -1 with err naming the service, the file, the
 * line and PostgreSQL's message. */
int zs_db_migrate(zs_db *db, const char *service, const char *const *files, size_t n,
    char *err, size_t errlen);

/* --- embedded PostgreSQL (zs_db_pg.c) --- */

typedef struct zs_pg zs_pg;

/* Starts the node's own PostgreSQL in DATA_DIR/pg (initdb on first start; database
 * "zsnode", superuser "zsnode", trust auth, unix socket only: no TCP listener). As root,
 * PostgreSQL runs as the "postgres" user; when that user cannot reach DATA_DIR, the
 * cluster lives in /var/tmp/zsnode-pg-<hash of DATA_DIR> instead (logged). A server left
 * running by an earlier run is stopped and started again; a stale postmaster.pid is
 * cleared. Output of initdb, pg_ctl and the server goes to DATA_DIR/pg.log.
 * On success *out (free with zs_pg_stop) and *conninfo (caller frees) are set; -1 with err
 * quoting the command that failed and the last lines of pg.log otherwise. */
int zs_pg_start(const char *data_dir, zs_pg **out, char **conninfo, char *err, size_t errlen);

/* Stops the server (pg_ctl stop -m fast, then immediate if needed), removes a private
 * socket directory and frees pg. No process, postmaster.pid or socket lock remains. */
void zs_pg_stop(zs_pg *pg);
/* True while the postmaster zs_pg_start (or the last restart) started runs; its pid. */
bool zs_pg_running(const zs_pg *pg);
long zs_pg_pid(const zs_pg *pg);
/* Starts the server again after it died (or stops it first if it runs): clears what it
 * left behind (pid file, backends still ending, socket), pg_ctl start, waits until it
 * accepts connections. 0, or -1 with err quoting pg.log. Not concurrently with
 * zs_pg_stop. */
int zs_pg_restart(zs_pg *pg, char *err, size_t errlen);

/* --- supervision of the embedded PostgreSQL (zs_pg_watch.c) --- */

typedef struct zs_pg_watch zs_pg_watch;

/* Watches pg from a thread of its own: every ZS_PG_WATCH_CHECK_MS it checks that the
 * postmaster runs; when it is gone the database is marked down, the reason is logged and
 * the server is restarted after a delay that doubles after each failed attempt (from
 * ZS_PG_WATCH_FIRST_MS up to ZS_PG_WATCH_MAX_MS), each attempt logged. Stop the watch
 * before zs_pg_stop. 0, or -1 with err. */
#define ZS_PG_WATCH_CHECK_MS 200
#define ZS_PG_WATCH_FIRST_MS 500
#define ZS_PG_WATCH_MAX_MS 30000
int zs_pg_watch_start(zs_pg_watch **out, zs_pg *pg, char *err, size_t errlen);
/* False while the server is down and being restarted; true for a NULL watch. Any thread. */
bool zs_pg_watch_up(const zs_pg_watch *w);
/* How many times the server was restarted. Any thread. */
uint64_t zs_pg_watch_restarts(const zs_pg_watch *w);
/* Ends the watch (waits for a restart under way); its flags stay readable. From the
 * thread that started it; again does nothing. */
void zs_pg_watch_stop(zs_pg_watch *w);
/* Stops it if needed and frees it. NULL does nothing. */
void zs_pg_watch_free(zs_pg_watch *w);

/* Where the cluster and its log are (for the node's log line). */
const char *zs_pg_data_dir(const zs_pg *pg);
const char *zs_pg_log_path(const zs_pg *pg);

/* --- this node's heartbeat in zs_nodes (zs_heartbeat.c) --- */

typedef struct zs_heartbeat zs_heartbeat;

/* What the heartbeat is made with; borrowed for its life. */
typedef struct zs_heartbeat_env {
	zs_db *db;
	const char *node_id;         /* copied */
	int64_t interval_ms;         /* between two beats */
	void (*after_beat)(void *arg);   /* after each beat that was written, on its thread */
	void *arg;
} zs_heartbeat_env;

/* Writes the row once (an error here stops the start), then every interval from a
 * thread of its own. 0, or -1 with err. */
int zs_heartbeat_start(zs_heartbeat **out, const zs_heartbeat_env *env, char *err, size_t errlen);
/* Ends the thread, removes the row and frees hb. NULL does nothing. */
void zs_heartbeat_stop(zs_heartbeat *hb);

#endif
