/*
 * image_add.c: AddImage. Run it as a job (zsctl --job / --wait) to follow its progress.
 *
 *  1. the backup storages named must exist and be Connected and Enabled (one bus call to
 *     the backup storage service's ListBackupStorages);
 *  2. the image is recorded Downloading, with a Downloading copy per backup storage
 *     (image/created), in one transaction;
 *  3. each backup storage downloads it at once (the backup storage service's
 *     DownloadImage, over the bus: the agent's /sftpbackupstorage/download, then the
 *     image's actual size taken from its available capacity with one conditional UPDATE);
 *     each answer is a step of the job's progress;
 *  4. in one transaction: the copies that made it Ready, the others gone, the image Ready
 *     with its size (image/ready); when none made it, the image is gone (image/expunged)
 *     and the call fails with IMAGE.1002, each backup storage's error (its agent's text,
 *     the backup storage, the path) in the message and the first as the cause.
 * A copy that was downloaded but cannot be recorded is deleted again (DeleteImageBits,
 * which gives its capacity back). The answer lists every copy, the failed ones Failed
 * with why.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "zs/backupstorage/v1/backupstorage.zsb.h"
#include "zs/job.h"
#include "zs/resource.h"
#include "zs/work.h"

/* One backup storage's download. */
typedef struct image_copy {
	struct image_job *job;
	Zs__Backupstorage__V1__DownloadImageRequest req;
	char bs[ZS_UUID_LEN];
	int code;
	zs_status *st;
	char *install_path;
	int64_t size, actual_size;
	char error[1024];
} image_copy;

typedef struct image_job {
	zs_call *call;
	ProtobufCClosure closure;
	zs_node *node;
	char uuid[ZS_UUID_LEN];
	char *name, *url, *format, *media, *platform, *description;
	bool is_public;
	Zs__Backupstorage__V1__ListBackupStoragesRequest list_req;
	pthread_mutex_t mu;
	size_t n, pending, done;
	image_copy *copies;
} image_job;

static void
image_job_free(image_job *j)
{
	for (size_t i = 0; i < j->n; i++) {
		zs_status_free(j->copies[i].st);
		free(j->copies[i].install_path);
	}
	free(j->copies);
	free(j->name);
	free(j->url);
	free(j->format);
	free(j->media);
	free(j->platform);
	free(j->description);
	pthread_mutex_destroy(&j->mu);
	free(j);
}

static void
image_bits_dropped(int code, const zs_status *status,
    const Zs__Backupstorage__V1__DeleteImageBitsResponse *reply, void *arg)
{
	(void) code;
	(void) status;
	(void) reply;
	free(arg);
}

/* Deletes a downloaded copy that could not be recorded, giving its capacity back (the
 * node's own call, in the background). */
static void
image_drop_copy(zs_node *node, const image_copy *cp)
{
	struct drop {
		Zs__Backupstorage__V1__DeleteImageBitsRequest req;
		char bs[ZS_UUID_LEN];
		char path[];
	} *d = calloc(1, sizeof *d + strlen(cp->install_path) + 1);
	if (d == NULL)
		return;
	zs__backupstorage__v1__delete_image_bits_request__init(&d->req);
	snprintf(d->bs, sizeof d->bs, "%s", cp->bs);
	strcpy(d->path, cp->install_path);
	d->req.backup_storage_uuid = d->bs;
	d->req.install_path = d->path;
	d->req.size = cp->actual_size;
	zs_backupstorage_v1_backup_storage_delete_image_bits_bus(zs_node_bus(node), NULL, &d->req,
	    image_bits_dropped, d);
}

