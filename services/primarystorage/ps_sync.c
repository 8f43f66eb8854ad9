/*
 * ps_sync.c: the sync tracker. Every primaryStorage.sync.interval ms a round on a worker
 * reconnects each attached primary storage in turn, with no call (ps_sync_one): hosts
 * added to its clusters since get their share (init or mount), hosts no longer Connected
 * have theirs marked Disconnected, capacities are refreshed from the agents and reserved
 * bytes counted again. A round writes primarystorage/reconnected only for a storage whose
 * shares changed. One timer on the node's timer queue; the next round is timed when the
 * last storage of this one is done, so rounds never overlap.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ps.h"
#include "zs/log.h"
#include "zs/timer.h"
#include "zs/work.h"

#define PS_SYNC_STOP_WAIT_MS 30000

struct ps_sync {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stopping, busy;               /* busy: a round runs */
	zs_timer *timer;                   /* the next round's, or NULL */
	char **uuids;                      /* the round's storages */
	size_t n, i;
};

static void ps_sync_tick(void *arg);
static void ps_sync_step(void *arg);

/* The round is over: free its list, time the next one. */
static void
ps_sync_done(ps_state *ps)
{
	ps_sync *s = ps->sync;
	for (size_t i = 0; i < s->n; i++)
		free(s->uuids[i]);
	free(s->uuids);
	s->uuids = NULL;
	s->n = s->i = 0;
	pthread_mutex_lock(&s->mu);
	s->busy = false;
	if (!s->stopping)
		s->timer = zs_timer_start(zs_node_timers(ps->node), ps->sync_interval_ms, ps_sync_tick, ps);
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* On a worker: the next storage of the round, or its end. */
static void
ps_sync_next(void *arg)
{
	ps_state *ps = arg;
	ps_sync *s = ps->sync;
	pthread_mutex_lock(&s->mu);
	bool stop = s->stopping;
	pthread_mutex_unlock(&s->mu);
	if (stop || s->i >= s->n) {
		ps_sync_done(ps);
		return;
	}
	ps_sync_one(ps, s->uuids[s->i++], ps_sync_step, ps);
}

/* A storage of the round is done (any thread): the next one, on a worker. */
static void
ps_sync_step(void *arg)
{
	ps_state *ps = arg;
	if (zs_work_submit(zs_node_work(ps->node), ps_sync_next, ps) != 0)
		ps_sync_done(ps);   /* the pool is stopping */
}

/* On a worker: lists the attached storages, then goes through them. */
static void
ps_sync_round(void *arg)
{
	ps_state *ps = arg;
	ps_sync *s = ps->sync;
	zs_db *db = zs_node_db(ps->node);
	zs_db_conn *c = NULL;
	zs_status *st = NULL;
	PGresult *r = NULL;
	if (zs_db_acquire(db, ps->sync_interval_ms, &c, &st) == 0) {
		(void) zs_db_run(c, "SELECT s.uuid FROM ps_storages s WHERE EXISTS (SELECT 1 FROM "
		    "ps_clusters k WHERE k.ps_uuid = s.uuid) ORDER BY s.created_at, s.uuid", 0, NULL,
		    &r, &st);
		zs_db_release(db, c);
	}
	size_t n = r != NULL ? (size_t) PQntuples(r) : 0;
	if (r == NULL)
		zs_log(ZS_LOG_WARN, "primarystorage", "sync: cannot list the primary storages: %s",
		    st != NULL && st->message != NULL ? st->message : "?");
	zs_status_free(st);
	s->uuids = n > 0 ? calloc(n, sizeof *s->uuids) : NULL;
	for (size_t i = 0; s->uuids != NULL && i < n; i++)
		if ((s->uuids[s->n] = strdup(PQgetvalue(r, (int) i, 0))) != NULL)
			s->n++;
	PQclear(r);
	ps_sync_next(ps);
}

/* On the timer thread: starts a round on a worker. */
static void
ps_sync_tick(void *arg)
{
	ps_state *ps = arg;
	ps_sync *s = ps->sync;
	pthread_mutex_lock(&s->mu);
	s->timer = NULL;
	bool go = !s->stopping;
	s->busy = go;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	if (go && zs_work_submit(zs_node_work(ps->node), ps_sync_round, ps) != 0)
		ps_sync_done(ps);
}

int
ps_sync_start(ps_state *ps)
{
	if (ps->sync_interval_ms <= 0)
		return 0;
	ps_sync *s = calloc(1, sizeof *s);
	if (s == NULL)
		return -1;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	ps->sync = s;
	s->timer = zs_timer_start(zs_node_timers(ps->node), ps->sync_interval_ms, ps_sync_tick, ps);
	if (s->timer == NULL) {
		pthread_mutex_destroy(&s->mu);
		pthread_cond_destroy(&s->cv);
		free(s);
		ps->sync = NULL;
		return -1;
	}
	return 0;
}

void
ps_sync_stop(ps_state *ps)
{
	ps_sync *s = ps->sync;
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	if (s->timer != NULL && zs_timer_cancel(zs_node_timers(ps->node), s->timer))
		s->timer = NULL;
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += PS_SYNC_STOP_WAIT_MS / 1000;
	while ((s->timer != NULL || s->busy) &&
	    pthread_cond_timedwait(&s->cv, &s->mu, &until) != ETIMEDOUT)
		;
	bool idle = s->timer == NULL && !s->busy;
	pthread_mutex_unlock(&s->mu);
	if (!idle) {
		/* a round still runs and will touch s: leave it rather than free it under it */
		zs_log(ZS_LOG_WARN, "primarystorage", "sync: the round did not stop in %d ms",
		    PS_SYNC_STOP_WAIT_MS);
		return;
	}
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
	ps->sync = NULL;
}
