/*
 * bs_api.c: the zs.backupstorage.v1.BackupStorage API and its interceptor
 * (backupstorage.check: admins only, and each request's fields).
 *
 * AddBackupStorage is bs_add.c's. Attach and detach write a row per zone, which goes with the zone. Delete is the resource
 * kit's, and QueryBackupStorage (from its query table). DownloadImage and DeleteImageBits
 * (bs_image.c) are for the image service.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bs.h"
#include "zs/check.h"
#include "zs/resource.h"
#include "zs/service.h"

#define BS_NAME_MAX 255
#define BS_TEXT_MAX 2048

/* ---- the interceptor ---- */

static bool
bs_is(const ProtobufCMessage *m, const ProtobufCMessageDescriptor *d)
{
	/* by name: a bus caller's message comes with its own copy of the descriptors */
	return strcmp(m->descriptor->name, d->name) == 0;
}

static int
bs_check_add(zs_call *call, const Zs__Backupstorage__V1__AddBackupStorageRequest *in)
{
	unsigned char addr[16];
	int rv;
	if ((rv = zs_check_text(call, "name", in->name, BS_NAME_MAX, ZS_TEXT_REQUIRED)) != 0 ||
	    (rv = zs_check_text(call, "description", in->description, BS_TEXT_MAX,
	    ZS_TEXT_MULTILINE)) != 0 ||
	    (rv = zs_check_text(call, "url", in->url, BS_TEXT_MAX, ZS_TEXT_REQUIRED)) != 0 ||
	    (rv = zs_check_text(call, "username", in->username, BS_NAME_MAX, ZS_TEXT_REQUIRED)) != 0 ||
	    (rv = zs_check_text(call, "password", in->password, BS_NAME_MAX, ZS_TEXT_REQUIRED)) != 0)
		return rv;
	if (in->type[0] != '\0' && strcmp(in->type, "Sftp") != 0) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "type: \"%s\" is not supported (Sftp is)",
		    in->type);
		return ZS_INVALID_ARGUMENT;
	}
	if (inet_pton(AF_INET, in->hostname, addr) != 1 && inet_pton(AF_INET6, in->hostname, addr) != 1) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL,
		    "hostname: \"%s\" is not an IPv4 or IPv6 address", in->hostname);
		return ZS_INVALID_ARGUMENT;
	}
	if (in->url[0] != '/' || strstr(in->url, "..") != NULL) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL,
		    "url: \"%s\" is not an absolute path without \"..\"", in->url);
		return ZS_INVALID_ARGUMENT;
	}
	if (in->ssh_port > 65535) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "ssh_port: %u is not a port",
		    (unsigned) in->ssh_port);
		return ZS_INVALID_ARGUMENT;
	}
	return 0;
}

/* The uuid fields of the other requests, by name, all required. */
static const char *const bs_uuid_fields[] = { "uuid", "backup_storage_uuid", "zone_uuid",
    "image_uuid" };

static int
bs_check_request(zs_call *call, const ProtobufCMessage *req, void *arg)
{
	(void) arg;
	if (!zs_call_admin(call)) {
		zs_call_fail(call, ZS_PERMISSION_DENIED, "BACKUPSTORAGE.1003", "%s is for admins only",
		    zs_call_method(call));
		return ZS_PERMISSION_DENIED;
	}
	if (bs_is(req, &zs__backupstorage__v1__add_backup_storage_request__descriptor))
		return bs_check_add(call, (const Zs__Backupstorage__V1__AddBackupStorageRequest *) req);
	bool list = bs_is(req, &zs__backupstorage__v1__list_backup_storages_request__descriptor);
	for (size_t i = 0; i < sizeof bs_uuid_fields / sizeof bs_uuid_fields[0]; i++) {
		const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(
		    req->descriptor, bs_uuid_fields[i]);
		if (f == NULL || f->type != PROTOBUF_C_TYPE_STRING)
			continue;
		const char *v = *(char *const *) (const void *) ((const char *) req + f->offset);
		if (list && *v == '\0')
			continue;   /* ListBackupStorages' zone_uuid is optional */
		int rv = zs_check_uuid(call, bs_uuid_fields[i], v);
		if (rv != 0)
			return rv;
	}
	if (bs_is(req, &zs__backupstorage__v1__change_backup_storage_state_request__descriptor)) {
		const char *ev = ((const Zs__Backupstorage__V1__ChangeBackupStorageStateRequest *) req)->state_event;
		if (strcmp(ev, "enable") != 0 && strcmp(ev, "disable") != 0) {
			zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL,
			    "state_event: \"%s\" is not enable or disable", ev);
			return ZS_INVALID_ARGUMENT;
		}
	}
	if (bs_is(req, &zs__backupstorage__v1__update_backup_storage_request__descriptor)) {
		const Zs__Backupstorage__V1__UpdateBackupStorageRequest *u = (const void *) req;
		int rv;
		if (u->_name_case == ZS__BACKUPSTORAGE__V1__UPDATE_BACKUP_STORAGE_REQUEST___NAME_NAME &&
		    (rv = zs_check_text(call, "name", u->name, BS_NAME_MAX, ZS_TEXT_REQUIRED)) != 0)
			return rv;
		if (u->_description_case ==
		    ZS__BACKUPSTORAGE__V1__UPDATE_BACKUP_STORAGE_REQUEST___DESCRIPTION_DESCRIPTION &&
		    (rv = zs_check_text(call, "description", u->description, BS_TEXT_MAX,
		    ZS_TEXT_MULTILINE)) != 0)
			return rv;
	}
	return 0;
}

