/* zs_wire.c: decoding request frames (protobuf or JSON) and encoding their answers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <xxhash.h>

#include "zs/clock.h"
#include "zs_call_impl.h"
#include "zs_dedupe.h"
#include "zs_json.h"
#include "zs_pbstr.h"
#include "zs_router.h"
#include "zs_transport.h"
#include "zs_wire.h"

/* A call from the wire, with room for its request: a protobuf frame's envelope and
 * input are unpacked into the arena, so a typical call costs one allocation. */
#define WIRE_ARENA 704   /* with the call, one block under glibc's 1 KiB tcache limit */

typedef struct wire_call {
	zs_call call;                /* first: freeing the call frees the block */
	ProtobufCAllocator alloc;    /* hands out arena, then malloc when it is used up */
	size_t used;
	_Alignas(16) uint8_t arena[WIRE_ARENA];
} wire_call;

static void *
wire_arena_alloc(void *data, size_t size)
{
	wire_call *wc = data;
	size_t n = (size + 15) & ~(size_t) 15;
	if (n >= size && n <= WIRE_ARENA - wc->used) {
		void *p = wc->arena + wc->used;
		wc->used += n;
		return p;
	}
	return malloc(size ? size : 1);
}

static void
wire_arena_free(void *data, void *ptr)
{
	wire_call *wc = data;
	if ((uint8_t *) ptr < wc->arena || (uint8_t *) ptr >= wc->arena + WIRE_ARENA)
		free(ptr);
}

/* What is known of a request before it becomes a call. */
typedef struct wire_req {
	ProtobufCAllocator *alloc;    /* of env and input: the arena, or NULL (malloc, JSON) */
	bool json;
	uint64_t request_id;
	Zs__Rpc__V1__Request *env;    /* owned */
	json_t *json_body;            /* owned, JSON frames only */
} wire_req;

/* Encodes a JSON answer. status may be NULL for OK. */
static nng_msg *
wire_encode_json(uint64_t request_id, const ProtobufCMessage *reply, const zs_status *st,
    const char *job_uuid)
{
	char err[256], id[32];
	json_t *out = json_object(), *status = NULL, *body = NULL;
	if (out == NULL)
		return NULL;
	if (request_id != 0) {
		snprintf(id, sizeof id, "%llu", (unsigned long long) request_id);
		json_object_set_new(out, "requestId", json_string(id));
	}
	if (st == NULL)
		status = json_pack("{s:s}", "code", "OK");
	else if (zs_json_encode(&st->base, &status, err, sizeof err) != 0)
		/* a status that does not encode is still the failure it says */
		status = json_pack("{s:s}", "message", "the status could not be encoded");
	/* proto3 JSON leaves out a zero enum; a status always says its code */
	if (st != NULL && status != NULL)
		json_object_set_new(status, "code", json_string(zs_status_code_name((int) st->code)));
	json_object_set_new(out, "status", status);
	if (job_uuid != NULL)
		json_object_set_new(out, "jobUuid", json_string(job_uuid));
	if (st == NULL && reply != NULL) {
		if (zs_json_encode(reply, &body, err, sizeof err) != 0) {
			json_object_set_new(out, "status", json_pack("{s:s,s:s}", "code", "INTERNAL",
			    "message", err));
		} else {
			json_object_set_new(out, "body", body);
		}
	}
	char *text = json_dumps(out, JSON_COMPACT);
	json_decref(out);
	if (text == NULL)
		return NULL;
	nng_msg *msg = NULL;
	size_t len = strlen(text);
	if (nng_msg_alloc(&msg, len) == 0)
		memcpy(nng_msg_body(msg), text, len);
	free(text);
	return msg;
}

/* Encodes a protobuf answer. status may be NULL for OK. */
static nng_msg *
wire_encode_pb(uint64_t request_id, const ProtobufCMessage *reply, const zs_status *st,
    const char *job_uuid)
{
	Zs__Rpc__V1__Reply r = ZS__RPC__V1__REPLY__INIT;
	uint8_t stack[512];
	uint8_t *body = NULL;
	r.request_id = request_id;
	if (job_uuid != NULL)
		r.job_uuid = (char *) job_uuid;
	r.status = (zs_status *) st;
	if (st == NULL && reply != NULL) {
		size_t n = protobuf_c_message_get_packed_size(reply);
		body = n <= sizeof stack ? stack : malloc(n);
		if (body == NULL)
			return NULL;
		r.body.len = protobuf_c_message_pack(reply, body);
		r.body.data = body;
	}
	nng_msg *msg = NULL;
	size_t len = zs__rpc__v1__reply__get_packed_size(&r);
	if (nng_msg_alloc(&msg, len) == 0)
		zs__rpc__v1__reply__pack(&r, nng_msg_body(msg));
	if (body != stack)
		free(body);
	return msg;
}

