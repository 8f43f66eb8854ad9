/*
 * lifecycle_test.c: a real zsnode's life. Graceful shutdown: a SlowSay of 1500 ms in
 * flight at SIGTERM completes OK with shutdown.grace=5s, gets UNAVAILABLE with
 * shutdown.grace=100ms, a call sent while draining is refused, and the node exits 0 each
 * time. Plugins: without echo.xml the node serves and Echo/Say is UNIMPLEMENTED; a
 * descriptor with an XML error, one naming a symbol the .so lacks, and a required
 * property left unset each stop the start with a message naming the culprit; an
 * unknown --set only warns. Metrics: /metrics counts Say calls by code, /healthz says
 * SERVING.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zs/client.h"
#include "zs/echo/v1/echo.zsc.h"
#include "zs/health/v1/health.zsc.h"
#include "zst_node.h"

/* The outcome of one async call. */
typedef struct outcome {
	pthread_mutex_t lock;
	bool done;
	int code;
	int64_t at_ms;
	char message[256];
} outcome;

static void
outcome_init(outcome *o)
{
	memset(o, 0, sizeof *o);
	pthread_mutex_init(&o->lock, NULL);
	o->code = -1;
}

static void
on_slow(int code, const zs_status *status, Zs__Echo__V1__SayReply *reply, void *arg)
{
	outcome *o = arg;
	pthread_mutex_lock(&o->lock);
	o->code = code;
	o->at_ms = zst_now_ms();
	snprintf(o->message, sizeof o->message, "%s", status ? status->message : reply ? reply->text : "");
	o->done = true;
	pthread_mutex_unlock(&o->lock);
	zs_reply_free(reply);
}

static bool
outcome_wait(outcome *o, int timeout_ms)
{
	int64_t until = zst_now_ms() + timeout_ms;
	for (;;) {
		pthread_mutex_lock(&o->lock);
		bool done = o->done;
		pthread_mutex_unlock(&o->lock);
		if (done || zst_now_ms() >= until)
			return done;
		zst_sleep_ms(5);
	}
}

/* Starts a SlowSay of delay_ms and waits until the node counts it in flight. */
static int
slow_in_flight(const zst_node *n, zs_client *c, outcome *o, uint32_t delay_ms)
{
	Zs__Echo__V1__SlowSayRequest req = ZS__ECHO__V1__SLOW_SAY_REQUEST__INIT;
	req.text = (char *) "draining";
	req.delay_ms = delay_ms;
	zs_call_opts opts = { .timeout_ms = 10000, .session = n->session };
	if (zs_echo_v1_echo_slow_say_async(c, &req, on_slow, o, &opts) != 0)
		return -1;
	int64_t until = zst_now_ms() + 2000;
	while (zst_now_ms() < until) {
		if (zst_node_metric(n, "zs_rpc_inflight") >= 1)
			return 0;
		zst_sleep_ms(10);
	}
	return -1;
}

/* Say now, from a fresh client with session: the code, and the message in msg. */
static int
say_now(const char *url, const char *session, int timeout_ms, char *msg, size_t len)
{
	zs_client *c = NULL;
	if (zs_client_open(&c, url) != 0)
		return -1;
	Zs__Echo__V1__SayRequest req = ZS__ECHO__V1__SAY_REQUEST__INIT;
	req.text = (char *) "late comer";
	Zs__Echo__V1__SayReply *reply = NULL;
	zs_status *st = NULL;
	zs_call_opts opts = { .timeout_ms = (uint32_t) timeout_ms, .session = session };
	int code = zs_echo_v1_echo_say(c, &req, &reply, &st, &opts);
	snprintf(msg, len, "%s", st ? st->message : "");
	zs_reply_free(reply);
	zs_status_free(st);
	zs_client_close(c);
	return code;
}

