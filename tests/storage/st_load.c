/*
 * st_load.c: capacity under concurrency. 200 CreateDataVolume calls sent at once to an
 * NFS storage whose capacity fits exactly 150 of them: exactly 150 succeed, the others
 * are refused for capacity, and available is what the 150 leave. Then rounds of random
 * creates and deletes sent at once (NFS, and LocalStorage on one host's share): after
 * each, available = total - the sizes of the volumes that live, to the byte.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "st.h"

#define ST_BURST 200
#define ST_FIT 150

typedef struct st_op {
	int code;
	char error_code[64];
	char uuid[INV_UUID];
	char msg[256];
} st_op;

typedef struct st_batch {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int left;
} st_batch;

typedef struct st_slot {
	st_batch *b;
	st_op *op;
} st_slot;

static void
st_done(int code, const zs_status *status, ProtobufCMessage *reply, void (*fn)(void), void *arg)
{
	(void) fn;
	st_slot *s = arg;
	s->op->code = code;
	if (status != NULL) {
		snprintf(s->op->error_code, sizeof s->op->error_code, "%s",
		    status->error_code ? status->error_code : "");
		snprintf(s->op->msg, sizeof s->op->msg, "%s", status->message ? status->message : "");
	}
	if (code == 0 && reply != NULL &&
	    strcmp(reply->descriptor->name, "zs.volume.v1.VolumeInfo") == 0)
		snprintf(s->op->uuid, sizeof s->op->uuid, "%s",
		    ((Zs__Volume__V1__VolumeInfo *) reply)->uuid);
	zs_reply_free(reply);
	pthread_mutex_lock(&s->b->mu);
	if (--s->b->left == 0)
		pthread_cond_signal(&s->b->cv);
	pthread_mutex_unlock(&s->b->mu);
}

/* Sends n calls at once: creates of sizes[i] on ps (host) where dels[i] is NULL, else
 * deletes of dels[i]; waits for all. */
static void
st_batch_run(inv *t, size_t n, const int64_t *sizes, char *const *dels, const char *ps,
    const char *host, st_op *ops, st_slot *slots)
{
	st_batch b = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, (int) n };
	Zs__Volume__V1__CreateDataVolumeRequest *creq = calloc(n, sizeof *creq);
	Zs__Volume__V1__DeleteVolumeRequest *dreq = calloc(n, sizeof *dreq);
	zs_call_opts opts = { .timeout_ms = 30000, .session = t->admin };
	for (size_t i = 0; i < n; i++) {
		memset(&ops[i], 0, sizeof ops[i]);
		slots[i].b = &b;
		slots[i].op = &ops[i];
		int rv;
		if (dels != NULL && dels[i] != NULL) {
			zs__volume__v1__delete_volume_request__init(&dreq[i]);
			dreq[i].uuid = dels[i];
			rv = zs_client_call_async(t->client, "zs.volume.v1.Volume/DeleteVolume", &dreq[i].base,
			    &zs__volume__v1__delete_volume_response__descriptor, st_done, NULL, &slots[i],
			    &opts);
		} else {
			zs__volume__v1__create_data_volume_request__init(&creq[i]);
			creq[i].name = "load";
			creq[i].size = sizes[i];
			creq[i].primary_storage_uuid = (char *) ps;
			creq[i].host_uuid = (char *) (host != NULL ? host : "");
			rv = zs_client_call_async(t->client, "zs.volume.v1.Volume/CreateDataVolume",
			    &creq[i].base, &zs__volume__v1__volume_info__descriptor, st_done, NULL, &slots[i],
			    &opts);
		}
		if (rv != 0) {
			ops[i].code = rv;
			pthread_mutex_lock(&b.mu);
			b.left--;
			pthread_mutex_unlock(&b.mu);
		}
	}
	pthread_mutex_lock(&b.mu);
	while (b.left > 0)
		pthread_cond_wait(&b.cv, &b.mu);
	pthread_mutex_unlock(&b.mu);
	free(creq);
	free(dreq);
}

