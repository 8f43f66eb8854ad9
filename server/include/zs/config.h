/*
 * zs/config.h: global configs (ZStack's globalConfig). Each is declared by a service's
 * descriptor (<globalConfig>) or by a platform module, typed (integer, boolean, string,
 * size, duration) and validated (range, allowed values). Values live in PostgreSQL;
 * reads come from the node's memory, never from the database. Changes publish an event
 * (topic config/CATEGORY/NAME) and call the registered watchers.
 */
#ifndef ZS_CONFIG_H
#define ZS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "zs/db.h"
#include "zs/node.h"

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

/* Declares a config (platform modules call this from their declare hook; plugins declare
 * theirs in XML). -1 with err when it is declared twice or its default is invalid. */
int zs_config_declare(zs_node *node, const zs_config_decl *decl, const char *service,
    char *err, size_t errlen);

/* The current value, copied into buf. 0, or -1 when no such config is declared. */
int zs_config_get(zs_node *node, const char *category, const char *name, char *buf, size_t len);
/* Typed reads of the current value; 0/false when undeclared. */
int64_t zs_config_int(zs_node *node, const char *category, const char *name);
bool zs_config_bool(zs_node *node, const char *category, const char *name);
uint64_t zs_config_size(zs_node *node, const char *category, const char *name);
int64_t zs_config_duration_ms(zs_node *node, const char *category, const char *name);

/* Called after each change of CATEGORY/NAME (name NULL: every config of the category),
 * on the thread that made it, with the new value. */
typedef void (*zs_config_watch_fn)(const char *category, const char *name, const char *value,
    void *arg);
int zs_config_watch(zs_node *node, const char *category, const char *name, zs_config_watch_fn fn,
    void *arg);

/* The value in force for a resource: its own system tag CATEGORY::NAME::{value}, else its
 * cluster's, else its zone's (following resource parents), else the global value. source
 * gets "Host", "Cluster", "Zone" (the type whose tag gave it) or "global". 0, or a
 * canonical code with *st (NOT_FOUND for an unknown config). */
int zs_config_for_resource(zs_node *node, zs_db_conn *c, const char *category, const char *name,
    const char *resource_uuid, char *buf, size_t len, char *source, size_t source_len,
    zs_status **st);

#endif