static void
test_drain_with_grace(void)
{
	zst_node n;
	const char *sets[] = { "shutdown.grace=5s", NULL };
	if (!ZST_CHECK(zst_node_start(&n, NULL, sets) == 0, "zsnode starts with shutdown.grace=5s"))
		return;
	zs_client *c = NULL;
	outcome o;
	outcome_init(&o);
	bool sent = zs_client_open(&c, n.rpc_url) == 0 && slow_in_flight(&n, c, &o, 1500) == 0;
	ZST_CHECK(sent, "grace 5s: a SlowSay of 1500 ms is in flight");
	int64_t t0 = zst_now_ms();
	kill(n.pid, SIGTERM);

	/* draining shows on /healthz; wait for it (bounded) so the next call is surely late */
	char url[128], msg[256];
	snprintf(url, sizeof url, "%s/healthz", n.http_url);
	long http = 200;
	char *body = NULL;
	for (int64_t until = zst_now_ms() + 2000; http == 200 && zst_now_ms() < until;) {
		free(body);
		body = zst_http_get(url, &http, 1000);
		if (http == 200)
			zst_sleep_ms(10);
	}
	if (body != NULL)
		body[strcspn(body, "\n")] = '\0';
	ZST_CHECK(http != 200, "grace 5s: /healthz stops saying SERVING while draining (HTTP %ld: "
	    "%s)", http, body ? body : "no answer");
	free(body);
	int code = say_now(n.rpc_url, n.session, 2000, msg, sizeof msg);
	ZST_CHECK(code == ZS_CLIENT_UNAVAILABLE, "grace 5s: a call sent while draining gets "
	    "UNAVAILABLE (got %s: %s)", zs_client_code_name(code), msg);
	ZST_CHECK(code != ZS_CLIENT_UNAVAILABLE || strstr(msg, "shutting down") != NULL ||
	    strstr(msg, "cannot reach") != NULL, "grace 5s: ... and says why (\"%s\")", msg);

	bool done = outcome_wait(&o, 5000);
	ZST_CHECK(sent && done && o.code == ZS_CLIENT_OK, "grace 5s: the call in flight completes "
	    "OK (%s: %s, %lld ms after SIGTERM)", zs_client_code_name(o.code), o.message,
	    (long long) (o.at_ms - t0));
	int exit_code = zst_node_wait_exit(&n, 10000);
	int64_t ms = zst_now_ms() - t0;
	ZST_CHECK(exit_code == 0, "grace 5s: zsnode exits 0 (exit %d, %lld ms after SIGTERM)",
	    exit_code, (long long) ms);
	ZST_CHECK(exit_code != 0 || ms < 4000, "grace 5s: it exits once the call is done, not at "
	    "the end of the grace (%lld ms)", (long long) ms);
	zst_node_check_sanitizers(&n, "grace 5s: zsnode");
	if (c != NULL && (done || !sent))
		zs_client_close(c);
	if (exit_code != 0)
		zst_node_dump_stderr(&n);
	zst_node_cleanup(&n);
}

static void
test_drain_short_grace(void)
{
	zst_node n;
	const char *sets[] = { "shutdown.grace=100ms", NULL };
	if (!ZST_CHECK(zst_node_start(&n, NULL, sets) == 0, "zsnode starts with shutdown.grace=100ms"))
		return;
	zs_client *c = NULL;
	outcome o;
	outcome_init(&o);
	bool sent = zs_client_open(&c, n.rpc_url) == 0 && slow_in_flight(&n, c, &o, 1500) == 0;
	ZST_CHECK(sent, "grace 100ms: a SlowSay of 1500 ms is in flight");
	int64_t t0 = zst_now_ms();
	kill(n.pid, SIGTERM);
	bool done = outcome_wait(&o, 3000);
	ZST_CHECK(sent && done && o.code == ZS_CLIENT_UNAVAILABLE, "grace 100ms: the call in "
	    "flight gets UNAVAILABLE (%s: %s, %lld ms after SIGTERM)", zs_client_code_name(o.code),
	    o.message, (long long) (o.at_ms - t0));
	ZST_CHECK(done && o.at_ms - t0 < 1000, "grace 100ms: ... soon, not after the 1500 ms "
	    "delay (%lld ms)", (long long) (o.at_ms - t0));
	int exit_code = zst_node_wait_exit(&n, 10000);
	int64_t ms = zst_now_ms() - t0;
	ZST_CHECK(exit_code == 0 && ms < 2000, "grace 100ms: zsnode exits 0 promptly (exit %d, "
	    "%lld ms after SIGTERM)", exit_code, (long long) ms);
	zst_node_check_sanitizers(&n, "grace 100ms: zsnode");
	if (c != NULL && (done || !sent))
		zs_client_close(c);
	if (exit_code != 0)
		zst_node_dump_stderr(&n);
	zst_node_cleanup(&n);
}

