/*
 * embedded_test.c: the embedded PostgreSQL (no db.url) across the ways zsnode ends. The
 * data folder sits in a temp folder the postgres user can reach (0755), so the cluster
 * must live in DATA_DIR/pg, not in the /var/tmp/zsnode-pg-<hash> fallback. It checks:
 * the node starts its server there and says where in its log; after SIGTERM, and again
 * after SIGINT, no process works in PGDATA (/proc/PID/cwd), and no postmaster.pid,
 * socket or socket lock is left; after SIGKILL of zsnode (its server left running) the
 * next start recovers and serves, and its own stop again leaves nothing; an account made
 * through zs.identity.v1.Identity/CreateAccount outlives every restart; with zsnode and
 * its postmaster both killed, the next start clears the stale pid file. Last, a data
 * folder the postgres user cannot reach (under a 0700 folder) puts the cluster in the
 * /var/tmp fallback, which also stops clean; the test removes that folder (its name is
 * computed from the data folder, so no other run's is touched).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flt_pg.h"
#include "zs/client.h"
#include "zs/identity/v1/identity.zsc.h"
#include "zst_node.h"

#define EMB_ALARM_S 100
#define EMB_USER "fault-user"
#define EMB_PASSWORD "fault-User-Pa55word"

/* One data folder and what the checks need to know about it. */
typedef struct emb {
	char root[256];           /* temp folder holding data/ */
	char data_dir[288];
	char pgdata[300];         /* where the cluster should be */
	char fallback[64];        /* /var/tmp/zsnode-pg-<hash of data_dir> */
	char set_data[320];       /* "data.dir=..." */
	long postmasters[16];     /* seen while serving: reaped after each stop */
	int n_postmasters;
} emb;

/* ---- setup ---- */

/* The fallback folder zs_db_pg.c picks for data_dir (FNV-1a of its real path). */
static void
emb_fallback_name(const char *data_dir, char *out, size_t len)
{
	uint64_t h = 14695981039346656037ULL;
	for (const char *s = data_dir; *s != '\0'; s++)
		h = (h ^ (unsigned char) *s) * 1099511628211ULL;
	snprintf(out, len, "/var/tmp/zsnode-pg-%016llx", (unsigned long long) h);
}

/* A temp root (mode) with data/ in it; pgdata is where the cluster should go. */
static int
emb_setup(emb *e, mode_t mode, bool fallback)
{
	memset(e, 0, sizeof *e);
	if (zst_mkdtemp(e->root, sizeof e->root) != 0 || chmod(e->root, mode) != 0)
		return -1;
	snprintf(e->data_dir, sizeof e->data_dir, "%s/data", e->root);
	snprintf(e->set_data, sizeof e->set_data, "data.dir=%s", e->data_dir);
	emb_fallback_name(e->data_dir, e->fallback, sizeof e->fallback);
	snprintf(e->pgdata, sizeof e->pgdata, "%s", fallback ? e->fallback : e->data_dir);
	if (!fallback)
		snprintf(e->pgdata + strlen(e->pgdata), sizeof e->pgdata - strlen(e->pgdata), "/pg");
	flt_alarm_watch(e->pgdata);
	return 0;
}

static bool
emb_exists(const char *dir, const char *name)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

/* True if pid is alive and works in dir. */
static bool
emb_works_in(long pid, const char *dir)
{
	char link[64], cwd[PATH_MAX];
	snprintf(link, sizeof link, "/proc/%ld/cwd", pid);
	ssize_t n = readlink(link, cwd, sizeof cwd - 1);
	if (n <= 0)
		return false;
	cwd[n] = '\0';
	return strcmp(cwd, dir) == 0;
}

/* ---- nodes ---- */

/* Starts a node on e's data folder: 0, or -1 (the harness said why). */
static int
emb_start(emb *e, zst_node *n, const char *what)
{
	const char *sets[] = { e->set_data, NULL };
	int64_t t0 = zst_now_ms();
	int rv = zst_node_start(n, NULL, sets);
	ZST_CHECK(rv == 0, "%s: zsnode starts its PostgreSQL and serves (%lld ms)", what,
	    (long long) (zst_now_ms() - t0));
	if (rv != 0)
		return -1;
	long pm = flt_pg_postmaster(e->pgdata);
	if (pm > 0 && e->n_postmasters < 16)
		e->postmasters[e->n_postmasters++] = pm;
	ZST_CHECK(pm > 0 && flt_procs_in(e->pgdata, 0) > 0, "%s: its postmaster (pid %ld) works in %s",
	    what, pm, e->pgdata);
	return 0;
}

