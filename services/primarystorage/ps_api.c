/*
 * ps_api.c: the zs.primarystorage.v1.PrimaryStorage API: its table for the resource kit
 * (AddPrimaryStorage, Get, List, Update and Delete run by the kit; the others are this
 * plugin's handlers; QueryPrimaryStorage from its query table), the interceptor ps.check
 * (admins only, and each request's fields) and the answers (an Info with its hosts and
 * clusters). Names are unique within a zone.
 * Deleting a primary storage (or its zone) deletes its volumes' rows with it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ps.h"
#include "zs/check.h"
#include "zs/event.h"
#include "zs/resource.h"
#include "zs/service.h"

#define PS_TABLE "ps_storages s"
#define PS_NAME_MAX 255
#define PS_TEXT_MAX 2048

/* ---- the interceptor ---- */

static bool
ps_is(const ProtobufCMessage *m, const ProtobufCMessageDescriptor *d)
{
	/* by name: a bus caller's message comes with its own copy of the descriptors */
	return strcmp(m->descriptor->name, d->name) == 0;
}

/* The string field name of m, or NULL. */
static const char *
ps_field(const ProtobufCMessage *m, const char *name)
{
	const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(
	    m->descriptor, name);
	if (f == NULL || f->type != PROTOBUF_C_TYPE_STRING || f->label == PROTOBUF_C_LABEL_REPEATED)
		return NULL;
	const char *v = *(char *const *) ((const char *) m + f->offset);
	return v != NULL ? v : "";
}

static int
ps_check_add(zs_call *call, const Zs__Primarystorage__V1__AddPrimaryStorageRequest *in)
{
	const char *t = in->type, *u = in->url;
	bool local = strcmp(t, PS_LOCAL) == 0, nfs = strcmp(t, PS_NFS) == 0;
	if (!local && !nfs) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL,
		    "type: \"%s\" is not LocalStorage or NFS", t);
		return ZS_INVALID_ARGUMENT;
	}
	int rv = zs_check_text(call, "url", u, PS_URL_MAX - 64, ZS_TEXT_REQUIRED);
	if (rv != 0)
		return rv;
	const char *colon = strchr(u, ':');
	bool ok = local ? u[0] == '/' && strstr(u, "..") == NULL && strpbrk(u, " \"'\\") == NULL :
	    colon != NULL && colon != u && colon[1] == '/' && strpbrk(u, " \"'\\") == NULL;
	if (!ok) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, local ?
		    "url: \"%s\" is not an absolute folder (/var/lib/zstack/local)" :
		    "url: \"%s\" is not an NFS export (server:/export)", u);
		return ZS_INVALID_ARGUMENT;
	}
	return 0;
}

static int
ps_check_request(zs_call *call, const ProtobufCMessage *req, void *arg)
{
	(void) arg;
	if (!zs_call_admin(call)) {
		zs_call_fail(call, ZS_PERMISSION_DENIED, "PRIMARYSTORAGE.1003", "%s is for admins only",
		    zs_call_method(call));
		return ZS_PERMISSION_DENIED;
	}
	if (ps_is(req, &zs__primarystorage__v1__add_primary_storage_request__descriptor))
		return ps_check_add(call, (const Zs__Primarystorage__V1__AddPrimaryStorageRequest *) req);
	/* uuids every other request names */
	static const char *const uuids[] = { "uuid", "primary_storage_uuid", "cluster_uuid", NULL };
	for (size_t i = 0; uuids[i] != NULL; i++) {
		const char *v = ps_field(req, uuids[i]);
		if (v == NULL)
			continue;
		if (ps_is(req, &zs__primarystorage__v1__reserve_capacity_request__descriptor) ||
		    ps_is(req, &zs__primarystorage__v1__list_primary_storages_request__descriptor))
			continue;   /* optional there */
		int rv = zs_check_uuid(call, uuids[i], v);
		if (rv != 0)
			return rv;
	}
	const char *vol = ps_field(req, "volume_uuid");
	if (vol != NULL && zs_check_uuid(call, "volume_uuid", vol) != 0)
		return ZS_INVALID_ARGUMENT;
	const char *ev = ps_field(req, "state_event");
	if (ev != NULL && strcmp(ev, "enable") != 0 && strcmp(ev, "disable") != 0) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, NULL, "state_event: \"%s\" is not enable or disable",
		    ev);
		return ZS_INVALID_ARGUMENT;
	}
	return 0;
}

