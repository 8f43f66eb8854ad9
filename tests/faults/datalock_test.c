/*
 * datalock_test.c: one data folder, one node. A second zsnode started on the data.dir of
 * a running one (on other ports) fails at once, naming the pid that holds the folder;
 * the first keeps serving on the same PostgreSQL. Once the first has stopped, a node
 * starts on that folder again.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flt_pg.h"
#include "zst_node.h"

#define LOCK_ALARM_S 60
#define LOCK_FAIL_MS 5000   /* "at once": the second start ends within this */

int
main(int argc, char **argv)
{
	if (zst_init(argc, argv, "datalock", LOCK_ALARM_S) != 0)
		return 1;
	flt_alarm(LOCK_ALARM_S);
	zst_node a, b;
	ZST_REQUIRE(zst_node_start(&a, NULL, NULL) == 0, "the first node starts");
	char pgdata[320], set_data[320], pid[32];
	snprintf(pgdata, sizeof pgdata, "%s/pg", a.data_dir);
	snprintf(set_data, sizeof set_data, "data.dir=%s", a.data_dir);
	snprintf(pid, sizeof pid, "pid %ld", (long) a.pid);
	flt_alarm_watch(pgdata);
	long pm = flt_pg_postmaster(pgdata);

	const char *sets[] = { set_data, NULL };
	int64_t t0 = zst_now_ms();
	ZST_REQUIRE(zst_node_spawn(&b, NULL, sets) == 0, "a second zsnode is started on its data.dir");
	int code = zst_node_wait_exit(&b, LOCK_FAIL_MS);
	int64_t took = zst_now_ms() - t0;
	ZST_CHECK(code > 0 && code < 128, "the second start fails at once (exit %d after %lld ms)", code,
	    (long long) took);
	ZST_CHECK(zst_node_stderr_has(&b, pid) && zst_node_stderr_has(&b, "zsnode.lock"),
	    "and names the pid holding the folder (%s) and its lock file", pid);
	if (!zst_node_stderr_has(&b, pid))
		zst_node_dump_stderr(&b);
	zst_node_cleanup(&b);

	ZST_CHECK(zst_serving(&a), "the first node still serves");
	long pm_after = flt_pg_postmaster(pgdata);
	ZST_CHECK(pm > 0 && pm_after == pm, "on the same PostgreSQL (postmaster %ld, now %ld)", pm,
	    pm_after);
	ZST_CHECK(zst_node_stop(&a) == 0, "the first node stops cleanly");

	/* the lock goes with its holder */
	zst_node c;
	ZST_CHECK(zst_node_start(&c, NULL, sets) == 0, "a node starts on that folder once the first "
	    "has stopped");
	ZST_CHECK(zst_node_stop(&c) == 0, "and stops cleanly");
	zst_node_cleanup(&c);
	zst_node_cleanup(&a);
	ZST_CHECK(flt_wait_no_procs(pgdata, 10000) == 0, "no server process is left");
	return zst_summary();
}
