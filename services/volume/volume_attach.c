/*
 * volume_attach.c: AttachDataVolume and DetachDataVolume, the volume service's record of
 * the VM a data volume belongs to (its vm_uuid column). The VM service calls them over
 * the bus around the agent's commands (AttachDataVolumeToVm, DetachDataVolumeFromVm);
 * each is one conditional UPDATE with its event, so two VMs never both get a volume.
 */
#include <stdio.h>
#include <string.h>

#include "volume.h"
#include "zs/check.h"

/* Changes uuid's vm_uuid from one of the values the update's WHERE allows to to; fails
 * with VOLUME.1005 saying why when the volume is in no shape for it. */
static void
volume_set_vm(zs_call *call, ProtobufCClosure closure, const char *uuid, const char *vm,
    bool attach)
{
	if (zs_check_uuid(call, "uuid", uuid) != 0 || zs_check_uuid(call, "vm_uuid", vm) != 0)
		return;
	zs_db *db = zs_node_db(zs_call_node(call));
	zs_db_conn *c = NULL;
	if (zs_db_acquire_for(db, call, &c) != 0)
		return;
	zs_status *st = NULL;
	PGresult *r = NULL;
	const char *p[2] = { uuid, vm };
	int rv = zs_resource_check(c, call, uuid, VOLUME_TYPE, NULL, 0, &st);
	if (rv == 0)
		rv = zs_db_begin(c, &st);
	if (rv == 0) {
		rv = zs_db_run(c, "SELECT type, status, state, vm_uuid FROM volume_volumes "
		    "WHERE uuid = $1 FOR UPDATE", 1, p, &r, &st);
		if (rv == 0 && PQntuples(r) == 0) {
			rv = ZS_NOT_FOUND;
			st = zs_status_new(rv, NULL, "no volume with uuid %s", uuid);
		}
		const char *type = rv == 0 ? PQgetvalue(r, 0, 0) : "";
		const char *status = rv == 0 ? PQgetvalue(r, 0, 1) : "";
		const char *state = rv == 0 ? PQgetvalue(r, 0, 2) : "";
		const char *now = rv == 0 ? PQgetvalue(r, 0, 3) : "";
		bool change = false;
		if (rv != 0) {
			/* said above */
		} else if (attach && strcmp(type, "Data") != 0) {
			rv = ZS_FAILED_PRECONDITION;
			st = zs_status_new(rv, "VOLUME.1005", "volume %s is a %s volume: only data volumes "
			    "are attached", uuid, type);
		} else if (attach && strcmp(now, vm) != 0 && now[0] != '\0') {
			rv = ZS_FAILED_PRECONDITION;
			st = zs_status_new(rv, "VOLUME.1005", "volume %s is attached to VM %s", uuid, now);
		} else if (attach && now[0] == '\0' && (strcmp(status, "Ready") != 0 ||
		    strcmp(state, "Enabled") != 0)) {
			rv = ZS_FAILED_PRECONDITION;
			st = zs_status_new(rv, "VOLUME.1005", "volume %s is %s and %s: only a Ready, Enabled "
			    "volume is attached", uuid, status, state);
		} else if (!attach && now[0] != '\0' && strcmp(now, vm) != 0) {
			rv = ZS_FAILED_PRECONDITION;
			st = zs_status_new(rv, "VOLUME.1005", "volume %s is attached to VM %s, not to %s",
			    uuid, now, vm);
		} else {
			change = attach ? now[0] == '\0' : now[0] != '\0';
		}
		PQclear(r);
		if (rv == 0 && change) {
			p[1] = attach ? vm : "";
			rv = zs_db_run(c, "UPDATE volume_volumes SET vm_uuid = $2, updated_at = now() "
			    "WHERE uuid = $1", 2, p, NULL, &st);
			if (rv == 0)
				rv = volume_publish(c, call, attach ? "volume/attached" : "volume/detached",
				    uuid, &st);
		}
		rv = zs_db_end(c, rv, &st);
	}
	if (rv != 0)
		volume_fail(call, st);
	else
		volume_answer(call, c, closure, uuid);
	zs_db_release(db, c);
}

void
volume_attach(zs_call *call, const ProtobufCMessage *msg, ProtobufCClosure closure)
{
	const Zs__Volume__V1__AttachDataVolumeRequest *in = (const void *) msg;
	volume_set_vm(call, closure, in->uuid, in->vm_uuid, true);
}

void
volume_detach(zs_call *call, const ProtobufCMessage *msg, ProtobufCClosure closure)
{
	const Zs__Volume__V1__DetachDataVolumeRequest *in = (const void *) msg;
	volume_set_vm(call, closure, in->uuid, in->vm_uuid, false);
}
