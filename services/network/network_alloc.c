/*
 * network_alloc.c: the network service's filter of the host allocator (zs/host_alloc.h),
 * network.l2: a VM's NICs are on L3 networks, each in an L2 network whose bridge exists
 * only on the hosts of the clusters it is attached to; so a host fits when its cluster
 * has the L2 of every L3 asked for attached. One query for all the candidates' clusters.
 */
#include "network.h"
#include "zs/host_alloc.h"
#include "zs/service.h"

static int
network_l2_filter_fn(void *data, zs_call *call, zs_db_conn *c, const zs_host_alloc_request *req,
    zs_host_candidate *v, size_t n, zs_status **st)
{
	(void) data, (void) call;
	if (req->n_l3_network_uuids == 0)
		return 0;
	/* the clusters for which no L3 asked for lacks its L2 */
	return zs_host_alloc_keep(c, v, n, ZS_HOST_ALLOC_CLUSTER, "SELECT cl FROM "
	    "unnest($1::text[]) AS cl WHERE NOT EXISTS (SELECT 1 FROM unnest($2::text[]) AS l3 "
	    "WHERE NOT EXISTS (SELECT 1 FROM net_l3_networks n JOIN net_l2_cluster_refs a ON "
	    "a.l2_network_uuid = n.l2_network_uuid WHERE n.uuid = l3 AND a.cluster_uuid = cl))",
	    req->l3_network_uuids, req->n_l3_network_uuids, st);
}

ZS_EXPORT const zs_host_alloc_filter network_l2_filter = { "network.l2", network_l2_filter_fn };
