/* zs_db_call.c: what services repeat around the pool: a handler's connection within its
 * deadline, ending a transaction, a statement that must find exactly one row. */
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

int
zs_db_end(zs_db_conn *c, int rv, zs_status **st)
{
	if (rv != 0) {
		zs_db_rollback(c);
		return rv;
	}
	return zs_db_commit(c, st) == 0 ? 0 : (int) (*st)->code;
}

int
zs_db_exec_one(zs_db_conn *c, const char *sql, int nparams, const char *const *params,
    const char *what, const char *uuid, PGresult **row, zs_status **st)
{
	PGresult *r = zs_db_exec(c, sql, nparams, params, st);
	if (r == NULL)
		return (int) (*st)->code;
	if (PQntuples(r) != 1) {
		PQclear(r);
		*st = zs_status_new(ZS_NOT_FOUND, NULL, "no %s with uuid %s", what, uuid);
		return ZS_NOT_FOUND;
	}
	*row = r;
	return 0;
}
