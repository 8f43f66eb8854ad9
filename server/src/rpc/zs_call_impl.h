/*
 * zs_call_impl.h: the inside of a call. A call comes from the wire (a frame on the
 * rep socket) or from the bus (another service); both run the same handler path and
 * differ only in how the answer is delivered (zs_call_ops).
 */
#ifndef ZS_CALL_IMPL_H
#define ZS_CALL_IMPL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <nng/nng.h>

#include "zs/bus.h"
#include "zs/call.h"
#include "zs/rpc/v1/envelope.pb-c.h"
#include "zs_rpc.h"
#include "zs_timerq.h"

/* How long after its deadline the node gives up on a handler that has not answered. */
#define ZS_CALL_DEADLINE_SLACK_MS 5

typedef struct zs_route zs_route;
typedef struct zs_slot zs_slot;

typedef struct zs_call_ops {
	/* Delivers the answer: reply when st is NULL, else the failure. Runs once. */
	void (*answer)(zs_call *call, const ProtobufCMessage *reply, const zs_status *st);
	/* Frees what the kind of call owns, when the last reference goes. */
	void (*release)(zs_call *call);
} zs_call_ops;

struct zs_call {
	zs_rpc *rpc;
	const zs_route *route;
	const zs_call_ops *ops;
	ProtobufCMessage *input;          /* owned when the call owns its request */
	Zs__Rpc__V1__Request *env;        /* wire calls: the envelope (owned); NULL on the bus */
	ProtobufCAllocator *pb_alloc;     /* what env and input were unpacked with (NULL: malloc) */
	const char *session;              /* env's, or the parent's */
	int64_t deadline_ms;
	int64_t start_ns;
	_Atomic int answered;
	_Atomic int refs;
	struct zs_timer timer;            /* the deadline, queued only while a handler is async */
	void (*cancel_fn)(zs_call *call, void *arg);
	void *cancel_arg;

	/* who: set by the node's session check (wire) or copied from the parent (bus) */
	char account[40];
	bool admin;

	/* wire calls */
	zs_slot *slot;
	nng_pipe pipe;                    /* the connection it came on (zs_call_peer) */
	bool json;
	uint64_t request_id;
	bool dedupe;                      /* its key is in the dedupe table until it answers */
	uint64_t dedupe_scope, dedupe_id; /* the key (zs_dedupe_key) */
	bool dedupe_keep;
	bool job_requested;               /* the envelope asked to run it as a job */
	char job_uuid[40];                /* set once it runs as one (zs_call_divert) */
	zs_call_divert_fn divert_fn;
	void *divert_arg;

	/* bus calls */
	zs_bus_cb cb;
	void (*fn)(void);
	void *arg;
	const ProtobufCMessageDescriptor *reply_desc;
};

/* Runs the interceptors and the handler of call->route. Takes over the caller's
 * reference (refs starts at 1). */
void zs_call_run(zs_call *call);
void zs_call_unref(zs_call *call);
/* Answers with a failure built here (the handler does not run, or has given up). */
void zs_call_answer_status(zs_call *call, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The call path's own state, shared by the files of this layer only. */
struct zs_rpc {
	zs_rpc_config cfg;               /* strings and pointers borrowed */
	_Atomic int state;               /* zs_rpc_state */
	_Atomic int64_t inflight;        /* calls accepted and not yet answered */
	struct zs_router *router;
	struct zs_dedupe *dedupe;
	struct zs_transport *transport;
	zs_errors *errors;
	struct zs_bus { zs_rpc *rpc; } bus;
	struct { zs_rpc_gate_fn fn; void *arg; } auth, jobs;
};

#endif
