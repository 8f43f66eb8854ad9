/* zs_transport.c: the rep socket, its listeners, and the pool of receive contexts. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/supplemental/tls/tls.h>

#include "zs_call_impl.h"
#include "zs_transport.h"
#include "zs_wire.h"

/* How long an answer may wait for its connection to take it (a client reading nothing). */
#define ZS_TRANSPORT_REPLY_TIMEOUT_MS 30000
/* How far over rpc.max_frame a frame is still read, to be answered RESOURCE_EXHAUSTED. */
#define ZS_TRANSPORT_FRAME_SLACK (64 * 1024)

typedef enum slot_state { SLOT_IDLE, SLOT_RECV, SLOT_CALL, SLOT_SEND } slot_state;

struct zs_slot {
	zs_transport *t;
	nng_ctx ctx;
	nng_aio *aio;
	_Atomic int state;   /* slot_state */
	zs_slot *next_idle;
	zs_slot *next_all;
};

struct zs_transport {
	zs_rpc *rpc;
	nng_socket sock;
	pthread_mutex_t lock;  /* guards all, idle and n_slots */
	zs_slot *all;       /* every slot, for closing */
	zs_slot *idle;      /* slots neither receiving nor busy */
	size_t n_slots, target, max_slots;
	_Atomic size_t armed;
	_Atomic bool closing;
};

static void slot_cb(void *arg);

int
zs_transport_new(zs_rpc *rpc, zs_transport **out, char *err, size_t errlen)
{
	zs_transport *t = calloc(1, sizeof *t);
	if (t == NULL)
		return -1;
	t->rpc = rpc;
	pthread_mutex_init(&t->lock, NULL);
	int rv = nng_rep0_open(&t->sock);
	if (rv == 0) {
		/* nng reads a whole frame before handing it over, so what it may read is what an
		 * unauthenticated client can make the node hold: one frame a connection. Frames a
		 * little over max_frame are read and get a clear RESOURCE_EXHAUSTED from the wire
		 * layer; nng cuts the connection of one larger still as soon as its length
		 * arrives, before reading (or allocating) any of it. */
		uint64_t hard = rpc->cfg.max_frame > UINT64_MAX - ZS_TRANSPORT_FRAME_SLACK ?
		    UINT64_MAX : rpc->cfg.max_frame + ZS_TRANSPORT_FRAME_SLACK;
		rv = nng_socket_set_size(t->sock, NNG_OPT_RECVMAXSZ, hard > SIZE_MAX ? SIZE_MAX : (size_t) hard);
	}
	if (rv != 0) {
		snprintf(err, errlen, "cannot open the rep socket: %s", nng_strerror(rv));
		pthread_mutex_destroy(&t->lock);
		free(t);
		return -1;
	}
	*out = t;
	return 0;
}