/* Ends the node with sig: it must exit 0 with a clean stderr. */
static void
emb_stop(zst_node *n, int sig, const char *signame, const char *what)
{
	int64_t t0 = zst_now_ms();
	kill(n->pid, sig);
	int code = zst_node_wait_exit(n, ZST_STOP_MS);
	if (code < 0) {
		kill(n->pid, SIGKILL);
		zst_node_wait_exit(n, 2000);
	}
	ZST_CHECK(code == 0, "%s: zsnode exits 0 after %s (exit %d, %lld ms)", what, signame, code,
	    (long long) (zst_now_ms() - t0));
	if (zst_node_check_sanitizers(n, what) == 0 || code != 0)
		zst_node_dump_stderr(n);
}

/* Nothing of the server is left: no process, pid file, socket or lock. */
static void
emb_check_gone(emb *e, const char *what)
{
	int procs = flt_procs_in(e->pgdata, 0);
	ZST_CHECK(procs == 0, "%s: no process works in %s (%d)", what, e->pgdata, procs);
	ZST_CHECK(!emb_exists(e->pgdata, "postmaster.pid"), "%s: no postmaster.pid is left", what);
	char socks[256];
	flt_sockets(e->pgdata, socks, sizeof socks);
	ZST_CHECK(socks[0] == '\0', "%s: no socket or socket lock is left (%s)", what,
	    socks[0] ? socks : "none");
	flt_reap(e->postmasters, e->n_postmasters);
	if (procs > 0)
		flt_procs_in(e->pgdata, SIGKILL);
}

/* ---- the account that must persist ---- */

static void
emb_create_account(const zst_node *n)
{
	zs_client *c = NULL;
	Zs__Identity__V1__CreateAccountRequest req = ZS__IDENTITY__V1__CREATE_ACCOUNT_REQUEST__INIT;
	req.name = EMB_USER;
	req.password = EMB_PASSWORD;
	Zs__Identity__V1__AccountInfo *info = NULL;
	zs_status *st = NULL;
	zs_call_opts opts = { .timeout_ms = 10000, .session = n->session };
	int code = zs_client_open(&c, n->rpc_url) == 0 ?
	    zs_identity_v1_identity_create_account(c, &req, &info, &st, &opts) : -1;
	ZST_CHECK(code == ZS_CLIENT_OK, "Identity/CreateAccount makes %s (code %d: %s)", EMB_USER,
	    code, st != NULL ? st->message : "");
	zs_reply_free(info);
	zs_status_free(st);
	if (c != NULL)
		zs_client_close(c);
}

static void
emb_check_login(const zst_node *n, const char *what)
{
	char session[128], why[256];
	int code = zst_login(n->rpc_url, EMB_USER, EMB_PASSWORD, session, sizeof session, why,
	    sizeof why);
	ZST_CHECK(code == 0, "%s: %s logs in: the data persisted (code %d: %s)", what, EMB_USER,
	    code, why);
}

/* ---- the cases ---- */

static void
test_first_start(emb *e)
{
	zst_node n;
	if (emb_start(e, &n, "first start") != 0)
		return;
	ZST_CHECK(emb_exists(e->pgdata, "PG_VERSION"), "the cluster lives in DATA_DIR/pg (%s)",
	    e->pgdata);
	ZST_CHECK(access(e->fallback, F_OK) != 0, "the /var/tmp fallback (%s) is not used", e->fallback);
	char socks[256];
	flt_sockets(e->pgdata, socks, sizeof socks);
	ZST_CHECK(strstr(socks, ".lock") != NULL, "its socket is in PGDATA (%s)", socks);
	ZST_CHECK(zst_node_stderr_has(&n, e->pgdata), "zsnode's log says where its PostgreSQL is "
	    "(names %s)", e->pgdata);
	if (!zst_node_stderr_has(&n, e->pgdata))
		zst_node_dump_stderr(&n);
	emb_create_account(&n);
	emb_stop(&n, SIGTERM, "SIGTERM", "first start");
	emb_check_gone(e, "after SIGTERM");
	zst_node_cleanup(&n);
}

static void
test_sigint(emb *e)
{
	zst_node n;
	if (emb_start(e, &n, "second start") != 0)
		return;
	emb_check_login(&n, "second start");
	emb_stop(&n, SIGINT, "SIGINT", "second start");
	emb_check_gone(e, "after SIGINT");
	zst_node_cleanup(&n);
}

