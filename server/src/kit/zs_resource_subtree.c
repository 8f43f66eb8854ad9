/*
 * zs_resource_subtree.c: deleting a resource and everything below it (ZStack cascades a
 * zone's delete to its clusters and their hosts). The cascade is the database's
 * (zs_resources.parent_uuid ON DELETE CASCADE, and every service's row references its
 * resource), so it all goes in one transaction or not at all.
 *
 * To tell exactly what went, the resource is locked first, the service's row and then
 * the registry's (the order an update takes them in, so the two cannot deadlock): no
 * new child can attach to it then. zs_resource_delete_tree locks, lists and deletes
 * what is below.
 */
#include <stdio.h>

#include "zs/resource.h"
#include "zs_rkit.h"

int
zs_resource_lock(zs_db_conn *c, const char *uuid, const char *what, zs_status **st)
{
	const char *p[1] = { uuid };
	PGresult *r = NULL;
	zs_status *why = NULL;
	int rv = zs_db_exec_one(c, "SELECT uuid FROM zs_resources WHERE uuid = $1 FOR UPDATE", 1,
	    p, what, uuid, &r, &why);
	PQclear(r);
	return rv == 0 ? 0 : zs_rkit_status_out(st, why, rv);
}

/* The steps, with a status always made. */
static int
subtree_delete(zs_db_conn *c, const zs_call *call, const char *uuid, const char *type,
    const char *what, const char *row_sql, PGresult **row, PGresult **below, zs_status **st)
{
	char sql[4096];
	int rv = zs_resource_check(c, call, uuid, type, NULL, 0, st);
	if (rv != 0)
		return rv;
	if ((size_t) snprintf(sql, sizeof sql, "%s FOR UPDATE", row_sql) >= sizeof sql) {
		*st = zs_status_new(ZS_INTERNAL, NULL, "the SQL locking a %s is too long", what);
		return ZS_INTERNAL;
	}
	const char *p[1] = { uuid };
	rv = zs_db_exec_one(c, sql, 1, p, what, uuid, row, st);
	if (rv == 0)
		rv = zs_resource_lock(c, uuid, what, st);
	if (rv == 0)
		rv = zs_resource_delete_tree(c, uuid, below, st);
	return rv;
}

int
zs_resource_delete_subtree(zs_db_conn *c, const zs_call *call, const char *uuid,
    const char *type, const char *what, const char *row_sql, PGresult **row,
    PGresult **below, zs_status **st)
{
	zs_status *why = NULL;
	*row = *below = NULL;
	int rv = subtree_delete(c, call, uuid, type, what, row_sql, row, below, &why);
	if (rv == 0)
		return 0;
	PQclear(*row);
	PQclear(*below);
	*row = *below = NULL;
	return zs_rkit_status_out(st, why, rv);
}