static nng_msg *
wire_encode(bool json, uint64_t request_id, const ProtobufCMessage *reply, const zs_status *st,
    const char *job_uuid)
{
	return json ? wire_encode_json(request_id, reply, st, job_uuid) :
	    wire_encode_pb(request_id, reply, st, job_uuid);
}

/* Answers a frame that never became a call. */
static void
wire_refuse(zs_rpc *rpc, zs_slot *slot, const wire_req *req, int code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
wire_refuse(zs_rpc *rpc, zs_slot *slot, const wire_req *req, int code, const char *fmt, ...)
{
	(void) rpc;
	va_list ap;
	va_start(ap, fmt);
	zs_status *st = zs_status_newv(code, NULL, fmt, ap);
	va_end(ap);
	nng_msg *msg = st ? wire_encode(req->json, req->request_id, NULL, st, NULL) : NULL;
	zs_status_free(st);
	if (msg != NULL)
		zs_transport_reply(slot, msg);
	else
		zs_transport_drop(slot);
}

static void
wire_req_clear(wire_req *req)
{
	if (req->env != NULL)
		zs__rpc__v1__request__free_unpacked(req->env, req->alloc);
	json_decref(req->json_body);
	req->env = NULL;
	req->json_body = NULL;
}

/* JSON envelope: the Request fields in proto3 JSON, with "body" a JSON object. */
static int
wire_parse_json(const uint8_t *data, size_t len, wire_req *req, char *err, size_t errlen)
{
	json_error_t jerr;
	/* NULs pass the parser so the decoder can name the string field that holds one */
	json_t *root = json_loadb((const char *) data, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
	    &jerr);
	if (root == NULL) {
		snprintf(err, errlen, "JSON syntax error at line %d column %d: %s", jerr.line,
		    jerr.column, jerr.text);
		return -1;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "a JSON request must be an object");
		json_decref(root);
		return -1;
	}
	json_t *body = json_object_get(root, "body");
	if (body != NULL) {
		if (!json_is_object(body) && !json_is_null(body)) {
			snprintf(err, errlen, "\"body\" must be a JSON object (the method's input message)");
			json_decref(root);
			return -1;
		}
		req->json_body = json_incref(body);
		json_object_del(root, "body");
	}
	/* the id, if readable, goes into error answers even when the rest is wrong */
	json_t *id = json_object_get(root, "requestId");
	if (json_is_string(id))
		req->request_id = strtoull(json_string_value(id), NULL, 10);
	else if (json_is_integer(id) && json_integer_value(id) > 0)
		req->request_id = (uint64_t) json_integer_value(id);
	ProtobufCMessage *env = NULL;
	int rv = zs_json_decode(&zs__rpc__v1__request__descriptor, root, &env, err, errlen);
	json_decref(root);
	if (rv != 0)
		return -1;
	req->env = (Zs__Rpc__V1__Request *) env;
	req->request_id = req->env->request_id;
	return 0;
}

/* The body as the method's input message. */
static int
wire_parse_body(const wire_req *req, const zs_route *rt, ProtobufCMessage **input,
    char *err, size_t errlen)
{
	const ProtobufCMessageDescriptor *in = rt->method->input;
	if (req->json) {
		char why[400];
		json_t *empty = NULL;
		const json_t *body = req->json_body;
		if (body == NULL || json_is_null(body))
			body = empty = json_object();
		int rv = zs_json_decode(in, body, input, why, sizeof why);
		json_decref(empty);
		if (rv != 0)
			snprintf(err, errlen, "body of %s: %s", rt->full_name, why);
		return rv;
	}
	*input = protobuf_c_message_unpack(in, req->alloc, req->env->body.len, req->env->body.data);
	if (*input == NULL) {
		snprintf(err, errlen, "body of %s is not a valid %s (%zu bytes)", rt->full_name,
		    in->name, req->env->body.len);
		return -1;
	}
	if ((*input)->n_unknown_fields > 0) {
		/* Fields the type does not have: most likely a body of another type. */
		snprintf(err, errlen, "body of %s has field %u, which %s does not have: is it a "
		    "message of another type?", rt->full_name, (*input)->unknown_fields[0].tag, in->name);
		protobuf_c_message_free_unpacked(*input, req->alloc);
		*input = NULL;
		return -1;
	}
	/* a NUL inside a string would cut it short unseen ("a\0b" stored as "a") */
	char why[300];
	if (zs_pbstr_check(in, req->env->body.data, req->env->body.len, why, sizeof why) != 0) {
		snprintf(err, errlen, "body of %s: %s", rt->full_name, why);
		protobuf_c_message_free_unpacked(*input, req->alloc);
		*input = NULL;
		return -1;
	}
	return 0;
}

