/*
 * network_test.c: the network service end to end: a zsnode with the built plugins and a
 * zs-kvmsim whose hosts listen on 127.0.1.21..23 (loopback only; the L3 networks' ranges
 * are guest addresses, never dialled). A zone, a KVM cluster with two connected hosts;
 * then the L2 checks (net_l2.c), the L3, range and allocation checks (net_l3.c), the Query
 * calls (net_query.c), a second account refused on every method with nothing changed, and
 * the zone's deletion taking every network, range and used address with it.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "net.h"
#include "zst_sim.h"

/* Every method of the service, for the second account. */
static const char *const net_methods[] = {
	"zs.network.v1.L2Network/CreateL2NoVlanNetwork", "zs.network.v1.L2Network/GetL2Network",
	"zs.network.v1.L2Network/ListL2Networks", "zs.network.v1.L2Network/UpdateL2Network",
	"zs.network.v1.L2Network/DeleteL2Network", "zs.network.v1.L2Network/CreateL2VlanNetwork",
	"zs.network.v1.L2Network/AttachL2NetworkToCluster",
	"zs.network.v1.L2Network/DetachL2NetworkFromCluster",
	"zs.network.v1.L3Network/CreateL3Network", "zs.network.v1.L3Network/GetL3Network",
	"zs.network.v1.L3Network/ListL3Networks", "zs.network.v1.L3Network/UpdateL3Network",
	"zs.network.v1.L3Network/DeleteL3Network", "zs.network.v1.L3Network/AllocateIp",
	"zs.network.v1.L3Network/ReleaseIp", "zs.network.v1.IpRange/AddIpRange",
	"zs.network.v1.IpRange/GetIpRange", "zs.network.v1.IpRange/ListIpRanges",
	"zs.network.v1.IpRange/UpdateIpRange", "zs.network.v1.IpRange/DeleteIpRange",
	"zs.network.v1.IpRange/AddIpRangeByNetworkCidr",
};

/* What the second account would change, and a snapshot of the database to compare. */
static long
net_rows(PGconn *pg)
{
	return net_pg_count(pg, "SELECT (SELECT count(*) FROM net_l2_networks) * 1000000 + "
	    "(SELECT count(*) FROM net_l3_networks) * 10000 + (SELECT count(*) FROM net_ip_ranges) "
	    "* 100 + (SELECT count(*) FROM net_l2_cluster_refs) + (SELECT count(*) FROM net_used_ips) "
	    "* 100000000", NULL);
}

static void
net_test_accounts(net_env *e, PGconn *pg)
{
	char l2[INV_UUID];
	ZST_REQUIRE(net_l2_create(e, e->t.admin, e->zone, "acct-l2", "eth5", -1, l2) == 0,
	    "an L2 for the account checks (%s)", e->t.msg);
	long before = net_rows(pg);
	int refused = 0;
	for (size_t i = 0; i < sizeof net_methods / sizeof net_methods[0]; i++) {
		/* a body naming the admin's L2 in its first field (a string in every request) */
		Zs__Network__V1__GetL2NetworkRequest get = ZS__NETWORK__V1__GET_L2_NETWORK_REQUEST__INIT;
		get.uuid = l2;
		int code = inv_call(&e->t, e->user, net_methods[i], &get,
		    &zs__network__v1__l2_network_info__descriptor, NULL);
		if (code == INV_PERMISSION_DENIED && strcmp(e->t.error_code, "NETWORK.1001") == 0)
			refused++;
		else
			ZST_FAIL("%s as a normal account: %s (%s), not PERMISSION_DENIED NETWORK.1001",
			    net_methods[i], e->t.msg, e->t.error_code);
	}
	ZST_CHECK(refused == (int) (sizeof net_methods / sizeof net_methods[0]),
	    "a second account is refused PERMISSION_DENIED (NETWORK.1001) on all %d methods",
	    refused);
	/* with real requests too: a create and an allocation */
	int code = net_l2_create(e, e->user, e->zone, "mine", "eth6", -1, NULL);
	ZST_CHECK(code == INV_PERMISSION_DENIED, "CreateL2NoVlanNetwork as it: PERMISSION_DENIED (%s)",
	    e->t.msg);
	ZST_CHECK(net_rows(pg) == before, "and nothing changed in the service's tables");
}

