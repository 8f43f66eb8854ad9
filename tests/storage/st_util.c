/*
 * st_util.c: the storage suite's helpers (see st.h): the simulator's control over HTTP
 * and short calls to the primary storage and volume APIs.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "st.h"
#include "zs/kvm/v1/kvm.pb-c.h"
#include "zst_sim.h"

int st_sim_port;

json_t *
st_sim(const char *method, const char *host, const char *path, const char *body)
{
	return zst_sim_http(st_sim_port, method, host, path, body);
}

void
st_sim_do(const char *method, const char *path, const char *body)
{
	json_t *o = st_sim(method, NULL, path, body);
	ZST_CHECK(o != NULL, "the simulator answers %s %s", method, path);
	json_decref(o);
}

bool
st_sim_has(const char *ip, bool nfs, const char *path)
{
	json_t *cmd = json_pack("{s:s, s:s}", "path", path, "installPath", path);
	char *body = json_dumps(cmd, JSON_COMPACT);
	json_t *o = st_sim("POST", ip, nfs ? "/nfsprimarystorage/checkbits" : "/localstorage/checkbits",
	    body);
	bool has = json_is_true(json_object_get(o, "existing"));
	json_decref(o);
	free(body);
	json_decref(cmd);
	return has;
}

size_t
st_sim_count(const char *host, const char *path)
{
	char q[256];
	snprintf(q, sizeof q, "/sim/log?host=%s&path=%s&limit=10000", host, path);
	json_t *o = st_sim("GET", NULL, q, NULL);
	json_t *a = json_is_array(o) ? o : json_object_get(o, "entries");
	size_t n = json_array_size(a);
	json_decref(o);
	return n;
}

int
st_call(inv *t, const char *s, const char *method, const void *req,
    const ProtobufCMessageDescriptor *desc, void *reply, uint32_t timeout_ms)
{
	ProtobufCMessage *out = NULL;
	zs_status *st = NULL;
	zs_call_opts opts = { .timeout_ms = timeout_ms ? timeout_ms : INV_TIMEOUT_MS, .session = s };
	t->code = zs_client_call(t->client, method, req, desc, &out, &st, &opts);
	/* the whole cause chain: what a user reads */
	size_t used = (size_t) snprintf(t->msg, sizeof t->msg, "%s", zs_client_code_name(t->code));
	for (const zs_status *c = st; c != NULL && used < sizeof t->msg; c = c->cause)
		used += (size_t) snprintf(t->msg + used, sizeof t->msg - used, ": %s",
		    c->message != NULL ? c->message : "");
	snprintf(t->error_code, sizeof t->error_code, "%s", st && st->error_code ? st->error_code : "");
	zs_status_free(st);
	if (reply != NULL)
		*(ProtobufCMessage **) reply = out;
	else
		zs_reply_free(out);
	return t->code;
}

int
st_ps_get(inv *t, const char *uuid, Zs__Primarystorage__V1__PrimaryStorageInfo **out)
{
	Zs__Primarystorage__V1__GetPrimaryStorageRequest req =
	    ZS__PRIMARYSTORAGE__V1__GET_PRIMARY_STORAGE_REQUEST__INIT;
	req.uuid = (char *) uuid;
	return st_call(t, t->admin, "zs.primarystorage.v1.PrimaryStorage/GetPrimaryStorage", &req,
	    &zs__primarystorage__v1__primary_storage_info__descriptor, out, 0);
}

int
st_ps_attach(inv *t, const char *s, const char *ps, const char *cluster,
    Zs__Primarystorage__V1__PrimaryStorageInfo **out)
{
	Zs__Primarystorage__V1__AttachPrimaryStorageToClusterRequest req =
	    ZS__PRIMARYSTORAGE__V1__ATTACH_PRIMARY_STORAGE_TO_CLUSTER_REQUEST__INIT;
	req.primary_storage_uuid = (char *) ps;
	req.cluster_uuid = (char *) cluster;
	return st_call(t, s, "zs.primarystorage.v1.PrimaryStorage/AttachPrimaryStorageToCluster",
	    &req, &zs__primarystorage__v1__primary_storage_info__descriptor, out, 0);
}

int
st_vol_create(inv *t, const char *s, const char *name, int64_t size, const char *ps,
    const char *host, uint32_t timeout_ms, Zs__Volume__V1__VolumeInfo **out)
{
	Zs__Volume__V1__CreateDataVolumeRequest req = ZS__VOLUME__V1__CREATE_DATA_VOLUME_REQUEST__INIT;
	req.name = (char *) name;
	req.size = size;
	req.primary_storage_uuid = (char *) (ps != NULL ? ps : "");
	req.host_uuid = (char *) (host != NULL ? host : "");
	return st_call(t, s, "zs.volume.v1.Volume/CreateDataVolume", &req,
	    &zs__volume__v1__volume_info__descriptor, out, timeout_ms);
}

