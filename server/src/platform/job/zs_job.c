/* zs_job.c: jobs: the row that tracks a call run in the background, its progress
 * events, its end (result or status), the sweep that ends the jobs of nodes that are
 * gone, and the zs.job.v1.Jobs API. A job's start and end are changes of its row: their
 * events (job/UUID/started, job/UUID/done) are written in the same transaction (the
 * outbox), so they can be replayed; progress events are sent at once and not kept. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <jansson.h>

#include "zs/db.h"
#include "zs/event.h"
#include "zs/job.h"
#include "zs/job/v1/job.pb-c.h"
#include "zs/log.h"
#include "zs/resource.h"
#include "zs/work.h"
#include "zs_db.h"
#include "zs_job.h"
#include "zs_json.h"
#include "zs_router.h"

/* How long job bookkeeping may wait for a database connection. */
#define JOB_DB_WAIT_MS 30000

struct zs_jobs {
	void *self;                  /* what the API's handlers get as service data */
	zs_jobs_env env;
	zs_db *db;                   /* from start on */
	Zs__Job__V1__Jobs_Service service;
};

/* The end of a job, carried to a worker thread to be written. */
typedef struct job_end {
	zs_jobs *jobs;
	char uuid[40];
	bool ok;
	uint8_t *status;          /* packed zs.rpc.v1.Status when failed */
	size_t status_len;
	uint8_t *result;          /* packed output when succeeded */
	size_t result_len;
	const char *result_type;  /* static descriptor name */
} job_end;

/* A progress report, likewise. */
typedef struct job_progress {
	zs_jobs *jobs;
	char uuid[40];
	unsigned percent;
	char *message;
} job_progress;

static void
job_event(zs_jobs *jobs, const char *uuid, const char *what, Zs__Job__V1__JobInfo *info)
{
	char topic[96];
	snprintf(topic, sizeof topic, "job/%s/%s", uuid, what);
	zs_event_publish(jobs->env.events, topic, uuid, info->owner_uuid, &info->base, NULL);
}

/* Packs msg into a new buffer (caller frees). */
static uint8_t *
job_pack(const ProtobufCMessage *msg, size_t *len)
{
	*len = protobuf_c_message_get_packed_size(msg);
	uint8_t *buf = malloc(*len ? *len : 1);
	if (buf != NULL)
		protobuf_c_message_pack(msg, buf);
	return buf;
}

/* Runs sql on c (params as job_exec takes them): the result, or NULL with *st. */
static PGresult *
job_exec_on(zs_db_conn *c, const char *sql, int n, const char *const *params, const int *lengths,
    const int *formats, zs_status **st)
{
	PGconn *pg = zs_db_conn_pg(c);
	PGresult *r = PQexecParams(pg, sql, n, NULL, params, lengths, formats, 0);
	ExecStatusType s = PQresultStatus(r);
	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)
		return r;
	*st = zs_db_status_from(pg, r);
	PQclear(r);
	return NULL;
}

/* Writes job/UUID/what about info into the outbox, in c's transaction. */
static int
job_event_tx(zs_jobs *jobs, zs_db_conn *c, const char *uuid, const char *owner, const char *what,
    Zs__Job__V1__JobInfo *info, zs_status **st)
{
	char topic[96];
	snprintf(topic, sizeof topic, "job/%s/%s", uuid, what);
	return zs_event_publish_tx(c, jobs->env.events, topic, uuid, owner, &info->base, st);
}

/* Runs a statement on a pooled connection; logs what fails. */
static int
job_exec(zs_jobs *jobs, const char *sql, int n, const char *const *params, const int *lengths,
    const int *formats)
{
	zs_db_conn *c;
	zs_status *st = NULL;
	if (zs_db_acquire(jobs->db, JOB_DB_WAIT_MS, &c, &st) != 0) {
		zs_log(ZS_LOG_WARN, "job", "cannot record a job: %s", st ? st->message : "");
		zs_status_free(st);
		return -1;
	}
	PGresult *r = PQexecParams(zs_db_conn_pg(c), sql, n, NULL, params, lengths, formats, 0);
	int rv = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;
	if (rv != 0)
		zs_log(ZS_LOG_WARN, "job", "cannot record a job: %s",
		    PQresultErrorMessage(r));
	PQclear(r);
	zs_db_release(jobs->db, c);
	return rv;
}

