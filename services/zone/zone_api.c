/*
 * zone_api.c: the handlers of zs.zone.v1.Zone. Each checks its arguments, does its work
 * in zone_store.c / zone_delete.c on one pooled connection (handlers run on the node's
 * worker threads: <api executor="pool">), gives the connection back, publishes its event
 * (zone/created, zone/updated, zone/deleted) and answers.
 *
 * An event goes out after the commit, and a failure to send it does not fail the call:
 * the change is made, and the answer says what the database holds.
 */
#include <stdlib.h>

#include "zs/node.h"
#include "zs/service.h"
#include "zone.h"
#include "zs/event.h"
#include "zs/resource.h"


static void
zone_publish(zs_call *call, const char *topic, const char *uuid, const ProtobufCMessage *body)
{
	(void) zs_event_publish(zs_node_events(zs_call_node(call)), topic, uuid, body, NULL);
}

static void
zone_create_zone(Zs__Zone__V1__Zone_Service *svc, const Zs__Zone__V1__CreateZoneRequest *in,
    Zs__Zone__V1__ZoneInfo_Closure closure, void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	if (zs_check_text(call, "name", in->name, ZONE_NAME_MAX, ZS_TEXT_REQUIRED) != 0 ||
	    zs_check_text(call, "description", in->description, ZONE_DESCRIPTION_MAX,
	    ZS_TEXT_MULTILINE) != 0)
		return;
	zs_db_conn *c;
	if (zs_db_acquire_for(zs_node_db(zs_call_node(call)), call, &c) != 0)
		return;
	char uuid[ZS_UUID_LEN];
	zs_resource_uuid(uuid);
	PGresult *row;
	zs_status *st = NULL;
	int rv = zone_store_create(c, call, uuid, in->name, in->description, &row, &st);
	zs_db_release(zs_node_db(zs_call_node(call)), c);
	if (rv != 0) {
		zone_fail(call, st, in->name);
		return;
	}
	Zs__Zone__V1__ZoneInfo info;
	zone_info_from_row(row, 0, &info);
	zone_publish(call, "zone/created", uuid, &info.base);
	closure(&info, call);
	PQclear(row);
}

static void
zone_get_zone(Zs__Zone__V1__Zone_Service *svc, const Zs__Zone__V1__GetZoneRequest *in,
    Zs__Zone__V1__ZoneInfo_Closure closure, void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	if (zs_check_uuid(call, "uuid", in->uuid) != 0)
		return;
	zs_db_conn *c;
	if (zs_db_acquire_for(zs_node_db(zs_call_node(call)), call, &c) != 0)
		return;
	PGresult *row = NULL;
	zs_status *st = NULL;
	int rv = zone_store_get(c, call, in->uuid, &row, &st);
	zs_db_release(zs_node_db(zs_call_node(call)), c);
	if (rv != 0) {
		zs_call_fail_status(call, st);
		return;
	}
	Zs__Zone__V1__ZoneInfo info;
	zone_info_from_row(row, 0, &info);
	closure(&info, call);
	PQclear(row);
}

static void
zone_list_zones(Zs__Zone__V1__Zone_Service *svc, const Zs__Zone__V1__ListZonesRequest *in,
    Zs__Zone__V1__ListZonesResponse_Closure closure, void *closure_data)
{
	(void) svc;
	(void) in;
	zs_call *call = closure_data;
	zs_db_conn *c;
	if (zs_db_acquire_for(zs_node_db(zs_call_node(call)), call, &c) != 0)
		return;
	PGresult *rows;
	zs_status *st = NULL;
	int rv = zone_store_list(c, call, &rows, &st);
	zs_db_release(zs_node_db(zs_call_node(call)), c);
	if (rv != 0) {
		zs_call_fail_status(call, st);
		return;
	}
	size_t n = (size_t) PQntuples(rows);
	Zs__Zone__V1__ZoneInfo *infos = calloc(n + 1, sizeof *infos);
	Zs__Zone__V1__ZoneInfo **ptrs = calloc(n + 1, sizeof *ptrs);
	if (infos == NULL || ptrs == NULL) {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory listing %zu zones", n);
	} else {
		for (size_t i = 0; i < n; i++) {
			zone_info_from_row(rows, (int) i, &infos[i]);
			ptrs[i] = &infos[i];
		}
		Zs__Zone__V1__ListZonesResponse out = ZS__ZONE__V1__LIST_ZONES_RESPONSE__INIT;
		out.zones = ptrs;
		out.n_zones = n;
		closure(&out, call);
	}
	free(infos);
	free(ptrs);
	PQclear(rows);
}

