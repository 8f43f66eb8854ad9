/*
 * zb_raw.c: the floor. A rep0 server (zsbench --raw-server URL..., its own process)
 * that sends every request frame straight back on the nng context it came in on, and a
 * req0 client built like libzsclient's (a ctx+aio pair per call in flight, nng_aio_wait
 * for synchronous calls), so the only difference from zsnode is zsnode itself.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#include "zb.h"

#define ZB_RAW_TIMEOUT_MS 10000

/* ---- server ---- */

typedef struct zb_echo {
	nng_ctx ctx;
	nng_aio *aio;
	int sending;
} zb_echo;

static void
zb_echo_cb(void *arg)
{
	zb_echo *e = arg;
	int rv = nng_aio_result(e->aio);
	if (e->sending) {
		if (rv != 0)
			nng_msg_free(nng_aio_get_msg(e->aio));
		e->sending = 0;
		nng_ctx_recv(e->ctx, e->aio);
		return;
	}
	if (rv == NNG_ECLOSED)
		return;
	if (rv != 0) {
		nng_ctx_recv(e->ctx, e->aio);
		return;
	}
	e->sending = 1;
	nng_aio_set_msg(e->aio, nng_aio_get_msg(e->aio));
	nng_ctx_send(e->ctx, e->aio);
}

int
zb_raw_server_main(const char *const *urls, int n_urls, int contexts)
{
	nng_socket sock;
	int rv = nng_rep0_open(&sock);
	for (int i = 0; rv == 0 && i < n_urls; i++)
		if ((rv = nng_listen(sock, urls[i], NULL, 0)) != 0)
			fprintf(stderr, "zsbench raw server: cannot listen on %s: %s\n", urls[i],
			    nng_strerror(rv));
	zb_echo *e = rv == 0 ? calloc((size_t) contexts, sizeof *e) : NULL;
	if (e == NULL)
		return 1;
	for (int i = 0; i < contexts; i++) {
		if (nng_ctx_open(&e[i].ctx, sock) != 0 || nng_aio_alloc(&e[i].aio, zb_echo_cb, &e[i]) != 0) {
			fprintf(stderr, "zsbench raw server: cannot open context %d\n", i);
			return 1;
		}
		nng_ctx_recv(e[i].ctx, e[i].aio);
	}
	/* Killed by zsbench; gone with it at the latest (parent death signal, and this). */
	pid_t parent = getppid();
	while (getppid() == parent)
		zb_sleep_ms(200);
	return 0;
}

/* ---- client ---- */

typedef struct zb_raw {
	nng_socket sock;
	size_t payload;
	nng_ctx sync_ctx;
	nng_aio *sync_aio;
	char name[160];
} zb_raw;

typedef struct zb_raw_slot {
	zb_raw *raw;
	nng_ctx ctx;
	nng_aio *aio;
	int receiving;
	zb_done_fn done;
	void *worker;
} zb_raw_slot;

static int
zb_raw_request(zb_raw *raw, nng_msg **out)
{
	int rv = nng_msg_alloc(out, raw->payload);
	if (rv == 0)
		memset(nng_msg_body(*out), 'x', raw->payload);
	return rv;
}

/* Checks and frees an answer. */
static int
zb_raw_answer(zb_raw *raw, nng_msg *msg)
{
	int rv = nng_msg_len(msg) == raw->payload ? 0 : EPROTO;
	nng_msg_free(msg);
	return rv;
}

static int
zb_raw_call_sync(void *state)
{
	zb_raw *raw = state;
	nng_msg *msg;
	int rv = zb_raw_request(raw, &msg);
	if (rv != 0)
		return rv;
	nng_aio_set_msg(raw->sync_aio, msg);
	nng_aio_set_timeout(raw->sync_aio, ZB_RAW_TIMEOUT_MS);
	nng_ctx_send(raw->sync_ctx, raw->sync_aio);
	nng_aio_wait(raw->sync_aio);
	if ((rv = nng_aio_result(raw->sync_aio)) != 0) {
		nng_msg_free(nng_aio_get_msg(raw->sync_aio));
		return rv;
	}
	nng_ctx_recv(raw->sync_ctx, raw->sync_aio);
	nng_aio_wait(raw->sync_aio);
	if ((rv = nng_aio_result(raw->sync_aio)) != 0)
		return rv;
	return zb_raw_answer(raw, nng_aio_get_msg(raw->sync_aio));
}

