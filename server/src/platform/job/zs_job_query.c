/*
 * zs_job_query.c: QueryJob, ZStack's query API over the jobs table (zs/query.h): what a
 * query may name, and the handler, answered whole by zs_query_call. A normal account
 * matches its own jobs only.
 */
#include "zs/query.h"
#include "zs_job.h"

static const char *const job_query_states[] = { "RUNNING", "SUCCEEDED", "FAILED", NULL };

static const zs_query_field job_query_fields[] = {
	{ "uuid", "t.uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "method", "t.method", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "state", "t.state", ZS_QUERY_ENUM, job_query_states, NULL, NULL },
	{ "progress", "t.progress", ZS_QUERY_INT, NULL, NULL, NULL },
	{ "message", "t.message", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "owner_uuid", "t.owner_uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "result_type", "t.result_type", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "create_date", "t.created_at", ZS_QUERY_TIME, NULL, NULL, NULL },
	{ "last_op_date", "t.updated_at", ZS_QUERY_TIME, NULL, NULL, NULL },
};

static const zs_query_table job_query_table = {
	"job", "zs_jobs t", "t.owner_uuid", "t.created_at", "t.uuid", job_query_fields,
	sizeof job_query_fields / sizeof job_query_fields[0], NULL,
};

void
zs_job_query(zs_call *call, zs_db *db, const Zs__Resource__V1__QueryRequest *in,
    Zs__Job__V1__QueryJobResponse_Closure closure)
{
	zs_query_call(call, db, &job_query_table, 0, &in->base, &zs__job__v1__job_info__descriptor,
	    &zs__job__v1__query_job_response__descriptor, (ProtobufCClosure) closure);
}
