/*
 * bad_input_test.c: what a real zsnode answers to bad frames on a raw nng req0 socket,
 * in protobuf and in JSON: random bytes, a truncated envelope, a body of another type,
 * unknown service / method, a malformed method name, JSON syntax / unknown field / wrong
 * type, a frame over rpc.max_frame, an expired deadline, a request id reused for another
 * request, and the same frame sent twice (answered the same, run once). Each answer must
 * carry the right canonical code and a message that says what was wrong, and the node
 * must still answer Health/Check SERVING afterwards. Sessions: a call without one, with a
 * malformed or an unknown token is UNAUTHENTICATED (IDENTITY.1001); Health/Check needs
 * none. The other frames carry the harness's admin session.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <jansson.h>

#include "zs/echo/v1/echo.pb-c.h"
#include "zs/rpc/v1/status.pb-c.h"
#include "zst_node.h"

#define MAX_FRAME_SET "rpc.max_frame=64K"
#define BIG_FRAME (100 * 1024)

static zst_node node;

static const char *
code_name(int code)
{
	const ProtobufCEnumValue *v =
	    protobuf_c_enum_descriptor_get_value(&zs__rpc__v1__code__descriptor, code);
	return v != NULL ? v->name : "?";
}

/* Every word of the NULL-terminated list is in text; the first missing one in *missing. */
static bool
has_words(const char *text, const char *const *words, const char **missing)
{
	for (size_t i = 0; words != NULL && words[i] != NULL; i++)
		if (text == NULL || strstr(text, words[i]) == NULL) {
			*missing = words[i];
			return false;
		}
	return true;
}

/* The checks every case ends with: code, key words of the message, node still serving. */
static void
expect_status(const char *label, const char *got_code, const char *message,
    const char *want_code, const char *const *words)
{
	const char *missing = NULL;
	ZST_CHECK(got_code != NULL && strcmp(got_code, want_code) == 0, "%s: code %s (got %s)",
	    label, want_code, got_code ? got_code : "no answer");
	if (words != NULL)
		ZST_CHECK(has_words(message, words, &missing), "%s: message says what was wrong "
		    "(\"%s\"%s%s)", label, message ? message : "", missing ? ", missing " : "",
		    missing ? missing : "");
	ZST_CHECK(zst_serving(&node), "%s: node still answers Health/Check SERVING", label);
}

static int64_t
wall_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (int64_t) tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* --- protobuf frames --- */

/* Sends frame, checks the answer; returns the reply's request id (0 when none). */
static uint64_t
pb_expect(nng_socket s, const char *label, const uint8_t *frame, size_t len, int want,
    const char *const *words)
{
	Zs__Rpc__V1__Reply *r = zst_pb_call(s, frame, len);
	const char *got = NULL, *msg = NULL;
	if (r != NULL) {
		got = code_name(r->status != NULL ? (int) r->status->code : 0);
		msg = r->status != NULL ? r->status->message : "";
	}
	expect_status(label, got, msg, code_name(want), words);
	uint64_t id = r != NULL ? r->request_id : 0;
	if (r != NULL)
		zs__rpc__v1__reply__free_unpacked(r, NULL);
	return id;
}

static uint8_t *
say_frame(const char *method, uint64_t id, const char *text, int64_t deadline, size_t *len)
{
	Zs__Echo__V1__SayRequest req = ZS__ECHO__V1__SAY_REQUEST__INIT;
	req.text = (char *) text;
	return zst_pack_request(method, id, 0, deadline, &req.base, len);
}

/* Bytes from a fixed-seed generator, never starting like JSON. */
static void
fill_random(uint8_t *buf, size_t len, uint32_t *seed)
{
	for (size_t i = 0; i < len; i++) {
		*seed = *seed * 1103515245u + 12345u;
		buf[i] = (uint8_t) (*seed >> 16);
	}
	if (len > 0 && (buf[0] == '{' || buf[0] == ' ' || buf[0] == '\n' || buf[0] == '\t' ||
	    buf[0] == '\r'))
		buf[0] = 0xff;
}

