/*
 * http_test.c: the HTTP facility (zs/http.h) against a real zs-kvmsim process. The test
 * makes the facility in process with its callback route on an nng HTTP server of its own
 * (as the node's /asyncrest/callback), adds simulated hosts on 127.0.1.x and by path
 * prefix, and checks: a synchronous command, an asynchronous one answered through the
 * callback, deadlines (no answer, no callback, still queued) failing DEADLINE_EXCEEDED
 * with the path and the host, unknown and missing task uuids (404, 400), the agent's error
 * text as the cause, the per-host cap (10 in flight, the rest queued, all done, and the
 * simulator's count of commands in flight agreeing), every
 * fault of the simulator (fail once / N times / a fraction, HTTP error, delay, hang, lose,
 * die, reset), duplicate task uuids dropped by the simulator, connections reused, and a
 * bounded load whose rate it prints.
 *
 * Usage: http_test ZS_KVMSIM. Prints `http: N passed, M failed`.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <nng/nng.h>
#include <nng/supplemental/http/http.h>

#include "zs/clock.h"
#include "zs_http_impl.h"
#include "zst_check.h"
#include "zst_sim.h"

static int sim_port;
static char sim_url[64];
static zs_http *http;

/* --- the simulator process and its control API --- */

/* A plain HTTP request (blocking; for control calls and raw checks): the body parsed as
 * JSON (caller decrefs; NULL when not JSON), the status in *code. */
static json_t *
raw_call(const char *method, const char *url, const char *body, const char *task, long *code)
{
	CURL *c = curl_easy_init();
	zst_sim_buf b = { 0 };
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	char th[200];
	if (task != NULL) {
		snprintf(th, sizeof th, "taskuuid: %s", task);
		h = curl_slist_append(h, th);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, zst_sim_buf_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	long st = 0;
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
	if (code != NULL)
		*code = st;
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	json_t *o = b.p != NULL ? json_loads(b.p, 0, NULL) : NULL;
	free(b.p);
	return o;
}

/* A control call to the simulator; checks it answers 200. */
static json_t *
sim_ctl(const char *method, const char *path, const char *body)
{
	char url[256];
	long code;
	snprintf(url, sizeof url, "%s%s", sim_url, path);
	json_t *o = raw_call(method, url, body, NULL, &code);
	ZST_CHECK(code == 200, "%s %s answers 200 (got %ld)", method, path, code);
	return o;
}

static void
sim_do(const char *method, const char *path, const char *body)
{
	json_decref(sim_ctl(method, path, body));
}

static json_int_t
sim_stat(const char *name)
{
	json_t *o = sim_ctl("GET", "/sim/stats", NULL);
	json_int_t v = json_integer_value(json_object_get(o, name));
	json_decref(o);
	return v;
}

/* --- the facility, its callback server, and waiting for results --- */

static nng_http_server *cb_server;

static void
cb_handle(nng_aio *aio)
{
	nng_http_req *req = nng_aio_get_input(aio, 0);
	void *body;
	size_t len;
	nng_http_req_get_data(req, &body, &len);
	int st = zs_http_callback(http, nng_http_req_get_header(req, "taskuuid"), body, len);
	nng_http_res *res;
	nng_http_res_alloc(&res);
	nng_http_res_set_status(res, (uint16_t) st);
	nng_http_res_copy_data(res, "{}", 2);   /* with a Content-Length: no body means none */
	nng_aio_set_output(aio, 0, res);
	nng_aio_finish(aio, 0);
}

static int
cb_start(char *url, size_t len)
{
	for (int attempt = 0; attempt < 20; attempt++) {
		int port = 20000 + (int) ((unsigned) (getpid() * 7919 + attempt * 104729) % 40000);
		nng_url *u;
		nng_http_handler *h;
		snprintf(url, len, "http://127.0.0.1:%d", port);
		if (nng_url_parse(&u, url) != 0)
			continue;
		int rv = nng_http_server_hold(&cb_server, u);
		nng_url_free(u);
		if (rv != 0)
			continue;
		nng_http_handler_alloc(&h, "/asyncrest/callback", cb_handle);
		nng_http_handler_set_method(h, "POST");
		nng_http_server_add_handler(cb_server, h);
		if (nng_http_server_start(cb_server) == 0)
			return 0;
		nng_http_server_release(cb_server);
	}
	return -1;
}

/* One command's outcome, kept after done. */
typedef struct result {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
	int code;
	long http_status;
	zs_status *st;
	json_t *reply;
	int64_t elapsed_ms;
	char task[40];
} result;

static void
result_init(result *r)
{
	memset(r, 0, sizeof *r);
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
}

static void
result_clear(result *r)
{
	zs_status_free(r->st);
	json_decref(r->reply);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
}

static void
on_done(const zs_http_res *res, void *arg)
{
	result *r = arg;
	pthread_mutex_lock(&r->mu);
	r->code = res->code;
	r->http_status = res->http_status;
	r->st = res->status != NULL ? zs_status_copy(res->status) : NULL;
	r->reply = json_incref(res->reply);
	r->elapsed_ms = res->elapsed_ms;
	if (res->task_uuid != NULL)
		snprintf(r->task, sizeof r->task, "%s", res->task_uuid);
	r->done = true;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

static bool
result_wait(result *r, int ms)
{
	int64_t until = zs_clock_ms() + ms;
	pthread_mutex_lock(&r->mu);
	while (!r->done && zs_clock_ms() < until) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 20 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&r->cv, &r->mu, &ts);
	}
	bool done = r->done;
	pthread_mutex_unlock(&r->mu);
	return done;
}

