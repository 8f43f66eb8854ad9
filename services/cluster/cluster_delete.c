/*
 * cluster_delete.c: deleting a cluster, and with it everything in it. ZStack cascades the
 * delete of a cluster to its hosts; here the cascade is the database's
 * (zs_resources.parent_uuid ON DELETE CASCADE, and every service's row references its
 * resource), so the cluster and all below it go in one transaction or not at all.
 *
 * To tell the caller exactly what went, the cluster's resource row is locked first (no
 * new child can attach to it), then every resource below it, and only then listed, with
 * a snapshot that sees every child committed before the locks.
 */
#include "cluster.h"
#include "zs/resource.h"

/* How deep the walk down the resource tree goes (cluster > host > ...). */
#define CLUSTER_TREE_DEPTH "32"

#define CLUSTER_DESCENDANTS \
	"WITH RECURSIVE d (uuid, depth) AS (" \
	"  SELECT uuid, 1 FROM zs_resources WHERE parent_uuid = $1" \
	"  UNION ALL" \
	"  SELECT r.uuid, d.depth + 1 FROM zs_resources r JOIN d ON r.parent_uuid = d.uuid" \
	"   WHERE d.depth < " CLUSTER_TREE_DEPTH ") "

static const char cluster_lock_sql[] =
    "SELECT " CLUSTER_COLUMNS " FROM cluster_clusters k JOIN zs_resources r ON r.uuid = k.uuid "
    "WHERE k.uuid = $1 FOR UPDATE";
static const char cluster_lock_below_sql[] =
    CLUSTER_DESCENDANTS
    "SELECT r.uuid FROM zs_resources r JOIN d ON d.uuid = r.uuid FOR UPDATE OF r";
static const char cluster_below_sql[] =
    CLUSTER_DESCENDANTS
    "SELECT r.uuid, r.type, r.name FROM zs_resources r JOIN d ON d.uuid = r.uuid "
    "ORDER BY d.depth, r.type, r.name, r.uuid";

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
	PGresult *r = zs_db_exec(c, cluster_lock_below_sql, 1, p, st);
	if (r == NULL)
		return (int) (*st)->code;
	PQclear(r);
	*deleted = zs_db_exec(c, cluster_below_sql, 1, p, st);
	if (*deleted == NULL)
		return (int) (*st)->code;
	return zs_resource_delete(c, uuid, st);
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
