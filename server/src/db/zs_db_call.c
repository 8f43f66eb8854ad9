/* zs_db_call.c: what services repeat around the pool: a handler's connection within its
 * deadline, ending a transaction, a statement that must find exactly one row, a statement
 * answered by its code. */
#include "zs/call.h"
#include "zs/db.h"

int
zs_db_acquire_for(zs_db *db, zs_call *call, zs_db_conn **out)
{
	zs_status *st = NULL;
	int code = zs_db_acquire(db, zs_call_remaining_ms(call), out, &st);
	if (code != 0)
		zs_call_fail_status(call, st);
	return code;
}

int
zs_db_end(zs_db_conn *c, int rv, zs_status **st)
{
	if (rv != 0) {
		zs_db_rollback(c);
		return rv;
	}
	return zs_db_commit(c, st);
}

int
zs_db_exec_one(zs_db_conn *c, const char *sql, int nparams, const char *const *params,
    const char *what, const char *uuid, PGresult **row, zs_status **st)
{
	zs_status *why = NULL;
	PGresult *r = zs_db_exec(c, sql, nparams, params, &why);
	if (r == NULL || PQntuples(r) != 1) {
		if (r != NULL)
			why = zs_status_new(ZS_NOT_FOUND, NULL, "no %s with uuid %s", what, uuid);
		PQclear(r);
		int code = why != NULL ? (int) why->code : ZS_RESOURCE_EXHAUSTED;
		if (st != NULL)
			*st = why;
		else
			zs_status_free(why);
		return code;
	}
	*row = r;
	return 0;
}

int
zs_db_run(zs_db_conn *c, const char *sql, int nparams, const char *const *params,
    PGresult **rows, zs_status **st)
{
	zs_status *why = NULL;
	PGresult *r = zs_db_exec(c, sql, nparams, params, &why);
	if (r == NULL) {
		int code = why != NULL ? (int) why->code : ZS_INTERNAL;
		if (st != NULL)
			*st = why;
		else
			zs_status_free(why);
		return code;
	}
	if (rows != NULL)
		*rows = r;
	else
		PQclear(r);
	return 0;
}
