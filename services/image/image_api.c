/*
 * image_api.c: the zs.image.v1.Image API and its interceptor (image.check: admins only,
 * and each request's fields). AddImage is image_add.c's, ExpungeImage image_expunge.c's.
 * DeleteImage marks a Ready image Deleted (it stays on its backup storages, their
 * capacity taken, until ExpungeImage; RecoverImage makes it Ready again).
 * GetImageCandidates tells the VM creation flow where the image is Ready: its copies on
 * backup storages that are Connected and Enabled (and attached to the zone asked for),
 * as the backup storage service says over the bus. Every account may read: it sees the
 * images it owns and the public Ready ones (another's are NOT_FOUND, as if they were not);
 * QueryImage (the kit's, from the query table below) matches the same ones.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "zs/backupstorage/v1/backupstorage.zsb.h"
#include "zs/check.h"
#include "zs/resource.h"
#include "zs/service.h"

#define IMAGE_NAME_MAX 255
#define IMAGE_TEXT_MAX 2048
#define IMAGE_BS_MAX 16

/* ---- the interceptor ---- */

static bool
image_is(const ProtobufCMessage *m, const ProtobufCMessageDescriptor *d)
{
	return strcmp(m->descriptor->name, d->name) == 0;
}

/* value is one of the NULL-terminated list; otherwise fails the call naming field. */
static int
image_check_one_of(zs_call *call, const char *field, const char *value, const char *const *ok)
{
	char all[256] = "";
	for (size_t i = 0; ok[i] != NULL; i++) {
		if (strcmp(value, ok[i]) == 0)
			return 0;
		size_t l = strlen(all);
		snprintf(all + l, sizeof all - l, "%s%s", i ? ", " : "", ok[i]);
	}
	zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "%s: \"%s\" is not one of %s", field, value, all);
	return ZS_INVALID_ARGUMENT;
}

static const char *const image_formats[] = { "qcow2", "raw", "iso", NULL };
static const char *const image_media[] = { "RootVolumeTemplate", "DataVolumeTemplate", "ISO", NULL };
static const char *const image_platforms[] = { "Linux", "Windows", "Other", NULL };
static const char *const image_schemes[] = { "http://", "https://", "ftp://", "sftp://", "file:///",
    NULL };

static int
image_check_add(zs_call *call, const Zs__Image__V1__AddImageRequest *in)
{
	int rv;
	if ((rv = zs_check_text(call, "name", in->name, IMAGE_NAME_MAX, ZS_TEXT_REQUIRED)) != 0 ||
	    (rv = zs_check_text(call, "description", in->description, IMAGE_TEXT_MAX,
	    ZS_TEXT_MULTILINE)) != 0 ||
	    (rv = zs_check_text(call, "url", in->url, IMAGE_TEXT_MAX, ZS_TEXT_REQUIRED)) != 0 ||
	    (rv = image_check_one_of(call, "format", in->format, image_formats)) != 0 ||
	    (in->media_type[0] != '\0' &&
	    (rv = image_check_one_of(call, "media_type", in->media_type, image_media)) != 0) ||
	    (in->platform[0] != '\0' &&
	    (rv = image_check_one_of(call, "platform", in->platform, image_platforms)) != 0))
		return rv;
	bool scheme = false;
	for (size_t i = 0; image_schemes[i] != NULL; i++)
		scheme |= strncmp(in->url, image_schemes[i], strlen(image_schemes[i])) == 0;
	if (!scheme || strchr(in->url, ' ') != NULL) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "url: \"%s\" is not an http, https, ftp, "
		    "sftp or file URL without spaces", in->url);
		return ZS_INVALID_ARGUMENT;
	}
	bool iso = strcmp(in->format, "iso") == 0;
	if (in->media_type[0] != '\0' && iso != (strcmp(in->media_type, "ISO") == 0)) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "media_type: %s does not go with format "
		    "%s (ISO images, and only they, have format iso)", in->media_type, in->format);
		return ZS_INVALID_ARGUMENT;
	}
	if (in->n_backup_storage_uuids == 0 || in->n_backup_storage_uuids > IMAGE_BS_MAX) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "backup_storage_uuids: from 1 to %d "
		    "backup storages (%zu given)", IMAGE_BS_MAX, in->n_backup_storage_uuids);
		return ZS_INVALID_ARGUMENT;
	}
	for (size_t i = 0; i < in->n_backup_storage_uuids; i++) {
		if ((rv = zs_check_uuid(call, "backup_storage_uuids", in->backup_storage_uuids[i])) != 0)
			return rv;
		for (size_t j = 0; j < i; j++)
			if (strcmp(in->backup_storage_uuids[i], in->backup_storage_uuids[j]) == 0) {
				zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "backup_storage_uuids: %s is "
				    "named twice", in->backup_storage_uuids[i]);
				return ZS_INVALID_ARGUMENT;
			}
	}
	return 0;
}

