/*
 * limits_test.c: one caller must not freeze the node. Echo/Publish's count has a declared
 * limit (echo.max_publish_count): a count over it is INVALID_ARGUMENT naming the limit.
 * Four clients publishing as much as the limit allows with a 2 s deadline leave the
 * receiving threads free (Health/Check keeps answering within a bound), each call ends
 * by its deadline, and the handlers stop there too (no event is sent after the answers).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zs/echo/v1/echo.pb-c.h"
#include "zst_node.h"

#define LIM_ALARM_S 80
#define LIM_MAX_COUNT 1000000      /* echo.max_publish_count of the node under test */
#define LIM_CLIENTS 4
#define LIM_DEADLINE_MS 2000
#define LIM_LATE_MS 750            /* how far past its deadline an answer may come */
#define LIM_HEALTH_BOUND_MS 1000   /* the slowest Health/Check allowed meanwhile */

/* One Publish: the code (-1: no answer), the message and how long it took. */
typedef struct lim_call {
	const char *url;
	uint32_t count, timeout_ms;
	int code;
	char message[256];
	uint32_t published;
	int64_t took_ms;
} lim_call;

static void *
lim_publish(void *arg)
{
	lim_call *c = arg;
	Zs__Echo__V1__PublishRequest req = ZS__ECHO__V1__PUBLISH_REQUEST__INIT;
	req.topic = "echo/limits";
	req.text = "x";
	req.count = c->count;
	size_t len;
	uint8_t *frame = zst_pack_request("zs.echo.v1.Echo/Publish", 0, c->timeout_ms, 0, &req.base, &len);
	nng_socket s;
	c->code = -1;
	int64_t t0 = zst_now_ms();
	if (frame != NULL && zst_req_open(&s, c->url, 15000) == 0) {
		Zs__Rpc__V1__Reply *r = zst_pb_call(s, frame, len);
		if (r != NULL) {
			c->code = r->status != NULL ? (int) r->status->code : 0;
			snprintf(c->message, sizeof c->message, "%s", r->status != NULL ? r->status->message : "");
			Zs__Echo__V1__PublishReply *out = c->code == 0 ?
			    zs__echo__v1__publish_reply__unpack(NULL, r->body.len, r->body.data) : NULL;
			if (out != NULL) {
				c->published = out->published;
				zs__echo__v1__publish_reply__free_unpacked(out, NULL);
			}
			zs__rpc__v1__reply__free_unpacked(r, NULL);
		}
		nng_close(s);
	}
	c->took_ms = zst_now_ms() - t0;
	free(frame);
	return NULL;
}

/* Over the limit: refused at once, naming the limit. */
static void
test_over_limit(const zst_node *n)
{
	lim_call c = { .url = n->rpc_url, .count = LIM_MAX_COUNT + 1, .timeout_ms = LIM_DEADLINE_MS };
	lim_publish(&c);
	ZST_CHECK(c.code == 3 && strstr(c.message, "echo.max_publish_count") != NULL,
	    "Publish of %u events (limit %d) is INVALID_ARGUMENT naming echo.max_publish_count "
	    "(code %d: %s, %lld ms)", c.count, LIM_MAX_COUNT, c.code, c.message, (long long) c.took_ms);
	lim_call ok = { .url = n->rpc_url, .count = 3, .timeout_ms = LIM_DEADLINE_MS };
	lim_publish(&ok);
	ZST_CHECK(ok.code == 0 && ok.published == 3, "Publish of 3 events still works (code %d, %u)",
	    ok.code, ok.published);
}

/* Four long Publish calls; Health/Check is asked all along. */
static void
test_long_publish(const zst_node *n)
{
	lim_call calls[LIM_CLIENTS];
	pthread_t th[LIM_CLIENTS];
	int started = 0;
	for (int i = 0; i < LIM_CLIENTS; i++) {
		calls[i] = (lim_call) { .url = n->rpc_url, .count = LIM_MAX_COUNT, .timeout_ms = LIM_DEADLINE_MS };
		if (pthread_create(&th[i], NULL, lim_publish, &calls[i]) == 0)
			started++;
	}
	ZST_REQUIRE(started == LIM_CLIENTS, "%d publishing clients start", LIM_CLIENTS);
	zst_sleep_ms(100);   /* let the calls arrive first */
	int64_t worst = 0, end = zst_now_ms() + LIM_DEADLINE_MS;
	int asked = 0, answered = 0;
	while (zst_now_ms() < end) {
		int64_t t0 = zst_now_ms();
		int status = zst_health(n->rpc_url, 5000);
		int64_t took = zst_now_ms() - t0;
		asked++;
		answered += status == 1;
		if (took > worst)
			worst = took;
		zst_sleep_ms(50);
	}
	ZST_CHECK(answered == asked && worst <= LIM_HEALTH_BOUND_MS,
	    "Health/Check answers SERVING while %d clients publish (%d of %d, slowest %lld ms, "
	    "bound %d ms)", LIM_CLIENTS, answered, asked, (long long) worst, LIM_HEALTH_BOUND_MS);
	for (int i = 0; i < LIM_CLIENTS; i++) {
		pthread_join(th[i], NULL);
		lim_call *c = &calls[i];
		ZST_CHECK((c->code == 4 || c->code == 0) && c->took_ms <= LIM_DEADLINE_MS + LIM_LATE_MS,
		    "Publish %d (%u events, deadline %d ms) ends by its deadline: code %d in %lld ms (%s)",
		    i, c->count, LIM_DEADLINE_MS, c->code, (long long) c->took_ms, c->message);
	}
	/* the handlers stopped with their answers: nothing more is sent */
	zst_sleep_ms(200);
	double a = zst_node_metric(n, "zs_events_published_total");
	zst_sleep_ms(500);
	double b = zst_node_metric(n, "zs_events_published_total");
	ZST_CHECK(a >= 0 && a == b, "no event is published after the calls ended (%.0f, then %.0f)", a, b);
}

int
main(int argc, char **argv)
{
	if (zst_init(argc, argv, "limits", LIM_ALARM_S) != 0)
		return 2;
	char limit[64];
	snprintf(limit, sizeof limit, "echo.max_publish_count=%d", LIM_MAX_COUNT);
	const char *sets[] = { limit, NULL };
	zst_node n;
	ZST_REQUIRE(zst_node_start(&n, NULL, sets) == 0, "a node starts");
	test_over_limit(&n);
	test_long_publish(&n);
	ZST_CHECK(zst_node_stop(&n) == 0, "the node stops cleanly");
	zst_node_cleanup(&n);
	return zst_summary();
}
