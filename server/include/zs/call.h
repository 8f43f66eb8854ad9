/*
 * zs/call.h: the call context of one request, reached from a handler through
 * the closure data protoc-c passes it (`void *closure_data` is a zs_call *).
 *
 * A handler answers exactly once: with the closure protoc-c gives it
 * (closure(reply, closure_data)), or with zs_call_fail(). It may answer before it
 * returns or later, from any thread. After the answer the call is gone.
 */
#ifndef ZS_CALL_H
#define ZS_CALL_H

#include <stdbool.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>
#include "zs/api.h"
#include "zs/status.h"

/* Any thread may use a call until it is answered; after the answer it is gone. */

/* The service's state, as set with zs_service_set_data(). */
ZS_API void *zs_call_service_data(const zs_call *call);
ZS_API zs_node *zs_call_node(const zs_call *call);
/* "zs.echo.v1.Echo/Say" */
ZS_API const char *zs_call_method(const zs_call *call);
/* Session token ("" when none). */
ZS_API const char *zs_call_session(const zs_call *call);
/* Metadata value for key, or NULL. */
ZS_API const char *zs_call_metadata(const zs_call *call, const char *key);
/* Where the call came from: the peer's address without its port ("127.0.0.1", "::1"),
 * "local" over ipc or inproc, "" for a bus call or a peer already gone. Written into buf
 * (48 bytes are enough), which is returned. */
ZS_API const char *zs_call_peer(const zs_call *call, char *buf, size_t len);
/* Deadline on zs_clock_ms()'s clock; every call has one. */
ZS_API int64_t zs_call_deadline_ms(const zs_call *call);
/* Milliseconds left before the deadline (0 when passed). */
ZS_API int64_t zs_call_remaining_ms(const zs_call *call);

/* The account the call runs as: the session's, or the caller's on the bus; "" for a
 * public method called without a session. */
ZS_API const char *zs_call_account(const zs_call *call);
/* True when that account is an admin (and for the node's own bus calls). */
ZS_API bool zs_call_admin(const zs_call *call);

/* Fails the call with a canonical code, the service's error code (may be NULL)
 * and a message; this is the call's answer. */
ZS_API void zs_call_fail(zs_call *call, int code, const char *error_code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Fails the call because of cause (copied; e.g. a bus call's status), which becomes the
 * root of the answer's cause chain; this is the call's answer. */
ZS_API void zs_call_fail_cause(zs_call *call, int code, const char *error_code, const zs_status *cause,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Fails the call with a status (taken over); this is the call's answer. */
ZS_API void zs_call_fail_status(zs_call *call, zs_status *status);

/* Asks to be told when the node gives up on the call (deadline passed or node
 * shutting down) before the handler answered; fn runs once, on any thread, and the
 * handler must still answer (its answer is then dropped). Set it before returning. */
ZS_API void zs_call_on_cancel(zs_call *call, void (*fn)(zs_call *call, void *arg), void *arg);

/* Extension point "zs.Interceptor": runs before a handler, for the methods whose
 * descriptor lists it. Returns 0 to go on; otherwise it has failed the call with
 * zs_call_fail() and the handler does not run. */
#define ZS_EXT_INTERCEPTOR "zs.Interceptor"
typedef struct zs_interceptor {
	int (*intercept)(zs_call *call, const ProtobufCMessage *request, void *arg);
	void *arg;
} zs_interceptor;

#endif
