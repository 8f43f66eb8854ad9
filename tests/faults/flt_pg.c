/*
 * flt_pg.c: the fault tests' own PostgreSQL (see flt_pg.h). Commands are forked and
 * exec'd directly (as the postgres user when we are root: initdb refuses root), their
 * output appended to root/pg.log. The test becomes a child subreaper so that a postmaster,
 * whose parent pg_ctl exits at once, is its child: after a stop or a SIGKILL it reaps
 * exactly the pids it saw, and no zombie is left holding a pid PostgreSQL's lock file
 * names (a zombie still answers kill(pid, 0), and the next postmaster would refuse).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "flt_pg.h"
#include "zst_node.h"

#define FLT_MAX_PIDS 64
#define FLT_GONE_MS 15000

/* ---- the alarm ---- */

#define FLT_WATCH_MAX 4
static char flt_watched[FLT_WATCH_MAX][192];

/* Reads the first line of pgdata/postmaster.pid with async-signal-safe calls only. */
static long
flt_pid_from_file(const char *pgdata)
{
	char path[256], buf[32];
	size_t n = strlen(pgdata);
	if (n + sizeof "/postmaster.pid" > sizeof path)
		return -1;
	memcpy(path, pgdata, n);
	memcpy(path + n, "/postmaster.pid", sizeof "/postmaster.pid");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t got = read(fd, buf, sizeof buf - 1);
	close(fd);
	long pid = 0;
	for (ssize_t i = 0; i < got && buf[i] >= '0' && buf[i] <= '9'; i++)
		pid = pid * 10 + (buf[i] - '0');
	return pid > 1 ? pid : -1;
}

static void
flt_on_alarm(int sig)
{
	(void) sig;
	static const char msg[] =
	    "\nFAIL the test hung: alarm fired, stopping its PostgreSQL and giving up\n";
	for (int i = 0; i < FLT_WATCH_MAX; i++) {
		long pid = flt_watched[i][0] != '\0' ? flt_pid_from_file(flt_watched[i]) : -1;
		if (pid > 1)
			kill((pid_t) pid, SIGQUIT); /* immediate shutdown: the server ends its children */
	}
	if (write(STDOUT_FILENO, msg, sizeof msg - 1) < 0) {
		/* nothing more to do */
	}
	_exit(3);
}

void
flt_alarm(unsigned seconds)
{
	signal(SIGALRM, flt_on_alarm);
	alarm(seconds);
}

void
flt_alarm_watch(const char *pgdata)
{
	for (int i = 0; i < FLT_WATCH_MAX; i++)
		if (flt_watched[i][0] == '\0' || strcmp(flt_watched[i], pgdata) == 0) {
			snprintf(flt_watched[i], sizeof flt_watched[i], "%s", pgdata);
			return;
		}
}

/* ---- processes ---- */

/* True if pid is a zombie (or gone). */
static bool
flt_pid_dead(long pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return true;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *close = strrchr(buf, ')');
	return close == NULL || close[1] == '\0' || close[2] == 'Z' || close[2] == 'X';
}

/* Pids of the live processes working in dir into pids (up to max); their number. */
static int
flt_pids_in(const char *dir, long *pids, int max)
{
	DIR *d = opendir("/proc");
	if (d == NULL)
		return 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		char *end, link[64], cwd[PATH_MAX];
		long pid = strtol(e->d_name, &end, 10);
		if (*end != '\0' || pid <= 1)
			continue;
		snprintf(link, sizeof link, "/proc/%ld/cwd", pid);
		ssize_t len = readlink(link, cwd, sizeof cwd - 1);
		if (len <= 0)
			continue;
		cwd[len] = '\0';
		if (strcmp(cwd, dir) == 0 && !flt_pid_dead(pid) && n < max)
			pids[n++] = pid;
	}
	closedir(d);
	return n;
}

int
flt_procs_in(const char *dir, int sig)
{
	long pids[FLT_MAX_PIDS];
	int n = flt_pids_in(dir, pids, FLT_MAX_PIDS);
	for (int i = 0; sig != 0 && i < n; i++)
		kill((pid_t) pids[i], sig);
	return n;
}

int
flt_wait_no_procs(const char *dir, int ms)
{
	int64_t until = zst_now_ms() + ms;
	int n;
	while ((n = flt_procs_in(dir, 0)) > 0 && zst_now_ms() < until)
		zst_sleep_ms(20);
	return n;
}

