/*
 * migration_test.c: a service's SQL migrations when one fails, is fixed, or is changed
 * after it ran. The migtest plugin (migtest.xml) lists sql/001_ok.sql and
 * sql/002_bad.sql, whose first statements make a table before a later one fails. Against
 * a PostgreSQL of the test's own (db.url, so the tables can be read after zsnode exits),
 * it checks: the node does not start (exit non-zero) and its stderr names the service,
 * 002_bad.sql, the line and PostgreSQL's message; nothing of 002 was applied (its table
 * is not there, zs_schema_migrations holds version 1 only); with the descriptor pointed
 * at a fixed file the node starts and applies it; a third start applies nothing; and a
 * change to an applied file stops the start, naming that file. Last, a failing migration
 * under the embedded PostgreSQL leaves no server running. Arguments: zsnode, the built
 * plugins folder, the folder migtest is built into (with its descriptor and sql/).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flt_pg.h"
#include "zst_node.h"

#define MT_ALARM_S 80
#define MT_EXIT_MS 30000      /* a start that fails ends within this */

static char mt_built[PATH_MAX];   /* the folder migtest is built into */

/* ---- the plugins folder ---- */

/* Links every entry of from into to; of migtest's folder, all but migtest.xml and sql/
 * (the test writes copies of those, to change them). */
static int
mt_link_all(const char *from, const char *to, bool migtest)
{
	DIR *dh = opendir(from);
	if (dh == NULL)
		return -1;
	struct dirent *de;
	int rv = 0;
	while (rv == 0 && (de = readdir(dh)) != NULL) {
		char src[PATH_MAX + 256], dst[PATH_MAX + 256];
		if (de->d_name[0] == '.' || (migtest && (strcmp(de->d_name, "migtest.xml") == 0 ||
		    strcmp(de->d_name, "sql") == 0)))
			continue;
		snprintf(src, sizeof src, "%s/%s", from, de->d_name);
		snprintf(dst, sizeof dst, "%s/%s", to, de->d_name);
		rv = symlink(src, dst);
	}
	closedir(dh);
	return rv;
}

/* Copies migtest's sql/NAME into dir/sql/NAME. */
static int
mt_copy_sql(const char *dir, const char *name)
{
	char from[PATH_MAX + 64], to[PATH_MAX + 64];
	snprintf(from, sizeof from, "%s/sql/%s", mt_built, name);
	snprintf(to, sizeof to, "%s/sql/%s", dir, name);
	return zst_copy_file(from, to);
}

/* Writes dir/migtest.xml from the built one, its second migration being second. */
static int
mt_write_descriptor(const char *dir, const char *second)
{
	char from[PATH_MAX + 32], to[PATH_MAX + 32], *out = NULL;
	snprintf(from, sizeof from, "%s/migtest.xml", mt_built);
	snprintf(to, sizeof to, "%s/migtest.xml", dir);
	char *text = zst_read_file(from);
	const char *at = text != NULL ? strstr(text, "sql/002_bad.sql") : NULL;
	int rv = -1;
	if (at != NULL && asprintf(&out, "%.*s%s%s", (int) (at - text), text, second,
	    at + strlen("sql/002_bad.sql")) >= 0)
		rv = zst_write_file(to, out);
	free(out);
	free(text);
	return rv;
}

/* A temp plugins folder: links to the built plugins and libzs_migtest.so, copies of the
 * descriptor (listing 002_bad.sql) and of the SQL files. */
static int
mt_plugins_dir(char *dir, size_t len)
{
	char sql[PATH_MAX];
	if (zst_mkdtemp(dir, len) != 0 || mt_link_all(zst_plugins(), dir, false) != 0 ||
	    mt_link_all(mt_built, dir, true) != 0)
		return -1;
	snprintf(sql, sizeof sql, "%s/sql", dir);
	if (mkdir(sql, 0755) != 0 || mt_copy_sql(dir, "001_ok.sql") != 0 ||
	    mt_copy_sql(dir, "002_bad.sql") != 0 || mt_copy_sql(dir, "002_good.sql") != 0)
		return -1;
	return mt_write_descriptor(dir, "sql/002_bad.sql");
}

/* ---- starts ---- */

/* Starts a node that should refuse to start: its exit code (-1: it did not end). The
 * node stays in n for its stderr; the caller cleans it up. */
static int
mt_start_fails(zst_node *n, const char *plugins, const char *const *sets, const char *what)
{
	if (zst_node_spawn(n, plugins, sets) != 0)
		return -1;
	int code = zst_node_wait_exit(n, MT_EXIT_MS);
	if (code == 0 || code == -1)
		zst_node_dump_stderr(n);
	zst_node_check_sanitizers(n, what);
	return code;
}