static void
zb_raw_slot_cb(void *arg)
{
	zb_raw_slot *s = arg;
	int rv = nng_aio_result(s->aio);
	if (rv != 0) {
		if (!s->receiving)
			nng_msg_free(nng_aio_get_msg(s->aio));
		s->done(s->worker, rv);
		return;
	}
	if (!s->receiving) {
		s->receiving = 1;
		nng_aio_set_timeout(s->aio, ZB_RAW_TIMEOUT_MS);
		nng_ctx_recv(s->ctx, s->aio);
		return;
	}
	s->done(s->worker, zb_raw_answer(s->raw, nng_aio_get_msg(s->aio)));
}

static int
zb_raw_worker_init(void *state, int i, void **wstate)
{
	(void) i;
	zb_raw_slot *s = calloc(1, sizeof *s);
	if (s == NULL)
		return ENOMEM;
	s->raw = state;
	int rv = nng_ctx_open(&s->ctx, s->raw->sock);
	if (rv == 0 && (rv = nng_aio_alloc(&s->aio, zb_raw_slot_cb, s)) != 0)
		nng_ctx_close(s->ctx);
	if (rv != 0) {
		free(s);
		return rv;
	}
	*wstate = s;
	return 0;
}

static void
zb_raw_worker_fini(void *state, void *wstate)
{
	(void) state;
	zb_raw_slot *s = wstate;
	nng_aio_free(s->aio);
	nng_ctx_close(s->ctx);
	free(s);
}

static int
zb_raw_call_async(void *state, void *wstate, zb_done_fn done, void *worker)
{
	zb_raw_slot *s = wstate;
	nng_msg *msg;
	int rv = zb_raw_request(state, &msg);
	if (rv != 0)
		return rv;
	s->receiving = 0;
	s->done = done;
	s->worker = worker;
	nng_aio_set_msg(s->aio, msg);
	nng_aio_set_timeout(s->aio, ZB_RAW_TIMEOUT_MS);
	nng_ctx_send(s->ctx, s->aio);
	return 0;
}

int
zb_raw_open(const char *url, size_t payload, int64_t timeout_ms, zb_target *out, char *err,
    size_t errlen)
{
	zb_raw *raw = calloc(1, sizeof *raw);
	if (raw == NULL)
		return -1;
	raw->payload = payload;
	snprintf(raw->name, sizeof raw->name, "raw nng %s", url);
	int rv = nng_req0_open(&raw->sock);
	if (rv == 0)
		rv = nng_socket_set_size(raw->sock, NNG_OPT_RECVMAXSZ, 0);
	/* No resends, as libzsclient: in nng 1.5 each resend timer goes into one sorted list
	 * that every send walks, which at 20000 calls in flight costs the client more than
	 * the whole server does. */
	if (rv == 0)
		rv = nng_socket_set_ms(raw->sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
	int64_t until = zb_now_ns() + timeout_ms * 1000000;
	while (rv == 0 && (rv = nng_dial(raw->sock, url, NULL, 0)) != 0 && zb_now_ns() < until) {
		rv = 0;
		zb_sleep_ms(2);
	}
	if (rv == 0 && (rv = nng_ctx_open(&raw->sync_ctx, raw->sock)) == 0)
		rv = nng_aio_alloc(&raw->sync_aio, NULL, NULL);
	if (rv == 0 && (rv = zb_raw_call_sync(raw)) != 0)
		snprintf(err, errlen, "raw echo on %s does not answer: %s", url, nng_strerror(rv));
	else if (rv != 0)
		snprintf(err, errlen, "cannot reach the raw server on %s: %s", url, nng_strerror(rv));
	if (rv != 0) {
		nng_close(raw->sock);
		free(raw);
		return -1;
	}
	*out = (zb_target) { .name = raw->name, .state = raw, .call_sync = zb_raw_call_sync,
		.worker_init = zb_raw_worker_init, .worker_fini = zb_raw_worker_fini,
		.call_async = zb_raw_call_async };
	return 0;
}

void
zb_raw_close(zb_target *t)
{
	zb_raw *raw = t->state;
	if (raw == NULL)
		return;
	nng_aio_free(raw->sync_aio);
	nng_close(raw->sock);
	free(raw);
	t->state = NULL;
}
