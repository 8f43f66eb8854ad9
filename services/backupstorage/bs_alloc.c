/*
 * bs_alloc.c: the backup storage service's filter of the host allocator
 * (zs/host_alloc.h), backupstorage.zone: a VM's image is on one of the backup storages
 * asked for, which a host can reach when that backup storage is attached to the host's
 * zone. One query for all the candidates' zones.
 */
#include <stdlib.h>
#include <string.h>

#include "bs.h"
#include "zs/host_alloc.h"
#include "zs/service.h"

static int
bs_zone_filter_fn(void *data, zs_call *call, zs_db_conn *c, const zs_host_alloc_request *req,
    zs_host_candidate *v, size_t n, zs_status **st)
{
	(void) data, (void) call;
	if (req->n_backup_storage_uuids == 0)
		return 0;
	char *zones = zs_host_alloc_column(v, n, ZS_HOST_ALLOC_ZONE);
	char *bss = zs_db_text_array(req->backup_storage_uuids, req->n_backup_storage_uuids);
	PGresult *r = NULL;
	if (zones != NULL && bss != NULL) {
		const char *p[2] = { zones, bss };
		r = zs_db_exec(c, "SELECT DISTINCT zone_uuid FROM backupstorage_zone_refs "
		    "WHERE zone_uuid = ANY($1::text[]) AND backup_storage_uuid = ANY($2::text[])", 2, p,
		    st);
	} else {
		*st = zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
	}
	free(zones);
	free(bss);
	if (r == NULL)
		return *st != NULL ? (int) (*st)->code : ZS_INTERNAL;
	for (size_t i = 0; i < n; i++) {
		v[i].removed = true;
		for (int k = 0; k < PQntuples(r) && v[i].removed; k++)
			v[i].removed = strcmp(PQgetvalue(r, k, 0), v[i].zone_uuid) != 0;
	}
	PQclear(r);
	return 0;
}

ZS_EXPORT const zs_host_alloc_filter backupstorage_zone_filter = { "backupstorage.zone",
    bs_zone_filter_fn };
