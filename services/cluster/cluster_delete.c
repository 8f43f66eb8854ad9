/*
 * cluster_delete.c: deleting a cluster, and with it everything in it. ZStack cascades the
 * delete of a cluster to its hosts; here the cascade is the database's
 * (zs_resources.parent_uuid ON DELETE CASCADE, and every service's row references its
 * resource), so the cluster and all below it go in one transaction or not at all.
 *
 * To tell the caller exactly what went, the cluster's row is locked first (no new child can
 * attach to it); zs_resource_delete_tree then locks, lists and deletes what is below.
 */
#include "cluster.h"
#include "zs/resource.h"

static const char cluster_lock_sql[] =
    "SELECT " CLUSTER_COLUMNS " FROM cluster_clusters k JOIN zs_resources r ON r.uuid = k.uuid "
    "WHERE k.uuid = $1 FOR UPDATE";

/* The steps inside the transaction. */
static int
cluster_delete_locked(zs_db_conn *c, const zs_call *call, const char *uuid, PGresult **row,
    PGresult **deleted, zs_status **st)
{
	int rv = zs_resource_check(c, call, uuid, CLUSTER_TYPE, NULL, 0, st);
	if (rv != 0)
		return rv;
	const char *p[1] = { uuid };
	*row = zs_db_exec(c, cluster_lock_sql, 1, p, st);
	if (*row == NULL)
		return (int) (*st)->code;
	if (PQntuples(*row) != 1) {
		*st = zs_status_new(ZS_NOT_FOUND, NULL, "no cluster with uuid %s", uuid);
		return ZS_NOT_FOUND;
	}
	return zs_resource_delete_tree(c, uuid, deleted, st);
}

int
cluster_store_delete(zs_db_conn *c, const zs_call *call, const char *uuid, PGresult **row,
    PGresult **deleted, zs_status **st)
{
	*row = *deleted = NULL;
	if (zs_db_begin(c, st) != 0)
		return (int) (*st)->code;
	int rv = zs_db_end(c, cluster_delete_locked(c, call, uuid, row, deleted, st), st);
	if (rv != 0) {
		PQclear(*row);
		PQclear(*deleted);
		*row = *deleted = NULL;
	}
	return rv;
}