ZS_EXPORT const zs_interceptor ps_check = { ps_check_request, NULL };

/* ---- the database ---- */

void
ps_fail(zs_call *call, zs_status *st)
{
	if (st == NULL)
		st = zs_status_new(ZS_INTERNAL, NULL, "failed without saying why");
	zs_rkit_fail(call, st);
}

/* ---- the Info's repeated fields: hosts and clusters ---- */

/* Adds clusters and hosts to info, all in one allocation (*owned) that holds their
 * strings too. */
static int
ps_more(zs_call *call, zs_db_conn *c, ProtobufCMessage *m, void **owned, zs_status **st)
{
	(void) call;
	Zs__Primarystorage__V1__PrimaryStorageInfo *info = (void *) m;
	const char *p[1] = { info->uuid };
	PGresult *cl = NULL, *ho = NULL;
	int rv = zs_db_run(c, "SELECT cluster_uuid FROM ps_clusters WHERE ps_uuid = $1 "
	    "ORDER BY created_at, cluster_uuid", 1, p, &cl, st);
	if (rv == 0)
		rv = zs_db_run(c, "SELECT host_uuid, host_ip, status, status_reason, total_capacity, "
		    "total_capacity - reserved_capacity AS available_capacity, available_physical AS "
		    "available_physical_capacity FROM ps_hosts WHERE ps_uuid = $1 ORDER BY host_ip, host_uuid", 1, p, &ho, st);
	if (rv != 0) {
		PQclear(cl);
		return rv;
	}
	size_t nc = (size_t) PQntuples(cl), nh = (size_t) PQntuples(ho), chars = 0;
	for (size_t i = 0; i < nc; i++)
		chars += strlen(PQgetvalue(cl, (int) i, 0)) + 1;
	for (size_t i = 0; i < nh; i++)
		for (int j = 0; j < 4; j++)
			chars += strlen(PQgetvalue(ho, (int) i, j)) + 1;
	size_t hsize = sizeof(Zs__Primarystorage__V1__PrimaryStorageHostInfo);
	char *block = malloc(nh * hsize + (nc + nh) * sizeof(void *) + chars + 1);
	if (block == NULL) {
		PQclear(cl);
		PQclear(ho);
		*st = zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return ZS_RESOURCE_EXHAUSTED;
	}
	Zs__Primarystorage__V1__PrimaryStorageHostInfo *hosts = (void *) block;
	void **hptr = (void **) (block + nh * hsize);
	char **cptr = (char **) (hptr + nh);
	char *text = (char *) (cptr + nc);
#define PS_COPY(dst, src) do { size_t l_ = strlen(src) + 1; memcpy(text, src, l_); \
	(dst) = text; text += l_; } while (0)
	for (size_t i = 0; i < nc; i++)
		PS_COPY(cptr[i], PQgetvalue(cl, (int) i, 0));
	for (size_t i = 0; i < nh; i++) {
		zs__primarystorage__v1__primary_storage_host_info__init(&hosts[i]);
		zs_rkit_from_row(ho, (int) i, &hosts[i].base);
		PS_COPY(hosts[i].host_uuid, PQgetvalue(ho, (int) i, 0));
		PS_COPY(hosts[i].host_ip, PQgetvalue(ho, (int) i, 1));
		PS_COPY(hosts[i].status, PQgetvalue(ho, (int) i, 2));
		PS_COPY(hosts[i].status_reason, PQgetvalue(ho, (int) i, 3));
		hptr[i] = &hosts[i];
	}
#undef PS_COPY
	info->n_attached_cluster_uuids = nc;
	info->attached_cluster_uuids = cptr;
	info->n_hosts = nh;
	info->hosts = (Zs__Primarystorage__V1__PrimaryStorageHostInfo **) hptr;
	*owned = block;
	PQclear(cl);
	PQclear(ho);
	return 0;
}

