/*
 * bs_image.c: images on a backup storage, for the image service (over the bus).
 *
 * DownloadImage: the backup storage must be Connected and Enabled. The node picks the
 * install path (URL/rootVolumeTemplates|dataVolumeTemplates|iso/acct-ACCOUNT/IMAGE/...)
 * and posts /sftpbackupstorage/download (asynchronous) with a deadline a little before the
 * call's, so that a failure is answered (and cleaned up) before the caller gives up. When
 * the agent has it, the image's actual size is taken from the available capacity with one
 * conditional UPDATE (available >= size), with backupstorage/capacityChanged in the same
 * transaction. When it does not fit, or the download failed or timed out, the install
 * path is deleted on the agent (best effort, in the background): nothing stays taken.
 *
 * DeleteImageBits: /sftpbackupstorage/delete, then the size goes back to the capacity.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bs.h"
#include "bs_answer.h"
#include "zs/clock.h"
#include "zs/resource.h"

/* What a download keeps back of the caller's time to clean up and answer. */
#define BS_MARGIN_MIN_MS 100
#define BS_MARGIN_MAX_MS 3000

typedef struct bs_dl {
	zs_call *call;
	ProtobufCClosure closure;
	bs_state *bs;
	char uuid[ZS_UUID_LEN], hostname[64];
	char image[ZS_UUID_LEN];
	char *url, *path;
	bool del;                 /* DeleteImageBits */
	int64_t size;             /* DeleteImageBits: to give back */
} bs_dl;

static void
bs_dl_free(bs_dl *d)
{
	free(d->url);
	free(d->path);
	free(d);
}

static void
bs_cleanup_done(int code, zs_status *st, const json_t *reply, void *arg)
{
	(void) code;
	(void) reply;
	(void) arg;
	zs_status_free(st);   /* best effort: the agent may be gone */
}

/* Deletes path on the agent in the background, not waiting for it. */
static void
bs_cleanup(bs_state *bs, const char *uuid, const char *hostname, const char *path)
{
	json_t *cmd = json_pack("{s:s, s:s}", "uuid", uuid, "installPath", path);
	if (cmd == NULL)
		return;
	bs_agent_post(bs, uuid, hostname, "/sftpbackupstorage/delete", cmd, true,
	    zs_clock_ms() + bs->connect_timeout_ms, bs_cleanup_done, NULL);
	json_decref(cmd);
}

/* Adds delta to uuid's available capacity (a negative delta only while it stays >= 0, and
 * never above the total), with backupstorage/capacityChanged: 0, RESOURCE_EXHAUSTED with
 * what is available, or NOT_FOUND. *avail gets what is left. */
static int
bs_capacity(bs_state *bs, const char *uuid, int64_t delta, int64_t *avail, zs_status **st)
{
	zs_db_conn *c = NULL;
	int rv = bs_store_acquire(bs, &c, st);
	if (rv != 0)
		return rv;
	char d[24];
	snprintf(d, sizeof d, "%lld", (long long) delta);
	const char *p[2] = { uuid, d };
	rv = zs_db_begin(c, st);
	if (rv == 0) {
		PGresult *r = zs_db_exec(c, "UPDATE " BS_TABLE " SET available_capacity = "
		    "LEAST(total_capacity, available_capacity + $2::bigint), updated_at = now() "
		    "WHERE uuid = $1 AND available_capacity + $2::bigint >= 0 "
		    "RETURNING available_capacity", 2, p, st);
		if (r == NULL) {
			rv = (*st) != NULL ? (int) (*st)->code : ZS_INTERNAL;
		} else if (PQntuples(r) == 1) {
			*avail = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		} else {
			PGresult *q = zs_db_exec(c, "SELECT available_capacity FROM " BS_TABLE
			    " WHERE uuid = $1", 1, p, st);
			if (q == NULL) {
				rv = (*st) != NULL ? (int) (*st)->code : ZS_INTERNAL;
			} else if (PQntuples(q) == 0) {
				rv = ZS_NOT_FOUND;
				*st = zs_status_new(rv, NULL, "backup storage %s was deleted", uuid);
			} else {
				rv = ZS_RESOURCE_EXHAUSTED;
				*st = zs_status_new(rv, "BACKUPSTORAGE.1006", "backup storage %s has %s bytes "
				    "available; the image needs %lld", uuid, PQgetvalue(q, 0, 0),
				    (long long) -delta);
			}
			PQclear(q);
		}
		PQclear(r);
		if (rv == 0)
			rv = bs_store_event(bs, c, uuid, "backupstorage/capacityChanged", st);
		rv = zs_db_end(c, rv, st);
	}
	zs_db_release(zs_node_db(bs->node), c);
	return rv;
}

