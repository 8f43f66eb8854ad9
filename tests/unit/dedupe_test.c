/*
 * dedupe_test.c: unit tests for the request-key table (server/src/rpc/zs_dedupe.c): calls
 * in flight never pin the table (300,000 answered ids after 200 long calls leave at most
 * rpc.dedupe_max + 200 entries); an id is known for the whole window however many others
 * come, and belongs to its caller; answers over the size cap or the byte budget are not
 * kept but their id still is; keys made without keep are gone once answered.
 *
 * With --measure N it also prints what N answered ids (64-byte answers) cost in heap
 * (mallinfo2), the figure the README quotes.
 * Prints `dedupe: N passed, M failed` and exits non-zero on any failure.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zs_dedupe.h"
#include "zst_check.h"

#define N_LONG 200
#define N_CALLS 300000

static nng_msg *
answer_of(size_t len)
{
	nng_msg *m = NULL;
	if (nng_msg_alloc(&m, len) == 0)
		memset(nng_msg_body(m), 'a', len);
	return m;
}

static zs_dedupe *
table(int64_t window_ms, size_t max_ids, size_t answer_max, size_t answer_bytes)
{
	zs_dedupe *d;
	zs_dedupe_limits l = { window_ms, max_ids, answer_max, answer_bytes };
	ZST_REQUIRE(zs_dedupe_new(&d, &l) == 0, "dedupe table made");
	return d;
}

/* begin + finish: the verdict of begin. */
static zs_dedupe_verdict
run(zs_dedupe *d, uint64_t scope, uint64_t id, uint64_t fp, const nng_msg *ans)
{
	zs_dedupe_key k = { scope, id, true };
	nng_msg *replay = NULL;
	zs_dedupe_verdict v = zs_dedupe_begin(d, &k, fp, NULL, &replay);
	if (v == ZS_DEDUPE_NEW) {
		void **w = NULL;
		zs_dedupe_finish(d, &k, ans, &w);
		free(w);
	}
	if (replay != NULL)
		nng_msg_free(replay);
	return v;
}

/* The defect: eviction stopped at the oldest entry when it was still in flight. */
static void
test_inflight_does_not_pin(void)
{
	zs_dedupe *d = table(10000, 1024, 8192, 1 << 20);
	nng_msg *replay = NULL;
	for (uint64_t i = 0; i < N_LONG; i++) {
		zs_dedupe_key k = { 1, 1000000 + i, true };
		ZST_CHECK(zs_dedupe_begin(d, &k, 7, NULL, &replay) == ZS_DEDUPE_NEW,
		    "long call %llu is new", (unsigned long long) i);
	}
	nng_msg *ans = answer_of(64);
	for (uint64_t i = 1; i <= N_CALLS; i++)
		run(d, 1, i, i, ans);
	size_t len = zs_dedupe_len(d);
	ZST_CHECK(len <= 1024 + 16 + N_LONG, "with %d calls in flight, %d answered ids leave %zu "
	    "entries (limit 1024 + the %d in flight)", N_LONG, N_CALLS, len, N_LONG);
	zs_dedupe_stats st;
	zs_dedupe_stats_get(d, &st);
	ZST_CHECK(st.early >= N_CALLS - 1024 - 16, "ids over rpc.dedupe_max are counted as "
	    "forgotten early (%llu)", (unsigned long long) st.early);
	ZST_CHECK(st.answer_bytes <= (1024 + 16) * 64, "answer bytes kept %zu", st.answer_bytes);
	/* the long calls are still known: a resend waits */
	for (uint64_t i = 0; i < N_LONG; i++) {
		zs_dedupe_key k = { 1, 1000000 + i, true };
		void **w = NULL;
		ZST_CHECK(zs_dedupe_begin(d, &k, 7, (void *) 1, &replay) == ZS_DEDUPE_WAITING,
		    "long call %llu still known", (unsigned long long) i);
		ZST_CHECK(zs_dedupe_finish(d, &k, ans, &w) == 1, "its waiter handed back");
		free(w);
	}
	nng_msg_free(ans);
	zs_dedupe_free(d);
}

/* Known for the whole window, whatever came after; per caller. */
static void
test_window_and_scope(void)
{
	zs_dedupe *d = table(60000, 100000, 8192, 1 << 20);
	nng_msg *ans = answer_of(100);
	ZST_CHECK(run(d, 1, 42, 4242, ans) == ZS_DEDUPE_NEW, "id 42 of caller 1: new");
	for (uint64_t i = 1; i <= 5000; i++)
		run(d, 1 + i % 3, 100 + i, i, ans);
	ZST_CHECK(run(d, 1, 42, 4242, ans) == ZS_DEDUPE_REPLAY,
	    "id 42 resent after 5,000 other ids: the first answer again");
	ZST_CHECK(run(d, 1, 42, 9999, ans) == ZS_DEDUPE_CONFLICT, "id 42, another frame: conflict");
	ZST_CHECK(run(d, 2, 42, 9999, ans) == ZS_DEDUPE_NEW, "id 42 of caller 2: its own, new");
	ZST_CHECK(run(d, 3, 42, 4242, ans) == ZS_DEDUPE_NEW, "id 42 of caller 3: new");
	nng_msg_free(ans);
	zs_dedupe_free(d);

	d = table(50, 100000, 8192, 1 << 20);
	ans = answer_of(10);
	run(d, 1, 7, 77, ans);
	struct timespec ts = { 0, 120 * 1000000 };
	nanosleep(&ts, NULL);
	ZST_CHECK(run(d, 1, 7, 77, ans) == ZS_DEDUPE_NEW, "past the window, an id is forgotten");
	ZST_CHECK(zs_dedupe_len(d) == 1, "and its entry freed (%zu left)", zs_dedupe_len(d));
	nng_msg_free(ans);
	zs_dedupe_free(d);
}

