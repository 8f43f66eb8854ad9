/*
 * zs_config_impl.h: the inside of global configs (zs/config.h) and of the error code
 * registry (zs/errors.h), shared by zs_config*.c and zs_errors_api.c, plus what other
 * parts of the node may ask of them: the platform module hooks, copies of configs for
 * the API, update and reset, and the system tag patterns configs imply. Internal.
 *
 * Locks: reg->lock (rwlock) guards the entries and their values; readers copy out.
 * reg->write_lock makes one writer of values at a time (API updates and resets, the
 * listener applying other nodes' changes), held across the database write, the memory
 * update, the event and the watchers, so watchers see changes in commit order. A
 * watcher must not update or reset a config itself.
 */
#ifndef ZS_CONFIG_IMPL_H
#define ZS_CONFIG_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zs/config.h"
#include "zs/event.h"
#include "zs/status.h"
#include "zs/config/v1/config.pb-c.h"
#include "zs_db.h"
#include "zs_plugin.h"
#include "zs_props.h"
#include "zs_rpc.h"

/* The resource types whose system tags may override a config, nearest first. */
#define ZS_CONFIG_OVERRIDE_TYPES { "Host", "Cluster", "Zone" }
/* Longest value a config takes, in bytes (buffers for values hold one more). */
#define ZS_CONFIG_VALUE_MAX 4096
/* The channel PostgreSQL NOTIFY carries config changes on, between nodes. */
#define ZS_CONFIG_CHANNEL "zs_config"

typedef enum zs_config_type {
	ZS_CONFIG_INTEGER,
	ZS_CONFIG_BOOLEAN,
	ZS_CONFIG_STRING,
	ZS_CONFIG_SIZE,
	ZS_CONFIG_DURATION,
} zs_config_type;

/* One declared config. Every string is owned; value and stored change under reg->lock. */
typedef struct zs_config_entry {
	char *category, *name, *type_name, *default_value, *description, *service;
	char *min, *max;              /* NULL when unbounded */
	char **allowed;
	size_t n_allowed;
	bool resource_override;
	zs_config_type type;
	int64_t min_v, max_v;         /* parsed bounds (INT64_MIN / INT64_MAX when none) */
	char *value;                  /* in force */
	bool stored;                  /* value comes from the database, not the default */
} zs_config_entry;

/* A change callback. name NULL: every config of the category. */
typedef struct zs_config_watcher {
	char *category, *name;
	zs_config_watch_fn fn;
	void *arg;
} zs_config_watcher;

typedef struct zs_config_listener zs_config_listener;

/* What the module is made with; borrowed for its life. */
typedef struct zs_config_env {
	const char *node_id;
	zs_rpc *rpc;                  /* routes its APIs; knows whether the node serves */
	zs_plugins *plugins;          /* their <globalConfig>s */
	zs_props *props;              /* the Properties API */
	zs_events *events;            /* config/CATEGORY/NAME */
} zs_config_env;

struct zs_config {
	void *self;                   /* what its handlers get as service data */
	const char *node_id;
	zs_rpc *rpc;
	zs_router *router;
	zs_errors *errors;
	zs_plugins *plugins;
	zs_props *props;
	zs_events *events;
	zs_db *db;                    /* from start on */
	pthread_rwlock_t lock;
	zs_config_entry **entries;    /* sorted by category, then name */
	size_t n_entries, cap;
	bool loaded;                  /* stored values were read at start */
	pthread_mutex_t write_lock;
	pthread_mutex_t watch_lock;
	zs_config_watcher *watchers;
	size_t n_watchers;
	zs_config_listener *listener; /* other nodes' changes (zs_config_listen.c) */
	Zs__Config__V1__GlobalConfig_Service config_api;
	Zs__Config__V1__Properties_Service props_api;
};

/* ---- platform module (zs_config_module.c) ---- */

/* Makes the module: declares its CONFIG.* error codes, every plugin's <globalConfig>
 * and routes the GlobalConfig and Properties APIs. First of the platform modules, after
 * the plugins are loaded. 0, or -1 with err. */
int zs_config_new(zs_config **out, const zs_config_env *env, char *err, size_t errlen);
/* With the database up: listens for other nodes' changes, then loads stored values. */
int zs_config_start(zs_config *reg, zs_db *db, char *err, size_t errlen);
/* Stops listening. The node calls it before the plugins stop, so no watcher of a
 * stopped plugin runs; calling it again is harmless. */
void zs_config_stop(zs_config *reg);
/* NULL is fine. */
void zs_config_free(zs_config *reg);
/* Fills reg from env (zs_config.c); the module does the rest. */
int zs_config_init(zs_config *reg, const zs_config_env *env);

