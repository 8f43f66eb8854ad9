/*
 * network_main.c: the network service's lifecycle and interceptor. At start it reads where
 * the agents listen (zs/agent.h: the node's properties, so the bridges go to the same
 * agents the kvm plugin talks to). The interceptor network.check
 * lets admins only call any of its methods, as services/kvm does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network.h"
#include "zs/log.h"
#include "zs/service.h"

int
net_agent_url(const net_state *ns, const char *ip, char *buf, size_t len)
{
	return zs_agent_url(&ns->agent, ip, "", buf, len);
}

void
net_fail(zs_call *call, int code, const char *error_code, zs_status *st, const char *what)
{
	const zs_status *root = st;
	while (root != NULL && root->cause != NULL)
		root = root->cause;
	zs_call_fail_cause(call, code != 0 ? code : ZS_INTERNAL, error_code, st, "%s%s%s%s%s", what,
	    st != NULL ? ": " : "", st != NULL && st->message ? st->message : "",
	    root != st ? ": " : "", root != st && root->message ? root->message : "");
	zs_status_free(st);
}

ZS_EXPORT int
network_start(zs_service *svc, char *err, size_t errlen)
{
	zs_node *node = zs_service_node(svc);
	net_state *ns = calloc(1, sizeof *ns);
	if (ns == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ns->node = node;
	if (zs_agent_addr_read(node, &ns->agent, err, errlen) != 0) {
		free(ns);
		return -1;
	}
	if (net_ip_lanes_init(ns) != 0) {
		snprintf(err, errlen, "out of memory");
		free(ns);
		return -1;
	}
	zs_service_set_data(svc, ns);
	return 0;
}

ZS_EXPORT void
network_stop(zs_service *svc)
{
	net_state *ns = zs_service_data(svc);
	if (ns != NULL && ns->ip_batches > 0)
		zs_log(ZS_LOG_INFO, "network", "%lu IP allocations in %lu transactions", ns->ip_allocs,
		    ns->ip_batches);
	if (ns != NULL)
		net_ip_lanes_fini(ns);
	free(ns);
	zs_service_set_data(svc, NULL);
}

static int
network_check_request(zs_call *call, const ProtobufCMessage *req, void *arg)
{
	(void) req;
	(void) arg;
	if (zs_call_admin(call))
		return 0;
	zs_call_fail(call, ZS_PERMISSION_DENIED, "NETWORK.1001", "%s is for admins only",
	    zs_call_method(call));
	return ZS_PERMISSION_DENIED;
}

ZS_EXPORT const zs_interceptor network_check = { network_check_request, NULL };
