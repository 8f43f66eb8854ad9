/*
 * storage_test.c: primary storage and volumes end to end, against a real zsnode and a
 * real zs-kvmsim whose hosts listen on 127.0.3.x (loopback only): LocalStorage and NFS
 * added and attached (capacity from the agents), volumes made and deleted with exact
 * capacity, root volumes from an image, every agent fault on create leaving nothing
 * behind and saying why, detach refused while volumes live, a second account refused on
 * every call, the sync tracker picking up a new host, concurrency (st_load.c), events,
 * and a zone's delete taking its storage and volumes.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "st.h"
#include "zs/event/v1/events.pb-c.h"
#include "zs/kvm/v1/kvm.pb-c.h"
#include "zst_sim.h"

#define PSM "zs.primarystorage.v1.PrimaryStorage/"
#define VOLM "zs.volume.v1.Volume/"
#define LOCAL_URL "/var/lib/zstack/local"
#define NFS_URL "127.0.0.1:/nfs/primary"

static void
add_kvm(inv *t, const char *cluster, const char *name, const char *ip, char uuid[INV_UUID])
{
	Zs__Kvm__V1__AddKvmHostRequest req = ZS__KVM__V1__ADD_KVM_HOST_REQUEST__INIT;
	req.cluster_uuid = (char *) cluster;
	req.name = (char *) name;
	req.management_ip = (char *) ip;
	req.username = "root";
	req.password = "pw";
	Zs__Kvm__V1__KvmHostInfo *h = NULL;
	int code = inv_call(t, t->admin, "zs.kvm.v1.Kvm/AddKvmHost", &req,
	    &zs__kvm__v1__kvm_host_info__descriptor, &h);
	ZST_REQUIRE(code == 0, "AddKvmHost %s on %s (%s)", name, ip, t->msg);
	snprintf(uuid, INV_UUID, "%s", h->uuid);
	zs_reply_free(h);
}

static int
ps_add(inv *t, const char *s, const char *zone, const char *name, const char *type,
    const char *url, char uuid[INV_UUID])
{
	Zs__Primarystorage__V1__AddPrimaryStorageRequest req =
	    ZS__PRIMARYSTORAGE__V1__ADD_PRIMARY_STORAGE_REQUEST__INIT;
	req.zone_uuid = (char *) zone;
	req.name = (char *) name;
	req.type = (char *) type;
	req.url = (char *) url;
	Zs__Primarystorage__V1__PrimaryStorageInfo *p = NULL;
	int code = st_call(t, s, PSM "AddPrimaryStorage", &req,
	    &zs__primarystorage__v1__primary_storage_info__descriptor, &p, 0);
	if (uuid != NULL)
		snprintf(uuid, INV_UUID, "%s", code == 0 ? p->uuid : "");
	zs_reply_free(p);
	return code;
}

/* The host share of host in p, or NULL. */
static Zs__Primarystorage__V1__PrimaryStorageHostInfo *
share(Zs__Primarystorage__V1__PrimaryStorageInfo *p, const char *host)
{
	for (size_t i = 0; p != NULL && i < p->n_hosts; i++)
		if (strcmp(p->hosts[i]->host_uuid, host) == 0)
			return p->hosts[i];
	return NULL;
}

static int
ps_state(inv *t, const char *s, const char *ps, const char *ev)
{
	Zs__Primarystorage__V1__ChangePrimaryStorageStateRequest req =
	    ZS__PRIMARYSTORAGE__V1__CHANGE_PRIMARY_STORAGE_STATE_REQUEST__INIT;
	req.uuid = (char *) ps;
	req.state_event = (char *) ev;
	return st_call(t, s, PSM "ChangePrimaryStorageState", &req,
	    &zs__primarystorage__v1__primary_storage_info__descriptor, NULL, 0);
}

static int
ps_detach(inv *t, const char *s, const char *ps, const char *cluster)
{
	Zs__Primarystorage__V1__DetachPrimaryStorageFromClusterRequest req =
	    ZS__PRIMARYSTORAGE__V1__DETACH_PRIMARY_STORAGE_FROM_CLUSTER_REQUEST__INIT;
	req.primary_storage_uuid = (char *) ps;
	req.cluster_uuid = (char *) cluster;
	return st_call(t, s, PSM "DetachPrimaryStorageFromCluster", &req,
	    &zs__primarystorage__v1__primary_storage_info__descriptor, NULL, 0);
}

