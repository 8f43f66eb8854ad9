/*
 * zs/node.h: the node that hosts the services. A service reaches it through its call
 * (zs_call_node) or its zs_service (zs_service_node) and asks it for the parts it uses;
 * each part's header says what it does. An application may also run a node in its own
 * process (zs_node_new ... zs_node_free), as the zsnode binary does (zs_node_main).
 *
 * The accessors may be called from any thread once the node has started; the parts
 * they return live as long as the node.
 */
#ifndef ZS_NODE_H
#define ZS_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "zs/api.h"
#include "zs/status.h"

typedef struct zs_bus zs_bus;
typedef struct zs_config zs_config;
typedef struct zs_db zs_db;
typedef struct zs_errors zs_errors;
typedef struct zs_events zs_events;
typedef struct zs_ext_registry zs_ext_registry;
typedef struct zs_http zs_http;
typedef struct zs_tags zs_tags;
typedef struct zs_timerq zs_timerq;
typedef struct zs_work zs_work;

/* The node's id (from node.id, or generated at start). */
ZS_API const char *zs_node_id(const zs_node *node);
/* True while the node accepts calls; false while it starts or drains. */
ZS_API bool zs_node_serving(const zs_node *node);
/* True while the node's database can be used: false while the embedded PostgreSQL is
 * down and being restarted (a server given by db.url is not watched: true). Reads a flag:
 * cheap enough for health checks on a receiving thread. */
ZS_API bool zs_node_db_up(const zs_node *node);
/* True if the node serves the proto service ("zs.echo.v1.Echo"). */
ZS_API bool zs_node_has_service(const zs_node *node, const char *service);
/* Effective value of a global property, or NULL when unset and without default. */
ZS_API const char *zs_node_property(const zs_node *node, const char *name);
/* A property as a whole number in [min, max] into *out (def when unset or empty): 0, or
 * -1 with err naming the property and its wrong value. For a service's start. */
ZS_API int zs_node_property_long(const zs_node *node, const char *name, long def, long min,
    long max, long *out, char *err, size_t errlen);

/* The parts: the in-process bus (zs/bus.h), the database pool (zs/db.h), global configs
 * (zs/config.h), error codes (zs/errors.h), the event publisher (zs/event.h), extension
 * points (zs/ext.h), commands to host agents (zs/http.h), system tags (zs/tag.h), timers
 * (zs/timer.h), worker threads (zs/work.h). The database, configs and tags are there from
 * the node's start on. */
ZS_API zs_bus *zs_node_bus(zs_node *node);
ZS_API zs_db *zs_node_db(zs_node *node);
ZS_API zs_config *zs_node_config(zs_node *node);
ZS_API zs_errors *zs_node_errors(zs_node *node);
ZS_API zs_events *zs_node_events(zs_node *node);
ZS_API zs_ext_registry *zs_node_extensions(zs_node *node);
ZS_API zs_http *zs_node_http(zs_node *node);
ZS_API zs_tags *zs_node_tags(zs_node *node);
ZS_API zs_timerq *zs_node_timers(zs_node *node);
ZS_API zs_work *zs_node_work(zs_node *node);

/* A node configured as zsnode's command line configures one: argv[1..] are "-c FILE" and
 * "--set name=value" (argv[0] is skipped). INVALID_ARGUMENT with why. From one thread:
 * new, start, stop and free are not to be called concurrently. */
ZS_API int zs_node_new(zs_node **out, int argc, char *const argv[], zs_status **st);
/* Loads the plugins, starts the database and the services, binds and serves.
 * FAILED_PRECONDITION saying what stopped it (stop and free the node then). */
ZS_API int zs_node_start(zs_node *node, zs_status **st);
/* Drains: new calls get UNAVAILABLE, accepted ones finish within shutdown.grace or get
 * UNAVAILABLE; then closes the sockets and stops the services and the database. */
ZS_API void zs_node_stop(zs_node *node);
ZS_API void zs_node_free(zs_node *node);
/* The zsnode binary: options, properties, signals; returns its exit code. */
ZS_API int zs_node_main(int argc, char **argv);

#endif
