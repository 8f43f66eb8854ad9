/*
 * net_util.c: the network suite's helpers (see net.h).
 */
#include <curl/curl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"
#include <nng/protocol/pubsub0/sub.h>
#include "zs/kvm/v1/kvm.pb-c.h"
#include "zst_sim.h"

json_t *
net_sim(net_env *e, const char *method, const char *path, const char *body)
{
	return zst_sim_http(e->sim_port, method, NULL, path, body);
}

bool
net_sim_has_bridge(net_env *e, const char *name, const char *bridge)
{
	char path[128];
	snprintf(path, sizeof path, "/sim/hosts/%s", name);
	json_t *o = net_sim(e, "GET", path, NULL);
	json_t *host = json_object_get(o, "host");
	json_t *bridges = json_object_get(host != NULL ? host : o, "bridges");
	bool has = json_object_get(bridges, bridge) != NULL;
	json_decref(o);
	return has;
}

int
net_add_kvm(net_env *e, const char *name, const char *ip, char uuid[INV_UUID])
{
	Zs__Kvm__V1__AddKvmHostRequest req = ZS__KVM__V1__ADD_KVM_HOST_REQUEST__INIT;
	req.cluster_uuid = e->cluster;
	req.name = (char *) name;
	req.management_ip = (char *) ip;
	req.username = "root";
	req.password = "password";
	Zs__Kvm__V1__KvmHostInfo *h = NULL;
	int code = inv_call(&e->t, e->t.admin, "zs.kvm.v1.Kvm/AddKvmHost", &req,
	    &zs__kvm__v1__kvm_host_info__descriptor, &h);
	snprintf(uuid, INV_UUID, "%s", code == 0 ? h->uuid : "");
	zs_reply_free(h);
	return code;
}

int
net_events_open(inv_events *ev, const char *url)
{
	memset(ev, 0, sizeof *ev);
	static const char *const topics[] = { "l2network/", "l3network/", "iprange/" };
	int rv = nng_sub0_open(&ev->sock);
	for (size_t i = 0; rv == 0 && i < sizeof topics / sizeof topics[0]; i++)
		rv = nng_socket_set(ev->sock, NNG_OPT_SUB_SUBSCRIBE, topics[i], strlen(topics[i]));
	if (rv == 0)
		rv = nng_socket_set_ms(ev->sock, NNG_OPT_RECVTIMEO, 200);
	if (rv == 0)
		rv = nng_dial(ev->sock, url, NULL, 0);
	if (rv != 0) {
		nng_close(ev->sock);
		return rv;
	}
	ev->open = true;
	zst_sleep_ms(300);
	return 0;
}

int
net_l2_create(net_env *e, const char *s, const char *zone, const char *name, const char *iface,
    int vlan, char uuid[INV_UUID])
{
	Zs__Network__V1__L2NetworkInfo *info = NULL;
	int code;
	if (vlan < 0) {
		Zs__Network__V1__CreateL2NoVlanNetworkRequest req =
		    ZS__NETWORK__V1__CREATE_L2_NO_VLAN_NETWORK_REQUEST__INIT;
		req.zone_uuid = (char *) zone;
		req.name = (char *) name;
		req.physical_interface = (char *) iface;
		code = inv_call(&e->t, s, "zs.network.v1.L2Network/CreateL2NoVlanNetwork", &req,
		    &zs__network__v1__l2_network_info__descriptor, &info);
	} else {
		Zs__Network__V1__CreateL2VlanNetworkRequest req =
		    ZS__NETWORK__V1__CREATE_L2_VLAN_NETWORK_REQUEST__INIT;
		req.zone_uuid = (char *) zone;
		req.name = (char *) name;
		req.physical_interface = (char *) iface;
		req.vlan = vlan;
		code = inv_call(&e->t, s, "zs.network.v1.L2Network/CreateL2VlanNetwork", &req,
		    &zs__network__v1__l2_network_info__descriptor, &info);
	}
	if (uuid != NULL)
		snprintf(uuid, INV_UUID, "%s", code == 0 ? info->uuid : "");
	zs_reply_free(info);
	return code;
}

int
net_l2_get(net_env *e, const char *uuid, Zs__Network__V1__L2NetworkInfo **out)
{
	Zs__Network__V1__GetL2NetworkRequest req = ZS__NETWORK__V1__GET_L2_NETWORK_REQUEST__INIT;
	req.uuid = (char *) uuid;
	return inv_call(&e->t, e->t.admin, "zs.network.v1.L2Network/GetL2Network", &req,
	    &zs__network__v1__l2_network_info__descriptor, out);
}

int
net_attach(net_env *e, const char *s, const char *l2, const char *cluster, bool attach,
    Zs__Network__V1__L2NetworkAttachment **out)
{
	Zs__Network__V1__AttachL2NetworkToClusterRequest a =
	    ZS__NETWORK__V1__ATTACH_L2_NETWORK_TO_CLUSTER_REQUEST__INIT;
	Zs__Network__V1__DetachL2NetworkFromClusterRequest d =
	    ZS__NETWORK__V1__DETACH_L2_NETWORK_FROM_CLUSTER_REQUEST__INIT;
	a.l2_network_uuid = d.l2_network_uuid = (char *) l2;
	a.cluster_uuid = d.cluster_uuid = (char *) cluster;
	return inv_call(&e->t, s, attach ? "zs.network.v1.L2Network/AttachL2NetworkToCluster" :
	    "zs.network.v1.L2Network/DetachL2NetworkFromCluster", attach ? (void *) &a : (void *) &d,
	    &zs__network__v1__l2_network_attachment__descriptor, out);
}

