/*
 * dedupe_test.c: "runs once" on a real zsnode. Request ids belong to their caller (another
 * session, or a call with no session, may use the same id); an identical frame resent
 * after 1,100 other ids, still within rpc.dedupe_window, gets the first answer and does
 * not run again; a JSON call with no requestId resent by nng's REQ while it still runs
 * (as nngcat does after its resend time) runs once. Also: deadlines and timeouts at the
 * ends of their ranges (INT64_MIN, INT64_MAX, UINT32_MAX) are answered, never overflowed
 * (the UBSan build must not report anything).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "zs/echo/v1/echo.pb-c.h"
#include "zst_node.h"

static zst_node node;

static const char *
code_of(const Zs__Rpc__V1__Reply *r)
{
	if (r == NULL)
		return "no answer";
	int code = r->status != NULL ? (int) r->status->code : 0;
	const ProtobufCEnumValue *v =
	    protobuf_c_enum_descriptor_get_value(&zs__rpc__v1__code__descriptor, code);
	return v != NULL ? v->name : "?";
}

/* Say as session (NULL: none) with id: the answer's code name. */
static void
say_expect(nng_socket s, const char *label, const char *session, uint64_t id, const char *text,
    const char *want)
{
	Zs__Echo__V1__SayRequest req = ZS__ECHO__V1__SAY_REQUEST__INIT;
	req.text = (char *) text;
	size_t len;
	uint8_t *frame = zst_pack_request_as(session, "zs.echo.v1.Echo/Say", id, 0, 0, &req.base,
	    &len);
	Zs__Rpc__V1__Reply *r = zst_pb_call(s, frame, len);
	ZST_CHECK(strcmp(code_of(r), want) == 0, "%s: %s (got %s: %s)", label, want, code_of(r),
	    r && r->status ? r->status->message : "");
	if (r != NULL)
		zs__rpc__v1__reply__free_unpacked(r, NULL);
	free(frame);
}

/* The same id from another caller is another request. */
static void
test_ids_per_caller(nng_socket s)
{
	char other[64], why[256];
	ZST_REQUIRE(zst_login(node.rpc_url, "admin", ZST_ADMIN_PASSWORD, other, sizeof other, why,
	    sizeof why) == 0, "a second session logs in (%s)", why);
	say_expect(s, "id 301, session A", node.session, 301, "from A", "OK");
	say_expect(s, "id 301 from session B, another body", other, 301, "from B", "OK");
	say_expect(s, "id 301 without a session", NULL, 301, "from nobody", "UNAUTHENTICATED");
	say_expect(s, "id 301, session A, another body", node.session, 301, "again", "ALREADY_EXISTS");
}

/* A resend after 1,100 other ids, inside the window: the first answer, no second run. */
static void
test_window_not_count(nng_socket s)
{
	Zs__Echo__V1__PublishRequest pub = ZS__ECHO__V1__PUBLISH_REQUEST__INIT;
	pub.topic = (char *) "echo/window";
	pub.text = (char *) "once";
	pub.count = 1;
	size_t len;
	uint8_t *frame = zst_pack_request("zs.echo.v1.Echo/Publish", 302, 0, 0, &pub.base, &len);
	double before = zst_node_metric(&node, "zs_events_published_total");
	char *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;
	int rv1 = zst_req_call(s, frame, len, &a, &alen);
	int ok = 0;
	int64_t t0 = zst_now_ms();
	for (uint64_t i = 0; i < 1100 && zst_now_ms() - t0 < 20000; i++) {
		Zs__Echo__V1__SayRequest req = ZS__ECHO__V1__SAY_REQUEST__INIT;
		req.text = (char *) "filler";
		size_t flen;
		uint8_t *f = zst_pack_request("zs.echo.v1.Echo/Say", 10000 + i, 0, 0, &req.base, &flen);
		Zs__Rpc__V1__Reply *r = zst_pb_call(s, f, flen);
		ok += r != NULL && r->status == NULL;
		if (r != NULL)
			zs__rpc__v1__reply__free_unpacked(r, NULL);
		free(f);
	}
	ZST_CHECK(ok == 1100, "1,100 other ids answered OK (%d)", ok);
	int rv2 = zst_req_call(s, frame, len, &b, &blen);
	double after = zst_node_metric(&node, "zs_events_published_total");
	ZST_CHECK(rv1 == 0 && rv2 == 0 && alen == blen && memcmp(a, b, alen) == 0,
	    "the frame resent after 1,100 other ids gets the first answer, byte for byte");
	ZST_CHECK(before >= 0 && after - before == 1, "and it ran once (events published %g -> %g)",
	    before, after);
	free(a);
	free(b);
	free(frame);
}

/* A JSON call with no requestId, resent by REQ every 150 ms while it runs 1 s: once. */
static void
test_no_id_resend(void)
{
	const char *series = "zs_rpc_calls_total{method=\"zs.echo.v1.Echo/SlowSay\",code=\"OK\"}";
	double before = zst_node_metric(&node, series);
	nng_socket s;
	ZST_REQUIRE(zst_req_open(&s, node.rpc_url, 10000) == 0, "req socket");
	ZST_REQUIRE(nng_socket_set_ms(s, NNG_OPT_REQ_RESENDTIME, 150) == 0, "resend time 150 ms");
	char text[512];
	int n = snprintf(text, sizeof text, "{\"method\":\"zs.echo.v1.Echo/SlowSay\",\"session\":\"%s\","
	    "\"body\":{\"text\":\"no id\",\"delayMs\":1000}}", node.session);
	char *buf = NULL;
	size_t blen = 0;
	int rv = zst_req_call(s, text, (size_t) n, &buf, &blen);
	ZST_CHECK(rv == 0 && buf != NULL && strstr(buf, "\"OK\"") != NULL,
	    "SlowSay without requestId answered OK (%.200s)", buf ? buf : nng_strerror(rv));
	free(buf);
	zst_sleep_ms(300);   /* copies still running, if any, end; the waiters' answers arrive */
	nng_close(s);
	double after = zst_node_metric(&node, series);
	ZST_CHECK(before >= 0 && after - before == 1, "it ran once though REQ resent it ~6 times "
	    "(SlowSay OK calls %g -> %g)", before, after);
}