/* Starts a node that should serve and stops it (checked: exit 0, clean stderr). */
static bool
mt_start_serves(const char *plugins, const char *const *sets, const char *what)
{
	zst_node n;
	if (!ZST_CHECK(zst_node_start(&n, plugins, sets) == 0, "%s: the node starts", what))
		return false;
	ZST_CHECK(zst_node_stderr_has(&n, "migtest started"), "%s: migtest is started", what);
	ZST_CHECK(zst_node_stop(&n) == 0, "%s: the node stops cleanly", what);
	zst_node_cleanup(&n);
	return true;
}

/* ---- what is in the database ---- */

/* The result of sql (caller frees); "?" when it failed. */
static char *
mt_value(const flt_pg *pg, const char *sql)
{
	PGconn *c = flt_sql_connect(pg->conninfo);
	char *v = c != NULL ? flt_sql_value(c, sql) : NULL;
	PQfinish(c);
	return v != NULL ? v : strdup("?");
}

/* Every row of zs_schema_migrations (caller frees). */
static char *
mt_records(const flt_pg *pg)
{
	PGconn *c = flt_sql_connect(pg->conninfo);
	char *v = c != NULL ? flt_sql_rows(c, "SELECT service, version, file, checksum, applied_at "
	    "FROM zs_schema_migrations ORDER BY service, version") : NULL;
	PQfinish(c);
	return v != NULL ? v : strdup("?");
}

/* How many lines text has. */
static int
mt_lines(const char *text)
{
	int n = 0;
	for (; *text != '\0'; text++)
		n += *text == '\n';
	return n;
}

static void
mt_check_value(const flt_pg *pg, const char *sql, const char *want, const char *what)
{
	char *v = mt_value(pg, sql);
	ZST_CHECK(strcmp(v, want) == 0, "%s (\"%s\")", what, v);
	free(v);
}

#define MT_VERSIONS "SELECT coalesce(string_agg(version::text || ':' || file, ',' ORDER BY " \
	"version), '') FROM zs_schema_migrations WHERE service = 'migtest'"
#define MT_TABLE(t) "SELECT coalesce(to_regclass('" t "')::text, 'none')"

/* Shows the line where zsnode says why it did not start. */
static void
mt_note_error(const char *err)
{
	const char *line = strstr(err, "zsnode: ");
	if (line != NULL)
		zst_note("%.*s", (int) strcspn(line, "\n"), line);
}

/* ---- the cases ---- */

static void
test_bad_migration(const flt_pg *pg, const char *plugins, const char *const *sets)
{
	zst_node n;
	int code = mt_start_fails(&n, plugins, sets, "zsnode with 002_bad.sql");
	ZST_CHECK(code > 0 && code < 128, "with 002_bad.sql the node exits non-zero (%d)", code);
	char *err = zst_node_stderr(&n);
	ZST_CHECK(strstr(err, "service migtest") != NULL, "its stderr names the service migtest");
	ZST_CHECK(strstr(err, "002_bad.sql") != NULL, "its stderr names the file 002_bad.sql");
	ZST_CHECK(strstr(err, "line 7") != NULL, "its stderr names the failing line (7)");
	ZST_CHECK(strstr(err, "relation \"migtest_missing\" does not exist") != NULL,
	    "its stderr quotes PostgreSQL's message");
	ZST_CHECK(strstr(err, "migtest started") == NULL, "migtest was never started");
	if (strstr(err, "002_bad.sql") == NULL)
		zst_node_dump_stderr(&n);
	else
		mt_note_error(err);
	free(err);
	zst_node_cleanup(&n);
	mt_check_value(pg, MT_TABLE("migtest_first"), "migtest_first", "001_ok.sql was applied");
	mt_check_value(pg, MT_TABLE("migtest_second"), "none",
	    "the table 002_bad.sql made before failing is not there");
	mt_check_value(pg, MT_VERSIONS, "1:001_ok.sql",
	    "zs_schema_migrations holds version 1 only for migtest");
}

static void
test_fixed_migration(const flt_pg *pg, const char *plugins, const char *const *sets)
{
	ZST_CHECK(mt_write_descriptor(plugins, "sql/002_good.sql") == 0,
	    "the descriptor now lists sql/002_good.sql");
	if (!mt_start_serves(plugins, sets, "with 002 fixed"))
		return;
	mt_check_value(pg, MT_VERSIONS, "1:001_ok.sql,2:002_good.sql",
	    "versions 1 and 2 of migtest are recorded");
	mt_check_value(pg, MT_TABLE("migtest_second"), "migtest_second", "002_good.sql's table is there");
	mt_check_value(pg, "SELECT count(*) FROM migtest_first", "2", "002_good.sql's row is there");
}

