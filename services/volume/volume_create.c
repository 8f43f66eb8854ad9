/*
 * volume_create.c: CreateDataVolume and CreateRootVolume, one workflow (zs/flow.h):
 *
 *   reserve-capacity  PrimaryStorage/ReserveCapacity      undo: ReturnCapacity
 *   insert-volume     the row, Creating (and its resource) undo: delete them
 *   create-bits       PrimaryStorage/CreateVolumeBits     undo: DeleteVolumeBits
 *   ready             Ready, with its path, and volume/created in one transaction; the
 *                     row read there for the event is also the call's answer
 *
 * A failure rolls the finished steps back, last first, so nothing half-made stays: no
 * row, no reservation, no file. The call then fails with VOLUME.1002 whose cause chain
 * holds the step's failure (for the agent: host, address, path, file and its error).
 * Undo steps call the primary storage as the node (no parent call), so they still run
 * when the caller's deadline has passed (an agent that hung). create-bits is undone even
 * when it failed itself: an agent that answered too late may still have made the file.
 * A uuid the caller gives must be new: a reservation under it is then the caller's own
 * (ReserveCapacity in a VM workflow) and is used, not doubled.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "volume.h"
#include "zs/flow.h"
#include "zs/primarystorage/v1/primarystorage.zsb.h"
#include "zs/resource.h"
#include "zs/service.h"

/* One create on its way (the flow's arg). */
typedef struct volume_new {
	zs_call *call;
	ProtobufCClosure closure;
	bool root;
	bool given;                                  /* the caller chose the uuid */
	char uuid[ZS_UUID_LEN];
	char *name, *description, *image_uuid, *image_url, *vm_uuid;
	int64_t size;
	char ps[64], host[64], zone[64], type[32];   /* asked for, then reserved */
	char install_path[1024];
	Zs__Primarystorage__V1__ReserveCapacityRequest reserve;
	Zs__Primarystorage__V1__ReturnCapacityRequest ret;
	Zs__Primarystorage__V1__CreateVolumeBitsRequest bits;
	Zs__Primarystorage__V1__DeleteVolumeBitsRequest unbits;
	zs_flow *flow;
	PGresult *made;                              /* the row ready committed: the answer */
} volume_new;

static void
volume_new_free(volume_new *v)
{
	free(v->name);
	free(v->description);
	free(v->image_uuid);
	free(v->image_url);
	free(v->vm_uuid);
	PQclear(v->made);
	free(v);
}

static zs_bus *
volume_bus(const volume_new *v)
{
	return zs_node_bus(zs_call_node(v->call));
}

/* ---- reserve-capacity ---- */

static void
volume_reserved(int code, const zs_status *status,
    const Zs__Primarystorage__V1__Reservation *reply, void *arg)
{
	volume_new *v = arg;
	if (code != 0) {
		zs_flow_fail(v->flow, status != NULL ? zs_status_copy(status) :
		    zs_status_new(code, NULL, "ReserveCapacity failed"));
		return;
	}
	snprintf(v->ps, sizeof v->ps, "%s", reply->primary_storage_uuid);
	if (reply->host_uuid[0] != '\0')   /* NFS: the host asked for (if any) stays */
		snprintf(v->host, sizeof v->host, "%s", reply->host_uuid);
	snprintf(v->zone, sizeof v->zone, "%s", reply->zone_uuid);
	snprintf(v->type, sizeof v->type, "%s", reply->primary_storage_type);
	zs_flow_next(v->flow);
}

static void
volume_reserve(zs_flow *flow, void *arg)
{
	volume_new *v = arg;
	v->flow = flow;
	zs__primarystorage__v1__reserve_capacity_request__init(&v->reserve);
	v->reserve.volume_uuid = v->uuid;
	v->reserve.size = v->size;
	v->reserve.primary_storage_uuid = v->ps;
	v->reserve.host_uuid = v->host;
	v->reserve.zone_uuid = v->zone;
	zs_primarystorage_v1_primary_storage_reserve_capacity_bus(volume_bus(v), v->call,
	    &v->reserve, volume_reserved, v);
}

