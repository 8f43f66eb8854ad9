/*
 * network_connect.c: the network service's zs.HostConnectExtension (zs/host_ext.h),
 * ZStack's KVMConnectExtensionForL2Network: each time a host connects, it gets the bridge
 * of every L2 network attached to its cluster, before it is marked Connected. A bridge
 * that cannot be made fails the connect, as in ZStack.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network.h"
#include "zs/clock.h"
#include "zs/host_ext.h"

typedef struct net_conn {
	zs_host_connect_done_fn done;
	void *arg;
} net_conn;

static void
conn_bridges_done(int code, zs_status *st, const bool *made, void *arg)
{
	(void) made;
	net_conn *k = arg;
	k->done(code, st, k->arg);
	free(k);
}

static void
network_host_connected(zs_node *node, const zs_host_connect_ctx *ctx,
    zs_host_connect_done_fn done, void *arg)
{
	zs_db *db = zs_node_db(node);
	zs_db_conn *c = NULL;
	zs_status *st = NULL;
	int64_t wait = ctx->deadline_ms - zs_clock_ms();
	int rv = zs_db_acquire(db, wait > 0 ? wait : 1, &c, &st);
	if (rv != 0) {
		done(rv, st, arg);
		return;
	}
	const char *p[1] = { ctx->host_uuid };
	PGresult *r = zs_db_exec(c, "SELECT l.uuid, l.physical_interface, COALESCE(l.vlan, 0) "
	    "FROM zs_resources h JOIN net_l2_cluster_refs a ON a.cluster_uuid = h.parent_uuid "
	    "JOIN net_l2_networks l ON l.uuid = a.l2_network_uuid WHERE h.uuid = $1 "
	    "ORDER BY a.created_at", 1, p, &st);
	zs_db_release(db, c);
	if (r == NULL) {
		done((int) st->code, st, arg);
		return;
	}
	size_t n = (size_t) PQntuples(r);
	net_l2 *l2s = calloc(n + 1, sizeof *l2s);
	net_conn *k = malloc(sizeof *k);
	net_host host;
	memset(&host, 0, sizeof host);
	snprintf(host.uuid, sizeof host.uuid, "%s", ctx->host_uuid);
	snprintf(host.url, sizeof host.url, "%s", ctx->agent_url);
	if (l2s == NULL || k == NULL) {
		PQclear(r);
		free(l2s);
		free(k);
		done(ZS_RESOURCE_EXHAUSTED, zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory"),
		    arg);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(l2s[i].uuid, sizeof l2s[i].uuid, "%s", PQgetvalue(r, (int) i, 0));
		snprintf(l2s[i].iface, sizeof l2s[i].iface, "%s", PQgetvalue(r, (int) i, 1));
		l2s[i].vlan = atoi(PQgetvalue(r, (int) i, 2));
		net_bridge_name(l2s[i].iface, l2s[i].vlan, l2s[i].bridge);
	}
	PQclear(r);
	k->done = done;
	k->arg = arg;
	net_bridges_make(node, ctx->deadline_ms, &host, 1, l2s, n, conn_bridges_done, k);
	free(l2s);
}

ZS_EXPORT const zs_host_connect_ext network_bridges_on_connect = { network_host_connected };