static int
ps_reconnect(inv *t, const char *ps, Zs__Primarystorage__V1__PrimaryStorageInfo **out)
{
	Zs__Primarystorage__V1__ReconnectPrimaryStorageRequest req =
	    ZS__PRIMARYSTORAGE__V1__RECONNECT_PRIMARY_STORAGE_REQUEST__INIT;
	req.uuid = (char *) ps;
	return st_call(t, t->admin, PSM "ReconnectPrimaryStorage", &req,
	    &zs__primarystorage__v1__primary_storage_info__descriptor, out, 0);
}

static int
vol_get(inv *t, const char *s, const char *uuid, Zs__Volume__V1__VolumeInfo **out)
{
	Zs__Volume__V1__GetVolumeRequest req = ZS__VOLUME__V1__GET_VOLUME_REQUEST__INIT;
	req.uuid = (char *) uuid;
	return st_call(t, s, VOLM "GetVolume", &req, &zs__volume__v1__volume_info__descriptor, out, 0);
}

/* A data volume of a uuid chosen here (so its file's path is known). */
static int
vol_create_as(inv *t, const char *uuid, int64_t size, const char *ps, const char *host,
    uint32_t timeout_ms)
{
	Zs__Volume__V1__CreateDataVolumeRequest req = ZS__VOLUME__V1__CREATE_DATA_VOLUME_REQUEST__INIT;
	req.name = "faulty";
	req.size = size;
	req.primary_storage_uuid = (char *) ps;
	req.host_uuid = (char *) host;
	req.uuid = (char *) uuid;
	return st_call(t, t->admin, VOLM "CreateDataVolume", &req,
	    &zs__volume__v1__volume_info__descriptor, NULL, timeout_ms);
}

/* ---- checks ---- */

typedef struct env {
	inv t;
	char zone[INV_UUID], c1[INV_UUID], c2[INV_UUID];
	char h1[INV_UUID], h2[INV_UUID], h3[INV_UUID];
	char local[INV_UUID], nfs[INV_UUID];
} env;