/* ---- reading (zs_config.c) ---- */

/* A copy of one config as it stands; free its strings with zs_config_view_clear. */
typedef struct zs_config_view {
	char *category, *name, *type, *value, *default_value, *description, *min, *max, *service;
	char **allowed;
	size_t n_allowed;
	bool resource_override;
	bool stored;
} zs_config_view;

/* Copies of the configs of category (NULL or "": every one), sorted by category and
 * name (caller frees with zs_config_views_free). 0, or -1 when out of memory. */
int zs_config_list(zs_config *reg, const char *category, zs_config_view **out, size_t *n);
/* A copy of one config. 0, or -1 when it is not declared (or out of memory). */
int zs_config_view_get(zs_config *reg, const char *category, const char *name, zs_config_view *out);
void zs_config_view_clear(zs_config_view *v);
void zs_config_views_free(zs_config_view *v, size_t n);

/* The entry of CATEGORY/NAME, or NULL. Caller holds reg->lock. */
zs_config_entry *zs_config_find(const zs_config *reg, const char *category,
    const char *name);
/* Sets the value in force (a copy; NULL: the default, no longer stored) and, when it
 * changed and notify is set, calls the watchers. Caller holds reg->write_lock (or is the
 * only writer, at start), not reg->lock. Returns true when the value changed. */
/* After a system tag was added to or removed from a resource (the Tags API): when tag is
 * CATEGORY::NAME::VALUE of a config declared resourceOverride, calls that config's
 * watchers with its global value, so that they look again at what is in force where. */
void zs_config_override_changed(zs_config *reg, const char *tag);
bool zs_config_apply(zs_config *reg, const char *category, const char *name,
    const char *value, bool notify);

/* Calls fn for each system tag pattern configs imply: CATEGORY::NAME::{value} on Host,
 * Cluster and Zone for each config declared with resource_override. Returns how many. */
size_t zs_config_tag_patterns(zs_config *reg,
    void (*fn)(const char *pattern, const char *resource_type, const char *description, void *arg),
    void *arg);

/* ---- values (zs_config_value.c) ---- */

/* "integer" -> ZS_CONFIG_INTEGER. -1 for an unknown type name. */
int zs_config_type_parse(const char *name, zs_config_type *out);
/* Parses a bound of a numeric type (integer as is, size in bytes, duration in ms). */
int zs_config_number(zs_config_type type, const char *text, int64_t *out);
/* Checks value against e's type, range and allowed values and writes the value as it is
 * stored (booleans as true/false, integers without sign or zeros in front) to canon.
 * 0, or -1 with why naming the config and the rule it broke:
 * config kvm.reservedMemory: "12X" is not a size (e.g. 512M, 2G). */
int zs_config_value_check(const zs_config_entry *e, const char *value, char *canon,
    size_t canon_len, char *why, size_t why_len);

/* ---- the database (zs_config_store.c) ---- */

/* Reads every stored value into memory; a value that no longer validates is logged and
 * the default used. 0, or -1 with err. */
int zs_config_store_load(zs_config *reg, char *err, size_t errlen);
/* Reads the stored value of one config (declared after the start) into memory. */
void zs_config_store_load_one(zs_config *reg, const char *category, const char *name);
/* Validates, stores (on c), sets memory, publishes config/CATEGORY/NAME, calls watchers.
 * 0 with *out (caller clears), or a canonical code with *st. */
int zs_config_update(zs_config *reg, zs_db_conn *c, const char *category, const char *name,
    const char *value, zs_config_view *out, zs_status **st);
/* Deletes the stored value: back to the default; then as zs_config_update. */
int zs_config_reset(zs_config *reg, zs_db_conn *c, const char *category, const char *name,
    zs_config_view *out, zs_status **st);

/* ---- other nodes' changes (zs_config_listen.c) ---- */

/* Starts a thread holding its own connection that LISTENs on ZS_CONFIG_CHANNEL and
 * applies what other nodes change. 0, or -1 with err. */
int zs_config_listen_start(zs_config *reg, zs_config_listener **out, char *err, size_t errlen);
void zs_config_listen_stop(zs_config_listener *l);

/* ---- the APIs (zs_config_api.c, zs_errors_api.c) ---- */

void zs_config_api_init(zs_config *reg);
/* Fills info from v: info borrows v's strings and tag, where the override tag pattern
 * is written (tag_len >= 300 holds any). Source: "global" when stored, else "default". */
void zs_config_info_from_view(const zs_config_view *v, Zs__Config__V1__ConfigInfo *info,
    char *tag, size_t tag_len);

#endif
