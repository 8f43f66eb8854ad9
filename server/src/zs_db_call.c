/* zs_db_call.c: database connections for handlers, bounded by the call's deadline. */
#include "zs/call.h"
#include "zs/db.h"

zs_db_conn *
zs_call_db_acquire(zs_call *call)
{
	zs_db_conn *c;
	zs_status *st = NULL;
	if (zs_db_acquire(zs_node_db(zs_call_node(call)), zs_call_remaining_ms(call), &c, &st) != 0) {
		zs_call_fail_status(call, st);
		return NULL;
	}
	return c;
}

void
zs_call_db_release(zs_call *call, zs_db_conn *c)
{
	zs_db_release(zs_node_db(zs_call_node(call)), c);
}
