/*
 * zone.c: the zone service (zs.zone.v1.Zone), the top of the inventory (zone > cluster >
 * host). The resource kit (zs/resource_kit.h) runs its methods from the table below.
 * Names are unique per owner: one account's names reveal nothing to another. Deleting
 * a zone deletes its clusters and their hosts, as ZStack does.
 */
#include "zs/resource_kit.h"
#include "zs/zone/v1/zone.pb-c.h"


#define ZONE_TABLE "zone_zones"
#define ZONE_COLUMNS "uuid, name, description, owner_uuid, " ZS_RKIT_SQL_TIMES

static const zs_rkit_conflict zone_conflicts[] = {
	{ "zone_zones_owner_name_key", "ZONE.1001", "name", "a zone named \"", "\" already exists" },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const zs_rkit_def zone_def = {
	.type = "Zone", .what = "zone", .name_max = 255, .description_max = 2048,
	.sql_get = ZS_RKIT_SQL_GET(ZONE_TABLE, ZONE_COLUMNS),
	.sql_list = ZS_RKIT_SQL_LIST(ZONE_TABLE, ZONE_COLUMNS),
	.sql_insert = ZS_RKIT_SQL_INSERT(ZONE_TABLE, "", "", ZONE_COLUMNS),
	.sql_update = ZS_RKIT_SQL_UPDATE(ZONE_TABLE, ZONE_COLUMNS),
	.info = &zs__zone__v1__zone_info__descriptor,
	.deleted_event = &zs__zone__v1__zone_deleted__descriptor,
	.conflicts = zone_conflicts, .ops = zs_rkit_crud, .n_ops = ZS_RKIT_CRUD_N,
};

ZS_EXPORT zs_rkit_service zone_service = ZS_RKIT_SERVICE(&zs__zone__v1__zone__descriptor,
    &zone_def);
