/*
 * zone_store.c: the zone_zones table: create (with its zs_resources row, in one
 * transaction), get, update, list. Parameterized SQL only. Visibility is
 * zs_resource_check's: a zone the call does not see is NOT_FOUND, exactly like one that
 * does not exist.
 */
#include <stdlib.h>
#include <string.h>

#include "zone.h"
#include "zs/resource.h"

/* The unique constraint on (owner_uuid, name), as the migration names it. */
#define ZONE_NAME_CONSTRAINT "zone_zones_owner_name_key"

static int64_t
zone_ms(const PGresult *r, int i, int col)
{
	return strtoll(PQgetvalue(r, i, col), NULL, 10);
}

void
zone_info_from_row(const PGresult *r, int i, Zs__Zone__V1__ZoneInfo *out)
{
	zs__zone__v1__zone_info__init(out);
	out->uuid = PQgetvalue(r, i, 0);
	out->name = PQgetvalue(r, i, 1);
	out->description = PQgetvalue(r, i, 2);
	out->owner_uuid = PQgetvalue(r, i, 3);
	out->created_unix_ms = zone_ms(r, i, 4);
	out->updated_unix_ms = zone_ms(r, i, 5);
}

int
zone_store_create(zs_db_conn *c, const zs_call *call, const char *uuid, const char *name,
    const char *description, PGresult **row, zs_status **st)
{
	*row = NULL;
	if (zs_db_begin(c, st) != 0)
		return (int) (*st)->code;
	int rv = zs_resource_create(c, call, uuid, ZONE_TYPE, name, NULL, st);
	if (rv == 0) {
		const char *p[4] = { uuid, zs_call_account(call), name, description };
		rv = zs_db_exec_one(c, "INSERT INTO zone_zones AS z (uuid, owner_uuid, name, description) "
		    "VALUES ($1, $2, $3, $4) RETURNING " ZONE_COLUMNS, 4, p, "zone", uuid, row, st);
	}
	rv = zs_db_end(c, rv, st);
	if (rv != 0 && *row != NULL) {
		PQclear(*row);
		*row = NULL;
	}
	return rv;
}

int
zone_store_get(zs_db_conn *c, const zs_call *call, const char *uuid, PGresult **row, zs_status **st)
{
	int rv = zs_resource_check(c, call, uuid, ZONE_TYPE, NULL, 0, st);
	if (rv != 0)
		return rv;
	const char *p[1] = { uuid };
	return zs_db_exec_one(c, "SELECT " ZONE_COLUMNS " FROM zone_zones z WHERE z.uuid = $1", 1, p,
	    "zone", uuid,
	    row, st);
}

int
zone_store_update(zs_db_conn *c, const zs_call *call, const char *uuid, const char *name,
    const char *description, PGresult **row, zs_status **st)
{
	*row = NULL;
	if (zs_db_begin(c, st) != 0)
		return (int) (*st)->code;
	const char *p[3] = { uuid, name, description };
	int rv = zs_resource_check(c, call, uuid, ZONE_TYPE, NULL, 0, st);
	if (rv == 0)
		rv = zs_db_exec_one(c, "UPDATE zone_zones AS z SET name = COALESCE($2, z.name), "
		    "description = COALESCE($3, z.description), updated_at = now() WHERE z.uuid = $1 "
		    "RETURNING " ZONE_COLUMNS, 3, p, "zone", uuid, row, st);
	if (rv == 0 && name != NULL)
		rv = zs_resource_rename(c, uuid, name, st);
	rv = zs_db_end(c, rv, st);
	if (rv != 0 && *row != NULL) {
		PQclear(*row);
		*row = NULL;
	}
	return rv;
}

int
zone_store_list(zs_db_conn *c, const zs_call *call, PGresult **rows, zs_status **st)
{
	const char *p[2] = { zs_call_admin(call) ? "t" : "f", zs_call_account(call) };
	*rows = zs_db_exec(c, "SELECT " ZONE_COLUMNS " FROM zone_zones z "
	    "WHERE $1::boolean OR z.owner_uuid = $2 ORDER BY z.created_at, z.uuid", 2, p, st);
	return *rows != NULL ? 0 : (int) (*st)->code;
}

/* True when st is the unique violation of a zone's name. */
static bool
zone_name_taken(const zs_status *st)
{
	if ((int) st->code != ZS_ALREADY_EXISTS)
		return false;
	for (size_t i = 0; i < st->n_details; i++)
		if (strstr(st->details[i], ZONE_NAME_CONSTRAINT) != NULL)
			return true;
	return false;
}

void
zone_fail(zs_call *call, zs_status *st, const char *name)
{
	if (name != NULL && zone_name_taken(st)) {
		zs_status_free(st);
		zs_call_fail(call, ZS_ALREADY_EXISTS, "ZONE.1001", "a zone named \"%s\" already exists",
		    name);
		return;
	}
	zs_call_fail_status(call, st);
}
