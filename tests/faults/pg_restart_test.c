/*
 * pg_restart_test.c: zsnode when its PostgreSQL goes away under load. The test runs a
 * PostgreSQL of its own (flt_pg.h), starts zsnode on it with db.url (so the node starts
 * none) and keeps 4 threads calling zs.job.v1.Jobs/List (a query on every call) through
 * the generated client, each call with a 5 s timeout, while it restarts the server
 * (pg_ctl restart -m fast) and then kills its postmaster with SIGKILL and starts it
 * again. It checks: every call either succeeds or fails UNAVAILABLE with a message that
 * names the database; no call takes longer than its timeout; the node stays up; calls
 * succeed again within a few seconds of each restart. Then, with the server stopped, a
 * call fails UNAVAILABLE at once (not at its timeout) and Health/Check still answers;
 * and after a last start the node serves again and stops cleanly.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flt_pg.h"
#include "zs/client.h"
#include "zs/health/v1/health.pb-c.h"
#include "zs/job/v1/job.zsc.h"
#include "zst_node.h"

#define PR_THREADS 4
#define PR_CALL_MS 5000       /* each call's timeout */
#define PR_RECOVER_MS 5000    /* calls succeed again within this after a restart */
#define PR_FAST_FAIL_MS 1000  /* a call with the server down fails within this */
#define PR_ALARM_S 80

/* What the calling threads saw (under mu). */
typedef struct pr_load {
	zs_client *client;
	zs_call_opts opts;
	atomic_bool stop;
	pthread_mutex_t mu;
	int ok, unavailable, other;
	int64_t max_ms;
	int64_t mark_ms;          /* a restart's end: first_ok is the first OK call after it */
	int64_t first_ok_ms;      /* when that call ended; 0: none yet */
	char other_msg[256];      /* the first failure that was not UNAVAILABLE */
	char unclear_msg[256];    /* the first UNAVAILABLE not naming the database */
	char unavailable_msg[256];
} pr_load;

/* ---- the load ---- */

static void
pr_record(pr_load *l, int code, const zs_status *st, int64_t t0, int64_t t1)
{
	const char *msg = st != NULL && st->message != NULL ? st->message : "";
	pthread_mutex_lock(&l->mu);
	if (t1 - t0 > l->max_ms)
		l->max_ms = t1 - t0;
	if (code == ZS_CLIENT_OK) {
		l->ok++;
		if (l->mark_ms > 0 && t0 >= l->mark_ms && l->first_ok_ms == 0)
			l->first_ok_ms = t1;
	} else if (code == ZS_CLIENT_UNAVAILABLE) {
		l->unavailable++;
		if (l->unavailable_msg[0] == '\0')
			snprintf(l->unavailable_msg, sizeof l->unavailable_msg, "%s", msg);
		if (strstr(msg, "database") == NULL && l->unclear_msg[0] == '\0')
			snprintf(l->unclear_msg, sizeof l->unclear_msg, "%s", msg[0] ? msg : "(empty)");
	} else {
		l->other++;
		if (l->other_msg[0] == '\0')
			snprintf(l->other_msg, sizeof l->other_msg, "%s (%s) after %lld ms",
			    zs_client_code_name(code), msg, (long long) (t1 - t0));
	}
	pthread_mutex_unlock(&l->mu);
}

/* One Jobs/List; returns its code and how long it took in *ms. */
static int
pr_call(pr_load *l, int64_t *ms)
{
	Zs__Job__V1__ListJobsRequest req = ZS__JOB__V1__LIST_JOBS_REQUEST__INIT;
	Zs__Job__V1__ListJobsResponse *reply = NULL;
	zs_status *st = NULL;
	int64_t t0 = zst_now_ms();
	int code = zs_job_v1_jobs_list(l->client, &req, &reply, &st, &l->opts);
	int64_t t1 = zst_now_ms();
	pr_record(l, code, st, t0, t1);
	zs_reply_free(reply);
	zs_status_free(st);
	if (ms != NULL)
		*ms = t1 - t0;
	return code;
}

static void *
pr_worker(void *arg)
{
	pr_load *l = arg;
	while (!atomic_load(&l->stop))
		if (pr_call(l, NULL) != ZS_CLIENT_OK)
			zst_sleep_ms(10); /* a failing call is fast: do not spin */
	return NULL;
}

