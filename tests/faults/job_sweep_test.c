/*
 * job_sweep_test.c: jobs of a node that is gone end FAILED, "the node running the job
 * stopped". First alone: a SlowSay job with a long delay runs, zsnode is killed with
 * SIGKILL, a new zsnode starts on the same data folder (a new node id), and the job is
 * FAILED at once; its started and done events were kept (Events/Replay finds both).
 * Then two nodes on one PostgreSQL (the test's own): a job runs on A, A is killed, and B
 * fails the job once A's heartbeat is older than node.heartbeat_timeout.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flt_pg.h"
#include "zs/echo/v1/echo.pb-c.h"
#include "zs/event/v1/events.pb-c.h"
#include "zs/job/v1/job.pb-c.h"
#include "zst_node.h"

#define SWEEP_ALARM_S 80
#define SWEEP_HEARTBEAT "node.heartbeat_interval=200ms"
#define SWEEP_TIMEOUT "node.heartbeat_timeout=1s"
#define SWEEP_CLUSTER_MS 8000   /* B fails A's job within this of A's death */
#define SWEEP_STATUS "the node running the job stopped"

/* One call as session: the reply (caller frees) or NULL. */
static Zs__Rpc__V1__Reply *
sweep_call(const zst_node *n, const char *session, const char *method, const ProtobufCMessage *body,
    bool job)
{
	Zs__Rpc__V1__Request env = ZS__RPC__V1__REQUEST__INIT;
	uint8_t *packed_body = NULL;
	env.method = (char *) method;
	env.session = (char *) session;
	env.timeout_ms = job ? 120000 : 5000;
	env.job = job;
	size_t n_body = protobuf_c_message_get_packed_size(body);
	packed_body = malloc(n_body ? n_body : 1);
	if (packed_body == NULL)
		return NULL;
	env.body.len = protobuf_c_message_pack(body, packed_body);
	env.body.data = packed_body;
	size_t len = zs__rpc__v1__request__get_packed_size(&env);
	uint8_t *frame = malloc(len ? len : 1);
	nng_socket s;
	Zs__Rpc__V1__Reply *r = NULL;
	if (frame != NULL && zst_req_open(&s, n->rpc_url, 6000) == 0) {
		zs__rpc__v1__request__pack(&env, frame);
		r = zst_pb_call(s, frame, len);
		nng_close(s);
	}
	free(frame);
	free(packed_body);
	return r;
}

/* Starts SlowSay (a minute) as a job on n: its uuid into uuid, or "" when it failed. */
static void
sweep_start_job(const zst_node *n, char *uuid, size_t len)
{
	Zs__Echo__V1__SlowSayRequest req = ZS__ECHO__V1__SLOW_SAY_REQUEST__INIT;
	req.text = "never answered";
	req.delay_ms = 60000;
	Zs__Rpc__V1__Reply *r = sweep_call(n, n->session, "zs.echo.v1.Echo/SlowSay", &req.base, true);
	snprintf(uuid, len, "%s", r != NULL && r->status == NULL && r->job_uuid ? r->job_uuid : "");
	ZST_CHECK(uuid[0] != '\0', "SlowSay of 60 s starts as a job (%s)", uuid);
	if (r != NULL)
		zs__rpc__v1__reply__free_unpacked(r, NULL);
}

/* Jobs/Get on n: the state (-1: no answer) and the status message into why. */
static int
sweep_job_state(const zst_node *n, const char *uuid, char *why, size_t len)
{
	Zs__Job__V1__GetJobRequest req = ZS__JOB__V1__GET_JOB_REQUEST__INIT;
	req.uuid = (char *) uuid;
	Zs__Rpc__V1__Reply *r = sweep_call(n, n->session, "zs.job.v1.Jobs/Get", &req.base, false);
	int state = -1;
	why[0] = '\0';
	Zs__Job__V1__JobInfo *info = r != NULL && r->status == NULL ?
	    zs__job__v1__job_info__unpack(NULL, r->body.len, r->body.data) : NULL;
	if (info != NULL) {
		state = (int) info->state;
		if (info->status != NULL)
			snprintf(why, len, "%s", info->status->message);
		zs__job__v1__job_info__free_unpacked(info, NULL);
	}
	if (r != NULL)
		zs__rpc__v1__reply__free_unpacked(r, NULL);
	return state;
}

/* The kept events under job/UUID/, their topics joined into out. */
static int
sweep_replay(const zst_node *n, const char *uuid, char *out, size_t len)
{
	char prefix[96];
	snprintf(prefix, sizeof prefix, "job/%s/", uuid);
	char *prefixes[1] = { prefix };
	Zs__Event__V1__ReplayRequest req = ZS__EVENT__V1__REPLAY_REQUEST__INIT;
	req.topic_prefixes = prefixes;
	req.n_topic_prefixes = 1;
	Zs__Rpc__V1__Reply *r = sweep_call(n, n->session, "zs.event.v1.Events/Replay", &req.base, false);
	Zs__Event__V1__ReplayResponse *rr = r != NULL && r->status == NULL ?
	    zs__event__v1__replay_response__unpack(NULL, r->body.len, r->body.data) : NULL;
	int count = rr != NULL ? (int) rr->n_events : -1;
	size_t used = 0;
	out[0] = '\0';
	for (int i = 0; i < count && used < len; i++)
		used += (size_t) snprintf(out + used, len - used, "%s%s", i ? " " : "",
		    rr->events[i]->topic + strlen(prefix));
	if (rr != NULL)
		zs__event__v1__replay_response__free_unpacked(rr, NULL);
	if (r != NULL)
		zs__rpc__v1__reply__free_unpacked(r, NULL);
	return count;
}

