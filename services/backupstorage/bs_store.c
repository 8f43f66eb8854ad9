/*
 * bs_store.c: the database side of a backup storage: its rows with their zones as
 * BackupStorageInfos, its status and capacity, each change in one transaction with its
 * backupstorage/... event (the outbox: it goes out with the commit and never without it).
 * Worker threads only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bs.h"
#include "zs/event.h"
#include "zs/resource_kit.h"

void
bs_infos_free(bs_infos *b)
{
	free(b->infos);
	free(b->ptrs);
	free(b->zones);
	PQclear(b->rows);
	PQclear(b->refs);
	memset(b, 0, sizeof *b);
}

int
bs_store_load(zs_db_conn *c, const char *where, int n, const char *const *p, bs_infos *out,
    zs_status **st)
{
	memset(out, 0, sizeof *out);
	char sql[2048];
	snprintf(sql, sizeof sql, "SELECT " BS_COLUMNS " FROM " BS_TABLE " WHERE %s "
	    "ORDER BY created_at, uuid", where);
	out->rows = zs_db_exec(c, sql, n, p, st);
	if (out->rows == NULL)
		return (*st) != NULL ? (int) (*st)->code : ZS_INTERNAL;
	snprintf(sql, sizeof sql, "SELECT backup_storage_uuid, zone_uuid FROM backupstorage_zone_refs "
	    "WHERE backup_storage_uuid IN (SELECT uuid FROM " BS_TABLE " WHERE %s) "
	    "ORDER BY backup_storage_uuid, created_at, zone_uuid", where);
	out->refs = zs_db_exec(c, sql, n, p, st);
	if (out->refs == NULL) {
		bs_infos_free(out);
		return (*st) != NULL ? (int) (*st)->code : ZS_INTERNAL;
	}
	size_t rows = (size_t) PQntuples(out->rows), refs = (size_t) PQntuples(out->refs);
	out->infos = calloc(rows + 1, sizeof *out->infos);
	out->ptrs = calloc(rows + 1, sizeof *out->ptrs);
	out->zones = calloc(refs + 1, sizeof *out->zones);
	if (out->infos == NULL || out->ptrs == NULL || out->zones == NULL) {
		bs_infos_free(out);
		*st = zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory reading backup storages");
		return ZS_RESOURCE_EXHAUSTED;
	}
	/* refs are grouped by backup storage: each info takes its run of them */
	size_t used = 0;
	for (size_t i = 0; i < rows; i++) {
		Zs__Backupstorage__V1__BackupStorageInfo *info = &out->infos[i];
		zs__backupstorage__v1__backup_storage_info__init(info);
		zs_rkit_from_row(out->rows, (int) i, &info->base);
		info->attached_zone_uuids = out->zones + used;
		for (size_t j = 0; j < refs; j++)
			if (strcmp(PQgetvalue(out->refs, (int) j, 0), info->uuid) == 0)
				out->zones[used + info->n_attached_zone_uuids++] = PQgetvalue(out->refs, (int) j, 1);
		used += info->n_attached_zone_uuids;
		out->ptrs[i] = info;
	}
	out->n = rows;
	return 0;
}

int
bs_store_one(zs_db_conn *c, const char *uuid, bs_infos *out, zs_status **st)
{
	const char *p[1] = { uuid };
	int rv = bs_store_load(c, "uuid = $1", 1, p, out, st);
	if (rv == 0 && out->n == 0) {
		bs_infos_free(out);
		*st = zs_status_new(ZS_NOT_FOUND, NULL, "no backup storage with uuid %s", uuid);
		return ZS_NOT_FOUND;
	}
	return rv;
}

int
bs_store_event(bs_state *bs, zs_db_conn *c, const char *uuid, const char *topic,
    zs_status **st)
{
	if (topic == NULL)
		return 0;
	bs_infos b;
	int rv = bs_store_one(c, uuid, &b, st);
	if (rv != 0)
		return rv;
	rv = zs_event_publish_tx(c, zs_node_events(bs->node), topic, uuid, b.infos[0].owner_uuid,
	    &b.infos[0].base, st);
	bs_infos_free(&b);
	return rv;
}

int
bs_store_acquire(bs_state *bs, zs_db_conn **c, zs_status **st)
{
	return zs_db_acquire(zs_node_db(bs->node), bs->connect_timeout_ms, c, st);
}

int
bs_store_status(bs_state *bs, const char *uuid, const char *status, const char *reason,
    const char *topic, bool only_on_change, zs_status **st)
{
	zs_db_conn *c = NULL;
	int rv = bs_store_acquire(bs, &c, st);
	if (rv != 0)
		return rv;
	const char *p[3] = { uuid, status, reason != NULL ? reason : "" };
	rv = zs_db_begin(c, st);
	if (rv == 0) {
		PGresult *r = zs_db_exec(c, "SELECT status FROM " BS_TABLE " WHERE uuid = $1 FOR UPDATE",
		    1, p, st);
		bool changed = true;
		if (r == NULL) {
			rv = (*st) != NULL ? (int) (*st)->code : ZS_INTERNAL;
		} else if (PQntuples(r) == 0) {
			rv = ZS_NOT_FOUND;
			*st = zs_status_new(ZS_NOT_FOUND, NULL, "no backup storage with uuid %s", uuid);
		} else {
			changed = strcmp(PQgetvalue(r, 0, 0), status) != 0;
		}
		PQclear(r);
		if (rv == 0)
			rv = zs_db_cmd(c, "UPDATE " BS_TABLE " SET status = $2, status_reason = $3, "
			    "updated_at = now() WHERE uuid = $1", 3, p, NULL, st);
		if (rv == 0 && (changed || !only_on_change))
			rv = bs_store_event(bs, c, uuid, topic, st);
		rv = zs_db_end(c, rv, st);
	}
	zs_db_release(zs_node_db(bs->node), c);
	return rv;
}

int
bs_store_connected(bs_state *bs, const char *uuid, int64_t total, int64_t available,
    zs_status **st)
{
	zs_db_conn *c = NULL;
	int rv = bs_store_acquire(bs, &c, st);
	if (rv != 0)
		return rv;
	char t[24], a[24];
	snprintf(t, sizeof t, "%lld", (long long) total);
	snprintf(a, sizeof a, "%lld", (long long) (available < 0 ? 0 : available > total ? total :
	    available));
	const char *p[3] = { uuid, t, a };
	rv = zs_db_begin(c, st);
	if (rv == 0) {
		int n = 0;
		rv = zs_db_cmd(c, "UPDATE " BS_TABLE " SET status = 'Connected', status_reason = '', "
		    "total_capacity = $2, available_capacity = $3, updated_at = now() WHERE uuid = $1",
		    3, p, &n, st);
		if (rv == 0 && n == 0) {
			rv = ZS_NOT_FOUND;
			*st = zs_status_new(ZS_NOT_FOUND, NULL, "no backup storage with uuid %s", uuid);
		}
		if (rv == 0)
			rv = bs_store_event(bs, c, uuid, "backupstorage/connected", st);
		rv = zs_db_end(c, rv, st);
	}
	zs_db_release(zs_node_db(bs->node), c);
	return rv;
}