static void
test_pb_random(nng_socket s)
{
	uint8_t buf[200];
	uint32_t seed = 12345;
	fill_random(buf, sizeof buf, &seed);
	pb_expect(s, "pb random bytes", buf, sizeof buf, ZS__RPC__V1__CODE__INVALID_ARGUMENT,
	    (const char *const[]) { "zs.rpc.v1.Request", "200 bytes", NULL });

	/* a burst of noise of many sizes: every frame answered, none OK, the node lives */
	int answered = 0, not_ok = 0;
	for (int i = 0; i < 100; i++) {
		uint8_t noise[512];
		size_t len = 1 + (size_t) (i * 37) % sizeof noise;
		fill_random(noise, len, &seed);
		Zs__Rpc__V1__Reply *r = zst_pb_call(s, noise, len);
		if (r != NULL) {
			answered++;
			not_ok += r->status != NULL && r->status->code != 0;
			zs__rpc__v1__reply__free_unpacked(r, NULL);
		}
	}
	ZST_CHECK(answered == 100 && not_ok == 100, "pb 100 noise frames: all answered with an "
	    "error (answered %d, errors %d)", answered, not_ok);
	ZST_CHECK(zst_serving(&node), "pb noise: node still SERVING");
}

static void
test_pb_truncated(nng_socket s)
{
	size_t len;
	uint8_t *frame = say_frame("zs.echo.v1.Echo/Say", 101, "hello, truncated world", 0, &len);
	/* the body is the last field: cutting its tail leaves a length that runs off the end */
	pb_expect(s, "pb truncated envelope", frame, len - 6, ZS__RPC__V1__CODE__INVALID_ARGUMENT,
	    (const char *const[]) { "zs.rpc.v1.Request", NULL });
	free(frame);
}

static void
test_pb_wrong_body(nng_socket s)
{
	Zs__Rpc__V1__Status st = ZS__RPC__V1__STATUS__INIT;
	char *details[] = { (char *) "a", (char *) "b" };
	st.message = (char *) "not a SayRequest";
	st.error_code = (char *) "X.1";
	st.n_details = 2;
	st.details = details;
	size_t len;
	uint8_t *frame = zst_pack_request("zs.echo.v1.Echo/Say", 102, 0, 0, &st.base, &len);
	pb_expect(s, "pb body of another type (a zs.rpc.v1.Status)", frame, len,
	    ZS__RPC__V1__CODE__INVALID_ARGUMENT,
	    (const char *const[]) { "zs.echo.v1.Echo/Say", "zs.echo.v1.SayRequest", NULL });
	free(frame);
}

static void
test_pb_routing(nng_socket s)
{
	size_t len;
	uint8_t *frame = say_frame("zs.nope.v1.Nope/Say", 4242, "x", 0, &len);
	uint64_t id = pb_expect(s, "pb unknown service", frame, len, ZS__RPC__V1__CODE__UNIMPLEMENTED,
	    (const char *const[]) { "unknown service", "zs.nope.v1.Nope", NULL });
	ZST_CHECK(id == 4242, "pb unknown service: the answer carries the request id (%llu)",
	    (unsigned long long) id);
	free(frame);

	frame = say_frame("zs.echo.v1.Echo/Shout", 104, "x", 0, &len);
	pb_expect(s, "pb unknown method of a known service", frame, len,
	    ZS__RPC__V1__CODE__UNIMPLEMENTED,
	    (const char *const[]) { "zs.echo.v1.Echo", "no method", "Shout", NULL });
	free(frame);

	frame = say_frame("zs.echo.v1.Echo.Say", 105, "x", 0, &len);
	pb_expect(s, "pb malformed method name", frame, len, ZS__RPC__V1__CODE__INVALID_ARGUMENT,
	    (const char *const[]) { "zs.echo.v1.Echo.Say", "package.Service/Method", NULL });
	free(frame);

	frame = say_frame("", 106, "x", 0, &len);
	pb_expect(s, "pb no method at all", frame, len, ZS__RPC__V1__CODE__INVALID_ARGUMENT,
	    (const char *const[]) { "no method", NULL });
	free(frame);
}

