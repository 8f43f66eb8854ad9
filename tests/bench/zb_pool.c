/*
 * zb_pool.c: the other way to serve req/rep, measured by --compare-servers against the
 * contexts server of zb_raw.c. A RAW rep0 socket (nng_rep0_open_raw): one receiver
 * thread blocks in nng_recvmsg and puts each request in a bounded ring (mutex + two
 * condvars) that N worker threads drain; a worker echoes the message with nng_sendmsg
 * as it came, header included: the header holds the backtrace (pipe id, request id), so
 * the reply goes back to the REQ that asked. The counters (what nng_sendmsg returned,
 * how long it took) go to stderr as "zb_pool_stats" lines, which zsbench reads back to
 * tell whether a raw send blocks, fails or silently drops under a slow reader.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include "zb.h"

#define ZB_POOL_RING 65536      /* requests waiting for a worker; a power of two */
#define ZB_POOL_BATCH 32        /* most a worker takes per lock */
#define ZB_POOL_MAX_WORKERS 64

typedef struct zb_pool {
	nng_socket sock;
	bool nonblock;
	int workers;
	pthread_mutex_t mtx;
	pthread_cond_t work;        /* a request is waiting */
	pthread_cond_t space;       /* the ring has room again */
	nng_msg **ring;
	size_t head, len;
	int idle;                   /* workers waiting on work */
	bool full_wait;             /* the receiver waits on space */
	_Atomic uint64_t received, sent, eagain, failed;
	_Atomic int64_t max_send_ns;
} zb_pool;

static void *
zb_pool_receiver(void *arg)
{
	zb_pool *p = arg;
	for (;;) {
		nng_msg *m;
		int rv = nng_recvmsg(p->sock, &m, 0);
		if (rv == NNG_ECLOSED)
			return NULL;
		if (rv != 0)
			continue;
		atomic_fetch_add_explicit(&p->received, 1, memory_order_relaxed);
		pthread_mutex_lock(&p->mtx);
		while (p->len == ZB_POOL_RING) {
			p->full_wait = true;
			pthread_cond_wait(&p->space, &p->mtx);
		}
		p->ring[(p->head + p->len) % ZB_POOL_RING] = m;
		p->len++;
		if (p->idle > 0)
			pthread_cond_signal(&p->work);
		pthread_mutex_unlock(&p->mtx);
	}
}

static void
zb_pool_max(_Atomic int64_t *max, int64_t v)
{
	int64_t cur = atomic_load_explicit(max, memory_order_relaxed);
	while (v > cur && !atomic_compare_exchange_weak(max, &cur, v))
		;
}

/* Echoes one request: the header (backtrace) stays, so nng routes the reply. */
static void
zb_pool_send(zb_pool *p, nng_msg *m)
{
	int64_t t0 = zb_now_ns();
	int rv;
	if (p->nonblock) {
		rv = nng_sendmsg(p->sock, m, NNG_FLAG_NONBLOCK);
		if (rv == NNG_EAGAIN) {
			atomic_fetch_add_explicit(&p->eagain, 1, memory_order_relaxed);
			rv = nng_sendmsg(p->sock, m, 0);
		}
	} else {
		rv = nng_sendmsg(p->sock, m, 0);
	}
	zb_pool_max(&p->max_send_ns, zb_now_ns() - t0);
	if (rv != 0) {
		atomic_fetch_add_explicit(&p->failed, 1, memory_order_relaxed);
		nng_msg_free(m);
	} else {
		atomic_fetch_add_explicit(&p->sent, 1, memory_order_relaxed);
	}
}