/* Reads a whole PEM file into a new string (caller frees), NULL when unreadable. */
static char *
transport_read_pem(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n = getdelim(&buf, &cap, '\0', f);
	fclose(f);
	if (n <= 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Sets the listener's TLS certificate and key from PEM files. */
static int
transport_tls(nng_listener l, const char *cert, const char *key)
{
	nng_tls_config *cfg;
	char *cert_pem = transport_read_pem(cert), *key_pem = transport_read_pem(key);
	int rv = cert_pem && key_pem ? nng_tls_config_alloc(&cfg, NNG_TLS_MODE_SERVER) : NNG_ENOENT;
	if (rv == 0) {
		rv = nng_tls_config_own_cert(cfg, cert_pem, key_pem, NULL);
		if (rv == 0)
			rv = nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, cfg);
		nng_tls_config_free(cfg);
	}
	free(cert_pem);
	free(key_pem);
	return rv;
}

int
zs_transport_listen(zs_transport *t, const char *url, const char *cert, const char *key,
    char *err, size_t errlen)
{
	nng_listener l;
	bool tls = strncmp(url, "tls+", 4) == 0;
	if (tls && (cert == NULL || key == NULL || !*cert || !*key)) {
		snprintf(err, errlen, "%s: tls.cert and tls.key are needed for tls+tcp", url);
		return -1;
	}
	int rv = nng_listener_create(&l, t->sock, url);
	if (rv == 0 && tls && (rv = transport_tls(l, cert, key)) != 0) {
		snprintf(err, errlen, "%s: cannot use certificate %s with key %s: %s", url, cert, key,
		    nng_strerror(rv));
		nng_listener_close(l);
		return -1;
	}
	if (rv == 0)
		rv = nng_listener_start(l, 0);
	if (rv != 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", url, nng_strerror(rv));
		return -1;
	}
	return 0;
}

/* A new slot, or NULL when at the limit or out of memory. Caller holds the lock. */
static zs_slot *
slot_new(zs_transport *t)
{
	if (t->n_slots >= t->max_slots)
		return NULL;
	zs_slot *s = calloc(1, sizeof *s);
	if (s == NULL)
		return NULL;
	s->t = t;
	if (nng_ctx_open(&s->ctx, t->sock) != 0) {
		free(s);
		return NULL;
	}
	if (nng_aio_alloc(&s->aio, slot_cb, s) != 0) {
		nng_ctx_close(s->ctx);
		free(s);
		return NULL;
	}
	s->next_all = t->all;
	t->all = s;
	t->n_slots++;
	return s;
}

/* Waits for the next request on the slot, for as long as it takes. */
static void
slot_recv(zs_slot *s)
{
	nng_aio_set_timeout(s->aio, NNG_DURATION_INFINITE);
	nng_ctx_recv(s->ctx, s->aio);
}

/* Puts slots in receive until `target` wait there. */
static void
transport_refill(zs_transport *t)
{
	while (!atomic_load_explicit(&t->closing, memory_order_relaxed) &&
	    atomic_load_explicit(&t->armed, memory_order_relaxed) < t->target) {
		pthread_mutex_lock(&t->lock);
		zs_slot *s = t->idle;
		if (s != NULL)
			t->idle = s->next_idle;
		else
			s = slot_new(t);
		pthread_mutex_unlock(&t->lock);
		if (s == NULL)
			return;
		atomic_fetch_add_explicit(&t->armed, 1, memory_order_relaxed);
		atomic_store_explicit(&s->state, SLOT_RECV, memory_order_relaxed);
		slot_recv(s);
	}
}

/* A slot whose answer went out: back to receiving (no lock: the common case), or idle
 * when enough others wait already. */
static void
slot_done(zs_slot *s)
{
	zs_transport *t = s->t;
	if (!atomic_load_explicit(&t->closing, memory_order_relaxed) &&
	    atomic_fetch_add_explicit(&t->armed, 1, memory_order_relaxed) < t->target) {
		atomic_store_explicit(&s->state, SLOT_RECV, memory_order_relaxed);
		slot_recv(s);
		return;
	}
	atomic_fetch_sub_explicit(&t->armed, 1, memory_order_relaxed);
	atomic_store_explicit(&s->state, SLOT_IDLE, memory_order_relaxed);
	pthread_mutex_lock(&t->lock);
	s->next_idle = t->idle;
	t->idle = s;
	pthread_mutex_unlock(&t->lock);
}

static void
slot_cb(void *arg)
{
	zs_slot *s = arg;
	zs_transport *t = s->t;
	int rv = nng_aio_result(s->aio);
	if (atomic_load_explicit(&s->state, memory_order_relaxed) == SLOT_SEND) {
		if (rv != 0)
			nng_msg_free(nng_aio_get_msg(s->aio));
		slot_done(s);
		return;
	}
	atomic_fetch_sub_explicit(&t->armed, 1, memory_order_relaxed);
	if (rv != 0) {
		/* closed, or a receive error on one pipe: the socket goes on */
		slot_done(s);
		return;
	}
	atomic_store_explicit(&s->state, SLOT_CALL, memory_order_relaxed);
	zs_wire_handle(t->rpc, s, nng_aio_get_msg(s->aio));
	/* A call answered at once has sent (or sends) on this slot, which then receives
	 * again. One still running keeps it: another slot takes its place in receive. The
	 * state may already be stale here, which at worst arms one slot too many. */
	if (atomic_load_explicit(&s->state, memory_order_relaxed) == SLOT_CALL)
		transport_refill(t);
}

int
zs_transport_start(zs_transport *t, size_t armed, size_t max_slots)
{
	pthread_mutex_lock(&t->lock);
	t->target = armed;
	t->max_slots = max_slots > armed ? max_slots : armed;
	pthread_mutex_unlock(&t->lock);
	transport_refill(t);
	return t->armed > 0 ? 0 : -1;
}

void
zs_transport_reply(zs_slot *slot, nng_msg *msg)
{
	atomic_store_explicit(&slot->state, SLOT_SEND, memory_order_relaxed);
	nng_aio_set_msg(slot->aio, msg);
	/* A client that never reads its answers must not keep a context forever. */
	nng_aio_set_timeout(slot->aio, ZS_TRANSPORT_REPLY_TIMEOUT_MS);
	nng_ctx_send(slot->ctx, slot->aio);
}

void
zs_transport_drop(zs_slot *slot)
{
	slot_done(slot);
}

size_t
zs_transport_busy(zs_transport *t)
{
	pthread_mutex_lock(&t->lock);
	size_t idle = 0;
	for (zs_slot *s = t->idle; s != NULL; s = s->next_idle)
		idle++;
	size_t busy = t->n_slots - idle - t->armed;
	pthread_mutex_unlock(&t->lock);
	return busy;
}

void
zs_transport_close(zs_transport *t)
{
	pthread_mutex_lock(&t->lock);
	t->closing = true;
	pthread_mutex_unlock(&t->lock);
	nng_close(t->sock);
	for (zs_slot *s = t->all; s != NULL; s = s->next_all)
		nng_aio_stop(s->aio);
}

void
zs_transport_free(zs_transport *t)
{
	if (t == NULL)
		return;
	zs_slot *s = t->all;
	while (s != NULL) {
		zs_slot *next = s->next_all;
		nng_aio_free(s->aio);
		free(s);
		s = next;
	}
	pthread_mutex_destroy(&t->lock);
	free(t);
}
