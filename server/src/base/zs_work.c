/* zs_work.c: worker threads and their queue (a growable ring, no allocation per item). */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "zs/status.h"
#include "zs/work.h"
#include "zs_work.h"

typedef struct work_item {
	void (*fn)(void *arg);
	void *arg;
} work_item;

struct zs_work {
	pthread_mutex_t lock;
	pthread_cond_t ready;
	work_item *ring;
	size_t cap, head, len;
	bool stopping;
	pthread_t *threads;
	size_t n_threads;
};

static void *
work_thread(void *arg)
{
	zs_work *w = arg;
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (w->len == 0 && !w->stopping)
			pthread_cond_wait(&w->ready, &w->lock);
		if (w->len == 0)
			break;
		work_item it = w->ring[w->head];
		w->head = (w->head + 1) % w->cap;
		w->len--;
		pthread_mutex_unlock(&w->lock);
		it.fn(it.arg);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int
zs_work_new(zs_work **out, size_t threads)
{
	zs_work *w = calloc(1, sizeof *w);
	if (w == NULL)
		return -1;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->ready, NULL);
	w->cap = 1024;
	w->ring = calloc(w->cap, sizeof *w->ring);
	w->threads = calloc(threads ? threads : 1, sizeof *w->threads);
	if (w->ring == NULL || w->threads == NULL) {
		zs_work_free(w);
		return -1;
	}
	for (size_t i = 0; i < threads; i++) {
		if (pthread_create(&w->threads[i], NULL, work_thread, w) != 0) {
			zs_work_free(w);
			return -1;
		}
		w->n_threads++;
	}
	*out = w;
	return 0;
}

/* Doubles the ring, unrolling it so head is 0. Caller holds the lock. */
static int
work_grow(zs_work *w)
{
	work_item *ring = calloc(w->cap * 2, sizeof *ring);
	if (ring == NULL)
		return -1;
	for (size_t i = 0; i < w->len; i++)
		ring[i] = w->ring[(w->head + i) % w->cap];
	free(w->ring);
	w->ring = ring;
	w->head = 0;
	w->cap *= 2;
	return 0;
}

int
zs_work_submit(zs_work *w, void (*fn)(void *arg), void *arg)
{
	if (w == NULL)
		return ZS_UNAVAILABLE;
	pthread_mutex_lock(&w->lock);
	if (w->stopping || (w->len == w->cap && work_grow(w) != 0)) {
		int code = w->stopping ? ZS_UNAVAILABLE : ZS_RESOURCE_EXHAUSTED;
		pthread_mutex_unlock(&w->lock);
		return code;
	}
	w->ring[(w->head + w->len) % w->cap] = (work_item) { fn, arg };
	w->len++;
	pthread_cond_signal(&w->ready);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

size_t
zs_work_pending(zs_work *w)
{
	pthread_mutex_lock(&w->lock);
	size_t n = w->len;
	pthread_mutex_unlock(&w->lock);
	return n;
}

void
zs_work_stop(zs_work *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	bool joined = w->stopping;
	w->stopping = true;
	pthread_cond_broadcast(&w->ready);
	pthread_mutex_unlock(&w->lock);
	for (size_t i = 0; !joined && i < w->n_threads; i++)
		pthread_join(w->threads[i], NULL);
}

void
zs_work_free(zs_work *w)
{
	if (w == NULL)
		return;
	zs_work_stop(w);
	pthread_cond_destroy(&w->ready);
	pthread_mutex_destroy(&w->lock);
	free(w->threads);
	free(w->ring);
	free(w);
}
