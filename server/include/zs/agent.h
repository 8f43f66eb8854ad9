/*
 * zs/agent.h: where the hosts' agents listen. Every service that talks to a host's agent
 * (kvm, primary storage, network, vm) builds its URLs from the same three node
 * properties, declared by the kvm plugin as ZStack has them:
 *
 *   KvmAgent.port               7070   the TCP port of the agent on every host
 *   KvmAgent.agentUrlScheme     http   http or https
 *   KvmAgent.agentUrlRootPath   ""     a path put before every agent path ("/x" or "")
 *
 * zs_agent_addr_read checks them once, at a service's start; zs_agent_url then builds
 * "http://127.0.1.1:7070/vm/start" (an IPv6 address in brackets) without allocating.
 */
#ifndef ZS_AGENT_H
#define ZS_AGENT_H

#include <stddef.h>
#include "zs/api.h"
#include "zs/node.h"

#define ZS_AGENT_DEFAULT_PORT 7070

typedef struct zs_agent_addr {
	long port;                   /* KvmAgent.port */
	char scheme[8];              /* KvmAgent.agentUrlScheme */
	char root[128];              /* KvmAgent.agentUrlRootPath without a trailing "/" */
} zs_agent_addr;

/* Reads the node's three properties into a: 0, or -1 with err saying which one is wrong
 * (a port outside 1-65535, a scheme other than http/https, a root path not starting with
 * "/" or holding " ?#"). */
ZS_API int zs_agent_addr_read(zs_node *node, zs_agent_addr *a, char *err, size_t errlen);

/* The URL of path ("/vm/start", or "" for the agent's base) on the agent at ip into buf:
 * 0, or -1 when it does not fit in len bytes. */
ZS_API int zs_agent_url(const zs_agent_addr *a, const char *ip, const char *path, char *buf,
    size_t len);

#endif
