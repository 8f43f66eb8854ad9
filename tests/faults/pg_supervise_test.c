/*
 * pg_supervise_test.c: the node supervises the PostgreSQL it started. After kill -9 of
 * the embedded postmaster, Health/Check says NOT_SERVING and /healthz answers 503 within
 * seconds; the node logs why and starts the server again; then health is SERVING, a call
 * that reads the database succeeds again, and the node still stops cleanly, leaving no
 * server process behind.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flt_pg.h"
#include "zst_node.h"

#define SUP_ALARM_S 60
#define SUP_DOWN_MS 5000      /* health must say the database is down within this */
#define SUP_BACK_MS 20000     /* and the node must have it back within this */

/* Jobs/List as admin: the canonical code (-1: no answer). Reads the database. */
static int
sup_db_call(const zst_node *n)
{
	nng_socket s;
	size_t len;
	uint8_t *frame = zst_pack_request("zs.job.v1.Jobs/List", 0, 3000, 0, NULL, &len);
	Zs__Rpc__V1__Reply *r = NULL;
	if (frame != NULL && zst_req_open(&s, n->rpc_url, 4000) == 0) {
		r = zst_pb_call(s, frame, len);
		nng_close(s);
	}
	free(frame);
	int code = r == NULL ? -1 : r->status != NULL ? (int) r->status->code : 0;
	if (r != NULL)
		zs__rpc__v1__reply__free_unpacked(r, NULL);
	return code;
}

static long
sup_healthz(const zst_node *n)
{
	char url[128];
	long code = -1;
	snprintf(url, sizeof url, "%s/healthz", n->http_url);
	free(zst_http_get(url, &code, 2000));
	return code;
}

int
main(int argc, char **argv)
{
	if (zst_init(argc, argv, "pg_supervise", SUP_ALARM_S) != 0)
		return 1;
	flt_alarm(SUP_ALARM_S);
	zst_node n;
	ZST_REQUIRE(zst_node_start(&n, NULL, NULL) == 0, "a node starts with its own PostgreSQL");
	char pgdata[320];
	snprintf(pgdata, sizeof pgdata, "%s/pg", n.data_dir);
	flt_alarm_watch(pgdata);
	ZST_CHECK(sup_db_call(&n) == 0 && sup_healthz(&n) == 200, "before: a database call works, "
	    "/healthz is 200");

	long pm = flt_pg_postmaster(pgdata);
	ZST_REQUIRE(pm > 0, "its postmaster runs (pid %ld)", pm);
	int64_t t0 = zst_now_ms();
	kill((pid_t) pm, SIGKILL);

	/* down: both health answers say so (the window lasts at least the restart's delay) */
	bool rpc_down = false, http_down = false;
	int64_t rpc_ms = -1, http_ms = -1;
	while ((!rpc_down || !http_down) && zst_now_ms() - t0 < SUP_DOWN_MS) {
		if (!rpc_down && zst_health(n.rpc_url, 2000) == 2) {
			rpc_down = true;
			rpc_ms = zst_now_ms() - t0;
		}
		if (!http_down && sup_healthz(&n) == 503) {
			http_down = true;
			http_ms = zst_now_ms() - t0;
		}
		zst_sleep_ms(20);
	}
	ZST_CHECK(rpc_down, "Health/Check says NOT_SERVING after kill -9 of the postmaster (%lld ms)",
	    (long long) rpc_ms);
	ZST_CHECK(http_down, "/healthz answers 503 (%lld ms)", (long long) http_ms);

	/* back: the node restarted its server */
	bool back = false;
	int code = -1;
	while (!back && zst_now_ms() - t0 < SUP_BACK_MS) {
		back = zst_health(n.rpc_url, 2000) == 1 && sup_healthz(&n) == 200 &&
		    (code = sup_db_call(&n)) == 0;
		if (!back)
			zst_sleep_ms(50);
	}
	long pm2 = flt_pg_postmaster(pgdata);
	ZST_CHECK(back, "the node restarts PostgreSQL: health SERVING, /healthz 200, a database call "
	    "succeeds (%lld ms after the kill; last code %d)", (long long) (zst_now_ms() - t0), code);
	ZST_CHECK(pm2 > 0 && pm2 != pm, "a new postmaster runs (pid %ld, was %ld)", pm2, pm);
	ZST_CHECK(zst_node_stderr_has(&n, "is gone") && zst_node_stderr_has(&n, "restarted"),
	    "its log says the server was gone and that it was restarted");
	if (!back)
		zst_node_dump_stderr(&n);

	ZST_CHECK(zst_node_stop(&n) == 0, "the node stops cleanly");
	int left = flt_wait_no_procs(pgdata, 10000);
	ZST_CHECK(left == 0, "no server process is left in %s (%d)", pgdata, left);
	if (left > 0)
		flt_procs_in(pgdata, SIGKILL);
	zst_node_cleanup(&n);
	return zst_summary();
}