/* Marks the end of a restart and waits until a call started after it succeeds: how long
 * that took, or -1 after PR_RECOVER_MS. */
static int64_t
pr_wait_recovered(pr_load *l)
{
	int64_t mark = zst_now_ms(), first = 0;
	pthread_mutex_lock(&l->mu);
	l->mark_ms = mark;
	l->first_ok_ms = 0;
	pthread_mutex_unlock(&l->mu);
	while (first == 0 && zst_now_ms() - mark < PR_RECOVER_MS) {
		zst_sleep_ms(10);
		pthread_mutex_lock(&l->mu);
		first = l->first_ok_ms;
		pthread_mutex_unlock(&l->mu);
	}
	return first > 0 ? first - mark : -1;
}

/* Counts (ok, unavailable, other) so far into out[3]. */
static void
pr_counts(pr_load *l, int out[3])
{
	pthread_mutex_lock(&l->mu);
	out[0] = l->ok;
	out[1] = l->unavailable;
	out[2] = l->other;
	pthread_mutex_unlock(&l->mu);
}

/* ---- the faults ---- */

static void
test_restart_fast(pr_load *l, flt_pg *pg, zst_node *n)
{
	int before[3], after[3];
	zst_sleep_ms(500);
	pr_counts(l, before);
	ZST_CHECK(before[0] > 0 && before[1] == 0 && before[2] == 0,
	    "before any fault every Jobs/List succeeds (%d ok, %d unavailable, %d other)", before[0],
	    before[1], before[2]);
	int64_t t0 = zst_now_ms();
	int rv = flt_pg_restart(pg);
	ZST_CHECK(rv == 0, "pg_ctl restart -m fast under load (%lld ms)",
	    (long long) (zst_now_ms() - t0));
	int64_t took = pr_wait_recovered(l);
	ZST_CHECK(took >= 0, "calls succeed again %lld ms after the restart (within %d ms)",
	    (long long) took, PR_RECOVER_MS);
	pr_counts(l, after);
	zst_note("during the restart: %d ok, %d unavailable, %d other", after[0] - before[0],
	    after[1] - before[1], after[2] - before[2]);
	ZST_CHECK(zst_node_alive(n), "the node is still up after the restart");
}

static void
test_kill9(pr_load *l, flt_pg *pg, zst_node *n)
{
	int before[3], after[3];
	pr_counts(l, before);
	long pm = flt_pg_postmaster(pg->pgdata);
	int rv = flt_pg_kill9(pg);
	ZST_CHECK(rv == 0, "the postmaster (pid %ld) is killed with SIGKILL and its "
	    "processes are gone", pm);
	zst_sleep_ms(700); /* calls meet a dead server for a while */
	int mid[3];
	pr_counts(l, mid);
	ZST_CHECK(mid[1] > before[1], "with the server dead, calls fail UNAVAILABLE (%d of them)",
	    mid[1] - before[1]);
	int64_t t0 = zst_now_ms();
	rv = flt_pg_start(pg);
	ZST_CHECK(rv == 0, "pg_ctl start after the kill (crash recovery, %lld ms)",
	    (long long) (zst_now_ms() - t0));
	int64_t took = pr_wait_recovered(l);
	ZST_CHECK(took >= 0, "calls succeed again %lld ms after the start (within %d ms)",
	    (long long) took, PR_RECOVER_MS);
	pr_counts(l, after);
	zst_note("during the kill and start: %d ok, %d unavailable, %d other", after[0] - before[0],
	    after[1] - before[1], after[2] - before[2]);
	ZST_CHECK(zst_node_alive(n), "the node is still up after the kill");
}

