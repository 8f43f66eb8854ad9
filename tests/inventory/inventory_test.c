/*
 * inventory_test.c: the zone, cluster and host services against a real zsnode with the
 * built plugins: CRUD with argument and parent checks and the delete cascade
 * (inv_crud.c), two accounts that cannot see or change each other's inventory
 * (inv_accounts.c), the host's system tags and kvm.reservedMemory overrides
 * (inv_host.c), and AddHost failing at each workflow step leaving nothing behind
 * (inv_workflow.c, on nodes of its own). AddHost on a KVM cluster connects the host
 * through the kvm plugin's factory, so the hosts' addresses are agents of a zs-kvmsim.
 * Arguments: zsnode, the plugins folder, zs-kvmsim.
 * Prints "inventory: N passed, M failed"; exits non-zero on a failure.
 */
#include <stdio.h>

#include <curl/curl.h>

#include "inv.h"
#include "zst_sim.h"

/* Every address the suite adds a host on, as agents of the simulator; the two whose
 * qemu-img tag the suite sets itself report no qemu-img version (a system tag of a
 * pattern the resource already has is refused to the Tags API). */
static const char inv_sim_hosts[] = "{\"hosts\":["
    "{\"name\":\"crud1\",\"ip\":\"127.4.0.1\"},{\"name\":\"crud2\",\"ip\":\"127.4.0.2\"},"
    "{\"name\":\"cascade1\",\"ip\":\"127.1.0.1\"},{\"name\":\"cascade2\",\"ip\":\"127.1.0.2\"},"
    "{\"name\":\"cascade3\",\"ip\":\"127.1.0.3\"},{\"name\":\"mem\",\"ip\":\"127.2.0.1\","
    "\"facts\":{\"qemuImgVersion\":\"\"}},{\"name\":\"tagged\",\"ip\":\"127.2.0.9\","
    "\"facts\":{\"qemuImgVersion\":\"\"}},{\"name\":\"wf\",\"ip\":\"127.3.0.1\"},"
    "{\"name\":\"acct-a\",\"ip\":\"127.9.0.1\"},{\"name\":\"acct-b\",\"ip\":\"127.9.0.2\"}]}";

int
main(int argc, char **argv)
{
	if (zst_init(argc, argv, "inventory", 280) != 0 || argc < 4)
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int port = zst_sim_start(argv[3]);
	ZST_REQUIRE(inv_sim_do(port, "POST", "/sim/hosts", inv_sim_hosts),
	    "the simulator takes the suite's hosts");
	char agent[64];
	snprintf(agent, sizeof agent, "KvmAgent.port=%d", port);
	inv_set_agent(agent);
	static inv t;
	if (ZST_CHECK(inv_start(&t, NULL), "zsnode starts with the zone, cluster and host plugins")) {
		inv_test_crud(&t);
		inv_test_accounts(&t);
		inv_test_host(&t);
		inv_stop(&t);
	}
	inv_test_workflow();
	ZST_CHECK(zst_sim_stop() == 0, "the simulator stops cleanly");
	curl_global_cleanup();
	return zst_summary();
}