/* A rollback step's bus call answered: the flow goes on, or fails with why. */
static void
volume_undone(zs_flow *flow, int code, const zs_status *status)
{
	if (code != 0)
		zs_flow_rollback_fail(flow, status != NULL ? zs_status_copy(status) : NULL);
	else
		zs_flow_rollback_done(flow);
}

static void
volume_returned(int code, const zs_status *status,
    const Zs__Primarystorage__V1__ReturnCapacityResponse *reply, void *arg)
{
	(void) reply;
	volume_undone(arg, code, status);
}

static void
volume_unreserve(zs_flow *flow, void *arg)
{
	volume_new *v = arg;
	zs__primarystorage__v1__return_capacity_request__init(&v->ret);
	v->ret.volume_uuid = v->uuid;
	zs_primarystorage_v1_primary_storage_return_capacity_bus(volume_bus(v), NULL, &v->ret,
	    volume_returned, flow);
}

/* ---- insert-volume ---- */

/* A connection that does not depend on the call's deadline (rollbacks, the last step). */
static int
volume_conn(const volume_new *v, zs_db_conn **c, zs_status **st)
{
	return zs_db_acquire(zs_node_db(zs_call_node(v->call)), VOLUME_DB_WAIT_MS, c, st);
}

static void
volume_insert(zs_flow *flow, void *arg)
{
	volume_new *v = arg;
	zs_db *db = zs_node_db(zs_call_node(v->call));
	zs_db_conn *c = NULL;
	zs_status *st = NULL;
	char size[24];
	snprintf(size, sizeof size, "%lld", (long long) v->size);
	const char *p[12] = { v->uuid, v->ps, zs_call_account(v->call), v->name, v->description,
	    v->root ? "Root" : "Data", size, v->host, v->zone, v->image_uuid, v->vm_uuid, NULL };
	int rv = volume_conn(v, &c, &st);
	if (rv != 0) {
		zs_flow_fail(flow, st);
		return;
	}
	rv = zs_db_begin(c, &st);
	if (rv == 0) {
		rv = zs_resource_create(c, v->call, v->uuid, VOLUME_TYPE, v->name, v->ps, &st);
		if (rv == 0)
			rv = zs_db_run(c, "INSERT INTO volume_volumes (uuid, primary_storage_uuid, "
			    "owner_uuid, name, description, type, size, host_uuid, zone_uuid, image_uuid, "
			    "vm_uuid, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
			    "'Creating')", 11, p, NULL, &st);
		rv = zs_db_end(c, rv, &st);
	}
	zs_db_release(db, c);
	if (rv != 0)
		zs_flow_fail(flow, st);
	else
		zs_flow_next(flow);
}

static void
volume_uninsert(zs_flow *flow, void *arg)
{
	volume_new *v = arg;
	zs_db *db = zs_node_db(zs_call_node(v->call));
	zs_db_conn *c = NULL;
	zs_status *st = NULL;
	int rv = volume_conn(v, &c, &st);
	if (rv == 0) {
		rv = zs_resource_delete(c, v->uuid, &st);   /* the row goes with its resource */
		zs_db_release(db, c);
	}
	if (rv != 0)
		zs_flow_rollback_fail(flow, st);
	else
		zs_flow_rollback_done(flow);
}

/* ---- create-bits ---- */

static void
volume_made(int code, const zs_status *status, const Zs__Primarystorage__V1__VolumeBits *reply,
    void *arg)
{
	volume_new *v = arg;
	if (code != 0) {
		zs_flow_fail(v->flow, status != NULL ? zs_status_copy(status) :
		    zs_status_new(code, NULL, "CreateVolumeBits failed"));
		return;
	}
	snprintf(v->install_path, sizeof v->install_path, "%s", reply->install_path);
	snprintf(v->host, sizeof v->host, "%s", v->type[0] == 'L' ? reply->host_uuid : "");
	zs_flow_next(v->flow);
}

