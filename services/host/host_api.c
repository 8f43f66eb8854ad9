/*
 * host_api.c: the host service's table for the resource kit (zs/resource_kit.h), which
 * runs GetHost (with the reserved memory in force, host_memory.c), ListHosts,
 * UpdateHost and QueryHost (host_query.c); AddHost is a workflow of its own
 * (host_add.c), whose insert-host step is host_insert, DeleteHost goes through the
 * host's hypervisor factory (host_hypervisor.c), and AllocateHost and ReturnHostCapacity
 * are the host allocator's (host_alloc.c). Names are unique within a cluster, management
 * IPs among all hosts.
 */
#include "host.h"


#define HOST_TABLE "host_hosts"
#define HOST_COLUMNS \
	"uuid, cluster_uuid, zone_uuid, name, description, management_ip, hypervisor_type, " \
	"state, status, owner_uuid, " ZS_RKIT_SQL_TIMES

static const zs_rkit_conflict host_conflicts[] = {
	{ "host_hosts_cluster_name_key", "HOST.1001", "name",
	  "the cluster already has a host named \"", "\"" },
	{ "host_hosts_management_ip_key", "HOST.1002", "management_ip",
	  "a host with management IP ", " is already added" },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const zs_rkit_op host_ops[] = {
	{ ZS_RKIT_CUSTOM, host_add_host }, { ZS_RKIT_GET, NULL }, { ZS_RKIT_LIST, NULL },
	{ ZS_RKIT_UPDATE, NULL }, { ZS_RKIT_CUSTOM, host_delete_host },
	{ ZS_RKIT_CUSTOM, host_allocate_host }, { ZS_RKIT_CUSTOM, host_return_capacity },
	{ ZS_RKIT_QUERY, NULL },
};

const zs_rkit_def host_def = {
	.type = HOST_TYPE, .what = "host", .parent_field = "cluster_uuid",
	.parent_type = "Cluster", .parent_what = "cluster",
	.name_max = HOST_NAME_MAX_BYTES, .description_max = HOST_DESCRIPTION_MAX,
	.sql_get = ZS_RKIT_SQL_GET(HOST_TABLE, HOST_COLUMNS),
	.sql_list = ZS_RKIT_SQL_LIST_IN(HOST_TABLE, "cluster_uuid", HOST_COLUMNS),
	.sql_insert = ZS_RKIT_SQL_INSERT(HOST_TABLE,
	    ", cluster_uuid, zone_uuid, management_ip, hypervisor_type", ", $5, $6, $7, $8",
	    HOST_COLUMNS),
	.sql_update = ZS_RKIT_SQL_UPDATE(HOST_TABLE, HOST_COLUMNS),
	.info = &zs__host__v1__host_info__descriptor, .get_more = host_memory_add,
	.query = &host_query,
	.conflicts = host_conflicts, .ops = host_ops, .n_ops = sizeof host_ops / sizeof host_ops[0],
};

int
host_insert(zs_db_conn *c, const zs_call *call, const host_new *h, PGresult **row,
    zs_status **st)
{
	*row = NULL;
	const char *p[8] = { h->uuid, zs_call_account(call), h->name, h->description,
	    h->cluster_uuid, h->zone_uuid, h->management_ip, h->hypervisor_type };
	if (zs_db_exec_one(c, host_def.sql_insert, 8, p, "host", h->uuid, row, st) == 0)
		return 0;
	Zs__Host__V1__AddHostRequest in = ZS__HOST__V1__ADD_HOST_REQUEST__INIT;
	in.name = (char *) h->name;
	in.management_ip = (char *) h->management_ip;
	return zs_rkit_conflict_map(&host_def, &in.base, st);
}

ZS_EXPORT zs_rkit_service host_service = ZS_RKIT_SERVICE(&zs__host__v1__host__descriptor,
    &host_def);
