/*
 * image_expunge.c: ExpungeImage. A Deleted image is removed from each backup storage that
 * has it (the backup storage service's DeleteImageBits over the bus: the agent's
 * /sftpbackupstorage/delete, then its actual size given back to the available capacity),
 * all at once. The copies removed (and those of backup storages deleted meanwhile) go;
 * when none is left the image goes too (image/expunged) and the answer is the image as
 * it was. When a backup storage could not remove its copy, that copy stays, the image
 * stays Deleted, and the call fails with IMAGE.1005 saying which and why.
 * A Downloading image may be expunged too (one left by a node that stopped midway): its
 * copies hold nothing yet, and a download still running finds the image gone when it
 * ends and deletes what it got, giving the capacity back.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "zs/backupstorage/v1/backupstorage.zsb.h"
#include "zs/resource.h"
#include "zs/work.h"

typedef struct image_del {
	struct image_exp *exp;
	Zs__Backupstorage__V1__DeleteImageBitsRequest req;
	int code;
	char error[1024];
} image_del;

typedef struct image_exp {
	zs_call *call;
	ProtobufCClosure closure;
	zs_node *node;
	char uuid[ZS_UUID_LEN];
	image_infos img;
	pthread_mutex_t mu;
	size_t n, pending;
	image_del *dels;
} image_exp;

static void
image_exp_free(image_exp *e)
{
	image_infos_free(&e->img);
	free(e->dels);
	pthread_mutex_destroy(&e->mu);
	free(e);
}

static void
image_exp_finish(void *arg)
{
	image_exp *e = arg;
	zs_db *db = zs_node_db(e->node);
	zs_db_conn *c = NULL;
	zs_status *st = NULL;
	size_t failed = 0;
	int rv = zs_db_acquire(db, 30000, &c, &st);
	if (rv == 0 && (rv = zs_db_begin(c, &st)) == 0) {
		rv = zs_resource_lock(c, e->uuid, "image", &st);
		/* a download that ended meanwhile made it Ready: its copies are kept then */
		const char *p1[1] = { e->uuid };
		PGresult *r = NULL;
		if (rv == 0)
			rv = zs_db_exec_one(c, "SELECT status FROM " IMAGE_TABLE " WHERE uuid = $1", 1, p1,
			    "image", e->uuid, &r, &st);
		if (rv == 0 && strcmp(e->img.infos[0].status, "Downloading") == 0 &&
		    strcmp(PQgetvalue(r, 0, 0), "Downloading") != 0) {
			rv = ZS_ABORTED;
			st = zs_status_new(rv, "IMAGE.1004", "image %s became %s while it was expunged; "
			    "nothing was removed", e->uuid, PQgetvalue(r, 0, 0));
		}
		PQclear(r);
		for (size_t i = 0; rv == 0 && i < e->n; i++) {
			if (e->dels[i].code != 0 && e->dels[i].code != ZS_NOT_FOUND) {
				failed++;
				continue;
			}
			const char *p[2] = { e->uuid, e->dels[i].req.backup_storage_uuid };
			rv = zs_db_cmd(c, "DELETE FROM " IMAGE_REFS " WHERE image_uuid = $1 AND "
			    "backup_storage_uuid = $2", 2, p, NULL, &st);
		}
		if (rv == 0 && failed == 0) {
			rv = image_store_event(e->node, c, e->uuid, "image/expunged", &st);
			if (rv == 0)
				rv = zs_resource_delete(c, e->uuid, &st);
		}
		rv = zs_db_end(c, rv, &st);
	}
	if (c != NULL)
		zs_db_release(db, c);
	if (rv != 0) {
		zs_rkit_fail(e->call, st);
	} else if (failed > 0) {
		char why[4096];
		size_t used = 0;
		why[0] = '\0';
		for (size_t i = 0; i < e->n && used < sizeof why; i++) {
			if (e->dels[i].code == 0 || e->dels[i].code == ZS_NOT_FOUND)
				continue;
			int n = snprintf(why + used, sizeof why - used, "%s%s", used ? "; " : "",
			    e->dels[i].error);
			if (n > 0)
				used += (size_t) n;
		}
		zs_call_fail(e->call, ZS_UNAVAILABLE, "IMAGE.1005", "image %s could not be removed from "
		    "%zu of its %zu backup storage(s); it stays Deleted: %s", e->uuid, failed, e->n, why);
	} else {
		Zs__Image__V1__ExpungeImageResponse out = ZS__IMAGE__V1__EXPUNGE_IMAGE_RESPONSE__INIT;
		out.image = &e->img.infos[0];
		e->closure(&out.base, e->call);
	}
	image_exp_free(e);
}

static void
image_bits_deleted(int code, const zs_status *status,
    const Zs__Backupstorage__V1__DeleteImageBitsResponse *reply, void *arg)
{
	(void) reply;
	image_del *d = arg;
	image_exp *e = d->exp;
	d->code = code;
	if (code != 0)
		zs_status_text(status, d->error, sizeof d->error);
	pthread_mutex_lock(&e->mu);
	size_t left = --e->pending;
	pthread_mutex_unlock(&e->mu);
	if (left == 0 && zs_work_submit(zs_node_work(e->node), image_exp_finish, e) != 0)
		image_exp_finish(e);
}

void
image_expunge(zs_call *call, const ProtobufCMessage *msg, ProtobufCClosure closure)
{
	const char *uuid = ((const Zs__Image__V1__ExpungeImageRequest *) msg)->uuid;
	image_exp *e = calloc(1, sizeof *e);
	if (e == NULL) {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	pthread_mutex_init(&e->mu, NULL);
	if (image_api_load(call, uuid, &e->img) != 0) {
		image_exp_free(e);
		return;
	}
	e->call = call;
	e->closure = closure;
	e->node = zs_call_node(call);
	snprintf(e->uuid, sizeof e->uuid, "%s", uuid);
	const Zs__Image__V1__ImageInfo *img = &e->img.infos[0];
	if (strcmp(img->status, "Deleted") != 0 && strcmp(img->status, "Downloading") != 0) {
		zs_call_fail(call, ZS_FAILED_PRECONDITION, "IMAGE.1004", "image %s is %s: only a Deleted "
		    "or Downloading image can be expunged (DeleteImage first)", uuid, img->status);
		image_exp_free(e);
		return;
	}
	e->n = img->n_backup_storage_refs;
	e->dels = calloc(e->n + 1, sizeof *e->dels);
	if (e->dels == NULL) {
		image_exp_free(e);
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	e->pending = e->n + 1;   /* one hold while posting */
	for (size_t i = 0; i < e->n; i++) {
		const Zs__Image__V1__ImageBackupStorageRef *ref = img->backup_storage_refs[i];
		image_del *d = &e->dels[i];
		d->exp = e;
		zs__backupstorage__v1__delete_image_bits_request__init(&d->req);
		d->req.backup_storage_uuid = ref->backup_storage_uuid;
		d->req.install_path = ref->install_path;
		d->req.size = ref->actual_size;
		if (strcmp(ref->status, "Ready") != 0) {
			/* still downloading: nothing is kept there yet; the download, when it ends,
			 * finds the image gone and deletes what it got (image_add.c) */
			image_bits_deleted(0, NULL, NULL, d);
			continue;
		}
		zs_backupstorage_v1_backup_storage_delete_image_bits_bus(zs_node_bus(e->node), call,
		    &d->req, image_bits_deleted, d);
	}
	pthread_mutex_lock(&e->mu);
	size_t left = --e->pending;
	pthread_mutex_unlock(&e->mu);
	if (left == 0)
		image_exp_finish(e);
}
