/*
 * ps.h: what the primary storage service's files share: its state and agent URLs
 * (ps_main.c), the resource table, answers and interceptor (ps_api.c), attaching,
 * reconnecting through the hosts' agents (ps_attach.c, ps_agents.c, and the sync tracker
 * ps_sync.c), detaching and state (ps_detach.c),
 * capacity reservations (ps_capacity.c) and volume files on the agents (ps_bits.c).
 * Nothing here is seen outside the plugin.
 */
#ifndef PS_H
#define PS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "ps_decode.h"
#include "zs/agent.h"
#include "zs/call.h"
#include "zs/db.h"
#include "zs/node.h"
#include "zs/primarystorage/v1/primarystorage.pb-c.h"
#include "zs/resource_kit.h"
#include "zs/status.h"

#define PS_TYPE "PrimaryStorage"       /* the resource type in zs_resources */
#define PS_LOCAL "LocalStorage"
#define PS_NFS "NFS"
#define PS_URL_MAX 512
#define PS_AGENT_TIMEOUT_MS 10000     /* a command sent with no call (the sync tracker) */
#define PS_NFS_MOUNT_ROOT "/opt/zstack/nfsprimarystorage/prim-"

/* The columns of a PrimaryStorageInfo (no repeated fields), over ps_storages as s. */
#define PS_COLUMNS \
	"s.uuid, s.zone_uuid, s.name, s.description, s.type, s.url, s.mount_path, s.state, " \
	"CASE WHEN EXISTS (SELECT 1 FROM ps_hosts h WHERE h.ps_uuid = s.uuid AND " \
	"h.status = 'Connected') THEN 'Connected' ELSE 'Disconnected' END AS status, " \
	"(CASE WHEN s.type = 'LocalStorage' THEN (SELECT coalesce(sum(h.total_capacity), 0) " \
	"FROM ps_hosts h WHERE h.ps_uuid = s.uuid) ELSE s.total_capacity END)::bigint " \
	"AS total_capacity, (CASE WHEN s.type = 'LocalStorage' THEN (SELECT " \
	"coalesce(sum(h.total_capacity - h.reserved_capacity), 0) FROM ps_hosts h " \
	"WHERE h.ps_uuid = s.uuid) ELSE s.total_capacity - s.reserved_capacity END)::bigint " \
	"AS available_capacity, (CASE WHEN s.type = 'LocalStorage' THEN (SELECT " \
	"coalesce(sum(h.available_physical), 0) FROM ps_hosts h WHERE h.ps_uuid = s.uuid) " \
	"ELSE s.available_physical END)::bigint AS available_physical_capacity, " \
	"s.owner_uuid, " ZS_RKIT_SQL_TIMES

typedef struct ps_sync ps_sync;

/* The plugin's state (zs_service_set_data), read only once started (but sync). */
typedef struct ps_state {
	zs_node *node;
	int64_t sync_interval_ms;          /* primaryStorage.sync.interval; 0: no tracker */
	ps_sync *sync;
	zs_agent_addr agent;               /* where the agents listen (KvmAgent.*) */
} ps_state;

/* ---- ps_main.c ---- */

/* The URL of path on the agent at ip; 0, or -1 when it does not fit. */
int ps_url(const ps_state *ps, const char *ip, const char *path, char *buf, size_t len);

/* ---- ps_api.c ---- */

extern const zs_rkit_def ps_def;

/* Answers call with uuid's PrimaryStorageInfo, hosts and clusters included. */
void ps_answer(zs_call *call, ProtobufCClosure closure, const char *uuid);
/* Writes topic about uuid with its PrimaryStorageInfo in c's transaction. */
int ps_publish(zs_db_conn *c, zs_node *node, const char *topic, const char *uuid,
    zs_status **st);
/* Fails call with st (taken) after the database refused. */
void ps_fail(zs_call *call, zs_status *st);

/* ---- ps_attach.c ---- */

void ps_attach(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);
void ps_reconnect(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);
/* A reconnect with no call (the sync tracker): end(arg) runs once when it is over; what
 * failed is logged. Any thread; never blocks. */
void ps_sync_one(ps_state *ps, const char *uuid, void (*end)(void *arg), void *arg);

/* ---- ps_detach.c ---- */

void ps_detach(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);
void ps_change_state(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);

/* ---- ps_sync.c: the sync tracker ---- */

/* Starts it (primaryStorage.sync.interval; 0: off); 0 or -1 (no memory). */
int ps_sync_start(ps_state *ps);
/* Stops it, waiting for the round in progress. */
void ps_sync_stop(ps_state *ps);

/* ---- ps_agents.c: one command to many hosts at once ---- */

typedef struct ps_host_result {
	char uuid[64], ip[64], cluster[64];
	int code;                          /* 0: the agent said yes */
	char why[1024];                    /* else why */
	int64_t total;                     /* its totalCapacity */
	int64_t available;                 /* its availableCapacity (physical) */
} ps_host_result;

/* Called once, on a worker, with every host's outcome (borrowed). */
typedef void (*ps_fanout_fn)(ps_host_result *hosts, size_t n, void *arg);

/* Posts path with cmd (async) to each host's agent, all at once; done when all answered.
 * capacity: each answer must carry one (ps_decode_capacity). call (may be NULL:
 * PS_AGENT_TIMEOUT_MS then) bounds each command. hosts is copied. Never blocks. */
void ps_fanout(ps_state *ps, const zs_call *call, const ps_host_result *hosts, size_t n,
    const char *path, const json_t *cmd, bool capacity, ps_fanout_fn done, void *arg);

/* ---- ps_attach.c: a host's share ---- */

/* Writes one host's share of primary storage ps_uuid (of type) from the agent's answer
 * h, in c's transaction: Connected with its capacity, or Disconnected with why (the
 * reserved bytes of a known host are kept). */
int ps_share_write(zs_db_conn *c, const char *ps_uuid, const char *type,
    const ps_host_result *h, zs_status **st);
/* Sends each host the command that gives it its share (LocalStorage /localstorage/init,
 * NFS /nfsprimarystorage/mount), as ps_fanout does. */
void ps_share_fanout(ps_state *ps, const zs_call *call, const char *uuid, const char *type,
    const char *url, const char *mount_path, const ps_host_result *hosts, size_t n,
    ps_fanout_fn done, void *arg);

/* ---- ps_capacity.c ---- */

void ps_reserve(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);
void ps_return(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);

/* ---- ps_bits.c ---- */

void ps_create_bits(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);
void ps_delete_bits(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);

#endif