void
ps_answer(zs_call *call, ProtobufCClosure closure, const char *uuid)
{
	zs_db *db = zs_node_db(zs_call_node(call));
	zs_db_conn *c = NULL;
	if (zs_db_acquire_for(db, call, &c) != 0)
		return;
	PGresult *row = NULL;
	zs_status *st = NULL;
	void *owned = NULL;
	const char *p[1] = { uuid };
	Zs__Primarystorage__V1__PrimaryStorageInfo info =
	    ZS__PRIMARYSTORAGE__V1__PRIMARY_STORAGE_INFO__INIT;
	int rv = zs_db_exec_one(c, ps_def.sql_get, 1, p, "primary storage", uuid, &row, &st);
	if (rv == 0) {
		zs_rkit_from_row(row, 0, &info.base);
		rv = ps_more(call, c, &info.base, &owned, &st);
	}
	zs_db_release(db, c);
	if (rv != 0)
		ps_fail(call, st);
	else
		closure(&info.base, call);
	free(owned);
	PQclear(row);
}

int
ps_publish(zs_db_conn *c, zs_node *node, const char *topic, const char *uuid, zs_status **st)
{
	PGresult *row = NULL;
	void *owned = NULL;
	const char *p[1] = { uuid };
	Zs__Primarystorage__V1__PrimaryStorageInfo info =
	    ZS__PRIMARYSTORAGE__V1__PRIMARY_STORAGE_INFO__INIT;
	int rv = zs_db_exec_one(c, ps_def.sql_get, 1, p, "primary storage", uuid, &row, st);
	if (rv == 0) {
		zs_rkit_from_row(row, 0, &info.base);
		rv = ps_more(NULL, c, &info.base, &owned, st);
	}
	if (rv == 0)
		rv = zs_event_publish_tx(c, zs_node_events(node), topic, uuid,
		    info.owner_uuid, &info.base, st);
	free(owned);
	PQclear(row);
	return rv;
}

/* ---- the table ---- */

/* Add: type and url to extra[0], extra[1] (checked by ps.check). */
static bool
ps_create_check(zs_call *call, const ProtobufCMessage *in, const char **extra)
{
	(void) call;
	const Zs__Primarystorage__V1__AddPrimaryStorageRequest *r = (const void *) in;
	extra[0] = r->type;
	extra[1] = r->url;
	return true;
}

static const zs_rkit_conflict ps_conflicts[] = {
	{ "ps_storages_zone_name_key", "PRIMARYSTORAGE.1001", "name",
	  "the zone already has a primary storage named \"", "\"" },
	{ NULL, NULL, NULL, NULL, NULL },
};

/* QueryPrimaryStorage: its own fields over ps_view (status and capacities as Get answers
 * them), its zone, clusters, hosts' shares, volumes and tags by dot path. Admins only
 * (no owner column: ps.check refuses the others first). */
static const char *const ps_q_types[] = { PS_LOCAL, PS_NFS, NULL };
static const char *const ps_q_states[] = { "Enabled", "Disabled", NULL };
static const char *const ps_q_statuses[] = { "Connected", "Disconnected", NULL };

