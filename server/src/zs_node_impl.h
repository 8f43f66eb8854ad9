/* zs_node_impl.h: the node object, which owns every part of a running zsnode. Internal. */
#ifndef ZS_NODE_IMPL_H
#define ZS_NODE_IMPL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "zs/call.h"
#include "zs/node.h"
#include "zs/rpc/v1/envelope.pb-c.h"
#include "zs/job/v1/job.pb-c.h"
#include "zs/reflection/v1/reflection.pb-c.h"

typedef struct zs_props zs_props;
typedef struct zs_timerq zs_timerq;
typedef struct zs_router zs_router;
typedef struct zs_transport zs_transport;
typedef struct zs_events zs_events;
typedef struct zs_metrics zs_metrics;
typedef struct zs_dedupe zs_dedupe;
typedef struct zs_plugins zs_plugins;
typedef struct zs_ext_registry zs_ext_registry;
typedef struct zs_work zs_work;
typedef struct zs_db zs_db;
typedef struct zs_pg zs_pg;

typedef enum zs_node_state {
	ZS_NODE_STARTING = 0,
	ZS_NODE_SERVING,
	ZS_NODE_DRAINING,
	ZS_NODE_STOPPED,
} zs_node_state;

/* Limits and defaults read from properties at start. */
typedef struct zs_node_limits {
	uint64_t max_frame;          /* rpc.max_frame */
	int64_t default_timeout_ms;  /* rpc.default_timeout */
	int64_t max_timeout_ms;      /* rpc.max_timeout */
	int64_t shutdown_grace_ms;   /* shutdown.grace */
	int64_t max_inflight;        /* rpc.max_inflight */
	int64_t job_timeout_ms;      /* job.default_timeout */
} zs_node_limits;

struct zs_bus {
	zs_node *node;
};

/* The session check every call from outside passes before its handler: fills the call's
 * account, or fails it (UNAUTHENTICATED) and returns -1. Set by the identity module. */
typedef struct zs_node_auth {
	int (*check)(zs_call *call, bool public_method, void *arg);
	void *arg;
} zs_node_auth;

struct zs_node {
	zs_props *props;             /* borrowed from main */
	char *id;
	_Atomic int state;           /* zs_node_state */
	zs_node_limits limits;
	zs_timerq *timers;
	zs_work *work;               /* worker threads for handlers that may block */
	zs_pg *pg;                   /* the embedded PostgreSQL, when db.url is empty */
	zs_db *db;
	zs_router *router;
	zs_ext_registry *exts;
	zs_dedupe *dedupe;
	zs_events *events;
	zs_metrics *metrics;
	zs_plugins *plugins;
	struct zs_config_registry *config;   /* global configs, error codes (zs_config.c) */
	zs_transport *transport;
	struct zs_bus bus;
	zs_node_auth auth;
	struct zs_identity *identity;  /* accounts and sessions (zs_identity.c), from its start */
	bool platform_started;
	_Atomic int64_t inflight;    /* calls accepted and not yet answered */
	int64_t started_ms;
	int log_level;                /* zs_log_level */
	Zs__Reflection__V1__Reflection_Service reflection;
	Zs__Job__V1__Jobs_Service jobs_service;
	struct zs_tags *tags;         /* system tag patterns (zs_tag.c) */
	struct zs_outbox *outbox;     /* the event log's sender (platform/event/), from its start */
};

/* Lifecycle, used by main. */
int zs_node_new(zs_node **out, zs_props *props, char *err, size_t errlen);
/* Loads plugins, binds sockets, and serves. */
int zs_node_start(zs_node *node, char *err, size_t errlen);
/* Drains: new calls get UNAVAILABLE, accepted ones finish within the grace period or
 * get UNAVAILABLE; then closes the sockets and stops the plugins. */
void zs_node_stop(zs_node *node);
void zs_node_free(zs_node *node);

#endif
