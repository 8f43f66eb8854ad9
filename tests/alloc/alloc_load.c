/*
 * alloc_load.c: AllocateHost under concurrency. n calls at once, each for a VM of its own
 * (1 CPU, 256 MiB), over four hosts that hold far fewer than n: afterwards each host holds
 * no more than it had, its available figures are its start minus what its reservations
 * hold (to the byte), the successes are exactly the reservations (and exactly what the
 * hosts had room for, since a call fails only when every host is full), and every failure
 * is RESOURCE_EXHAUSTED (HOST.1004). Then every VM's capacity is returned at once: each
 * host is back at its start, exactly; returning again gives back nothing. And many calls
 * at once for one VM hold it once.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

#define AL_VM_MEMORY (256ll << 20)
#define AL_LOAD_TIMEOUT_MS 60000

typedef struct al_op {
	char vm[INV_UUID];
	char host[INV_UUID];
	int code, returned;
	char error_code[32];
} al_op;

typedef struct al_batch {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int left;
} al_batch;

typedef struct al_slot {
	al_batch *b;
	al_op *op;
} al_slot;

static void
al_done(int code, const zs_status *status, ProtobufCMessage *reply, void (*fn)(void), void *arg)
{
	(void) fn;
	al_slot *s = arg;
	s->op->code = code;
	if (status != NULL)
		snprintf(s->op->error_code, sizeof s->op->error_code, "%s",
		    status->error_code ? status->error_code : "");
	if (code == 0 && reply != NULL &&
	    strcmp(reply->descriptor->name, "zs.host.v1.AllocateHostResponse") == 0)
		snprintf(s->op->host, sizeof s->op->host, "%s",
		    ((Zs__Host__V1__AllocateHostResponse *) reply)->host_uuid);
	if (code == 0 && reply != NULL &&
	    strcmp(reply->descriptor->name, "zs.host.v1.ReturnHostCapacityResponse") == 0)
		s->op->returned = ((Zs__Host__V1__ReturnHostCapacityResponse *) reply)->returned;
	zs_reply_free(reply);
	pthread_mutex_lock(&s->b->mu);
	if (--s->b->left == 0)
		pthread_cond_signal(&s->b->cv);
	pthread_mutex_unlock(&s->b->mu);
}

/* Sends n AllocateHost (alloc) or ReturnHostCapacity calls at once and waits for all;
 * the milliseconds it took. */
static int64_t
al_batch_run(inv *t, al_op *ops, int n, bool alloc)
{
	al_batch b = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, n };
	al_slot *slots = calloc((size_t) n, sizeof *slots);
	Zs__Host__V1__AllocateHostRequest *areq = calloc((size_t) n, sizeof *areq);
	Zs__Host__V1__ReturnHostCapacityRequest *rreq = calloc((size_t) n, sizeof *rreq);
	ZST_REQUIRE(slots != NULL && areq != NULL && rreq != NULL, "memory for %d calls", n);
	zs_call_opts opts = { .timeout_ms = AL_LOAD_TIMEOUT_MS, .session = t->admin };
	int64_t t0 = zst_now_ms();
	for (int i = 0; i < n; i++) {
		slots[i] = (al_slot) { &b, &ops[i] };
		ops[i].code = -1;
		ops[i].error_code[0] = '\0';
		int rv;
		if (alloc) {
			ops[i].host[0] = '\0';
			al_req(&areq[i], ops[i].vm, 1, AL_VM_MEMORY);
			rv = zs_client_call_async(t->client, HM "AllocateHost", &areq[i].base,
			    &zs__host__v1__allocate_host_response__descriptor, al_done, NULL, &slots[i], &opts);
		} else {
			ops[i].returned = -1;
			zs__host__v1__return_host_capacity_request__init(&rreq[i]);
			rreq[i].vm_uuid = ops[i].vm;
			rv = zs_client_call_async(t->client, HM "ReturnHostCapacity", &rreq[i].base,
			    &zs__host__v1__return_host_capacity_response__descriptor, al_done, NULL,
			    &slots[i], &opts);
		}
		ZST_REQUIRE(rv == 0, "call %d sent", i);
	}
	pthread_mutex_lock(&b.mu);
	while (b.left > 0)
		pthread_cond_wait(&b.cv, &b.mu);   /* each call ends by its timeout at the latest */
	pthread_mutex_unlock(&b.mu);
	int64_t ms = zst_now_ms() - t0;
	free(slots);
	free(areq);
	free(rreq);
	return ms;
}

/* Every host at its start figures, with nothing held. */
static bool
al_all_back(inv *t, const al_env *e, const al_cap *start)
{
	for (int i = 0; i < AL_HOSTS; i++) {
		al_cap c;
		if (!al_cap_get(t, e->h[i], &c) || c.available_memory != start[i].available_memory ||
		    c.available_cpu != start[i].available_cpu || c.reservations != 0)
			return false;
	}
	return true;
}