/* Step 4, on a worker: records the outcome and answers. */
static void
image_finish(void *arg)
{
	image_job *j = arg;
	size_t ok = 0;
	for (size_t i = 0; i < j->n; i++)
		ok += j->copies[i].code == 0;
	zs_db *db = zs_node_db(j->node);
	zs_db_conn *c = NULL;
	zs_status *st = NULL;
	int rv = zs_db_acquire(db, 30000, &c, &st);
	if (rv == 0 && (rv = zs_db_begin(c, &st)) == 0) {
		rv = zs_resource_lock(c, j->uuid, "image", &st);
		int64_t size = 0, actual = 0;
		for (size_t i = 0; rv == 0 && i < j->n; i++) {
			image_copy *cp = &j->copies[i];
			if (cp->code != 0) {
				const char *p[2] = { j->uuid, cp->bs };
				rv = zs_db_cmd(c, "DELETE FROM " IMAGE_REFS " WHERE image_uuid = $1 AND "
				    "backup_storage_uuid = $2", 2, p, NULL, &st);
				continue;
			}
			char s[24], a[24];
			snprintf(s, sizeof s, "%lld", (long long) cp->size);
			snprintf(a, sizeof a, "%lld", (long long) cp->actual_size);
			const char *p[5] = { j->uuid, cp->bs, cp->install_path, s, a };
			int n = 0;
			rv = zs_db_cmd(c, "UPDATE " IMAGE_REFS " SET status = 'Ready', install_path = $3, "
			    "size = $4, actual_size = $5 WHERE image_uuid = $1 AND backup_storage_uuid = $2",
			    5, p, &n, &st);
			if (rv == 0 && n == 0) {   /* the backup storage was deleted meanwhile */
				cp->code = ZS_NOT_FOUND;
				cp->st = zs_status_new(ZS_NOT_FOUND, NULL, "backup storage %s was deleted "
				    "while the image was downloaded", cp->bs);
				snprintf(cp->error, sizeof cp->error, "%s", cp->st->message);
				ok--;
			}
			if (cp->size > size)
				size = cp->size;
			if (cp->actual_size > actual)
				actual = cp->actual_size;
		}
		if (rv == 0 && ok > 0) {
			char s[24], a[24];
			snprintf(s, sizeof s, "%lld", (long long) size);
			snprintf(a, sizeof a, "%lld", (long long) actual);
			const char *p[3] = { j->uuid, s, a };
			rv = zs_db_cmd(c, "UPDATE " IMAGE_TABLE " SET status = 'Ready', size = $2, "
			    "actual_size = $3, updated_at = now() WHERE uuid = $1", 3, p, NULL, &st);
			if (rv == 0)
				rv = image_store_event(j->node, c, j->uuid, "image/ready", &st);
		} else if (rv == 0) {
			rv = image_store_event(j->node, c, j->uuid, "image/expunged", &st);
			if (rv == 0)
				rv = zs_resource_delete(c, j->uuid, &st);
		}
		rv = zs_db_end(c, rv, &st);
	}
	if (c != NULL)
		zs_db_release(db, c);
	if (rv != 0) {
		/* nothing recorded: what was downloaded goes again */
		for (size_t i = 0; i < j->n; i++)
			if (j->copies[i].code == 0)
				image_drop_copy(j->node, &j->copies[i]);
		zs_call_fail_cause(j->call, rv, NULL, st, "image %s (%s) could not be recorded%s; its "
		    "downloaded copies are deleted again", j->name, j->uuid,
		    rv == ZS_NOT_FOUND ? " (it was expunged while it was downloaded)" : "");
		zs_status_free(st);
		image_job_free(j);
		return;
	}
	if (ok == 0) {
		char why[4096];
		size_t used = 0;
		why[0] = '\0';
		for (size_t i = 0; i < j->n && used < sizeof why; i++) {
			int n = snprintf(why + used, sizeof why - used, "%s%s", i ? "; " : "",
			    j->copies[i].error);
			if (n > 0)
				used += (size_t) n;
		}
		const image_copy *first = &j->copies[0];
		zs_call_fail_cause(j->call, first->code, "IMAGE.1002", first->st, "image %s (%s) from %s "
		    "could not be added on any backup storage; nothing was kept: %s", j->name, j->uuid,
		    j->url, why);
		image_job_free(j);
		return;
	}
	/* the answer: the image as recorded, with the failed copies too */
	image_infos b;
	zs_call *call = j->call;
	rv = image_api_load(call, j->uuid, &b);
	if (rv == 0) {
		Zs__Image__V1__ImageInfo *info = &b.infos[0];
		Zs__Image__V1__ImageBackupStorageRef failed[16];
		size_t nf = 0;
		for (size_t i = 0; i < j->n && nf < 16; i++) {
			if (j->copies[i].code == 0)
				continue;
			zs__image__v1__image_backup_storage_ref__init(&failed[nf]);
			failed[nf].backup_storage_uuid = j->copies[i].bs;
			failed[nf].status = "Failed";
			failed[nf].error = j->copies[i].error;
			info->backup_storage_refs[info->n_backup_storage_refs++] = &failed[nf++];
		}
		j->closure(&info->base, call);
		image_infos_free(&b);
	}
	image_job_free(j);
}

