/*
 * st_accounts.c: a second account is refused on every call of both services, and
 * nothing changes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "st.h"

void
st_check_accounts(st_env *e)
{
	inv *t = &e->t;
	char user[INV_SESSION], uid[INV_UUID];
	if (!inv_account(t, "storageuser", user, uid))
		return;
	Zs__Primarystorage__V1__PrimaryStorageInfo *before = NULL;
	st_ps_get(t, e->local, &before);
	int refused = 0, total = 0;
	const char *zone = e->zone, *ps = e->local;
#define REFUSE(method, type, ...) do { type req = __VA_ARGS__; total++; \
	int c_ = st_call(t, user, method, &req, \
	    &zs__primarystorage__v1__primary_storage_info__descriptor, NULL, 0); \
	if (c_ == INV_PERMISSION_DENIED && (strcmp(t->error_code, "PRIMARYSTORAGE.1003") == 0 || \
	    strcmp(t->error_code, "VOLUME.1001") == 0)) refused++; \
	else zst_note("%s: %s", method, t->msg); } while (0)
	Zs__Primarystorage__V1__AddPrimaryStorageRequest a = ZS__PRIMARYSTORAGE__V1__ADD_PRIMARY_STORAGE_REQUEST__INIT;
	a.zone_uuid = (char *) zone; a.name = "mine"; a.type = "NFS"; a.url = NFS_URL;
	REFUSE(PSM "AddPrimaryStorage", Zs__Primarystorage__V1__AddPrimaryStorageRequest, a);
	Zs__Primarystorage__V1__GetPrimaryStorageRequest g = ZS__PRIMARYSTORAGE__V1__GET_PRIMARY_STORAGE_REQUEST__INIT;
	g.uuid = (char *) ps;
	REFUSE(PSM "GetPrimaryStorage", Zs__Primarystorage__V1__GetPrimaryStorageRequest, g);
	REFUSE(PSM "ListPrimaryStorages", Zs__Primarystorage__V1__ListPrimaryStoragesRequest,
	    ZS__PRIMARYSTORAGE__V1__LIST_PRIMARY_STORAGES_REQUEST__INIT);
	Zs__Primarystorage__V1__UpdatePrimaryStorageRequest u = ZS__PRIMARYSTORAGE__V1__UPDATE_PRIMARY_STORAGE_REQUEST__INIT;
	u.uuid = (char *) ps; u._name_case = ZS__PRIMARYSTORAGE__V1__UPDATE_PRIMARY_STORAGE_REQUEST___NAME_NAME;
	u.name = "stolen";
	REFUSE(PSM "UpdatePrimaryStorage", Zs__Primarystorage__V1__UpdatePrimaryStorageRequest, u);
	Zs__Primarystorage__V1__DeletePrimaryStorageRequest d = ZS__PRIMARYSTORAGE__V1__DELETE_PRIMARY_STORAGE_REQUEST__INIT;
	d.uuid = (char *) ps;
	REFUSE(PSM "DeletePrimaryStorage", Zs__Primarystorage__V1__DeletePrimaryStorageRequest, d);
	Zs__Primarystorage__V1__ChangePrimaryStorageStateRequest cs = ZS__PRIMARYSTORAGE__V1__CHANGE_PRIMARY_STORAGE_STATE_REQUEST__INIT;
	cs.uuid = (char *) ps; cs.state_event = "disable";
	REFUSE(PSM "ChangePrimaryStorageState", Zs__Primarystorage__V1__ChangePrimaryStorageStateRequest, cs);
	Zs__Primarystorage__V1__AttachPrimaryStorageToClusterRequest at = ZS__PRIMARYSTORAGE__V1__ATTACH_PRIMARY_STORAGE_TO_CLUSTER_REQUEST__INIT;
	at.primary_storage_uuid = (char *) ps; at.cluster_uuid = e->c2;
	REFUSE(PSM "AttachPrimaryStorageToCluster", Zs__Primarystorage__V1__AttachPrimaryStorageToClusterRequest, at);
	Zs__Primarystorage__V1__DetachPrimaryStorageFromClusterRequest dt = ZS__PRIMARYSTORAGE__V1__DETACH_PRIMARY_STORAGE_FROM_CLUSTER_REQUEST__INIT;
	dt.primary_storage_uuid = (char *) ps; dt.cluster_uuid = e->c1;
	REFUSE(PSM "DetachPrimaryStorageFromCluster", Zs__Primarystorage__V1__DetachPrimaryStorageFromClusterRequest, dt);
	Zs__Primarystorage__V1__ReconnectPrimaryStorageRequest rc = ZS__PRIMARYSTORAGE__V1__RECONNECT_PRIMARY_STORAGE_REQUEST__INIT;
	rc.uuid = (char *) ps;
	REFUSE(PSM "ReconnectPrimaryStorage", Zs__Primarystorage__V1__ReconnectPrimaryStorageRequest, rc);
	Zs__Primarystorage__V1__ReserveCapacityRequest rq = ZS__PRIMARYSTORAGE__V1__RESERVE_CAPACITY_REQUEST__INIT;
	rq.volume_uuid = "11111111-2222-4333-8444-555555555555"; rq.size = GIB; rq.primary_storage_uuid = (char *) ps;
	REFUSE(PSM "ReserveCapacity", Zs__Primarystorage__V1__ReserveCapacityRequest, rq);
	Zs__Primarystorage__V1__ReturnCapacityRequest rt = ZS__PRIMARYSTORAGE__V1__RETURN_CAPACITY_REQUEST__INIT;
	rt.volume_uuid = "11111111-2222-4333-8444-555555555555";
	REFUSE(PSM "ReturnCapacity", Zs__Primarystorage__V1__ReturnCapacityRequest, rt);
	Zs__Primarystorage__V1__CreateVolumeBitsRequest cb = ZS__PRIMARYSTORAGE__V1__CREATE_VOLUME_BITS_REQUEST__INIT;
	cb.volume_uuid = rq.volume_uuid; cb.primary_storage_uuid = (char *) ps; cb.size = GIB; cb.kind = "Data";
	REFUSE(PSM "CreateVolumeBits", Zs__Primarystorage__V1__CreateVolumeBitsRequest, cb);
	Zs__Primarystorage__V1__DeleteVolumeBitsRequest db = ZS__PRIMARYSTORAGE__V1__DELETE_VOLUME_BITS_REQUEST__INIT;
	db.volume_uuid = rq.volume_uuid; db.primary_storage_uuid = (char *) ps; db.kind = "Data";
	REFUSE(PSM "DeleteVolumeBits", Zs__Primarystorage__V1__DeleteVolumeBitsRequest, db);
	Zs__Volume__V1__CreateDataVolumeRequest cv = ZS__VOLUME__V1__CREATE_DATA_VOLUME_REQUEST__INIT;
	cv.name = "mine"; cv.size = GIB; cv.primary_storage_uuid = (char *) ps;
	REFUSE(VOLM "CreateDataVolume", Zs__Volume__V1__CreateDataVolumeRequest, cv);
	Zs__Volume__V1__CreateRootVolumeRequest cr = ZS__VOLUME__V1__CREATE_ROOT_VOLUME_REQUEST__INIT;
	cr.name = "mine"; cr.size = GIB; cr.primary_storage_uuid = (char *) ps; cr.image_uuid = "x"; cr.image_url = "/x";
	REFUSE(VOLM "CreateRootVolume", Zs__Volume__V1__CreateRootVolumeRequest, cr);
	Zs__Volume__V1__GetVolumeRequest gv = ZS__VOLUME__V1__GET_VOLUME_REQUEST__INIT;
	gv.uuid = (char *) ps;
	REFUSE(VOLM "GetVolume", Zs__Volume__V1__GetVolumeRequest, gv);
	REFUSE(VOLM "ListVolumes", Zs__Volume__V1__ListVolumesRequest, ZS__VOLUME__V1__LIST_VOLUMES_REQUEST__INIT);
	Zs__Volume__V1__UpdateVolumeRequest uv = ZS__VOLUME__V1__UPDATE_VOLUME_REQUEST__INIT;
	uv.uuid = (char *) ps;
	REFUSE(VOLM "UpdateVolume", Zs__Volume__V1__UpdateVolumeRequest, uv);
	Zs__Volume__V1__DeleteVolumeRequest dv = ZS__VOLUME__V1__DELETE_VOLUME_REQUEST__INIT;
	dv.uuid = (char *) ps;
	REFUSE(VOLM "DeleteVolume", Zs__Volume__V1__DeleteVolumeRequest, dv);
	Zs__Volume__V1__ChangeVolumeStateRequest sv = ZS__VOLUME__V1__CHANGE_VOLUME_STATE_REQUEST__INIT;
	sv.uuid = (char *) ps; sv.state_event = "disable";
	REFUSE(VOLM "ChangeVolumeState", Zs__Volume__V1__ChangeVolumeStateRequest, sv);
#undef REFUSE
	ZST_CHECK(refused == total, "a second account: every one of the %d calls of both services is "
	    "PERMISSION_DENIED (PRIMARYSTORAGE.1003, VOLUME.1001): %d", total, refused);
	Zs__Primarystorage__V1__PrimaryStorageInfo *after = NULL;
	ZST_CHECK(before != NULL && st_ps_get(t, e->local, &after) == 0 &&
	    strcmp(after->name, before->name) == 0 && strcmp(after->state, "Enabled") == 0 &&
	    after->n_attached_cluster_uuids == before->n_attached_cluster_uuids &&
	    after->available_capacity == before->available_capacity,
	    "and nothing changed: name, state, clusters, capacity");
	zs_reply_free(before);
	zs_reply_free(after);
}

/* True when a kept event on topic about uuid is there to replay (the node's sender
 * numbers kept events just after their commit: allow it a moment). */
