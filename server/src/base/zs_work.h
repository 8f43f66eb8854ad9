/* zs_work.h: a fixed pool of worker threads fed by one FIFO queue. */
#ifndef ZS_WORK_POOL_H
#define ZS_WORK_POOL_H

#include <stddef.h>
#include "zs/work.h"


int zs_work_new(zs_work **out, size_t threads);
/* Queuing is zs_work_submit() (zs/work.h). */
/* Refuses new work, runs what is queued, joins the threads. */
void zs_work_stop(zs_work *w);
void zs_work_free(zs_work *w);
size_t zs_work_pending(zs_work *w);

#endif
