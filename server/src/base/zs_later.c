/*
 * zs_later.c: one run of a service's work some time after its start (zs/later.h): a
 * timer, a hand-off to a worker, and a flag with a condition that its stop waits on.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "zs/later.h"

struct zs_later {
	zs_timerq *q;
	zs_work *w;
	void (*fn)(void *arg);
	void *arg;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool running, stopping;
	zs_timer *timer;
};

void
zs_later_done(zs_later *l)
{
	pthread_mutex_lock(&l->lock);
	l->running = false;
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
}

bool
zs_later_stopping(zs_later *l)
{
	pthread_mutex_lock(&l->lock);
	bool s = l->stopping;
	pthread_mutex_unlock(&l->lock);
	return s;
}

static void
zs_later_tick(void *arg)
{
	zs_later *l = arg;
	pthread_mutex_lock(&l->lock);
	l->timer = NULL;
	bool go = !l->stopping;
	if (!go)
		l->running = false;
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
	if (go && zs_work_submit(l->w, l->fn, l->arg) != 0)
		zs_later_done(l);
}

zs_later *
zs_later_start(zs_timerq *q, zs_work *w, int64_t ms, void (*fn)(void *arg), void *arg)
{
	zs_later *l = calloc(1, sizeof *l);
	if (l == NULL)
		return NULL;
	*l = (zs_later) { .q = q, .w = w, .fn = fn, .arg = arg, .running = true };
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->cond, NULL);
	pthread_mutex_lock(&l->lock);   /* the tick may come before the handle is kept */
	l->timer = zs_timer_start(q, ms, zs_later_tick, l);
	bool ok = l->timer != NULL;
	pthread_mutex_unlock(&l->lock);
	if (!ok) {
		pthread_mutex_destroy(&l->lock);
		pthread_cond_destroy(&l->cond);
		free(l);
		return NULL;
	}
	return l;
}

int
zs_later_stop(zs_later *l, int wait_s)
{
	if (l == NULL)
		return 0;
	pthread_mutex_lock(&l->lock);
	l->stopping = true;
	zs_timer *t = l->timer;
	pthread_mutex_unlock(&l->lock);
	if (t != NULL && zs_timer_cancel(l->q, t)) {
		pthread_mutex_lock(&l->lock);
		l->timer = NULL;
		l->running = false;
		pthread_mutex_unlock(&l->lock);
	}
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += wait_s;
	pthread_mutex_lock(&l->lock);
	bool done = true;
	while (l->running)
		if (pthread_cond_timedwait(&l->cond, &l->lock, &until) != 0) {
			done = !l->running;
			break;
		}
	pthread_mutex_unlock(&l->lock);
	if (!done)
		return -1;
	pthread_mutex_destroy(&l->lock);
	pthread_cond_destroy(&l->cond);
	free(l);
	return 0;
}