/* Sends an answer on the call's slot, remembering it for dedupe. */
static void
wire_send(zs_call *call, const ProtobufCMessage *reply, const zs_status *st, const char *job_uuid)
{
	nng_msg *msg = wire_encode(call->json, call->request_id, reply, st, job_uuid);
	if (call->dedupe) {
		void **waiters;
		zs_dedupe_key key = { call->dedupe_scope, call->dedupe_id, call->dedupe_keep };
		size_t n = zs_dedupe_finish(call->rpc->dedupe, &key, msg, &waiters);
		for (size_t i = 0; i < n; i++) {
			nng_msg *copy;
			if (msg != NULL && nng_msg_dup(&copy, msg) == 0)
				zs_transport_reply(waiters[i], copy);
			else
				zs_transport_drop(waiters[i]);
		}
		free(waiters);
		call->dedupe = false;
	}
	if (msg != NULL)
		zs_transport_reply(call->slot, msg);
	else
		zs_transport_drop(call->slot);
	call->slot = NULL;
}

static void
wire_call_answer(zs_call *call, const ProtobufCMessage *reply, const zs_status *st)
{
	wire_send(call, reply, st, NULL);
}

/* A diverted call's own answer goes to whoever diverted it. */
static void
wire_divert_answer(zs_call *call, const ProtobufCMessage *reply, const zs_status *st)
{
	call->divert_fn(call, reply, st, call->divert_arg);
}

static const zs_call_ops wire_divert_ops = { wire_divert_answer, zs_wire_call_release };

void
zs_call_divert(zs_call *call, const char *job_uuid, zs_call_divert_fn fn, void *arg)
{
	snprintf(call->job_uuid, sizeof call->job_uuid, "%s", job_uuid);
	call->divert_fn = fn;
	call->divert_arg = arg;
	wire_send(call, NULL, NULL, job_uuid);
	call->ops = &wire_divert_ops;
}

void
zs_wire_call_release(zs_call *call)
{
	if (call->input != NULL)
		protobuf_c_message_free_unpacked(call->input, call->pb_alloc);
	if (call->env != NULL)
		zs__rpc__v1__request__free_unpacked(call->env, call->pb_alloc);
	free(call);   /* the wire_call block, arena and all */
}

static const zs_call_ops wire_call_ops = { wire_call_answer, zs_wire_call_release };

/* The call's deadline, or -1 when it has passed already (err says by how much). */
static int64_t
wire_deadline(const zs_rpc *rpc, const Zs__Rpc__V1__Request *env, char *err, size_t errlen)
{
	int64_t now = zs_clock_ms();
	const zs_rpc_config *l = &rpc->cfg;
	/* timeout_ms is unsigned on the wire: held at the maximum, never wrapped */
	int64_t timeout = env->timeout_ms == 0 ? (env->job ? l->job_timeout_ms : l->default_timeout_ms) :
	    env->timeout_ms > (uint64_t) l->max_timeout_ms ? l->max_timeout_ms : (int64_t) env->timeout_ms;
	if (timeout > l->max_timeout_ms)
		timeout = l->max_timeout_ms;
	if (env->deadline_unix_ms != 0) {
		int64_t left = zs_sub_sat(env->deadline_unix_ms, zs_clock_wall_ms());
		if (left <= 0) {
			snprintf(err, errlen, "the deadline passed %lld ms before the call arrived",
			    (long long) zs_sub_sat(0, left));
			return -1;
		}
		if (left < timeout)
			timeout = left;
	}
	return zs_add_sat(now, timeout);
}

/* Who a request id belongs to: the session token the frame carries (every connection of
 * that session shares its ids), else the connection it came on. */
