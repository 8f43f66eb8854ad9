/* zs_job.h: the jobs platform module: calls run as jobs (an rpc gate), the Jobs API. */
#ifndef ZS_JOB_IMPL_H
#define ZS_JOB_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zs/db.h"
#include "zs/job/v1/job.pb-c.h"
#include "zs/event.h"
#include "zs/job.h"
#include "zs/work.h"
#include "zs_rpc.h"

typedef struct zs_jobs zs_jobs;

/* What the module is made with; borrowed for its life. */
typedef struct zs_jobs_env {
	const char *node_id;         /* jobs are recorded with the node that runs them */
	zs_rpc *rpc;                 /* routes the Jobs API; the jobs gate */
	zs_work *work;               /* job ends and progress are written there */
	zs_events *events;           /* job/UUID/... */
	int64_t heartbeat_timeout_ms;    /* a node whose heartbeat is older is gone */
	bool sole_node;              /* no other node can use the database (the embedded one) */
} zs_jobs_env;

/* Routes zs.job.v1.Jobs. 0, or -1 with err. */
int zs_jobs_new(zs_jobs **out, const zs_jobs_env *env, char *err, size_t errlen);
/* With the database up: ends the jobs of nodes that are gone (this node id's earlier
 * runs; with sole_node every other node's), then takes calls that ask to run as jobs. */
int zs_jobs_start(zs_jobs *jobs, zs_db *db, char *err, size_t errlen);
/* Ends FAILED ("the node running the job stopped") the RUNNING jobs of other nodes whose
 * heartbeat (zs_nodes) is missing or older than heartbeat_timeout_ms, with their done
 * events. After start; on a thread that may wait on the database. */
void zs_jobs_sweep(zs_jobs *jobs);
/* Takes no more jobs. */
void zs_jobs_stop(zs_jobs *jobs);
void zs_jobs_free(zs_jobs *jobs);

/* QueryJob (zs_job_query.c): answers in over db's jobs, or fails the call. */
void zs_job_query(zs_call *call, zs_db *db, const Zs__Resource__V1__QueryRequest *in,
    Zs__Job__V1__QueryJobResponse_Closure closure);

#endif
