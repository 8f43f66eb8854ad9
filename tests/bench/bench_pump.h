/*
 * bench_pump.h: what the benchmarks that drive a node's API share (zsbench_ipalloc,
 * zsbench_alloc): a pump that keeps CONCURRENCY calls of one method in flight until COUNT
 * are done, and the CPU time of the run (this program, the node and its PostgreSQL), a
 * steadier figure than rates on a shared machine.
 */
#ifndef BENCH_PUMP_H
#define BENCH_PUMP_H

#include <protobuf-c/protobuf-c.h>

#include "zs/client.h"
#include "zst_node.h"

/* A phase may take this long at most. */
#define BENCH_PHASE_MS 120000

/* The i-th request of a pump (0 <= i < count), valid until its call answers. */
typedef const ProtobufCMessage *(*bench_req_fn)(long i, void *arg);

/* count calls of method, conc in flight: the same req each time, or (req NULL) what
 * next(i, arg) gives. Calls per second, or -1 after saying why (a failed call, or not all
 * done within BENCH_PHASE_MS). */
double bench_pump_run(zs_client *c, const char *session, const char *method,
    const ProtobufCMessage *req, bench_req_fn next, void *arg,
    const ProtobufCMessageDescriptor *reply, long count, long conc);

/* CPU seconds so far of this process, the node n and its PostgreSQL (the postmaster with
 * its ended backends, and every live process working in its data folder). */
double bench_cpu_now(const zst_node *n);

#endif