static const zs_query_field ps_query_fields[] = {
	{ "uuid", "t.uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "zone_uuid", "t.zone_uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "name", "t.name", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "description", "t.description", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "type", "t.type", ZS_QUERY_ENUM, ps_q_types, NULL, NULL },
	{ "url", "t.url", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "mount_path", "t.mount_path", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "state", "t.state", ZS_QUERY_ENUM, ps_q_states, NULL, NULL },
	{ "status", "t.status", ZS_QUERY_ENUM, ps_q_statuses, NULL, NULL },
	{ "total_capacity", "t.total_capacity", ZS_QUERY_INT, NULL, NULL, NULL },
	{ "available_capacity", "t.available_capacity", ZS_QUERY_INT, NULL, NULL, NULL },
	{ "available_physical_capacity", "t.available_physical_capacity", ZS_QUERY_INT, NULL, NULL,
	  NULL },
	{ "owner_uuid", "t.owner_uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "create_date", "t.created_at", ZS_QUERY_TIME, NULL, NULL, NULL },
	{ "last_op_date", "t.updated_at", ZS_QUERY_TIME, NULL, NULL, NULL },
#define PS_Q_ZONE "SELECT 1 FROM zone_zones r WHERE r.uuid = t.zone_uuid"
	{ "zone.uuid", "r.uuid", ZS_QUERY_UUID, NULL, PS_Q_ZONE, NULL },
	{ "zone.name", "r.name", ZS_QUERY_TEXT, NULL, PS_Q_ZONE, NULL },
	{ "clusters.uuid", "r.cluster_uuid", ZS_QUERY_UUID, NULL,
	  "SELECT 1 FROM ps_clusters r WHERE r.ps_uuid = t.uuid", NULL },
	{ "clusters.name", "r.name", ZS_QUERY_TEXT, NULL, "SELECT 1 FROM ps_clusters a JOIN "
	  "cluster_clusters r ON r.uuid = a.cluster_uuid WHERE a.ps_uuid = t.uuid", NULL },
#define PS_Q_HOSTS "SELECT 1 FROM ps_hosts r WHERE r.ps_uuid = t.uuid"
	{ "hosts.uuid", "r.host_uuid", ZS_QUERY_UUID, NULL, PS_Q_HOSTS, NULL },
	{ "hosts.management_ip", "r.host_ip", ZS_QUERY_TEXT, NULL, PS_Q_HOSTS, NULL },
	{ "hosts.status", "r.status", ZS_QUERY_ENUM, ps_q_statuses, PS_Q_HOSTS, NULL },
	{ "volumes.uuid", "r.uuid", ZS_QUERY_UUID, NULL,
	  "SELECT 1 FROM volume_volumes r WHERE r.primary_storage_uuid = t.uuid", NULL },
	{ "tags.tag", "r.tag", ZS_QUERY_TEXT, NULL,
	  "SELECT 1 FROM zs_tags r WHERE r.resource_uuid = t.uuid", NULL },
};

static const zs_query_table ps_query = {
	"primary storage", "ps_view t", NULL, "t.created_at", "t.uuid", ps_query_fields,
	sizeof ps_query_fields / sizeof ps_query_fields[0], NULL,
};

static const zs_rkit_op ps_ops[] = {
	{ ZS_RKIT_CREATE, NULL }, { ZS_RKIT_GET, NULL }, { ZS_RKIT_LIST, NULL },
	{ ZS_RKIT_UPDATE, NULL }, { ZS_RKIT_DELETE, NULL },
	{ ZS_RKIT_CUSTOM, ps_change_state },
	{ ZS_RKIT_CUSTOM, ps_attach }, { ZS_RKIT_CUSTOM, ps_detach },
	{ ZS_RKIT_CUSTOM, ps_reconnect },
	{ ZS_RKIT_CUSTOM, ps_reserve }, { ZS_RKIT_CUSTOM, ps_return },
	{ ZS_RKIT_CUSTOM, ps_create_bits }, { ZS_RKIT_CUSTOM, ps_delete_bits },
	{ ZS_RKIT_QUERY, NULL },
};

const zs_rkit_def ps_def = {
	/* what is also the topics' prefix: primarystorage/created, ... */
	.type = PS_TYPE, .what = "primarystorage", .name_max = PS_NAME_MAX,
	.description_max = PS_TEXT_MAX,
	.parent_type = "Zone", .parent_what = "zone", .parent_field = "zone_uuid",
	.sql_get = ZS_RKIT_SQL_GET(PS_TABLE, PS_COLUMNS),
	.sql_list = ZS_RKIT_SQL_LIST_IN(PS_TABLE, "zone_uuid", PS_COLUMNS),
	.sql_insert = "INSERT INTO ps_storages AS s (uuid, owner_uuid, name, description, zone_uuid, "
	    "type, url, mount_path) VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $6 = 'NFS' THEN '"
	    PS_NFS_MOUNT_ROOT "' || $1 ELSE $7 END) RETURNING " PS_COLUMNS,
	.sql_update = "UPDATE ps_storages AS s SET name = COALESCE($2, name), description = "
	    "COALESCE($3, description), updated_at = now() WHERE uuid = $1 RETURNING " PS_COLUMNS,
	.info = &zs__primarystorage__v1__primary_storage_info__descriptor,
	.create_check = ps_create_check, .n_extra = 2, .get_more = ps_more,
	.deleted_event = &zs__primarystorage__v1__primary_storage_deleted__descriptor,
	.query = &ps_query,
	.conflicts = ps_conflicts, .ops = ps_ops, .n_ops = sizeof ps_ops / sizeof ps_ops[0],
};

ZS_EXPORT zs_rkit_service ps_service =
    ZS_RKIT_SERVICE(&zs__primarystorage__v1__primary_storage__descriptor, &ps_def);