/* Writes a job's end and its done event in one transaction. A job the sweep already
 * ended (its node was taken for dead) keeps that end. */
static void
job_end_write(void *arg)
{
	job_end *e = arg;
	const char *params[5] = { e->uuid, e->ok ? "SUCCEEDED" : "FAILED",
		(const char *) e->status, (const char *) e->result, e->ok ? e->result_type : "" };
	int lengths[5] = { 0, 0, (int) e->status_len, (int) e->result_len, 0 };
	int formats[5] = { 0, 0, 1, 1, 0 };
	zs_db_conn *c = NULL;
	zs_status *st = NULL;
	int code = zs_db_acquire(e->jobs->db, JOB_DB_WAIT_MS, &c, &st);
	if (code == 0)
		code = zs_db_begin(c, &st);
	PGresult *r = code == 0 ? job_exec_on(c,
	    "UPDATE zs_jobs SET state = $2, status = $3, result = $4, result_type = $5, "
	    "progress = CASE WHEN $2 = 'SUCCEEDED' THEN 100 ELSE progress END, updated_at = now() "
	    "WHERE uuid = $1 AND state = 'RUNNING' RETURNING owner_uuid, method",
	    5, params, lengths, formats, &st) : NULL;
	if (code == 0 && r == NULL)
		code = st != NULL ? (int) st->code : ZS_INTERNAL;
	if (r != NULL && PQntuples(r) == 1) {
		Zs__Job__V1__JobInfo info = ZS__JOB__V1__JOB_INFO__INIT;
		info.uuid = e->uuid;
		info.method = PQgetvalue(r, 0, 1);
		info.owner_uuid = PQgetvalue(r, 0, 0);
		info.state = e->ok ? ZS__JOB__V1__JOB_STATE__SUCCEEDED : ZS__JOB__V1__JOB_STATE__FAILED;
		info.progress = e->ok ? 100 : 0;
		if (!e->ok)
			info.status = zs__rpc__v1__status__unpack(NULL, e->status_len, e->status);
		info.result_type = (char *) (e->ok ? e->result_type : "");
		info.result.data = e->result;
		info.result.len = e->result_len;
		code = job_event_tx(e->jobs, c, e->uuid, info.owner_uuid, "done", &info, &st);
		if (info.status != NULL)
			zs__rpc__v1__status__free_unpacked(info.status, NULL);
	}
	PQclear(r);
	if (c != NULL) {
		if (zs_db_end(c, code, code == 0 ? &st : NULL) != 0 || code != 0)
			zs_log(ZS_LOG_WARN, "job", "cannot record the end of job %s: %s", e->uuid,
			    st != NULL ? st->message : "");
		zs_db_release(e->jobs->db, c);
	} else {
		zs_log(ZS_LOG_WARN, "job", "cannot record the end of job %s: %s", e->uuid,
		    st != NULL ? st->message : "");
	}
	zs_status_free(st);
	free(e->status);
	free(e->result);
	free(e);
}

/* The answer of a call that runs as a job: recorded on a worker thread, since the
 * handler may answer on any thread, even one that must not wait on the database. */
static void
job_answer(zs_call *call, const ProtobufCMessage *reply, const zs_status *st, void *arg)
{
	zs_jobs *jobs = arg;
	const char *uuid = zs_call_diverted_to(call, NULL);
	job_end *e = calloc(1, sizeof *e);
	if (e == NULL) {
		zs_log(ZS_LOG_ERROR, "job", "job %s: out of memory at its end", uuid);
		return;
	}
	e->jobs = jobs;
	snprintf(e->uuid, sizeof e->uuid, "%s", uuid);
	e->ok = st == NULL;
	if (st != NULL)
		e->status = job_pack(&st->base, &e->status_len);
	else {
		e->result = job_pack(reply, &e->result_len);
		e->result_type = reply->descriptor->name;
	}
	if (zs_work_submit(jobs->env.work, job_end_write, e) != 0)
		job_end_write(e);
}