static void
test_nothing_new(const flt_pg *pg, const char *plugins, const char *const *sets)
{
	char *before = mt_records(pg);
	if (!mt_start_serves(plugins, sets, "a third start"))
		return;
	char *after = mt_records(pg);
	ZST_CHECK(strcmp(before, after) == 0 && strcmp(before, "?") != 0,
	    "a third start applies nothing new (the %d rows of zs_schema_migrations are unchanged)",
	    mt_lines(after));
	mt_check_value(pg, "SELECT count(*) FROM migtest_first", "2", "no migration ran twice");
	free(before);
	free(after);
}

static void
test_changed_file(const flt_pg *pg, const char *plugins, const char *const *sets)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/sql/001_ok.sql", plugins);
	char *text = zst_read_file(path), *changed = NULL;
	ZST_CHECK(text != NULL && asprintf(&changed, "%s-- an edit after it was applied\n", text) >= 0 &&
	    zst_write_file(path, changed) == 0, "001_ok.sql is changed after it was applied");
	free(text);
	free(changed);
	char *before = mt_records(pg);
	zst_node n;
	int code = mt_start_fails(&n, plugins, sets, "zsnode with 001_ok.sql changed");
	ZST_CHECK(code > 0 && code < 128, "with 001_ok.sql changed the node exits non-zero (%d)", code);
	ZST_CHECK(zst_node_stderr_has(&n, "service migtest") && zst_node_stderr_has(&n, "001_ok.sql"),
	    "its stderr names the service and 001_ok.sql");
	ZST_CHECK(zst_node_stderr_has(&n, "checksum"), "its stderr says the content changed");
	zst_node_cleanup(&n);
	char *after = mt_records(pg);
	ZST_CHECK(strcmp(before, after) == 0, "zs_schema_migrations is unchanged");
	free(before);
	free(after);
}

/* With no db.url: the failing start stops the embedded PostgreSQL it started. */
static void
test_embedded_failure(void)
{
	char plugins[256], pgdata[320];
	if (!ZST_CHECK(mt_plugins_dir(plugins, sizeof plugins) == 0, "a second plugins folder"))
		return;
	zst_node n;
	int code = mt_start_fails(&n, plugins, NULL, "zsnode on its embedded PostgreSQL");
	snprintf(pgdata, sizeof pgdata, "%s/pg", n.data_dir);
	flt_alarm_watch(pgdata);
	ZST_CHECK(code > 0 && code < 128 && zst_node_stderr_has(&n, "002_bad.sql"),
	    "on the embedded PostgreSQL too, 002_bad.sql stops the start (exit %d)", code);
	int left = flt_wait_no_procs(pgdata, 5000);
	ZST_CHECK(left == 0, "the failed start leaves no PostgreSQL process in %s (%d)", pgdata, left);
	char pidfile[352];
	snprintf(pidfile, sizeof pidfile, "%s/postmaster.pid", pgdata);
	char socks[256];
	flt_sockets(pgdata, socks, sizeof socks);
	ZST_CHECK(access(pidfile, F_OK) != 0 && socks[0] == '\0',
	    "nor a postmaster.pid, socket or socket lock (%s)", socks[0] ? socks : "none");
	if (left > 0)
		flt_procs_in(pgdata, SIGKILL);
	zst_node_cleanup(&n);
	flt_reap_any(); /* the server zsnode stopped was our child (flt_pg's subreaper) */
	zst_rmtree(plugins);
}

int
main(int argc, char **argv)
{
	if (argc < 4 || realpath(argv[3], mt_built) == NULL) {
		printf("usage: migration_test ZSNODE PLUGINS_DIR MIGTEST_DIR\n");
		return 2;
	}
	if (zst_init(argc, argv, "migration", MT_ALARM_S) != 0)
		return 1;
	flt_alarm(MT_ALARM_S);
	int64_t t0 = zst_now_ms();
	static flt_pg pg;
	char plugins[256], url[600];
	bool ready = ZST_CHECK(flt_pg_init(&pg) == 0, "a PostgreSQL of the test's own runs") &&
	    ZST_CHECK(mt_plugins_dir(plugins, sizeof plugins) == 0,
	    "a plugins folder with the built plugins and migtest (listing 002_bad.sql)");
	snprintf(url, sizeof url, "db.url=%s", pg.conninfo);
	const char *sets[] = { url, NULL };
	if (ready) {
		test_bad_migration(&pg, plugins, sets);
		test_fixed_migration(&pg, plugins, sets);
		test_nothing_new(&pg, plugins, sets);
		test_changed_file(&pg, plugins, sets);
		zst_rmtree(plugins);
	}
	flt_pg_destroy(&pg);
	if (ready)
		test_embedded_failure();
	zst_note("took %lld ms", (long long) (zst_now_ms() - t0));
	return zst_summary();
}
