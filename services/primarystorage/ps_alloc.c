/*
 * ps_alloc.c: the primary storage service's filter of the host allocator
 * (zs/host_alloc.h), primarystorage.space: a host fits when a primary storage attached to
 * its cluster, Enabled, with the host's share (its disk for LocalStorage, its mount for
 * NFS) Connected, has disk_size bytes available: on that host for LocalStorage, on the
 * storage for NFS. A request with no disk_size asks for nothing here. One query for all
 * the candidates. (The volumes' own reservations are made later, by the volume service:
 * this only keeps hosts that cannot take them out of the choice.)
 */
#include <stdio.h>
#include <stdlib.h>

#include "ps.h"
#include "zs/host_alloc.h"
#include "zs/service.h"

static int
ps_space_filter_fn(void *data, zs_call *call, zs_db_conn *c, const zs_host_alloc_request *req,
    zs_host_candidate *v, size_t n, zs_status **st)
{
	(void) data, (void) call;
	if (req->disk_size <= 0)
		return 0;
	char *hosts = zs_host_alloc_column(v, n, ZS_HOST_ALLOC_UUID);   /* in candidate order */
	if (hosts == NULL) {
		*st = zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return ZS_RESOURCE_EXHAUSTED;
	}
	char size[24];
	snprintf(size, sizeof size, "%lld", (long long) req->disk_size);
	/* a host's share is there while its cluster is attached: ps_clusters says it is */
	PGresult *r = zs_db_exec(c, "SELECT u.i FROM unnest($1::text[]) WITH ORDINALITY AS "
	    "u(host, i) WHERE EXISTS (SELECT 1 FROM ps_hosts h "
	    "JOIN ps_storages s ON s.uuid = h.ps_uuid "
	    "JOIN ps_clusters pc ON pc.ps_uuid = h.ps_uuid AND pc.cluster_uuid = h.cluster_uuid "
	    "WHERE h.host_uuid = u.host AND s.state = 'Enabled' AND h.status = 'Connected' AND "
	    "CASE WHEN s.type = 'LocalStorage' THEN h.total_capacity - h.reserved_capacity "
	    "ELSE s.total_capacity - s.reserved_capacity END >= $2::bigint)", 2,
	    (const char *const[]) { hosts, size }, st);
	free(hosts);
	if (r == NULL)
		return *st != NULL ? (int) (*st)->code : ZS_INTERNAL;
	for (size_t i = 0; i < n; i++)
		v[i].removed = true;
	for (int k = 0; k < PQntuples(r); k++) {
		long long i = strtoll(PQgetvalue(r, k, 0), NULL, 10);
		if (i >= 1 && (size_t) i <= n)
			v[i - 1].removed = false;
	}
	PQclear(r);
	return 0;
}

ZS_EXPORT const zs_host_alloc_filter primarystorage_space_filter = { "primarystorage.space",
    ps_space_filter_fn };