void
al_same_vm(al_env *e, int n)
{
	inv *t = &e->t;
	al_op *ops = calloc((size_t) n, sizeof *ops);
	ZST_REQUIRE(ops != NULL, "memory for %d calls", n);
	al_vm_uuid(ops[0].vm);
	for (int i = 1; i < n; i++)
		memcpy(ops[i].vm, ops[0].vm, sizeof ops[i].vm);
	al_batch_run(t, ops, n, true);
	int ok = 0, same = 0;
	for (int i = 0; i < n; i++) {
		ok += ops[i].code == 0;
		same += ops[i].code == 0 && strcmp(ops[i].host, ops[0].host) == 0;
	}
	int64_t held = 0;
	for (int i = 0; i < AL_HOSTS; i++) {
		al_cap c;
		ZST_REQUIRE(al_cap_get(t, e->h[i], &c), "capacity of host %d", i);
		held += c.reservations;
	}
	ZST_CHECK(ok == n && same == n && held == 1, "%d AllocateHost at once for one VM: all OK "
	    "(%d), all the same host (%d), held once (%lld reservations)", n, ok, same,
	    (long long) held);
	int returned = -1;
	ZST_CHECK(al_return(t, t->admin, ops[0].vm, NULL, &returned) == 0 && returned == 1,
	    "and it gives back one reservation (%s)", t->msg);
	free(ops);
}

void
al_load(al_env *e, int n)
{
	inv *t = &e->t;
	al_cap start[AL_HOSTS];
	int64_t room = 0;
	for (int i = 0; i < AL_HOSTS; i++) {
		ZST_REQUIRE(al_cap_get(t, e->h[i], &start[i]), "capacity of host %d", i);
		room += start[i].available_memory / AL_VM_MEMORY;   /* CPUs are not the limit here */
	}
	al_op *ops = calloc((size_t) n, sizeof *ops);
	ZST_REQUIRE(ops != NULL, "memory for %d calls", n);
	for (int i = 0; i < n; i++)
		al_vm_uuid(ops[i].vm);

	int64_t ms = al_batch_run(t, ops, n, true);
	int ok = 0, exhausted = 0, other = 0, on[AL_HOSTS] = { 0 };
	for (int i = 0; i < n; i++) {
		if (ops[i].code == 0) {
			int k = al_host_index(e, ops[i].host);
			ok++;
			if (k >= 0)
				on[k]++;
		} else if (ops[i].code == ZS_CLIENT_RESOURCE_EXHAUSTED &&
		    strcmp(ops[i].error_code, "HOST.1004") == 0) {
			exhausted++;
		} else {
			other++;
		}
	}
	zst_note("%d AllocateHost at once: %d held, %d RESOURCE_EXHAUSTED, %d other, in %lld ms "
	    "(%.0f calls/s)", n, ok, exhausted, other, (long long) ms, ms > 0 ? n * 1000.0 / ms : 0.0);
	ZST_CHECK(ms < AL_LOAD_TIMEOUT_MS, "%d concurrent AllocateHost end in bounded time (%lld ms)",
	    n, (long long) ms);
	ZST_CHECK(other == 0 && ok + exhausted == n, "every failure is RESOURCE_EXHAUSTED, HOST.1004 "
	    "(%d other)", other);
	ZST_CHECK(ok == room, "exactly as many succeed as the hosts had room for (%d, room %lld)", ok,
	    (long long) room);
	int64_t rows = 0;
	for (int i = 0; i < AL_HOSTS; i++) {
		al_cap c;
		ZST_REQUIRE(al_cap_get(t, e->h[i], &c), "capacity of host %d", i);
		rows += c.reservations;
		ZST_CHECK(c.reserved_vm_memory <= start[i].available_memory &&
		    c.available_memory == start[i].available_memory - c.reserved_vm_memory &&
		    c.available_memory >= 0 &&
		    c.available_cpu == start[i].available_cpu - c.reserved_cpu &&
		    c.reservations == on[i] && c.reserved_vm_memory == on[i] * AL_VM_MEMORY &&
		    c.reserved_cpu == on[i],
		    "host %s: %d VMs held, %lld of %lld bytes, available %lld = start - held exactly",
		    al_sim_hosts[i].name, on[i], (long long) c.reserved_vm_memory,
		    (long long) start[i].available_memory, (long long) c.available_memory);
	}
	ZST_CHECK(rows == ok, "successes (%d) == reservation rows (%lld)", ok, (long long) rows);

	ms = al_batch_run(t, ops, n, false);
	int returned = 0, failed = 0;
	for (int i = 0; i < n; i++) {
		returned += ops[i].code == 0 ? ops[i].returned : 0;
		failed += ops[i].code != 0;
	}
	zst_note("%d ReturnHostCapacity at once in %lld ms", n, (long long) ms);
	ZST_CHECK(failed == 0 && returned == ok, "ReturnHostCapacity for every VM: %d returned "
	    "(held %d), %d failed", returned, ok, failed);
	ZST_CHECK(al_all_back(t, e, start), "every host is back at its start capacity exactly");
	al_batch_run(t, ops, n, false);
	returned = failed = 0;
	for (int i = 0; i < n; i++) {
		returned += ops[i].code == 0 ? ops[i].returned : 0;
		failed += ops[i].code != 0;
	}
	ZST_CHECK(failed == 0 && returned == 0, "returning again: OK, 0 returned (%d, %d failed)",
	    returned, failed);
	ZST_CHECK(al_all_back(t, e, start), "and the capacity is still the start's");
	free(ops);
}
