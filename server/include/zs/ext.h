/*
 * zs/ext.h: extension points: named C interfaces (structs of function pointers)
 * that one plugin fills and others use. A plugin names what it offers in its XML
 * (<extension point="zs.Interceptor" name="audit" symbol="..." order="10"/>); the
 * symbol is a const instance of the point's struct. A service gets the registry from
 * zs_node_extensions(). The registry is complete before any service starts and does not
 * change after: any thread may read it.
 */
#ifndef ZS_EXT_H
#define ZS_EXT_H

#include <stddef.h>
#include <protobuf-c/protobuf-c.h>
#include "zs/api.h"
#include "zs/call.h"

typedef struct zs_ext_registry zs_ext_registry;

/* One implementation of an extension point. */
typedef struct zs_ext {
	const char *point;   /* "zs.Interceptor" */
	const char *name;    /* implementation name, unique per point */
	const char *plugin;  /* the service id that offers it */
	int order;           /* lower runs first */
	const void *impl;    /* the point's interface struct */
	void *const *data;   /* the offering service's state slot: read with zs_ext_service_data */
} zs_ext;

/* All implementations of point, ordered; *n gets their number. The array belongs to the
 * registry and lives as long as the node. */
ZS_API const zs_ext *const *zs_ext_list(const zs_ext_registry *reg, const char *point, size_t *n);
/* One implementation by name, or NULL. */
ZS_API const zs_ext *zs_ext_find(const zs_ext_registry *reg, const char *point, const char *name);
/* The state of the service that offers e (what it gave zs_service_set_data), so that an
 * implementation, a const struct, reaches its service: NULL before that service started or
 * after it stopped. Any thread. */
ZS_API void *zs_ext_service_data(const zs_ext *e);

#endif
