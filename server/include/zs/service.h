/*
 * zs/service.h: the plugin side of a service. A service is a shared object named by
 * its XML descriptor; the descriptor names the protoc-c service symbol that holds
 * its handlers and, optionally, start and stop functions of these types. Start and stop
 * run on the node's main thread; the accessors are for any thread.
 */
#ifndef ZS_SERVICE_H
#define ZS_SERVICE_H

#include "zs/api.h"

#include <stddef.h>
#include "zs/node.h"

typedef struct zs_service zs_service;

/* Marks what a plugin exports for the node to find by name: its protoc-c service
 * symbol, extension instances, start and stop functions. Plugins are built with hidden
 * visibility, so nothing else of theirs is seen. */
#define ZS_EXPORT __attribute__((visibility("default")))

/* Runs once at node start, before any call. Returns 0, or -1 with a message in err. */
typedef int (*zs_service_start_fn)(zs_service *svc, char *err, size_t errlen);
/* Runs once at node stop, after the last call. */
typedef void (*zs_service_stop_fn)(zs_service *svc);

/* The service id from its descriptor ("echo"). */
ZS_API const char *zs_service_id(const zs_service *svc);
ZS_API zs_node *zs_service_node(const zs_service *svc);
/* State the service keeps; handlers get it back from zs_call_service_data(). */
ZS_API void zs_service_set_data(zs_service *svc, void *data);
ZS_API void *zs_service_data(const zs_service *svc);

#endif
