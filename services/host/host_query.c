/*
 * host_query.c: what QueryHost may name: a host's own fields (its HostInfo's, but the
 * reserved memory GetHost works out) and, by dot path, its cluster's, its zone's and its
 * tags'. The kit runs the query (zs/resource_kit.h, zs/query.h).
 */
#include "host.h"

static const char *const host_hypervisors[] = { "KVM", NULL };
static const char *const host_states[] = {
	"Enabled", "Disabled", "PreMaintenance", "Maintenance", NULL,
};
static const char *const host_statuses[] = { "Connecting", "Connected", "Disconnected", NULL };

#define HOST_CLUSTER "SELECT 1 FROM cluster_clusters r WHERE r.uuid = t.cluster_uuid"
#define HOST_ZONE "SELECT 1 FROM zone_zones r WHERE r.uuid = t.zone_uuid"

static const zs_query_field host_query_fields[] = {
	{ "uuid", "t.uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "cluster_uuid", "t.cluster_uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "zone_uuid", "t.zone_uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "name", "t.name", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "description", "t.description", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "management_ip", "t.management_ip", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "hypervisor_type", "t.hypervisor_type", ZS_QUERY_ENUM, host_hypervisors, NULL, NULL },
	{ "state", "t.state", ZS_QUERY_ENUM, host_states, NULL, NULL },
	{ "status", "t.status", ZS_QUERY_ENUM, host_statuses, NULL, NULL },
	{ "owner_uuid", "t.owner_uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "create_date", "t.created_at", ZS_QUERY_TIME, NULL, NULL, NULL },
	{ "last_op_date", "t.updated_at", ZS_QUERY_TIME, NULL, NULL, NULL },
	{ "cluster.uuid", "r.uuid", ZS_QUERY_UUID, NULL, HOST_CLUSTER, "r.owner_uuid" },
	{ "cluster.name", "r.name", ZS_QUERY_TEXT, NULL, HOST_CLUSTER, "r.owner_uuid" },
	{ "cluster.zone_uuid", "r.zone_uuid", ZS_QUERY_UUID, NULL, HOST_CLUSTER, "r.owner_uuid" },
	{ "cluster.hypervisor_type", "r.hypervisor_type", ZS_QUERY_ENUM, host_hypervisors,
	  HOST_CLUSTER, "r.owner_uuid" },
	{ "zone.uuid", "r.uuid", ZS_QUERY_UUID, NULL, HOST_ZONE, "r.owner_uuid" },
	{ "zone.name", "r.name", ZS_QUERY_TEXT, NULL, HOST_ZONE, "r.owner_uuid" },
	{ "tags.tag", "r.tag", ZS_QUERY_TEXT, NULL,
	  "SELECT 1 FROM zs_tags r WHERE r.resource_uuid = t.uuid", NULL },
};

const zs_query_table host_query = {
	"host", "host_hosts t", "t.owner_uuid", "t.created_at", "t.uuid", host_query_fields,
	sizeof host_query_fields / sizeof host_query_fields[0], NULL,
};