static void *
zb_pool_worker(void *arg)
{
	zb_pool *p = arg;
	nng_msg *batch[ZB_POOL_BATCH];
	for (;;) {
		pthread_mutex_lock(&p->mtx);
		while (p->len == 0) {
			p->idle++;
			pthread_cond_wait(&p->work, &p->mtx);
			p->idle--;
		}
		/* A fair share of what waits, so the other workers get some too. */
		size_t n = p->len / (size_t) p->workers + 1;
		if (n > ZB_POOL_BATCH)
			n = ZB_POOL_BATCH;
		if (n > p->len)
			n = p->len;
		for (size_t i = 0; i < n; i++)
			batch[i] = p->ring[(p->head + i) % ZB_POOL_RING];
		p->head = (p->head + n) % ZB_POOL_RING;
		p->len -= n;
		if (p->full_wait) {
			p->full_wait = false;
			pthread_cond_signal(&p->space);
		}
		/* More left than this worker took: wake another one. */
		if (p->len > 0 && p->idle > 0)
			pthread_cond_signal(&p->work);
		pthread_mutex_unlock(&p->mtx);
		for (size_t i = 0; i < n; i++)
			zb_pool_send(p, batch[i]);
	}
	return NULL;
}

static void
zb_pool_print(zb_pool *p)
{
	fprintf(stderr, "zb_pool_stats received=%llu sent=%llu eagain=%llu failed=%llu max_send_us=%.1f\n",
	    (unsigned long long) atomic_load(&p->received), (unsigned long long) atomic_load(&p->sent),
	    (unsigned long long) atomic_load(&p->eagain), (unsigned long long) atomic_load(&p->failed),
	    (double) atomic_load(&p->max_send_ns) / 1e3);
	fflush(stderr);
}

int
zb_pool_server_main(const char *const *urls, int n_urls, int workers, bool nonblock)
{
	static zb_pool pool;        /* lives as long as the process; threads are never joined */
	zb_pool *p = &pool;
	if (workers < 1 || workers > ZB_POOL_MAX_WORKERS) {
		fprintf(stderr, "zsbench pool server: 1 to %d workers\n", ZB_POOL_MAX_WORKERS);
		return 2;
	}
	p->workers = workers;
	p->nonblock = nonblock;
	p->ring = calloc(ZB_POOL_RING, sizeof *p->ring);
	pthread_mutex_init(&p->mtx, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->space, NULL);
	int rv = p->ring != NULL ? nng_rep0_open_raw(&p->sock) : NNG_ENOMEM;
	for (int i = 0; rv == 0 && i < n_urls; i++)
		if ((rv = nng_listen(p->sock, urls[i], NULL, 0)) != 0)
			fprintf(stderr, "zsbench pool server: cannot listen on %s: %s\n", urls[i],
			    nng_strerror(rv));
	if (rv != 0)
		return 1;
	pthread_t th;
	for (int i = 0; i < workers; i++)
		if (pthread_create(&th, NULL, zb_pool_worker, p) != 0) {
			fprintf(stderr, "zsbench pool server: cannot start worker %d\n", i);
			return 1;
		}
	if (pthread_create(&th, NULL, zb_pool_receiver, p) != 0) {
		fprintf(stderr, "zsbench pool server: cannot start the receiver\n");
		return 1;
	}
	/* Killed by zsbench; gone with it at the latest. Counters out when they move. */
	pid_t parent = getppid();
	uint64_t last = UINT64_MAX;
	zb_pool_print(p);
	while (getppid() == parent) {
		zb_sleep_ms(200);
		uint64_t now = atomic_load(&p->received) + atomic_load(&p->sent) + atomic_load(&p->failed);
		if (now != last) {
			zb_pool_print(p);
			last = now;
		}
	}
	return 0;
}

int
zb_pool_stats_read(const char *log_path, zb_pool_stats *out)
{
	FILE *f = fopen(log_path, "r");
	if (f == NULL)
		return -1;
	char line[512];
	int found = -1;
	while (fgets(line, sizeof line, f) != NULL) {
		unsigned long long r, s, e, fl;
		double us;
		if (sscanf(line, "zb_pool_stats received=%llu sent=%llu eagain=%llu failed=%llu "
		    "max_send_us=%lf", &r, &s, &e, &fl, &us) == 5) {
			*out = (zb_pool_stats) { r, s, e, fl, us };
			found = 0;
		}
	}
	fclose(f);
	return found;
}
