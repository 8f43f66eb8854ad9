/*
 * zone_delete.c: deleting a zone, and with it everything in it. ZStack cascades the
 * delete of a zone to its clusters and their hosts; here the cascade is the database's
 * (zs_resources.parent_uuid ON DELETE CASCADE, and every service's row references its
 * resource), so the zone and all below it go in one transaction or not at all.
 *
 * To tell the caller exactly what went, the zone's row is locked first (no new child can
 * attach to it); zs_resource_delete_tree then locks, lists and deletes what is below.
 */
#include "zone.h"
#include "zs/resource.h"

static const char zone_lock_sql[] =
    "SELECT " ZONE_COLUMNS " FROM zone_zones z JOIN zs_resources r ON r.uuid = z.uuid "
    "WHERE z.uuid = $1 FOR UPDATE";

/* The steps inside the transaction. */
static int
zone_delete_locked(zs_db_conn *c, const zs_call *call, const char *uuid, PGresult **row,
    PGresult **deleted, zs_status **st)
{
	int rv = zs_resource_check(c, call, uuid, ZONE_TYPE, NULL, 0, st);
	if (rv != 0)
		return rv;
	const char *p[1] = { uuid };
	*row = zs_db_exec(c, zone_lock_sql, 1, p, st);
	if (*row == NULL)
		return (int) (*st)->code;
	if (PQntuples(*row) != 1) {
		*st = zs_status_new(ZS_NOT_FOUND, NULL, "no zone with uuid %s", uuid);
		return ZS_NOT_FOUND;
	}
	return zs_resource_delete_tree(c, uuid, deleted, st);
}

int
zone_store_delete(zs_db_conn *c, const zs_call *call, const char *uuid, PGresult **row,
    PGresult **deleted, zs_status **st)
{
	*row = *deleted = NULL;
	if (zs_db_begin(c, st) != 0)
		return (int) (*st)->code;
	int rv = zs_db_end(c, zone_delete_locked(c, call, uuid, row, deleted, st), st);
	if (rv != 0) {
		PQclear(*row);
		PQclear(*deleted);
		*row = *deleted = NULL;
	}
	return rv;
}