/* The rpc's jobs gate: makes call a job (records it, answers the client with the job's
 * uuid, routes the call's own answer to the job), or fails the call. On a worker thread. */
static int
job_begin(zs_call *call, void *arg)
{
	zs_jobs *jobs = arg;
	zs_db_conn *c;
	zs_status *st = NULL;
	char uuid[ZS_UUID_LEN];
	if (zs_call_account(call)[0] == '\0') {
		zs_call_fail(call, ZS_UNAUTHENTICATED, NULL, "%s cannot run as a job without a "
		    "session: jobs belong to an account", zs_call_method(call));
		return -1;
	}
	zs_resource_uuid(uuid);
	if (zs_db_acquire(jobs->db, zs_call_remaining_ms(call), &c, &st) != 0) {
		zs_call_fail_status(call, st);
		return -1;
	}
	/* the row and its started event commit together */
	const char *params[4] = { uuid, zs_call_method(call), zs_call_account(call), jobs->env.node_id };
	Zs__Job__V1__JobInfo info = ZS__JOB__V1__JOB_INFO__INIT;
	info.uuid = uuid;
	info.method = (char *) zs_call_method(call);
	info.state = ZS__JOB__V1__JOB_STATE__RUNNING;
	info.owner_uuid = (char *) zs_call_account(call);
	int code = zs_db_begin(c, &st);
	PGresult *r = code == 0 ? zs_db_exec(c, "INSERT INTO zs_jobs (uuid, method, owner_uuid, "
	    "node_id, state) VALUES ($1, $2, $3, $4, 'RUNNING')", 4, params, &st) : NULL;
	if (code == 0)
		code = r == NULL ? (st != NULL ? (int) st->code : ZS_INTERNAL) :
		    job_event_tx(jobs, c, uuid, info.owner_uuid, "started", &info, &st);
	PQclear(r);
	code = zs_db_end(c, code, &st);
	zs_db_release(jobs->db, c);
	if (code != 0) {
		zs_call_fail_cause(call, ZS_INTERNAL, NULL, st, "cannot start %s as a job",
		    zs_call_method(call));
		zs_status_free(st);
		return -1;
	}
	zs_call_divert(call, uuid, job_answer, jobs);
	return 0;
}

const char *
zs_job_uuid(const zs_call *call)
{
	return zs_call_diverted_to(call, NULL);
}

static void
job_progress_write(void *arg)
{
	job_progress *p = arg;
	char pct[16];
	snprintf(pct, sizeof pct, "%u", p->percent);
	const char *params[3] = { p->uuid, pct, p->message };
	/* reports may be written out of order: never move backwards, never after the end */
	job_exec(p->jobs, "UPDATE zs_jobs SET progress = $2::integer, message = $3, updated_at = now() "
	    "WHERE uuid = $1 AND state = 'RUNNING' AND progress <= $2::integer", 3, params, NULL, NULL);
	free(p->message);
	free(p);
}

void
zs_job_progress(zs_call *call, unsigned percent, const char *fmt, ...)
{
	void *arg = NULL;
	const char *uuid = zs_call_diverted_to(call, &arg);
	zs_jobs *jobs = arg;
	if (uuid == NULL)
		return;
	job_progress *p = calloc(1, sizeof *p);
	if (p == NULL)
		return;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&p->message, fmt, ap) < 0)
		p->message = NULL;
	va_end(ap);
	if (p->message == NULL) {
		free(p);
		return;
	}
	p->jobs = jobs;
	p->percent = percent > 100 ? 100 : percent;
	snprintf(p->uuid, sizeof p->uuid, "%s", uuid);
	Zs__Job__V1__JobInfo info = ZS__JOB__V1__JOB_INFO__INIT;
	info.uuid = p->uuid;
	info.method = (char *) zs_call_method(call);
	info.state = ZS__JOB__V1__JOB_STATE__RUNNING;
	info.progress = p->percent;
	info.message = p->message;
	job_event(jobs, p->uuid, "progress", &info);
	if (zs_work_submit(jobs->env.work, job_progress_write, p) != 0)
		job_progress_write(p);
}