int
main(int argc, char **argv)
{
	if (zst_init(argc, argv, "network", 200) != 0 || argc < 4)
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	static net_env env;
	net_env *e = &env;
	e->sim_port = zst_sim_start(argv[3]);
	json_decref(net_sim(e, "POST", "/sim/hosts", "{\"hosts\":[{\"name\":\"n1\",\"ip\":\"127.0.1.21\"},"
	    "{\"name\":\"n2\",\"ip\":\"127.0.1.22\"},{\"name\":\"n3\",\"ip\":\"127.0.1.23\"}]}"));
	char port[64];
	snprintf(port, sizeof port, "KvmAgent.port=%d", e->sim_port);
	const char *sets[] = { port, NULL };
	ZST_REQUIRE(inv_start(&e->t, sets), "a node with the network plugin starts");
	ZST_REQUIRE(net_events_open(&e->ev, e->t.node.events_url) == 0, "events are recorded");
	ZST_REQUIRE(inv_zone_create(&e->t, e->t.admin, "z", e->zone) == 0, "a zone");
	ZST_REQUIRE(inv_cluster_create(&e->t, e->t.admin, e->zone, "c", "KVM", e->cluster) == 0,
	    "a KVM cluster");
	ZST_REQUIRE(net_add_kvm(e, "n1", "127.0.1.21", e->hosts[0]) == 0 &&
	    net_add_kvm(e, "n2", "127.0.1.22", e->hosts[1]) == 0,
	    "two connected hosts n1 and n2 on 127.0.1.21-22 (%s)", e->t.msg);
	char user_uuid[INV_UUID];
	ZST_REQUIRE(inv_account(&e->t, "netuser", e->user, user_uuid), "a second account");

	int64_t t0 = zst_now_ms();
	net_test_l2(e);
	zst_note("L2 checks: %lld ms", (long long) (zst_now_ms() - t0));
	t0 = zst_now_ms();
	net_test_l3(e);
	zst_note("L3, range and allocation checks: %lld ms", (long long) (zst_now_ms() - t0));
	t0 = zst_now_ms();
	net_test_query(e);
	zst_note("query checks: %lld ms", (long long) (zst_now_ms() - t0));

	PGconn *pg = net_pg(e);
	if (pg != NULL) {
		net_test_accounts(e, pg);
		/* the cascade */
		ZST_CHECK(net_rows(pg) > 100000000, "before: L2s, L3s, ranges and used IPs exist");
		Zs__Zone__V1__DeleteZoneResponse *del = NULL;
		ZST_CHECK(inv_zone_delete(&e->t, e->t.admin, e->zone, &del) == 0, "DeleteZone (%s)",
		    e->t.msg);
		size_t l2s = 0, l3s = 0, ranges = 0;
		for (size_t i = 0; del != NULL && i < del->n_deleted; i++) {
			l2s += strcmp(del->deleted[i]->type, "L2Network") == 0;
			l3s += strcmp(del->deleted[i]->type, "L3Network") == 0;
			ranges += strcmp(del->deleted[i]->type, "IpRange") == 0;
		}
		zs_reply_free(del);
		ZST_CHECK(l2s >= 3 && l3s >= 2 && ranges >= 2,
		    "its answer lists the L2 networks, L3 networks and IP ranges that went (%zu, %zu, %zu)",
		    l2s, l3s, ranges);
		ZST_CHECK(net_rows(pg) == 0,
		    "no L2, L3, range, attachment or used IP is left in the database (%ld)", net_rows(pg));
		PQfinish(pg);
	}

	inv_events_close(&e->ev);
	inv_stop(&e->t);
	(void) zst_sim_stop();
	curl_global_cleanup();
	return zst_summary();
}
