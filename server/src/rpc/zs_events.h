/*
 * zs_events.h: the node's event publisher. Two pub sockets carry every event: one
 * with protobuf frames (topic, NUL, zs.rpc.v1.Event) and one with JSON frames
 * (topic, space, the Event as proto3 JSON with the body as an object) for nngcat and
 * zswatch. Topic prefixes filter on both.
 */
#ifndef ZS_EVENTS_H
#define ZS_EVENTS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "zs/rpc/v1/event.pb-c.h"

#include "zs/event.h"

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
/* Sends e on both sockets after setting its sequence and topic_sequence (the node's live
 * numbers); every other field is sent as given. body_json (borrowed, may be NULL) is the
 * body in the JSON feed. 0, or -1 when a socket refused it. Any thread. */
int zs_events_send(zs_events *ev, Zs__Rpc__V1__Event *e, json_t *body_json);

#endif
