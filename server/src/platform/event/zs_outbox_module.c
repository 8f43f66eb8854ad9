/*
 * zs_outbox_module.c: the events platform module's hooks: it declares the event/retention
 * config and the zs.event.v1.Events API, starts the sender thread, and stops it.
 */
#include <stdio.h>

#include "zs/config.h"
#include "zs_node_impl.h"
#include "zs_outbox.h"
#include "zs_router.h"

int
zs_outbox_declare(zs_node *node, char *err, size_t errlen)
{
	zs_config_decl retention = {
		.category = ZS_OUTBOX_CONFIG_CATEGORY,
		.name = ZS_OUTBOX_CONFIG_RETENTION,
		.type = "duration",
		.default_value = "24h",
		.description = "how long events written in a transaction are kept for Replay",
		.min = "1s",
		.max = "365d",
	};
	if (zs_config_declare(node, &retention, "event", err, errlen) != 0)
		return -1;
	return zs_router_add_service(node->router, &zs_event_service.base, NULL, "node", false, err,
	    errlen);
}

int
zs_outbox_start(zs_node *node, char *err, size_t errlen)
{
	return zs_outbox_sender_start(node, &node->outbox, err, errlen);
}

void
zs_outbox_stop(zs_node *node)
{
	zs_outbox_sender_stop(node->outbox);
	node->outbox = NULL;
}
