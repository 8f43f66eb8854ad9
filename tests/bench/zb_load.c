/*
 * zb_load.c: the load driver shared by the raw nng floor and zsnode. Concurrency 1 is
 * a synchronous loop on the calling thread; concurrency N starts N asynchronous calls
 * and each completion starts the next one from its callback, so N stay in flight.
 * Every call is timed from just before it is issued to its completion; calls that
 * complete inside the measured window count for throughput and latency. A failed call
 * ends its chain; the point is still filled in (errors counted) so --compare-servers
 * can report a stall and go on.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "zb.h"

typedef struct zb_run {
	const zb_target *t;
	int64_t t_measure, t_end;       /* window of the measured calls */
	_Atomic uint64_t calls, errors;
	_Atomic uint64_t all_calls;     /* warm-up and after the window included */
	_Atomic int first_error;
	uint32_t *lat;                  /* latencies in ns, saturated at 2^32-1 */
	size_t cap;
	_Atomic size_t n_lat;
	pthread_mutex_t mtx;
	pthread_cond_t cv;
	int outstanding;                /* workers whose chain is still going */
} zb_run;

typedef struct zb_worker {
	zb_run *run;
	void *wstate;
	int64_t start_ns;
} zb_worker;

/* One latency buffer for the whole run of zsbench, touched once so that page faults
 * do not land inside a measurement. */
static uint32_t *zb_lat_buf;
static size_t zb_lat_cap;

