/*
 * zs_platform.h: the node's own services (identity, global config, tags, jobs, ...),
 * which every plugin may rely on. Each module registers its API before the method table
 * is sealed, starts once the database is migrated, and stops before it closes.
 */
#ifndef ZS_PLATFORM_H
#define ZS_PLATFORM_H

#include <stddef.h>

typedef struct zs_node zs_node;

typedef struct zs_platform_module {
	const char *name;
	/* Adds routes, declares properties and error codes. May be NULL. */
	int (*declare)(zs_node *node, char *err, size_t errlen);
	/* Loads state from the database, starts work. May be NULL. */
	int (*start)(zs_node *node, char *err, size_t errlen);
	/* May be NULL. */
	void (*stop)(zs_node *node);
} zs_platform_module;

int zs_platform_declare(zs_node *node, char *err, size_t errlen);
int zs_platform_start(zs_node *node, char *err, size_t errlen);
void zs_platform_stop(zs_node *node);

#endif
