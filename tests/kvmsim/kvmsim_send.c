/*
 * kvmsim_send.c: the asynchronous answers of zs-kvmsim. The serving thread queues each
 * answer (callback URL, task uuid, body, when); sender threads POST them in due order, each
 * with its own libcurl handle so connections to the node are kept alive.
 *
 * It also counts, per agent path, the commands in flight: from the moment a command is
 * queued for its answer until a sender takes that answer to POST it (before the POST, so
 * that a node starting its next command on the answer never sees one too many), with the
 * highest such count since the last reset. A test reads how many /vm/migrate a node ran at
 * once through GET /sim/inflight, holding them open with a delay fault.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>

#include "kvmsim.h"

/* The commands of one path in flight; under the queue's mutex. */
typedef struct send_path {
	char path[128];
	int64_t now, max;            /* in flight now; the most at once since the last reset */
	uint64_t total;              /* answered through the queue since the last reset */
	struct send_path *next;
} send_path;

typedef struct send_item {
	int64_t due;
	char *url, *body;
	char task[128];
	send_path *count;            /* the path's counter (NULL: none), the queue's */
	struct send_item *prev, *next;
} send_item;

struct sim_send {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	send_item *head, *tail;          /* sorted by due */
	send_path *paths;                /* owned list */
	size_t pending;
	bool quit;
	uint64_t sent, failed;
	pthread_t *threads;
	int nthreads;
};

static void
item_free(send_item *it)
{
	free(it->url);
	free(it->body);
	free(it);
}

static size_t
send_discard(char *d, size_t size, size_t n, void *arg)
{
	(void) d;
	(void) arg;
	return size * n;
}

static void *
send_thread(void *arg)
{
	sim_send *q = arg;
	CURL *curl = curl_easy_init();
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
	hdr = curl_slist_append(hdr, "Expect:");
	pthread_mutex_lock(&q->mu);
	while (!q->quit) {
		if (q->head == NULL) {
			pthread_cond_wait(&q->cv, &q->mu);
			continue;
		}
		int64_t wait = q->head->due - sim_now_ms();
		if (wait > 0) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			int64_t ns = ts.tv_nsec + (wait % 1000) * 1000000;
			ts.tv_sec += wait / 1000 + ns / 1000000000;
			ts.tv_nsec = ns % 1000000000;
			pthread_cond_timedwait(&q->cv, &q->mu, &ts);
			continue;
		}
		send_item *it = q->head;
		q->head = it->next;
		if (q->head != NULL)
			q->head->prev = NULL;
		else
			q->tail = NULL;
		if (it->count != NULL)
			it->count->now--;    /* the answer leaves now */
		pthread_mutex_unlock(&q->mu);

		char task[160];
		snprintf(task, sizeof task, "taskuuid: %s", it->task);
		struct curl_slist *h = curl_slist_append(NULL, task);
		for (struct curl_slist *l = hdr; l != NULL; l = l->next)
			h = curl_slist_append(h, l->data);
		long code = 0;
		curl_easy_setopt(curl, CURLOPT_URL, it->url);
		curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, it->body);
		curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
		curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, send_discard);
		CURLcode rc = curl_easy_perform(curl);
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
		curl_slist_free_all(h);
		if (rc != CURLE_OK || code != 200)
			fprintf(stderr, "zs-kvmsim: callback %s to %s: %s (HTTP %ld)\n", it->task, it->url,
			    rc != CURLE_OK ? curl_easy_strerror(rc) : "refused", code);

		pthread_mutex_lock(&q->mu);
		q->pending--;
		if (rc == CURLE_OK && code == 200)
			q->sent++;
		else
			q->failed++;
		item_free(it);
	}
	pthread_mutex_unlock(&q->mu);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(curl);
	return NULL;
}

