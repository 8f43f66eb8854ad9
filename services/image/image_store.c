/*
 * image_store.c: the database side of images: rows with their copies on backup storages
 * as ImageInfos, and events written in the change's transaction (the outbox). Worker
 * threads only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "zs/event.h"
#include "zs/resource.h"

void
image_infos_free(image_infos *b)
{
	free(b->infos);
	free(b->ptrs);
	free(b->refs);
	free(b->ref_ptrs);
	PQclear(b->rows);
	PQclear(b->ref_rows);
	memset(b, 0, sizeof *b);
}

/* Room for this many extra refs per image (AddImage's Failed copies). */
#define IMAGE_EXTRA_REFS 16

int
image_store_load(zs_db_conn *c, const char *where, int n, const char *const *p,
    image_infos *out, zs_status **st)
{
	memset(out, 0, sizeof *out);
	char sql[2048];
	snprintf(sql, sizeof sql, "SELECT " IMAGE_COLUMNS " FROM " IMAGE_TABLE " WHERE %s "
	    "ORDER BY created_at, uuid", where);
	out->rows = zs_db_exec(c, sql, n, p, st);
	if (out->rows == NULL)
		return (*st) != NULL ? (int) (*st)->code : ZS_INTERNAL;
	snprintf(sql, sizeof sql, "SELECT image_uuid, backup_storage_uuid, status, install_path, "
	    "size, actual_size FROM " IMAGE_REFS " WHERE image_uuid IN (SELECT uuid FROM "
	    IMAGE_TABLE " WHERE %s) ORDER BY image_uuid, created_at, backup_storage_uuid", where);
	out->ref_rows = zs_db_exec(c, sql, n, p, st);
	if (out->ref_rows == NULL) {
		image_infos_free(out);
		return (*st) != NULL ? (int) (*st)->code : ZS_INTERNAL;
	}
	size_t rows = (size_t) PQntuples(out->rows), refs = (size_t) PQntuples(out->ref_rows);
	out->infos = calloc(rows + 1, sizeof *out->infos);
	out->ptrs = calloc(rows + 1, sizeof *out->ptrs);
	out->refs = calloc(refs + 1, sizeof *out->refs);
	out->ref_ptrs = calloc(refs + rows * IMAGE_EXTRA_REFS + 1, sizeof *out->ref_ptrs);
	if (out->infos == NULL || out->ptrs == NULL || out->refs == NULL || out->ref_ptrs == NULL) {
		image_infos_free(out);
		*st = zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory reading images");
		return ZS_RESOURCE_EXHAUSTED;
	}
	for (size_t j = 0; j < refs; j++) {
		zs__image__v1__image_backup_storage_ref__init(&out->refs[j]);
		zs_rkit_from_row(out->ref_rows, (int) j, &out->refs[j].base);
	}
	size_t used = 0;
	for (size_t i = 0; i < rows; i++) {
		Zs__Image__V1__ImageInfo *info = &out->infos[i];
		zs__image__v1__image_info__init(info);
		zs_rkit_from_row(out->rows, (int) i, &info->base);
		info->backup_storage_refs = out->ref_ptrs + used;
		for (size_t j = 0; j < refs; j++)
			if (strcmp(PQgetvalue(out->ref_rows, (int) j, 0), info->uuid) == 0)
				out->ref_ptrs[used + info->n_backup_storage_refs++] = &out->refs[j];
		used += info->n_backup_storage_refs + IMAGE_EXTRA_REFS;
		out->ptrs[i] = info;
	}
	out->n = rows;
	return 0;
}

int
image_store_one(zs_db_conn *c, const char *uuid, image_infos *out, zs_status **st)
{
	const char *p[1] = { uuid };
	int rv = image_store_load(c, "uuid = $1", 1, p, out, st);
	if (rv == 0 && out->n == 0) {
		image_infos_free(out);
		*st = zs_status_new(ZS_NOT_FOUND, NULL, "no image with uuid %s", uuid);
		return ZS_NOT_FOUND;
	}
	return rv;
}

int
image_store_event(zs_node *node, zs_db_conn *c, const char *uuid, const char *topic,
    zs_status **st)
{
	image_infos b;
	int rv = image_store_one(c, uuid, &b, st);
	if (rv != 0)
		return rv;
	rv = zs_event_publish_tx(c, zs_node_events(node), topic, uuid, b.infos[0].owner_uuid,
	    &b.infos[0].base, st);
	image_infos_free(&b);
	return rv;
}

int
image_api_load(zs_call *call, const char *uuid, image_infos *b)
{
	zs_db *db = zs_node_db(zs_call_node(call));
	zs_db_conn *c = NULL;
	int rv = zs_db_acquire_for(db, call, &c);
	if (rv != 0)
		return rv;
	zs_status *st = NULL;
	if (zs_call_admin(call)) {
		rv = zs_resource_check(c, call, uuid, IMAGE_TYPE, NULL, 0, &st);
	} else {
		/* another account sees its own and the public Ready ones; the rest do not exist */
		const char *p[2] = { uuid, zs_call_account(call) };
		PGresult *r = zs_db_exec(c, "SELECT 1 FROM " IMAGE_TABLE " WHERE uuid = $1 AND "
		    "(owner_uuid = $2 OR (is_public AND status = 'Ready'))", 2, p, &st);
		rv = r == NULL ? (st != NULL ? (int) st->code : ZS_INTERNAL) : PQntuples(r) == 0 ?
		    ZS_NOT_FOUND : 0;
		if (rv == ZS_NOT_FOUND)
			st = zs_status_new(rv, NULL, "no image with uuid %s", uuid);
		PQclear(r);
	}
	if (rv == 0)
		rv = image_store_one(c, uuid, b, &st);
	zs_db_release(db, c);
	if (rv != 0)
		zs_rkit_fail(call, st);
	return rv;
}

void
image_api_answer(zs_call *call, ProtobufCClosure closure, const char *uuid)
{
	image_infos b;
	if (image_api_load(call, uuid, &b) != 0)
		return;
	closure(&b.infos[0].base, call);
	image_infos_free(&b);
}

