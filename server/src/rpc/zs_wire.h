/*
 * zs_wire.h: frames on the req/rep socket. A frame is a zs.rpc.v1.Request (protobuf),
 * or, when it starts with '{', the same envelope as JSON with the body in the proto3
 * JSON mapping; the answer comes back in the same form. This layer checks size,
 * envelope, method, body, deadline and request id, then runs the call.
 */
#ifndef ZS_WIRE_H
#define ZS_WIRE_H

#include <nng/nng.h>

#include "zs_rpc.h"

typedef struct zs_slot zs_slot;

/* Handles one received frame (taken over); the answer goes back on slot. */
void zs_wire_handle(zs_rpc *rpc, zs_slot *slot, nng_msg *msg);

/* Frees a wire call (its envelope and input). */
void zs_wire_call_release(zs_call *call);

#endif