static void
image_downloaded(int code, const zs_status *status,
    const Zs__Backupstorage__V1__DownloadImageResponse *reply, void *arg)
{
	image_copy *cp = arg;
	image_job *j = cp->job;
	cp->code = code;
	if (code == 0) {
		cp->install_path = strdup(reply->install_path);
		cp->size = reply->size;
		cp->actual_size = reply->actual_size;
		if (cp->install_path == NULL) {
			cp->code = ZS_RESOURCE_EXHAUSTED;
			snprintf(cp->error, sizeof cp->error, "out of memory");
		}
	} else {
		cp->st = status != NULL ? zs_status_copy(status) :
		    zs_status_new(code, NULL, "DownloadImage failed");
		zs_status_text(cp->st, cp->error, sizeof cp->error);
	}
	pthread_mutex_lock(&j->mu);
	size_t done = ++j->done, left = --j->pending;
	pthread_mutex_unlock(&j->mu);
	zs_job_progress(j->call, (unsigned) (5 + 90 * done / j->n), "%s on backup storage %s (%zu of %zu)",
	    cp->code == 0 ? "downloaded" : "failed", cp->bs, done, j->n);
	if (left == 0 && zs_work_submit(zs_node_work(j->node), image_finish, j) != 0)
		image_finish(j);
}

/* Step 2 and 3, once the backup storages are known to be usable. */
static void
image_start(image_job *j)
{
	zs_db *db = zs_node_db(j->node);
	zs_db_conn *c = NULL;
	if (zs_db_acquire_for(db, j->call, &c) != 0) {
		image_job_free(j);
		return;
	}
	zs_status *st = NULL;
	int rv = zs_db_begin(c, &st);
	if (rv == 0) {
		const char *p[9] = { j->uuid, zs_call_account(j->call), j->name, j->description, j->url,
		    j->format, j->media, j->platform, j->is_public ? "t" : "f" };
		rv = zs_resource_create(c, j->call, j->uuid, IMAGE_TYPE, j->name, NULL, &st);
		if (rv == 0)
			rv = zs_db_cmd(c, "INSERT INTO " IMAGE_TABLE " (uuid, owner_uuid, name, "
			    "description, url, format, media_type, platform, is_public) VALUES ($1, $2, $3, "
			    "$4, $5, $6, $7, $8, $9)", 9, p, NULL, &st);
		for (size_t i = 0; rv == 0 && i < j->n; i++) {
			const char *q[2] = { j->uuid, j->copies[i].bs };
			rv = zs_db_cmd(c, "INSERT INTO " IMAGE_REFS " (image_uuid, backup_storage_uuid) "
			    "VALUES ($1, $2)", 2, q, NULL, &st);
		}
		if (rv == 0)
			rv = image_store_event(j->node, c, j->uuid, "image/created", &st);
		rv = zs_db_end(c, rv, &st);
	}
	zs_db_release(db, c);
	if (rv != 0) {
		zs_rkit_fail(j->call, st);
		image_job_free(j);
		return;
	}
	zs_job_progress(j->call, 5, "downloading %s on %zu backup storage(s)", j->url, j->n);
	j->pending = j->n + 1;   /* one hold while posting, so none finishes the job early */
	for (size_t i = 0; i < j->n; i++) {
		image_copy *cp = &j->copies[i];
		zs__backupstorage__v1__download_image_request__init(&cp->req);
		cp->req.backup_storage_uuid = cp->bs;
		cp->req.image_uuid = j->uuid;
		cp->req.url = j->url;
		cp->req.format = j->format;
		cp->req.media_type = j->media;
		zs_backupstorage_v1_backup_storage_download_image_bus(zs_node_bus(j->node), j->call,
		    &cp->req, image_downloaded, cp);
	}
	pthread_mutex_lock(&j->mu);
	size_t left = --j->pending;
	pthread_mutex_unlock(&j->mu);
	if (left == 0)
		image_finish(j);
}

