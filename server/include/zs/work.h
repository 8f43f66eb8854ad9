/* zs/work.h: the node's worker threads, for work that blocks (database, HTTP to agents).
 * Handlers of services whose <api executor="pool"> (the default) already run there. */
#ifndef ZS_WORK_H
#define ZS_WORK_H

#include "zs/node.h"

/* Runs fn(arg) on a worker thread, in submission order per thread. Returns 0, or -1 when
 * the node is stopping or out of memory (fn then does not run). */
int zs_work_submit(zs_node *node, void (*fn)(void *arg), void *arg);

#endif
