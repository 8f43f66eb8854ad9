/*
 * network.h: what the network service's files share (nothing here is seen outside the
 * plugin): its state and the agents' URLs (network_main.c), the three resource tables
 * (network_l2.c, network_l3.c, network_range.c), attaching L2 networks to clusters
 * (network_attach.c), bridges on hosts (network_bridge.c), the host connect extension
 * (network_connect.c) and IP allocation (network_ip.c).
 */
#ifndef NETWORK_H
#define NETWORK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "network_ipv4.h"
#include "zs/agent.h"
#include "zs/call.h"
#include "zs/network/v1/network.pb-c.h"
#include "zs/node.h"
#include "zs/resource_kit.h"
#include "zs/service.h"
#include "zs/status.h"

#define NET_UUID 64
#define NET_URL_MAX 512
#define NET_DNS_MAX 8
#define NET_IP_LANES 8      /* queues of AllocateIp calls (network_ip.c) */
#define NET_IP_BATCH 256    /* allocations in one transaction at most */
#define NET_IP_LEADERS 2    /* batches of one lane at once: one waits for its flush
                             * while the next runs (at 64 calls in flight this halves the
                             * batches: README-ipalloc.md) */

struct net_ip_lane;

/* The service's state (zs_service_set_data); read only once started. */
typedef struct net_state {
	zs_node *node;
	zs_agent_addr agent;    /* where the agents listen (KvmAgent.*) */
	struct net_ip_lane *lanes;  /* NET_IP_LANES of them (network_ip.c) */
	_Atomic unsigned long ip_batches, ip_allocs;  /* for the log at stop */
} net_state;

/* ---- network_main.c ---- */

/* The agent's base URL at ip ("http://127.0.1.1:7070"); 0 or -1 when it does not fit. */
int net_agent_url(const net_state *ns, const char *ip, char *buf, size_t len);

/* ---- network_bridge.c ---- */

/* A host whose agent gets commands. */
typedef struct net_host {
	char uuid[NET_UUID];
	char url[NET_URL_MAX];  /* the agent's base URL */
} net_host;

/* An L2 network as its bridges need it. */
typedef struct net_l2 {
	char uuid[NET_UUID];
	char iface[NET_BRIDGE_MAX];
	int vlan;                     /* 0: no VLAN */
	char bridge[NET_BRIDGE_MAX];  /* net_bridge_name */
} net_l2;

/* Called once, on a worker thread: 0 when every bridge was made, or the first failure
 * (st taken by the callee). made[h * nl + l] tells which were made either way. */
typedef void (*net_bridges_fn)(int code, zs_status *st, const bool *made, void *arg);

/* Makes the bridge of every L2 on every host, all at once (the HTTP facility keeps each
 * host to its cap): /network/checkphysicalnetworkinterface, then
 * /network/l2novlan/createbridge or /network/l2vlan/createbridge. Ends by deadline_ms.
 * Any thread; never blocks. With no host or no L2, fn runs at once on this thread. */
void net_bridges_make(zs_node *node, int64_t deadline_ms, const net_host *hosts, size_t nh,
    const net_l2 *l2s, size_t nl, net_bridges_fn fn, void *arg);
/* Deletes the bridges made[] says were made (all when made is NULL), not waiting for the
 * answers: an undo that fails leaves an unused bridge, which is harmless. */
void net_bridges_delete(zs_node *node, const net_host *hosts, size_t nh, const net_l2 *l2s,
    size_t nl, const bool *made);

/* ---- the resource services ---- */

extern const zs_rkit_def net_l2_def, net_l3_def, net_range_def;

/* network_attach.c: the custom methods of zs.network.v1.L2Network. */
void net_attach(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);
void net_detach(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);

/* network_ip.c: AllocateIp and ReleaseIp of zs.network.v1.L3Network; the lanes their
 * calls wait in (made at start, 0 or -1; freed at stop). */
int net_ip_lanes_init(net_state *ns);
void net_ip_lanes_fini(net_state *ns);
void net_ip_allocate(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);
void net_ip_release(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);
void net_ip_release_vm(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);

/* network_range.c: AddIpRangeByNetworkCidr. */
void net_range_by_cidr(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure);

/* Fails call with code, the service's error code (may be NULL) and st as the cause; the
 * message is what, then st's message and its root cause's (the agent's error); takes st. */
void net_fail(zs_call *call, int code, const char *error_code, zs_status *st, const char *what);

#endif