static int
image_check_request(zs_call *call, const ProtobufCMessage *req, void *arg)
{
	(void) arg;
	/* every account may read (it sees its own and the public images); admins do the rest */
	bool read = image_is(req, &zs__image__v1__get_image_request__descriptor) ||
	    image_is(req, &zs__image__v1__list_images_request__descriptor) ||
	    image_is(req, &zs__image__v1__get_image_candidates_request__descriptor) ||
	    image_is(req, &zs__resource__v1__query_request__descriptor);
	if (!read && !zs_call_admin(call)) {
		zs_call_fail(call, ZS_PERMISSION_DENIED, "IMAGE.1001", "%s is for admins only",
		    zs_call_method(call));
		return ZS_PERMISSION_DENIED;
	}
	if (image_is(req, &zs__image__v1__add_image_request__descriptor))
		return image_check_add(call, (const Zs__Image__V1__AddImageRequest *) req);
	if (image_is(req, &zs__image__v1__list_images_request__descriptor) ||
	    image_is(req, &zs__resource__v1__query_request__descriptor))
		return 0;   /* QueryImage's request is checked by the query engine */
	if (image_is(req, &zs__image__v1__get_image_candidates_request__descriptor)) {
		const Zs__Image__V1__GetImageCandidatesRequest *g = (const void *) req;
		int rv = zs_check_uuid(call, "image_uuid", g->image_uuid);
		return rv != 0 || g->zone_uuid[0] == '\0' ? rv : zs_check_uuid(call, "zone_uuid",
		    g->zone_uuid);
	}
	/* the others start with the image's uuid */
	const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(
	    req->descriptor, "uuid");
	const char *uuid = f != NULL ? *(char *const *) (const void *) ((const char *) req + f->offset) : "";
	int rv = zs_check_uuid(call, "uuid", uuid);
	if (rv == 0 && image_is(req, &zs__image__v1__update_image_request__descriptor)) {
		const Zs__Image__V1__UpdateImageRequest *u = (const void *) req;
		if (u->_name_case == ZS__IMAGE__V1__UPDATE_IMAGE_REQUEST___NAME_NAME)
			rv = zs_check_text(call, "name", u->name, IMAGE_NAME_MAX, ZS_TEXT_REQUIRED);
		if (rv == 0 && u->_description_case ==
		    ZS__IMAGE__V1__UPDATE_IMAGE_REQUEST___DESCRIPTION_DESCRIPTION)
			rv = zs_check_text(call, "description", u->description, IMAGE_TEXT_MAX,
			    ZS_TEXT_MULTILINE);
		if (rv == 0 && u->_platform_case == ZS__IMAGE__V1__UPDATE_IMAGE_REQUEST___PLATFORM_PLATFORM)
			rv = image_check_one_of(call, "platform", u->platform, image_platforms);
	}
	return rv;
}

ZS_EXPORT const zs_interceptor image_check = { image_check_request, NULL };

/* ---- Get, List, Update ---- */

static void
image_get(zs_call *call, const ProtobufCMessage *msg, ProtobufCClosure closure)
{
	image_api_answer(call, closure, ((const Zs__Image__V1__GetImageRequest *) msg)->uuid);
}

static void
image_list(zs_call *call, const ProtobufCMessage *msg, ProtobufCClosure closure)
{
	(void) msg;
	zs_db *db = zs_node_db(zs_call_node(call));
	zs_db_conn *c = NULL;
	if (zs_db_acquire_for(db, call, &c) != 0)
		return;
	const char *p[2] = { zs_call_admin(call) ? "t" : "f", zs_call_account(call) };
	image_infos b;
	zs_status *st = NULL;
	int rv = image_store_load(c, "$1::boolean OR owner_uuid = $2 OR (is_public AND "
	    "status = 'Ready')", 2, p, &b, &st);
	zs_db_release(db, c);
	if (rv != 0) {
		zs_rkit_fail(call, st);
		return;
	}
	Zs__Image__V1__ListImagesResponse out = ZS__IMAGE__V1__LIST_IMAGES_RESPONSE__INIT;
	out.n_images = b.n;
	out.images = b.ptrs;
	closure(&out.base, call);
	image_infos_free(&b);
}

