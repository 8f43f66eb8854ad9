/*
 * zs_client_wire.c: the protobuf envelopes of zs.rpc.v1 on the client side: a call
 * packed into one nng message, and a Reply taken apart into a reply or a status.
 */
#include <stdio.h>
#include <string.h>

#include "zs/rpc/v1/envelope.pb-c.h"
#include "zs_client_internal.h"

/* Request.body is field 7, length-delimited: (7 << 3) | 2. */
#define ZS_CLIENT_BODY_TAG 0x3a

static size_t
zs_client_varint_size(size_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static uint8_t *
zs_client_varint_put(uint8_t *p, size_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t) (v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t) v;
	return p;
}

/* Packs the envelope and, behind it, the body field written straight from the request,
 * so the request is serialized once, into the message, with no buffer in between.
 * (Field order does not matter to a protobuf parser.) Returns 0 or an nng error. */
int
zs_client_wire_pack(const char *method, uint64_t request_id, uint32_t timeout_ms,
    const char *session, int job, const ProtobufCMessage *request, nng_msg **out)
{
	Zs__Rpc__V1__Request env = ZS__RPC__V1__REQUEST__INIT;
	env.method = (char *) method;
	env.job = job != 0;
	env.request_id = request_id;
	env.timeout_ms = timeout_ms;
	if (session != NULL)
		env.session = (char *) session;
	size_t head = zs__rpc__v1__request__get_packed_size(&env);
	size_t body = protobuf_c_message_get_packed_size(request);
	size_t total = head + (body > 0 ? 1 + zs_client_varint_size(body) + body : 0);
	nng_msg *msg;
	int rv = nng_msg_alloc(&msg, total);
	if (rv != 0)
		return rv;
	uint8_t *p = nng_msg_body(msg);
	p += zs__rpc__v1__request__pack(&env, p);
	if (body > 0) {
		*p++ = ZS_CLIENT_BODY_TAG;
		p = zs_client_varint_put(p, body);
		protobuf_c_message_pack(request, p);
	}
	*out = msg;
	return 0;
}

/* Reads a Reply: ZS_CLIENT_OK with *reply (caller owns), or the failure's code with
 * *status (caller owns; the node's own status is detached from the envelope). */
int
zs_client_wire_unpack(nng_msg *msg, uint64_t request_id,
    const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **reply,
    zs_status **status)
{
	Zs__Rpc__V1__Reply *env = zs__rpc__v1__reply__unpack(NULL,
	    nng_msg_len(msg), nng_msg_body(msg));
	if (env == NULL) {
		*status = zs_client_status_new(ZS_CLIENT_INTERNAL,
		    "reply is not a zs.rpc.v1.Reply (%zu bytes)", nng_msg_len(msg));
		return ZS_CLIENT_INTERNAL;
	}
	/* 0: the node could not read the request id (then the status says why). */
	if (env->request_id != 0 && env->request_id != request_id) {
		*status = zs_client_status_new(ZS_CLIENT_INTERNAL,
		    "reply is for request %llu, not %llu",
		    (unsigned long long) env->request_id, (unsigned long long) request_id);
		zs__rpc__v1__reply__free_unpacked(env, NULL);
		return ZS_CLIENT_INTERNAL;
	}
	int code = env->status != NULL ? (int) env->status->code : ZS_CLIENT_OK;
	if (code != ZS_CLIENT_OK) {
		*status = env->status;
		env->status = NULL;
		zs__rpc__v1__reply__free_unpacked(env, NULL);
		return code;
	}
	*reply = protobuf_c_message_unpack(reply_desc, NULL, env->body.len, env->body.data);
	if (*reply == NULL) {
		*status = zs_client_status_new(ZS_CLIENT_INTERNAL,
		    "reply body is not a %s (%zu bytes)", reply_desc->name, env->body.len);
		code = ZS_CLIENT_INTERNAL;
	}
	zs__rpc__v1__reply__free_unpacked(env, NULL);
	return code;
}

int
zs_client_wire_unpack_job(nng_msg *msg, uint64_t request_id, char *job_uuid, size_t len,
    zs_status **status)
{
	Zs__Rpc__V1__Reply *env = zs__rpc__v1__reply__unpack(NULL,
	    nng_msg_len(msg), nng_msg_body(msg));
	if (env == NULL) {
		*status = zs_client_status_new(ZS_CLIENT_INTERNAL,
		    "reply is not a zs.rpc.v1.Reply (%zu bytes)", nng_msg_len(msg));
		return ZS_CLIENT_INTERNAL;
	}
	int code = env->status != NULL ? (int) env->status->code : ZS_CLIENT_OK;
	if (code != ZS_CLIENT_OK) {
		*status = env->status;
		env->status = NULL;
	} else if (env->request_id != request_id || env->job_uuid[0] == '\0') {
		*status = zs_client_status_new(ZS_CLIENT_INTERNAL,
		    "the node did not start request %llu as a job", (unsigned long long) request_id);
		code = ZS_CLIENT_INTERNAL;
	} else {
		snprintf(job_uuid, len, "%s", env->job_uuid);
	}
	zs__rpc__v1__reply__free_unpacked(env, NULL);
	return code;
}
