/*
 * zs/config.h: global configs (ZStack's globalConfig). Each is declared by a service's
 * descriptor (<globalConfig>) or by a platform module, typed (integer, boolean, string,
 * size, duration) and validated (range, allowed values). Values live in PostgreSQL;
 * reads come from the node's memory, never from the database. Changes publish an event
 * (topic config/CATEGORY/NAME) and call the registered watchers.
 *
 * A service gets the node's configs from zs_node_config(). Every function returns 0 or a
 * canonical code and fills *st (caller frees) unless st is NULL. Any thread may read,
 * declare or watch; reads never block on the database.
 */
#ifndef ZS_CONFIG_H
#define ZS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "zs/api.h"
#include "zs/db.h"

typedef struct zs_config zs_config;

/* A declaration; strings are copied. */
typedef struct zs_config_decl {
	const char *category;
	const char *name;
	const char *type;           /* "integer", "boolean", "string", "size", "duration" */
	const char *default_value;
	const char *description;
	const char *min, *max;      /* NULL when unbounded */
	const char *const *allowed; /* strings only; NULL/0 when any */
	size_t n_allowed;
	bool resource_override;     /* a system tag CATEGORY::NAME::{value} on a host, cluster
	                             * or zone overrides it there */
} zs_config_decl;

/* Declares a config (platform modules call this when made; plugins declare theirs in
 * XML). INVALID_ARGUMENT naming the config and the rule when it is declared twice, its
 * name or type is malformed or its default is invalid. */
ZS_API int zs_config_declare(zs_config *cfg, const zs_config_decl *decl, const char *service,
    zs_status **st);

/* The current value, copied into buf. NOT_FOUND when no such config is declared,
 * OUT_OF_RANGE when it does not fit in len. */
ZS_API int zs_config_get(zs_config *cfg, const char *category, const char *name, char *buf,
    size_t len, zs_status **st);
/* Typed reads of the current value (sizes in bytes, durations in ms). NOT_FOUND when
 * undeclared, FAILED_PRECONDITION when declared with another type. */
ZS_API int zs_config_int(zs_config *cfg, const char *category, const char *name, int64_t *out,
    zs_status **st);
ZS_API int zs_config_bool(zs_config *cfg, const char *category, const char *name, bool *out,
    zs_status **st);
ZS_API int zs_config_size(zs_config *cfg, const char *category, const char *name, uint64_t *out,
    zs_status **st);
ZS_API int zs_config_duration_ms(zs_config *cfg, const char *category, const char *name,
    int64_t *out, zs_status **st);

/* Called after each change of CATEGORY/NAME (name NULL: every config of the category),
 * on the thread that made it, with the new value; for a config declared with
 * resource_override, also after a system tag CATEGORY::NAME::{value} was added to or
 * removed from a resource through the Tags API on this node (value: the global one), so
 * that the watcher looks again at what is in force where. */
typedef void (*zs_config_watch_fn)(const char *category, const char *name, const char *value,
    void *arg);
/* 0, INVALID_ARGUMENT (no category or fn) or RESOURCE_EXHAUSTED. */
ZS_API int zs_config_watch(zs_config *cfg, const char *category, const char *name,
    zs_config_watch_fn fn, void *arg);
/* Removes every watch of fn with arg (a service's stop). A call already under way may
 * still run: the watcher's state must outlive it (e.g. wait for the work it started). */
ZS_API void zs_config_unwatch(zs_config *cfg, zs_config_watch_fn fn, void *arg);

/* The value in force for a resource: its own system tag CATEGORY::NAME::{value}, else its
 * cluster's, else its zone's (following resource parents), else the global value. source
 * gets "Host", "Cluster", "Zone" (the type whose tag gave it) or "global". NOT_FOUND for
 * an unknown config; the database's codes. On a worker thread (it reads c). */
ZS_API int zs_config_for_resource(zs_config *cfg, zs_db_conn *c, const char *category,
    const char *name, const char *resource_uuid, char *buf, size_t len, char *source,
    size_t source_len, zs_status **st);

#endif
