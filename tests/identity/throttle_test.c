/*
 * throttle_test.c: failed logins against a real zsnode. Too many wrong passwords for one
 * name make the right one wait (RESOURCE_EXHAUSTED, the wait in the message) until the
 * delay passes; too many failures from one address make every name wait; and a bounded
 * flood of logins from threads leaves another call (ListZones) near its normal latency,
 * measured against a baseline taken in the same run.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "zst_node.h"

#define FREE_FAILURES 5
#define FLOOD_THREADS 48
#define FLOOD_MS 3000
#define FLOOD_MAX_CALLS 400          /* per thread */
#define SAMPLES 40

static zst_node node;

/* A JSON call (session may be NULL): code name into code, message into msg. */
static void
call(nng_socket s, const char *method, const char *session, const char *body, char *code,
    size_t codelen, char *msg, size_t msglen)
{
	char text[1024];
	snprintf(text, sizeof text, "{\"method\":\"%s\"%s%s%s,\"body\":%s}", method,
	    session ? ",\"session\":\"" : "", session ? session : "", session ? "\"" : "", body);
	char *buf = NULL;
	size_t n = 0;
	snprintf(code, codelen, "no answer");
	if (msg != NULL)
		msg[0] = '\0';
	if (zst_req_call(s, text, strlen(text), &buf, &n) != 0)
		return;
	json_t *j = json_loadb(buf, n, 0, NULL);
	json_t *st = json_object_get(j, "status");
	const char *c = json_string_value(json_object_get(st, "code"));
	const char *m = json_string_value(json_object_get(st, "message"));
	snprintf(code, codelen, "%s", c ? c : "?");
	if (msg != NULL)
		snprintf(msg, msglen, "%s", m ? m : "");
	json_decref(j);
	free(buf);
}

static void
login(nng_socket s, const char *name, const char *password, char *code, size_t codelen,
    char *msg, size_t msglen)
{
	char body[256];
	snprintf(body, sizeof body, "{\"name\":\"%s\",\"password\":\"%s\"}", name, password);
	call(s, "zs.identity.v1.Identity/Login", NULL, body, code, codelen, msg, msglen);
}

/* The retry-after-ms of a message; -1 when none. */
static long
retry_ms(const char *msg)
{
	const char *p = strstr(msg, "retry-after-ms: ");
	return p != NULL ? strtol(p + 16, NULL, 10) : -1;
}

static void
test_per_name(nng_socket s)
{
	char code[64], msg[512];
	for (int i = 0; i < FREE_FAILURES; i++) {
		login(s, "alice", "wrong-password", code, sizeof code, msg, sizeof msg);
		ZST_CHECK(strcmp(code, "UNAUTHENTICATED") == 0, "wrong password %d of %d is "
		    "UNAUTHENTICATED (got %s: %s)", i + 1, FREE_FAILURES, code, msg);
	}
	login(s, "alice", "alice-password", code, sizeof code, msg, sizeof msg);
	long wait = retry_ms(msg);
	ZST_CHECK(strcmp(code, "RESOURCE_EXHAUSTED") == 0 && wait > 0 && wait <= 1000,
	    "after %d wrong passwords the right one is refused with the wait in the message "
	    "(got %s: %s)", FREE_FAILURES, code, msg);
	if (wait > 0 && wait <= 1000)
		zst_sleep_ms((int) wait + 50);
	login(s, "alice", "alice-password", code, sizeof code, msg, sizeof msg);
	ZST_CHECK(strcmp(code, "OK") == 0, "once the wait passed the right password works (got "
	    "%s: %s)", code, msg);
}

static void
test_per_source(nng_socket s)
{
	char code[64], msg[512], name[32];
	bool refused = false;
	/* different names, so only the address's count grows */
	for (int i = 0; i < 40 && !refused; i++) {
		snprintf(name, sizeof name, "nobody%d", i);
		login(s, name, "wrong-password", code, sizeof code, msg, sizeof msg);
		refused = strcmp(code, "RESOURCE_EXHAUSTED") == 0;
	}
	ZST_CHECK(refused && strstr(msg, "address") != NULL, "failures with many names from one "
	    "address make it wait (last: %s: %s)", code, msg);
	login(s, "alice", "alice-password", code, sizeof code, msg, sizeof msg);
	long wait = retry_ms(msg);
	ZST_CHECK(strcmp(code, "RESOURCE_EXHAUSTED") == 0 && wait > 0, "and a good name and "
	    "password from that address wait too (got %s: %s)", code, msg);
	if (wait > 0 && wait <= 5000)
		zst_sleep_ms((int) wait + 50);
	login(s, "alice", "alice-password", code, sizeof code, msg, sizeof msg);
	ZST_CHECK(strcmp(code, "OK") == 0, "then it works (got %s: %s)", code, msg);
}

