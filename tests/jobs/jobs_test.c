/*
 * jobs_test.c: calls run as jobs, against a real node: the start answers at once with
 * the job's uuid, progress arrives as events and through Jobs/Get, the generated client
 * waits for the result, a failing job keeps its status, input refused up front creates
 * no job, another account sees none of it, `zsctl call --wait` prints the result, and a
 * public method asked to run as a job without a session is UNAUTHENTICATED.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <nng/nng.h>
#include <nng/protocol/pubsub0/sub.h>

#include "zs/client.h"
#include "zs/echo/v1/echo.zsc.h"
#include "zs/identity/v1/identity.zsc.h"
#include "zs/job/v1/job.zsc.h"
#include "zst_node.h"

static const char *zsctl_bin;

/* Progress as the wait saw it. */
typedef struct seen {
	unsigned calls;
	unsigned last;
	bool backwards;
} seen;

static void
on_progress(unsigned percent, const char *message, void *arg)
{
	seen *s = arg;
	(void) message;
	if (s->calls > 0 && percent < s->last)
		s->backwards = true;
	s->last = percent;
	s->calls++;
}

/* A sub socket on the JSON feed for topic prefix; waits a moment for the subscription. */
static int
sub_open(nng_socket *s, const zst_node *n, const char *prefix)
{
	if (nng_sub0_open(s) != 0)
		return -1;
	nng_socket_set(*s, NNG_OPT_SUB_SUBSCRIBE, prefix, strlen(prefix));
	nng_socket_set_ms(*s, NNG_OPT_RECVTIMEO, 200);
	if (nng_dial(*s, n->json_url, NULL, 0) != 0) {
		nng_close(*s);
		return -1;
	}
	zst_sleep_ms(200);
	return 0;
}

/* Counts the events received for job uuid until its done event or timeout_ms. */
static void
sub_count(nng_socket s, const char *uuid, int timeout_ms, int *progress, int *done)
{
	int64_t end = zst_now_ms() + timeout_ms;
	char want[96];
	snprintf(want, sizeof want, "job/%s/", uuid);
	while (zst_now_ms() < end && *done == 0) {
		char *buf = NULL;
		size_t len = 0;
		if (nng_recv(s, &buf, &len, NNG_FLAG_ALLOC) != 0)
			continue;
		if (len > strlen(want) && strncmp(buf, want, strlen(want)) == 0) {
			const char *what = buf + strlen(want);
			if (strncmp(what, "progress ", 9) == 0)
				(*progress)++;
			else if (strncmp(what, "done ", 5) == 0)
				(*done)++;
		}
		nng_free(buf, len);
	}
}

static void
test_job_succeeds(zs_client *c, const zst_node *n, const zs_call_opts *opts)
{
	nng_socket sub;
	bool subbed = sub_open(&sub, n, "job/") == 0;
	ZST_CHECK(subbed, "subscribed to job/ on the JSON feed");

	Zs__Echo__V1__SlowSayRequest req = ZS__ECHO__V1__SLOW_SAY_REQUEST__INIT;
	req.text = "as a job";
	req.delay_ms = 1000;
	char uuid[ZS_JOB_UUID_LEN];
	zs_status *st = NULL;
	int64_t t0 = zst_now_ms();
	int code = zs_echo_v1_echo_slow_say_job(c, &req, uuid, &st, opts);
	int64_t took = zst_now_ms() - t0;
	ZST_CHECK(code == 0, "SlowSay 1000 ms starts as a job (code %d: %s)", code,
	    st ? st->message : "");
	ZST_CHECK(took < 500, "the start answers at once (%lld ms), not after the delay", (long long) took);
	ZST_CHECK(strlen(uuid) == 36, "the job has a uuid (%s)", uuid);
	zs_status_free(st);
	st = NULL;
	if (code != 0) {
		if (subbed)
			nng_close(sub);
		return;
	}

	seen s = { 0, 0, false };
	Zs__Echo__V1__SayReply *reply = NULL;
	code = zs_echo_v1_echo_slow_say_wait(c, uuid, &reply, &st, on_progress, &s, opts);
	ZST_CHECK(code == 0 && reply != NULL && strcmp(reply->text, "as a job") == 0,
	    "waiting gives the method's reply (code %d)", code);
	ZST_CHECK(s.calls >= 3, "progress was seen several times while waiting (%u)", s.calls);
	ZST_CHECK(!s.backwards && s.last == 100, "progress only went up, to 100 (last %u)", s.last);
	zs_reply_free(reply);
	zs_status_free(st);

	if (subbed) {
		int progress = 0, done = 0;
		sub_count(sub, uuid, 2000, &progress, &done);
		ZST_CHECK(progress >= 3, "progress events arrived on job/%s/progress (%d)", uuid, progress);
		ZST_CHECK(done == 1, "one done event arrived (%d)", done);
		nng_close(sub);
	}

	Zs__Job__V1__GetJobRequest get = ZS__JOB__V1__GET_JOB_REQUEST__INIT;
	get.uuid = uuid;
	Zs__Job__V1__JobInfo *info = NULL;
	st = NULL;
	code = zs_job_v1_jobs_get(c, &get, &info, &st, opts);
	ZST_CHECK(code == 0, "Jobs/Get finds the job");
	if (info != NULL) {
		ZST_CHECK(info->state == ZS__JOB__V1__JOB_STATE__SUCCEEDED, "its state is SUCCEEDED");
		ZST_CHECK(info->progress == 100, "its progress is 100 (%u)", info->progress);
		ZST_CHECK(strcmp(info->method, "zs.echo.v1.Echo/SlowSay") == 0, "it names its method");
		ZST_CHECK(strstr(info->result_json, "as a job") != NULL, "its result is there as JSON (%s)",
		    info->result_json);
		zs_reply_free(info);
	}
	zs_status_free(st);
}