/* Random rounds of creates and deletes on ps (host's share when host is given). */
static void
st_random(inv *t, const char *what, const char *ps, const char *host, int64_t total)
{
	enum { ROUNDS = 3, PER = 50 };
	char *live[ROUNDS * PER] = { NULL };
	size_t nlive = 0;
	st_op ops[PER];
	st_slot slots[PER];
	int64_t sizes[PER];
	char *dels[PER];
	unsigned seed = 12345u;
	bool exact = true;
	int created = 0, deleted = 0;
	for (int r = 0; r < ROUNDS; r++) {
		size_t pick[PER];
		for (size_t i = 0; i < PER; i++) {
			dels[i] = NULL;
			pick[i] = (size_t) -1;
			sizes[i] = (int64_t) (rand_r(&seed) % 64 + 1) * GIB + rand_r(&seed) % 4096;
			if (nlive > 0 && rand_r(&seed) % 2 == 0) {
				size_t k = (size_t) rand_r(&seed) % nlive;
				if (live[k] != NULL) {
					dels[i] = live[k];
					pick[i] = k;
					live[k] = NULL;   /* taken once */
				}
			}
		}
		st_batch_run(t, PER, sizes, dels, ps, host, ops, slots);
		for (size_t i = 0; i < PER; i++) {
			if (dels[i] != NULL) {
				if (ops[i].code == 0) {
					free(dels[i]);
					deleted++;
				} else {
					live[pick[i]] = dels[i];
				}
			} else if (ops[i].code == 0) {
				live[nlive++] = strdup(ops[i].uuid);
				created++;
			}
		}
		int64_t sum = 0;
		st_vol_count(t, ps, &sum);
		int64_t avail = st_available(t, ps, host);
		if (avail != total - sum) {
			exact = false;
			zst_note("%s round %d: available %lld, total %lld - live %lld = %lld", what, r,
			    (long long) avail, (long long) total, (long long) sum, (long long) (total - sum));
		}
	}
	ZST_CHECK(exact && created > 0 && deleted > 0,
	    "%s: %d creates and %d deletes at once in 3 rounds of 50: after each round available = "
	    "total - the sizes of the live volumes, to the byte", what, created, deleted);
	for (size_t i = 0; i < nlive; i++)
		if (live[i] != NULL) {
			st_vol_delete(t, t->admin, live[i]);
			free(live[i]);
		}
}

void
st_load(inv *t, const char *nfs, const char *local, const char *host)
{
	Zs__Primarystorage__V1__PrimaryStorageInfo *p = NULL;
	if (!ZST_CHECK(st_ps_get(t, nfs, &p) == 0, "the NFS storage (%s)", t->msg))
		return;
	int64_t total = p->total_capacity;
	zs_reply_free(p);
	int start = st_vol_count(t, nfs, NULL);
	int64_t size = total / ST_FIT;   /* 150 fit, 151 do not */
	static st_op ops[ST_BURST];
	static st_slot slots[ST_BURST];
	int64_t sizes[ST_BURST];
	for (size_t i = 0; i < ST_BURST; i++)
		sizes[i] = size;
	int64_t t0 = zst_now_ms();
	st_batch_run(t, ST_BURST, sizes, NULL, nfs, NULL, ops, slots);
	int64_t ms = zst_now_ms() - t0;
	int ok = 0, full = 0, other = 0;
	for (size_t i = 0; i < ST_BURST; i++) {
		if (ops[i].code == 0)
			ok++;
		else if (ops[i].code == ZS_CLIENT_RESOURCE_EXHAUSTED &&
		    strcmp(ops[i].error_code, "VOLUME.1002") == 0)
			full++;
		else if (other++ == 0)
			zst_note("unexpected: %d %s %s", ops[i].code, ops[i].error_code, ops[i].msg);
	}
	ZST_CHECK(ok == ST_FIT && full == ST_BURST - ST_FIT,
	    "200 creates at once on an NFS storage that fits 150: %d made, %d refused for capacity, "
	    "%d other (in %lld ms)", ok, full, other, (long long) ms);
	int64_t avail = st_available(t, nfs, NULL);
	ZST_CHECK(avail == total - ST_FIT * size && avail >= 0 && avail < size,
	    "nothing over-committed: available %lld = total %lld - 150 x %lld", (long long) avail,
	    (long long) total, (long long) size);
	ZST_CHECK(st_vol_count(t, nfs, NULL) == start + ST_FIT, "150 volumes live on it");
	/* the 150 go, all at once */
	char *dels[ST_BURST];
	size_t nd = 0;
	for (size_t i = 0; i < ST_BURST; i++)
		if (ops[i].code == 0)
			dels[nd++] = strdup(ops[i].uuid);
	st_batch_run(t, nd, sizes, dels, nfs, NULL, ops, slots);
	int gone = 0;
	for (size_t i = 0; i < nd; i++) {
		gone += ops[i].code == 0;
		free(dels[i]);
	}
	ZST_CHECK(gone == ST_FIT && st_available(t, nfs, NULL) == total &&
	    st_vol_count(t, nfs, NULL) == start,
	    "the 150 deleted at once: all of the capacity is back (%d deleted)", gone);

	st_random(t, "NFS", nfs, NULL, total);
	if (!ZST_CHECK(st_ps_get(t, local, &p) == 0, "the local storage (%s)", t->msg))
		return;
	int64_t htotal = -1;
	for (size_t i = 0; i < p->n_hosts; i++)
		if (strcmp(p->hosts[i]->host_uuid, host) == 0)
			htotal = p->hosts[i]->total_capacity;
	zs_reply_free(p);
	/* the host's share (no other volume is on this storage now) */
	ZST_CHECK(htotal > 0 && st_vol_count(t, local, NULL) == 0, "the host has a share of %lld",
	    (long long) htotal);
	st_random(t, "LocalStorage, one host's share", local, host, htotal);
}
