/*
 * http_decode_test.c: the decoder of agents' answers (zs_http_decode): success, success
 * missing, success false with and without error text (cause chain), HTTP error statuses
 * with their codes, bodies that are not JSON objects (empty, truncated, arrays, NUL
 * inside, duplicate keys), exact-length buffers with no NUL after them (ASan sees a read
 * past the end), and 20000 random and mutated bodies that must decode without a crash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zs/http.h"
#include "zst_check.h"

/* Decodes text copied into a buffer of exactly its length. */
static int
decode(long http, const char *text, size_t len, json_t **reply, zs_status **st)
{
	char *buf = malloc(len ? len : 1);
	memcpy(buf, text, len);
	int code = zs_http_decode(http, buf, len, "h1", "/vm/start", reply, st);
	free(buf);
	return code;
}

static int
decode_s(long http, const char *text, json_t **reply, zs_status **st)
{
	return decode(http, text, strlen(text), reply, st);
}

static void
test_success(void)
{
	json_t *r = NULL;
	zs_status *st = NULL;
	ZST_EXPECT_INT(decode_s(200, "{\"success\":true,\"x\":1}", &r, &st), 0);
	ZST_EXPECT(st == NULL);
	ZST_EXPECT_INT(json_integer_value(json_object_get(r, "x")), 1);
	json_decref(r);
	ZST_EXPECT_INT(decode_s(200, "{\"hostUuid\":\"u\"}", &r, NULL), 0);   /* no success: fine */
	json_decref(r);
	ZST_EXPECT_INT(decode_s(204, "{}", NULL, NULL), 0);
}

static void
test_agent_failure(void)
{
	json_t *r = NULL;
	zs_status *st = NULL;
	ZST_EXPECT_INT(decode_s(200, "{\"success\":false,\"error\":\"disk on fire\"}", &r, &st), ZS_ABORTED);
	ZST_REQUIRE(st != NULL, "a status");
	ZST_EXPECT_STR(st->error_code, "HTTP.1005");
	ZST_EXPECT_HAS(st->message, "h1");
	ZST_EXPECT_HAS(st->message, "/vm/start");
	ZST_EXPECT_HAS(st->message, "HTTP 200");
	ZST_REQUIRE(st->cause != NULL, "a cause");
	ZST_EXPECT_STR(st->cause->message, "disk on fire");
	ZST_EXPECT(json_is_object(r));   /* the answer is still there */
	json_decref(r);
	zs_status_free(st);
	st = NULL;
	ZST_EXPECT_INT(decode_s(200, "{\"success\":false}", NULL, &st), ZS_ABORTED);
	ZST_EXPECT(st != NULL && st->cause != NULL);
	zs_status_free(st);
}

static void
test_http_errors(void)
{
	zs_status *st = NULL;
	ZST_EXPECT_INT(decode_s(503, "{\"success\":false,\"error\":\"busy\"}", NULL, &st), ZS_UNAVAILABLE);
	ZST_EXPECT(st != NULL && strcmp(st->error_code, "HTTP.1003") == 0);
	ZST_EXPECT_HAS(st->message, "HTTP 503");
	ZST_EXPECT(st->cause != NULL && strcmp(st->cause->message, "busy") == 0);
	zs_status_free(st);
	st = NULL;
	ZST_EXPECT_INT(decode_s(404, "not json", NULL, &st), ZS_UNIMPLEMENTED);
	ZST_EXPECT(st != NULL && st->cause == NULL);
	zs_status_free(st);
	ZST_EXPECT_INT(decode_s(400, "", NULL, NULL), ZS_INTERNAL);
	ZST_EXPECT_INT(decode_s(0, "", NULL, NULL), ZS_INTERNAL);
	ZST_EXPECT_INT(decode_s(302, "{}", NULL, NULL), ZS_INTERNAL);
}

static void
test_not_objects(void)
{
	const char *bad[] = { "", "[]", "1", "\"s\"", "{\"success\":", "{\"a\":1,\"a\":2}", "null",
		"{\"success\":true}garbage" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		zs_status *st = NULL;
		json_t *r = (json_t *) 1;
		ZST_CHECK(decode_s(200, bad[i], &r, &st) == ZS_INTERNAL, "'%s' is not an answer", bad[i]);
		ZST_CHECK(r == NULL, "no reply for '%s'", bad[i]);
		ZST_CHECK(st != NULL && strcmp(st->error_code, "HTTP.1004") == 0, "HTTP.1004 for '%s'", bad[i]);
		zs_status_free(st);
	}
	ZST_EXPECT_INT(decode(200, "{\"a\":\"x\0y\"}", 11, NULL, NULL), ZS_INTERNAL);
	ZST_EXPECT_INT(zs_http_decode(200, NULL, 0, NULL, NULL, NULL, NULL), ZS_INTERNAL);
}

/* Random bytes and mutations of a good answer: any code, no crash, no leak. */
static void
test_fuzz(void)
{
	const char *seed = "{\"success\":false,\"error\":\"e\",\"states\":{\"v1\":\"Running\"},\"n\":[1,2.5,null]}";
	size_t sl = strlen(seed);
	unsigned x = 12345;
	int decoded = 0;
	for (int i = 0; i < 20000; i++) {
		char buf[128];
		size_t len;
		if (i % 2 == 0) {
			len = (size_t) (x = x * 1103515245u + 12345u) % sizeof buf;
			for (size_t k = 0; k < len; k++)
				buf[k] = (char) ((x = x * 1103515245u + 12345u) >> 16);
		} else {
			len = sl;
			memcpy(buf, seed, sl);
			x = x * 1103515245u + 12345u;
			buf[x % sl] = (char) ('a' + (x >> 20) % 26);   /* often still JSON */
			if (i % 4 == 3)
				len = (x >> 8) % (sl + 1);             /* cut short */
		}
		json_t *r = NULL;
		zs_status *st = NULL;
		long http = (i % 7 == 0) ? 500 : 200;
		int code = decode(http, buf, len, &r, &st);
		if ((code == 0) != (st == NULL))
			ZST_FAIL("a status exactly when the code is not 0 (case %d)", i);
		decoded += code == 0 || code == ZS_ABORTED;
		json_decref(r);
		zs_status_free(st);
	}
	ZST_CHECK(decoded > 0, "some mutated answers still decode (%d)", decoded);
}

int
main(void)
{
	zst_check_init("http_decode");
	test_success();
	test_agent_failure();
	test_http_errors();
	test_not_objects();
	test_fuzz();
	return zst_check_summary();
}
