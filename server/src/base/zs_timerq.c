/* zs_timerq.c: min-heap timer queue with one thread that runs what falls due. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "zs/clock.h"
#include "zs/timer.h"
#include "zs_timerq.h"

struct zs_timerq {
	pthread_mutex_t lock;
	pthread_cond_t cond;       /* signalled when the earliest entry changes or on stop */
	pthread_t thread;
	struct zs_timer **heap;
	size_t len, cap;
	uint64_t next_seq;
	bool stopping;
};

static bool
tq_less(const struct zs_timer *a, const struct zs_timer *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void
tq_place(zs_timerq *q, size_t i, struct zs_timer *t)
{
	q->heap[i] = t;
	t->index = i + 1;
}

static void
tq_up(zs_timerq *q, size_t i)
{
	struct zs_timer *t = q->heap[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!tq_less(t, q->heap[parent]))
			break;
		tq_place(q, i, q->heap[parent]);
		i = parent;
	}
	tq_place(q, i, t);
}

static void
tq_down(zs_timerq *q, size_t i)
{
	struct zs_timer *t = q->heap[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= q->len)
			break;
		if (c + 1 < q->len && tq_less(q->heap[c + 1], q->heap[c]))
			c++;
		if (!tq_less(q->heap[c], t))
			break;
		tq_place(q, i, q->heap[c]);
		i = c;
	}
	tq_place(q, i, t);
}

/* Takes the entry at heap slot i out. Caller holds the lock. */
static void
tq_take(zs_timerq *q, size_t i)
{
	q->heap[i]->index = 0;
	q->len--;
	if (i == q->len)
		return;
	tq_place(q, i, q->heap[q->len]);
	if (i > 0 && tq_less(q->heap[i], q->heap[(i - 1) / 2]))
		tq_up(q, i);
	else
		tq_down(q, i);
}

static void
tq_deadline(int64_t due_ms, struct timespec *ts)
{
	/* due is on the monotonic clock; the condition variable uses it too. */
	ts->tv_sec = (time_t) (due_ms / 1000);
	ts->tv_nsec = (long) (due_ms % 1000) * 1000000L;
}

static void *
tq_thread(void *arg)
{
	zs_timerq *q = arg;
	pthread_mutex_lock(&q->lock);
	while (!q->stopping) {
		if (q->len == 0) {
			pthread_cond_wait(&q->cond, &q->lock);
			continue;
		}
		struct zs_timer *t = q->heap[0];
		if (t->due > zs_clock_ms()) {
			struct timespec ts;
			tq_deadline(t->due, &ts);
			pthread_cond_timedwait(&q->cond, &q->lock, &ts);
			continue;
		}
		tq_take(q, 0);
		pthread_mutex_unlock(&q->lock);
		bool owned = t->owned_by_queue;
		t->fn(t->arg);
		if (owned)
			free(t);
		pthread_mutex_lock(&q->lock);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

int
zs_timerq_new(zs_timerq **out)
{
	zs_timerq *q = calloc(1, sizeof *q);
	if (q == NULL)
		return -1;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&q->lock, NULL);
	if (pthread_create(&q->thread, NULL, tq_thread, q) != 0) {
		pthread_cond_destroy(&q->cond);
		pthread_mutex_destroy(&q->lock);
		free(q);
		return -1;
	}
	*out = q;
	return 0;
}

void
zs_timerq_free(zs_timerq *q)
{
	if (q == NULL)
		return;
	pthread_mutex_lock(&q->lock);
	q->stopping = true;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->thread, NULL);
	for (size_t i = 0; i < q->len; i++)
		if (q->heap[i]->owned_by_queue)
			free(q->heap[i]);
	free(q->heap);
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

int
zs_timerq_add(zs_timerq *q, struct zs_timer *t)
{
	pthread_mutex_lock(&q->lock);
	if (q->len == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 256;
		struct zs_timer **h = realloc(q->heap, cap * sizeof *h);
		if (h == NULL) {
			pthread_mutex_unlock(&q->lock);
			return -1;
		}
		q->heap = h;
		q->cap = cap;
	}
	t->seq = q->next_seq++;
	q->heap[q->len] = t;
	tq_up(q, q->len++);
	if (t->index == 1)
		pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
	return 0;
}

bool
zs_timerq_remove(zs_timerq *q, struct zs_timer *t)
{
	pthread_mutex_lock(&q->lock);
	bool queued = t->index != 0;
	if (queued)
		tq_take(q, t->index - 1);
	pthread_mutex_unlock(&q->lock);
	return queued;
}

void
zs_timerq_each(zs_timerq *q, void (*fn)(struct zs_timer *t, void *arg), void *arg)
{
	pthread_mutex_lock(&q->lock);
	for (size_t i = 0; i < q->len; i++)
		fn(q->heap[i], arg);
	pthread_mutex_unlock(&q->lock);
}

size_t
zs_timerq_len(zs_timerq *q)
{
	pthread_mutex_lock(&q->lock);
	size_t n = q->len;
	pthread_mutex_unlock(&q->lock);
	return n;
}

zs_timer *
zs_timer_start(zs_timerq *q, int64_t ms, void (*fn)(void *arg), void *arg)
{
	zs_timer *t = calloc(1, sizeof *t);
	if (t == NULL)
		return NULL;
	t->due = zs_add_sat(zs_clock_ms(), ms > 0 ? ms : 0);
	t->fn = fn;
	t->arg = arg;
	t->owned_by_queue = true;
	if (zs_timerq_add(q, t) != 0) {
		free(t);
		return NULL;
	}
	return t;
}

bool
zs_timer_cancel(zs_timerq *q, zs_timer *timer)
{
	if (!zs_timerq_remove(q, timer))
		return false;
	free(timer);
	return true;
}