static void
volume_make(zs_flow *flow, void *arg)
{
	volume_new *v = arg;
	v->flow = flow;
	zs__primarystorage__v1__create_volume_bits_request__init(&v->bits);
	v->bits.volume_uuid = v->uuid;
	v->bits.primary_storage_uuid = v->ps;
	v->bits.host_uuid = v->host;
	v->bits.size = v->size;
	v->bits.kind = v->root ? "Root" : "Data";
	v->bits.image_uuid = v->image_uuid;
	v->bits.image_url = v->image_url;
	zs_primarystorage_v1_primary_storage_create_volume_bits_bus(volume_bus(v), v->call,
	    &v->bits, volume_made, v);
}

static void
volume_unmade(int code, const zs_status *status,
    const Zs__Primarystorage__V1__DeleteVolumeBitsResponse *reply, void *arg)
{
	(void) reply;
	volume_undone(arg, code, status);
}

static void
volume_unmake(zs_flow *flow, void *arg)
{
	volume_new *v = arg;
	zs__primarystorage__v1__delete_volume_bits_request__init(&v->unbits);
	v->unbits.volume_uuid = v->uuid;
	v->unbits.primary_storage_uuid = v->ps;
	v->unbits.host_uuid = v->host;
	v->unbits.install_path = v->install_path;   /* "" when create-bits itself failed */
	v->unbits.kind = v->root ? "Root" : "Data";
	zs_primarystorage_v1_primary_storage_delete_volume_bits_bus(volume_bus(v), NULL,
	    &v->unbits, volume_unmade, flow);
}

/* ---- ready ---- */

static void
volume_ready(zs_flow *flow, void *arg)
{
	volume_new *v = arg;
	zs_db *db = zs_node_db(zs_call_node(v->call));
	zs_db_conn *c = NULL;
	zs_status *st = NULL;
	const char *p[3] = { v->uuid, v->install_path, v->host };
	int rv = volume_conn(v, &c, &st);
	if (rv != 0) {
		zs_flow_fail(flow, st);
		return;
	}
	rv = zs_db_begin(c, &st);
	if (rv == 0) {
		rv = zs_db_run(c, "UPDATE volume_volumes SET status = 'Ready', install_path = $2, "
		    "host_uuid = $3, updated_at = now() WHERE uuid = $1", 3, p, NULL, &st);
		if (rv == 0)
			rv = volume_publish_keep(c, v->call, "volume/created", v->uuid, &v->made, &st);
		rv = zs_db_end(c, rv, &st);
	}
	zs_db_release(db, c);
	if (rv != 0) {
		PQclear(v->made);
		v->made = NULL;
	}
	if (rv != 0)
		zs_flow_fail(flow, st);
	else
		zs_flow_next(flow);
}

/* ---- the chain ---- */

static void
volume_created(zs_flow_chain *chain, const zs_status *status, void *arg)
{
	(void) chain;
	volume_new *v = arg;
	if (status != NULL) {
		zs_call_fail_cause(v->call, status->code != 0 ? (int) status->code : ZS_INTERNAL,
		    "VOLUME.1002", status, "volume %s (%s) could not be created", v->uuid, v->name);
		volume_new_free(v);
		return;
	}
	if (v->made != NULL) {   /* the volume as committed: no need to read it again */
		volume_answer_row(v->call, v->closure, v->made);
		volume_new_free(v);
		return;
	}
	zs_db *db = zs_node_db(zs_call_node(v->call));
	zs_db_conn *c = NULL;
	zs_status *st = NULL;
	if (volume_conn(v, &c, &st) != 0) {
		volume_fail(v->call, st);
	} else {
		volume_answer(v->call, c, v->closure, v->uuid);
		zs_db_release(db, c);
	}
	volume_new_free(v);
}

