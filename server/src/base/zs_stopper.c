/* zs_stopper.c: a sleep that a stop cuts short (zs_stopper.h). */
#include <errno.h>
#include <time.h>

#include "zs_stopper.h"

void
zs_stopper_init(zs_stopper *s)
{
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&s->wake, &attr);
	pthread_condattr_destroy(&attr);
	s->stop = false;
}

void
zs_stopper_destroy(zs_stopper *s)
{
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->mu);
}

bool
zs_stopper_sleep(zs_stopper *s, int64_t ms)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->mu);
	while (!s->stop && pthread_cond_timedwait(&s->wake, &s->mu, &until) != ETIMEDOUT)
		;
	bool stop = s->stop;
	pthread_mutex_unlock(&s->mu);
	return stop;
}

void
zs_stopper_stop(zs_stopper *s)
{
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&s->mu);
}
