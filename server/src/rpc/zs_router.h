/* zs_router.h: the method table: "package.Service/Method" -> handler, interceptors, stats. */
#ifndef ZS_ROUTER_H
#define ZS_ROUTER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>

#include "zs/call.h"

#define ZS_ROUTE_BUCKETS 12   /* latency histogram buckets, see zs_route_bucket_le */

typedef struct zs_route_stats {
	_Atomic uint64_t by_code[17];
	_Atomic uint64_t buckets[ZS_ROUTE_BUCKETS];   /* cumulative counts are summed at export */
	_Atomic uint64_t sum_ns;
} zs_route_stats;

typedef struct zs_route {
	char *full_name;                        /* "zs.echo.v1.Echo/Say" */
	ProtobufCService *service;
	unsigned method_index;
	const ProtobufCMethodDescriptor *method;
	void *const *data;                      /* where the owner keeps its state (may be NULL) */
	const char *plugin_id;                  /* "echo", or "node" */
	bool inline_handler;                    /* runs on the receiving thread, not the pool */
	bool public_method;                     /* callable without a session */
	const zs_interceptor **chain;           /* owned array of borrowed interceptors */
	size_t n_chain;
	zs_route_stats stats;
} zs_route;

typedef struct zs_router zs_router;

int zs_router_new(zs_router **out);
void zs_router_free(zs_router *r);
/* Adds every method of svc; zs_call_service_data() answers *data (data may be NULL).
 * Fails when one is already routed. */
int zs_router_add_service(zs_router *r, ProtobufCService *svc, void *const *data,
    const char *plugin_id, bool inline_handler, char *err, size_t errlen);
/* Sets the interceptor chain of a method (copied). -1 when the method is unknown. */
int zs_router_set_chain(zs_router *r, const char *full_method,
    const zs_interceptor *const *chain, size_t n);
/* Runs a method's handler on the receiving thread (true) or the worker pool, whatever its
 * service's default. -1 when the method is unknown. */
int zs_router_set_inline(zs_router *r, const char *full_method, bool inline_handler);
/* Marks a method callable without a session. -1 when the method is unknown. */
int zs_router_set_public(zs_router *r, const char *full_method);
/* Ends registration: lookups are lock-free from here on. */
void zs_router_seal(zs_router *r);

/* The route of method, or NULL with the canonical code (INVALID_ARGUMENT for a malformed
 * name, UNIMPLEMENTED for an unknown service or method) and a message in err. */
const zs_route *zs_router_find(const zs_router *r, const char *method, int *code,
    char *err, size_t errlen);
bool zs_router_has_service(const zs_router *r, const char *service);
size_t zs_router_len(const zs_router *r);
const zs_route *zs_router_at(const zs_router *r, size_t i);

/* Counts one answered call. */
void zs_route_record(const zs_route *route, int code, int64_t elapsed_ns);
/* Upper bound in seconds of latency bucket i. */
double zs_route_bucket_le(size_t i);

#endif