int
sim_send_new(sim_send **out, int threads)
{
	sim_send *q = calloc(1, sizeof *q);
	if (q == NULL || (q->threads = calloc((size_t) threads, sizeof *q->threads)) == NULL) {
		free(q);
		return -1;
	}
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	for (q->nthreads = 0; q->nthreads < threads; q->nthreads++)
		if (pthread_create(&q->threads[q->nthreads], NULL, send_thread, q) != 0)
			break;
	*out = q;
	return q->nthreads > 0 ? 0 : -1;
}

/* The counter of path, made on first use (NULL when out of memory). Under q->mu. */
static send_path *
send_path_get(sim_send *q, const char *path)
{
	send_path *p;
	for (p = q->paths; p != NULL; p = p->next)
		if (strcmp(p->path, path) == 0)
			return p;
	if ((p = calloc(1, sizeof *p)) == NULL)
		return NULL;
	snprintf(p->path, sizeof p->path, "%s", path);
	p->next = q->paths;
	q->paths = p;
	return p;
}

void
sim_send_post(sim_send *q, const char *url, const char *task, char *body, int64_t delay_ms,
    const char *path)
{
	send_item *it = calloc(1, sizeof *it);
	if (it == NULL || body == NULL || (it->url = strdup(url)) == NULL) {
		free(body);
		if (it != NULL)
			item_free(it);
		return;
	}
	it->body = body;
	it->due = sim_now_ms() + (delay_ms > 0 ? delay_ms : 0);
	snprintf(it->task, sizeof it->task, "%s", task);
	pthread_mutex_lock(&q->mu);
	if (path != NULL && (it->count = send_path_get(q, path)) != NULL) {
		it->count->total++;
		if (++it->count->now > it->count->max)
			it->count->max = it->count->now;
	}
	send_item *after = q->tail;   /* mostly due last: insert from the tail */
	while (after != NULL && after->due > it->due)
		after = after->prev;
	it->prev = after;
	it->next = after != NULL ? after->next : q->head;
	if (it->next != NULL)
		it->next->prev = it;
	else
		q->tail = it;
	if (after != NULL)
		after->next = it;
	else
		q->head = it;
	q->pending++;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

void
sim_send_clear(sim_send *q)
{
	pthread_mutex_lock(&q->mu);
	while (q->head != NULL) {
		send_item *it = q->head;
		q->head = it->next;
		q->pending--;
		if (it->count != NULL)
			it->count->now--;
		item_free(it);
	}
	q->tail = NULL;
	pthread_mutex_unlock(&q->mu);
}

json_t *
sim_send_inflight(sim_send *q)
{
	json_t *o = json_object();
	pthread_mutex_lock(&q->mu);
	for (send_path *p = q->paths; p != NULL; p = p->next)
		json_object_set_new(o, p->path, json_pack("{s:I, s:I, s:I}", "now", (json_int_t) p->now,
		    "max", (json_int_t) p->max, "total", (json_int_t) p->total));
	pthread_mutex_unlock(&q->mu);
	return o;
}

void
sim_send_inflight_reset(sim_send *q)
{
	pthread_mutex_lock(&q->mu);
	for (send_path *p = q->paths; p != NULL; p = p->next) {
		p->max = p->now;
		p->total = 0;
	}
	pthread_mutex_unlock(&q->mu);
}

void
sim_send_stats(sim_send *q, uint64_t *sent, uint64_t *failed, size_t *pending)
{
	pthread_mutex_lock(&q->mu);
	*sent = q->sent;
	*failed = q->failed;
	*pending = q->pending;
	pthread_mutex_unlock(&q->mu);
}

void
sim_send_free(sim_send *q)
{
	if (q == NULL)
		return;
	pthread_mutex_lock(&q->mu);
	q->quit = true;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	for (int i = 0; i < q->nthreads; i++)
		pthread_join(q->threads[i], NULL);
	sim_send_clear(q);
	while (q->paths != NULL) {
		send_path *p = q->paths;
		q->paths = p->next;
		free(p);
	}
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q->threads);
	free(q);
}