/* Runs the load through both faults, then checks what every call did. */
static void
test_under_load(pr_load *l, flt_pg *pg, zst_node *n)
{
	pthread_t threads[PR_THREADS];
	int started = 0;
	for (; started < PR_THREADS; started++)
		if (pthread_create(&threads[started], NULL, pr_worker, l) != 0)
			break;
	ZST_CHECK(started == PR_THREADS, "%d threads call Jobs/List", started);
	test_restart_fast(l, pg, n);
	test_kill9(l, pg, n);
	zst_sleep_ms(300);
	atomic_store(&l->stop, true);
	for (int i = 0; i < started; i++)
		pthread_join(threads[i], NULL); /* each call ends by its timeout */
	int c[3];
	pr_counts(l, c);
	zst_note("in all: %d ok, %d unavailable (e.g. \"%s\"), %d other", c[0], c[1],
	    l->unavailable_msg, c[2]);
	ZST_CHECK(c[2] == 0, "every call succeeded or failed UNAVAILABLE (first other: %s)",
	    l->other_msg[0] ? l->other_msg : "none");
	ZST_CHECK(l->unclear_msg[0] == '\0', "every UNAVAILABLE names the database (first that "
	    "does not: %s)", l->unclear_msg[0] ? l->unclear_msg : "none");
	ZST_CHECK(l->max_ms <= PR_CALL_MS, "no call took longer than its %d ms timeout (longest "
	    "%lld ms)", PR_CALL_MS, (long long) l->max_ms);
}

/* With the server stopped: calls fail fast, Health/Check answers; then it comes back. */
static void
test_stopped(pr_load *l, flt_pg *pg, zst_node *n)
{
	ZST_CHECK(flt_pg_stop(pg, "fast") == 0, "pg_ctl stop -m fast");
	for (int i = 0; i < 3; i++) {
		int64_t ms;
		int code = pr_call(l, &ms);
		ZST_CHECK(code == ZS_CLIENT_UNAVAILABLE && ms < PR_FAST_FAIL_MS,
		    "with the server stopped, Jobs/List #%d fails UNAVAILABLE in %lld ms (code %s, "
		    "within %d ms)", i + 1, (long long) ms, zs_client_code_name(code), PR_FAST_FAIL_MS);
	}
	int64_t t0 = zst_now_ms();
	int health = zst_health(n->rpc_url, 3000);
	ZST_CHECK(health == ZS__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING,
	    "Health/Check still answers SERVING in %lld ms (status %d)",
	    (long long) (zst_now_ms() - t0), health);
	ZST_CHECK(flt_pg_start(pg) == 0, "pg_ctl start again");
	int code = ZS_CLIENT_UNAVAILABLE;
	for (int64_t until = zst_now_ms() + PR_RECOVER_MS; code != ZS_CLIENT_OK && zst_now_ms() < until;
	    zst_sleep_ms(50))
		code = pr_call(l, NULL);
	ZST_CHECK(code == ZS_CLIENT_OK, "Jobs/List succeeds again after the start (code %s)",
	    zs_client_code_name(code));
}

int
main(int argc, char **argv)
{
	if (zst_init(argc, argv, "pg_restart", PR_ALARM_S) != 0)
		return 1;
	flt_alarm(PR_ALARM_S);
	static flt_pg pg;
	static pr_load load = { .mu = PTHREAD_MUTEX_INITIALIZER };
	zst_node n;
	int64_t t0 = zst_now_ms();
	int rv = flt_pg_init(&pg);
	if (!ZST_CHECK(rv == 0, "a PostgreSQL of the test's own runs (%lld ms)",
	    (long long) (zst_now_ms() - t0))) {
		flt_pg_destroy(&pg);
		return zst_summary();
	}
	char url[600];
	snprintf(url, sizeof url, "db.url=%s", pg.conninfo);
	const char *sets[] = { url, NULL };
	if (!ZST_CHECK(zst_node_start(&n, NULL, sets) == 0, "zsnode starts on it (%s)", url) ||
	    !ZST_CHECK(zs_client_open(&load.client, n.rpc_url) == 0, "a client connects")) {
		zst_node_cleanup(&n);
		flt_pg_destroy(&pg);
		return zst_summary();
	}
	char own_pg[300];
	snprintf(own_pg, sizeof own_pg, "%s/pg", n.data_dir);
	ZST_CHECK(access(own_pg, F_OK) != 0 && !zst_node_stderr_has(&n, "embedded PostgreSQL"),
	    "with db.url the node starts no PostgreSQL of its own (no %s)", own_pg);
	load.opts.timeout_ms = PR_CALL_MS;
	load.opts.session = n.session;
	test_under_load(&load, &pg, &n);
	test_stopped(&load, &pg, &n);
	zs_client_close(load.client);
	ZST_CHECK(zst_node_stop(&n) == 0, "the node stops cleanly after all that");
	zst_node_cleanup(&n);
	flt_pg_destroy(&pg);
	zst_note("took %lld ms", (long long) (zst_now_ms() - t0));
	return zst_summary();
}