static void
zone_update_zone(Zs__Zone__V1__Zone_Service *svc, const Zs__Zone__V1__UpdateZoneRequest *in,
    Zs__Zone__V1__ZoneInfo_Closure closure, void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	const char *name = in->_name_case == ZS__ZONE__V1__UPDATE_ZONE_REQUEST___NAME_NAME ?
	    in->name : NULL;
	const char *description = in->_description_case ==
	    ZS__ZONE__V1__UPDATE_ZONE_REQUEST___DESCRIPTION_DESCRIPTION ? in->description : NULL;
	if (zs_check_uuid(call, "uuid", in->uuid) != 0 ||
	    (name != NULL && zs_check_text(call, "name", name, ZONE_NAME_MAX, ZS_TEXT_REQUIRED) != 0) ||
	    (description != NULL && zs_check_text(call, "description", description,
	    ZONE_DESCRIPTION_MAX, ZS_TEXT_MULTILINE) != 0))
		return;
	zs_db_conn *c;
	if (zs_db_acquire_for(zs_node_db(zs_call_node(call)), call, &c) != 0)
		return;
	PGresult *row;
	zs_status *st = NULL;
	int rv = zone_store_update(c, call, in->uuid, name, description, &row, &st);
	zs_db_release(zs_node_db(zs_call_node(call)), c);
	if (rv != 0) {
		zone_fail(call, st, name);
		return;
	}
	Zs__Zone__V1__ZoneInfo info;
	zone_info_from_row(row, 0, &info);
	zone_publish(call, "zone/updated", in->uuid, &info.base);
	closure(&info, call);
	PQclear(row);
}

static void
zone_delete_zone(Zs__Zone__V1__Zone_Service *svc, const Zs__Zone__V1__DeleteZoneRequest *in,
    Zs__Zone__V1__DeleteZoneResponse_Closure closure, void *closure_data)
{
	(void) svc;
	zs_call *call = closure_data;
	if (zs_check_uuid(call, "uuid", in->uuid) != 0)
		return;
	zs_db_conn *c;
	if (zs_db_acquire_for(zs_node_db(zs_call_node(call)), call, &c) != 0)
		return;
	PGresult *row, *below;
	zs_status *st = NULL;
	int rv = zone_store_delete(c, call, in->uuid, &row, &below, &st);
	zs_db_release(zs_node_db(zs_call_node(call)), c);
	if (rv != 0) {
		zs_call_fail_status(call, st);
		return;
	}
	size_t n = (size_t) PQntuples(below);
	Zs__Zone__V1__ResourceRef *refs = calloc(n + 1, sizeof *refs);
	Zs__Zone__V1__ResourceRef **ptrs = calloc(n + 1, sizeof *ptrs);
	Zs__Zone__V1__ZoneDeleted event = ZS__ZONE__V1__ZONE_DELETED__INIT;
	Zs__Zone__V1__ZoneInfo info;
	zone_info_from_row(row, 0, &info);
	event.zone = &info;
	if (refs != NULL && ptrs != NULL) {
		for (size_t i = 0; i < n; i++) {
			zs__zone__v1__resource_ref__init(&refs[i]);
			refs[i].uuid = PQgetvalue(below, (int) i, 0);
			refs[i].type = PQgetvalue(below, (int) i, 1);
			refs[i].name = PQgetvalue(below, (int) i, 2);
			ptrs[i] = &refs[i];
		}
		event.deleted = ptrs;
		event.n_deleted = n;
	}
	/* the zone is gone either way: without memory for the list, the answer goes without it */
	zone_publish(call, "zone/deleted", in->uuid, &event.base);
	Zs__Zone__V1__DeleteZoneResponse out = ZS__ZONE__V1__DELETE_ZONE_RESPONSE__INIT;
	out.deleted = event.deleted;
	out.n_deleted = event.n_deleted;
	closure(&out, call);
	free(refs);
	free(ptrs);
	PQclear(row);
	PQclear(below);
}

ZS_EXPORT Zs__Zone__V1__Zone_Service zone_service = ZS__ZONE__V1__ZONE__INIT(zone_);