/* A uuid the caller chose must name nothing yet; false after failing the call. */
static bool
volume_uuid_free(volume_new *v)
{
	zs_db *db = zs_node_db(zs_call_node(v->call));
	zs_db_conn *c = NULL;
	if (zs_db_acquire_for(db, v->call, &c) != 0)
		return false;
	zs_status *st = NULL;
	int rv = zs_resource_check(c, v->call, v->uuid, NULL, NULL, 0, &st);
	zs_db_release(db, c);
	zs_status_free(st);
	if (rv == ZS_NOT_FOUND)
		return true;
	if (rv == 0)
		zs_call_fail(v->call, ZS_ALREADY_EXISTS, NULL, "uuid: %s already names a resource",
		    v->uuid);
	else
		zs_call_fail(v->call, rv, NULL, "cannot check uuid %s", v->uuid);
	return false;
}

/* Starts the chain for v (taken). */
static void
volume_start(volume_new *v)
{
	if (v->given && !volume_uuid_free(v)) {
		volume_new_free(v);
		return;
	}
	zs_flow_chain *chain = zs_flow_chain_new(v->root ? "create-root-volume" : "create-data-volume");
	if (chain == NULL ||
	    zs_flow_chain_add(chain, "reserve-capacity", volume_reserve, volume_unreserve, v, 0) != 0 ||
	    zs_flow_chain_add(chain, "insert-volume", volume_insert, volume_uninsert, v, 0) != 0 ||
	    zs_flow_chain_add(chain, "create-bits", volume_make, volume_unmake, v,
	    ZS_FLOW_ROLLBACK_SELF) != 0 ||
	    zs_flow_chain_add(chain, "ready", volume_ready, NULL, v, 0) != 0) {
		zs_flow_chain_free(chain);
		zs_call_fail(v->call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		volume_new_free(v);
		return;
	}
	zs_flow_chain_start(chain, volume_created, v);
}

static volume_new *
volume_new_make(zs_call *call, ProtobufCClosure closure, bool root, const char *uuid,
    const char *name, const char *description, int64_t size, const char *ps, const char *host)
{
	volume_new *v = calloc(1, sizeof *v);
	if (v == NULL) {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return NULL;
	}
	v->call = call;
	v->closure = closure;
	v->root = root;
	v->size = size;
	v->given = uuid[0] != '\0';
	if (v->given)
		snprintf(v->uuid, sizeof v->uuid, "%s", uuid);
	else
		zs_resource_uuid(v->uuid);
	snprintf(v->ps, sizeof v->ps, "%s", ps);
	snprintf(v->host, sizeof v->host, "%s", host);
	v->name = strdup(name);
	v->description = strdup(description);
	v->image_uuid = strdup("");
	v->image_url = strdup("");
	v->vm_uuid = strdup("");
	if (!v->name || !v->description || !v->image_uuid || !v->image_url || !v->vm_uuid) {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		volume_new_free(v);
		return NULL;
	}
	return v;
}

/* Replaces *slot with a copy of s; false when out of memory. */
static bool
volume_set(char **slot, const char *s)
{
	char *d = strdup(s);
	if (d == NULL)
		return false;
	free(*slot);
	*slot = d;
	return true;
}

void
volume_create_data(zs_call *call, const ProtobufCMessage *msg, ProtobufCClosure closure)
{
	const Zs__Volume__V1__CreateDataVolumeRequest *in = (const void *) msg;
	volume_new *v = volume_new_make(call, closure, false, in->uuid, in->name, in->description,
	    in->size, in->primary_storage_uuid, in->host_uuid);
	if (v == NULL)
		return;
	snprintf(v->zone, sizeof v->zone, "%s", in->zone_uuid);
	volume_start(v);
}

void
volume_create_root(zs_call *call, const ProtobufCMessage *msg, ProtobufCClosure closure)
{
	const Zs__Volume__V1__CreateRootVolumeRequest *in = (const void *) msg;
	volume_new *v = volume_new_make(call, closure, true, in->uuid, in->name, in->description,
	    in->size, in->primary_storage_uuid, in->host_uuid);
	if (v == NULL)
		return;
	if (!volume_set(&v->image_uuid, in->image_uuid) || !volume_set(&v->image_url, in->image_url) ||
	    !volume_set(&v->vm_uuid, in->vm_uuid)) {
		zs_call_fail(call, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		volume_new_free(v);
		return;
	}
	volume_start(v);
}
