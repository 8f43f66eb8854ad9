/*
 * zs_db_pg.c: the embedded default database: the node's own PostgreSQL, made with initdb
 * in DATA_DIR/pg and run with pg_ctl, listening on a unix socket only (no TCP). Started
 * as root, it runs as the "postgres" user (initdb refuses root): commands are forked,
 * switched to that user and exec'd directly, never through sudo or su. Their output and
 * the server's log go to DATA_DIR/pg.log; a failure quotes the lines the command wrote.
 *
 * Why the shapes below:
 * - Settings live in PGDATA/zsnode.conf, rewritten at each start and included from
 *   postgresql.conf, so no path ever goes through pg_ctl's shell command line.
 * - The socket sits in PGDATA (0700, so trust auth admits only that user and root),
 *   unless the path is too long for sun_path: then in a private /tmp/zsnode-pg-XXXXXX.
 * - A postmaster is recognised as ours by its working directory, which is PGDATA.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "zs/log.h"
#include "zs_db.h"

#define PG_PORT "5432"
#define PG_USER "zsnode"
#define PG_DB "zsnode"
#define PG_SOCK_FILE "/.s.PGSQL." PG_PORT
#define PG_SOCK_MAX 107              /* sun_path: 108 bytes with the NUL */
#define PG_TMP_SOCK "/tmp/zsnode-pg-" /* private socket folders */
#define PG_LOG_MAX (16L << 20)       /* pg.log is moved to pg.log.1 past this at start */
#define PG_GONE_MS 10000             /* how long to wait for old server processes to end */

struct zs_pg {
	char *data_dir;   /* realpath of DATA_DIR */
	char *pgdata;     /* the cluster: DATA_DIR/pg, or the /var/tmp fallback */
	char *sock_dir;   /* the socket's folder: pgdata, or a private one in /tmp */
	bool own_sock_dir;
	char *log_path;   /* DATA_DIR/pg.log */
	int log_fd;
	char bindir[PATH_MAX];
	bool as_user;     /* run commands as uid/gid (we are root) */
	uid_t uid;
	gid_t gid;
	char *env[4];     /* environment of the commands; owned, NULL-terminated */
	int max_fd;
	long pid;         /* the postmaster this run started (0: unknown) */
};

typedef enum { PID_DEAD, PID_OURS, PID_OTHER } pg_pid_state;

/* ---- small helpers ---- */

static char *
pg_join(const char *dir, const char *name)
{
	char *p;
	return asprintf(&p, "%s/%s", dir, name) < 0 ? NULL : p;
}

static int64_t
pg_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
pg_sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static bool
pg_exists(const char *dir, const char *name)
{
	char *p = pg_join(dir, name);
	bool yes = p != NULL && access(p, F_OK) == 0;
	free(p);
	return yes;
}

/* Line lineno (1-based) of path into buf, newline cut; -1 if there is none. */
static int
pg_read_line(const char *path, int lineno, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	int rv = -1;
	for (int i = 1; fgets(buf, (int) len, f) != NULL; i++) {
		if (i == lineno) {
			buf[strcspn(buf, "\n")] = '\0';
			rv = 0;
			break;
		}
	}
	fclose(f);
	return rv;
}

/* ---- processes ---- */

/* Reads the /proc/<pid>/<what> link into buf; -1 with errno on failure. */
static int
pg_proc_link(long pid, const char *what, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%ld/%s", pid, what);
	ssize_t n = readlink(path, buf, len - 1);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* What pid is: gone (or a zombie), a server process of pgdata (the postgres program,
 * working in pgdata), or another process; unknown when /proc cannot tell. Lock files
 * are cleared only for a pid known not to be ours: never those of a running server. */
static pg_pid_state
pg_pid_check(long pid, const char *pgdata, pg_pid_state unknown)
{
	if (pid <= 0 || (kill((pid_t) pid, 0) != 0 && errno == ESRCH))
		return PID_DEAD;
	char path[64], buf[PATH_MAX];
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "r");
	if (f != NULL) {
		size_t n = fread(buf, 1, 511, f);
		fclose(f);
		buf[n] = '\0';
		const char *close = strrchr(buf, ')');
		if (close != NULL && (close[2] == 'Z' || close[2] == 'X'))
			return PID_DEAD;
	}
	if (pg_proc_link(pid, "cwd", buf, sizeof buf) != 0)
		return errno == ENOENT ? PID_DEAD : unknown;
	if (strcmp(buf, pgdata) != 0)
		return PID_OTHER;
	if (pg_proc_link(pid, "exe", buf, sizeof buf) != 0)
		return errno == ENOENT ? PID_DEAD : unknown;
	const char *base = strrchr(buf, '/');
	return strncmp(base != NULL ? base + 1 : buf, "postgres", 8) == 0 ? PID_OURS : PID_OTHER;
}