ZS_EXPORT const zs_interceptor backupstorage_check = { bs_check_request, NULL };

/* ---- answers ---- */

void
bs_api_answer(zs_call *call, ProtobufCClosure closure, const char *uuid)
{
	zs_db *db = zs_node_db(zs_call_node(call));
	zs_db_conn *c = NULL;
	if (zs_db_acquire_for(db, call, &c) != 0)
		return;
	bs_infos b;
	zs_status *st = NULL;
	int rv = zs_resource_check(c, call, uuid, BS_TYPE, NULL, 0, &st);
	if (rv == 0)
		rv = bs_store_one(c, uuid, &b, &st);
	zs_db_release(db, c);
	if (rv != 0) {
		zs_rkit_fail(call, st);
		return;
	}
	closure(&b.infos[0].base, call);
	bs_infos_free(&b);
}

int
bs_api_load(zs_call *call, const char *uuid, bs_infos *b)
{
	zs_db *db = zs_node_db(zs_call_node(call));
	zs_db_conn *c = NULL;
	int rv = zs_db_acquire_for(db, call, &c);
	if (rv != 0)
		return rv;
	zs_status *st = NULL;
	rv = zs_resource_check(c, call, uuid, BS_TYPE, NULL, 0, &st);
	if (rv == 0)
		rv = bs_store_one(c, uuid, b, &st);
	zs_db_release(db, c);
	if (rv != 0)
		zs_rkit_fail(call, st);
	return rv;
}

/* ---- Get, List, Update ---- */

static void
bs_get(zs_call *call, const ProtobufCMessage *msg, ProtobufCClosure closure)
{
	bs_api_answer(call, closure, ((const Zs__Backupstorage__V1__GetBackupStorageRequest *) msg)->uuid);
}

static void
bs_list(zs_call *call, const ProtobufCMessage *msg, ProtobufCClosure closure)
{
	const Zs__Backupstorage__V1__ListBackupStoragesRequest *in = (const void *) msg;
	zs_db *db = zs_node_db(zs_call_node(call));
	zs_db_conn *c = NULL;
	if (zs_db_acquire_for(db, call, &c) != 0)
		return;
	const char *p[3] = { zs_call_admin(call) ? "t" : "f", zs_call_account(call), in->zone_uuid };
	bs_infos b;
	zs_status *st = NULL;
	int rv = bs_store_load(c, "($1::boolean OR owner_uuid = $2) AND ($3::text = '' OR uuid IN "
	    "(SELECT backup_storage_uuid FROM backupstorage_zone_refs WHERE zone_uuid = $3))", 3, p,
	    &b, &st);
	zs_db_release(db, c);
	if (rv != 0) {
		zs_rkit_fail(call, st);
		return;
	}
	Zs__Backupstorage__V1__ListBackupStoragesResponse out =
	    ZS__BACKUPSTORAGE__V1__LIST_BACKUP_STORAGES_RESPONSE__INIT;
	out.n_backup_storages = b.n;
	out.backup_storages = b.ptrs;
	closure(&out.base, call);
	bs_infos_free(&b);
}

