/*
 * cluster.c: the cluster service (zs.cluster.v1.Cluster): hosts of one hypervisor type
 * in a zone. The resource kit (zs/resource_kit.h) runs its methods from the table below
 * (QueryCluster from its query fields, zs/query.h);
 * a cluster's zone must be one the caller sees, and names are unique within a zone.
 * Deleting a cluster deletes its hosts, as ZStack does.
 */
#include <string.h>

#include "zs/cluster/v1/cluster.pb-c.h"
#include "zs/resource_kit.h"


#define CLUSTER_TABLE "cluster_clusters"
#define CLUSTER_COLUMNS \
	"uuid, zone_uuid, name, description, hypervisor_type, owner_uuid, " ZS_RKIT_SQL_TIMES

/* The hypervisor type asked for ("" means KVM, the only one so far) goes to extra[0]. */
static bool
cluster_create_check(zs_call *call, const ProtobufCMessage *in, const char **extra)
{
	const char *type = ((const Zs__Cluster__V1__CreateClusterRequest *) in)->hypervisor_type;
	extra[0] = type[0] == '\0' ? "KVM" : type;
	if (strcmp(extra[0], "KVM") == 0)
		return true;
	zs_call_fail(call, ZS_INVALID_ARGUMENT, "CLUSTER.1002",
	    "hypervisor_type \"%s\" is not supported (KVM is)", type);
	return false;
}

static const zs_rkit_conflict cluster_conflicts[] = {
	{ "cluster_clusters_zone_name_key", "CLUSTER.1001", "name",
	  "the zone already has a cluster named \"", "\"" },
	{ NULL, NULL, NULL, NULL, NULL },
};

/* QueryCluster: its own fields, and its zone's, hosts' and tags' by dot path. */
static const char *const cluster_hypervisors[] = { "KVM", NULL };
static const char *const cluster_host_states[] = {
	"Enabled", "Disabled", "PreMaintenance", "Maintenance", NULL,
};
static const char *const cluster_host_statuses[] = {
	"Connecting", "Connected", "Disconnected", NULL,
};

static const zs_query_field cluster_query_fields[] = {
	{ "uuid", "t.uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "zone_uuid", "t.zone_uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "name", "t.name", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "description", "t.description", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "hypervisor_type", "t.hypervisor_type", ZS_QUERY_ENUM, cluster_hypervisors, NULL, NULL },
	{ "owner_uuid", "t.owner_uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "create_date", "t.created_at", ZS_QUERY_TIME, NULL, NULL, NULL },
	{ "last_op_date", "t.updated_at", ZS_QUERY_TIME, NULL, NULL, NULL },
#define CLUSTER_OWNER "r.owner_uuid"   /* a normal account's related rows: its own */
#define CLUSTER_ZONE "SELECT 1 FROM zone_zones r WHERE r.uuid = t.zone_uuid"
	{ "zone.uuid", "r.uuid", ZS_QUERY_UUID, NULL, CLUSTER_ZONE, CLUSTER_OWNER },
	{ "zone.name", "r.name", ZS_QUERY_TEXT, NULL, CLUSTER_ZONE, CLUSTER_OWNER },
#define CLUSTER_HOSTS "SELECT 1 FROM host_hosts r WHERE r.cluster_uuid = t.uuid"
	{ "hosts.uuid", "r.uuid", ZS_QUERY_UUID, NULL, CLUSTER_HOSTS, CLUSTER_OWNER },
	{ "hosts.name", "r.name", ZS_QUERY_TEXT, NULL, CLUSTER_HOSTS, CLUSTER_OWNER },
	{ "hosts.management_ip", "r.management_ip", ZS_QUERY_TEXT, NULL, CLUSTER_HOSTS, CLUSTER_OWNER },
	{ "hosts.state", "r.state", ZS_QUERY_ENUM, cluster_host_states, CLUSTER_HOSTS, CLUSTER_OWNER },
	{ "hosts.status", "r.status", ZS_QUERY_ENUM, cluster_host_statuses, CLUSTER_HOSTS, CLUSTER_OWNER },
	{ "tags.tag", "r.tag", ZS_QUERY_TEXT, NULL,
	  "SELECT 1 FROM zs_tags r WHERE r.resource_uuid = t.uuid", NULL },
};

static const zs_query_table cluster_query = {
	"cluster", CLUSTER_TABLE " t", "t.owner_uuid", "t.created_at", "t.uuid",
	cluster_query_fields, sizeof cluster_query_fields / sizeof cluster_query_fields[0], NULL,
};

static const zs_rkit_def cluster_def = {
	.type = "Cluster", .what = "cluster", .name_max = 255, .description_max = 2048,
	.parent_type = "Zone", .parent_what = "zone", .parent_field = "zone_uuid",
	.sql_get = ZS_RKIT_SQL_GET(CLUSTER_TABLE, CLUSTER_COLUMNS),
	.sql_list = ZS_RKIT_SQL_LIST_IN(CLUSTER_TABLE, "zone_uuid", CLUSTER_COLUMNS),
	.sql_insert = ZS_RKIT_SQL_INSERT(CLUSTER_TABLE, ", zone_uuid, hypervisor_type", ", $5, $6",
	    CLUSTER_COLUMNS),
	.sql_update = ZS_RKIT_SQL_UPDATE(CLUSTER_TABLE, CLUSTER_COLUMNS),
	.create_check = cluster_create_check, .n_extra = 1,
	.info = &zs__cluster__v1__cluster_info__descriptor,
	.deleted_event = &zs__cluster__v1__cluster_deleted__descriptor, .query = &cluster_query,
	.conflicts = cluster_conflicts, .ops = zs_rkit_crud, .n_ops = ZS_RKIT_CRUD_N,
};

ZS_EXPORT zs_rkit_service cluster_service =
    ZS_RKIT_SERVICE(&zs__cluster__v1__cluster__descriptor, &cluster_def);
