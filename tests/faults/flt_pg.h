/*
 * flt_pg.h: what the fault tests share: a PostgreSQL of the test's own (initdb and
 * pg_ctl run as the postgres user when the test runs as root, listening only on a unix
 * socket in a short private folder), which a test stops, restarts and kills under a
 * running zsnode; SQL into it through libpq; the server processes of a data folder found
 * by their working directory (/proc/PID/cwd); and an alarm that stops those servers
 * before the test gives up. Every wait is bounded.
 */
#ifndef FLT_PG_H
#define FLT_PG_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include <libpq-fe.h>

/* How long one pg_ctl or initdb run may take at most. */
#define FLT_PG_CMD_MS 30000

/* A PostgreSQL cluster of the test's own. */
typedef struct flt_pg {
	char root[128];           /* private temp folder (0755), removed by flt_pg_destroy */
	char pgdata[160];         /* root/pg, owned by the server's user */
	char sock_dir[160];       /* root/s: the unix socket's folder */
	char log_path[160];       /* root/pg.log: output of initdb, pg_ctl and the server */
	char bindir[PATH_MAX];    /* initdb, pg_ctl, postgres */
	char conninfo[512];       /* libpq connection string to database "zsnode" */
	int port;                 /* names the socket file only: there is no TCP listener */
	bool as_user;             /* commands run as uid/gid (we are root) */
	uid_t uid;
	gid_t gid;
} flt_pg;

/* Arms alarm(seconds) with a handler that stops (SIGQUIT) the servers of the data
 * folders registered below and of pg, then exits 3 like the harness's alarm. Call after
 * zst_init (it replaces the harness's handler; zsnode children die with the test). */
void flt_alarm(unsigned seconds);
/* Registers a data folder whose server the alarm stops (up to 4; the path is copied). */
void flt_alarm_watch(const char *pgdata);

/* Makes the cluster in a new temp folder (initdb), starts it and creates the database
 * "zsnode" owned by the superuser "zsnode". 0, or -1 after saying why. */
int flt_pg_init(flt_pg *pg);
/* pg_ctl start -w (waits until it accepts connections). 0 or -1. */
int flt_pg_start(flt_pg *pg);
/* pg_ctl stop -m mode -w. 0 or -1. */
int flt_pg_stop(flt_pg *pg, const char *mode);
/* pg_ctl restart -m fast -w. 0 or -1. */
int flt_pg_restart(flt_pg *pg);
/* SIGKILL of the postmaster, then waits until every process of the cluster is gone
 * (its backends notice the postmaster's death on their own). 0 or -1. */
int flt_pg_kill9(flt_pg *pg);
/* The postmaster's pid from postmaster.pid, or -1. */
long flt_pg_postmaster(const char *pgdata);
/* Stops the server if it runs (immediate), kills what is left of it, removes root. */
void flt_pg_destroy(flt_pg *pg);
/* Prints the last lines of the cluster's log. */
void flt_pg_dump_log(const flt_pg *pg);

/* Makes the test a child subreaper: a postmaster (whose parent pg_ctl exits at once)
 * becomes its child, to be reaped by flt_reap rather than left a zombie. 0 or -1. */
int flt_subreaper(void);
/* Reaps each of pids that is our child and has exited (waits up to 2 s for each); an
 * entry reaped or found not to be our child becomes 0 and is skipped from then on. */
void flt_reap(long *pids, int n);

/* Reaps every child that has exited. Only while no zsnode of the harness runs: the
 * harness waits for its pids by number and must not find them reaped. */
void flt_reap_any(void);

/* The names in dir that start with ".s.PGSQL." (sockets and their locks), joined by
 * spaces into out; "" when there is none. */
void flt_sockets(const char *dir, char *out, size_t len);

/* Live processes (zombies excluded) whose working directory is dir; each gets sig unless
 * sig is 0. */
int flt_procs_in(const char *dir, int sig);
/* Waits up to ms until no process works in dir; returns how many still do. */
int flt_wait_no_procs(const char *dir, int ms);

/* A connection to conninfo (connect_timeout 5), or NULL after saying why. */
PGconn *flt_sql_connect(const char *conninfo);
/* The first column of the first row of sql (caller frees), "" for no row, or NULL after
 * saying why. */
char *flt_sql_value(PGconn *c, const char *sql);
/* The rows of sql, one a line, columns joined by '|' (caller frees), or NULL. */
char *flt_sql_rows(PGconn *c, const char *sql);

#endif