/* A copy of the plugins folder in dir, with echo.xml replaced by xml (NULL: left out). */
static int
plugins_with_echo(char *dir, size_t len, const char *xml)
{
	if (zst_mkdtemp(dir, len) != 0 || zst_copy_plugins(dir, "echo.xml") != 0)
		return -1;
	if (xml == NULL)
		return 0;
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/echo.xml", dir);
	return zst_write_file(path, xml);
}

/* The built echo.xml with `from` replaced by `to` (caller frees); NULL when from is absent. */
static char *
echo_xml_edited(const char *from, const char *to, int *line)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/echo.xml", zst_plugins());
	char *xml = zst_read_file(path);
	char *at = xml != NULL ? strstr(xml, from) : NULL;
	if (at == NULL) {
		free(xml);
		return NULL;
	}
	*line = 1;
	for (const char *p = xml; p < at; p++)
		*line += *p == '\n';
	char *out = NULL;
	if (asprintf(&out, "%.*s%s%s", (int) (at - xml), xml, to, at + strlen(from)) < 0)
		out = NULL;
	free(xml);
	return out;
}

static void
test_without_echo(void)
{
	char dir[256];
	if (!ZST_CHECK(plugins_with_echo(dir, sizeof dir, NULL) == 0, "a plugins folder without "
	    "echo.xml"))
		return;
	zst_node n;
	if (ZST_CHECK(zst_node_start(&n, dir, NULL) == 0, "without echo.xml: zsnode starts and "
	    "Health/Check says SERVING")) {
		char msg[256];
		int code = say_now(n.rpc_url, n.session, 3000, msg, sizeof msg);
		ZST_CHECK(code == 12 && strstr(msg, "zs.echo.v1.Echo") != NULL, "without echo.xml: "
		    "Echo/Say gets UNIMPLEMENTED naming the unknown service (%s: %s)",
		    zs_client_code_name(code), msg);

		zs_client *c = NULL;
		if (zs_client_open(&c, n.rpc_url) == 0) {
			Zs__Health__V1__HealthCheckRequest req = ZS__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
			Zs__Health__V1__HealthCheckResponse *reply = NULL;
			zs_status *st = NULL;
			req.service = (char *) "zs.echo.v1.Echo";
			code = zs_health_v1_health_check(c, &req, &reply, &st, NULL);
			ZST_CHECK(code == 5, "without echo.xml: Health/Check of zs.echo.v1.Echo is "
			    "NOT_FOUND (got %s)", zs_client_code_name(code));
			zs_reply_free(reply);
			zs_status_free(st);
			zs_client_close(c);
		}
		zst_node_stop(&n);
		zst_node_cleanup(&n);
	}
	zst_rmtree(dir);
}

/* Starts zsnode on a plugins folder whose echo.xml is xml; it must exit non-zero within
 * 10 s and its stderr must hold every word. */
static void
expect_start_fails(const char *label, const char *xml, const char *const *sets,
    const char *const *words)
{
	char dir[256];
	if (!ZST_CHECK(xml != NULL && plugins_with_echo(dir, sizeof dir, xml) == 0,
	    "%s: the descriptor is written", label))
		return;
	zst_node n;
	if (zst_node_spawn(&n, dir, sets) == 0) {
		int code = zst_node_wait_exit(&n, 10000);
		ZST_CHECK(code > 0 && code < 128, "%s: zsnode exits non-zero, no crash (exit %d)",
		    label, code);
		char *err = zst_node_stderr(&n);
		for (size_t i = 0; words[i] != NULL; i++)
			ZST_CHECK(strstr(err, words[i]) != NULL, "%s: stderr names %s", label, words[i]);
		const char *said = strstr(err, "zsnode: ");
		if (said != NULL)
			zst_note("%.*s", (int) strcspn(said, "\n"), said);
		free(err);
		char what[160];
	snprintf(what, sizeof what, "%s: zsnode", label);
	zst_node_check_sanitizers(&n, what);
		zst_node_cleanup(&n);
	}
	zst_rmtree(dir);
}

