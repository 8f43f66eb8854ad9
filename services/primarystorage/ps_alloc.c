/*
 * ps_alloc.c: the primary storage service's filter of the host allocator
 * (zs/host_alloc.h), primarystorage.space: a host fits when a primary storage attached to
 * its cluster, Enabled, with the host's share (its disk for LocalStorage, its mount for
 * NFS) Connected, has disk_size bytes available: on that host for LocalStorage, on the
 * storage for NFS. A request with no disk_size asks for nothing here. One query for all
 * the candidates. (The volumes' own reservations are made later, by the volume service:
 * this only keeps hosts that cannot take them out of the choice.)
 */
#include <stdlib.h>
#include <stdio.h>

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
	const char **hosts = calloc(n, sizeof *hosts), **clusters = calloc(n, sizeof *clusters);
	char *ha = NULL, *ca = NULL;
	if (hosts != NULL && clusters != NULL) {
		for (size_t i = 0; i < n; i++) {
			hosts[i] = v[i].uuid;
			clusters[i] = v[i].cluster_uuid;
		}
		ha = zs_db_text_array(hosts, n);
		ca = zs_db_text_array(clusters, n);
	}
	free(hosts);
	free(clusters);
	PGresult *r = NULL;
	char size[24];
	snprintf(size, sizeof size, "%lld", (long long) req->disk_size);
	if (ha != NULL && ca != NULL) {
		const char *p[3] = { ha, ca, size };
		r = zs_db_exec(c, "SELECT u.i FROM unnest($1::text[], $2::text[]) WITH ORDINALITY "
		    "AS u(host, cluster, i) WHERE EXISTS (SELECT 1 FROM ps_clusters pc "
		    "JOIN ps_storages s ON s.uuid = pc.ps_uuid "
		    "JOIN ps_hosts h ON h.ps_uuid = s.uuid AND h.host_uuid = u.host "
		    "WHERE pc.cluster_uuid = u.cluster AND s.state = 'Enabled' AND "
		    "h.status = 'Connected' AND CASE WHEN s.type = 'LocalStorage' "
		    "THEN h.total_capacity - h.reserved_capacity "
		    "ELSE s.total_capacity - s.reserved_capacity END >= $3::bigint)", 3, p, st);
	} else {
		*st = zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
	}
	free(ha);
	free(ca);
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
