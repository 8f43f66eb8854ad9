/*
 * net_query.c: QueryL2Network, QueryL3Network, QueryIpRange and QueryUsedIp (ZStack's
 * query API) over the suite's networks and an L3 network made here on the VLAN 100 L2:
 * own fields, dot paths (an L3's l2_network.vlan, ip_ranges.start_ip, used_ips.ip; an
 * L2's clusters and L3 networks; a range's and an address's L3 network), counts, an
 * unknown field answered with the valid ones, and a second account refused on each.
 */
#include <stdio.h>
#include <string.h>

#include "inv_query.h"
#include "net.h"

#define NQ(svc, x, d) "zs.network.v1." svc "/Query" x, &zs__network__v1__query_##d##_response__descriptor
#define QL2 NQ("L2Network", "L2Network", l2_network)
#define QL3 NQ("L3Network", "L3Network", l3_network)
#define QRANGE NQ("IpRange", "IpRange", ip_range)
#define QUSED NQ("L3Network", "UsedIp", used_ip)

static void
check_l2(net_env *e, char vlan[INV_UUID])
{
	inv *t = &e->t;
	invq r = inv_q(t, t->admin, QL2, 0, "vlan", "=", "100", NULL);
	ZST_CHECK(r.code == 0 && r.n == 1, "QueryL2Network vlan=100: the VLAN 100 L2 only (%zu; %s)",
	    r.n, t->msg);
	snprintf(vlan, INV_UUID, "%s", r.n == 1 ? r.uuids[0] : "");
	r = inv_q(t, t->admin, QL2, 0, "name", "=", "public", "clusters.uuid", "=", e->cluster, NULL);
	ZST_CHECK(r.code == 0 && r.n == 1, "name=public clusters.uuid=the cluster: attached, found "
	    "(%s)", t->msg);
	r = inv_q(t, t->admin, QL2, 0, "clusters.name", "=", "c", "vlan", "is not null", "", NULL);
	ZST_CHECK(r.code == 0 && r.n == 0, "clusters.name=c with a VLAN: none, the VLAN L2 was "
	    "detached (%zu; %s)", r.n, t->msg);
	r = inv_q(t, t->admin, QL2, 0, "l3_networks.name", "=", "l3b", NULL);
	ZST_CHECK(r.code == 0 && r.n == 1, "l3_networks.name=l3b: its L2, guest (%s)", t->msg);
	r = inv_q(t, t->admin, QL2, INVQ_COUNT, "type", "=", "l2vlannetwork", NULL);
	ZST_CHECK(r.code == 0 && r.n == 0 && r.total == 1, "count type=l2vlannetwork (any case): 1, "
	    "no rows (%llu; %s)", (unsigned long long) r.total, t->msg);
	r = inv_q(t, t->admin, QL2, 0, "colour", "=", "red", NULL);
	ZST_CHECK(r.code == INV_INVALID_ARGUMENT && strstr(t->msg, "clusters.uuid") &&
	    strstr(t->msg, "l3_networks.name") && strstr(t->msg, "physical_interface"),
	    "QueryL2Network on an unknown field: INVALID_ARGUMENT listing the valid ones (%s)", t->msg);
	r = inv_q(t, t->admin, QL2, 0, "vlan", "=", "hundred", NULL);
	ZST_CHECK(r.code == INV_INVALID_ARGUMENT, "vlan=hundred: not an integer (%s)", t->msg);
}

static void
check_l3(net_env *e, const char *l3)
{
	inv *t = &e->t;
	invq r = inv_q(t, t->admin, QL3, 0, "l2_network.vlan", "=", "100", NULL);
	ZST_CHECK(r.code == 0 && r.n == 1 && strcmp(r.uuids[0], l3) == 0,
	    "QueryL3Network l2_network.vlan=100: the L3 on the VLAN L2 only (%zu; %s)", r.n, t->msg);
	r = inv_q(t, t->admin, QL3, 0, "ip_ranges.start_ip", "=", "172.16.5.10", NULL);
	ZST_CHECK(r.code == 0 && r.n == 1 && strcmp(r.uuids[0], l3) == 0,
	    "ip_ranges.start_ip=172.16.5.10: that L3 (%s)", t->msg);
	r = inv_q(t, t->admin, QL3, 0, "used_ips.ip", "=", "172.16.5.15", "zone.name", "=", "z", NULL);
	ZST_CHECK(r.code == 0 && r.n == 1 && strcmp(r.uuids[0], l3) == 0,
	    "used_ips.ip=172.16.5.15 zone.name=z: that L3 (%s)", t->msg);
	r = inv_q(t, t->admin, QL3, INVQ_WITH_COUNT, "category", "=", "private", "l2_network.name",
	    "=", "guest", NULL);
	ZST_CHECK(r.code == 0 && r.n >= 3 && r.total == r.n && !invq_has(&r, l3),
	    "replyWithCount category=private l2_network.name=guest: the guest L3s and their number "
	    "(%zu, %llu; %s)", r.n, (unsigned long long) r.total, t->msg);
	r = inv_q(t, t->admin, QL3, 0, "colour", "=", "red", NULL);
	ZST_CHECK(r.code == INV_INVALID_ARGUMENT && strstr(t->msg, "l2_network.vlan") &&
	    strstr(t->msg, "used_ips.ip"),
	    "QueryL3Network on an unknown field: INVALID_ARGUMENT listing the valid ones (%s)", t->msg);
}