/* Posts and waits: the result in r (initialized here; result_clear after). */
static int
post(result *r, const char *host, const char *path, const char *body, bool async, int64_t timeout_ms)
{
	char url[256];
	result_init(r);
	if (strncmp(host, "p", 1) == 0)   /* prefix hosts: p1, p2 ... */
		snprintf(url, sizeof url, "%s/hosts/%s%s", sim_url, host, path);
	else
		snprintf(url, sizeof url, "http://127.0.1.%s:%d%s", host + 1, sim_port, path);
	zs_http_req req = { .host = host, .url = url, .body = body, .async = async, .timeout_ms = timeout_ms };
	zs_status *st = NULL;
	int rv = zs_http_post(http, &req, on_done, r, &st);
	if (rv != 0) {
		r->code = rv;
		r->st = st;
		r->done = true;
		return rv;
	}
	ZST_CHECK(result_wait(r, (int) timeout_ms + 5000), "%s %s finishes", host, path);
	return r->code;
}

/* Does the status or any cause's message contain part? */
static bool
chain_has(const zs_status *st, const char *part)
{
	for (; st != NULL; st = st->cause)
		if (st->message != NULL && strstr(st->message, part) != NULL)
			return true;
	return false;
}

/* --- the cases --- */

static void
test_sync_and_async(void)
{
	result r;
	ZST_EXPECT_INT(post(&r, "h1", "/host/connect", "{\"hostUuid\":\"host-1\"}", false, 5000), 0);
	ZST_EXPECT_INT(r.http_status, 200);
	ZST_EXPECT_STR(json_string_value(json_object_get(r.reply, "libvirtVersion")), "9.0.0");
	result_clear(&r);

	ZST_EXPECT_INT(post(&r, "h1", "/host/ping", "{\"hostUuid\":\"host-1\"}", true, 5000), 0);
	ZST_EXPECT_STR(json_string_value(json_object_get(r.reply, "hostUuid")), "host-1");
	ZST_EXPECT_INT(strlen(r.task), 32);
	result_clear(&r);

	/* the command reached the simulator with its task uuid */
	json_t *log = sim_ctl("GET", "/sim/log?host=h1&path=/host/ping", NULL);
	json_t *e = json_array_get(json_object_get(log, "entries"), 0);
	ZST_EXPECT(json_string_value(json_object_get(e, "taskUuid")) != NULL);
	json_decref(log);

	/* a VM through its life, on a host reached by path prefix */
	ZST_EXPECT_INT(post(&r, "p1", "/vm/start", "{\"vmInstanceUuid\":\"vm1\",\"cpuNum\":2,"
	    "\"memory\":1073741824,\"nics\":[{\"mac\":\"fa:00:00:00:00:01\"}]}", true, 5000), 0);
	result_clear(&r);
	ZST_EXPECT_INT(post(&r, "p1", "/vm/attachdatavolume", "{\"vmUuid\":\"vm1\",\"volume\":"
	    "{\"volumeUuid\":\"vol1\"}}", true, 5000), 0);
	result_clear(&r);
	ZST_EXPECT_INT(post(&r, "p1", "/vm/pause", "{\"uuid\":\"vm1\"}", true, 5000), 0);
	result_clear(&r);
	ZST_EXPECT_INT(post(&r, "p1", "/vm/vmsync", "{}", true, 5000), 0);
	ZST_EXPECT_STR(json_string_value(json_object_get(json_object_get(r.reply, "states"), "vm1")), "Paused");
	result_clear(&r);
	ZST_EXPECT_INT(post(&r, "p1", "/vm/migrate", "{\"vmUuid\":\"vm1\",\"destHostIp\":\"127.0.1.2\"}",
	    true, 5000), 0);
	result_clear(&r);
	ZST_EXPECT_INT(post(&r, "h2", "/vm/checkstate", "{\"vmUuids\":[\"vm1\",\"vm9\"]}", true, 5000), 0);
	json_t *states = json_object_get(r.reply, "states");
	ZST_EXPECT_STR(json_string_value(json_object_get(states, "vm1")), "Paused");
	ZST_EXPECT_STR(json_string_value(json_object_get(states, "vm9")), "Shutdown");
	result_clear(&r);
	ZST_EXPECT_INT(post(&r, "h2", "/network/l2novlan/createbridge", "{\"bridgeName\":\"br0\"}", true,
	    5000), 0);
	result_clear(&r);
	ZST_EXPECT_INT(post(&r, "h2", "/host/capacity", "{}", true, 5000), 0);
	ZST_EXPECT_INT(json_integer_value(json_object_get(r.reply, "usedCpu")), 2);
	result_clear(&r);
	ZST_EXPECT_INT(post(&r, "h2", "/vm/destroy", "{\"uuid\":\"vm1\"}", true, 5000), 0);
	result_clear(&r);
	ZST_EXPECT_INT(post(&r, "h2", "/host/fact", "{}", true, 5000), 0);
	ZST_EXPECT_STR(json_string_value(json_object_get(r.reply, "qemuImgVersion")), "7.2.0");
	result_clear(&r);
	/* an unknown path is the agent's 404 */
	ZST_EXPECT_INT(post(&r, "h2", "/vm/fly", "{}", true, 5000), ZS_UNIMPLEMENTED);
	result_clear(&r);
}