/* Runs one change of uuid's row in a transaction: sql ($1 uuid, then p[1..n)) when the
 * status is one of from (NULL: any), then topic's event; answers the image. */
static void
image_change(zs_call *call, ProtobufCClosure closure, const char *uuid, const char *sql, int n,
    const char *const *p, const char *const *from, const char *what, const char *topic,
    const char *rename)
{
	zs_db *db = zs_node_db(zs_call_node(call));
	zs_db_conn *c = NULL;
	if (zs_db_acquire_for(db, call, &c) != 0)
		return;
	zs_status *st = NULL;
	int rv = zs_db_begin(c, &st);
	if (rv == 0) {
		PGresult *r = NULL;
		rv = zs_resource_check(c, call, uuid, IMAGE_TYPE, NULL, 0, &st);
		if (rv == 0)
			rv = zs_db_exec_one(c, "SELECT status FROM " IMAGE_TABLE " WHERE uuid = $1 FOR UPDATE",
			    1, p, "image", uuid, &r, &st);
		bool ok = from == NULL;
		for (size_t i = 0; rv == 0 && from != NULL && from[i] != NULL; i++)
			ok |= strcmp(PQgetvalue(r, 0, 0), from[i]) == 0;
		if (rv == 0 && !ok) {
			rv = ZS_FAILED_PRECONDITION;
			st = zs_status_new(rv, "IMAGE.1004", "image %s is %s: it cannot be %s", uuid,
			    PQgetvalue(r, 0, 0), what);
		}
		PQclear(r);
		if (rv == 0)
			rv = zs_db_cmd(c, sql, n, p, NULL, &st);
		if (rv == 0 && rename != NULL)
			rv = zs_resource_rename(c, uuid, rename, &st);
		if (rv == 0)
			rv = image_store_event(zs_call_node(call), c, uuid, topic, &st);
		rv = zs_db_end(c, rv, &st);
	}
	zs_db_release(db, c);
	if (rv != 0)
		zs_rkit_fail(call, st);
	else
		image_api_answer(call, closure, uuid);
}

static void
image_update(zs_call *call, const ProtobufCMessage *msg, ProtobufCClosure closure)
{
	const Zs__Image__V1__UpdateImageRequest *in = (const void *) msg;
	const char *p[5] = { in->uuid,
	    in->_name_case == ZS__IMAGE__V1__UPDATE_IMAGE_REQUEST___NAME_NAME ? in->name : NULL,
	    in->_description_case == ZS__IMAGE__V1__UPDATE_IMAGE_REQUEST___DESCRIPTION_DESCRIPTION ?
	    in->description : NULL,
	    in->_platform_case == ZS__IMAGE__V1__UPDATE_IMAGE_REQUEST___PLATFORM_PLATFORM ?
	    in->platform : NULL,
	    in->_is_public_case != ZS__IMAGE__V1__UPDATE_IMAGE_REQUEST___IS_PUBLIC_IS_PUBLIC ? NULL :
	    in->is_public ? "t" : "f" };
	image_change(call, closure, in->uuid, "UPDATE " IMAGE_TABLE " SET name = COALESCE($2, name), "
	    "description = COALESCE($3, description), platform = COALESCE($4, platform), "
	    "is_public = COALESCE($5::boolean, is_public), updated_at = now() WHERE uuid = $1", 5, p,
	    NULL, "updated", "image/updated", p[1]);
}

static void
image_delete(zs_call *call, const ProtobufCMessage *msg, ProtobufCClosure closure)
{
	const char *uuid = ((const Zs__Image__V1__DeleteImageRequest *) msg)->uuid;
	const char *p[1] = { uuid };
	static const char *const from[] = { "Ready", NULL };
	image_change(call, closure, uuid, "UPDATE " IMAGE_TABLE " SET status = 'Deleted', "
	    "updated_at = now() WHERE uuid = $1", 1, p, from, "deleted (only a Ready image can)",
	    "image/deleted", NULL);
}

