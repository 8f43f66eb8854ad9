/*
 * zs/job.h: calls run as jobs. A client that sets `job` in the request envelope gets
 * the job's uuid at once; the handler runs as usual, and its answer becomes the job's
 * result. Handlers report progress, which goes out as events (job/UUID/progress) and
 * into the job's row (zs.job.v1.Jobs/Get). Any thread that may use the call.
 */
#ifndef ZS_JOB_H
#define ZS_JOB_H

#include "zs/api.h"
#include "zs/call.h"

/* The job's uuid when call runs as one, else NULL. */
ZS_API const char *zs_job_uuid(const zs_call *call);
/* Reports progress (percent 0..100) and what the call is doing now. Does nothing for a
 * call that is not a job. Never blocks on the database. */
ZS_API void zs_job_progress(zs_call *call, unsigned percent, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