static uint64_t
wire_scope(const Zs__Rpc__V1__Request *env, nng_pipe pipe)
{
	if (env->session != NULL && env->session[0] != '\0')
		return XXH3_64bits_withSeed(env->session, strlen(env->session), 0x5e5510);
	uint32_t id = (uint32_t) nng_pipe_id(pipe);
	return XXH3_64bits_withSeed(&id, sizeof id, 0x919e);
}

/* Gives up on a frame before it became a call: frees what was unpacked. */
static void
wire_drop(wire_call *wc, wire_req *req, ProtobufCMessage *input)
{
	if (input != NULL)
		protobuf_c_message_free_unpacked(input, req->alloc);
	wire_req_clear(req);
	free(wc);
}

/* A wire call block, zeroed, its allocator on its arena; NULL when out of memory. */
static wire_call *
wire_call_new(void)
{
	wire_call *wc = malloc(sizeof *wc);
	if (wc == NULL)
		return NULL;
	memset(&wc->call, 0, sizeof wc->call);
	wc->used = 0;
	wc->alloc = (ProtobufCAllocator) { wire_arena_alloc, wire_arena_free, wc };
	return wc;
}

/* Whether a frame is JSON: its first byte past blanks is '{'. */
static bool
wire_is_json(const uint8_t *data, size_t len)
{
	size_t i = 0;
	while (i < len && (data[i] == ' ' || data[i] == '\n' || data[i] == '\t' || data[i] == '\r'))
		i++;
	return i < len && data[i] == '{';
}

/* The envelope of a frame: JSON, or protobuf unpacked into wc's arena. 0, or -1 with err. */
static int
wire_decode_envelope(wire_call *wc, const uint8_t *data, size_t len, wire_req *req, char *err,
    size_t errlen)
{
	if (req->json)
		return wire_parse_json(data, len, req, err, errlen);
	req->alloc = &wc->alloc;
	req->env = zs__rpc__v1__request__unpack(req->alloc, len, data);
	if (req->env == NULL) {
		snprintf(err, errlen, "frame of %zu bytes is neither a zs.rpc.v1.Request "
		    "(protobuf) nor a JSON object", len);
		return -1;
	}
	req->request_id = req->env->request_id;
	/* protobuf-c cuts a string at its first NUL: refuse one, as JSON does */
	char why[300];
	if (zs_pbstr_check(&zs__rpc__v1__request__descriptor, data, len, why, sizeof why) != 0) {
		snprintf(err, errlen, "the request envelope's %s", why);
		return -1;
	}
	return 0;
}

/* The route of the envelope's method and the body as its input (*input, owned by the
 * caller); NULL with the code to refuse the frame with and err. */
static const zs_route *
wire_decode_call(const zs_router *router, const wire_req *req, ProtobufCMessage **input,
    int *code, char *err, size_t errlen)
{
	const zs_route *rt = zs_router_find(router, req->env->method, code, err, errlen);
	if (rt != NULL && wire_parse_body(req, rt, input, err, errlen) != 0) {
		*code = ZS_INVALID_ARGUMENT;
		return NULL;
	}
	return rt;
}

nng_msg *
zs_wire_decode(const zs_router *router, const uint8_t *data, size_t len, int *code)
{
	char err[512];
	wire_req req = { 0 };
	ProtobufCMessage *input = NULL;
	nng_msg *answer = NULL;
	req.json = wire_is_json(data, len);
	wire_call *wc = wire_call_new();
	*code = ZS_RESOURCE_EXHAUSTED;
	if (wc == NULL)
		return NULL;
	if (wire_decode_envelope(wc, data, len, &req, err, sizeof err) != 0)
		*code = ZS_INVALID_ARGUMENT;
	else if (wire_decode_call(router, &req, &input, code, err, sizeof err) != NULL)
		*code = 0;
	zs_status *st = *code != 0 ? zs_status_new(*code, NULL, "%s", err) : NULL;
	if (st != NULL)
		answer = wire_encode(req.json, req.request_id, NULL, st, NULL);
	zs_status_free(st);
	wire_drop(wc, &req, input);
	return answer;
}

