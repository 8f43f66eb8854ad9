/*
 * inventory_test.c: the zone, cluster and host services against a real zsnode with the
 * built plugins: CRUD with argument and parent checks and the delete cascade
 * (inv_crud.c), two accounts that cannot see or change each other's inventory
 * (inv_accounts.c), the host's system tags and kvm.reservedMemory overrides
 * (inv_host.c), and AddHost failing at each workflow step leaving nothing behind
 * (inv_workflow.c, on nodes of its own). Arguments: zsnode, the plugins folder.
 * Prints "inventory: N passed, M failed"; exits non-zero on a failure.
 */
#include <stdio.h>

#include "inv.h"

int
main(int argc, char **argv)
{
	if (zst_init(argc, argv, "inventory", 280) != 0)
		return 1;
	static inv t;
	if (ZST_CHECK(inv_start(&t, NULL), "zsnode starts with the zone, cluster and host plugins")) {
		inv_test_crud(&t);
		inv_test_accounts(&t);
		inv_test_host(&t);
		inv_stop(&t);
	}
	inv_test_workflow();
	return zst_summary();
}
