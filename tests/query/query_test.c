/*
 * query_test.c: the Query API (QueryZone, QueryCluster, QueryHost) against a real zsnode
 * with the built plugins: each op on typed fields, dot paths, paging and counts
 * (q_read.c); refusals, injection attempts, account isolation and the JSON form
 * (q_safety.c); QueryAccount, QueryTag and QueryJob (q_platform.c). The hosts are agents
 * of a zs-kvmsim (AddHost on a KVM cluster connects them). Arguments: zsnode, the
 * plugins folder, zs-kvmsim. Prints "query: N passed, M failed"; exits non-zero on a
 * failure.
 */
#include <stdio.h>

#include <curl/curl.h>

#include "q.h"
#include "zst_sim.h"

/* Every address the suite adds a host on (q_util.c), as agents of the simulator. */
static const char q_sim_hosts[] = "{\"hosts\":["
    "{\"name\":\"q1\",\"ip\":\"127.0.2.1\"},{\"name\":\"q2\",\"ip\":\"127.0.2.2\"},"
    "{\"name\":\"q3\",\"ip\":\"127.0.2.3\"},{\"name\":\"q4\",\"ip\":\"127.0.2.4\"},"
    "{\"name\":\"q5\",\"ip\":\"127.0.2.5\"},{\"name\":\"q6\",\"ip\":\"127.0.2.6\"},"
    "{\"name\":\"qu\",\"ip\":\"127.0.3.1\"}]}";

int
main(int argc, char **argv)
{
	if (zst_init(argc, argv, "query", 110) != 0 || argc < 4)
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int port = zst_sim_start(argv[3]);
	ZST_REQUIRE(inv_sim_do(port, "POST", "/sim/hosts", q_sim_hosts),
	    "the simulator takes the suite's hosts");
	char agent[64];
	snprintf(agent, sizeof agent, "KvmAgent.port=%d", port);
	inv_set_agent(agent);
	static inv t;
	static q_world w;
	/* a cap below the default 10000: the property is what limits; q_start passes only
	 * these, so the agents' port goes here too */
	const char *const sets[] = { "query.limit.max=5000", agent, NULL };
	if (ZST_CHECK(q_start(&t, sets), "zsnode starts with the zone, cluster and host plugins")) {
		if (q_world_make(&t, &w)) {
			q_test_ops(&t, &w);
			q_test_dot_paths(&t, &w);
			q_test_paging(&t, &w);
			q_test_errors(&t, &w);
			q_test_injection(&t, &w);
			q_test_accounts(&t, &w);
			q_test_group(&t, &w);
			q_test_json(&t, &w);
			q_test_platform(&t, &w);
		}
		inv_stop(&t);
	}
	ZST_CHECK(zst_sim_stop() == 0, "the simulator stops cleanly");
	curl_global_cleanup();
	return zst_summary();
}
