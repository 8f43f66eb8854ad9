/* zs_job.h: the node side of jobs: starting a call as one, its end, the Jobs API. */
#ifndef ZS_JOB_IMPL_H
#define ZS_JOB_IMPL_H

#include <stddef.h>

typedef struct zs_call zs_call;
typedef struct zs_node zs_node;

/* Makes call a job: records it, answers the client with the job's uuid, and routes the
 * call's own answer to the job. 0; or -1 when it could not (the call has then been
 * answered with why, and the handler's reference dropped). On a worker thread. */
int zs_job_begin(zs_call *call);

/* Platform module hooks (zs_platform.c). */
int zs_job_declare(zs_node *node, char *err, size_t errlen);
int zs_job_start(zs_node *node, char *err, size_t errlen);

#endif
