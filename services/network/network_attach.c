/*
 * network_attach.c: AttachL2NetworkToCluster and DetachL2NetworkFromCluster.
 *
 * Attaching checks the L2 and the cluster (of the L2's zone, not yet attached), asks the
 * host service for the cluster's hosts (over the bus, as the caller), makes the bridge
 * on every Connected one (network_bridge.c), and only when all of them made it writes
 * the attachment with l2network/attached in one transaction. When a host fails, the
 * bridges made on the others are deleted again (not waited for: one left behind is
 * unused and harmless) and the call fails with NETWORK.1003 naming the host and the
 * agent's error: no attachment is written. Hosts connected later get their bridges
 * through zs.HostConnectExtension (network_connect.c).
 *
 * Detaching removes the attachment with l2network/detached; the bridges stay on the
 * hosts, as ZStack leaves them (nothing uses them once no VM does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network.h"
#include "zs/check.h"
#include "zs/clock.h"
#include "zs/host/v1/host.zsb.h"
#include "zs/work.h"

/* One attach on its way. */
typedef struct net_att {
	zs_call *call;
	ProtobufCClosure closure;
	net_state *ns;
	char l2_uuid[NET_UUID], cluster_uuid[NET_UUID];
	net_l2 l2;
	net_host *hosts;
	size_t nh;
	bool *made;            /* copied from the bridge job */
	Zs__Host__V1__ListHostsRequest list;
	int code;
	zs_status *st;
} net_att;

static void
att_free(net_att *a)
{
	free(a->hosts);
	free(a->made);
	zs_status_free(a->st);
	free(a);
}

/* Writes the attachment row and its event (or removes it) in one transaction. */
static int
att_store(zs_db_conn *c, const zs_call *call, bool attach, const char *l2_uuid,
    const char *cluster_uuid, const Zs__Network__V1__L2NetworkAttachment *body, zs_status **st)
{
	const char *p[2] = { l2_uuid, cluster_uuid };
	int rv = zs_db_begin(c, st);
	if (rv != 0)
		return rv;
	PGresult *r = zs_db_exec(c, attach ?
	    "INSERT INTO net_l2_cluster_refs (l2_network_uuid, cluster_uuid) VALUES ($1, $2)" :
	    "DELETE FROM net_l2_cluster_refs WHERE l2_network_uuid = $1 AND cluster_uuid = $2", 2, p, st);
	rv = r != NULL ? 0 : (int) (*st)->code;
	if (rv == 0 && !attach && atoi(PQcmdTuples(r)) == 0) {
		zs_status_free(*st);
		*st = zs_status_new(ZS_NOT_FOUND, "NETWORK.1008", "L2 network %s is not attached to "
		    "cluster %s", l2_uuid, cluster_uuid);
		rv = ZS_NOT_FOUND;
	}
	PQclear(r);
	if (rv == ZS_ALREADY_EXISTS) {
		zs_status_free(*st);
		*st = zs_status_new(ZS_ALREADY_EXISTS, "NETWORK.1002", "L2 network %s is already "
		    "attached to cluster %s", l2_uuid, cluster_uuid);
	}
	if (rv == 0)
		rv = zs_resource_publish(c, call, attach ? "l2network/attached" : "l2network/detached",
		    l2_uuid, NULL, &body->base, st);
	return zs_db_end(c, rv, st);
}

/* Checks what an attach or detach names and reads the L2 into *l2 (may be NULL). 0, or the
 * code the call was failed with. */
