/* zs_client_job.c: starting a call as a job and waiting for its end. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "zs/job/v1/job.zsc.h"
#include "zs_client_internal.h"

/* A wait asks the node this often at first, then backs off to the maximum. */
#define ZS_JOB_POLL_MIN_MS 20
#define ZS_JOB_POLL_MAX_MS 500
#define ZS_JOB_WAIT_DEFAULT_MS 3600000u

int
zs_client_start_job(zs_client *client, const char *method, const ProtobufCMessage *request,
    char *job_uuid, zs_status **status, const zs_call_opts *opts)
{
	zs_status *st = NULL;
	nng_msg *msg = NULL;
	uint64_t id = 0;
	job_uuid[0] = '\0';
	int code = client == NULL || method == NULL || request == NULL ? ZS_CLIENT_INTERNAL :
	    zs_client_roundtrip(client, method, request, 1, opts, &msg, &id, &st);
	if (code == ZS_CLIENT_INTERNAL && st == NULL)
		st = zs_client_status_new(code, "zs_client_start_job: client, method and request are needed");
	if (code == ZS_CLIENT_OK) {
		code = zs_client_wire_unpack_job(msg, id, job_uuid, ZS_JOB_UUID_LEN, &st);
		nng_msg_free(msg);
	}
	if (status != NULL)
		*status = st;
	else
		zs_status_free(st);
	return code;
}

static void
zs_client_job_sleep(unsigned ms)
{
	struct timespec ts = { (time_t) (ms / 1000), (long) (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* The job's end as the caller wants it: the result unpacked, or its status. */
static int
zs_client_job_outcome(Zs__Job__V1__JobInfo *info, const ProtobufCMessageDescriptor *reply_desc,
    ProtobufCMessage **reply, zs_status **st)
{
	if (info->state == ZS__JOB__V1__JOB_STATE__FAILED) {
		if (info->status != NULL) {
			*st = info->status;
			info->status = NULL;
		} else {
			*st = zs_client_status_new(ZS_CLIENT_INTERNAL, "job %s failed without a status", info->uuid);
		}
		return (*st)->code != 0 ? (int) (*st)->code : ZS_CLIENT_INTERNAL;
	}
	*reply = protobuf_c_message_unpack(reply_desc, NULL, info->result.len, info->result.data);
	if (*reply == NULL) {
		*st = zs_client_status_new(ZS_CLIENT_INTERNAL, "job %s: its result is a %s, not a %s",
		    info->uuid, info->result_type, reply_desc->name);
		return ZS_CLIENT_INTERNAL;
	}
	return ZS_CLIENT_OK;
}

int
zs_client_wait_job(zs_client *client, const char *job_uuid,
    const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **reply, zs_status **status,
    zs_job_progress_fn progress, void *arg, const zs_call_opts *opts)
{
	zs_status *st = NULL;
	uint32_t limit = opts != NULL && opts->timeout_ms ? opts->timeout_ms : ZS_JOB_WAIT_DEFAULT_MS;
	nng_time end = nng_clock() + limit;
	zs_call_opts each = { .session = opts != NULL ? opts->session : NULL };
	Zs__Job__V1__GetJobRequest req = ZS__JOB__V1__GET_JOB_REQUEST__INIT;
	req.uuid = (char *) job_uuid;
	unsigned poll = ZS_JOB_POLL_MIN_MS, last_pct = 101;
	char last_msg[256] = "";
	int code;
	*reply = NULL;
	for (;;) {
		Zs__Job__V1__JobInfo *info = NULL;
		code = zs_job_v1_jobs_get(client, &req, &info, &st, &each);
		if (code != ZS_CLIENT_OK)
			break;
		if (info->state != ZS__JOB__V1__JOB_STATE__RUNNING) {
			if (progress != NULL && info->state == ZS__JOB__V1__JOB_STATE__SUCCEEDED)
				progress(100, "done", arg);
			code = zs_client_job_outcome(info, reply_desc, reply, &st);
			zs_reply_free(info);
			break;
		}
		if (progress != NULL && (info->progress != last_pct || strcmp(info->message, last_msg) != 0)) {
			last_pct = info->progress;
			snprintf(last_msg, sizeof last_msg, "%s", info->message);
			progress(info->progress, info->message, arg);
		}
		zs_reply_free(info);
		if (nng_clock() + poll > end) {
			code = ZS_CLIENT_DEADLINE_EXCEEDED;
			st = zs_client_status_new(code, "job %s still runs after %u ms of waiting",
			    job_uuid, limit);
			break;
		}
		zs_client_job_sleep(poll);
		poll = poll * 2 > ZS_JOB_POLL_MAX_MS ? ZS_JOB_POLL_MAX_MS : poll * 2;
	}
	if (status != NULL)
		*status = st;
	else
		zs_status_free(st);
	return code;
}
