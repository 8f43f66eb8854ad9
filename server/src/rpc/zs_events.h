/*
 * zs_events.h: the node's event publisher. Two pub sockets carry every event's header:
 * one with protobuf frames (topic, NUL, zs.rpc.v1.Event) and one with JSON frames
 * (topic, space, the Event as proto3 JSON) for nngcat and zswatch. Topic prefixes filter
 * on both. Anyone who connects gets them, so they carry no body: the full events (body,
 * body_json) and their owner account stay in a ring of the last ZS_EVENTS_RECENT, read
 * through zs_events_recent by zs.event.v1.Events/Recent, which checks the caller.
 */
#ifndef ZS_EVENTS_H
#define ZS_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "zs/rpc/v1/event.pb-c.h"

#include "zs/event.h"

/* Events kept in full for Recent, and the bytes they may take. */
#define ZS_EVENTS_RECENT 4096
#define ZS_EVENTS_RECENT_BYTES (16u << 20)

/* Event headers queued per subscriber before the feed drops some for it (a batch of the
 * log's sender fits). */
#define ZS_EVENTS_SENDBUF 1024

/* Topics are 1 to this many bytes. */
#define ZS_EVENT_TOPIC_MAX 255

/* Whether topic may be sent: 1 to ZS_EVENT_TOPIC_MAX bytes of valid UTF-8 without control
 * characters (C0, DEL, C1). 0, or -1 with why in err. */
int zs_event_topic_check(const char *topic, char *err, size_t errlen);

/* Opens the sockets; json_url may be NULL or "" to have no JSON feed. */
int zs_events_new(zs_events **out, const char *node_id, const char *url, const char *json_url,
    char *err, size_t errlen);
void zs_events_free(zs_events *ev);
uint64_t zs_events_published(const zs_events *ev);
/* The id of the node the events go out from (borrowed). */
const char *zs_events_node_id(const zs_events *ev);
/* The event log's sender (platform/event) sets fn to be woken (fn must not block; NULL:
 * no more) when a transaction that wrote into the log committed on this node, which its
 * writer (zs_outbox_write.c) tells with zs_events_log_committed. Any thread. */
void zs_events_set_log_wake(zs_events *ev, void (*fn)(void *arg), void *arg);
void zs_events_log_committed(zs_events *ev);
/* Sets e's sequence and topic_sequence (the node's live numbers), keeps e in full (body
 * and body_json as given) for Recent with its owner account (NULL or "": admins only),
 * and sends its header (no body, no body_json) on both sockets. 0, or a code. Any thread. */
int zs_events_send(zs_events *ev, Zs__Rpc__V1__Event *e, const char *owner);

/* Called with each kept event (a packed zs.rpc.v1.Event, borrowed) the caller may see. */
typedef void (*zs_events_recent_fn)(const uint8_t *packed, size_t len, void *arg);
/* Calls fn, in sequence order, for the kept events with from < sequence <= to (to 0:
 * any) that account owns (admin: every one), at most limit; under the publisher's lock,
 * so fn only copies. Returns the oldest sequence kept (0: none). */
uint64_t zs_events_recent(zs_events *ev, uint64_t from, uint64_t to, size_t limit,
    const char *account, bool admin, zs_events_recent_fn fn, void *arg);

#endif