/* --- the flood --- */

typedef struct flood {
	_Atomic int stop;
	_Atomic long calls, ok, refused;
} flood;

static void *
flood_thread(void *arg)
{
	flood *f = arg;
	nng_socket s;
	if (zst_req_open(&s, node.rpc_url, 60000) != 0)
		return NULL;
	char code[64];
	int64_t end = zst_now_ms() + FLOOD_MS;
	for (int i = 0; i < FLOOD_MAX_CALLS && !f->stop && zst_now_ms() < end; i++) {
		login(s, "alice", "alice-password", code, sizeof code, NULL, 0);
		f->calls++;
		if (strcmp(code, "OK") == 0)
			f->ok++;
		else
			f->refused++;
	}
	nng_close(s);
	return NULL;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
	return x < y ? -1 : x > y;
}

/* The median of SAMPLES ListZones, in microseconds. */
static int64_t
list_zones_us(nng_socket s, const char *session)
{
	int64_t us[SAMPLES];
	char code[64];
	for (int i = 0; i < SAMPLES; i++) {
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		call(s, "zs.zone.v1.Zone/ListZones", session, "{}", code, sizeof code, NULL, 0);
		clock_gettime(CLOCK_MONOTONIC, &b);
		us[i] = (b.tv_sec - a.tv_sec) * 1000000 + (b.tv_nsec - a.tv_nsec) / 1000;
		if (strcmp(code, "OK") != 0)
			us[i] = 999999999;
		zst_sleep_ms(20);
	}
	qsort(us, SAMPLES, sizeof us[0], cmp_i64);
	return us[SAMPLES / 2];
}

static void
test_flood(nng_socket s)
{
	int64_t base = list_zones_us(s, zst_session());
	flood f = { 0 };
	pthread_t th[FLOOD_THREADS];
	int started = 0;
	for (int i = 0; i < FLOOD_THREADS; i++)
		if (pthread_create(&th[i], NULL, flood_thread, &f) == 0)
			started++;
	zst_sleep_ms(300);   /* the flood is on */
	int64_t during = list_zones_us(s, zst_session());
	f.stop = 1;
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	/* alone again after it: the baseline is the slower of the two, so a machine that got
	 * busier during the run does not count as the flood's doing */
	int64_t after = list_zones_us(s, zst_session());
	if (after > base)
		base = after;
	zst_note("ListZones median: %.2f ms alone, %.2f ms during a flood of %ld logins from %d "
	    "threads (%ld OK, %ld refused at once)", (double) base / 1000, (double) during / 1000,
	    (long) f.calls, started, (long) f.ok, (long) f.refused);
	/* generous: 2x is the goal, 3x (or 10 ms more) leaves room for a shared machine (a
	 * starved worker pool would add a KDF's 100+ ms to every call); the
	 * sanitizers slow the KDF's memory work several times over, so they get twice that */
#ifdef ZST_SANITIZED
	const int64_t factor = 6;
#else
	const int64_t factor = 3;
#endif
	int64_t bound = base * factor > base + 10000 ? base * factor : base + 10000;
	ZST_CHECK(during <= bound, "a login flood keeps ListZones within %.2f ms (median %.2f ms, "
	    "alone %.2f ms)", (double) bound / 1000, (double) during / 1000, (double) base / 1000);
	ZST_CHECK(f.calls > 0, "the flood ran (%ld logins)", (long) f.calls);
}

int
main(int argc, char **argv)
{
	if (zst_init(argc, argv, "identity_throttle", 120) != 0)
		return 1;
	const char *sets[] = { "identity.login_free_failures=5", "identity.login_delay=1s",
		"identity.login_source_free_failures=12", NULL };
	if (zst_node_start(&node, NULL, sets) != 0) {
		ZST_CHECK(0, "zsnode starts");
		return zst_summary();
	}
	nng_socket s;
	if (ZST_CHECK(zst_req_open(&s, node.rpc_url, 30000) == 0, "req0 dials %s", node.rpc_url)) {
		char code[64], msg[512];
		call(s, "zs.identity.v1.Identity/CreateAccount", zst_session(),
		    "{\"name\":\"alice\",\"password\":\"alice-password\"}", code, sizeof code, msg,
		    sizeof msg);
		ZST_REQUIRE(strcmp(code, "OK") == 0, "alice is made (%s: %s)", code, msg);
		test_per_name(s);
		test_per_source(s);
		test_flood(s);
		nng_close(s);
	}
	zst_node_stop(&node);
	zst_node_cleanup(&node);
	return zst_summary();
}
