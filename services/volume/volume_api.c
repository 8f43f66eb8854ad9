/*
 * volume_api.c: the zs.volume.v1.Volume API: its table for the resource kit (GetVolume,
 * ListVolumes, UpdateVolume run by the kit; creating and deleting are workflows of
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

int
volume_exec(zs_db_conn *c, const char *sql, int n, const char *const *p, PGresult **rows,
    zs_status **st)
{
	PGresult *r = zs_db_exec(c, sql, n, p, st);
	if (r == NULL)
		return *st != NULL ? (int) (*st)->code : ZS_INTERNAL;
	if (rows != NULL)
		*rows = r;
	else
		PQclear(r);
	return 0;
}

void
volume_fail(zs_call *call, zs_status *st)
{
	if (st == NULL)
		st = zs_status_new(ZS_INTERNAL, NULL, "failed without saying why");
	zs_rkit_fail(call, st);
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
	Zs__Volume__V1__VolumeInfo info = ZS__VOLUME__V1__VOLUME_INFO__INIT;
	zs_rkit_from_row(row, 0, &info.base);
	closure(&info.base, call);
	PQclear(row);
}

int
volume_publish(zs_db_conn *c, zs_call *call, const char *topic, const char *uuid,
    zs_status **st)
{
	PGresult *row = NULL;
	const char *p[1] = { uuid };
	int rv = zs_db_exec_one(c, volume_def.sql_get, 1, p, "volume", uuid, &row, st);
	if (rv != 0)
		return rv;
	Zs__Volume__V1__VolumeInfo info = ZS__VOLUME__V1__VOLUME_INFO__INIT;
	zs_rkit_from_row(row, 0, &info.base);
	rv = zs_event_publish_tx(c, zs_node_events(zs_call_node(call)), topic, uuid, info.owner_uuid,
	    &info.base, st);
	PQclear(row);
	return rv;
}

/* ---- the table ---- */

static const zs_rkit_op volume_ops[] = {
	{ ZS_RKIT_CUSTOM, volume_create_data }, { ZS_RKIT_GET, NULL }, { ZS_RKIT_LIST, NULL },
	{ ZS_RKIT_UPDATE, NULL }, { ZS_RKIT_CUSTOM, volume_delete },
	{ ZS_RKIT_CUSTOM, volume_create_root }, { ZS_RKIT_CUSTOM, volume_change_state },
};

const zs_rkit_def volume_def = {
	.type = VOLUME_TYPE, .what = "volume", .name_max = VOLUME_NAME_MAX,
	.description_max = VOLUME_TEXT_MAX,
	.parent_type = "PrimaryStorage", .parent_what = "primary storage",
	.parent_field = "primary_storage_uuid",
	.sql_get = ZS_RKIT_SQL_GET("volume_volumes", VOLUME_COLUMNS),
	.sql_list = ZS_RKIT_SQL_LIST_IN("volume_volumes", "primary_storage_uuid", VOLUME_COLUMNS),
	.sql_update = ZS_RKIT_SQL_UPDATE("volume_volumes", VOLUME_COLUMNS),
	.info = &zs__volume__v1__volume_info__descriptor,
	.ops = volume_ops, .n_ops = sizeof volume_ops / sizeof volume_ops[0],
};

ZS_EXPORT zs_rkit_service volume_service =
    ZS_RKIT_SERVICE(&zs__volume__v1__volume__descriptor, &volume_def);
