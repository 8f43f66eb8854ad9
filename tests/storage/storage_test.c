/*
 * storage_test.c: primary storage and volumes end to end, against a real zsnode and a
 * real zs-kvmsim whose hosts listen on 127.0.3.x (loopback only): LocalStorage and NFS
 * added and attached (capacity from the agents), volumes made and deleted with exact
 * capacity, root volumes from an image, every agent fault on create leaving nothing
 * behind and saying why, detach refused while volumes live, a second account refused on
 * every call, the sync tracker picking up a new host, concurrency (st_load.c), events,
 * the Query calls (st_query.c), and a zone's delete taking its storage and volumes.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "st.h"
#include "zs/event/v1/events.pb-c.h"
#include "zst_sim.h"

static void
check_add_attach(st_env *e)
{
	inv *t = &e->t;
	ZST_REQUIRE(st_ps_add(t, t->admin, e->zone, "local", "LocalStorage", LOCAL_URL, e->local) == 0,
	    "AddPrimaryStorage LocalStorage %s (%s)", LOCAL_URL, t->msg);
	ZST_REQUIRE(st_ps_add(t, t->admin, e->zone, "nfs", "NFS", NFS_URL, e->nfs) == 0,
	    "AddPrimaryStorage NFS %s (%s)", NFS_URL, t->msg);
	ZST_CHECK(st_ps_add(t, t->admin, e->zone, "local", "NFS", NFS_URL, NULL) == INV_ALREADY_EXISTS &&
	    strcmp(t->error_code, "PRIMARYSTORAGE.1001") == 0, "the same name again in the zone: "
	    "ALREADY_EXISTS, PRIMARYSTORAGE.1001 (%s)", t->msg);
	ZST_CHECK(st_ps_add(t, t->admin, e->zone, "x", "Ceph", "/x", NULL) == INV_INVALID_ARGUMENT &&
	    st_ps_add(t, t->admin, e->zone, "x", "LocalStorage", "relative/dir", NULL) == INV_INVALID_ARGUMENT &&
	    st_ps_add(t, t->admin, e->zone, "x", "NFS", "/no/server", NULL) == INV_INVALID_ARGUMENT,
	    "an unknown type, a relative folder, an NFS url without a server: INVALID_ARGUMENT (%s)",
	    t->msg);
	Zs__Primarystorage__V1__PrimaryStorageInfo *p = NULL;
	ZST_CHECK(st_ps_get(t, e->local, &p) == 0 && strcmp(p->state, "Enabled") == 0 &&
	    strcmp(p->status, "Disconnected") == 0 && p->total_capacity == 0 &&
	    strcmp(p->type, "LocalStorage") == 0 && p->n_hosts == 0,
	    "a new LocalStorage is Enabled, Disconnected, with no capacity until attached");
	zs_reply_free(p);

	Zs__Primarystorage__V1__UpdatePrimaryStorageRequest u =
	    ZS__PRIMARYSTORAGE__V1__UPDATE_PRIMARY_STORAGE_REQUEST__INIT;
	u.uuid = e->nfs;
	u._description_case = ZS__PRIMARYSTORAGE__V1__UPDATE_PRIMARY_STORAGE_REQUEST___DESCRIPTION_DESCRIPTION;
	u.description = "the shared one";
	p = NULL;
	ZST_CHECK(st_call(t, t->admin, PSM "UpdatePrimaryStorage", &u,
	    &zs__primarystorage__v1__primary_storage_info__descriptor, &p, 0) == 0 &&
	    strcmp(p->description, "the shared one") == 0 && strcmp(p->name, "nfs") == 0,
	    "UpdatePrimaryStorage changes the description only (%s)", t->msg);
	zs_reply_free(p);
	Zs__Primarystorage__V1__ListPrimaryStoragesRequest l =
	    ZS__PRIMARYSTORAGE__V1__LIST_PRIMARY_STORAGES_REQUEST__INIT;
	l.zone_uuid = e->zone;
	Zs__Primarystorage__V1__ListPrimaryStoragesResponse *lr = NULL;
	ZST_CHECK(st_call(t, t->admin, PSM "ListPrimaryStorages", &l,
	    &zs__primarystorage__v1__list_primary_storages_response__descriptor, &lr, 0) == 0 &&
	    lr->n_primary_storages == 2 && strcmp(lr->primary_storages[0]->uuid, e->local) == 0,
	    "ListPrimaryStorages of the zone: both, oldest first (%s)", t->msg);
	zs_reply_free(lr);

	/* attach: every Connected host of the cluster inits it and reports its disk */
	p = NULL;
	int code = st_ps_attach(t, t->admin, e->local, e->c1, &p);
	ZST_CHECK(code == 0 && strcmp(p->status, "Connected") == 0 && p->n_hosts == 2 &&
	    p->total_capacity == 2 * TIB && p->available_capacity == 2 * TIB &&
	    p->n_attached_cluster_uuids == 1 && st_share(p, e->h1) != NULL &&
	    st_share(p, e->h1)->total_capacity == TIB && strcmp(st_share(p, e->h2)->status, "Connected") == 0 &&
	    p->available_physical_capacity == 2 * TIB && st_share(p, e->h1)->available_physical_capacity == TIB,
	    "LocalStorage attached to c1 (2 hosts): Connected, 2 TiB from the agents, 1 TiB per host "
	    "(%s)", t->msg);
	zs_reply_free(p);
	ZST_CHECK(st_sim_count("s1", "/localstorage/init") >= 1 &&
	    st_sim_count("s2", "/localstorage/init") >= 1 && st_sim_count("s3", "/localstorage/init") == 0,
	    "/localstorage/init went to s1 and s2, not s3");
	ZST_CHECK(st_ps_attach(t, t->admin, e->local, e->c1, NULL) == INV_ALREADY_EXISTS,
	    "attaching again: ALREADY_EXISTS (%s)", t->msg);
	char twin[INV_UUID];
	ZST_CHECK(st_ps_add(t, t->admin, e->zone, "local-twin", "LocalStorage", LOCAL_URL, twin) == 0 &&
	    st_ps_attach(t, t->admin, twin, e->c1, NULL) == INV_ALREADY_EXISTS &&
	    strcmp(t->error_code, "PRIMARYSTORAGE.1012") == 0,
	    "another storage of the same url on c1: ALREADY_EXISTS, PRIMARYSTORAGE.1012 (%s)", t->msg);
	Zs__Primarystorage__V1__DeletePrimaryStorageRequest dreq =
	    ZS__PRIMARYSTORAGE__V1__DELETE_PRIMARY_STORAGE_REQUEST__INIT;
	dreq.uuid = twin;
	ZST_CHECK(st_call(t, t->admin, PSM "DeletePrimaryStorage", &dreq,
	    &zs__primarystorage__v1__delete_primary_storage_response__descriptor, NULL, 0) == 0 &&
	    st_ps_get(t, twin, NULL) == INV_NOT_FOUND, "DeletePrimaryStorage of it (%s)", t->msg);

	/* an attach no host can take fails and leaves it detached */
	st_sim_do("POST", "/sim/faults", "{\"host\":\"s3\",\"path\":\"/localstorage/init\","
	    "\"action\":\"fail\",\"error\":\"disk is read-only\"}");
	code = st_ps_attach(t, t->admin, e->local, e->c2, NULL);
	ZST_CHECK(code != 0 && strcmp(t->error_code, "PRIMARYSTORAGE.1002") == 0 &&
	    strstr(t->msg, "disk is read-only") != NULL && strstr(t->msg, "127.0.3.3") != NULL,
	    "attaching to c2 whose only host fails /localstorage/init: PRIMARYSTORAGE.1002 with the "
	    "agent's error and the host (%s)", t->msg);
	p = NULL;
	ZST_CHECK(st_ps_get(t, e->local, &p) == 0 && p->n_attached_cluster_uuids == 1 &&
	    p->n_hosts == 2 && p->total_capacity == 2 * TIB, "and it is still attached to c1 only");
	zs_reply_free(p);
	st_sim_do("DELETE", "/sim/faults", NULL);

	/* NFS: mounted by every host of both clusters, capacity of the share */
	ZST_CHECK(st_ps_attach(t, t->admin, e->nfs, e->c1, NULL) == 0 &&
	    st_ps_attach(t, t->admin, e->nfs, e->c2, &p) == 0 && p->n_hosts == 3 &&
	    p->total_capacity == 4 * TIB && p->available_capacity == 4 * TIB &&
	    strcmp(p->mount_path, "/opt/zstack/nfsprimarystorage/prim-") > 0,
	    "NFS attached to c1 and c2: mounted on 3 hosts, 4 TiB from the agent (%s)", t->msg);
	zs_reply_free(p);
	ZST_CHECK(st_sim_count("s1", "/nfsprimarystorage/mount") >= 1 &&
	    st_sim_count("s3", "/nfsprimarystorage/mount") >= 1, "/nfsprimarystorage/mount on each host");
}