static void
bs_download_done(int code, zs_status *st, const json_t *reply, void *arg)
{
	bs_dl *d = arg;
	if (code != 0) {
		bs_cleanup(d->bs, d->uuid, d->hostname, d->path);
		zs_call_fail_cause(d->call, code, "BACKUPSTORAGE.1005", st, "backup storage %s (%s): "
		    "downloading %s to %s failed", d->uuid, d->hostname, d->url, d->path);
		zs_status_free(st);
		bs_dl_free(d);
		return;
	}
	int64_t size = 0, actual = 0, avail = 0;
	char why[256];
	if (!bs_answer_download(reply, &size, &actual, why, sizeof why)) {
		code = ZS_INTERNAL;
		st = zs_status_new(code, "BACKUPSTORAGE.1005", "backup storage %s (%s): the agent "
		    "downloaded %s to %s but its answer is wrong: %s", d->uuid, d->hostname, d->url,
		    d->path, why);
	} else {
		code = bs_capacity(d->bs, d->uuid, -actual, &avail, &st);
	}
	if (code != 0) {
		bs_cleanup(d->bs, d->uuid, d->hostname, d->path);
		zs_call_fail_cause(d->call, code, code == ZS_RESOURCE_EXHAUSTED ? "BACKUPSTORAGE.1006" :
		    "BACKUPSTORAGE.1005", st, "backup storage %s (%s): the image %s (%lld bytes) at %s "
		    "is not kept", d->uuid, d->hostname, d->url, (long long) actual, d->path);
		zs_status_free(st);
		bs_dl_free(d);
		return;
	}
	Zs__Backupstorage__V1__DownloadImageResponse out =
	    ZS__BACKUPSTORAGE__V1__DOWNLOAD_IMAGE_RESPONSE__INIT;
	out.backup_storage_uuid = d->uuid;
	out.install_path = d->path;
	out.size = size;
	out.actual_size = actual;
	out.available_capacity = avail;
	d->closure(&out.base, d->call);
	bs_dl_free(d);
}

static void
bs_delete_done(int code, zs_status *st, const json_t *reply, void *arg)
{
	(void) reply;
	bs_dl *d = arg;
	int64_t avail = 0;
	if (code == 0 && d->size > 0)
		code = bs_capacity(d->bs, d->uuid, d->size, &avail, &st);
	if (code != 0) {
		zs_call_fail_cause(d->call, code, "BACKUPSTORAGE.1007", st, "backup storage %s (%s): "
		    "deleting %s failed", d->uuid, d->hostname, d->path);
	} else {
		Zs__Backupstorage__V1__DeleteImageBitsResponse out =
		    ZS__BACKUPSTORAGE__V1__DELETE_IMAGE_BITS_RESPONSE__INIT;
		out.available_capacity = avail;
		d->closure(&out.base, d->call);
	}
	zs_status_free(st);
	bs_dl_free(d);
}

/* Loads the backup storage for an image command into d; false after failing the call. */
static bool
bs_dl_load(zs_call *call, bs_dl *d, const char *uuid, bool need_connected)
{
	zs_db *db = zs_node_db(zs_call_node(call));
	zs_db_conn *c = NULL;
	if (zs_db_acquire_for(db, call, &c) != 0)
		return false;
	bs_infos b;
	zs_status *st = NULL;
	int rv = zs_resource_check(c, call, uuid, BS_TYPE, NULL, 0, &st);
	if (rv == 0)
		rv = bs_store_one(c, uuid, &b, &st);
	zs_db_release(db, c);
	if (rv != 0) {
		zs_rkit_fail(call, st);
		return false;
	}
	const Zs__Backupstorage__V1__BackupStorageInfo *i = &b.infos[0];
	snprintf(d->uuid, sizeof d->uuid, "%s", uuid);
	snprintf(d->hostname, sizeof d->hostname, "%s", i->hostname);
	bool ok = !need_connected || (strcmp(i->status, "Connected") == 0 &&
	    strcmp(i->state, "Enabled") == 0);
	if (!ok)
		zs_call_fail(call, ZS_FAILED_PRECONDITION, "BACKUPSTORAGE.1004",
		    "backup storage %s (%s) is %s and %s%s%s", uuid, i->hostname, i->state, i->status,
		    i->status_reason[0] ? ": " : "", i->status_reason);
	else if (need_connected)
		d->url = strdup(i->url);   /* the folder, for the install path */
	bs_infos_free(&b);
	return ok;
}