void
zs_wire_handle(zs_rpc *rpc, zs_slot *slot, nng_msg *msg)
{
	char err[512];
	wire_req req = { 0 };
	const uint8_t *data = nng_msg_body(msg);
	size_t len = nng_msg_len(msg);
	nng_pipe pipe = nng_msg_get_pipe(msg);
	req.json = wire_is_json(data, len);

	if (len > rpc->cfg.max_frame) {
		nng_msg_free(msg);
		wire_refuse(rpc, slot, &req, ZS_RESOURCE_EXHAUSTED,
		    "frame of %zu bytes is over the limit of %llu bytes (rpc.max_frame)", len,
		    (unsigned long long) rpc->cfg.max_frame);
		return;
	}
	int state = atomic_load(&rpc->state);
	if (state != ZS_RPC_SERVING) {
		nng_msg_free(msg);
		wire_refuse(rpc, slot, &req, ZS_UNAVAILABLE, "node %s is %s", rpc->cfg.node_id,
		    state == ZS_RPC_STARTING ? "starting" : "shutting down");
		return;
	}
	wire_call *wc = wire_call_new();
	if (wc == NULL) {
		nng_msg_free(msg);
		wire_refuse(rpc, slot, &req, ZS_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	int rv = wire_decode_envelope(wc, data, len, &req, err, sizeof err);
	/* a resend is the same frame again: its fingerprint tells it from a reused id */
	uint64_t fingerprint = rv == 0 ? XXH3_64bits(data, len) : 0;
	nng_msg_free(msg);
	if (rv != 0) {
		wire_refuse(rpc, slot, &req, ZS_INVALID_ARGUMENT, "%s", err);
		wire_drop(wc, &req, NULL);
		return;
	}

	int code;
	ProtobufCMessage *input = NULL;
	const zs_route *rt = wire_decode_call(rpc->router, &req, &input, &code, err, sizeof err);
	int64_t deadline = -1;
	if (rt == NULL) {
		wire_refuse(rpc, slot, &req, code, "%s", err);
	} else if ((deadline = wire_deadline(rpc, req.env, err, sizeof err)) < 0) {
		wire_refuse(rpc, slot, &req, ZS_DEADLINE_EXCEEDED, "%s: %s", rt->full_name, err);
	}
	if (rt == NULL || input == NULL || deadline < 0) {
		wire_drop(wc, &req, input);
		return;
	}

	/* A call with a request id is known for rpc.dedupe_window after its answer. One
	 * without (nngcat) is known by its connection and frame while it runs: nng's REQ
	 * resends the same frame on the same connection when the answer is slow. */
	zs_dedupe_key key = { wire_scope(req.env, pipe),
		req.request_id != 0 ? req.request_id : fingerprint, req.request_id != 0 };
	{
		nng_msg *replay = NULL;
		switch (zs_dedupe_begin(rpc->dedupe, &key, fingerprint, slot, &replay)) {
		case ZS_DEDUPE_NEW:
			break;
		case ZS_DEDUPE_WAITING:
			wire_drop(wc, &req, input);
			return;
		case ZS_DEDUPE_REPLAY:
			wire_drop(wc, &req, input);
			zs_transport_reply(slot, replay);
			return;
		case ZS_DEDUPE_CONFLICT:
			wire_refuse(rpc, slot, &req, ZS_ALREADY_EXISTS,
			    "request id %llu was already used for a different request",
			    (unsigned long long) req.request_id);
			wire_drop(wc, &req, input);
			return;
		case ZS_DEDUPE_GONE:
			wire_refuse(rpc, slot, &req, ZS_ALREADY_EXISTS,
			    "request id %llu already ran; its answer is no longer kept "
			    "(rpc.dedupe_answer_max, rpc.dedupe_bytes)", (unsigned long long) req.request_id);
			wire_drop(wc, &req, input);
			return;
		}
	}

	zs_call *call = &wc->call;
	call->rpc = rpc;
	call->route = rt;
	call->ops = &wire_call_ops;
	call->pb_alloc = req.alloc;
	call->input = input;
	call->env = req.env;
	call->session = req.env->session;
	call->deadline_ms = deadline;
	call->start_ns = zs_clock_ns();
	call->refs = 1;
	call->slot = slot;
	call->pipe = pipe;
	call->json = req.json;
	call->request_id = req.request_id;
	call->dedupe = true;
	call->dedupe_scope = key.scope;
	call->dedupe_id = key.id;
	call->dedupe_keep = key.keep;
	call->job_requested = req.env->job;
	req.env = NULL;
	wire_req_clear(&req);
	zs_call_run(call);
}
