/*
 * zs_client_call.c: calls. An async call takes a slot, sends on its ctx and, from the
 * aio callback, receives the reply and runs the caller's callback. A sync call uses a
 * slot whose aio has no callback and waits on it with nng_aio_wait: nng then wakes the
 * caller straight from its I/O thread, with no hop through its task queue (measured
 * faster than running the async path and waiting on a condition variable).
 */
#include <limits.h>

#include "zs_client_internal.h"

static uint32_t
zs_client_timeout(const zs_call_opts *opts)
{
	return opts != NULL && opts->timeout_ms != 0 ? opts->timeout_ms
	                                             : ZS_CLIENT_DEFAULT_TIMEOUT_MS;
}

/* What is left of the client's wait, as an aio timeout (at least 1 ms: 0 would mean
 * "only if it can complete at once"). */
static nng_duration
zs_client_remaining(nng_time deadline)
{
	nng_time now = nng_clock();
	if (now >= deadline)
		return 1;
	uint64_t left = deadline - now;
	return left > INT32_MAX ? INT32_MAX : (nng_duration) left;
}

/* has_out: the caller gave somewhere to put the outcome (reply pointer or callback). */
/* A send that failed leaves the request with the aio: free it. */
static void
zs_client_drop_msg(zs_client_slot *slot)
{
	nng_msg *msg = nng_aio_get_msg(slot->aio);
	nng_aio_set_msg(slot->aio, NULL);
	if (msg != NULL)
		nng_msg_free(msg);
}

static int
zs_client_check_args(zs_client *client, const char *method, const ProtobufCMessage *request,
    const ProtobufCMessageDescriptor *reply_desc, int has_out, zs_status **status)
{
	if (client == NULL || method == NULL || request == NULL || reply_desc == NULL ||
	    !has_out) {
		*status = zs_client_status_new(ZS__RPC__V1__CODE__INVALID_ARGUMENT,
		    "zs_client_call: client, method, request, reply_desc and a reply pointer "
		    "or callback are required");
		return ZS__RPC__V1__CODE__INVALID_ARGUMENT;
	}
	return ZS_CLIENT_OK;
}

/* Takes a slot and packs the call into its aio; on failure returns the code with
 * *status set. */
static int
zs_client_prepare(zs_client *client, int async, const char *method,
    const ProtobufCMessage *request, int job, const zs_call_opts *opts, zs_client_slot **out,
    zs_status **status)
{
	zs_client_slot *slot;
	uint32_t timeout = zs_client_timeout(opts);
	int rv = zs_client_slot_take(client, async, &slot);
	if (rv != 0)
		return zs_client_status_from_nng(client, rv, timeout, status);
	nng_msg *msg;
	slot->request_id = zs_client_next_id(client);
	slot->timeout_ms = timeout;
	slot->deadline = nng_clock() + timeout + ZS_CLIENT_GRACE_MS;
	/* A job's deadline is the timeout the caller named, else the node's
	 * job.default_timeout (0 on the wire), never the 10 s default of a call. A call's
	 * session is its own, else the client's default (copied into the frame under the lock). */
	uint32_t wire_timeout = job ? (opts != NULL ? opts->timeout_ms : 0) : timeout;
	pthread_mutex_lock(&client->mtx);
	rv = zs_client_wire_pack(method, slot->request_id, wire_timeout,
	    opts != NULL && opts->session != NULL ? opts->session : client->session, job, request,
	    &msg);
	pthread_mutex_unlock(&client->mtx);
	if (rv != 0) {
		zs_client_slot_give(slot);
		return zs_client_status_from_nng(client, rv, timeout, status);
	}
	nng_aio_set_msg(slot->aio, msg);
	/* Sending only waits for a connection: with none, no answer can come, so the grace
	 * for the node's own DEADLINE_EXCEEDED applies to the receive alone. */
	nng_aio_set_timeout(slot->aio, (nng_duration) timeout);
	*out = slot;
	return ZS_CLIENT_OK;
}

