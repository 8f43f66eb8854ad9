/*
 * zs_outbox.h: the events platform module, inside the node. Events written with
 * zs_event_publish_tx land in zs_event_log (server/sql/002_events.sql) in the caller's
 * transaction; its commit wakes this node's sender in process (no NOTIFY in the writers'
 * transactions). One sender thread per node (zs_outbox_sender.c) numbers committed rows
 * (log sequence), NOTIFYs ZS_OUTBOX_CHANNEL once per numbered batch so the other nodes'
 * senders (which LISTEN on a connection of their own) send them too, sends them on the
 * pub sockets and sweeps rows older than event/retention. zs.event.v1.Events/Replay (zs_event_replay.c) reads the log
 * back. The node makes the module with what it needs and frees it.
 */
#ifndef ZS_OUTBOX_H
#define ZS_OUTBOX_H

#include <stddef.h>
#include <stdint.h>
#include <libpq-fe.h>

#include "zs/config.h"
#include "zs/db.h"
#include "zs/event.h"
#include "zs/event/v1/events.pb-c.h"
#include "zs/rpc/v1/event.pb-c.h"
#include "zs_outbox_log.h"
#include "zs_props.h"
#include "zs_events.h"
#include "zs_rpc.h"

typedef struct zs_outbox zs_outbox;

/* What the module is made with; borrowed for its life. */
typedef struct zs_outbox_env {
	zs_rpc *rpc;                 /* routes zs.event.v1.Events */
	zs_config *config;           /* event/retention */
	zs_events *events;           /* the pub sockets the log is sent on; commits wake us */
	zs_props *props;             /* event.poll */
} zs_outbox_env;

/* The config holding how long events are kept. */
#define ZS_OUTBOX_CONFIG_CATEGORY "event"
#define ZS_OUTBOX_CONFIG_RETENTION "retention"
/* The property of the sender's safety poll period. */
#define ZS_OUTBOX_PROP_POLL "event.poll"

/* --- the module (zs_outbox_sender.c holds its state) --- */

/* Declares event/retention and event.poll and routes zs.event.v1.Events. Main thread. 0,
 * or -1 with err. */
int zs_outbox_new(zs_outbox **out, const zs_outbox_env *env, char *err, size_t errlen);
/* With the database up: starts the thread that numbers, sends and sweeps, and has commits
 * that wrote events wake it. Main thread. */
int zs_outbox_start(zs_outbox *ob, zs_db *db, char *err, size_t errlen);
/* Takes the wake back from commits, stops the thread and waits for it to end. Main
 * thread, after the transport closed. */
void zs_outbox_stop(zs_outbox *ob);
/* NULL: nothing. */
void zs_outbox_free(zs_outbox *ob);
/* The pool, for the Replay handler (NULL before start). */
zs_db *zs_outbox_db(const zs_outbox *ob);
/* The publisher, for the Recent handler. */
zs_events *zs_outbox_events(const zs_outbox *ob);

/* --- rows of zs_event_log (zs_event_row.c) --- */

/* The columns zs_event_row reads, in its order, for SELECT lists. */
#define ZS_EVENT_ROW_COLUMNS \
	"seq, topic, resource_uuid, node_id, type, body, body_json, " \
	"'epoch'::timestamptz + time_ms * interval '1 millisecond', owner_uuid"
/* The column of the owner account in those rows (zs_event_row leaves it out). */
#define ZS_EVENT_ROW_OWNER 8

/* Fills e from row i of r (text results): strings and the time live in r; the body is unescaped into
 * *body (caller frees with PQfreemem; NULL when empty). 0, or -1 when out of memory. */
int zs_event_row(const PGresult *r, int i, Zs__Rpc__V1__Event *e, unsigned char **body);

/* --- Replay (zs_event_replay.c) --- */

/* Recent (zs_event_recent.c): the node's last events sent live, in full, for their owner. */
void zs_event_recent(Zs__Event__V1__Events_Service *svc, const Zs__Event__V1__RecentRequest *in,
    Zs__Event__V1__RecentResponse_Closure closure, void *closure_data);

/* The zs.event.v1.Events service the module adds to the router (handlers on workers). */
extern Zs__Event__V1__Events_Service zs_event_service;

#endif