/* Number of live server processes of pgdata; each gets sig unless sig is 0. */
static int
pg_procs_in(const char *pgdata, int sig)
{
	DIR *d = opendir("/proc");
	if (d == NULL)
		return 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end == '\0' && pid > 1 && pid != (long) getpid() &&
		    pg_pid_check(pid, pgdata, PID_OTHER) == PID_OURS) {
			n++;
			if (sig != 0)
				kill((pid_t) pid, sig);
		}
	}
	closedir(d);
	return n;
}

/* Waits up to ms for the server processes of pgdata to end; returns how many remain. */
static int
pg_wait_procs(const char *pgdata, long ms)
{
	int64_t until = pg_now_ms() + ms;
	int n;
	while ((n = pg_procs_in(pgdata, 0)) > 0 && pg_now_ms() < until)
		pg_sleep_ms(50);
	return n;
}

/* ---- running commands ---- */

static void
pg_close_from(int fd, int max_fd)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
	if (close_range((unsigned) fd, ~0U, 0) == 0)
		return;
#endif
	for (; fd < max_fd; fd++)
		close(fd);
}

/* In the forked child: only async-signal-safe calls from here to exec. */
static void __attribute__((noreturn))
pg_child(const zs_pg *pg, char *const argv[])
{
	static const char fail_user[] = "zsnode: cannot switch to the postgres user\n";
	static const char fail_exec[] = "zsnode: cannot run the command\n";
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	const int sigs[] = { SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD };
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		signal(sigs[i], SIG_DFL);
	int nul = open("/dev/null", O_RDONLY);
	if (nul < 0 || dup2(nul, 0) < 0 || dup2(pg->log_fd, 1) < 0 || dup2(pg->log_fd, 2) < 0)
		_exit(126);
	pg_close_from(3, pg->max_fd);
	setsid();
	umask(077);
	if (pg->as_user && (setgroups(1, &pg->gid) != 0 || setgid(pg->gid) != 0 ||
	    setuid(pg->uid) != 0)) {
		if (write(2, fail_user, sizeof fail_user - 1) < 0)
			_exit(126);
		_exit(126);
	}
	execve(argv[0], argv, pg->env);
	if (write(2, fail_exec, sizeof fail_exec - 1) < 0)
		_exit(127);
	_exit(127);
}

/* The last lines (up to 6) written to pg.log since offset from, joined by " | ". */
static void
pg_tail(const zs_pg *pg, off_t from, char *out, size_t len)
{
	char buf[4096];
	snprintf(out, len, "(no output)");
	int fd = open(pg->log_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	off_t end = lseek(fd, 0, SEEK_END);
	off_t start = end - from > (off_t) sizeof buf - 1 ? end - (off_t) sizeof buf + 1 : from;
	ssize_t n = start < end ? pread(fd, buf, (size_t) (end - start), start) : 0;
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	const char *lines[6];
	int count = 0;
	for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l != NULL;
	    l = strtok_r(NULL, "\n", &save)) {
		if (count == 6)
			memmove(lines, lines + 1, sizeof lines - sizeof lines[0]);
		lines[count < 6 ? count++ : 5] = l;
	}
	size_t used = 0;
	out[0] = '\0';
	for (int i = 0; i < count && used < len; i++)
		used += (size_t) snprintf(out + used, len - used, "%s%s", i ? " | " : "", lines[i]);
}

/* Runs argv (argv[0] a full path) as the server's user, output to pg.log, and waits.
 * 0 if it exited 0; -1 with err naming what and quoting its output otherwise. */
static int
pg_run(const zs_pg *pg, const char *what, char *const argv[], char *err, size_t errlen)
{
	off_t from = lseek(pg->log_fd, 0, SEEK_END);
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "%s: fork: %s", what, strerror(errno));
		return -1;
	}
	if (pid == 0)
		pg_child(pg, argv);
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			snprintf(err, errlen, "%s: waitpid: %s", what, strerror(errno));
			return -1;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	char tail[1024];
	pg_tail(pg, from < 0 ? 0 : from, tail, sizeof tail);
	snprintf(err, errlen, "%s failed (%s %d); %s: %s", what,
	    WIFEXITED(status) ? "exit" : "signal",
	    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), pg->log_path, tail);
	return -1;
}

