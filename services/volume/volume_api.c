/*
 * volume_api.c: the zs.volume.v1.Volume API: its table for the resource kit (GetVolume,
 * ListVolumes, UpdateVolume, QueryVolume run by the kit; creating and deleting are workflows of
 * their own), the interceptor volume.check (admins only for now, and each request's
 * fields) and the answers.
 */
#include <stdio.h>
#include <string.h>

#include "volume.h"
#include "zs/check.h"
#include "zs/event.h"
#include "zs/service.h"

#define VOLUME_NAME_MAX 255
#define VOLUME_TEXT_MAX 2048

/* ---- the interceptor ---- */

static bool
volume_is(const ProtobufCMessage *m, const ProtobufCMessageDescriptor *d)
{
	return strcmp(m->descriptor->name, d->name) == 0;   /* bus callers have their own copy */
}

/* Checks name, description, size and the optional uuid of a create. */
static int
volume_check_create(zs_call *call, const char *name, const char *desc, int64_t size,
    const char *uuid)
{
	int rv;
	if ((rv = zs_check_text(call, "name", name, VOLUME_NAME_MAX, ZS_TEXT_REQUIRED)) != 0 ||
	    (rv = zs_check_text(call, "description", desc, VOLUME_TEXT_MAX, ZS_TEXT_MULTILINE)) != 0)
		return rv;
	if (size <= 0) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "size: %lld is not a size in bytes (> 0)",
		    (long long) size);
		return ZS_INVALID_ARGUMENT;
	}
	size_t n = strlen(uuid);
	if (n > 0 && (n != 36 || strspn(uuid, "0123456789abcdef-") != n)) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "uuid: \"%s\" is not a lowercase uuid", uuid);
		return ZS_INVALID_ARGUMENT;
	}
	return 0;
}

static int
volume_check_request(zs_call *call, const ProtobufCMessage *req, void *arg)
{
	(void) arg;
	if (!zs_call_admin(call)) {
		zs_call_fail(call, ZS_PERMISSION_DENIED, "VOLUME.1001", "%s is for admins only (for now)",
		    zs_call_method(call));
		return ZS_PERMISSION_DENIED;
	}
	if (volume_is(req, &zs__volume__v1__create_data_volume_request__descriptor)) {
		const Zs__Volume__V1__CreateDataVolumeRequest *r = (const void *) req;
		return volume_check_create(call, r->name, r->description, r->size, r->uuid);
	}
	if (volume_is(req, &zs__volume__v1__create_root_volume_request__descriptor)) {
		const Zs__Volume__V1__CreateRootVolumeRequest *r = (const void *) req;
		int rv = volume_check_create(call, r->name, r->description, r->size, r->uuid);
		if (rv == 0)
			rv = zs_check_uuid(call, "primary_storage_uuid", r->primary_storage_uuid);
		if (rv == 0)
			rv = zs_check_uuid(call, "image_uuid", r->image_uuid);
		if (rv == 0)
			rv = zs_check_text(call, "image_url", r->image_url, 1024, ZS_TEXT_REQUIRED);
		return rv;
	}
	if (volume_is(req, &zs__volume__v1__change_volume_state_request__descriptor)) {
		const char *ev = ((const Zs__Volume__V1__ChangeVolumeStateRequest *) req)->state_event;
		if (strcmp(ev, "enable") != 0 && strcmp(ev, "disable") != 0) {
			zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL,
			    "state_event: \"%s\" is not enable or disable", ev);
			return ZS_INVALID_ARGUMENT;
		}
	}
	return 0;
}

ZS_EXPORT const zs_interceptor volume_check = { volume_check_request, NULL };

/* ---- answers ---- */

void
volume_fail(zs_call *call, zs_status *st)
{
	if (st == NULL)
		st = zs_status_new(ZS_INTERNAL, NULL, "failed without saying why");
	zs_rkit_fail(call, st);
}

/* Answers call with the VolumeInfo of row (a row of volume_def.sql_get). */
void
volume_answer_row(zs_call *call, ProtobufCClosure closure, const PGresult *row)
{
	Zs__Volume__V1__VolumeInfo info = ZS__VOLUME__V1__VOLUME_INFO__INIT;
	zs_rkit_from_row(row, 0, &info.base);
	closure(&info.base, call);
}

void
volume_answer(zs_call *call, zs_db_conn *c, ProtobufCClosure closure, const char *uuid)
{
	PGresult *row = NULL;
	zs_status *st = NULL;
	const char *p[1] = { uuid };
	if (zs_db_exec_one(c, volume_def.sql_get, 1, p, "volume", uuid, &row, &st) != 0) {
		volume_fail(call, st);
		return;
	}
	volume_answer_row(call, closure, row);
	PQclear(row);
}

/* Writes topic about uuid as node, in c's transaction; the row published in *kept (the
 * caller's to PQclear) when kept is not NULL. */
static int
volume_publish_row(zs_db_conn *c, zs_node *node, const char *topic, const char *uuid,
    PGresult **kept, zs_status **st)
{
	PGresult *row = NULL;
	const char *p[1] = { uuid };
	int rv = zs_db_exec_one(c, volume_def.sql_get, 1, p, "volume", uuid, &row, st);
	if (rv != 0)
		return rv;
	Zs__Volume__V1__VolumeInfo info = ZS__VOLUME__V1__VOLUME_INFO__INIT;
	zs_rkit_from_row(row, 0, &info.base);
	rv = zs_event_publish_tx(c, zs_node_events(node), topic, uuid, info.owner_uuid,
	    &info.base, st);
	if (rv == 0 && kept != NULL)
		*kept = row;
	else
		PQclear(row);
	return rv;
}

