/*
 * vmb_events.c: how soon events reach a subscriber while VMs are made. A thread on the
 * node's protobuf feed takes every vm/created header and keeps its arrival time less the
 * event's time (written in the VM's transaction): the rest of that transaction, its
 * commit, the node's event sender and the socket.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <nng/nng.h>
#include <nng/protocol/pubsub0/sub.h>

#include "vmb.h"
#include "zs/rpc/v1/event.pb-c.h"

struct vmb_evwatch {
	nng_socket sub;
	pthread_t thread;
	atomic_bool stop;
	double *ms;        /* cap of them; n taken */
	long n, cap;
};

static double
evwatch_wall_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (double) tv.tv_sec * 1000.0 + (double) tv.tv_usec / 1000.0;
}

static void *
evwatch_main(void *arg)
{
	vmb_evwatch *w = arg;
	while (!atomic_load(&w->stop)) {
		char *buf = NULL;
		size_t len = 0;
		if (nng_recv(w->sub, &buf, &len, NNG_FLAG_ALLOC) != 0)
			continue;
		double now = evwatch_wall_ms();
		size_t tl = strnlen(buf, len);
		Zs__Rpc__V1__Event *e = tl < len ? zs__rpc__v1__event__unpack(NULL, len - tl - 1,
		    (uint8_t *) buf + tl + 1) : NULL;
		if (e != NULL && e->time != NULL && w->n < w->cap)
			w->ms[w->n++] = now - ((double) e->time->seconds * 1000.0 +
			    (double) e->time->nanos / 1e6);
		if (e != NULL)
			zs__rpc__v1__event__free_unpacked(e, NULL);
		nng_free(buf, len);
	}
	return NULL;
}

vmb_evwatch *
vmb_evwatch_start(const zst_node *n, long cap)
{
	vmb_evwatch *w = calloc(1, sizeof *w);
	if (w == NULL || (w->ms = calloc((size_t) (cap > 0 ? cap : 1), sizeof *w->ms)) == NULL) {
		free(w);
		return NULL;
	}
	w->cap = cap;
	int rv = nng_sub0_open(&w->sub);
	if (rv == 0)
		rv = nng_socket_set(w->sub, NNG_OPT_SUB_SUBSCRIBE, "vm/created", strlen("vm/created"));
	if (rv == 0)
		rv = nng_socket_set_int(w->sub, NNG_OPT_RECVBUF, 8192);   /* as zswatch */
	if (rv == 0)
		rv = nng_socket_set_ms(w->sub, NNG_OPT_RECVTIMEO, 100);
	if (rv == 0)
		rv = nng_dial(w->sub, n->events_url, NULL, 0);
	if (rv == 0 && pthread_create(&w->thread, NULL, evwatch_main, w) != 0)
		rv = NNG_ENOMEM;
	if (rv != 0) {
		printf("  cannot watch the node's events: %s\n", nng_strerror(rv));
		nng_close(w->sub);
		free(w->ms);
		free(w);
		return NULL;
	}
	return w;
}

void
vmb_evwatch_stop(vmb_evwatch *w)
{
	if (w == NULL)
		return;
	atomic_store(&w->stop, true);
	pthread_join(w->thread, NULL);
	nng_close(w->sub);
	qsort(w->ms, (size_t) w->n, sizeof *w->ms, vmb_cmp);
	printf("          vm/created on the feed: %ld, from its write to this subscriber p50 %.0f ms, "
	    "p99 %.0f ms, max %.0f ms\n", w->n, vmb_quantile(w->ms, w->n, 0.50),
	    vmb_quantile(w->ms, w->n, 0.99), w->n > 0 ? w->ms[w->n - 1] : -1.0);
	free(w->ms);
	free(w);
}