/* ---- the Jobs API ---- */

static const char job_columns[] =
    "uuid, method, state, progress, message, owner_uuid, "
    "created_at, updated_at, "
    "status, result_type, result";

static Zs__Job__V1__JobState
job_state_of(const char *s)
{
	if (strcmp(s, "SUCCEEDED") == 0)
		return ZS__JOB__V1__JOB_STATE__SUCCEEDED;
	if (strcmp(s, "FAILED") == 0)
		return ZS__JOB__V1__JOB_STATE__FAILED;
	return ZS__JOB__V1__JOB_STATE__RUNNING;
}

/* The result as proto3 JSON, from the method's output type (caller frees). */
static char *
job_result_json(zs_jobs *jobs, const char *method, const uint8_t *data, size_t len)
{
	int code;
	char err[256];
	const zs_route *rt = zs_router_find(zs_rpc_router(jobs->env.rpc), method, &code, err, sizeof err);
	if (rt == NULL)
		return NULL;
	ProtobufCMessage *msg = protobuf_c_message_unpack(rt->method->output, NULL, len, data);
	json_t *j = NULL;
	char *text = NULL;
	if (msg != NULL && zs_json_encode(msg, &j, err, sizeof err) == 0)
		text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (msg != NULL)
		protobuf_c_message_free_unpacked(msg, NULL);
	return text;
}

/* Fills info from row i of r (binary columns unescaped into owned buffers). */
static void
job_from_row(zs_jobs *jobs, const PGresult *r, int i, Zs__Job__V1__JobInfo *info, bool with_result)
{
	zs__job__v1__job_info__init(info);
	info->uuid = PQgetvalue(r, i, 0);
	info->method = PQgetvalue(r, i, 1);
	info->state = job_state_of(PQgetvalue(r, i, 2));
	info->progress = (uint32_t) strtoul(PQgetvalue(r, i, 3), NULL, 10);
	info->message = PQgetvalue(r, i, 4);
	info->owner_uuid = PQgetvalue(r, i, 5);
	info->create_date = zs_db_time(r, i, 6);
	info->last_op_date = zs_db_time(r, i, 7);
	info->result_type = PQgetvalue(r, i, 9);
	if (!PQgetisnull(r, i, 8)) {
		size_t n;
		unsigned char *raw = PQunescapeBytea((const unsigned char *) PQgetvalue(r, i, 8), &n);
		if (raw != NULL) {
			info->status = zs__rpc__v1__status__unpack(NULL, n, raw);
			PQfreemem(raw);
		}
	}
	if (with_result && !PQgetisnull(r, i, 10)) {
		size_t n;
		unsigned char *raw = PQunescapeBytea((const unsigned char *) PQgetvalue(r, i, 10), &n);
		if (raw != NULL) {
			info->result.data = malloc(n ? n : 1);
			if (info->result.data != NULL) {
				memcpy(info->result.data, raw, n);
				info->result.len = n;
				char *json = job_result_json(jobs, info->method, raw, n);
				if (json != NULL)
					info->result_json = json;
			}
			PQfreemem(raw);
		}
	}
}

/* Frees what job_from_row allocated (the strings belong to the PGresult). */
static void
job_info_clear(Zs__Job__V1__JobInfo *info)
{
	if (info->status != NULL)
		zs__rpc__v1__status__free_unpacked(info->status, NULL);
	free(info->result.data);
	if (info->result_json != protobuf_c_empty_string)
		free(info->result_json);
}

/* Runs a query for the API, failing the call on error. */
static PGresult *
job_query(zs_call *call, const char *sql, int n, const char *const *params)
{
	zs_status *st = NULL;
	zs_jobs *jobs = zs_call_service_data(call);
	zs_db_conn *c;
	if (zs_db_acquire_for(jobs->db, call, &c) != 0)
		return NULL;
	PGresult *r = zs_db_exec(c, sql, n, params, &st);
	zs_db_release(jobs->db, c);
	if (r == NULL)
		zs_call_fail_status(call, st);
	return r;
}

