/*
 * zs_resource_publish.c: the one place resource services write their change events
 * (WHAT/created, WHAT/updated, WHAT/deleted) from: into the outbox, in the change's own
 * transaction, so an event goes out exactly when its change commits.
 */
#include "zs/event.h"
#include "zs/node.h"
#include "zs/resource.h"
#include "zs_rkit.h"

int
zs_resource_publish(zs_db_conn *c, const zs_call *call, const char *topic, const char *uuid,
    const char *owner, const ProtobufCMessage *body, zs_status **st)
{
	if (owner == NULL || *owner == '\0')
		owner = zs_call_account(call);
	return zs_event_publish_tx(c, zs_node_events(zs_call_node(call)), topic, uuid, owner, body,
	    st);
}