int
net_l3_create(net_env *e, const char *s, const char *l2, const char *name,
    const char *const *dns, size_t ndns, char uuid[INV_UUID])
{
	Zs__Network__V1__CreateL3NetworkRequest req = ZS__NETWORK__V1__CREATE_L3_NETWORK_REQUEST__INIT;
	req.l2_network_uuid = (char *) l2;
	req.name = (char *) name;
	req.dns = (char **) dns;
	req.n_dns = ndns;
	Zs__Network__V1__L3NetworkInfo *info = NULL;
	int code = inv_call(&e->t, s, "zs.network.v1.L3Network/CreateL3Network", &req,
	    &zs__network__v1__l3_network_info__descriptor, &info);
	if (uuid != NULL)
		snprintf(uuid, INV_UUID, "%s", code == 0 ? info->uuid : "");
	zs_reply_free(info);
	return code;
}

int
net_range_add(net_env *e, const char *s, const char *l3, const char *start, const char *end,
    const char *gw, const char *mask, char uuid[INV_UUID])
{
	Zs__Network__V1__AddIpRangeRequest req = ZS__NETWORK__V1__ADD_IP_RANGE_REQUEST__INIT;
	req.l3_network_uuid = (char *) l3;
	req.name = "r";
	req.start_ip = (char *) start;
	req.end_ip = (char *) end;
	req.gateway = (char *) gw;
	req.netmask = (char *) mask;
	Zs__Network__V1__IpRangeInfo *info = NULL;
	int code = inv_call(&e->t, s, "zs.network.v1.IpRange/AddIpRange", &req,
	    &zs__network__v1__ip_range_info__descriptor, &info);
	if (uuid != NULL)
		snprintf(uuid, INV_UUID, "%s", code == 0 ? info->uuid : "");
	zs_reply_free(info);
	return code;
}

int
net_range_cidr(net_env *e, const char *l3, const char *cidr, Zs__Network__V1__IpRangeInfo **out)
{
	Zs__Network__V1__AddIpRangeByNetworkCidrRequest req =
	    ZS__NETWORK__V1__ADD_IP_RANGE_BY_NETWORK_CIDR_REQUEST__INIT;
	req.l3_network_uuid = (char *) l3;
	req.name = "cidr";
	req.network_cidr = (char *) cidr;
	return inv_call(&e->t, e->t.admin, "zs.network.v1.IpRange/AddIpRangeByNetworkCidr", &req,
	    &zs__network__v1__ip_range_info__descriptor, out);
}

int
net_alloc(net_env *e, const char *l3, const char *ip, char got[32])
{
	Zs__Network__V1__AllocateIpRequest req = ZS__NETWORK__V1__ALLOCATE_IP_REQUEST__INIT;
	req.l3_network_uuid = (char *) l3;
	if (ip != NULL) {
		req._ip_case = ZS__NETWORK__V1__ALLOCATE_IP_REQUEST___IP_IP;
		req.ip = (char *) ip;
	}
	Zs__Network__V1__UsedIpInfo *info = NULL;
	int code = inv_call(&e->t, e->t.admin, "zs.network.v1.L3Network/AllocateIp", &req,
	    &zs__network__v1__used_ip_info__descriptor, &info);
	if (got != NULL)
		snprintf(got, 32, "%s", code == 0 ? info->ip : "");
	zs_reply_free(info);
	return code;
}

int
net_release(net_env *e, const char *l3, const char *ip)
{
	Zs__Network__V1__ReleaseIpRequest req = ZS__NETWORK__V1__RELEASE_IP_REQUEST__INIT;
	req.l3_network_uuid = (char *) l3;
	req.ip = (char *) ip;
	return inv_call(&e->t, e->t.admin, "zs.network.v1.L3Network/ReleaseIp", &req,
	    &zs__network__v1__used_ip_info__descriptor, NULL);
}

PGconn *
net_pg(net_env *e)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/pg/postmaster.pid", e->t.node.data_dir);
	char *text = zst_read_file(path), *lines[6] = { 0 }, *save = NULL;
	int k = 0;
	for (char *l = text ? strtok_r(text, "\n", &save) : NULL; l != NULL && k < 6;
	     l = strtok_r(NULL, "\n", &save))
		lines[k++] = l;
	char conninfo[PATH_MAX + 128];
	if (k < 5) {
		free(text);
		ZST_FAIL("cannot read %s", path);
		return NULL;
	}
	snprintf(conninfo, sizeof conninfo, "host='%s' port=%s user=zsnode dbname=zsnode "
	    "connect_timeout=5", lines[4], lines[3]);
	free(text);
	PGconn *pg = PQconnectdb(conninfo);
	if (PQstatus(pg) != CONNECTION_OK) {
		ZST_FAIL("cannot connect to the node's PostgreSQL: %s", PQerrorMessage(pg));
		PQfinish(pg);
		return NULL;
	}
	return pg;
}

long
net_pg_count(PGconn *pg, const char *sql, const char *param)
{
	const char *p[1] = { param };
	PGresult *r = PQexecParams(pg, sql, param != NULL ? 1 : 0, NULL, p, NULL, NULL, 0);
	long n = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 ?
	    strtol(PQgetvalue(r, 0, 0), NULL, 10) : -1;
	if (n < 0)
		zst_note("%s: %s", sql, PQresultErrorMessage(r));
	PQclear(r);
	return n;
}
