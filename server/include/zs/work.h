/*
 * zs/work.h: the node's worker threads, for work that blocks (database, HTTP to agents).
 * Handlers of services whose <api executor="pool"> (the default) already run there. A
 * service gets the node's pool from zs_node_work(). Any thread may submit.
 */
#ifndef ZS_WORK_H
#define ZS_WORK_H

#include "zs/api.h"

typedef struct zs_work zs_work;

/* Runs fn(arg) on a worker thread, in submission order per thread. 0, or ZS_UNAVAILABLE
 * when the pool is stopping (or w is NULL), ZS_RESOURCE_EXHAUSTED when out of memory: fn
 * then does not run. */
ZS_API int zs_work_submit(zs_work *w, void (*fn)(void *arg), void *arg);

#endif