static void
test_pb_too_big(nng_socket s)
{
	char *text = malloc(BIG_FRAME + 1);
	memset(text, 'a', BIG_FRAME);
	text[BIG_FRAME] = '\0';
	size_t len;
	uint8_t *frame = say_frame("zs.echo.v1.Echo/Say", 107, text, 0, &len);
	pb_expect(s, "pb 100 KB frame over rpc.max_frame=64K", frame, len,
	    ZS__RPC__V1__CODE__RESOURCE_EXHAUSTED,
	    (const char *const[]) { "rpc.max_frame", "65536", "limit", NULL });
	free(frame);
	free(text);
}

static void
test_pb_deadline(nng_socket s)
{
	size_t len;
	uint8_t *frame = say_frame("zs.echo.v1.Echo/Say", 108, "late", wall_ms() - 5000, &len);
	pb_expect(s, "pb deadline_unix_ms in the past", frame, len,
	    ZS__RPC__V1__CODE__DEADLINE_EXCEEDED,
	    (const char *const[]) { "deadline", "zs.echo.v1.Echo/Say", NULL });
	free(frame);
}

static void
test_pb_id_reused(nng_socket s)
{
	size_t len;
	uint8_t *frame = say_frame("zs.echo.v1.Echo/Say", 109, "first", 0, &len);
	pb_expect(s, "pb request id 109, first use", frame, len, ZS__RPC__V1__CODE__OK, NULL);
	free(frame);
	frame = say_frame("zs.echo.v1.Echo/Say", 109, "second", 0, &len);
	pb_expect(s, "pb request id 109 reused with a different body", frame, len,
	    ZS__RPC__V1__CODE__ALREADY_EXISTS, (const char *const[]) { "request id", "109", NULL });
	free(frame);
}

/* Publish with count 1, twice as the same frame: one event, the same answer. */
static void
test_pb_same_frame_twice(nng_socket s)
{
	Zs__Echo__V1__PublishRequest pub = ZS__ECHO__V1__PUBLISH_REQUEST__INIT;
	pub.topic = (char *) "echo/dedupe";
	pub.text = (char *) "once";
	pub.count = 1;
	size_t len;
	uint8_t *frame = zst_pack_request("zs.echo.v1.Echo/Publish", 110, 0, 0, &pub.base, &len);
	double before = zst_node_metric(&node, "zs_events_published_total");
	double calls_before = zst_node_metric(&node,
	    "zs_rpc_calls_total{method=\"zs.echo.v1.Echo/Publish\",code=\"OK\"}");
	char *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;
	int rv1 = zst_req_call(s, frame, len, &a, &alen);
	int rv2 = zst_req_call(s, frame, len, &b, &blen);
	ZST_CHECK(rv1 == 0 && rv2 == 0 && alen == blen && memcmp(a, b, alen) == 0,
	    "pb same frame twice: the same answer, byte for byte (%zu and %zu bytes)", alen, blen);
	Zs__Rpc__V1__Reply *r1 = a ? zs__rpc__v1__reply__unpack(NULL, alen, (uint8_t *) a) : NULL;
	Zs__Rpc__V1__Reply *r2 = b ? zs__rpc__v1__reply__unpack(NULL, blen, (uint8_t *) b) : NULL;
	Zs__Echo__V1__PublishReply *p1 = NULL, *p2 = NULL;
	if (r1 != NULL && r1->status == NULL)
		p1 = zs__echo__v1__publish_reply__unpack(NULL, r1->body.len, r1->body.data);
	if (r2 != NULL && r2->status == NULL)
		p2 = zs__echo__v1__publish_reply__unpack(NULL, r2->body.len, r2->body.data);
	ZST_CHECK(p1 != NULL && p2 != NULL && p1->published == 1 &&
	    p1->first_sequence == p2->first_sequence,
	    "pb same frame twice: both OK with the same first_sequence (%llu, %llu)",
	    p1 ? (unsigned long long) p1->first_sequence : 0ull,
	    p2 ? (unsigned long long) p2->first_sequence : 0ull);
	double after = zst_node_metric(&node, "zs_events_published_total");
	double calls_after = zst_node_metric(&node,
	    "zs_rpc_calls_total{method=\"zs.echo.v1.Echo/Publish\",code=\"OK\"}");
	ZST_CHECK(before >= 0 && after - before == 1 && calls_after - calls_before == 1,
	    "pb same frame twice: the call ran once (events published %g -> %g, Publish OK "
	    "calls %g -> %g)", before, after, calls_before, calls_after);
	ZST_CHECK(zst_serving(&node), "pb same frame twice: node still SERVING");
	if (p1 != NULL)
		zs__echo__v1__publish_reply__free_unpacked(p1, NULL);
	if (p2 != NULL)
		zs__echo__v1__publish_reply__free_unpacked(p2, NULL);
	if (r1 != NULL)
		zs__rpc__v1__reply__free_unpacked(r1, NULL);
	if (r2 != NULL)
		zs__rpc__v1__reply__free_unpacked(r2, NULL);
	free(a);
	free(b);
	free(frame);
}