static void
check_ranges_ips(net_env *e, const char *range)
{
	inv *t = &e->t;
	invq r = inv_q(t, t->admin, QRANGE, 0, "l3_network.name", "=", "onvlan", NULL);
	ZST_CHECK(r.code == 0 && r.n == 1 && strcmp(r.uuids[0], range) == 0,
	    "QueryIpRange l3_network.name=onvlan: its range (%s)", t->msg);
	r = inv_q(t, t->admin, QRANGE, 0, "size", "=", "11", "used_ips.ip", "=", "172.16.5.15", NULL);
	ZST_CHECK(r.code == 0 && r.n == 1 && strcmp(r.uuids[0], range) == 0,
	    "size=11 (computed as Get answers it) used_ips.ip=172.16.5.15: that range (%s)", t->msg);
	r = inv_q(t, t->admin, QRANGE, INVQ_COUNT, "network_cidr", "=", "10.20.0.0/22", NULL);
	ZST_CHECK(r.code == 0 && r.total == 1, "count network_cidr=10.20.0.0/22: 1 (%llu; %s)",
	    (unsigned long long) r.total, t->msg);
	r = inv_q(t, t->admin, QRANGE, 0, "colour", "=", "red", NULL);
	ZST_CHECK(r.code == INV_INVALID_ARGUMENT && strstr(t->msg, "l3_network.name") &&
	    strstr(t->msg, "start_ip"), "QueryIpRange on an unknown field: INVALID_ARGUMENT listing "
	    "the valid ones (%s)", t->msg);

	r = inv_q(t, t->admin, QUSED, 0, "l3_network.name", "=", "onvlan", "gateway", "=",
	    "172.16.5.1", NULL);
	ZST_CHECK(r.code == 0 && r.n == 1, "QueryUsedIp l3_network.name=onvlan gateway=172.16.5.1 "
	    "(its range's): the one address (%zu; %s)", r.n, t->msg);
	r = inv_q(t, t->admin, QUSED, INVQ_WITH_COUNT, "ip", "=", "172.16.5.15", "ip_range_uuid", "=",
	    range, NULL);
	ZST_CHECK(r.code == 0 && r.n == 1 && r.total == 1, "replyWithCount ip=172.16.5.15 in that "
	    "range: 1 row, total 1 (%s)", t->msg);
	r = inv_q(t, t->admin, QUSED, INVQ_COUNT, "ip", "like", "192.168.10.%", NULL);
	ZST_CHECK(r.code == 0 && r.n == 0 && r.total >= 1, "count ip like 192.168.10.%%: the "
	    "addresses given out of l3 (%llu; %s)", (unsigned long long) r.total, t->msg);
	r = inv_q(t, t->admin, QUSED, 0, "colour", "=", "red", NULL);
	ZST_CHECK(r.code == INV_INVALID_ARGUMENT && strstr(t->msg, "l3_network.name") &&
	    strstr(t->msg, "netmask"), "QueryUsedIp on an unknown field: INVALID_ARGUMENT listing "
	    "the valid ones (%s)", t->msg);
}

void
net_test_query(net_env *e)
{
	inv *t = &e->t;
	char vlan[INV_UUID], l3[INV_UUID], range[INV_UUID];
	check_l2(e, vlan);
	if (!ZST_CHECK(vlan[0] != '\0' && net_l3_create(e, t->admin, vlan, "onvlan", NULL, 0, l3) == 0 &&
	    net_range_add(e, t->admin, l3, "172.16.5.10", "172.16.5.20", "172.16.5.1",
	    "255.255.255.0", range) == 0 && net_alloc(e, l3, "172.16.5.15", NULL) == 0,
	    "an L3 onvlan on the VLAN L2 with a range and 172.16.5.15 given out (%s)", t->msg))
		return;
	check_l3(e, l3);
	check_ranges_ips(e, range);
	static const char *const methods[] = {
		"zs.network.v1.L2Network/QueryL2Network", "zs.network.v1.L3Network/QueryL3Network",
		"zs.network.v1.IpRange/QueryIpRange", "zs.network.v1.L3Network/QueryUsedIp",
	};
	int refused = 0;
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
		invq r = inv_q(t, e->user, methods[i], &zs__network__v1__query_used_ip_response__descriptor,
		    INVQ_COUNT, "uuid", "is not null", "", NULL);
		if (r.code == INV_PERMISSION_DENIED && strcmp(t->error_code, "NETWORK.1001") == 0)
			refused++;
		else
			zst_note("%s as a normal account: %s", methods[i], t->msg);
	}
	ZST_CHECK(refused == 4, "a second account is refused (PERMISSION_DENIED, NETWORK.1001) on "
	    "all 4 Query calls (%d)", refused);
}
