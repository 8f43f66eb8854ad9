/*
 * zs_outbox.h: the events platform module, inside the node. Events written with
 * zs_event_publish_tx land in zs_event_log (server/sql/002_events.sql) in the caller's
 * transaction, with a NOTIFY on ZS_OUTBOX_CHANNEL that PostgreSQL delivers only at commit.
 * One sender thread per node (zs_outbox_sender.c) LISTENs on a connection of its own,
 * numbers committed rows (log sequence), sends them on the pub sockets and sweeps rows
 * older than event/retention. zs.event.v1.Events/Replay (zs_event_replay.c) reads the log
 * back. The module owns the sender; the node owns the module (node->outbox).
 */
#ifndef ZS_OUTBOX_H
#define ZS_OUTBOX_H

#include <stddef.h>
#include <stdint.h>
#include <libpq-fe.h>

#include "zs/event/v1/events.pb-c.h"
#include "zs/rpc/v1/event.pb-c.h"

typedef struct zs_node zs_node;
typedef struct zs_outbox zs_outbox;

/* The NOTIFY channel: one notification (empty payload) per committed writing transaction. */
#define ZS_OUTBOX_CHANNEL "zs_events"
/* The config holding how long events are kept. */
#define ZS_OUTBOX_CONFIG_CATEGORY "event"
#define ZS_OUTBOX_CONFIG_RETENTION "retention"
/* Topics are at most this many bytes. */
#define ZS_OUTBOX_TOPIC_MAX 255

/* --- platform module hooks (zs_outbox_module.c; zs_platform.c calls them) --- */

/* Declares event/retention and adds zs.event.v1.Events. On the main thread at start. */
int zs_outbox_declare(zs_node *node, char *err, size_t errlen);
/* Starts the sender thread (it sends once the node serves). Main thread. */
int zs_outbox_start(zs_node *node, char *err, size_t errlen);
/* Stops the sender thread and frees the module. Main thread, after the transport closed. */
void zs_outbox_stop(zs_node *node);

/* --- the sender (zs_outbox_sender.c) --- */

/* Starts the thread that numbers, sends and sweeps. 0, or -1 with err. */
int zs_outbox_sender_start(zs_node *node, zs_outbox **out, char *err, size_t errlen);
/* Wakes the thread and waits for it to end; frees ob (NULL: nothing). */
void zs_outbox_sender_stop(zs_outbox *ob);

/* --- rows of zs_event_log (zs_event_row.c) --- */

/* The columns zs_event_row reads, in its order, for SELECT lists. */
#define ZS_EVENT_ROW_COLUMNS \
	"seq, topic, resource_uuid, node_id, type, body, body_json, time_ms"

/* Fills e from row i of r (text results): strings point into r; the body is unescaped into
 * *body (caller frees with PQfreemem; NULL when empty). 0, or -1 when out of memory. */
int zs_event_row(const PGresult *r, int i, Zs__Rpc__V1__Event *e, unsigned char **body);

/* --- Replay (zs_event_replay.c) --- */

/* The zs.event.v1.Events service the module adds to the router (handlers on workers). */
extern Zs__Event__V1__Events_Service zs_event_service;

#endif