/* A resend that arrives while the first copy still runs (what nng REQ does after its
 * resend time): it waits for the first one's answer; the call runs once. */
static void
test_pb_resend_in_flight(nng_socket unused)
{
	(void) unused;
	Zs__Echo__V1__SlowSayRequest req = ZS__ECHO__V1__SLOW_SAY_REQUEST__INIT;
	req.text = (char *) "resent";
	req.delay_ms = 400;
	size_t len;
	uint8_t *frame = zst_pack_request("zs.echo.v1.Echo/SlowSay", 111, 5000, 0, &req.base, &len);
	const char *series = "zs_rpc_calls_total{method=\"zs.echo.v1.Echo/SlowSay\",code=\"OK\"}";
	double before = zst_node_metric(&node, series);
	nng_socket s1, s2;
	int ok = zst_req_open(&s1, node.rpc_url, 5000) == 0;
	ok = ok && zst_req_open(&s2, node.rpc_url, 5000) == 0;
	char *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;
	if (ok) {
		ok = nng_send(s1, frame, len, 0) == 0;
		zst_sleep_ms(100);
		ok = ok && nng_send(s2, frame, len, 0) == 0;
		char *buf;
		size_t n;
		if (ok && nng_recv(s1, &buf, &n, NNG_FLAG_ALLOC) == 0) {
			a = malloc(n);
			memcpy(a, buf, n);
			alen = n;
			nng_free(buf, n);
		}
		if (ok && nng_recv(s2, &buf, &n, NNG_FLAG_ALLOC) == 0) {
			b = malloc(n);
			memcpy(b, buf, n);
			blen = n;
			nng_free(buf, n);
		}
		nng_close(s1);
		nng_close(s2);
	}
	Zs__Rpc__V1__Reply *r = a ? zs__rpc__v1__reply__unpack(NULL, alen, (uint8_t *) a) : NULL;
	ZST_CHECK(a != NULL && b != NULL && alen == blen && memcmp(a, b, alen) == 0 && r != NULL &&
	    r->status == NULL, "pb resend while the first copy runs: both get the same OK answer");
	double after = zst_node_metric(&node, series);
	ZST_CHECK(after - before == 1, "pb resend while the first copy runs: SlowSay ran once "
	    "(OK calls %g -> %g)", before, after);
	if (r != NULL)
		zs__rpc__v1__reply__free_unpacked(r, NULL);
	free(a);
	free(b);
	free(frame);
}

/* --- JSON frames --- */

/* Sends a JSON frame as it is; the parsed answer (caller decrefs) and its raw text in *raw. */
static json_t *
json_call_plain(nng_socket s, const char *text, size_t len, char **raw)
{
	char *buf = NULL;
	size_t n = 0;
	*raw = NULL;
	if (zst_req_call(s, text, len, &buf, &n) != 0)
		return NULL;
	json_t *j = json_loadb(buf, n, 0, NULL);
	*raw = buf;
	return j;
}

/* text with "session":"<the harness's>" put right after its opening brace, on the same
 * line (so the line numbers of a syntax error stay); caller frees. */
