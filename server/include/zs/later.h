/*
 * zs/later.h: one run of a service's work, some time after its start, that a service's
 * stop waits for (the recoveries at start: VMs and volumes left in a passing state). The
 * run starts on a worker, may go on through asynchronous calls, and says when it ends.
 */
#ifndef ZS_LATER_H
#define ZS_LATER_H

#include <stdbool.h>
#include <stdint.h>
#include "zs/api.h"
#include "zs/timer.h"
#include "zs/work.h"

typedef struct zs_later zs_later;

/* Runs fn(arg) once on a worker of w, ms milliseconds from now (on q). fn, or whatever
 * goes on from it, must end with zs_later_done(). NULL when out of memory. */
ZS_API zs_later *zs_later_start(zs_timerq *q, zs_work *w, int64_t ms, void (*fn)(void *arg),
    void *arg);
/* The run has ended (it may also have ended early: zs_later_stopping()). Any thread. */
ZS_API void zs_later_done(zs_later *l);
/* true once zs_later_stop was asked: a run ends as soon as it can. */
ZS_API bool zs_later_stopping(zs_later *l);
/* Cancels a run not begun, or waits up to wait_s seconds for the one running. 0: l is
 * freed; -1: the run still goes on (l, and what it uses, must stay). */
ZS_API int zs_later_stop(zs_later *l, int wait_s);

#endif
