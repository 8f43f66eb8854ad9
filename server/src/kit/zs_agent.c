/*
 * zs_agent.c: the agents' address properties and URLs (zs/agent.h).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zs/agent.h"

int
zs_agent_addr_read(zs_node *node, zs_agent_addr *a, char *err, size_t errlen)
{
	const char *port = zs_node_property(node, "KvmAgent.port");
	const char *scheme = zs_node_property(node, "KvmAgent.agentUrlScheme");
	const char *root = zs_node_property(node, "KvmAgent.agentUrlRootPath");
	char *end = NULL;
	a->port = port != NULL && *port ? strtol(port, &end, 10) : ZS_AGENT_DEFAULT_PORT;
	if ((end != NULL && *end != '\0') || a->port < 1 || a->port > 65535) {
		snprintf(err, errlen, "KvmAgent.port \"%s\" is not a port (1-65535)", port);
		return -1;
	}
	scheme = scheme != NULL && *scheme ? scheme : "http";
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
		snprintf(err, errlen, "KvmAgent.agentUrlScheme \"%s\" is neither http nor https", scheme);
		return -1;
	}
	root = root != NULL ? root : "";
	if ((root[0] != '\0' && root[0] != '/') || strlen(root) >= sizeof a->root ||
	    strpbrk(root, " ?#") != NULL) {
		snprintf(err, errlen, "KvmAgent.agentUrlRootPath \"%s\" is not a path (\"/x\" or \"\")",
		    root);
		return -1;
	}
	snprintf(a->scheme, sizeof a->scheme, "%s", scheme);
	snprintf(a->root, sizeof a->root, "%s", root);
	size_t rl = strlen(a->root);
	if (rl > 0 && a->root[rl - 1] == '/')
		a->root[rl - 1] = '\0';
	return 0;
}

int
zs_agent_url(const zs_agent_addr *a, const char *ip, const char *path, char *buf, size_t len)
{
	bool v6 = strchr(ip, ':') != NULL;
	int n = snprintf(buf, len, "%s://%s%s%s:%ld%s%s", a->scheme, v6 ? "[" : "", ip,
	    v6 ? "]" : "", a->port, a->root, path);
	return n < 0 || (size_t) n >= len ? -1 : 0;
}
