/*
 * alloc_util.c: the host allocator suite's cloud and calls (alloc.h): the simulated hosts
 * with their capacities, the storages and networks the filters look at, AllocateHost,
 * ReturnHostCapacity and a host's capacity as GetKvmHost shows it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "zs/backupstorage/v1/backupstorage.pb-c.h"
#include "zs/config/v1/config.pb-c.h"
#include "zs/network/v1/network.pb-c.h"

const struct al_sim_host al_sim_hosts[AL_HOSTS] = {
	{ "a1", "127.0.1.21", 4, 8 },
	{ "a2", "127.0.1.22", 8, 16 },
	{ "a3", "127.0.3.21", 4, 8 },
	{ "a4", "127.0.3.22", 2, 4 },
};

void
al_vm_uuid(char out[INV_UUID])
{
	FILE *f = fopen("/proc/sys/kernel/random/uuid", "r");
	out[0] = '\0';
	if (f == NULL || fgets(out, INV_UUID, f) == NULL)
		ZST_REQUIRE(false, "a random uuid from /proc/sys/kernel/random/uuid");
	fclose(f);
	out[strcspn(out, "\n")] = '\0';
}

void
al_req(Zs__Host__V1__AllocateHostRequest *r, const char *vm, int64_t cpu, int64_t mem)
{
	zs__host__v1__allocate_host_request__init(r);
	r->vm_uuid = (char *) vm;
	r->cpu_num = cpu;
	r->memory_size = mem;
}

int
al_alloc(inv *t, const char *s, const Zs__Host__V1__AllocateHostRequest *r,
    char host[INV_UUID], Zs__Host__V1__AllocateHostResponse **out)
{
	Zs__Host__V1__AllocateHostResponse *a = NULL;
	int code = inv_call(t, s, HM "AllocateHost", r,
	    &zs__host__v1__allocate_host_response__descriptor, &a);
	if (host != NULL)
		snprintf(host, INV_UUID, "%s", code == 0 ? a->host_uuid : "");
	if (out != NULL)
		*out = a;
	else
		zs_reply_free(a);
	return code;
}

int
al_return(inv *t, const char *s, const char *vm, const char *host, int *returned)
{
	Zs__Host__V1__ReturnHostCapacityRequest r = ZS__HOST__V1__RETURN_HOST_CAPACITY_REQUEST__INIT;
	r.vm_uuid = (char *) vm;
	r.host_uuid = (char *) (host != NULL ? host : "");
	Zs__Host__V1__ReturnHostCapacityResponse *a = NULL;
	int code = inv_call(t, s, HM "ReturnHostCapacity", &r,
	    &zs__host__v1__return_host_capacity_response__descriptor, &a);
	if (returned != NULL)
		*returned = code == 0 ? a->returned : -1;
	zs_reply_free(a);
	return code;
}

bool
al_cap_get(inv *t, const char *host, al_cap *c)
{
	Zs__Kvm__V1__KvmHostInfo *h = NULL;
	if (kvmt_get(t, host, &h) != 0)
		return false;
	*c = (al_cap) { h->total_cpu, h->available_cpu, h->total_memory, h->available_memory,
	    h->reserved_memory, h->reservations, h->reserved_cpu, h->reserved_vm_memory };
	zs_reply_free(h);
	return true;
}

int
al_host_index(const al_env *e, const char *uuid)
{
	for (int i = 0; i < AL_HOSTS; i++)
		if (strcmp(e->h[i], uuid) == 0)
			return i;
	return -1;
}

int
al_config(inv *t, const char *name, const char *value)
{
	if (value == NULL) {
		Zs__Config__V1__ResetConfigRequest req = ZS__CONFIG__V1__RESET_CONFIG_REQUEST__INIT;
		req.category = (char *) "kvm";
		req.name = (char *) name;
		return inv_call(t, t->admin, "zs.config.v1.GlobalConfig/Reset", &req,
		    &zs__config__v1__config_info__descriptor, NULL);
	}
	Zs__Config__V1__UpdateConfigRequest req = ZS__CONFIG__V1__UPDATE_CONFIG_REQUEST__INIT;
	req.category = (char *) "kvm";
	req.name = (char *) name;
	req.value = (char *) value;
	return inv_call(t, t->admin, "zs.config.v1.GlobalConfig/Update", &req,
	    &zs__config__v1__config_info__descriptor, NULL);
}

/* ---- the cloud ---- */

static void
al_setup_bs(al_env *e)
{
	inv *t = &e->t;
	const char *ips[2] = { "127.0.2.21", "127.0.2.22" };
	char *uuids[2] = { e->bs1, e->bs2 };
	for (int i = 0; i < 2; i++) {
		Zs__Backupstorage__V1__AddBackupStorageRequest req =
		    ZS__BACKUPSTORAGE__V1__ADD_BACKUP_STORAGE_REQUEST__INIT;
		char name[8];
		snprintf(name, sizeof name, "bs%d", i + 1);
		req.name = name;
		req.hostname = (char *) ips[i];
		req.url = "/zstack_bs";
		req.username = "root";
		req.password = "password";
		Zs__Backupstorage__V1__BackupStorageInfo *b = NULL;
		ZST_REQUIRE(inv_call(t, t->admin, "zs.backupstorage.v1.BackupStorage/AddBackupStorage",
		    &req, &zs__backupstorage__v1__backup_storage_info__descriptor, &b) == 0,
		    "AddBackupStorage %s on %s (%s)", name, ips[i], t->msg);
		snprintf(uuids[i], INV_UUID, "%s", b->uuid);
		zs_reply_free(b);
	}
	Zs__Backupstorage__V1__AttachBackupStorageToZoneRequest a =
	    ZS__BACKUPSTORAGE__V1__ATTACH_BACKUP_STORAGE_TO_ZONE_REQUEST__INIT;
	a.backup_storage_uuid = e->bs1;
	a.zone_uuid = e->zone;
	ZST_REQUIRE(inv_call(t, t->admin, "zs.backupstorage.v1.BackupStorage/AttachBackupStorageToZone",
	    &a, &zs__backupstorage__v1__backup_storage_info__descriptor, NULL) == 0,
	    "bs1 attached to the zone, bs2 not (%s)", t->msg);
}

