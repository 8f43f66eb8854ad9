/*
 * zone.h: what the zone service's files share: the
 * zone_zones table (zone_store.c), the delete with its cascade (zone_delete.c) and the
 * handlers (zone_api.c). Nothing here is seen outside the plugin.
 */
#ifndef ZONE_H
#define ZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>

#include "zs/call.h"
#include "zs/check.h"
#include "zs/db.h"
#include "zs/zone/v1/zone.pb-c.h"

#define ZONE_TYPE "Zone"            /* the resource type in zs_resources */
#define ZONE_NAME_MAX 255           /* bytes */
#define ZONE_DESCRIPTION_MAX 2048   /* bytes */

/* ---- zone_store.c ---- */

/* The SELECT list of a zone row, in the order zone_info_from_row reads it. */
#define ZONE_COLUMNS \
	"z.uuid, z.name, z.description, z.owner_uuid, " \
	"(extract(epoch FROM z.created_at) * 1000)::bigint, " \
	"(extract(epoch FROM z.updated_at) * 1000)::bigint"
/* Fills out from row i of r; its strings point into r (valid until PQclear). */
void zone_info_from_row(const PGresult *r, int i, Zs__Zone__V1__ZoneInfo *out);

/* Each returns 0 with the zone's row in *row (caller PQclear()s), or a canonical code
 * with *st (caller frees): NOT_FOUND for a zone the call does not see, ALREADY_EXISTS
 * for a name the owner already uses (zone_fail answers it as ZONE.1001), or the
 * database's. */
int zone_store_create(zs_db_conn *c, const zs_call *call, const char *uuid, const char *name,
    const char *description, PGresult **row, zs_status **st);
int zone_store_get(zs_db_conn *c, const zs_call *call, const char *uuid, PGresult **row,
    zs_status **st);
/* name and description NULL: left as they are. */
int zone_store_update(zs_db_conn *c, const zs_call *call, const char *uuid, const char *name,
    const char *description, PGresult **row, zs_status **st);
/* Every zone the call sees, oldest first, in *rows (caller PQclear()s). */
int zone_store_list(zs_db_conn *c, const zs_call *call, PGresult **rows, zs_status **st);
/* Fails with ZONE.1001 when st is a name conflict (takes st), else with st. */
void zone_fail(zs_call *call, zs_status *st, const char *name);

/* ---- zone_delete.c ---- */

/* Deletes a zone the call sees and, through zs_resources, everything under it, in one
 * transaction: *row is the zone as it was, *deleted the resources that went with it
 * (uuid, type, name; parents first). Both PQclear()ed by the caller. */
int zone_store_delete(zs_db_conn *c, const zs_call *call, const char *uuid, PGresult **row,
    PGresult **deleted, zs_status **st);

#endif