static void
bs_update(zs_call *call, const ProtobufCMessage *msg, ProtobufCClosure closure)
{
	const Zs__Backupstorage__V1__UpdateBackupStorageRequest *in = (const void *) msg;
	bs_state *bs = zs_call_service_data(call);
	const char *name = in->_name_case ==
	    ZS__BACKUPSTORAGE__V1__UPDATE_BACKUP_STORAGE_REQUEST___NAME_NAME ? in->name : NULL;
	const char *desc = in->_description_case ==
	    ZS__BACKUPSTORAGE__V1__UPDATE_BACKUP_STORAGE_REQUEST___DESCRIPTION_DESCRIPTION ?
	    in->description : NULL;
	zs_db *db = zs_node_db(zs_call_node(call));
	zs_db_conn *c = NULL;
	if (zs_db_acquire_for(db, call, &c) != 0)
		return;
	zs_status *st = NULL;
	const char *p[3] = { in->uuid, name, desc };
	int rv = zs_db_begin(c, &st);
	if (rv == 0) {
		rv = zs_resource_check(c, call, in->uuid, BS_TYPE, NULL, 0, &st);
		if (rv == 0)
			rv = zs_db_cmd(c, "UPDATE " BS_TABLE " SET name = COALESCE($2, name), "
			    "description = COALESCE($3, description), updated_at = now() WHERE uuid = $1",
			    3, p, NULL, &st);
		if (rv == 0 && name != NULL)
			rv = zs_resource_rename(c, in->uuid, name, &st);
		if (rv == 0)
			rv = bs_store_event(bs, c, in->uuid, "backupstorage/updated", &st);
		rv = zs_db_end(c, rv, &st);
	}
	zs_db_release(db, c);
	if (rv != 0)
		zs_rkit_fail(call, st);
	else
		bs_api_answer(call, closure, in->uuid);
}

/* ---- zones ---- */

static void
bs_zone(zs_call *call, const char *bs_uuid, const char *zone_uuid, bool attach,
    ProtobufCClosure closure)
{
	bs_state *bs = zs_call_service_data(call);
	zs_db *db = zs_node_db(zs_call_node(call));
	zs_db_conn *c = NULL;
	if (zs_db_acquire_for(db, call, &c) != 0)
		return;
	zs_status *st = NULL;
	const char *p[2] = { bs_uuid, zone_uuid };
	int rv = zs_db_begin(c, &st);
	if (rv == 0) {
		int n = 0;
		rv = zs_resource_check(c, call, bs_uuid, BS_TYPE, NULL, 0, &st);
		if (rv == 0 && attach) {
			rv = zs_resource_check(c, call, zone_uuid, "Zone", NULL, 0, &st);
			if (rv == 0)   /* a zone being deleted waits, or this waits for it */
				rv = zs_resource_lock(c, zone_uuid, "zone", &st);
			if (rv == 0)
				rv = zs_db_cmd(c, "INSERT INTO backupstorage_zone_refs "
				    "(backup_storage_uuid, zone_uuid) VALUES ($1, $2) ON CONFLICT DO NOTHING",
				    2, p, &n, &st);
		} else if (rv == 0) {
			rv = zs_db_cmd(c, "DELETE FROM backupstorage_zone_refs WHERE "
			    "backup_storage_uuid = $1 AND zone_uuid = $2", 2, p, &n, &st);
			if (rv == 0 && n == 0) {
				rv = ZS_FAILED_PRECONDITION;
				st = zs_status_new(rv, "BACKUPSTORAGE.1009",
				    "backup storage %s is not attached to zone %s", bs_uuid, zone_uuid);
			}
		}
		if (rv == 0 && n > 0)
			rv = bs_store_event(bs, c, bs_uuid, attach ? "backupstorage/attached" :
			    "backupstorage/detached", &st);
		rv = zs_db_end(c, rv, &st);
	}
	zs_db_release(db, c);
	if (rv != 0)
		zs_rkit_fail(call, st);
	else
		bs_api_answer(call, closure, bs_uuid);
}

static void
bs_attach(zs_call *call, const ProtobufCMessage *msg, ProtobufCClosure closure)
{
	const Zs__Backupstorage__V1__AttachBackupStorageToZoneRequest *in = (const void *) msg;
	bs_zone(call, in->backup_storage_uuid, in->zone_uuid, true, closure);
}

static void
bs_detach(zs_call *call, const ProtobufCMessage *msg, ProtobufCClosure closure)
{
	const Zs__Backupstorage__V1__DetachBackupStorageFromZoneRequest *in = (const void *) msg;
	bs_zone(call, in->backup_storage_uuid, in->zone_uuid, false, closure);
}

/* ---- Reconnect, Ping, ChangeState ---- */