static void
test_job_fails(zs_client *c, const zs_call_opts *opts)
{
	Zs__Echo__V1__SlowSayRequest req = ZS__ECHO__V1__SLOW_SAY_REQUEST__INIT;
	req.text = "too slow";
	req.delay_ms = 3000;
	zs_call_opts short_opts = *opts;
	short_opts.timeout_ms = 400;   /* the job's deadline */
	char uuid[ZS_JOB_UUID_LEN];
	zs_status *st = NULL;
	int code = zs_echo_v1_echo_slow_say_job(c, &req, uuid, &st, &short_opts);
	ZST_CHECK(code == 0, "a job whose delay outlasts its deadline still starts");
	zs_status_free(st);
	st = NULL;
	if (code != 0)
		return;
	Zs__Echo__V1__SayReply *reply = NULL;
	code = zs_echo_v1_echo_slow_say_wait(c, uuid, &reply, &st, NULL, NULL, opts);
	ZST_CHECK(code == 4 && reply == NULL, "waiting gives DEADLINE_EXCEEDED (%d)", code);
	ZST_CHECK(st != NULL && strcmp(st->error_code, "ECHO.1002") == 0,
	    "with the service's error code ECHO.1002 (%s)", st ? st->error_code : "(none)");
	zs_status_free(st);
}

static void
test_refused_up_front(zs_client *c, const zs_call_opts *opts)
{
	Zs__Echo__V1__SlowSayRequest req = ZS__ECHO__V1__SLOW_SAY_REQUEST__INIT;
	req.text = "this text is longer than ten bytes";
	req.delay_ms = 10;
	char uuid[ZS_JOB_UUID_LEN];
	zs_status *st = NULL;
	int code = zs_echo_v1_echo_slow_say_job(c, &req, uuid, &st, opts);
	ZST_CHECK(code == 3 && uuid[0] == '\0', "input the interceptor refuses fails at the start, "
	    "with no job (code %d)", code);
	zs_status_free(st);
	zs_call_opts none = *opts;
	none.session = NULL;
	st = NULL;
	code = zs_echo_v1_echo_slow_say_job(c, &req, uuid, &st, &none);
	ZST_CHECK(code == 16, "no session: UNAUTHENTICATED, no job (code %d)", code);
	zs_status_free(st);
}

/* The number of jobs List shows the caller. */
static int
job_count(zs_client *c, const zs_call_opts *opts)
{
	Zs__Job__V1__ListJobsRequest req = ZS__JOB__V1__LIST_JOBS_REQUEST__INIT;
	Zs__Job__V1__ListJobsResponse *out = NULL;
	if (zs_job_v1_jobs_list(c, &req, &out, NULL, opts) != 0)
		return -1;
	int n = (int) out->n_jobs;
	zs_reply_free(out);
	return n;
}