int64_t
zb_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
zb_sleep_ms(int64_t ms)
{
	struct timespec ts = { (time_t) (ms / 1000), (long) (ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int
zb_lat_reserve(size_t cap)
{
	if (cap <= zb_lat_cap)
		return 0;
	uint32_t *p = realloc(zb_lat_buf, cap * sizeof *p);
	if (p == NULL)
		return -1;
	memset(p, 0, cap * sizeof *p);
	zb_lat_buf = p;
	zb_lat_cap = cap;
	return 0;
}

/* Counts a finished call; returns true while new calls should start. */
static bool
zb_record(zb_run *r, int64_t start, int64_t end, int err)
{
	if (err != 0) {
		atomic_fetch_add(&r->errors, 1);
		int none = 0;
		atomic_compare_exchange_strong(&r->first_error, &none, err);
		return false;
	}
	atomic_fetch_add_explicit(&r->all_calls, 1, memory_order_relaxed);
	if (end >= r->t_measure && end < r->t_end) {
		atomic_fetch_add_explicit(&r->calls, 1, memory_order_relaxed);
		size_t i = atomic_fetch_add_explicit(&r->n_lat, 1, memory_order_relaxed);
		if (i < r->cap) {
			int64_t d = end - start;
			r->lat[i] = d > (int64_t) UINT32_MAX ? UINT32_MAX : (uint32_t) d;
		}
	}
	return end < r->t_end;
}

static void
zb_worker_finished(zb_run *r)
{
	pthread_mutex_lock(&r->mtx);
	if (--r->outstanding == 0)
		pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mtx);
}

static void
zb_async_done(void *arg, int err)
{
	zb_worker *w = arg;
	zb_run *r = w->run;
	if (!zb_record(r, w->start_ns, zb_now_ns(), err)) {
		zb_worker_finished(r);
		return;
	}
	w->start_ns = zb_now_ns();
	int rv = r->t->call_async(r->t->state, w->wstate, zb_async_done, w);
	if (rv != 0) {
		zb_record(r, 0, 0, rv);
		zb_worker_finished(r);
	}
}

static int
zb_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v, in µs. */
static double
zb_percentile_us(const uint32_t *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	size_t rank = (size_t) (p * (double) n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1] / 1000.0;
}

static int
zb_run_sync(zb_run *r)
{
	for (;;) {
		int64_t s = zb_now_ns();
		int rv = r->t->call_sync(r->t->state);
		if (!zb_record(r, s, zb_now_ns(), rv))
			return rv;
	}
}

/* Sets the measured window: warm-up from now, then the measured seconds. */
static void
zb_window(zb_run *r, double warmup, double seconds)
{
	r->t_measure = zb_now_ns() + (int64_t) (warmup * 1e9);
	r->t_end = r->t_measure + (int64_t) (seconds * 1e9);
}

static int
zb_run_async(zb_run *r, int conc, double warmup, double seconds, char *err, size_t errlen)
{
	zb_worker *w = calloc((size_t) conc, sizeof *w);
	if (w == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int ready = 0, rv = 0;
	for (; ready < conc; ready++) {
		w[ready].run = r;
		if (r->t->worker_init != NULL &&
		    (rv = r->t->worker_init(r->t->state, ready, &w[ready].wstate)) != 0)
			break;
	}
	if (rv != 0) {
		snprintf(err, errlen, "%s: cannot prepare call slot %d: error %d", r->t->name, ready, rv);
		goto out;
	}
	zb_window(r, warmup, seconds);
	pthread_mutex_lock(&r->mtx);
	r->outstanding = conc;
	pthread_mutex_unlock(&r->mtx);
	for (int i = 0; i < conc; i++) {
		w[i].start_ns = zb_now_ns();
		int crv = r->t->call_async(r->t->state, w[i].wstate, zb_async_done, &w[i]);
		if (crv != 0) {
			zb_record(r, 0, 0, crv);
			zb_worker_finished(r);
		}
	}
	/* Calls time out after 10 s in both clients: allow that and some more. */
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	int64_t left = r->t_end - zb_now_ns() + 15 * (int64_t) 1000000000;
	until.tv_sec += (time_t) (left / 1000000000);
	until.tv_nsec += (long) (left % 1000000000);
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&r->mtx);
	while (r->outstanding > 0 && rv == 0)
		if (pthread_cond_timedwait(&r->cv, &r->mtx, &until) == ETIMEDOUT)
			rv = ETIMEDOUT;
	int stuck = r->outstanding;
	pthread_mutex_unlock(&r->mtx);
	if (rv != 0) {
		/* Callbacks may still point into w and r: both are leaked (r by the caller). */
		snprintf(err, errlen, "%s: %d call chains never finished", r->t->name, stuck);
		return 1;
	}
out:
	for (int i = 0; i < ready; i++)
		if (r->t->worker_fini != NULL)
			r->t->worker_fini(r->t->state, w[i].wstate);
	free(w);
	return rv == 0 ? 0 : -1;
}

int
zb_load_run(const zb_target *t, int conc, double warmup, double seconds, zb_point *out,
    char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	size_t cap = (size_t) (seconds * 2e6) + 4096;
	if (zb_lat_reserve(cap) != 0) {
		snprintf(err, errlen, "out of memory for %zu latencies", cap);
		return -1;
	}
	/* On the heap: if a chain never finishes, its callbacks may still come, so r stays. */
	zb_run *r = calloc(1, sizeof *r);
	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r->t = t;
	r->lat = zb_lat_buf;
	r->cap = zb_lat_cap;
	pthread_mutex_init(&r->mtx, NULL);
	pthread_cond_init(&r->cv, NULL);
	int rv;
	pid_t self = getpid();
	int64_t srv0 = t->server > 0 ? zb_cpu_ns(t->server) : 0, cli0 = zb_cpu_ns(self);
	if (conc <= 1) {
		zb_window(r, warmup, seconds);
		rv = zb_run_sync(r);
		if (rv != 0)
			snprintf(err, errlen, "%s: a call failed: error %d", t->name, rv);
		rv = rv != 0 ? -1 : 0;
	} else {
		rv = zb_run_async(r, conc, warmup, seconds, err, errlen);
	}
	int64_t srv = t->server > 0 ? zb_cpu_ns(t->server) - srv0 : 0, cli = zb_cpu_ns(self) - cli0;
	bool stuck = rv > 0;
	if (stuck) {
		/* The chains still out count as failed calls; r is left to the exit. */
		pthread_mutex_lock(&r->mtx);
		out->errors = (uint64_t) r->outstanding;
		pthread_mutex_unlock(&r->mtx);
		out->stalled = true;
	}
	uint64_t all = atomic_load(&r->all_calls);
	out->server_cpu_us = all > 0 ? (double) srv / 1e3 / (double) all : 0;
	out->client_cpu_us = all > 0 ? (double) cli / 1e3 / (double) all : 0;
	uint64_t errors = atomic_load(&r->errors);
	out->errors += errors;
	size_t n = atomic_load(&r->n_lat);
	if (n > r->cap)
		n = r->cap;
	qsort(r->lat, n, sizeof *r->lat, zb_cmp_u32);
	out->calls = atomic_load(&r->calls);
	out->calls_per_s = (double) out->calls / seconds;
	out->p50_us = zb_percentile_us(r->lat, n, 0.50);
	out->p99_us = zb_percentile_us(r->lat, n, 0.99);
	out->first_error = atomic_load(&r->first_error);
	if (!stuck) {
		pthread_cond_destroy(&r->cv);
		pthread_mutex_destroy(&r->mtx);
		free(r);
	}
	if (rv != 0)
		return -1;
	if (errors > 0) {
		snprintf(err, errlen, "%s: %llu calls failed (first: error %d)", t->name,
		    (unsigned long long) errors, out->first_error);
		return -1;
	}
	return 0;
}