static void
check_volumes(st_env *e)
{
	inv *t = &e->t;
	Zs__Volume__V1__VolumeInfo *v = NULL;
	int code = st_vol_create(t, t->admin, "d1", 10 * GIB, e->local, e->h1, 0, &v);
	ZST_REQUIRE(code == 0, "a 10 GiB data volume on LocalStorage, host s1 (%s)", t->msg);
	char d1[INV_UUID], path[1024];
	snprintf(d1, sizeof d1, "%s", v->uuid);
	snprintf(path, sizeof path, "%s", v->install_path);
	ZST_CHECK(strcmp(v->status, "Ready") == 0 && strcmp(v->state, "Enabled") == 0 &&
	    strcmp(v->type, "Data") == 0 && strcmp(v->host_uuid, e->h1) == 0 &&
	    strcmp(v->zone_uuid, e->zone) == 0 && strncmp(path, LOCAL_URL "/dataVolumes/vol-", 32) == 0,
	    "it is Ready, Enabled, Data, on s1, in the zone, at %s", path);
	zs_reply_free(v);
	ZST_CHECK(st_sim_has("127.0.3.1", false, path) && !st_sim_has("127.0.3.2", false, path),
	    "the file is on s1's disk, not s2's");
	ZST_CHECK(st_available(t, e->local, NULL) == 2 * TIB - 10 * GIB &&
	    st_available(t, e->local, e->h1) == TIB - 10 * GIB && st_available(t, e->local, e->h2) == TIB,
	    "10 GiB is taken from the storage and from s1's share only");

	/* no host named: the one with most room; no storage named: the one with most room */
	v = NULL;
	code = st_vol_create(t, t->admin, "d2", GIB, e->local, NULL, 0, &v);
	ZST_CHECK(code == 0 && strcmp(v->host_uuid, e->h2) == 0, "no host named: s2, with more room (%s)",
	    t->msg);
	char d2[INV_UUID];
	snprintf(d2, sizeof d2, "%s", code == 0 ? v->uuid : "");
	zs_reply_free(v);
	v = NULL;
	code = st_vol_create(t, t->admin, "d3", GIB, NULL, NULL, 0, &v);
	ZST_CHECK(code == 0 && strcmp(v->primary_storage_uuid, e->nfs) == 0 && v->host_uuid[0] == '\0' &&
	    strstr(v->install_path, "/opt/zstack/nfsprimarystorage/prim-") == v->install_path,
	    "no storage named: NFS (4 TiB free), a file on the share (%s)", t->msg);
	char d3[INV_UUID], path3[1024];
	snprintf(d3, sizeof d3, "%s", code == 0 ? v->uuid : "");
	snprintf(path3, sizeof path3, "%s", code == 0 ? v->install_path : "");
	zs_reply_free(v);
	ZST_CHECK(st_sim_has("127.0.3.3", true, path3) && st_available(t, e->nfs, NULL) == 4 * TIB - GIB,
	    "every host sees it on the share; NFS has 1 GiB less");

	/* rename, disable */
	Zs__Volume__V1__UpdateVolumeRequest uv = ZS__VOLUME__V1__UPDATE_VOLUME_REQUEST__INIT;
	uv.uuid = d2;
	uv._name_case = ZS__VOLUME__V1__UPDATE_VOLUME_REQUEST___NAME_NAME;
	uv.name = "d2-renamed";
	Zs__Volume__V1__ChangeVolumeStateRequest sv = ZS__VOLUME__V1__CHANGE_VOLUME_STATE_REQUEST__INIT;
	sv.uuid = d2;
	sv.state_event = "disable";
	v = NULL;
	ZST_CHECK(st_call(t, t->admin, VOLM "UpdateVolume", &uv, &zs__volume__v1__volume_info__descriptor,
	    NULL, 0) == 0 && st_call(t, t->admin, VOLM "ChangeVolumeState", &sv,
	    &zs__volume__v1__volume_info__descriptor, NULL, 0) == 0 && st_vol_get(t, t->admin, d2, &v) == 0 &&
	    strcmp(v->name, "d2-renamed") == 0 && strcmp(v->state, "Disabled") == 0 &&
	    strcmp(v->status, "Ready") == 0, "UpdateVolume renames it, ChangeVolumeState disables it (%s)",
	    t->msg);
	zs_reply_free(v);

	/* too big, disabled */
	code = st_vol_create(t, t->admin, "big", TIB, e->local, e->h1, 0, NULL);
	ZST_CHECK(code == ZS_CLIENT_RESOURCE_EXHAUSTED && strcmp(t->error_code, "VOLUME.1002") == 0 &&
	    strstr(t->msg, "PRIMARYSTORAGE") == NULL && strstr(t->msg, "not enough room on host") != NULL,
	    "1 TiB more on s1: RESOURCE_EXHAUSTED, saying how much room is left (%s)", t->msg);
	ZST_CHECK(st_ps_state(t, t->admin, e->local, "disable") == 0, "DisablePrimaryStorage (%s)", t->msg);
	code = st_vol_create(t, t->admin, "off", GIB, e->local, e->h1, 0, NULL);
	ZST_CHECK(code == 9 && strstr(t->msg, "Disabled") != NULL,
	    "a Disabled storage takes no volume: FAILED_PRECONDITION (%s)", t->msg);
	ZST_CHECK(st_ps_state(t, t->admin, e->local, "enable") == 0, "enable it again");
	ZST_CHECK(st_vol_count(t, NULL, NULL) == 3, "3 volumes live");

	/* detach refused while volumes live on the cluster's hosts */
	code = st_ps_detach(t, t->admin, e->local, e->c1);
	ZST_CHECK(code == 9 && strcmp(t->error_code, "PRIMARYSTORAGE.1006") == 0,
	    "detaching LocalStorage from c1 with volumes on its hosts: refused (%s)", t->msg);

	/* delete: the file goes, the capacity comes back */
	ZST_CHECK(st_vol_delete(t, t->admin, d1) == 0 && st_vol_delete(t, t->admin, d2) == 0,
	    "DeleteVolume d1, d2 (%s)", t->msg);
	ZST_CHECK(!st_sim_has("127.0.3.1", false, path) && st_available(t, e->local, NULL) == 2 * TIB &&
	    st_available(t, e->local, e->h1) == TIB && st_vol_get(t, t->admin, d1, NULL) == INV_NOT_FOUND,
	    "its file is gone from s1, the 10 GiB are back, GetVolume: NOT_FOUND");
	st_sim_do("POST", "/sim/faults", "{\"path\":\"/nfsprimarystorage/delete\",\"action\":\"fail\","
	    "\"error\":\"share is busy\",\"times\":1}");
	code = st_vol_delete(t, t->admin, d3);
	v = NULL;
	ZST_CHECK(code != 0 && strcmp(t->error_code, "VOLUME.1003") == 0 &&
	    strstr(t->msg, "share is busy") != NULL && st_vol_get(t, t->admin, d3, &v) == 0 &&
	    strcmp(v->status, "Ready") == 0 && st_available(t, e->nfs, NULL) == 4 * TIB - GIB,
	    "a delete the agent fails: VOLUME.1003 with its error; the volume stays Ready, its "
	    "capacity held (%s)", t->msg);
	zs_reply_free(v);
	ZST_CHECK(st_vol_delete(t, t->admin, d3) == 0 && st_available(t, e->nfs, NULL) == 4 * TIB,
	    "deleted again once the agent works (%s)", t->msg);

	/* detach, then attach again */
	Zs__Primarystorage__V1__PrimaryStorageInfo *p = NULL;
	ZST_CHECK(st_ps_detach(t, t->admin, e->local, e->c1) == 0 && st_ps_get(t, e->local, &p) == 0 &&
	    p->n_hosts == 0 && p->n_attached_cluster_uuids == 0 && p->total_capacity == 0 &&
	    strcmp(p->status, "Disconnected") == 0, "with no volume left it detaches (%s)", t->msg);
	zs_reply_free(p);
	ZST_CHECK(st_ps_attach(t, t->admin, e->local, e->c1, NULL) == 0, "and attaches again (%s)",
	    t->msg);
	p = NULL;
	ZST_CHECK(st_ps_detach(t, t->admin, e->nfs, e->c2) == 0 && st_ps_get(t, e->nfs, &p) == 0 &&
	    p->n_hosts == 2 && p->n_attached_cluster_uuids == 1 && st_share(p, e->h3) == NULL &&
	    st_sim_count("s3", "/nfsprimarystorage/unmount") == 1 &&
	    st_sim_count("s1", "/nfsprimarystorage/unmount") == 0,
	    "detaching NFS from c2: s3 unmounts it, c1's two hosts keep it (%s)", t->msg);
	zs_reply_free(p);
	ZST_CHECK(st_ps_attach(t, t->admin, e->nfs, e->c2, NULL) == 0, "NFS attached to c2 again (%s)",
	    t->msg);

	/* a root volume from an image, and one whose capacity a workflow reserved first */
	Zs__Volume__V1__CreateRootVolumeRequest rr = ZS__VOLUME__V1__CREATE_ROOT_VOLUME_REQUEST__INIT;
	rr.name = "root-of-vm1";
	rr.size = 8 * GIB;
	rr.primary_storage_uuid = e->local;
	rr.host_uuid = e->h2;
	rr.image_uuid = "0f3c8a3e-1111-4222-8333-444455556666";
	rr.image_url = "/var/lib/zstack/local/imagecache/template/0f3c8a3e/0f3c8a3e.qcow2";
	rr.vm_uuid = "vm-1";
	v = NULL;
	code = st_call(t, t->admin, VOLM "CreateRootVolume", &rr, &zs__volume__v1__volume_info__descriptor,
	    &v, 0);
	ZST_CHECK(code == 0 && strcmp(v->type, "Root") == 0 && strcmp(v->image_uuid, rr.image_uuid) == 0 &&
	    strcmp(v->vm_uuid, "vm-1") == 0 && strstr(v->install_path, "/rootVolumes/vol-") != NULL &&
	    st_sim_count("s2", "/localstorage/volume/createvolumefromcache") == 1,
	    "CreateRootVolume from an image on s2: Root, /localstorage/volume/createvolumefromcache (%s)",
	    t->msg);
	if (code == 0)
		st_vol_delete(t, t->admin, v->uuid);
	zs_reply_free(v);
	const char *vu = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
	Zs__Primarystorage__V1__ReserveCapacityRequest rq =
	    ZS__PRIMARYSTORAGE__V1__RESERVE_CAPACITY_REQUEST__INIT;
	rq.volume_uuid = (char *) vu;
	rq.size = 8 * GIB;
	rq.primary_storage_uuid = e->nfs;
	code = st_call(t, t->admin, PSM "ReserveCapacity", &rq,
	    &zs__primarystorage__v1__reservation__descriptor, NULL, 0);
	int code2 = st_call(t, t->admin, PSM "ReserveCapacity", &rq,
	    &zs__primarystorage__v1__reservation__descriptor, NULL, 0);
	ZST_CHECK(code == 0 && code2 == 0 && st_available(t, e->nfs, NULL) == 4 * TIB - 8 * GIB,
	    "ReserveCapacity for a volume uuid, twice: reserved once (%s)", t->msg);
	rr.primary_storage_uuid = e->nfs;
	rr.host_uuid = "";
	rr.uuid = (char *) vu;
	rr.image_url = "/opt/zstack/nfsprimarystorage/imagecache/0f3c8a3e.qcow2";
	code = st_call(t, t->admin, VOLM "CreateRootVolume", &rr, &zs__volume__v1__volume_info__descriptor,
	    NULL, 0);
	ZST_CHECK(code == 0 && st_available(t, e->nfs, NULL) == 4 * TIB - 8 * GIB &&
	    st_sim_count("s1", "/nfsprimarystorage/createrootvolume") + st_sim_count("s2", "/nfsprimarystorage/createrootvolume")
	    + st_sim_count("s3", "/nfsprimarystorage/createrootvolume") >= 1,
	    "CreateRootVolume under that uuid on NFS uses the reservation: still 8 GiB taken (%s)",
	    t->msg);
	ZST_CHECK(st_vol_delete(t, t->admin, vu) == 0 && st_available(t, e->nfs, NULL) == 4 * TIB,
	    "deleting it returns the 8 GiB (%s)", t->msg);
	Zs__Primarystorage__V1__ReturnCapacityRequest ret =
	    ZS__PRIMARYSTORAGE__V1__RETURN_CAPACITY_REQUEST__INIT;
	ret.volume_uuid = (char *) vu;
	ZST_CHECK(st_call(t, t->admin, PSM "ReturnCapacity", &ret,
	    &zs__primarystorage__v1__return_capacity_response__descriptor, NULL, 0) == 0 &&
	    st_available(t, e->nfs, NULL) == 4 * TIB,
	    "a rollback's ReturnCapacity after that returns nothing more");
}

