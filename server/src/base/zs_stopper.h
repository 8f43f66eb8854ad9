/*
 * zs_stopper.h: what a module's own thread sleeps on between rounds (the heartbeat, the
 * PostgreSQL watch): a sleep on the monotonic clock that zs_stopper_stop cuts short, and
 * stays cut short from then on. Stop and sleep may come from any threads.
 */
#ifndef ZS_STOPPER_H
#define ZS_STOPPER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct zs_stopper {
	pthread_mutex_t mu;
	pthread_cond_t wake;
	bool stop;                 /* under mu */
} zs_stopper;

void zs_stopper_init(zs_stopper *s);
void zs_stopper_destroy(zs_stopper *s);
/* Sleeps ms unless stopped first; true once stopped. */
bool zs_stopper_sleep(zs_stopper *s, int64_t ms);
/* Stops every sleep, now and later. */
void zs_stopper_stop(zs_stopper *s);

#endif