typedef struct bs_rec {
	zs_call *call;
	ProtobufCClosure closure;
	bs_state *bs;
	char uuid[ZS_UUID_LEN];
	bool ping;
} bs_rec;

static void
bs_rec_done(int code, zs_status *st, void *arg)
{
	bs_rec *r = arg;
	if (code == 0) {
		bs_api_answer(r->call, r->closure, r->uuid);
	} else {
		char why[1024];
		zs_status_text(st, why, sizeof why);
		if (!r->ping) {   /* bs_ping stores Disconnected itself */
			zs_status *st2 = NULL;
			bs_store_status(r->bs, r->uuid, "Disconnected", why, "backupstorage/disconnected",
			    true, &st2);
			zs_status_free(st2);
		}
		zs_call_fail_cause(r->call, code, r->ping ? "BACKUPSTORAGE.1010" : "BACKUPSTORAGE.1002",
		    st, "backup storage %s %s; it is Disconnected: %s", r->uuid,
		    r->ping ? "did not answer its ping" : "could not be reconnected", why);
	}
	zs_status_free(st);
	free(r);
}

static void
bs_reconnect_or_ping(zs_call *call, const char *uuid, bool ping, ProtobufCClosure closure)
{
	bs_infos b;
	if (bs_api_load(call, uuid, &b) != 0)
		return;
	bs_rec *r = calloc(1, sizeof *r);
	if (r == NULL) {
		bs_infos_free(&b);
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	r->call = call;
	r->closure = closure;
	r->bs = zs_call_service_data(call);
	r->ping = ping;
	snprintf(r->uuid, sizeof r->uuid, "%s", uuid);
	const Zs__Backupstorage__V1__BackupStorageInfo *i = &b.infos[0];
	if (ping)
		bs_ping(r->bs, uuid, i->hostname, i->url, i->status, call, bs_rec_done, r);
	else
		bs_connect(r->bs, uuid, i->hostname, i->url, call, bs_rec_done, r);
	bs_infos_free(&b);
}

static void
bs_reconnect(zs_call *call, const ProtobufCMessage *msg, ProtobufCClosure closure)
{
	bs_reconnect_or_ping(call, ((const Zs__Backupstorage__V1__ReconnectBackupStorageRequest *)
	    msg)->uuid, false, closure);
}

static void
bs_ping_api(zs_call *call, const ProtobufCMessage *msg, ProtobufCClosure closure)
{
	bs_reconnect_or_ping(call, ((const Zs__Backupstorage__V1__PingBackupStorageRequest *)
	    msg)->uuid, true, closure);
}

static void
bs_change_state(zs_call *call, const ProtobufCMessage *msg, ProtobufCClosure closure)
{
	const Zs__Backupstorage__V1__ChangeBackupStorageStateRequest *in = (const void *) msg;
	bs_state *bs = zs_call_service_data(call);
	const char *to = strcmp(in->state_event, "enable") == 0 ? "Enabled" : "Disabled";
	zs_db *db = zs_node_db(zs_call_node(call));
	zs_db_conn *c = NULL;
	if (zs_db_acquire_for(db, call, &c) != 0)
		return;
	zs_status *st = NULL;
	const char *p[2] = { in->uuid, to };
	int rv = zs_db_begin(c, &st);
	if (rv == 0) {
		int n = 0;
		rv = zs_resource_check(c, call, in->uuid, BS_TYPE, NULL, 0, &st);
		if (rv == 0)
			rv = zs_db_cmd(c, "UPDATE " BS_TABLE " SET state = $2, updated_at = now() "
			    "WHERE uuid = $1 AND state <> $2", 2, p, &n, &st);
		if (rv == 0 && n > 0)
			rv = bs_store_event(bs, c, in->uuid, "backupstorage/stateChanged", &st);
		rv = zs_db_end(c, rv, &st);
	}
	zs_db_release(db, c);
	if (rv != 0)
		zs_rkit_fail(call, st);
	else
		bs_api_answer(call, closure, in->uuid);
}

/* ---- the service: the kit runs Delete, the rest are ours ---- */

/* QueryBackupStorage: its own fields, the zones it is attached to, the images it holds
 * and its tags by dot path. Admins only (no owner column: backupstorage.check refuses
 * the others first). */
static const char *const bs_q_states[] = { "Enabled", "Disabled", NULL };
static const char *const bs_q_statuses[] = { "Connecting", "Connected", "Disconnected", NULL };
static const char *const bs_q_image_statuses[] = { "Downloading", "Ready", NULL };

static const zs_query_field bs_query_fields[] = {
	{ "uuid", "t.uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "name", "t.name", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "description", "t.description", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "owner_uuid", "t.owner_uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "type", "t.type", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "hostname", "t.hostname", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "url", "t.url", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "username", "t.username", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "ssh_port", "t.ssh_port", ZS_QUERY_INT, NULL, NULL, NULL },
	{ "state", "t.state", ZS_QUERY_ENUM, bs_q_states, NULL, NULL },
	{ "status", "t.status", ZS_QUERY_ENUM, bs_q_statuses, NULL, NULL },
	{ "status_reason", "t.status_reason", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "total_capacity", "t.total_capacity", ZS_QUERY_INT, NULL, NULL, NULL },
	{ "available_capacity", "t.available_capacity", ZS_QUERY_INT, NULL, NULL, NULL },
	{ "create_date", "t.created_at", ZS_QUERY_TIME, NULL, NULL, NULL },
	{ "last_op_date", "t.updated_at", ZS_QUERY_TIME, NULL, NULL, NULL },
	{ "zone.uuid", "r.zone_uuid", ZS_QUERY_UUID, NULL,
	  "SELECT 1 FROM backupstorage_zone_refs r WHERE r.backup_storage_uuid = t.uuid", NULL },
	{ "zone.name", "r.name", ZS_QUERY_TEXT, NULL, "SELECT 1 FROM backupstorage_zone_refs a "
	  "JOIN zone_zones r ON r.uuid = a.zone_uuid WHERE a.backup_storage_uuid = t.uuid", NULL },
#define BS_Q_IMAGES "SELECT 1 FROM image_backup_storage_refs r WHERE r.backup_storage_uuid = t.uuid"
	{ "images.uuid", "r.image_uuid", ZS_QUERY_UUID, NULL, BS_Q_IMAGES, NULL },
	{ "images.status", "r.status", ZS_QUERY_ENUM, bs_q_image_statuses, BS_Q_IMAGES, NULL },
	{ "images.name", "r.name", ZS_QUERY_TEXT, NULL, "SELECT 1 FROM image_backup_storage_refs a "
	  "JOIN image_images r ON r.uuid = a.image_uuid WHERE a.backup_storage_uuid = t.uuid", NULL },
	{ "tags.tag", "r.tag", ZS_QUERY_TEXT, NULL,
	  "SELECT 1 FROM zs_tags r WHERE r.resource_uuid = t.uuid", NULL },
};

static const zs_query_table bs_query = {
	"backup storage", BS_TABLE " t", NULL, "t.created_at", "t.uuid", bs_query_fields,
	sizeof bs_query_fields / sizeof bs_query_fields[0], NULL,
};

static const zs_rkit_op bs_ops[] = {
	{ ZS_RKIT_CUSTOM, bs_add_backup_storage },
	{ ZS_RKIT_CUSTOM, bs_get },
	{ ZS_RKIT_CUSTOM, bs_list },
	{ ZS_RKIT_CUSTOM, bs_update },
	{ ZS_RKIT_DELETE, NULL },
	{ ZS_RKIT_CUSTOM, bs_attach },
	{ ZS_RKIT_CUSTOM, bs_detach },
	{ ZS_RKIT_CUSTOM, bs_reconnect },
	{ ZS_RKIT_CUSTOM, bs_ping_api },
	{ ZS_RKIT_CUSTOM, bs_change_state },
	{ ZS_RKIT_CUSTOM, bs_download_image },
	{ ZS_RKIT_CUSTOM, bs_delete_bits },
	{ ZS_RKIT_QUERY, NULL },
};

static const zs_rkit_def bs_def = {
	.type = BS_TYPE, .what = "backupstorage", .name_max = BS_NAME_MAX,
	.description_max = BS_TEXT_MAX,
	.sql_get = ZS_RKIT_SQL_GET(BS_TABLE, BS_COLUMNS),
	.info = &zs__backupstorage__v1__backup_storage_info__descriptor,
	.deleted_event = &zs__backupstorage__v1__backup_storage_deleted__descriptor,
	.query = &bs_query, .ops = bs_ops, .n_ops = sizeof bs_ops / sizeof bs_ops[0],
};

ZS_EXPORT zs_rkit_service backupstorage_service =
    ZS_RKIT_SERVICE(&zs__backupstorage__v1__backup_storage__descriptor, &bs_def);
