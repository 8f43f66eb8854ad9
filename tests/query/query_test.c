/*
 * query_test.c: the Query API (QueryZone, QueryCluster, QueryHost) against a real zsnode
 * with the built plugins: each op on typed fields, dot paths, paging and counts
 * (q_read.c); refusals, injection attempts, account isolation and the JSON form
 * (q_safety.c); QueryAccount, QueryTag and QueryJob (q_platform.c). Arguments: zsnode, the plugins folder. Prints "query: N passed, M
 * failed"; exits non-zero on a failure.
 */
#include "q.h"

int
main(int argc, char **argv)
{
	if (zst_init(argc, argv, "query", 110) != 0)
		return 1;
	static inv t;
	static q_world w;
	/* a cap below the default 10000: the property is what limits */
	static const char *const sets[] = { "query.limit.max=5000", NULL };
	if (ZST_CHECK(q_start(&t, sets), "zsnode starts with the zone, cluster and host plugins")) {
		if (q_world_make(&t, &w)) {
			q_test_ops(&t, &w);
			q_test_dot_paths(&t, &w);
			q_test_paging(&t, &w);
			q_test_errors(&t, &w);
			q_test_injection(&t, &w);
			q_test_accounts(&t, &w);
			q_test_json(&t, &w);
			q_test_platform(&t, &w);
		}
		inv_stop(&t);
	}
	return zst_summary();
}