static bool replayed_now(inv *t, const char *topic, const char *uuid);

static bool
replayed(inv *t, const char *topic, const char *uuid)
{
	int64_t until = zst_now_ms() + 3000;
	while (!replayed_now(t, topic, uuid)) {
		if (zst_now_ms() >= until)
			return false;
		zst_sleep_ms(50);
	}
	return true;
}

static bool
replayed_now(inv *t, const char *topic, const char *uuid)
{
	Zs__Event__V1__ReplayRequest req = ZS__EVENT__V1__REPLAY_REQUEST__INIT;
	char *prefixes[1] = { (char *) topic };
	req.n_topic_prefixes = 1;
	req.topic_prefixes = prefixes;
	req.limit = 10000;
	Zs__Event__V1__ReplayResponse *out = NULL;
	bool found = false;
	if (st_call(t, t->admin, "zs.event.v1.Events/Replay", &req,
	    &zs__event__v1__replay_response__descriptor, &out, 0) == 0)
		for (size_t i = 0; i < out->n_events && !found; i++)
			found = strcmp(out->events[i]->topic, topic) == 0 &&
			    strcmp(out->events[i]->resource_uuid, uuid) == 0;
	zs_reply_free(out);
	return found;
}

static void
check_cascade(st_env *e)
{
	inv *t = &e->t;
	Zs__Volume__V1__VolumeInfo *a = NULL, *b = NULL;
	ZST_REQUIRE(st_vol_create(t, t->admin, "keep-a", GIB, e->local, e->h1, 0, &a) == 0 &&
	    st_vol_create(t, t->admin, "keep-b", GIB, e->nfs, NULL, 0, &b) == 0,
	    "a volume on each storage (%s)", t->msg);
	ZST_CHECK(replayed(t, "primarystorage/created", e->local), "primarystorage/created kept");
	ZST_CHECK(replayed(t, "primarystorage/attached", e->nfs), "primarystorage/attached kept");
	ZST_CHECK(replayed(t, "primarystorage/stateChanged", e->local), "primarystorage/stateChanged kept");
	ZST_CHECK(replayed(t, "primarystorage/updated", e->nfs) &&
	    replayed(t, "primarystorage/detached", e->nfs) &&
	    replayed(t, "primarystorage/reconnected", e->local), "primarystorage/updated, detached, "
	    "reconnected kept");
	ZST_CHECK(replayed(t, "volume/created", a->uuid) && replayed(t, "volume/created", b->uuid),
	    "volume/created kept");
	st_check_query(e, a->uuid, b->uuid);
	Zs__Zone__V1__DeleteZoneResponse *dz = NULL;
	int code = inv_zone_delete(t, t->admin, e->zone, &dz);
	int listed = 0;
	for (size_t i = 0; code == 0 && i < dz->n_deleted; i++)
		listed += strcmp(dz->deleted[i]->uuid, e->local) == 0 ||
		    strcmp(dz->deleted[i]->uuid, e->nfs) == 0 || strcmp(dz->deleted[i]->uuid, a->uuid) == 0 ||
		    strcmp(dz->deleted[i]->uuid, b->uuid) == 0;
	zs_reply_free(dz);
	ZST_CHECK(code == 0 && listed == 4, "DeleteZone lists both storages and both volumes among "
	    "what went (%d of 4; %s)", listed, t->msg);
	ZST_CHECK(st_ps_get(t, e->local, NULL) == INV_NOT_FOUND && st_ps_get(t, e->nfs, NULL) ==
	    INV_NOT_FOUND && st_vol_get(t, t->admin, a->uuid, NULL) == INV_NOT_FOUND &&
	    st_vol_count(t, NULL, NULL) == 0, "and they are gone: NOT_FOUND, no volume listed");
	zs_reply_free(a);
	zs_reply_free(b);
}

