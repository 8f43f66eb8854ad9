/*
 * zone.c: the zone service (zs.zone.v1.Zone), the top of the inventory (zone > cluster >
 * host). The resource kit (zs/resource_kit.h) runs its methods from the table below,
 * QueryZone from its query fields (zs/query.h).
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

/* QueryZone: its own fields, and its clusters', hosts' and tags' by dot path. */
static const zs_query_field zone_query_fields[] = {
	{ "uuid", "t.uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "name", "t.name", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "description", "t.description", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "owner_uuid", "t.owner_uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "create_date", "t.created_at", ZS_QUERY_TIME, NULL, NULL, NULL },
	{ "last_op_date", "t.updated_at", ZS_QUERY_TIME, NULL, NULL, NULL },
#define ZONE_OWNER "r.owner_uuid"   /* a normal account's related rows: its own */
#define ZONE_CLUSTERS "SELECT 1 FROM cluster_clusters r WHERE r.zone_uuid = t.uuid"
	{ "clusters.uuid", "r.uuid", ZS_QUERY_UUID, NULL, ZONE_CLUSTERS, ZONE_OWNER },
	{ "clusters.name", "r.name", ZS_QUERY_TEXT, NULL, ZONE_CLUSTERS, ZONE_OWNER },
#define ZONE_HOSTS "SELECT 1 FROM host_hosts r WHERE r.zone_uuid = t.uuid"
	{ "hosts.uuid", "r.uuid", ZS_QUERY_UUID, NULL, ZONE_HOSTS, ZONE_OWNER },
	{ "hosts.name", "r.name", ZS_QUERY_TEXT, NULL, ZONE_HOSTS, ZONE_OWNER },
	{ "hosts.management_ip", "r.management_ip", ZS_QUERY_TEXT, NULL, ZONE_HOSTS, ZONE_OWNER },
	{ "tags.tag", "r.tag", ZS_QUERY_TEXT, NULL,
	  "SELECT 1 FROM zs_tags r WHERE r.resource_uuid = t.uuid", NULL },
};

static const zs_query_table zone_query = {
	"zone", ZONE_TABLE " t", "t.owner_uuid", "t.created_at", "t.uuid", zone_query_fields,
	sizeof zone_query_fields / sizeof zone_query_fields[0], NULL,
};

static const zs_rkit_def zone_def = {
	.type = "Zone", .what = "zone", .name_max = 255, .description_max = 2048,
	.sql_get = ZS_RKIT_SQL_GET(ZONE_TABLE, ZONE_COLUMNS),
	.sql_list = ZS_RKIT_SQL_LIST(ZONE_TABLE, ZONE_COLUMNS),
	.sql_insert = ZS_RKIT_SQL_INSERT(ZONE_TABLE, "", "", ZONE_COLUMNS),
	.sql_update = ZS_RKIT_SQL_UPDATE(ZONE_TABLE, ZONE_COLUMNS),
	.info = &zs__zone__v1__zone_info__descriptor,
	.deleted_event = &zs__zone__v1__zone_deleted__descriptor, .query = &zone_query,
	.conflicts = zone_conflicts, .ops = zs_rkit_crud, .n_ops = ZS_RKIT_CRUD_N,
};

ZS_EXPORT zs_rkit_service zone_service = ZS_RKIT_SERVICE(&zs__zone__v1__zone__descriptor,
    &zone_def);
