/*
 * volume_delete.c: DeleteVolume and ChangeVolumeState. Deleting marks the volume
 * Deleting (so it is deleted once), asks the primary storage to delete its file
 * (DeleteVolumeBits, over the bus), then removes the row and its resource with
 * volume/deleted in one transaction, and returns its capacity (ReturnCapacity, as the
 * node). When the agent fails the volume goes back to Ready and the call says why
 * (VOLUME.1003). The row goes before the capacity comes back: a crash between them
 * leaves capacity counted that no volume holds (found again by its reservation), never
 * a volume whose capacity is not counted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "volume.h"
#include "zs/check.h"
#include "zs/primarystorage/v1/primarystorage.zsb.h"
#include "zs/resource.h"

typedef struct volume_del {
	zs_call *call;
	ProtobufCClosure closure;
	char uuid[64], ps[64], host[64], path[1024], kind[8];
	Zs__Primarystorage__V1__DeleteVolumeBitsRequest bits;
	Zs__Primarystorage__V1__ReturnCapacityRequest ret;
	zs_status *st;                     /* a failure after the row went */
} volume_del;

static void
volume_del_answer(volume_del *d)
{
	Zs__Volume__V1__DeleteVolumeResponse out = ZS__VOLUME__V1__DELETE_VOLUME_RESPONSE__INIT;
	d->closure(&out.base, d->call);
	zs_status_free(d->st);
	free(d);
}

static void
volume_del_returned(int code, const zs_status *status,
    const Zs__Primarystorage__V1__ReturnCapacityResponse *reply, void *arg)
{
	(void) reply;
	volume_del *d = arg;
	if (code != 0) {   /* the volume is gone; say the capacity is still held */
		zs_call_fail_cause(d->call, code, "VOLUME.1003", status, "volume %s was deleted but "
		    "its capacity could not be returned to primary storage %s", d->uuid, d->ps);
		free(d);
		return;
	}
	volume_del_answer(d);
}

/* Sets the volume's status from from to to (0 when it was from), in its own transaction,
 * with topic's event unless NULL. */
static int
volume_del_status(zs_call *call, const char *uuid, const char *from, const char *to,
    zs_status **st)
{
	zs_db *db = zs_node_db(zs_call_node(call));
	zs_db_conn *c = NULL;
	int rv = zs_db_acquire(db, VOLUME_DB_WAIT_MS, &c, st);
	if (rv != 0)
		return rv;
	PGresult *r = NULL;
	const char *p[3] = { uuid, from, to };
	rv = zs_db_run(c, "UPDATE volume_volumes SET status = $3, updated_at = now() "
	    "WHERE uuid = $1 AND status = $2 RETURNING uuid", 3, p, &r, st);
	zs_db_release(db, c);
	if (rv == 0 && PQntuples(r) == 0) {
		*st = zs_status_new(ZS_FAILED_PRECONDITION, "VOLUME.1004", "volume %s is not %s", uuid,
		    from);
		rv = ZS_FAILED_PRECONDITION;
	}
	PQclear(r);
	return rv;
}

static void
volume_del_bits_done(int code, const zs_status *status,
    const Zs__Primarystorage__V1__DeleteVolumeBitsResponse *reply, void *arg)
{
	(void) reply;
	volume_del *d = arg;
	zs_status *st = NULL;
	if (code != 0) {
		(void) volume_del_status(d->call, d->uuid, "Deleting", "Ready", &st);
		zs_status_free(st);
		zs_call_fail_cause(d->call, code, "VOLUME.1003", status,
		    "volume %s could not be deleted; it stays", d->uuid);
		free(d);
		return;
	}
	zs_db *db = zs_node_db(zs_call_node(d->call));
	zs_db_conn *c = NULL;
	int rv = zs_db_acquire(db, VOLUME_DB_WAIT_MS, &c, &st);
	if (rv == 0) {
		rv = zs_db_begin(c, &st);
		if (rv == 0) {
			rv = zs_resource_lock(c, d->uuid, "volume", &st);
			if (rv == 0)
				rv = volume_publish(c, d->call, "volume/deleted", d->uuid, &st);
			if (rv == 0)
				rv = zs_resource_delete(c, d->uuid, &st);
			rv = zs_db_end(c, rv, &st);
		}
		zs_db_release(db, c);
	}
	if (rv != 0) {
		zs_call_fail_cause(d->call, rv, "VOLUME.1003", st, "the file of volume %s was deleted "
		    "but the volume could not be", d->uuid);
		zs_status_free(st);
		free(d);
		return;
	}
	zs__primarystorage__v1__return_capacity_request__init(&d->ret);
	d->ret.volume_uuid = d->uuid;
	zs_primarystorage_v1_primary_storage_return_capacity_bus(
	    zs_node_bus(zs_call_node(d->call)), NULL, &d->ret, volume_del_returned, d);
}