/* pg_ctl <verb> -D pgdata ... */
static int
pg_ctl(const zs_pg *pg, const char *verb, const char *mode, char *err, size_t errlen)
{
	char ctl[PATH_MAX + 8], what[32];
	snprintf(ctl, sizeof ctl, "%s/pg_ctl", pg->bindir);
	snprintf(what, sizeof what, "pg_ctl %s", verb);
	/* -W: pg_ctl's own wait polls every 100 ms; pg_wait_ready asks far more often */
	char *start[] = { ctl, "start", "-D", pg->pgdata, "-W", "-s",
		"-o", "-c listen_addresses=''", NULL };
	char *stop[] = { ctl, "stop", "-D", pg->pgdata, "-m", (char *) mode, "-w", "-t", "30",
		"-s", NULL };
	return pg_run(pg, what, strcmp(verb, "start") == 0 ? start : stop, err, errlen);
}

/* Waits until the server started with pg_ctl -W accepts connections: 0, or -1 when its
 * postmaster is gone or it is not up within PG_START_MS (err quotes pg.log). */
#define PG_START_MS 60000
#define PG_START_POLL_MS 3

static int
pg_wait_ready(const zs_pg *pg, off_t log_from, char *err, size_t errlen)
{
	const char *keys[] = { "host", "port", "user", "dbname", "connect_timeout", NULL };
	const char *values[] = { pg->sock_dir, PG_PORT, PG_USER, "postgres", "2", NULL };
	char *pidfile = pg_join(pg->pgdata, "postmaster.pid");
	int64_t start = pg_now_ms(), next_check = start + 1000;
	int rv = -1;
	while (pidfile != NULL && pg_now_ms() - start < PG_START_MS) {
		if (PQpingParams(keys, values, 0) == PQPING_OK) {
			rv = 0;
			break;
		}
		if (pg_now_ms() >= next_check) {
			/* a postmaster that failed (bad config, port taken) leaves no live pid */
			char line[32];
			long pid = pg_read_line(pidfile, 1, line, sizeof line) == 0 ? atol(line) : 0;
			if (pg_pid_check(pid, pg->pgdata, PID_OURS) == PID_DEAD)
				break;
			next_check = pg_now_ms() + 200;
		}
		pg_sleep_ms(PG_START_POLL_MS);
	}
	free(pidfile);
	if (rv != 0) {
		char tail[1024];
		pg_tail(pg, log_from, tail, sizeof tail);
		snprintf(err, errlen, "the embedded PostgreSQL did not come up; %s: %s", pg->log_path, tail);
	}
	return rv;
}

/* ---- setup ---- */

/* Picks the user the server runs as: postgres when we are root, else ourselves. */
static int
pg_setup_user(zs_pg *pg, char *err, size_t errlen)
{
	if (geteuid() != 0)
		return 0;
	char buf[4096];
	struct passwd pw, *found = NULL;
	int rv = getpwnam_r("postgres", &pw, buf, sizeof buf, &found);
	if (found == NULL) {
		snprintf(err, errlen, "running as root, the embedded PostgreSQL needs the user "
		    "\"postgres\" (initdb refuses root): %s", rv != 0 ? strerror(rv) : "no such user");
		return -1;
	}
	pg->as_user = true;
	pg->uid = pw.pw_uid;
	pg->gid = pw.pw_gid;
	return 0;
}

/* Opens pg.log for appending, moving a big one aside first. */
static int
pg_setup_log(zs_pg *pg, char *err, size_t errlen)
{
	pg->log_path = pg_join(pg->data_dir, "pg.log");
	if (pg->log_path == NULL)
		goto nomem;
	struct stat st;
	if (stat(pg->log_path, &st) == 0 && st.st_size > PG_LOG_MAX) {
		char *old = pg_join(pg->data_dir, "pg.log.1");
		if (old == NULL)
			goto nomem;
		rename(pg->log_path, old);
		free(old);
	}
	pg->log_fd = open(pg->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (pg->log_fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", pg->log_path, strerror(errno));
		return -1;
	}
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* True if the server's user can reach dir (search permission on it and every parent). */
static bool
pg_reachable(const zs_pg *pg, const char *dir)
{
	if (!pg->as_user)
		return true;
	pid_t pid = fork();
	if (pid == 0) {
		if (setgroups(1, &pg->gid) != 0 || setgid(pg->gid) != 0 || setuid(pg->uid) != 0)
			_exit(2);
		_exit(access(dir, X_OK) == 0 ? 0 : 1);
	}
	int status;
	if (pid < 0)
		return false;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static uint64_t
pg_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL; /* FNV-1a */
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char) *s) * 1099511628211ULL;
	return h;
}

