/* zs/node.h: what a service may ask of the node that hosts it. */
#ifndef ZS_NODE_H
#define ZS_NODE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct zs_node zs_node;
typedef struct zs_bus zs_bus;
typedef struct zs_db zs_db;

/* The node's id (from node.id, or generated at start). */
const char *zs_node_id(const zs_node *node);
/* True while the node accepts calls; false while it starts or drains. */
bool zs_node_serving(const zs_node *node);
/* True if the node serves the proto service ("zs.echo.v1.Echo"). */
bool zs_node_has_service(const zs_node *node, const char *service);
/* The in-process bus. */
zs_bus *zs_node_bus(zs_node *node);
/* The database pool (zs/db.h). */
zs_db *zs_node_db(zs_node *node);
/* Effective value of a global property, or NULL when unset and without default. */
const char *zs_node_property(const zs_node *node, const char *name);
/* Monotonic clock in milliseconds, the clock deadlines use. */
int64_t zs_clock_ms(void);

#endif