static void
job_get(Zs__Job__V1__Jobs_Service *svc, const Zs__Job__V1__GetJobRequest *in,
    Zs__Job__V1__JobInfo_Closure closure, void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	char sql[512];
	snprintf(sql, sizeof sql, "SELECT %s FROM zs_jobs WHERE uuid = $1 AND ($3::boolean OR owner_uuid = $2)",
	    job_columns);
	const char *params[3] = { in->uuid, zs_call_account(call), zs_call_admin(call) ? "t" : "f" };
	PGresult *r = job_query(call, sql, 3, params);
	if (r == NULL)
		return;
	if (PQntuples(r) != 1) {
		PQclear(r);
		zs_call_fail(call, ZS_NOT_FOUND, NULL, "no job with uuid %s", in->uuid);
		return;
	}
	Zs__Job__V1__JobInfo info;
	job_from_row(zs_call_service_data(call), r, 0, &info, true);
	closure(&info, closure_data);
	job_info_clear(&info);
	PQclear(r);
}

static void
job_list(Zs__Job__V1__Jobs_Service *svc, const Zs__Job__V1__ListJobsRequest *in,
    Zs__Job__V1__ListJobsResponse_Closure closure, void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	static const char *states[] = { "", "RUNNING", "SUCCEEDED", "FAILED" };
	char sql[512];
	snprintf(sql, sizeof sql, "SELECT %s FROM zs_jobs WHERE ($3::boolean OR owner_uuid = $2) "
	    "AND ($1 = '' OR state = $1) ORDER BY created_at DESC LIMIT 1000", job_columns);
	const char *params[3] = { (unsigned) in->state < 4 ? states[in->state] : "",
		zs_call_account(call), zs_call_admin(call) ? "t" : "f" };
	PGresult *r = job_query(call, sql, 3, params);
	if (r == NULL)
		return;
	int n = PQntuples(r);
	Zs__Job__V1__JobInfo *infos = calloc((size_t) n + 1, sizeof *infos);
	Zs__Job__V1__JobInfo **ptrs = calloc((size_t) n + 1, sizeof *ptrs);
	if (infos == NULL || ptrs == NULL) {
		free(infos);
		free(ptrs);
		PQclear(r);
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	for (int i = 0; i < n; i++) {
		job_from_row(zs_call_service_data(call), r, i, &infos[i], false);
		ptrs[i] = &infos[i];
	}
	Zs__Job__V1__ListJobsResponse out = ZS__JOB__V1__LIST_JOBS_RESPONSE__INIT;
	out.jobs = ptrs;
	out.n_jobs = (size_t) n;
	closure(&out, closure_data);
	for (int i = 0; i < n; i++)
		job_info_clear(&infos[i]);
	free(infos);
	free(ptrs);
	PQclear(r);
}

static void
job_query_job(Zs__Job__V1__Jobs_Service *svc, const Zs__Resource__V1__QueryRequest *in,
    Zs__Job__V1__QueryJobResponse_Closure closure, void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	zs_jobs *jobs = zs_call_service_data(call);
	zs_job_query(call, jobs->db, in, closure);
}

int
zs_jobs_new(zs_jobs **out, const zs_jobs_env *env, char *err, size_t errlen)
{
	zs_jobs *jobs = calloc(1, sizeof *jobs);
	if (jobs == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	Zs__Job__V1__Jobs_Service init = ZS__JOB__V1__JOBS__INIT(job_);
	jobs->self = jobs;
	jobs->env = *env;
	jobs->service = init;
	if (zs_router_add_service(zs_rpc_router(env->rpc), &jobs->service.base, &jobs->self, "node",
	    false, err, errlen) != 0) {
		free(jobs);
		return -1;
	}
	*out = jobs;
	return 0;
}

/* Ends FAILED the RUNNING jobs of nodes that are gone: those whose heartbeat is missing
 * or older than the timeout, and at start this node id's own (left by an earlier run
 * with the same id) and, when no other node can use the database, every other node's.
 * Rows and done events commit together. The number of jobs ended, or -1. */
static int
job_sweep(zs_jobs *jobs, bool at_start)
{
	zs_status *why = zs_status_new(ZS_UNAVAILABLE, NULL, "the node running the job stopped");
	size_t len = 0;
	uint8_t *packed = why != NULL ? job_pack(&why->base, &len) : NULL;
	char timeout[32];
	snprintf(timeout, sizeof timeout, "%lld", (long long) jobs->env.heartbeat_timeout_ms);
	const char *params[5] = { jobs->env.node_id, (const char *) packed, timeout,
		at_start ? "t" : "f", at_start && jobs->env.sole_node ? "t" : "f" };
	int lengths[5] = { 0, (int) len, 0, 0, 0 }, formats[5] = { 0, 1, 0, 0, 0 };
	zs_db_conn *c = NULL;
	zs_status *st = NULL;
	int n = 0, code = packed == NULL ? ZS_RESOURCE_EXHAUSTED :
	    zs_db_acquire(jobs->db, JOB_DB_WAIT_MS, &c, &st);
	if (code == 0)
		code = zs_db_begin(c, &st);
	PGresult *r = code == 0 ? job_exec_on(c,
	    "UPDATE zs_jobs j SET state = 'FAILED', status = $2, updated_at = now() "
	    "WHERE j.state = 'RUNNING' AND ((j.node_id = $1 AND $4::boolean) OR "
	    "(j.node_id <> $1 AND ($5::boolean OR NOT EXISTS (SELECT 1 FROM zs_nodes n "
	    "WHERE n.id = j.node_id AND n.last_seen > now() - $3::bigint * interval '1 millisecond')))) "
	    "RETURNING j.uuid, j.method, j.owner_uuid, j.node_id, j.progress",
	    5, params, lengths, formats, &st) : NULL;
	if (code == 0 && r == NULL)
		code = st != NULL ? (int) st->code : ZS_INTERNAL;
	for (int i = 0; r != NULL && code == 0 && i < PQntuples(r); i++) {
		Zs__Job__V1__JobInfo info = ZS__JOB__V1__JOB_INFO__INIT;
		info.uuid = PQgetvalue(r, i, 0);
		info.method = PQgetvalue(r, i, 1);
		info.owner_uuid = PQgetvalue(r, i, 2);
		info.state = ZS__JOB__V1__JOB_STATE__FAILED;
		info.progress = (uint32_t) strtoul(PQgetvalue(r, i, 4), NULL, 10);
		info.status = why;
		code = job_event_tx(jobs, c, info.uuid, info.owner_uuid, "done", &info, &st);
	}
	if (c != NULL) {
		code = zs_db_end(c, code, code == 0 ? &st : NULL);
		zs_db_release(jobs->db, c);
	}
	if (code != 0) {
		zs_log(ZS_LOG_WARN, "job", "cannot end the jobs of nodes that stopped: %s",
		    st != NULL ? st->message : zs_status_code_name(code));
		n = -1;
	}
	for (int i = 0; r != NULL && code == 0 && i < PQntuples(r); i++, n++)
		zs_log(ZS_LOG_WARN, "job", "job %s (%s) FAILED: node %s, which ran it, stopped",
		    PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 3));
	PQclear(r);
	zs_status_free(st);
	zs_status_free(why);
	free(packed);
	return n;
}

void
zs_jobs_sweep(zs_jobs *jobs)
{
	if (jobs != NULL && jobs->db != NULL)
		job_sweep(jobs, false);
}

int
zs_jobs_start(zs_jobs *jobs, zs_db *db, char *err, size_t errlen)
{
	(void) err;
	(void) errlen;
	jobs->db = db;
	/* jobs left RUNNING by nodes that are gone (this one's earlier runs among them) will
	 * never end: say so */
	job_sweep(jobs, true);
	zs_rpc_set_jobs(jobs->env.rpc, job_begin, jobs);
	return 0;
}

void
zs_jobs_stop(zs_jobs *jobs)
{
	if (jobs != NULL)
		zs_rpc_set_jobs(jobs->env.rpc, NULL, NULL);
}

void
zs_jobs_free(zs_jobs *jobs)
{
	free(jobs);
}