int
flt_subreaper(void)
{
	return prctl(PR_SET_CHILD_SUBREAPER, 1) == 0 ? 0 : -1;
}

void
flt_reap(long *pids, int n)
{
	for (int i = 0; i < n; i++) {
		int status;
		for (int64_t until = zst_now_ms() + 2000; pids[i] > 0 && zst_now_ms() < until;) {
			if (waitpid((pid_t) pids[i], &status, WNOHANG) != 0)
				pids[i] = 0; /* reaped, or not our child (ECHILD) */
			else
				zst_sleep_ms(5);
		}
	}
}

void
flt_reap_any(void)
{
	int status;
	while (waitpid(-1, &status, WNOHANG) > 0) {
	}
}

void
flt_sockets(const char *dir, char *out, size_t len)
{
	out[0] = '\0';
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d != NULL && (de = readdir(d)) != NULL)
		if (strncmp(de->d_name, ".s.PGSQL.", 9) == 0)
			snprintf(out + strlen(out), len - strlen(out), "%s ", de->d_name);
	if (d != NULL)
		closedir(d);
}

/* ---- commands ---- */

/* In the forked child: only async-signal-safe calls until exec. */
static void __attribute__((noreturn))
flt_child(const flt_pg *pg, int log_fd, char *const argv[], char *const env[])
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	int nul = open("/dev/null", O_RDONLY);
	if (nul < 0 || dup2(nul, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0)
		_exit(126);
	close_range(3, ~0U, 0);
	if (pg->as_user && (setgroups(1, &pg->gid) != 0 || setgid(pg->gid) != 0 ||
	    setuid(pg->uid) != 0))
		_exit(126);
	execve(argv[0], argv, env);
	_exit(127);
}

/* Runs bindir/tool args... (NULL-terminated) as the server's user, within FLT_PG_CMD_MS.
 * 0 when it exits 0; -1 after saying why. */
static int
flt_run(const flt_pg *pg, const char *tool, char *const *args)
{
	char exe[PATH_MAX + 16], path_env[PATH_MAX + 32];
	snprintf(exe, sizeof exe, "%s/%s", pg->bindir, tool);
	snprintf(path_env, sizeof path_env, "PATH=%s:/usr/bin:/bin", pg->bindir);
	char *env[] = { path_env, "LC_ALL=C", NULL };
	char *argv[24] = { exe };
	for (int i = 0; args[i] != NULL && i < 22; i++)
		argv[i + 1] = args[i];
	int log_fd = open(pg->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	pid_t pid = log_fd >= 0 ? fork() : -1;
	if (pid == 0)
		flt_child(pg, log_fd, argv, env);
	if (log_fd >= 0)
		close(log_fd);
	if (pid < 0) {
		printf("     cannot run %s: %s\n", tool, strerror(errno));
		return -1;
	}
	int status = 0;
	int64_t until = zst_now_ms() + FLT_PG_CMD_MS;
	pid_t r;
	while ((r = waitpid(pid, &status, WNOHANG)) == 0 && zst_now_ms() < until)
		zst_sleep_ms(5);
	if (r == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		printf("     %s %s did not end within %d ms: killed\n", tool, args[0], FLT_PG_CMD_MS);
		return -1;
	}
	if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		printf("     %s %s failed (status 0x%x)\n", tool, args[0], (unsigned) status);
		flt_pg_dump_log(pg);
		return -1;
	}
	return 0;
}

/* ---- setup ---- */

static bool
flt_bindir_ok(const char *dir)
{
	const char *tools[] = { "initdb", "pg_ctl", "postgres" };
	for (size_t i = 0; i < 3; i++) {
		char p[PATH_MAX + 16];
		snprintf(p, sizeof p, "%s/%s", dir, tools[i]);
		if (access(p, X_OK) != 0)
			return false;
	}
	return true;
}

/* The newest /usr/lib/postgresql/N/bin (Debian's layout), else /usr/bin. */
static int
flt_find_bindir(flt_pg *pg)
{
	DIR *d = opendir("/usr/lib/postgresql");
	long top = -1;
	struct dirent *e;
	while (d != NULL && (e = readdir(d)) != NULL) {
		char *end, dir[PATH_MAX];
		long v = strtol(e->d_name, &end, 10);
		snprintf(dir, sizeof dir, "/usr/lib/postgresql/%s/bin", e->d_name);
		if (*end == '\0' && v > top && flt_bindir_ok(dir)) {
			top = v;
			snprintf(pg->bindir, sizeof pg->bindir, "%s", dir);
		}
	}
	if (d != NULL)
		closedir(d);
	if (top < 0 && flt_bindir_ok("/usr/bin"))
		snprintf(pg->bindir, sizeof pg->bindir, "/usr/bin");
	if (pg->bindir[0] == '\0') {
		printf("     no PostgreSQL server (initdb, pg_ctl, postgres) found\n");
		return -1;
	}
	return 0;
}

