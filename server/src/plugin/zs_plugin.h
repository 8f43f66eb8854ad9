/*
 * zs_plugin.h: the plugins of a node: every *.xml descriptor in plugins.dir is
 * validated, its shared object opened, and what it declares registered: its API
 * routes, extensions, interceptor chains, error codes and properties.
 */
#ifndef ZS_PLUGIN_H
#define ZS_PLUGIN_H

#include <stddef.h>

#include "zs/api.h"
#include "zs/errors.h"
#include "zs_db.h"
#include "zs_ext_registry.h"
#include "zs_props.h"
#include "zs_router.h"

typedef struct zs_plugins zs_plugins;

/* What the loader registers plugins into; borrowed for the plugins' life. */
typedef struct zs_plugins_env {
	zs_node *host;              /* what zs_service_node() answers */
	zs_router *router;          /* their APIs */
	zs_ext_registry *exts;      /* their extensions */
	zs_props *props;            /* their properties */
	zs_errors *errors;          /* their error codes */
} zs_plugins_env;

/* Loads every descriptor in dir (sorted by file name). -1 with a message naming the
 * file, the line and the problem on the first one that is wrong. */
int zs_plugins_load(const zs_plugins_env *env, const char *dir, const char *xsd_path, zs_plugins **out,
    char *err, size_t errlen);
/* Resolves interceptor chains: after every plugin is loaded, before serving. */
int zs_plugins_link(zs_plugins *ps, char *err, size_t errlen);
/* Applies each plugin's SQL migrations, in load order. */
int zs_plugins_migrate(zs_plugins *ps, zs_db *db, char *err, size_t errlen);
/* Runs each plugin's start function in load order; stops those started if one fails. */
int zs_plugins_start(zs_plugins *ps, char *err, size_t errlen);
/* Runs the stop functions in reverse order. */
void zs_plugins_stop(zs_plugins *ps);
void zs_plugins_free(zs_plugins *ps);

size_t zs_plugins_len(const zs_plugins *ps);
/* The descriptor of plugin i (read only, owned by ps). */
const struct zs_plugin_desc *zs_plugins_desc(const zs_plugins *ps, size_t i);

struct zs_plugin_configdesc;
/* Calls fn for each <globalConfig> of each plugin, in load order, with the plugin's id
 * and descriptor path; stops at the first fn that does not return 0 and returns that. */
int zs_plugins_each_config(const zs_plugins *ps, int (*fn)(const struct zs_plugin_configdesc *c,
    const char *service, const char *path, void *arg), void *arg);
#endif