static void
test_bad_descriptors(void)
{
	int line = 0;
	char where[64];

	/* an XML error: a closing tag that does not match */
	char *xml = echo_xml_edited("</api>", "</apii>", &line);
	snprintf(where, sizeof where, "echo.xml:%d", line);
	expect_start_fails("descriptor with an XML error", xml, NULL,
	    (const char *const[]) { where, NULL });
	free(xml);

	xml = echo_xml_edited("symbol=\"echo_service\"", "symbol=\"echo_service_missing\"", &line);
	snprintf(where, sizeof where, "echo.xml:%d", line);
	expect_start_fails("descriptor naming a symbol the .so lacks", xml, NULL,
	    (const char *const[]) { "echo_service_missing", where, NULL });
	free(xml);

	xml = echo_xml_edited("</service>", "  <property name=\"echo.e2e_required\" "
	    "required=\"true\" description=\"a property the e2e test leaves unset\"/>\n</service>",
	    &line);
	expect_start_fails("a required property without a value", xml, NULL,
	    (const char *const[]) { "echo.e2e_required", "required", NULL });
	free(xml);
}

/* Metrics after N calls; an unknown --set only warns. */
static void
test_metrics(void)
{
	enum { N = 25 };
	zst_node n;
	const char *sets[] = { "no.such.property=1", NULL };
	if (!ZST_CHECK(zst_node_start(&n, NULL, sets) == 0, "zsnode starts with an unknown "
	    "--set no.such.property=1"))
		return;
	ZST_CHECK(zst_node_stderr_has(&n, "no.such.property") &&
	    zst_node_stderr_has(&n, "WARN"), "the unknown property is warned about on stderr");

	zs_client *c = NULL;
	int ok = 0;
	zs_call_opts as_admin = { .session = n.session };
	if (zs_client_open(&c, n.rpc_url) == 0) {
		for (int i = 0; i < N; i++) {
			Zs__Echo__V1__SayRequest req = ZS__ECHO__V1__SAY_REQUEST__INIT;
			Zs__Echo__V1__SayReply *reply = NULL;
			req.text = (char *) "count me";
			ok += zs_echo_v1_echo_say(c, &req, &reply, NULL, &as_admin) == ZS_CLIENT_OK;
			zs_reply_free(reply);
		}
		Zs__Echo__V1__SlowSayRequest slow = ZS__ECHO__V1__SLOW_SAY_REQUEST__INIT;
		Zs__Echo__V1__SayReply *reply = NULL;
		zs_call_opts opts = { .timeout_ms = 100, .session = n.session };
		slow.text = (char *) "too slow";
		slow.delay_ms = 1000;
		zs_echo_v1_echo_slow_say(c, &slow, &reply, NULL, &opts);
		zs_reply_free(reply);
		zs_client_close(c);
	}
	ZST_CHECK(ok == N, "%d Say calls answered OK (%d)", N, ok);
	char url[128];
	long http = 0;
	snprintf(url, sizeof url, "%s/metrics", n.http_url);
	char *text = zst_http_get(url, &http, 5000);
	ZST_CHECK(text != NULL && http == 200, "GET /metrics answers 200 (HTTP %ld)", http);
	double say = text ? zst_metric(text,
	    "zs_rpc_calls_total{method=\"zs.echo.v1.Echo/Say\",code=\"OK\"}") : -1;
	ZST_CHECK(say == N, "/metrics: zs_rpc_calls_total for Say, code OK, is %d (%g)", N, say);
	double late = text ? zst_metric(text,
	    "zs_rpc_calls_total{method=\"zs.echo.v1.Echo/SlowSay\",code=\"DEADLINE_EXCEEDED\"}") : -1;
	ZST_CHECK(late == 1, "/metrics: the SlowSay past its deadline is counted as "
	    "DEADLINE_EXCEEDED (%g)", late);
	double hist = text ? zst_metric(text,
	    "zs_rpc_call_seconds_count{method=\"zs.echo.v1.Echo/Say\"}") : -1;
	ZST_CHECK(hist == N, "/metrics: the Say latency histogram counts %d calls (%g)", N, hist);
	free(text);

	snprintf(url, sizeof url, "%s/healthz", n.http_url);
	text = zst_http_get(url, &http, 5000);
	if (text != NULL)
		text[strcspn(text, "\n")] = '\0';
	ZST_CHECK(text != NULL && http == 200 && strstr(text, "SERVING") != NULL,
	    "GET /healthz says SERVING (HTTP %ld: %s)", http, text ? text : "no answer");
	free(text);
	zst_node_stop(&n);
	zst_node_cleanup(&n);
}

int
main(int argc, char **argv)
{
	if (zst_init(argc, argv, "lifecycle", 100) != 0)
		return 1;
	test_drain_with_grace();
	test_drain_short_grace();
	test_without_echo();
	test_bad_descriptors();
	test_metrics();
	return zst_summary();
}
