/*
 * zs_timerq.h: the node's timer queue: a min-heap of deadlines served by one thread.
 * Entries are embedded in their owner (a call's deadline) or allocated for
 * zs_timer_start(); the queue never allocates per entry.
 */
#ifndef ZS_TIMERQ_H
#define ZS_TIMERQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zs/timer.h"

struct zs_timer {
	int64_t due;               /* zs_clock_ms() time */
	uint64_t seq;              /* set when queued: equal due times run in queue order */
	void (*fn)(void *arg);
	void *arg;
	size_t index;              /* heap slot + 1; 0 when not queued */
	bool owned_by_queue;       /* freed by the queue after fn runs (zs_timer_start) */
};

int zs_timerq_new(zs_timerq **out);
/* Stops the thread; entries still queued do not run. */
void zs_timerq_free(zs_timerq *q);
/* Queues t (not already queued) to run at t->due. Returns 0 or -1 (no memory). */
int zs_timerq_add(zs_timerq *q, struct zs_timer *t);
/* Dequeues t; true when it was queued (its fn will not run). */
bool zs_timerq_remove(zs_timerq *q, struct zs_timer *t);
/* Calls fn for every queued entry's arg, under the queue lock (fn must not touch the queue). */
void zs_timerq_each(zs_timerq *q, void (*fn)(struct zs_timer *t, void *arg), void *arg);
size_t zs_timerq_len(zs_timerq *q);

#endif
