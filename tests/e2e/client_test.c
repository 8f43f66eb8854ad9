/*
 * client_test.c: the generated typed client (zs/echo/v1/echo.zsc.h over libzsclient)
 * against a real zsnode: sync Say over tcp and ipc; 1000 async calls in flight, each
 * answered with its own text; SlowSay past its deadline -> DEADLINE_EXCEEDED with
 * ECHO.1002 near the timeout; 20000 SlowSay calls of 300 ms in flight at once, all OK
 * within a few seconds; the echo.text_limit interceptor (echo.max_text=10) refusing a
 * long text with ECHO.1001 and its declared description; a node that is not running
 * -> UNAVAILABLE or DEADLINE_EXCEEDED within the timeout, not a hang.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zs/client.h"
#include "zs/echo/v1/echo.zsc.h"
#include "zst_node.h"

#define ASYNC_CALLS 1000
#define MANY_CALLS 20000
#define MANY_DELAY_MS 1000   /* long enough that most of the calls overlap, even on a slow build */
#define MANY_LIMIT_MS 6000

/* Outcomes of a batch of async calls. */
typedef struct batch {
	pthread_mutex_t lock;
	int done, ok, wrong, deadline, with_code;
	int first_bad_code;
	char first_bad[256];
	char first_uncoded[256];      /* a failure without the wanted error_code */
} batch;

/* One async call: which batch, and what text it must get back. */
typedef struct call {
	batch *b;
	char text[32];
	const char *want_error_code;  /* for calls that must fail */
} call;

static void
batch_init(batch *b)
{
	memset(b, 0, sizeof *b);
	pthread_mutex_init(&b->lock, NULL);
	b->first_bad_code = -1;
}

static int
batch_done(batch *b)
{
	pthread_mutex_lock(&b->lock);
	int done = b->done;
	pthread_mutex_unlock(&b->lock);
	return done;
}

/* Waits until n calls finished or timeout_ms passed; returns how many finished. */
static int
batch_wait(batch *b, int n, int timeout_ms)
{
	int64_t until = zst_now_ms() + timeout_ms;
	int done;
	while ((done = batch_done(b)) < n && zst_now_ms() < until)
		zst_sleep_ms(5);
	return done;
}

static void
on_say(int code, const zs_status *status, Zs__Echo__V1__SayReply *reply, void *arg)
{
	call *c = arg;
	batch *b = c->b;
	pthread_mutex_lock(&b->lock);
	bool good = code == ZS_CLIENT_OK && reply != NULL && strcmp(reply->text, c->text) == 0;
	if (good) {
		b->ok++;
	} else if (b->first_bad_code < 0) {
		b->first_bad_code = code;
		snprintf(b->first_bad, sizeof b->first_bad, "%s: %s (wanted \"%s\", got \"%s\")",
		    zs_client_code_name(code), status ? status->message : "",
		    c->text, reply ? reply->text : "");
	}
	if (!good && code == ZS_CLIENT_OK)
		b->wrong++;
	if (code == ZS_CLIENT_DEADLINE_EXCEEDED)
		b->deadline++;
	if (status != NULL && c->want_error_code != NULL &&
	    strcmp(status->error_code, c->want_error_code) == 0)
		b->with_code++;
	else if (c->want_error_code != NULL && b->first_uncoded[0] == '\0')
		snprintf(b->first_uncoded, sizeof b->first_uncoded, "%s, error_code \"%s\": %s",
		    zs_client_code_name(code), status ? status->error_code : "",
		    status ? status->message : "");
	b->done++;
	pthread_mutex_unlock(&b->lock);
	zs_reply_free(reply);
}

/* Sync Say with session; checks OK and the text back. */
static void
say_sync(const char *url, const char *session, const char *label)
{
	zs_client *c = NULL;
	int rv = zs_client_open(&c, url);
	if (!ZST_CHECK(rv == 0, "%s: zs_client_open(%s) (%d)", label, url, rv))
		return;
	Zs__Echo__V1__SayRequest req = ZS__ECHO__V1__SAY_REQUEST__INIT;
	req.text = (char *) label;
	Zs__Echo__V1__SayReply *reply = NULL;
	zs_status *st = NULL;
	zs_call_opts opts = { .timeout_ms = 5000, .session = session };
	int code = zs_echo_v1_echo_say(c, &req, &reply, &st, &opts);
	ZST_CHECK(code == ZS_CLIENT_OK && reply != NULL && strcmp(reply->text, label) == 0 &&
	    reply->node_id[0] != '\0', "%s: sync Say answers OK with the text and a node id "
	    "(%s%s%s)", label, zs_client_code_name(code), st ? ": " : "", st ? st->message : "");
	zs_reply_free(reply);
	zs_status_free(st);
	zs_client_close(c);
}