static void
test_agent_error(void)
{
	result r;
	sim_do("POST", "/sim/faults", "{\"host\":\"h3\",\"path\":\"/vm/start\",\"action\":\"fail\","
	    "\"error\":\"disk on fire\",\"times\":1}");
	ZST_EXPECT_INT(post(&r, "h3", "/vm/start", "{\"vmInstanceUuid\":\"v\"}", true, 5000), ZS_ABORTED);
	ZST_EXPECT(r.st != NULL && strcmp(r.st->error_code, "HTTP.1005") == 0);
	ZST_EXPECT(r.st != NULL && strstr(r.st->message, "h3") && strstr(r.st->message, "/vm/start") &&
	    strstr(r.st->message, "HTTP 200"));
	ZST_EXPECT(chain_has(r.st, "disk on fire"));
	result_clear(&r);
	/* once: the next one runs */
	ZST_EXPECT_INT(post(&r, "h3", "/vm/start", "{\"vmInstanceUuid\":\"v\"}", true, 5000), 0);
	result_clear(&r);
	/* synchronous commands carry it too */
	sim_do("POST", "/sim/faults", "{\"host\":\"h3\",\"path\":\"/host/connect\",\"action\":\"fail\","
	    "\"error\":\"no libvirt\",\"times\":2}");
	for (int i = 0; i < 2; i++) {
		ZST_EXPECT_INT(post(&r, "h3", "/host/connect", "{}", false, 5000), ZS_ABORTED);
		ZST_EXPECT(chain_has(r.st, "no libvirt"));
		result_clear(&r);
	}
	ZST_EXPECT_INT(post(&r, "h3", "/host/connect", "{}", false, 5000), 0);   /* N times, then fine */
	result_clear(&r);
}