static void
test_sigkill(emb *e)
{
	zst_node n;
	if (emb_start(e, &n, "third start") != 0)
		return;
	long left = flt_pg_postmaster(e->pgdata);
	kill(n.pid, SIGKILL);
	int code = zst_node_wait_exit(&n, 5000);
	ZST_CHECK(code == 128 + SIGKILL, "zsnode is killed with SIGKILL (exit %d)", code);
	ZST_CHECK(left > 0 && emb_works_in(left, e->pgdata), "its PostgreSQL (pid %ld) is left running",
	    left);
	zst_node_cleanup(&n);

	if (emb_start(e, &n, "start after SIGKILL") != 0) {
		emb_check_gone(e, "after the failed start");
		return;
	}
	ZST_CHECK(zst_node_stderr_has(&n, "left running"), "its log says it found the leftover server");
	long now = flt_pg_postmaster(e->pgdata);
	zst_note("the leftover server (pid %ld) was %s (now pid %ld)", left,
	    now == left ? "reused" : "stopped and a new one started", now);
	bool left_gone = now == left || !emb_works_in(left, e->pgdata);
	ZST_CHECK(now > 0 && emb_works_in(now, e->pgdata) && left_gone,
	    "one server runs in PGDATA: the leftover one is reused or gone");
	emb_check_login(&n, "start after SIGKILL");
	emb_stop(&n, SIGTERM, "SIGTERM", "start after SIGKILL");
	emb_check_gone(e, "after SIGKILL, restart and SIGTERM");
	zst_node_cleanup(&n);
}

/* zsnode and its server both killed: the next start clears the stale pid file and lock. */
static void
test_stale(emb *e)
{
	zst_node n;
	if (emb_start(e, &n, "fifth start") != 0)
		return;
	long pm = flt_pg_postmaster(e->pgdata);
	kill(n.pid, SIGKILL);
	zst_node_wait_exit(&n, 5000);
	zst_node_cleanup(&n);
	if (pm > 0)
		kill((pid_t) pm, SIGKILL);
	int left = flt_wait_no_procs(e->pgdata, 10000);
	flt_reap(e->postmasters, e->n_postmasters);
	ZST_CHECK(pm > 0 && left == 0 && emb_exists(e->pgdata, "postmaster.pid"),
	    "zsnode and its postmaster (pid %ld) killed with SIGKILL leave a stale postmaster.pid", pm);
	if (emb_start(e, &n, "start after both were killed") != 0)
		return;
	ZST_CHECK(zst_node_stderr_has(&n, "stale postmaster.pid"), "its log says it cleared the stale "
	    "postmaster.pid");
	emb_check_login(&n, "start after both were killed");
	emb_stop(&n, SIGTERM, "SIGTERM", "start after both were killed");
	emb_check_gone(e, "after both were killed, a restart and SIGTERM");
	zst_node_cleanup(&n);
}

/* A data folder under a 0700 folder: the cluster goes to the /var/tmp fallback. */
static void
test_fallback(void)
{
	static emb e;
	if (!ZST_CHECK(emb_setup(&e, 0700, true) == 0, "a data folder the postgres user cannot reach"))
		return;
	bool had = access(e.fallback, F_OK) == 0;
	zst_node n;
	if (emb_start(&e, &n, "unreachable data folder") == 0) {
		ZST_CHECK(emb_exists(e.fallback, "PG_VERSION"), "the cluster lives in the fallback %s",
		    e.fallback);
		ZST_CHECK(zst_node_stderr_has(&n, e.fallback), "zsnode's log names the fallback");
		emb_stop(&n, SIGTERM, "SIGTERM", "unreachable data folder");
		emb_check_gone(&e, "fallback after SIGTERM");
		zst_node_cleanup(&n);
	}
	if (!had)
		zst_rmtree(e.fallback);
	ZST_CHECK(had || access(e.fallback, F_OK) != 0, "the test removed %s", e.fallback);
	chmod(e.root, 0755);
	zst_rmtree(e.root);
}

int
main(int argc, char **argv)
{
	if (zst_init(argc, argv, "embedded", EMB_ALARM_S) != 0)
		return 1;
	flt_alarm(EMB_ALARM_S);
	int64_t t0 = zst_now_ms();
	static emb e;
	if (!ZST_CHECK(flt_subreaper() == 0 && emb_setup(&e, 0755, false) == 0,
	    "a data folder the postgres user can reach"))
		return zst_summary();
	bool had = access(e.fallback, F_OK) == 0;
	test_first_start(&e);
	test_sigint(&e);
	test_sigkill(&e);
	test_stale(&e);
	ZST_CHECK(access(e.fallback, F_OK) != 0 || had, "no run made %s", e.fallback);
	if (!had)
		zst_rmtree(e.fallback);
	zst_rmtree(e.root);
	test_fallback();
	zst_note("took %lld ms", (long long) (zst_now_ms() - t0));
	return zst_summary();
}