static void
test_async(const zst_node *n)
{
	zs_client *c = NULL;
	if (!ZST_CHECK(zs_client_open(&c, n->rpc_url) == 0, "async: client opens"))
		return;
	batch b;
	batch_init(&b);
	call *calls = calloc(ASYNC_CALLS, sizeof *calls);
	int refused = 0;
	int64_t t0 = zst_now_ms();
	zs_call_opts opts = { .timeout_ms = 10000, .session = n->session };
	for (int i = 0; i < ASYNC_CALLS; i++) {
		Zs__Echo__V1__SayRequest req = ZS__ECHO__V1__SAY_REQUEST__INIT;
		calls[i].b = &b;
		snprintf(calls[i].text, sizeof calls[i].text, "m%d", i);
		req.text = calls[i].text;
		if (zs_echo_v1_echo_say_async(c, &req, on_say, &calls[i], &opts) != 0) {
			refused++;
			pthread_mutex_lock(&b.lock);
			b.done++;
			pthread_mutex_unlock(&b.lock);
		}
	}
	int done = batch_wait(&b, ASYNC_CALLS, 15000);
	int64_t ms = zst_now_ms() - t0;
	ZST_CHECK(refused == 0 && done == ASYNC_CALLS && b.ok == ASYNC_CALLS,
	    "async: %d Say calls in flight, all answered OK with their own text (%d done, %d ok, "
	    "%d wrong text, %d not sent, in %lld ms)%s%s", ASYNC_CALLS, done, b.ok, b.wrong, refused,
	    (long long) ms, b.first_bad[0] ? "; first bad: " : "", b.first_bad);
	if (done == ASYNC_CALLS)
		zs_client_close(c);   /* it would wait for calls that never end */
	free(calls);
}

static void
test_deadline(const zst_node *n)
{
	zs_client *c = NULL;
	if (!ZST_CHECK(zs_client_open(&c, n->rpc_url) == 0, "deadline: client opens"))
		return;
	Zs__Echo__V1__SlowSayRequest req = ZS__ECHO__V1__SLOW_SAY_REQUEST__INIT;
	req.text = (char *) "slow";
	req.delay_ms = 2000;
	zs_call_opts opts = { .timeout_ms = 300, .session = n->session };
	Zs__Echo__V1__SayReply *reply = NULL;
	zs_status *st = NULL;
	int64_t t0 = zst_now_ms();
	int code = zs_echo_v1_echo_slow_say(c, &req, &reply, &st, &opts);
	int64_t ms = zst_now_ms() - t0;
	ZST_CHECK(code == ZS_CLIENT_DEADLINE_EXCEEDED, "SlowSay 2000 ms with timeout 300: "
	    "DEADLINE_EXCEEDED (got %s: %s)", zs_client_code_name(code), st ? st->message : "");
	ZST_CHECK(st != NULL && strcmp(st->error_code, "ECHO.1002") == 0, "SlowSay past its "
	    "deadline: error_code ECHO.1002 (got \"%s\", message \"%s\")",
	    st ? st->error_code : "", st ? st->message : "");
	ZST_CHECK(ms >= 250 && ms < 1000, "SlowSay past its deadline: answered near 300 ms, not "
	    "2000 (%lld ms)", (long long) ms);
	zs_reply_free(reply);
	zs_status_free(st);

	/* the same, 50 at once: every one must carry the service's code, not only the first */
	batch b;
	batch_init(&b);
	call calls[50];
	for (int i = 0; i < 50; i++) {
		calls[i].b = &b;
		snprintf(calls[i].text, sizeof calls[i].text, "late%d", i);
		calls[i].want_error_code = "ECHO.1002";
		req.text = calls[i].text;
		if (zs_echo_v1_echo_slow_say_async(c, &req, on_say, &calls[i], &opts) != 0) {
			pthread_mutex_lock(&b.lock);
			b.done++;
			pthread_mutex_unlock(&b.lock);
		}
	}
	int done = batch_wait(&b, 50, 10000);
	ZST_CHECK(done == 50 && b.deadline == 50 && b.with_code == 50, "50 SlowSay past their "
	    "deadline at once: all DEADLINE_EXCEEDED with ECHO.1002 (%d done, %d deadline, %d with "
	    "ECHO.1002)%s%s", done, b.deadline, b.with_code,
	    b.first_uncoded[0] ? "; e.g. " : "", b.first_uncoded);
	if (done == 50)
		zs_client_close(c);
}

/* Samples zs_rpc_inflight while a batch runs; returns the highest value seen. */
static double
peak_inflight(const zst_node *n, batch *b, int total, int timeout_ms)
{
	double peak = 0;
	int64_t until = zst_now_ms() + timeout_ms;
	while (batch_done(b) < total && zst_now_ms() < until) {
		double v = zst_node_metric(n, "zs_rpc_inflight");
		if (v > peak)
			peak = v;
		zst_sleep_ms(50);
	}
	return peak;
}