/* The postgres user when we are root. */
static int
flt_find_user(flt_pg *pg)
{
	if (geteuid() != 0)
		return 0;
	struct passwd *pw = getpwnam("postgres");
	if (pw == NULL) {
		printf("     running as root, the test's PostgreSQL needs the user postgres\n");
		return -1;
	}
	pg->as_user = true;
	pg->uid = pw->pw_uid;
	pg->gid = pw->pw_gid;
	return 0;
}

/* Makes the folder or empty file path (mode), owned by the server's user. */
static int
flt_own(const flt_pg *pg, const char *path, mode_t mode, bool dir)
{
	int rv = dir ? mkdir(path, mode) : -1;
	if (!dir) {
		int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, mode);
		rv = fd >= 0 ? close(fd) : -1;
	}
	if (rv != 0 || (pg->as_user && chown(path, pg->uid, pg->gid) != 0)) {
		printf("     cannot make %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Appends the server's settings to postgresql.conf: no TCP, the socket in sock_dir. */
static int
flt_write_conf(const flt_pg *pg)
{
	char path[256], text[512];
	snprintf(path, sizeof path, "%s/postgresql.conf", pg->pgdata);
	int len = snprintf(text, sizeof text, "\n# the fault tests' settings\n"
	    "listen_addresses = ''\nport = %d\nunix_socket_directories = '%s'\n"
	    "unix_socket_permissions = 0700\n", pg->port, pg->sock_dir);
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	bool ok = fd >= 0 && write(fd, text, (size_t) len) == len;
	if (fd >= 0)
		close(fd);
	if (!ok)
		printf("     cannot append to %s: %s\n", path, strerror(errno));
	return ok ? 0 : -1;
}

/* CREATE DATABASE zsnode, through the database "postgres". */
static int
flt_create_db(const flt_pg *pg)
{
	char conninfo[512];
	snprintf(conninfo, sizeof conninfo, "host=%s port=%d user=zsnode dbname=postgres",
	    pg->sock_dir, pg->port);
	PGconn *c = flt_sql_connect(conninfo);
	if (c == NULL)
		return -1;
	PGresult *r = PQexec(c, "CREATE DATABASE zsnode");
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		printf("     CREATE DATABASE zsnode: %s", PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
	return ok ? 0 : -1;
}

int
flt_pg_init(flt_pg *pg)
{
	memset(pg, 0, sizeof *pg);
	if (flt_subreaper() != 0 || flt_find_bindir(pg) != 0 ||
	    flt_find_user(pg) != 0 || (pg->port = zst_free_port()) <= 0 ||
	    zst_mkdtemp(pg->root, sizeof pg->root) != 0) {
		printf("     cannot set up the test's PostgreSQL: %s\n", strerror(errno));
		return -1;
	}
	snprintf(pg->pgdata, sizeof pg->pgdata, "%s/pg", pg->root);
	snprintf(pg->sock_dir, sizeof pg->sock_dir, "%s/s", pg->root);
	snprintf(pg->log_path, sizeof pg->log_path, "%s/pg.log", pg->root);
	snprintf(pg->conninfo, sizeof pg->conninfo, "host=%s port=%d user=zsnode dbname=zsnode",
	    pg->sock_dir, pg->port);
	flt_alarm_watch(pg->pgdata);
	char *initdb[] = { "-D", pg->pgdata, "-U", "zsnode", "-A", "trust", "-E", "UTF8",
		"--locale=C", "--no-sync", NULL };
	if (flt_own(pg, pg->pgdata, 0700, true) != 0 || flt_own(pg, pg->sock_dir, 0700, true) != 0 ||
	    flt_own(pg, pg->log_path, 0600, false) != 0 || flt_run(pg, "initdb", initdb) != 0 ||
	    flt_write_conf(pg) != 0 || flt_pg_start(pg) != 0)
		return -1;
	return flt_create_db(pg);
}

/* ---- control ---- */

static int
flt_ctl(flt_pg *pg, const char *verb, const char *mode)
{
	/* pg_ctl gives up (-t, seconds) before flt_run would kill it */
	char *start[] = { "start", "-D", pg->pgdata, "-w", "-t", "20", "-s", "-l", pg->log_path, NULL };
	char *other[] = { (char *) verb, "-D", pg->pgdata, "-m", (char *) mode, "-w", "-t", "20", "-s",
		"-l", pg->log_path, NULL };
	long pids[FLT_MAX_PIDS];
	int n = flt_pids_in(pg->pgdata, pids, FLT_MAX_PIDS);
	int rv = flt_run(pg, "pg_ctl", strcmp(verb, "start") == 0 ? start : other);
	if (strcmp(verb, "stop") == 0 && rv == 0)
		flt_wait_no_procs(pg->pgdata, FLT_GONE_MS);
	flt_reap(pids, n); /* the old postmaster, if it was ours and has ended */
	return rv;
}

int
flt_pg_start(flt_pg *pg)
{
	return flt_ctl(pg, "start", NULL);
}

int
flt_pg_stop(flt_pg *pg, const char *mode)
{
	return flt_ctl(pg, "stop", mode);
}

int
flt_pg_restart(flt_pg *pg)
{
	return flt_ctl(pg, "restart", "fast");
}

long
flt_pg_postmaster(const char *pgdata)
{
	return flt_pid_from_file(pgdata);
}

int
flt_pg_kill9(flt_pg *pg)
{
	long pm = flt_pg_postmaster(pg->pgdata);
	if (pm <= 1 || flt_pid_dead(pm)) {
		printf("     no live postmaster in %s to kill\n", pg->pgdata);
		return -1;
	}
	long pids[FLT_MAX_PIDS];
	int n = flt_pids_in(pg->pgdata, pids, FLT_MAX_PIDS);
	kill((pid_t) pm, SIGKILL);
	int left = flt_wait_no_procs(pg->pgdata, FLT_GONE_MS);
	flt_reap(pids, n); /* the postmaster and its orphans came to us */
	if (left > 0)
		printf("     %d server processes outlived their killed postmaster\n", left);
	return left == 0 ? 0 : -1;
}

void
flt_pg_destroy(flt_pg *pg)
{
	if (pg->root[0] == '\0')
		return;
	if (flt_procs_in(pg->pgdata, 0) > 0 && flt_pg_stop(pg, "immediate") != 0) {
		long pids[FLT_MAX_PIDS];
		int n = flt_pids_in(pg->pgdata, pids, FLT_MAX_PIDS);
		flt_procs_in(pg->pgdata, SIGKILL);
		flt_wait_no_procs(pg->pgdata, 5000);
		flt_reap(pids, n);
	}
	zst_rmtree(pg->root);
	pg->root[0] = '\0';
}

void
flt_pg_dump_log(const flt_pg *pg)
{
	char *text = zst_read_file(pg->log_path);
	if (text == NULL)
		return;
	size_t len = strlen(text);
	printf("     --- %s ---\n%s     --- end ---\n", pg->log_path,
	    len > 3000 ? text + len - 3000 : text);
	free(text);
}

/* ---- SQL ---- */

PGconn *
flt_sql_connect(const char *conninfo)
{
	char with_timeout[600];
	snprintf(with_timeout, sizeof with_timeout, "%s connect_timeout=5", conninfo);
	PGconn *c = PQconnectdb(with_timeout);
	if (PQstatus(c) != CONNECTION_OK) {
		printf("     cannot connect to %s: %s", conninfo, PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	return c;
}

/* Runs sql: the result, or NULL after saying why. */
static PGresult *
flt_sql(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		printf("     %s: %s", sql, PQresultErrorMessage(r));
		PQclear(r);
		return NULL;
	}
	return r;
}

char *
flt_sql_value(PGconn *c, const char *sql)
{
	PGresult *r = flt_sql(c, sql);
	if (r == NULL)
		return NULL;
	char *v = strdup(PQntuples(r) > 0 && PQnfields(r) > 0 ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	return v;
}

char *
flt_sql_rows(PGconn *c, const char *sql)
{
	PGresult *r = flt_sql(c, sql);
	if (r == NULL)
		return NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	for (int i = 0; out != NULL && i < PQntuples(r); i++)
		for (int k = 0; k < PQnfields(r); k++)
			fprintf(out, "%s%s", PQgetvalue(r, i, k), k + 1 < PQnfields(r) ? "|" : "\n");
	if (out != NULL)
		fclose(out);
	PQclear(r);
	return text;
}
