/* zs/event.h: publishing events on the node's pub sockets (protobuf and JSON feeds). */
#ifndef ZS_EVENT_H
#define ZS_EVENT_H

#include <stdint.h>
#include <protobuf-c/protobuf-c.h>
#include "zs/node.h"

/*
 * Publishes body under topic ("vm/created"; subscribers filter by prefix) about
 * resource_uuid (may be NULL). Each event gets the node's next sequence number, written
 * to *sequence when not NULL. Returns 0, or -1 when the event could not be sent.
 */
int zs_event_publish(zs_node *node, const char *topic, const char *resource_uuid,
    const ProtobufCMessage *body, uint64_t *sequence);

#endif
