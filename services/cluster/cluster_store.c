/*
 * cluster_store.c: the cluster_clusters table: create (with its zs_resources row under
 * the zone, in one transaction), get, update, list. Parameterized SQL only. Visibility
 * is zs_resource_check's: a cluster or zone the call does not see is NOT_FOUND, exactly
 * like one that does not exist.
 */
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "zs/resource.h"

/* The unique constraint on (zone_uuid, name), as the migration names it. */
#define CLUSTER_NAME_CONSTRAINT "cluster_clusters_zone_name_key"

static int64_t
cluster_ms(const PGresult *r, int i, int col)
{
	return strtoll(PQgetvalue(r, i, col), NULL, 10);
}

void
cluster_info_from_row(const PGresult *r, int i, Zs__Cluster__V1__ClusterInfo *out)
{
	zs__cluster__v1__cluster_info__init(out);
	out->uuid = PQgetvalue(r, i, 0);
	out->zone_uuid = PQgetvalue(r, i, 1);
	out->name = PQgetvalue(r, i, 2);
	out->description = PQgetvalue(r, i, 3);
	out->hypervisor_type = PQgetvalue(r, i, 4);
	out->owner_uuid = PQgetvalue(r, i, 5);
	out->created_unix_ms = cluster_ms(r, i, 6);
	out->updated_unix_ms = cluster_ms(r, i, 7);
}

/* The zone must be one the call sees; NOT_FOUND naming the field otherwise. */
static int
cluster_check_zone(zs_db_conn *c, const zs_call *call, const char *zone_uuid, zs_status **st)
{
	zs_status *why = NULL;
	int rv = zs_resource_check(c, call, zone_uuid, CLUSTER_ZONE_TYPE, NULL, 0, &why);
	if (rv == ZS_NOT_FOUND) {
		zs_status_free(why);
		*st = zs_status_new(ZS_NOT_FOUND, NULL, "zone_uuid: no zone with uuid %s", zone_uuid);
	} else if (rv != 0) {
		*st = why;
	}
	return rv;
}

int
cluster_store_create(zs_db_conn *c, const zs_call *call, const cluster_new *k, PGresult **row,
    zs_status **st)
{
	*row = NULL;
	if (zs_db_begin(c, st) != 0)
		return (int) (*st)->code;
	int rv = cluster_check_zone(c, call, k->zone_uuid, st);
	if (rv == 0) {
		rv = zs_resource_create(c, call, k->uuid, CLUSTER_TYPE, k->name, k->zone_uuid, st);
		if (rv == ZS_FAILED_PRECONDITION) {
			/* the zone went between the check and the insert (its foreign key) */
			zs_status_free(*st);
			*st = zs_status_new(ZS_NOT_FOUND, NULL, "zone_uuid: no zone with uuid %s",
			    k->zone_uuid);
			rv = ZS_NOT_FOUND;
		}
	}
	if (rv == 0) {
		const char *p[6] = { k->uuid, k->zone_uuid, zs_call_account(call), k->name,
		    k->description, k->hypervisor_type };
		rv = zs_db_exec_one(c, "INSERT INTO cluster_clusters AS k (uuid, zone_uuid, owner_uuid, "
		    "name, description, hypervisor_type) VALUES ($1, $2, $3, $4, $5, $6) RETURNING "
		    CLUSTER_COLUMNS, 6, p, "cluster", k->uuid, row, st);
	}
	rv = zs_db_end(c, rv, st);
	if (rv != 0) {
		PQclear(*row);
		*row = NULL;
	}
	return rv;
}

int
cluster_store_get(zs_db_conn *c, const zs_call *call, const char *uuid, PGresult **row,
    zs_status **st)
{
	int rv = zs_resource_check(c, call, uuid, CLUSTER_TYPE, NULL, 0, st);
	if (rv != 0)
		return rv;
	const char *p[1] = { uuid };
	return zs_db_exec_one(c, "SELECT " CLUSTER_COLUMNS " FROM cluster_clusters k WHERE k.uuid = $1",
	    1, p, "cluster", uuid, row, st);
}

int
cluster_store_update(zs_db_conn *c, const zs_call *call, const char *uuid, const char *name,
    const char *description, PGresult **row, zs_status **st)
{
	*row = NULL;
	if (zs_db_begin(c, st) != 0)
		return (int) (*st)->code;
	const char *p[3] = { uuid, name, description };
	int rv = zs_resource_check(c, call, uuid, CLUSTER_TYPE, NULL, 0, st);
	if (rv == 0)
		rv = zs_db_exec_one(c, "UPDATE cluster_clusters AS k SET name = COALESCE($2, k.name), "
		    "description = COALESCE($3, k.description), updated_at = now() WHERE k.uuid = $1 "
		    "RETURNING " CLUSTER_COLUMNS, 3, p, "cluster", uuid, row, st);
	if (rv == 0 && name != NULL)
		rv = zs_resource_rename(c, uuid, name, st);
	rv = zs_db_end(c, rv, st);
	if (rv != 0) {
		PQclear(*row);
		*row = NULL;
	}
	return rv;
}

int
cluster_store_list(zs_db_conn *c, const zs_call *call, const char *zone_uuid, PGresult **rows,
    zs_status **st)
{
	*rows = NULL;
	if (zone_uuid != NULL) {
		int rv = cluster_check_zone(c, call, zone_uuid, st);
		if (rv != 0)
			return rv;
	}
	const char *p[3] = { zs_call_admin(call) ? "t" : "f", zs_call_account(call), zone_uuid };
	*rows = zs_db_exec(c, "SELECT " CLUSTER_COLUMNS " FROM cluster_clusters k "
	    "WHERE ($1::boolean OR k.owner_uuid = $2) AND ($3::text IS NULL OR k.zone_uuid = $3) "
	    "ORDER BY k.created_at, k.uuid", 3, p, st);
	return *rows != NULL ? 0 : (int) (*st)->code;
}

/* True when st is the unique violation of a cluster's name. */
static bool
cluster_name_taken(const zs_status *st)
{
	if ((int) st->code != ZS_ALREADY_EXISTS)
		return false;
	for (size_t i = 0; i < st->n_details; i++)
		if (strstr(st->details[i], CLUSTER_NAME_CONSTRAINT) != NULL)
			return true;
	return false;
}

void
cluster_fail(zs_call *call, zs_status *st, const char *name)
{
	if (name != NULL && cluster_name_taken(st)) {
		zs_status_free(st);
		zs_call_fail(call, ZS_ALREADY_EXISTS, "CLUSTER.1001",
		    "the zone already has a cluster named \"%s\"", name);
		return;
	}
	zs_call_fail_status(call, st);
}