int
main(int argc, char **argv)
{
	if (zst_init(argc, argv, "storage", 120) != 0 || argc < 4)
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	st_sim_port = zst_sim_start(argv[3]);
	st_sim_do("POST", "/sim/hosts", "{\"hosts\":[{\"name\":\"s1\",\"ip\":\"127.0.3.1\"},"
	    "{\"name\":\"s2\",\"ip\":\"127.0.3.2\"},{\"name\":\"s3\",\"ip\":\"127.0.3.3\"}]}");
	char port[64];
	snprintf(port, sizeof port, "KvmAgent.port=%d", st_sim_port);
	const char *sets[] = { port, "primaryStorage.sync.interval=1000", "host.ping.interval=200",
	    "host.ping.timeout=1000", "host.ping.maxFailure=2", NULL };
	static st_env e;
	inv *t = &e.t;
	ZST_REQUIRE(inv_start(t, sets), "a node with the storage plugins starts");
	ZST_REQUIRE(inv_zone_create(t, t->admin, "z", e.zone) == 0 &&
	    inv_cluster_create(t, t->admin, e.zone, "c1", "KVM", e.c1) == 0 &&
	    inv_cluster_create(t, t->admin, e.zone, "c2", "KVM", e.c2) == 0, "a zone, clusters c1, c2");
	st_add_kvm(t, e.c1, "s1", "127.0.3.1", e.h1);
	st_add_kvm(t, e.c1, "s2", "127.0.3.2", e.h2);
	st_add_kvm(t, e.c2, "s3", "127.0.3.3", e.h3);

	int64_t t0 = zst_now_ms();
	check_add_attach(&e);
	check_volumes(&e);
	st_check_faults(&e);
	st_check_sync(&e);
	st_check_accounts(&e);
	int64_t t1 = zst_now_ms();
	st_load(t, e.nfs, e.local, e.h1);
	zst_note("functional checks %lld ms, load %lld ms", (long long) (t1 - t0),
	    (long long) (zst_now_ms() - t1));
	check_cascade(&e);

	inv_stop(t);
	ZST_CHECK(zst_sim_stop() == 0, "the simulator stops cleanly");
	curl_global_cleanup();
	return zst_summary();
}
