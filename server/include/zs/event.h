/*
 * zs/event.h: publishing events on the node's pub sockets (protobuf and JSON feeds). A
 * service gets the node's publisher from zs_node_events().
 *
 * Two ways:
 *   zs_event_publish_tx  an event about a change, written in the change's transaction
 *                        (the outbox); sent after the commit by the node's event sender,
 *                        never when the transaction rolls back; kept in the event log for
 *                        event/retention and numbered there (Event.log_sequence,
 *                        gap-free), so it can be replayed (zs.event.v1.Events/Replay).
 *   zs_event_publish     sent at once, not kept, log_sequence 0 (progress, echo).
 * Both carry the sending node's live sequence and topic_sequence. The pub feeds, open to
 * anyone who connects, carry only an event's header (topic, sequences, time, resource,
 * node, type); its body reaches its owner account and admins through Events/Recent (the
 * node's last events) and Events/Replay (the kept ones).
 */
#ifndef ZS_EVENT_H
#define ZS_EVENT_H

#include <stdint.h>
#include <protobuf-c/protobuf-c.h>
#include "zs/api.h"
#include "zs/status.h"

typedef struct zs_events zs_events;
typedef struct zs_db_conn zs_db_conn;   /* zs/db.h */

/*
 * Publishes body under topic ("vm/created"; subscribers filter by prefix) about
 * resource_uuid (may be NULL) at once. The feeds carry its header only; the whole event
 * goes to Events/Recent callers that own it: owner_account (the account uuid owning what
 * the event is about; NULL or "": admins only), and admins. Each event gets the node's next sequence number,
 * written to *sequence when not NULL. 0, or INVALID_ARGUMENT (topic not 1-255 bytes of
 * UTF-8 without control characters; checked before anything is sent), UNAVAILABLE (no
 * publisher, or a send failed), RESOURCE_EXHAUSTED. Any thread.
 */
ZS_API int zs_event_publish(zs_events *ev, const char *topic, const char *resource_uuid,
    const char *owner_account, const ProtobufCMessage *body, uint64_t *sequence);

/*
 * Writes an event into the outbox in c's open transaction (c outside a transaction: the
 * event commits at once). After the commit the node sends it on both feeds, as
 * zs_event_publish would, with its log_sequence; a rollback drops it. The commit
 * (zs_db_commit or zs_db_end) wakes the node's event sender, so it goes out at once. owner_account (the
 * account uuid owning what the event is about; NULL or "": only admins may replay it)
 * decides who may replay it. resource_uuid and body may be NULL. topic: 1-255 bytes of
 * UTF-8. Returns 0 (OK) or a canonical code with *st (may be NULL; caller frees):
 * INVALID_ARGUMENT for a bad topic, else the database's code (the transaction is then
 * aborted, as for any failed statement). On a worker thread (it blocks on c).
 *
 *	zs_db_begin(c, &st);
 *	... INSERT the change ...
 *	rv = zs_event_publish_tx(c, ev, "vm/created", uuid, zs_call_account(call), &info.base, &st);
 *	rv = zs_db_end(c, rv, &st);
 */
ZS_API int zs_event_publish_tx(zs_db_conn *c, zs_events *ev, const char *topic,
    const char *resource_uuid, const char *owner_account, const ProtobufCMessage *body,
    zs_status **st);

#endif
