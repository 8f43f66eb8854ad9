/*
 * zs_node_impl.h: the node object, which owns every part of a running zsnode. Only the
 * composition root (this folder) sees it: every module is made with what it needs.
 */
#ifndef ZS_NODE_IMPL_H
#define ZS_NODE_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "zs/node.h"
#include "zs_config_impl.h"
#include "zs_db.h"
#include "zs_events.h"
#include "zs_ext_registry.h"
#include "zs_http_impl.h"
#include "zs_identity.h"
#include "zs_job.h"
#include "zs_outbox.h"
#include "zs_plugin.h"
#include "zs_props.h"
#include "zs_rpc.h"
#include "zs_tag_impl.h"
#include "zs_timerq.h"
#include "zs_work.h"

typedef struct zs_metrics zs_metrics;

struct zs_node {
	zs_props *props;             /* owned */
	char *id;
	int lock_fd;                 /* holds the flock on DATA_DIR/zsnode.lock; -1 before */
	int64_t started_ms;
	int64_t shutdown_grace_ms;   /* shutdown.grace */
	int64_t max_inflight;        /* rpc.max_inflight */
	zs_timerq *timers;
	zs_work *work;               /* worker threads for handlers that may block */
	zs_rpc *rpc;                 /* the call path: router, bus, dedupe, errors, transport */
	zs_ext_registry *exts;
	zs_events *events;
	zs_plugins *plugins;
	zs_pg *pg;                   /* the embedded PostgreSQL, when db.url is empty */
	zs_pg_watch *pg_watch;       /* restarts it when it dies; NULL with db.url */
	zs_db *db;
	zs_metrics *metrics;
	zs_http *http;               /* commands to host agents; callbacks come through metrics */
	/* platform modules (zs_platform.c), in the order they are made and started */
	zs_config *config;
	zs_identity *identity;
	zs_jobs *jobs;
	zs_outbox *outbox;
	zs_tags *tags;
	bool platform_started;
	zs_heartbeat *heartbeat;     /* this node's row in zs_nodes, from start to stop */
	int64_t heartbeat_interval_ms;   /* node.heartbeat_interval */
	int64_t heartbeat_timeout_ms;    /* node.heartbeat_timeout */
};

/* A node with props (taken over, freed with the node), and its start; -1 with err. */
int zs_node_new_props(zs_node **out, zs_props *props, char *err, size_t errlen);
int zs_node_start_err(zs_node *node, char *err, size_t errlen);
/* zsnode --reset-admin-password: takes the data folder (refused while a node runs on it),
 * brings up the database and sets the admin password; serves nothing. Stop the node
 * afterwards as usual. 0 with the account's uuid, or -1 with err. */
int zs_node_reset_admin_password(zs_node *node, const char *password, char *uuid_out,
    size_t uuid_len, char *err, size_t errlen);
/* zs_node_reset.c: the whole of `zsnode --reset-admin-password` on a made node; the exit
 * code. */
int zs_node_reset_main(zs_node *node);

/* Takes the data folder for this process: an flock on DIR/zsnode.lock holding our pid.
 * -1 with err naming the pid that holds it (zs_node_lock.c). */
int zs_node_lock(const char *dir, int *fd, char *err, size_t errlen);
/* Lets the data folder go (fd from zs_node_lock; -1 does nothing). */
void zs_node_unlock(int fd);

/* The platform modules: made after the plugins are loaded, started once the database
 * is migrated, stopped in reverse before it closes (zs_platform.c). */
int zs_platform_new(zs_node *node, char *err, size_t errlen);
int zs_platform_start(zs_node *node, char *err, size_t errlen);
void zs_platform_stop(zs_node *node);
void zs_platform_free(zs_node *node);

#endif