static char *
json_with_session(const char *text, size_t len, size_t *out_len)
{
	const char *brace = memchr(text, '{', len);
	if (brace == NULL)
		return NULL;
	size_t head = (size_t) (brace - text) + 1;
	const char *next = brace + 1;
	while (next < text + len && (*next == ' ' || *next == '\n'))
		next++;
	char field[128];
	int n = snprintf(field, sizeof field, "\"session\":\"%s\"%s", zst_session(),
	    next < text + len && *next == '}' ? "" : ",");
	char *out = malloc(len + (size_t) n + 1);
	if (out == NULL)
		return NULL;
	memcpy(out, text, head);
	memcpy(out + head, field, (size_t) n);
	memcpy(out + head + n, text + head, len - head);
	*out_len = len + (size_t) n;
	out[*out_len] = '\0';
	return out;
}

/* Sends a JSON frame with the harness's session. */
static json_t *
json_call(nng_socket s, const char *text, size_t len, char **raw)
{
	size_t n;
	char *with = json_with_session(text, len, &n);
	json_t *j = with != NULL ? json_call_plain(s, with, n, raw) : json_call_plain(s, text, len, raw);
	free(with);
	return j;
}

/* Checks the answer to a JSON frame (sent with the harness's session when with_session);
 * the error code too when want_error is not NULL. */
static void
json_expect_as(nng_socket s, bool with_session, const char *label, const char *text,
    const char *want, const char *want_error, const char *const *words)
{
	char *raw;
	json_t *j = with_session ? json_call(s, text, strlen(text), &raw) :
	    json_call_plain(s, text, strlen(text), &raw);
	json_t *st = json_object_get(j, "status");
	const char *code = json_string_value(json_object_get(st, "code"));
	const char *msg = json_string_value(json_object_get(st, "message"));
	if (j == NULL && raw != NULL)
		zst_note("%s: the answer is not JSON: %.200s", label, raw);
	expect_status(label, code, msg ? msg : "", want, words);
	if (want_error != NULL) {
		const char *err = json_string_value(json_object_get(st, "errorCode"));
		ZST_CHECK(err != NULL && strcmp(err, want_error) == 0, "%s: error code %s (got %s)",
		    label, want_error, err ? err : "none");
	}
	json_decref(j);
	free(raw);
}

static void
json_expect(nng_socket s, const char *label, const char *text, const char *want,
    const char *const *words)
{
	json_expect_as(s, true, label, text, want, NULL, words);
}

static void
test_json_parsing(nng_socket s)
{
	json_expect(s, "json syntax error",
	    "{\n  \"method\": \"zs.echo.v1.Echo/Say\",\n  \"body\": {\"text\": \"a\",,}\n}",
	    "INVALID_ARGUMENT", (const char *const[]) { "JSON", "line 3", "column", NULL });
	json_expect(s, "json unknown field in the body",
	    "{\"method\":\"zs.echo.v1.Echo/Say\",\"body\":{\"txt\":\"a\"}}", "INVALID_ARGUMENT",
	    (const char *const[]) { "unknown field", "txt", "zs.echo.v1.SayRequest", NULL });
	json_expect(s, "json unknown field in the envelope",
	    "{\"method\":\"zs.echo.v1.Echo/Say\",\"bogus\":1,\"body\":{\"text\":\"a\"}}",
	    "INVALID_ARGUMENT", (const char *const[]) { "unknown field", "bogus", NULL });
	json_expect(s, "json wrong value type",
	    "{\"method\":\"zs.echo.v1.Echo/Say\",\"body\":{\"text\":5}}", "INVALID_ARGUMENT",
	    (const char *const[]) { "text", "string", NULL });
	json_expect(s, "json body not an object",
	    "{\"method\":\"zs.echo.v1.Echo/Say\",\"body\":[1,2]}", "INVALID_ARGUMENT",
	    (const char *const[]) { "body", "object", NULL });
	json_expect(s, "json no method", "{}", "INVALID_ARGUMENT",
	    (const char *const[]) { "no method", NULL });
}

static void
test_json_routing(nng_socket s)
{
	json_expect(s, "json unknown service", "{\"method\":\"zs.nope.v1.Nope/Say\",\"body\":{}}",
	    "UNIMPLEMENTED", (const char *const[]) { "unknown service", "zs.nope.v1.Nope", NULL });
	json_expect(s, "json unknown method", "{\"method\":\"zs.echo.v1.Echo/Shout\",\"body\":{}}",
	    "UNIMPLEMENTED", (const char *const[]) { "zs.echo.v1.Echo", "Shout", NULL });
	json_expect(s, "json malformed method name", "{\"method\":\"Say\",\"body\":{}}",
	    "INVALID_ARGUMENT", (const char *const[]) { "\"Say\"", "package.Service/Method", NULL });
}

