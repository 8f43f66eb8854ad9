/*
 * zs/status.h: call status: gRPC's canonical codes, a service error code, a cause chain.
 * Every public function of the node returns one of these codes (0 = OK) and, where it can
 * say more, fills an optional zs_status ** (the caller frees what it gets). Statuses are
 * plain values: any thread, one owner at a time.
 */
#ifndef ZS_STATUS_H
#define ZS_STATUS_H

#include <stdarg.h>
#include <stddef.h>
#include "zs/api.h"
#include "zs/rpc/v1/status.pb-c.h"

/* A status is the generated message; the one type serves server, bus and client. */
typedef Zs__Rpc__V1__Status zs_status;

/* Canonical codes, numbered as gRPC numbers them (zs/rpc/v1/status.proto). */
enum zs_code {
	ZS_OK = 0,
	ZS_CANCELLED = 1,
	ZS_UNKNOWN = 2,
	ZS_INVALID_ARGUMENT = 3,
	ZS_DEADLINE_EXCEEDED = 4,
	ZS_NOT_FOUND = 5,
	ZS_ALREADY_EXISTS = 6,
	ZS_PERMISSION_DENIED = 7,
	ZS_RESOURCE_EXHAUSTED = 8,
	ZS_FAILED_PRECONDITION = 9,
	ZS_ABORTED = 10,
	ZS_OUT_OF_RANGE = 11,
	ZS_UNIMPLEMENTED = 12,
	ZS_INTERNAL = 13,
	ZS_UNAVAILABLE = 14,
	ZS_DATA_LOSS = 15,
	ZS_UNAUTHENTICATED = 16,
};

/* "INVALID_ARGUMENT" for 3; "UNKNOWN" for numbers outside the canonical set. */
ZS_API const char *zs_status_code_name(int code);

/* New status (caller owns; free with zs_status_free). error_code may be NULL. */
ZS_API zs_status *zs_status_new(int code, const char *error_code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
ZS_API zs_status *zs_status_newv(int code, const char *error_code, const char *fmt, va_list ap);
/* Deep copy (caller owns), NULL on allocation failure. */
ZS_API zs_status *zs_status_copy(const zs_status *st);
/* Makes cause (taken over) the root of st's cause chain. */
ZS_API void zs_status_set_cause(zs_status *st, zs_status *cause);
/* Adds a detail line to st. */
ZS_API void zs_status_add_detail(zs_status *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
ZS_API void zs_status_free(zs_status *st);
/* st's message and its causes', joined with ": " into buf (len > 0; "" for NULL), cut to
 * fit: one line for a log or a stored reason. */
ZS_API void zs_status_text(const zs_status *st, char *buf, size_t len);

#endif
