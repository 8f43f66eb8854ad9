/*
 * host_store.c: the host_hosts table: insert (inside AddHost's transaction), get, update,
 * list, delete. Parameterized SQL only. Visibility is zs_resource_check's: a host or
 * cluster the call does not see is NOT_FOUND, exactly like one that does not exist.
 */
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "zs/resource.h"

/* The unique constraints, as the migration names them. */
#define HOST_NAME_CONSTRAINT "host_hosts_cluster_name_key"
#define HOST_IP_CONSTRAINT "host_hosts_management_ip_key"

static int64_t
host_ms(const PGresult *r, int i, int col)
{
	return strtoll(PQgetvalue(r, i, col), NULL, 10);
}

void
host_info_from_row(const PGresult *r, int i, Zs__Host__V1__HostInfo *out)
{
	zs__host__v1__host_info__init(out);
	out->uuid = PQgetvalue(r, i, 0);
	out->cluster_uuid = PQgetvalue(r, i, 1);
	out->zone_uuid = PQgetvalue(r, i, 2);
	out->name = PQgetvalue(r, i, 3);
	out->description = PQgetvalue(r, i, 4);
	out->management_ip = PQgetvalue(r, i, 5);
	out->hypervisor_type = PQgetvalue(r, i, 6);
	out->state = PQgetvalue(r, i, 7);
	out->status = PQgetvalue(r, i, 8);
	out->owner_uuid = PQgetvalue(r, i, 9);
	out->created_unix_ms = host_ms(r, i, 10);
	out->updated_unix_ms = host_ms(r, i, 11);
}

/* True when st is a unique violation of constraint. */
static bool
host_conflict(const zs_status *st, const char *constraint)
{
	if ((int) st->code != ZS_ALREADY_EXISTS)
		return false;
	for (size_t i = 0; i < st->n_details; i++)
		if (strstr(st->details[i], constraint) != NULL)
			return true;
	return false;
}

/* Turns a unique violation into HOST.1001 (name) or HOST.1002 (management IP). */
static int
host_conflicts(zs_status **st, const char *name, const char *ip)
{
	zs_status *mapped = NULL;
	if (name != NULL && host_conflict(*st, HOST_NAME_CONSTRAINT))
		mapped = zs_status_new(ZS_ALREADY_EXISTS, "HOST.1001",
		    "the cluster already has a host named \"%s\"", name);
	else if (ip != NULL && host_conflict(*st, HOST_IP_CONSTRAINT))
		mapped = zs_status_new(ZS_ALREADY_EXISTS, "HOST.1002",
		    "a host with management IP %s is already added", ip);
	if (mapped != NULL) {
		zs_status_free(*st);
		*st = mapped;
	}
	return (int) (*st)->code;
}

int
host_store_insert(zs_db_conn *c, const zs_call *call, const host_new *h, PGresult **row,
    zs_status **st)
{
	*row = NULL;
	const char *p[8] = { h->uuid, h->cluster_uuid, h->zone_uuid, zs_call_account(call), h->name,
	    h->description, h->management_ip, h->hypervisor_type };
	int rv = zs_db_exec_one(c, "INSERT INTO host_hosts AS h (uuid, cluster_uuid, zone_uuid, owner_uuid, "
	    "name, description, management_ip, hypervisor_type) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING " HOST_COLUMNS, 8, p, "host", h->uuid,
	    row, st);
	return rv == 0 ? 0 : host_conflicts(st, h->name, h->management_ip);
}

int
host_store_get(zs_db_conn *c, const zs_call *call, const char *uuid, PGresult **row, zs_status **st)
{
	int rv = zs_resource_check(c, call, uuid, HOST_TYPE, NULL, 0, st);
	if (rv != 0)
		return rv;
	const char *p[1] = { uuid };
	return zs_db_exec_one(c, "SELECT " HOST_COLUMNS " FROM host_hosts h WHERE h.uuid = $1", 1, p,
	    "host", uuid,
	    row, st);
}

int
host_store_update(zs_db_conn *c, const zs_call *call, const char *uuid, const char *name,
    const char *description, PGresult **row, zs_status **st)
{
	*row = NULL;
	if (zs_db_begin(c, st) != 0)
		return (int) (*st)->code;
	const char *p[3] = { uuid, name, description };
	int rv = zs_resource_check(c, call, uuid, HOST_TYPE, NULL, 0, st);
	if (rv == 0) {
		rv = zs_db_exec_one(c, "UPDATE host_hosts AS h SET name = COALESCE($2, h.name), "
		    "description = COALESCE($3, h.description), updated_at = now() WHERE h.uuid = $1 "
		    "RETURNING " HOST_COLUMNS, 3, p, "host", uuid, row, st);
		if (rv != 0)
			rv = host_conflicts(st, name, NULL);
	}
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
host_store_list(zs_db_conn *c, const zs_call *call, const char *cluster_uuid, PGresult **rows,
    zs_status **st)
{
	*rows = NULL;
	if (cluster_uuid != NULL) {
		zs_status *why = NULL;
		int rv = zs_resource_check(c, call, cluster_uuid, HOST_CLUSTER_TYPE, NULL, 0, &why);
		if (rv == ZS_NOT_FOUND) {
			zs_status_free(why);
			*st = zs_status_new(ZS_NOT_FOUND, NULL, "cluster_uuid: no cluster with uuid %s",
			    cluster_uuid);
		} else if (rv != 0) {
			*st = why;
		}
		if (rv != 0)
			return rv;
	}
	const char *p[3] = { zs_call_admin(call) ? "t" : "f", zs_call_account(call), cluster_uuid };
	*rows = zs_db_exec(c, "SELECT " HOST_COLUMNS " FROM host_hosts h "
	    "WHERE ($1::boolean OR h.owner_uuid = $2) AND ($3::text IS NULL OR h.cluster_uuid = $3) "
	    "ORDER BY h.created_at, h.uuid", 3, p, st);
	return *rows != NULL ? 0 : (int) (*st)->code;
}

int
host_store_delete(zs_db_conn *c, const zs_call *call, const char *uuid, PGresult **row,
    zs_status **st)
{
	*row = NULL;
	if (zs_db_begin(c, st) != 0)
		return (int) (*st)->code;
	const char *p[1] = { uuid };
	int rv = zs_resource_check(c, call, uuid, HOST_TYPE, NULL, 0, st);
	if (rv == 0)
		rv = zs_db_exec_one(c, "SELECT " HOST_COLUMNS " FROM host_hosts h WHERE h.uuid = $1 "
		    "FOR UPDATE", 1, p, "host", uuid, row, st);
	if (rv == 0)
		rv = zs_resource_delete(c, uuid, st);
	rv = zs_db_end(c, rv, st);
	if (rv != 0) {
		PQclear(*row);
		*row = NULL;
	}
	return rv;
}
