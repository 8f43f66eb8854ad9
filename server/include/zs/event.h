/*
 * zs/event.h: publishing events on the node's pub sockets (protobuf and JSON feeds). A
 * service gets the node's publisher from zs_node_events(). Any thread.
 */
#ifndef ZS_EVENT_H
#define ZS_EVENT_H

#include <stdint.h>
#include <protobuf-c/protobuf-c.h>
#include "zs/api.h"
#include "zs/status.h"

typedef struct zs_events zs_events;

/*
 * Publishes body under topic ("vm/created"; subscribers filter by prefix) about
 * resource_uuid (may be NULL). Each event gets the node's next sequence number, written
 * to *sequence when not NULL. 0, or INVALID_ARGUMENT (no topic), UNAVAILABLE (no
 * publisher, or a send failed), RESOURCE_EXHAUSTED.
 */
ZS_API int zs_event_publish(zs_events *ev, const char *topic, const char *resource_uuid,
    const ProtobufCMessage *body, uint64_t *sequence);

#endif
