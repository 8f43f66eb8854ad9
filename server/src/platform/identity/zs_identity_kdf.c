/*
 * zs_identity_kdf.c: the threads that run argon2id, apart from the node's workers. A
 * hash takes a core and 64 MiB for ~100 ms and Login is public, so hashes never run on (or
 * block) a worker: they queue here, a bounded queue that refuses at once when full, and
 * run on a few threads (half the cores, at most ZS_IDENTITY_KDF_SLOTS) at a lower
 * priority (nice +ZS_IDENTITY_KDF_NICE), so a flood of logins leaves every other call its
 * share of the machine. A caller reserves a place before it does the work that leads to
 * a hash (reading the account), so a full queue is refused before anything is spent.
 */
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "zs/log.h"
#include "zs_identity_impl.h"

typedef struct kdf_job {
	void (*fn)(void *arg);
	void *arg;
} kdf_job;

struct zs_identity_kdf {
	pthread_mutex_t lock;
	pthread_cond_t ready;
	kdf_job *ring;
	size_t cap;                 /* the queue limit */
	size_t head, queued;
	size_t reserved;            /* places promised, not yet queued */
	pthread_t *threads;
	size_t n_threads;
	bool stopping;
};

static void *
kdf_main(void *arg)
{
	zs_identity_kdf *k = arg;
	/* only this thread: nice applies per thread on Linux; raising it needs no privilege */
	if (setpriority(PRIO_PROCESS, (id_t) syscall(SYS_gettid), ZS_IDENTITY_KDF_NICE) != 0)
		zs_log(ZS_LOG_DEBUG, "identity", "password hashing runs at normal priority");
	pthread_mutex_lock(&k->lock);
	for (;;) {
		while (k->queued == 0 && !k->stopping)
			pthread_cond_wait(&k->ready, &k->lock);
		if (k->queued == 0)
			break;   /* stopping, and the queue ran dry */
		kdf_job job = k->ring[k->head];
		k->head = (k->head + 1) % k->cap;
		k->queued--;
		pthread_mutex_unlock(&k->lock);
		job.fn(job.arg);
		pthread_mutex_lock(&k->lock);
	}
	pthread_mutex_unlock(&k->lock);
	return NULL;
}

int
zs_identity_kdf_new(zs_identity_kdf **out, size_t threads, size_t queue)
{
	zs_identity_kdf *k = calloc(1, sizeof *k);
	if (k == NULL)
		return -1;
	k->cap = queue > 0 ? queue : 1;
	k->ring = calloc(k->cap, sizeof *k->ring);
	k->threads = calloc(threads > 0 ? threads : 1, sizeof *k->threads);
	pthread_mutex_init(&k->lock, NULL);
	pthread_cond_init(&k->ready, NULL);
	if (k->ring == NULL || k->threads == NULL) {
		zs_identity_kdf_free(k);
		return -1;
	}
	for (size_t i = 0; i < (threads > 0 ? threads : 1); i++) {
		if (pthread_create(&k->threads[i], NULL, kdf_main, k) != 0) {
			zs_identity_kdf_free(k);
			return -1;
		}
		k->n_threads++;
	}
	*out = k;
	return 0;
}

void
zs_identity_kdf_stop(zs_identity_kdf *k)
{
	if (k == NULL)
		return;
	pthread_mutex_lock(&k->lock);
	k->stopping = true;
	pthread_cond_broadcast(&k->ready);
	pthread_mutex_unlock(&k->lock);
	for (size_t i = 0; i < k->n_threads; i++)
		pthread_join(k->threads[i], NULL);
	k->n_threads = 0;
}

void
zs_identity_kdf_free(zs_identity_kdf *k)
{
	if (k == NULL)
		return;
	zs_identity_kdf_stop(k);
	pthread_cond_destroy(&k->ready);
	pthread_mutex_destroy(&k->lock);
	free(k->threads);
	free(k->ring);
	free(k);
}

int
zs_identity_kdf_reserve(zs_identity_kdf *k)
{
	pthread_mutex_lock(&k->lock);
	bool ok = !k->stopping && k->queued + k->reserved < k->cap;
	if (ok)
		k->reserved++;
	pthread_mutex_unlock(&k->lock);
	return ok ? 0 : -1;
}

void
zs_identity_kdf_unreserve(zs_identity_kdf *k)
{
	pthread_mutex_lock(&k->lock);
	k->reserved--;
	pthread_mutex_unlock(&k->lock);
}

void
zs_identity_kdf_submit(zs_identity_kdf *k, void (*fn)(void *arg), void *arg)
{
	pthread_mutex_lock(&k->lock);
	k->reserved--;
	if (k->stopping) {
		pthread_mutex_unlock(&k->lock);
		fn(arg);   /* the threads may be gone already: here, then */
		return;
	}
	k->ring[(k->head + k->queued) % k->cap] = (kdf_job) { fn, arg };
	k->queued++;
	pthread_cond_signal(&k->ready);
	pthread_mutex_unlock(&k->lock);
}