static void
image_recover(zs_call *call, const ProtobufCMessage *msg, ProtobufCClosure closure)
{
	const char *uuid = ((const Zs__Image__V1__RecoverImageRequest *) msg)->uuid;
	const char *p[1] = { uuid };
	static const char *const from[] = { "Deleted", NULL };
	image_change(call, closure, uuid, "UPDATE " IMAGE_TABLE " SET status = 'Ready', "
	    "updated_at = now() WHERE uuid = $1", 1, p, from, "recovered (only a Deleted image can)",
	    "image/recovered", NULL);
}

/* ---- GetImageCandidates ---- */

typedef struct image_cand {
	zs_call *call;
	ProtobufCClosure closure;
	Zs__Backupstorage__V1__ListBackupStoragesRequest req;
	char zone[ZS_UUID_LEN];
	image_infos img;
} image_cand;

static void
image_cand_listed(int code, const zs_status *status,
    const Zs__Backupstorage__V1__ListBackupStoragesResponse *reply, void *arg)
{
	image_cand *k = arg;
	if (code != 0) {
		zs_call_fail_cause(k->call, code, NULL, status, "the backup storages could not be listed");
	} else {
		const Zs__Image__V1__ImageInfo *img = &k->img.infos[0];
		size_t n = 0;
		Zs__Image__V1__ImageCandidate *cands = calloc(img->n_backup_storage_refs + 1, sizeof *cands);
		Zs__Image__V1__ImageCandidate **ptrs = calloc(img->n_backup_storage_refs + 1, sizeof *ptrs);
		for (size_t i = 0; cands != NULL && ptrs != NULL && i < img->n_backup_storage_refs; i++) {
			const Zs__Image__V1__ImageBackupStorageRef *ref = img->backup_storage_refs[i];
			if (strcmp(ref->status, "Ready") != 0)
				continue;
			for (size_t j = 0; j < reply->n_backup_storages; j++) {
				const Zs__Backupstorage__V1__BackupStorageInfo *b = reply->backup_storages[j];
				if (strcmp(b->uuid, ref->backup_storage_uuid) != 0 ||
				    strcmp(b->status, "Connected") != 0 || strcmp(b->state, "Enabled") != 0)
					continue;
				Zs__Image__V1__ImageCandidate *c = &cands[n];
				zs__image__v1__image_candidate__init(c);
				c->backup_storage_uuid = ref->backup_storage_uuid;
				c->hostname = b->hostname;
				c->install_path = ref->install_path;
				c->size = ref->size;
				c->actual_size = ref->actual_size;
				c->format = img->format;
				ptrs[n++] = c;
			}
		}
		if (cands == NULL || ptrs == NULL) {
			zs_call_fail(k->call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		} else {
			Zs__Image__V1__GetImageCandidatesResponse out =
			    ZS__IMAGE__V1__GET_IMAGE_CANDIDATES_RESPONSE__INIT;
			out.n_candidates = n;
			out.candidates = ptrs;
			k->closure(&out.base, k->call);
		}
		free(cands);
		free(ptrs);
	}
	image_infos_free(&k->img);
	free(k);
}

static void
image_candidates(zs_call *call, const ProtobufCMessage *msg, ProtobufCClosure closure)
{
	const Zs__Image__V1__GetImageCandidatesRequest *in = (const void *) msg;
	image_cand *k = calloc(1, sizeof *k);
	if (k == NULL) {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	if (image_api_load(call, in->image_uuid, &k->img) != 0) {
		free(k);
		return;
	}
	k->call = call;
	k->closure = closure;
	if (strcmp(k->img.infos[0].status, "Ready") != 0) {
		zs_call_fail(call, ZS_FAILED_PRECONDITION, "IMAGE.1004", "image %s is %s, not Ready",
		    in->image_uuid, k->img.infos[0].status);
		image_infos_free(&k->img);
		free(k);
		return;
	}
	snprintf(k->zone, sizeof k->zone, "%s", in->zone_uuid);
	zs__backupstorage__v1__list_backup_storages_request__init(&k->req);
	k->req.zone_uuid = k->zone;
	/* backup storages are the admins': another account's lookup is made by the node */
	zs_backupstorage_v1_backup_storage_list_backup_storages_bus(zs_node_bus(zs_call_node(call)),
	    zs_call_admin(call) ? call : NULL, &k->req, image_cand_listed, k);
}

/* ---- the service ---- */

/* QueryImage: its own fields, its copies on backup storages and its tags by dot path. As
 * in Get and List, a normal account matches the images it owns and the public Ready
 * ones (the table's shared rows). Answers the own fields: backup_storage_refs is
 * GetImage's. */
static const char *const image_q_formats[] = { "qcow2", "raw", "iso", NULL };
static const char *const image_q_media[] = { "RootVolumeTemplate", "DataVolumeTemplate", "ISO",
	NULL };
static const char *const image_q_platforms[] = { "Linux", "Windows", "Other", NULL };
static const char *const image_q_statuses[] = { "Downloading", "Ready", "Deleted", NULL };
static const char *const image_q_ref_statuses[] = { "Downloading", "Ready", NULL };

static const zs_query_field image_query_fields[] = {
	{ "uuid", "t.uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "name", "t.name", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "description", "t.description", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "owner_uuid", "t.owner_uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "url", "t.url", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "format", "t.format", ZS_QUERY_ENUM, image_q_formats, NULL, NULL },
	{ "media_type", "t.media_type", ZS_QUERY_ENUM, image_q_media, NULL, NULL },
	{ "platform", "t.platform", ZS_QUERY_ENUM, image_q_platforms, NULL, NULL },
	{ "status", "t.status", ZS_QUERY_ENUM, image_q_statuses, NULL, NULL },
	{ "size", "t.size", ZS_QUERY_INT, NULL, NULL, NULL },
	{ "actual_size", "t.actual_size", ZS_QUERY_INT, NULL, NULL, NULL },
	{ "is_public", "t.is_public", ZS_QUERY_BOOL, NULL, NULL, NULL },
	{ "create_date", "t.created_at", ZS_QUERY_TIME, NULL, NULL, NULL },
	{ "last_op_date", "t.updated_at", ZS_QUERY_TIME, NULL, NULL, NULL },
#define IMAGE_Q_REFS "SELECT 1 FROM image_backup_storage_refs r WHERE r.image_uuid = t.uuid"
	{ "backup_storage_refs.backup_storage_uuid", "r.backup_storage_uuid", ZS_QUERY_UUID, NULL,
	  IMAGE_Q_REFS, NULL },
	{ "backup_storage_refs.status", "r.status", ZS_QUERY_ENUM, image_q_ref_statuses,
	  IMAGE_Q_REFS, NULL },
	{ "backup_storage_refs.install_path", "r.install_path", ZS_QUERY_TEXT, NULL, IMAGE_Q_REFS,
	  NULL },
#define IMAGE_Q_BS "SELECT 1 FROM image_backup_storage_refs a JOIN backupstorage_backup_storages " \
	"r ON r.uuid = a.backup_storage_uuid WHERE a.image_uuid = t.uuid"
	{ "backup_storage.uuid", "r.uuid", ZS_QUERY_UUID, NULL, IMAGE_Q_BS, NULL },
	{ "backup_storage.name", "r.name", ZS_QUERY_TEXT, NULL, IMAGE_Q_BS, NULL },
	{ "tags.tag", "r.tag", ZS_QUERY_TEXT, NULL,
	  "SELECT 1 FROM zs_tags r WHERE r.resource_uuid = t.uuid", NULL },
};

static const zs_query_table image_query = {
	"image", IMAGE_TABLE " t", "t.owner_uuid", "t.created_at", "t.uuid", image_query_fields,
	sizeof image_query_fields / sizeof image_query_fields[0],
	"t.is_public AND t.status = 'Ready'",
};

static const zs_rkit_op image_ops[] = {
	{ ZS_RKIT_CUSTOM, image_add },
	{ ZS_RKIT_CUSTOM, image_get },
	{ ZS_RKIT_CUSTOM, image_list },
	{ ZS_RKIT_CUSTOM, image_update },
	{ ZS_RKIT_CUSTOM, image_delete },
	{ ZS_RKIT_CUSTOM, image_expunge },
	{ ZS_RKIT_CUSTOM, image_recover },
	{ ZS_RKIT_CUSTOM, image_candidates },
	{ ZS_RKIT_QUERY, NULL },
};

static const zs_rkit_def image_def = {
	.type = IMAGE_TYPE, .what = "image", .name_max = IMAGE_NAME_MAX,
	.description_max = IMAGE_TEXT_MAX,
	.sql_get = ZS_RKIT_SQL_GET(IMAGE_TABLE, IMAGE_COLUMNS),
	.info = &zs__image__v1__image_info__descriptor, .query = &image_query,
	.ops = image_ops, .n_ops = sizeof image_ops / sizeof image_ops[0],
};

ZS_EXPORT zs_rkit_service image_service =
    ZS_RKIT_SERVICE(&zs__image__v1__image__descriptor, &image_def);
