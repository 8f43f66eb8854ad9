/*
 * net_l2.c: L2 networks: create both kinds and refuse bad ones; attach to a cluster with
 * two connected hosts (both get the bridge in the simulator's state); an attach failing
 * on one host leaves no attachment and takes back the bridge the other host made; a host
 * connected later gets the bridges of its cluster's L2 networks; detach.
 */
#include <stdio.h>
#include <string.h>

#include "net.h"

/* Waits up to ms for host name's bridge to be there (want) or gone. */
static bool
wait_bridge(net_env *e, const char *name, const char *bridge, bool want, int ms)
{
	int64_t until = zst_now_ms() + ms;
	do {
		if (net_sim_has_bridge(e, name, bridge) == want)
			return true;
		zst_sleep_ms(50);
	} while (zst_now_ms() < until);
	return false;
}

void
net_test_l2(net_env *e)
{
	inv *t = &e->t;
	char novlan[INV_UUID], vlan[INV_UUID];
	ZST_REQUIRE(net_l2_create(e, t->admin, e->zone, "public", "eth0", -1, novlan) == 0,
	    "CreateL2NoVlanNetwork on eth0 (%s)", t->msg);
	ZST_REQUIRE(net_l2_create(e, t->admin, e->zone, "vlan100", "eth1", 100, vlan) == 0,
	    "CreateL2VlanNetwork on eth1, VLAN 100 (%s)", t->msg);
	Zs__Network__V1__L2NetworkInfo *info = NULL;
	ZST_CHECK(net_l2_get(e, vlan, &info) == 0 && strcmp(info->type, "L2VlanNetwork") == 0 &&
	    info->vlan == 100 && strcmp(info->physical_interface, "eth1") == 0 &&
	    strcmp(info->zone_uuid, e->zone) == 0, "GetL2Network shows its type, VLAN, interface, zone");
	zs_reply_free(info);
	ZST_CHECK(inv_events_has(&e->ev, "l2network/created", vlan, INV_EVENT_WAIT_MS),
	    "l2network/created went out");

	/* bad ones */
	int code = net_l2_create(e, t->admin, e->zone, "v0", "eth1", 0, NULL);
	ZST_CHECK(code == INV_INVALID_ARGUMENT && strstr(t->msg, "vlan") != NULL,
	    "VLAN 0: INVALID_ARGUMENT (%s)", t->msg);
	code = net_l2_create(e, t->admin, e->zone, "v4095", "eth1", 4095, NULL);
	ZST_CHECK(code == INV_INVALID_ARGUMENT, "VLAN 4095: INVALID_ARGUMENT (%s)", t->msg);
	code = net_l2_create(e, t->admin, e->zone, "sp", "eth 0", -1, NULL);
	ZST_CHECK(code == INV_INVALID_ARGUMENT && strstr(t->msg, "physical_interface") != NULL,
	    "an interface name with a space: INVALID_ARGUMENT naming physical_interface (%s)", t->msg);
	code = net_l2_create(e, t->admin, e->zone, "again", "eth0", -1, NULL);
	ZST_CHECK(code == INV_ALREADY_EXISTS && strcmp(t->error_code, "NETWORK.1002") == 0,
	    "a second L2 on eth0 without VLAN in the zone: ALREADY_EXISTS, NETWORK.1002 (%s)", t->msg);
	code = net_l2_create(e, t->admin, "00000000-0000-4000-8000-00000000dead", "x", "eth2", -1, NULL);
	ZST_CHECK(code == INV_NOT_FOUND, "an unknown zone: NOT_FOUND (%s)", t->msg);

	/* attach: both hosts get br_eth0 */
	Zs__Network__V1__L2NetworkAttachment *att = NULL;
	code = net_attach(e, t->admin, novlan, e->cluster, true, &att);
	ZST_REQUIRE(code == 0, "AttachL2NetworkToCluster eth0 (%s)", t->msg);
	ZST_CHECK(strcmp(att->bridge_name, "br_eth0") == 0 && att->n_host_uuids == 2,
	    "the answer names bridge br_eth0 on 2 hosts (%s, %zu)", att->bridge_name, att->n_host_uuids);
	zs_reply_free(att);
	ZST_CHECK(net_sim_has_bridge(e, "n1", "br_eth0") && net_sim_has_bridge(e, "n2", "br_eth0"),
	    "n1 and n2 have br_eth0 in the simulator");
	ZST_CHECK(net_l2_get(e, novlan, &info) == 0 && info->n_attached_cluster_uuids == 1 &&
	    strcmp(info->attached_cluster_uuids[0], e->cluster) == 0,
	    "GetL2Network lists the cluster it is attached to");
	zs_reply_free(info);
	ZST_CHECK(inv_events_has(&e->ev, "l2network/attached", novlan, INV_EVENT_WAIT_MS),
	    "l2network/attached went out");
	code = net_attach(e, t->admin, novlan, e->cluster, true, NULL);
	ZST_CHECK(code == INV_ALREADY_EXISTS && strcmp(t->error_code, "NETWORK.1002") == 0,
	    "attaching again: ALREADY_EXISTS, NETWORK.1002 (%s)", t->msg);

	/* a host failing: no attachment, and the other host's bridge is taken back */
	json_decref(net_sim(e, "POST", "/sim/faults", "{\"host\":\"n2\",\"path\":"
	    "\"/network/l2vlan/createbridge\",\"action\":\"fail\",\"error\":\"eth1: no such device\"}"));
	code = net_attach(e, t->admin, vlan, e->cluster, true, NULL);
	ZST_CHECK(code != 0 && strcmp(t->error_code, "NETWORK.1003") == 0 &&
	    strstr(t->msg, "no such device") != NULL && strstr(t->msg, e->hosts[1]) != NULL &&
	    strstr(t->msg, "br_eth1_100") != NULL,
	    "attaching VLAN 100 with n2 failing createbridge fails, NETWORK.1003, naming n2, the "
	    "bridge and the agent's error (%s)", t->msg);
	ZST_CHECK(net_l2_get(e, vlan, &info) == 0 && info->n_attached_cluster_uuids == 0,
	    "the VLAN L2 is attached to no cluster");
	zs_reply_free(info);
	ZST_CHECK(wait_bridge(e, "n1", "br_eth1_100", false, 5000) &&
	    !net_sim_has_bridge(e, "n2", "br_eth1_100"),
	    "and neither host is left with br_eth1_100 (n1's was deleted again)");
	json_decref(net_sim(e, "DELETE", "/sim/faults", NULL));
	code = net_attach(e, t->admin, vlan, e->cluster, true, &att);
	ZST_CHECK(code == 0 && net_sim_has_bridge(e, "n1", "br_eth1_100") &&
	    net_sim_has_bridge(e, "n2", "br_eth1_100"),
	    "with the fault gone the attach works and both hosts have br_eth1_100 (%s)", t->msg);
	zs_reply_free(att);

	/* a host connected later gets its cluster's bridges */
	code = net_add_kvm(e, "n3", "127.0.1.23", e->hosts[2]);
	ZST_CHECK(code == 0 && net_sim_has_bridge(e, "n3", "br_eth0") &&
	    net_sim_has_bridge(e, "n3", "br_eth1_100"),
	    "n3 added to the cluster afterwards has br_eth0 and br_eth1_100 once connected (%s)",
	    t->msg);

	/* detach */
	code = net_attach(e, t->admin, vlan, e->cluster, false, NULL);
	ZST_CHECK(code == 0 && net_l2_get(e, vlan, &info) == 0 && info->n_attached_cluster_uuids == 0,
	    "DetachL2NetworkFromCluster (%s)", t->msg);
	zs_reply_free(info);
	ZST_CHECK(inv_events_has(&e->ev, "l2network/detached", vlan, INV_EVENT_WAIT_MS),
	    "l2network/detached went out");
	code = net_attach(e, t->admin, vlan, e->cluster, false, NULL);
	ZST_CHECK(code == INV_NOT_FOUND && strcmp(t->error_code, "NETWORK.1008") == 0,
	    "detaching again: NOT_FOUND, NETWORK.1008 (%s)", t->msg);
	/* a cluster of another zone */
	char z2[INV_UUID], c2[INV_UUID];
	if (inv_zone_create(t, t->admin, "z2", z2) == 0 &&
	    inv_cluster_create(t, t->admin, z2, "c2", "KVM", c2) == 0) {
		code = net_attach(e, t->admin, novlan, c2, true, NULL);
		ZST_CHECK(code == INV_INVALID_ARGUMENT && strstr(t->msg, "zone") != NULL,
		    "attaching to a cluster of another zone: INVALID_ARGUMENT (%s)", t->msg);
		(void) inv_zone_delete(t, t->admin, z2, NULL);
	}
}
