/*
 * bs_tracker.c: the backup storages' ping tracker, a light one. One timer on the node's
 * timer queue starts a round every backupstorage.ping.interval; a round (on a worker)
 * reads every backup storage that is not Connecting (or has been for twice
 * backupstorage.connect.timeout: its node stopped midway) and pings it
 * (/sftpbackupstorage/ping, asynchronous, backupstorage.ping.timeout) on the node's HTTP
 * facility. A Connected one that fails its ping becomes Disconnected, with why and
 * backupstorage/disconnected; a Disconnected one that answers is connected again (its
 * capacity read anew), and so is one whose answer names another uuid (the agent restarted
 * or was re-used). The next round is timed when every answer of this one is in.
 * PingBackupStorage runs the same ping on demand.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bs.h"
#include "zs/clock.h"
#include "zs/timer.h"
#include "zs/work.h"

#define BS_STOP_WAIT_MS 30000

struct bs_tracker {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int outstanding;                  /* the round and its pings in flight */
	bool stopping;
	zs_timer *timer;                  /* the next round's, or NULL */
};

/* ---- one ping ---- */

typedef struct bs_one {
	bs_state *bs;
	char uuid[64], hostname[64], url[512];
	bool was_connected;
	bs_connect_fn done;
	void *arg;
} bs_one;

static void
bs_one_reconnected(int code, zs_status *st, void *arg)
{
	bs_one *o = arg;
	if (code != 0) {
		char why[1024];
		zs_status *st2 = NULL;
		zs_status_text(st, why, sizeof why);
		bs_store_status(o->bs, o->uuid, "Disconnected", why, "backupstorage/disconnected", true,
		    &st2);
		zs_status_free(st2);
	}
	o->done(code, st, o->arg);
	free(o);
}

static void
bs_one_pinged(int code, zs_status *st, const json_t *reply, void *arg)
{
	bs_one *o = arg;
	const char *got = json_string_value(json_object_get(reply, "uuid"));
	if (code == 0 && got != NULL && strcmp(got, o->uuid) != 0)
		o->was_connected = false;   /* another node's, or restarted: connect it again */
	if (code == 0 && !o->was_connected) {
		bs_connect(o->bs, o->uuid, o->hostname, o->url, NULL, bs_one_reconnected, o);
		return;
	}
	if (code != 0) {
		char why[1024];
		zs_status *st2 = NULL;
		zs_status_text(st, why, sizeof why);
		bs_store_status(o->bs, o->uuid, "Disconnected", why, "backupstorage/disconnected", true,
		    &st2);
		zs_status_free(st2);
	}
	o->done(code, st, o->arg);
	free(o);
}

void
bs_ping(bs_state *bs, const char *uuid, const char *hostname, const char *url,
    const char *status, const zs_call *call, bs_connect_fn done, void *arg)
{
	bs_one *o = calloc(1, sizeof *o);
	json_t *cmd = json_pack("{s:s}", "uuid", uuid);
	if (o == NULL || cmd == NULL) {
		free(o);
		json_decref(cmd);
		done(ZS_RESOURCE_EXHAUSTED, zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory"),
		    arg);
		return;
	}
	o->bs = bs;
	snprintf(o->uuid, sizeof o->uuid, "%s", uuid);
	snprintf(o->hostname, sizeof o->hostname, "%s", hostname);
	snprintf(o->url, sizeof o->url, "%s", url);
	o->was_connected = strcmp(status, "Connected") == 0;
	o->done = done;
	o->arg = arg;
	int64_t deadline = zs_clock_ms() + bs->ping_timeout_ms;
	if (call != NULL && zs_call_deadline_ms(call) < deadline)
		deadline = zs_call_deadline_ms(call);
	bs_agent_post(bs, uuid, hostname, "/sftpbackupstorage/ping", cmd, true, deadline,
	    bs_one_pinged, o);
	json_decref(cmd);
}

/* ---- rounds ---- */

static void bs_tracker_tick(void *arg);