static void
test_many(const zst_node *n)
{
	zs_client *c = NULL;
	if (!ZST_CHECK(zs_client_open(&c, n->rpc_url) == 0, "many: client opens"))
		return;
	batch b;
	batch_init(&b);
	call *calls = calloc(MANY_CALLS, sizeof *calls);
	zs_call_opts opts = { .timeout_ms = 20000, .session = n->session };
	int refused = 0;
	int64_t t0 = zst_now_ms();
	for (int i = 0; i < MANY_CALLS; i++) {
		Zs__Echo__V1__SlowSayRequest req = ZS__ECHO__V1__SLOW_SAY_REQUEST__INIT;
		calls[i].b = &b;
		snprintf(calls[i].text, sizeof calls[i].text, "s%d", i);
		req.text = calls[i].text;
		req.delay_ms = MANY_DELAY_MS;
		if (zs_echo_v1_echo_slow_say_async(c, &req, on_say, &calls[i], &opts) != 0) {
			refused++;
			pthread_mutex_lock(&b.lock);
			b.done++;
			pthread_mutex_unlock(&b.lock);
		}
	}
	int64_t sent_ms = zst_now_ms() - t0;
	double peak = peak_inflight(n, &b, MANY_CALLS, MANY_LIMIT_MS);
	int done = batch_wait(&b, MANY_CALLS, 25000 - (int) (zst_now_ms() - t0));
	int64_t ms = zst_now_ms() - t0;
	zst_note("%d SlowSay of %d ms: sent in %lld ms, peak zs_rpc_inflight %.0f, %d done "
	    "(%d OK) after %lld ms", MANY_CALLS, MANY_DELAY_MS, (long long) sent_ms, peak, done,
	    b.ok, (long long) ms);
	ZST_CHECK(refused == 0 && done == MANY_CALLS && b.ok == MANY_CALLS,
	    "%d SlowSay calls of %d ms in flight at once: all answered OK (%d done, %d ok, %d not "
	    "sent)%s%s", MANY_CALLS, MANY_DELAY_MS, done, b.ok, refused,
	    b.first_bad[0] ? "; first bad: " : "", b.first_bad);
	ZST_CHECK(done == MANY_CALLS && ms <= MANY_LIMIT_MS, "%d SlowSay calls of %d ms: all "
	    "answered within %d ms (took %lld ms%s)", MANY_CALLS, MANY_DELAY_MS, MANY_LIMIT_MS,
	    (long long) ms, done < MANY_CALLS ? ", some never" : "");
	ZST_CHECK(peak >= MANY_CALLS / 4, "%d SlowSay calls: the node held thousands in flight "
	    "at once (peak zs_rpc_inflight %.0f)", MANY_CALLS, peak);
	ZST_CHECK(zst_serving(n), "after %d SlowSay calls the node still answers SERVING",
	    MANY_CALLS);
	if (done == MANY_CALLS)
		zs_client_close(c);
	free(calls);
}

static void
test_interceptor(void)
{
	zst_node n;
	const char *sets[] = { "echo.max_text=10", NULL };
	if (!ZST_CHECK(zst_node_start(&n, NULL, sets) == 0, "zsnode starts with echo.max_text=10"))
		return;
	zs_client *c = NULL;
	if (ZST_CHECK(zs_client_open(&c, n.rpc_url) == 0, "interceptor: client opens")) {
		zs_call_opts as_admin = { .session = n.session };
		Zs__Echo__V1__SayRequest req = ZS__ECHO__V1__SAY_REQUEST__INIT;
		Zs__Echo__V1__SayReply *reply = NULL;
		zs_status *st = NULL;
		req.text = (char *) "0123456789abcdefghij";   /* 20 bytes */
		int code = zs_echo_v1_echo_say(c, &req, &reply, &st, &as_admin);
		ZST_CHECK(code == 3, "Say of 20 bytes with echo.max_text=10: INVALID_ARGUMENT (got %s)",
		    zs_client_code_name(code));
		ZST_CHECK(st != NULL && strcmp(st->error_code, "ECHO.1001") == 0,
		    "the refusal carries error_code ECHO.1001 (got \"%s\")", st ? st->error_code : "");
		ZST_CHECK(st != NULL && strcmp(st->description,
		    "the text is longer than echo.max_text allows") == 0,
		    "status->description is the one echo.xml declares (got \"%s\")",
		    st ? st->description : "");
		ZST_CHECK(st != NULL && strstr(st->message, "20") != NULL &&
		    strstr(st->message, "echo.max_text") != NULL,
		    "the message names the length and the limit (\"%s\")", st ? st->message : "");
		zs_reply_free(reply);
		zs_status_free(st);
		st = NULL;
		reply = NULL;

		Zs__Echo__V1__SlowSayRequest slow = ZS__ECHO__V1__SLOW_SAY_REQUEST__INIT;
		slow.text = req.text;
		slow.delay_ms = 10;
		code = zs_echo_v1_echo_slow_say(c, &slow, &reply, &st, &as_admin);
		ZST_CHECK(code == 3 && st != NULL && strcmp(st->error_code, "ECHO.1001") == 0,
		    "SlowSay of 20 bytes is refused the same way (got %s, \"%s\")",
		    zs_client_code_name(code), st ? st->error_code : "");
		zs_reply_free(reply);
		zs_status_free(st);
		st = NULL;
		reply = NULL;

		req.text = (char *) "0123456789";   /* 10 bytes: at the limit */
		code = zs_echo_v1_echo_say(c, &req, &reply, &st, &as_admin);
		ZST_CHECK(code == ZS_CLIENT_OK && reply != NULL && strcmp(reply->text, req.text) == 0,
		    "Say of exactly 10 bytes passes the interceptor (got %s)", zs_client_code_name(code));
		zs_reply_free(reply);
		zs_status_free(st);
		zs_client_close(c);
	}
	zst_node_stop(&n);
	zst_node_cleanup(&n);
}

