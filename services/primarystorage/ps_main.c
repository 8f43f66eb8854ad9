/*
 * ps_main.c: the primary storage service's lifecycle (its properties, the sync tracker)
 * and the URLs of the hosts' agents.
 * The agents are the KVM agents of the hosts: zs/agent.h says where they are.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ps.h"
#include "zs/service.h"


int
ps_url(const ps_state *ps, const char *ip, const char *path, char *buf, size_t len)
{
	return zs_agent_url(&ps->agent, ip, path, buf, len);
}

ZS_EXPORT int
ps_start(zs_service *svc, char *err, size_t errlen)
{
	zs_node *node = zs_service_node(svc);
	ps_state *ps = calloc(1, sizeof *ps);
	if (ps == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ps->node = node;
	if (zs_agent_addr_read(node, &ps->agent, err, errlen) != 0) {
		free(ps);
		return -1;
	}
	char *end = NULL;
	const char *iv = zs_node_property(node, "primaryStorage.sync.interval");
	long long ms = iv != NULL && *iv ? strtoll(iv, &end, 10) : 60000;
	if ((end != NULL && *end != '\0') || ms < 0 || ms > 86400000) {
		snprintf(err, errlen, "primaryStorage.sync.interval \"%s\" is not a number of ms in "
		    "[0, 86400000]", iv);
		free(ps);
		return -1;
	}
	ps->sync_interval_ms = ms;
	if (ps_sync_start(ps) != 0) {
		snprintf(err, errlen, "cannot start the sync tracker: out of memory");
		free(ps);
		return -1;
	}
	zs_service_set_data(svc, ps);
	return 0;
}

ZS_EXPORT void
ps_stop(zs_service *svc)
{
	ps_state *ps = zs_service_data(svc);
	if (ps == NULL)
		return;
	ps_sync_stop(ps);
	zs_service_set_data(svc, NULL);
	if (ps->sync == NULL)   /* else a round still runs with ps: leave it */
		free(ps);
}
