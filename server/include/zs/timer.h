/*
 * zs/timer.h: one-shot timers run on the node's timer thread (slow calls, retries, ticks).
 * A service gets the node's queue from zs_node_timers(). Any thread may start or cancel.
 */
#ifndef ZS_TIMER_H
#define ZS_TIMER_H

#include <stdbool.h>
#include <stdint.h>
#include "zs/api.h"

typedef struct zs_timer zs_timer;
typedef struct zs_timerq zs_timerq;

/* Runs fn(arg) once, ms milliseconds from now, on the timer thread; fn must be quick.
 * The handle is valid until fn runs or zs_timer_cancel() returns true. NULL on no memory. */
ZS_API zs_timer *zs_timer_start(zs_timerq *q, int64_t ms, void (*fn)(void *arg), void *arg);
/* true: stopped before it ran (fn will not run, the handle is freed); false: fn has run or
 * is running now. */
ZS_API bool zs_timer_cancel(zs_timerq *q, zs_timer *timer);

#endif