static int
att_load(zs_call *call, const char *l2_uuid, const char *cluster_uuid, bool attach, net_l2 *l2)
{
	if (zs_check_uuid(call, "l2_network_uuid", l2_uuid) != 0 ||
	    zs_check_uuid(call, "cluster_uuid", cluster_uuid) != 0)
		return ZS_INVALID_ARGUMENT;
	zs_db *db = zs_node_db(zs_call_node(call));
	zs_db_conn *c;
	int rv = zs_db_acquire_for(db, call, &c);
	if (rv != 0)
		return rv;
	zs_status *st = NULL;
	PGresult *row = NULL;
	const char *p[2] = { l2_uuid, cluster_uuid };
	rv = zs_resource_check(c, call, l2_uuid, "L2Network", NULL, 0, &st);
	if (rv == ZS_NOT_FOUND) {
		zs_status_free(st);
		st = zs_status_new(rv, NULL, "l2_network_uuid: no L2 network with uuid %s", l2_uuid);
	}
	if (rv == 0 && (rv = zs_resource_check(c, call, cluster_uuid, "Cluster", NULL, 0, &st)) ==
	    ZS_NOT_FOUND) {
		zs_status_free(st);
		st = zs_status_new(rv, NULL, "cluster_uuid: no cluster with uuid %s", cluster_uuid);
	}
	if (rv == 0)
		rv = zs_db_exec_one(c, "SELECT l.zone_uuid, l.physical_interface, COALESCE(l.vlan, 0), "
		    "c.parent_uuid, EXISTS (SELECT 1 FROM net_l2_cluster_refs r WHERE "
		    "r.l2_network_uuid = l.uuid AND r.cluster_uuid = c.uuid) FROM net_l2_networks l, "
		    "zs_resources c WHERE l.uuid = $1 AND c.uuid = $2", 2, p, "L2 network", l2_uuid,
		    &row, &st);
	zs_db_release(db, c);
	if (rv != 0) {
		zs_rkit_fail(call, st);
		PQclear(row);
		return rv;
	}
	const char *zone = PQgetvalue(row, 0, 0), *czone = PQgetvalue(row, 0, 3);
	bool attached = PQgetvalue(row, 0, 4)[0] == 't';
	if (attach && strcmp(zone, czone) != 0) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "cluster %s is in zone %s, not in zone %s "
		    "of L2 network %s", cluster_uuid, czone, zone, l2_uuid);
		rv = ZS_INVALID_ARGUMENT;
	} else if (attach && attached) {
		zs_call_fail(call, ZS_ALREADY_EXISTS, "NETWORK.1002", "L2 network %s is already "
		    "attached to cluster %s", l2_uuid, cluster_uuid);
		rv = ZS_ALREADY_EXISTS;
	} else if (!attach && !attached) {
		zs_call_fail(call, ZS_NOT_FOUND, "NETWORK.1008", "L2 network %s is not attached to "
		    "cluster %s", l2_uuid, cluster_uuid);
		rv = ZS_NOT_FOUND;
	}
	if (rv == 0 && l2 != NULL) {
		snprintf(l2->uuid, sizeof l2->uuid, "%s", l2_uuid);
		snprintf(l2->iface, sizeof l2->iface, "%s", PQgetvalue(row, 0, 1));
		l2->vlan = atoi(PQgetvalue(row, 0, 2));
		net_bridge_name(l2->iface, l2->vlan, l2->bridge);
	}
	PQclear(row);
	return rv;
}

/* On a worker: the attachment is written, or the bridges undone; the call answered. */
static void
att_finish(void *arg)
{
	net_att *a = arg;
	Zs__Network__V1__L2NetworkAttachment out = ZS__NETWORK__V1__L2_NETWORK_ATTACHMENT__INIT;
	char **ids = calloc(a->nh + 1, sizeof *ids);
	out.l2_network_uuid = a->l2_uuid;
	out.cluster_uuid = a->cluster_uuid;
	out.bridge_name = a->l2.bridge;
	for (size_t i = 0; ids != NULL && i < a->nh; i++)
		ids[i] = a->hosts[i].uuid;
	out.host_uuids = ids;
	out.n_host_uuids = ids != NULL ? a->nh : 0;
	if (a->code == 0) {
		zs_db *db = zs_node_db(a->ns->node);
		zs_db_conn *c = NULL;
		if (zs_db_acquire_for(db, a->call, &c) != 0) {
			net_bridges_delete(a->ns->node, a->hosts, a->nh, &a->l2, 1, a->made);
			free(ids);
			att_free(a);
			return;
		}
		a->code = att_store(c, a->call, true, a->l2_uuid, a->cluster_uuid, &out, &a->st);
		zs_db_release(db, c);
		/* ALREADY_EXISTS: an attach that ran at once won; the bridges are its too */
		if (a->code != 0 && a->code != ZS_ALREADY_EXISTS)
			net_bridges_delete(a->ns->node, a->hosts, a->nh, &a->l2, 1, a->made);
		if (a->code != 0) {
			zs_rkit_fail(a->call, a->st);
			a->st = NULL;
		} else {
			a->closure(&out.base, a->call);
		}
	} else {
		net_bridges_delete(a->ns->node, a->hosts, a->nh, &a->l2, 1, a->made);
		char what[512];
		snprintf(what, sizeof what, "L2 network %s was not attached to cluster %s: a host "
		    "could not make bridge %s", a->l2_uuid, a->cluster_uuid, a->l2.bridge);
		net_fail(a->call, a->code, "NETWORK.1003", a->st, what);
		a->st = NULL;
	}
	free(ids);
	att_free(a);
}

