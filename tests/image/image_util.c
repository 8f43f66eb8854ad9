/*
 * image_util.c: tests/image's helpers (image_util.h): the simulator's control API over
 * plain HTTP, the backup storage and image calls, AddImage as a job, an event recorder.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image_util.h"
#include <nng/protocol/pubsub0/sub.h>
#include "zst_sim.h"

int it_sim_port;

bool
it_start(inv *t, const char *const *sets)
{
	memset(t, 0, sizeof *t);
	if (zst_node_spawn(&t->node, NULL, sets) != 0)
		return false;
	int64_t t0 = zst_now_ms();
	char why[256] = "";
	if (zst_node_wait_ready(&t->node, IT_READY_MS) != 0 ||
	    zst_login(t->node.rpc_url, "admin", ZST_ADMIN_PASSWORD, t->node.session,
	    sizeof t->node.session, why, sizeof why) != 0 ||
	    zs_client_open(&t->client, t->node.rpc_url) != 0) {
		printf("FAIL zsnode not SERVING with admin logged in within %d ms %s\n", IT_READY_MS, why);
		zst_node_dump_stderr(&t->node);
		zst_node_cleanup(&t->node);
		return false;
	}
	t->admin = t->node.session;
	zst_note("zsnode %d serving on %s after %lld ms, admin logged in", (int) t->node.pid,
	    t->node.rpc_url, (long long) (zst_now_ms() - t0));
	return true;
}

json_t *
it_sim(const char *method, const char *path, const char *body)
{
	return zst_sim_http(it_sim_port, method, NULL, path, body);
}

void
it_sim_do(const char *method, const char *path, const char *body)
{
	json_t *o = it_sim(method, path, body);
	ZST_CHECK(json_is_true(json_object_get(o, "success")), "the simulator does %s %s", method, path);
	json_decref(o);
}

size_t
it_sim_count(const char *host, const char *path)
{
	char q[256];
	snprintf(q, sizeof q, "/sim/log?host=%s&path=%s&limit=10000", host, path);
	json_t *o = it_sim("GET", q, NULL);
	size_t n = json_array_size(json_object_get(o, "entries"));
	json_decref(o);
	return n;
}

size_t
it_sim_images(const char *host)
{
	char q[256];
	snprintf(q, sizeof q, "/sim/hosts/%s", host);
	json_t *o = it_sim("GET", q, NULL);
	size_t n = json_object_size(json_object_get(json_object_get(o, "backupStorage"), "images"));
	json_decref(o);
	return n;
}

int
it_add_bs(inv *t, const char *s, const char *name, const char *ip, const char *url,
    Zs__Backupstorage__V1__BackupStorageInfo **out)
{
	Zs__Backupstorage__V1__AddBackupStorageRequest req =
	    ZS__BACKUPSTORAGE__V1__ADD_BACKUP_STORAGE_REQUEST__INIT;
	req.name = (char *) name;
	req.hostname = (char *) ip;
	req.url = (char *) url;
	req.username = "root";
	req.password = "password";
	return inv_call(t, s, BS_M "AddBackupStorage", &req,
	    &zs__backupstorage__v1__backup_storage_info__descriptor, out);
}

int
it_get_bs(inv *t, const char *s, const char *uuid, Zs__Backupstorage__V1__BackupStorageInfo **out)
{
	Zs__Backupstorage__V1__GetBackupStorageRequest req =
	    ZS__BACKUPSTORAGE__V1__GET_BACKUP_STORAGE_REQUEST__INIT;
	req.uuid = (char *) uuid;
	return inv_call(t, s, BS_M "GetBackupStorage", &req,
	    &zs__backupstorage__v1__backup_storage_info__descriptor, out);
}

long long
it_avail(inv *t, const char *uuid)
{
	Zs__Backupstorage__V1__BackupStorageInfo *b = NULL;
	long long v = it_get_bs(t, t->admin, uuid, &b) == 0 ? (long long) b->available_capacity : -1;
	zs_reply_free(b);
	return v;
}

int
it_count_bs(inv *t, const char *s, const char *zone)
{
	Zs__Backupstorage__V1__ListBackupStoragesRequest req =
	    ZS__BACKUPSTORAGE__V1__LIST_BACKUP_STORAGES_REQUEST__INIT;
	req.zone_uuid = (char *) (zone != NULL ? zone : "");
	Zs__Backupstorage__V1__ListBackupStoragesResponse *r = NULL;
	int n = inv_call(t, s, BS_M "ListBackupStorages", &req,
	    &zs__backupstorage__v1__list_backup_storages_response__descriptor, &r) == 0 ?
	    (int) r->n_backup_storages : -1;
	zs_reply_free(r);
	return n;
}

int
it_count_images(inv *t, const char *s)
{
	Zs__Image__V1__ListImagesRequest req = ZS__IMAGE__V1__LIST_IMAGES_REQUEST__INIT;
	Zs__Image__V1__ListImagesResponse *r = NULL;
	int n = inv_call(t, s, IMG_M "ListImages", &req, &zs__image__v1__list_images_response__descriptor,
	    &r) == 0 ? (int) r->n_images : -1;
	zs_reply_free(r);
	return n;
}

static void
it_progress(unsigned percent, const char *message, void *arg)
{
	(void) percent;
	(void) message;
	(*(int *) arg)++;
}

/* Keeps what st says in t, as inv_call does. */
static void
it_keep(inv *t, int code, zs_status *st)
{
	t->code = code;
	snprintf(t->msg, sizeof t->msg, "%s%s%s", zs_client_code_name(code), st ? ": " : "",
	    st && st->message ? st->message : "");
	snprintf(t->error_code, sizeof t->error_code, "%s", st && st->error_code ? st->error_code : "");
	/* the cause chain, for checks on the agent's own text */
	for (const zs_status *c = st != NULL ? st->cause : NULL; c != NULL; c = c->cause) {
		size_t l = strlen(t->msg);
		snprintf(t->msg + l, sizeof t->msg - l, " | %s", c->message ? c->message : "");
	}
	zs_status_free(st);
}