static void
bs_tracker_release(bs_state *bs)
{
	bs_tracker *t = bs->tracker;
	pthread_mutex_lock(&t->mu);
	if (--t->outstanding == 0) {
		if (!t->stopping && t->timer == NULL)
			t->timer = zs_timer_start(zs_node_timers(bs->node), bs->ping_interval_ms,
			    bs_tracker_tick, bs);
		pthread_cond_broadcast(&t->cv);
	}
	pthread_mutex_unlock(&t->mu);
}

static void
bs_tracker_pinged(int code, zs_status *st, void *arg)
{
	(void) code;
	zs_status_free(st);
	bs_tracker_release(arg);
}

/* On a worker: one round. */
static void
bs_tracker_round(void *arg)
{
	bs_state *bs = arg;
	bs_tracker *t = bs->tracker;
	zs_db_conn *c = NULL;
	zs_status *st = NULL;
	PGresult *r = NULL;
	if (bs_store_acquire(bs, &c, &st) == 0) {
		/* a Connecting one whose connect ended long ago (its node stopped midway) too */
		char stale[32];
		snprintf(stale, sizeof stale, "%lld", (long long) (2 * bs->connect_timeout_ms));
		const char *p[1] = { stale };
		r = zs_db_exec(c, "SELECT uuid, hostname, url, status FROM " BS_TABLE
		    " WHERE status <> 'Connecting' OR updated_at < now() - $1::bigint * interval '1 ms' "
		    "ORDER BY uuid", 1, p, &st);
		zs_db_release(zs_node_db(bs->node), c);
	}
	zs_status_free(st);
	for (int i = 0; r != NULL && i < PQntuples(r); i++) {
		pthread_mutex_lock(&t->mu);
		bool stop = t->stopping;
		if (!stop)
			t->outstanding++;
		pthread_mutex_unlock(&t->mu);
		if (stop)
			break;
		bs_ping(bs, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
		    PQgetvalue(r, i, 3), NULL, bs_tracker_pinged, bs);
	}
	PQclear(r);
	bs_tracker_release(bs);   /* the round's own hold */
}

static void
bs_tracker_tick(void *arg)
{
	bs_state *bs = arg;
	bs_tracker *t = bs->tracker;
	pthread_mutex_lock(&t->mu);
	t->timer = NULL;
	bool go = !t->stopping;
	if (go)
		t->outstanding++;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
	if (go && zs_work_submit(zs_node_work(bs->node), bs_tracker_round, bs) != 0)
		bs_tracker_release(bs);
}

int
bs_tracker_start(bs_state *bs)
{
	bs_tracker *t = calloc(1, sizeof *t);
	if (t == NULL)
		return -1;
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	bs->tracker = t;
	t->timer = zs_timer_start(zs_node_timers(bs->node), bs->ping_interval_ms, bs_tracker_tick, bs);
	if (t->timer == NULL) {
		pthread_mutex_destroy(&t->mu);
		pthread_cond_destroy(&t->cv);
		free(t);
		bs->tracker = NULL;
		return -1;
	}
	return 0;
}

void
bs_tracker_stop(bs_state *bs)
{
	bs_tracker *t = bs->tracker;
	if (t == NULL)
		return;
	pthread_mutex_lock(&t->mu);
	t->stopping = true;
	if (t->timer != NULL && zs_timer_cancel(zs_node_timers(bs->node), t->timer))
		t->timer = NULL;
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += BS_STOP_WAIT_MS / 1000;
	while ((t->timer != NULL || t->outstanding > 0) &&
	    pthread_cond_timedwait(&t->cv, &t->mu, &until) != ETIMEDOUT)
		;
	bool idle = t->timer == NULL && t->outstanding == 0;
	pthread_mutex_unlock(&t->mu);
	if (!idle) {
		fprintf(stderr, "backupstorage: the ping tracker did not stop in %d ms\n",
		    BS_STOP_WAIT_MS);
		return;
	}
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->cv);
	free(t);
	bs->tracker = NULL;
}