void
volume_delete(zs_call *call, const ProtobufCMessage *msg, ProtobufCClosure closure)
{
	const Zs__Volume__V1__DeleteVolumeRequest *in = (const void *) msg;
	if (zs_check_uuid(call, "uuid", in->uuid) != 0)
		return;
	zs_db *db = zs_node_db(zs_call_node(call));
	zs_db_conn *c = NULL;
	if (zs_db_acquire_for(db, call, &c) != 0)
		return;
	zs_status *st = NULL;
	PGresult *row = NULL;
	const char *p[1] = { in->uuid };
	int rv = zs_resource_check(c, call, in->uuid, VOLUME_TYPE, NULL, 0, &st);
	if (rv == 0)
		rv = zs_db_exec_one(c, "UPDATE volume_volumes SET status = 'Deleting', updated_at = now() "
		    "WHERE uuid = $1 AND status = 'Ready' RETURNING primary_storage_uuid, host_uuid, "
		    "install_path, type", 1, p, "Ready volume", in->uuid, &row, &st);
	if (rv == ZS_NOT_FOUND && st != NULL && strstr(st->message, "Ready volume") != NULL) {
		zs_status_free(st);
		st = zs_status_new(ZS_FAILED_PRECONDITION, "VOLUME.1004",
		    "volume %s is being created or deleted", in->uuid);
		rv = ZS_FAILED_PRECONDITION;
	}
	zs_db_release(db, c);
	volume_del *d = rv == 0 ? calloc(1, sizeof *d) : NULL;
	if (rv == 0 && d == NULL) {
		(void) volume_del_status(call, in->uuid, "Deleting", "Ready", NULL);
		st = zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		rv = ZS_RESOURCE_EXHAUSTED;
	}
	if (rv != 0) {
		PQclear(row);
		volume_fail(call, st);
		return;
	}
	d->call = call;
	d->closure = closure;
	snprintf(d->uuid, sizeof d->uuid, "%s", in->uuid);
	snprintf(d->ps, sizeof d->ps, "%s", PQgetvalue(row, 0, 0));
	snprintf(d->host, sizeof d->host, "%s", PQgetvalue(row, 0, 1));
	snprintf(d->path, sizeof d->path, "%s", PQgetvalue(row, 0, 2));
	snprintf(d->kind, sizeof d->kind, "%s", PQgetvalue(row, 0, 3));
	PQclear(row);
	zs__primarystorage__v1__delete_volume_bits_request__init(&d->bits);
	d->bits.volume_uuid = d->uuid;
	d->bits.primary_storage_uuid = d->ps;
	d->bits.host_uuid = d->host;
	d->bits.install_path = d->path;
	d->bits.kind = d->kind;
	zs_primarystorage_v1_primary_storage_delete_volume_bits_bus(zs_node_bus(zs_call_node(call)),
	    call, &d->bits, volume_del_bits_done, d);
}

void
volume_change_state(zs_call *call, const ProtobufCMessage *msg, ProtobufCClosure closure)
{
	const Zs__Volume__V1__ChangeVolumeStateRequest *in = (const void *) msg;
	if (zs_check_uuid(call, "uuid", in->uuid) != 0)
		return;
	zs_db *db = zs_node_db(zs_call_node(call));
	zs_db_conn *c = NULL;
	if (zs_db_acquire_for(db, call, &c) != 0)
		return;
	zs_status *st = NULL;
	PGresult *r = NULL;
	const char *p[2] = { in->uuid, strcmp(in->state_event, "enable") == 0 ? "Enabled" : "Disabled" };
	int rv = zs_resource_check(c, call, in->uuid, VOLUME_TYPE, NULL, 0, &st);
	if (rv == 0)
		rv = zs_db_begin(c, &st);
	if (rv == 0) {
		rv = zs_db_run(c, "UPDATE volume_volumes SET state = $2, updated_at = now() "
		    "WHERE uuid = $1 AND state <> $2 RETURNING uuid", 2, p, &r, &st);
		if (rv == 0 && PQntuples(r) > 0)
			rv = volume_publish(c, call, "volume/stateChanged", in->uuid, &st);
		rv = zs_db_end(c, rv, &st);
	}
	PQclear(r);
	if (rv != 0)
		volume_fail(call, st);
	else
		volume_answer(call, c, closure, in->uuid);
	zs_db_release(db, c);
}