static void
test_json_limits(nng_socket s)
{
	char *text = malloc(BIG_FRAME + 128);
	int n = snprintf(text, 128, "{\"method\":\"zs.echo.v1.Echo/Say\",\"body\":{\"text\":\"");
	memset(text + n, 'b', BIG_FRAME);
	strcpy(text + n + BIG_FRAME, "\"}}");
	json_expect(s, "json 100 KB frame over rpc.max_frame=64K", text, "RESOURCE_EXHAUSTED",
	    (const char *const[]) { "rpc.max_frame", "limit", NULL });
	free(text);

	char late[256];
	snprintf(late, sizeof late, "{\"method\":\"zs.echo.v1.Echo/Say\",\"deadlineUnixMs\":\"%lld\","
	    "\"body\":{\"text\":\"late\"}}", (long long) (wall_ms() - 5000));
	json_expect(s, "json deadlineUnixMs in the past", late, "DEADLINE_EXCEEDED",
	    (const char *const[]) { "deadline", NULL });
}

static void
test_json_ids(nng_socket s)
{
	char *raw;
	const char *first = "{\"method\":\"zs.echo.v1.Echo/Say\",\"requestId\":\"201\","
	    "\"body\":{\"text\":\"first\"}}";
	json_t *j = json_call(s, first, strlen(first), &raw);
	const char *code = json_string_value(json_object_get(json_object_get(j, "status"), "code"));
	const char *id = json_string_value(json_object_get(j, "requestId"));
	ZST_CHECK(code != NULL && strcmp(code, "OK") == 0 && id != NULL && strcmp(id, "201") == 0,
	    "json requestId 201, first use: OK with the id echoed (%.200s)", raw ? raw : "no answer");
	json_decref(j);
	free(raw);
	json_expect(s, "json requestId 201 reused with a different body",
	    "{\"method\":\"zs.echo.v1.Echo/Say\",\"requestId\":\"201\",\"body\":{\"text\":\"other\"}}",
	    "ALREADY_EXISTS", (const char *const[]) { "request id", "201", NULL });

	const char *pub = "{\"method\":\"zs.echo.v1.Echo/Publish\",\"requestId\":\"202\","
	    "\"body\":{\"topic\":\"echo/dedupe\",\"text\":\"once\",\"count\":1}}";
	double before = zst_node_metric(&node, "zs_events_published_total");
	char *raw1, *raw2;
	json_t *a = json_call(s, pub, strlen(pub), &raw1);
	json_t *b = json_call(s, pub, strlen(pub), &raw2);
	double after = zst_node_metric(&node, "zs_events_published_total");
	const char *seq = json_string_value(json_object_get(json_object_get(a, "body"), "firstSequence"));
	ZST_CHECK(raw1 != NULL && raw2 != NULL && strcmp(raw1, raw2) == 0 && seq != NULL,
	    "json same frame twice: the same OK answer (%.200s / %.200s)", raw1 ? raw1 : "none",
	    raw2 ? raw2 : "none");
	ZST_CHECK(before >= 0 && after - before == 1, "json same frame twice: the call ran once "
	    "(events published %g -> %g)", before, after);
	ZST_CHECK(zst_serving(&node), "json same frame twice: node still SERVING");
	json_decref(a);
	json_decref(b);
	free(raw1);
	free(raw2);
}

/* --- sessions --- */

static void
pb_expect_session(nng_socket s, const char *label, const char *session, const char *method,
    int want, const char *const *words)
{
	Zs__Echo__V1__SayRequest req = ZS__ECHO__V1__SAY_REQUEST__INIT;
	req.text = (char *) "who am I";
	size_t len;
	uint8_t *frame = zst_pack_request_as(session, method, 0, 0, 0,
	    strstr(method, "Echo") != NULL ? &req.base : NULL, &len);
	pb_expect(s, label, frame, len, want, words);
	free(frame);
}