void
bs_download_image(zs_call *call, const ProtobufCMessage *msg, ProtobufCClosure closure)
{
	const Zs__Backupstorage__V1__DownloadImageRequest *in = (const void *) msg;
	bs_dl *d = calloc(1, sizeof *d);
	if (d == NULL) {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	d->call = call;
	d->closure = closure;
	d->bs = zs_call_service_data(call);
	snprintf(d->image, sizeof d->image, "%s", in->image_uuid);
	if (!bs_dl_load(call, d, in->backup_storage_uuid, true)) {
		bs_dl_free(d);
		return;
	}
	const char *dir = strcmp(in->media_type, "ISO") == 0 ? "iso" :
	    strcmp(in->media_type, "DataVolumeTemplate") == 0 ? "dataVolumeTemplates" :
	    "rootVolumeTemplates";
	const char *ext = strcmp(in->format, "iso") == 0 ? "iso" : "template";
	size_t ul = strlen(d->url);
	char path[BS_URL_MAX];
	int n = snprintf(path, sizeof path, "%.*s/%s/acct-%s/%s/%s.%s",
	    (int) (ul > 0 && d->url[ul - 1] == '/' ? ul - 1 : ul), d->url, dir, zs_call_account(call),
	    d->image, d->image, ext);
	free(d->url);
	d->url = strdup(in->url);
	d->path = strdup(path);
	json_t *cmd = json_pack("{s:s, s:s, s:s, s:s, s:s}", "uuid", d->uuid, "url", in->url,
	    "installPath", path, "imageUuid", d->image, "format", in->format);
	if (n < 0 || (size_t) n >= sizeof path || d->url == NULL || d->path == NULL || cmd == NULL) {
		json_decref(cmd);
		bs_dl_free(d);
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory or install path too long");
		return;
	}
	int64_t left = zs_call_remaining_ms(call), margin = left / 20;
	margin = margin < BS_MARGIN_MIN_MS ? BS_MARGIN_MIN_MS : margin > BS_MARGIN_MAX_MS ?
	    BS_MARGIN_MAX_MS : margin;
	int64_t deadline = zs_call_deadline_ms(call) - (left > 2 * margin ? margin : 0);
	bs_agent_post(d->bs, d->uuid, d->hostname, "/sftpbackupstorage/download", cmd, true, deadline,
	    bs_download_done, d);
	json_decref(cmd);
}

void
bs_delete_bits(zs_call *call, const ProtobufCMessage *msg, ProtobufCClosure closure)
{
	const Zs__Backupstorage__V1__DeleteImageBitsRequest *in = (const void *) msg;
	bs_dl *d = calloc(1, sizeof *d);
	if (d == NULL || (d->path = strdup(in->install_path)) == NULL) {
		free(d);
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	d->call = call;
	d->closure = closure;
	d->bs = zs_call_service_data(call);
	d->del = true;
	d->size = in->size;
	if (in->install_path[0] != '/' || in->size < 0) {
		bs_dl_free(d);
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL,
		    "install_path must be an absolute path and size at least 0");
		return;
	}
	if (!bs_dl_load(call, d, in->backup_storage_uuid, false)) {
		bs_dl_free(d);
		return;
	}
	json_t *cmd = json_pack("{s:s, s:s}", "uuid", d->uuid, "installPath", d->path);
	if (cmd == NULL) {
		bs_dl_free(d);
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	bs_agent_post(d->bs, d->uuid, d->hostname, "/sftpbackupstorage/delete", cmd, true,
	    zs_call_deadline_ms(call), bs_delete_done, d);
	json_decref(cmd);
}
