/*
 * zs_pg_watch.c: supervision of the embedded PostgreSQL. One thread checks that the
 * postmaster the node started still runs (its pid alive, in PGDATA, running postgres:
 * a few /proc reads, no connection). When it is gone, the database is marked down (health
 * reads that), the log says which pid went, and the server is started again after a
 * delay that doubles after each failed attempt; each attempt and its outcome are logged.
 * Connections of the pool and the LISTEN threads reconnect by themselves afterwards.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zs/clock.h"
#include "zs/log.h"
#include "zs_db.h"
#include "zs_stopper.h"

struct zs_pg_watch {
	zs_pg *pg;                 /* borrowed */
	pthread_t thread;
	zs_stopper stopper;        /* the thread sleeps on it between rounds */
	bool joined;
	atomic_bool up;
	atomic_uint_fast64_t restarts;
};

/* The server is gone: restarts it until it runs again or the watch stops. */
static void
watch_recover(zs_pg_watch *w)
{
	long old = zs_pg_pid(w->pg);
	int64_t down_at = zs_clock_ms(), delay = ZS_PG_WATCH_FIRST_MS;
	atomic_store(&w->up, false);
	zs_log(ZS_LOG_ERROR, "db", "the embedded PostgreSQL is gone (its postmaster, pid %ld, no "
	    "longer runs; see %s): database calls fail until it is restarted, in %lld ms", old,
	    zs_pg_log_path(w->pg), (long long) delay);
	for (int attempt = 1; !zs_stopper_sleep(&w->stopper, delay); attempt++) {
		char err[1024];
		int64_t t0 = zs_clock_ms();
		zs_log(ZS_LOG_INFO, "db", "restarting the embedded PostgreSQL (attempt %d)", attempt);
		if (zs_pg_restart(w->pg, err, sizeof err) == 0) {
			atomic_fetch_add(&w->restarts, 1);
			atomic_store(&w->up, true);
			zs_log(ZS_LOG_INFO, "db", "the embedded PostgreSQL restarted (postmaster pid %ld) "
			    "in %lld ms, attempt %d; it was down %lld ms", zs_pg_pid(w->pg),
			    (long long) (zs_clock_ms() - t0), attempt, (long long) (zs_clock_ms() - down_at));
			return;
		}
		delay = delay * 2 > ZS_PG_WATCH_MAX_MS ? ZS_PG_WATCH_MAX_MS : delay * 2;
		zs_log(ZS_LOG_ERROR, "db", "restarting the embedded PostgreSQL failed (attempt %d): %s; "
		    "next attempt in %lld ms", attempt, err, (long long) delay);
	}
}

static void *
watch_main(void *arg)
{
	zs_pg_watch *w = arg;
	while (!zs_stopper_sleep(&w->stopper, ZS_PG_WATCH_CHECK_MS))
		if (!zs_pg_running(w->pg))
			watch_recover(w);
	return NULL;
}

int
zs_pg_watch_start(zs_pg_watch **out, zs_pg *pg, char *err, size_t errlen)
{
	zs_pg_watch *w = calloc(1, sizeof *w);
	if (w == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	w->pg = pg;
	atomic_init(&w->up, true);
	atomic_init(&w->restarts, 0);
	zs_stopper_init(&w->stopper);
	int rv = pthread_create(&w->thread, NULL, watch_main, w);
	if (rv != 0) {
		snprintf(err, errlen, "cannot start the thread watching PostgreSQL: %s", strerror(rv));
		zs_stopper_destroy(&w->stopper);
		free(w);
		return -1;
	}
	*out = w;
	return 0;
}

bool
zs_pg_watch_up(const zs_pg_watch *w)
{
	return w == NULL || atomic_load(&w->up);
}

uint64_t
zs_pg_watch_restarts(const zs_pg_watch *w)
{
	return w == NULL ? 0 : atomic_load(&w->restarts);
}

void
zs_pg_watch_stop(zs_pg_watch *w)
{
	if (w == NULL || w->joined)
		return;
	zs_stopper_stop(&w->stopper);
	pthread_join(w->thread, NULL);
	w->joined = true;
}

void
zs_pg_watch_free(zs_pg_watch *w)
{
	if (w == NULL)
		return;
	zs_pg_watch_stop(w);
	zs_stopper_destroy(&w->stopper);
	free(w);
}