static void
test_sessions(nng_socket s)
{
	const char *unknown = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";   /* 43, well formed */
	pb_expect_session(s, "pb Say without a session", NULL, "zs.echo.v1.Echo/Say",
	    ZS__RPC__V1__CODE__UNAUTHENTICATED, (const char *const[]) { "needs a session", "Login", NULL });
	pb_expect_session(s, "pb Say with a malformed session token", "bogus", "zs.echo.v1.Echo/Say",
	    ZS__RPC__V1__CODE__UNAUTHENTICATED, (const char *const[]) { "session", "malformed", NULL });
	pb_expect_session(s, "pb Say with a well-formed but unknown token", unknown,
	    "zs.echo.v1.Echo/Say", ZS__RPC__V1__CODE__UNAUTHENTICATED,
	    (const char *const[]) { "unknown session", NULL });
	pb_expect_session(s, "pb Reflection/ListServices without a session", NULL,
	    "zs.reflection.v1.Reflection/ListServices", ZS__RPC__V1__CODE__UNAUTHENTICATED,
	    (const char *const[]) { "needs a session", NULL });
	pb_expect_session(s, "pb Health/Check without a session", NULL, "zs.health.v1.Health/Check",
	    ZS__RPC__V1__CODE__OK, NULL);
	pb_expect_session(s, "pb Health/Check with a bogus session", "bogus",
	    "zs.health.v1.Health/Check", ZS__RPC__V1__CODE__OK, NULL);
	pb_expect_session(s, "pb Say with the admin session", zst_session(), "zs.echo.v1.Echo/Say",
	    ZS__RPC__V1__CODE__OK, NULL);

	json_expect_as(s, false, "json Say without a session",
	    "{\"method\":\"zs.echo.v1.Echo/Say\",\"body\":{\"text\":\"a\"}}", "UNAUTHENTICATED",
	    "IDENTITY.1001", (const char *const[]) { "needs a session", NULL });
	json_expect_as(s, false, "json Say with a bogus session",
	    "{\"method\":\"zs.echo.v1.Echo/Say\",\"session\":\"bogus\",\"body\":{\"text\":\"a\"}}",
	    "UNAUTHENTICATED", "IDENTITY.1001", (const char *const[]) { "malformed", NULL });
	json_expect_as(s, false, "json Health/Check without a session",
	    "{\"method\":\"zs.health.v1.Health/Check\"}", "OK", NULL, NULL);
	json_expect_as(s, true, "json Say with the admin session",
	    "{\"method\":\"zs.echo.v1.Echo/Say\",\"body\":{\"text\":\"a\"}}", "OK", NULL, NULL);
}

int
main(int argc, char **argv)
{
	if (zst_init(argc, argv, "bad_input", 60) != 0)
		return 1;
	const char *sets[] = { MAX_FRAME_SET, NULL };
	if (zst_node_start(&node, NULL, sets) != 0) {
		ZST_CHECK(0, "zsnode starts with %s", MAX_FRAME_SET);
		return zst_summary();
	}
	/* each case; the rest are skipped once the node is gone (each would wait its timeout) */
	void (*cases[])(nng_socket) = { test_pb_random, test_pb_truncated, test_pb_wrong_body,
		test_pb_routing, test_pb_too_big, test_pb_deadline, test_pb_id_reused,
		test_pb_same_frame_twice, test_pb_resend_in_flight, test_json_parsing,
		test_json_routing, test_json_limits, test_json_ids, test_sessions };
	nng_socket s;
	if (ZST_CHECK(zst_req_open(&s, node.rpc_url, 5000) == 0, "raw req0 socket dials %s",
	    node.rpc_url)) {
		for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
			if (!zst_node_alive(&node)) {
				ZST_CHECK(0, "zsnode died before case %zu of %zu", i + 1,
				    sizeof cases / sizeof cases[0]);
				zst_node_dump_stderr(&node);
				break;
			}
			cases[i](s);
		}
		nng_close(s);
	}
	zst_node_stop(&node);
	zst_node_cleanup(&node);
	return zst_summary();
}