static void
test_deadlines(void)
{
	result r;
	/* the callback comes too late */
	sim_do("POST", "/sim/faults", "{\"host\":\"h4\",\"path\":\"/vm/reboot\",\"action\":\"delay\","
	    "\"delayMs\":1500,\"times\":1}");
	ZST_EXPECT_INT(post(&r, "h4", "/vm/reboot", "{\"uuid\":\"x\"}", true, 300), ZS_DEADLINE_EXCEEDED);
	ZST_EXPECT(r.st != NULL && strcmp(r.st->error_code, "HTTP.1002") == 0);
	ZST_EXPECT(r.st != NULL && strstr(r.st->message, "/vm/reboot") && strstr(r.st->message, "h4"));
	ZST_CHECK(r.elapsed_ms >= 290 && r.elapsed_ms < 1400, "failed at the deadline (%lld ms)",
	    (long long) r.elapsed_ms);
	result_clear(&r);
	/* the agent never answers the request (hang) */
	sim_do("POST", "/sim/faults", "{\"host\":\"h4\",\"path\":\"/host/echo\",\"action\":\"hang\",\"times\":1}");
	ZST_EXPECT_INT(post(&r, "h4", "/host/echo", "{}", false, 300), ZS_DEADLINE_EXCEEDED);
	ZST_EXPECT(r.st != NULL && strstr(r.st->message, "/host/echo") && strstr(r.st->message, "h4"));
	result_clear(&r);
	/* the agent acknowledges and never calls back (lose) */
	sim_do("POST", "/sim/faults", "{\"host\":\"h4\",\"path\":\"/host/ping\",\"action\":\"lose\",\"times\":1}");
	ZST_EXPECT_INT(post(&r, "h4", "/host/ping", "{}", true, 300), ZS_DEADLINE_EXCEEDED);
	ZST_EXPECT(r.st != NULL && strstr(r.st->message, "no callback"));
	char late[40];
	snprintf(late, sizeof late, "%s", r.task);
	result_clear(&r);
	/* its late callback, and one nobody sent for, get 404; one without a task uuid 400 */
	char url[128];
	long code;
	snprintf(url, sizeof url, "%s/asyncrest/callback", getenv("ZST_CB_URL"));
	json_decref(raw_call("POST", url, "{\"success\":true}", late, &code));
	ZST_EXPECT_INT(code, 404);
	json_decref(raw_call("POST", url, "{\"success\":true}", "0123456789abcdef0123456789abcdef", &code));
	ZST_EXPECT_INT(code, 404);
	json_decref(raw_call("POST", url, "{}", NULL, &code));
	ZST_EXPECT_INT(code, 400);
	/* a deadline already passed fails at once, done never runs */
	zs_status *st = NULL;
	zs_http_req req = { .host = "h4", .url = "http://127.0.1.4:1/host/echo",
		.deadline_ms = zs_clock_ms() - 1 };
	ZST_EXPECT_INT(zs_http_post(http, &req, on_done, NULL, &st), ZS_DEADLINE_EXCEEDED);
	ZST_EXPECT(st != NULL && strstr(st->message, "/host/echo") && strstr(st->message, "h4"));
	zs_status_free(st);
}

static void
test_faults(void)
{
	result r;
	/* an HTTP error with the agent's text */
	sim_do("POST", "/sim/faults", "{\"host\":\"h5\",\"path\":\"/host/echo\",\"action\":\"http\","
	    "\"status\":503,\"error\":\"agent restarting\",\"times\":1}");
	ZST_EXPECT_INT(post(&r, "h5", "/host/echo", "{}", false, 5000), ZS_UNAVAILABLE);
	ZST_EXPECT(r.st != NULL && strcmp(r.st->error_code, "HTTP.1003") == 0 &&
	    strstr(r.st->message, "HTTP 503") != NULL);
	ZST_EXPECT(chain_has(r.st, "agent restarting"));
	result_clear(&r);
	/* a delay that fits the deadline */
	sim_do("POST", "/sim/faults", "{\"host\":\"h5\",\"path\":\"/host/echo\",\"action\":\"delay\","
	    "\"delayMs\":200,\"times\":1}");
	ZST_EXPECT_INT(post(&r, "h5", "/host/echo", "{}", false, 5000), 0);
	ZST_CHECK(r.elapsed_ms >= 195, "delayed (%lld ms)", (long long) r.elapsed_ms);
	result_clear(&r);
	/* die: refused until reset */
	sim_do("POST", "/sim/faults", "{\"host\":\"h6\",\"path\":\"*\",\"action\":\"die\",\"times\":1}");
	ZST_EXPECT_INT(post(&r, "h6", "/host/echo", "{}", false, 3000), ZS_UNAVAILABLE);
	ZST_EXPECT(r.st != NULL && strcmp(r.st->error_code, "HTTP.1001") == 0 && strstr(r.st->message, "h6"));
	result_clear(&r);
	ZST_EXPECT_INT(post(&r, "h6", "/host/ping", "{}", true, 3000), ZS_UNAVAILABLE);
	result_clear(&r);
	/* a fraction of the commands */
	sim_do("POST", "/sim/faults", "{\"host\":\"h7\",\"path\":\"/host/echo\",\"action\":\"fail\","
	    "\"fraction\":0.5}");
	int failed = 0;
	for (int i = 0; i < 100; i++) {
		failed += post(&r, "h7", "/host/echo", "{}", false, 5000) == ZS_ABORTED;
		result_clear(&r);
	}
	ZST_CHECK(failed >= 25 && failed <= 75, "about half failed (%d of 100)", failed);
	/* always, until reset */
	sim_do("POST", "/sim/faults", "{\"host\":\"h8\",\"path\":\"/vm/*\",\"action\":\"fail\"}");
	for (int i = 0; i < 3; i++) {
		ZST_EXPECT_INT(post(&r, "h8", "/vm/vmsync", "{}", true, 5000), ZS_ABORTED);
		result_clear(&r);
	}
	sim_do("POST", "/sim/reset", NULL);
	ZST_EXPECT_INT(post(&r, "h8", "/vm/vmsync", "{}", true, 5000), 0);
	result_clear(&r);
	ZST_EXPECT_INT(post(&r, "h6", "/host/echo", "{}", false, 5000), 0);   /* alive again */
	result_clear(&r);
	ZST_EXPECT_INT(post(&r, "h7", "/host/echo", "{}", false, 5000), 0);
	result_clear(&r);
}