static void
check_add_attach(env *e)
{
	inv *t = &e->t;
	ZST_REQUIRE(ps_add(t, t->admin, e->zone, "local", "LocalStorage", LOCAL_URL, e->local) == 0,
	    "AddPrimaryStorage LocalStorage %s (%s)", LOCAL_URL, t->msg);
	ZST_REQUIRE(ps_add(t, t->admin, e->zone, "nfs", "NFS", NFS_URL, e->nfs) == 0,
	    "AddPrimaryStorage NFS %s (%s)", NFS_URL, t->msg);
	ZST_CHECK(ps_add(t, t->admin, e->zone, "local", "NFS", NFS_URL, NULL) == INV_ALREADY_EXISTS &&
	    strcmp(t->error_code, "PRIMARYSTORAGE.1001") == 0, "the same name again in the zone: "
	    "ALREADY_EXISTS, PRIMARYSTORAGE.1001 (%s)", t->msg);
	ZST_CHECK(ps_add(t, t->admin, e->zone, "x", "Ceph", "/x", NULL) == INV_INVALID_ARGUMENT &&
	    ps_add(t, t->admin, e->zone, "x", "LocalStorage", "relative/dir", NULL) == INV_INVALID_ARGUMENT &&
	    ps_add(t, t->admin, e->zone, "x", "NFS", "/no/server", NULL) == INV_INVALID_ARGUMENT,
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
	    p->n_attached_cluster_uuids == 1 && share(p, e->h1) != NULL &&
	    share(p, e->h1)->total_capacity == TIB && strcmp(share(p, e->h2)->status, "Connected") == 0 &&
	    p->available_physical_capacity == 2 * TIB && share(p, e->h1)->available_physical_capacity == TIB,
	    "LocalStorage attached to c1 (2 hosts): Connected, 2 TiB from the agents, 1 TiB per host "
	    "(%s)", t->msg);
	zs_reply_free(p);
	ZST_CHECK(st_sim_count("s1", "/localstorage/init") >= 1 &&
	    st_sim_count("s2", "/localstorage/init") >= 1 && st_sim_count("s3", "/localstorage/init") == 0,
	    "/localstorage/init went to s1 and s2, not s3");
	ZST_CHECK(st_ps_attach(t, t->admin, e->local, e->c1, NULL) == INV_ALREADY_EXISTS,
	    "attaching again: ALREADY_EXISTS (%s)", t->msg);
	char twin[INV_UUID];
	ZST_CHECK(ps_add(t, t->admin, e->zone, "local-twin", "LocalStorage", LOCAL_URL, twin) == 0 &&
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
check_volumes(env *e)
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
	    &zs__volume__v1__volume_info__descriptor, NULL, 0) == 0 && vol_get(t, t->admin, d2, &v) == 0 &&
	    strcmp(v->name, "d2-renamed") == 0 && strcmp(v->state, "Disabled") == 0 &&
	    strcmp(v->status, "Ready") == 0, "UpdateVolume renames it, ChangeVolumeState disables it (%s)",
	    t->msg);
	zs_reply_free(v);

	/* too big, disabled */
	code = st_vol_create(t, t->admin, "big", TIB, e->local, e->h1, 0, NULL);
	ZST_CHECK(code == ZS_CLIENT_RESOURCE_EXHAUSTED && strcmp(t->error_code, "VOLUME.1002") == 0 &&
	    strstr(t->msg, "PRIMARYSTORAGE") == NULL && strstr(t->msg, "not enough room on host") != NULL,
	    "1 TiB more on s1: RESOURCE_EXHAUSTED, saying how much room is left (%s)", t->msg);
	ZST_CHECK(ps_state(t, t->admin, e->local, "disable") == 0, "DisablePrimaryStorage (%s)", t->msg);
	code = st_vol_create(t, t->admin, "off", GIB, e->local, e->h1, 0, NULL);
	ZST_CHECK(code == 9 && strstr(t->msg, "Disabled") != NULL,
	    "a Disabled storage takes no volume: FAILED_PRECONDITION (%s)", t->msg);
	ZST_CHECK(ps_state(t, t->admin, e->local, "enable") == 0, "enable it again");
	ZST_CHECK(st_vol_count(t, NULL, NULL) == 3, "3 volumes live");

	/* detach refused while volumes live on the cluster's hosts */
	code = ps_detach(t, t->admin, e->local, e->c1);
	ZST_CHECK(code == 9 && strcmp(t->error_code, "PRIMARYSTORAGE.1006") == 0,
	    "detaching LocalStorage from c1 with volumes on its hosts: refused (%s)", t->msg);

	/* delete: the file goes, the capacity comes back */
	ZST_CHECK(st_vol_delete(t, t->admin, d1) == 0 && st_vol_delete(t, t->admin, d2) == 0,
	    "DeleteVolume d1, d2 (%s)", t->msg);
	ZST_CHECK(!st_sim_has("127.0.3.1", false, path) && st_available(t, e->local, NULL) == 2 * TIB &&
	    st_available(t, e->local, e->h1) == TIB && vol_get(t, t->admin, d1, NULL) == INV_NOT_FOUND,
	    "its file is gone from s1, the 10 GiB are back, GetVolume: NOT_FOUND");
	st_sim_do("POST", "/sim/faults", "{\"path\":\"/nfsprimarystorage/delete\",\"action\":\"fail\","
	    "\"error\":\"share is busy\",\"times\":1}");
	code = st_vol_delete(t, t->admin, d3);
	v = NULL;
	ZST_CHECK(code != 0 && strcmp(t->error_code, "VOLUME.1003") == 0 &&
	    strstr(t->msg, "share is busy") != NULL && vol_get(t, t->admin, d3, &v) == 0 &&
	    strcmp(v->status, "Ready") == 0 && st_available(t, e->nfs, NULL) == 4 * TIB - GIB,
	    "a delete the agent fails: VOLUME.1003 with its error; the volume stays Ready, its "
	    "capacity held (%s)", t->msg);
	zs_reply_free(v);
	ZST_CHECK(st_vol_delete(t, t->admin, d3) == 0 && st_available(t, e->nfs, NULL) == 4 * TIB,
	    "deleted again once the agent works (%s)", t->msg);

	/* detach, then attach again */
	Zs__Primarystorage__V1__PrimaryStorageInfo *p = NULL;
	ZST_CHECK(ps_detach(t, t->admin, e->local, e->c1) == 0 && st_ps_get(t, e->local, &p) == 0 &&
	    p->n_hosts == 0 && p->n_attached_cluster_uuids == 0 && p->total_capacity == 0 &&
	    strcmp(p->status, "Disconnected") == 0, "with no volume left it detaches (%s)", t->msg);
	zs_reply_free(p);
	ZST_CHECK(st_ps_attach(t, t->admin, e->local, e->c1, NULL) == 0, "and attaches again (%s)",
	    t->msg);
	p = NULL;
	ZST_CHECK(ps_detach(t, t->admin, e->nfs, e->c2) == 0 && st_ps_get(t, e->nfs, &p) == 0 &&
	    p->n_hosts == 2 && p->n_attached_cluster_uuids == 1 && share(p, e->h3) == NULL &&
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

/* One fault on path of host sim_host while creating a volume of a uuid of ours. */
static void
check_fault(env *e, const char *fault, const char *agent_path, bool nfs, const char *host_ip,
    const char *host_uuid, uint32_t timeout_ms, const char *want_text)
{
	inv *t = &e->t;
	const char *ps = nfs ? e->nfs : e->local;
	char uuid[64], path[512], body[512];
	static unsigned n;
	n++;
	snprintf(uuid, sizeof uuid, "0000%04x-0000-4000-8000-00000000%04x", n, n);
	snprintf(path, sizeof path, "%s/dataVolumes/vol-%s/%s.qcow2", nfs ? "" : LOCAL_URL, uuid, uuid);
	int64_t before = st_available(t, ps, NULL);
	int count = st_vol_count(t, NULL, NULL);
	snprintf(body, sizeof body, "{\"path\":\"%s\",%s}", agent_path, fault);
	st_sim_do("POST", "/sim/faults", body);
	int code = vol_create_as(t, uuid, 3 * GIB, ps, host_uuid, timeout_ms);
	char msg[1024];
	snprintf(msg, sizeof msg, "%s", t->msg);
	st_sim_do("DELETE", "/sim/faults", NULL);
	/* the rollback may still run after a deadline: give it a moment */
	int64_t until = zst_now_ms() + 8000;
	bool clean = false;
	char full[1024] = "";
	while (!clean && zst_now_ms() < until) {
		Zs__Primarystorage__V1__PrimaryStorageInfo *p = NULL;
		if (st_ps_get(t, ps, &p) == 0 && nfs)
			snprintf(full, sizeof full, "%s%s", p->mount_path, path);
		zs_reply_free(p);
		clean = st_available(t, ps, NULL) == before && st_vol_count(t, NULL, NULL) == count &&
		    vol_get(t, t->admin, uuid, NULL) == INV_NOT_FOUND &&
		    !st_sim_has(host_ip, nfs, nfs ? full : path);
		if (!clean)
			zst_sleep_ms(100);
	}
	ZST_CHECK(code != 0 && clean && (want_text == NULL || (strstr(msg, want_text) != NULL &&
	    strstr(msg, agent_path) != NULL && strstr(msg, host_ip) != NULL)),
	    "%s %s {%s}: the create fails%s, and nothing is left: no volume, no file, capacity as "
	    "before (%s)", nfs ? "NFS" : "LocalStorage", agent_path, fault,
	    want_text ? " naming the agent's error, the path and the host" : "", msg);
}

static void
check_faults(env *e)
{
	inv *t = &e->t;
	const char *le = "/localstorage/volume/createempty", *ne = "/nfsprimarystorage/createemptyvolume";
	check_fault(e, "\"action\":\"fail\",\"error\":\"qemu-img: disk full\"", le, false, "127.0.3.1",
	    e->h1, 0, "qemu-img: disk full");
	check_fault(e, "\"action\":\"http\",\"status\":503,\"error\":\"agent overloaded\"", le, false,
	    "127.0.3.1", e->h1, 0, "503");
	check_fault(e, "\"action\":\"fail\",\"error\":\"nfs server not responding\"", ne, true,
	    "127.0.3.3", e->h3, 0, "nfs server not responding");
	check_fault(e, "\"action\":\"http\",\"status\":500,\"error\":\"boom\"", ne, true, "127.0.3.3",
	    e->h3, 0, "500");
	/* no answer: the agent's time ends before the call's, so the call still says which */
	check_fault(e, "\"action\":\"hang\"", le, false, "127.0.3.1", e->h1, 1500, "no answer");
	check_fault(e, "\"action\":\"lose\"", ne, true, "127.0.3.3", e->h3, 1500, "no callback");
	/* the agent makes the file but answers after the deadline: the file is deleted again */
	check_fault(e, "\"action\":\"delay\",\"delayMs\":2500", le, false, "127.0.3.1", e->h1, 1500,
	    "no callback");
	/* a delay within the deadline is only slower */
	st_sim_do("POST", "/sim/faults", "{\"path\":\"/localstorage/*\",\"action\":\"delay\","
	    "\"delayMs\":300}");
	Zs__Volume__V1__VolumeInfo *v = NULL;
	int code = st_vol_create(t, t->admin, "slow", GIB, e->local, e->h1, 0, &v);
	st_sim_do("DELETE", "/sim/faults", NULL);
	ZST_CHECK(code == 0 && strcmp(v->status, "Ready") == 0, "a 300 ms delay: made, Ready (%s)",
	    t->msg);
	if (code == 0)
		ZST_CHECK(st_vol_delete(t, t->admin, v->uuid) == 0, "and deleted");
	zs_reply_free(v);
	/* a host that dies: unreachable; nothing kept though the undo cannot reach it either */
	check_fault(e, "\"host\":\"s1\",\"action\":\"die\"", le, false, "127.0.3.1", e->h1, 3000,
	    "Couldn't connect");
	st_sim_do("POST", "/sim/reset", NULL);   /* revives s1; the agents forget their disks */
	/* the agents forgot their hostUuid too: the ping tracker reconnects the hosts first */
	int64_t until = zst_now_ms() + 10000;
	int connected = 0;
	while (connected < 3 && zst_now_ms() < until) {
		const char *hs[3] = { e->h1, e->h2, e->h3 };
		connected = 0;
		for (int i = 0; i < 3; i++) {
			Zs__Host__V1__HostInfo *h = NULL;
			connected += inv_host_get(t, t->admin, hs[i], &h) == 0 &&
			    strcmp(h->status, "Connected") == 0;
			zs_reply_free(h);
		}
		if (connected < 3)
			zst_sleep_ms(200);
	}
	zst_sleep_ms(600);   /* past a ping round that may still see the old agents */
	ZST_CHECK(connected == 3, "the three hosts are Connected again");
	Zs__Primarystorage__V1__PrimaryStorageInfo *p = NULL;
	ZST_CHECK(ps_reconnect(t, e->local, &p) == 0 && p->n_hosts == 2 &&
	    p->available_physical_capacity == 2 * TIB &&
	    strcmp(share(p, e->h1)->status, "Connected") == 0 && st_sim_count("s1", "/localstorage/init") >= 1,
	    "ReconnectPrimaryStorage inits it again on s1 and s2 (%s)", t->msg);
	zs_reply_free(p);
	p = NULL;
	ZST_CHECK(ps_reconnect(t, e->nfs, &p) == 0 && p->n_hosts == 3 &&
	    st_sim_count("s3", "/nfsprimarystorage/mount") >= 1, "and mounts NFS again on 3 hosts (%s)",
	    t->msg);
	zs_reply_free(p);
}

/* The sync tracker (every second here): a host added to c1 gets its shares by itself. */
static void
check_sync(env *e)
{
	inv *t = &e->t;
	st_sim_do("POST", "/sim/hosts", "{\"name\":\"s4\",\"ip\":\"127.0.3.4\"}");
	char h4[INV_UUID];
	add_kvm(t, e->c1, "s4", "127.0.3.4", h4);
	/* a round may still wait for an answer /sim/reset dropped (10 s at most) */
	int64_t until = zst_now_ms() + 15000;
	bool local = false, nfs = false;
	while (!(local && nfs) && zst_now_ms() < until) {
		Zs__Primarystorage__V1__PrimaryStorageInfo *p = NULL, *q = NULL;
		local = st_ps_get(t, e->local, &p) == 0 && share(p, h4) != NULL &&
		    strcmp(share(p, h4)->status, "Connected") == 0 && share(p, h4)->total_capacity == TIB &&
		    p->total_capacity == 3 * TIB;
		nfs = st_ps_get(t, e->nfs, &q) == 0 && share(q, h4) != NULL && q->n_hosts == 4;
		zs_reply_free(p);
		zs_reply_free(q);
		if (!(local && nfs))
			zst_sleep_ms(100);
	}
	if (!(local && nfs))
		zst_node_dump_stderr(&t->node);
	ZST_CHECK(local && nfs && st_sim_count("s4", "/localstorage/init") >= 1 &&
	    st_sim_count("s4", "/nfsprimarystorage/mount") >= 1,
	    "a host added to c1 afterwards is inited and mounts NFS by itself: LocalStorage has 3 TiB "
	    "on 3 hosts, NFS 4 hosts");
	/* a host that goes Disconnected: its share too, and no volume goes there meanwhile */
	st_sim_do("POST", "/sim/faults", "{\"host\":\"s4\",\"path\":\"/host/*\",\"action\":\"fail\","
	    "\"error\":\"agent wedged\"}");
	until = zst_now_ms() + 8000;
	bool down = false;
	char why[512] = "";
	while (!down && zst_now_ms() < until) {
		Zs__Primarystorage__V1__PrimaryStorageInfo *p = NULL;
		down = st_ps_get(t, e->local, &p) == 0 && share(p, h4) != NULL &&
		    strcmp(share(p, h4)->status, "Disconnected") == 0;
		if (down)
			snprintf(why, sizeof why, "%s", share(p, h4)->status_reason);
		zs_reply_free(p);
		if (!down)
			zst_sleep_ms(100);
	}
	ZST_CHECK(down && strstr(why, "(127.0.3.4) is ") != NULL, "s4 failing its pings: its share "
	    "becomes Disconnected, saying why (%s)", why);
	int code = st_vol_create(t, t->admin, "on-s4", GIB, e->local, h4, 0, NULL);
	ZST_CHECK(code == 9 && strstr(t->msg, "Disconnected") != NULL,
	    "a volume on s4 meanwhile: FAILED_PRECONDITION (%s)", t->msg);
	st_sim_do("DELETE", "/sim/faults", NULL);
	until = zst_now_ms() + 8000;
	bool up = false;
	while (!up && zst_now_ms() < until) {
		Zs__Primarystorage__V1__PrimaryStorageInfo *p = NULL;
		up = st_ps_get(t, e->local, &p) == 0 && share(p, h4) != NULL &&
		    strcmp(share(p, h4)->status, "Connected") == 0;
		zs_reply_free(p);
		if (!up)
			zst_sleep_ms(100);
	}
	ZST_CHECK(up, "once its agent answers again, s4 is reconnected and its share Connected");
	ZST_CHECK(inv_host_delete(t, t->admin, h4) == 0, "DeleteHost s4 (%s)", t->msg);
	Zs__Primarystorage__V1__PrimaryStorageInfo *p = NULL;
	ZST_CHECK(st_ps_get(t, e->local, &p) == 0 && share(p, h4) == NULL && p->total_capacity == 2 * TIB,
	    "its share goes with it: 2 TiB again");
	zs_reply_free(p);
}

static void
check_accounts(env *e)
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
check_cascade(env *e)
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
	    INV_NOT_FOUND && vol_get(t, t->admin, a->uuid, NULL) == INV_NOT_FOUND &&
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
	static env e;
	inv *t = &e.t;
	ZST_REQUIRE(inv_start(t, sets), "a node with the storage plugins starts");
	ZST_REQUIRE(inv_zone_create(t, t->admin, "z", e.zone) == 0 &&
	    inv_cluster_create(t, t->admin, e.zone, "c1", "KVM", e.c1) == 0 &&
	    inv_cluster_create(t, t->admin, e.zone, "c2", "KVM", e.c2) == 0, "a zone, clusters c1, c2");
	add_kvm(t, e.c1, "s1", "127.0.3.1", e.h1);
	add_kvm(t, e.c1, "s2", "127.0.3.2", e.h2);
	add_kvm(t, e.c2, "s3", "127.0.3.3", e.h3);

	int64_t t0 = zst_now_ms();
	check_add_attach(&e);
	check_volumes(&e);
	check_faults(&e);
	check_sync(&e);
	check_accounts(&e);
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