static void
test_other_account(zs_client *c, const zst_node *n, const zs_call_opts *admin)
{
	Zs__Identity__V1__CreateAccountRequest acct = ZS__IDENTITY__V1__CREATE_ACCOUNT_REQUEST__INIT;
	acct.name = "jobs-b";
	acct.password = "jobs-b-password";
	Zs__Identity__V1__AccountInfo *info = NULL;
	int code = zs_identity_v1_identity_create_account(c, &acct, &info, NULL, admin);
	ZST_CHECK(code == 0, "admin creates account jobs-b (%d)", code);
	zs_reply_free(info);
	char session[64], why[256];
	code = zst_login(n->rpc_url, "jobs-b", "jobs-b-password", session, sizeof session, why, sizeof why);
	ZST_CHECK(code == 0, "jobs-b logs in (%s)", code ? why : "ok");
	if (code != 0)
		return;
	zs_call_opts b = { 0, session };
	ZST_CHECK(job_count(c, &b) == 0, "jobs-b lists none of admin's jobs");
	int before = job_count(c, admin);
	ZST_CHECK(before >= 2, "admin lists its jobs (%d)", before);

	/* admin's newest job, tried by jobs-b */
	Zs__Job__V1__ListJobsRequest lreq = ZS__JOB__V1__LIST_JOBS_REQUEST__INIT;
	Zs__Job__V1__ListJobsResponse *list = NULL;
	if (zs_job_v1_jobs_list(c, &lreq, &list, NULL, admin) == 0 && list->n_jobs > 0) {
		Zs__Job__V1__GetJobRequest get = ZS__JOB__V1__GET_JOB_REQUEST__INIT;
		get.uuid = list->jobs[0]->uuid;
		Zs__Job__V1__JobInfo *job = NULL;
		zs_status *st = NULL;
		code = zs_job_v1_jobs_get(c, &get, &job, &st, &b);
		ZST_CHECK(code == 5, "jobs-b gets NOT_FOUND for admin's job (%d)", code);
		zs_reply_free(job);
		zs_status_free(st);
	}
	zs_reply_free(list);

	/* jobs-b's own job is its own */
	Zs__Echo__V1__SlowSayRequest req = ZS__ECHO__V1__SLOW_SAY_REQUEST__INIT;
	req.text = "b";
	req.delay_ms = 50;
	char uuid[ZS_JOB_UUID_LEN];
	code = zs_echo_v1_echo_slow_say_job(c, &req, uuid, NULL, &b);
	ZST_CHECK(code == 0 && job_count(c, &b) == 1, "jobs-b sees its own job");
}

static void
test_zsctl_wait(const zst_node *n)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "%s --url %s --session %s --wait call zs.echo.v1.Echo/SlowSay "
	    "'{\"text\":\"from zsctl\",\"delayMs\":600}' 2>&1", zsctl_bin, n->rpc_url, n->session);
	FILE *p = popen(cmd, "r");
	char out[4096] = "";
	size_t len = p ? fread(out, 1, sizeof out - 1, p) : 0;
	out[len] = '\0';
	int rc = p ? pclose(p) : -1;
	ZST_CHECK(rc == 0, "zsctl --wait exits 0 (%d)", rc);
	ZST_CHECK(strstr(out, "\"from zsctl\"") != NULL, "and prints the result:\n%s", out);
	ZST_CHECK(strstr(out, "%") != NULL, "and progress lines");
}

/* A public method (Health/Check) asked to run as a job with no session: jobs belong to an
 * account, so the answer is UNAUTHENTICATED, not a database error about the jobs table. */
static void
test_public_job_without_session(const zst_node *n)
{
	Zs__Rpc__V1__Request env = ZS__RPC__V1__REQUEST__INIT;
	env.method = "zs.health.v1.Health/Check";
	env.timeout_ms = 5000;
	env.job = true;
	size_t len = zs__rpc__v1__request__get_packed_size(&env);
	uint8_t *frame = malloc(len ? len : 1);
	nng_socket s;
	Zs__Rpc__V1__Reply *r = NULL;
	if (frame != NULL && zst_req_open(&s, n->rpc_url, 5000) == 0) {
		zs__rpc__v1__request__pack(&env, frame);
		r = zst_pb_call(s, frame, len);
		nng_close(s);
	}
	free(frame);
	int code = r == NULL ? -1 : r->status != NULL ? (int) r->status->code : 0;
	ZST_CHECK(code == 16 && (r->job_uuid == NULL || r->job_uuid[0] == '\0'),
	    "job:true on public Health/Check without a session is UNAUTHENTICATED with no job "
	    "(code %d: %s)", code, r != NULL && r->status != NULL ? r->status->message : "");
	if (r != NULL)
		zs__rpc__v1__reply__free_unpacked(r, NULL);
}

int
main(int argc, char **argv)
{
	if (zst_init(argc, argv, "jobs", 100) != 0)
		return 2;
	zsctl_bin = argc > 3 ? argv[3] : "zsctl";
	zst_node n;
	static const char *const sets[] = { "echo.max_text=10", NULL };
	if (zst_node_start(&n, NULL, sets) != 0) {
		ZST_CHECK(0, "node starts");
		return zst_summary();
	}
	zs_client *c;
	if (zs_client_open(&c, n.rpc_url) == 0) {
		zs_call_opts opts = { 5000, n.session };
		test_job_succeeds(c, &n, &opts);
		test_job_fails(c, &opts);
		test_refused_up_front(c, &opts);
		test_other_account(c, &n, &opts);
		test_zsctl_wait(&n);
		test_public_job_without_session(&n);
		zs_client_close(c);
	}
	ZST_CHECK(zst_node_stop(&n) == 0, "node stops cleanly");
	zst_node_cleanup(&n);
	return zst_summary();
}