static void
test_duplicate_task(void)
{
	/* the same task uuid twice: the second is dropped (no second callback) */
	char url[128], cb[160];
	long code;
	snprintf(url, sizeof url, "http://127.0.1.9:%d/host/ping", sim_port);
	snprintf(cb, sizeof cb, "callbackurl: %s/asyncrest/callback", getenv("ZST_CB_URL"));
	json_int_t before = sim_stat("duplicatesDropped");
	for (int i = 0; i < 2; i++) {
		CURL *c = curl_easy_init();
		struct curl_slist *h = curl_slist_append(NULL, "taskuuid: dup-task-1");
		h = curl_slist_append(h, cb);
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "{}");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, zst_sim_buf_write);
		zst_sim_buf b = { 0 };
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
		ZST_EXPECT(curl_easy_perform(c) == CURLE_OK);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		ZST_EXPECT_INT(code, 200);
		free(b.p);
		curl_slist_free_all(h);
		curl_easy_cleanup(c);
	}
	ZST_EXPECT_INT(sim_stat("duplicatesDropped"), before + 1);
}

/* 25 commands to one host whose agent is slow: 10 in flight, 15 queued, all done. */
static void
test_cap(void)
{
	enum { N = 25 };
	result r[N];
	char url[128];
	snprintf(url, sizeof url, "http://127.0.1.10:%d/vm/vmsync", sim_port);
	sim_do("DELETE", "/sim/inflight", NULL);   /* count from here */
	sim_do("POST", "/sim/faults", "{\"host\":\"h10\",\"path\":\"/vm/vmsync\",\"action\":\"delay\","
	    "\"delayMs\":400}");
	for (int i = 0; i < N; i++) {
		result_init(&r[i]);
		zs_http_req req = { .host = "h10", .url = url, .body = "{}", .async = true, .timeout_ms = 10000 };
		ZST_EXPECT_INT(zs_http_post(http, &req, on_done, &r[i], NULL), 0);
	}
	size_t inflight = 0, queued = 0;
	zs_http_host_load(http, "h10", &inflight, &queued);
	ZST_EXPECT_INT(inflight, 10);
	ZST_EXPECT_INT(queued, 15);
	struct timespec ts = { 0, 200 * 1000000L };
	nanosleep(&ts, NULL);
	json_t *log = sim_ctl("GET", "/sim/log?host=h10&path=/vm/vmsync", NULL);
	ZST_CHECK(json_array_size(json_object_get(log, "entries")) == 10,
	    "the agent got 10 at once (%zu)", json_array_size(json_object_get(log, "entries")));
	json_decref(log);
	int ok = 0;
	for (int i = 0; i < N; i++) {
		ok += result_wait(&r[i], 10000) && r[i].code == 0;
		result_clear(&r[i]);
	}
	ZST_EXPECT_INT(ok, N);
	zs_http_host_load(http, "h10", &inflight, &queued);
	ZST_EXPECT_INT(inflight + queued, 0);
	/* the simulator counted them the same: never more than 10 held open at once */
	json_t *fl = sim_ctl("GET", "/sim/inflight", NULL);
	json_t *vs = json_object_get(json_object_get(fl, "paths"), "/vm/vmsync");
	char *text = json_dumps(vs, JSON_COMPACT);
	ZST_CHECK(json_integer_value(json_object_get(vs, "max")) == 10 &&
	    json_integer_value(json_object_get(vs, "now")) == 0 &&
	    json_integer_value(json_object_get(vs, "total")) == N,
	    "GET /sim/inflight: /vm/vmsync at most 10 at once, none now, %d in all (%s)", N,
	    text != NULL ? text : "none");
	free(text);
	json_decref(fl);
	sim_do("DELETE", "/sim/faults", NULL);
}

