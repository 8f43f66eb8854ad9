/*
 * image_query.c: QueryBackupStorage and QueryImage (ZStack's query API): own fields, dot
 * paths through zone attachments and image copies, counts, an unknown field answered
 * with the valid ones; another account is refused QueryBackupStorage and matches only
 * the images it may read (its own and the public Ready ones), in a count too.
 */
#include <stdio.h>
#include <string.h>

#include "image_util.h"
#include "inv_query.h"

#define QBS(t, s, f, ...) inv_q(t, s, BS_M "QueryBackupStorage", \
	&zs__backupstorage__v1__query_backup_storage_response__descriptor, f, __VA_ARGS__)
#define QIMG(t, s, f, ...) inv_q(t, s, IMG_M "QueryImage", \
	&zs__image__v1__query_image_response__descriptor, f, __VA_ARGS__)

void
it_check_query(inv *t, const char *bs, const char *image, const char *zone)
{
	int64_t t0 = zst_now_ms();
	Zs__Backupstorage__V1__BackupStorageInfo *b = NULL;
	if (!ZST_CHECK(it_get_bs(t, t->admin, bs, &b) == 0, "the backup storage (%s)", t->msg))
		return;
	char name[256];
	snprintf(name, sizeof name, "%s", b->name);
	zs_reply_free(b);
	invq r = QBS(t, t->admin, 0, "name", "=", name, "status", "=", "Connected", NULL);
	ZST_CHECK(r.code == 0 && r.n == 1 && strcmp(r.uuids[0], bs) == 0,
	    "QueryBackupStorage name=%s status=Connected: it (%zu rows; %s)", name, r.n, t->msg);
	r = QBS(t, t->admin, 0, "zone.uuid", "=", zone, NULL);
	ZST_CHECK(r.code == 0 && invq_has(&r, bs) && (int) r.n == it_count_bs(t, t->admin, zone),
	    "zone.uuid = its zone: as many as ListBackupStorages of the zone, it among them (%zu; %s)",
	    r.n, t->msg);
	r = QBS(t, t->admin, 0, "zone.name", "=", "z1", "images.uuid", "=", image, NULL);
	ZST_CHECK(r.code == 0 && r.n == 1 && strcmp(r.uuids[0], bs) == 0,
	    "zone.name=z1 images.uuid=the image: the backup storage holding it (%s)", t->msg);
	r = QBS(t, t->admin, INVQ_COUNT, "totalCapacity", ">", "0", NULL);
	ZST_CHECK(r.code == 0 && r.n == 0 && (int) r.total == it_count_bs(t, t->admin, NULL),
	    "count totalCapacity>0: every backup storage, no rows (%llu; %s)",
	    (unsigned long long) r.total, t->msg);
	r = QBS(t, t->admin, 0, "colour", "=", "red", NULL);
	ZST_CHECK(r.code == INV_INVALID_ARGUMENT && strstr(t->msg, "zone.name") != NULL &&
	    strstr(t->msg, "images.uuid") != NULL,
	    "QueryBackupStorage on an unknown field: INVALID_ARGUMENT listing the valid ones (%s)",
	    t->msg);

	r = QIMG(t, t->admin, 0, "uuid", "=", image, "backup_storage_refs.backup_storage_uuid", "=",
	    bs, "backup_storage_refs.status", "=", "Ready", NULL);
	ZST_CHECK(r.code == 0 && r.n == 1, "QueryImage backupStorageRefs.backupStorageUuid=the "
	    "backup storage, .status=Ready: the image (%s)", t->msg);
	r = QIMG(t, t->admin, 0, "backup_storage.name", "=", name, "uuid", "=", image, NULL);
	ZST_CHECK(r.code == 0 && r.n == 1, "backup_storage.name=%s: the image is there (%s)", name,
	    t->msg);
	r = QIMG(t, t->admin, 0, "backup_storage.name", "=", "nowhere", NULL);
	ZST_CHECK(r.code == 0 && r.n == 0, "backup_storage.name=nowhere: none (%s)", t->msg);
	r = QIMG(t, t->admin, INVQ_WITH_COUNT, "status", "=", "ready", "mediaType", "=",
	    "RootVolumeTemplate", "uuid", "=", image, NULL);
	ZST_CHECK(r.code == 0 && r.n == 1 && r.total == 1 && strcmp(r.uuids[0], image) == 0,
	    "replyWithCount status=ready mediaType=RootVolumeTemplate: rows and their number "
	    "(%zu, %llu; %s)", r.n, (unsigned long long) r.total, t->msg);
	r = QIMG(t, t->admin, 0, "colour", "=", "red", NULL);
	ZST_CHECK(r.code == INV_INVALID_ARGUMENT && strstr(t->msg, "backup_storage_refs.status") &&
	    strstr(t->msg, "is_public"), "QueryImage on an unknown field: INVALID_ARGUMENT listing "
	    "the valid ones (%s)", t->msg);
	r = QIMG(t, t->admin, 0, "size", ">", "big", NULL);
	ZST_CHECK(r.code == INV_INVALID_ARGUMENT, "size>big: not an integer (%s)", t->msg);
	zst_note("query checks (admin): %lld ms", (long long) (zst_now_ms() - t0));
}

void
it_check_query_user(inv *t, const char *user, const char *image, bool is_public)
{
	invq r = QBS(t, user, 0, "name", "like", "%", NULL);
	ZST_CHECK(r.code == INV_PERMISSION_DENIED && strcmp(t->error_code, "BACKUPSTORAGE.1003") == 0,
	    "another account: QueryBackupStorage is PERMISSION_DENIED (%s)", t->msg);
	r = QIMG(t, user, 0, "name", "like", "%", NULL);
	invq c = QIMG(t, user, INVQ_COUNT, NULL);
	if (is_public)
		ZST_CHECK(r.code == 0 && r.n == 1 && strcmp(r.uuids[0], image) == 0 && c.code == 0 &&
		    c.total == 1, "another account: QueryImage matches the public Ready image, and "
		    "counts 1 (%zu, %llu; %s)", r.n, (unsigned long long) c.total, t->msg);
	else
		ZST_CHECK(r.code == 0 && r.n == 0 && c.code == 0 && c.total == 0,
		    "another account: QueryImage matches none of the admin's private images, and counts "
		    "0 (%zu, %llu; %s)", r.n, (unsigned long long) c.total, t->msg);
	if (is_public) {
		r = QIMG(t, user, INVQ_COUNT, "is_public", "=", "false", NULL);
		ZST_CHECK(r.code == 0 && r.total == 0,
		    "isPublic=false as it: 0, the private ones stay unseen (%llu)",
		    (unsigned long long) r.total);
	}
}
