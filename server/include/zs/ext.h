/*
 * zs/ext.h: extension points: named C interfaces (structs of function pointers)
 * that one plugin fills and others use. A plugin names what it offers in its XML
 * (<extension point="zs.Interceptor" name="audit" symbol="..." order="10"/>); the
 * symbol is a const instance of the point's struct.
 */
#ifndef ZS_EXT_H
#define ZS_EXT_H

#include <stddef.h>
#include <protobuf-c/protobuf-c.h>
#include "zs/call.h"
#include "zs/node.h"

typedef struct zs_ext_registry zs_ext_registry;

/* One implementation of an extension point. */
typedef struct zs_ext {
	const char *point;   /* "zs.Interceptor" */
	const char *name;    /* implementation name, unique per point */
	const char *plugin;  /* the service id that offers it */
	int order;           /* lower runs first */
	const void *impl;    /* the point's interface struct */
} zs_ext;

/* All implementations of point, ordered; *n gets their number. The array belongs to the
 * registry and lives as long as the node. */
const zs_ext *const *zs_ext_list(const zs_ext_registry *reg, const char *point, size_t *n);
/* One implementation by name, or NULL. */
const zs_ext *zs_ext_find(const zs_ext_registry *reg, const char *point, const char *name);
zs_ext_registry *zs_node_extensions(zs_node *node);

/* Extension point "zs.Interceptor": runs before a handler, for the methods whose
 * descriptor lists it. Returns 0 to go on; otherwise it has failed the call with
 * zs_call_fail() and the handler does not run. */
#define ZS_EXT_INTERCEPTOR "zs.Interceptor"
typedef struct zs_interceptor {
	int (*intercept)(zs_call *call, const ProtobufCMessage *request, void *arg);
	void *arg;
} zs_interceptor;

#endif