/* Step 1's answer: each backup storage named must be there, Connected and Enabled. */
static void
image_listed(int code, const zs_status *status,
    const Zs__Backupstorage__V1__ListBackupStoragesResponse *reply, void *arg)
{
	image_job *j = arg;
	if (code != 0) {
		zs_call_fail_cause(j->call, code, NULL, status, "the backup storages could not be listed");
		image_job_free(j);
		return;
	}
	for (size_t i = 0; i < j->n; i++) {
		const Zs__Backupstorage__V1__BackupStorageInfo *b = NULL;
		for (size_t k = 0; k < reply->n_backup_storages && b == NULL; k++)
			if (strcmp(reply->backup_storages[k]->uuid, j->copies[i].bs) == 0)
				b = reply->backup_storages[k];
		if (b == NULL) {
			zs_call_fail(j->call, ZS_NOT_FOUND, NULL, "backup_storage_uuids: no backup storage "
			    "with uuid %s", j->copies[i].bs);
			image_job_free(j);
			return;
		}
		if (strcmp(b->status, "Connected") != 0 || strcmp(b->state, "Enabled") != 0) {
			zs_call_fail(j->call, ZS_FAILED_PRECONDITION, "IMAGE.1003", "backup storage %s (%s) "
			    "is %s and %s%s%s", b->uuid, b->name, b->state, b->status,
			    b->status_reason[0] ? ": " : "", b->status_reason);
			image_job_free(j);
			return;
		}
	}
	image_start(j);
}

void
image_add(zs_call *call, const ProtobufCMessage *msg, ProtobufCClosure closure)
{
	const Zs__Image__V1__AddImageRequest *in = (const void *) msg;
	image_job *j = calloc(1, sizeof *j);
	if (j == NULL) {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	pthread_mutex_init(&j->mu, NULL);
	j->call = call;
	j->closure = closure;
	j->node = zs_call_node(call);
	zs_resource_uuid(j->uuid);
	bool iso = strcmp(in->format, "iso") == 0;
	j->name = strdup(in->name);
	j->description = strdup(in->description);
	j->url = strdup(in->url);
	j->format = strdup(in->format);
	j->media = strdup(in->media_type[0] ? in->media_type : iso ? "ISO" : "RootVolumeTemplate");
	j->platform = strdup(in->platform[0] ? in->platform : "Linux");
	j->is_public = in->is_public;
	j->n = in->n_backup_storage_uuids;
	j->copies = calloc(j->n, sizeof *j->copies);
	if (!j->name || !j->description || !j->url || !j->format || !j->media || !j->platform ||
	    !j->copies) {
		j->n = 0;
		image_job_free(j);
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	for (size_t i = 0; i < j->n; i++) {
		j->copies[i].job = j;
		snprintf(j->copies[i].bs, sizeof j->copies[i].bs, "%s", in->backup_storage_uuids[i]);
	}
	zs_job_progress(call, 1, "checking %zu backup storage(s)", j->n);
	zs__backupstorage__v1__list_backup_storages_request__init(&j->list_req);
	zs_backupstorage_v1_backup_storage_list_backup_storages_bus(zs_node_bus(j->node), call,
	    &j->list_req, image_listed, j);
}