int
zs_client_roundtrip(zs_client *client, const char *method, const ProtobufCMessage *request,
    int job, const zs_call_opts *opts, nng_msg **answer, uint64_t *request_id, zs_status **status)
{
	zs_client_slot *slot;
	int code = zs_client_prepare(client, 0, method, request, job, opts, &slot, status);
	if (code != ZS_CLIENT_OK)
		return code;
	nng_ctx_send(slot->ctx, slot->aio);
	nng_aio_wait(slot->aio);
	int rv = nng_aio_result(slot->aio);
	if (rv != 0) {
		zs_client_drop_msg(slot);
	} else {
		nng_aio_set_timeout(slot->aio, zs_client_remaining(slot->deadline));
		nng_ctx_recv(slot->ctx, slot->aio);
		nng_aio_wait(slot->aio);
		rv = nng_aio_result(slot->aio);
	}
	if (rv != 0) {
		code = zs_client_status_from_nng(client, rv, slot->timeout_ms, status);
	} else {
		*answer = nng_aio_get_msg(slot->aio);
		*request_id = slot->request_id;
	}
	zs_client_slot_give(slot);
	return code;
}

int
zs_client_call(zs_client *client, const char *method, const ProtobufCMessage *request,
    const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **reply,
    zs_status **status, const zs_call_opts *opts)
{
	zs_status *st = NULL;
	nng_msg *msg = NULL;
	uint64_t id = 0;
	if (reply != NULL)
		*reply = NULL;
	int code = zs_client_check_args(client, method, request, reply_desc, reply != NULL, &st);
	if (code == ZS_CLIENT_OK)
		code = zs_client_roundtrip(client, method, request, 0, opts, &msg, &id, &st);
	if (code == ZS_CLIENT_OK) {
		code = zs_client_wire_unpack(msg, id, reply_desc, reply, &st);
		nng_msg_free(msg);
	}
	if (status != NULL)
		*status = st;
	else
		zs_status_free(st);
	return code;
}

/* Runs the caller's callback once, then returns the slot to the pool. */
static void
zs_client_async_finish(zs_client_slot *slot, int code, zs_status *status,
    ProtobufCMessage *reply)
{
	slot->cb(code, status, reply, slot->fn, slot->arg);
	zs_status_free(status);
	zs_client_slot_give(slot);
}

void
zs_client_async_done(void *arg)
{
	zs_client_slot *slot = arg;
	zs_status *status = NULL;
	ProtobufCMessage *reply = NULL;
	int rv = nng_aio_result(slot->aio);
	if (rv != 0) {
		if (!slot->receiving)
			zs_client_drop_msg(slot);
		int code = zs_client_status_from_nng(slot->client, rv, slot->timeout_ms, &status);
		zs_client_async_finish(slot, code, status, NULL);
		return;
	}
	if (!slot->receiving) {
		slot->receiving = 1;
		nng_aio_set_timeout(slot->aio, zs_client_remaining(slot->deadline));
		nng_ctx_recv(slot->ctx, slot->aio);
		return;
	}
	nng_msg *msg = nng_aio_get_msg(slot->aio);
	int code = zs_client_wire_unpack(msg, slot->request_id, slot->reply_desc, &reply, &status);
	nng_msg_free(msg);
	zs_client_async_finish(slot, code, status, reply);
}

int
zs_client_call_async(zs_client *client, const char *method, const ProtobufCMessage *request,
    const ProtobufCMessageDescriptor *reply_desc, zs_client_cb cb, void (*fn)(void), void *arg,
    const zs_call_opts *opts)
{
	zs_status *st = NULL;
	zs_client_slot *slot;
	int code = zs_client_check_args(client, method, request, reply_desc, cb != NULL, &st);
	if (code == ZS_CLIENT_OK)
		code = zs_client_prepare(client, 1, method, request, 0, opts, &slot, &st);
	zs_status_free(st); /* the caller only learns the code: cb will not run */
	if (code != ZS_CLIENT_OK)
		return code;
	slot->receiving = 0;
	slot->reply_desc = reply_desc;
	slot->cb = cb;
	slot->fn = fn;
	slot->arg = arg;
	nng_ctx_send(slot->ctx, slot->aio);
	return ZS_CLIENT_OK;
}