/* Big answers and the byte budget: the id stays known, the answer goes. */
static void
test_answer_limits(void)
{
	zs_dedupe *d = table(60000, 100000, 1024, 16 * 4096);   /* 4 KiB a shard */
	nng_msg *big = answer_of(2000), *small = answer_of(1000);
	ZST_CHECK(run(d, 1, 1, 11, big) == ZS_DEDUPE_NEW, "a call with a 2000-byte answer");
	ZST_CHECK(run(d, 1, 1, 11, big) == ZS_DEDUPE_GONE, "its resend: ran, answer not kept");
	for (uint64_t i = 100; i < 1100; i++)
		run(d, 1, i, i, small);
	zs_dedupe_stats st;
	zs_dedupe_stats_get(d, &st);
	ZST_CHECK(st.answer_bytes <= 16 * 4096, "1,000 answers of 1000 bytes hold %zu bytes "
	    "(budget 65536)", st.answer_bytes);
	ZST_CHECK(run(d, 1, 100, 100, small) == ZS_DEDUPE_GONE, "the oldest: known, answer gone");
	ZST_CHECK(run(d, 1, 1099, 1099, small) == ZS_DEDUPE_REPLAY, "the newest: answer kept");
	ZST_CHECK(zs_dedupe_len(d) == 1001, "every id still known (%zu)", zs_dedupe_len(d));
	nng_msg_free(big);
	nng_msg_free(small);
	zs_dedupe_free(d);
}

/* Keys without keep (calls with no request id): known in flight only. */
static void
test_in_flight_only(void)
{
	zs_dedupe *d = table(60000, 1000, 1024, 1 << 20);
	nng_msg *ans = answer_of(10), *replay = NULL;
	zs_dedupe_key k = { 5, 0xabcdef, false };
	ZST_CHECK(zs_dedupe_begin(d, &k, 1, NULL, &replay) == ZS_DEDUPE_NEW, "first copy runs");
	ZST_CHECK(zs_dedupe_begin(d, &k, 1, (void *) 1, &replay) == ZS_DEDUPE_WAITING,
	    "the resend while it runs waits");
	void **w = NULL;
	ZST_CHECK(zs_dedupe_finish(d, &k, ans, &w) == 1, "the waiter comes back with the answer");
	free(w);
	ZST_CHECK(zs_dedupe_len(d) == 0, "answered: forgotten");
	ZST_CHECK(zs_dedupe_begin(d, &k, 1, NULL, &replay) == ZS_DEDUPE_NEW, "the same frame later "
	    "runs again");
	ZST_CHECK(zs_dedupe_finish(d, &k, NULL, &w) == 0 && zs_dedupe_len(d) == 0,
	    "no answer made: the key is forgotten");
	free(w);
	nng_msg_free(ans);
	zs_dedupe_free(d);
}

/* What n answered ids with 64-byte answers cost in heap. */
static void
measure(size_t n)
{
	struct mallinfo2 m0 = mallinfo2();
	zs_dedupe *d = table(3600000, 2 * n, 8192, (size_t) 1 << 30);
	struct mallinfo2 m1 = mallinfo2();
	nng_msg *ans = answer_of(64);
	for (uint64_t i = 1; i <= n; i++)
		run(d, i % 7, i, i, ans);
	struct mallinfo2 m2 = mallinfo2();
	printf("dedupe: %zu answered ids (64-byte answers): table %.1f MB, entries %.1f MB, "
	    "%.0f bytes an id with its answer (%.0f without)\n", n,
	    (m1.uordblks + m1.hblkhd - m0.uordblks - m0.hblkhd) / 1e6,
	    (m2.uordblks + m2.hblkhd - m1.uordblks - m1.hblkhd) / 1e6,
	    (double) (m2.uordblks + m2.hblkhd - m0.uordblks - m0.hblkhd) / (double) n,
	    (double) (m2.uordblks + m2.hblkhd - m0.uordblks - m0.hblkhd) / (double) n - 80);
	ZST_CHECK(zs_dedupe_len(d) == n, "all %zu known", n);
	nng_msg_free(ans);
	zs_dedupe_free(d);
}

int
main(int argc, char **argv)
{
	zst_check_init("dedupe");
	if (argc == 3 && strcmp(argv[1], "--measure") == 0) {
		measure((size_t) strtoull(argv[2], NULL, 10));
		return zst_check_summary();
	}
	test_inflight_does_not_pin();
	test_window_and_scope();
	test_answer_limits();
	test_in_flight_only();
	return zst_check_summary();
}
