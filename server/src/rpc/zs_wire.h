/*
 * zs_wire.h: frames on the req/rep socket. A frame is a zs.rpc.v1.Request (protobuf),
 * or, when it starts with '{', the same envelope as JSON with the body in the proto3
 * JSON mapping; the answer comes back in the same form. This layer checks size,
 * envelope, method, body, deadline and request id, then runs the call.
 */
#ifndef ZS_WIRE_H
#define ZS_WIRE_H

#include <nng/nng.h>

#include "zs_router.h"
#include "zs_rpc.h"

typedef struct zs_slot zs_slot;

/* Handles one received frame (taken over); the answer goes back on slot. */
void zs_wire_handle(zs_rpc *rpc, zs_slot *slot, nng_msg *msg);

/* Decodes a frame as zs_wire_handle does before it becomes a call (envelope, method,
 * body) with no node and no socket; for the fuzzer (tests/fuzz/fuzz_envelope.c). *code is
 * 0 when the frame would become a call (NULL returned), else the code it is refused with
 * and the refusal answered, encoded (caller frees; NULL when out of memory). */
nng_msg *zs_wire_decode(const zs_router *router, const uint8_t *data, size_t len, int *code);

/* Frees a wire call (its envelope and input). */
void zs_wire_call_release(zs_call *call);

#endif
