/*
 * zs_resource_publish.c: the one place resource services send their change events
 * (WHAT/created, WHAT/updated, WHAT/deleted) from. Today it sends at once, after the
 * commit; a transactional outbox will take its place here without the services changing.
 */
#include "zs/event.h"
#include "zs/node.h"
#include "zs/resource.h"
#include "zs_rkit.h"

int
zs_resource_publish(const zs_call *call, const char *topic, const char *uuid,
    const ProtobufCMessage *body, zs_status **st)
{
	if (zs_event_publish(zs_node_events(zs_call_node(call)), topic, uuid, zs_call_account(call),
	    body, NULL) == 0)
		return 0;
	return zs_rkit_status_out(st, zs_status_new(ZS_UNAVAILABLE, NULL,
	    "the %s event could not be sent", topic), ZS_UNAVAILABLE);
}
