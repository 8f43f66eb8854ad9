/*
 * strings_test.c: strings a C server would cut short or send on unchecked, against a real
 * zsnode. A NUL inside a string is refused (INVALID_ARGUMENT naming the field) in
 * protobuf and in JSON, in a body's field, a repeated string, and the envelope's session
 * token (a valid token followed by NUL and junk is not that token); nothing of the call
 * is stored. An event topic that is not UTF-8, holds a control character or is too long
 * is refused by Publish before anything goes out on the feed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <nng/nng.h>
#include <nng/protocol/pubsub0/sub.h>

#include "zs/echo/v1/echo.pb-c.h"
#include "zs/rpc/v1/envelope.pb-c.h"
#include "zst_node.h"

static zst_node node;

/* A protobuf call whose envelope has session (bytes, may hold NULs) and body (raw bytes):
 * the code, the message into msg. */
static int
pb_raw(nng_socket s, const char *session, size_t session_len, const char *method,
    const uint8_t *body, size_t body_len, char *msg, size_t msglen)
{
	/* the envelope by hand around a placeholder session, then the session patched in */
	Zs__Rpc__V1__Request env = ZS__RPC__V1__REQUEST__INIT;
	char mark[64];
	memset(mark, '#', session_len);
	mark[session_len] = '\0';
	env.method = (char *) method;
	env.session = mark;
	env.timeout_ms = 10000;
	env.body.data = (uint8_t *) body;
	env.body.len = body_len;
	size_t n = zs__rpc__v1__request__get_packed_size(&env);
	uint8_t *frame = malloc(n);
	if (frame == NULL)
		return -1;
	zs__rpc__v1__request__pack(&env, frame);
	uint8_t *at = memmem(frame, n, mark, session_len);
	if (at != NULL)
		memcpy(at, session, session_len);
	Zs__Rpc__V1__Reply *r = zst_pb_call(s, frame, n);
	free(frame);
	int code = r == NULL ? -1 : r->status != NULL ? (int) r->status->code : 0;
	snprintf(msg, msglen, "%s", r != NULL && r->status != NULL ? r->status->message : "");
	if (r != NULL)
		zs__rpc__v1__reply__free_unpacked(r, NULL);
	return code;
}

/* A JSON call: the code name and message. */
static void
json_raw(nng_socket s, const char *text, char *code, size_t codelen, char *msg, size_t msglen)
{
	char *buf = NULL;
	size_t n = 0;
	snprintf(code, codelen, "no answer");
	msg[0] = '\0';
	if (zst_req_call(s, text, strlen(text), &buf, &n) != 0)
		return;
	json_t *j = json_loadb(buf, n, 0, NULL);
	json_t *st = json_object_get(j, "status");
	const char *c = json_string_value(json_object_get(st, "code"));
	const char *m = json_string_value(json_object_get(st, "message"));
	snprintf(code, codelen, "%s", c ? c : "?");
	snprintf(msg, msglen, "%s", m ? m : "");
	json_decref(j);
	free(buf);
}

