/*
 * ps_main.c: the primary storage service's lifecycle (its properties, the sync tracker)
 * and the URLs of the hosts' agents.
 * The agents are the KVM agents of the hosts, so the kvm plugin's KvmAgent.port,
 * KvmAgent.agentUrlScheme and KvmAgent.agentUrlRootPath say where they are (7070, http
 * and none when it is not loaded; the kvm plugin checks them at its start).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ps.h"
#include "zs/service.h"


int
ps_url(const ps_state *ps, const char *ip, const char *path, char *buf, size_t len)
{
	bool v6 = strchr(ip, ':') != NULL;
	int n = snprintf(buf, len, "%s://%s%s%s:%ld%s%s", ps->scheme, v6 ? "[" : "", ip,
	    v6 ? "]" : "", ps->port, ps->root, path);
	return n < 0 || (size_t) n >= len ? -1 : 0;
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
	const char *port = zs_node_property(node, "KvmAgent.port");
	const char *scheme = zs_node_property(node, "KvmAgent.agentUrlScheme");
	char *end = NULL;
	ps->port = port != NULL && *port ? strtol(port, &end, 10) : 7070;
	if ((end != NULL && *end != '\0') || ps->port < 1 || ps->port > 65535) {
		snprintf(err, errlen, "KvmAgent.port \"%s\" is not a port", port);
		free(ps);
		return -1;
	}
	snprintf(ps->scheme, sizeof ps->scheme, "%s", scheme != NULL && *scheme ? scheme : "http");
	const char *root = zs_node_property(node, "KvmAgent.agentUrlRootPath");
	snprintf(ps->root, sizeof ps->root, "%s", root != NULL && root[0] == '/' ? root : "");
	size_t rl = strlen(ps->root);
	if (rl > 0 && ps->root[rl - 1] == '/')
		ps->root[rl - 1] = '\0';
	const char *iv = zs_node_property(node, "primaryStorage.sync.interval");
	end = NULL;
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