static void
test_not_running(void)
{
	char url[64];
	snprintf(url, sizeof url, "tcp://127.0.0.1:%d", zst_free_port());
	zs_client *c = NULL;
	if (!ZST_CHECK(zs_client_open(&c, url) == 0, "a client opens on %s where nothing listens",
	    url))
		return;
	Zs__Echo__V1__SayRequest req = ZS__ECHO__V1__SAY_REQUEST__INIT;
	req.text = (char *) "anyone?";
	Zs__Echo__V1__SayReply *reply = NULL;
	zs_status *st = NULL;
	zs_call_opts opts = { .timeout_ms = 500 };
	int64_t t0 = zst_now_ms();
	int code = zs_echo_v1_echo_say(c, &req, &reply, &st, &opts);
	int64_t ms = zst_now_ms() - t0;
	ZST_CHECK(code == ZS_CLIENT_UNAVAILABLE || code == ZS_CLIENT_DEADLINE_EXCEEDED,
	    "Say to a node that is not running: UNAVAILABLE or DEADLINE_EXCEEDED (got %s: %s)",
	    zs_client_code_name(code), st ? st->message : "");
	ZST_CHECK(st != NULL && strstr(st->message, url + 6) != NULL,
	    "the status names the address (\"%s\")", st ? st->message : "");
	/* not a hang: at worst the client's documented 1 s grace past the timeout... */
	ZST_CHECK(ms < 500 + 1000 + 500, "it fails, not hangs (%lld ms; bound: timeout + the "
	    "client's 1 s grace)", (long long) ms);
	/* ...but with no connection no answer can come, so a user expects the timeout itself */
	ZST_CHECK(ms < 500 + 250, "it fails within its 500 ms timeout (%lld ms)", (long long) ms);
	zs_reply_free(reply);
	zs_status_free(st);

	batch b;
	batch_init(&b);
	call one = { .b = &b, .text = "anyone?" };
	t0 = zst_now_ms();
	int rv = zs_echo_v1_echo_say_async(c, &req, on_say, &one, &opts);
	int done = rv == 0 ? batch_wait(&b, 1, 5000) : 0;
	ms = zst_now_ms() - t0;
	ZST_CHECK(done == 1 && (b.first_bad_code == ZS_CLIENT_UNAVAILABLE ||
	    b.first_bad_code == ZS_CLIENT_DEADLINE_EXCEEDED) && ms < 2000,
	    "async Say to a node that is not running: its callback says UNAVAILABLE or "
	    "DEADLINE_EXCEEDED, no hang (%lld ms: %s)", (long long) ms, b.first_bad);
	if (done == 1 || rv != 0)
		zs_client_close(c);
}

int
main(int argc, char **argv)
{
	if (zst_init(argc, argv, "client", 75) != 0)
		return 1;
	zst_node n;
	if (ZST_CHECK(zst_node_start(&n, NULL, NULL) == 0, "zsnode starts with defaults")) {
		say_sync(n.rpc_url, n.session, "over tcp");
		say_sync(n.ipc_url, n.session, "over ipc");
		test_async(&n);
		test_deadline(&n);
		test_many(&n);
		zst_node_stop(&n);
		zst_node_cleanup(&n);
	}
	test_interceptor();
	test_not_running();
	return zst_summary();
}