int
volume_publish_keep(zs_db_conn *c, zs_call *call, const char *topic, const char *uuid,
    PGresult **kept, zs_status **st)
{
	return volume_publish_row(c, zs_call_node(call), topic, uuid, kept, st);
}

int
volume_publish_node(zs_db_conn *c, zs_node *node, const char *topic, const char *uuid,
    zs_status **st)
{
	return volume_publish_row(c, node, topic, uuid, NULL, st);
}

int
volume_publish(zs_db_conn *c, zs_call *call, const char *topic, const char *uuid,
    zs_status **st)
{
	return volume_publish_keep(c, call, topic, uuid, NULL, st);
}

/* ---- the table ---- */

/* QueryVolume: its own fields, its primary storage, host, zone and tags by dot path.
 * volume.check lets admins only in, as for the other methods. */
static const char *const volume_q_types[] = { "Root", "Data", NULL };
static const char *const volume_q_states[] = { "Enabled", "Disabled", NULL };
static const char *const volume_q_statuses[] = { "Creating", "Ready", "Deleting", NULL };

static const zs_query_field volume_query_fields[] = {
	{ "uuid", "t.uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "name", "t.name", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "description", "t.description", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "type", "t.type", ZS_QUERY_ENUM, volume_q_types, NULL, NULL },
	{ "size", "t.size", ZS_QUERY_INT, NULL, NULL, NULL },
	{ "format", "t.format", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "primary_storage_uuid", "t.primary_storage_uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	/* "" when none: text, so that = "" can be asked */
	{ "host_uuid", "t.host_uuid", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "zone_uuid", "t.zone_uuid", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "install_path", "t.install_path", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "state", "t.state", ZS_QUERY_ENUM, volume_q_states, NULL, NULL },
	{ "status", "t.status", ZS_QUERY_ENUM, volume_q_statuses, NULL, NULL },
	{ "image_uuid", "t.image_uuid", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "vm_uuid", "t.vm_uuid", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "owner_uuid", "t.owner_uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "create_date", "t.created_at", ZS_QUERY_TIME, NULL, NULL, NULL },
	{ "last_op_date", "t.updated_at", ZS_QUERY_TIME, NULL, NULL, NULL },
#define VOLUME_Q_PS "SELECT 1 FROM ps_storages r WHERE r.uuid = t.primary_storage_uuid"
	{ "primary_storage.uuid", "r.uuid", ZS_QUERY_UUID, NULL, VOLUME_Q_PS, NULL },
	{ "primary_storage.name", "r.name", ZS_QUERY_TEXT, NULL, VOLUME_Q_PS, NULL },
	{ "primary_storage.type", "r.type", ZS_QUERY_TEXT, NULL, VOLUME_Q_PS, NULL },
#define VOLUME_Q_HOST "SELECT 1 FROM host_hosts r WHERE r.uuid = t.host_uuid"
	{ "host.uuid", "r.uuid", ZS_QUERY_UUID, NULL, VOLUME_Q_HOST, NULL },
	{ "host.name", "r.name", ZS_QUERY_TEXT, NULL, VOLUME_Q_HOST, NULL },
	{ "host.management_ip", "r.management_ip", ZS_QUERY_TEXT, NULL, VOLUME_Q_HOST, NULL },
#define VOLUME_Q_ZONE "SELECT 1 FROM zone_zones r WHERE r.uuid = t.zone_uuid"
	{ "zone.uuid", "r.uuid", ZS_QUERY_UUID, NULL, VOLUME_Q_ZONE, NULL },
	{ "zone.name", "r.name", ZS_QUERY_TEXT, NULL, VOLUME_Q_ZONE, NULL },
	{ "tags.tag", "r.tag", ZS_QUERY_TEXT, NULL,
	  "SELECT 1 FROM zs_tags r WHERE r.resource_uuid = t.uuid", NULL },
};

static const zs_query_table volume_query = {
	"volume", "volume_volumes t", "t.owner_uuid", "t.created_at", "t.uuid",
	volume_query_fields, sizeof volume_query_fields / sizeof volume_query_fields[0], NULL,
};

static const zs_rkit_op volume_ops[] = {
	{ ZS_RKIT_CUSTOM, volume_create_data }, { ZS_RKIT_GET, NULL }, { ZS_RKIT_LIST, NULL },
	{ ZS_RKIT_UPDATE, NULL }, { ZS_RKIT_CUSTOM, volume_delete },
	{ ZS_RKIT_CUSTOM, volume_create_root }, { ZS_RKIT_CUSTOM, volume_change_state },
	{ ZS_RKIT_CUSTOM, volume_attach }, { ZS_RKIT_CUSTOM, volume_detach },
	{ ZS_RKIT_QUERY, NULL },
};

const zs_rkit_def volume_def = {
	.type = VOLUME_TYPE, .what = "volume", .name_max = VOLUME_NAME_MAX,
	.description_max = VOLUME_TEXT_MAX,
	.parent_type = "PrimaryStorage", .parent_what = "primary storage",
	.parent_field = "primary_storage_uuid",
	.sql_get = ZS_RKIT_SQL_GET("volume_volumes", VOLUME_COLUMNS),
	.sql_list = ZS_RKIT_SQL_LIST_IN("volume_volumes", "primary_storage_uuid", VOLUME_COLUMNS),
	.sql_update = ZS_RKIT_SQL_UPDATE("volume_volumes", VOLUME_COLUMNS),
	.info = &zs__volume__v1__volume_info__descriptor, .query = &volume_query,
	.ops = volume_ops, .n_ops = sizeof volume_ops / sizeof volume_ops[0],
};

ZS_EXPORT zs_rkit_service volume_service =
    ZS_RKIT_SERVICE(&zs__volume__v1__volume__descriptor, &volume_def);