static void
att_bridges_done(int code, zs_status *st, const bool *made, void *arg)
{
	net_att *a = arg;
	a->code = code;
	a->st = st;
	if (made != NULL && a->nh > 0 && (a->made = malloc(a->nh)) != NULL)
		memcpy(a->made, made, a->nh);
	att_finish(a);   /* already on a worker (or on the bus callback's, with no host) */
}

static void
att_hosts_done(int code, const zs_status *status, const Zs__Host__V1__ListHostsResponse *reply,
    void *arg)
{
	net_att *a = arg;
	if (code != 0) {
		zs_call_fail_cause(a->call, code, NULL, status, "cannot list the hosts of cluster %s",
		    a->cluster_uuid);
		att_free(a);
		return;
	}
	a->hosts = calloc(reply->n_hosts + 1, sizeof *a->hosts);
	if (a->hosts == NULL) {
		zs_call_fail(a->call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		att_free(a);
		return;
	}
	for (size_t i = 0; i < reply->n_hosts; i++) {
		const Zs__Host__V1__HostInfo *h = reply->hosts[i];
		if (strcmp(h->status, "Connected") != 0)
			continue;   /* it gets its bridges when it connects */
		net_host *t = &a->hosts[a->nh];
		snprintf(t->uuid, sizeof t->uuid, "%s", h->uuid);
		if (net_agent_url(a->ns, h->management_ip, t->url, sizeof t->url) == 0)
			a->nh++;
	}
	net_bridges_make(a->ns->node, zs_call_deadline_ms(a->call), a->hosts, a->nh, &a->l2, 1,
	    att_bridges_done, a);
}

void
net_attach(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure)
{
	const Zs__Network__V1__AttachL2NetworkToClusterRequest *r =
	    (const Zs__Network__V1__AttachL2NetworkToClusterRequest *) in;
	net_att *a = calloc(1, sizeof *a);
	if (a == NULL) {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	a->call = call;
	a->closure = closure;
	a->ns = zs_call_service_data(call);
	if (att_load(call, r->l2_network_uuid, r->cluster_uuid, true, &a->l2) != 0) {
		att_free(a);
		return;
	}
	snprintf(a->l2_uuid, sizeof a->l2_uuid, "%s", r->l2_network_uuid);
	snprintf(a->cluster_uuid, sizeof a->cluster_uuid, "%s", r->cluster_uuid);
	zs__host__v1__list_hosts_request__init(&a->list);
	a->list.cluster_uuid = a->cluster_uuid;
	zs_host_v1_host_list_hosts_bus(zs_node_bus(zs_call_node(call)), call, &a->list,
	    att_hosts_done, a);
}

void
net_detach(zs_call *call, const ProtobufCMessage *in, ProtobufCClosure closure)
{
	const Zs__Network__V1__DetachL2NetworkFromClusterRequest *r =
	    (const Zs__Network__V1__DetachL2NetworkFromClusterRequest *) in;
	net_l2 l2;
	if (att_load(call, r->l2_network_uuid, r->cluster_uuid, false, &l2) != 0)
		return;
	Zs__Network__V1__L2NetworkAttachment out = ZS__NETWORK__V1__L2_NETWORK_ATTACHMENT__INIT;
	out.l2_network_uuid = r->l2_network_uuid;
	out.cluster_uuid = r->cluster_uuid;
	out.bridge_name = l2.bridge;
	zs_db *db = zs_node_db(zs_call_node(call));
	zs_db_conn *c;
	if (zs_db_acquire_for(db, call, &c) != 0)
		return;
	zs_status *st = NULL;
	int rv = att_store(c, call, false, r->l2_network_uuid, r->cluster_uuid, &out, &st);
	zs_db_release(db, c);
	if (rv != 0)
		zs_rkit_fail(call, st);
	else
		closure(&out.base, call);
}