static void
al_setup_network(al_env *e)
{
	inv *t = &e->t;
	Zs__Network__V1__CreateL2NoVlanNetworkRequest l2 =
	    ZS__NETWORK__V1__CREATE_L2_NO_VLAN_NETWORK_REQUEST__INIT;
	l2.zone_uuid = e->zone;
	l2.name = "l2";
	l2.physical_interface = "eth0";
	Zs__Network__V1__L2NetworkInfo *l2i = NULL;
	ZST_REQUIRE(inv_call(t, t->admin, "zs.network.v1.L2Network/CreateL2NoVlanNetwork", &l2,
	    &zs__network__v1__l2_network_info__descriptor, &l2i) == 0, "an L2 network (%s)", t->msg);
	snprintf(e->l2, INV_UUID, "%s", l2i->uuid);
	zs_reply_free(l2i);
	Zs__Network__V1__AttachL2NetworkToClusterRequest at =
	    ZS__NETWORK__V1__ATTACH_L2_NETWORK_TO_CLUSTER_REQUEST__INIT;
	at.l2_network_uuid = e->l2;
	at.cluster_uuid = e->c1;
	ZST_REQUIRE(inv_call(t, t->admin, "zs.network.v1.L2Network/AttachL2NetworkToCluster", &at,
	    &zs__network__v1__l2_network_attachment__descriptor, NULL) == 0,
	    "the L2 attached to c1 only (%s)", t->msg);
	Zs__Network__V1__CreateL3NetworkRequest l3 = ZS__NETWORK__V1__CREATE_L3_NETWORK_REQUEST__INIT;
	l3.l2_network_uuid = e->l2;
	l3.name = "l3";
	Zs__Network__V1__L3NetworkInfo *l3i = NULL;
	ZST_REQUIRE(inv_call(t, t->admin, "zs.network.v1.L3Network/CreateL3Network", &l3,
	    &zs__network__v1__l3_network_info__descriptor, &l3i) == 0, "an L3 network (%s)", t->msg);
	snprintf(e->l3, INV_UUID, "%s", l3i->uuid);
	zs_reply_free(l3i);
}

void
al_setup(al_env *e, int sim_port)
{
	inv *t = &e->t;
	char hosts[1024];
	size_t used = (size_t) snprintf(hosts, sizeof hosts, "{\"hosts\":[");
	for (int i = 0; i < AL_HOSTS; i++)
		used += (size_t) snprintf(hosts + used, sizeof hosts - used,
		    "{\"name\":\"%s\",\"ip\":\"%s\",\"cpu\":%d,\"memory\":\"%dG\"},", al_sim_hosts[i].name,
		    al_sim_hosts[i].ip, al_sim_hosts[i].cpu, al_sim_hosts[i].mem_gib);
	snprintf(hosts + used, sizeof hosts - used, "{\"name\":\"bs1\",\"ip\":\"127.0.2.21\","
	    "\"bsCapacity\":\"100G\"},{\"name\":\"bs2\",\"ip\":\"127.0.2.22\",\"bsCapacity\":\"100G\"}]}");
	st_sim_do("POST", "/sim/hosts", hosts);
	char port[64], bsport[64];
	snprintf(port, sizeof port, "KvmAgent.port=%d", sim_port);
	snprintf(bsport, sizeof bsport, "SftpBackupStorage.port=%d", sim_port);
	const char *sets[] = { port, bsport, "host.ping.interval=200", "host.ping.timeout=1000",
	    "host.ping.maxFailure=2", NULL };
	ZST_REQUIRE(inv_start(t, sets), "a node starts");
	ZST_REQUIRE(inv_zone_create(t, t->admin, "z", e->zone) == 0 &&
	    inv_cluster_create(t, t->admin, e->zone, "c1", "KVM", e->c1) == 0 &&
	    inv_cluster_create(t, t->admin, e->zone, "c2", "KVM", e->c2) == 0,
	    "a zone, clusters c1 and c2 (%s)", t->msg);
	for (int i = 0; i < AL_HOSTS; i++)
		st_add_kvm(t, i < 2 ? e->c1 : e->c2, al_sim_hosts[i].name, al_sim_hosts[i].ip, e->h[i]);
	ZST_REQUIRE(st_ps_add(t, t->admin, e->zone, "local", "LocalStorage", LOCAL_URL, e->ps) == 0 &&
	    st_ps_attach(t, t->admin, e->ps, e->c1, NULL) == 0 &&
	    st_ps_attach(t, t->admin, e->ps, e->c2, NULL) == 0,
	    "a LocalStorage attached to c1 and c2 (%s)", t->msg);
	al_setup_bs(e);
	al_setup_network(e);
}