/* Chooses PGDATA: DATA_DIR/pg, or /var/tmp/zsnode-pg-<hash> when the postgres user
 * cannot reach DATA_DIR (e.g. under /root). */
static int
pg_setup_pgdata(zs_pg *pg, char *err, size_t errlen)
{
	if (pg_reachable(pg, pg->data_dir)) {
		pg->pgdata = pg_join(pg->data_dir, "pg");
	} else if (asprintf(&pg->pgdata, "/var/tmp/zsnode-pg-%016llx",
	    (unsigned long long) pg_hash(pg->data_dir)) < 0) {
		pg->pgdata = NULL;
	} else {
		zs_log(ZS_LOG_WARN, "db", "user postgres cannot reach %s: the embedded PostgreSQL keeps its "
		    "files in %s instead", pg->data_dir, pg->pgdata);
	}
	if (pg->pgdata == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (strpbrk(pg->pgdata, "\"$`\\\n") != NULL) {
		snprintf(err, errlen, "the data folder %s holds a character pg_ctl cannot quote "
		    "(\" $ ` \\ or a newline)", pg->pgdata);
		return -1;
	}
	return 0;
}

/* Makes dir (0700) owned by the server's user; an existing one must be a real folder
 * owned by that user or by us. */
static int
pg_own_dir(const zs_pg *pg, const char *dir, char *err, size_t errlen)
{
	struct stat st;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s is not a folder", dir);
		return -1;
	}
	uid_t uid = pg->as_user ? pg->uid : geteuid();
	if (st.st_uid != uid && st.st_uid != geteuid()) {
		snprintf(err, errlen, "%s belongs to uid %ld, not to the server's user (uid %ld)", dir,
		    (long) st.st_uid, (long) uid);
		return -1;
	}
	if ((pg->as_user && chown(dir, pg->uid, pg->gid) != 0) || chmod(dir, 0700) != 0) {
		snprintf(err, errlen, "cannot give %s to the server's user: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

static bool
pg_bindir_ok(const char *dir)
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

/* Highest /usr/lib/postgresql/N/bin with the tools (Debian's layout) into best. */
static void
pg_debian_bindir(char *best, size_t len)
{
	DIR *d = opendir("/usr/lib/postgresql");
	long top = -1;
	struct dirent *e;
	while (d != NULL && (e = readdir(d)) != NULL) {
		char *end, dir[PATH_MAX];
		long v = strtol(e->d_name, &end, 10);
		snprintf(dir, sizeof dir, "/usr/lib/postgresql/%s/bin", e->d_name);
		if (*end == '\0' && v > top && pg_bindir_ok(dir)) {
			top = v;
			snprintf(best, len, "%s", dir);
		}
	}
	if (d != NULL)
		closedir(d);
}

/* Finds initdb, pg_ctl and postgres: the cluster's own version first, then the newest
 * Debian install, the usual prefixes, then PATH. */
static int
pg_setup_bindir(zs_pg *pg, char *err, size_t errlen)
{
	char version[16] = "", *path = getenv("PATH"), dir[PATH_MAX];
	char *pv = pg_join(pg->pgdata, "PG_VERSION");
	if (pv != NULL && pg_read_line(pv, 1, version, sizeof version) == 0) {
		snprintf(dir, sizeof dir, "/usr/lib/postgresql/%s/bin", version);
		if (pg_bindir_ok(dir))
			snprintf(pg->bindir, sizeof pg->bindir, "%s", dir);
		snprintf(dir, sizeof dir, "/usr/pgsql-%s/bin", version);
		if (!pg->bindir[0] && pg_bindir_ok(dir))
			snprintf(pg->bindir, sizeof pg->bindir, "%s", dir);
	}
	free(pv);
	if (!pg->bindir[0])
		pg_debian_bindir(pg->bindir, sizeof pg->bindir);
	const char *fixed[] = { "/usr/local/pgsql/bin", "/usr/lib/postgresql/bin", "/usr/bin",
		"/usr/local/bin" };
	for (size_t i = 0; !pg->bindir[0] && i < sizeof fixed / sizeof fixed[0]; i++)
		if (pg_bindir_ok(fixed[i]))
			snprintf(pg->bindir, sizeof pg->bindir, "%s", fixed[i]);
	for (const char *p = path; !pg->bindir[0] && p != NULL && *p != '\0';) {
		size_t n = strcspn(p, ":");
		snprintf(dir, sizeof dir, "%.*s", (int) n, p);
		if (n > 0 && pg_bindir_ok(dir))
			snprintf(pg->bindir, sizeof pg->bindir, "%s", dir);
		p += n + (p[n] == ':');
	}
	if (!pg->bindir[0]) {
		snprintf(err, errlen, "no PostgreSQL server found (initdb, pg_ctl, postgres in "
		    "/usr/lib/postgresql/*/bin or PATH): install postgresql, or set a database URL");
		return -1;
	}
	return 0;
}

/* The commands' environment: nothing of ours (PGHOST, PGPORT, ...) leaks in. */
static int
pg_setup_env(zs_pg *pg)
{
	const char *tz = getenv("TZ");
	if (asprintf(&pg->env[0], "PATH=%s:/usr/bin:/bin", pg->bindir) < 0) {
		pg->env[0] = NULL;
		return -1;
	}
	pg->env[1] = strdup("LC_ALL=C");
	if (tz != NULL && asprintf(&pg->env[2], "TZ=%s", tz) < 0)
		pg->env[2] = NULL;
	return pg->env[1] != NULL ? 0 : -1;
}

static int
pg_setup(zs_pg *pg, const char *data_dir, char *err, size_t errlen)
{
	long max = sysconf(_SC_OPEN_MAX);
	pg->max_fd = max > 0 && max < 65536 ? (int) max : 65536;
	if (mkdir(data_dir, 0755) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", data_dir, strerror(errno));
		return -1;
	}
	pg->data_dir = realpath(data_dir, NULL);
	if (pg->data_dir == NULL) {
		snprintf(err, errlen, "%s: %s", data_dir, strerror(errno));
		return -1;
	}
	if (pg_setup_user(pg, err, errlen) != 0 || pg_setup_log(pg, err, errlen) != 0 ||
	    pg_setup_pgdata(pg, err, errlen) != 0 ||
	    pg_own_dir(pg, pg->pgdata, err, errlen) != 0 ||
	    pg_setup_bindir(pg, err, errlen) != 0)
		return -1;
	if (pg_setup_env(pg) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* ---- the cluster ---- */

static bool
pg_dir_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool empty = true;
	while (d != NULL && empty && (e = readdir(d)) != NULL)
		empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
	if (d != NULL)
		closedir(d);
	return empty;
}

/* initdb on first start, then the include of zsnode.conf into postgresql.conf. */
static int
pg_initdb(zs_pg *pg, char *err, size_t errlen)
{
	if (pg_exists(pg->pgdata, "PG_VERSION"))
		return 0;
	if (!pg_dir_empty(pg->pgdata)) {
		snprintf(err, errlen, "%s is not empty and holds no PostgreSQL cluster (no "
		    "PG_VERSION): move it away", pg->pgdata);
		return -1;
	}
	char initdb[PATH_MAX + 8];
	snprintf(initdb, sizeof initdb, "%s/initdb", pg->bindir);
	char *argv[] = { initdb, "-D", pg->pgdata, "-U", PG_USER, "-A", "trust", "-E", "UTF8",
		"--locale=C", NULL };
	if (pg_run(pg, "initdb", argv, err, errlen) != 0)
		return -1;
	static const char include[] =
	    "\n# zsnode: its settings (socket, no TCP) are rewritten at each start\n"
	    "include 'zsnode.conf'\n";
	char *conf = pg_join(pg->pgdata, "postgresql.conf");
	int fd = conf != NULL ? open(conf, O_WRONLY | O_APPEND | O_CLOEXEC) : -1;
	bool ok = fd >= 0 && write(fd, include, sizeof include - 1) == (ssize_t) sizeof include - 1;
	if (!ok)
		snprintf(err, errlen, "cannot append to %s: %s", conf ? conf : "postgresql.conf",
		    strerror(errno));
	if (fd >= 0)
		close(fd);
	free(conf);
	return ok ? 0 : -1;
}

/* Removes a socket and its lock left in dir by a server that is gone. */
static void
pg_clear_socket(const zs_pg *pg, const char *dir)
{
	char lock[PATH_MAX], sock[PATH_MAX], pid[32];
	snprintf(sock, sizeof sock, "%s" PG_SOCK_FILE, dir);
	snprintf(lock, sizeof lock, "%s" PG_SOCK_FILE ".lock", dir);
	if (pg_read_line(lock, 1, pid, sizeof pid) == 0 &&
	    pg_pid_check(strtol(pid, NULL, 10), pg->pgdata, PID_OURS) != PID_OURS) {
		unlink(sock);
		unlink(lock);
	}
}

/* A private socket folder named in postmaster.pid: cleared and removed. */
static void
pg_clear_old_sock_dir(const zs_pg *pg, const char *dir)
{
	if (strncmp(dir, PG_TMP_SOCK, strlen(PG_TMP_SOCK)) != 0 ||
	    strchr(dir + strlen(PG_TMP_SOCK), '/') != NULL)
		return;
	pg_clear_socket(pg, dir);
	rmdir(dir);
}

/* Stops the server of pgdata: fast, then immediate, then SIGKILL; clears its files.
 * 0 when nothing of it runs any more. */
static int
pg_stop_server(const zs_pg *pg, char *err, size_t errlen)
{
	static const char *modes[] = { "fast", "immediate" };
	char *pidfile = pg_join(pg->pgdata, "postmaster.pid"), line[64];
	if (pidfile == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i <= 2 && pg_read_line(pidfile, 1, line, sizeof line) == 0; i++) {
		long pid = strtol(line, NULL, 10);
		if (pg_pid_check(pid, pg->pgdata, PID_OURS) != PID_OURS) {
			unlink(pidfile); /* stale: the server is gone */
			break;
		}
		if (i == 2) {
			zs_log(ZS_LOG_WARN, "db", "PostgreSQL (pid %ld) does not stop: killing it", pid);
			kill((pid_t) pid, SIGKILL);
			pg_wait_procs(pg->pgdata, PG_GONE_MS);
			unlink(pidfile);
			break;
		}
		if (pg_ctl(pg, "stop", modes[i], err, errlen) != 0)
			zs_log(ZS_LOG_WARN, "db", "%s", err);
	}
	free(pidfile);
	if (pg_wait_procs(pg->pgdata, PG_GONE_MS) > 0) {
		zs_log(ZS_LOG_WARN, "db", "server processes of %s outlived their postmaster: killing them",
		    pg->pgdata);
		pg_procs_in(pg->pgdata, SIGKILL);
		if (pg_wait_procs(pg->pgdata, 2000) > 0) {
			snprintf(err, errlen, "processes of PostgreSQL still run in %s", pg->pgdata);
			return -1;
		}
	}
	pg_clear_socket(pg, pg->pgdata);
	return 0;
}

/* A server an earlier run left behind: stopped if it still runs (to restart it with
 * this run's settings); its lock files cleared if it is gone. */
static int
pg_clear_stale(zs_pg *pg, char *err, size_t errlen)
{
	char *pidfile = pg_join(pg->pgdata, "postmaster.pid"), line[64], old_sock[PATH_MAX] = "";
	if (pidfile == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int rv = 0;
	if (pg_read_line(pidfile, 1, line, sizeof line) == 0) {
		long pid = strtol(line, NULL, 10);
		pg_read_line(pidfile, 5, old_sock, sizeof old_sock);
		if (pg_pid_check(pid, pg->pgdata, PID_OURS) == PID_OURS)
			zs_log(ZS_LOG_WARN, "db", "PostgreSQL (pid %ld) left running in %s by an earlier run: "
			    "stopping it to start afresh", pid, pg->pgdata);
		else
			zs_log(ZS_LOG_INFO, "db", "clearing the stale postmaster.pid of %s (pid %ld is gone)",
			    pg->pgdata, pid);
		rv = pg_stop_server(pg, err, errlen);
		if (rv == 0 && old_sock[0] != '\0' && strcmp(old_sock, pg->pgdata) != 0)
			pg_clear_old_sock_dir(pg, old_sock);
	} else {
		pg_clear_socket(pg, pg->pgdata);
	}
	free(pidfile);
	return rv;
}

/* The socket's folder: PGDATA, or a private /tmp folder if that path is too long. */
static int
pg_setup_socket(zs_pg *pg, char *err, size_t errlen)
{
	if (strlen(pg->pgdata) + strlen(PG_SOCK_FILE) <= PG_SOCK_MAX) {
		pg->sock_dir = strdup(pg->pgdata);
		if (pg->sock_dir == NULL)
			snprintf(err, errlen, "out of memory");
		return pg->sock_dir != NULL ? 0 : -1;
	}
	char tmpl[] = PG_TMP_SOCK "XXXXXX";
	if (mkdtemp(tmpl) == NULL || (pg->sock_dir = strdup(tmpl)) == NULL) {
		snprintf(err, errlen, "cannot create a socket folder in /tmp: %s", strerror(errno));
		return -1;
	}
	pg->own_sock_dir = true;
	if (pg->as_user && chown(tmpl, pg->uid, pg->gid) != 0) {
		snprintf(err, errlen, "cannot give %s to user postgres: %s", tmpl, strerror(errno));
		return -1;
	}
	zs_log(ZS_LOG_INFO, "db", "%s is too long for a unix socket path: PostgreSQL's socket is in %s",
	    pg->pgdata, pg->sock_dir);
	return 0;
}

/* PGDATA/zsnode.conf: no TCP, the socket folder, its permissions. */
static int
pg_write_conf(const zs_pg *pg, char *err, size_t errlen)
{
	char *path = pg_join(pg->pgdata, "zsnode.conf"), *text = NULL;
	size_t n = strlen(pg->sock_dir), k = 0;
	char *quoted = malloc(2 * n + 1);
	for (size_t i = 0; quoted != NULL && i <= n; i++) {
		if (pg->sock_dir[i] == '\'')
			quoted[k++] = '\'';
		quoted[k++] = pg->sock_dir[i];
	}
	int len = quoted == NULL ? -1 : asprintf(&text,
	    "# written by zsnode at each start of its embedded PostgreSQL: edits are lost\n"
	    "listen_addresses = ''\n"
	    "port = " PG_PORT "\n"
	    "unix_socket_directories = '%s'\n"
	    "unix_socket_permissions = 0700\n", quoted);
	free(quoted);
	int fd = path != NULL && len >= 0 ?
	    open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600) : -1;
	bool ok = fd >= 0 && write(fd, text, (size_t) len) == len &&
	    (!pg->as_user || fchown(fd, pg->uid, pg->gid) == 0);
	if (!ok)
		snprintf(err, errlen, "cannot write %s: %s", path ? path : "zsnode.conf",
		    strerror(errno));
	if (fd >= 0)
		close(fd);
	free(path);
	free(text);
	return ok ? 0 : -1;
}

/* Creates the database "zsnode" if it is not there yet. */
static int
pg_create_db(const zs_pg *pg, char *err, size_t errlen)
{
	const char *keys[] = { "host", "port", "user", "dbname", "connect_timeout", NULL };
	const char *values[] = { pg->sock_dir, PG_PORT, PG_USER, "postgres", "10", NULL };
	PGconn *c = PQconnectdbParams(keys, values, 0);
	if (PQstatus(c) != CONNECTION_OK) {
		snprintf(err, errlen, "cannot connect to the embedded PostgreSQL: %s",
		    PQerrorMessage(c));
		err[strcspn(err, "\n")] = '\0';
		PQfinish(c);
		return -1;
	}
	PGresult *r = PQexec(c, "SELECT 1 FROM pg_database WHERE datname = '" PG_DB "'");
	bool there = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
	PQclear(r);
	int rv = 0;
	if (!there) {
		r = PQexec(c, "CREATE DATABASE " PG_DB);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			snprintf(err, errlen, "CREATE DATABASE " PG_DB ": %s", PQresultErrorMessage(r));
			err[strcspn(err, "\n")] = '\0';
			rv = -1;
		}
		PQclear(r);
	}
	PQfinish(c);
	return rv;
}

/* "host='<socket folder>' port=5432 user=zsnode dbname=zsnode" (caller frees). */
static char *
pg_conninfo(const zs_pg *pg)
{
	size_t n = strlen(pg->sock_dir), k = 0;
	char *host = malloc(2 * n + 1), *out = NULL;
	if (host == NULL)
		return NULL;
	for (size_t i = 0; i <= n; i++) {
		if (pg->sock_dir[i] == '\'' || pg->sock_dir[i] == '\\')
			host[k++] = '\\';
		host[k++] = pg->sock_dir[i];
	}
	if (asprintf(&out, "host='%s' port=" PG_PORT " user=" PG_USER " dbname=" PG_DB, host) < 0)
		out = NULL;
	free(host);
	return out;
}

/* The postmaster's pid from postmaster.pid, or 0. */
static long
pg_read_pid(const zs_pg *pg)
{
	char *pidfile = pg_join(pg->pgdata, "postmaster.pid"), line[32];
	long pid = pidfile != NULL && pg_read_line(pidfile, 1, line, sizeof line) == 0 ?
	    strtol(line, NULL, 10) : 0;
	free(pidfile);
	return pid;
}

/* pg_ctl start, then waits until it accepts connections; what is left of a failed start
 * is stopped. 0, or -1 with err. */
static int
pg_start_server(zs_pg *pg, char *err, size_t errlen)
{
	off_t log_from = lseek(pg->log_fd, 0, SEEK_END);
	if (pg_ctl(pg, "start", NULL, err, errlen) != 0 ||
	    pg_wait_ready(pg, log_from < 0 ? 0 : log_from, err, errlen) != 0) {
		char why[256];
		pg_stop_server(pg, why, sizeof why); /* in case it came up too late */
		return -1;
	}
	pg->pid = pg_read_pid(pg);
	return 0;
}

static void
pg_free(zs_pg *pg)
{
	if (pg->own_sock_dir) {
		pg_clear_socket(pg, pg->sock_dir);
		rmdir(pg->sock_dir);
	}
	if (pg->log_fd >= 0)
		close(pg->log_fd);
	for (size_t i = 0; i < sizeof pg->env / sizeof pg->env[0]; i++)
		free(pg->env[i]);
	free(pg->data_dir);
	free(pg->pgdata);
	free(pg->sock_dir);
	free(pg->log_path);
	free(pg);
}

int
zs_pg_start(const char *data_dir, zs_pg **out, char **conninfo, char *err, size_t errlen)
{
	*out = NULL;
	*conninfo = NULL;
	zs_pg *pg = calloc(1, sizeof *pg);
	if (pg == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pg->log_fd = -1;
	if (pg_setup(pg, data_dir, err, errlen) != 0 || pg_initdb(pg, err, errlen) != 0 ||
	    pg_clear_stale(pg, err, errlen) != 0 || pg_setup_socket(pg, err, errlen) != 0 ||
	    pg_write_conf(pg, err, errlen) != 0) {
		pg_free(pg);
		return -1;
	}
	if (pg_start_server(pg, err, errlen) != 0) {
		pg_free(pg);
		return -1;
	}
	if (pg_create_db(pg, err, errlen) != 0) {
		zs_pg_stop(pg);
		return -1;
	}
	*conninfo = pg_conninfo(pg);
	if (*conninfo == NULL) {
		snprintf(err, errlen, "out of memory");
		zs_pg_stop(pg);
		return -1;
	}
	*out = pg;
	return 0;
}

void
zs_pg_stop(zs_pg *pg)
{
	if (pg == NULL)
		return;
	char err[1024];
	if (pg_stop_server(pg, err, sizeof err) != 0)
		zs_log(ZS_LOG_ERROR, "db", "stopping the embedded PostgreSQL: %s", err);
	pg_free(pg);
}

bool
zs_pg_running(const zs_pg *pg)
{
	return pg_pid_check(pg->pid, pg->pgdata, PID_OURS) == PID_OURS;
}

long
zs_pg_pid(const zs_pg *pg)
{
	return pg->pid;
}

int
zs_pg_restart(zs_pg *pg, char *err, size_t errlen)
{
	/* what the dead server left (its pid file, backends still ending, the socket) goes
	 * first, as at a start after a crash; a server still running is stopped */
	if (pg_stop_server(pg, err, errlen) != 0 || pg_write_conf(pg, err, errlen) != 0)
		return -1;
	return pg_start_server(pg, err, errlen);
}

const char *
zs_pg_data_dir(const zs_pg *pg)
{
	return pg->pgdata;
}

const char *
zs_pg_log_path(const zs_pg *pg)
{
	return pg->log_path;
}