static void
test_pb(nng_socket s)
{
	char msg[512];
	const char *sess = zst_session();
	size_t slen = strlen(sess);

	/* CreateZone{name: "a\0b"}: field 1, 3 bytes */
	const uint8_t zone[] = { 0x0a, 0x03, 'a', 0, 'b' };
	int code = pb_raw(s, sess, slen, "zs.zone.v1.Zone/CreateZone", zone, sizeof zone, msg,
	    sizeof msg);
	ZST_CHECK(code == 3 && strstr(msg, "name") && strstr(msg, "NUL"),
	    "protobuf: zone name \"a\\0b\" is INVALID_ARGUMENT naming name (got %d: %s)", code, msg);

	/* Replay{topic_prefixes: ["ok/", "x\0y"]}: field 4 twice */
	const uint8_t replay[] = { 0x22, 0x03, 'o', 'k', '/', 0x22, 0x03, 'x', 0, 'y' };
	code = pb_raw(s, sess, slen, "zs.event.v1.Events/Replay", replay, sizeof replay, msg,
	    sizeof msg);
	ZST_CHECK(code == 3 && strstr(msg, "topic_prefixes") && strstr(msg, "NUL"),
	    "protobuf: a NUL in the 2nd of a repeated string is INVALID_ARGUMENT naming "
	    "topic_prefixes (got %d: %s)", code, msg);

	/* a valid session token, then NUL and junk */
	char tok[64];
	memcpy(tok, sess, slen);
	memcpy(tok + slen, "\0junk", 5);
	const uint8_t empty[1] = { 0 };
	code = pb_raw(s, tok, slen + 5, "zs.zone.v1.Zone/ListZones", empty, 0, msg, sizeof msg);
	ZST_CHECK(code == 3 && strstr(msg, "session") && strstr(msg, "NUL"),
	    "protobuf: session token + NUL + junk is INVALID_ARGUMENT naming session (got %d: %s)",
	    code, msg);
	/* the same call with the token alone works */
	code = pb_raw(s, sess, slen, "zs.zone.v1.Zone/ListZones", empty, 0, msg, sizeof msg);
	ZST_CHECK(code == 0, "protobuf: the token alone is accepted (got %d: %s)", code, msg);
}

static void
test_json(nng_socket s)
{
	char text[1024], code[64], msg[512];
	snprintf(text, sizeof text, "{\"method\":\"zs.zone.v1.Zone/CreateZone\",\"session\":\"%s\","
	    "\"body\":{\"name\":\"a\\u0000b\"}}", zst_session());
	json_raw(s, text, code, sizeof code, msg, sizeof msg);
	ZST_CHECK(strcmp(code, "INVALID_ARGUMENT") == 0 && strstr(msg, "name") && strstr(msg, "NUL"),
	    "JSON: zone name \"a\\u0000b\" is INVALID_ARGUMENT naming name (got %s: %s)", code, msg);

	snprintf(text, sizeof text, "{\"method\":\"zs.event.v1.Events/Replay\",\"session\":\"%s\","
	    "\"body\":{\"topicPrefixes\":[\"ok/\",\"x\\u0000y\"]}}", zst_session());
	json_raw(s, text, code, sizeof code, msg, sizeof msg);
	ZST_CHECK(strcmp(code, "INVALID_ARGUMENT") == 0 && strstr(msg, "topicPrefixes") &&
	    strstr(msg, "NUL"), "JSON: a NUL in a repeated string is INVALID_ARGUMENT naming "
	    "topicPrefixes (got %s: %s)", code, msg);

	snprintf(text, sizeof text, "{\"method\":\"zs.zone.v1.Zone/ListZones\",\"session\":"
	    "\"%s\\u0000junk\"}", zst_session());
	json_raw(s, text, code, sizeof code, msg, sizeof msg);
	ZST_CHECK(strcmp(code, "INVALID_ARGUMENT") == 0 && strstr(msg, "session") &&
	    strstr(msg, "NUL"), "JSON: session token + NUL + junk is INVALID_ARGUMENT naming "
	    "session (got %s: %s)", code, msg);

	/* nothing was stored: no zone "a" */
	snprintf(text, sizeof text, "{\"method\":\"zs.zone.v1.Zone/ListZones\",\"session\":\"%s\"}",
	    zst_session());
	char *buf = NULL;
	size_t n = 0;
	int rv = zst_req_call(s, text, strlen(text), &buf, &n);
	ZST_CHECK(rv == 0 && buf != NULL && memmem(buf, n, "\"name\":\"a\"", 10) == NULL,
	    "no zone named \"a\" was made: %.*s", (int) (n > 300 ? 300 : n), buf ? buf : "");
	free(buf);
}

