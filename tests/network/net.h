/*
 * net.h: what the network suite's files share: the simulator (plain HTTP to zs-kvmsim),
 * short helpers for the network API on top of the inventory suite's (inv.h), the node's
 * own PostgreSQL for what no API shows (used addresses left after a cascade), and the
 * groups of checks (net_l2.c: L2 networks and bridges; net_l3.c: L3 networks, ranges,
 * allocation; net_query.c: the Query calls).
 */
#ifndef NET_H
#define NET_H

#include <jansson.h>
#include <libpq-fe.h>

#include "inv.h"
#include "zs/network/v1/network.pb-c.h"

enum {
	NET_FAILED_PRECONDITION = 9,
	NET_RESOURCE_EXHAUSTED = 8,
};

/* A running node with a simulator, a zone and a KVM cluster with connected hosts. */
typedef struct net_env {
	inv t;
	int sim_port;
	char zone[INV_UUID], cluster[INV_UUID];
	char hosts[3][INV_UUID];      /* n1, n2 (connected at start), n3 (added later) */
	char user[INV_SESSION];       /* a second, normal account */
	inv_events ev;                /* l2network/, l3network/, iprange/ */
} net_env;

/* ---- net_util.c ---- */

/* method path on the simulator: its JSON answer, or NULL. */
json_t *net_sim(net_env *e, const char *method, const char *path, const char *body);
/* The simulated host name has a bridge called bridge (GET /sim/hosts/NAME). */
bool net_sim_has_bridge(net_env *e, const char *name, const char *bridge);
/* AddKvmHost: the code; its uuid to uuid. */
int net_add_kvm(net_env *e, const char *name, const char *ip, char uuid[INV_UUID]);
/* Subscribes to the network topics. */
int net_events_open(inv_events *ev, const char *url);

int net_l2_create(net_env *e, const char *s, const char *zone, const char *name,
    const char *iface, int vlan, char uuid[INV_UUID]);
int net_l2_get(net_env *e, const char *uuid, Zs__Network__V1__L2NetworkInfo **out);
int net_attach(net_env *e, const char *s, const char *l2, const char *cluster, bool attach,
    Zs__Network__V1__L2NetworkAttachment **out);
int net_l3_create(net_env *e, const char *s, const char *l2, const char *name,
    const char *const *dns, size_t ndns, char uuid[INV_UUID]);
int net_range_add(net_env *e, const char *s, const char *l3, const char *start,
    const char *end, const char *gw, const char *mask, char uuid[INV_UUID]);
int net_range_cidr(net_env *e, const char *l3, const char *cidr,
    Zs__Network__V1__IpRangeInfo **out);
/* AllocateIp (ip NULL: any); the address to got (may be NULL). */
int net_alloc(net_env *e, const char *l3, const char *ip, char got[32]);
int net_release(net_env *e, const char *l3, const char *ip);

/* The node's PostgreSQL, or NULL after a failed check; one integer of sql, or -1. */
PGconn *net_pg(net_env *e);
long net_pg_count(PGconn *pg, const char *sql, const char *param);

/* ---- the groups ---- */
void net_test_l2(net_env *e);
void net_test_l3(net_env *e);
/* net_query.c: the four Query calls, after the L2 and L3 checks. */
void net_test_query(net_env *e);

#endif