int
st_vol_delete(inv *t, const char *s, const char *uuid)
{
	Zs__Volume__V1__DeleteVolumeRequest req = ZS__VOLUME__V1__DELETE_VOLUME_REQUEST__INIT;
	req.uuid = (char *) uuid;
	return st_call(t, s, "zs.volume.v1.Volume/DeleteVolume", &req,
	    &zs__volume__v1__delete_volume_response__descriptor, NULL, 0);
}

int
st_vol_count(inv *t, const char *ps, int64_t *sum)
{
	Zs__Volume__V1__ListVolumesRequest req = ZS__VOLUME__V1__LIST_VOLUMES_REQUEST__INIT;
	req.primary_storage_uuid = (char *) (ps != NULL ? ps : "");
	Zs__Volume__V1__ListVolumesResponse *out = NULL;
	if (st_call(t, t->admin, "zs.volume.v1.Volume/ListVolumes", &req,
	    &zs__volume__v1__list_volumes_response__descriptor, &out, 0) != 0)
		return -1;
	int n = (int) out->n_volumes;
	if (sum != NULL) {
		*sum = 0;
		for (size_t i = 0; i < out->n_volumes; i++)
			*sum += out->volumes[i]->size;
	}
	zs_reply_free(out);
	return n;
}

int64_t
st_available(inv *t, const char *ps, const char *host)
{
	Zs__Primarystorage__V1__PrimaryStorageInfo *p = NULL;
	if (st_ps_get(t, ps, &p) != 0)
		return -1;
	int64_t v = host == NULL ? p->available_capacity : -1;
	for (size_t i = 0; host != NULL && i < p->n_hosts; i++)
		if (strcmp(p->hosts[i]->host_uuid, host) == 0)
			v = p->hosts[i]->available_capacity;
	zs_reply_free(p);
	return v;
}

/* ---- more calls ---- */

void
st_add_kvm(inv *t, const char *cluster, const char *name, const char *ip, char uuid[INV_UUID])
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

int
st_ps_add(inv *t, const char *s, const char *zone, const char *name, const char *type,
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
Zs__Primarystorage__V1__PrimaryStorageHostInfo *
st_share(Zs__Primarystorage__V1__PrimaryStorageInfo *p, const char *host)
{
	for (size_t i = 0; p != NULL && i < p->n_hosts; i++)
		if (strcmp(p->hosts[i]->host_uuid, host) == 0)
			return p->hosts[i];
	return NULL;
}

int
st_ps_state(inv *t, const char *s, const char *ps, const char *ev)
{
	Zs__Primarystorage__V1__ChangePrimaryStorageStateRequest req =
	    ZS__PRIMARYSTORAGE__V1__CHANGE_PRIMARY_STORAGE_STATE_REQUEST__INIT;
	req.uuid = (char *) ps;
	req.state_event = (char *) ev;
	return st_call(t, s, PSM "ChangePrimaryStorageState", &req,
	    &zs__primarystorage__v1__primary_storage_info__descriptor, NULL, 0);
}

int
st_ps_detach(inv *t, const char *s, const char *ps, const char *cluster)
{
	Zs__Primarystorage__V1__DetachPrimaryStorageFromClusterRequest req =
	    ZS__PRIMARYSTORAGE__V1__DETACH_PRIMARY_STORAGE_FROM_CLUSTER_REQUEST__INIT;
	req.primary_storage_uuid = (char *) ps;
	req.cluster_uuid = (char *) cluster;
	return st_call(t, s, PSM "DetachPrimaryStorageFromCluster", &req,
	    &zs__primarystorage__v1__primary_storage_info__descriptor, NULL, 0);
}

int
st_ps_reconnect(inv *t, const char *ps, Zs__Primarystorage__V1__PrimaryStorageInfo **out)
{
	Zs__Primarystorage__V1__ReconnectPrimaryStorageRequest req =
	    ZS__PRIMARYSTORAGE__V1__RECONNECT_PRIMARY_STORAGE_REQUEST__INIT;
	req.uuid = (char *) ps;
	return st_call(t, t->admin, PSM "ReconnectPrimaryStorage", &req,
	    &zs__primarystorage__v1__primary_storage_info__descriptor, out, 0);
}

int
st_vol_get(inv *t, const char *s, const char *uuid, Zs__Volume__V1__VolumeInfo **out)
{
	Zs__Volume__V1__GetVolumeRequest req = ZS__VOLUME__V1__GET_VOLUME_REQUEST__INIT;
	req.uuid = (char *) uuid;
	return st_call(t, s, VOLM "GetVolume", &req, &zs__volume__v1__volume_info__descriptor, out, 0);
}

/* A data volume of a uuid chosen here (so its file's path is known). */
int
st_vol_create_as(inv *t, const char *uuid, int64_t size, const char *ps, const char *host,
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