int
it_add_image(inv *t, const char *name, const char *url, const char *const *bs, size_t n,
    int timeout_ms, Zs__Image__V1__ImageInfo **out, int *progress)
{
	Zs__Image__V1__AddImageRequest req = ZS__IMAGE__V1__ADD_IMAGE_REQUEST__INIT;
	req.name = (char *) name;
	req.url = (char *) url;
	req.format = "qcow2";
	req.n_backup_storage_uuids = n;
	req.backup_storage_uuids = (char **) bs;
	char job[ZS_JOB_UUID_LEN];
	zs_status *st = NULL;
	zs_call_opts opts = { .timeout_ms = timeout_ms > 0 ? timeout_ms : 20000, .session = t->admin };
	int code = zs_client_start_job(t->client, IMG_M "AddImage", &req.base, job, &st, &opts);
	if (code != 0) {
		it_keep(t, code, st);
		return code;
	}
	int seen = 0;
	ProtobufCMessage *reply = NULL;
	zs_call_opts wopts = { .timeout_ms = 60000, .session = t->admin };
	code = zs_client_wait_job(t->client, job, &zs__image__v1__image_info__descriptor, &reply, &st,
	    it_progress, &seen, &wopts);
	it_keep(t, code, st);
	if (progress != NULL)
		*progress = seen;
	if (out != NULL)
		*out = (Zs__Image__V1__ImageInfo *) reply;
	else
		zs_reply_free(reply);
	return code;
}

int
it_get_image(inv *t, const char *uuid, Zs__Image__V1__ImageInfo **out)
{
	Zs__Image__V1__GetImageRequest req = ZS__IMAGE__V1__GET_IMAGE_REQUEST__INIT;
	req.uuid = (char *) uuid;
	return inv_call(t, t->admin, IMG_M "GetImage", &req, &zs__image__v1__image_info__descriptor, out);
}

int
it_image_uuid_call(inv *t, const char *s, const char *method, const char *uuid)
{
	/* Delete, Recover and Expunge requests are all { string uuid = 1; } */
	Zs__Image__V1__DeleteImageRequest req = ZS__IMAGE__V1__DELETE_IMAGE_REQUEST__INIT;
	req.uuid = (char *) uuid;
	char m[128];
	snprintf(m, sizeof m, IMG_M "%s", method);
	const ProtobufCMessageDescriptor *out = strcmp(method, "ExpungeImage") == 0 ?
	    &zs__image__v1__expunge_image_response__descriptor : &zs__image__v1__image_info__descriptor;
	return inv_call(t, s, m, &req, out, NULL);
}

void
it_events_open(inv_events *e, const char *url)
{
	memset(e, 0, sizeof *e);
	static const char *const topics[] = { "backupstorage/", "image/" };
	int rv = nng_sub0_open(&e->sock);
	for (size_t i = 0; rv == 0 && i < 2; i++)
		rv = nng_socket_set(e->sock, NNG_OPT_SUB_SUBSCRIBE, topics[i], strlen(topics[i]));
	if (rv == 0)
		rv = nng_socket_set_ms(e->sock, NNG_OPT_RECVTIMEO, 200);
	if (rv == 0)
		rv = nng_dial(e->sock, url, NULL, 0);
	ZST_REQUIRE(rv == 0, "a subscriber to backupstorage/ and image/ events");
	e->open = true;
	zst_sleep_ms(300);
}