/* Publish with topic (protobuf): the code. */
static int
publish(nng_socket s, const char *topic, char *msg, size_t msglen)
{
	Zs__Echo__V1__PublishRequest req = ZS__ECHO__V1__PUBLISH_REQUEST__INIT;
	req.topic = (char *) topic;
	req.text = "t";
	size_t len;
	uint8_t *frame = zst_pack_request("zs.echo.v1.Echo/Publish", 0, 10000, 0, &req.base, &len);
	Zs__Rpc__V1__Reply *r = frame != NULL ? zst_pb_call(s, frame, len) : NULL;
	free(frame);
	int code = r == NULL ? -1 : r->status != NULL ? (int) r->status->code : 0;
	snprintf(msg, msglen, "%s", r != NULL && r->status != NULL ? r->status->message : "");
	if (r != NULL)
		zs__rpc__v1__reply__free_unpacked(r, NULL);
	return code;
}

static void
test_topics(nng_socket s)
{
	nng_socket sub;
	ZST_REQUIRE(nng_sub0_open(&sub) == 0 && nng_socket_set(sub, NNG_OPT_SUB_SUBSCRIBE, "", 0) == 0
	    && nng_socket_set_ms(sub, NNG_OPT_RECVTIMEO, 500) == 0 &&
	    nng_dial(sub, node.events_url, NULL, 0) == 0, "subscribed to the protobuf feed");
	zst_sleep_ms(200);
	char long_topic[300];
	memset(long_topic, 'x', sizeof long_topic - 1);
	memcpy(long_topic, "echo/", 5);
	long_topic[sizeof long_topic - 1] = '\0';
	const struct { const char *topic, *what; } bad[] = {
		{ "echo/\xff\xfe", "not UTF-8" },
		{ "echo/\xc0\xaf", "overlong UTF-8" },
		{ "echo/a\x01z", "a control character" },
		{ "echo/a\xc2\x85z", "a C1 control character" },
		{ long_topic, "299 bytes" },
	};
	char msg[512];
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int code = publish(s, bad[i].topic, msg, sizeof msg);
		ZST_CHECK(code == 3 && strstr(msg, "topic"), "Publish to a topic with %s is "
		    "INVALID_ARGUMENT (got %d: %s)", bad[i].what, code, msg);
	}
	char *frame = NULL;
	size_t n = 0;
	int rv = nng_recv(sub, &frame, &n, NNG_FLAG_ALLOC);
	ZST_CHECK(rv == NNG_ETIMEDOUT, "nothing went out on the feed for the refused topics (got "
	    "%s, %zu bytes: %.40s)", nng_strerror(rv), n, rv == 0 ? frame : "");
	if (rv == 0)
		nng_free(frame, n);
	int code = publish(s, "echo/é", msg, sizeof msg);
	ZST_CHECK(code == 0, "Publish to echo/é (UTF-8) works (got %d: %s)", code, msg);
	rv = nng_recv(sub, &frame, &n, NNG_FLAG_ALLOC);
	ZST_CHECK(rv == 0 && n > 7 && memcmp(frame, "echo/\xc3\xa9", 7) == 0,
	    "and its event goes out (%s)", nng_strerror(rv));
	if (rv == 0)
		nng_free(frame, n);
	nng_close(sub);
}

int
main(int argc, char **argv)
{
	if (zst_init(argc, argv, "strings", 60) != 0)
		return 1;
	if (zst_node_start(&node, NULL, NULL) != 0) {
		ZST_CHECK(0, "zsnode starts");
		return zst_summary();
	}
	nng_socket s;
	if (ZST_CHECK(zst_req_open(&s, node.rpc_url, 10000) == 0, "req0 dials %s", node.rpc_url)) {
		test_pb(s);
		test_json(s);
		test_topics(s);
		nng_close(s);
	}
	ZST_CHECK(zst_serving(&node), "the node still serves");
	zst_node_stop(&node);
	zst_node_cleanup(&node);
	return zst_summary();
}