/* Many commands over few hosts: connections are kept and reused (at most the cap per host). */
static void
test_reuse_and_load(void)
{
	enum { HOSTS = 8, PER = 250 };
	static result r[HOSTS * PER];
	json_int_t conns0 = sim_stat("connections");
	int64_t t0 = zs_clock_ms();
	for (int i = 0; i < HOSTS * PER; i++) {
		char url[128];
		int host = 11 + i % HOSTS;
		snprintf(url, sizeof url, "http://127.0.1.%d:%d/%s", host, sim_port,
		    i % 2 ? "host/echo" : "vm/vmsync");
		char key[8];
		snprintf(key, sizeof key, "h%d", host);
		result_init(&r[i]);
		zs_http_req req = { .host = key, .url = url, .body = "{}", .async = i % 2 == 0,
			.timeout_ms = 20000 };
		if (zs_http_post(http, &req, on_done, &r[i], NULL) != 0)
			r[i].done = true, r[i].code = -1;
	}
	int ok = 0;
	for (int i = 0; i < HOSTS * PER; i++) {
		ok += result_wait(&r[i], 20000) && r[i].code == 0;
		result_clear(&r[i]);
	}
	int64_t ms = zs_clock_ms() - t0;
	ZST_EXPECT_INT(ok, HOSTS * PER);
	json_int_t conns = sim_stat("connections") - conns0 - 1;   /* -1: the stats call itself */
	printf("  load: %d commands (half async) over %d hosts in %lld ms (%.0f/s); %lld connections\n",
	    HOSTS * PER, HOSTS, (long long) ms, HOSTS * PER * 1000.0 / (double) (ms ? ms : 1),
	    (long long) conns);
	ZST_CHECK(conns <= HOSTS * 10, "connections reused: %lld for %d commands (cap %d)",
	    (long long) conns, HOSTS * PER, HOSTS * 10);
	ZST_CHECK(ms < 20000, "bounded in time (%lld ms)", (long long) ms);
}

int
main(int argc, char **argv)
{
	zst_check_init("http");
	alarm(170);
	ZST_REQUIRE(argc == 2, "usage: http_test ZS_KVMSIM");
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	sim_port = zst_sim_start(argv[1]);
	snprintf(sim_url, sizeof sim_url, "http://127.0.0.1:%d", sim_port);
	char cb_url[64], cb_full[96], err[256];
	ZST_REQUIRE(cb_start(cb_url, sizeof cb_url) == 0, "a callback server");
	setenv("ZST_CB_URL", cb_url, 1);
	snprintf(cb_full, sizeof cb_full, "%s/asyncrest/callback", cb_url);
	zs_http_env env = { .node_id = "test", .callback_url = cb_full, .sync_level = 10 };
	ZST_REQUIRE(zs_http_new(&http, &env, err, sizeof err) == 0, "the facility: %s", err);
	sim_do("POST", "/sim/hosts", "{\"count\":20,\"namePrefix\":\"h\",\"ipFrom\":\"127.0.1.1\"}");
	sim_do("POST", "/sim/hosts", "{\"name\":\"p1\",\"cpu\":4,\"memory\":\"8G\"}");

	test_sync_and_async();
	test_agent_error();
	test_deadlines();
	test_faults();
	test_duplicate_task();
	test_cap();
	test_reuse_and_load();

	/* stopping fails nothing twice and refuses new commands */
	zs_http_stop(http);
	zs_http_req req = { .host = "h1", .url = "http://127.0.1.1:1/host/echo", .timeout_ms = 1000 };
	ZST_EXPECT_INT(zs_http_post(http, &req, on_done, NULL, NULL), ZS_UNAVAILABLE);
	zs_http_free(http);
	nng_http_server_stop(cb_server);
	nng_http_server_release(cb_server);
	int status = zst_sim_stop();
	ZST_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "zs-kvmsim exits 0 on SIGTERM "
	    "(status %d)", status);
	curl_global_cleanup();
	return zst_check_summary();
}