/* JSON frame: the status code of the answer. */
static void
json_expect(nng_socket s, const char *label, const char *text, const char *want)
{
	char *buf = NULL;
	size_t n = 0;
	int rv = zst_req_call(s, text, strlen(text), &buf, &n);
	json_t *j = rv == 0 ? json_loadb(buf, n, 0, NULL) : NULL;
	const char *code = json_string_value(json_object_get(json_object_get(j, "status"), "code"));
	ZST_CHECK(code != NULL && strcmp(code, want) == 0, "%s: %s (got %.300s)", label, want,
	    buf ? buf : nng_strerror(rv));
	ZST_CHECK(zst_node_alive(&node), "%s: node still running", label);
	json_decref(j);
	free(buf);
}

/* Deadlines and timeouts at the ends of their ranges. */
static void
test_time_extremes(nng_socket s)
{
	json_expect(s, "Health/Check, deadlineUnixMs INT64_MIN",
	    "{\"method\":\"zs.health.v1.Health/Check\",\"deadlineUnixMs\":\"-9223372036854775808\"}",
	    "DEADLINE_EXCEEDED");
	json_expect(s, "Health/Check, deadlineUnixMs -1",
	    "{\"method\":\"zs.health.v1.Health/Check\",\"deadlineUnixMs\":\"-1\"}", "DEADLINE_EXCEEDED");
	json_expect(s, "Health/Check, deadlineUnixMs INT64_MAX",
	    "{\"method\":\"zs.health.v1.Health/Check\",\"deadlineUnixMs\":\"9223372036854775807\"}", "OK");
	json_expect(s, "Health/Check, timeoutMs UINT32_MAX",
	    "{\"method\":\"zs.health.v1.Health/Check\",\"timeoutMs\":4294967295}", "OK");
	json_expect(s, "Health/Check, timeoutMs 2^64 - 1 (out of range)",
	    "{\"method\":\"zs.health.v1.Health/Check\",\"timeoutMs\":\"18446744073709551615\"}",
	    "INVALID_ARGUMENT");
	json_expect(s, "Health/Check, timeoutMs UINT32_MAX and deadline INT64_MIN",
	    "{\"method\":\"zs.health.v1.Health/Check\",\"timeoutMs\":4294967295,"
	    "\"deadlineUnixMs\":\"-9223372036854775808\"}", "DEADLINE_EXCEEDED");
	json_expect(s, "Health/Check, deadlineUnixMs 2^63 (out of range)",
	    "{\"method\":\"zs.health.v1.Health/Check\",\"deadlineUnixMs\":\"9223372036854775808\"}",
	    "INVALID_ARGUMENT");
	json_expect(s, "Health/Check, deadlineUnixMs -1e300",
	    "{\"method\":\"zs.health.v1.Health/Check\",\"deadlineUnixMs\":-1e300}", "INVALID_ARGUMENT");
	json_expect(s, "SlowSay, deadlineUnixMs INT64_MIN + 1",
	    "{\"method\":\"zs.echo.v1.Echo/SlowSay\",\"deadlineUnixMs\":\"-9223372036854775807\"}",
	    "DEADLINE_EXCEEDED");

	/* the same in protobuf */
	Zs__Rpc__V1__Request env = ZS__RPC__V1__REQUEST__INIT;
	env.method = (char *) "zs.health.v1.Health/Check";
	env.deadline_unix_ms = INT64_MIN;
	env.timeout_ms = UINT32_MAX;
	uint8_t frame[256];
	size_t len = zs__rpc__v1__request__pack(&env, frame);
	Zs__Rpc__V1__Reply *r = zst_pb_call(s, frame, len);
	ZST_CHECK(strcmp(code_of(r), "DEADLINE_EXCEEDED") == 0, "pb Health/Check deadline INT64_MIN: "
	    "DEADLINE_EXCEEDED (got %s)", code_of(r));
	if (r != NULL)
		zs__rpc__v1__reply__free_unpacked(r, NULL);
	env.deadline_unix_ms = INT64_MAX;
	len = zs__rpc__v1__request__pack(&env, frame);
	r = zst_pb_call(s, frame, len);
	ZST_CHECK(strcmp(code_of(r), "OK") == 0, "pb Health/Check deadline INT64_MAX, timeout "
	    "UINT32_MAX: OK (got %s)", code_of(r));
	if (r != NULL)
		zs__rpc__v1__reply__free_unpacked(r, NULL);
	ZST_CHECK(zst_serving(&node), "node still SERVING after the extremes");
}

int
main(int argc, char **argv)
{
	if (zst_init(argc, argv, "dedupe", 90) != 0)
		return 1;
	if (zst_node_start(&node, NULL, NULL) != 0) {
		ZST_CHECK(0, "zsnode starts");
		return zst_summary();
	}
	nng_socket s;
	if (ZST_CHECK(zst_req_open(&s, node.rpc_url, 5000) == 0, "raw req0 socket dials %s",
	    node.rpc_url)) {
		test_time_extremes(s);
		test_ids_per_caller(s);
		test_window_not_count(s);
		test_no_id_resend();
		nng_close(s);
	}
	zst_node_stop(&node);
	zst_node_cleanup(&node);
	return zst_summary();
}
