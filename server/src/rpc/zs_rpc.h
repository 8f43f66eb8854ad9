/*
 * zs_rpc.h: the call path as the node builds it: one object holding the router, the bus,
 * the request-id dedupe, the error registry and the req/rep transport, made with what
 * it needs (limits, the timer queue, the worker pool) and nothing else. Layers above hook
 * into every call from outside through gates (the session check, jobs), as nng hands a
 * protocol its socket: the rpc layer never names them.
 *
 * Threads: new/listen/serve/close/free from the node's thread; the rest from any.
 */
#ifndef ZS_RPC_H
#define ZS_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zs/bus.h"
#include "zs/call.h"
#include "zs/errors.h"
#include "zs/timer.h"
#include "zs/work.h"

typedef struct zs_rpc zs_rpc;
typedef struct zs_router zs_router;

typedef enum zs_rpc_state {
	ZS_RPC_STARTING = 0,
	ZS_RPC_SERVING,
	ZS_RPC_DRAINING,
	ZS_RPC_STOPPED,
} zs_rpc_state;

/* What the call path is made with; strings and pointers are borrowed for its life. */
typedef struct zs_rpc_config {
	const char *node_id;
	zs_node *host;               /* what zs_call_node() answers; opaque here */
	zs_timerq *timers;
	zs_work *work;
	uint64_t max_frame;          /* rpc.max_frame */
	int64_t default_timeout_ms;  /* rpc.default_timeout */
	int64_t max_timeout_ms;      /* rpc.max_timeout */
	int64_t job_timeout_ms;      /* job.default_timeout */
	int64_t dedupe_window_ms;    /* rpc.dedupe_window */
	size_t dedupe_max;           /* rpc.dedupe_max: answered request ids known at once */
	size_t dedupe_answer_max;    /* rpc.dedupe_answer_max: largest answer kept for a resend */
	size_t dedupe_bytes;         /* rpc.dedupe_bytes: answer bytes kept in all */
} zs_rpc_config;

int zs_rpc_new(zs_rpc **out, const zs_rpc_config *cfg);
void zs_rpc_free(zs_rpc *rpc);

zs_router *zs_rpc_router(zs_rpc *rpc);
zs_bus *zs_rpc_bus(zs_rpc *rpc);
zs_errors *zs_rpc_errors(zs_rpc *rpc);
const char *zs_rpc_node_id(const zs_rpc *rpc);
const zs_rpc_config *zs_rpc_limits(const zs_rpc *rpc);

/* A gate runs on every call from outside, on the thread that will run its handler,
 * before the interceptors. It returns 0 to let the call go on; otherwise it has failed
 * the call (zs_call_fail*, as a handler would) and the handler does not run. */
typedef int (*zs_rpc_gate_fn)(zs_call *call, void *arg);
/* The session check: every call from outside passes it. */
void zs_rpc_set_auth(zs_rpc *rpc, zs_rpc_gate_fn fn, void *arg);
/* Runs calls whose envelope asked for a job (zs_call_divert). */
void zs_rpc_set_jobs(zs_rpc *rpc, zs_rpc_gate_fn fn, void *arg);

zs_rpc_state zs_rpc_get_state(const zs_rpc *rpc);
void zs_rpc_set_state(zs_rpc *rpc, zs_rpc_state state);
/* Calls accepted and not yet answered. */
int64_t zs_rpc_inflight(const zs_rpc *rpc);
/* Gives up on every call still waiting for its handler: they get code and why. */
void zs_rpc_cancel_all(zs_rpc *rpc, int code, const char *why);

/* The req/rep socket: listens on url (tls+tcp:// needs PEM cert and key files). */
int zs_rpc_listen(zs_rpc *rpc, const char *url, const char *cert, const char *key,
    char *err, size_t errlen);
/* Starts receiving with `armed` contexts waiting, at most max_slots in all. */
int zs_rpc_serve(zs_rpc *rpc, size_t armed, size_t max_slots);
/* Contexts busy with a call or a send. */
size_t zs_rpc_busy(zs_rpc *rpc);
/* Closes the socket; its callbacks have all finished when it returns. */
void zs_rpc_close(zs_rpc *rpc);
/* Request ids known for dedupe (in flight and answered). */
size_t zs_rpc_dedupe_len(zs_rpc *rpc);
/* Bytes of answers kept for resends, and answered ids forgotten before their window ended. */
void zs_rpc_dedupe_usage(zs_rpc *rpc, size_t *answer_bytes, uint64_t *early);

/* For gates and the modules above: the call as the rpc layer keeps it. */
/* Sets who the call runs as (the session check). */
void zs_call_set_principal(zs_call *call, const char *account, bool admin);
/* True when the method may be called without a session. */
bool zs_call_is_public(const zs_call *call);
/* Zeroes the raw body of a request the node decoded from a frame (a password, once
 * checked) and returns true; false for a bus call, whose request is the caller's. */
bool zs_call_wipe_request(zs_call *call);
/* True when the call's envelope asked to run it as a job. */
bool zs_call_job_requested(const zs_call *call);
/* Answers the client now (OK with job_uuid, no body) and sends the handler's own answer,
 * when it comes, to fn(call, reply, status, arg) instead; fn runs once on any thread. */
typedef void (*zs_call_divert_fn)(zs_call *call, const ProtobufCMessage *reply,
    const zs_status *st, void *arg);
void zs_call_divert(zs_call *call, const char *job_uuid, zs_call_divert_fn fn, void *arg);
/* The job uuid and arg given to zs_call_divert, or NULL. */
const char *zs_call_diverted_to(const zs_call *call, void **arg);

#endif