static void
sweep_kill(zst_node *n)
{
	kill(n->pid, SIGKILL);
	int code = zst_node_wait_exit(n, 5000);
	ZST_CHECK(code == 128 + SIGKILL, "zsnode is killed with SIGKILL (exit %d)", code);
}

/* Alone on the embedded PostgreSQL: the next start fails the job at once. */
static void
test_restart(void)
{
	zst_node a, b;
	ZST_REQUIRE(zst_node_start(&a, NULL, NULL) == 0, "a node starts");
	char pgdata[320], set_data[320], uuid[64], why[256];
	snprintf(pgdata, sizeof pgdata, "%s/pg", a.data_dir);
	snprintf(set_data, sizeof set_data, "data.dir=%s", a.data_dir);
	flt_alarm_watch(pgdata);
	sweep_start_job(&a, uuid, sizeof uuid);
	int state = sweep_job_state(&a, uuid, why, sizeof why);
	ZST_CHECK(state == ZS__JOB__V1__JOB_STATE__RUNNING, "the job is RUNNING (%d)", state);
	sweep_kill(&a);

	const char *sets[] = { set_data, NULL };
	ZST_REQUIRE(zst_node_start(&b, NULL, sets) == 0, "a new node starts on the same data folder");
	state = sweep_job_state(&b, uuid, why, sizeof why);
	ZST_CHECK(state == ZS__JOB__V1__JOB_STATE__FAILED && strstr(why, SWEEP_STATUS) != NULL,
	    "the job is FAILED, \"%s\" (state %d: %s)", SWEEP_STATUS, state, why);
	char topics[256] = "";
	int count = 0;
	for (int64_t until = zst_now_ms() + 3000; zst_now_ms() < until; zst_sleep_ms(50))
		if ((count = sweep_replay(&b, uuid, topics, sizeof topics)) >= 2)
			break;
	ZST_CHECK(count == 2 && strcmp(topics, "started done") == 0,
	    "its started and done events were kept: Events/Replay finds them (%d: %s)", count, topics);
	ZST_CHECK(zst_node_stop(&b) == 0, "the new node stops cleanly");
	zst_node_cleanup(&b);
	zst_node_cleanup(&a);
	flt_wait_no_procs(pgdata, 10000);
}

/* Two nodes on one database: B fails the job of A once A's heartbeat is stale. */
static void
test_cluster(void)
{
	static flt_pg pg;
	ZST_REQUIRE(flt_pg_init(&pg) == 0, "a PostgreSQL of the test's own runs");
	char url[600];
	snprintf(url, sizeof url, "db.url=%s", pg.conninfo);
	const char *sets[] = { url, SWEEP_HEARTBEAT, SWEEP_TIMEOUT, NULL };
	zst_node a, b;
	if (!ZST_CHECK(zst_node_start(&a, NULL, sets) == 0, "node A starts on it") ||
	    !ZST_CHECK(zst_node_start(&b, NULL, sets) == 0, "node B starts on it")) {
		zst_node_cleanup(&a);
		flt_pg_destroy(&pg);
		return;
	}
	char uuid[64], why[256];
	sweep_start_job(&a, uuid, sizeof uuid);
	zst_sleep_ms(1500);   /* longer than the timeout: a live node's jobs are left alone */
	int state = sweep_job_state(&b, uuid, why, sizeof why);
	ZST_CHECK(state == ZS__JOB__V1__JOB_STATE__RUNNING, "while A lives, its job stays RUNNING (%d)",
	    state);
	sweep_kill(&a);
	int64_t t0 = zst_now_ms();
	while (state == ZS__JOB__V1__JOB_STATE__RUNNING && zst_now_ms() - t0 < SWEEP_CLUSTER_MS) {
		zst_sleep_ms(100);
		state = sweep_job_state(&b, uuid, why, sizeof why);
	}
	ZST_CHECK(state == ZS__JOB__V1__JOB_STATE__FAILED && strstr(why, SWEEP_STATUS) != NULL,
	    "B fails A's job %lld ms after A died (state %d: %s)", (long long) (zst_now_ms() - t0),
	    state, why);
	ZST_CHECK(zst_node_stop(&b) == 0, "node B stops cleanly");
	zst_node_cleanup(&b);
	zst_node_cleanup(&a);
	flt_pg_destroy(&pg);
}

int
main(int argc, char **argv)
{
	if (zst_init(argc, argv, "job_sweep", SWEEP_ALARM_S) != 0)
		return 1;
	flt_alarm(SWEEP_ALARM_S);
	int64_t t0 = zst_now_ms();
	test_restart();
	test_cluster();
	zst_note("took %lld ms", (long long) (zst_now_ms() - t0));
	return zst_summary();
}
