/*
 * bs_alloc.c: the backup storage service's filter of the host allocator
 * (zs/host_alloc.h), backupstorage.zone: a VM's image is on one of the backup storages
 * asked for, which a host can reach when that backup storage is attached to the host's
 * zone. One query for all the candidates' zones.
 */
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
	return zs_host_alloc_keep(c, v, n, ZS_HOST_ALLOC_ZONE, "SELECT DISTINCT zone_uuid FROM "
	    "backupstorage_zone_refs WHERE zone_uuid = ANY($1::text[]) AND "
	    "backup_storage_uuid = ANY($2::text[])", req->backup_storage_uuids,
	    req->n_backup_storage_uuids, st);
}

ZS_EXPORT const zs_host_alloc_filter backupstorage_zone_filter = { "backupstorage.zone",
    bs_zone_filter_fn };
